#include "sim/aws/lambda/engine/function_registry.hpp"

#include <exception>
#include <memory>

namespace sim::aws::lambda {

namespace {
std::string_view StripArn(std::string_view name) {
    if (name.rfind("arn:", 0) == 0) {
        // arn:aws:lambda:<region>:<account>:function:<name>[:qualifier]
        auto pos = name.find(":function:");
        if (pos == std::string_view::npos) return {};
        name = name.substr(pos + 10);
    }
    return name;
}
}  // namespace

std::string FunctionRegistry::NameOf(std::string_view name_or_arn) const {
    std::string_view name = StripArn(name_or_arn);
    if (name.empty()) return {};
    if (functions_.count(name)) return std::string(name);
    if (auto colon = name.find(':'); colon != std::string_view::npos) {
        if (functions_.count(name.substr(0, colon))) return std::string(name.substr(0, colon));
    }
    return {};
}

const FunctionRegistry::Function* FunctionRegistry::Find(std::string_view name_or_arn) const {
    std::string name = NameOf(name_or_arn);
    if (name.empty()) return nullptr;
    return &functions_.find(name)->second;
}

std::vector<std::string> FunctionRegistry::Names() const {
    std::vector<std::string> out;
    for (const auto& [name, fn] : functions_) out.push_back(name);
    return out;
}

void FunctionRegistry::Invoke(std::string_view name_or_arn, const Json& event, FunctionCallback done) {
    std::string name = NameOf(name_or_arn);
    if (name.empty()) {
        done(core::Fail(FunctionError{"Lambda.ResourceNotFoundException",
                                      "Function not found: " + std::string(name_or_arn)}));
        return;
    }
    auto& kept = invocations_[name];
    kept.push_back(event);
    if (kept.size() > kKeptInvocations) kept.pop_front();
    Function fn = functions_.find(name)->second;  // a copy: the function may re-register itself
    // A function that throws fails its invocation ("Unhandled") instead of escaping the request.
    auto answered = std::make_shared<bool>(false);
    auto once = [answered, done = std::move(done)](FunctionOutcome outcome) {
        if (*answered) return;
        *answered = true;
        done(std::move(outcome));
    };
    try {
        fn(event, once);
    } catch (const std::exception& e) {
        once(core::Fail(FunctionError{"Unhandled", e.what()}));
    }
}

std::vector<Json> FunctionRegistry::Invocations(std::string_view name) const {
    auto it = invocations_.find(name);
    if (it == invocations_.end()) return {};
    return {it->second.begin(), it->second.end()};
}

}  // namespace sim::aws::lambda
