// Where CPython 3.11 (x86_64) keeps what a stack needs, as compiled from its
// own headers with Py_BUILD_CORE (tests/stacks/python311_offsets.c prints
// them; the unit test "CPython 3.11 offsets" compares the two).
#pragma once

#include <cstdint>

namespace proclife::stacks::py311 {

// PyCodeObject
inline constexpr uint64_t code_firstlineno = 72;  // int
inline constexpr uint64_t code_filename = 112;    // PyObject* (str)
inline constexpr uint64_t code_qualname = 128;    // PyObject* (str)
inline constexpr uint64_t code_linetable = 136;   // PyObject* (bytes)
inline constexpr uint64_t code_code_adaptive = 184;  // the instructions, _Py_CODEUNIT (2 bytes) each
// PyASCIIObject / PyCompactUnicodeObject: a compact string's characters
// follow the struct (ASCII: the first, else the second).
inline constexpr uint64_t ascii_length = 16;  // Py_ssize_t, in characters
inline constexpr uint64_t ascii_state = 32;   // the bit-field struct, as a uint32
inline constexpr uint32_t state_kind_mask = 28;     // 1, 2 or 4 bytes per character
inline constexpr uint32_t state_compact_mask = 32;
inline constexpr uint32_t state_ascii_mask = 64;
inline constexpr uint64_t ascii_size = 48;
inline constexpr uint64_t compact_size = 72;
// PyBytesObject
inline constexpr uint64_t bytes_size = 16;  // ob_size
inline constexpr uint64_t bytes_sval = 32;

}  // namespace proclife::stacks::py311
