#pragma once
// Mocked service integrations in AWS Step Functions Local's MockConfigFile.json format:
//
//   {"StateMachines": {"<machine name>": {"TestCases": {"<case>": {"<state name>": "<response name>"}}}},
//    "MockedResponses": {"<response name>": {"0": {"Return": {...}}, "1-2": {"Throw": {"Error": "...", "Cause": "..."}}}}}
//
// An execution started with `stateMachineArn#<case>` answers the Task states its test case names
// with the mocked responses instead of calling the integration; the keys of a response are the
// 0-based invocation counts of that state in the execution ("0", "1-2"). Past the last key the
// last response repeats. States the test case does not name run for real.
// https://docs.aws.amazon.com/step-functions/latest/dg/sfn-local-mock-cfg-file.html

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "sim/aws/sfn/engine/integrations.hpp"
#include "sim/core/result.hpp"

namespace sim::aws::sfn::engine {

class MockConfig {
public:
    /// Parses the file's text; the error explains what is malformed.
    static core::Result<MockConfig> Parse(const std::string& text);

    /// The mocked outcome of `state` in `machine_name`'s test case `test_case` at the given
    /// 0-based invocation, or nullopt when that state is not mocked.
    std::optional<TaskOutcome> Find(const std::string& machine_name, const std::string& test_case,
                                    const std::string& state, std::int64_t invocation) const;
    /// True when `machine_name` has a test case called `test_case`.
    bool HasTestCase(const std::string& machine_name, const std::string& test_case) const;

private:
    struct Range {
        std::int64_t first = 0;
        std::int64_t last = 0;
        TaskOutcome outcome = TaskOutcome(Json());
    };
    // machine -> case -> state -> response name
    std::map<std::string, std::map<std::string, std::map<std::string, std::string>>> cases_;
    std::map<std::string, std::vector<Range>> responses_;
};

}  // namespace sim::aws::sfn::engine
