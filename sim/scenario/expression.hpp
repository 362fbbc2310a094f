#pragma once
// Scenario templating: `${...}` in any string of a step is replaced by the value of a small
// expression over the scenario's variables (docs/scenarios.md, "Variables and templating").
//
// Supported: literals (integers, decimals, 'single' or "double" quoted strings, true, false, null);
// variables with fields and indexes (`member.given_name`, `items[0].id`, `row['key']`); `+ - * / %`
// (integer arithmetic when both sides are integers, `+` concatenates when either side is a string);
// `== != < <= > >=`, `&& || !`, unary `-`, parentheses, `a ? b : c`; functions len, str, int,
// range, date, time, add_time, pad, lower, upper, contains, keys.
// A string that is exactly one `${...}` keeps the value's JSON type (`"${amount}"` is a number);
// anywhere else the value is spliced in as text. `$${` writes a literal `${`.
// Limitations: no assignment, no user functions, no loops (those are steps).

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "sim/core/result.hpp"
#include "sim/core/time.hpp"

namespace sim::scenario {

using Json = nlohmann::ordered_json;

/// The values an expression can see: an object of variables (name -> value).
struct Scope {
    const Json* variables = nullptr;
};

/// Evaluates one expression (the text between `${` and `}`). Errors name what is wrong.
core::Result<Json> Evaluate(std::string_view expression, const Scope& scope);

/// Replaces every `${...}` in `text` (see the header comment for typing rules).
core::Result<Json> RenderString(std::string_view text, const Scope& scope);

/// Renders every string (and object key) inside `value`, recursively.
core::Result<Json> Render(const Json& value, const Scope& scope);

/// True for values a `when` treats as true: true, non-zero numbers, non-empty strings/arrays/objects.
bool Truthy(const Json& value);

/// The text form of a value when spliced into a string: strings as they are, other values as JSON.
std::string ToText(const Json& value);

}  // namespace sim::scenario
