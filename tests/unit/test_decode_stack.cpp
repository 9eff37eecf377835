// The stack record is the one variable-length kind: a fixed pl_stack_event,
// then python_count frames, then stack_len bytes. These tests build it byte
// for byte and check that every length it states is checked against the
// bytes that are really there.
#include <catch2/catch.hpp>

#include <cstring>
#include <vector>

#include "decode.hpp"
#include "encode.hpp"
#include "proclife_abi.h"

using namespace proclife;

namespace {

pl_stack_event stack_record() {
  pl_stack_event raw;
  std::memset(&raw, 0, sizeof raw);
  raw.hdr = {PL_EV_STACK, 1, 9'000, 4243, 4242, 4'000};
  raw.site_ns = 9'000;
  raw.site = PL_STACK_SITE_WAIT;
  raw.ip = 0x7f00'0000'1234;
  raw.sp = 0x7ffc'0000'0ff8;
  raw.bp = 0x7ffc'0000'1010;
  raw.bx = 1, raw.r12 = 12, raw.r13 = 13, raw.r14 = 14, raw.r15 = 15;
  return raw;
}

// The record as the ring delivers it: fixed part, frames, stack bytes.
std::vector<uint8_t> with_tail(const pl_stack_event& raw, const std::vector<pl_python_frame>& frames,
                               const std::vector<uint8_t>& stack) {
  std::vector<uint8_t> bytes(sizeof raw);
  std::memcpy(bytes.data(), &raw, sizeof raw);
  for (const auto& frame : frames) {
    auto at = bytes.size();
    bytes.resize(at + sizeof frame);
    std::memcpy(bytes.data() + at, &frame, sizeof frame);
  }
  bytes.insert(bytes.end(), stack.begin(), stack.end());
  return bytes;
}

std::vector<uint8_t> stack_bytes(size_t n) {
  std::vector<uint8_t> bytes(n);
  for (size_t i = 0; i < n; ++i) bytes[i] = static_cast<uint8_t>(i * 7 + 3);
  return bytes;
}

}  // namespace

