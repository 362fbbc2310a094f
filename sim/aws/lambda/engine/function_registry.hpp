#pragma once
// In-process functions by name: C++ callables that receive an event (JSON) and answer a result
// (JSON) or an error. The one registry behind the Lambda Invoke API, SQS event source mappings,
// EventBridge / Scheduler function targets and Step Functions' `lambda:invoke` resources.

#include <cstddef>
#include <deque>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/core/result.hpp"

namespace sim::aws::lambda {

using Json = nlohmann::ordered_json;

/// A failed invocation: the error type (e.g. "Lambda.ResourceNotFoundException", "Error") and
/// its message.
struct FunctionError {
    std::string error;
    std::string cause;
};

using FunctionOutcome = core::Result<Json, FunctionError>;
using FunctionCallback = std::function<void(FunctionOutcome)>;

class FunctionRegistry {
public:
    /// Receives the event and must call `done` exactly once (it may do so later, on the loop).
    using Function = std::function<void(const Json& event, FunctionCallback done)>;
    /// How many recent invocations are kept per function for inspection.
    static constexpr std::size_t kKeptInvocations = 1000;

    void Register(const std::string& name, Function fn) { functions_[name] = std::move(fn); }
    /// By name, "name:qualifier" or a function ARN "arn:aws:lambda:<r>:<acct>:function:<name>[:q]".
    const Function* Find(std::string_view name_or_arn) const;
    /// The registered name `name_or_arn` refers to ("" when unknown).
    std::string NameOf(std::string_view name_or_arn) const;
    std::vector<std::string> Names() const;

    /// Calls the function now (the caller decides the loop turn) and records the event. Unknown
    /// names answer Lambda.ResourceNotFoundException through `done`. A function that throws
    /// answers its message as an "Unhandled" error: no exception escapes.
    void Invoke(std::string_view name_or_arn, const Json& event, FunctionCallback done);
    /// The events the function received through Invoke, oldest first (at most kKeptInvocations).
    std::vector<Json> Invocations(std::string_view name) const;
    void ClearInvocations() { invocations_.clear(); }

private:
    std::map<std::string, Function, std::less<>> functions_;
    std::map<std::string, std::deque<Json>, std::less<>> invocations_;
};

}  // namespace sim::aws::lambda
