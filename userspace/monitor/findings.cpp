#include "findings.hpp"

#include <algorithm>
#include <utility>

namespace proclife::monitor {

std::string_view sigchld_disposition_name(SigchldDisposition disposition) {
  switch (disposition) {
    case SigchldDisposition::default_action: return "default";
    case SigchldDisposition::ignored: return "ignored";
    case SigchldDisposition::handler: return "handler";
    case SigchldDisposition::unknown: break;
  }
  return "unknown";
}

std::string_view finding_kind_name(FindingKind kind) {
  switch (kind) {
    case FindingKind::zombie: return "zombie";
    case FindingKind::orphan: return "orphan";
    case FindingKind::slow_reap: return "slow_reap";
    case FindingKind::unreaped_children: return "unreaped_children";
  }
  return "unknown";
}

FindingsEngine::FindingsEngine(FindingsConfig config) : config_(config) {}

ParentRef FindingsEngine::parent_ref(const ProcessKey& key) const {
  auto it = parents_.find(key);
  if (it == parents_.end()) return {key, {}, {}};
  return {key, it->second.comm, it->second.state};
}

void FindingsEngine::add_child(const ParentRef& parent, uint64_t ts_ns, std::vector<Finding>& out) {
  Parent& record = parents_[parent.key];
  // The newest fact about the parent wins: it may have exec'd or changed its handler.
  record.comm = parent.comm;
  record.state = parent.state;
  ++record.zombies;
  if (record.zombies > config_.unreaped_children_limit && !record.over_limit) {
    record.over_limit = true;
    Finding finding{FindingKind::unreaped_children, ts_ns, parent.key, parent.comm, parent};
    finding.unreaped_children = record.zombies;
    out.push_back(std::move(finding));
  }
}

void FindingsEngine::remove_child(const ProcessKey& parent) {
  auto it = parents_.find(parent);
  if (it == parents_.end()) return;
  Parent& record = it->second;
  if (--record.zombies == 0) {
    parents_.erase(it);
    return;
  }
  if (record.zombies <= config_.unreaped_children_limit) record.over_limit = false;
}

std::vector<Finding> FindingsEngine::on_exit(const ExitFact& fact) {
  std::vector<Finding> out;
  if (zombies_.count(fact.process)) return out;
  if (zombies_.size() >= config_.max_zombies) {
    ++untracked_zombies_;
    return out;
  }
  zombies_.emplace(fact.process, Zombie{fact.comm, fact.exit_ns, fact.parent.key});
  add_child(fact.parent, fact.exit_ns, out);
  return out;
}

std::vector<Finding> FindingsEngine::on_reap(const ReapFact& fact) {
  std::vector<Finding> out;
  auto it = zombies_.find(fact.process);
  if (it == zombies_.end()) return out;
  const Zombie& zombie = it->second;
  uint64_t zombie_ns = fact.reap_ns > zombie.exit_ns ? fact.reap_ns - zombie.exit_ns : 0;
  if (zombie.reported) {
    Finding finding{FindingKind::zombie, fact.reap_ns, fact.process, zombie.comm, fact.reaper, zombie_ns};
    finding.reaped = true;
    out.push_back(std::move(finding));
  }
  // Independent of the zombie rule: a long zombie, once reaped, is also a slow reap.
  if (zombie_ns > config_.slow_reap_threshold_ns)
    out.push_back(Finding{FindingKind::slow_reap, fact.reap_ns, fact.process, zombie.comm, fact.reaper, zombie_ns});
  remove_child(zombie.parent);
  zombies_.erase(it);
  return out;
}

std::vector<Finding> FindingsEngine::on_adopt(const AdoptFact& fact) {
  std::vector<Finding> out;
  Finding orphan{FindingKind::orphan, fact.ts_ns, fact.process, fact.comm, fact.new_parent};
  orphan.previous_parent = fact.previous_parent;
  orphan.previous_parent_comm = fact.previous_parent_comm;
  orphan.by_subreaper = fact.by_subreaper;
  out.push_back(std::move(orphan));
  // A zombie whose parent died is now the adopter's to reap.
  if (auto it = zombies_.find(fact.process); it != zombies_.end()) {
    remove_child(it->second.parent);
    it->second.parent = fact.new_parent.key;
    add_child(fact.new_parent, fact.ts_ns, out);
  }
  return out;
}

void FindingsEngine::on_parent_state(const ProcessKey& parent, const ParentState& state) {
  // Parents without zombies are not tracked: their next child's exit brings the state.
  if (auto it = parents_.find(parent); it != parents_.end()) it->second.state = state;
}

std::vector<Finding> FindingsEngine::tick(uint64_t now_ns) {
  std::vector<Finding> out;
  for (auto& [key, zombie] : zombies_) {
    if (zombie.reported || now_ns < zombie.exit_ns || now_ns - zombie.exit_ns < config_.zombie_threshold_ns) continue;
    zombie.reported = true;
    out.push_back(Finding{FindingKind::zombie, now_ns, key, zombie.comm, parent_ref(zombie.parent),
                          now_ns - zombie.exit_ns});
  }
  return out;
}

uint64_t FindingsEngine::oldest_zombie_exit_ns() const {
  uint64_t oldest = 0;
  for (const auto& [key, zombie] : zombies_)
    if (oldest == 0 || zombie.exit_ns < oldest) oldest = zombie.exit_ns;
  return oldest;
}

}  // namespace proclife::monitor
