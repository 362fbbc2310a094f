#include "sim/aws/iam/policy.hpp"

#include <gtest/gtest.h>

namespace sim::aws::iam {
namespace {

Policy MustParse(const std::string& name, const char* text) {
    auto p = ParsePolicy(name, nlohmann::json::parse(text));
    EXPECT_TRUE(p) << (p ? "" : p.error().message);
    return p ? std::move(p).value() : Policy{};
}

// The app team's shape: read everything, write its own resources, never administer.
const char* kAppTeam = R"({
  "Version": "2012-10-17",
  "Statement": [
    {"Sid": "ReadEverything", "Effect": "Allow", "Action": ["s3:Get*", "s3:List*", "sqs:Get*", "sqs:List*"], "Resource": "*"},
    {"Sid": "BatchObjects", "Effect": "Allow", "Action": ["s3:PutObject", "s3:DeleteObject"], "Resource": "arn:aws:s3:::batch/*"},
    {"Sid": "Queues", "Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "arn:aws:sqs:*:000000000000:app-?"},
    {"Effect": "Allow", "NotAction": ["iam:*", "sqs:CreateQueue"], "Resource": "arn:aws:states:*:*:stateMachine:*"},
    {"Sid": "DenyBucketAdmin", "Effect": "Deny", "Action": ["s3:CreateBucket", "s3:DeleteBucket"], "Resource": "*"},
    {"Sid": "NotOutsideBatch", "Effect": "Deny", "Action": "s3:PutObject", "NotResource": ["arn:aws:s3:::batch/*", "arn:aws:s3:::scratch/*"]},
    {"Sid": "RegionPinned", "Effect": "Allow", "Action": "sqs:ReceiveMessage", "Resource": "*",
     "Condition": {"StringEquals": {"aws:RequestedRegion": ["us-east-1", "ap-northeast-1"]}}},
    {"Sid": "TlsOnlyDelete", "Effect": "Allow", "Action": "sqs:DeleteMessage", "Resource": "*",
     "Condition": {"Bool": {"aws:SecureTransport": true}}},
    {"Sid": "ByUser", "Effect": "Allow", "Action": "sqs:PurgeQueue", "Resource": "*",
     "Condition": {"StringLike": {"aws:username": "app-*"}, "ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/app-*"}}},
    {"Sid": "NotInTokyo", "Effect": "Deny", "Action": "sqs:ChangeMessageVisibility", "Resource": "*",
     "Condition": {"StringNotEqualsIfExists": {"aws:RequestedRegion": "ap-northeast-1"}}},
    {"Sid": "ChangeVisibility", "Effect": "Allow", "Action": "sqs:ChangeMessageVisibility", "Resource": "*"}
  ]
})";

struct Case {
    const char* name;
    std::string action;
    std::string resource;
    std::map<std::string, std::string> keys;
    Decision expected;
    const char* statement;  // deciding statement (empty for implicit deny)
};

