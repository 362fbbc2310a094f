#include "sim/metrics/registry.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <stdexcept>

namespace sim::metrics {

namespace {

bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

bool ValidMetricName(std::string_view name) {
    if (name.empty() || IsDigit(name[0])) return false;
    return std::all_of(name.begin(), name.end(),
                       [](char c) { return IsAlpha(c) || IsDigit(c) || c == '_' || c == ':'; });
}

bool ValidLabelName(std::string_view name) {
    if (name.empty() || IsDigit(name[0]) || name.starts_with("__")) return false;
    return std::all_of(name.begin(), name.end(), [](char c) { return IsAlpha(c) || IsDigit(c) || c == '_'; });
}

/// Validates and sorts labels by name; throws std::invalid_argument.
Labels Normalize(Labels labels, std::string_view metric, bool histogram) {
    for (const auto& [key, value] : labels) {
        if (!ValidLabelName(key))
            throw std::invalid_argument("metric " + std::string(metric) + ": invalid label name '" + key + "'");
        if (histogram && key == "le")
            throw std::invalid_argument("metric " + std::string(metric) +
                                        ": label name 'le' is reserved for histograms");
    }
    std::sort(labels.begin(), labels.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    auto dup = std::adjacent_find(labels.begin(), labels.end(),
                                  [](const auto& a, const auto& b) { return a.first == b.first; });
    if (dup != labels.end())
        throw std::invalid_argument("metric " + std::string(metric) + ": label '" + dup->first + "' given twice");
    return labels;
}

void AppendEscapedLabelValue(std::string& out, std::string_view value) {
    for (char c : value) {
        switch (c) {
            case '\\': out += "\\\\"; break;
            case '"': out += "\\\""; break;
            case '\n': out += "\\n"; break;
            default: out += c;
        }
    }
}

void AppendEscapedHelp(std::string& out, std::string_view help) {
    for (char c : help) {
        switch (c) {
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            default: out += c;
        }
    }
}

/// `{a="x",b="y"}` (with an optional extra `le` pair last); nothing when there are no labels.
void AppendLabels(std::string& out, const Labels& labels, std::string_view le = {}) {
    if (labels.empty() && le.empty()) return;
    out += '{';
    bool first = true;
    for (const auto& [key, value] : labels) {
        if (!first) out += ',';
        first = false;
        out += key;
        out += "=\"";
        AppendEscapedLabelValue(out, value);
        out += '"';
    }
    if (!le.empty()) {
        if (!first) out += ',';
        out += "le=\"";
        out += le;
        out += '"';
    }
    out += '}';
}

double Seconds(std::int64_t nanos) { return static_cast<double>(nanos) / 1e9; }

}  // namespace

std::string FormatPrometheusValue(double value) {
    if (std::isnan(value)) return "NaN";
    if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
    // Go's strconv.FormatFloat(v, 'g', -1, 64), which the Prometheus client uses: the shortest
    // digits that read back exactly, in exponent form when the decimal exponent is < -4 or >= 6.
    std::array<char, 64> buf{};
    auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), value, std::chars_format::scientific);
    if (ec != std::errc{}) return "NaN";
    std::string_view sci(buf.data(), static_cast<std::size_t>(end - buf.data()));
    auto e_pos = sci.find('e');
    int exponent = 0;
    std::from_chars(sci.data() + e_pos + 1 + (sci[e_pos + 1] == '+' ? 1 : 0), sci.data() + sci.size(), exponent);
    if (exponent < -4 || exponent >= 6) return std::string(sci);
    auto [fend, fec] = std::to_chars(buf.data(), buf.data() + buf.size(), value, std::chars_format::fixed);
    if (fec != std::errc{}) return std::string(sci);
    return std::string(buf.data(), static_cast<std::size_t>(fend - buf.data()));
}

Registry::Family& Registry::FamilyFor(std::string name, Type type, std::string help) {
    if (!ValidMetricName(name)) throw std::invalid_argument("invalid metric name '" + name + "'");
    auto it = families_.find(name);
    if (it == families_.end())
        return families_.try_emplace(std::move(name), Family{type, std::move(help), {}, {}}).first->second;
    Family& family = it->second;
    if (family.type != type)
        throw std::invalid_argument("metric '" + it->first + "' is already registered as a " +
                                    (family.type == Type::kCounter ? "counter" : "histogram"));
    if (family.help.empty() && !help.empty()) family.help = std::move(help);
    return family;
}

Counter& Registry::GetCounter(std::string name, Labels labels, std::string help) {
    Labels normalized = Normalize(std::move(labels), name, /*histogram=*/false);
    Family& family = FamilyFor(std::move(name), Type::kCounter, std::move(help));
    return family.counters[std::move(normalized)];
}

Histogram& Registry::GetHistogram(std::string name, Labels labels, std::string help) {
    Labels normalized = Normalize(std::move(labels), name, /*histogram=*/true);
    Family& family = FamilyFor(std::move(name), Type::kHistogram, std::move(help));
    return family.histograms[std::move(normalized)];
}

std::string Registry::RenderPrometheus() const {
    // The `le` texts are the same for every histogram: format them once.
    static const std::vector<std::string> kLeTexts = [] {
        std::vector<std::string> texts;
        for (std::int64_t bound : Histogram::kPrometheusBoundsNanos)
            texts.push_back(FormatPrometheusValue(Seconds(bound)));
        texts.emplace_back("+Inf");
        return texts;
    }();

    std::string out;
    for (const auto& [name, family] : families_) {
        if (!family.help.empty()) {
            out += "# HELP ";
            out += name;
            out += ' ';
            AppendEscapedHelp(out, family.help);
            out += '\n';
        }
        out += "# TYPE ";
        out += name;
        out += family.type == Type::kCounter ? " counter\n" : " histogram\n";
        if (family.type == Type::kCounter) {
            for (const auto& [labels, counter] : family.counters) {
                out += name;
                AppendLabels(out, labels);
                out += ' ';
                out += std::to_string(counter.Value());
                out += '\n';
            }
            continue;
        }
        for (const auto& [labels, histogram] : family.histograms) {
            auto buckets = histogram.PrometheusBuckets();
            for (std::size_t i = 0; i < buckets.size(); ++i) {
                out += name;
                out += "_bucket";
                AppendLabels(out, labels, kLeTexts[i]);
                out += ' ';
                out += std::to_string(buckets[i].cumulative_count);
                out += '\n';
            }
            out += name;
            out += "_sum";
            AppendLabels(out, labels);
            out += ' ';
            out += FormatPrometheusValue(Seconds(histogram.Sum().count()));
            out += '\n';
            out += name;
            out += "_count";
            AppendLabels(out, labels);
            out += ' ';
            out += std::to_string(histogram.Count());
            out += '\n';
        }
    }
    return out;
}

void Registry::Reset() {
    for (auto& [name, family] : families_) {
        for (auto& [labels, counter] : family.counters) counter.Reset();
        for (auto& [labels, histogram] : family.histograms) histogram.Reset();
    }
    spans_.Reset();
}

}  // namespace sim::metrics
