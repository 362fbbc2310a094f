#include "sim/aws/events/engine/event_pattern.hpp"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace sim::aws::events {

namespace {

using Json = nlohmann::json;
using core::Error;

std::string Lower(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

bool WildcardMatch(std::string_view pattern, std::string_view text) {
    // '*' matches any run of characters; "\*" is a literal star.
    std::size_t p = 0, t = 0, star = std::string_view::npos, mark = 0;
    auto literal = [&](std::size_t& i, char& out) {
        if (pattern[i] == '\\' && i + 1 < pattern.size()) {
            out = pattern[i + 1];
            return std::size_t{2};
        }
        out = pattern[i];
        return std::size_t{1};
    };
    while (t < text.size()) {
        if (p < pattern.size() && pattern[p] == '*') {
            star = p++;
            mark = t;
            continue;
        }
        if (p < pattern.size()) {
            char c;
            std::size_t len = literal(p, c);
            if (c == text[t]) {
                p += len;
                ++t;
                continue;
            }
        }
        if (star == std::string_view::npos) return false;
        p = star + 1;
        t = ++mark;
    }
    while (p < pattern.size() && pattern[p] == '*') ++p;
    return p == pattern.size();
}

std::optional<std::uint32_t> Ipv4(std::string_view s) {
    std::uint32_t out = 0;
    int parts = 0;
    std::size_t i = 0;
    while (parts < 4) {
        std::size_t start = i;
        std::uint32_t v = 0;
        while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])) && i - start < 3) v = v * 10 + (s[i++] - '0');
        if (i == start || v > 255) return std::nullopt;
        out = (out << 8) | v;
        if (++parts < 4) {
            if (i >= s.size() || s[i] != '.') return std::nullopt;
            ++i;
        }
    }
    if (i != s.size()) return std::nullopt;
    return out;
}

// --- validation ---------------------------------------------------------------------------------

core::Status<> Invalid(const std::string& why) { return core::Fail(Error::InvalidArgument(why)); }

core::Status<> ValidateMatcher(const Json& m, const std::string& field);

core::Status<> ValidateStringOrIgnoreCase(const Json& v, const std::string& op, const std::string& field) {
    if (v.is_string()) return core::Ok();
    if (v.is_object() && v.size() == 1 && v.contains("equals-ignore-case") && v["equals-ignore-case"].is_string())
        return core::Ok();
    return Invalid(op + " match pattern must be a string, at '" + field + "'");
}

core::Status<> ValidateMatcher(const Json& m, const std::string& field) {
    if (!m.is_object()) return core::Ok();  // exact value (string, number, bool, null)
    if (m.size() != 1) return Invalid("Only one operator is allowed per matcher object, at '" + field + "'");
    const std::string op = m.begin().key();
    const Json& v = m.begin().value();
    if (op == "prefix" || op == "suffix") return ValidateStringOrIgnoreCase(v, op, field);
    if (op == "equals-ignore-case" || op == "wildcard" || op == "cidr") {
        if (!v.is_string()) return Invalid(op + " match pattern must be a string, at '" + field + "'");
        if (op == "cidr") {
            auto slash = v.get<std::string>().find('/');
            std::string ip = v.get<std::string>().substr(0, slash);
            if (slash == std::string::npos || !Ipv4(ip)) return Invalid("Malformed CIDR, at '" + field + "'");
        }
        if (op == "wildcard" && v.get<std::string>().find("**") != std::string::npos)
            return Invalid("Consecutive wildcard characters are not allowed, at '" + field + "'");
        return core::Ok();
    }
    if (op == "exists") {
        if (!v.is_boolean()) return Invalid("exists match pattern must be either true or false, at '" + field + "'");
        return core::Ok();
    }
    if (op == "anything-but") {
        if (v.is_array()) {
            if (v.empty()) return Invalid("Empty arrays are not allowed in anything-but, at '" + field + "'");
            for (const auto& x : v)
                if (x.is_object() || x.is_array()) return Invalid("Inside anything-but list, only values are allowed, at '" + field + "'");
            return core::Ok();
        }
        if (v.is_object()) {
            if (v.size() != 1) return Invalid("anything-but takes one operator, at '" + field + "'");
            const std::string inner = v.begin().key();
            const Json& x = v.begin().value();
            if (inner == "prefix" || inner == "suffix" || inner == "wildcard" || inner == "equals-ignore-case") {
                if (x.is_string()) return core::Ok();
                if (x.is_array() && !x.empty() && std::all_of(x.begin(), x.end(), [](const Json& e) { return e.is_string(); }))
                    return core::Ok();
                return Invalid("anything-but " + inner + " needs a string, at '" + field + "'");
            }
            return Invalid("Unsupported anything-but pattern: " + inner + ", at '" + field + "'");
        }
        return core::Ok();
    }
    if (op == "numeric") {
        if (!v.is_array() || v.empty() || v.size() > 4 || v.size() % 2)
            return Invalid("Value of numeric must be an array of 2 or 4 elements, at '" + field + "'");
        for (std::size_t i = 0; i < v.size(); i += 2) {
            if (!v[i].is_string()) return Invalid("Unrecognized numeric range operator, at '" + field + "'");
            std::string o = v[i].get<std::string>();
            if (o != "<" && o != "<=" && o != ">" && o != ">=" && o != "=")
                return Invalid("Unrecognized numeric range operator: " + o + ", at '" + field + "'");
            if (!v[i + 1].is_number()) return Invalid("Value of " + o + " must be numeric, at '" + field + "'");
            if (o == "=" && v.size() != 2) return Invalid("= takes no other operator, at '" + field + "'");
        }
        return core::Ok();
    }
    return Invalid("Unrecognized match type " + op + ", at '" + field + "'");
}

