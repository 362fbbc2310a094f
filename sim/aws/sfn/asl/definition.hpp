#pragma once
// The component tree of a state machine: a definition's JSON parsed and validated once into
// immutable states with compiled paths, templates and choice rules. Execution (execution.hpp)
// only reads this tree.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "sim/aws/sfn/asl/errors.hpp"
#include "sim/aws/sfn/asl/intrinsics.hpp"
#include "sim/aws/sfn/asl/json_path.hpp"
#include "sim/aws/sfn/asl/payload.hpp"
#include "sim/core/result.hpp"

namespace sim::aws::sfn::asl {

enum class StateType { kPass, kTask, kChoice, kWait, kSucceed, kFail, kParallel, kMap };

/// "Pass", "Task", ... (the ASL spelling, also the prefix of history event types).
std::string_view StateTypeName(StateType type);

enum class JitterStrategy { kNone, kFull };

struct Retrier {
    std::vector<std::string> error_equals;
    double interval_seconds = 1;
    std::int64_t max_attempts = 3;
    double backoff_rate = 2.0;
    std::optional<double> max_delay_seconds;
    JitterStrategy jitter = JitterStrategy::kNone;
};

struct Catcher {
    std::vector<std::string> error_equals;
    /// Where the error output {"Error","Cause"} goes; nullopt means `null` (discard, keep input).
    std::optional<JsonPath> result_path;
    std::string next;
    std::optional<PayloadTemplate> assign;
};

/// A value read from the input by a path or computed by an intrinsic (ErrorPath, CausePath).
struct ValueExpr {
    std::optional<JsonPath> path;
    std::optional<Intrinsic> intrinsic;
};

enum class CompareType { kString, kNumeric, kBoolean, kTimestamp };
enum class CompareRelation { kEquals, kLessThan, kGreaterThan, kLessThanEquals, kGreaterThanEquals, kMatches };
enum class TypeTest { kNone, kIsNull, kIsPresent, kIsNumeric, kIsString, kIsBoolean, kIsTimestamp };

struct ChoiceRule {
    enum class Kind { kAnd, kOr, kNot, kComparison };
    Kind kind = Kind::kComparison;
    std::vector<ChoiceRule> children;
    // comparison
    std::optional<JsonPath> variable;
    std::string operator_name;  ///< e.g. "NumericLessThanPath"
    TypeTest test = TypeTest::kNone;
    CompareType type = CompareType::kString;
    CompareRelation relation = CompareRelation::kEquals;
    Json operand;                        ///< literal operand
    std::optional<JsonPath> operand_path;  ///< for the ...Path operators
    // top-level rules only
    std::string next;
    std::optional<PayloadTemplate> assign;
};

struct StateMachine;

/// Where a distributed Map reads its items (ItemReader). The host fetches the object; the
/// interpreter parses the text (see item_reader.hpp).
struct ItemReaderSpec {
    std::string resource;  ///< e.g. "arn:aws:states:::s3:getObject"
    std::optional<PayloadTemplate> parameters;  ///< {"Bucket", "Key", ...}
    std::string input_type = "JSON";            ///< JSON, JSONL, CSV, MANIFEST
    std::string csv_header_location = "FIRST_ROW";
    std::vector<std::string> csv_headers;
    std::string csv_delimiter = "COMMA";
    std::optional<std::int64_t> max_items;
    std::optional<JsonPath> max_items_path;
};

struct State {
    std::string name;
    StateType type = StateType::kPass;
    std::string comment;
    std::string next;  ///< empty when `end`
    bool end = false;

    // Input/output processing. nullopt means the field was `null`; an absent field is `$`.
    std::optional<JsonPath> input_path;
    std::optional<JsonPath> output_path;
    std::optional<JsonPath> result_path;
    std::optional<PayloadTemplate> parameters;
    std::optional<PayloadTemplate> result_selector;
    std::optional<PayloadTemplate> assign;
    std::optional<Json> result;  ///< Pass

    std::vector<Retrier> retry;
    std::vector<Catcher> catchers;

    // Task
    std::string resource;
    std::optional<std::int64_t> timeout_seconds;
    std::optional<JsonPath> timeout_seconds_path;
    std::optional<std::int64_t> heartbeat_seconds;
    std::optional<JsonPath> heartbeat_seconds_path;
    std::optional<Json> credentials;

    // Choice
    std::vector<ChoiceRule> choices;
    std::string default_next;

    // Wait
    std::optional<std::int64_t> seconds;
    std::optional<std::string> timestamp;
    std::optional<JsonPath> seconds_path;
    std::optional<JsonPath> timestamp_path;

    // Fail
    std::optional<std::string> error;
    std::optional<std::string> cause;
    std::optional<ValueExpr> error_path;
    std::optional<ValueExpr> cause_path;

    // Parallel
    std::vector<std::shared_ptr<const StateMachine>> branches;

    // Map
    std::shared_ptr<const StateMachine> processor;
    bool distributed = false;
    std::optional<JsonPath> items_path;
    std::optional<PayloadTemplate> item_selector;  ///< ItemSelector, or the legacy Parameters of a Map
    std::int64_t max_concurrency = 0;              ///< 0: no limit
    std::optional<JsonPath> max_concurrency_path;
    std::optional<std::int64_t> tolerated_failure_count;
    std::optional<JsonPath> tolerated_failure_count_path;
    std::optional<double> tolerated_failure_percentage;
    std::optional<JsonPath> tolerated_failure_percentage_path;
    std::optional<ItemReaderSpec> item_reader;
    std::string label;

    /// True for states that accept Retry and Catch.
    bool CanRecover() const {
        return type == StateType::kTask || type == StateType::kParallel || type == StateType::kMap;
    }
};

/// A state machine or a nested one (a Parallel branch, a Map's ItemProcessor).
struct StateMachine {
    std::string comment;
    std::string start_at;
    std::optional<std::int64_t> timeout_seconds;  ///< top level only
    std::vector<State> states;                    ///< in definition order

    /// The state called `name`, or null.
    const State* Find(std::string_view name) const;

    std::unordered_map<std::string, std::size_t> index_;  ///< name -> position in states
};

/// Parses and validates a definition (the JSON text given to CreateStateMachine). Collects every
/// problem before returning; on success the tree is complete and consistent (every transition
/// target exists, every path and template compiled).
core::Result<std::shared_ptr<const StateMachine>, ValidationErrors> ParseDefinition(std::string_view text);
core::Result<std::shared_ptr<const StateMachine>, ValidationErrors> ParseDefinition(const Json& definition);

}  // namespace sim::aws::sfn::asl
