#include "tree.hpp"

namespace proclife {

ProcessTree build_tree(const Graph& graph) {
  const auto& procs = graph.processes();
  ProcessTree tree;
  tree.children.resize(procs.size());
  for (size_t i = 0; i < procs.size(); ++i) {
    std::optional<size_t> parent;
    if (procs[i].fork_parent) parent = graph.index_of(*procs[i].fork_parent);
    // clone(CLONE_PARENT): the kernel made it its creator's sibling, the
    // child of the creator's parent (proclife for CMD: then a root).
    constexpr uint64_t kCloneParent = 0x8000;
    if (parent && (procs[i].clone_flags & kCloneParent)) {
      const auto& creator = procs[*parent];
      parent = creator.fork_parent ? graph.index_of(*creator.fork_parent) : std::nullopt;
    }
    if (parent) tree.children[*parent].push_back(i);
    else tree.roots.push_back(i);
  }
  return tree;
}

std::vector<size_t> tree_order(const ProcessTree& tree) {
  std::vector<size_t> order;
  order.reserve(tree.children.size());
  std::vector<size_t> stack(tree.roots.rbegin(), tree.roots.rend());
  while (!stack.empty()) {
    size_t index = stack.back();
    stack.pop_back();
    order.push_back(index);
    const auto& children = tree.children[index];
    stack.insert(stack.end(), children.rbegin(), children.rend());
  }
  return order;
}

}  // namespace proclife
