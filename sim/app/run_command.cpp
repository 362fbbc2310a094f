#include "sim/app/run_command.hpp"

#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <regex>

#include "sim/app/runtime.hpp"
#include "sim/clock/stopwatch.hpp"
#include "sim/core/log.hpp"
#include "sim/http/asio_loop.hpp"
#include "sim/http/client.hpp"
#include "sim/scenario/loader.hpp"
#include "sim/scenario/report.hpp"
#include "sim/scenario/runner.hpp"

namespace sim::app {

namespace {

namespace fs = std::filesystem;
using scenario::Scenario;

constexpr const char* kDefaultSnapshots = "tests/scenario/snapshots";
constexpr std::uint64_t kScenarioPasswordIterations = 64;
/// The fake systems' own service names (docs/platform.md): all on the fakes port.
constexpr const char* kFakeSystems[] = {"payment-processor", "ekyc", "bureau", "screening", "printing", "atm", "push"};

struct RunFlags {
    std::map<std::string, std::string> targets;
    std::string filter;
    std::uint64_t seed = 1;
    bool seed_given = false;
    std::string junit;
    std::string json;
    bool update_snapshots = false;
    std::string snapshots = kDefaultSnapshots;
    bool snapshots_given = false;
    bool verbose = false;
    bool list = false;
    std::string log_level = "error";
};

core::FlagSet RunFlagSet(RunFlags& f) {
    core::FlagSet set(
        "cardsim run [FLAGS] [PATH...]",
        "Runs scenario files (docs/scenarios.md) and exits non-zero if any expectation fails. PATHs are\n"
        "files or directories (searched recursively for *.json, skipping load/ and snapshots/); default\n"
        "scenarios/. Without --target every scenario gets a fresh in-process system: virtual clock,\n"
        "memory stores, no listeners, seeded. Prints a line per scenario, the failures with the requests\n"
        "that led to them, a summary table and the critical-path timings.");
    set.StringMap("target",
                  &f.targets,
                  "run against running systems instead: NAME=URL for one service (aws, platform, fakes, control, or a "
                  "fake's name: payment-processor, ekyc, bureau, screening, printing, atm, push), or just URL "
                  "(http://HOST, no port) for a `cardsim serve --clock virtual` with the default ports: aws HOST:4566, "
                  "platform HOST:8080, fakes HOST:8090. The fakes' names default to fakes, control (/_sim/clock, "
                  "/_sim/reset, /_sim/faults) to aws");
    set.String("filter", &f.filter, "run only the scenarios whose name or file matches this regular expression");
    set.UInt("seed", &f.seed, "seed of the systems and the generated actors for every scenario (default: each "
                              "scenario's \"seed\", else 1); snapshots are not compared when given");
    set.String("junit", &f.junit, "write a JUnit XML report to this file");
    set.String("json", &f.json, "write the JSON report (results, failures, critical paths) to this file");
    set.Bool("update-snapshots", &f.update_snapshots, "write each scenario's observed snapshot values instead of comparing");
    set.String("snapshots", &f.snapshots,
               "snapshot directory (compared in-process when it exists; \"\" = no snapshots; with --target only "
               "when given)");
    set.Bool("verbose", &f.verbose, "print every step as it runs");
    set.Bool("list", &f.list, "list the scenarios (name, file, steps) and exit");
    set.String("log-level", &f.log_level, "log verbosity of the system under test",
               {"trace", "debug", "info", "warn", "error", "off"});
    return set;
}

/// A fresh Runtime per scenario: deterministic start time and ids, nothing left from the previous one.
class InProcessSystem final : public scenario::System {
public:
    core::Status<> Begin(const Scenario& s, std::uint64_t seed) override {
        ServeOptions options;
        options.clock = "virtual";
        options.ephemeral = true;
        options.seed = seed;
        // Scenarios test behaviour, not the cost of a password hash: a month in the life signs
        // hundreds of members in and out, so member passwords get 64 PBKDF2 rounds here instead of
        // `cardsim serve`'s 20,000 (the rounds are stored with each hash either way).
        options.platform_password_iterations = kScenarioPasswordIterations;
        if (s.start) options.start_time = core::FormatIso8601(*s.start);
        auto rt = Runtime::Create(options);
        if (!rt) return core::Fail(rt.error());
        runtime_ = std::move(rt).value();
        transport_ = &runtime_->ScenarioTransport();
        return core::Ok();
    }
    void End() override {
        runtime_.reset();
        transport_ = nullptr;
    }
    core::Response Call(const std::string& service, core::Request request) override {
        return scenario::CallThrough(
            *transport_, [this](const std::function<bool()>& done) { return runtime_->RunLoopUntil(done); }, service,
            std::move(request));
    }
    bool InProcess() const override { return true; }

private:
    std::unique_ptr<Runtime> runtime_;
    core::Transport* transport_ = nullptr;
};

/// Running systems over HTTP; POST /_sim/reset before each scenario.
class RemoteSystem final : public scenario::System {
public:
    explicit RemoteSystem(const std::map<std::string, std::string>& endpoints) : client_(loop_), transport_(loop_, &client_) {
        for (const auto& [name, url] : endpoints) transport_.RegisterRemote(name, url);
    }
    core::Status<> Begin(const Scenario&, std::uint64_t) override {
        core::Request r;
        r.method = "POST";
        r.target = "/_sim/reset";
        core::Response reply = Call("control", std::move(r));
        if (reply.status != 200)
            return core::Fail(core::Error::FailedPrecondition("POST /_sim/reset at " + transport_.Describe("control") +
                                                              " answered " + std::to_string(reply.status) + ": " + reply.body));
        return core::Ok();
    }
    void End() override {}
    core::Response Call(const std::string& service, core::Request request) override {
        return scenario::CallThrough(
            transport_,
            [this](const std::function<bool()>& done) {
                clock::Stopwatch waited;
                while (!done()) {
                    if (waited.Elapsed() > std::chrono::seconds(40)) return false;  // the client times out at 30 s
                    loop_.RunFor(std::chrono::milliseconds(50));
                }
                return true;
            },
            service, std::move(request));
    }
    bool InProcess() const override { return false; }

private:
    http::AsioLoop loop_;
    http::Client client_;
    core::Transport transport_;
};

/// --target values -> service endpoints; errors name the bad value.
core::Result<std::map<std::string, std::string>> Endpoints(const std::map<std::string, std::string>& targets) {
    std::map<std::string, std::string> out;
    static const std::vector<std::string> kNames = {"aws", "platform", "fakes", "control", "payment-processor", "ekyc",
                                                    "bureau", "screening", "printing", "atm", "push"};
    for (const auto& [name, url] : targets) {
        if (url.rfind("http://", 0) != 0)
            return core::Fail(core::Error::InvalidArgument("--target " + name + "=" + url + ": the URL must start with http://"));
        if (name == "*") {
            std::string host = url.substr(7);
            while (!host.empty() && host.back() == '/') host.pop_back();
            if (host.find(':') != std::string::npos || host.find('/') != std::string::npos)
                return core::Fail(core::Error::InvalidArgument(
                    "--target " + url + ": the shorthand takes a host without port or path (http://HOST = the default "
                    "ports 4566/8080/8090); give NAME=URL for other layouts"));
            out.try_emplace("aws", "http://" + host + ":4566");
            out.try_emplace("platform", "http://" + host + ":8080");
            out.try_emplace("fakes", "http://" + host + ":8090");
            continue;
        }
        if (std::find(kNames.begin(), kNames.end(), name) == kNames.end())
            return core::Fail(core::Error::InvalidArgument("--target " + name + "=...: unknown service name"));
        out[name] = url;
    }
    // Explicit NAME=URL wins over the shorthand: apply them again.
    for (const auto& [name, url] : targets)
        if (name != "*") out[name] = url;
    if (out.count("fakes"))
        for (const char* system : kFakeSystems) out.try_emplace(system, out["fakes"]);
    if (!out.count("control")) {
        for (const char* fallback : {"aws", "platform", "fakes"})
            if (out.count(fallback)) {
                out["control"] = out[fallback];
                break;
            }
    }
    if (!out.count("control"))
        return core::Fail(core::Error::InvalidArgument("--target: give aws, platform, fakes or control (the control plane)"));
    return out;
}

/// Rewrites `--target URL` (no NAME=) into `--target *=URL` for the flag parser.
std::vector<std::string> NormalizeTargets(const std::vector<std::string>& args) {
    std::vector<std::string> out;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (a == "--target" && i + 1 < args.size()) {
            out.push_back(a);
            const std::string& v = args[++i];
            out.push_back(v.rfind("http://", 0) == 0 ? "*=" + v : v);
        } else if (a.rfind("--target=", 0) == 0) {
            std::string v = a.substr(9);
            out.push_back(v.rfind("http://", 0) == 0 ? "--target=*=" + v : a);
        } else {
            out.push_back(a);
        }
    }
    return out;
}

}  // namespace

