#pragma once
// A loaded scenario: the validated form of one JSON file under scenarios/ (docs/scenarios.md).
// The loader checks every field when the file is read, so a typo fails before anything runs;
// values with ${...} are rendered when their step runs.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sim/core/time.hpp"
#include "sim/scenario/expression.hpp"

namespace sim::scenario {

enum class StepKind { kCall, kAwait, kAdvance, kFault, kClearFaults, kSet, kForeach, kInclude };
std::string_view ToString(StepKind kind);

struct Step {
    StepKind kind = StepKind::kCall;
    std::string name;   ///< as written, or derived ("call POST /payment/...")
    std::string where;  ///< position in the file for messages: "steps[3]", "steps[3].foreach.steps[1]"
    Json spec;          ///< the object under the type key (for foreach without "steps")
    Json expect;        ///< {"status","body","headers"} or null
    Json capture;       ///< {var: "$.path" | {"header": name}} or null
    Json snapshot;      ///< {key: "$.path" | "${expr}" | {"header": name}} or null
    Json span;          ///< {"path","hop","key"?} or null
    std::string when;   ///< a ${...} condition; empty = always
    std::vector<Step> steps;  ///< foreach body, or an include's fragment
};

/// Generated people (docs/scenarios.md, "Actors"): `count` members with seeded personal data.
struct ActorSet {
    std::string name;           ///< the variable the array is stored in
    std::int64_t count = 0;
    Json given_names;           ///< kana given name -> weight (ordered); default {"ツウジョウ": 1}
    std::uint64_t seed = 0;     ///< mixed with the run's seed
    std::string id_prefix;      ///< ids are <prefix>-0001 ...
};

enum class InvariantChecks { kEachStep, kTopLevel, kEnd, kNever };

struct Scenario {
    std::string file;   ///< path as given on the command line (or found in a directory)
    std::string name;   ///< "name" field, else the file name without .json
    std::string description;
    std::vector<std::string> tags;
    std::optional<core::TimePoint> start;  ///< in-process: the virtual clock's first time
    std::optional<std::uint64_t> seed;     ///< default seed of this scenario (--seed overrides)
    Json vars = Json::object();
    std::vector<ActorSet> actors;
    InvariantChecks invariants = InvariantChecks::kEachStep;
    std::vector<Step> steps;
};

}  // namespace sim::scenario
