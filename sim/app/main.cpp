// cardsim: one binary, several commands. See `cardsim --help`.

#include <iostream>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <spdlog/spdlog.h>

#include "sim/app/platform_infra.hpp"
#include "sim/app/load_command.hpp"
#include "sim/app/report_command.hpp"
#include "sim/app/run_command.hpp"
#include "sim/app/runtime.hpp"
#include "sim/app/serve_options.hpp"
#include "sim/core/log.hpp"

#ifndef CARDSIM_VERSION
#define CARDSIM_VERSION "0.0.0"
#endif

namespace {

using sim::app::kExitFailure;
using sim::app::kExitOk;
using sim::app::kExitStartup;
using sim::app::kExitUsage;

constexpr std::string_view kProgramHelp =
    "Usage: cardsim <command> [FLAGS]\n"
    "       cardsim --help | --version\n"
    "\n"
    "cardsim simulates a credit-card platform and its AWS and external surroundings in one process:\n"
    "AWS emulators (S3, SQS, Step Functions, scheduler) over the real wire protocols, fake external\n"
    "systems, the platform's services, and business scenarios measured end to end.\n"
    "\n"
    "Commands:\n"
    "  run          run the business scenarios (default scenarios/) in virtual time, in-process;\n"
    "               non-zero exit if any expectation fails (--target: against running systems)\n"
    "  serve        run the simulator as a server on ports 4566 (AWS), 8080 (platform), 8090 (fakes)\n"
    "  load         open-model load over the business paths: per-path latency, thresholds, reports\n"
    "  report       merge the shard reports of a load run (`cardsim report merge`)\n"
    "  check-infra  check an infra.json (default: the built-in platform/infra.json): owners, references\n"
    "  help CMD     show the help of a command (same as `cardsim CMD --help`)\n"
    "\n"
    "Exit codes:\n"
    "  0  success (for serve: stopped by SIGINT/SIGTERM after a graceful shutdown)\n"
    "  1  failure while running (for run: a scenario failed)\n"
    "  2  bad command line or configuration (the message names the flag and what it accepts)\n"
    "  3  could not start (port in use, data directory not writable, database unreadable)\n";

std::string ServeHelp() {
    sim::app::ServeOptions defaults;
    return sim::app::ServeFlags(defaults).Help();
}

bool AsksForHelp(const std::vector<std::string>& args) {
    for (const auto& a : args)
        if (a == "--help" || a == "-h") return true;
    return false;
}

int Serve(const std::vector<std::string>& args) {
    if (AsksForHelp(args)) {
        std::cout << ServeHelp();
        return kExitOk;
    }
    auto options = sim::app::ParseServeOptions(args);
    if (!options) {
        std::cerr << "cardsim serve: " << options.error().message << "\n(see cardsim serve --help)\n";
        return kExitUsage;
    }
    auto level = sim::core::ParseLogLevel(options->log_level);
    sim::core::InitLogging(level.value());
    auto runtime = sim::app::Runtime::Create(*options);
    if (!runtime) {
        std::cerr << "cardsim serve: " << runtime.error().message << "\n";
        return kExitStartup;
    }
    if (auto s = (*runtime)->Listen(); !s) {
        std::cerr << "cardsim serve: " << s.error().message << "\n";
        return kExitStartup;
    }
    return (*runtime)->Run();
}

std::string CheckInfraHelp() {
    return "Usage: cardsim check-infra [FILE]\n"
           "\n"
           "Checks a declaration of the platform's AWS resources (default: the built-in platform/infra.json;\n"
           "FILE's state machine definition files are read relative to it): every resource has exactly one\n"
           "owning team (app-team or infra-team), every reference (dead-letter queue, rule target, event\n"
           "source mapping queue and function, definition file) resolves, names are not repeated.\n"
           "Prints one line per problem and exits 1 if there is any, else prints a summary and exits 0.\n";
}

int CheckInfra(const std::vector<std::string>& args) {
    if (AsksForHelp(args)) {
        std::cout << CheckInfraHelp();
        return kExitOk;
    }
    if (args.size() > 1) {
        std::cerr << "cardsim check-infra: at most one FILE\n(see cardsim check-infra --help)\n";
        return kExitUsage;
    }
    sim::app::InfraFiles files;
    if (args.empty()) {
        files = sim::app::BuiltInInfra();
    } else {
        auto loaded = sim::app::LoadInfra(args.front());
        if (!loaded) {
            std::cerr << "cardsim check-infra: " << loaded.error().message << "\n";
            return kExitUsage;
        }
        files = std::move(loaded).value();
    }
    auto problems = sim::app::CheckInfra(files);
    for (const auto& p : problems) std::cout << files.source << ": " << p.resource << ": " << p.problem << "\n";
    if (!problems.empty()) {
        std::cout << problems.size() << " problem" << (problems.size() == 1 ? "" : "s") << "\n";
        return kExitFailure;
    }
    auto doc = nlohmann::json::parse(files.infra_json);
    std::map<std::string, std::map<std::string, int>> by_owner;
    for (const auto& r : doc["resources"]) by_owner[r.value("owner", "")][r.value("type", "")]++;
    std::cout << files.source << ": ok, " << doc["resources"].size() << " resources";
    for (const auto& [owner, types] : by_owner) {
        int n = 0;
        for (const auto& [t, c] : types) n += c;
        std::cout << "; " << owner << " " << n;
    }
    std::cout << "\n";
    return kExitOk;
}

struct Command {
    std::string_view name;
    int (*run)(const std::vector<std::string>& args);
    std::string (*help)();
};

constexpr Command kCommands[] = {
    {"run", sim::app::RunScenarios, sim::app::RunHelp},
    {"serve", Serve, ServeHelp},
    {"load", sim::app::LoadCommand, sim::app::LoadHelp},
    {"report", sim::app::ReportCommand, sim::app::ReportHelp},
    {"check-infra", CheckInfra, CheckInfraHelp},
};

const Command* FindCommand(std::string_view name) {
    for (const auto& c : kCommands)
        if (c.name == name) return &c;
    return nullptr;
}

int UnknownCommand(std::string_view name) {
    std::string names;
    for (const auto& c : kCommands) names += std::string(c.name) + ", ";
    std::cerr << "cardsim: unknown command '" << name << "'; commands: " << names << "help (see cardsim --help)\n";
    return kExitUsage;
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    if (args.empty()) {
        std::cerr << kProgramHelp;
        return kExitUsage;
    }
    const std::string& name = args.front();
    std::vector<std::string> rest(args.begin() + 1, args.end());
    try {
        if (name == "--help" || name == "-h") {
            std::cout << kProgramHelp;
            return kExitOk;
        }
        if (name == "--version" || name == "version") {
            std::cout << "cardsim " << CARDSIM_VERSION << "\n";
            return kExitOk;
        }
        if (name == "help") {
            if (rest.empty()) {
                std::cout << kProgramHelp;
                return kExitOk;
            }
            const Command* command = FindCommand(rest.front());
            if (!command) return UnknownCommand(rest.front());
            std::cout << command->help();
            return kExitOk;
        }
        const Command* command = FindCommand(name);
        if (!command) return UnknownCommand(name);
        return command->run(rest);
    } catch (const std::exception& e) {
        std::cerr << "cardsim: " << e.what() << "\n";
        return kExitFailure;
    }
}
