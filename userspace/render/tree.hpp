// The fork tree as renderers walk it: children in fork order, roots first seen first.
#pragma once

#include <vector>

#include "model.hpp"

namespace proclife {

struct ProcessTree {
  std::vector<size_t> roots;
  std::vector<std::vector<size_t>> children;  // by process index, fork order
};

ProcessTree build_tree(const Graph& graph);

// Indices in depth-first tree order: the order people read processes in.
std::vector<size_t> tree_order(const ProcessTree& tree);

}  // namespace proclife