std::string RunHelp() {
    RunFlags f;
    return RunFlagSet(f).Help() +
           "\nExamples:\n"
           "  cardsim run                                  every scenario under scenarios/, in-process\n"
           "  cardsim run scenarios/statement --verbose    one directory, every step printed\n"
           "  cardsim run --filter atm --junit out.xml     matching scenarios, JUnit report\n"
           "  cardsim run --target http://127.0.0.1        against `cardsim serve --clock virtual` (default ports)\n"
           "  cardsim run --target platform=http://127.0.0.1:9000 --target http://127.0.0.1\n"
           "                                               a developer's own platform, the rest from cardsim serve\n"
           "\nExit codes: 0 every scenario passed, 1 a scenario failed, 2 bad command line or scenario file,\n"
           "3 the system could not start.\n";
}

int RunScenarios(const std::vector<std::string>& raw_args) {
    for (const auto& a : raw_args)
        if (a == "--help" || a == "-h") {
            std::cout << RunHelp();
            return kExitOk;
        }
    RunFlags flags;
    auto args = NormalizeTargets(raw_args);
    auto set = RunFlagSet(flags);
    std::vector<std::string> paths;
    if (auto s = set.Parse(args, &paths); !s) {
        std::cerr << "cardsim run: " << s.error().message << "\n(see cardsim run --help)\n";
        return kExitUsage;
    }
    for (const auto& a : args) {
        if (a == "--seed" || a.rfind("--seed=", 0) == 0) flags.seed_given = true;
        if (a == "--snapshots" || a.rfind("--snapshots=", 0) == 0) flags.snapshots_given = true;
    }
    if (paths.empty()) paths.push_back("scenarios");
    auto level = core::ParseLogLevel(flags.log_level);
    core::InitLogging(level.value());

    std::optional<std::regex> filter;
    if (!flags.filter.empty()) {
        try {
            filter.emplace(flags.filter);
        } catch (const std::regex_error& e) {
            std::cerr << "cardsim run: --filter " << flags.filter << ": " << e.what() << "\n";
            return kExitUsage;
        }
    }
    auto files = scenario::FindScenarioFiles(paths);
    if (!files) {
        std::cerr << "cardsim run: " << files.error().message << "\n";
        return kExitUsage;
    }
    std::vector<Scenario> scenarios;
    std::vector<std::string> errors;
    std::map<std::string, std::string> names;
    for (const auto& file : *files) {
        auto s = scenario::LoadScenarioFile(file);
        if (!s) {
            errors.push_back(s.error().message);
            continue;
        }
        if (auto [it, fresh] = names.emplace(s->name, file); !fresh) {
            errors.push_back(file + ": the scenario name \"" + s->name + "\" is also used by " + it->second);
            continue;
        }
        if (filter && !std::regex_search(s->name, *filter) && !std::regex_search(file, *filter)) continue;
        scenarios.push_back(std::move(*s));
    }
    if (!errors.empty()) {
        for (const auto& e : errors) std::cerr << "cardsim run: " << e << "\n";
        return kExitUsage;
    }
    if (flags.list) {
        for (const auto& s : scenarios) std::cout << s.name << "\t" << s.file << "\t" << s.steps.size() << " steps\n";
        return kExitOk;
    }
    if (scenarios.empty()) {
        std::cerr << "cardsim run: no scenario" << (filter ? " matches --filter " + flags.filter : " found") << "\n";
        return kExitUsage;
    }

    std::unique_ptr<scenario::System> system;
    scenario::RunOptions ro;
    std::string where = "in-process";
    if (flags.targets.empty()) {
        system = std::make_unique<InProcessSystem>();
        ro.control_service = "aws";
        std::error_code ec;
        if (flags.snapshots_given || fs::is_directory(flags.snapshots, ec)) ro.snapshot_dir = flags.snapshots;
    } else {
        auto endpoints = Endpoints(flags.targets);
        if (!endpoints) {
            std::cerr << "cardsim run: " << endpoints.error().message << "\n";
            return kExitUsage;
        }
        where.clear();
        for (const auto& [name, url] : *endpoints)
            if (name == "aws" || name == "platform" || name == "fakes") where += (where.empty() ? "" : ", ") + name + "=" + url;
        system = std::make_unique<RemoteSystem>(*endpoints);
        ro.control_service = "control";
        if (flags.snapshots_given) ro.snapshot_dir = flags.snapshots;
    }
    if (flags.seed_given) {
        ro.seed = flags.seed;
        if (!flags.update_snapshots) ro.snapshot_dir.clear();  // other seeds, other values
    }
    ro.update_snapshots = flags.update_snapshots;
    ro.verbose = flags.verbose;
    ro.log = &std::cout;
    if (flags.update_snapshots && ro.snapshot_dir.empty()) ro.snapshot_dir = flags.snapshots;

    std::cout << "cardsim run: " << scenarios.size() << " scenario" << (scenarios.size() == 1 ? "" : "s") << " ("
              << where << (ro.seed ? ", seed " + std::to_string(*ro.seed) : "") << ")\n"
              << std::flush;
    clock::Stopwatch wall;
    scenario::Runner runner(*system, ro);
    std::vector<scenario::ScenarioResult> results;
    std::size_t width = 0;
    for (const auto& s : scenarios) width = std::max(width, s.name.size());
    width = std::min<std::size_t>(width, 48);
    for (std::size_t i = 0; i < scenarios.size(); ++i) {
        std::string counter = "[" + std::to_string(i + 1) + "/" + std::to_string(scenarios.size()) + "] ";
        std::string name = scenarios[i].name;
        if (name.size() < width) name += std::string(width - name.size(), ' ');
        std::cout << counter << name << (ro.verbose ? "\n" : " ") << std::flush;
        auto r = runner.Run(scenarios[i]);
        std::cout << (ro.verbose ? counter + scenarios[i].name + " " : "") << (r.passed ? "pass" : "FAIL") << "  "
                  << r.steps_run << " steps, virtual " << scenario::FormatVirtual(r.virtual_seconds) << ", wall "
                  << scenario::FormatWall(r.wall_seconds)
                  << (r.snapshot_status.empty() ? "" : ", snapshot " + r.snapshot_status) << "\n";
        if (!r.passed) std::cout << scenario::FailureText(r);
        std::cout << std::flush;
        results.push_back(std::move(r));
    }
    double wall_seconds = std::chrono::duration<double>(wall.Elapsed()).count();
    scenario::PrintSummary(std::cout, results, wall_seconds);
    scenario::PrintCriticalPaths(std::cout, results);
    auto write = [](const std::string& path, const std::string& text) {
        std::ofstream out(path, std::ios::binary | std::ios::trunc);
        out << text;
        if (!out) std::cerr << "cardsim run: cannot write " << path << "\n";
        return static_cast<bool>(out);
    };
    bool written = true;
    if (!flags.junit.empty()) written &= write(flags.junit, scenario::JunitXml(results, wall_seconds));
    if (!flags.json.empty()) written &= write(flags.json, scenario::ReportJson(results, wall_seconds).dump(2) + "\n");
    bool all_passed = std::all_of(results.begin(), results.end(), [](const auto& r) { return r.passed; });
    return all_passed && written ? kExitOk : kExitFailure;
}

}  // namespace sim::app
