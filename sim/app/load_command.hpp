#pragma once
// `cardsim load PROFILE.json`: open-model load over the business paths (issue 10).

#include <string>
#include <vector>

namespace sim::app {

/// Exit codes: 0 every threshold passed, 99 a threshold failed (as k6), 1 the run could not be
/// made (preparation failed), 2 bad command line or profile, 3 the system could not start.
int LoadCommand(const std::vector<std::string>& args);
std::string LoadHelp();

}  // namespace sim::app
