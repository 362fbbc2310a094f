#include "sim/app/report_command.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "sim/scenario/load/report.hpp"

namespace sim::app {

namespace {

constexpr int kExitOk = 0;
constexpr int kExitUsage = 2;
constexpr int kExitThresholdFailed = 99;

}  // namespace

std::string ReportHelp() {
    return "Usage: cardsim report merge --out FILE.json [--html FILE.html] SHARD.json...\n"
           "\n"
           "Merges the JSON reports of the shards of one load run (`cardsim load --shard i/N --json FILE`)\n"
           "into one report, exactly: latency histograms merge without loss, so the merged percentiles\n"
           "are those of the whole run. Prints the console table, evaluates the profile's thresholds\n"
           "(kept in each report) on the merged data, and writes the merged JSON and, with --html, the\n"
           "self-contained HTML page.\n"
           "\n"
           "Flags:\n"
           "  --out FILE     the merged JSON report (required)\n"
           "  --html FILE    also write the HTML report\n"
           "\n"
           "Exit codes: 0 merged and every threshold passed; 99 a threshold failed; 2 bad command line,\n"
           "unreadable or incompatible reports (different profiles, durations or thresholds).\n";
}

bool WriteFileAtomically(const std::string& path, const std::string& text) {
    std::string temp = path + ".tmp";
    {
        std::ofstream out(temp, std::ios::binary | std::ios::trunc);
        if (!(out << text) || !out.flush()) {
            std::cerr << "cannot write " << path << "\n";
            return false;
        }
    }
    std::error_code ec;
    std::filesystem::rename(temp, path, ec);
    if (ec) {
        std::cerr << "cannot write " << path << ": " << ec.message() << "\n";
        return false;
    }
    return true;
}

int ReportCommand(const std::vector<std::string>& args) {
    for (const auto& a : args)
        if (a == "--help" || a == "-h") {
            std::cout << ReportHelp();
            return kExitOk;
        }
    if (args.empty() || args[0] != "merge") {
        std::cerr << "cardsim report: expected the subcommand 'merge'\n(see cardsim report --help)\n";
        return kExitUsage;
    }
    std::string out_path, html_path;
    std::vector<std::string> inputs;
    for (std::size_t i = 1; i < args.size(); ++i) {
        const std::string& a = args[i];
        auto value = [&](std::string& into) {
            if (i + 1 >= args.size()) return false;
            into = args[++i];
            return true;
        };
        if (a == "--out") {
            if (!value(out_path)) return std::cerr << "cardsim report merge: --out needs a file\n", kExitUsage;
        } else if (a == "--html") {
            if (!value(html_path)) return std::cerr << "cardsim report merge: --html needs a file\n", kExitUsage;
        } else if (a.rfind("--", 0) == 0) {
            std::cerr << "cardsim report merge: unknown flag " << a << "\n(see cardsim report --help)\n";
            return kExitUsage;
        } else {
            inputs.push_back(a);
        }
    }
    if (out_path.empty()) return std::cerr << "cardsim report merge: --out FILE is required\n", kExitUsage;
    if (inputs.empty()) return std::cerr << "cardsim report merge: no shard reports given\n", kExitUsage;

    std::optional<scenario::load::LoadReport> merged;
    for (const auto& path : inputs) {
        std::ifstream in(path, std::ios::binary);
        if (!in) return std::cerr << "cardsim report merge: cannot read " << path << "\n", kExitUsage;
        auto json = nlohmann::json::parse(in, nullptr, false);
        if (json.is_discarded()) return std::cerr << "cardsim report merge: " << path << ": not JSON\n", kExitUsage;
        auto report = scenario::load::LoadReport::FromJson(json);
        if (!report) return std::cerr << "cardsim report merge: " << path << ": " << report.error().message << "\n", kExitUsage;
        if (!merged) {
            merged = std::move(report).value();
        } else if (auto s = merged->Merge(*report); !s) {
            std::cerr << "cardsim report merge: " << path << ": " << s.error().message << "\n";
            return kExitUsage;
        }
    }
    std::vector<scenario::load::Threshold> thresholds;
    for (const auto& text : merged->ThresholdTexts()) {
        auto t = scenario::load::ParseThreshold(text);
        if (!t) return std::cerr << "cardsim report merge: " << t.error().message << "\n", kExitUsage;
        thresholds.push_back(std::move(t).value());
    }
    auto results = merged->Evaluate(thresholds);
    std::cout << scenario::load::FormatConsoleReport(*merged, results);
    if (!WriteFileAtomically(out_path, merged->ToJson().dump(1) + "\n")) return kExitUsage;
    if (!html_path.empty() && !WriteFileAtomically(html_path, scenario::load::RenderHtmlReport(*merged, results)))
        return kExitUsage;
    for (const auto& r : results)
        if (!r.passed) return kExitThresholdFailed;
    return kExitOk;
}

}  // namespace sim::app
