#include "sim/scenario/runner.hpp"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include "sim/clock/stopwatch.hpp"
#include "sim/core/json_path.hpp"
#include "sim/core/trace.hpp"
#include "sim/scenario/actors.hpp"
#include "sim/scenario/local_time.hpp"
#include "sim/scenario/matcher.hpp"

namespace sim::scenario {

namespace {

namespace fs = std::filesystem;

constexpr std::size_t kMaxAwaitAttempts = 200'000;

double Seconds(core::TimePoint t) { return std::chrono::duration<double>(t.time_since_epoch()).count(); }

Json ParseBody(const std::string& text) {
    if (text.empty()) return nullptr;
    Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) return Json(text);
    return j;
}

std::string Shorten(std::string text, std::size_t max = 600) {
    if (text.size() > max) text = text.substr(0, max) + "...";
    return text;
}

/// A process-wide wall clock origin, so marks taken in different scenarios are comparable.
const clock::Stopwatch& WallClock() {
    static const clock::Stopwatch watch;
    return watch;
}

}  // namespace

core::Response CallThrough(core::Transport& transport, const std::function<bool(const std::function<bool()>&)>& run_until,
                           const std::string& service, core::Request request) {
    auto answer = std::make_shared<std::optional<core::Response>>();
    std::string what = request.method + " " + request.target;
    transport.Send(service, std::move(request), [answer](core::Response r) {
        // Large bodies (S3 objects) come as a file slice: the runner looks at bytes, so read them.
        if (r.body_file) {
            std::ifstream in(r.body_file->path, std::ios::binary);
            in.seekg(static_cast<std::streamoff>(r.body_file->offset));
            r.body.assign(r.body_file->length, '\0');
            in.read(r.body.data(), static_cast<std::streamsize>(r.body_file->length));
            r.body.resize(static_cast<std::size_t>(in.gcount()));
            if (r.body_file->remove_when_done) {
                std::error_code ec;
                fs::remove(r.body_file->path, ec);
            }
            r.body_file.reset();
        }
        *answer = std::move(r);
    });
    bool done = run_until([answer] { return answer->has_value(); });
    if (!done || !answer->has_value())
        return core::Response::Problem(504, "Gateway Timeout",
                                       "no answer from service '" + service + "' to " + what +
                                           " (in-process: the system went quiet without answering; a request that "
                                           "waits on virtual time needs an await step)");
    return std::move(**answer);
}

Runner::Runner(System& system, RunOptions options) : system_(system), options_(std::move(options)) {}

void Runner::Log(const std::string& line) {
    if (options_.log) *options_.log << line << "\n" << std::flush;
}

double Runner::WallNow() const { return std::chrono::duration<double>(WallClock().Elapsed()).count(); }

void Runner::SetNow(core::TimePoint t) {
    now_ = t;
    vars_["now"] = core::FormatIso8601(t);
}

core::Result<Json> Runner::RenderValue(const Json& value) {
    Scope scope{&vars_};
    return Render(value, scope);
}

bool Runner::Fail(const Step* step, const std::string& message) {
    if (!result_.message.empty()) return false;  // the first failure stands
    if (step) {
        result_.failed_step = step->where + " \"" + step->name + "\"";
        if (!current_iteration_.empty()) result_.failed_step += " (iteration " + current_iteration_ + ")";
    }
    result_.message = message;
    result_.trace = trace_;
    return false;
}

