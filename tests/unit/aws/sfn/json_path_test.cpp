#include <gtest/gtest.h>

#include "sim/aws/sfn/asl/json_path.hpp"

namespace sim::aws::sfn::asl {
namespace {

const Json kStore = Json::parse(R"J({
  "store": {
    "book": [
      {"category": "reference", "author": "Nigel Rees", "title": "Sayings", "price": 8.95},
      {"category": "fiction", "author": "Evelyn Waugh", "title": "Sword", "price": 12.99},
      {"category": "fiction", "author": "Herman Melville", "title": "Moby Dick", "isbn": "0-553", "price": 8.99},
      {"category": "fiction", "author": "Tolkien", "title": "LOTR", "isbn": "0-395", "price": 22.99}
    ],
    "bicycle": {"color": "red", "price": 19.95}
  },
  "weird key": 1,
  "n": null
})J");

Json Eval(const std::string& path) {
    auto p = JsonPath::Parse(path);
    EXPECT_TRUE(p.ok()) << path << ": " << (p.ok() ? "" : p.error().message);
    auto v = p->Evaluate(kStore);
    return v ? *v : Json("<none>");
}

TEST(JsonPath, RootSelectsEverything) { EXPECT_EQ(Eval("$"), kStore); }

TEST(JsonPath, DotAndBracketFields) {
    EXPECT_EQ(Eval("$.store.bicycle.color"), "red");
    EXPECT_EQ(Eval("$['store']['bicycle']['color']"), "red");
    EXPECT_EQ(Eval("$[\"weird key\"]"), 1);
    EXPECT_EQ(Eval("$.n"), nullptr);
}

TEST(JsonPath, IndicesIncludingNegative) {
    EXPECT_EQ(Eval("$.store.book[0].author"), "Nigel Rees");
    EXPECT_EQ(Eval("$.store.book[-1].title"), "LOTR");
}

TEST(JsonPath, AnIndexBeyondInt64IsAParseErrorNotAnException) {
    // Found by fuzz_jsonpath_intrinsics: std::stoll threw out_of_range through Parse.
    auto path = JsonPath::Parse("$.a[0,66666666666666666666666666662]");
    ASSERT_FALSE(path.ok());
    EXPECT_NE(path.error().message.find("out of range"), std::string::npos);
    EXPECT_FALSE(JsonPath::Parse("$.a[-99999999999999999999]").ok());
    EXPECT_TRUE(JsonPath::Parse("$.a[9223372036854775807]").ok());
}

TEST(JsonPath, MissingDefinitePathSelectsNothing) { EXPECT_EQ(Eval("$.store.car"), "<none>"); }

TEST(JsonPath, WildcardsAndDescentReturnArrays) {
    EXPECT_EQ(Eval("$.store.book[*].price").size(), 4u);
    EXPECT_EQ(Eval("$..author").size(), 4u);
    EXPECT_EQ(Eval("$..price").size(), 5u);
    EXPECT_EQ(Eval("$.store.*").size(), 2u);
    EXPECT_EQ(Eval("$.store.nothing[*]"), Json::array());
}

TEST(JsonPath, UnionsAndSlices) {
    EXPECT_EQ(Eval("$.store.book[0,2].price"), Json::parse("[8.95, 8.99]"));
    EXPECT_EQ(Eval("$.store.book[1:3].price"), Json::parse("[12.99, 8.99]"));
    EXPECT_EQ(Eval("$.store.book[:2].price"), Json::parse("[8.95, 12.99]"));
    EXPECT_EQ(Eval("$.store.book[-2:].price"), Json::parse("[8.99, 22.99]"));
    EXPECT_EQ(Eval("$.store.book[::2].price"), Json::parse("[8.95, 8.99]"));
}

TEST(JsonPath, Filters) {
    EXPECT_EQ(Eval("$.store.book[?(@.price < 10)].title"), Json::parse(R"J(["Sayings", "Moby Dick"])J"));
    EXPECT_EQ(Eval("$.store.book[?(@.isbn)].title"), Json::parse(R"J(["Moby Dick", "LOTR"])J"));
    EXPECT_EQ(Eval("$.store.book[?(@.category == 'fiction' && @.price > 20)].title"), Json::parse(R"J(["LOTR"])J"));
    EXPECT_EQ(Eval("$.store.book[?(@.author == 'Tolkien' || @.price == 8.95)].title"),
              Json::parse(R"J(["Sayings", "LOTR"])J"));
    EXPECT_EQ(Eval("$.store.book[?(!(@.price < 10))].title"), Json::parse(R"J(["Sword", "LOTR"])J"));
    EXPECT_EQ(Eval("$..book[?(@.price > $.store.bicycle.price)].title"), Json::parse(R"J(["LOTR"])J"));
}

TEST(JsonPath, ContextAndVariableRoots) {
    Json context = {{"Execution", {{"Name", "x"}}}};
    Json vars = {{"count", {{"n", 3}}}};
    auto ctx = JsonPath::Parse("$$.Execution.Name").value();
    auto var = JsonPath::Parse("$count.n").value();
    EXPECT_EQ(ctx.root(), PathRoot::kContext);
    EXPECT_EQ(var.root(), PathRoot::kVariable);
    PathScope scope{&kStore, &context, &vars};
    EXPECT_EQ(*ctx.Evaluate(scope), "x");
    EXPECT_EQ(*var.Evaluate(scope), 3);
}

TEST(JsonPath, RejectsMalformedPaths) {
    for (const char* bad : {"", "store", "$.", "$[", "$[?(@.a <)]", "$.a[1", "$['a", "$.a b", "$..", "$[1:2:0]"}) {
        EXPECT_FALSE(JsonPath::Parse(bad).ok()) << bad;
    }
}

TEST(JsonPath, ReferencePathsAreDefinite) {
    EXPECT_TRUE(JsonPath::ParseReference("$.a.b[0]").ok());
    EXPECT_FALSE(JsonPath::ParseReference("$.a[*]").ok());
    EXPECT_FALSE(JsonPath::ParseReference("$..a").ok());
    EXPECT_FALSE(JsonPath::ParseReference("$.a[?(@.x)]").ok());
}

TEST(JsonPath, AssignCreatesObjectsAndReplacesValues) {
    Json target = {{"a", 1}};
    ASSERT_TRUE(JsonPath::Parse("$.b.c")->Assign(target, 2).ok());
    EXPECT_EQ(target, Json::parse(R"J({"a":1,"b":{"c":2}})J"));
    ASSERT_TRUE(JsonPath::Parse("$.a")->Assign(target, "x").ok());
    EXPECT_EQ(target["a"], "x");
    Json list = {{"l", {1, 2}}};
    ASSERT_TRUE(JsonPath::Parse("$.l[1]")->Assign(list, 9).ok());
    EXPECT_EQ(list["l"], Json::parse("[1,9]"));
}

TEST(JsonPath, AssignFailsThroughNonObjects) {
    Json target = {{"a", "text"}};
    EXPECT_FALSE(JsonPath::Parse("$.a.b")->Assign(target, 1).ok());
    Json scalar = "text";
    EXPECT_FALSE(JsonPath::Parse("$.x")->Assign(scalar, 1).ok());
}

}  // namespace
}  // namespace sim::aws::sfn::asl
