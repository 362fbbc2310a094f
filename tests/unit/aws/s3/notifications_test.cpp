// S3 notification messages compared with AWS's documented format
// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html).
#include <gtest/gtest.h>

#include "sim/aws/s3/notifications/s3_notifications.hpp"

namespace sim::aws::s3::notifications {
namespace {

TEST(S3Notifications, EventSelectionFollowsWildcards) {
    EXPECT_TRUE(EventSelected("s3:ObjectCreated:*", "ObjectCreated:Put"));
    EXPECT_TRUE(EventSelected("s3:ObjectCreated:*", "ObjectCreated:CompleteMultipartUpload"));
    EXPECT_TRUE(EventSelected("s3:ObjectRemoved:Delete", "ObjectRemoved:Delete"));
    EXPECT_FALSE(EventSelected("s3:ObjectRemoved:Delete", "ObjectRemoved:DeleteMarkerCreated"));
    EXPECT_FALSE(EventSelected("s3:ObjectCreated:*", "ObjectRemoved:Delete"));
    EXPECT_FALSE(EventSelected("s3:ObjectCreated:Put", "ObjectCreated:Copy"));
}

TEST(S3Notifications, RecordsMessageHasTheDocumentedShape) {
    engine::ObjectEvent e{"ObjectCreated:Put", "batch", "cashflow/2027 01 01.csv", 1024, "0123456789abcdef", ""};
    auto msg = RecordsMessage(e, "cashflow", "ap-northeast-1", core::ParseIso8601("2027-01-01T03:00:00.5Z").value(),
                              "0000000000000001", "REQ");
    auto expected = nlohmann::ordered_json::parse(R"({"Records":[{
      "eventVersion":"2.1","eventSource":"aws:s3","awsRegion":"ap-northeast-1",
      "eventTime":"2027-01-01T03:00:00.500Z","eventName":"ObjectCreated:Put",
      "userIdentity":{"principalId":"AWS:CARDSIM"},
      "requestParameters":{"sourceIPAddress":"127.0.0.1"},
      "responseElements":{"x-amz-request-id":"REQ","x-amz-id-2":"REQ"},
      "s3":{"s3SchemaVersion":"1.0","configurationId":"cashflow",
            "bucket":{"name":"batch","ownerIdentity":{"principalId":"CARDSIM"},"arn":"arn:aws:s3:::batch"},
            "object":{"key":"cashflow/2027+01+01.csv","size":1024,"eTag":"0123456789abcdef","sequencer":"0000000000000001"}}}]})");
    EXPECT_EQ(msg, expected);
    engine::ObjectEvent d{"ObjectRemoved:Delete", "batch", "k", 0, "", "v1"};
    auto del = RecordsMessage(d, "c", "us-east-1", core::TimePoint{}, "02", "R");
    const auto& object = del["Records"][0]["s3"]["object"];
    EXPECT_FALSE(object.contains("size"));
    EXPECT_FALSE(object.contains("eTag"));
    EXPECT_EQ(object["versionId"], "v1");
}

}  // namespace
}  // namespace sim::aws::s3::notifications