ScenarioResult Runner::Run(const Scenario& scenario) {
    clock::Stopwatch wall;
    scenario_ = &scenario;
    result_ = ScenarioResult{};
    result_.name = scenario.name;
    result_.file = scenario.file;
    trace_.clear();
    marks_.clear();
    snapshot_ = Json::object();
    invariants_available_ = scenario.invariants != InvariantChecks::kNever;
    current_iteration_.clear();
    now_ = start_ = core::TimePoint{};
    std::uint64_t seed = options_.seed.value_or(scenario.seed.value_or(1));

    auto finish = [&](bool passed) {
        result_.passed = passed && result_.message.empty();
        result_.virtual_start = core::FormatIso8601(start_);
        result_.virtual_end = core::FormatIso8601(now_);
        result_.virtual_seconds = Seconds(now_) - Seconds(start_);
        // Totals per path instance: first mark to last.
        for (const auto& [key, mark] : marks_) {
            if (mark.hops == 0) continue;
            result_.hops.push_back(HopSample{key.substr(0, key.find('\x1f')), "total", mark.virtual_at - mark.first_virtual,
                                             mark.wall_at - mark.first_wall});
        }
        system_.End();
        result_.wall_seconds = std::chrono::duration<double>(wall.Elapsed()).count();
        return result_;
    };

    if (auto s = system_.Begin(scenario, seed); !s) {
        Fail(nullptr, "could not start the system: " + s.error().message);
        return finish(false);
    }
    vars_ = Json::object();
    vars_["seed"] = seed;
    vars_["scenario"] = scenario.name;
    core::Request get_clock;
    get_clock.method = "GET";
    get_clock.target = "/_sim/clock";
    Reply clock_reply = Send(options_.control_service, std::move(get_clock));
    auto now = clock_reply.body.is_object() && clock_reply.body.contains("now") && clock_reply.body["now"].is_string()
                   ? core::ParseIso8601(clock_reply.body["now"].get<std::string>())
                   : core::Result<core::TimePoint>(core::Fail(core::Error::InvalidArgument("no clock")));
    if (clock_reply.response.status != 200 || !now) {
        Fail(nullptr, "GET /_sim/clock on '" + options_.control_service + "' answered " +
                          std::to_string(clock_reply.response.status) + ": " + Shorten(clock_reply.response.body));
        return finish(false);
    }
    if (clock_reply.body.value("mode", "") != "virtual") {
        Fail(nullptr, "the target's clock is not virtual (start it with cardsim serve --clock virtual)");
        return finish(false);
    }
    SetNow(*now);
    start_ = *now;
    if (scenario.start && *scenario.start > now_ && !system_.InProcess()) {
        Json body = {{"set", core::FormatIso8601(*scenario.start)}};
        Step none;
        none.where = "start";
        none.name = "start";
        if (!MoveClock(body, none)) return finish(false);
        start_ = now_;
    }
    wall_origin_ = WallNow();
    for (const auto& set : scenario.actors) vars_[set.name] = GenerateActors(set, seed);
    for (const auto& [name, value] : scenario.vars.items()) {
        auto v = RenderValue(value);
        if (!v) {
            Fail(nullptr, "vars." + name + ": " + v.error().message);
            return finish(false);
        }
        vars_[name] = std::move(*v);
    }

    bool ok = RunSteps(scenario.steps, "", 0);
    if (ok && scenario.invariants == InvariantChecks::kEnd) ok = CheckInvariants(nullptr);
    if (ok && !options_.snapshot_dir.empty() && (!snapshot_.empty() || options_.update_snapshots)) {
        fs::path file = fs::path(options_.snapshot_dir) / (scenario.name + ".json");
        std::error_code ec;
        bool exists = fs::exists(file, ec);
        if (options_.update_snapshots) {
            if (snapshot_.empty()) {
                if (exists) fs::remove(file, ec);
            } else {
                fs::create_directories(file.parent_path(), ec);
                std::ofstream out(file, std::ios::binary | std::ios::trunc);
                out << snapshot_.dump(2) << "\n";
                result_.snapshot_status = out ? "updated" : "unwritable";
                if (!out) ok = Fail(nullptr, "cannot write snapshot " + file.string());
            }
        } else if (!exists) {
            result_.snapshot_status = "missing";
            ok = Fail(nullptr, "no snapshot " + file.string() + " for the " + std::to_string(snapshot_.size()) +
                                   " observed values; run with --update-snapshots to record them");
        } else {
            std::ifstream in(file, std::ios::binary);
            std::stringstream text;
            text << in.rdbuf();
            Json expected = Json::parse(text.str(), nullptr, false);
            std::string diff;
            if (!expected.is_object()) {
                diff = " (the file is not a JSON object)";
            } else {
                for (const auto& [key, value] : expected.items()) {
                    if (!snapshot_.contains(key)) diff += "\n  " + key + ": expected " + value.dump() + ", not observed";
                    else if (snapshot_[key] != value)
                        diff += "\n  " + key + ": expected " + value.dump() + ", got " + snapshot_[key].dump();
                }
                for (const auto& [key, value] : snapshot_.items())
                    if (!expected.contains(key)) diff += "\n  " + key + ": observed " + value.dump() + ", not in the snapshot";
            }
            if (diff.empty()) {
                result_.snapshot_status = "matched";
            } else {
                result_.snapshot_status = "mismatch";
                ok = Fail(nullptr, "snapshot " + file.string() + " differs (run with --update-snapshots if intended):" + diff);
            }
        }
    }
    return finish(ok);
}

