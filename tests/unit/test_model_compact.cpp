// Graph::compact() and GraphObserver: what the monitor relies on to keep the
// graph small for months. Compaction removes finished processes and every
// index into them; later events for the survivors must still land.
#include <catch2/catch.hpp>

#include "model.hpp"
#include "scenario.hpp"

using namespace proclife;
using namespace proclife::test;

namespace {

constexpr uint32_t kRoot = 4242;

// Applies the events pushed since the last call.
struct Feeder {
  Scenario& s;
  Graph graph{{kOrigin, kObserver, kRoot}};
  size_t applied = 0;
  void apply() {
    for (; applied < s.events.size(); ++applied) graph.apply(s.events[applied]);
  }
};

size_t drop_reaped(Graph& graph) {
  return graph.compact([](const Process& p) { return p.reap.has_value(); });
}

struct Counting : GraphObserver {
  int forks = 0, execs = 0, exits = 0, reaps = 0, orphans = 0;
  void on_fork(const Graph&, const Process&) override { ++forks; }
  void on_exec(const Graph&, const Process&) override { ++execs; }
  void on_exit(const Graph&, const Process& p) override {
    CHECK(p.exit);
    ++exits;
  }
  void on_reap(const Graph&, const Process& p) override {
    CHECK(p.reap);
    ++reaps;
  }
  void on_orphan(const Graph&, const Process& p) override {
    CHECK(p.rare().orphaned);
    ++orphans;
  }
};

}  // namespace

TEST_CASE("compaction removes reaped processes, and a surviving zombie is still reaped by its parent's wait",
          "[model][compact]") {
  Scenario s;
  Feeder f{s};
  Proc sh = s.root(kRoot);
  Proc a = s.fork(sh, 5001, 10);
  Proc b = s.fork(sh, 5002, 20);
  s.exit(a, exited(0), 30, sh);
  s.wait4(sh, -1, 0, a.pid, exited(0), 25, 31);
  s.exit(b, exited(3), 40, sh);
  s.sigchld(b, sh, 0, 41);  // pending SIGCHLD for b, delivered after compaction
  f.apply();
  REQUIRE(f.graph.processes().size() == 3);
  CHECK(drop_reaped(f.graph) == 1);
  CHECK(f.graph.processes().size() == 2);
  CHECK(f.graph.find(a.key()) == nullptr);

  s.deliver_sigchld(sh, 0, 45);
  s.wait4(sh, -1, 0, b.pid, exited(3), 46, 50);
  f.apply();
  const Process* zombie = f.graph.find(b.key());
  REQUIRE(zombie);
  REQUIRE(zombie->reap);
  CHECK(zombie->reap->via == ReapVia::wait4);
  CHECK(zombie->reap->reaper == std::optional(sh.key()));
  REQUIRE(zombie->sigchld);
  CHECK(zombie->sigchld->delivered_ns == std::optional(at_us(45)));
  const Process* parent = f.graph.find(sh.key());
  REQUIRE(parent);
  REQUIRE(parent->children.size() == 1);
  CHECK(&f.graph.processes()[parent->children[0]] == zombie);
}

TEST_CASE("a zombie whose parent was compacted away is reaped by its free, and late events of the removed "
          "process make nothing",
          "[model][compact]") {
  Scenario s;
  Feeder f{s};
  Proc sh = s.root(kRoot);
  Proc p = s.fork(sh, 5001, 10);
  Proc c = s.fork(p, 5002, 20);
  Proc init{1, 0};
  s.exit(p, exited(0), 30, sh, 0, 0, init);  // c is adopted by init (untraced)
  s.wait4(sh, -1, 0, p.pid, exited(0), 29, 31);
  f.apply();
  CHECK(f.graph.find(c.key())->rare().orphaned);
  CHECK(drop_reaped(f.graph) == 1);
  CHECK(f.graph.find(p.key()) == nullptr);

  s.free(p, 40);  // late: the removed process is not brought back
  s.exit(c, exited(1), 50, init);
  s.free(c, 60);
  f.apply();
  CHECK(f.graph.find(p.key()) == nullptr);
  const Process* orphan = f.graph.find(c.key());
  REQUIRE(orphan);
  REQUIRE(orphan->reap);
  CHECK(orphan->reap->via == ReapVia::released);
  CHECK(orphan->rare().orphaned->old_parent == p.key());
}

