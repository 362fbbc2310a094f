#pragma once
// Expectations on one value (docs/scenarios.md, "Expectations"): a plain JSON value means equality
// (numbers compare by value, 1 == 1.0); an object whose keys are all operators is a matcher:
//   eq, ne, exists (bool), gt, gte, lt, lte (numbers or strings), regex (ECMAScript, searched),
//   length (a number or a matcher on the length), contains (substring, array element or object
//   key), in (array of allowed values), type ("string", "number", "integer", "boolean", "array",
//   "object", "null"), not (a matcher that must fail), all / any (arrays of matchers).
// An object mixing operator and non-operator keys is refused at load time.

#include <optional>
#include <string>

#include "sim/scenario/expression.hpp"

namespace sim::scenario {

/// Checks that `spec` is a valid expectation (operators known, operand types right). `spec` may
/// still contain ${...}: operand checks apply only to values that are not templated.
core::Status<> ValidateMatcher(const Json& spec);

/// nullopt when `actual` (null when the value is missing) satisfies `spec`; otherwise what differs,
/// such as `expected > 5, got 3`.
std::optional<std::string> Match(const Json& spec, const Json* actual);

/// True for an object that is a matcher (every key an operator).
bool IsMatcherObject(const Json& spec);

}  // namespace sim::scenario
