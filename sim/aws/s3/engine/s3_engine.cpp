#include "sim/aws/s3/engine/s3_engine.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <unordered_set>

#include <nlohmann/json.hpp>

#include "sim/core/message.hpp"
#include "sim/store/migrations.hpp"

namespace sim::aws::s3::engine {

namespace fs = std::filesystem;
using core::Fail;

namespace {

const store::Migration kS3Migrations[] = {
    {1,
     "CREATE TABLE buckets ("
     "  name TEXT PRIMARY KEY, region TEXT NOT NULL, created_ns INTEGER NOT NULL,"
     "  versioning INTEGER NOT NULL DEFAULT 0);"
     "CREATE TABLE objects ("
     "  id INTEGER PRIMARY KEY, bucket TEXT NOT NULL REFERENCES buckets(name), key TEXT NOT NULL,"
     "  version_id TEXT NOT NULL, is_latest INTEGER NOT NULL, is_delete_marker INTEGER NOT NULL,"
     "  size INTEGER NOT NULL, etag TEXT NOT NULL, modified_ns INTEGER NOT NULL, meta TEXT NOT NULL,"
     "  tags TEXT NOT NULL, checksum_algorithm TEXT, checksum TEXT, checksum_composite INTEGER NOT NULL DEFAULT 0,"
     "  parts_count INTEGER NOT NULL DEFAULT 0, blob TEXT);"
     "CREATE UNIQUE INDEX objects_version ON objects(bucket, key, version_id);"
     "CREATE UNIQUE INDEX objects_latest ON objects(bucket, key) WHERE is_latest = 1;"
     "CREATE INDEX objects_history ON objects(bucket, key, id);"
     "CREATE TABLE uploads ("
     "  upload_id TEXT PRIMARY KEY, bucket TEXT NOT NULL REFERENCES buckets(name), key TEXT NOT NULL,"
     "  initiated_ns INTEGER NOT NULL, meta TEXT NOT NULL, tags TEXT NOT NULL, checksum_algorithm TEXT,"
     "  checksum_full INTEGER NOT NULL DEFAULT 0);"
     "CREATE INDEX uploads_key ON uploads(bucket, key, initiated_ns);"
     "CREATE TABLE parts ("
     "  upload_id TEXT NOT NULL REFERENCES uploads(upload_id) ON DELETE CASCADE, part_number INTEGER NOT NULL,"
     "  size INTEGER NOT NULL, etag TEXT NOT NULL, modified_ns INTEGER NOT NULL, checksum TEXT,"
     "  blob TEXT NOT NULL, PRIMARY KEY (upload_id, part_number));"},
    // Small bodies in the row (see the header's "Small bodies live in the row"): NULL for bodies
    // stored as files (blob set) and for delete markers. Last column, so listings never read it.
    {2, "ALTER TABLE objects ADD COLUMN data BLOB;"},
};

constexpr const char* kColumns =
    "id, bucket, key, version_id, is_latest, is_delete_marker, size, etag, modified_ns, meta, tags,"
    " checksum_algorithm, checksum, checksum_composite, parts_count, blob";
/// kColumns plus the inline body (column 16), for reads that return the body.
constexpr const char* kColumnsWithBody =
    "id, bucket, key, version_id, is_latest, is_delete_marker, size, etag, modified_ns, meta, tags,"
    " checksum_algorithm, checksum, checksum_composite, parts_count, blob, data";

S3Error Err(S3ErrorKind kind, std::string message) { return S3Error{kind, std::move(message), false, {}}; }

/// A completion naming a part that is not (or no longer) the one stored.
S3Error InvalidPart() {
    return Err(S3ErrorKind::kInvalidPart,
               "One or more of the specified parts could not be found. The part may not have been uploaded, or the "
               "specified entity tag may not match the part's entity tag.");
}

std::int64_t ToNs(core::TimePoint t) {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}
core::TimePoint FromNs(std::int64_t ns) {
    return core::TimePoint{std::chrono::duration_cast<core::TimePoint::duration>(std::chrono::nanoseconds{ns})};
}

std::string EncodePairs(const std::vector<std::pair<std::string, std::string>>& pairs) {
    nlohmann::json j = nlohmann::json::array();
    for (const auto& [k, v] : pairs) j.push_back({k, v});
    return j.dump();
}
std::vector<std::pair<std::string, std::string>> DecodePairs(const std::string& text) {
    std::vector<std::pair<std::string, std::string>> out;
    if (text.empty()) return out;
    for (const auto& item : nlohmann::json::parse(text)) out.emplace_back(item[0].get<std::string>(), item[1].get<std::string>());
    return out;
}

std::string EncodeMeta(const ContentHeaders& c, const Metadata& m) {
    nlohmann::json j = {{"ct", c.content_type},     {"cd", c.content_disposition}, {"ce", c.content_encoding},
                        {"cl", c.content_language}, {"cc", c.cache_control},       {"ex", c.expires},
                        {"m", nlohmann::json::parse(EncodePairs(m))}};
    return j.dump();
}
void DecodeMeta(const std::string& text, ContentHeaders& c, Metadata& m) {
    auto j = nlohmann::json::parse(text);
    c.content_type = j.value("ct", "");
    c.content_disposition = j.value("cd", "");
    c.content_encoding = j.value("ce", "");
    c.content_language = j.value("cl", "");
    c.cache_control = j.value("cc", "");
    c.expires = j.value("ex", "");
    m.clear();
    for (const auto& item : j["m"]) m.emplace_back(item[0].get<std::string>(), item[1].get<std::string>());
}

std::string StripQuotes(std::string_view etag) {
    while (!etag.empty() && (etag.front() == ' ' || etag.front() == '"')) etag.remove_prefix(1);
    while (!etag.empty() && (etag.back() == ' ' || etag.back() == '"')) etag.remove_suffix(1);
    if (etag.starts_with("W/")) return StripQuotes(etag.substr(2));
    return std::string(etag);
}

/// Copies bytes [offset, offset+length) of `source`'s body into `out` (hashed on the way).
void CopyInto(const ObjectVersion& source, std::uint64_t offset, std::uint64_t length, BodyWriter& out) {
    if (source.inline_body) {
        out.Write(std::string_view(*source.inline_body).substr(static_cast<std::size_t>(offset),
                                                                static_cast<std::size_t>(length)));
        return;
    }
    out.Append(source.body_path, offset, length);
}

}  // namespace

// --- conditions ----------------------------------------------------------------------------------

bool EtagListMatches(std::string_view list, std::string_view etag) {
    std::size_t pos = 0;
    while (pos <= list.size()) {
        std::size_t comma = list.find(',', pos);
        std::string_view item = list.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos);
        std::string cleaned = StripQuotes(item);
        if (cleaned == "*" || cleaned == etag) return true;
        if (comma == std::string_view::npos) break;
        pos = comma + 1;
    }
    return false;
}

ConditionOutcome Evaluate(const ReadConditions& c, const ObjectVersion& object) {
    // HTTP dates have one-second resolution: compare whole seconds.
    auto seconds = [](core::TimePoint t) { return std::chrono::floor<std::chrono::seconds>(t); };
    if (c.if_match) {
        if (!EtagListMatches(*c.if_match, object.etag)) return ConditionOutcome::kPreconditionFailed;
    } else if (c.if_unmodified_since && seconds(object.last_modified) > seconds(*c.if_unmodified_since)) {
        return ConditionOutcome::kPreconditionFailed;
    }
    if (c.if_none_match) {
        if (EtagListMatches(*c.if_none_match, object.etag)) return ConditionOutcome::kNotModified;
    } else if (c.if_modified_since && seconds(object.last_modified) <= seconds(*c.if_modified_since)) {
        return ConditionOutcome::kNotModified;
    }
    return ConditionOutcome::kProceed;
}

