#pragma once
// Scenario files -> validated Scenario values. Every error names the file, the step (index and
// name) and the field: `scenarios/a.json: steps[2] "authorize": unknown field "bdy" (accepted: ...)`.

#include <string>
#include <vector>

#include "sim/core/result.hpp"
#include "sim/scenario/scenario.hpp"

namespace sim::scenario {

/// Parses and validates one scenario document; `file` is used in messages and as the default name.
core::Result<Scenario> ParseScenario(const std::string& file, const std::string& text);
/// Reads and parses one file.
core::Result<Scenario> LoadScenarioFile(const std::string& path);

/// The scenario files under `paths`: files as given, directories searched recursively for *.json,
/// skipping any directory named `load` (load profiles, not scenarios) and `snapshots`. Sorted.
core::Result<std::vector<std::string>> FindScenarioFiles(const std::vector<std::string>& paths);

}  // namespace sim::scenario
