#pragma once
// Idempotency-key replay (issue 7, "Bad input"): a request repeated with the same
// `Idempotency-Key` header gets the first result, without acting twice. The key is scoped by
// system; reusing a key for a different request (method, path or body differ) is 422.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>

#include "sim/core/message.hpp"

namespace sim::fakes::common {

class IdempotencyCache {
public:
    static constexpr std::size_t kDefaultCapacity = 100'000;

    enum class Lookup { kNew, kReplay, kInProgress, kMismatch };

    explicit IdempotencyCache(std::size_t capacity = kDefaultCapacity) : capacity_(capacity) {}

    /// Looks `key` up for `request`; kNew reserves the key (call Store or Release later),
    /// kReplay fills `*stored`.
    Lookup Begin(const std::string& system, const std::string& key, const core::Request& request,
                 core::Response* stored);
    /// Records the first result of a reserved key.
    void Store(const std::string& system, const std::string& key, const core::Response& response);
    /// Forgets a reserved key (the request failed in a way worth retrying: 5xx, injected fault).
    void Release(const std::string& system, const std::string& key);
    void Clear() {
        entries_.clear();
        order_.clear();
    }

private:
    struct Entry {
        std::string fingerprint;
        std::optional<core::Response> response;
    };
    static std::string Fingerprint(const core::Request& request);

    std::size_t capacity_;
    std::map<std::string, Entry> entries_;
    std::deque<std::string> order_;  // insertion order, for eviction
};

}  // namespace sim::fakes::common
