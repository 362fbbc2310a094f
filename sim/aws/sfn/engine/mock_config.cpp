#include "sim/aws/sfn/engine/mock_config.hpp"

#include <algorithm>
#include <charconv>

namespace sim::aws::sfn::engine {

namespace {

std::optional<std::int64_t> ToInt(std::string_view text) {
    std::int64_t v = 0;
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || p != text.data() + text.size() || v < 0) return std::nullopt;
    return v;
}

}  // namespace

core::Result<MockConfig> MockConfig::Parse(const std::string& text) {
    Json doc = Json::parse(text, nullptr, false);
    if (doc.is_discarded() || !doc.is_object()) return core::Fail(core::Error::InvalidArgument("mock config: not a JSON object"));
    MockConfig out;
    if (doc.contains("StateMachines")) {
        const Json& machines = doc["StateMachines"];
        if (!machines.is_object()) return core::Fail(core::Error::InvalidArgument("mock config: StateMachines must be an object"));
        for (auto m = machines.begin(); m != machines.end(); ++m) {
            if (!m.value().is_object() || !m.value().contains("TestCases") || !m.value()["TestCases"].is_object())
                return core::Fail(core::Error::InvalidArgument("mock config: StateMachines." + m.key() +
                                                               " needs a TestCases object"));
            for (auto c = m.value()["TestCases"].begin(); c != m.value()["TestCases"].end(); ++c) {
                if (!c.value().is_object())
                    return core::Fail(core::Error::InvalidArgument("mock config: test case " + c.key() + " must be an object"));
                auto& states = out.cases_[m.key()][c.key()];
                for (auto s = c.value().begin(); s != c.value().end(); ++s) {
                    if (!s.value().is_string())
                        return core::Fail(core::Error::InvalidArgument("mock config: state " + s.key() + " of test case " +
                                                                       c.key() + " must name a mocked response"));
                    states[s.key()] = s.value().get<std::string>();
                }
            }
        }
    }
    if (doc.contains("MockedResponses")) {
        const Json& responses = doc["MockedResponses"];
        if (!responses.is_object()) return core::Fail(core::Error::InvalidArgument("mock config: MockedResponses must be an object"));
        for (auto r = responses.begin(); r != responses.end(); ++r) {
            if (!r.value().is_object())
                return core::Fail(core::Error::InvalidArgument("mock config: MockedResponses." + r.key() + " must be an object"));
            auto& ranges = out.responses_[r.key()];
            for (auto k = r.value().begin(); k != r.value().end(); ++k) {
                Range range;
                std::string key = k.key();
                auto dash = key.find('-');
                auto first = ToInt(key.substr(0, dash));
                auto last = dash == std::string::npos ? first : ToInt(key.substr(dash + 1));
                if (!first || !last || *last < *first)
                    return core::Fail(core::Error::InvalidArgument("mock config: bad invocation key '" + key + "' in " + r.key()));
                range.first = *first;
                range.last = *last;
                const Json& v = k.value();
                if (v.is_object() && v.contains("Return")) {
                    range.outcome = TaskOutcome(v["Return"]);
                } else if (v.is_object() && v.contains("Throw") && v["Throw"].is_object()) {
                    const Json& t = v["Throw"];
                    range.outcome = core::Fail(TaskFailure{t.value("Error", std::string("States.TaskFailed")),
                                                           t.value("Cause", std::string())});
                } else {
                    return core::Fail(core::Error::InvalidArgument("mock config: " + r.key() + "." + key +
                                                                   " needs Return or Throw"));
                }
                ranges.push_back(std::move(range));
            }
            std::sort(ranges.begin(), ranges.end(), [](const Range& a, const Range& b) { return a.first < b.first; });
        }
    }
    for (const auto& [machine, cs] : out.cases_)
        for (const auto& [c, states] : cs)
            for (const auto& [state, response] : states)
                if (!out.responses_.contains(response))
                    return core::Fail(core::Error::InvalidArgument("mock config: test case " + machine + "#" + c +
                                                                   " names unknown response " + response));
    return out;
}

bool MockConfig::HasTestCase(const std::string& machine_name, const std::string& test_case) const {
    auto m = cases_.find(machine_name);
    return m != cases_.end() && m->second.contains(test_case);
}

std::optional<TaskOutcome> MockConfig::Find(const std::string& machine_name, const std::string& test_case,
                                            const std::string& state, std::int64_t invocation) const {
    auto m = cases_.find(machine_name);
    if (m == cases_.end()) return std::nullopt;
    auto c = m->second.find(test_case);
    if (c == m->second.end()) return std::nullopt;
    auto s = c->second.find(state);
    if (s == c->second.end()) return std::nullopt;
    auto r = responses_.find(s->second);
    if (r == responses_.end() || r->second.empty()) return std::nullopt;
    for (const auto& range : r->second)
        if (invocation >= range.first && invocation <= range.last) return range.outcome;
    return r->second.back().outcome;
}

}  // namespace sim::aws::sfn::engine
