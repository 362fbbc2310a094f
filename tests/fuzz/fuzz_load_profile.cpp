// libFuzzer target: the load-profile loader of sim/scenario/load (scenarios/load/*.json: rate
// curves, thresholds, durations). Parses the input as JSON and validates it as a profile; for a
// valid one samples every flow's rate and, where it stays modest, computes a second of arrivals.
// (Scenario files have their own target, fuzz_scenario_loader.)
#include <cstdint>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "sim/scenario/load/profile.hpp"
#include "sim/scenario/load/thresholds.hpp"

namespace load = sim::scenario::load;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string text(reinterpret_cast<const char*>(data), size);
    (void)load::ParseThreshold(text);
    auto json = nlohmann::json::parse(text, nullptr, false);
    if (json.is_discarded()) return 0;
    static const std::set<std::string> kFlows = {"application", "card_use", "statement", "atm_repayment"};
    auto profile = load::ParseProfile(json, kFlows);
    if (!profile) return 0;
    for (const auto& flow : profile->flows) {
        double peak = 0;
        for (int i = 0; i <= 20; ++i) {
            double r = flow.rate.At(profile->duration * i / 20);
            if (r > peak) peak = r;
        }
        if (peak < 10'000) (void)flow.rate.Arrivals(std::chrono::seconds(1), 1.0);
    }
    return 0;
}
