#include "sim/metrics/registry.hpp"

#include <stdexcept>
#include <string>

#include <gtest/gtest.h>

namespace sim::metrics {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;

TEST(Registry, SameNameAndLabelsGiveTheSameCounter) {
    Registry r;
    Counter& a = r.GetCounter("requests_total", {{"service", "sqs"}, {"code", "200"}});
    Counter& b = r.GetCounter("requests_total", {{"code", "200"}, {"service", "sqs"}});  // order irrelevant
    Counter& c = r.GetCounter("requests_total", {{"service", "s3"}, {"code", "200"}});
    EXPECT_EQ(&a, &b);
    EXPECT_NE(&a, &c);
    a.Add();
    b.Add(2);
    EXPECT_EQ(a.Value(), 3u);
    EXPECT_EQ(c.Value(), 0u);
}

TEST(Registry, ReferencesStayValidAsSeriesAreAdded) {
    Registry r;
    Histogram& first = r.GetHistogram("latency_seconds", {{"hop", "0"}});
    first.Record(milliseconds(1));
    for (int i = 1; i < 200; ++i) r.GetHistogram("latency_seconds", {{"hop", std::to_string(i)}});
    for (int i = 0; i < 50; ++i) r.GetCounter("c" + std::to_string(i) + "_total");
    EXPECT_EQ(&r.GetHistogram("latency_seconds", {{"hop", "0"}}), &first);
    EXPECT_EQ(first.Count(), 1u);
}

TEST(Registry, RejectsInvalidNamesAndLabels) {
    Registry r;
    EXPECT_THROW(r.GetCounter(""), std::invalid_argument);
    EXPECT_THROW(r.GetCounter("1abc"), std::invalid_argument);
    EXPECT_THROW(r.GetCounter("has-dash"), std::invalid_argument);
    EXPECT_THROW(r.GetCounter("has space"), std::invalid_argument);
    EXPECT_NO_THROW(r.GetCounter("ns:sub_name_total"));
    EXPECT_THROW(r.GetCounter("ok_total", {{"bad-label", "x"}}), std::invalid_argument);
    EXPECT_THROW(r.GetCounter("ok_total", {{"__reserved", "x"}}), std::invalid_argument);
    EXPECT_THROW(r.GetCounter("ok_total", {{"a", "x"}, {"a", "y"}}), std::invalid_argument);
    EXPECT_THROW(r.GetHistogram("h_seconds", {{"le", "1"}}), std::invalid_argument);
}

TEST(Registry, RejectsOneNameAsTwoTypes) {
    Registry r;
    r.GetCounter("thing");
    EXPECT_THROW(r.GetHistogram("thing"), std::invalid_argument);
}

TEST(Registry, RendersExactPrometheusText) {
    Registry r;
    r.GetCounter("sim_requests_total", {{"service", "sqs"}}, "Requests handled.").Add(3);
    r.GetCounter("sim_requests_total", {{"service", "s3"}}).Add(1);
    r.GetCounter("sim_errors_total").Add(0);
    Histogram& h = r.GetHistogram("sim_hop_seconds", {{"hop", "poll"}}, "Hop latency.");
    h.Record(microseconds(1));
    h.Record(milliseconds(1));
    h.Record(milliseconds(250));
    h.Record(std::chrono::hours(2));

    const std::string expected =
        "# TYPE sim_errors_total counter\n"
        "sim_errors_total 0\n"
        "# HELP sim_hop_seconds Hop latency.\n"
        "# TYPE sim_hop_seconds histogram\n"
        "sim_hop_seconds_bucket{hop=\"poll\",le=\"1e-06\"} 1\n"
        "sim_hop_seconds_bucket{hop=\"poll\",le=\"2e-06\"} 1\n"
        "sim_hop_seconds_bucket{hop=\"poll\",le=\"5e-06\"} 1\n"
        "sim_hop_seconds_bucket{hop=\"poll\",le=\"1e-05\"} 1\n"
        "sim_hop_seconds_bucket{hop=\"poll\",le=\"2e-05\"} 1\n"
        "sim_hop_seconds_bucket{hop=\"poll\",le=\"5e-05\"} 1\n"
        "sim_hop_seconds_bucket{hop=\"poll\",le=\"0.0001\"} 1\n"
        "sim_hop_seconds_bucket{hop=\"poll\",le=\"0.0002\"} 1\n"
        "sim_hop_seconds_bucket{hop=\"poll\",le=\"0.0005\"} 1\n"
        "sim_hop_seconds_bucket{hop=\"poll\",le=\"0.001\"} 2\n"
        "sim_hop_seconds_bucket{hop=\"poll\",le=\"0.002\"} 2\n"
        "sim_hop_seconds_bucket{hop=\"poll\",le=\"0.005\"} 2\n"
        "sim_hop_seconds_bucket{hop=\"poll\",le=\"0.01\"} 2\n"
        "sim_hop_seconds_bucket{hop=\"poll\",le=\"0.02\"} 2\n"
        "sim_hop_seconds_bucket{hop=\"poll\",le=\"0.05\"} 2\n"
        "sim_hop_seconds_bucket{hop=\"poll\",le=\"0.1\"} 2\n"
        "sim_hop_seconds_bucket{hop=\"poll\",le=\"0.2\"} 2\n"
        "sim_hop_seconds_bucket{hop=\"poll\",le=\"0.5\"} 3\n"
        "sim_hop_seconds_bucket{hop=\"poll\",le=\"1\"} 3\n"
        "sim_hop_seconds_bucket{hop=\"poll\",le=\"2\"} 3\n"
        "sim_hop_seconds_bucket{hop=\"poll\",le=\"5\"} 3\n"
        "sim_hop_seconds_bucket{hop=\"poll\",le=\"10\"} 3\n"
        "sim_hop_seconds_bucket{hop=\"poll\",le=\"20\"} 3\n"
        "sim_hop_seconds_bucket{hop=\"poll\",le=\"50\"} 3\n"
        "sim_hop_seconds_bucket{hop=\"poll\",le=\"100\"} 3\n"
        "sim_hop_seconds_bucket{hop=\"poll\",le=\"200\"} 3\n"
        "sim_hop_seconds_bucket{hop=\"poll\",le=\"500\"} 3\n"
        "sim_hop_seconds_bucket{hop=\"poll\",le=\"1000\"} 3\n"
        "sim_hop_seconds_bucket{hop=\"poll\",le=\"2000\"} 3\n"
        "sim_hop_seconds_bucket{hop=\"poll\",le=\"3600\"} 3\n"
        "sim_hop_seconds_bucket{hop=\"poll\",le=\"+Inf\"} 4\n"
        "sim_hop_seconds_sum{hop=\"poll\"} 7200.251001\n"
        "sim_hop_seconds_count{hop=\"poll\"} 4\n"
        "# HELP sim_requests_total Requests handled.\n"
        "# TYPE sim_requests_total counter\n"
        "sim_requests_total{service=\"s3\"} 1\n"
        "sim_requests_total{service=\"sqs\"} 3\n";
    EXPECT_EQ(r.RenderPrometheus(), expected);
}

TEST(Registry, EscapesLabelValuesAndHelp) {
    Registry r;
    r.GetCounter("c_total", {{"path", "a\\b \"q\"\nnext"}}, "Line one\nback\\slash").Add(5);
    EXPECT_EQ(r.RenderPrometheus(),
              "# HELP c_total Line one\\nback\\\\slash\n"
              "# TYPE c_total counter\n"
              "c_total{path=\"a\\\\b \\\"q\\\"\\nnext\"} 5\n");
}

TEST(Registry, KeepsTheFirstNonEmptyHelp) {
    Registry r;
    r.GetCounter("x_total");
    r.GetCounter("x_total", {}, "Later help.");
    r.GetCounter("x_total", {}, "Ignored.");
    EXPECT_EQ(r.RenderPrometheus(), "# HELP x_total Later help.\n# TYPE x_total counter\nx_total 0\n");
}

TEST(Registry, ResetZeroesValuesButKeepsSeriesAndReferences) {
    Registry r;
    Counter& c = r.GetCounter("c_total", {{"a", "1"}});
    Histogram& h = r.GetHistogram("h_seconds");
    c.Add(7);
    h.Record(milliseconds(3));
    r.Reset();
    EXPECT_EQ(c.Value(), 0u);
    EXPECT_EQ(h.Count(), 0u);
    EXPECT_EQ(&r.GetCounter("c_total", {{"a", "1"}}), &c);
    std::string text = r.RenderPrometheus();
    EXPECT_NE(text.find("c_total{a=\"1\"} 0\n"), std::string::npos);
    EXPECT_NE(text.find("h_seconds_count 0\n"), std::string::npos);
    EXPECT_NE(text.find("h_seconds_bucket{le=\"+Inf\"} 0\n"), std::string::npos);
}

TEST(PrometheusValue, FormatsLikeTheGoClient) {
    EXPECT_EQ(FormatPrometheusValue(1e-06), "1e-06");
    EXPECT_EQ(FormatPrometheusValue(0.0001), "0.0001");
    EXPECT_EQ(FormatPrometheusValue(0.25), "0.25");
    EXPECT_EQ(FormatPrometheusValue(3600), "3600");
    EXPECT_EQ(FormatPrometheusValue(0), "0");
    EXPECT_EQ(FormatPrometheusValue(1e6), "1e+06");
    EXPECT_EQ(FormatPrometheusValue(1234567.5), "1.2345675e+06");
    EXPECT_EQ(FormatPrometheusValue(1.0 / 0.0), "+Inf");
}

}  // namespace
}  // namespace sim::metrics
