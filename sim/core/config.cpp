#include "sim/core/config.hpp"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "sim/core/time.hpp"

namespace sim::core {

namespace {

std::string Join(const std::vector<std::string>& items, std::string_view sep) {
    std::string out;
    for (const auto& item : items) {
        if (!out.empty()) out += sep;
        out += item;
    }
    return out;
}

Error BadValue(std::string_view flag, std::string_view value, std::string_view accepted) {
    return Error::InvalidArgument("--" + std::string(flag) + ": '" + std::string(value) + "' is not valid; accepted: " +
                                  std::string(accepted));
}

Result<std::uint64_t> ParseUnsigned(std::string_view flag, std::string_view text, std::uint64_t min, std::uint64_t max) {
    std::uint64_t v = 0;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    std::string range = "an integer from " + std::to_string(min) + " to " + std::to_string(max);
    if (text.empty() || ec != std::errc{} || ptr != text.data() + text.size() || v < min || v > max)
        return Fail(BadValue(flag, text, range));
    return v;
}

/// File values may be JSON strings or numbers; both go through the command-line parser.
Result<std::string> JsonScalarText(std::string_view flag, const nlohmann::json& v) {
    if (v.is_string()) return v.get<std::string>();
    if (v.is_number_unsigned() || v.is_number_integer()) return v.dump();
    return Fail(Error::InvalidArgument("config key \"" + std::string(flag) + "\": expected a string or number, got " +
                                       v.dump()));
}

/// File values that are JSON strings or numbers go through the command-line parser `set_text`.
std::function<Status<>(const nlohmann::json&)> FromJsonScalar(const std::string& name,
                                                             std::function<Status<>(std::string_view)> set_text) {
    return [name, set_text = std::move(set_text)](const nlohmann::json& v) -> Status<> {
        auto text = JsonScalarText(name, v);
        if (!text) return Fail(text.error());
        return set_text(*text);
    };
}

}  // namespace

void FlagSet::String(std::string name, std::string* out, std::string help, std::vector<std::string> choices) {
    Flag f;
    f.name = name;
    f.value_hint = "VALUE";
    f.help = std::move(help);
    f.default_text = *out;
    f.choices = choices;
    f.set_text = [name, out, choices](std::string_view v) -> Status<> {
        if (!choices.empty() && std::find(choices.begin(), choices.end(), v) == choices.end())
            return Fail(BadValue(name, v, Join(choices, ", ")));
        *out = std::string(v);
        return Ok();
    };
    f.set_json = FromJsonScalar(name, f.set_text);
    flags_.push_back(std::move(f));
}

void FlagSet::UInt(std::string name, std::uint64_t* out, std::string help, std::uint64_t min, std::uint64_t max) {
    Flag f;
    f.name = name;
    f.value_hint = "N";
    f.help = std::move(help);
    f.default_text = std::to_string(*out);
    f.set_text = [name, out, min, max](std::string_view v) -> Status<> {
        auto n = ParseUnsigned(name, v, min, max);
        if (!n) return Fail(n.error());
        *out = *n;
        return Ok();
    };
    f.set_json = FromJsonScalar(name, f.set_text);
    flags_.push_back(std::move(f));
}

void FlagSet::Port(std::string name, std::uint16_t* out, std::string help) {
    Flag f;
    f.name = name;
    f.value_hint = "PORT";
    f.help = std::move(help) + " (0 = pick a free port and print it)";
    f.default_text = std::to_string(*out);
    f.set_text = [name, out](std::string_view v) -> Status<> {
        auto n = ParseUnsigned(name, v, 0, 65535);
        if (!n) return Fail(n.error());
        *out = static_cast<std::uint16_t>(*n);
        return Ok();
    };
    f.set_json = FromJsonScalar(name, f.set_text);
    flags_.push_back(std::move(f));
}

void FlagSet::Millis(std::string name, std::chrono::milliseconds* out, std::string help) {
    Flag f;
    f.name = name;
    f.value_hint = "DURATION";
    f.help = std::move(help);
    f.default_text = std::to_string(out->count()) + "ms";
    f.set_text = [name, out](std::string_view v) -> Status<> {
        auto d = ParseDuration(v);
        if (!d) return Fail(BadValue(name, v, "a duration such as 250ms, 30s, 5m or PT1M"));
        *out = std::chrono::duration_cast<std::chrono::milliseconds>(*d);
        return Ok();
    };
    f.set_json = FromJsonScalar(name, f.set_text);
    flags_.push_back(std::move(f));
}

void FlagSet::Bool(std::string name, bool* out, std::string help) {
    Flag f;
    f.name = name;
    f.help = std::move(help);
    f.default_text = *out ? "on" : "off";
    f.is_bool = true;
    f.set_text = [name, out](std::string_view v) -> Status<> {
        if (v == "" || v == "true") *out = true;
        else if (v == "false") *out = false;
        else return Fail(BadValue(name, v, "true, false (or no value)"));
        return Ok();
    };
    f.set_json = [name, out](const nlohmann::json& v) -> Status<> {
        if (!v.is_boolean())
            return Fail(Error::InvalidArgument("config key \"" + name + "\": expected true or false, got " + v.dump()));
        *out = v.get<bool>();
        return Ok();
    };
    flags_.push_back(std::move(f));
}

void FlagSet::StringMap(std::string name, std::map<std::string, std::string>* out, std::string help) {
    Flag f;
    f.name = name;
    f.value_hint = "KEY=VALUE";
    f.help = std::move(help) + " (repeatable)";
    f.default_text = "";
    f.set_text = [name, out](std::string_view v) -> Status<> {
        auto eq = v.find('=');
        if (eq == std::string_view::npos || eq == 0) return Fail(BadValue(name, v, "KEY=VALUE"));
        (*out)[std::string(v.substr(0, eq))] = std::string(v.substr(eq + 1));
        return Ok();
    };
    f.set_json = [name, out](const nlohmann::json& v) -> Status<> {
        if (!v.is_object())
            return Fail(Error::InvalidArgument("config key \"" + name + "\": expected an object of strings"));
        for (const auto& [k, val] : v.items()) {
            if (!val.is_string())
                return Fail(Error::InvalidArgument("config key \"" + name + "." + k + "\": expected a string"));
            (*out)[k] = val.get<std::string>();
        }
        return Ok();
    };
    flags_.push_back(std::move(f));
}

FlagSet::Flag* FlagSet::Find(std::string_view name) {
    for (auto& f : flags_)
        if (f.name == name) return &f;
    return nullptr;
}

Status<> FlagSet::Parse(const std::vector<std::string>& args, std::vector<std::string>* positional) {
    bool flags_done = false;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& arg = args[i];
        if (flags_done || arg.size() < 2 || arg.rfind("--", 0) != 0) {
            if (arg == "--") {
                flags_done = true;
                continue;
            }
            if (!positional) return Fail(Error::InvalidArgument("unexpected argument '" + arg + "'"));
            positional->push_back(arg);
            continue;
        }
        std::string_view body = std::string_view(arg).substr(2);
        auto eq = body.find('=');
        std::string_view name = body.substr(0, eq);
        Flag* flag = Find(name);
        if (!flag) {
            std::vector<std::string> names;
            for (const auto& f : flags_) names.push_back("--" + f.name);
            return Fail(Error::InvalidArgument("unknown flag --" + std::string(name) + "; accepted flags: " +
                                               Join(names, " ")));
        }
        std::string value;
        if (eq != std::string_view::npos) {
            value = std::string(body.substr(eq + 1));
        } else if (!flag->is_bool) {
            if (i + 1 >= args.size())
                return Fail(Error::InvalidArgument("--" + flag->name + " needs a value (" + flag->value_hint + ")"));
            value = args[++i];
        }
        if (auto s = flag->set_text(value); !s) return s;
    }
    return Ok();
}

