#pragma once
// What a run prints and writes: the failure text (step, expected vs actual, the requests that led
// there), the summary table, the critical-path table (from the steps' span marks), JUnit XML and
// the JSON report (docs/scenarios.md, "Output").

#include <ostream>
#include <string>
#include <vector>

#include "sim/scenario/runner.hpp"

namespace sim::scenario {

/// "45s", "5m12s", "3h05m", "2d03h" (virtual time spans are long).
std::string FormatVirtual(double seconds);
/// "0.4 ms", "12 ms", "1.23 s".
std::string FormatWall(double seconds);

/// The failure of one scenario, indented, with the trace of its last requests.
std::string FailureText(const ScenarioResult& result);
/// The summary table: one line a scenario, then the totals and the virtual-to-wall ratio.
void PrintSummary(std::ostream& out, const std::vector<ScenarioResult>& results, double wall_seconds);
/// Per critical path and hop: count, virtual p50/p95/max, wall p50/max. Nothing when no marks.
void PrintCriticalPaths(std::ostream& out, const std::vector<ScenarioResult>& results);

/// JUnit XML: one testsuite "cardsim.scenarios", one testcase a scenario (classname = file).
std::string JunitXml(const std::vector<ScenarioResult>& results, double wall_seconds);
/// {"summary":{...},"scenarios":[...],"critical_paths":[...]}.
Json ReportJson(const std::vector<ScenarioResult>& results, double wall_seconds);

}  // namespace sim::scenario
