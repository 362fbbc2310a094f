#include "sim/app/load_command.hpp"

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <regex>
#include <sstream>
#include <utility>

#include <nlohmann/json.hpp>

#include "sim/app/report_command.hpp"
#include "sim/app/runtime.hpp"
#include "sim/clock/system_clock.hpp"
#include "sim/core/log.hpp"
#include "sim/http/asio_loop.hpp"
#include "sim/http/client.hpp"
#include "sim/scenario/load/open_model.hpp"
#include "sim/scenario/load/platform_flows.hpp"
#include "sim/scenario/load/profile.hpp"

namespace sim::app {

namespace {

namespace load = scenario::load;
using std::chrono::nanoseconds;

constexpr int kExitThresholdFailed = 99;

struct LoadOptions {
    std::string profile_path;
    std::optional<core::Duration> duration;
    double rate_scale = 1.0;
    std::string json_path;
    std::string html_path;
    std::map<std::string, std::string> targets;  // service -> URL
    std::uint32_t shard_index = 0;
    std::uint32_t shard_count = 1;
    std::uint64_t seed = 1;
    std::chrono::milliseconds poll_interval{100};
    bool quiet = false;
};

// The fakes' per-system transport names; `--target fakes=URL` sets them all.
const char* const kFakeServices[] = {"payment-processor", "ekyc", "bureau", "screening", "printing", "atm", "push"};
const char* const kPlatformServices[] = {"application", "payment", "repayment", "notification", "statement"};

core::Result<LoadOptions> ParseLoadArgs(const std::vector<std::string>& args) {
    LoadOptions o;
    auto bad = [](const std::string& m) { return core::Fail(core::Error::InvalidArgument(m)); };
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        auto next = [&]() -> std::optional<std::string> {
            if (i + 1 >= args.size()) return std::nullopt;
            return args[++i];
        };
        if (a == "--duration") {
            auto v = next();
            if (!v) return bad("--duration needs a value such as 30s or PT1M");
            auto d = core::ParseDuration(*v);
            if (!d || *d <= core::Duration::zero()) return bad("--duration: " + (d ? std::string("must be > 0") : d.error().message));
            o.duration = *d;
        } else if (a == "--rate-scale") {
            auto v = next();
            char* end = nullptr;
            if (!v || (o.rate_scale = std::strtod(v->c_str(), &end), end != v->c_str() + v->size()) || o.rate_scale <= 0)
                return bad("--rate-scale needs a number > 0 (2 doubles every rate)");
        } else if (a == "--json") {
            auto v = next();
            if (!v) return bad("--json needs a file");
            o.json_path = *v;
        } else if (a == "--html") {
            auto v = next();
            if (!v) return bad("--html needs a file");
            o.html_path = *v;
        } else if (a == "--target") {
            auto v = next();
            auto eq = v ? v->find('=') : std::string::npos;
            if (!v || eq == std::string::npos || eq == 0 || v->compare(eq + 1, 7, "http://") != 0)
                return bad("--target needs NAME=http://HOST:PORT (NAME: platform, aws, fakes, or a service name)");
            o.targets[v->substr(0, eq)] = v->substr(eq + 1);
        } else if (a == "--shard") {
            auto v = next();
            std::smatch m;
            static const std::regex kShard(R"((\d+)/(\d+))");
            if (!v || !std::regex_match(*v, m, kShard) || std::stoul(m[2]) == 0 || std::stoul(m[1]) == 0 ||
                std::stoul(m[1]) > std::stoul(m[2]))
                return bad("--shard needs i/N with 1 <= i <= N, e.g. 2/4");
            o.shard_index = static_cast<std::uint32_t>(std::stoul(m[1]) - 1);
            o.shard_count = static_cast<std::uint32_t>(std::stoul(m[2]));
        } else if (a == "--seed") {
            auto v = next();
            if (!v || v->empty() || v->find_first_not_of("0123456789") != std::string::npos) return bad("--seed needs a non-negative integer");
            o.seed = std::stoull(*v);
        } else if (a == "--poll-interval") {
            auto v = next();
            auto d = v ? core::ParseDuration(*v) : core::Result<core::Duration>(core::Fail(core::Error::InvalidArgument("missing")));
            if (!d || *d <= core::Duration::zero()) return bad("--poll-interval needs a duration such as 100ms");
            o.poll_interval = std::chrono::duration_cast<std::chrono::milliseconds>(*d);
        } else if (a == "--quiet") {
            o.quiet = true;
        } else if (a.rfind("--", 0) == 0) {
            return bad("unknown flag " + a);
        } else if (o.profile_path.empty()) {
            o.profile_path = a;
        } else {
            return bad("one profile at a time (got " + o.profile_path + " and " + a + ")");
        }
    }
    if (o.profile_path.empty()) return bad("no profile given (e.g. scenarios/load/smoke.json)");
    return o;
}

/// CPU seconds (user + system) and RSS of this process, from /proc/self.
struct ProcessUsage {
    double cpu_seconds = 0;
    std::uint64_t rss_kib = 0;
};

ProcessUsage ReadProcessUsage() {
    ProcessUsage u;
    std::ifstream stat("/proc/self/stat");
    std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    auto close = text.rfind(')');
    if (close != std::string::npos) {
        std::istringstream fields(text.substr(close + 2));
        std::string f;
        unsigned long long utime = 0, stime = 0;
        for (int i = 3; fields >> f; ++i) {
            if (i == 14) utime = std::stoull(f);
            if (i == 15) {
                stime = std::stoull(f);
                break;
            }
        }
        u.cpu_seconds = static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
    }
    std::ifstream status("/proc/self/status");
    for (std::string line; std::getline(status, line);)
        if (line.rfind("VmRSS:", 0) == 0) u.rss_kib = std::stoull(line.substr(6));
    return u;
}

std::string Fixed(double v, int decimals) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
    return buf;
}