bool Runner::RunSteps(const std::vector<Step>& steps, const std::string& iteration, int depth) {
    for (const auto& step : steps) {
        if (!RunStep(step, iteration, depth)) return false;
    }
    return true;
}

bool Runner::RunStep(const Step& step, const std::string& iteration, int depth) {
    current_iteration_ = iteration;
    if (!step.when.empty()) {
        Scope scope{&vars_};
        auto cond = RenderString(step.when, scope);
        if (!cond) return Fail(&step, "when: " + cond.error().message);
        if (!Truthy(*cond)) return true;
    }
    ++result_.steps_run;
    if (options_.verbose) Log("    " + step.where + " " + step.name + (iteration.empty() ? "" : " [" + iteration + "]"));
    bool ok = true;
    Reply reply;
    bool has_reply = false;
    if (step.kind == StepKind::kForeach) {
        ok = DoForeach(step, iteration, depth);
        current_iteration_ = iteration;
    } else if (step.kind == StepKind::kInclude) {
        ok = RunSteps(step.steps, iteration, depth);  // as if written in place
        current_iteration_ = iteration;
    } else if (step.kind == StepKind::kSet) {
        for (const auto& [name, value] : step.spec.items()) {
            auto v = RenderValue(value);
            if (!v) return Fail(&step, "set " + name + ": " + v.error().message);
            vars_[name] = std::move(*v);
        }
    } else if (step.kind == StepKind::kClearFaults) {
        core::Request r;
        r.method = "DELETE";
        r.target = "/_sim/faults";
        Reply cleared = Send(options_.control_service, std::move(r));
        if (cleared.response.status / 100 != 2)
            return Fail(&step, "DELETE /_sim/faults answered " + std::to_string(cleared.response.status) + ": " +
                                   Shorten(cleared.response.body));
    } else {
        auto spec = RenderValue(step.spec);
        if (!spec) return Fail(&step, spec.error().message);
        switch (step.kind) {
            case StepKind::kCall:
                ok = DoCall(step, *spec, reply);
                has_reply = true;
                break;
            case StepKind::kAwait:
                ok = DoAwait(step, *spec, reply);
                has_reply = true;
                break;
            case StepKind::kAdvance: ok = DoAdvance(step, *spec); break;
            case StepKind::kFault: {
                core::Request r;
                r.method = "POST";
                r.target = "/_sim/faults";
                r.headers.Set("Content-Type", "application/json");
                r.body = spec->dump();
                Reply added = Send(options_.control_service, std::move(r));
                if (added.response.status / 100 != 2)
                    return Fail(&step, "POST /_sim/faults answered " + std::to_string(added.response.status) + ": " +
                                           Shorten(added.response.body));
                if (added.body.is_object() && added.body.contains("id")) vars_["last_fault"] = added.body["id"];
                break;
            }
            default: break;
        }
    }
    if (!ok) return false;
    if (!step.snapshot.is_null() && !TakeSnapshot(step, has_reply ? &reply : nullptr)) return false;
    if (!step.span.is_null()) MarkSpan(step, iteration);
    bool check = scenario_->invariants == InvariantChecks::kEachStep ||
                 (scenario_->invariants == InvariantChecks::kTopLevel && depth == 0);
    bool composite = step.kind == StepKind::kForeach || step.kind == StepKind::kInclude;
    if (check && !composite && step.kind != StepKind::kSet && !CheckInvariants(&step)) return false;
    return true;
}

core::Request Runner::BuildRequest(const Json& spec, std::string& service) {
    service = spec.value("service", std::string("platform"));
    core::Request r;
    bool has_body = spec.contains("body") || spec.contains("raw_body");
    r.method = spec.value("method", std::string(has_body ? "POST" : "GET"));
    for (char& c : r.method) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    r.target = spec.value("path", std::string("/"));
    if (spec.contains("body")) {
        r.body = spec["body"].dump();
        r.headers.Set("Content-Type", "application/json");
    } else if (spec.contains("raw_body")) {
        r.body = spec["raw_body"].get<std::string>();
    }
    if (spec.contains("bearer")) r.headers.Set("Authorization", "Bearer " + ToText(spec["bearer"]));
    if (spec.contains("headers"))
        for (const auto& [name, value] : spec["headers"].items()) r.headers.Set(name, ToText(value));
    return r;
}

