#include "sim/scenario/load/thresholds.hpp"

#include <cctype>
#include <cmath>
#include <cstdlib>

namespace sim::scenario::load {

namespace {

std::string Trim(std::string s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
    std::size_t i = 0;
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    return s.substr(i);
}

std::vector<std::string> SplitDots(const std::string& s) {
    // "p99.9" is one part: a dot between digits inside a stat stays.
    std::vector<std::string> parts;
    std::string cur;
    for (std::size_t i = 0; i < s.size(); ++i) {
        bool digit_dot = s[i] == '.' && i > 0 && i + 1 < s.size() && std::isdigit(static_cast<unsigned char>(s[i - 1])) &&
                         std::isdigit(static_cast<unsigned char>(s[i + 1])) && !cur.empty() && cur[0] == 'p';
        if (s[i] == '.' && !digit_dot) {
            parts.push_back(cur);
            cur.clear();
        } else {
            cur += s[i];
        }
    }
    parts.push_back(cur);
    return parts;
}

bool ParseNumber(const std::string& text, double& out) {
    if (text.empty()) return false;
    char* end = nullptr;
    out = std::strtod(text.c_str(), &end);
    return end == text.c_str() + text.size() && std::isfinite(out);
}

core::Result<double> ParseLatency(const std::string& v, const std::string& expr) {
    static const std::pair<const char*, double> kUnits[] = {{"us", 1e3}, {"µs", 1e3}, {"ms", 1e6}, {"s", 1e9}, {"m", 60e9}};
    for (const auto& [unit, factor] : kUnits) {
        std::string u = unit;
        if (v.size() > u.size() && v.compare(v.size() - u.size(), u.size(), u) == 0) {
            double n;
            if (ParseNumber(v.substr(0, v.size() - u.size()), n) && n >= 0) return n * factor;
            break;
        }
    }
    return core::Fail(core::Error::InvalidArgument("threshold \"" + expr + "\": \"" + v +
                                                   "\" is not a duration (e.g. 50ms, 1.5s, 200us)"));
}

}  // namespace

bool Threshold::Holds(double value) const {
    switch (op) {
        case Op::kLess: return value < limit;
        case Op::kLessEqual: return value <= limit;
        case Op::kGreater: return value > limit;
        case Op::kGreaterEqual: return value >= limit;
    }
    return false;
}

core::Result<Threshold> ParseThreshold(const std::string& text) {
    Threshold t;
    t.text = text;
    auto bad = [&](const std::string& why) {
        return core::Fail(core::Error::InvalidArgument("threshold \"" + text + "\": " + why));
    };
    std::size_t pos = text.find_first_of("<>");
    if (pos == std::string::npos) return bad("no comparison (expected METRIC < VALUE, <=, > or >=)");
    std::string metric = Trim(text.substr(0, pos));
    std::size_t value_at = pos + 1;
    bool equal = value_at < text.size() && text[value_at] == '=';
    if (equal) ++value_at;
    t.op = text[pos] == '<' ? (equal ? Threshold::Op::kLessEqual : Threshold::Op::kLess)
                            : (equal ? Threshold::Op::kGreaterEqual : Threshold::Op::kGreater);
    std::string value = Trim(text.substr(value_at));
    if (metric.empty()) return bad("no metric before the comparison");
    if (value.empty()) return bad("no value after the comparison");
    if (value.find_first_of("<>") != std::string::npos) return bad("more than one comparison");

    auto parts = SplitDots(metric);
    for (const auto& p : parts)
        if (p.empty()) return bad("empty name in metric \"" + metric + "\"");
    auto percent = [&]() -> core::Result<double> {
        if (value.back() != '%') return core::Fail(core::Error::InvalidArgument("threshold \"" + text + "\": an error rate is a percentage such as 0.1%"));
        double n;
        if (!ParseNumber(value.substr(0, value.size() - 1), n) || n < 0 || n > 100)
            return core::Fail(core::Error::InvalidArgument("threshold \"" + text + "\": \"" + value + "\" is not a percentage between 0% and 100%"));
        return n / 100;
    };
    if (parts.size() == 2 && parts[0] == "errors" && parts[1] == "rate") {
        t.metric = Threshold::Metric::kErrorRate;
        auto p = percent();
        if (!p) return core::Fail(p.error());
        t.limit = *p;
        return t;
    }
    if (parts.size() == 3 && parts[1] == "errors" && parts[2] == "rate") {
        t.metric = Threshold::Metric::kErrorRate;
        t.flow = parts[0];
        auto p = percent();
        if (!p) return core::Fail(p.error());
        t.limit = *p;
        return t;
    }
    if (parts.size() == 2 && parts[1] == "throughput") {
        t.metric = Threshold::Metric::kThroughput;
        t.flow = parts[0];
        std::string v = value;
        if (v.size() > 2 && v.compare(v.size() - 2, 2, "/s") == 0) v = v.substr(0, v.size() - 2);
        double n;
        if (!ParseNumber(v, n) || n < 0) return bad("\"" + value + "\" is not a rate such as 20/s");
        t.limit = n;
        return t;
    }
    if (parts.size() == 3) {
        t.metric = Threshold::Metric::kLatency;
        t.flow = parts[0];
        t.hop = parts[1];
        t.stat = parts[2];
        if (t.stat == "min") {
            t.percentile = -1;
        } else if (t.stat == "max") {
            t.percentile = -2;
        } else if (t.stat == "mean" || t.stat == "avg") {
            t.percentile = -3;
        } else {
            double p;
            if (t.stat.size() < 2 || t.stat[0] != 'p' || !ParseNumber(t.stat.substr(1), p) || p <= 0 || p > 100)
                return bad("unknown statistic \"" + t.stat + "\" (expected p50, p90, p95, p99, p99.9, min, max or mean)");
            t.percentile = p;
        }
        auto ns = ParseLatency(value, text);
        if (!ns) return core::Fail(ns.error());
        t.limit = *ns;
        return t;
    }
    return bad("unknown metric \"" + metric + "\" (expected errors.rate, FLOW.errors.rate, FLOW.throughput or FLOW.HOP.STAT)");
}

}  // namespace sim::scenario::load
