// Decoded kernel events: what the rest of proclife consumes. Built from the
// raw ring-buffer records (decode.cpp) or from a recording (record.cpp), so
// the model and every analysis can be fed synthetic streams in tests.
//
// Every kind is one row of PROCLIFE_EVENT_KINDS below; the variant of bodies,
// the kind names, the decoder, the encoder and the recording all expand it.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

#include "proclife_abi.h"
#include "stack.hpp"

namespace proclife {

// A process is its tgid plus its leader's start time: pids are reused.
struct ProcKey {
  uint32_t pid = 0;
  uint64_t start_ns = 0;  // kernel CLOCK_MONOTONIC, absolute

  bool operator==(const ProcKey&) const = default;
};

struct TaskId {
  uint32_t tid = 0;
  uint32_t tgid = 0;
  uint64_t tgid_start_ns = 0;

  ProcKey process() const { return {tgid, tgid_start_ns}; }
  bool operator==(const TaskId&) const = default;
};

enum class WaitSyscall : uint8_t { wait4, waitid };
enum class CloneSyscall : uint8_t { clone, clone3, fork, vfork };

struct ForkEvent {
  TaskId child;
  uint32_t child_ns_pid = 0;
  uint32_t child_ns_level = 0;
  int32_t child_exit_signal = 0;
  bool shares_mm = false;
  std::string comm;
  // The parent's clone-family call, read at fork time (older probes sent it
  // as a separate CloneReturnEvent): unset when the call was none of them.
  std::optional<CloneSyscall> clone_syscall;
  uint64_t clone_flags = 0;
  bool clone_flags_known = false;
};

struct ExecEvent {
  uint32_t old_tid = 0;
  std::string comm;
  std::string filename;
  std::vector<std::string> argv;
  bool argv_truncated = false;
};

struct ExitEvent {
  uint32_t exit_code = 0;  // task->exit_code, a raw wait status word
  bool group_dead = false;
  uint32_t task_flags = 0;
  uint32_t signal_flags = 0;
  uint32_t group_exit_code = 0;
  int32_t exit_signal = 0;
  uint32_t ns_pid = 0;
  uint32_t ns_level = 0;
  TaskId parent;
  TaskId new_reaper;  // tgid 0 when unknown or not group_dead
  uint64_t parent_sigchld_handler = 0;
  uint32_t parent_sigchld_flags = 0;
  bool ptraced = false;
  std::string comm;
  uint64_t cgroup_id = 0;  // cgroup2 id at exit (not in recordings: 0 there)
  uint32_t thread_forks = 0;  // group_dead: threads it created (counted in the kernel)
};

struct FreeEvent {
  TaskId parent;  // real_parent at release: the reaper (tgid 0 from older probes)
};

struct WaitEnterEvent {
  int32_t target_pid = 0;
};

// When the call began is its thread's last WaitEnterEvent (none: do_wait()
// never ran, bad arguments): the graph pairs them.
struct WaitExitEvent {
  WaitSyscall syscall = WaitSyscall::wait4;
  int32_t which = 0;  // wait4: pid argument; waitid: idtype
  int32_t id = 0;     // waitid: id
  uint32_t options = 0;
  int64_t ret = 0;
  int32_t status = 0;
  int32_t info_code = 0;
  int32_t info_pid = 0;
  bool status_read = false;
};

// What signal_generate and signal_deliver share; the kind says which it was.
struct SignalEvent {
  TaskId target;
  int32_t sig = 0;
  int32_t info_code = 0;
  int32_t info_pid = 0;
  int32_t info_status = 0;
  int32_t result = 0;
  bool group = false;
  uint64_t handler = 0;
  uint64_t sa_flags = 0;
  std::string comm;
};

struct CloneReturnEvent {
  TaskId child;
  uint64_t flags = 0;
  CloneSyscall syscall = CloneSyscall::clone;
  bool flags_known = false;
  int64_t ret = 0;
};

struct SignalGenerateEvent : SignalEvent {};  // the header is the sender
struct SignalDeliverEvent : SignalEvent {};   // the header is the receiver

// The event kinds: X(name, ABI kind, raw record, decoded body), one row each.
// Adding a kind here makes every std::visit over EventBody that lacks a
// handler for it fail to compile (see dispatch()).
#define PROCLIFE_EVENT_KINDS(X)                                                     \
  X(fork, PL_EV_FORK, pl_fork_event, ForkEvent)                                     \
  X(exec, PL_EV_EXEC, pl_exec_event, ExecEvent)                                     \
  X(exit, PL_EV_EXIT, pl_exit_event, ExitEvent)                                     \
  X(free, PL_EV_FREE, pl_free_event, FreeEvent)                                     \
  X(wait_enter, PL_EV_WAIT_ENTER, pl_wait_enter_event, WaitEnterEvent)              \
  X(wait_exit, PL_EV_WAIT_EXIT, pl_wait_exit_event, WaitExitEvent)                  \
  X(signal_generate, PL_EV_SIGNAL_GENERATE, pl_signal_event, SignalGenerateEvent)   \
  X(signal_deliver, PL_EV_SIGNAL_DELIVER, pl_signal_event, SignalDeliverEvent)      \
  X(clone_return, PL_EV_CLONE_RETURN, pl_clone_return_event, CloneReturnEvent)    \
  X(stack, PL_EV_STACK, pl_stack_event, StackEvent)

namespace detail {
template <class Ignored, class... Bodies>
struct VariantOfRest {
  using type = std::variant<Bodies...>;
};
}  // namespace detail

#define PROCLIFE_BODY_TYPE(name, abi, Raw, Body) , Body
using EventBody = detail::VariantOfRest<void PROCLIFE_EVENT_KINDS(PROCLIFE_BODY_TYPE)>::type;
#undef PROCLIFE_BODY_TYPE

// A kind's name, as the recording writes it: "fork", "signal_deliver".
#define PROCLIFE_KIND_NAME(name, abi, Raw, Body) #name,
inline constexpr std::array<std::string_view, std::variant_size_v<EventBody>> kEventKindNames{
    PROCLIFE_EVENT_KINDS(PROCLIFE_KIND_NAME)};
#undef PROCLIFE_KIND_NAME

inline std::string_view event_kind_name(const EventBody& body) { return kEventKindNames[body.index()]; }

// One handler per kind, none for "anything else": a kind without a handler
// is a compile error here, with this message, rather than an event that is
// silently ignored.
template <class... Handlers>
struct Overload : Handlers... {
  using Handlers::operator()...;
};

template <class Handler, class Variant>
struct HandlesEveryKind;
template <class Handler, class... Bodies>
struct HandlesEveryKind<Handler, std::variant<Bodies...>>
    : std::bool_constant<(std::is_invocable_v<Handler, const Bodies&> && ...)> {};

template <class... Handlers>
decltype(auto) dispatch(const EventBody& body, Handlers&&... handlers) {
  Overload<std::decay_t<Handlers>...> overload{std::forward<Handlers>(handlers)...};
  static_assert(HandlesEveryKind<decltype(overload), EventBody>::value,
                "every event kind in PROCLIFE_EVENT_KINDS needs a handler");
  return std::visit(overload, body);
}

struct Event {
  uint64_t ns = 0;  // kernel CLOCK_MONOTONIC
  uint32_t cpu = 0;
  TaskId task;  // the task the event is about (current, or the freed task)
  EventBody body;
};


}  // namespace proclife

template <>
struct std::hash<proclife::ProcKey> {
  size_t operator()(const proclife::ProcKey& k) const noexcept {
    return std::hash<uint64_t>{}(k.start_ns * 0x9E3779B97F4A7C15ull ^ k.pid);
  }
};
