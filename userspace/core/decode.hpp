// Raw ring-buffer records (bpf/proclife_abi.h) to typed events: the only
// place that reads the record layouts. What the values mean is kernel.hpp's.
#pragma once

#include <cstddef>
#include <optional>

#include "events.hpp"

namespace proclife {

// nullopt for a record that is too short or of an unknown kind; callers count
// it as a decode error (Graph::decode_errors), never drop it unseen.
std::optional<Event> decode_record(const void* data, size_t size);

}  // namespace proclife