Status<> FlagSet::ApplyJson(const nlohmann::json& object) {
    if (!object.is_object()) return Fail(Error::InvalidArgument("the configuration must be a JSON object"));
    for (const auto& [key, value] : object.items()) {
        Flag* flag = Find(key);
        if (!flag) {
            std::vector<std::string> names;
            for (const auto& f : flags_) names.push_back(f.name);
            return Fail(Error::InvalidArgument("unknown config key \"" + key + "\"; accepted keys: " + Join(names, ", ")));
        }
        if (auto s = flag->set_json(value); !s) return s;
    }
    return Ok();
}

Status<> FlagSet::ApplyJsonFile(const std::string& path) {
    std::ifstream in(path);
    if (!in) return Fail(Error::InvalidArgument("cannot read config file " + path));
    nlohmann::json j = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false, /*ignore_comments=*/true);
    if (j.is_discarded()) return Fail(Error::InvalidArgument("config file " + path + " is not valid JSON"));
    auto s = ApplyJson(j);
    if (!s) return Fail(Error::InvalidArgument(path + ": " + s.error().message));
    return Ok();
}

std::string FlagSet::Help() const {
    std::ostringstream out;
    out << "Usage: " << usage_ << "\n\n" << summary_ << "\n\nFlags:\n";
    for (const auto& f : flags_) {
        std::string head = "  --" + f.name + (f.value_hint.empty() ? "" : " " + f.value_hint);
        out << head;
        if (head.size() < 30) out << std::string(30 - head.size(), ' ');
        else out << "\n" << std::string(30, ' ');
        out << f.help;
        if (!f.choices.empty()) out << " [" << Join(f.choices, "|") << "]";
        if (!f.default_text.empty()) out << " (default: " << f.default_text << ")";
        out << "\n";
    }
    return out.str();
}

}  // namespace sim::core