TEST_CASE("a stack record decodes its site, registers, Python frames and stack bytes", "[decode][stack]") {
  auto raw = stack_record();
  raw.site = PL_STACK_SITE_FORK;
  raw.flags = PL_STACK_TRUNCATED;
  raw.python_walk = PL_PY_WALK_TRUNCATED;
  raw.python_count = 2;
  raw.stack_len = 100;
  std::vector<pl_python_frame> frames{{0xc0de1, 0x1a, 1, 0, {}}, {0xc0de2, 0x2b, 0, 2, {}}};
  auto bytes = with_tail(raw, frames, stack_bytes(100));

  auto event = decode_record(bytes.data(), bytes.size());
  REQUIRE(event);
  CHECK(event->ns == 9'000);
  CHECK(event->task == TaskId{4243, 4242, 4'000});
  const auto& stack = std::get<StackEvent>(event->body);
  CHECK(stack.site == StackSite::fork);
  CHECK(stack.site_ns == 9'000);
  const auto& capture = stack.capture;
  CHECK(capture.ip == 0x7f00'0000'1234);
  CHECK(capture.sp == 0x7ffc'0000'0ff8);
  CHECK(capture.bp == 0x7ffc'0000'1010);
  CHECK((capture.bx == 1 && capture.r12 == 12 && capture.r13 == 13 && capture.r14 == 14 && capture.r15 == 15));
  CHECK(capture.stack_truncated);
  CHECK(capture.stack == stack_bytes(100));
  CHECK(capture.python_walk == PythonWalk::truncated);
  REQUIRE(capture.python.size() == 2);
  CHECK(capture.python[0].code == 0xc0de1);
  CHECK(capture.python[0].prev_instr == 0x1a);
  CHECK(capture.python[0].is_entry);
  CHECK(capture.python[0].owner == 0);
  CHECK(capture.python[1].code == 0xc0de2);
  CHECK_FALSE(capture.python[1].is_entry);
  CHECK(capture.python[1].owner == 2);
}

TEST_CASE("a stack record with no Python frames and no stack bytes still decodes", "[decode][stack]") {
  auto raw = stack_record();
  raw.site = PL_STACK_SITE_EXIT_GROUP;
  auto bytes = with_tail(raw, {}, {});
  auto event = decode_record(bytes.data(), bytes.size());
  REQUIRE(event);
  const auto& stack = std::get<StackEvent>(event->body);
  CHECK(stack.site == StackSite::exit_group);
  CHECK(stack.capture.stack.empty());
  CHECK(stack.capture.python.empty());
  CHECK(stack.capture.python_walk == PythonWalk::not_python);
  CHECK_FALSE(stack.capture.stack_truncated);
}

TEST_CASE("a stack record padded beyond its stated lengths decodes them only", "[decode][stack]") {
  auto raw = stack_record();
  raw.stack_len = 13;
  auto bytes = with_tail(raw, {}, stack_bytes(13));
  bytes.resize(bytes.size() + 3, 0xAA);  // the ring rounds records up to 8 bytes
  auto event = decode_record(bytes.data(), bytes.size());
  REQUIRE(event);
  CHECK(std::get<StackEvent>(event->body).capture.stack == stack_bytes(13));
}

TEST_CASE("a stack record shorter than its lengths say decodes to nothing", "[decode][stack]") {
  auto raw = stack_record();
  raw.python_walk = PL_PY_WALK_COMPLETE;
  raw.python_count = 1;
  raw.stack_len = 64;
  auto bytes = with_tail(raw, {{1, 2, 0, 0, {}}}, stack_bytes(64));
  CHECK(decode_record(bytes.data(), bytes.size()));
  CHECK_FALSE(decode_record(bytes.data(), bytes.size() - 1));  // one stack byte missing
  CHECK_FALSE(decode_record(bytes.data(), sizeof raw + 8));   // into the Python frame
  CHECK_FALSE(decode_record(bytes.data(), sizeof raw));       // the fixed part only
  CHECK_FALSE(decode_record(bytes.data(), sizeof raw - 1));   // not even that
}

TEST_CASE("a stack record whose counts exceed what the kernel can send decodes to nothing", "[decode][stack]") {
  // Enough bytes behind it for either claim: only the bound can refuse it.
  auto big = stack_bytes(PL_STACK_MAX + 1 + (PL_PY_FRAMES_MAX + 1) * sizeof(pl_python_frame));
  auto check_refused = [&](pl_stack_event raw) {
    auto bytes = with_tail(raw, {}, big);
    CHECK_FALSE(decode_record(bytes.data(), bytes.size()));
  };
  auto raw = stack_record();
  raw.stack_len = PL_STACK_MAX + 1;
  check_refused(raw);
  raw = stack_record();
  raw.python_walk = PL_PY_WALK_TRUNCATED;
  raw.python_count = PL_PY_FRAMES_MAX + 1;
  check_refused(raw);
  raw = stack_record();
  raw.python_count = 0xffffffff;  // would overflow a 32-bit size computation
  check_refused(raw);
  raw = stack_record();
  raw.site = PL_STACK_SITE_EXIT_GROUP + 1;
  check_refused(raw);
  raw = stack_record();
  raw.python_walk = PL_PY_WALK_READ_FAILED + 1;
  check_refused(raw);

  // And the largest honest record passes.
  raw = stack_record();
  raw.stack_len = PL_STACK_MAX;
  raw.python_walk = PL_PY_WALK_TRUNCATED;
  raw.python_count = PL_PY_FRAMES_MAX;
  auto bytes = with_tail(raw, std::vector<pl_python_frame>(PL_PY_FRAMES_MAX), stack_bytes(PL_STACK_MAX));
  CHECK(decode_record(bytes.data(), bytes.size()));
}

TEST_CASE("a stack event survives encode and decode", "[decode][stack]") {
  StackEvent stack;
  stack.site = StackSite::exit_group;
  stack.site_ns = 77;
  stack.capture.ip = 0x401000;
  stack.capture.sp = 0x7ffd'0000'0000;
  stack.capture.r15 = 0xf;
  stack.capture.stack = stack_bytes(300);
  stack.capture.stack_truncated = true;
  stack.capture.python = {{0xaa, 0xbb, true, 1}, {0xcc, 0xdd, false, 0}};
  stack.capture.python_walk = PythonWalk::complete;

  auto bytes = encode_record(Event{77, 0, {10, 10, 5}, stack});
  CHECK(bytes.size() == sizeof(pl_stack_event) + 2 * sizeof(pl_python_frame) + 300);
  auto event = decode_record(bytes.data(), bytes.size());
  REQUIRE(event);
  const auto& back = std::get<StackEvent>(event->body);
  CHECK(back.site == StackSite::exit_group);
  CHECK(back.site_ns == 77);
  CHECK(back.capture.ip == 0x401000);
  CHECK(back.capture.sp == 0x7ffd'0000'0000);
  CHECK(back.capture.r15 == 0xf);
  CHECK(back.capture.stack == stack.capture.stack);
  CHECK(back.capture.stack_truncated);
  CHECK(back.capture.python_walk == PythonWalk::complete);
  REQUIRE(back.capture.python.size() == 2);
  CHECK(back.capture.python[0].code == 0xaa);
  CHECK(back.capture.python[0].is_entry);
  CHECK(back.capture.python[0].owner == 1);
  CHECK(back.capture.python[1].prev_instr == 0xdd);
}