bool IsValidBucketName(std::string_view name) {
    if (name.size() < 3 || name.size() > 63) return false;
    auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
    if (!alnum(name.front()) || !alnum(name.back())) return false;
    bool all_digits_dots = true;
    for (std::size_t i = 0; i < name.size(); ++i) {
        char c = name[i];
        if (!alnum(c) && c != '.' && c != '-') return false;
        if (c == '.' && i + 1 < name.size() && (name[i + 1] == '.' || name[i + 1] == '-')) return false;
        if (c == '-' && i + 1 < name.size() && name[i + 1] == '.') return false;
        if (!(c == '.' || (c >= '0' && c <= '9'))) all_digits_dots = false;
    }
    if (all_digits_dots && std::count(name.begin(), name.end(), '.') == 3) return false;  // looks like an IP
    return true;
}

// --- BodyWriter ----------------------------------------------------------------------------------

BodyWriter::BodyWriter(fs::path path, std::optional<ChecksumAlgorithm> algorithm, std::size_t memory_limit)
    : path_(std::move(path)), memory_limit_(memory_limit), md5_(Digest::Md5()), algorithm_(algorithm) {
    if (algorithm) checksum_.emplace(Digest::For(*algorithm));
}

BodyWriter::BodyWriter(BodyWriter&& o) noexcept
    : path_(std::move(o.path_)),
      fd_(std::exchange(o.fd_, -1)),
      on_disk_(std::exchange(o.on_disk_, false)),
      memory_limit_(o.memory_limit_),
      memory_(std::move(o.memory_)),
      size_(o.size_),
      md5_(std::move(o.md5_)),
      algorithm_(o.algorithm_),
      checksum_(std::move(o.checksum_)),
      finished_(o.finished_) {
    o.path_.clear();
}

BodyWriter& BodyWriter::operator=(BodyWriter&& o) noexcept {
    if (this != &o) {
        this->~BodyWriter();
        new (this) BodyWriter(std::move(o));
    }
    return *this;
}

BodyWriter::~BodyWriter() {
    if (fd_ >= 0) ::close(fd_);
    if (on_disk_ && !path_.empty()) {
        std::error_code ec;
        fs::remove(path_, ec);
    }
}

void BodyWriter::Spill() {
    fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd_ < 0) throw std::runtime_error("cannot create " + path_.string() + ": " + std::strerror(errno));
    on_disk_ = true;
    WriteToFile(memory_);
    std::string().swap(memory_);
}

void BodyWriter::WriteToFile(std::string_view bytes) {
    while (!bytes.empty()) {
        ssize_t n = ::write(fd_, bytes.data(), bytes.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            throw std::runtime_error("cannot write " + path_.string() + ": " + std::strerror(errno));
        }
        bytes.remove_prefix(static_cast<std::size_t>(n));
    }
}

void BodyWriter::Hash(std::string_view bytes) {
    md5_.Update(bytes);
    if (checksum_) checksum_->Update(bytes);
    size_ += bytes.size();
}

void BodyWriter::Write(std::string_view bytes) {
    Hash(bytes);
    if (in_memory() && size_ <= memory_limit_) {
        memory_.append(bytes);
        return;
    }
    if (fd_ < 0) Spill();
    WriteToFile(bytes);
}

void BodyWriter::Append(const fs::path& file, std::uint64_t offset, std::uint64_t length, bool take_file) {
    // Taking the file: only a whole file, into an empty writer, and only if it is big enough to
    // become a file anyway (a small one is cheaper kept in memory and stored in the row).
    std::error_code ec;
    bool take = take_file && size_ == 0 && in_memory() && offset == 0 && length > memory_limit_ &&
                fs::file_size(file, ec) == length && !ec;
    core::ReadSlice(core::FileSlice{file, offset, length, false}, [&](std::string_view piece) {
        if (take) {
            Hash(piece);  // the file is already where the body will be: count it, do not copy it
        } else {
            Write(piece);
        }
        return true;
    });
    if (take) {
        path_ = file;  // our temporary name was never created: the taken file is the body now
        on_disk_ = true;
    }
}

std::pair<std::string, std::string> BodyWriter::Finish() {
    if (finished_) throw std::logic_error("BodyWriter finished twice");
    finished_ = true;
    if (fd_ >= 0) {
        ::close(fd_);
        fd_ = -1;
    }
    return {md5_.Final(), checksum_ ? checksum_->Final() : std::string()};
}

// --- engine --------------------------------------------------------------------------------------

struct S3Engine::Row {
    /// `full`: also decode content headers, metadata and tags (listings do not need them).
    static ObjectVersion Read(const store::Statement& st, const S3Engine& engine, bool full = true) {
        ObjectVersion v;
        v.bucket = st.Text(1);
        v.key = st.Text(2);
        v.version_id = st.Text(3);
        v.is_latest = st.Int64(4) != 0;
        v.is_delete_marker = st.Int64(5) != 0;
        v.size = static_cast<std::uint64_t>(st.Int64(6));
        v.etag = st.Text(7);
        v.last_modified = FromNs(st.Int64(8));
        if (full) {
            DecodeMeta(st.Text(9), v.content, v.metadata);
            v.tags = DecodePairs(st.Text(10));
        }
        if (!st.IsNull(11)) {
            if (auto a = ParseChecksumAlgorithm(st.Text(11))) {
                v.checksum = StoredChecksum{*a, st.Text(12), st.Int64(13) != 0};
            }
        }
        v.parts_count = static_cast<int>(st.Int64(14));
        if (!st.IsNull(15)) {
            v.body_path = engine.BlobPath(st.Text(15));
        } else if (!v.is_delete_marker && st.ColumnCount() > 16) {
            v.inline_body = st.Text(16);
        }
        return v;
    }
};

S3Engine::S3Engine(store::Database& db, store::GroupCommit& group, clock::Clock& clock, EngineOptions options)
    : db_(db), group_(group), clock_(clock), options_(std::move(options)), ids_(options_.seed) {
    store::Migrate(db_, "s3", kS3Migrations);
    fs::create_directories(options_.root / "tmp");
    fs::create_directories(options_.root / "blobs");
    // Ids must not repeat across restarts: mix the stored state into the seed (still deterministic
    // for a given seed and data directory).
    auto& st = db_.Prepare("SELECT (SELECT IFNULL(MAX(id), 0) FROM objects), (SELECT COUNT(*) FROM uploads),"
                           " (SELECT COUNT(*) FROM parts), (SELECT COUNT(*) FROM buckets)");
    std::uint64_t mix = options_.seed;
    if (st.Step()) {
        for (int i = 0; i < 4; ++i) mix = mix * 0x9E3779B97F4A7C15ull + static_cast<std::uint64_t>(st.Int64(i)) + 1;
    }
    st.Reset();
    ids_ = core::IdGenerator(mix);
    Sweep();
}

void S3Engine::Sweep() {
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(options_.root / "tmp", ec)) fs::remove(entry.path(), ec);
    // Blobs renamed into place whose metadata row never committed (a crash in between).
    std::unordered_set<std::string> referenced;
    auto& objects = db_.Prepare("SELECT blob FROM objects WHERE blob IS NOT NULL");
    while (objects.Step()) referenced.insert(objects.Text(0));
    auto& parts = db_.Prepare("SELECT blob FROM parts");
    while (parts.Step()) referenced.insert(parts.Text(0));
    for (const auto& dir : fs::directory_iterator(options_.root / "blobs", ec)) {
        if (!dir.is_directory()) continue;
        for (const auto& file : fs::directory_iterator(dir.path(), ec)) {
            if (!referenced.contains(file.path().filename().string())) fs::remove(file.path(), ec);
        }
    }
}

