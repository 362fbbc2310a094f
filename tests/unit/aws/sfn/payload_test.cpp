#include <gtest/gtest.h>

#include "sim/aws/sfn/asl/payload.hpp"

namespace sim::aws::sfn::asl {
namespace {

TEST(PayloadTemplate, SubstitutesPathsIntrinsicsAndNestedObjects) {
    std::vector<ValidationError> problems;
    auto t = PayloadTemplate::Compile(Json::parse(R"J({
        "static": 1, "id.$": "$.id", "ctx.$": "$$.Execution.Name", "var.$": "$v",
        "nested": {"list": [{"x.$": "$.id"}], "msg.$": "States.Format('#{}', $.id)"}})J"),
                                      "/States/S/Parameters", problems);
    ASSERT_TRUE(problems.empty());
    Json input = {{"id", 7}};
    Json context = {{"Execution", {{"Name", "e"}}}};
    Json vars = {{"v", "value"}};
    auto out = t.Evaluate(EvalEnv{PathScope{&input, &context, &vars}, nullptr}, errors::kParameterPathFailure);
    ASSERT_TRUE(out.ok());
    EXPECT_EQ(*out, Json::parse(R"J({"static":1,"id":7,"ctx":"e","var":"value",
                                   "nested":{"list":[{"x":7}],"msg":"#7"}})J"));
}

TEST(PayloadTemplate, MissingPathRaisesTheGivenError) {
    std::vector<ValidationError> problems;
    auto t = PayloadTemplate::Compile(Json::parse(R"J({"a.$": "$.missing"})J"), "/P", problems);
    Json input = Json::object();
    auto out = t.Evaluate(EvalEnv{PathScope{&input, nullptr, nullptr}, nullptr}, errors::kParameterPathFailure);
    ASSERT_FALSE(out.ok());
    EXPECT_EQ(out.error().error, "States.ParameterPathFailure");
    EXPECT_NE(out.error().cause.find("'a.$'"), std::string::npos);
}

TEST(PayloadTemplate, ReportsEveryBadField) {
    std::vector<ValidationError> problems;
    PayloadTemplate::Compile(Json::parse(R"J({"a.$": "nope", "b": {"c.$": 3}, "d.$": "States.Bad()"})J"),
                             "/States/S/Parameters", problems);
    ASSERT_EQ(problems.size(), 3u);
    EXPECT_EQ(problems[0].location, "/States/S/Parameters/a.$");
    EXPECT_EQ(problems[1].location, "/States/S/Parameters/b/c.$");
}

}  // namespace
}  // namespace sim::aws::sfn::asl
