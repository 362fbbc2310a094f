#pragma once
// Counters and histograms by name and labels, rendered as Prometheus text (exposition format
// 0.0.4) for `/_sim/metrics` (DESIGN "Observability").
//
// Not thread-safe: the registry and its metrics belong to the one event-loop thread.

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sim/metrics/histogram.hpp"
#include "sim/metrics/spans.hpp"

namespace sim::metrics {

/// Label name -> value pairs. Order does not matter: the registry sorts them by name.
using Labels = std::vector<std::pair<std::string, std::string>>;

/// A monotonically increasing count.
class Counter {
public:
    void Add(std::uint64_t n = 1) { value_ += n; }
    std::uint64_t Value() const { return value_; }
    void Reset() { value_ = 0; }

private:
    std::uint64_t value_ = 0;
};

class Registry {
public:
    Registry() = default;
    Registry(const Registry&) = delete;
    Registry& operator=(const Registry&) = delete;

    /// The counter `name{labels}`, created (at zero) on first use; the same object for the same name
    /// and labels afterwards. The reference stays valid for the registry's lifetime (Reset included).
    /// `help` is kept from the first call that gives a non-empty one.
    /// Throws std::invalid_argument when the name is not a Prometheus metric name
    /// ([a-zA-Z_:][a-zA-Z0-9_:]*), a label name is invalid ([a-zA-Z_][a-zA-Z0-9_]*, not starting
    /// with "__") or repeated, or `name` is already a histogram.
    Counter& GetCounter(std::string name, Labels labels = {}, std::string help = "");
    /// Same for histograms; additionally the label name "le" is reserved.
    Histogram& GetHistogram(std::string name, Labels labels = {}, std::string help = "");

    /// Text exposition format 0.0.4: families sorted by name, each with `# HELP` (when help was
    /// given) and `# TYPE` once, series sorted by labels. Histograms are written as cumulative
    /// `_bucket{le="..."}` lines on the coarse 1-2-5 scale in seconds, then `_sum` (seconds) and
    /// `_count`. Label values escape `\`, `"` and newline; help text escapes `\` and newline.
    std::string RenderPrometheus() const;

    /// The process's trace spans (per-hop histograms and recent spans; sim/metrics/spans.hpp).
    SpanRecorder& Spans() { return spans_; }
    const SpanRecorder& Spans() const { return spans_; }

    /// Zeroes every counter and histogram and forgets every span; families, series and references stay.
    void Reset();

private:
    enum class Type { kCounter, kHistogram };
    struct Family {
        Type type;
        std::string help;
        // std::map nodes never move, so references handed out stay valid.
        std::map<Labels, Counter> counters;
        std::map<Labels, Histogram> histograms;
    };

    Family& FamilyFor(std::string name, Type type, std::string help);

    std::map<std::string, Family> families_;
    SpanRecorder spans_;
};

/// Prometheus float text, as the Go client writes it: "+Inf", "0.001", "1e-06", "3600".
std::string FormatPrometheusValue(double value);

}  // namespace sim::metrics
