// Compiled, not run, by two CTests: with every handler it must compile; with
// PROCLIFE_FORGET_A_KIND (the clone_return handler left out) the compiler
// must refuse it. That is the promise dispatch() makes to every consumer of
// events: a new kind in PROCLIFE_EVENT_KINDS cannot be forgotten silently.
#include "events.hpp"

namespace proclife {

int count_kind(const Event& event) {
  return dispatch(
      event.body, [](const ForkEvent&) { return 1; }, [](const ExecEvent&) { return 2; },
      [](const ExitEvent&) { return 3; }, [](const FreeEvent&) { return 4; },
      [](const WaitEnterEvent&) { return 5; }, [](const WaitExitEvent&) { return 6; },
      [](const SignalGenerateEvent&) { return 7; }, [](const SignalDeliverEvent&) { return 8; },
      [](const StackEvent&) { return 10; }
#ifndef PROCLIFE_FORGET_A_KIND
      ,
      [](const CloneReturnEvent&) { return 9; }
#endif
  );
}

}  // namespace proclife
