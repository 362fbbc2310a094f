// libFuzzer target: the scenario-file loader of sim/scenario (scenarios/**/*.json: actors, vars,
// steps with their types, expectations, captures, snapshots, foreach bodies). Parses the input as a
// scenario file; for a valid one does what the runner does before and while running it, without
// a system to talk to: generates the actor sets (where they stay small) and renders the vars and
// every step's ${...} templates against the variables.
#include <cstdint>
#include <string>
#include <vector>

#include "sim/scenario/actors.hpp"
#include "sim/scenario/expression.hpp"
#include "sim/scenario/loader.hpp"

namespace scenario = sim::scenario;

namespace {

void RenderSteps(const std::vector<scenario::Step>& steps, const scenario::Scope& scope) {
    for (const auto& step : steps) {
        for (const auto* part : {&step.spec, &step.expect, &step.capture, &step.snapshot, &step.span})
            (void)scenario::Render(*part, scope);
        if (!step.when.empty()) (void)scenario::RenderString(step.when, scope);
        RenderSteps(step.steps, scope);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    auto loaded = scenario::ParseScenario("fuzz.json", std::string(reinterpret_cast<const char*>(data), size));
    if (!loaded) return 0;
    scenario::Json vars = loaded->vars;
    for (const auto& set : loaded->actors)
        if (set.count <= 50) vars[set.name] = scenario::GenerateActors(set, loaded->seed.value_or(1));
    scenario::Scope scope{&vars};
    (void)scenario::Render(loaded->vars, scope);
    RenderSteps(loaded->steps, scope);
    return 0;
}
