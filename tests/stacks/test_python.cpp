// The CPython 3.11 reader against the interpreter itself: python_fixture.py
// prints what CPython knows (addresses, names, lines per instruction), and
// the reader must find the same in the running process's memory.
#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>

#include "child.hpp"
#include "python.hpp"
#include "python311.hpp"

using namespace proclife::stacks;
using nlohmann::json;

namespace {

std::string unhex(const std::string& hex) {
  std::string bytes;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) bytes += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
  return bytes;
}

struct Fixture {
  stacks_test::Child child{{PYTHON311, STACKS_SOURCE_DIR "/python_fixture.py"}};
  json facts = json::parse(child.line());
};

}  // namespace

TEST_CASE("CPython 3.11 offsets: python311.hpp matches the installed headers", "[stacks][python]") {
  FILE* out = popen(PYTHON311_OFFSETS, "r");
  REQUIRE(out != nullptr);
  std::map<std::string, uint64_t> compiled;
  char name[64];
  unsigned long long value;
  while (fscanf(out, "%63s %llu", name, &value) == 2) compiled[name] = value;
  REQUIRE(pclose(out) == 0);
  namespace py = py311;
  std::map<std::string, uint64_t> hard_coded = {
      {"code_firstlineno", py::code_firstlineno}, {"code_filename", py::code_filename},
      {"code_qualname", py::code_qualname},       {"code_linetable", py::code_linetable},
      {"code_code_adaptive", py::code_code_adaptive}, {"ascii_length", py::ascii_length},
      {"ascii_state", py::ascii_state},           {"state_kind_mask", py::state_kind_mask},
      {"state_compact_mask", py::state_compact_mask}, {"state_ascii_mask", py::state_ascii_mask},
      {"ascii_size", py::ascii_size},             {"compact_size", py::compact_size},
      {"bytes_size", py::bytes_size},             {"bytes_sval", py::bytes_sval},
  };
  CHECK(compiled == hard_coded);
}

TEST_CASE("the 3.11 location table decodes to the line CPython gives every instruction", "[stacks][python]") {
  Fixture fixture;
  size_t instructions = 0;
  for (const json& code : fixture.facts["tables"]) {
    std::string table = unhex(code["linetable"]);
    uint32_t first = code["firstlineno"];
    const json& lines = code["lines"];
    for (size_t unit = 0; unit < lines.size(); ++unit, ++instructions) {
      INFO(code["qualname"].get<std::string>() << " code unit " << unit);
      REQUIRE(python_line(table, first, static_cast<int64_t>(unit)) == lines[unit].get<uint32_t>());
    }
  }
  CHECK(instructions > 10000);  // argparse: enough variety (long forms, no-location entries)
  CHECK(python_line("", 7, -1) == 7);  // before the first instruction: the definition's line
}

TEST_CASE("code objects read from a running 3.11 process: names, file, first line, lines", "[stacks][python]") {
  Fixture fixture;
  pid_t pid = fixture.child.pid();
  auto runtime = find_python_runtime(pid);
  REQUIRE(runtime);
  CHECK(runtime->runtime_address == fixture.facts["runtime"].get<uint64_t>());
  CHECK(runtime->version == fixture.facts["hexversion"].get<uint64_t>());
  CHECK(runtime->supported());

  PythonCodeCache codes;
  std::vector<std::string> qualnames;
  for (const json& expected : fixture.facts["named"]) {
    const PythonCode* code = codes.get(pid, expected["id"]);
    REQUIRE(code != nullptr);
    qualnames.push_back(code->qualname);
    CHECK(code->qualname == expected["qualname"].get<std::string>());
    CHECK(code->filename == expected["filename"].get<std::string>());
    CHECK(code->firstlineno == expected["firstlineno"].get<uint32_t>());
    CHECK(code->linetable == unhex(expected["linetable"]));
  }
  // ASCII, one, two and four bytes a character.
  CHECK(qualnames == std::vector<std::string>{"Outer.method", "Outer.method.<locals>.inner", "naïve", "函数", "𠀀ar",
                                              "lines_demo"});

  // A running frame: its instruction as the probe reads it (prev_instr).
  const json& frame = fixture.facts["frame"];
  uint64_t address = frame["code"];
  const PythonCode* code = codes.get(pid, address);
  REQUIRE(code != nullptr);
  CHECK(code->qualname == "running");
  uint64_t prev_instr = address + py311::code_code_adaptive + frame["lasti"].get<uint64_t>();
  CHECK(python_frame_line(*code, address, prev_instr) == frame["lineno"].get<uint32_t>());

  fixture.child.finish();
  // Cached: still answered after the process is gone; an unknown one is not.
  CHECK(codes.get(pid, address) == code);
  CHECK(codes.get(pid, address + 8) == nullptr);
}

TEST_CASE("a process that is not Python has no runtime", "[stacks][python]") {
  stacks_test::Child sleeper({"/bin/cat"});
  CHECK_FALSE(find_python_runtime(sleeper.pid()));
}