TEST_CASE("a child freed after its live parent was evicted is reaped by the free, naming the parent's pid",
          "[model][compact]") {
  // The monitor's max-live cap evicts the oldest processes, running or not.
  Scenario s;
  Feeder f{s};
  Proc sh = s.root(kRoot);
  Proc p = s.fork(sh, 5001, 10);
  Proc c = s.fork(p, 5002, 20);
  f.apply();
  CHECK(f.graph.compact([&](const Process& x) { return x.key == p.key(); }) == 1);

  s.exit(c, exited(0), 30, p);
  s.free(c, 40);  // reaped by a wait nobody traced: no wait results
  f.apply();
  const Process* child = f.graph.find(c.key());
  REQUIRE(child);
  REQUIRE(child->reap);
  CHECK(child->reap->via == ReapVia::released);
  CHECK(child->reap->reaper_pid == p.pid);
  CHECK(child->reap->reaper_comm.empty());  // its name went with its record
}

TEST_CASE("compaction keeps the parent-child index of survivors: a later child's reap still matches",
          "[model][compact]") {
  Scenario s;
  Feeder f{s};
  Proc sh = s.root(kRoot);
  std::vector<Proc> kids;
  for (uint32_t i = 0; i < 20; ++i) {
    kids.push_back(s.fork(sh, 6000 + i, 10 + i));
    s.exit(kids.back(), exited(0), 100 + i, sh);
  }
  // Every other child is reaped before compaction, the rest after.
  for (uint32_t i = 0; i < 20; i += 2) s.wait4(sh, -1, 0, kids[i].pid, exited(0), 200 + i, 200 + i);
  f.apply();
  CHECK(drop_reaped(f.graph) == 10);
  for (uint32_t i = 1; i < 20; i += 2) s.wait4(sh, -1, 0, kids[i].pid, exited(0), 300 + i, 300 + i);
  f.apply();
  for (uint32_t i = 1; i < 20; i += 2) {
    const Process* kid = f.graph.find(kids[i].key());
    REQUIRE(kid);
    CHECK(kid->reap);
    CHECK(kid->reap->via == ReapVia::wait4);
  }
  CHECK(drop_reaped(f.graph) == 10);
  CHECK(f.graph.processes().size() == 1);
}

TEST_CASE("the observer hears of every fork, exec, exit, reap and adoption once", "[model][observer]") {
  Scenario s;
  Feeder f{s};
  Counting observer;
  f.graph.set_observer(&observer);
  Proc sh = s.root(kRoot);
  Proc p = s.fork(sh, 5001, 10);
  s.exec(p, "/bin/true", {"true"}, 11);
  Proc c = s.fork(p, 5002, 12);
  s.thread(sh, 4243, 13);  // a thread: no fork callback
  s.exit(p, exited(0), 20, sh, 0, 0, Proc{1, 0});
  s.wait4(sh, -1, 0, p.pid, exited(0), 19, 21);
  s.exit(c, exited(0), 30, Proc{1, 0}, 1);  // init ignores SIGCHLD here: autoreaped
  f.apply();
  CHECK(observer.forks == 2);
  CHECK(observer.execs == 1);
  CHECK(observer.exits == 2);
  CHECK(observer.reaps == 2);
  CHECK(observer.orphans == 1);
}

TEST_CASE("a wait entered again by the same thread replaces the open one", "[model]") {
  Scenario s;
  Proc sh = s.root(kRoot);
  for (int i = 0; i < 5; ++i) {
    WaitEnterEvent wait{0};
    s.events.push_back(Event{at_us(10 + i), 0, sh.task(), wait});
  }
  Graph graph = s.graph(100);
  CHECK(graph.find(sh.key())->rare().open_waits.size() == 1);
}