Runner::Reply Runner::Send(const std::string& service, core::Request request, bool record) {
    RequestRecord rec;
    rec.service = service;
    rec.method = request.method;
    rec.target = request.target;
    rec.virtual_time = now_ == core::TimePoint{} ? std::string(20, '-') : core::FormatIso8601(now_);
    Reply reply;
    reply.response = system_.Call(service, std::move(request));
    reply.body = ParseBody(reply.response.body);
    rec.status = reply.response.status;
    if (auto t = reply.response.headers.Get(core::kTraceHeader)) rec.trace_id = std::string(*t);
    if (record) {
        trace_.push_back(std::move(rec));
        if (trace_.size() > options_.trace_length) trace_.erase(trace_.begin());
    }
    return reply;
}

std::optional<std::string> Runner::Mismatch(const Json& expect, const Reply& reply) {
    std::string misses;
    auto add = [&](const std::string& what) { misses += (misses.empty() ? "" : "; ") + what; };
    int status = reply.response.status;
    Json actual_status = status;
    if (expect.is_object() && expect.contains("status")) {
        Json want = expect["status"];
        auto miss = want.is_array() ? Match(Json{{"in", want}}, &actual_status) : Match(want, &actual_status);
        if (miss) add("status: " + *miss);
    } else if (status / 100 != 2) {
        add("status: expected 2xx, got " + std::to_string(status));
    }
    if (expect.is_object() && expect.contains("body")) {
        for (const auto& [path_text, want] : expect["body"].items()) {
            auto path = core::JsonPath::Parse(path_text);
            if (!path) {
                add(path_text + ": bad JSONPath: " + path.error().message);
                continue;
            }
            auto got = path->Evaluate(reply.body);
            if (auto miss = Match(want, got ? &*got : nullptr)) add(path_text + ": " + *miss);
        }
    }
    if (expect.is_object() && expect.contains("headers")) {
        for (const auto& [name, want] : expect["headers"].items()) {
            auto h = reply.response.headers.Get(name);
            Json got = h ? Json(std::string(*h)) : Json();
            if (auto miss = Match(want, h ? &got : nullptr)) add("header " + name + ": " + *miss);
        }
    }
    if (misses.empty()) return std::nullopt;
    return misses;
}

bool Runner::DoCall(const Step& step, const Json& spec, Reply& reply) {
    std::string service;
    core::Request request = BuildRequest(spec, service);
    std::string what = request.method + " " + service + " " + request.target;
    reply = Send(service, std::move(request));
    auto expect = RenderValue(step.expect);
    if (!expect) return Fail(&step, "expect: " + expect.error().message);
    if (auto miss = Mismatch(*expect, reply))
        return Fail(&step, what + ": " + *miss + "\n      response " + std::to_string(reply.response.status) + ": " +
                               Shorten(reply.response.body));
    return AfterResponse(step, reply);
}

