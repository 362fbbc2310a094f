#pragma once
// Fault injection for the fakes (issue 7): per system and operation, latency (fixed, uniform,
// log-normal), error responses at a rate, no response (timeout), connection reset, and for
// callbacks duplicated, delayed and reordered deliveries. Every draw comes from a generator
// seeded from the run's seed and the rule's id, so the same seed and the same calls give the same
// faults, whatever other rules or traffic exist.
//
// Decision per call of a matching rule (one uniform draw u):
//   u < error_rate                            -> error (status + body)
//   u < error_rate + timeout_rate             -> no response
//   u < error_rate + timeout_rate + reset_rate -> connection reset
// then the latency sample. The first matching rule (in the order added) applies.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "fakes/common/problem.hpp"
#include "sim/core/random.hpp"
#include "sim/core/time.hpp"

namespace sim::fakes::common {

enum class LatencyKind { kNone, kFixed, kUniform, kLogNormal };

struct LatencySpec {
    LatencyKind kind = LatencyKind::kNone;
    double fixed_ms = 0;                  ///< kFixed
    double min_ms = 0, max_ms = 0;        ///< kUniform
    double median_ms = 0, sigma = 0;      ///< kLogNormal: exp(N(ln median, sigma^2))
};

struct FaultRule {
    std::string id;               ///< "F1", "F2", ... assigned when added
    std::string system;           ///< exact system name, or "*"
    std::string operation = "*";  ///< exact operation name, or "*"
    LatencySpec latency;
    double error_rate = 0;
    int error_status = 500;
    nlohmann::json error_body;    ///< null: a problem body naming the injected fault
    double timeout_rate = 0;
    double reset_rate = 0;
    // Callbacks (outbound) only:
    double duplicate_rate = 0;    ///< a delivery is sent twice
    core::Duration callback_delay{0};     ///< every delivery leaves this much later
    core::Duration reorder_window{0};     ///< plus a uniform extra delay in [0, window]: later events may overtake
    std::optional<std::uint64_t> remaining;  ///< applies this many more times; unset = until cleared
    std::uint64_t applied = 0;
};

/// Parses the JSON of POST /_sim/faults (see fakes/README.md). Errors name the field.
ModelResult<FaultRule> ParseFaultRule(const nlohmann::json& body);
nlohmann::json ToJson(const FaultRule& rule);

enum class FaultOutcome { kNone, kError, kTimeout, kReset };

/// The fault system name of the platform's front door as the fakes' callbacks meet it: a rule
/// {"system": "platform", "operation": "callback_repayment", "error": {...}} makes deliveries of
/// that callback answer as a platform behind an unavailable load balancer would, without reaching
/// the platform (error), or get no answer (timeout), or reach it and lose the answer (reset).
inline constexpr const char* kPlatformFrontDoor = "platform";

struct FaultDecision {
    std::string rule_id;  ///< empty: no rule matched
    FaultOutcome outcome = FaultOutcome::kNone;
    core::Duration latency{0};
    int status = 0;
    nlohmann::json body;
};

/// The journal's name for what a decision injects: "error", "timeout", "reset", "latency" (a
/// delay alone), or "" when it injects nothing.
const char* FaultLabel(const FaultDecision& decision);

struct CallbackDecision {
    std::string rule_id;
    int copies = 1;             ///< 2 when duplicated
    core::Duration delay{0};    ///< extra delay before the (first) send
};

class FaultInjector {
public:
    explicit FaultInjector(std::uint64_t seed) : seed_(seed) {}

    /// Adds a rule (its id assigned) and returns it.
    FaultRule Add(FaultRule rule);
    /// Removes every rule; ids keep counting (a re-added rule gets a fresh generator).
    void Clear() { slots_.clear(); }
    /// Removes one rule; false if unknown.
    bool Remove(const std::string& id);
    /// The rules in the order they apply.
    std::vector<FaultRule> rules() const;

    /// Decides the fate of one inbound request of `system`/`operation`.
    FaultDecision Decide(const std::string& system, const std::string& operation);
    /// Decides how the platform's front door answers one delivery attempt of a callback
    /// `operation` (rules of system kPlatformFrontDoor only: a "*" rule means the fakes).
    FaultDecision DecideAtPlatform(const std::string& operation);
    /// Decides the fate of one outbound callback of `system`/`operation`.
    CallbackDecision DecideCallback(const std::string& system, const std::string& operation);

private:
    struct Slot {
        FaultRule rule;
        core::Random random;
    };
    Slot* Match(const std::string& system, const std::string& operation, bool callback, bool exact_system = false);
    FaultDecision DecideRequest(Slot* slot);
    core::Duration SampleLatency(const LatencySpec& spec, core::Random& random);

    std::uint64_t seed_;
    std::uint64_t next_id_ = 1;
    std::vector<Slot> slots_;
};

/// One standard normal draw (Box-Muller on two uniform draws of `random`).
double StandardNormal(core::Random& random);

}  // namespace sim::fakes::common