/// One run: the flows, the driver, the progress line and the samples, on one loop.
class LoadRun {
public:
    LoadRun(core::Transport& transport, clock::Clock& clock, const load::LoadProfile& profile, const LoadOptions& options,
            bool sample_process)
        : transport_(transport), clock_(clock), profile_(profile), options_(options), sample_process_(sample_process),
          client_(transport, clock), population_(client_, options.seed, options.shard_index, options.shard_count) {}

    /// Prepares the members, runs the profile; `done(exit code)` on the loop.
    void Start(std::function<void(int)> done) {
        done_ = std::move(done);
        if (!options_.quiet)
            std::cerr << "load " << profile_.name << ": preparing " << profile_.members << " members\n";
        auto prepared_at = clock_.Now();
        population_.Prepare(profile_.members, 16, [this, prepared_at](std::string failure) {
            if (!failure.empty()) {
                std::cerr << "load " << profile_.name << ": preparing the members failed: " << failure << "\n";
                return Finish(1);
            }
            if (!options_.quiet)
                std::cerr << "load " << profile_.name << ": " << profile_.members << " members ready in "
                          << Fixed(std::chrono::duration<double>(clock_.Now() - prepared_at).count(), 2) << " s\n";
            RunProfile();
        });
    }

    load::LoadReport& Report() { return driver_->Report(); }
    std::vector<load::ThresholdResult> Results() const { return results_; }

private:
    void RunProfile() {
        std::map<std::string, load::LoadFlow*> flows;
        for (const auto& spec : profile_.flows) {
            flow_impls_.push_back(load::MakeFlow(spec.name, client_, population_));
            flows[spec.name] = flow_impls_.back().get();
        }
        load::DriverOptions d;
        d.rate_scale = options_.rate_scale;
        d.shard_index = options_.shard_index;
        d.shard_count = options_.shard_count;
        // One trace per arrival, unique per run and shard (so shards and successive runs against
        // one target never share a trace): load-SEED-SHARDofN-RUNSTART-FLOW-INDEX.
        d.trace_prefix = "load-" + std::to_string(options_.seed) + "-" + std::to_string(options_.shard_index + 1) + "of" +
                         std::to_string(options_.shard_count) + "-" +
                         std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                            clock_.Now().time_since_epoch()).count()) +
                         "-";
        driver_ = std::make_unique<load::OpenModelDriver>(clock_, profile_, flows, d);
        if (!options_.quiet)
            std::cerr << "load " << profile_.name << ": " << driver_->Scheduled() << " arrivals over "
                      << Fixed(std::chrono::duration<double>(profile_.warmup + profile_.duration).count(), 1) << " s (warm-up "
                      << Fixed(std::chrono::duration<double>(profile_.warmup).count(), 1) << " s), shard "
                      << options_.shard_index + 1 << "/" << options_.shard_count << "\n";
        for (const auto& spec : profile_.flows) driver_->Report().Server().paths[spec.name] = load::ServerPath(spec.name);
        auto start = [this] {
            last_usage_ = ReadProcessUsage();
            last_sample_ = clock_.Now();
            driver_->Run([this] {
                running_ = false;
                // The last spans of a trace (a function's end) come just after the client saw
                // the arrival complete: let them land, then read the rest of the extents.
                clock_.ScheduleAfter(kExtentSettle, [this] {
                    AfterCollecting([this] {
                        ReadExtents(driver_->TakeTraced(core::TimePoint::max()), [this] {
                            ReadServerSpans([this] { Finish(0); });
                        });
                    });
                });
            });
            running_ = true;
            Tick();
        };
        // The server-side spans count from the measured part on: forgotten when the warm-up ends
        // (before the first arrival when there is none).
        if (profile_.warmup <= core::Duration::zero()) return ResetServerSpans(start);
        start();
        clock_.ScheduleAfter(profile_.warmup, [this] { ResetServerSpans([] {}); });
    }

    /// Whether this process reads the system's spans: always in-process; against a shared --target
    /// only shard 1 does (every shard would see the same spans, and resets would cut each other's).
    bool ReadsServerSpans() const { return options_.targets.empty() || options_.shard_index == 0; }

    void ResetServerSpans(std::function<void()> then) {
        if (!ReadsServerSpans()) return then();
        client_.Call("aws", "DELETE", "/_sim/spans", nullptr, {}, [then = std::move(then)](load::FlowClient::Reply) { then(); });
    }

    /// Fills the report's server-side hops from GET /_sim/spans (docs/load.md, "Server-side hops").
    void ReadServerSpans(std::function<void()> then) {
        auto& server = driver_->Report().Server();
        if (!ReadsServerSpans()) {
            server.note = "read by shard 1 of the target's control plane";
            return then();
        }
        server.source = options_.targets.empty() ? "in-process" : options_.targets.at("aws") + "/_sim/spans";
        client_.Call("aws", "GET", "/_sim/spans", nullptr, {}, [this, then = std::move(then)](load::FlowClient::Reply r) {
            auto& read = driver_->Report().Server();
            if (r.status != 200 || !r.body.is_object() || !r.body.contains("hops") || !r.body["hops"].is_object()) {
                read.note = "the system's control plane did not answer GET /_sim/spans (HTTP " + std::to_string(r.status) +
                            "); a cardsim older than the trace spans?";
                return then();
            }
            for (const auto& [hop, summary] : r.body["hops"].items()) {
                if (!summary.is_object() || !summary.contains("histogram")) continue;
                if (auto h = metrics::Histogram::FromJson(summary["histogram"])) read.hops[hop] = std::move(h).value();
            }
            then();
        });
    }

    /// Each measured arrival's server-side end to end: the extent of its trace in the system
    /// (POST /_sim/traces/extents; docs/load.md), read in batches while the run goes on — the
    /// system keeps the extents of its latest 65,536 traces only.
    void ReadExtents(std::vector<load::TracedArrival> arrivals, std::function<void()> then) {
        constexpr std::size_t kBatch = 5000;
        if (arrivals.empty()) return then();
        std::vector<load::TracedArrival> rest;
        if (arrivals.size() > kBatch) {
            rest.assign(std::make_move_iterator(arrivals.begin() + kBatch), std::make_move_iterator(arrivals.end()));
            arrivals.resize(kBatch);
        }
        nlohmann::json ids = nlohmann::json::array();
        for (const auto& a : arrivals) ids.push_back(a.trace_id);
        client_.Call("aws", "POST", "/_sim/traces/extents", nlohmann::json{{"trace_ids", std::move(ids)}}, {},
                     [this, arrivals = std::move(arrivals), rest = std::move(rest),
                      then = std::move(then)](load::FlowClient::Reply r) mutable {
                         auto& report = driver_->Report();
                         const bool answered = r.status == 200 && r.body.is_object() && r.body.contains("extents") &&
                                               r.body["extents"].is_object();
                         if (!answered && report.Server().note.empty())
                             report.Server().note = "the system's control plane did not answer POST /_sim/traces/extents (HTTP " +
                                                    std::to_string(r.status) + "): no server_e2e";
                         for (const auto& a : arrivals) {
                             const nlohmann::json* e = nullptr;
                             if (answered)
                                 if (auto it = r.body["extents"].find(a.trace_id); it != r.body["extents"].end()) e = &*it;
                             if (e && e->contains("duration_ns") && (*e)["duration_ns"].is_number_integer())
                                 report.RecordServerE2e(a.flow, std::chrono::nanoseconds((*e)["duration_ns"].get<std::int64_t>()));
                             else
                                 ++report.Server().e2e_missing[a.flow];
                         }
                         ReadExtents(std::move(rest), std::move(then));
                     });
    }

    /// Runs `then` once no extent read is in flight (at once, or when the read in flight ends).
    void AfterCollecting(std::function<void()> then) {
        if (!collecting_) return then();
        after_collecting_ = std::move(then);
    }

    void Tick() {
        if (!running_) return;
        clock_.ScheduleAfter(std::chrono::seconds(1), [this] {
            if (!running_) return;
            Progress();
            Sample();
            if (!collecting_) {
                collecting_ = true;
                ReadExtents(driver_->TakeTraced(clock_.Now() - kExtentSettle), [this] {
                    collecting_ = false;
                    if (auto then = std::exchange(after_collecting_, nullptr)) then();
                });
            }
            Tick();
        });
    }

    void Progress() {
        if (options_.quiet) return;
        double elapsed = std::chrono::duration<double>(driver_->Elapsed()).count();
        double total = std::chrono::duration<double>(profile_.warmup + profile_.duration).count();
        std::uint64_t started = driver_->Started();
        double rate = (static_cast<double>(started) - static_cast<double>(last_started_)) /
                      std::max(1e-9, elapsed - last_elapsed_);
        last_started_ = started;
        last_elapsed_ = elapsed;
        std::string p99s;
        for (const auto& [name, f] : driver_->Report().Flows()) {
            auto it = f.hops.find("e2e");
            if (it == f.hops.end()) continue;
            p99s += " " + name + " p99 " + Fixed(static_cast<double>(it->second.Percentile(99).count()) / 1e6, 1) + "ms";
        }
        std::cerr << "  " << Fixed(elapsed, 1) << "/" << Fixed(total, 1) << " s  " << Fixed(rate, 1) << " arrivals/s  in flight "
                  << driver_->InFlight() << "  errors " << driver_->Report().Errors() << (elapsed < std::chrono::duration<double>(profile_.warmup).count() ? "  (warm-up)" : "")
                  << p99s << "\n";
    }

    void Sample() {
        if (!sample_process_) return;
        auto now = clock_.Now();
        auto usage = ReadProcessUsage();
        double wall = std::chrono::duration<double>(now - last_sample_).count();
        load::ProcessSample s;
        s.at_seconds = std::chrono::duration<double>(driver_->Elapsed() - profile_.warmup).count();
        s.source = std::to_string(options_.shard_index + 1) + "/" + std::to_string(options_.shard_count);
        s.rss_kib = usage.rss_kib;
        s.cpu_percent = wall > 0 ? (usage.cpu_seconds - last_usage_.cpu_seconds) / wall * 100 : 0;
        last_usage_ = usage;
        last_sample_ = now;
        if (s.at_seconds < 0) return;  // warm-up
        auto sample = std::make_shared<load::ProcessSample>(std::move(s));
        // Queue depths of the platform's queues, through the SQS API like any client.
        client_.Call("aws", "POST", "/", nlohmann::json{{"QueueNamePrefix", "platform-"}},
                     {{"X-Amz-Target", "AmazonSQS.ListQueues"}, {"Content-Type", "application/x-amz-json-1.0"}},
                     [this, sample](load::FlowClient::Reply r) {
                         if (r.status != 200 || !r.body.contains("QueueUrls") || r.body["QueueUrls"].empty()) {
                             if (driver_) driver_->Report().AddSample(*sample);
                             return;
                         }
                         auto pending = std::make_shared<std::size_t>(r.body["QueueUrls"].size());
                         for (const auto& url : r.body["QueueUrls"]) {
                             std::string name = url.get<std::string>().substr(url.get<std::string>().rfind('/') + 1);
                             client_.Call("aws", "POST", "/",
                                          nlohmann::json{{"QueueUrl", url}, {"AttributeNames", {"ApproximateNumberOfMessages"}}},
                                          {{"X-Amz-Target", "AmazonSQS.GetQueueAttributes"}, {"Content-Type", "application/x-amz-json-1.0"}},
                                          [this, sample, pending, name](load::FlowClient::Reply a) {
                                              if (a.status == 200 && a.body.contains("Attributes"))
                                                  sample->queue_depths[name] =
                                                      std::stoll(a.body["Attributes"].value("ApproximateNumberOfMessages", "0"));
                                              if (--*pending == 0 && driver_) driver_->Report().AddSample(*sample);
                                          });
                         }
                     });
    }

    void Finish(int code) {
        if (finished_) return;
        finished_ = true;
        if (driver_) results_ = driver_->Report().Evaluate(profile_.thresholds);
        auto done = std::move(done_);
        done(code);
    }

    core::Transport& transport_;
    clock::Clock& clock_;
    load::LoadProfile profile_;
    LoadOptions options_;
    bool sample_process_;
    load::FlowClient client_;
    load::Population population_;
    std::vector<std::unique_ptr<load::LoadFlow>> flow_impls_;
    std::unique_ptr<load::OpenModelDriver> driver_;
    std::vector<load::ThresholdResult> results_;
    std::function<void(int)> done_;
    bool running_ = false;
    bool collecting_ = false;  // an extent read is in flight
    std::function<void()> after_collecting_;  // what waits for that read to end
    bool finished_ = false;
    static constexpr std::chrono::milliseconds kExtentSettle{500};
    std::uint64_t last_started_ = 0;
    double last_elapsed_ = 0;
    ProcessUsage last_usage_;
    core::TimePoint last_sample_{};
};