fs::path S3Engine::BlobPath(const std::string& blob) const { return options_.root / "blobs" / blob.substr(0, 2) / blob; }

std::string S3Engine::NewVersionId() { return ids_.Hex(16); }

std::string S3Engine::NewBlobName() {
    for (;;) {
        std::string name = ids_.Hex(12);
        if (!fs::exists(BlobPath(name))) return name;
    }
}

BodyWriter S3Engine::NewBody(std::optional<ChecksumAlgorithm> algorithm) {
    return BodyWriter(options_.root / "tmp" / ("body-" + std::to_string(++tmp_counter_) + "-" + ids_.Hex(4)),
                      algorithm, options_.inline_body_bytes);
}

std::string S3Engine::AdoptBody(BodyWriter& body) {
    if (body.in_memory()) {
        body.Spill();
        ::close(std::exchange(body.fd_, -1));
    }
    std::string name = NewBlobName();
    fs::path target = BlobPath(name);
    fs::create_directories(target.parent_path());
    std::error_code ec;
    fs::rename(body.path_, target, ec);
    if (ec) {
        // A taken spool file on another file system: copy it into place instead.
        fs::copy_file(body.path_, target);
        fs::remove(body.path_, ec);
    }
    body.path_.clear();
    body.on_disk_ = false;
    return name;
}

std::string S3Engine::StoreBody(BodyWriter& body, ObjectVersion& v) {
    if (body.in_memory()) {
        v.inline_body = std::move(body.memory_);
        return {};
    }
    return AdoptBody(body);
}

std::string S3Engine::CloneBlob(const fs::path& path) {
    std::string name = NewBlobName();
    fs::path target = BlobPath(name);
    fs::create_directories(target.parent_path());
    std::error_code ec;
    fs::create_hard_link(path, target, ec);  // bodies are immutable, so sharing the inode is safe
    if (ec) fs::copy_file(path, target);
    return name;
}

void S3Engine::RemoveAfterCommit(std::vector<std::string> doomed, std::vector<std::string> on_failure) {
    if (doomed.empty() && on_failure.empty()) return;
    group_.AfterCommit([this, doomed = std::move(doomed), on_failure = std::move(on_failure)](bool committed) {
        std::error_code ec;
        for (const auto& blob : committed ? doomed : on_failure) fs::remove(BlobPath(blob), ec);
    });
}

S3Result<Bucket> S3Engine::RequireBucket(const std::string& name) {
    auto& st = db_.Prepare("SELECT name, region, created_ns, versioning FROM buckets WHERE name = ?1");
    st.BindAll(name);
    if (!st.Step()) return Fail(Err(S3ErrorKind::kBucketNotFound, "The specified bucket does not exist"));
    Bucket b{st.Text(0), st.Text(1), FromNs(st.Int64(2)), static_cast<Versioning>(st.Int64(3))};
    st.Reset();
    return b;
}

S3Result<Bucket> S3Engine::CreateBucket(const std::string& name, std::string region) {
    if (!IsValidBucketName(name)) return Fail(Err(S3ErrorKind::kInvalidBucketName, "The specified bucket is not valid."));
    if (RequireBucket(name).ok()) {
        return Fail(Err(S3ErrorKind::kBucketAlreadyOwned,
                        "Your previous request to create the named bucket succeeded and you already own it."));
    }
    if (region.empty()) region = options_.default_region;
    Bucket b{name, region, clock_.Now(), Versioning::kUnversioned};
    auto scope = group_.BeginWrite(db_);
    db_.Prepare("INSERT INTO buckets (name, region, created_ns, versioning) VALUES (?1, ?2, ?3, 0)")
        .BindAll(b.name, b.region, ToNs(b.created))
        .Execute();
    scope.Commit();
    return b;
}

S3Result<Bucket> S3Engine::GetBucket(const std::string& name) { return RequireBucket(name); }

std::vector<Bucket> S3Engine::ListBuckets() {
    std::vector<Bucket> out;
    auto& st = db_.Prepare("SELECT name, region, created_ns, versioning FROM buckets ORDER BY name");
    while (st.Step()) out.push_back({st.Text(0), st.Text(1), FromNs(st.Int64(2)), static_cast<Versioning>(st.Int64(3))});
    return out;
}

S3Result<core::Unit> S3Engine::DeleteBucket(const std::string& name) {
    if (auto b = RequireBucket(name); !b) return Fail(b.error());
    auto& any = db_.Prepare("SELECT 1 FROM objects WHERE bucket = ?1 LIMIT 1");
    any.BindAll(name);
    bool has_objects = any.Step();
    any.Reset();
    if (has_objects) return Fail(Err(S3ErrorKind::kBucketNotEmpty, "The bucket you tried to delete is not empty"));
    std::vector<std::string> doomed;
    auto& blobs = db_.Prepare("SELECT p.blob FROM parts p JOIN uploads u ON u.upload_id = p.upload_id WHERE u.bucket = ?1");
    blobs.BindAll(name);
    while (blobs.Step()) doomed.push_back(blobs.Text(0));
    auto scope = group_.BeginWrite(db_);
    db_.Prepare("DELETE FROM uploads WHERE bucket = ?1").BindAll(name).Execute();
    db_.Prepare("DELETE FROM buckets WHERE name = ?1").BindAll(name).Execute();
    scope.Commit();
    RemoveAfterCommit(std::move(doomed), {});
    return core::Unit{};
}

S3Result<core::Unit> S3Engine::SetVersioning(const std::string& name, Versioning state) {
    if (auto b = RequireBucket(name); !b) return Fail(b.error());
    if (state == Versioning::kUnversioned) {
        return Fail(Err(S3ErrorKind::kInvalidArgument, "Versioning can only be Enabled or Suspended"));
    }
    auto scope = group_.BeginWrite(db_);
    db_.Prepare("UPDATE buckets SET versioning = ?2 WHERE name = ?1").BindAll(name, static_cast<int>(state)).Execute();
    scope.Commit();
    return core::Unit{};
}

std::optional<ObjectVersion> S3Engine::CurrentVersion(const std::string& bucket, const std::string& key,
                                                      bool with_body) {
    auto& st = db_.Prepare(std::string("SELECT ") + (with_body ? kColumnsWithBody : kColumns) +
                           " FROM objects WHERE bucket = ?1 AND key = ?2 AND is_latest = 1");
    st.BindAll(bucket, key);
    if (!st.Step()) return std::nullopt;
    ObjectVersion v = Row::Read(st, *this);
    st.Reset();
    return v;
}

void S3Engine::CommitWithNewBlob(const std::string& blob, std::vector<std::string> doomed,
                                 const std::function<void(std::vector<std::string>& doomed)>& write) {
    try {
        auto scope = group_.BeginWrite(db_);
        write(doomed);
        scope.Commit();
    } catch (...) {
        // The request changed nothing: its new body file must not stay behind either.
        std::error_code ec;
        if (!blob.empty()) fs::remove(BlobPath(blob), ec);
        throw;
    }
    RemoveAfterCommit(std::move(doomed), blob.empty() ? std::vector<std::string>{} : std::vector<std::string>{blob});
}

