#include "sim/aws/s3/api/s3_api.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <optional>

#include "sim/clock/virtual_clock.hpp"
#include "sim/core/manual_loop.hpp"
#include "sim/store/group_commit.hpp"

namespace sim::aws::s3::api {
namespace {

namespace fs = std::filesystem;

class S3ApiTest : public ::testing::Test {
protected:
    void SetUp() override {
        root_ = fs::temp_directory_path() / ("cardsim-s3-api-test-" + std::to_string(::getpid()));
        fs::remove_all(root_);
        db_ = std::move(store::Database::Open(":memory:").value());
        group_ = std::make_unique<store::GroupCommit>(loop_);
        engine::EngineOptions options;
        options.root = root_;
        engine_ = std::make_unique<engine::S3Engine>(*db_, *group_, clock_, options);
        group_->Attach(*db_);
        api_ = std::make_unique<S3Api>(*engine_, clock_);
    }
    void TearDown() override {
        clock_.RunToQuiescence();
        api_.reset();
        engine_.reset();
        group_->Detach(*db_);
        group_.reset();
        db_.reset();
        fs::remove_all(root_);
    }
    core::Response Call(core::Request request) {
        std::optional<core::Response> answer;
        api_->Handle(std::move(request), [&](core::Response r) { answer = std::move(r); });
        clock_.RunToQuiescence();
        EXPECT_TRUE(answer);
        return answer.value_or(core::Response{});
    }

    fs::path root_;
    core::ManualLoop loop_;
    clock::VirtualClock clock_{loop_, core::ParseIso8601("2027-01-01T00:00:00Z").value()};
    std::unique_ptr<store::Database> db_;
    std::unique_ptr<store::GroupCommit> group_;
    std::unique_ptr<engine::S3Engine> engine_;
    std::unique_ptr<S3Api> api_;
};

TEST_F(S3ApiTest, AnInProcessPutDeclaringTooLargeAPayloadIsRefusedWithItsOwnRequestId) {
    core::Request put;
    put.method = "PUT";
    put.target = "/bkt/huge";
    put.headers.Set("Content-Encoding", "aws-chunked");
    put.headers.Set("x-amz-decoded-content-length", std::to_string(engine_->options().max_object_bytes + 1));
    put.body = "0\r\n\r\n";
    core::Response r = Call(put);
    EXPECT_EQ(r.status, 400);
    EXPECT_NE(r.body.find("<Code>EntityTooLarge</Code>"), std::string::npos) << r.body;
    auto id = r.headers.Get("x-amz-request-id");
    ASSERT_TRUE(id);
    EXPECT_NE(r.body.find("<RequestId>" + std::string(*id) + "</RequestId>"), std::string::npos) << r.body;
}

}  // namespace
}  // namespace sim::aws::s3::api
