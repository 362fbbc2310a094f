#pragma once
// EventBridge event patterns (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html,
// .../eb-create-pattern-operators.html): exact values (strings, numbers, null, booleans), prefix,
// suffix, equals-ignore-case, wildcard, anything-but (values, prefix, suffix, wildcard), numeric
// comparisons, exists, cidr, `$or`, and nested objects. An event array matches when any element
// does.

#include <nlohmann/json.hpp>

#include "sim/core/result.hpp"

namespace sim::aws::events {

class EventPattern {
public:
    /// Parses and validates a pattern's JSON text (errors name the offending field).
    static core::Result<EventPattern> Parse(const std::string& text);
    bool Matches(const nlohmann::ordered_json& event) const;

private:
    nlohmann::json pattern_;
};

}  // namespace sim::aws::events