/// Before anything is created in a --target: every target answers HTTP (any status), and one that
/// serves cardsim's control plane runs on the real clock (the arrivals, their 30 s timeout and the
/// push long-polls are wall time; on a virtual clock no push would ever come). `done(problems)`,
/// one a line, empty when the targets can be driven.
void CheckTargets(core::Transport& transport, const std::map<std::string, std::string>& targets,
                  std::function<void(std::string)> done) {
    struct State {
        std::size_t pending;
        std::string problems;
        std::function<void(std::string)> done;
    };
    auto state = std::make_shared<State>(State{targets.size(), "", std::move(done)});
    for (const auto& [name, url] : targets) {
        core::Request request;
        request.method = "GET";
        request.target = "/_sim/clock";
        // `fakes` stands for the seven fakes' names (all at its URL); the push gateway is one.
        transport.Send(name == "fakes" ? "push" : name, std::move(request),
                       [state, what = "cardsim load: --target " + name + "=" + url](core::Response r) {
                           if (r.headers.Get(core::kTransportErrorHeader)) {
                               auto body = nlohmann::json::parse(r.body, nullptr, false);
                               std::string detail = body.is_object() ? body.value("detail", r.body) : r.body;
                               state->problems += what + " does not answer: " + detail + "\n";
                           } else if (r.status == 200) {
                               auto body = nlohmann::json::parse(r.body, nullptr, false);
                               if (body.is_object() && body.value("mode", "") == "virtual")
                                   state->problems += what +
                                                      " runs on a virtual clock; the load needs a system on the real "
                                                      "clock (cardsim serve --clock real, the default)\n";
                           }
                           if (--state->pending == 0) state->done(std::move(state->problems));
                       });
    }
}

