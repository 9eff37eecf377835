# Ground truth for the CPython 3.11 reader, from the interpreter itself: prints
# one JSON line (code objects with their addresses, names, location tables
# and the line of every instruction; a running frame's instruction and line;
# &_PyRuntime), then waits for stdin to close so the test can read it alive.
import argparse
import ctypes
import json
import sys
import types


class Outer:
    def method(self):
        def inner():
            return 1
        return inner


# Names of one (Latin-1), two (BMP) and four bytes a character.
def naïve():
    return 0


def 函数():
    return 0


def 𠀀ar():
    return 0


def lines_demo(n):
    total = 0
    for i in range(n):
        if i % 2:
            total += i
        else:
            total -= 1
    try:
        total /= 0
    except ZeroDivisionError:
        pass
    return total


def running():
    frame = sys._getframe()
    return {"code": id(frame.f_code), "lasti": frame.f_lasti, "lineno": frame.f_lineno}


def every_code(code):
    yield code
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from every_code(const)


def describe(code):
    lines = [0] * (len(code.co_code) // 2)
    for start, end, line in code.co_lines():
        for unit in range(start // 2, end // 2):
            lines[unit] = line or 0
    return {
        "id": id(code),
        "qualname": code.co_qualname,
        "filename": code.co_filename,
        "firstlineno": code.co_firstlineno,
        "linetable": code.co_linetable.hex(),
        "lines": lines,
    }


named = [Outer.method.__code__, Outer().method().__code__, naïve.__code__, 函数.__code__, 𠀀ar.__code__, lines_demo.__code__]
tables = [describe(c) for f in vars(argparse).values() if isinstance(f, types.FunctionType) for c in every_code(f.__code__)]
tables += [describe(c) for cls in vars(argparse).values() if isinstance(cls, type)
           for f in vars(cls).values() if isinstance(f, types.FunctionType) for c in every_code(f.__code__)]
print(json.dumps({
    "hexversion": sys.hexversion,
    "runtime": ctypes.addressof(ctypes.c_char.in_dll(ctypes.pythonapi, "_PyRuntime")),
    "named": [describe(c) for c in named],
    "tables": tables,
    "frame": running(),
}), flush=True)
sys.stdin.read()
