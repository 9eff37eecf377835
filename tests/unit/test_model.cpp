// The lifetime graph built from synthetic event streams: each test acts out
// one piece of the kernel's process lifecycle (see DESIGN.md, "Kernel
// semantics") and checks the graph tells it the way the kernel lived it.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <optional>

#include "model.hpp"
#include "scenario.hpp"

using namespace proclife;
using namespace proclife::test;

namespace {

// `children` lists every child a process ever had; the reaped ones are done.
bool no_unreaped_children(const Graph& graph, const Process& parent) {
  for (size_t child : parent.children)
    if (!graph.processes()[child].reap) return false;
  return true;
}


const Process& process(const Graph& graph, Proc p) {
  const Process* found = graph.find(p.key());
  REQUIRE(found != nullptr);
  return *found;
}

// The run root `sh` (pid 4242), exec'd at 10 µs.
Proc start_sh(Scenario& s) {
  Proc sh = s.root(4242);
  s.exec(sh, "/bin/sh", {"sh", "-c", "work"}, 10);
  return sh;
}

}  // namespace

TEST_CASE("a child reaped by a blocking wait4 records its reaper, zombie time and the parent's waits", "[model]") {
  Scenario s;
  Proc sh = start_sh(s);
  Proc sleep = s.fork(sh, 4243, 100, "sh");
  s.exec(sleep, "/usr/bin/sleep", {"sleep", "1"}, 150);
  s.exit(sleep, exited(0), 1100, sh);
  s.wait4(sh, -1, 0, 4243, exited(0), 200, 1150);  // blocked from 200 µs until the reap
  Graph graph = s.graph(2000);

  const Process& child = process(graph, sleep);
  CHECK(child.fork_ns == at_us(100));
  CHECK(child.fork_parent == sh.key());
  CHECK(child.parent_pid == 4242);
  REQUIRE(child.execs.size() == 1);
  CHECK(child.execs[0].filename == "/usr/bin/sleep");
  CHECK(child.execs[0].argv == std::vector<std::string>{"sleep", "1"});
  REQUIRE(child.exit);
  CHECK(child.exit->ns == at_us(1100));
  CHECK(child.exit->status().code == 0);
  CHECK_FALSE(child.exit->status().signal);

  CHECK(child.end_state() == EndState::reaped);
  REQUIRE(child.reap);
  CHECK(child.reap->via == ReapVia::wait4);
  CHECK(child.reap->ns == at_us(1150));
  CHECK(child.reap->reaper == sh.key());
  CHECK(child.reap->reaper_pid == 4242);
  CHECK(child.reap->reaper_comm == "sh");
  CHECK(child.reap->wait_enter_ns == at_us(200));
  CHECK_FALSE(child.reap->wnohang);
  CHECK(child.zombie_ns() == 50'000u);

  const Process& parent = process(graph, sh);
  CHECK(parent.rare().waits.calls == 1);
  CHECK(parent.rare().waits.wnohang_polls == 0);
  CHECK(parent.rare().waits.blocked_ns == 950'000u);
  REQUIRE(parent.rare().wait_calls.size() == 1);
  CHECK(parent.rare().wait_calls[0].report == WaitReport::exited);
  CHECK(parent.rare().wait_calls[0].reaped == sleep.key());
  CHECK(no_unreaped_children(graph, parent));
  // Only the parent needed the rare parts; the child's record holds all it had.
  CHECK_FALSE(child.rare_parts);
}

TEST_CASE("zombie time starts when SIGCHLD is generated, at exit_notify(), not at the exit event", "[model]") {
  // sched_process_exit fires as do_exit() begins; tearing down the address
  // space before exit_notify() is not time spent as a zombie.
  Scenario s;
  Proc sh = start_sh(s);
  Proc child = s.fork(sh, 4243, 100);
  s.exit(child, exited(0), 500, sh);
  s.sigchld(child, sh, 0, 800);
  s.wait4(sh, -1, 0, 4243, exited(0), 200, 1000);
  Graph graph = s.graph(2000);
  CHECK(process(graph, child).zombie_ns() == 200'000u);
}

TEST_CASE("a WNOHANG polling loop counts the polls that found nothing and blocks for no time", "[model]") {
  Scenario s;
  Proc sh = start_sh(s);
  Proc child = s.fork(sh, 4243, 100);
  s.wait4(sh, -1, kernel::kWnohang, 0, 0, 200, 201);
  s.wait4(sh, -1, kernel::kWnohang, 0, 0, 300, 301);
  s.wait4(sh, -1, kernel::kWnohang, 0, 0, 400, 401);
  s.exit(child, exited(0), 450, sh);
  s.wait4(sh, -1, kernel::kWnohang, 4243, exited(0), 500, 501);
  Graph graph = s.graph(1000);

  const Process& parent = process(graph, sh);
  CHECK(parent.rare().waits.calls == 4);
  CHECK(parent.rare().waits.wnohang_polls == 3);
  CHECK(parent.rare().waits.blocked_ns == 0);

  const Process& reaped = process(graph, child);
  REQUIRE(reaped.reap);
  CHECK(reaped.reap->ns == at_us(501));
  CHECK(reaped.reap->wnohang);
  CHECK(reaped.zombie_ns() == 51'000u);
}

TEST_CASE("blocked time adds up every wait made without WNOHANG, also one that failed", "[model]") {
  Scenario s;
  Proc sh = start_sh(s);
  Proc child = s.fork(sh, 4243, 100);
  s.wait4(sh, -1, 0, -4, 0, 200, 300);  // EINTR after 100 µs blocked
  s.wait4(sh, -1, kernel::kWnohang, 0, 0, 310, 320);
  s.exit(child, exited(0), 400, sh);
  s.wait4(sh, -1, 0, 4243, exited(0), 350, 420);  // 70 µs blocked
  Graph graph = s.graph(1000);

  const Process& parent = process(graph, sh);
  CHECK(parent.rare().waits.calls == 3);
  CHECK(parent.rare().waits.wnohang_polls == 1);
  CHECK(parent.rare().waits.blocked_ns == 170'000u);
}

TEST_CASE("a SIGCHLD the parent ignores is recorded as ignored and never delivered", "[model]") {
  Scenario s;
  Proc sh = start_sh(s);
  Proc child = s.fork(sh, 4243, 100);
  s.exit(child, exited(0), 500, sh);
  s.sigchld(child, sh, 1, 501);
  s.deliver_sigchld(sh, 0x401000, 600);  // a later SIGCHLD for something else
  Graph graph = s.graph(1000);

  const Process& exited_child = process(graph, child);
  REQUIRE(exited_child.sigchld);
  CHECK(exited_child.sigchld->result == SigchldResult::ignored);
  CHECK(sigchld_result_name(exited_child.sigchld->result) == "ignored");
  CHECK(exited_child.sigchld->generated_ns == at_us(501));
  CHECK(exited_child.sigchld->info_code == kernel::kCldExited);
  CHECK_FALSE(exited_child.sigchld->delivered_ns);
}

TEST_CASE("a SIGCHLD delivered to the parent's handler records when and to which handler", "[model]") {
  Scenario s;
  Proc sh = start_sh(s);
  Proc child = s.fork(sh, 4243, 100);
  s.exit(child, exited(0), 500, sh);
  s.sigchld(child, sh, 0, 501);
  s.deliver_sigchld(sh, 0x401000, 520, kernel::kSaRestart | kernel::kSaSiginfo);
  Graph graph = s.graph(1000);

  const auto& sig = process(graph, child).sigchld;
  REQUIRE(sig);
  CHECK(sig->result == SigchldResult::delivered);
  CHECK(sig->generated_ns == at_us(501));
  CHECK(sig->delivered_ns == at_us(520));
  CHECK(sig->disposition == SigchldDisposition::handler);
  CHECK(sig->sa_flags == (kernel::kSaRestart | kernel::kSaSiginfo));
}

TEST_CASE("one delivered SIGCHLD stands for every child whose SIGCHLD was already pending", "[model]") {
  Scenario s;
  Proc sh = start_sh(s);
  Proc a = s.fork(sh, 4243, 100, "a");
  Proc b = s.fork(sh, 4244, 101, "b");
  Proc c = s.fork(sh, 4245, 102, "c");
  Proc d = s.fork(sh, 4246, 103, "d");
  s.exit(a, exited(0), 500, sh);
  s.sigchld(a, sh, 0, 500);
  s.exit(b, exited(0), 501, sh);
  s.sigchld(b, sh, 2, 501);  // already pending: merged into a's
  s.exit(c, exited(0), 502, sh);
  s.sigchld(c, sh, 2, 502);
  s.deliver_sigchld(sh, 0x401000, 510);
  s.exit(d, exited(0), 600, sh);
  s.sigchld(d, sh, 0, 600);  // a fresh SIGCHLD, not delivered yet
  Graph with_d_pending = s.graph(700);

  for (Proc p : {a, b, c}) {
    const auto& sig = process(with_d_pending, p).sigchld;
    REQUIRE(sig);
    CHECK(sig->delivered_ns == at_us(510));
    CHECK(sig->disposition == SigchldDisposition::handler);
  }
  CHECK(process(with_d_pending, b).sigchld->result == SigchldResult::pending);
  CHECK_FALSE(process(with_d_pending, d).sigchld->delivered_ns);

  // The next delivery is d's alone: the earlier ones keep their time.
  s.deliver_sigchld(sh, 0x401000, 650);
  Graph delivered = s.graph(700);
  CHECK(process(delivered, d).sigchld->delivered_ns == at_us(650));
  CHECK(process(delivered, a).sigchld->delivered_ns == at_us(510));
}

TEST_CASE("a parent with SIGCHLD set to SIG_IGN has its children auto-reaped, never zombies", "[model]") {
  Scenario s;
  Proc sh = start_sh(s);
  Proc child = s.fork(sh, 4243, 100);
  s.exit(child, exited(0), 500, sh, kernel::kSigIgn);
  s.wait4(sh, -1, 0, -10, 0, 510, 520);  // the kernel left nothing to wait for: ECHILD
  Graph graph = s.graph(1000);

  const Process& autoreaped = process(graph, child);
  CHECK(autoreaped.end_state() == EndState::reaped);
  REQUIRE(autoreaped.reap);
  CHECK(autoreaped.reap->via == ReapVia::autoreap);
  CHECK(autoreaped.reap->ns == at_us(500));
  CHECK(autoreaped.reap->reaper == sh.key());
  CHECK(autoreaped.reap->reaper_pid == 4242);
  CHECK(autoreaped.zombie_ns() == 0u);
  CHECK(no_unreaped_children(graph, process(graph, sh)));
}

TEST_CASE("a parent whose SIGCHLD handler has SA_NOCLDWAIT has its children auto-reaped", "[model]") {
  Scenario s;
  Proc sh = start_sh(s);
  Proc nocldwait = s.fork(sh, 4243, 100);
  Proc handled = s.fork(sh, 4244, 110);
  s.exit(nocldwait, exited(0), 500, sh, 0x401000, kernel::kSaNocldwait);
  // A handler without SA_NOCLDWAIT leaves a zombie for the parent to reap.
  s.exit(handled, exited(0), 600, sh, 0x401000, kernel::kSaRestart);
  Graph graph = s.graph(1000);

  const Process& reaped = process(graph, nocldwait);
  REQUIRE(reaped.reap);
  CHECK(reaped.reap->via == ReapVia::autoreap);
  CHECK(reaped.zombie_ns() == 0u);

  CHECK(process(graph, handled).end_state() == EndState::zombie);
}

TEST_CASE("a child nobody waits for is a zombie at the end", "[model]") {
  Scenario s;
  Proc sh = start_sh(s);
  Proc child = s.fork(sh, 4243, 100);
  s.exit(child, exited(1), 500, sh);
  Graph graph = s.graph(1000);

  const Process& zombie = process(graph, child);
  CHECK(zombie.end_state() == EndState::zombie);
  CHECK(std::string(end_state_name(zombie.end_state())) == "zombie");
  REQUIRE(zombie.exit);
  CHECK(zombie.exit->status().code == 1);
  CHECK_FALSE(zombie.reap);
  CHECK_FALSE(zombie.zombie_ns());
}

TEST_CASE("a process that never exits is running at the end", "[model]") {
  Scenario s;
  Proc sh = start_sh(s);
  Proc daemon = s.fork(sh, 4243, 100, "daemon");
  Graph graph = s.graph(1000);

  const Process& running = process(graph, daemon);
  CHECK(running.end_state() == EndState::running);
  CHECK(std::string(end_state_name(running.end_state())) == "running");
  CHECK_FALSE(running.exit);
  CHECK_FALSE(running.reap);
}

TEST_CASE("a parent's death orphans each live child, and the traced adopter's wait reaps it", "[model]") {
  Scenario s;
  Proc sh = start_sh(s);  // a child subreaper: it adopts its grandchildren
  Proc mid = s.fork(sh, 11, 100, "mid");
  Proc a = s.fork(mid, 12, 200, "a");
  Proc b = s.fork(mid, 13, 210, "b");
  s.exit(mid, exited(0), 300, sh, 0, 0, /*new_reaper=*/sh);
  s.wait4(sh, 11, 0, 11, exited(0), 250, 310);
  s.exit(a, exited(0), 400, sh);
  s.wait4(sh, -1, 0, 12, exited(0), 320, 410);
  Graph graph = s.graph(1000);

  for (Proc orphan : {a, b}) {
    const Process& p = process(graph, orphan);
    REQUIRE(p.rare().orphaned);
    CHECK(p.rare().orphaned->ns == at_us(300));
    CHECK(p.rare().orphaned->old_parent == mid.key());
    CHECK(p.rare().orphaned->new_parent == sh.key());
    CHECK(p.rare().orphaned->new_parent_comm == "sh");
    CHECK(p.parent == sh.key());
    CHECK(p.parent_pid == 4242);
    CHECK(p.fork_parent == mid.key());  // the fork tree does not change
  }

  const Process& reaped = process(graph, a);
  REQUIRE(reaped.reap);
  CHECK(reaped.reap->via == ReapVia::wait4);
  CHECK(reaped.reap->reaper == sh.key());
  CHECK(reaped.reap->ns == at_us(410));
  CHECK(process(graph, b).end_state() == EndState::running);
  CHECK_FALSE(process(graph, sh).rare().orphaned);
}

TEST_CASE("an orphan adopted by an untraced init is released when freed, without a wait", "[model]") {
  Scenario s;
  Proc sh = start_sh(s);
  Proc mid = s.fork(sh, 11, 100, "mid");
  Proc leaf = s.fork(mid, 12, 200, "leaf");
  s.exit(mid, exited(0), 300, sh);  // new reaper: pid 1, not traced
  s.wait4(sh, -1, 0, 11, exited(0), 250, 310);
  s.exit(leaf, exited(0), 500, Proc{1, 0});
  s.free(leaf, 510);
  Graph graph = s.graph(1000);

  const Process& orphan = process(graph, leaf);
  REQUIRE(orphan.rare().orphaned);
  CHECK(orphan.rare().orphaned->new_parent.pid == 1);
  CHECK(orphan.rare().orphaned->new_parent_comm.empty());
  CHECK_FALSE(orphan.parent);
  CHECK(orphan.parent_pid == 1);

  CHECK(orphan.end_state() == EndState::reaped);
  REQUIRE(orphan.reap);
  CHECK(orphan.reap->via == ReapVia::released);
  CHECK(orphan.reap->ns == at_us(510));
  CHECK(orphan.reap->reaper_pid == 1);
  CHECK_FALSE(orphan.reap->reaper);
  CHECK(orphan.zombie_ns() == 10'000u);
}

TEST_CASE("a child freed with no wait seen is released by its traced parent", "[model]") {
  Scenario s;
  Proc sh = start_sh(s);
  Proc child = s.fork(sh, 4243, 100);
  s.exit(child, exited(0), 500, sh);
  s.free(child, 15'500);  // an RCU grace period after a reap proclife did not see
  Graph graph = s.graph(20'000);

  const Process& released = process(graph, child);
  REQUIRE(released.reap);
  CHECK(released.reap->via == ReapVia::released);
  CHECK(std::string(reap_via_name(released.reap->via)) == "released");
  CHECK(released.reap->reaper == sh.key());
  CHECK(released.reap->reaper_pid == 4242);
  CHECK(released.reap->ns == at_us(15'500));
  CHECK(no_unreaped_children(graph, process(graph, sh)));
}

TEST_CASE("the free after a seen wait does not change the reap", "[model]") {
  Scenario s;
  Proc sh = start_sh(s);
  Proc child = s.fork(sh, 4243, 100);
  s.exit(child, exited(0), 500, sh);
  s.wait4(sh, -1, 0, 4243, exited(0), 200, 510);
  s.free(child, 10'500);
  Graph graph = s.graph(20'000);

  const Process& reaped = process(graph, child);
  REQUIRE(reaped.reap);
  CHECK(reaped.reap->via == ReapVia::wait4);
  CHECK(reaped.reap->ns == at_us(510));
}

TEST_CASE("a reused pid makes a second process with its own exit and reap", "[model]") {
  Scenario s;
  Proc sh = start_sh(s);
  Proc first = s.fork(sh, 500, 100, "first");
  s.exit(first, exited(1), 200, sh);
  s.wait4(sh, -1, 0, 500, exited(1), 150, 210);
  s.free(first, 220);
  Proc second = s.fork(sh, 500, 1000, "second");  // same pid, later start time
  s.exit(second, exited(2), 1100, sh);
  s.wait4(sh, -1, 0, 500, exited(2), 1050, 1110);
  s.free(second, 1120);
  Graph graph = s.graph(2000);

  CHECK(graph.processes().size() == 3);
  const Process& one = process(graph, first);
  const Process& two = process(graph, second);
  CHECK(&one != &two);
  CHECK(one.fork_ns == at_us(100));
  CHECK(two.fork_ns == at_us(1000));
  REQUIRE(one.exit);
  REQUIRE(two.exit);
  CHECK(one.exit->status().code == 1);
  CHECK(two.exit->status().code == 2);
  REQUIRE(one.reap);
  REQUIRE(two.reap);
  CHECK(one.reap->ns == at_us(210));
  CHECK(two.reap->ns == at_us(1110));
  CHECK(two.reap->via == ReapVia::wait4);
  CHECK(process(graph, sh).rare().wait_calls.at(1).reaped == second.key());
}

TEST_CASE("threads count towards the process and a thread's exit does not end it", "[model]") {
  Scenario s;
  Proc sh = start_sh(s);
  Proc worker = s.fork(sh, 300, 100, "worker");
  Proc t1 = s.thread(worker, 301, 110);
  s.thread(worker, 302, 120);
  s.thread_exit(t1, 200);
  Graph graph = s.graph(1000);

  const Process& p = process(graph, worker);
  CHECK(p.threads == 3);
  CHECK_FALSE(p.exit);
  CHECK(p.end_state() == EndState::running);
  // A thread is not a child process.
  CHECK(graph.processes().size() == 2);
  CHECK(process(graph, sh).children.size() == 1);
}

TEST_CASE("exit_group from a non-leader thread names that thread, whichever thread dies last", "[model]") {
  auto run = [](bool leader_dies_last) {
    Scenario s;
    Proc sh = start_sh(s);
    Proc worker = s.fork(sh, 300, 100, "worker");
    Proc caller = s.thread(worker, 301, 110);
    if (leader_dies_last) {
      s.group_exit_thread(caller, exited(2), 200, sh, /*caller=*/true, /*last=*/false);
      s.group_exit_thread(worker, exited(2), 201, sh, /*caller=*/false, /*last=*/true);
    } else {
      s.group_exit_thread(worker, exited(2), 200, sh, /*caller=*/false, /*last=*/false);
      s.group_exit_thread(caller, exited(2), 201, sh, /*caller=*/true, /*last=*/true);
    }
    Graph graph = s.graph(1000);
    const Process& p = process(graph, worker);
    REQUIRE(p.exit);
    CHECK(p.exit->ns == at_us(201));
    CHECK(p.exit->status().code == 2);
    CHECK_FALSE(p.exit->status().signal);
    CHECK(p.exit_group_tid == 301u);
    CHECK(p.exit->last_tid == (leader_dies_last ? 300u : 301u));
    CHECK_FALSE(p.rare_parts);  // the group's exit code stands for all: no leader's code kept
  };
  SECTION("the caller exits first") { run(true); }
  SECTION("the zapped leader exits first") { run(false); }
}

TEST_CASE("an exit_group caller whose exit arrives after the process ended does not rewrite its exit", "[model]") {
  // group_dead is the probe's reading of signal->live: two racing threads can both see 0.
  Scenario s;
  Proc sh = start_sh(s);
  Proc worker = s.fork(sh, 300, 100, "worker");
  Proc caller = s.thread(worker, 301, 110);
  s.group_exit_thread(worker, exited(2), 200, sh, /*caller=*/false, /*last=*/true);
  s.group_exit_thread(caller, exited(2), 201, sh, /*caller=*/true, /*last=*/true);
  Graph graph = s.graph(1000);
  const Process& p = process(graph, worker);
  REQUIRE(p.exit);
  CHECK(p.exit->last_tid == 300u);
  CHECK(p.exit_group_tid == std::nullopt);  // as the monitor already wrote it at the exit
}

TEST_CASE("a single-threaded process's exit names its leader as the exit_group caller", "[model]") {
  Scenario s;
  Proc sh = start_sh(s);
  Proc child = s.fork(sh, 4243, 100);
  s.exit(child, exited(0), 500, sh);
  Graph graph = s.graph(1000);
  CHECK(process(graph, child).exit_group_tid == 4243u);
}

TEST_CASE("a process killed by a signal records who sent it", "[model]") {
  Scenario s;
  Proc sh = start_sh(s);
  Proc polite = s.fork(sh, 400, 50, "polite");
  Proc killer = s.fork(sh, 401, 60, "killer");
  Proc victim = s.fork(sh, 402, 70, "victim");
  s.signal(polite, victim, 15, 100, "polite");  // SIGTERM, which victim handles
  s.signal(killer, victim, 9, 150, "killer");
  s.exit(victim, killed(9), 160, sh);
  Graph graph = s.graph(1000);

  const Process& p = process(graph, victim);
  REQUIRE(p.exit);
  CHECK(p.exit->status().signal == 9);
  CHECK(p.exit->status().code == 0);
  REQUIRE(p.rare().killed_by);
  CHECK(p.rare().killed_by->pid == 401);
  CHECK(p.rare().killed_by->tid == 401);
  CHECK(p.rare().killed_by->comm == "killer");
  CHECK(p.rare().killed_by->ns == at_us(150));
  CHECK(p.exit_group_tid == std::nullopt);  // killed, not exit_group()ed
}

TEST_CASE("a process that survives a signal and exits normally has no killer", "[model]") {
  Scenario s;
  Proc sh = start_sh(s);
  Proc sender = s.fork(sh, 400, 50, "sender");
  Proc target = s.fork(sh, 402, 70, "target");
  s.signal(sender, target, 15, 100);
  s.exit(target, exited(0), 160, sh);
  Graph graph = s.graph(1000);
  CHECK_FALSE(process(graph, target).rare().killed_by);
}

TEST_CASE("a core dump is recorded with the signal", "[model]") {
  Scenario s;
  Proc sh = start_sh(s);
  Proc crasher = s.fork(sh, 4243, 100);
  s.signal(crasher, crasher, 11, 150, "crasher");  // the kernel's force_sig() runs in the faulting task
  s.exit(crasher, killed(11, true), 160, sh);
  Graph graph = s.graph(1000);

  const auto& exit = process(graph, crasher).exit;
  REQUIRE(exit);
  CHECK(exit->status().signal == 11);
  CHECK(exit->status().core_dumped);
  CHECK(exit->raw_status == (11u | 0x80u));
  REQUIRE(process(graph, crasher).rare().killed_by);
  CHECK(process(graph, crasher).rare().killed_by->pid == 4243);
}

TEST_CASE("wait4 reporting a stop or a continue does not reap", "[model]") {
  Scenario s;
  Proc sh = start_sh(s);
  Proc child = s.fork(sh, 4243, 100);
  s.wait4(sh, 4243, kernel::kWuntraced, 4243, 0x137f, 200, 300);    // stopped by SIGSTOP
  s.wait4(sh, 4243, kernel::kWcontinued, 4243, 0xffff, 310, 400);  // continued
  Graph stopped = s.graph(450);
  CHECK(process(stopped, child).end_state() == EndState::running);
  CHECK_FALSE(process(stopped, child).reap);

  s.exit(child, exited(0), 500, sh);
  s.wait4(sh, 4243, 0, 4243, exited(0), 450, 510);
  Graph graph = s.graph(1000);
  const Process& reaped = process(graph, child);
  REQUIRE(reaped.reap);
  CHECK(reaped.reap->ns == at_us(510));

  const auto& calls = process(graph, sh).rare().wait_calls;
  REQUIRE(calls.size() == 3);
  CHECK(calls[0].report == WaitReport::stopped);
  CHECK_FALSE(calls[0].reaped);
  CHECK(calls[1].report == WaitReport::continued);
  CHECK_FALSE(calls[1].reaped);
  CHECK(calls[2].reaped == child.key());
}

TEST_CASE("waitid with WNOWAIT leaves the child a zombie for the next wait", "[model]") {
  Scenario s;
  Proc sh = start_sh(s);
  Proc child = s.fork(sh, 4243, 100);
  s.exit(child, exited(0), 200, sh);
  s.waitid(sh, kernel::kPPid, 4243, kernel::kWexited | kernel::kWnowait, 4243, kernel::kCldExited, 250, 260);
  Graph peeked = s.graph(300);
  CHECK(process(peeked, child).end_state() == EndState::zombie);
  CHECK(process(peeked, sh).rare().wait_calls.at(0).report == WaitReport::exited);
  CHECK_FALSE(process(peeked, sh).rare().wait_calls.at(0).reaped);

  s.waitid(sh, kernel::kPPid, 4243, kernel::kWexited, 4243, kernel::kCldExited, 300, 310);
  Graph graph = s.graph(1000);
  const Process& reaped = process(graph, child);
  REQUIRE(reaped.reap);
  CHECK(reaped.reap->via == ReapVia::waitid);
  CHECK(reaped.reap->ns == at_us(310));
  CHECK(reaped.zombie_ns() == 110'000u);
}

TEST_CASE("a waitid WNOHANG that finds nothing counts as a poll", "[model]") {
  Scenario s;
  Proc sh = start_sh(s);
  s.fork(sh, 4243, 100);
  s.waitid(sh, kernel::kPAll, 0, kernel::kWexited | kernel::kWnohang, 0, 0, 200, 201);
  Graph graph = s.graph(1000);
  CHECK(process(graph, sh).rare().waits.wnohang_polls == 1);
}

TEST_CASE("the run root is reaped by proclife, the observer", "[model]") {
  Scenario s;
  Proc sh = s.root(4242);
  s.exec(sh, "/bin/sh", {"sh", "-c", "exit 3"}, 10);
  s.exit(sh, exited(3), 500, Proc{kObserver, 0});
  s.observer_reaps(sh, 20, 510);
  Graph graph = s.graph(1000);

  CHECK(graph.processes().size() == 1);  // proclife itself is not part of the graph
  const Process& root = process(graph, sh);
  CHECK_FALSE(root.pre_existing);
  CHECK(root.fork_ns == at_us(0));
  CHECK(root.parent_pid == kObserver);
  REQUIRE(root.exit);
  CHECK(root.exit->status().code == 3);
  CHECK(root.end_state() == EndState::reaped);
  REQUIRE(root.reap);
  CHECK(root.reap->via == ReapVia::waitid);
  CHECK(root.reap->reaper_pid == kObserver);
  CHECK(root.reap->reaper_comm == "proclife");
  CHECK_FALSE(root.reap->reaper);
  CHECK(root.zombie_ns() == 10'000u);
}

TEST_CASE("the clone flags name how a child was made", "[model]") {
  constexpr uint64_t kCloneVm = 0x100, kCloneVfork = 0x4000;
  Scenario s;
  Proc sh = start_sh(s);
  Proc forked = s.fork(sh, 11, 100);
  s.clone_return(sh, forked, CloneSyscall::fork, 0, 101);
  Proc spawned = s.fork(sh, 12, 200);
  s.clone_return(sh, spawned, CloneSyscall::clone3, kCloneVm | kCloneVfork, 201);
  Proc vforked = s.fork(sh, 13, 300);
  s.clone_return(sh, vforked, CloneSyscall::vfork, 0, 301);
  Proc cloned = s.fork(sh, 14, 400);
  s.clone_return(sh, cloned, CloneSyscall::clone, kCloneVm, 401);
  Graph graph = s.graph(1000);

  CHECK(std::string(clone_kind_name(process(graph, forked))) == "fork");
  CHECK(std::string(clone_kind_name(process(graph, spawned))) == "spawn");
  CHECK(std::string(clone_kind_name(process(graph, vforked))) == "vfork");
  CHECK(std::string(clone_kind_name(process(graph, cloned))) == "clone");
}

TEST_CASE("an attach seed forked between the two /proc scans stays one process") {
  Graph graph({kOrigin, 0, 0});
  Scenario scenario;
  Proc shell{50, at_us(0)};
  graph.seed_pre_existing(50, 1, "sh");
  graph.seed_pre_existing(60, 50, "sleep");  // seen by the second scan only
  Proc child = scenario.fork(shell, 60, 10, "sleep");
  scenario.exit(child, exited(0), 20, shell);
  scenario.wait4(shell, -1, 0, 60, exited(0), 15, 21);
  for (const auto& event : scenario.events) graph.apply(event);
  size_t sixties = 0;
  for (const auto& process : graph.processes()) sixties += process.key.pid == 60;
  CHECK(sixties == 1);
  const Process* sleeper = graph.find(child.key());
  REQUIRE(sleeper);
  CHECK(sleeper->end_state() == EndState::reaped);
  CHECK_FALSE(sleeper->pre_existing);
}

TEST_CASE("a signal the kernel generated names no sender process") {
  Scenario scenario;
  Proc sh = scenario.root(10);
  Proc child = scenario.fork(sh, 11, 5);
  scenario.signal(Proc{7, at_us(0)}, child, 2, 8, "kworker/u4:1");
  scenario.events.back().body = [&] {
    auto sig = std::get<SignalGenerateEvent>(scenario.events.back().body);
    sig.info_code = 0x80;  // SI_KERNEL: the terminal's Ctrl-C
    return EventBody{sig};
  }();
  scenario.exit(child, killed(2), 9, sh);
  Graph graph = scenario.graph(20);
  const auto& killed_by = graph.find(child.key())->rare().killed_by;
  REQUIRE(killed_by);
  CHECK(killed_by->from_kernel);
}

TEST_CASE("wait(-1) reaping 20,000 children oldest first stays linear") {
  Scenario scenario;
  Proc parent = scenario.root(10);
  std::vector<Proc> children;
  for (uint32_t i = 0; i < 20000; ++i) children.push_back(scenario.fork(parent, 1000 + i, 1 + i, "child"));
  for (uint32_t i = 0; i < 20000; ++i) scenario.exit(children[i], exited(0), 30000 + i, parent);
  for (uint32_t i = 0; i < 20000; ++i) scenario.wait4(parent, -1, 0, 1000 + i, exited(0), 60000 + i, 60000 + i);
  Graph graph = scenario.graph(90000);
  size_t reaped = 0;
  for (const auto& process : graph.processes()) reaped += process.end_state() == EndState::reaped;
  CHECK(reaped == 20000);
}

TEST_CASE("CLONE_PARENT: the child belongs to its creator's parent, who reaps it") {
  Scenario scenario;
  Proc grandparent = scenario.root(10);
  Proc creator = scenario.fork(grandparent, 11, 1);
  Proc child = scenario.fork(creator, 12, 2);
  CloneReturnEvent ret;
  ret.child = child.task();
  ret.flags = 0x8000 | kernel::kSigchld;  // CLONE_PARENT
  ret.syscall = CloneSyscall::clone;
  ret.flags_known = true;
  ret.ret = 12;
  scenario.events.push_back(Event{at_us(2), 0, creator.task(), ret});
  scenario.exit(creator, exited(0), 3, grandparent);
  scenario.exit(child, exited(0), 4, grandparent);
  scenario.wait4(grandparent, -1, 0, 12, exited(0), 4, 5);
  Graph graph = scenario.graph(10);
  const Process* process = graph.find(child.key());
  CHECK_FALSE(process->rare().orphaned);
  REQUIRE(process->reap);
  CHECK(process->reap->reaper_pid == grandparent.pid);
}

TEST_CASE("adopting seeded processes is linear: 200,000 found by attach, each then seen", "[model][attach]") {
  // Each adoption used to rename its placeholder key in every process: hours
  // for a large host. Now only the processes that name it are touched.
  constexpr uint32_t kCount = 200'000;
  Graph graph(GraphOptions{kOrigin, 0, 0});
  graph.seed_pre_existing(2, 1, "init-child");
  for (uint32_t pid = 3; pid < kCount; ++pid) graph.seed_pre_existing(pid, pid - 1, "p");  // a chain
  auto start = std::chrono::steady_clock::now();
  for (uint32_t pid = 2; pid < kCount; ++pid) {
    Event event{at_us(pid), 0, TaskId{pid, pid, 7'000 + pid}, WaitEnterEvent{0}};
    graph.apply(event);
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  CHECK(seconds < 10.0);  // quadratic: minutes
  // Every parent link names the real key.
  for (uint32_t pid : {3u, 1000u, kCount - 1}) {
    const Process* p = graph.find({pid, 7'000 + pid});
    REQUIRE(p);
    REQUIRE(p->parent);
    CHECK(*p->parent == ProcKey{pid - 1, 7'000 + pid - 1});
    CHECK(*p->fork_parent == ProcKey{pid - 1, 7'000 + pid - 1});
  }
}

TEST_CASE("CLONE_PARENT from the fork record: the observer hears of the child under its real parent", "[model]") {
  struct ParentOf : GraphObserver {
    std::optional<ProcKey> parent;
    void on_fork(const Graph&, const Process& child) override { parent = child.parent; }
  } observer;
  Scenario scenario;
  Proc grandparent = scenario.root(10);
  Proc creator = scenario.fork(grandparent, 11, 1);
  Proc child = scenario.fork(creator, 12, 2);
  auto& fork = scenario.last<ForkEvent>();
  fork.clone_syscall = CloneSyscall::clone;
  fork.clone_flags = kernel::kCloneParent | kernel::kSigchld;
  fork.clone_flags_known = true;
  scenario.exit(creator, exited(0), 3, grandparent);
  scenario.exit(child, exited(0), 4, grandparent);
  scenario.wait4(grandparent, -1, 0, 12, exited(0), 4, 5);

  Graph graph({kOrigin, kObserver, 10});
  graph.set_observer(&observer);
  for (size_t i = 0; i < 3; ++i) graph.apply(scenario.events[i]);
  REQUIRE(observer.parent);
  CHECK(*observer.parent == grandparent.key());
  for (size_t i = 3; i < scenario.events.size(); ++i) graph.apply(scenario.events[i]);
  graph.finish(at_us(10));
  const Process* process = graph.find(child.key());
  REQUIRE(process);
  CHECK(process->clone_syscall == CloneSyscall::clone);
  CHECK_FALSE(process->rare().orphaned);
  REQUIRE(process->reap);
  CHECK(process->reap->reaper_pid == grandparent.pid);
}

TEST_CASE("threads counted in the kernel arrive with the process's exit", "[model]") {
  Scenario s;
  Proc sh = start_sh(s);
  Proc worker = s.fork(sh, 300, 100, "worker");
  s.exit(worker, exited(0), 200, sh);
  s.last<ExitEvent>().thread_forks = 4;
  Graph graph = s.graph(1000);
  CHECK(process(graph, worker).threads == 5);
}

TEST_CASE("a pid namespace level deeper than the kernel nests saturates rather than wraps to the host's", "[model]") {
  Graph graph(GraphOptions{.origin_ns = kOrigin});
  Event fork;
  fork.ns = at_us(10);
  fork.task = {4242, 4242, at_us(0)};
  fork.body = ForkEvent{{4243, 4243, at_us(10)}, 7, 256, kernel::kSigchld, false, "child"};  // a damaged recording
  graph.apply(fork);
  const Process* child = graph.find({4243, at_us(10)});
  REQUIRE(child);
  CHECK(child->ns_level == 255);  // not 0, which would say "the host's namespace"
  CHECK(child->ns_pid == 7);
}
