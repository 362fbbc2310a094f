#pragma once
// The fake push gateway's model (issue 7 §7, DOMAIN.md §9): accepts sends to APNs- or FCM-style
// device tokens, answers with the errors real gateways give (magic tokens), records deliveries,
// which can be listed and awaited (a long poll on the Clock).
//
// Platform of a token: "fcm-..." or any token containing ':' is FCM; anything else is APNs.
// Payload limit 4,096 bytes (title + body + data JSON). Card numbers found in a payload are
// masked in the stored delivery and flagged (`contains_card_number`): Apple forbids sensitive
// data in payloads.

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "sim/clock/clock.hpp"
#include "sim/core/random.hpp"

namespace sim::fakes::push {

enum class PushPlatform { kApns, kFcm };
std::string_view ToString(PushPlatform p);
PushPlatform PlatformOf(std::string_view token);

struct PushMessage {
    std::string token, title, body;
    std::string data_json = "{}";  ///< the data object, serialised
};

struct Delivery {
    std::uint64_t seq = 0;
    std::string id;  ///< apns-id style UUID
    std::string token;
    PushPlatform platform = PushPlatform::kApns;
    std::string title, body, data_json;
    bool contains_card_number = false;
    core::TimePoint at{};
};

/// The gateway's answer: 200 with a delivery, or an error status with the gateway's reason
/// (APNs `reason` such as "BadDeviceToken", FCM `errorCode` such as "UNREGISTERED").
struct SendResult {
    int status = 200;
    std::string reason;
    std::string field;  ///< the request field at fault, when one is
    std::optional<Delivery> delivery;
    std::optional<core::TimePoint> unregistered_at;  ///< APNs 410 timestamp
};

class PushGateway {
public:
    static constexpr std::size_t kMaxPayloadBytes = 4096;

    PushGateway(clock::Clock& clock, std::uint64_t seed) : clock_(clock), ids_(seed ^ 0x50555348ull) {}

    SendResult Send(const PushMessage& message);
    /// Marks `token` unregistered (the app was uninstalled): later sends get 410 / 404.
    void Unregister(const std::string& token);
    /// Deliveries after `after_seq`, to `token` when non-empty, at most `limit`.
    std::vector<Delivery> Deliveries(const std::string& token, std::uint64_t after_seq, std::size_t limit) const;
    /// Calls `done` once `count` deliveries matching (token, after_seq) exist (at once if they do),
    /// or at `timeout` with what there is (timed_out = true).
    void Await(const std::string& token, std::uint64_t after_seq, std::size_t count, core::Duration timeout,
               std::function<void(std::vector<Delivery>, bool timed_out)> done);
    void Reset();

private:
    struct Waiter {
        std::uint64_t id;
        std::string token;
        std::uint64_t after_seq;
        std::size_t count;
        clock::TimerId timer;
        std::function<void(std::vector<Delivery>, bool)> done;
    };
    void WakeWaiters();

    clock::Clock& clock_;
    core::IdGenerator ids_;
    std::vector<Delivery> deliveries_;
    std::map<std::string, int> attempts_;  // per token, for the "busy"/"down" magic tokens
    std::map<std::string, core::TimePoint> unregistered_;
    std::vector<Waiter> waiters_;
    std::uint64_t next_waiter_ = 1;
};

}  // namespace sim::fakes::push
