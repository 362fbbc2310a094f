#include "sim/aws/s3/engine/s3_engine.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

#include "sim/clock/virtual_clock.hpp"
#include "sim/core/manual_loop.hpp"

namespace sim::aws::s3::engine {
namespace {

namespace fs = std::filesystem;

class S3EngineTest : public ::testing::Test {
protected:
    void SetUp() override {
        root_ = fs::temp_directory_path() / ("cardsim-s3-test-" + std::to_string(::getpid()) + "-" +
                                             ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(root_);
        fs::create_directories(root_);
        Open(":memory:");
    }
    void TearDown() override {
        Close();
        fs::remove_all(root_);
    }
    void Open(const std::string& db_path) {
        db_ = std::move(store::Database::Open(db_path).value());
        group_ = std::make_unique<store::GroupCommit>(loop_);
        EngineOptions options;
        options.root = root_ / "bodies";
        options.min_part_bytes = 10;  // small parts keep the tests small
        options.inline_body_bytes = inline_bytes_;
        engine_ = std::make_unique<S3Engine>(*db_, *group_, clock_, options);
        group_->Attach(*db_);
    }
    void Close() {
        Settle();
        engine_.reset();
        if (group_) group_->Detach(*db_);
        group_.reset();
        db_.reset();
    }
    void Settle() { clock_.RunToQuiescence(); }
    /// Reopens the engine storing every body as a file (the tests of the file life cycle).
    void UseFilesForAllBodies() {
        Close();
        inline_bytes_ = 0;
        Open(":memory:");
    }

    BodyWriter Body(std::string_view data, std::optional<ChecksumAlgorithm> a = std::nullopt) {
        BodyWriter w = engine_->NewBody(a);
        w.Write(data);
        return w;
    }
    ObjectVersion Put(const std::string& bucket, const std::string& key, std::string_view data) {
        PutObjectInput in;
        in.bucket = bucket;
        in.key = key;
        auto r = engine_->PutObject(in, Body(data));
        Settle();
        EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
        return r.value();
    }
    static std::string Read(const ObjectVersion& v) {
        if (v.inline_body) return *v.inline_body;
        std::ifstream in(v.body_path, std::ios::binary);
        return std::string(std::istreambuf_iterator<char>(in), {});
    }
    std::size_t FilesUnder(const fs::path& dir) const {
        std::size_t n = 0;
        std::error_code ec;
        for (const auto& e : fs::recursive_directory_iterator(dir, ec)) n += e.is_regular_file() ? 1 : 0;
        return n;
    }
    std::vector<std::string> Keys(const ListPage& page) const {
        std::vector<std::string> out;
        for (const auto& o : page.objects) out.push_back(o.key);
        return out;
    }

    fs::path root_;
    std::size_t inline_bytes_ = EngineOptions{}.inline_body_bytes;
    core::ManualLoop loop_;
    clock::VirtualClock clock_{loop_, core::ParseIso8601("2027-01-01T00:00:00Z").value()};
    std::unique_ptr<store::Database> db_;
    std::unique_ptr<store::GroupCommit> group_;
    std::unique_ptr<S3Engine> engine_;
};

TEST_F(S3EngineTest, PutThenGetReturnsBodyEtagAndClockTime) {
    ASSERT_TRUE(engine_->CreateBucket("batch", "").ok());
    clock_.Advance(std::chrono::hours(5));
    auto v = Put("batch", "cashflow/2027-01-01.csv", "a,b\n1,2\n");
    auto got = engine_->GetObject("batch", "cashflow/2027-01-01.csv");
    ASSERT_TRUE(got.ok());
    EXPECT_EQ(Read(*got), "a,b\n1,2\n");
    EXPECT_EQ(got->etag, HexEncode(Md5Of("a,b\n1,2\n")));
    EXPECT_EQ(got->version_id, "null");
    EXPECT_EQ(got->last_modified, clock_.Now());
    EXPECT_EQ(engine_->GetObject("batch", "missing").error().kind, S3ErrorKind::kKeyNotFound);
    EXPECT_EQ(engine_->GetObject("nobucket", "k").error().kind, S3ErrorKind::kBucketNotFound);
}

TEST_F(S3EngineTest, BucketRules) {
    EXPECT_EQ(engine_->CreateBucket("Bad_Name", "").error().kind, S3ErrorKind::kInvalidBucketName);
    EXPECT_EQ(engine_->CreateBucket("192.168.0.1", "").error().kind, S3ErrorKind::kInvalidBucketName);
    ASSERT_TRUE(engine_->CreateBucket("my.bucket-1", "eu-west-1").ok());
    EXPECT_EQ(engine_->GetBucket("my.bucket-1")->region, "eu-west-1");
    EXPECT_EQ(engine_->CreateBucket("my.bucket-1", "").error().kind, S3ErrorKind::kBucketAlreadyOwned);
    Put("my.bucket-1", "k", "x");
    EXPECT_EQ(engine_->DeleteBucket("my.bucket-1").error().kind, S3ErrorKind::kBucketNotEmpty);
    ASSERT_TRUE(engine_->DeleteObject("my.bucket-1", "k").ok());
    ASSERT_TRUE(engine_->DeleteBucket("my.bucket-1").ok());
    EXPECT_TRUE(engine_->ListBuckets().empty());
}

TEST_F(S3EngineTest, OverwriteDeletesTheOldBodyOnlyAfterCommit) {
    UseFilesForAllBodies();
    ASSERT_TRUE(engine_->CreateBucket("bkt", "").ok());
    auto first = Put("bkt", "k", "one");
    PutObjectInput in{"bkt", "k", {}, {}, {}, {}, {}};
    auto second = engine_->PutObject(in, Body("two"));
    ASSERT_TRUE(second.ok());
    EXPECT_TRUE(fs::exists(first.body_path));  // batch not committed yet: the old body stays
    Settle();
    EXPECT_FALSE(fs::exists(first.body_path));
    EXPECT_EQ(Read(*engine_->GetObject("bkt", "k")), "two");
    EXPECT_EQ(FilesUnder(root_ / "bodies" / "blobs"), 1u);
    EXPECT_EQ(FilesUnder(root_ / "bodies" / "tmp"), 0u);
}

TEST_F(S3EngineTest, BadDigestKeepsThePreviousObjectAndLeavesNoFile) {
    UseFilesForAllBodies();
    ASSERT_TRUE(engine_->CreateBucket("bkt", "").ok());
    Put("bkt", "k", "original");
    PutObjectInput in{"bkt", "k", {}, {}, {}, {}, {}};
    in.expect.md5 = Md5Of("something else");
    EXPECT_EQ(engine_->PutObject(in, Body("new")).error().kind, S3ErrorKind::kBadDigest);
    in.expect.md5.reset();
    in.expect.checksum = Base64Encode(DigestOf(ChecksumAlgorithm::kCrc32c, "other"));
    EXPECT_EQ(engine_->PutObject(in, Body("new", ChecksumAlgorithm::kCrc32c)).error().kind, S3ErrorKind::kBadDigest);
    Settle();
    EXPECT_EQ(Read(*engine_->GetObject("bkt", "k")), "original");
    EXPECT_EQ(FilesUnder(root_ / "bodies"), 1u);
}

TEST_F(S3EngineTest, ChecksumIsStoredWithTheObject) {
    ASSERT_TRUE(engine_->CreateBucket("bkt", "").ok());
    PutObjectInput in{"bkt", "k", {}, {}, {}, {}, {}};
    in.expect.checksum = Base64Encode(DigestOf(ChecksumAlgorithm::kSha256, "data"));
    auto v = engine_->PutObject(in, Body("data", ChecksumAlgorithm::kSha256));
    ASSERT_TRUE(v.ok());
    Settle();
    auto got = engine_->GetObject("bkt", "k");
    ASSERT_TRUE(got->checksum);
    EXPECT_EQ(got->checksum->algorithm, ChecksumAlgorithm::kSha256);
    EXPECT_EQ(got->checksum->value, *in.expect.checksum);
}

TEST_F(S3EngineTest, ConditionalWrites) {
    ASSERT_TRUE(engine_->CreateBucket("bkt", "").ok());
    PutObjectInput in{"bkt", "k", {}, {}, {}, {}, {}};
    in.conditions.if_none_match_any = true;
    ASSERT_TRUE(engine_->PutObject(in, Body("1")).ok());
    Settle();
    EXPECT_EQ(engine_->PutObject(in, Body("2")).error().kind, S3ErrorKind::kPreconditionFailed);
    in.conditions = {};
    in.conditions.if_match = "\"" + HexEncode(Md5Of("1")) + "\"";
    EXPECT_TRUE(engine_->PutObject(in, Body("2")).ok());
    Settle();
    EXPECT_EQ(engine_->PutObject(in, Body("3")).error().kind, S3ErrorKind::kPreconditionFailed);
    in.key = "absent";
    EXPECT_EQ(engine_->PutObject(in, Body("3")).error().kind, S3ErrorKind::kKeyNotFound);
}

TEST_F(S3EngineTest, ReadConditionsFollowS3Precedence) {
    ObjectVersion v;
    v.etag = "abc";
    v.last_modified = core::ParseIso8601("2027-01-01T00:00:00Z").value();
    auto before = v.last_modified - std::chrono::hours(1);
    auto after = v.last_modified + std::chrono::hours(1);
    EXPECT_EQ(Evaluate({"\"abc\"", {}, {}, {}}, v), ConditionOutcome::kProceed);
    EXPECT_EQ(Evaluate({"\"x\", \"abc\"", {}, {}, {}}, v), ConditionOutcome::kProceed);
    EXPECT_EQ(Evaluate({"\"x\"", {}, {}, {}}, v), ConditionOutcome::kPreconditionFailed);
    EXPECT_EQ(Evaluate({{}, "\"abc\"", {}, {}}, v), ConditionOutcome::kNotModified);
    EXPECT_EQ(Evaluate({{}, {}, after, {}}, v), ConditionOutcome::kNotModified);
    EXPECT_EQ(Evaluate({{}, {}, before, {}}, v), ConditionOutcome::kProceed);
    EXPECT_EQ(Evaluate({{}, {}, {}, before}, v), ConditionOutcome::kPreconditionFailed);
    // If-Match true wins over If-Unmodified-Since false (RFC 7232 §6, as S3 documents).
    EXPECT_EQ(Evaluate({"\"abc\"", {}, {}, before}, v), ConditionOutcome::kProceed);
    EXPECT_EQ(Evaluate({"*", {}, {}, {}}, v), ConditionOutcome::kProceed);
}

TEST_F(S3EngineTest, VersionsAndDeleteMarkers) {
    ASSERT_TRUE(engine_->CreateBucket("bkt", "").ok());
    ASSERT_TRUE(engine_->SetVersioning("bkt", Versioning::kEnabled).ok());
    auto v1 = Put("bkt", "k", "one");
    auto v2 = Put("bkt", "k", "two");
    EXPECT_NE(v1.version_id, v2.version_id);
    EXPECT_EQ(Read(*engine_->GetObject("bkt", "k", v1.version_id)), "one");
    auto marker = engine_->DeleteObject("bkt", "k");
    ASSERT_TRUE(marker.ok());
    Settle();
    EXPECT_TRUE(marker->delete_marker);
    auto gone = engine_->GetObject("bkt", "k");
    EXPECT_EQ(gone.error().kind, S3ErrorKind::kKeyNotFound);
    EXPECT_TRUE(gone.error().delete_marker);
    EXPECT_EQ(engine_->GetObject("bkt", "k", marker->version_id).error().kind, S3ErrorKind::kDeleteMarkerTarget);
    EXPECT_TRUE(engine_->ListObjects("bkt", {}).value().objects.empty());
    auto versions = engine_->ListObjectVersions("bkt", {});
    ASSERT_EQ(versions->versions.size(), 3u);
    EXPECT_TRUE(versions->versions[0].is_delete_marker);
    EXPECT_TRUE(versions->versions[0].is_latest);
    ASSERT_TRUE(engine_->DeleteObject("bkt", "k", marker->version_id).ok());
    Settle();
    EXPECT_EQ(Read(*engine_->GetObject("bkt", "k")), "two");
    ASSERT_TRUE(engine_->DeleteObject("bkt", "k", v2.version_id).ok());
    Settle();
    EXPECT_EQ(Read(*engine_->GetObject("bkt", "k")), "one");
    EXPECT_FALSE(fs::exists(v2.body_path));
}

TEST_F(S3EngineTest, ListingWithPrefixDelimiterAndPages) {
    ASSERT_TRUE(engine_->CreateBucket("bkt", "").ok());
    for (const char* k : {"a", "d/1", "d/2", "d/e/3", "f/x", "z"}) Put("bkt", k, "x");
    auto all = engine_->ListObjects("bkt", {});
    EXPECT_EQ(Keys(*all), (std::vector<std::string>{"a", "d/1", "d/2", "d/e/3", "f/x", "z"}));
    auto top = engine_->ListObjects("bkt", {"", "/", "", 1000});
    EXPECT_EQ(top->common_prefixes, (std::vector<std::string>{"d/", "f/"}));
    auto in_d = engine_->ListObjects("bkt", {"d/", "/", "", 1000});
    EXPECT_EQ(in_d->common_prefixes, (std::vector<std::string>{"d/e/"}));
    // Pages of two entries, keys and common prefixes counted alike, continuing from next_marker.
    std::vector<std::string> seen;
    std::string marker;
    for (int pages = 0; pages < 10; ++pages) {
        auto page = engine_->ListObjects("bkt", {"", "/", marker, 2});
        ASSERT_TRUE(page.ok());
        EXPECT_LE(page->objects.size(), 2u);
        for (const auto& o : page->objects) seen.push_back(o.key);
        if (!page->truncated) break;
        marker = page->next_marker;
    }
    EXPECT_EQ(seen, (std::vector<std::string>{"a", "d/", "f/", "z"}));
}

TEST_F(S3EngineTest, MultipartEtagIsMd5OfPartMd5s) {
    ASSERT_TRUE(engine_->CreateBucket("bkt", "").ok());
    CreateUploadInput in;
    in.bucket = "bkt";
    in.key = "big";
    in.checksum_algorithm = ChecksumAlgorithm::kCrc32;
    auto u = engine_->CreateMultipartUpload(in);
    ASSERT_TRUE(u.ok());
    std::string p1(20, 'a'), p2 = "tail";
    auto e1 = engine_->UploadPart("bkt", "big", u->upload_id, 1, Body(p1, ChecksumAlgorithm::kCrc32), {});
    auto e2 = engine_->UploadPart("bkt", "big", u->upload_id, 2, Body(p2, ChecksumAlgorithm::kCrc32), {});
    ASSERT_TRUE(e1.ok() && e2.ok());
    Settle();
    EXPECT_EQ(engine_->CompleteMultipartUpload("bkt", "big", u->upload_id, {{2, e2->etag, {}}, {1, e1->etag, {}}})
                  .error()
                  .kind,
              S3ErrorKind::kInvalidPartOrder);
    EXPECT_EQ(engine_->CompleteMultipartUpload("bkt", "big", u->upload_id, {{1, "wrong", {}}, {2, e2->etag, {}}})
                  .error()
                  .kind,
              S3ErrorKind::kInvalidPart);
    auto done = engine_->CompleteMultipartUpload("bkt", "big", u->upload_id, {{1, e1->etag, {}}, {2, e2->etag, {}}});
    ASSERT_TRUE(done.ok());
    Settle();
    EXPECT_EQ(done->etag, HexEncode(Md5Of(Md5Of(p1) + Md5Of(p2))) + "-2");
    ASSERT_TRUE(done->checksum);
    EXPECT_EQ(done->checksum->value, Base64Encode(DigestOf(ChecksumAlgorithm::kCrc32,
                                                           DigestOf(ChecksumAlgorithm::kCrc32, p1) +
                                                               DigestOf(ChecksumAlgorithm::kCrc32, p2))) +
                                         "-2");
    EXPECT_EQ(Read(*engine_->GetObject("bkt", "big")), p1 + p2);
    EXPECT_EQ(engine_->ListParts("bkt", "big", u->upload_id, 0, 10).error().kind, S3ErrorKind::kUploadNotFound);
    EXPECT_EQ(FilesUnder(root_ / "bodies"), 0u);  // part files are gone; the 24-byte result is in its row
}

TEST_F(S3EngineTest, SmallPartsAreRejectedAndAbortLeavesNoTrace) {
    ASSERT_TRUE(engine_->CreateBucket("bkt", "").ok());
    auto u = engine_->CreateMultipartUpload({"bkt", "k", {}, {}, {}, std::nullopt, false});
    auto e1 = engine_->UploadPart("bkt", "k", u->upload_id, 1, Body("tiny"), {});
    auto e2 = engine_->UploadPart("bkt", "k", u->upload_id, 2, Body("tiny"), {});
    Settle();
    EXPECT_EQ(engine_->CompleteMultipartUpload("bkt", "k", u->upload_id, {{1, e1->etag, {}}, {2, e2->etag, {}}})
                  .error()
                  .kind,
              S3ErrorKind::kEntityTooSmall);
    EXPECT_EQ(engine_->UploadPart("bkt", "k", u->upload_id, 0, Body("x"), {}).error().kind,
              S3ErrorKind::kInvalidArgument);
    ASSERT_TRUE(engine_->AbortMultipartUpload("bkt", "k", u->upload_id).ok());
    Settle();
    EXPECT_EQ(FilesUnder(root_ / "bodies"), 0u);
    EXPECT_EQ(engine_->GetObject("bkt", "k").error().kind, S3ErrorKind::kKeyNotFound);
}

TEST_F(S3EngineTest, StateSurvivesReopeningTheDatabase) {
    Close();
    Open((root_ / "s3.db").string());
    ASSERT_TRUE(engine_->CreateBucket("bkt", "").ok());
    ASSERT_TRUE(engine_->SetVersioning("bkt", Versioning::kEnabled).ok());
    auto v1 = Put("bkt", "k", "one");
    auto v2 = Put("bkt", "k", "two");
    // An orphan body (renamed into place, its row never committed) is swept on open.
    fs::path orphan = root_ / "bodies" / "blobs" / "zz" / "zzorphan";
    fs::create_directories(orphan.parent_path());
    std::ofstream(orphan) << "orphan";
    Close();
    Open((root_ / "s3.db").string());
    EXPECT_EQ(Read(*engine_->GetObject("bkt", "k")), "two");
    EXPECT_EQ(Read(*engine_->GetObject("bkt", "k", v1.version_id)), "one");
    EXPECT_FALSE(fs::exists(orphan));
    auto v3 = Put("bkt", "k", "three");
    EXPECT_NE(v3.version_id, v1.version_id);
    EXPECT_NE(v3.version_id, v2.version_id);
}

TEST_F(S3EngineTest, CopyKeepsOrReplacesMetadataAndRefusesSelfCopyWithoutChange) {
    ASSERT_TRUE(engine_->CreateBucket("bkt", "").ok());
    PutObjectInput in{"bkt", "src", {}, {{"owner", "ops"}}, {}, {}, {}};
    in.content.content_type = "text/csv";
    ASSERT_TRUE(engine_->PutObject(in, Body("payload")).ok());
    Settle();
    CopyObjectInput c;
    c.source_bucket = "bkt";
    c.source_key = "src";
    c.bucket = "bkt";
    c.key = "dst";
    auto copied = engine_->CopyObject(c);
    ASSERT_TRUE(copied.ok());
    Settle();
    EXPECT_EQ(copied->object.content.content_type, "text/csv");
    EXPECT_EQ(Read(*engine_->GetObject("bkt", "dst")), "payload");
    c.key = "src";
    EXPECT_EQ(engine_->CopyObject(c).error().kind, S3ErrorKind::kInvalidRequest);
    c.replace_metadata = true;
    c.metadata = {{"new", "1"}};
    ASSERT_TRUE(engine_->CopyObject(c).ok());
    Settle();
    EXPECT_EQ(engine_->GetObject("bkt", "src")->metadata, (Metadata{{"new", "1"}}));
    EXPECT_EQ(Read(*engine_->GetObject("bkt", "dst")), "payload");
    c.source_conditions.if_match = "\"nope\"";
    c.key = "dst2";
    EXPECT_EQ(engine_->CopyObject(c).error().kind, S3ErrorKind::kPreconditionFailed);
}

TEST_F(S3EngineTest, ResetRemovesEverything) {
    ASSERT_TRUE(engine_->CreateBucket("bkt", "").ok());
    Put("bkt", "k", "x");
    engine_->Reset();
    Settle();
    EXPECT_TRUE(engine_->ListBuckets().empty());
    EXPECT_EQ(FilesUnder(root_ / "bodies"), 0u);
}

TEST_F(S3EngineTest, ObserverHearsEveryObjectChange) {
    std::vector<ObjectEvent> seen;
    engine_->SetObjectObserver([&](const ObjectEvent& e) { seen.push_back(e); });
    ASSERT_TRUE(engine_->CreateBucket("bkt", "us-east-1").ok());
    Put("bkt", "in/a.csv", "hello");
    CopyObjectInput copy;
    copy.source_bucket = "bkt";
    copy.source_key = "in/a.csv";
    copy.bucket = "bkt";
    copy.key = "in/b.csv";
    ASSERT_TRUE(engine_->CopyObject(copy).ok());
    ASSERT_TRUE(engine_->DeleteObject("bkt", "in/a.csv").ok());
    PutObjectInput bad;
    bad.bucket = "missing";
    bad.key = "k";
    EXPECT_FALSE(engine_->PutObject(bad, Body("x")).ok());  // failures are not reported
    ASSERT_EQ(seen.size(), 3u);
    EXPECT_EQ(seen[0].name, "ObjectCreated:Put");
    EXPECT_EQ(seen[0].key, "in/a.csv");
    EXPECT_EQ(seen[0].size, 5u);
    EXPECT_EQ(seen[0].etag, "5d41402abc4b2a76b9719d911017c592");
    EXPECT_EQ(seen[0].version_id, "");
    EXPECT_EQ(seen[1].name, "ObjectCreated:Copy");
    EXPECT_EQ(seen[1].key, "in/b.csv");
    EXPECT_EQ(seen[2].name, "ObjectRemoved:Delete");
    ASSERT_TRUE(engine_->SetVersioning("bkt", Versioning::kEnabled).ok());
    ASSERT_TRUE(engine_->DeleteObject("bkt", "in/b.csv").ok());
    EXPECT_EQ(seen.back().name, "ObjectRemoved:DeleteMarkerCreated");
}

TEST_F(S3EngineTest, SmallBodiesLiveInTheRowLargerOnesInFiles) {
    ASSERT_TRUE(engine_->CreateBucket("bkt", "").ok());
    std::string limit(inline_bytes_, 's'), above(inline_bytes_ + 1, 'l');
    auto small = Put("bkt", "small", limit);
    EXPECT_TRUE(small.inline_body);
    EXPECT_TRUE(small.body_path.empty());
    EXPECT_EQ(FilesUnder(root_ / "bodies"), 0u);
    auto large = Put("bkt", "large", above);
    EXPECT_FALSE(large.inline_body);
    EXPECT_EQ(FilesUnder(root_ / "bodies" / "blobs"), 1u);
    EXPECT_EQ(Read(*engine_->GetObject("bkt", "small")), limit);
    EXPECT_EQ(Read(*engine_->GetObject("bkt", "large")), above);
    EXPECT_EQ(engine_->GetObject("bkt", "small")->etag, HexEncode(Md5Of(limit)));
    // Listings do not carry bodies.
    auto listed = engine_->ListObjects("bkt", {});  // kept: a range-for over a temporary's member dangles
    ASSERT_TRUE(listed.ok());
    for (const auto& o : listed->objects) EXPECT_FALSE(o.inline_body);
    // A small body replacing a file-backed one removes the file once committed; empty bodies are inline too.
    Put("bkt", "large", "now small");
    EXPECT_EQ(FilesUnder(root_ / "bodies"), 0u);
    EXPECT_EQ(Read(*engine_->GetObject("bkt", "large")), "now small");
    auto empty = Put("bkt", "empty", "");
    EXPECT_EQ(*engine_->GetObject("bkt", "empty")->inline_body, "");
    EXPECT_EQ(empty.etag, HexEncode(Md5Of("")));
}

TEST_F(S3EngineTest, InlineBodiesAreCopiedAndServeAsPartCopySources) {
    ASSERT_TRUE(engine_->CreateBucket("bkt", "").ok());
    std::string data = "0123456789abcdefghij";
    Put("bkt", "src", data);
    CopyObjectInput c;
    c.source_bucket = "bkt";
    c.source_key = "src";
    c.bucket = "bkt";
    c.key = "dst";
    c.checksum_algorithm = ChecksumAlgorithm::kCrc32;  // re-reads the bytes
    auto copied = engine_->CopyObject(c);
    ASSERT_TRUE(copied.ok());
    Settle();
    EXPECT_EQ(Read(*engine_->GetObject("bkt", "dst")), data);
    EXPECT_EQ(copied->object.checksum->value, Base64Encode(DigestOf(ChecksumAlgorithm::kCrc32, data)));
    auto u = engine_->CreateMultipartUpload({"bkt", "mp", {}, {}, {}, std::nullopt, false});
    auto src = engine_->GetObject("bkt", "src");
    auto part = engine_->UploadPartCopy("bkt", "mp", u->upload_id, 1, *src, std::make_pair(std::uint64_t{2}, std::uint64_t{11}));
    ASSERT_TRUE(part.ok());
    Settle();
    EXPECT_EQ(FilesUnder(root_ / "bodies" / "blobs"), 1u);  // parts are always files
    auto done = engine_->CompleteMultipartUpload("bkt", "mp", u->upload_id, {{1, part->etag, {}}});
    ASSERT_TRUE(done.ok());
    Settle();
    EXPECT_EQ(Read(*engine_->GetObject("bkt", "mp")), "23456789ab");
    EXPECT_EQ(FilesUnder(root_ / "bodies"), 0u);
}

TEST_F(S3EngineTest, ALargeSpooledFileIsTakenAsTheBodyInsteadOfCopied) {
    ASSERT_TRUE(engine_->CreateBucket("bkt", "").ok());
    fs::path spool = root_ / "spool.body";
    std::string data(inline_bytes_ + 100, 'z');
    std::ofstream(spool, std::ios::binary) << data;
    BodyWriter w = engine_->NewBody(ChecksumAlgorithm::kSha256);
    w.Append(spool, 0, data.size(), /*take_file=*/true);
    PutObjectInput in{"bkt", "k", {}, {}, {}, {}, {}};
    in.expect.md5 = Md5Of(data);
    auto v = engine_->PutObject(in, std::move(w));
    ASSERT_TRUE(v.ok());
    Settle();
    EXPECT_FALSE(fs::exists(spool));  // renamed into place
    EXPECT_EQ(Read(*engine_->GetObject("bkt", "k")), data);
    EXPECT_EQ(v->checksum->value, Base64Encode(DigestOf(ChecksumAlgorithm::kSha256, data)));
    // A slice, or a file small enough for the row, is copied and the original left alone.
    std::ofstream(spool, std::ios::binary) << "tiny";
    BodyWriter small = engine_->NewBody();
    small.Append(spool, 1, 2, /*take_file=*/true);
    ASSERT_TRUE(engine_->PutObject({"bkt", "s", {}, {}, {}, {}, {}}, std::move(small)).ok());
    Settle();
    EXPECT_TRUE(fs::exists(spool));
    EXPECT_EQ(Read(*engine_->GetObject("bkt", "s")), "in");
}

TEST_F(S3EngineTest, ACompletionAssembledOffTheLoopIsCheckedAgainBeforeItCommits) {
    ASSERT_TRUE(engine_->CreateBucket("bkt", "").ok());
    auto u = engine_->CreateMultipartUpload({"bkt", "k", {}, {}, {}, std::nullopt, false});
    std::string p1(100 * 1024, 'a'), p2 = "tail";
    auto e1 = engine_->UploadPart("bkt", "k", u->upload_id, 1, Body(p1), {});
    auto e2 = engine_->UploadPart("bkt", "k", u->upload_id, 2, Body(p2), {});
    Settle();
    std::vector<CompletePart> parts{{1, e1->etag, {}}, {2, e2->etag, {}}};
    // Prepared, assembled (as the body pool would), then the upload is aborted: nothing is created.
    auto pending = engine_->PrepareCompleteMultipartUpload("bkt", "k", u->upload_id, parts);
    ASSERT_TRUE(pending.ok());
    EXPECT_EQ(pending->size(), p1.size() + p2.size());
    pending->Assemble();
    // A part uploaded again meanwhile (same bytes, new file): the assembled body is not the one asked for.
    ASSERT_TRUE(engine_->UploadPart("bkt", "k", u->upload_id, 2, Body(p2), {}).ok());
    Settle();
    EXPECT_EQ(engine_->FinishCompleteMultipartUpload(std::move(pending).value()).error().kind, S3ErrorKind::kInvalidPart);
    auto again = engine_->PrepareCompleteMultipartUpload("bkt", "k", u->upload_id, parts);
    ASSERT_TRUE(again.ok());
    again->Assemble();
    ASSERT_TRUE(engine_->AbortMultipartUpload("bkt", "k", u->upload_id).ok());
    Settle();
    EXPECT_EQ(engine_->FinishCompleteMultipartUpload(std::move(again).value()).error().kind, S3ErrorKind::kUploadNotFound);
    Settle();
    EXPECT_EQ(engine_->GetObject("bkt", "k").error().kind, S3ErrorKind::kKeyNotFound);
    EXPECT_EQ(FilesUnder(root_ / "bodies"), 0u);
}

TEST_F(S3EngineTest, APartCopyIsCheckedWhenPreparedAndStoredByUploadPart) {
    ASSERT_TRUE(engine_->CreateBucket("bkt", "").ok());
    std::string data(100 * 1024, 'q');
    data[7] = 'X';
    Put("bkt", "src", data);
    auto src = engine_->GetObject("bkt", "src");
    auto u = engine_->CreateMultipartUpload({"bkt", "k", {}, {}, {}, std::nullopt, false});
    EXPECT_EQ(engine_->PrepareUploadPartCopy("bkt", "k", u->upload_id, 1, *src, std::make_pair(std::uint64_t{5},
                                                                                              std::uint64_t{data.size()}))
                  .error()
                  .kind,
              S3ErrorKind::kInvalidArgument);
    EXPECT_EQ(engine_->PrepareUploadPartCopy("bkt", "k", "nope", 1, *src, std::nullopt).error().kind,
              S3ErrorKind::kUploadNotFound);
    auto pending = engine_->PrepareUploadPartCopy("bkt", "k", u->upload_id, 1, *src, std::make_pair(std::uint64_t{5},
                                                                                                  std::uint64_t{9}));
    ASSERT_TRUE(pending.ok());
    EXPECT_EQ(pending->size(), 5u);
    pending->Copy();  // as the body pool would
    auto part = engine_->UploadPart("bkt", "k", u->upload_id, 1, pending->TakeBody(), {});
    ASSERT_TRUE(part.ok());
    EXPECT_EQ(part->etag, HexEncode(Md5Of(data.substr(5, 5))));
}

}  // namespace
}  // namespace sim::aws::s3::engine
