// Findings: what the monitor reports about the host's process lifetimes,
// beyond counting them. Pure and driven only by the event timestamps it is
// given (tick() included), so a recording replays to the same findings.
// It knows nothing of the lifetime graph: the caller feeds it small facts.
#pragma once

#include <compare>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace proclife::monitor {

// A process, unambiguously: pids are reused, (pid, start time) is not.
struct ProcessKey {
  int32_t pid = 0;
  uint64_t start_ns = 0;
  auto operator<=>(const ProcessKey&) const = default;
};

enum class SigchldDisposition { unknown, default_action, ignored, handler };
std::string_view sigchld_disposition_name(SigchldDisposition disposition);

// What the parent is doing about its children, as the caller last saw it.
struct ParentState {
  bool waiting_for_other_child = false;  // blocked in a wait for a specific pid other than the zombie's
  SigchldDisposition sigchld = SigchldDisposition::unknown;
};

struct ParentRef {
  ProcessKey key;
  std::string comm;
  ParentState state;
};

enum class FindingKind { zombie, orphan, slow_reap, unreaped_children };
// "zombie", "orphan", "slow_reap", "unreaped_children": the findings_total label values.
std::string_view finding_kind_name(FindingKind kind);

struct Finding {
  FindingKind kind;
  uint64_t ts_ns;        // when the finding was made: the tick, the reap, the adoption, the exit
  ProcessKey process;    // the zombie, orphan or slow-reaped child; for unreaped_children, the parent
  std::string comm;
  ParentRef parent;      // the zombie's parent or reaper, the orphan's new parent; for unreaped_children, the process itself
  uint64_t zombie_ns = 0;  // zombie: age at the tick, or total when reaped; slow_reap: exit to reap
  bool reaped = false;     // zombie: this is the closing finding, the zombie is gone
  // orphan: the parent that died, and whether a subreaper (not init) adopted.
  ProcessKey previous_parent;
  std::string previous_parent_comm;
  bool by_subreaper = false;
  uint32_t unreaped_children = 0;  // unreaped_children: how many the parent holds
};

struct FindingsConfig {
  // Default 60 s: init on some hosts takes a second to reap an adopted orphan,
  // and a parent that is merely busy catches up well within a minute.
  uint64_t zombie_threshold_ns = 60'000'000'000;
  uint64_t slow_reap_threshold_ns = 5'000'000'000;
  uint32_t unreaped_children_limit = 50;
  // Zombies tracked at once; beyond it new zombies are counted, not tracked.
  size_t max_zombies = 65536;
};

struct ExitFact {
  ProcessKey process;
  std::string comm;
  uint64_t exit_ns;
  ParentRef parent;
};

struct ReapFact {
  ProcessKey process;
  uint64_t reap_ns;
  ParentRef reaper;
};

struct AdoptFact {
  ProcessKey process;
  std::string comm;
  uint64_t ts_ns;
  ProcessKey previous_parent;
  std::string previous_parent_comm;
  ParentRef new_parent;
  bool by_subreaper;
};

class FindingsEngine {
 public:
  explicit FindingsEngine(FindingsConfig config = {});

  // A process exited and is now a zombie until reaped (an autoreaped one is
  // reaped at once: call on_reap right after).
  std::vector<Finding> on_exit(const ExitFact& fact);
  std::vector<Finding> on_reap(const ReapFact& fact);
  // Adoption by init or a subreaper; a zombie child moves to its new parent.
  std::vector<Finding> on_adopt(const AdoptFact& fact);
  // The parent's wait or SIGCHLD disposition changed; reported in its children's later findings.
  void on_parent_state(const ProcessKey& parent, const ParentState& state);
  // Zombies whose age reached the threshold at `now_ns`, each reported once.
  std::vector<Finding> tick(uint64_t now_ns);

  size_t zombies() const { return zombies_.size(); }
  // Exit time of the oldest tracked zombie; 0 when none.
  uint64_t oldest_zombie_exit_ns() const;
  // Zombies not tracked because max_zombies were already tracked.
  uint64_t untracked_zombies() const { return untracked_zombies_; }

 private:
  struct Zombie {
    std::string comm;
    uint64_t exit_ns;
    ProcessKey parent;
    bool reported = false;
  };
  struct Parent {
    std::string comm;
    ParentState state;
    uint32_t zombies = 0;
    bool over_limit = false;  // an unreaped_children finding is out; re-armed at or below the limit
  };

  ParentRef parent_ref(const ProcessKey& key) const;
  void add_child(const ParentRef& parent, uint64_t ts_ns, std::vector<Finding>& out);
  void remove_child(const ProcessKey& parent);

  FindingsConfig config_;
  std::map<ProcessKey, Zombie> zombies_;
  std::map<ProcessKey, Parent> parents_;  // only parents holding at least one tracked zombie
  uint64_t untracked_zombies_ = 0;
};

}  // namespace proclife::monitor