TEST(IamEvaluate, TableOfCases) {
    std::vector<Policy> policies = {MustParse("app-team", kAppTeam)};
    const std::map<std::string, std::string> tokyo = {{"aws:RequestedRegion", "ap-northeast-1"}};
    const std::map<std::string, std::string> ohio = {{"aws:RequestedRegion", "us-east-2"}};
    const std::vector<Case> cases = {
        {"wildcard action allows", "s3:GetObject", "arn:aws:s3:::any/key", {}, Decision::kAllow, "ReadEverything"},
        {"actions are case-insensitive", "S3:listbucket", "arn:aws:s3:::any", {}, Decision::kAllow, "ReadEverything"},
        {"resource wildcard allows", "s3:PutObject", "arn:aws:s3:::batch/in/file.csv", {}, Decision::kAllow,
         "BatchObjects"},
        {"resources are case-sensitive", "s3:DeleteObject", "arn:aws:s3:::BATCH/x", {}, Decision::kImplicitDeny, ""},
        {"NotResource deny outside", "s3:PutObject", "arn:aws:s3:::other/x", {}, Decision::kExplicitDeny,
         "NotOutsideBatch"},
        {"NotResource exempt but unallowed", "s3:PutObject", "arn:aws:s3:::scratch/x", {}, Decision::kImplicitDeny, ""},
        {"explicit deny wins over allow", "s3:CreateBucket", "arn:aws:s3:::batch", {}, Decision::kExplicitDeny,
         "DenyBucketAdmin"},
        {"question mark matches one char", "sqs:SendMessage", "arn:aws:sqs:us-east-1:000000000000:app-1", {},
         Decision::kAllow, "Queues"},
        {"question mark not two chars", "sqs:SendMessage", "arn:aws:sqs:us-east-1:000000000000:app-12", {},
         Decision::kImplicitDeny, ""},
        {"NotAction allows other actions", "states:StartExecution", "arn:aws:states:us-east-1:1:stateMachine:m", {},
         Decision::kAllow, "#3"},
        {"NotAction excludes listed", "iam:PutRolePolicy", "arn:aws:states:us-east-1:1:stateMachine:m", {},
         Decision::kImplicitDeny, ""},
        {"default deny", "events:PutRule", "*", {}, Decision::kImplicitDeny, ""},
        {"StringEquals region in list", "sqs:ReceiveMessage", "*", tokyo, Decision::kAllow, "RegionPinned"},
        {"StringEquals region not in list", "sqs:ReceiveMessage", "*", ohio, Decision::kImplicitDeny, ""},
        {"StringEquals missing key", "sqs:ReceiveMessage", "*", {}, Decision::kImplicitDeny, ""},
        {"Bool true", "sqs:DeleteMessage", "*", {{"aws:SecureTransport", "true"}}, Decision::kAllow, "TlsOnlyDelete"},
        {"Bool false", "sqs:DeleteMessage", "*", {{"aws:SecureTransport", "false"}}, Decision::kImplicitDeny, ""},
        {"StringLike and ArnLike both hold", "sqs:PurgeQueue", "*",
         {{"aws:username", "app-bob"}, {"aws:PrincipalArn", "arn:aws:iam::000000000000:role/app-team"}},
         Decision::kAllow, "ByUser"},
        {"condition keys case-insensitive", "sqs:PurgeQueue", "*",
         {{"AWS:UserName", "app-bob"}, {"aws:principalarn", "arn:aws:iam::000000000000:role/app-team"}},
         Decision::kAllow, "ByUser"},
        {"ArnLike fails", "sqs:PurgeQueue", "*",
         {{"aws:username", "app-bob"}, {"aws:PrincipalArn", "arn:aws:iam::000000000000:role/infra"}},
         Decision::kImplicitDeny, ""},
        {"ArnLike wildcard does not cross components", "sqs:PurgeQueue", "*",
         {{"aws:username", "app-bob"}, {"aws:PrincipalArn", "arn:aws:iam::0:x:role/app-team"}},
         Decision::kImplicitDeny, ""},
        {"IfExists with missing key applies deny", "sqs:ChangeMessageVisibility", "*", {}, Decision::kExplicitDeny,
         "NotInTokyo"},
        {"IfExists negated holds: deny", "sqs:ChangeMessageVisibility", "*", ohio, Decision::kExplicitDeny,
         "NotInTokyo"},
        {"IfExists negated fails: allow", "sqs:ChangeMessageVisibility", "*", tokyo, Decision::kAllow,
         "ChangeVisibility"},
    };
    for (const auto& c : cases) {
        Evaluation e = Evaluate(policies, {c.action, c.resource, c.keys});
        EXPECT_EQ(e.decision, c.expected) << c.name << ": " << e.explanation;
        EXPECT_EQ(e.statement, c.statement) << c.name << ": " << e.explanation;
    }
}

