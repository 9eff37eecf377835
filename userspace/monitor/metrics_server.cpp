#include "metrics_server.hpp"

#include <arpa/inet.h>
#include <sys/socket.h>
#include <httplib.h>

#include <atomic>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>
#include <thread>
#include <utility>

namespace proclife::monitor {

namespace {

// Enough for a scraper or two; httplib's default pool is one thread per core (at least 8).
constexpr size_t kWorkerThreads = 2;

}  // namespace

std::string ListenAddress::to_string() const {
  bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

std::optional<ListenAddress> parse_listen_address(std::string_view text, std::string& error) {
  auto fail = [&](const std::string& why) {
    error = "invalid listen address '" + std::string(text) + "': " + why;
    return std::nullopt;
  };
  size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) return fail("expected HOST:PORT, [IPV6]:PORT or :PORT");
  std::string_view host = text.substr(0, colon);
  std::string_view port_text = text.substr(colon + 1);

  unsigned port = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || ec != std::errc() || end != port_text.data() + port_text.size() || port > 65535)
    return fail("the port must be a number from 0 to 65535");

  ListenAddress address{"", static_cast<uint16_t>(port)};
  unsigned char buffer[sizeof(in6_addr)];
  if (host.empty()) {
    address.host = "0.0.0.0";
  } else if (host.front() == '[') {
    if (host.back() != ']') return fail("an IPv6 address needs its closing ']'");
    address.host = std::string(host.substr(1, host.size() - 2));
    if (::inet_pton(AF_INET6, address.host.c_str(), buffer) != 1) return fail("not a numeric IPv6 address");
  } else {
    address.host = std::string(host);
    if (address.host.find(':') != std::string::npos) return fail("write an IPv6 address in brackets: [::1]:PORT");
    if (::inet_pton(AF_INET, address.host.c_str(), buffer) != 1) return fail("not a numeric IPv4 address");
  }
  return address;
}

struct MetricsServer::State {
  httplib::Server server;
  std::thread thread;
  std::atomic<bool> finished{false};
};

MetricsServer::MetricsServer(std::unique_ptr<State> state, uint16_t port) : state_(std::move(state)), port_(port) {}

MetricsServer::~MetricsServer() { stop(); }

std::unique_ptr<MetricsServer> MetricsServer::start(const ListenAddress& address, Render render,
                                                    std::string& error) {
  auto state = std::make_unique<State>();
  httplib::Server& server = state->server;
  server.new_task_queue = [] { return new httplib::ThreadPool(kWorkerThreads); };
  // httplib's default sets SO_REUSEPORT, which lets a second monitor bind the
  // same port and silently take half the scrapes. SO_REUSEADDR alone still
  // allows a restart while old connections linger in TIME_WAIT.
  server.set_socket_options([](socket_t sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  server.Get("/metrics", [render = std::move(render)](const httplib::Request&, httplib::Response& response) {
    response.set_content(render(), "text/plain; version=0.0.4; charset=utf-8");
  });

  errno = 0;
  int port = address.port;
  bool bound = port == 0 ? (port = server.bind_to_any_port(address.host)) > 0
                         : server.bind_to_port(address.host, port);
  if (!bound) {
    // httplib reports a bool; errno still holds why bind() or listen() failed.
    error = "cannot listen on " + address.to_string() + ": " + (errno ? std::strerror(errno) : "bind failed");
    return nullptr;
  }

  State* shared = state.get();
  state->thread = std::thread([shared] {
    shared->server.listen_after_bind();
    shared->finished = true;
  });
  // httplib's stop() only acts once the accept loop runs: wait for it, so a
  // stop() right after start() cannot leave the thread listening forever.
  while (!server.is_running() && !state->finished) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  if (state->finished) {
    state->thread.join();
    error = "cannot serve on " + address.to_string();
    return nullptr;
  }
  return std::unique_ptr<MetricsServer>(new MetricsServer(std::move(state), static_cast<uint16_t>(port)));
}

void MetricsServer::stop() {
  if (!state_ || !state_->thread.joinable()) return;
  state_->server.stop();
  state_->thread.join();
}

}  // namespace proclife::monitor
