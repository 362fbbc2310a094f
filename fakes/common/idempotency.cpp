#include "fakes/common/idempotency.hpp"

namespace sim::fakes::common {

std::string IdempotencyCache::Fingerprint(const core::Request& request) {
    return request.method + " " + request.target + "\n" + request.body;
}

IdempotencyCache::Lookup IdempotencyCache::Begin(const std::string& system, const std::string& key,
                                                 const core::Request& request, core::Response* stored) {
    std::string full = system + "\n" + key;
    std::string fp = Fingerprint(request);
    auto it = entries_.find(full);
    if (it != entries_.end()) {
        if (it->second.fingerprint != fp) return Lookup::kMismatch;
        if (!it->second.response) return Lookup::kInProgress;
        *stored = *it->second.response;
        return Lookup::kReplay;
    }
    entries_.emplace(full, Entry{std::move(fp), std::nullopt});
    order_.push_back(full);
    while (order_.size() > capacity_) {
        entries_.erase(order_.front());
        order_.pop_front();
    }
    return Lookup::kNew;
}

void IdempotencyCache::Store(const std::string& system, const std::string& key, const core::Response& response) {
    auto it = entries_.find(system + "\n" + key);
    if (it != entries_.end()) it->second.response = response;
}

void IdempotencyCache::Release(const std::string& system, const std::string& key) {
    entries_.erase(system + "\n" + key);  // the order_ entry is skipped harmlessly on eviction
}

}  // namespace sim::fakes::common
