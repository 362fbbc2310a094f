#pragma once
// JSONPath as AWS Step Functions evaluates it (the Jayway dialect the service uses) and reference
// paths. In sim/core because the ASL interpreter and the scenario runner both use it.
//
// Supported: `$`, `$.a.b`, `$['a']`, `$["a"]`, `$.a[0]`, `$.a[-1]`, `$.a[*]`, `$.*`, `$..x`, `$..*`,
// unions `[0,2]` / `['a','b']`, slices `[1:3]`, `[::2]`, filters `[?(@.price < 10)]` with
// `== != < <= > >=`, `&&`, `||`, `!`, parentheses, existence tests `[?(@.isbn)]`, literals (numbers,
// 'strings', "strings", true, false, null) and `$`-rooted operands. `$$...` selects from the context
// object and `$name...` from the workflow variable `name`.
//
// A *definite* path (no wildcard, slice, union, filter or descent) selects one value or none; an
// indefinite one selects a list (Jayway returns an array, possibly empty).

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/core/result.hpp"

namespace sim::core {

/// JSON values keep the key order of their source, as AWS does in its outputs.
using OrderedJson = nlohmann::ordered_json;

/// What a path is rooted at.
enum class PathRoot { kInput, kContext, kVariable };

/// The data a path can see: the state's input (`$`), the context object (`$$`) and variables
/// (`$name`). Pointers are borrowed for the duration of one evaluation; null means "empty".
struct PathScope {
    const OrderedJson* input = nullptr;
    const OrderedJson* context = nullptr;
    const OrderedJson* variables = nullptr;  ///< an object: variable name -> value
};

struct PathSegment;  // defined in json_path.cpp

/// A compiled JSONPath. Immutable, cheap to copy (shares its segments).
class JsonPath {
public:
    /// Compiles `text`. Errors carry a human-readable reason (used in validation messages).
    static Result<JsonPath> Parse(std::string_view text);
    /// Compiles a reference path (ResultPath, ItemsPath...): definite, no filters or wildcards.
    static Result<JsonPath> ParseReference(std::string_view text);

    /// The text the path was compiled from.
    const std::string& text() const { return text_; }
    PathRoot root() const { return root_; }
    /// Name of the variable for PathRoot::kVariable.
    const std::string& variable() const { return variable_; }
    /// True when the path can select at most one value.
    bool definite() const { return definite_; }
    /// True for exactly `$` (the whole input).
    bool is_root() const;

    /// All values the path selects, in document order.
    std::vector<OrderedJson> Select(const PathScope& scope) const;
    /// The value a path yields where AWS expects one value: for a definite path the value it
    /// selects (nullopt if none); for an indefinite path the array of selections (never nullopt).
    std::optional<OrderedJson> Evaluate(const PathScope& scope) const;
    /// Convenience for input-rooted paths.
    std::optional<OrderedJson> Evaluate(const OrderedJson& input) const;

    /// Writes `value` into `target` at this reference path, creating missing objects on the way
    /// (ResultPath semantics). Fails (with a reason) when a step crosses a non-object, an index is
    /// out of range, or the path is not a definite input-rooted path.
    Status<> Assign(OrderedJson& target, OrderedJson value) const;

private:
    std::string text_;
    PathRoot root_ = PathRoot::kInput;
    std::string variable_;
    bool definite_ = true;
    std::shared_ptr<const std::vector<PathSegment>> segments_;
};

}  // namespace sim::core
