#include "sim/aws/protocol/xml.hpp"

#include <gtest/gtest.h>

#include "sim/aws/protocol/errors.hpp"

namespace sim::aws::protocol {
namespace {

TEST(XmlWriter, NestsAndEscapes) {
    XmlWriter w;
    w.Declaration().Open("ListBucketResult", "http://s3.amazonaws.com/doc/2006-03-01/").Element("Key", "a<b>&\"c'");
    w.Open("Contents").Element("Size", "0");
    std::string doc = w.Finish();
    EXPECT_EQ(doc,
              "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
              "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
              "<Key>a&lt;b&gt;&amp;&quot;c&apos;</Key><Contents><Size>0</Size></Contents></ListBucketResult>");
}

TEST(XmlParser, ReadsElementsAttributesTextAndEntities) {
    auto doc = ParseXml(R"(<?xml version="1.0"?>
        <!-- a comment -->
        <Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
          <Object><Key>a &amp; b &#x263A; &#65;</Key></Object>
          <Object><Key><![CDATA[<raw>]]></Key><VersionId>v1</VersionId></Object>
          <Quiet>true</Quiet>
        </Delete>)");
    ASSERT_TRUE(doc.ok()) << doc.error().message;
    EXPECT_EQ(doc->name, "Delete");
    EXPECT_EQ(doc->attributes.at(0).second, "http://s3.amazonaws.com/doc/2006-03-01/");
    auto objects = doc->Children("Object");
    ASSERT_EQ(objects.size(), 2u);
    EXPECT_EQ(objects[0]->ChildText("Key").value(), "a & b \xE2\x98\xBA A");
    EXPECT_EQ(objects[1]->ChildText("Key").value(), "<raw>");
    EXPECT_EQ(objects[1]->ChildText("VersionId").value(), "v1");
    EXPECT_EQ(doc->ChildText("Quiet").value(), "true");
    EXPECT_FALSE(doc->ChildText("Missing").has_value());
}

TEST(XmlParser, MatchesChildrenByLocalName) {
    auto doc = ParseXml("<s:Tagging xmlns:s=\"x\"><s:TagSet/></s:Tagging>");
    ASSERT_TRUE(doc.ok());
    EXPECT_NE(doc->Child("TagSet"), nullptr);
}

TEST(XmlParser, RejectsMalformedDocuments) {
    for (const char* bad : {"", "plain text", "<a>", "<a></b>", "<a><b></a></b>", "<a x=1></a>", "<a>&bogus;</a>",
                            "<a></a><b></b>", "<a>&#xZZ;</a>"}) {
        auto doc = ParseXml(bad);
        EXPECT_FALSE(doc.ok()) << bad;
    }
    std::string deep;
    for (int i = 0; i < 100; ++i) deep += "<a>";
    EXPECT_FALSE(ParseXml(deep).ok());
}

TEST(XmlParser, RoundTripsWhatTheWriterEscapes) {
    std::string text = "tab\tcr\rlt<amp&quote\"";
    XmlWriter w;
    w.Element("T", text);
    auto doc = ParseXml(w.Finish());
    ASSERT_TRUE(doc.ok());
    EXPECT_EQ(doc->text, text);
}

TEST(AwsErrors, RenderEachProtocolsShape) {
    auto json = JsonError(400, "com.amazonaws.sqs#QueueDoesNotExist", "The specified queue does not exist.", "rid-1",
                          "AWS.SimpleQueueService.NonExistentQueue;Sender");
    EXPECT_EQ(json.status, 400);
    EXPECT_EQ(json.body, R"({"__type":"com.amazonaws.sqs#QueueDoesNotExist","message":"The specified queue does not exist."})");
    EXPECT_EQ(*json.headers.Get("x-amzn-query-error"), "AWS.SimpleQueueService.NonExistentQueue;Sender");

    auto query = QueryXmlError(500, "InternalError", "boom", "rid-2");
    auto parsed = ParseXml(query.body);
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(parsed->Child("Error")->ChildText("Type").value(), "Receiver");
    EXPECT_EQ(parsed->Child("Error")->ChildText("Code").value(), "InternalError");
    EXPECT_EQ(parsed->ChildText("RequestId").value(), "rid-2");

    auto rest = RestXmlError(404, "NoSuchKey", "The specified key does not exist.", "/b/k", "rid-3");
    auto s3 = ParseXml(rest.body);
    ASSERT_TRUE(s3.ok());
    EXPECT_EQ(s3->name, "Error");
    EXPECT_EQ(s3->ChildText("Resource").value(), "/b/k");
    EXPECT_EQ(*rest.headers.Get("x-amz-request-id"), "rid-3");
    EXPECT_TRUE(RestXmlError(404, "NoSuchKey", "m", "/b/k", "rid", /*head=*/true).body.empty());
}

}  // namespace
}  // namespace sim::aws::protocol