ObjectVersion S3Engine::InsertVersion(const Bucket& bucket, ObjectVersion v, const std::string& blob,
                                      std::vector<std::string>& doomed) {
    // Unversioned and suspended buckets overwrite the "null" version; enabled ones keep history.
    // https://docs.aws.amazon.com/AmazonS3/latest/userguide/AddingObjectstoVersionSuspendedBuckets.html
    if (bucket.versioning == Versioning::kEnabled) {
        v.version_id = NewVersionId();
    } else {
        v.version_id = std::string(kNullVersionId);
        auto& old = db_.Prepare("SELECT blob FROM objects WHERE bucket = ?1 AND key = ?2 AND version_id = 'null'");
        old.BindAll(v.bucket, v.key);
        if (old.Step() && !old.IsNull(0)) doomed.push_back(old.Text(0));
        old.Reset();
        db_.Prepare("DELETE FROM objects WHERE bucket = ?1 AND key = ?2 AND version_id = 'null'")
            .BindAll(v.bucket, v.key)
            .Execute();
    }
    // An unversioned bucket holds only "null" versions, just deleted: no other can be the latest.
    if (bucket.versioning != Versioning::kUnversioned) {
        db_.Prepare("UPDATE objects SET is_latest = 0 WHERE bucket = ?1 AND key = ?2 AND is_latest = 1")
            .BindAll(v.bucket, v.key)
            .Execute();
    }
    v.is_latest = true;
    std::optional<std::string> alg, sum;
    if (v.checksum) {
        alg = std::string(ToString(v.checksum->algorithm));
        sum = v.checksum->value;
    }
    db_.Prepare(
           "INSERT INTO objects (bucket, key, version_id, is_latest, is_delete_marker, size, etag, modified_ns, meta,"
           " tags, checksum_algorithm, checksum, checksum_composite, parts_count, blob, data)"
           " VALUES (?1, ?2, ?3, 1, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)")
        .BindAll(v.bucket, v.key, v.version_id, v.is_delete_marker, static_cast<std::int64_t>(v.size), v.etag,
                 ToNs(v.last_modified), EncodeMeta(v.content, v.metadata), EncodePairs(v.tags), alg, sum,
                 v.checksum && v.checksum->composite, v.parts_count,
                 blob.empty() ? std::optional<std::string>() : std::optional<std::string>(blob),
                 v.inline_body ? std::optional(store::AsBlob(*v.inline_body)) : std::nullopt)
        .Execute();
    if (!blob.empty()) v.body_path = BlobPath(blob);
    return v;
}

S3Result<ObjectVersion> S3Engine::DoPutObject(const PutObjectInput& in, BodyWriter body) {
    auto [md5, checksum] = body.Finish();
    auto bucket = RequireBucket(in.bucket);
    if (!bucket) return Fail(bucket.error());
    if (body.size() > options_.max_object_bytes) {
        return Fail(Err(S3ErrorKind::kEntityTooLarge, "Your proposed upload exceeds the maximum allowed size"));
    }
    if (in.expect.md5 && *in.expect.md5 != md5) {
        return Fail(Err(S3ErrorKind::kBadDigest, "The Content-MD5 you specified did not match what we received."));
    }
    if (in.expect.checksum && body.algorithm() && *in.expect.checksum != Base64Encode(checksum)) {
        return Fail(Err(S3ErrorKind::kBadDigest, "The " + std::string(ToString(*body.algorithm())) +
                                                     " you specified did not match the calculated checksum."));
    }
    // The current version matters only to a conditional write (most PUTs skip the read).
    std::optional<ObjectVersion> current;
    if (in.conditions.if_none_match_any || in.conditions.if_match) current = CurrentVersion(in.bucket, in.key);
    bool exists = current && !current->is_delete_marker;
    if (in.conditions.if_none_match_any && exists) {
        return Fail(Err(S3ErrorKind::kPreconditionFailed, "At least one of the pre-conditions you specified did not hold"));
    }
    if (in.conditions.if_match) {
        if (!exists) return Fail(Err(S3ErrorKind::kKeyNotFound, "The specified key does not exist."));
        if (!EtagListMatches(*in.conditions.if_match, current->etag)) {
            return Fail(Err(S3ErrorKind::kPreconditionFailed, "At least one of the pre-conditions you specified did not hold"));
        }
    }
    ObjectVersion v;
    v.bucket = in.bucket;
    v.key = in.key;
    v.size = body.size();
    v.etag = HexEncode(md5);
    v.last_modified = clock_.Now();
    v.content = in.content;
    v.metadata = in.metadata;
    v.tags = in.tags;
    if (body.algorithm()) v.checksum = StoredChecksum{*body.algorithm(), Base64Encode(checksum), false};
    std::string blob = StoreBody(body, v);
    CommitWithNewBlob(blob, {}, [&](std::vector<std::string>& doomed) {
        v = InsertVersion(*bucket, std::move(v), blob, doomed);
    });
    return v;
}

S3Result<ObjectVersion> S3Engine::GetObject(const std::string& bucket, const std::string& key,
                                            const std::optional<std::string>& version_id) {
    if (auto b = RequireBucket(bucket); !b) return Fail(b.error());
    if (!version_id) {
        auto v = CurrentVersion(bucket, key, /*with_body=*/true);
        if (!v) return Fail(Err(S3ErrorKind::kKeyNotFound, "The specified key does not exist."));
        if (v->is_delete_marker) {
            S3Error e = Err(S3ErrorKind::kKeyNotFound, "The specified key does not exist.");
            e.delete_marker = true;
            e.version_id = v->version_id;
            return Fail(std::move(e));
        }
        return std::move(*v);
    }
    auto& st = db_.Prepare(std::string("SELECT ") + kColumnsWithBody +
                           " FROM objects WHERE bucket = ?1 AND key = ?2 AND version_id = ?3");
    st.BindAll(bucket, key, *version_id);
    if (!st.Step()) return Fail(Err(S3ErrorKind::kVersionNotFound, "The specified version does not exist."));
    ObjectVersion v = Row::Read(st, *this);
    st.Reset();
    if (v.is_delete_marker) {
        S3Error e = Err(S3ErrorKind::kDeleteMarkerTarget, "The specified method is not allowed against this resource.");
        e.delete_marker = true;
        e.version_id = v.version_id;
        return Fail(std::move(e));
    }
    return v;
}