int Report(LoadRun& run, const LoadOptions& options, int code) {
    if (code != 0) return code;
    auto results = run.Results();
    std::cout << load::FormatConsoleReport(run.Report(), results);
    if (!options.json_path.empty() && !WriteFileAtomically(options.json_path, run.Report().ToJson().dump(1) + "\n")) return 1;
    if (!options.html_path.empty() && !WriteFileAtomically(options.html_path, load::RenderHtmlReport(run.Report(), results)))
        return 1;
    for (const auto& r : results)
        if (!r.passed) return kExitThresholdFailed;
    return 0;
}

}  // namespace

std::string LoadHelp() {
    return "Usage: cardsim load PROFILE.json [FLAGS]\n"
           "\n"
           "Open-model load over the business paths: each flow of the profile arrives at its rate over\n"
           "time whatever the system's state, and every latency counts from when the arrival was due\n"
           "(coordinated-omission corrected). By default the whole system runs in this process on the\n"
           "real clock with in-memory stores; with --target it drives a running system instead.\n"
           "Flows: card_use (authorization at the processor -> platform record -> push delivered),\n"
           "app_browse (balance, statements, authorizations), atm_repayment (QR -> cash in -> platform\n"
           "recorded), application (sign-up, sign-in, submission). Profiles: scenarios/load/*.json\n"
           "(format in docs/load.md).\n"
           "Each flow reports e2e (from when the arrival was due to its end, as the generator saw it),\n"
           "its client-side hops, and server_e2e: each arrival is one trace, and server_e2e is that\n"
           "trace's extent in the system (first span's start to last span's end, from the system's trace\n"
           "spans). The server-side hops of each flow's critical path follow the flow table.\n"
           "Thresholds (the profile's \"thresholds\"): FLOW.HOP.STAT < D (card_use.server_e2e.p99 < 50ms),\n"
           "errors.rate < N%, FLOW.errors.rate < N%, FLOW.throughput > N/s.\n"
           "\n"
           "Flags:\n"
           "  --duration D        measured duration instead of the profile's (30s, PT2M)\n"
           "  --rate-scale X      multiply every arrival rate by X (3 = three times the expected peak)\n"
           "  --json FILE         write the report with its histograms as JSON (mergeable)\n"
           "  --html FILE         write a self-contained HTML report (inline SVG charts)\n"
           "  --target NAME=URL   drive a running system: NAME platform, aws, fakes (all seven fakes) or a\n"
           "                      service name (payment-processor, push, atm, payment, ...); repeatable.\n"
           "                      The target must serve the platform's internal APIs (cardsim serve does).\n"
           "  --shard i/N         run the i-th of N equal shares of the arrivals (merge the JSON reports\n"
           "                      with `cardsim report merge`)\n"
           "  --seed N            seed of member data and flows (1)\n"
           "  --poll-interval D   the platform's authorization poll interval in-process (100ms)\n"
           "  --quiet             no progress lines\n"
           "\n"
           "Exit codes: 0 every threshold passed; 99 a threshold failed (as k6); 1 the run could not be\n"
           "made (member preparation failed); 2 bad command line or profile; 3 the system could not start\n"
           "(in-process), or a --target does not answer or runs on a virtual clock (checked before the run).\n";
}

