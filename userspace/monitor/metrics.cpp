#include "metrics.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <iterator>
#include <stdexcept>
#include <utility>
#include <variant>

namespace proclife::monitor {

namespace {

bool valid_name(std::string_view name) {
  auto first = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':'; };
  return !name.empty() && first(name[0]) &&
         std::all_of(name.begin() + 1, name.end(), [&](char c) { return first(c) || (c >= '0' && c <= '9'); });
}

}  // namespace

CounterFamily::CounterFamily(std::string label, const std::vector<std::string>& values) : label_(std::move(label)) {
  if (!valid_name(label_) || label_.substr(0, 2) == "__") throw std::invalid_argument("invalid label name " + label_);
  for (const auto& value : values) counters_.emplace_back(value, std::make_unique<Counter>());
}

Counter& CounterFamily::at(std::string_view value) {
  for (auto& [name, counter] : counters_)
    if (name == value) return *counter;
  throw std::out_of_range(fmt::format("no counter with {}=\"{}\"", label_, value));
}

Histogram::Histogram(std::vector<double> upper_bounds)
    : upper_bounds_(std::move(upper_bounds)), counts_(upper_bounds_.size() + 1, 0) {
  for (size_t i = 0; i < upper_bounds_.size(); ++i) {
    if (!std::isfinite(upper_bounds_[i]) || (i > 0 && upper_bounds_[i] <= upper_bounds_[i - 1]))
      throw std::invalid_argument("histogram bounds must be finite and strictly increasing");
  }
}

void Histogram::observe(double value) {
  // Bucket i counts values in (bound[i-1], bound[i]]: `le` is inclusive.
  size_t bucket = std::lower_bound(upper_bounds_.begin(), upper_bounds_.end(), value) - upper_bounds_.begin();
  std::lock_guard lock(mutex_);
  ++counts_[bucket];
  sum_ += value;
}

Histogram::Snapshot Histogram::snapshot() const {
  Snapshot snapshot{upper_bounds_, {}, 0, 0};
  std::lock_guard lock(mutex_);
  uint64_t running = 0;
  for (uint64_t count : counts_) snapshot.cumulative.push_back(running += count);
  snapshot.sum = sum_;
  snapshot.count = running;
  return snapshot;
}

struct Registry::Entry {
  std::string name;
  std::string help;
  std::variant<std::monostate, std::unique_ptr<Counter>, std::unique_ptr<CounterFamily>, std::unique_ptr<Gauge>,
               std::unique_ptr<Histogram>>
      metric;
};

Registry::Registry() = default;
Registry::~Registry() = default;

Registry::Entry& Registry::add(const std::string& name, const std::string& help) {
  if (!valid_name(name)) throw std::invalid_argument("invalid metric name " + name);
  for (const auto& entry : entries_)
    if (entry->name == name) throw std::invalid_argument("metric registered twice: " + name);
  entries_.push_back(std::make_unique<Entry>(Entry{name, help, {}}));
  return *entries_.back();
}

Counter& Registry::counter(const std::string& name, const std::string& help) {
  auto& metric = add(name, help).metric.emplace<std::unique_ptr<Counter>>(std::make_unique<Counter>());
  return *metric;
}

CounterFamily& Registry::counter_family(const std::string& name, const std::string& help, const std::string& label,
                                        const std::vector<std::string>& values) {
  auto family = std::make_unique<CounterFamily>(label, values);
  return *add(name, help).metric.emplace<std::unique_ptr<CounterFamily>>(std::move(family));
}

Gauge& Registry::gauge(const std::string& name, const std::string& help) {
  return *add(name, help).metric.emplace<std::unique_ptr<Gauge>>(std::make_unique<Gauge>());
}

Histogram& Registry::histogram(const std::string& name, const std::string& help, std::vector<double> upper_bounds) {
  auto histogram = std::make_unique<Histogram>(std::move(upper_bounds));
  return *add(name, help).metric.emplace<std::unique_ptr<Histogram>>(std::move(histogram));
}