S3Result<DeleteResult> S3Engine::DoDeleteObject(const std::string& bucket_name, const std::string& key,
                                              const std::optional<std::string>& version_id) {
    auto bucket = RequireBucket(bucket_name);
    if (!bucket) return Fail(bucket.error());
    std::vector<std::string> doomed;
    DeleteResult result;
    if (version_id) {
        auto& st = db_.Prepare("SELECT id, is_latest, is_delete_marker, blob FROM objects"
                               " WHERE bucket = ?1 AND key = ?2 AND version_id = ?3");
        st.BindAll(bucket_name, key, *version_id);
        if (!st.Step()) {
            st.Reset();
            if (*version_id != kNullVersionId && (version_id->size() != 32)) {
                return Fail(Err(S3ErrorKind::kInvalidArgument, "Invalid version id specified"));
            }
            result.version_id = *version_id;
            return result;
        }
        std::int64_t id = st.Int64(0);
        bool latest = st.Int64(1) != 0;
        result.delete_marker = st.Int64(2) != 0;
        if (!st.IsNull(3)) doomed.push_back(st.Text(3));
        st.Reset();
        result.version_id = *version_id;
        auto scope = group_.BeginWrite(db_);
        db_.Prepare("DELETE FROM objects WHERE id = ?1").BindAll(id).Execute();
        if (latest) {
            db_.Prepare("UPDATE objects SET is_latest = 1 WHERE id = (SELECT MAX(id) FROM objects"
                        " WHERE bucket = ?1 AND key = ?2)")
                .BindAll(bucket_name, key)
                .Execute();
        }
        scope.Commit();
        RemoveAfterCommit(std::move(doomed), {});
        return result;
    }
    if (bucket->versioning == Versioning::kUnversioned) {
        auto current = CurrentVersion(bucket_name, key);
        if (!current) return result;
        auto& st = db_.Prepare("SELECT blob FROM objects WHERE bucket = ?1 AND key = ?2 AND version_id = 'null'");
        st.BindAll(bucket_name, key);
        if (st.Step() && !st.IsNull(0)) doomed.push_back(st.Text(0));
        st.Reset();
        auto scope = group_.BeginWrite(db_);
        db_.Prepare("DELETE FROM objects WHERE bucket = ?1 AND key = ?2").BindAll(bucket_name, key).Execute();
        scope.Commit();
        RemoveAfterCommit(std::move(doomed), {});
        return result;
    }
    // Versioned (enabled or suspended): a delete marker becomes the current version.
    // https://docs.aws.amazon.com/AmazonS3/latest/userguide/DeleteMarker.html
    ObjectVersion marker;
    marker.bucket = bucket_name;
    marker.key = key;
    marker.is_delete_marker = true;
    marker.last_modified = clock_.Now();
    auto scope = group_.BeginWrite(db_);
    marker = InsertVersion(*bucket, std::move(marker), "", doomed);
    scope.Commit();
    RemoveAfterCommit(std::move(doomed), {});
    result.version_id = marker.version_id;
    result.delete_marker = true;
    return result;
}

S3Result<CopyResult> S3Engine::DoCopyObject(const CopyObjectInput& in) {
    auto source = GetObject(in.source_bucket, in.source_key, in.source_version_id);
    if (!source) return Fail(source.error());
    auto target_bucket = RequireBucket(in.bucket);
    if (!target_bucket) return Fail(target_bucket.error());
    if (Evaluate(in.source_conditions, *source) != ConditionOutcome::kProceed) {
        return Fail(Err(S3ErrorKind::kPreconditionFailed, "At least one of the pre-conditions you specified did not hold"));
    }
    if (in.source_bucket == in.bucket && in.source_key == in.key && !in.replace_metadata && !in.replace_tags &&
        !in.checksum_algorithm && !in.source_version_id) {
        return Fail(Err(S3ErrorKind::kInvalidRequest,
                        "This copy request is illegal because it is trying to copy an object to itself without "
                        "changing the object's metadata, storage class, website redirect location or encryption "
                        "attributes."));
    }
    ObjectVersion v = *source;
    v.bucket = in.bucket;
    v.key = in.key;
    v.last_modified = clock_.Now();
    v.body_path.clear();
    if (in.replace_metadata) {
        v.content = in.content;
        v.metadata = in.metadata;
    }
    if (in.replace_tags) v.tags = in.tags;
    std::string blob;
    if (in.checksum_algorithm || v.parts_count > 0) {
        // A new checksum (or a multipart source, whose copy is one part): re-read the bytes.
        BodyWriter w = NewBody(in.checksum_algorithm ? in.checksum_algorithm
                                                     : (v.checksum ? std::optional(v.checksum->algorithm) : std::nullopt));
        CopyInto(*source, 0, source->size, w);
        auto [md5, sum] = w.Finish();
        v.etag = HexEncode(md5);
        v.parts_count = 0;
        v.checksum.reset();
        v.inline_body.reset();
        if (w.algorithm()) v.checksum = StoredChecksum{*w.algorithm(), Base64Encode(sum), false};
        blob = StoreBody(w, v);
    } else if (!v.inline_body) {
        blob = CloneBlob(source->body_path);
    }
    CommitWithNewBlob(blob, {}, [&](std::vector<std::string>& doomed) {
        v = InsertVersion(*target_bucket, std::move(v), blob, doomed);
    });
    return CopyResult{std::move(v), source->version_id};
}

S3Result<ListPage> S3Engine::ListObjects(const std::string& bucket, const ListQuery& q) {
    if (auto b = RequireBucket(bucket); !b) return Fail(b.error());
    ListPage page;
    if (q.max_keys <= 0) return page;
    // Keys are UTF-8, which never contains the byte 0xFF: cursor + "\xff" sorts after every key
    // that starts with cursor, so it skips a whole common prefix in one index seek.
    std::string cursor = q.start_after;
    bool inclusive = false;
    if (cursor < q.prefix) {
        cursor = q.prefix;
        inclusive = true;
    }
    int count = 0;
    auto& inc = db_.Prepare(std::string("SELECT ") + kColumns +
                            " FROM objects WHERE bucket = ?1 AND is_latest = 1 AND key >= ?2 ORDER BY key LIMIT ?3");
    auto& exc = db_.Prepare(std::string("SELECT ") + kColumns +
                            " FROM objects WHERE bucket = ?1 AND is_latest = 1 AND key > ?2 ORDER BY key LIMIT ?3");
    for (;;) {
        auto& st = inclusive ? inc : exc;
        const int batch = q.max_keys - count + 1;
        st.BindAll(bucket, cursor, batch);
        int rows = 0;
        bool reseek = false;
        bool done = false;
        while (st.Step()) {
            ++rows;
            std::string key = st.Text(2);
            if (!key.starts_with(q.prefix)) {
                done = true;
                break;
            }
            cursor = key;
            inclusive = false;
            if (st.Int64(5) != 0) continue;  // a delete marker: neither listed nor a common prefix
            if (!q.delimiter.empty()) {
                std::size_t pos = key.find(q.delimiter, q.prefix.size());
                if (pos != std::string::npos) {
                    std::string cp = key.substr(0, pos + q.delimiter.size());
                    cursor = cp + "\xff";
                    reseek = true;
                    if (cp <= q.start_after) break;  // returned on an earlier page
                    if (count == q.max_keys) {
                        page.truncated = true;
                        done = true;
                        break;
                    }
                    page.common_prefixes.push_back(cp);
                    page.objects.push_back(ObjectVersion{});  // order placeholder
                    page.objects.back().key = cp;
                    page.next_marker = cp;
                    ++count;
                    break;
                }
            }
            if (count == q.max_keys) {
                page.truncated = true;
                done = true;
                break;
            }
            page.objects.push_back(Row::Read(st, *this, /*full=*/false));
            page.next_marker = key;
            ++count;
        }
        st.Reset();
        if (done || (!reseek && rows < batch)) break;
    }
    return page;
}