core::Status<> ValidateObject(const Json& p, const std::string& path) {
    if (!p.is_object()) return Invalid("Event pattern must be a JSON object" + (path.empty() ? "" : " at '" + path + "'"));
    if (p.empty() && !path.empty()) return Invalid("Empty objects are not allowed, at '" + path + "'");
    for (auto it = p.begin(); it != p.end(); ++it) {
        const std::string& key = it.key();
        const Json& v = it.value();
        std::string field = path.empty() ? key : path + "." + key;
        if (key == "$or") {
            if (!v.is_array() || v.size() < 2) return Invalid("$or must be an array of at least 2 patterns, at '" + field + "'");
            for (const auto& alt : v)
                if (auto s = ValidateObject(alt, field); !s) return s;
            continue;
        }
        if (v.is_object()) {
            if (auto s = ValidateObject(v, field); !s) return s;
        } else if (v.is_array()) {
            if (v.empty()) return Invalid("Empty arrays are not allowed, at '" + field + "'");
            for (const auto& m : v)
                if (auto s = ValidateMatcher(m, field); !s) return s;
        } else {
            return Invalid("Match value must be an array or an object, at '" + field + "'");
        }
    }
    return core::Ok();
}

// --- matching -----------------------------------------------------------------------------------

using EventJson = nlohmann::ordered_json;

bool StringOp(const Json& arg, const std::string& value, bool prefix) {
    bool ignore_case = arg.is_object();
    std::string needle = ignore_case ? arg["equals-ignore-case"].get<std::string>() : arg.get<std::string>();
    std::string hay = value;
    if (ignore_case) needle = Lower(needle), hay = Lower(hay);
    if (needle.size() > hay.size()) return false;
    return prefix ? hay.compare(0, needle.size(), needle) == 0
                  : hay.compare(hay.size() - needle.size(), needle.size(), needle) == 0;
}

bool ValueEquals(const Json& m, const EventJson& v) {
    if (m.is_null()) return v.is_null();
    if (m.is_boolean()) return v.is_boolean() && v.get<bool>() == m.get<bool>();
    if (m.is_number()) return v.is_number() && v.get<double>() == m.get<double>();
    if (m.is_string()) return v.is_string() && v.get<std::string>() == m.get<std::string>();
    return false;
}

bool MatchOne(const Json& m, const EventJson& v);

bool AnythingBut(const Json& arg, const EventJson& v) {
    if (arg.is_array()) {
        for (const auto& x : arg)
            if (ValueEquals(x, v)) return false;
        return true;
    }
    if (arg.is_object()) {
        if (!v.is_string()) return false;
        const std::string inner = arg.begin().key();
        const Json& x = arg.begin().value();
        std::vector<std::string> needles;
        if (x.is_string()) needles.push_back(x.get<std::string>());
        else for (const auto& e : x) needles.push_back(e.get<std::string>());
        std::string s = v.get<std::string>();
        for (const auto& n : needles) {
            bool hit = inner == "prefix"             ? s.rfind(n, 0) == 0
                       : inner == "suffix"           ? s.size() >= n.size() && s.compare(s.size() - n.size(), n.size(), n) == 0
                       : inner == "wildcard"         ? WildcardMatch(n, s)
                                                     : Lower(s) == Lower(n);
            if (hit) return false;
        }
        return true;
    }
    return !ValueEquals(arg, v);
}

