#pragma once
// The business flows `cardsim load` drives (issue 10), as black-box clients of the system through
// the transport (DESIGN: the scenario module sees only service names): card_use, app_browse,
// atm_repayment, application. Paths and bodies are the platform's front APIs and the fakes'
// simulation APIs (docs/platform.md, fakes/*/README.md).
//
// Before the run `Population::Prepare` creates the members: sign-up, sign-in, a device token, a
// card account at the processor and its card in the payment service (the internal API), so the
// measured flows start from card holders without hours of eKYC and review.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/clock/clock.hpp"
#include "sim/core/transport.hpp"
#include "sim/scenario/load/open_model.hpp"

namespace sim::scenario::load {

/// The flow names `cardsim load` implements (for profile validation).
const std::set<std::string>& KnownFlows();
/// Per flow, the client-side hops its arrivals report besides "e2e" and "server_e2e" (for
/// threshold validation).
const std::map<std::string, std::set<std::string>>& FlowHops();

/// The critical path of a flow as the system's trace-span hop names, in path order (docs/load.md,
/// "Server-side hops"): front-API routes "<listener> <METHOD> <route>", "sqs.dwell <queue>",
/// "function <name>", "payment.record", and "store.commit_wait". Empty for an unknown flow.
const std::vector<std::string>& ServerPath(const std::string& flow);

struct Member {
    std::string member_id;
    std::string email;
    std::string session_token;
    std::string device_token;
    std::string pan;           ///< only in the load generator's memory, to play the merchant side
    std::string card_id;
    /// The highest push delivery seq seen for this member: a push for an authorization sent now
    /// can only come after it, so a new arrival waits from here instead of re-reading the history.
    std::uint64_t push_cursor = 0;
};

/// Sends JSON requests through the transport and times them on the clock.
class FlowClient {
public:
    FlowClient(core::Transport& transport, clock::Clock& clock) : transport_(transport), clock_(clock) {}
    struct Reply {
        int status = 0;
        nlohmann::json body;  ///< null when the body is not JSON
        std::chrono::nanoseconds latency{0};
    };
    void Call(const std::string& service, const std::string& method, const std::string& target, const nlohmann::json& body,
              const std::map<std::string, std::string>& headers, std::function<void(Reply)> done);
    clock::Clock& Clock() { return clock_; }

private:
    core::Transport& transport_;
    clock::Clock& clock_;
};

class Population {
public:
    /// Members are named `member-<tag>-<index>@load.example` (device token `load-<tag>-<index>`,
    /// processor reference `LOAD-<tag>-<index>`), applicants `applicant-<tag>-<arrival>`, where the
    /// tag is the seed, plus `-s<i>of<N>` for shard i of N > 1: shards against one target create
    /// their own members and applicants instead of colliding on each other's e-mail addresses.
    Population(FlowClient& client, std::uint64_t seed, std::uint32_t shard_index = 0, std::uint32_t shard_count = 1)
        : client_(client),
          seed_(seed),
          tag_(std::to_string(seed) + (shard_count > 1 ? "-s" + std::to_string(shard_index + 1) + "of" +
                                                             std::to_string(shard_count)
                                                       : "")) {}
    /// Creates `count` members (at most `parallel` at a time); `done` gets an empty string on
    /// success or the first failure's description.
    void Prepare(std::uint32_t count, std::uint32_t parallel, std::function<void(std::string)> done);
    std::vector<Member>& Members() { return members_; }
    std::uint64_t Seed() const { return seed_; }
    /// The seed and shard part of every member and applicant name (see the constructor).
    const std::string& Tag() const { return tag_; }

private:
    void PrepareOne(std::size_t index, std::function<void(std::string)> done);
    FlowClient& client_;
    std::uint64_t seed_;
    std::string tag_;
    std::vector<Member> members_;
};

/// Builds the LoadFlow of `name` (one of KnownFlows()) over `population`.
std::unique_ptr<LoadFlow> MakeFlow(const std::string& name, FlowClient& client, Population& population);

}  // namespace sim::scenario::load
