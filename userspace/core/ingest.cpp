#include "ingest.hpp"

#include "decode.hpp"

namespace proclife {

void ingest_record(Graph& graph, RecordWriter* recorder, const void* data, size_t size,
                   const std::function<void(Event&)>& prepare) {
  auto event = decode_record(data, size);
  if (!event) {
    // The recording holds decoded events only; its trailer carries this count.
    graph.add_decode_errors(1);
    return;
  }
  if (prepare) prepare(*event);
  graph.apply(*event);
  if (recorder) recorder->write(*event);
}

}  // namespace proclife
