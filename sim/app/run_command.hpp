#pragma once
// `cardsim run [PATH...]`: the scenario runner's command line (docs/scenarios.md). In-process by
// default (a fresh Runtime per scenario: virtual clock, memory stores, no listeners); with
// --target against running systems over HTTP.

#include <string>
#include <vector>

namespace sim::app {

/// Runs the command; returns the exit code (0 all passed, 1 a scenario failed, 2 bad command line
/// or scenario file, 3 the system could not start).
int RunScenarios(const std::vector<std::string>& args);
std::string RunHelp();

}  // namespace sim::app
