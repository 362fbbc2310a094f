#pragma once
// Error values of the ASL interpreter: validation problems (a definition is refused) and runtime
// errors (an execution raises a named error that Retry/Catch can match).

#include <string>
#include <string_view>
#include <vector>

namespace sim::aws::sfn::asl {

/// The predefined error names of the Amazon States Language (docs: "Error names").
namespace errors {
inline constexpr std::string_view kAll = "States.ALL";
inline constexpr std::string_view kBranchFailed = "States.BranchFailed";
inline constexpr std::string_view kDataLimitExceeded = "States.DataLimitExceeded";
inline constexpr std::string_view kExceedToleratedFailureThreshold = "States.ExceedToleratedFailureThreshold";
inline constexpr std::string_view kHeartbeatTimeout = "States.HeartbeatTimeout";
inline constexpr std::string_view kIntrinsicFailure = "States.IntrinsicFailure";
inline constexpr std::string_view kItemReaderFailed = "States.ItemReaderFailed";
inline constexpr std::string_view kNoChoiceMatched = "States.NoChoiceMatched";
inline constexpr std::string_view kParameterPathFailure = "States.ParameterPathFailure";
inline constexpr std::string_view kPermissions = "States.Permissions";
inline constexpr std::string_view kResultPathMatchFailure = "States.ResultPathMatchFailure";
inline constexpr std::string_view kResultWriterFailed = "States.ResultWriterFailed";
inline constexpr std::string_view kRuntime = "States.Runtime";
inline constexpr std::string_view kTaskFailed = "States.TaskFailed";
inline constexpr std::string_view kTimeout = "States.Timeout";
}  // namespace errors

/// A named error raised while an execution runs (the `Error`/`Cause` pair AWS reports).
struct RuntimeError {
    std::string error;
    std::string cause;
};

/// One problem found in a definition. `code` is AWS's category (SCHEMA_VALIDATION_FAILED,
/// MISSING_TRANSITION_TARGET, ...), `location` a JSON pointer such as "/States/X/Next".
struct ValidationError {
    std::string code;
    std::string message;
    std::string location;

    /// "CODE: message at /location", the form AWS lists inside InvalidDefinition.
    std::string ToString() const {
        std::string out = code + ": " + message;
        if (!location.empty()) out += " at " + location;
        return out;
    }
};

/// Every problem of a definition, in document order.
struct ValidationErrors {
    std::vector<ValidationError> items;

    /// The InvalidDefinition message: "Invalid State Machine Definition: '<e1>, <e2>, ...'".
    std::string Message() const {
        std::string out = "Invalid State Machine Definition: '";
        for (std::size_t i = 0; i < items.size(); ++i) {
            if (i) out += ", ";
            out += items[i].ToString();
        }
        return out + "'";
    }
};

}  // namespace sim::aws::sfn::asl
