// The Prometheus text exposition format 0.0.4, exactly: a scraper rejects
// the whole page over one malformed line.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <string>

#include "findings.hpp"
#include "metrics.hpp"

using namespace proclife::monitor;

TEST_CASE("Registry renders counters, labelled counters and gauges with HELP and TYPE", "[monitor][metrics]") {
  Registry registry;
  Counter& forks = registry.counter("t_forks_total", "Forks.");
  CounterFamily& exits = registry.counter_family("t_exits_total", "Exits.", "kind", {"code0", "signal"});
  Gauge& zombies = registry.gauge("t_zombies", "Zombies.");
  forks.inc();
  forks.inc(2);
  exits.at("signal").inc();
  zombies.set(2.5);
  CHECK(registry.render() ==
        "# HELP t_forks_total Forks.\n"
        "# TYPE t_forks_total counter\n"
        "t_forks_total 3\n"
        "# HELP t_exits_total Exits.\n"
        "# TYPE t_exits_total counter\n"
        "t_exits_total{kind=\"code0\"} 0\n"
        "t_exits_total{kind=\"signal\"} 1\n"
        "# HELP t_zombies Zombies.\n"
        "# TYPE t_zombies gauge\n"
        "t_zombies 2.5\n");
}

TEST_CASE("Histogram buckets are cumulative, le is inclusive, +Inf equals the count", "[monitor][metrics]") {
  Registry registry;
  Histogram& histogram = registry.histogram("t_seconds", "Seconds.", {0.5, 1});
  histogram.observe(0.25);
  histogram.observe(0.5);
  histogram.observe(1);
  histogram.observe(7);
  CHECK(registry.render() ==
        "# HELP t_seconds Seconds.\n"
        "# TYPE t_seconds histogram\n"
        "t_seconds_bucket{le=\"0.5\"} 2\n"
        "t_seconds_bucket{le=\"1\"} 3\n"
        "t_seconds_bucket{le=\"+Inf\"} 4\n"
        "t_seconds_sum 8.75\n"
        "t_seconds_count 4\n");
}

TEST_CASE("Histogram refuses bounds that are not strictly increasing or not finite", "[monitor][metrics]") {
  CHECK_THROWS_AS(Histogram({1, 1}), std::invalid_argument);
  CHECK_THROWS_AS(Histogram({2, 1}), std::invalid_argument);
  CHECK_THROWS_AS(Histogram({1, std::numeric_limits<double>::infinity()}), std::invalid_argument);
}

TEST_CASE("Label values and HELP text are escaped", "[monitor][metrics]") {
  CHECK(escape_label_value("a\\b\"c\nd") == "a\\\\b\\\"c\\nd");
  CHECK(escape_help("a\\b\"c\nd") == "a\\\\b\"c\\nd");
  Registry registry;
  registry.counter_family("t_total", "Line one\nline two.", "path", {"C:\\dir \"x\""}).at("C:\\dir \"x\"").inc();
  CHECK(registry.render() ==
        "# HELP t_total Line one\\nline two.\n"
        "# TYPE t_total counter\n"
        "t_total{path=\"C:\\\\dir \\\"x\\\"\"} 1\n");
}

TEST_CASE("Sample values use Prometheus spellings for the special floats", "[monitor][metrics]") {
  CHECK(format_sample_value(1) == "1");
  CHECK(format_sample_value(0.1) == "0.1");
  CHECK(format_sample_value(std::numeric_limits<double>::infinity()) == "+Inf");
  CHECK(format_sample_value(-std::numeric_limits<double>::infinity()) == "-Inf");
  CHECK(format_sample_value(std::nan("")) == "NaN");
}

TEST_CASE("Label sets are fixed at registration", "[monitor][metrics]") {
  Registry registry;
  CounterFamily& family = registry.counter_family("t_total", "T.", "kind", {"a"});
  CHECK_THROWS_AS(family.at("b"), std::out_of_range);
}

TEST_CASE("Registry refuses invalid and duplicate names", "[monitor][metrics]") {
  Registry registry;
  registry.counter("t_total", "T.");
  CHECK_THROWS_AS(registry.counter("t_total", "again"), std::invalid_argument);
  CHECK_THROWS_AS(registry.gauge("9lives", "G."), std::invalid_argument);
  CHECK_THROWS_AS(registry.gauge("has-dash", "G."), std::invalid_argument);
  CHECK_THROWS_AS(registry.counter_family("u_total", "U.", "__reserved", {"x"}), std::invalid_argument);
}

TEST_CASE("MonitorMetrics exports the documented proclife_ series", "[monitor][metrics]") {
  Registry registry;
  MonitorMetrics metrics(registry);
  metrics.exits.at("nonzero").inc();
  metrics.reaps.at("autoreap").inc();
  metrics.sigchld.at("lose_info").inc();
  metrics.zombie_seconds.observe(0.002);
  std::string text = registry.render();
  for (const char* line : {"proclife_forks_total 0\n", "proclife_execs_total 0\n",
                           "proclife_exits_total{kind=\"nonzero\"} 1\n", "proclife_reaps_total{via=\"autoreap\"} 1\n",
                           "proclife_reaps_total{via=\"released\"} 0\n", "proclife_orphans_total 0\n",
                           "proclife_sigchld_total{result=\"lose_info\"} 1\n",
                           "proclife_findings_total{kind=\"unreaped_children\"} 0\n",
                           "proclife_lost_events_total 0\n", "proclife_decode_errors_total 0\n",
                           "proclife_evictions_total 0\n", "proclife_live_processes 0\n", "proclife_zombies 0\n",
                           "proclife_oldest_zombie_age_seconds 0\n", "proclife_zombie_seconds_bucket{le=\"0.001\"} 0\n",
                           "proclife_zombie_seconds_bucket{le=\"0.01\"} 1\n", "proclife_zombie_seconds_count 1\n"}) {
    INFO(line);
    CHECK(text.find(line) != std::string::npos);
  }
}

TEST_CASE("Every finding kind has its findings_total series", "[monitor][metrics]") {
  Registry registry;
  MonitorMetrics metrics(registry);
  for (FindingKind kind : {FindingKind::zombie, FindingKind::orphan, FindingKind::slow_reap,
                           FindingKind::unreaped_children})
    CHECK_NOTHROW(metrics.findings.at(finding_kind_name(kind)));
}
