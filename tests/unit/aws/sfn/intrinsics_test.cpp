#include <gtest/gtest.h>

#include "sim/aws/sfn/asl/intrinsics.hpp"

namespace sim::aws::sfn::asl {
namespace {

const Json kInput = Json::parse(R"J({"name":"Arnav","list":[1,2,2,3],"obj":{"a":1},"s":"{\"x\":[1]}","n":5})J");

Json Call(const std::string& text, core::Random* random = nullptr) {
    auto call = Intrinsic::Parse(text);
    EXPECT_TRUE(call.ok()) << text << ": " << (call.ok() ? "" : call.error().message);
    if (!call.ok()) return Json("<parse error>");
    auto v = call->Evaluate(EvalEnv{PathScope{&kInput, nullptr, nullptr}, random});
    if (!v) return Json("<" + v.error().error + ">");
    return *v;
}

TEST(Intrinsics, FormatInterpolatesAndHonoursEscapes) {
    EXPECT_EQ(Call("States.Format('Hello, my name is {}.', $.name)"), "Hello, my name is Arnav.");
    EXPECT_EQ(Call("States.Format('\\{\\} {} \\'q\\' \\\\', $.n)"), "{} 5 'q' \\");
    EXPECT_EQ(Call("States.Format('{} and {}', $.name)"), "<States.IntrinsicFailure>");
}

TEST(Intrinsics, JsonConversions) {
    EXPECT_EQ(Call("States.StringToJson($.s)"), Json::parse(R"J({"x":[1]})J"));
    EXPECT_EQ(Call("States.JsonToString($.obj)"), R"J({"a":1})J");
    EXPECT_EQ(Call("States.StringToJson($.name)"), "<States.IntrinsicFailure>");
}

TEST(Intrinsics, ArrayFunctions) {
    EXPECT_EQ(Call("States.Array($.name, 1, true, null)"), Json::parse(R"J(["Arnav",1,true,null])J"));
    EXPECT_EQ(Call("States.ArrayPartition($.list, 3)"), Json::parse("[[1,2,2],[3]]"));
    EXPECT_EQ(Call("States.ArrayContains($.list, 3)"), true);
    EXPECT_EQ(Call("States.ArrayRange(1, 9, 2)"), Json::parse("[1,3,5,7,9]"));
    EXPECT_EQ(Call("States.ArrayRange(5, 1, -2)"), Json::parse("[5,3,1]"));
    EXPECT_EQ(Call("States.ArrayRange(0, 1000, 1)"), "<States.IntrinsicFailure>");
    EXPECT_EQ(Call("States.ArrayGetItem($.list, 3)"), 3);
    EXPECT_EQ(Call("States.ArrayGetItem($.list, 4)"), "<States.IntrinsicFailure>");
    EXPECT_EQ(Call("States.ArrayLength($.list)"), 4);
    EXPECT_EQ(Call("States.ArrayUnique($.list)"), Json::parse("[1,2,3]"));
}

TEST(Intrinsics, EncodingAndHashing) {
    EXPECT_EQ(Call("States.Base64Encode('Data to encode')"), "RGF0YSB0byBlbmNvZGU=");
    EXPECT_EQ(Call("States.Base64Decode('RGF0YSB0byBlbmNvZGU=')"), "Data to encode");
    EXPECT_EQ(Call("States.Base64Decode('***')"), "<States.IntrinsicFailure>");
    EXPECT_EQ(Call("States.Hash('input data', 'SHA-1')"), "aaff4a450a104cd177d28d18d74485e8cae074b7");
    EXPECT_EQ(Call("States.Hash('', 'MD5')"), "d41d8cd98f00b204e9800998ecf8427e");
    EXPECT_EQ(Call("States.Hash('x', 'SHA-3')"), "<States.IntrinsicFailure>");
}

TEST(Intrinsics, JsonMergeIsShallow) {
    EXPECT_EQ(Call("States.JsonMerge($.obj, States.StringToJson('{\"b\":2}'), false)"), Json::parse(R"J({"a":1,"b":2})J"));
    EXPECT_EQ(Call("States.JsonMerge($.obj, $.obj, true)"), "<States.IntrinsicFailure>");
}

TEST(Intrinsics, MathAndStrings) {
    EXPECT_EQ(Call("States.MathAdd($.n, -7)"), -2);
    // Found by fuzz_jsonpath_intrinsics: a sum outside int64 was signed overflow (undefined).
    EXPECT_EQ(Call("States.MathAdd(-9223372036854775808, -1)"), "<States.IntrinsicFailure>");
    EXPECT_EQ(Call("States.MathAdd(9223372036854775807, 1)"), "<States.IntrinsicFailure>");
    EXPECT_EQ(Call("States.MathAdd(9223372036854775807, -1)"), 9223372036854775806);
    EXPECT_EQ(Call("States.StringSplit('a,b;;c', ',;')"), Json::parse(R"J(["a","b","c"])J"));
    core::Random random(7);
    auto r = Call("States.MathRandom(1, 10)", &random);
    ASSERT_TRUE(r.is_number_integer());
    EXPECT_GE(r.get<int>(), 1);
    EXPECT_LT(r.get<int>(), 10);
    EXPECT_EQ(Call("States.MathRandom(1, 1000, 42)"), Call("States.MathRandom(1, 1000, 42)"));
}

TEST(Intrinsics, UuidIsSeededVersion4) {
    core::Random a(1), b(1);
    auto u = Call("States.UUID()", &a);
    EXPECT_EQ(u, Call("States.UUID()", &b));
    ASSERT_TRUE(u.is_string());
    EXPECT_EQ(u.get<std::string>().size(), 36u);
    EXPECT_EQ(u.get<std::string>()[14], '4');
}

TEST(Intrinsics, NestedCalls) {
    EXPECT_EQ(Call("States.ArrayLength(States.ArrayUnique(States.Array(1, 1, 2)))"), 2);
}

TEST(Intrinsics, ParseRejectsBadSyntax) {
    for (const char* bad : {"States.Nope(1)", "States.Array(", "States.ArrayLength()", "States.UUID(1)",
                            "States.Format('x\\q')", "States.Array(1,)", "States.Array('a' 'b')"}) {
        EXPECT_FALSE(Intrinsic::Parse(bad).ok()) << bad;
    }
}

}  // namespace
}  // namespace sim::aws::sfn::asl