bool MatchOne(const Json& m, const EventJson& v) {
    if (!m.is_object()) return ValueEquals(m, v);
    const std::string op = m.begin().key();
    const Json& arg = m.begin().value();
    if (op == "exists") return true;  // presence is decided by the caller
    if (op == "anything-but") return AnythingBut(arg, v);
    if (op == "numeric") {
        if (!v.is_number()) return false;
        double x = v.get<double>();
        for (std::size_t i = 0; i < arg.size(); i += 2) {
            std::string o = arg[i].get<std::string>();
            double bound = arg[i + 1].get<double>();
            bool ok = o == "<" ? x < bound : o == "<=" ? x <= bound : o == ">" ? x > bound : o == ">=" ? x >= bound : x == bound;
            if (!ok) return false;
        }
        return true;
    }
    if (!v.is_string()) return false;
    std::string s = v.get<std::string>();
    if (op == "prefix") return StringOp(arg, s, true);
    if (op == "suffix") return StringOp(arg, s, false);
    if (op == "equals-ignore-case") return Lower(s) == Lower(arg.get<std::string>());
    if (op == "wildcard") return WildcardMatch(arg.get<std::string>(), s);
    if (op == "cidr") {
        std::string spec = arg.get<std::string>();
        auto slash = spec.find('/');
        auto net = Ipv4(spec.substr(0, slash));
        auto ip = Ipv4(s);
        int bits = std::stoi(spec.substr(slash + 1));
        if (!net || !ip || bits < 0 || bits > 32) return false;
        std::uint32_t mask = bits == 0 ? 0 : ~std::uint32_t{0} << (32 - bits);
        return (*net & mask) == (*ip & mask);
    }
    return false;
}

/// A field's matcher list against the event's value (null pointer when the field is absent).
bool MatchField(const Json& matchers, const EventJson* value) {
    for (const auto& m : matchers) {
        if (m.is_object() && m.contains("exists")) {
            if (m["exists"].get<bool>() == (value != nullptr && !(value->is_array() && value->empty()) && !value->is_object()))
                return true;
            continue;
        }
        if (!value) continue;
        if (value->is_array()) {
            for (const auto& e : *value)
                if (MatchOne(m, e)) return true;
        } else if (MatchOne(m, *value)) {
            return true;
        }
    }
    return false;
}

bool MatchObject(const Json& p, const EventJson& event) {
    for (auto it = p.begin(); it != p.end(); ++it) {
        const std::string& key = it.key();
        const Json& v = it.value();
        if (key == "$or") {
            bool any = false;
            for (const auto& alt : v)
                if (MatchObject(alt, event)) {
                    any = true;
                    break;
                }
            if (!any) return false;
            continue;
        }
        const EventJson* field = nullptr;
        if (event.is_object()) {
            auto found = event.find(key);
            if (found != event.end()) field = &*found;
        }
        if (v.is_object()) {
            static const EventJson kEmpty = EventJson::object();
            if (!field) {
                if (!MatchObject(v, kEmpty)) return false;
            } else if (field->is_array()) {
                bool any = false;
                for (const auto& e : *field)
                    if (e.is_object() && MatchObject(v, e)) {
                        any = true;
                        break;
                    }
                if (!any) return false;
            } else if (!MatchObject(v, field->is_object() ? *field : kEmpty)) {
                return false;
            }
        } else if (!MatchField(v, field)) {
            return false;
        }
    }
    return true;
}

}  // namespace

core::Result<EventPattern> EventPattern::Parse(const std::string& text) {
    Json p = Json::parse(text, nullptr, false);
    if (p.is_discarded()) return core::Fail(Error::InvalidArgument("Event pattern is not valid JSON"));
    if (auto s = ValidateObject(p, ""); !s) return core::Fail(s.error());
    EventPattern out;
    out.pattern_ = std::move(p);
    return out;
}

bool EventPattern::Matches(const nlohmann::ordered_json& event) const { return MatchObject(pattern_, event); }

}  // namespace sim::aws::events
