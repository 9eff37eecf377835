// Events back into the records the kernel writes (bpf/proclife_abi.h): the
// inverse of decode_record(), so tests and the userspace benchmark can feed
// the decoder exactly what the ring buffer would hold.
#pragma once

#include <cstdint>
#include <vector>

#include "events.hpp"

namespace proclife {

std::vector<uint8_t> encode_record(const Event& event);

}  // namespace proclife
