#pragma once
// The fakes' request journal (issue 7): every request a fake answered and every callback or file
// it sent, in a bounded ring buffer, queryable by system, path prefix and "since".
// Bodies are stored PAN-masked (sim/core/pan_mask.hpp) and cut to kMaxBodyBytes.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/core/time.hpp"

namespace sim::fakes::common {

enum class JournalKind { kRequest, kCallback, kFile };

struct JournalEntry {
    std::uint64_t seq = 0;  ///< 1, 2, 3 ... never reused (survives eviction)
    core::TimePoint at{};
    std::string system;     ///< "payment", "push", ...
    JournalKind kind = JournalKind::kRequest;
    std::string operation;  ///< the fault-injection operation name
    std::string method;
    std::string path;       ///< request target (path and query)
    int status = 0;         ///< response status; 0 while a callback awaits its answer
    std::string request_body;
    std::string response_body;
    std::string fault;      ///< injected fault applied ("error", "timeout", "reset", "duplicate", ...) or ""
    int attempt = 0;        ///< callbacks: 1 for the first try
    std::string idempotency_key;
};

nlohmann::json ToJson(const JournalEntry& e);

struct JournalQuery {
    std::string system;                   ///< exact; empty = all
    std::string path_prefix;              ///< empty = all
    std::optional<std::uint64_t> after_seq;  ///< entries with seq > this
    std::optional<core::TimePoint> since_time;  ///< entries at or after this time
    std::size_t limit = 1000;
};

class Journal {
public:
    static constexpr std::size_t kMaxBodyBytes = 8 * 1024;

    /// Keeps at most `capacity` entries (the oldest are evicted first); capacity >= 1.
    explicit Journal(std::size_t capacity = 10'000) : capacity_(capacity < 1 ? 1 : capacity) {}

    /// Appends `entry` (seq assigned, bodies masked and cut); returns its seq.
    std::uint64_t Append(JournalEntry entry);
    /// Sets the status (and response body) of an entry still in the buffer; no-op otherwise.
    void Complete(std::uint64_t seq, int status, std::string_view response_body);
    /// Matching entries in seq order, at most `limit`.
    std::vector<JournalEntry> Query(const JournalQuery& query) const;
    std::size_t size() const { return entries_.size(); }
    std::size_t capacity() const { return capacity_; }
    std::uint64_t last_seq() const { return next_seq_ - 1; }
    void Clear() { entries_.clear(); }

private:
    std::size_t capacity_;
    std::deque<JournalEntry> entries_;
    std::uint64_t next_seq_ = 1;
};

/// Cuts to Journal::kMaxBodyBytes and masks card numbers.
std::string JournalBody(std::string_view body);

}  // namespace sim::fakes::common
