#include "sim/aws/protocol/aws_request.hpp"

#include <gtest/gtest.h>

namespace sim::aws::protocol {
namespace {

core::Request Signed(std::string service, std::string region = "ap-northeast-1") {
    core::Request r;
    r.method = "POST";
    r.headers.Set("Authorization", "AWS4-HMAC-SHA256 Credential=test/20270101/" + region + "/" + service +
                                       "/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc");
    return r;
}

TEST(DetectService, UsesTheTargetHeaderFirst) {
    core::Request r = Signed("s3");
    r.headers.Set("X-Amz-Target", "AmazonSQS.SendMessage");
    EXPECT_EQ(DetectService(r), AwsService::kSqs);
    r.headers.Set("X-Amz-Target", "AWSStepFunctions.StartExecution");
    EXPECT_EQ(DetectService(r), AwsService::kStepFunctions);
    r.headers.Set("X-Amz-Target", "AWSEvents.PutRule");
    EXPECT_EQ(DetectService(r), AwsService::kEvents);
}

TEST(DetectService, ThenTheCredentialScope) {
    EXPECT_EQ(DetectService(Signed("sqs")), AwsService::kSqs);
    EXPECT_EQ(DetectService(Signed("scheduler")), AwsService::kScheduler);
    EXPECT_EQ(DetectService(Signed("s3")), AwsService::kS3);
    EXPECT_EQ(DetectService(Signed("lambda")), AwsService::kLambda);
}

TEST(DetectService, UnsignedQueryActionsAreSqsAndEverythingElseS3) {
    core::Request form;
    form.method = "POST";
    form.headers.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8");
    form.body = "Action=SendMessage&QueueUrl=http%3A%2F%2Fx&MessageBody=hi&Version=2012-11-05";
    EXPECT_EQ(DetectService(form), AwsService::kSqs);
    core::Request get;
    get.target = "/bucket/key";
    EXPECT_EQ(DetectService(get), AwsService::kS3);
}

TEST(CredentialScope, ParsedFromHeaderOrPresignedQuery) {
    auto scope = ParseCredentialScope(Signed("sqs", "eu-west-1"));
    ASSERT_TRUE(scope.has_value());
    EXPECT_EQ(scope->access_key, "test");
    EXPECT_EQ(scope->date, "20270101");
    EXPECT_EQ(scope->region, "eu-west-1");
    EXPECT_EQ(scope->service, "sqs");
    core::Request presigned;
    presigned.target = "/b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=app-team%2F20270102%2Fus-west-2%2Fs3%2Faws4_request";
    auto p = ParseCredentialScope(presigned);
    ASSERT_TRUE(p.has_value());
    EXPECT_EQ(p->access_key, "app-team");
    EXPECT_EQ(RegionOf(presigned), "us-west-2");
    EXPECT_EQ(RegionOf(core::Request{}), "us-east-1");
}

TEST(CredentialScope, RejectsMalformedScopes) {
    core::Request r;
    r.headers.Set("Authorization", "AWS4-HMAC-SHA256 Credential=test/20270101/us-east-1, Signature=x");
    EXPECT_FALSE(ParseCredentialScope(r).has_value());
}

TEST(ParseForm, DecodesPairsAndPlusAsSpace) {
    auto f = ParseForm("Action=SendMessage&MessageBody=hello+world%21&Empty=&Flag");
    EXPECT_EQ(f.at("Action"), "SendMessage");
    EXPECT_EQ(f.at("MessageBody"), "hello world!");
    EXPECT_EQ(f.at("Empty"), "");
    EXPECT_EQ(f.at("Flag"), "");
}

}  // namespace
}  // namespace sim::aws::protocol
