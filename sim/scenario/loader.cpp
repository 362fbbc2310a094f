#include "sim/scenario/loader.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "sim/core/json_path.hpp"
#include "sim/scenario/matcher.hpp"

namespace sim::scenario {

using core::Error;
using core::Fail;
using core::Result;
using core::Status;

namespace {

namespace fs = std::filesystem;

std::string Join(const std::vector<std::string>& words) {
    std::string out;
    for (const auto& w : words) out += (out.empty() ? "" : ", ") + w;
    return out;
}

bool Templated(const Json& v) { return v.is_string() && v.get_ref<const std::string&>().find("${") != std::string::npos; }

/// Builds messages "<file>: <where> "<name>": <what>".
class Context {
public:
    explicit Context(std::string file) : file_(std::move(file)), shown_(file_) {}
    /// A fragment `file` included at `where` of `parent`'s file: messages name both.
    Context(std::string file, const Context& parent, const std::string& where)
        : file_(std::move(file)), shown_(file_ + " (included at " + parent.shown_ + " " + where + ")"),
          include_depth_(parent.include_depth_ + 1) {}
    const std::string& file() const { return file_; }
    int include_depth() const { return include_depth_; }
    Error At(const std::string& where, const std::string& name, const std::string& what) const {
        std::string place = shown_ + ": " + where;
        if (!name.empty()) place += " \"" + name + "\"";
        return Error::InvalidArgument(place + ": " + what);
    }
    Error Top(const std::string& what) const { return Error::InvalidArgument(shown_ + ": " + what); }

private:
    std::string file_;   ///< includes are found relative to it
    std::string shown_;  ///< in messages
    int include_depth_ = 0;
};

Status<> OnlyFields(const Json& object, const std::vector<std::string>& accepted, const Context& cx,
                    const std::string& where, const std::string& name, const std::string& what) {
    for (const auto& [key, value] : object.items()) {
        if (std::find(accepted.begin(), accepted.end(), key) == accepted.end())
            return Fail(cx.At(where, name,
                              "unknown field \"" + (what.empty() ? "" : what + ".") + key + "\" (accepted: " + Join(accepted) + ")"));
    }
    return core::Ok();
}

Status<> CheckString(const Json& obj, const char* key, bool required, const Context& cx, const std::string& where,
                     const std::string& name, const std::string& prefix) {
    if (!obj.contains(key)) {
        if (required) return Fail(cx.At(where, name, "missing field \"" + prefix + key + "\""));
        return core::Ok();
    }
    if (!obj[key].is_string()) return Fail(cx.At(where, name, "field \"" + prefix + key + "\" must be a string"));
    return core::Ok();
}

Status<> CheckDuration(const Json& obj, const char* key, const Context& cx, const std::string& where,
                       const std::string& name, const std::string& prefix) {
    if (!obj.contains(key)) return core::Ok();
    const Json& v = obj[key];
    if (!v.is_string()) return Fail(cx.At(where, name, "field \"" + prefix + key + "\" must be a duration string"));
    if (Templated(v)) return core::Ok();
    auto d = core::ParseDuration(v.get<std::string>());
    if (!d) return Fail(cx.At(where, name, "field \"" + prefix + key + "\": " + d.error().message));
    return core::Ok();
}

Status<> CheckPath(const std::string& path, const Context& cx, const std::string& where, const std::string& name,
                   const std::string& field) {
    if (path.find("${") != std::string::npos) return core::Ok();
    if (path.empty() || path[0] != '$')
        return Fail(cx.At(where, name, "field \"" + field + "\": \"" + path + "\" is not a JSONPath (they start with $)"));
    auto p = core::JsonPath::Parse(path);
    if (!p) return Fail(cx.At(where, name, "field \"" + field + "\": bad JSONPath \"" + path + "\": " + p.error().message));
    return core::Ok();
}

const std::vector<std::string> kCallFields = {"service", "method", "path", "headers", "body", "raw_body", "bearer"};

Status<> CheckRequest(const Json& spec, const std::string& kind, const Context& cx, const std::string& where,
                      const std::string& name) {
    std::vector<std::string> accepted = kCallFields;
    if (kind == "await") {
        accepted.push_back("timeout");
        accepted.push_back("every");
    }
    if (auto s = OnlyFields(spec, accepted, cx, where, name, kind); !s) return s;
    for (const char* key : {"service", "method", "raw_body", "bearer"})
        if (auto s = CheckString(spec, key, false, cx, where, name, kind + "."); !s) return s;
    if (auto s = CheckString(spec, "path", true, cx, where, name, kind + "."); !s) return s;
    if (spec.contains("headers")) {
        if (!spec["headers"].is_object()) return Fail(cx.At(where, name, "field \"" + kind + ".headers\" must be an object"));
        for (const auto& [h, v] : spec["headers"].items())
            if (!v.is_string()) return Fail(cx.At(where, name, "header \"" + h + "\" must be a string"));
    }
    if (spec.contains("body") && spec.contains("raw_body"))
        return Fail(cx.At(where, name, "give \"" + kind + ".body\" (JSON) or \"" + kind + ".raw_body\" (text), not both"));
    if (kind == "await") {
        if (auto s = CheckDuration(spec, "timeout", cx, where, name, "await."); !s) return s;
        if (auto s = CheckDuration(spec, "every", cx, where, name, "await."); !s) return s;
    }
    return core::Ok();
}

Status<> CheckExpect(const Json& expect, const Context& cx, const std::string& where, const std::string& name) {
    if (!expect.is_object()) return Fail(cx.At(where, name, "field \"expect\" must be an object"));
    if (auto s = OnlyFields(expect, {"status", "body", "headers"}, cx, where, name, "expect"); !s) return s;
    if (expect.contains("status")) {
        const Json& st = expect["status"];
        if (!(st.is_number_integer() || st.is_array() || st.is_object() || Templated(st)))
            return Fail(cx.At(where, name, "field \"expect.status\" must be a status, an array of statuses or a matcher"));
        if (st.is_object())
            if (auto s = ValidateMatcher(st); !s) return Fail(cx.At(where, name, "expect.status: " + s.error().message));
    }
    if (expect.contains("body")) {
        if (!expect["body"].is_object())
            return Fail(cx.At(where, name, "field \"expect.body\" must be an object of JSONPath -> expected value"));
        for (const auto& [path, m] : expect["body"].items()) {
            if (auto s = CheckPath(path, cx, where, name, "expect.body"); !s) return s;
            if (auto s = ValidateMatcher(m); !s) return Fail(cx.At(where, name, "expect.body \"" + path + "\": " + s.error().message));
        }
    }
    if (expect.contains("headers")) {
        if (!expect["headers"].is_object()) return Fail(cx.At(where, name, "field \"expect.headers\" must be an object"));
        for (const auto& [h, m] : expect["headers"].items())
            if (auto s = ValidateMatcher(m); !s) return Fail(cx.At(where, name, "expect.headers \"" + h + "\": " + s.error().message));
    }
    return core::Ok();
}

/// capture and snapshot values: "$.path", "${expr}" (snapshot only), {"header": name}.
Status<> CheckExtractors(const Json& map, const char* field, bool has_response, const Context& cx,
                         const std::string& where, const std::string& name) {
    if (!map.is_object()) return Fail(cx.At(where, name, std::string("field \"") + field + "\" must be an object"));
    for (const auto& [key, v] : map.items()) {
        std::string f = std::string(field) + "." + key;
        if (v.is_object()) {
            if (!has_response) return Fail(cx.At(where, name, "field \"" + f + "\": only call and await steps have headers"));
            if (auto s = OnlyFields(v, {"header"}, cx, where, name, f); !s) return s;
            if (auto s = CheckString(v, "header", true, cx, where, name, f + "."); !s) return s;
            continue;
        }
        if (!v.is_string())
            return Fail(cx.At(where, name, "field \"" + f + "\" must be a JSONPath string, a ${...} template or {\"header\": name}"));
        const std::string& text = v.get_ref<const std::string&>();
        bool path = !text.empty() && text[0] == '$' && text.rfind("${", 0) != 0;
        if (path) {
            if (!has_response) return Fail(cx.At(where, name, "field \"" + f + "\": a JSONPath needs a response (call or await steps)"));
            if (auto s = CheckPath(text, cx, where, name, f); !s) return s;
        } else if (std::string(field) == "capture") {
            return Fail(cx.At(where, name, "field \"" + f + "\" must be a JSONPath (use a set step for computed values)"));
        }
    }
    return core::Ok();
}

Result<std::vector<Step>> ParseSteps(const Json& steps, const std::string& where, const Context& cx);

const std::vector<std::string> kTypes = {"call", "await", "advance", "fault", "clear_faults", "set", "foreach", "include"};
/// Fragments may include fragments, this deep (a cycle is reported as too deep).
constexpr int kMaxIncludeDepth = 8;
constexpr std::uintmax_t kMaxFragmentBytes = 1 << 20;
const std::vector<std::string> kCommon = {"name", "when", "span", "snapshot", "expect", "capture"};

Result<Json> ParseJsonText(const std::string& text, const Context& cx) {
    try {
        return Json::parse(text);
    } catch (const nlohmann::json::exception& e) {
        // parse_error, and out_of_range for a number beyond a double (1e500).
        return Fail(cx.Top(std::string("not valid JSON: ") + e.what()));
    }
}

std::string ReadText(const std::string& path, bool* ok) {
    std::ifstream in(path, std::ios::binary);
    *ok = static_cast<bool>(in);
    std::stringstream text;
    if (*ok) text << in.rdbuf();
    return text.str();
}

/// An included fragment: `{"description"?: "...", "steps": [...]}` in a file found relative to the
/// including file. Its steps are parsed as if written in place; errors name the fragment's file.
Result<std::vector<Step>> LoadFragment(const std::string& relative, const std::string& where, const std::string& name,
                                       const Context& cx) {
    if (cx.include_depth() >= kMaxIncludeDepth)
        return Fail(cx.At(where, name, "includes nest deeper than " + std::to_string(kMaxIncludeDepth) + " (a cycle?)"));
    if (fs::path(relative).is_absolute())
        return Fail(cx.At(where, name, "field \"include\": \"" + relative + "\" must be relative to this file"));
    std::string path = (fs::path(cx.file()).parent_path() / relative).lexically_normal().string();
    // A regular file of sane size only: not a device that never ends, not a directory.
    std::error_code ec;
    if (!fs::is_regular_file(path, ec) || fs::file_size(path, ec) > kMaxFragmentBytes || ec)
        return Fail(cx.At(where, name, "field \"include\": " + path + " is not a readable fragment file (at most 1 MiB)"));
    bool readable = false;
    std::string text = ReadText(path, &readable);
    if (!readable) return Fail(cx.At(where, name, "field \"include\": cannot read " + path));
    Context inner(path, cx, where);
    auto parsed = ParseJsonText(text, inner);
    if (!parsed) return Fail(parsed.error());
    const Json& j = *parsed;
    if (!j.is_object()) return Fail(inner.Top("a fragment must be a JSON object {\"description\"?, \"steps\"}"));
    for (const auto& [key, value] : j.items())
        if (key != "description" && key != "steps")
            return Fail(inner.Top("unknown field \"" + key + "\" in a fragment (accepted: description, steps)"));
    if (!j.contains("steps") || !j["steps"].is_array() || j["steps"].empty())
        return Fail(inner.Top("\"steps\" must be a non-empty array"));
    return ParseSteps(j["steps"], "steps", inner);
}

/// Prefixes the location of `steps` and of every step nested in them.
void PrefixWhere(std::vector<Step>& steps, const std::string& prefix) {
    for (Step& step : steps) {
        step.where.insert(0, prefix);
        PrefixWhere(step.steps, prefix);
    }
}

/// The name a step without "name" gets (also used in its own error messages).
std::string DefaultName(const std::string& type, const Json& spec) {
    auto text = [&](const char* key, const char* fallback) {
        return spec.is_object() && spec.contains(key) ? ToText(spec[key]) : std::string(fallback);
    };
    if (type == "call" || type == "await") {
        bool body = spec.is_object() && (spec.contains("body") || spec.contains("raw_body"));
        return type + " " + text("method", body ? "POST" : "GET") + " " + text("path", "");
    }
    if (type == "advance") {
        if (spec.is_object() && spec.contains("by")) return "advance by " + text("by", "");
        if (spec.is_object() && spec.contains("to")) return "advance to " + text("to", "");
        return "advance until " + text("until", "");
    }
    if (type == "fault") return "fault " + text("system", "?") + " " + text("operation", "*");
    if (type == "clear_faults") return "clear faults";
    if (type == "include") return "include " + (spec.is_string() ? spec.get<std::string>() : std::string("?"));
    if (type == "set") {
        std::vector<std::string> keys;
        if (spec.is_object())
            for (const auto& [k, v] : spec.items()) keys.push_back(k);
        return "set " + Join(keys);
    }
    return "foreach " + text("as", "item");
}

Result<Step> ParseStep(const Json& j, const std::string& where, const Context& cx) {
    Step step;
    step.where = where;
    if (!j.is_object()) return Fail(cx.At(where, "", "a step must be an object"));
    if (j.contains("name")) {
        if (!j["name"].is_string()) return Fail(cx.At(where, "", "field \"name\" must be a string"));
        step.name = j["name"].get<std::string>();
    }
    const std::string& name = step.name;
    std::vector<std::string> types;
    for (const auto& [key, value] : j.items()) {
        if (std::find(kTypes.begin(), kTypes.end(), key) != kTypes.end()) {
            types.push_back(key);
        } else if (std::find(kCommon.begin(), kCommon.end(), key) == kCommon.end()) {
            std::vector<std::string> accepted = kTypes;
            accepted.insert(accepted.end(), kCommon.begin(), kCommon.end());
            return Fail(cx.At(where, name, "unknown field \"" + key + "\" (a step has one of: " + Join(kTypes) +
                                               "; and may have: " + Join(kCommon) + ")"));
        }
    }
    if (types.empty()) return Fail(cx.At(where, name, "no step type: give one of " + Join(kTypes)));
    if (types.size() > 1) return Fail(cx.At(where, name, "more than one step type: " + Join(types)));
    const std::string& type = types.front();
    const Json& spec = j[type];
    if (step.name.empty()) step.name = DefaultName(type, spec);
    bool has_response = type == "call" || type == "await";
    if (!has_response) {
        for (const char* key : {"expect", "capture"})
            if (j.contains(key)) return Fail(cx.At(where, name, std::string("field \"") + key + "\" is only for call and await steps"));
    }
    if (j.contains("when")) {
        if (!j["when"].is_string()) return Fail(cx.At(where, name, "field \"when\" must be a ${...} string"));
        step.when = j["when"].get<std::string>();
    }
    if (j.contains("expect")) {
        if (auto s = CheckExpect(j["expect"], cx, where, name); !s) return Fail(s.error());
        step.expect = j["expect"];
    }
    if (j.contains("capture")) {
        if (auto s = CheckExtractors(j["capture"], "capture", true, cx, where, name); !s) return Fail(s.error());
        step.capture = j["capture"];
    }
    if (j.contains("snapshot")) {
        if (auto s = CheckExtractors(j["snapshot"], "snapshot", has_response, cx, where, name); !s) return Fail(s.error());
        step.snapshot = j["snapshot"];
    }
    if (j.contains("span")) {
        const Json& sp = j["span"];
        if (!sp.is_object()) return Fail(cx.At(where, name, "field \"span\" must be an object {\"path\",\"hop\",\"key\"?}"));
        if (auto s = OnlyFields(sp, {"path", "hop", "key"}, cx, where, name, "span"); !s) return Fail(s.error());
        if (auto s = CheckString(sp, "path", true, cx, where, name, "span."); !s) return Fail(s.error());
        if (auto s = CheckString(sp, "hop", true, cx, where, name, "span."); !s) return Fail(s.error());
        if (auto s = CheckString(sp, "key", false, cx, where, name, "span."); !s) return Fail(s.error());
        step.span = sp;
    }

    if (type == "call" || type == "await") {
        step.kind = type == "call" ? StepKind::kCall : StepKind::kAwait;
        if (!spec.is_object()) return Fail(cx.At(where, name, "field \"" + type + "\" must be an object"));
        if (auto s = CheckRequest(spec, type, cx, where, name); !s) return Fail(s.error());
        step.spec = spec;
    } else if (type == "advance") {
        step.kind = StepKind::kAdvance;
        if (!spec.is_object()) return Fail(cx.At(where, name, "field \"advance\" must be an object: {\"by\"}, {\"until\"} or {\"to\"}"));
        if (auto s = OnlyFields(spec, {"by", "until", "to", "day"}, cx, where, name, "advance"); !s) return Fail(s.error());
        int n = spec.contains("by") + spec.contains("until") + spec.contains("to");
        if (n != 1) return Fail(cx.At(where, name, "advance needs exactly one of \"by\" (a duration), \"until\" (\"HH:MM Zone\") or \"to\" (a time)"));
        if (auto s = CheckDuration(spec, "by", cx, where, name, "advance."); !s) return Fail(s.error());
        for (const char* key : {"until", "to"})
            if (auto s = CheckString(spec, key, false, cx, where, name, "advance."); !s) return Fail(s.error());
        if (spec.contains("day")) {
            if (!spec.contains("until")) return Fail(cx.At(where, name, "field \"advance.day\" goes with \"until\""));
            const Json& d = spec["day"];
            if (!(Templated(d) || (d.is_number_integer() && d.get<int>() >= 1 && d.get<int>() <= 31)))
                return Fail(cx.At(where, name, "field \"advance.day\" must be a day of the month, 1-31"));
        }
        step.spec = spec;
    } else if (type == "fault") {
        step.kind = StepKind::kFault;
        if (!spec.is_object()) return Fail(cx.At(where, name, "field \"fault\" must be an object (the body of POST /_sim/faults)"));
        if (!spec.contains("system")) return Fail(cx.At(where, name, "missing field \"fault.system\""));
        step.spec = spec;
    } else if (type == "clear_faults") {
        step.kind = StepKind::kClearFaults;
        if (!(spec.is_boolean() || (spec.is_object() && spec.empty())))
            return Fail(cx.At(where, name, "field \"clear_faults\" must be true or {}"));
    } else if (type == "set") {
        step.kind = StepKind::kSet;
        if (!spec.is_object() || spec.empty())
            return Fail(cx.At(where, name, "field \"set\" must be a non-empty object of variable -> value"));
        step.spec = spec;
    } else if (type == "include") {
        step.kind = StepKind::kInclude;
        if (!spec.is_string() || spec.get<std::string>().empty())
            return Fail(cx.At(where, name, "field \"include\" must be the path of a fragment file, relative to this file"));
        auto inner = LoadFragment(spec.get<std::string>(), where, name, cx);
        if (!inner) return Fail(inner.error());
        step.steps = std::move(*inner);
        // A run's failure names a fragment's step by the including step too: its own "steps[0]"
        // alone would point into the wrong file.
        PrefixWhere(step.steps, where + " (include " + spec.get<std::string>() + ") ");
        step.spec = spec;
    } else {  // foreach
        step.kind = StepKind::kForeach;
        if (!spec.is_object()) return Fail(cx.At(where, name, "field \"foreach\" must be an object"));
        if (auto s = OnlyFields(spec, {"in", "as", "index", "steps"}, cx, where, name, "foreach"); !s) return Fail(s.error());
        if (!spec.contains("in")) return Fail(cx.At(where, name, "missing field \"foreach.in\" (an array or a ${...} giving one)"));
        if (!(spec["in"].is_array() || Templated(spec["in"])))
            return Fail(cx.At(where, name, "field \"foreach.in\" must be an array or a ${...} giving one"));
        for (const char* key : {"as", "index"})
            if (auto s = CheckString(spec, key, false, cx, where, name, "foreach."); !s) return Fail(s.error());
        if (!spec.contains("steps") || !spec["steps"].is_array() || spec["steps"].empty())
            return Fail(cx.At(where, name, "field \"foreach.steps\" must be a non-empty array of steps"));
        auto inner = ParseSteps(spec["steps"], where + ".foreach.steps", cx);
        if (!inner) return Fail(inner.error());
        step.steps = std::move(*inner);
        step.spec = spec;
        step.spec.erase("steps");
    }
    return step;
}

Result<std::vector<Step>> ParseSteps(const Json& steps, const std::string& where, const Context& cx) {
    std::vector<Step> out;
    for (std::size_t i = 0; i < steps.size(); ++i) {
        auto step = ParseStep(steps[i], where + "[" + std::to_string(i) + "]", cx);
        if (!step) return Fail(step.error());
        out.push_back(std::move(*step));
    }
    return out;
}

Result<ActorSet> ParseActors(const std::string& set_name, const Json& j, const Context& cx) {
    std::string where = "actors." + set_name;
    if (!j.is_object()) return Fail(cx.Top(where + ": must be an object {\"count\", \"given_names\"?, \"seed\"?, \"id_prefix\"?}"));
    for (const auto& [key, value] : j.items()) {
        static const std::vector<std::string> accepted = {"count", "given_names", "seed", "id_prefix"};
        if (std::find(accepted.begin(), accepted.end(), key) == accepted.end())
            return Fail(cx.Top(where + ": unknown field \"" + key + "\" (accepted: " + Join(accepted) + ")"));
    }
    ActorSet set;
    set.name = set_name;
    if (!j.contains("count") || !j["count"].is_number_integer() || j["count"].get<std::int64_t>() < 0 ||
        j["count"].get<std::int64_t>() > 100'000)
        return Fail(cx.Top(where + ".count: must be an integer from 0 to 100000"));
    set.count = j["count"].get<std::int64_t>();
    set.given_names = Json::object({{"ツウジョウ", 1}});
    if (j.contains("given_names")) {
        const Json& g = j["given_names"];
        if (!g.is_object() || g.empty()) return Fail(cx.Top(where + ".given_names: must be an object of kana given name -> weight"));
        for (const auto& [n, w] : g.items())
            if (!w.is_number_integer() || w.get<std::int64_t>() < 0)
                return Fail(cx.Top(where + ".given_names." + n + ": the weight must be a non-negative integer"));
        set.given_names = g;
    }
    if (j.contains("seed")) {
        if (!j["seed"].is_number_unsigned()) return Fail(cx.Top(where + ".seed: must be a non-negative integer"));
        set.seed = j["seed"].get<std::uint64_t>();
    }
    set.id_prefix = set_name;
    if (j.contains("id_prefix")) {
        if (!j["id_prefix"].is_string()) return Fail(cx.Top(where + ".id_prefix: must be a string"));
        set.id_prefix = j["id_prefix"].get<std::string>();
    }
    return set;
}

}  // namespace

std::string_view ToString(StepKind kind) {
    switch (kind) {
        case StepKind::kCall: return "call";
        case StepKind::kAwait: return "await";
        case StepKind::kAdvance: return "advance";
        case StepKind::kFault: return "fault";
        case StepKind::kClearFaults: return "clear_faults";
        case StepKind::kSet: return "set";
        case StepKind::kForeach: return "foreach";
        case StepKind::kInclude: return "include";
    }
    return "?";
}

Result<Scenario> ParseScenario(const std::string& file, const std::string& text) {
    Context cx(file);
    auto parsed = ParseJsonText(text, cx);
    if (!parsed) return Fail(parsed.error());
    const Json& j = *parsed;
    if (!j.is_object()) return Fail(cx.Top("a scenario must be a JSON object"));
    static const std::vector<std::string> accepted = {"name", "description", "tags", "start", "seed",
                                                      "vars", "actors", "invariants", "steps"};
    for (const auto& [key, value] : j.items())
        if (std::find(accepted.begin(), accepted.end(), key) == accepted.end())
            return Fail(cx.Top("unknown field \"" + key + "\" (accepted: " + Join(accepted) + ")"));
    Scenario s;
    s.file = file;
    s.name = fs::path(file).stem().string();
    if (j.contains("name")) {
        if (!j["name"].is_string() || j["name"].get<std::string>().empty()) return Fail(cx.Top("\"name\" must be a non-empty string"));
        s.name = j["name"].get<std::string>();
    }
    if (j.contains("description")) {
        if (!j["description"].is_string()) return Fail(cx.Top("\"description\" must be a string"));
        s.description = j["description"].get<std::string>();
    }
    if (j.contains("tags")) {
        if (!j["tags"].is_array()) return Fail(cx.Top("\"tags\" must be an array of strings"));
        for (const auto& t : j["tags"]) {
            if (!t.is_string()) return Fail(cx.Top("\"tags\" must be an array of strings"));
            s.tags.push_back(t.get<std::string>());
        }
    }
    if (j.contains("start")) {
        auto t = j["start"].is_string() ? core::ParseIso8601(j["start"].get<std::string>())
                                        : core::Result<core::TimePoint>(core::Fail(Error::InvalidArgument("not a string")));
        if (!t) return Fail(cx.Top("\"start\": " + t.error().message));
        s.start = *t;
    }
    if (j.contains("seed")) {
        if (!j["seed"].is_number_unsigned()) return Fail(cx.Top("\"seed\" must be a non-negative integer"));
        s.seed = j["seed"].get<std::uint64_t>();
    }
    if (j.contains("vars")) {
        if (!j["vars"].is_object()) return Fail(cx.Top("\"vars\" must be an object"));
        s.vars = j["vars"];
    }
    if (j.contains("actors")) {
        if (!j["actors"].is_object()) return Fail(cx.Top("\"actors\" must be an object: name -> {\"count\", ...}"));
        for (const auto& [name, spec] : j["actors"].items()) {
            auto set = ParseActors(name, spec, cx);
            if (!set) return Fail(set.error());
            s.actors.push_back(std::move(*set));
        }
    }
    if (j.contains("invariants")) {
        static const std::pair<const char*, InvariantChecks> kModes[] = {{"each_step", InvariantChecks::kEachStep},
                                                                          {"top_level", InvariantChecks::kTopLevel},
                                                                          {"end", InvariantChecks::kEnd},
                                                                          {"never", InvariantChecks::kNever}};
        bool found = false;
        for (const auto& [word, mode] : kModes)
            if (j["invariants"] == word) {
                s.invariants = mode;
                found = true;
            }
        if (!found) return Fail(cx.Top("\"invariants\" must be each_step, top_level, end or never"));
    }
    if (!j.contains("steps") || !j["steps"].is_array() || j["steps"].empty())
        return Fail(cx.Top("\"steps\" must be a non-empty array"));
    auto steps = ParseSteps(j["steps"], "steps", cx);
    if (!steps) return Fail(steps.error());
    s.steps = std::move(*steps);
    return s;
}

Result<Scenario> LoadScenarioFile(const std::string& path) {
    bool readable = false;
    std::string text = ReadText(path, &readable);
    if (!readable) return Fail(Error::NotFound(path + ": cannot read the file"));
    return ParseScenario(path, text);
}

Result<std::vector<std::string>> FindScenarioFiles(const std::vector<std::string>& paths) {
    std::vector<std::string> out;
    for (const auto& p : paths) {
        std::error_code ec;
        if (fs::is_regular_file(p, ec)) {
            out.push_back(p);
            continue;
        }
        if (!fs::is_directory(p, ec)) return Fail(Error::NotFound(p + ": no such file or directory"));
        std::vector<std::string> found;
        for (auto it = fs::recursive_directory_iterator(p, ec); it != fs::recursive_directory_iterator(); it.increment(ec)) {
            if (ec) break;
            if (it->is_directory() && (it->path().filename() == "load" || it->path().filename() == "snapshots" ||
                                       it->path().filename() == "include")) {
                it.disable_recursion_pending();
                continue;
            }
            if (it->is_regular_file() && it->path().extension() == ".json") found.push_back(it->path().string());
        }
        std::sort(found.begin(), found.end());
        out.insert(out.end(), found.begin(), found.end());
    }
    return out;
}

}  // namespace sim::scenario