TEST(IamEvaluate, ExplanationNamesStatementPolicyActionAndResource) {
    std::vector<Policy> policies = {MustParse("app-team", kAppTeam)};
    auto e = Evaluate(policies, {"s3:CreateBucket", "arn:aws:s3:::batch", {}});
    EXPECT_EQ(e.explanation, "denied by statement 'DenyBucketAdmin' of policy app-team: s3:CreateBucket on arn:aws:s3:::batch");
    auto d = Evaluate(policies, {"sqs:ReceiveMessage", "arn:aws:sqs:us-east-2:0:q", {{"aws:RequestedRegion", "us-east-2"}}});
    EXPECT_NE(d.explanation.find("denied by default"), std::string::npos) << d.explanation;
    EXPECT_NE(d.explanation.find("'RegionPinned'"), std::string::npos) << d.explanation;
    EXPECT_NE(d.explanation.find("us-east-2"), std::string::npos) << d.explanation;
}

TEST(IamEvaluate, DenyInOnePolicyOverridesAllowInAnother) {
    std::vector<Policy> policies = {
        MustParse("admin", R"({"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}})"),
        MustParse("guard", R"({"Statement": [{"Effect": "Deny", "Action": "iam:*", "Resource": "*"}]})")};
    EXPECT_TRUE(Evaluate(policies, {"sqs:CreateQueue", "*", {}}).Allowed());
    auto e = Evaluate(policies, {"iam:PutRolePolicy", "*", {}});
    EXPECT_EQ(e.decision, Decision::kExplicitDeny);
    EXPECT_EQ(e.policy, "guard");
    EXPECT_EQ(e.statement, "#0");
    EXPECT_FALSE(Evaluate({}, {"s3:GetObject", "*", {}}).Allowed());
}

TEST(IamParsePolicy, RejectsMalformedDocumentsWithTheFieldAtFault) {
    struct Bad {
        const char* text;
        const char* mentions;
    };
    for (const auto& b : std::vector<Bad>{
             {R"([])", "must be an object"},
             {R"({"Version": "2012-10-17"})", "Statement is required"},
             {R"({"Statement": [{"Effect": "Maybe", "Action": "*", "Resource": "*"}]})", "Effect"},
             {R"({"Statement": [{"Effect": "Allow", "Resource": "*"}]})", "Action or NotAction"},
             {R"({"Statement": [{"Effect": "Allow", "Action": "*"}]})", "Resource or NotResource"},
             {R"({"Statement": [{"Effect": "Allow", "Action": "*", "NotAction": "x", "Resource": "*"}]})", "opposite"},
             {R"({"Statement": [{"Sid": "S", "Effect": "Allow", "Action": "*", "Resource": "*",
                  "Condition": {"NumericLessThan": {"k": "1"}}}]})", "unsupported condition operator NumericLessThan"},
             {R"({"Statement": [{"Effect": "Allow", "Action": [1, {}], "Resource": "*"}]})", "Action"},
         }) {
        auto p = ParsePolicy("p", nlohmann::json::parse(b.text));
        ASSERT_FALSE(p) << b.text;
        EXPECT_NE(p.error().message.find(b.mentions), std::string::npos) << p.error().message;
    }
}

TEST(IamWildcardMatch, StarAndQuestionMark) {
    EXPECT_TRUE(WildcardMatch("*", ""));
    EXPECT_TRUE(WildcardMatch("a*b*c", "aXXbYYc"));
    EXPECT_TRUE(WildcardMatch("a*b*c", "abc"));
    EXPECT_FALSE(WildcardMatch("a*b*c", "acb"));
    EXPECT_TRUE(WildcardMatch("a?c", "abc"));
    EXPECT_FALSE(WildcardMatch("a?c", "ac"));
    EXPECT_TRUE(WildcardMatch("S3:GET*", "s3:GetObject", true));
    EXPECT_FALSE(WildcardMatch("S3:GET*", "s3:GetObject", false));
    EXPECT_TRUE(WildcardMatch("arn:aws:s3:::b/*", "arn:aws:s3:::b/"));
}

}  // namespace
}  // namespace sim::aws::iam