std::string Registry::render() const {
  std::string out;
  auto sink = std::back_inserter(out);
  for (const auto& entry : entries_) {
    const std::string& name = entry->name;
    auto header = [&](std::string_view type) {
      fmt::format_to(sink, "# HELP {} {}\n# TYPE {} {}\n", name, escape_help(entry->help), name, type);
    };
    if (const auto* counter = std::get_if<std::unique_ptr<Counter>>(&entry->metric)) {
      header("counter");
      fmt::format_to(sink, "{} {}\n", name, (*counter)->value());
    } else if (const auto* family = std::get_if<std::unique_ptr<CounterFamily>>(&entry->metric)) {
      header("counter");
      for (const auto& [value, counter] : (*family)->counters())
        fmt::format_to(sink, "{}{{{}=\"{}\"}} {}\n", name, (*family)->label(), escape_label_value(value),
                       counter->value());
    } else if (const auto* gauge = std::get_if<std::unique_ptr<Gauge>>(&entry->metric)) {
      header("gauge");
      fmt::format_to(sink, "{} {}\n", name, format_sample_value((*gauge)->value()));
    } else if (const auto* histogram = std::get_if<std::unique_ptr<Histogram>>(&entry->metric)) {
      header("histogram");
      Histogram::Snapshot snapshot = (*histogram)->snapshot();
      for (size_t i = 0; i < snapshot.upper_bounds.size(); ++i)
        fmt::format_to(sink, "{}_bucket{{le=\"{}\"}} {}\n", name, format_sample_value(snapshot.upper_bounds[i]),
                       snapshot.cumulative[i]);
      fmt::format_to(sink, "{}_bucket{{le=\"+Inf\"}} {}\n", name, snapshot.count);
      fmt::format_to(sink, "{}_sum {}\n{}_count {}\n", name, format_sample_value(snapshot.sum), name, snapshot.count);
    }
  }
  return out;
}

std::string format_sample_value(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  return fmt::format("{}", value);
}

std::string escape_label_value(std::string_view value) {
  std::string out;
  for (char c : value) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

std::string escape_help(std::string_view help) {
  std::string out;
  for (char c : help) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

std::vector<double> zombie_seconds_buckets() {
  return {0.0001, 0.001, 0.01, 0.1, 0.5, 1, 5, 30, 60, 300, 3600, 86400};
}

MonitorMetrics::MonitorMetrics(Registry& registry)
    : forks(registry.counter("proclife_forks_total", "Processes created (fork, vfork, clone; threads are not counted).")),
      execs(registry.counter("proclife_execs_total", "Successful execs.")),
      exits(registry.counter_family("proclife_exits_total", "Process exits by how the process ended.", "kind",
                                    {"code0", "nonzero", "signal"})),
      reaps(registry.counter_family("proclife_reaps_total", "Exited processes released, by what released them.",
                                    "via", {"wait4", "waitid", "autoreap", "released"})),
      orphans(registry.counter("proclife_orphans_total", "Processes adopted by init or a subreaper.")),
      sigchld(registry.counter_family("proclife_sigchld_total", "SIGCHLD sent on a child's exit, by outcome.",
                                      "result", {"delivered", "ignored", "pending", "overflow", "lose_info"})),
      findings(registry.counter_family("proclife_findings_total", "Findings written to the findings stream.", "kind",
                                       {"zombie", "orphan", "slow_reap", "unreaped_children"})),
      lost_events(registry.counter("proclife_lost_events_total", "Events the kernel dropped (ring buffer full).")),
      decode_errors(registry.counter("proclife_decode_errors_total", "Events from the probe that did not decode.")),
      evictions(registry.counter("proclife_evictions_total",
                                 "Entries dropped from a bounded table to keep memory bounded.")),
      live_processes(registry.gauge("proclife_live_processes", "Processes alive now.")),
      zombies(registry.gauge("proclife_zombies", "Processes exited and not yet reaped.")),
      oldest_zombie_age_seconds(
          registry.gauge("proclife_oldest_zombie_age_seconds", "Age of the oldest unreaped zombie, 0 when none.")),
      zombie_seconds(registry.histogram("proclife_zombie_seconds", "Time from exit to reap.",
                                        zombie_seconds_buckets())) {}

}  // namespace proclife::monitor