int LoadCommand(const std::vector<std::string>& args) {
    for (const auto& a : args)
        if (a == "--help" || a == "-h") {
            std::cout << LoadHelp();
            return 0;
        }
    auto options = ParseLoadArgs(args);
    if (!options) {
        std::cerr << "cardsim load: " << options.error().message << "\n(see cardsim load --help)\n";
        return kExitUsage;
    }
    std::ifstream in(options->profile_path);
    if (!in) {
        std::cerr << "cardsim load: cannot read " << options->profile_path << "\n";
        return kExitUsage;
    }
    auto json = nlohmann::json::parse(in, nullptr, false);
    if (json.is_discarded()) {
        std::cerr << "cardsim load: " << options->profile_path << ": not valid JSON\n";
        return kExitUsage;
    }
    auto profile = load::ParseProfile(json, load::KnownFlows(), {options->duration, options->rate_scale}, &load::FlowHops());
    if (!profile) {
        std::cerr << "cardsim load: " << options->profile_path << ": " << profile.error().message << "\n";
        return kExitUsage;
    }
    core::InitLogging(core::ParseLogLevel("warn").value());

    if (!options->targets.empty()) {
        http::AsioLoop loop;
        http::Client client(loop);
        core::Transport transport(loop, &client);
        for (const auto& [name, url] : options->targets) {
            if (name == "fakes") {
                for (const char* s : kFakeServices) transport.RegisterRemote(s, url);
            } else if (name == "platform") {
                transport.RegisterRemote("platform", url);
                for (const char* s : kPlatformServices) transport.RegisterRemote(s, url);
            } else {
                transport.RegisterRemote(name, url);
            }
        }
        for (const char* needed : {"platform", "aws", "push", "payment-processor", "atm", "payment"})
            if (!transport.Knows(needed)) {
                std::cerr << "cardsim load: --target: no URL for " << needed
                          << " (give --target platform=URL --target aws=URL --target fakes=URL)\n";
                return kExitUsage;
            }
        clock::SystemClock clock(loop);
        LoadRun run(transport, clock, *profile, *options, false);
        int code = 0;
        CheckTargets(transport, options->targets, [&](std::string problems) {
            if (!problems.empty()) {
                std::cerr << problems;
                code = kExitStartup;
                return loop.Stop();
            }
            run.Start([&](int c) {
                code = c;
                loop.Stop();
            });
        });
        loop.Run();
        return Report(run, *options, code);
    }

    ServeOptions serve;
    serve.ephemeral = true;
    serve.clock = "real";
    serve.seed = options->seed;
    serve.aws_port = serve.platform_port = serve.fakes_port = 0;
    serve.platform_poll_interval = options->poll_interval;
    auto runtime = Runtime::Create(serve);
    if (!runtime) {
        std::cerr << "cardsim load: " << runtime.error().message << "\n";
        return kExitStartup;
    }
    LoadRun run((*runtime)->ScenarioTransport(), (*runtime)->Clock(), *profile, *options, true);
    int code = 0;
    (*runtime)->Loop().Post([&] {
        run.Start([&](int c) {
            code = c;
            (*runtime)->Loop().Stop();
        });
    });
    (*runtime)->Run();
    return Report(run, *options, code);
}

}  // namespace sim::app
