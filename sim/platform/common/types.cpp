#include "sim/platform/common/types.hpp"

#include <exception>

namespace sim::platform {

Json InvariantReport::ToJson() const {
    Json v = Json::array();
    for (const auto& x : violations) {
        Json e = {{"invariant", x.invariant}, {"detail", x.detail}};
        if (x.card_id) e["card_id"] = *x.card_id;
        v.push_back(std::move(e));
    }
    Json c = Json::object();
    for (const auto& [k, n] : checked) c[k] = n;
    return {{"ok", violations.empty()}, {"checked", std::move(c)}, {"violations", std::move(v)}};
}

InvariantReport InvariantRegistry::Run() const {
    InvariantReport report;
    for (const auto& [name, checker] : checkers_) {
        try {
            checker(report);
        } catch (const std::exception& e) {
            report.violations.push_back({"checker_failed", std::nullopt, name + ": " + e.what()});
        }
    }
    return report;
}

}  // namespace sim::platform