S3Result<VersionPage> S3Engine::ListObjectVersions(const std::string& bucket, const VersionListQuery& q) {
    if (auto b = RequireBucket(bucket); !b) return Fail(b.error());
    VersionPage page;
    if (q.max_keys <= 0) return page;
    std::string cursor = q.key_marker;
    std::int64_t id_below = 0;  // with a version marker: continue within cursor's versions
    if (!q.key_marker.empty() && !q.version_id_marker.empty()) {
        auto& st = db_.Prepare("SELECT id FROM objects WHERE bucket = ?1 AND key = ?2 AND version_id = ?3");
        st.BindAll(bucket, q.key_marker, q.version_id_marker);
        if (st.Step()) id_below = st.Int64(0);
        st.Reset();
    }
    bool inclusive = false;
    if (cursor < q.prefix) {
        cursor = q.prefix;
        inclusive = true;
    }
    int count = 0;
    if (id_below > 0) {
        auto& st = db_.Prepare(std::string("SELECT ") + kColumns +
                               " FROM objects WHERE bucket = ?1 AND key = ?2 AND id < ?3 ORDER BY id DESC");
        st.BindAll(bucket, q.key_marker, id_below);
        while (st.Step()) {
            if (count == q.max_keys) {
                page.truncated = true;
                break;
            }
            page.versions.push_back(Row::Read(st, *this));
            ++count;
        }
        st.Reset();
        if (page.truncated) {
            page.next_key_marker = page.versions.back().key;
            page.next_version_id_marker = page.versions.back().version_id;
            return page;
        }
    }
    auto& st = db_.Prepare(std::string("SELECT ") + kColumns +
                           " FROM objects WHERE bucket = ?1 AND (key > ?2 OR (?3 AND key = ?2))"
                           " ORDER BY key, id DESC LIMIT ?4");
    for (;;) {
        const int batch = q.max_keys - count + 1;
        st.BindAll(bucket, cursor, inclusive, batch);
        int rows = 0;
        bool reseek = false, done = false;
        while (st.Step()) {
            ++rows;
            std::string key = st.Text(2);
            if (!key.starts_with(q.prefix)) {
                done = true;
                break;
            }
            if (!q.delimiter.empty()) {
                std::size_t pos = key.find(q.delimiter, q.prefix.size());
                if (pos != std::string::npos) {
                    std::string cp = key.substr(0, pos + q.delimiter.size());
                    cursor = cp + "\xff";
                    inclusive = false;
                    reseek = true;
                    if (cp <= q.key_marker) break;
                    if (count == q.max_keys) {
                        page.truncated = true;
                        done = true;
                        break;
                    }
                    page.common_prefixes.push_back(cp);
                    page.next_key_marker = cp;
                    page.next_version_id_marker.clear();
                    ++count;
                    break;
                }
            }
            if (count == q.max_keys) {
                page.truncated = true;
                done = true;
                break;
            }
            ObjectVersion v = Row::Read(st, *this, /*full=*/false);
            page.next_key_marker = v.key;
            page.next_version_id_marker = v.version_id;
            page.versions.push_back(std::move(v));
            ++count;
        }
        st.Reset();
        if (done || (!reseek && rows < batch)) break;
    }
    if (!page.truncated) {
        page.next_key_marker.clear();
        page.next_version_id_marker.clear();
    }
    return page;
}

S3Result<std::string> S3Engine::PutObjectTagging(const std::string& bucket, const std::string& key,
                                                 const std::optional<std::string>& version_id, TagSet tags) {
    auto v = GetObject(bucket, key, version_id);
    if (!v) return Fail(v.error());
    auto scope = group_.BeginWrite(db_);
    db_.Prepare("UPDATE objects SET tags = ?4 WHERE bucket = ?1 AND key = ?2 AND version_id = ?3")
        .BindAll(bucket, key, v->version_id, EncodePairs(tags))
        .Execute();
    scope.Commit();
    return v->version_id;
}

// --- multipart -----------------------------------------------------------------------------------

S3Result<Upload> S3Engine::RequireUpload(const std::string& bucket, const std::string& key,
                                         const std::string& upload_id) {
    if (auto b = RequireBucket(bucket); !b) return Fail(b.error());
    auto& st = db_.Prepare("SELECT upload_id, bucket, key, initiated_ns, meta, tags, checksum_algorithm, checksum_full"
                           " FROM uploads WHERE upload_id = ?1 AND bucket = ?2 AND key = ?3");
    st.BindAll(upload_id, bucket, key);
    if (!st.Step()) {
        return Fail(Err(S3ErrorKind::kUploadNotFound,
                        "The specified upload does not exist. The upload ID may be invalid, or the upload may have "
                        "been aborted or completed."));
    }
    Upload u;
    u.upload_id = st.Text(0);
    u.bucket = st.Text(1);
    u.key = st.Text(2);
    u.initiated = FromNs(st.Int64(3));
    DecodeMeta(st.Text(4), u.content, u.metadata);
    u.tags = DecodePairs(st.Text(5));
    if (!st.IsNull(6)) u.checksum_algorithm = ParseChecksumAlgorithm(st.Text(6));
    u.full_object_checksum = st.Int64(7) != 0;
    st.Reset();
    return u;
}

S3Result<Upload> S3Engine::CreateMultipartUpload(const CreateUploadInput& in) {
    if (auto b = RequireBucket(in.bucket); !b) return Fail(b.error());
    Upload u;
    u.upload_id = ids_.Hex(24);
    u.bucket = in.bucket;
    u.key = in.key;
    u.initiated = clock_.Now();
    u.content = in.content;
    u.metadata = in.metadata;
    u.tags = in.tags;
    u.checksum_algorithm = in.checksum_algorithm;
    u.full_object_checksum = in.full_object_checksum || in.checksum_algorithm == ChecksumAlgorithm::kCrc64Nvme;
    std::optional<std::string> alg;
    if (u.checksum_algorithm) alg = std::string(ToString(*u.checksum_algorithm));
    auto scope = group_.BeginWrite(db_);
    db_.Prepare("INSERT INTO uploads (upload_id, bucket, key, initiated_ns, meta, tags, checksum_algorithm, checksum_full)"
                " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)")
        .BindAll(u.upload_id, u.bucket, u.key, ToNs(u.initiated), EncodeMeta(u.content, u.metadata),
                 EncodePairs(u.tags), alg, u.full_object_checksum)
        .Execute();
    scope.Commit();
    return u;
}

namespace {
S3Result<core::Unit> CheckPartNumber(int part_number, int max) {
    if (part_number < 1 || part_number > max) {
        return Fail(Err(S3ErrorKind::kInvalidArgument,
                        "Part number must be an integer between 1 and " + std::to_string(max) + ", inclusive"));
    }
    return core::Unit{};
}
}  // namespace