bool Runner::DoAwait(const Step& step, const Json& spec, Reply& reply) {
    auto timeout = core::ParseDuration(spec.value("timeout", std::string("PT5M")));
    if (!timeout) return Fail(&step, "await.timeout: " + timeout.error().message);
    std::optional<core::Duration> every;
    if (spec.contains("every")) {
        auto e = core::ParseDuration(ToText(spec["every"]));
        if (!e || e->count() <= 0) return Fail(&step, "await.every must be a positive duration");
        every = *e;
    }
    core::TimePoint deadline = now_ + *timeout;
    std::string last_miss;
    for (std::size_t attempt = 1; attempt <= kMaxAwaitAttempts; ++attempt) {
        std::string service;
        core::Request request = BuildRequest(spec, service);
        std::string what = request.method + " " + service + " " + request.target;
        reply = Send(service, std::move(request), /*record=*/attempt == 1);
        auto expect = RenderValue(step.expect);
        if (!expect) return Fail(&step, "expect: " + expect.error().message);
        auto miss = Mismatch(*expect, reply);
        if (!miss) {
            if (attempt > 1) {  // the attempt that held goes into the trace too
                RequestRecord rec{service, step.spec.value("method", "GET"), ToText(spec.value("path", Json(""))),
                                  reply.response.status, "", core::FormatIso8601(now_)};
                if (auto t = reply.response.headers.Get(core::kTraceHeader)) rec.trace_id = std::string(*t);
                trace_.push_back(std::move(rec));
                if (trace_.size() > options_.trace_length) trace_.erase(trace_.begin());
            }
            return AfterResponse(step, reply);
        }
        last_miss = what + ": " + *miss + "\n      last response " + std::to_string(reply.response.status) + ": " +
                    Shorten(reply.response.body);
        if (now_ >= deadline)
            return Fail(&step, "await timed out after " + spec.value("timeout", std::string("PT5M")) +
                                   " of virtual time (" + std::to_string(attempt) + " attempts, now " +
                                   core::FormatIso8601(now_) + "); " + last_miss);
        Json body;
        if (every) body = {{"set", core::FormatIso8601(std::min(deadline, now_ + *every))}};
        else body = {{"step", {{"until", core::FormatIso8601(deadline)}}}};
        if (!MoveClock(body, step)) return false;
    }
    return Fail(&step, "await gave up after " + std::to_string(kMaxAwaitAttempts) +
                           " attempts without time reaching the deadline (a timer re-arming itself at the same instant?); " +
                           last_miss);
}

bool Runner::MoveClock(const Json& body, const Step& step, bool* fired) {
    core::Request r;
    r.method = "POST";
    r.target = "/_sim/clock";
    r.headers.Set("Content-Type", "application/json");
    r.body = body.dump();
    Reply reply = Send(options_.control_service, std::move(r), /*record=*/!body.contains("step"));
    if (reply.response.status != 200 || !reply.body.is_object() || !reply.body.contains("now"))
        return Fail(&step, "POST /_sim/clock " + body.dump() + " answered " + std::to_string(reply.response.status) + ": " +
                               Shorten(reply.response.body));
    auto t = core::ParseIso8601(reply.body["now"].get<std::string>());
    if (!t) return Fail(&step, "POST /_sim/clock answered a bad time: " + reply.response.body);
    SetNow(*t);
    if (fired) *fired = reply.body.value("fired", false);
    return true;
}

bool Runner::DoAdvance(const Step& step, const Json& spec) {
    if (spec.contains("by")) {
        auto d = core::ParseDuration(ToText(spec["by"]));
        if (!d || d->count() < 0) return Fail(&step, "advance.by: " + (d ? std::string("must not be negative") : d.error().message));
        return MoveClock(Json{{"advance", ToText(spec["by"])}}, step);
    }
    core::TimePoint target;
    if (spec.contains("to")) {
        auto t = core::ParseIso8601(ToText(spec["to"]));
        if (!t) return Fail(&step, "advance.to: " + t.error().message);
        if (*t < now_) return Fail(&step, "advance.to " + ToText(spec["to"]) + " is before now (" + core::FormatIso8601(now_) + ")");
        target = *t;
    } else {
        std::optional<int> day;
        if (spec.contains("day")) {
            if (!spec["day"].is_number_integer()) return Fail(&step, "advance.day must be a day of the month");
            day = spec["day"].get<int>();
        }
        auto t = NextLocalTime(now_, ToText(spec["until"]), day);
        if (!t) return Fail(&step, "advance.until: " + t.error().message);
        target = *t;
    }
    return MoveClock(Json{{"set", core::FormatIso8601(target)}}, step);
}

bool Runner::DoForeach(const Step& step, const std::string& iteration, int depth) {
    auto items = RenderValue(step.spec["in"]);
    if (!items) return Fail(&step, "foreach.in: " + items.error().message);
    if (!items->is_array()) return Fail(&step, "foreach.in must give an array, got " + Shorten(items->dump(), 200));
    std::string as = step.spec.value("as", std::string("item"));
    std::string index = step.spec.value("index", std::string("index"));
    std::optional<Json> saved_as, saved_index;
    if (vars_.contains(as)) saved_as = vars_[as];
    if (vars_.contains(index)) saved_index = vars_[index];
    bool ok = true;
    for (std::size_t i = 0; i < items->size() && ok; ++i) {
        vars_[as] = (*items)[i];
        vars_[index] = i;
        ok = RunSteps(step.steps, iteration.empty() ? std::to_string(i) : iteration + "/" + std::to_string(i), depth + 1);
    }
    if (saved_as) vars_[as] = *saved_as;
    else vars_.erase(as);
    if (saved_index) vars_[index] = *saved_index;
    else vars_.erase(index);
    return ok;
}

