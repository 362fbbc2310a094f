#pragma once
// What the platform hands to the composition root: functions (run by the Lambda emulator for SQS
// event source mappings, EventBridge targets and Step Functions lambda:invoke) and batch tasks (run
// by Step Functions' ecs:runTask.sync), as plain callables, so sim/platform includes no AWS engine.
// Also the money-invariant registry behind GET /_sim/invariants.

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/core/result.hpp"

namespace sim::platform {

using Json = nlohmann::json;

/// A failed function or batch task: the error name (Retry/Catch match it; SQS redelivers the
/// message) and a cause for humans.
struct FunctionFailure {
    std::string error;
    std::string cause;
};
using FunctionResult = core::Result<Json, FunctionFailure>;
using FunctionDone = std::function<void(FunctionResult)>;
/// Receives the event (SQS batch {"Records":[...]}, a scheduled event, a state's input) and calls
/// `done` exactly once, possibly later on the loop.
using PlatformFunction = std::function<void(const Json& event, FunctionDone done)>;
/// Receives the RunTask parameters (Overrides included) and calls `done` exactly once.
using BatchTask = std::function<void(const Json& run_task_parameters, FunctionDone done)>;

/// One broken money invariant.
struct InvariantViolation {
    std::string invariant;
    std::optional<std::string> card_id;
    std::string detail;
};

/// What the checkers fill in: counts of what they looked at, and what is wrong.
struct InvariantReport {
    std::map<std::string, std::int64_t> checked;
    std::vector<InvariantViolation> violations;

    /// {"ok":bool,"checked":{...},"violations":[{"invariant","card_id"?,"detail"}]}
    Json ToJson() const;
};

/// The checkers of GET /_sim/invariants; each service adds its own (synchronous reads of its DB).
class InvariantRegistry {
public:
    using Checker = std::function<void(InvariantReport& report)>;
    void Add(std::string name, Checker checker) { checkers_.emplace_back(std::move(name), std::move(checker)); }
    /// Runs every checker; a checker that throws is reported as a violation "checker_failed".
    InvariantReport Run() const;
    std::size_t size() const { return checkers_.size(); }

private:
    std::vector<std::pair<std::string, Checker>> checkers_;
};

}  // namespace sim::platform
