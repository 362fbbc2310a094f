#pragma once
// `cardsim report merge`: shard reports of one load profile into one report (issue 10).

#include <string>
#include <vector>

namespace sim::app {

/// Exit codes: 0 merged and every threshold passed, 99 a threshold failed (as k6), 2 bad input.
int ReportCommand(const std::vector<std::string>& args);
std::string ReportHelp();

/// Writes `text` to `path` (through a temporary file and a rename); false with a message on stderr.
bool WriteFileAtomically(const std::string& path, const std::string& text);

}  // namespace sim::app
