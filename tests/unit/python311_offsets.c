/* Compiled, not run, by a CTest: the PL_PY311_* offsets the BPF frame walk
 * uses (bpf/proclife_abi.h) against CPython 3.11's own internal headers
 * (python3.11-dev). A wrong constant stops the compile here. */
#define Py_BUILD_CORE 1
#include <Python.h>
#include <internal/pycore_frame.h>
#include <internal/pycore_interp.h>
#include <internal/pycore_runtime.h>
#include <stddef.h>

#include "proclife_abi.h"

#if PY_MAJOR_VERSION != 3 || PY_MINOR_VERSION != 11
#error "these are CPython 3.11's layouts: compile against python3.11's headers"
#endif

#define SAME(constant, type, member) \
	_Static_assert(offsetof(type, member) == constant, #constant " is not offsetof(" #type ", " #member ")")

SAME(PL_PY311_RUNTIME_INTERPRETERS_HEAD, _PyRuntimeState, interpreters.head);
SAME(PL_PY311_INTERP_THREADS_HEAD, PyInterpreterState, threads.head);
SAME(PL_PY311_TSTATE_NEXT, PyThreadState, next);
SAME(PL_PY311_TSTATE_CFRAME, PyThreadState, cframe);
SAME(PL_PY311_TSTATE_NATIVE_THREAD_ID, PyThreadState, native_thread_id);
SAME(PL_PY311_CFRAME_CURRENT_FRAME, _PyCFrame, current_frame);
SAME(PL_PY311_FRAME_F_CODE, _PyInterpreterFrame, f_code);
SAME(PL_PY311_FRAME_PREVIOUS, _PyInterpreterFrame, previous);
SAME(PL_PY311_FRAME_PREV_INSTR, _PyInterpreterFrame, prev_instr);
SAME(PL_PY311_FRAME_IS_ENTRY, _PyInterpreterFrame, is_entry);
SAME(PL_PY311_FRAME_OWNER, _PyInterpreterFrame, owner);

/* The walk reads these as 8-byte and 1-byte values. */
_Static_assert(sizeof(((PyThreadState *)0)->native_thread_id) == 8, "native_thread_id is read as 8 bytes");
_Static_assert(sizeof(((_PyInterpreterFrame *)0)->is_entry) == 1, "is_entry is read as 1 byte");
_Static_assert(sizeof(((_PyInterpreterFrame *)0)->owner) == 1, "owner is read as 1 byte");