S3Result<Part> S3Engine::UploadPart(const std::string& bucket, const std::string& key, const std::string& upload_id,
                                    int part_number, BodyWriter body, const BodyExpectations& expect) {
    auto [md5, checksum] = body.Finish();
    if (auto c = CheckPartNumber(part_number, options_.max_part_number); !c) return Fail(c.error());
    auto upload = RequireUpload(bucket, key, upload_id);
    if (!upload) return Fail(upload.error());
    if (body.size() > options_.max_object_bytes) {
        return Fail(Err(S3ErrorKind::kEntityTooLarge, "Your proposed upload exceeds the maximum allowed size"));
    }
    if (expect.md5 && *expect.md5 != md5) {
        return Fail(Err(S3ErrorKind::kBadDigest, "The Content-MD5 you specified did not match what we received."));
    }
    if (expect.checksum && body.algorithm() && *expect.checksum != Base64Encode(checksum)) {
        return Fail(Err(S3ErrorKind::kBadDigest, "The " + std::string(ToString(*body.algorithm())) +
                                                     " you specified did not match the calculated checksum."));
    }
    Part p;
    p.number = part_number;
    p.size = body.size();
    p.etag = HexEncode(md5);
    p.last_modified = clock_.Now();
    if (body.algorithm()) p.checksum = Base64Encode(checksum);
    std::vector<std::string> doomed;
    auto& old = db_.Prepare("SELECT blob FROM parts WHERE upload_id = ?1 AND part_number = ?2");
    old.BindAll(upload_id, part_number);
    if (old.Step()) doomed.push_back(old.Text(0));
    old.Reset();
    std::string blob = AdoptBody(body);
    CommitWithNewBlob(blob, std::move(doomed), [&](std::vector<std::string>&) {
        db_.Prepare("INSERT OR REPLACE INTO parts (upload_id, part_number, size, etag, modified_ns, checksum, blob)"
                    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")
            .BindAll(upload_id, part_number, static_cast<std::int64_t>(p.size), p.etag, ToNs(p.last_modified),
                     p.checksum, blob)
            .Execute();
    });
    return p;
}

S3Result<PendingPartCopy> S3Engine::PrepareUploadPartCopy(
    const std::string& bucket, const std::string& key, const std::string& upload_id, int part_number,
    const ObjectVersion& source, std::optional<std::pair<std::uint64_t, std::uint64_t>> range) {
    if (auto c = CheckPartNumber(part_number, options_.max_part_number); !c) return Fail(c.error());
    auto upload = RequireUpload(bucket, key, upload_id);
    if (!upload) return Fail(upload.error());
    std::uint64_t first = 0, length = source.size;
    if (range) {
        if (range->first > range->second || range->second >= source.size) {
            return Fail(Err(S3ErrorKind::kInvalidArgument,
                            "Range specified is not valid for source object of size: " + std::to_string(source.size)));
        }
        first = range->first;
        length = range->second - range->first + 1;
    }
    return PendingPartCopy(source, first, length, NewBody(upload->checksum_algorithm));
}

void PendingPartCopy::Copy() { CopyInto(source_, first_, length_, writer_); }

S3Result<Part> S3Engine::UploadPartCopy(const std::string& bucket, const std::string& key,
                                        const std::string& upload_id, int part_number, const ObjectVersion& source,
                                        std::optional<std::pair<std::uint64_t, std::uint64_t>> range) {
    auto pending = PrepareUploadPartCopy(bucket, key, upload_id, part_number, source, range);
    if (!pending) return Fail(pending.error());
    pending->Copy();
    return UploadPart(bucket, key, upload_id, part_number, pending->TakeBody(), {});
}

struct S3Engine::CheckedCompletion {
    Bucket bucket;
    Upload upload;
    std::vector<PendingCompletion::Piece> pieces;
};

S3Result<S3Engine::CheckedCompletion> S3Engine::CheckCompletion(const std::string& bucket_name,
                                                                const std::string& key, const std::string& upload_id,
                                                                const std::vector<CompletePart>& requested,
                                                                const WriteConditions& conditions) {
    auto bucket = RequireBucket(bucket_name);
    if (!bucket) return Fail(bucket.error());
    auto upload = RequireUpload(bucket_name, key, upload_id);
    if (!upload) return Fail(upload.error());
    if (requested.empty()) {
        return Fail(Err(S3ErrorKind::kInvalidRequest, "You must specify at least one part"));
    }
    for (std::size_t i = 1; i < requested.size(); ++i) {
        if (requested[i].number <= requested[i - 1].number) {
            return Fail(Err(S3ErrorKind::kInvalidPartOrder, "The list of parts was not in ascending order. Parts must be "
                                                            "ordered by part number."));
        }
    }
    CheckedCompletion checked{*bucket, *upload, {}};
    auto& st = db_.Prepare("SELECT size, etag, checksum, blob FROM parts WHERE upload_id = ?1 AND part_number = ?2");
    for (const auto& r : requested) {
        st.BindAll(upload_id, r.number);
        bool found = st.Step();
        PendingCompletion::Piece s;
        if (found) {
            s.part.number = r.number;
            s.part.size = static_cast<std::uint64_t>(st.Int64(0));
            s.part.etag = st.Text(1);
            if (!st.IsNull(2)) s.part.checksum = st.Text(2);
            s.blob = st.Text(3);
            s.path = BlobPath(s.blob);
        }
        st.Reset();
        if (!found || StripQuotes(r.etag) != s.part.etag ||
            (r.checksum && s.part.checksum && *r.checksum != *s.part.checksum)) {
            return Fail(InvalidPart());
        }
        checked.pieces.push_back(std::move(s));
    }
    for (std::size_t i = 0; i + 1 < checked.pieces.size(); ++i) {
        if (checked.pieces[i].part.size < options_.min_part_bytes) {
            return Fail(Err(S3ErrorKind::kEntityTooSmall, "Your proposed upload is smaller than the minimum allowed size"));
        }
    }
    auto current = CurrentVersion(bucket_name, key);
    bool exists = current && !current->is_delete_marker;
    if ((conditions.if_none_match_any && exists) ||
        (conditions.if_match && (!exists || !EtagListMatches(*conditions.if_match, current->etag)))) {
        return Fail(Err(S3ErrorKind::kPreconditionFailed, "At least one of the pre-conditions you specified did not hold"));
    }
    return checked;
}

void PendingCompletion::Assemble() {
    if (assembled_) throw std::logic_error("PendingCompletion assembled twice");
    assembled_ = true;
    for (const auto& piece : pieces_) writer_.Append(piece.path, 0, piece.part.size);
}

S3Result<PendingCompletion> S3Engine::PrepareCompleteMultipartUpload(const std::string& bucket, const std::string& key,
                                                                     const std::string& upload_id,
                                                                     const std::vector<CompletePart>& parts,
                                                                     const WriteConditions& conditions) {
    auto checked = CheckCompletion(bucket, key, upload_id, parts, conditions);
    if (!checked) return Fail(checked.error());
    const Upload& upload = checked->upload;
    std::optional<ChecksumAlgorithm> full;
    if (upload.checksum_algorithm && upload.full_object_checksum) full = upload.checksum_algorithm;
    PendingCompletion pending(NewBody(full));
    pending.bucket_ = bucket;
    pending.key_ = key;
    pending.upload_id_ = upload_id;
    pending.requested_ = parts;
    pending.conditions_ = conditions;
    pending.pieces_ = std::move(checked->pieces);
    for (const auto& piece : pending.pieces_) pending.size_ += piece.part.size;
    return pending;
}

S3Result<ObjectVersion> S3Engine::FinishCompleteMultipartUpload(PendingCompletion pending) {
    if (!pending.assembled_) pending.Assemble();
    const std::string& bucket_name = pending.bucket_;
    const std::string& key = pending.key_;
    const std::string& upload_id = pending.upload_id_;
    // The world may have moved while the body was assembled (off the loop): check it all again,
    // and that every part is still the file that was read.
    auto checked = CheckCompletion(bucket_name, key, upload_id, pending.requested_, pending.conditions_);
    if (!checked) return Fail(checked.error());
    for (std::size_t i = 0; i < checked->pieces.size(); ++i) {
        if (checked->pieces[i].blob != pending.pieces_[i].blob) {
            return Fail(InvalidPart());
        }
    }
    const auto& bucket = checked->bucket;
    const auto& upload = checked->upload;
    const auto& parts = checked->pieces;
    BodyWriter& w = pending.writer_;
    std::optional<ChecksumAlgorithm> full = w.algorithm();
    // The multipart ETag is the MD5 of the parts' binary MD5s followed by "-N"; a composite
    // checksum is the same construction over the parts' checksums.
    // https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html
    Digest etag_md5 = Digest::Md5();
    std::optional<Digest> composite;
    bool all_have_checksums = upload.checksum_algorithm.has_value();
    if (upload.checksum_algorithm && !full) composite.emplace(Digest::For(*upload.checksum_algorithm));
    for (const auto& s : parts) {
        std::string raw_md5;
        for (std::size_t i = 0; i + 1 < s.part.etag.size(); i += 2) {
            raw_md5 += static_cast<char>(std::stoi(s.part.etag.substr(i, 2), nullptr, 16));
        }
        etag_md5.Update(raw_md5);
        if (composite) {
            if (!s.part.checksum) {
                all_have_checksums = false;
            } else if (auto raw = Base64Decode(*s.part.checksum)) {
                composite->Update(*raw);
            }
        }
    }
    auto [md5, sum] = w.Finish();
    ObjectVersion v;
    v.bucket = bucket_name;
    v.key = key;
    v.size = w.size();
    v.parts_count = static_cast<int>(parts.size());
    v.etag = HexEncode(etag_md5.Final()) + "-" + std::to_string(parts.size());
    v.last_modified = clock_.Now();
    v.content = upload.content;
    v.metadata = upload.metadata;
    v.tags = upload.tags;
    if (full) {
        v.checksum = StoredChecksum{*full, Base64Encode(sum), false};
    } else if (composite && all_have_checksums) {
        v.checksum = StoredChecksum{*upload.checksum_algorithm,
                                    Base64Encode(composite->Final()) + "-" + std::to_string(parts.size()), true};
    }
    std::string blob = StoreBody(w, v);
    std::vector<std::string> doomed;
    auto& all = db_.Prepare("SELECT blob FROM parts WHERE upload_id = ?1");
    all.BindAll(upload_id);
    while (all.Step()) doomed.push_back(all.Text(0));
    CommitWithNewBlob(blob, std::move(doomed), [&](std::vector<std::string>& doomed_blobs) {
        v = InsertVersion(bucket, std::move(v), blob, doomed_blobs);
        db_.Prepare("DELETE FROM uploads WHERE upload_id = ?1").BindAll(upload_id).Execute();
    });
    Notify("ObjectCreated:CompleteMultipartUpload", v);
    return v;
}

S3Result<core::Unit> S3Engine::AbortMultipartUpload(const std::string& bucket, const std::string& key,
                                                    const std::string& upload_id) {
    auto upload = RequireUpload(bucket, key, upload_id);
    if (!upload) return Fail(upload.error());
    std::vector<std::string> doomed;
    auto& all = db_.Prepare("SELECT blob FROM parts WHERE upload_id = ?1");
    all.BindAll(upload_id);
    while (all.Step()) doomed.push_back(all.Text(0));
    auto scope = group_.BeginWrite(db_);
    db_.Prepare("DELETE FROM uploads WHERE upload_id = ?1").BindAll(upload_id).Execute();
    scope.Commit();
    RemoveAfterCommit(std::move(doomed), {});
    return core::Unit{};
}

S3Result<PartsPage> S3Engine::ListParts(const std::string& bucket, const std::string& key,
                                        const std::string& upload_id, int marker, int max_parts) {
    auto upload = RequireUpload(bucket, key, upload_id);
    if (!upload) return Fail(upload.error());
    PartsPage page;
    page.upload = *upload;
    auto& st = db_.Prepare("SELECT part_number, size, etag, modified_ns, checksum FROM parts"
                           " WHERE upload_id = ?1 AND part_number > ?2 ORDER BY part_number LIMIT ?3");
    st.BindAll(upload_id, marker, max_parts + 1);
    while (st.Step()) {
        if (static_cast<int>(page.parts.size()) == max_parts) {
            page.truncated = true;
            break;
        }
        Part p;
        p.number = static_cast<int>(st.Int64(0));
        p.size = static_cast<std::uint64_t>(st.Int64(1));
        p.etag = st.Text(2);
        p.last_modified = FromNs(st.Int64(3));
        if (!st.IsNull(4)) p.checksum = st.Text(4);
        page.parts.push_back(std::move(p));
    }
    st.Reset();
    if (!page.parts.empty()) page.next_marker = page.parts.back().number;
    return page;
}

S3Result<UploadsPage> S3Engine::ListMultipartUploads(const std::string& bucket, const std::string& prefix,
                                                     const std::string& delimiter, const std::string& key_marker,
                                                     const std::string& upload_id_marker, int max_uploads) {
    if (auto b = RequireBucket(bucket); !b) return Fail(b.error());
    UploadsPage page;
    auto& st = db_.Prepare("SELECT upload_id, key FROM uploads WHERE bucket = ?1 AND key >= ?2"
                           " ORDER BY key, initiated_ns, upload_id");
    st.BindAll(bucket, key_marker);
    std::vector<std::pair<std::string, std::string>> rows;  // (key, upload id)
    while (st.Step()) rows.emplace_back(st.Text(1), st.Text(0));
    st.Reset();
    bool skipping = !upload_id_marker.empty();
    int count = 0;
    for (const auto& [k, id] : rows) {
        if (!k.starts_with(prefix)) continue;
        if (k == key_marker) {
            if (upload_id_marker.empty()) continue;
            if (skipping) {
                if (id == upload_id_marker) skipping = false;
                continue;
            }
        }
        std::string cp;
        if (!delimiter.empty()) {
            std::size_t pos = k.find(delimiter, prefix.size());
            if (pos != std::string::npos) cp = k.substr(0, pos + delimiter.size());
        }
        if (!cp.empty() && !page.common_prefixes.empty() && page.common_prefixes.back() == cp) continue;
        if (count == max_uploads) {
            page.truncated = true;
            break;
        }
        ++count;
        if (!cp.empty()) {
            page.common_prefixes.push_back(cp);
            page.next_key_marker = cp;
            page.next_upload_id_marker.clear();
            continue;
        }
        auto u = RequireUpload(bucket, k, id);
        if (u) page.uploads.push_back(std::move(u).value());
        page.next_key_marker = k;
        page.next_upload_id_marker = id;
    }
    return page;
}

void S3Engine::Reset() {
    auto scope = group_.BeginWrite(db_);
    db_.Exec("DELETE FROM parts; DELETE FROM uploads; DELETE FROM objects; DELETE FROM buckets;");
    scope.Commit();
    group_.AfterCommit([this](bool committed) {
        if (!committed) return;
        std::error_code ec;
        fs::remove_all(options_.root / "blobs", ec);
        fs::create_directories(options_.root / "blobs", ec);
    });
}

// --- notifications: the public writes report what they changed ------------------------------------

void S3Engine::Notify(std::string name, const ObjectVersion& v) {
    if (!observer_) return;
    ObjectEvent e;
    e.name = std::move(name);
    e.bucket = v.bucket;
    e.key = v.key;
    e.size = v.size;
    e.etag = v.etag;
    e.version_id = v.version_id == "null" ? "" : v.version_id;
    observer_(e);
}

S3Result<ObjectVersion> S3Engine::PutObject(const PutObjectInput& input, BodyWriter body) {
    auto r = DoPutObject(input, std::move(body));
    if (r) Notify("ObjectCreated:Put", *r);
    return r;
}

S3Result<DeleteResult> S3Engine::DeleteObject(const std::string& bucket, const std::string& key,
                                              const std::optional<std::string>& version_id) {
    auto r = DoDeleteObject(bucket, key, version_id);
    if (r) {
        ObjectVersion v;
        v.bucket = bucket;
        v.key = key;
        v.version_id = r->version_id;
        Notify(r->delete_marker && !version_id ? "ObjectRemoved:DeleteMarkerCreated" : "ObjectRemoved:Delete", v);
    }
    return r;
}

S3Result<CopyResult> S3Engine::CopyObject(const CopyObjectInput& input) {
    auto r = DoCopyObject(input);
    if (r) Notify("ObjectCreated:Copy", r->object);
    return r;
}

S3Result<ObjectVersion> S3Engine::CompleteMultipartUpload(const std::string& bucket, const std::string& key,
                                                          const std::string& upload_id,
                                                          const std::vector<CompletePart>& parts,
                                                          const WriteConditions& conditions) {
    auto pending = PrepareCompleteMultipartUpload(bucket, key, upload_id, parts, conditions);
    if (!pending) return Fail(pending.error());
    return FinishCompleteMultipartUpload(std::move(pending).value());
}

}  // namespace sim::aws::s3::engine
