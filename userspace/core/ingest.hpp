// What happens to each record the probe hands over: decoded, applied to the
// graph and, when recording, written out. Kept out of the session so that a
// malformed record's fate is unit-tested: counted, never dropped unseen.
#pragma once

#include <cstddef>
#include <functional>

#include "model.hpp"
#include "record.hpp"

namespace proclife {

// `recorder` may be null (not recording). `prepare`, when set, sees each
// decoded event before the graph and the recording do (the session's stack
// resolver fills stack events there).
void ingest_record(Graph& graph, RecordWriter* recorder, const void* data, size_t size,
                   const std::function<void(Event&)>& prepare = {});

}  // namespace proclife
