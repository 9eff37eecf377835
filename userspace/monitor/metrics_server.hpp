// Serves GET /metrics for Prometheus from a background thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace proclife::monitor {

struct ListenAddress {
  std::string host;  // a numeric IPv4 or IPv6 address, no brackets
  uint16_t port = 0;

  // "127.0.0.1:9464", "[::1]:9464": how the user wrote it, for messages.
  std::string to_string() const;
};

// "HOST:PORT" with HOST a numeric IPv4 address, "[V6]:PORT" with a numeric
// IPv6 address, or ":PORT" for every IPv4 interface (the same as
// "0.0.0.0:PORT"; "[::]:PORT" listens on IPv6 too). Serving beyond the local
// host is never a default: the user writes the wildcard. No host names, so
// starting the monitor never waits for DNS. nullopt with `error` set when invalid.
std::optional<ListenAddress> parse_listen_address(std::string_view text, std::string& error);

class MetricsServer {
 public:
  using Render = std::function<std::string()>;

  // Binds `address` (port 0: any free port, see port()) and serves `render()`
  // as /metrics. Binding happens before the thread starts, so a taken port is
  // reported here: nullptr with `error` set to
  // "cannot listen on 127.0.0.1:9464: Address already in use".
  static std::unique_ptr<MetricsServer> start(const ListenAddress& address, Render render, std::string& error);

  ~MetricsServer();  // stops
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  uint16_t port() const { return port_; }
  // Closes the socket and joins the thread; idempotent.
  void stop();

 // Defined in the .cpp; public only so its helpers there can name it.
  struct State;

 private:
  explicit MetricsServer(std::unique_ptr<State> state, uint16_t port);
  std::unique_ptr<State> state_;
  uint16_t port_;
};

}  // namespace proclife::monitor
