// Prints the CPython 3.11 layout facts the resolver hard-codes
// (userspace/stacks/python311.hpp), compiled from the installed headers.
#define Py_BUILD_CORE 1
#include <Python.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#if PY_MAJOR_VERSION != 3 || PY_MINOR_VERSION != 11
#error "python311.hpp describes CPython 3.11"
#endif

// A bit-field's bits, as the compiler lays them out in the 32-bit state word.
#define STATE_MASK(field, value)               \
  do {                                         \
    PyASCIIObject o;                           \
    unsigned word = 0;                         \
    memset(&o, 0, sizeof o);                   \
    o.state.field = value;                     \
    memcpy(&word, &o.state, sizeof word);      \
    printf("state_" #field "_mask %u\n", word); \
  } while (0)

int main(void) {
  printf("code_firstlineno %zu\n", offsetof(PyCodeObject, co_firstlineno));
  printf("code_filename %zu\n", offsetof(PyCodeObject, co_filename));
  printf("code_qualname %zu\n", offsetof(PyCodeObject, co_qualname));
  printf("code_linetable %zu\n", offsetof(PyCodeObject, co_linetable));
  printf("code_code_adaptive %zu\n", offsetof(PyCodeObject, co_code_adaptive));
  printf("ascii_length %zu\n", offsetof(PyASCIIObject, length));
  printf("ascii_state %zu\n", offsetof(PyASCIIObject, state));
  STATE_MASK(kind, 7);
  STATE_MASK(compact, 1);
  STATE_MASK(ascii, 1);
  printf("ascii_size %zu\n", sizeof(PyASCIIObject));
  printf("compact_size %zu\n", sizeof(PyCompactUnicodeObject));
  printf("bytes_size %zu\n", offsetof(PyVarObject, ob_size));
  printf("bytes_sval %zu\n", offsetof(PyBytesObject, ob_sval));
  return 0;
}
