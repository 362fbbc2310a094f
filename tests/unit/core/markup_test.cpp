#include <gtest/gtest.h>

#include "sim/core/markup.hpp"

namespace sim::core {
namespace {

TEST(EscapeMarkup, EscapesTheSpecialCharactersAndReplacesForbiddenControls) {
    EXPECT_EQ(EscapeMarkup(R"(a < b & "c" > d)"), "a &lt; b &amp; &quot;c&quot; &gt; d");
    EXPECT_EQ(EscapeMarkup("tab\tline\nbell\x07"), "tab\tline\nbell?");
    EXPECT_EQ(EscapeMarkup("テスト ¥1,000"), "テスト ¥1,000");  // UTF-8 passes through
}

}  // namespace
}  // namespace sim::core
