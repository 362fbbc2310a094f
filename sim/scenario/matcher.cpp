#include "sim/scenario/matcher.hpp"

#include <map>
#include <regex>
#include <set>

namespace sim::scenario {

using core::Error;
using core::Fail;

namespace {

const std::set<std::string, std::less<>>& Operators() {
    static const std::set<std::string, std::less<>> ops = {"eq",     "ne",       "exists", "gt",   "gte", "lt",
                                                           "lte",    "regex",    "length", "contains", "in",
                                                           "type",   "not",      "all",    "any"};
    return ops;
}

bool Templated(const Json& v) { return v.is_string() && v.get_ref<const std::string&>().find("${") != std::string::npos; }

std::string Show(const Json* v) { return v ? v->dump() : std::string("nothing (missing)"); }

bool SameValue(const Json& a, const Json& b) {
    if (a.is_number() && b.is_number()) return a.get<double>() == b.get<double>();
    if (a.is_array() && b.is_array()) {
        if (a.size() != b.size()) return false;
        for (std::size_t i = 0; i < a.size(); ++i)
            if (!SameValue(a[i], b[i])) return false;
        return true;
    }
    if (a.is_object() && b.is_object()) {
        if (a.size() != b.size()) return false;
        for (const auto& [k, v] : a.items()) {
            auto it = b.find(k);
            if (it == b.end() || !SameValue(v, *it)) return false;
        }
        return true;
    }
    return a == b;
}

std::string TypeName(const Json& v) {
    if (v.is_null()) return "null";
    if (v.is_boolean()) return "boolean";
    if (v.is_number_integer()) return "integer";
    if (v.is_number()) return "number";
    if (v.is_string()) return "string";
    if (v.is_array()) return "array";
    return "object";
}

std::optional<std::string> Order(const std::string& op, const Json& want, const Json* actual) {
    if (!actual) return "expected " + op + " " + want.dump() + ", got nothing (missing)";
    int c = 0;
    if (want.is_number() && actual->is_number()) {
        double x = actual->get<double>(), y = want.get<double>();
        c = x < y ? -1 : (x > y ? 1 : 0);
    } else if (want.is_string() && actual->is_string()) {
        c = actual->get<std::string>().compare(want.get<std::string>());
    } else {
        return "expected " + op + " " + want.dump() + ", got " + actual->dump() + " (not comparable)";
    }
    bool ok = op == "gt" ? c > 0 : op == "gte" ? c >= 0 : op == "lt" ? c < 0 : c <= 0;
    static const std::map<std::string, std::string> kSymbol = {{"gt", ">"}, {"gte", ">="}, {"lt", "<"}, {"lte", "<="}};
    if (ok) return std::nullopt;
    return "expected " + kSymbol.at(op) + " " + want.dump() + ", got " + actual->dump();
}

std::optional<std::string> One(const std::string& op, const Json& want, const Json* actual) {
    if (op == "eq") {
        if (actual && SameValue(want, *actual)) return std::nullopt;
        return "expected " + want.dump() + ", got " + Show(actual);
    }
    if (op == "ne") {
        if (!actual || !SameValue(want, *actual)) return std::nullopt;
        return "expected anything but " + want.dump();
    }
    if (op == "exists") {
        bool should = want.is_boolean() ? want.get<bool>() : true;
        if ((actual != nullptr) == should) return std::nullopt;
        return should ? "expected a value, got nothing (missing)" : "expected nothing, got " + Show(actual);
    }
    if (op == "gt" || op == "gte" || op == "lt" || op == "lte") return Order(op, want, actual);
    if (op == "regex") {
        if (!actual || !actual->is_string()) return "expected a string matching /" + ToText(want) + "/, got " + Show(actual);
        try {
            if (std::regex_search(actual->get<std::string>(), std::regex(ToText(want)))) return std::nullopt;
        } catch (const std::regex_error& e) {
            return "bad regex /" + ToText(want) + "/: " + e.what();
        }
        return "expected a match of /" + ToText(want) + "/, got " + actual->dump();
    }
    if (op == "length") {
        if (!actual || !(actual->is_array() || actual->is_string() || actual->is_object()))
            return "expected something with a length, got " + Show(actual);
        Json n = actual->is_string() ? Json(static_cast<std::int64_t>(actual->get<std::string>().size()))
                                     : Json(static_cast<std::int64_t>(actual->size()));
        if (auto miss = Match(want, &n)) return "length: " + *miss;
        return std::nullopt;
    }
    if (op == "contains") {
        if (actual && actual->is_string() && actual->get<std::string>().find(ToText(want)) != std::string::npos)
            return std::nullopt;
        if (actual && actual->is_array()) {
            for (const auto& item : *actual) {
                if (IsMatcherObject(want) ? !Match(want, &item) : SameValue(want, item)) return std::nullopt;
            }
        }
        if (actual && actual->is_object() && actual->contains(ToText(want))) return std::nullopt;
        return "expected something containing " + want.dump() + ", got " + Show(actual);
    }
    if (op == "in") {
        for (const auto& item : want)
            if (actual && SameValue(item, *actual)) return std::nullopt;
        return "expected one of " + want.dump() + ", got " + Show(actual);
    }
    if (op == "type") {
        std::string got = actual ? TypeName(*actual) : "missing";
        std::string w = ToText(want);
        if (got == w || (w == "number" && got == "integer")) return std::nullopt;
        return "expected a " + w + ", got " + Show(actual);
    }
    if (op == "not") {
        if (Match(want, actual)) return std::nullopt;
        return "expected not " + want.dump() + ", got " + Show(actual);
    }
    if (op == "all") {
        for (const auto& m : want)
            if (auto miss = Match(m, actual)) return miss;
        return std::nullopt;
    }
    // any
    std::string misses;
    for (const auto& m : want) {
        auto miss = Match(m, actual);
        if (!miss) return std::nullopt;
        misses += (misses.empty() ? "" : "; ") + *miss;
    }
    return "expected any of: " + misses;
}

}  // namespace

bool IsMatcherObject(const Json& spec) {
    if (!spec.is_object() || spec.empty()) return false;
    for (const auto& [k, v] : spec.items())
        if (!Operators().count(k)) return false;
    return true;
}

core::Status<> ValidateMatcher(const Json& spec) {
    if (!spec.is_object() || spec.empty()) return core::Ok();  // equality with a plain value
    bool any_op = false, any_plain = false;
    std::string plain_key;
    for (const auto& [k, v] : spec.items()) {
        if (Operators().count(k)) any_op = true;
        else {
            any_plain = true;
            plain_key = k;
        }
    }
    if (!any_op) return core::Ok();  // an object compared for equality
    if (any_plain)
        return Fail(Error::InvalidArgument("unknown operator '" + plain_key +
                                           "' (operators: eq ne exists gt gte lt lte regex length contains in type not all any)"));
    for (const auto& [k, v] : spec.items()) {
        if (Templated(v)) continue;
        if ((k == "gt" || k == "gte" || k == "lt" || k == "lte") && !(v.is_number() || v.is_string()))
            return Fail(Error::InvalidArgument(k + " needs a number or a string"));
        if (k == "exists" && !v.is_boolean()) return Fail(Error::InvalidArgument("exists needs true or false"));
        if (k == "regex") {
            if (!v.is_string()) return Fail(Error::InvalidArgument("regex needs a string"));
            try {
                std::regex re(v.get<std::string>());
            } catch (const std::regex_error& e) {
                return Fail(Error::InvalidArgument("regex /" + v.get<std::string>() + "/ is invalid: " + e.what()));
            }
        }
        if (k == "in" && !v.is_array()) return Fail(Error::InvalidArgument("in needs an array"));
        if ((k == "all" || k == "any") && !v.is_array()) return Fail(Error::InvalidArgument(k + " needs an array of matchers"));
        if (k == "type") {
            static const std::set<std::string> kTypes = {"string", "number", "integer", "boolean", "array", "object", "null"};
            if (!v.is_string() || !kTypes.count(v.get<std::string>()))
                return Fail(Error::InvalidArgument("type must be string, number, integer, boolean, array, object or null"));
        }
        if (k == "length" || k == "not") {
            if (auto s = ValidateMatcher(v); !s) return s;
        }
        if (k == "all" || k == "any") {
            for (const auto& m : v)
                if (auto s = ValidateMatcher(m); !s) return s;
        }
    }
    return core::Ok();
}

std::optional<std::string> Match(const Json& spec, const Json* actual) {
    if (!IsMatcherObject(spec)) return One("eq", spec, actual);
    for (const auto& [op, want] : spec.items())
        if (auto miss = One(op, want, actual)) return miss;
    return std::nullopt;
}

}  // namespace sim::scenario
