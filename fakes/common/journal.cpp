#include "fakes/common/journal.hpp"

#include <algorithm>

#include "fakes/common/japanese.hpp"
#include "sim/core/pan_mask.hpp"

namespace sim::fakes::common {

namespace {
const char* KindName(JournalKind k) {
    switch (k) {
        case JournalKind::kRequest: return "request";
        case JournalKind::kCallback: return "callback";
        case JournalKind::kFile: return "file";
    }
    return "request";
}
}  // namespace

std::string JournalBody(std::string_view body) {
    // Cut on a character boundary and keep the text valid UTF-8 (it is served as JSON).
    std::size_t n = std::min(body.size(), Journal::kMaxBodyBytes);
    while (n < body.size() && n > 0 && (static_cast<unsigned char>(body[n]) & 0xC0) == 0x80) --n;
    std::string out = ValidUtf8(body.substr(0, n));
    core::MaskPansInPlace(out);
    return out;
}

nlohmann::json ToJson(const JournalEntry& e) {
    nlohmann::json j = {{"seq", e.seq},
                        {"at", core::FormatIso8601(e.at)},
                        {"system", e.system},
                        {"kind", KindName(e.kind)},
                        {"operation", e.operation},
                        {"method", e.method},
                        {"path", e.path},
                        {"status", e.status}};
    // Bodies that are JSON are shown as JSON, others as text.
    for (auto [name, body] : {std::pair{"request", &e.request_body}, std::pair{"response", &e.response_body}}) {
        auto parsed = nlohmann::json::parse(*body, nullptr, false);
        j[name] = body->empty() ? nlohmann::json(nullptr) : parsed.is_discarded() ? nlohmann::json(*body) : parsed;
    }
    if (!e.fault.empty()) j["fault"] = e.fault;
    if (e.attempt > 0) j["attempt"] = e.attempt;
    if (!e.idempotency_key.empty()) j["idempotency_key"] = e.idempotency_key;
    return j;
}

std::uint64_t Journal::Append(JournalEntry entry) {
    entry.seq = next_seq_++;
    entry.request_body = JournalBody(entry.request_body);
    entry.response_body = JournalBody(entry.response_body);
    entry.path = ValidUtf8(entry.path);
    core::MaskPansInPlace(entry.path);
    entries_.push_back(std::move(entry));
    while (entries_.size() > capacity_) entries_.pop_front();
    return entries_.back().seq;
}

void Journal::Complete(std::uint64_t seq, int status, std::string_view response_body) {
    if (entries_.empty() || seq < entries_.front().seq || seq > entries_.back().seq) return;
    // seqs are consecutive within the buffer
    JournalEntry& e = entries_[seq - entries_.front().seq];
    e.status = status;
    e.response_body = JournalBody(response_body);
}

std::vector<JournalEntry> Journal::Query(const JournalQuery& q) const {
    std::vector<JournalEntry> out;
    for (const auto& e : entries_) {
        if (out.size() >= q.limit) break;
        if (!q.system.empty() && e.system != q.system) continue;
        if (!q.path_prefix.empty() && e.path.rfind(q.path_prefix, 0) != 0) continue;
        if (q.after_seq && e.seq <= *q.after_seq) continue;
        if (q.since_time && e.at < *q.since_time) continue;
        out.push_back(e);
    }
    return out;
}

}  // namespace sim::fakes::common