core::Result<Json> Runner::Extract(const Json& extractor, const Reply* reply) {
    if (extractor.is_object()) {
        std::string header = extractor.value("header", "");
        auto h = reply ? reply->response.headers.Get(header) : std::nullopt;
        if (!h) return core::Fail(core::Error::NotFound("no header " + header + " in the response"));
        return Json(std::string(*h));
    }
    const std::string& text = extractor.get_ref<const std::string&>();
    if (!text.empty() && text[0] == '$' && text.rfind("${", 0) != 0 && reply) {
        Scope scope{&vars_};
        auto rendered = RenderString(text, scope);
        if (!rendered) return rendered;
        auto path = core::JsonPath::Parse(ToText(*rendered));
        if (!path) return core::Fail(path.error());
        auto got = path->Evaluate(reply->body);
        if (!got) return core::Fail(core::Error::NotFound(text + " selects nothing in " + Shorten(reply->body.dump(), 300)));
        return *got;
    }
    return RenderValue(extractor);
}

bool Runner::AfterResponse(const Step& step, const Reply& reply) {
    if (step.capture.is_null()) return true;
    for (const auto& [name, extractor] : step.capture.items()) {
        auto v = Extract(extractor, &reply);
        if (!v) return Fail(&step, "capture " + name + ": " + v.error().message);
        vars_[name] = std::move(*v);
    }
    return true;
}

bool Runner::TakeSnapshot(const Step& step, const Reply* reply) {
    Scope scope{&vars_};
    for (const auto& [key_template, extractor] : step.snapshot.items()) {
        auto key = RenderString(key_template, scope);
        if (!key) return Fail(&step, "snapshot key " + key_template + ": " + key.error().message);
        auto v = Extract(extractor, reply);
        if (!v) return Fail(&step, "snapshot " + ToText(*key) + ": " + v.error().message);
        snapshot_[ToText(*key)] = std::move(*v);
    }
    return true;
}

void Runner::MarkSpan(const Step& step, const std::string& iteration) {
    Scope scope{&vars_};
    auto rendered = Render(step.span, scope);
    if (!rendered) return;  // a bad span key must not fail the business scenario
    std::string path = ToText((*rendered)["path"]);
    std::string hop = ToText((*rendered)["hop"]);
    std::string key = rendered->contains("key") ? ToText((*rendered)["key"]) : iteration;
    double v = Seconds(now_), w = WallNow();
    auto [it, fresh] = marks_.try_emplace(path + '\x1f' + key);
    Mark& m = it->second;
    if (fresh) {
        m.first_virtual = v;
        m.first_wall = w;
    } else {
        result_.hops.push_back(HopSample{path, hop, v - m.virtual_at, w - m.wall_at});
        ++m.hops;
    }
    m.hop = hop;
    m.virtual_at = v;
    m.wall_at = w;
}

bool Runner::CheckInvariants(const Step* step) {
    if (!invariants_available_) return true;
    core::Request r;
    r.method = "GET";
    r.target = "/_sim/invariants";
    Reply reply = Send(options_.invariants_service, std::move(r), /*record=*/false);
    int status = reply.response.status;
    if (status == 404 || status == 502) {  // not (yet) provided by this system: no invariants
        invariants_available_ = false;
        return true;
    }
    if (status == 200 && reply.body.is_object() && reply.body.value("ok", false)) return true;
    std::string text;
    if (reply.body.is_object() && reply.body.contains("violations") && reply.body["violations"].is_array()) {
        for (const auto& v : reply.body["violations"]) {
            text += "\n      " + ToText(v.value("invariant", Json("?")));
            if (v.contains("card_id")) text += " card " + ToText(v["card_id"]);
            text += ": " + ToText(v.value("detail", Json("")));
        }
    }
    if (text.empty()) text = " GET /_sim/invariants answered " + std::to_string(status) + ": " + Shorten(reply.response.body);
    Step end;
    end.where = "end";
    end.name = "invariants at the end";
    return Fail(step ? step : &end, "a money invariant does not hold after this step:" + text);
}

}  // namespace sim::scenario
