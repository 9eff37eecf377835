// The words the recording and the reports use for a stack's closed value
// sets (stack.hpp), one table each, as kernel.hpp does for the kernel's.
#pragma once

#include <array>

#include "kernel.hpp"
#include "stack.hpp"

namespace proclife {

inline constexpr std::array<Named<StackSite>, 3> kStackSiteNames{{
    {StackSite::wait, "wait"},
    {StackSite::fork, "fork"},
    {StackSite::exit_group, "exit_group"},
}};
inline constexpr std::array<Named<Frame::Kind>, 2> kFrameKindNames{{
    {Frame::Kind::native, "native"},
    {Frame::Kind::python, "python"},
}};
inline std::string_view stack_site_name(StackSite site) { return name_of(kStackSiteNames, site); }
inline std::string_view frame_kind_name(Frame::Kind kind) { return name_of(kFrameKindNames, kind); }

}  // namespace proclife
