// libFuzzer target: the ASL parser (sim/aws/sfn/asl/definition) and, for definitions that
// validate, the interpreter run to its end: tasks succeed with their parameters as result (or fail
// when the state name starts with "F"), timers fire, item reads return a small array. The number
// of host calls is bounded, so a machine that loops forever on waits stops being driven.
// Input: the definition text, optionally followed by "\n#input\n" and the execution's input.
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <variant>

#include "sim/aws/sfn/asl/definition.hpp"
#include "sim/aws/sfn/asl/execution.hpp"
#include "sim/core/time.hpp"

namespace asl = sim::aws::sfn::asl;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    std::string_view input_text = R"({"a":1,"items":[1,2,3],"s":"x","o":{"k":[{"v":true}]}})";
    if (auto cut = text.find("\n#input\n"); cut != std::string_view::npos) {
        input_text = text.substr(cut + 8);
        text = text.substr(0, cut);
    }
    auto machine = asl::ParseDefinition(text);
    if (!machine) return 0;
    auto input = asl::Json::parse(input_text, nullptr, false);
    if (input.is_discarded()) input = asl::Json::object();
    auto now = sim::core::ParseIso8601("2027-01-01T00:00:00Z").value();
    asl::ExecutionInfo info{"arn:aws:states:us-east-1:000000000000:execution:m:e", "e", "arn:aws:iam::0:role/r",
                            "arn:aws:states:us-east-1:000000000000:stateMachine:m", "m", now, 0};
    asl::Execution execution(*machine, info, std::move(input), 7);
    std::deque<asl::Effect> pending;
    auto take = [&](std::vector<asl::Effect> effects) {
        for (auto& e : effects) pending.push_back(std::move(e));
    };
    take(execution.Start(now));
    for (int calls = 0; !pending.empty() && calls < 2000; ++calls) {
        asl::Effect effect = std::move(pending.front());
        pending.pop_front();
        if (auto* task = std::get_if<asl::InvokeTask>(&effect)) {
            if (!task->state_name.empty() && task->state_name[0] == 'F') {
                take(execution.TaskFailed(task->task_id, "Boom", "fuzzed failure", now));
            } else {
                take(execution.TaskSucceeded(task->task_id, task->parameters, now));
            }
        } else if (auto* timer = std::get_if<asl::ScheduleTimer>(&effect)) {
            if (timer->at > now) now = timer->at;
            take(execution.TimerFired(timer->timer_id, now));
        } else if (auto* read = std::get_if<asl::ReadItems>(&effect)) {
            take(execution.ItemsRead(read->read_id, std::string(R"([{"id":1},{"id":2}])"), now));
        }
    }
    return 0;
}
