#include "sim/aws/iam/policy.hpp"

#include <algorithm>
#include <cctype>
#include <optional>
#include <tuple>

namespace sim::aws::iam {

namespace {

char Fold(char c, bool ignore_case) {
    return ignore_case ? static_cast<char>(std::tolower(static_cast<unsigned char>(c))) : c;
}

std::string Lower(std::string_view s) {
    std::string out(s);
    for (auto& c : out) c = Fold(c, true);
    return out;
}

const std::vector<std::string>& KnownOperators() {
    static const std::vector<std::string> kOperators = {
        "StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase",
        "StringLike",   "StringNotLike",   "ArnEquals",              "ArnLike",
        "ArnNotEquals", "ArnNotLike",      "Bool"};
    return kOperators;
}

core::Result<std::vector<std::string>> StringList(const nlohmann::json& value, const std::string& where) {
    std::vector<std::string> out;
    auto add = [&](const nlohmann::json& item) -> bool {
        if (item.is_string()) {
            out.push_back(item.get<std::string>());
        } else if (item.is_boolean()) {  // Bool conditions are often written as JSON booleans
            out.push_back(item.get<bool>() ? "true" : "false");
        } else if (item.is_number()) {
            out.push_back(item.dump());
        } else {
            return false;
        }
        return true;
    };
    if (value.is_array()) {
        for (const auto& item : value)
            if (!add(item)) return core::Fail(core::Error::InvalidArgument(where + ": expected strings"));
    } else if (!add(value)) {
        return core::Fail(core::Error::InvalidArgument(where + ": expected a string or a list of strings"));
    }
    return out;
}

core::Result<Statement> ParseStatement(const nlohmann::json& s, const std::string& where) {
    if (!s.is_object()) return core::Fail(core::Error::InvalidArgument(where + ": a statement must be an object"));
    Statement st;
    if (auto it = s.find("Sid"); it != s.end()) {
        if (!it->is_string()) return core::Fail(core::Error::InvalidArgument(where + ": Sid must be a string"));
        st.sid = it->get<std::string>();
    }
    std::string name = st.sid.empty() ? where : where + " ('" + st.sid + "')";
    auto effect = s.find("Effect");
    if (effect == s.end() || !effect->is_string() || (*effect != "Allow" && *effect != "Deny"))
        return core::Fail(core::Error::InvalidArgument(name + ": Effect must be \"Allow\" or \"Deny\""));
    st.effect = *effect == "Allow" ? Effect::kAllow : Effect::kDeny;
    for (auto [field, negated, target] : {std::tuple{"Action", false, &st.actions},
                                          std::tuple{"NotAction", true, &st.actions},
                                          std::tuple{"Resource", false, &st.resources},
                                          std::tuple{"NotResource", true, &st.resources}}) {
        auto it = s.find(field);
        if (it == s.end()) continue;
        if (!target->empty())
            return core::Fail(core::Error::InvalidArgument(name + ": " + field + " together with its opposite"));
        auto list = StringList(*it, name + "." + field);
        if (!list) return core::Fail(list.error());
        *target = std::move(list).value();
        if (target == &st.actions) st.not_action = negated;
        if (target == &st.resources) st.not_resource = negated;
    }
    if (st.actions.empty()) return core::Fail(core::Error::InvalidArgument(name + ": Action or NotAction is required"));
    if (st.resources.empty())
        return core::Fail(core::Error::InvalidArgument(name + ": Resource or NotResource is required"));
    if (auto it = s.find("Condition"); it != s.end()) {
        if (!it->is_object()) return core::Fail(core::Error::InvalidArgument(name + ": Condition must be an object"));
        for (const auto& [op_name, block] : it->items()) {
            std::string op = op_name;
            bool if_exists = op.size() > 8 && op.ends_with("IfExists");
            if (if_exists) op.resize(op.size() - 8);
            const auto& known = KnownOperators();
            if (std::find(known.begin(), known.end(), op) == known.end())
                return core::Fail(core::Error::InvalidArgument(name + ": unsupported condition operator " + op_name));
            if (!block.is_object())
                return core::Fail(core::Error::InvalidArgument(name + ": Condition." + op_name + " must be an object"));
            for (const auto& [key, values] : block.items()) {
                auto list = StringList(values, name + ".Condition." + op_name + "." + key);
                if (!list) return core::Fail(list.error());
                st.conditions.push_back({op, if_exists, key, std::move(list).value()});
            }
        }
    }
    return st;
}

/// ARNs are compared component by component (partition, service, region, account, resource), so a
/// wildcard in one component does not swallow a colon of another (ArnLike's documented rule).
bool ArnMatch(std::string_view pattern, std::string_view arn) {
    if (pattern == "*") return true;
    auto split = [](std::string_view s) {
        std::vector<std::string_view> parts;
        for (int i = 0; i < 5; ++i) {
            auto colon = s.find(':');
            if (colon == std::string_view::npos) break;
            parts.push_back(s.substr(0, colon));
            s.remove_prefix(colon + 1);
        }
        parts.push_back(s);
        return parts;
    };
    auto p = split(pattern);
    auto a = split(arn);
    if (p.size() != 6 || a.size() != 6) return WildcardMatch(pattern, arn);
    for (std::size_t i = 0; i < 6; ++i)
        if (!WildcardMatch(p[i], a[i])) return false;
    return true;
}

bool ValueMatches(const std::string& op, std::string_view pattern, std::string_view value) {
    if (op == "StringEquals" || op == "StringNotEquals") return pattern == value;
    if (op == "StringEqualsIgnoreCase" || op == "StringNotEqualsIgnoreCase") return Lower(pattern) == Lower(value);
    if (op == "StringLike" || op == "StringNotLike") return WildcardMatch(pattern, value);
    if (op == "ArnEquals" || op == "ArnNotEquals") return pattern == value;
    if (op == "ArnLike" || op == "ArnNotLike") return ArnMatch(pattern, value);
    if (op == "Bool") return Lower(pattern) == Lower(value);
    return false;
}

bool Negated(const std::string& op) { return op.find("Not") != std::string::npos; }

const std::string* FindKey(const std::map<std::string, std::string>& keys, const std::string& key) {
    for (const auto& [name, value] : keys)
        if (Lower(name) == Lower(key)) return &value;
    return nullptr;
}

/// Whether every condition of `st` holds; when one does not, `why` says which.
bool ConditionsHold(const Statement& st, const RequestContext& request, std::string* why) {
    for (const auto& c : st.conditions) {
        const std::string* value = FindKey(request.keys, c.key);
        bool holds;
        if (!value) {
            // A missing key: IfExists and the negated operators are satisfied, the others are not.
            holds = c.if_exists || Negated(c.op);
        } else {
            bool any = std::any_of(c.values.begin(), c.values.end(),
                                   [&](const std::string& v) { return ValueMatches(c.op, v, *value); });
            holds = Negated(c.op) ? !any : any;
        }
        if (!holds) {
            *why = c.op + (c.if_exists ? "IfExists" : "") + " on " + c.key + " (request has " +
                   (value ? "'" + *value + "'" : std::string("no value")) + ")";
            return false;
        }
    }
    return true;
}

bool ActionMatches(const Statement& st, const std::string& action) {
    bool any = std::any_of(st.actions.begin(), st.actions.end(),
                           [&](const std::string& p) { return WildcardMatch(p, action, /*ignore_case=*/true); });
    return st.not_action ? !any : any;
}

bool ResourceMatches(const Statement& st, const std::string& resource) {
    bool any = std::any_of(st.resources.begin(), st.resources.end(),
                           [&](const std::string& p) { return ArnMatch(p, resource); });
    return st.not_resource ? !any : any;
}

}  // namespace

bool WildcardMatch(std::string_view pattern, std::string_view text, bool ignore_case) {
    // Iterative glob matching with backtracking to the last '*': linear in practice.
    std::size_t p = 0, t = 0, star = std::string_view::npos, mark = 0;
    while (t < text.size()) {
        if (p < pattern.size() &&
            (pattern[p] == '?' || Fold(pattern[p], ignore_case) == Fold(text[t], ignore_case))) {
            ++p;
            ++t;
        } else if (p < pattern.size() && pattern[p] == '*') {
            star = p++;
            mark = t;
        } else if (star != std::string_view::npos) {
            p = star + 1;
            t = ++mark;
        } else {
            return false;
        }
    }
    while (p < pattern.size() && pattern[p] == '*') ++p;
    return p == pattern.size();
}

core::Result<Policy> ParsePolicy(std::string name, const nlohmann::json& document) {
    if (!document.is_object())
        return core::Fail(core::Error::InvalidArgument("policy " + name + ": the document must be an object"));
    auto statements = document.find("Statement");
    if (statements == document.end())
        return core::Fail(core::Error::InvalidArgument("policy " + name + ": Statement is required"));
    Policy policy{std::move(name), {}};
    std::vector<nlohmann::json> list;
    if (statements->is_array()) {
        list.assign(statements->begin(), statements->end());
    } else {
        list.push_back(*statements);
    }
    for (std::size_t i = 0; i < list.size(); ++i) {
        auto st = ParseStatement(list[i], "policy " + policy.name + " statement #" + std::to_string(i));
        if (!st) return core::Fail(st.error());
        policy.statements.push_back(std::move(st).value());
    }
    return policy;
}

Evaluation Evaluate(const std::vector<Policy>& policies, const RequestContext& request) {
    auto label = [](const Statement& st, std::size_t index) {
        return st.sid.empty() ? "#" + std::to_string(index) : st.sid;
    };
    std::string what = request.action + " on " + request.resource;
    std::optional<Evaluation> allow;
    std::string near_miss;  // an Allow statement that matched but whose condition failed
    for (const auto& policy : policies) {
        for (std::size_t i = 0; i < policy.statements.size(); ++i) {
            const Statement& st = policy.statements[i];
            if (!ActionMatches(st, request.action) || !ResourceMatches(st, request.resource)) continue;
            std::string why;
            if (!ConditionsHold(st, request, &why)) {
                if (st.effect == Effect::kAllow && near_miss.empty())
                    near_miss = "; statement '" + label(st, i) + "' of policy " + policy.name +
                                " would allow it but its condition " + why + " does not hold";
                continue;
            }
            std::string statement = label(st, i);
            if (st.effect == Effect::kDeny) {
                // Explicit deny wins at once, whatever else allows.
                return {Decision::kExplicitDeny, policy.name, statement,
                        "denied by statement '" + statement + "' of policy " + policy.name + ": " + what};
            }
            if (!allow) {
                allow = Evaluation{Decision::kAllow, policy.name, statement,
                                   "allowed by statement '" + statement + "' of policy " + policy.name + ": " + what};
            }
        }
    }
    if (allow) return *allow;
    std::string names;
    for (const auto& policy : policies) names += (names.empty() ? "" : ", ") + policy.name;
    return {Decision::kImplicitDeny, {}, {},
            "denied by default (no statement allows it): " + what + "; policies evaluated: " +
                (names.empty() ? std::string("none") : names) + near_miss};
}

}  // namespace sim::aws::iam
