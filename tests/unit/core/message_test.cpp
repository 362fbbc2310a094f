#include "sim/core/message.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace sim::core {
namespace {

namespace fs = std::filesystem;

class ReadSliceTest : public ::testing::Test {
protected:
    void SetUp() override {
        path_ = fs::temp_directory_path() / ("cardsim-read-slice-" + std::to_string(::getpid()));
        std::ofstream(path_, std::ios::binary) << "0123456789";
    }
    void TearDown() override { fs::remove(path_); }
    fs::path path_;
};

TEST_F(ReadSliceTest, HandsTheSliceOverInPiecesOfAtMostTheGivenSize) {
    std::vector<std::string> pieces;
    EXPECT_TRUE(ReadSlice(FileSlice{path_, 2, 7, false}, [&](std::string_view p) {
        pieces.emplace_back(p);
        return true;
    }, 3));
    EXPECT_EQ(pieces, (std::vector<std::string>{"234", "567", "8"}));
}

TEST_F(ReadSliceTest, StopsWhenTheSinkSaysSo) {
    int calls = 0;
    EXPECT_FALSE(ReadSlice(FileSlice{path_, 0, 10, false}, [&](std::string_view) { return ++calls < 2; }, 4));
    EXPECT_EQ(calls, 2);
}

TEST_F(ReadSliceTest, AMissingFileOrOneShorterThanTheSliceThrows) {
    auto keep = [](std::string_view) { return true; };
    EXPECT_THROW(ReadSlice(FileSlice{path_, 5, 6, false}, keep), std::runtime_error);
    EXPECT_THROW(ReadSlice(FileSlice{path_.string() + ".missing", 0, 1, false}, keep), std::runtime_error);
}

TEST_F(ReadSliceTest, ClosesTheFileWhenTheSinkThrows) {
    auto open_files = [] { return std::distance(fs::directory_iterator("/proc/self/fd"), fs::directory_iterator()); };
    auto before = open_files();
    EXPECT_THROW(ReadSlice(FileSlice{path_, 0, 10, false},
                           [](std::string_view) -> bool { throw std::runtime_error("disk full"); }),
                 std::runtime_error);
    EXPECT_EQ(open_files(), before);
}

}  // namespace
}  // namespace sim::core
