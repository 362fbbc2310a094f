#include "fakes/push/gateway.hpp"

#include "sim/core/pan_mask.hpp"

namespace sim::fakes::push {

std::string_view ToString(PushPlatform p) { return p == PushPlatform::kFcm ? "FCM" : "APNS"; }

PushPlatform PlatformOf(std::string_view token) {
    return token.rfind("fcm-", 0) == 0 || token.find(':') != std::string_view::npos ? PushPlatform::kFcm
                                                                                   : PushPlatform::kApns;
}

namespace {
bool StartsWith(std::string_view s, std::string_view p) { return s.rfind(p, 0) == 0; }
}  // namespace

SendResult PushGateway::Send(const PushMessage& m) {
    SendResult r;
    PushPlatform platform = PlatformOf(m.token);
    bool apns = platform == PushPlatform::kApns;
    auto fail = [&](int status, std::string reason, std::string field) {
        r.status = status;
        r.reason = std::move(reason);
        r.field = std::move(field);
        return r;
    };
    if (m.token.empty()) return apns ? fail(400, "MissingDeviceToken", "token") : fail(400, "INVALID_ARGUMENT", "token");
    if (m.token.size() > 4096 ||
        m.token.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789:_-") !=
            std::string::npos)
        return apns ? fail(400, "BadDeviceToken", "token") : fail(400, "INVALID_ARGUMENT", "token");
    if (m.title.empty() && m.body.empty() && m.data_json == "{}")
        return apns ? fail(400, "PayloadEmpty", "body") : fail(400, "INVALID_ARGUMENT", "body");
    if (m.title.size() + m.body.size() + m.data_json.size() > kMaxPayloadBytes)
        return apns ? fail(413, "PayloadTooLarge", "body") : fail(400, "INVALID_ARGUMENT", "data");

    // Magic tokens (DOMAIN.md §10).
    int attempt = ++attempts_[m.token];
    if (StartsWith(m.token, "apns-bad-")) return fail(400, "BadDeviceToken", "token");
    if (StartsWith(m.token, "apns-gone-")) {
        r.unregistered_at = clock_.Now();
        return fail(410, "Unregistered", "token");
    }
    if (StartsWith(m.token, "apns-busy-") && attempt == 1) return fail(429, "TooManyRequests", "");
    if (StartsWith(m.token, "fcm-unreg-")) return fail(404, "UNREGISTERED", "token");
    if (StartsWith(m.token, "fcm-down-") && attempt <= 2) return fail(503, "UNAVAILABLE", "");
    if (auto it = unregistered_.find(m.token); it != unregistered_.end()) {
        r.unregistered_at = it->second;
        return apns ? fail(410, "Unregistered", "token") : fail(404, "UNREGISTERED", "token");
    }

    Delivery d;
    d.seq = deliveries_.size() + 1;
    d.id = ids_.Uuid();
    d.token = m.token;
    d.platform = platform;
    d.title = core::MaskPans(m.title);
    d.body = core::MaskPans(m.body);
    d.data_json = core::MaskPans(m.data_json);
    d.contains_card_number = d.title != m.title || d.body != m.body || d.data_json != m.data_json;
    d.at = clock_.Now();
    deliveries_.push_back(d);
    r.delivery = d;
    WakeWaiters();
    return r;
}

void PushGateway::Unregister(const std::string& token) { unregistered_[token] = clock_.Now(); }

std::vector<Delivery> PushGateway::Deliveries(const std::string& token, std::uint64_t after_seq,
                                              std::size_t limit) const {
    std::vector<Delivery> out;
    for (std::size_t i = after_seq; i < deliveries_.size() && out.size() < limit; ++i)
        if (token.empty() || deliveries_[i].token == token) out.push_back(deliveries_[i]);
    return out;
}

void PushGateway::Await(const std::string& token, std::uint64_t after_seq, std::size_t count, core::Duration timeout,
                        std::function<void(std::vector<Delivery>, bool)> done) {
    auto now = Deliveries(token, after_seq, count);
    if (now.size() >= count) return done(std::move(now), false);
    std::uint64_t id = next_waiter_++;
    clock::TimerId timer = clock_.ScheduleAfter(timeout, [this, id] {
        for (auto it = waiters_.begin(); it != waiters_.end(); ++it) {
            if (it->id != id) continue;
            Waiter w = std::move(*it);
            waiters_.erase(it);
            w.done(Deliveries(w.token, w.after_seq, w.count), true);
            return;
        }
    });
    waiters_.push_back(Waiter{id, token, after_seq, count, timer, std::move(done)});
}

void PushGateway::WakeWaiters() {
    std::vector<Waiter> ready;
    for (auto it = waiters_.begin(); it != waiters_.end();) {
        if (Deliveries(it->token, it->after_seq, it->count).size() >= it->count) {
            ready.push_back(std::move(*it));
            it = waiters_.erase(it);
        } else {
            ++it;
        }
    }
    for (auto& w : ready) {
        clock_.Cancel(w.timer);
        w.done(Deliveries(w.token, w.after_seq, w.count), false);
    }
}

void PushGateway::Reset() {
    for (auto& w : waiters_) {
        clock_.Cancel(w.timer);
        w.done({}, true);
    }
    waiters_.clear();
    deliveries_.clear();
    attempts_.clear();
    unregistered_.clear();
}

}  // namespace sim::fakes::push
