// The monitor's Prometheus metrics: a registry of counters, gauges and
// histograms rendered in the text exposition format 0.0.4. The event loop
// updates them while the HTTP thread renders, so values are atomics (the
// histogram takes a lock to keep its buckets, sum and count consistent).
// Label values are fixed when a family is registered: no pid or path ever
// becomes a label, so the number of series stays bounded for months.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace proclife::monitor {

class Counter {
 public:
  void inc(uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

class Gauge {
 public:
  void set(double value) { value_.store(value, std::memory_order_relaxed); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// One counter per value of a single label, all values known up front.
class CounterFamily {
 public:
  CounterFamily(std::string label, const std::vector<std::string>& values);
  // Throws std::out_of_range for a value not registered: a new label value is
  // a code change, never something the traced host decides.
  Counter& at(std::string_view value);

  const std::string& label() const { return label_; }
  const std::vector<std::pair<std::string, std::unique_ptr<Counter>>>& counters() const { return counters_; }

 private:
  std::string label_;
  std::vector<std::pair<std::string, std::unique_ptr<Counter>>> counters_;
};

class Histogram {
 public:
  struct Snapshot {
    std::vector<double> upper_bounds;
    std::vector<uint64_t> cumulative;  // per bound, then +Inf last
    double sum;
    uint64_t count;
  };

  // Bounds must be strictly increasing and finite; +Inf is implicit.
  explicit Histogram(std::vector<double> upper_bounds);
  void observe(double value);
  Snapshot snapshot() const;

 private:
  std::vector<double> upper_bounds_;
  mutable std::mutex mutex_;
  std::vector<uint64_t> counts_;  // per bucket, not cumulative; +Inf last
  double sum_ = 0;
};

// Register every metric before render() can run on another thread: the
// values are safe to share, the list of metrics is not.
class Registry {
 public:
  Registry();
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // Names must be valid Prometheus names and unique; the returned references
  // live as long as the registry.
  Counter& counter(const std::string& name, const std::string& help);
  CounterFamily& counter_family(const std::string& name, const std::string& help, const std::string& label,
                                const std::vector<std::string>& values);
  Gauge& gauge(const std::string& name, const std::string& help);
  Histogram& histogram(const std::string& name, const std::string& help, std::vector<double> upper_bounds);

  // Every metric in registration order, as text exposition format 0.0.4.
  std::string render() const;

 private:
  struct Entry;
  Entry& add(const std::string& name, const std::string& help);
  std::vector<std::unique_ptr<Entry>> entries_;
};

// "1", "0.25", "+Inf", "-Inf", "NaN": sample values and `le` bounds as Prometheus parses them.
std::string format_sample_value(double value);
// A label value between double quotes: backslash, double quote and newline escaped.
std::string escape_label_value(std::string_view value);
// HELP text: backslash and newline escaped.
std::string escape_help(std::string_view help);

// Upper bounds of proclife_zombie_seconds: most zombies live microseconds
// (a parent blocked in wait), init reaps adopted orphans within a second,
// and a leaked zombie lives minutes to days.
std::vector<double> zombie_seconds_buckets();

// The metrics `proclife monitor` exports, all named proclife_*.
struct MonitorMetrics {
  explicit MonitorMetrics(Registry& registry);

  Counter& forks;
  Counter& execs;
  CounterFamily& exits;     // kind: code0 nonzero signal
  CounterFamily& reaps;     // via: wait4 waitid autoreap released
  Counter& orphans;
  CounterFamily& sigchld;   // result: delivered ignored pending overflow lose_info
  CounterFamily& findings;  // kind: zombie orphan slow_reap unreaped_children
  Counter& lost_events;
  Counter& decode_errors;
  Counter& evictions;
  Gauge& live_processes;
  Gauge& zombies;
  Gauge& oldest_zombie_age_seconds;
  Histogram& zombie_seconds;
};

}  // namespace proclife::monitor
