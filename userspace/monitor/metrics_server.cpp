#include "metrics_server.hpp"

#include <arpa/inet.h>
#include <poll.h>
#include <sys/socket.h>

// Boost.Beast is header-only: the release binary stays free of shared
// libraries beyond glibc (a compiled HTTP library would pull in TLS too).
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <atomic>
#include <charconv>
#include <cstring>
#include <thread>
#include <utility>

namespace proclife::monitor {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

constexpr int kStopPollMs = 100;  // how soon stop() is noticed
constexpr int kClientTimeoutSeconds = 5;
constexpr const char* kContentType = "text/plain; version=0.0.4; charset=utf-8";

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
  asio::io_context io;
  tcp::acceptor acceptor{io};
  Render render;
  std::atomic<bool> stopping{false};
  std::thread thread;
};

namespace {

// One scrape at a time is plenty for Prometheus; a stuck client costs at
// most the socket timeout, never the monitor's event loop (another thread).
void serve_one(tcp::socket& socket, const MetricsServer::Render& render) {
  timeval timeout{kClientTimeoutSeconds, 0};
  ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
  beast::flat_buffer buffer;
  http::request<http::string_body> request;
  beast::error_code ec;
  http::read(socket, buffer, request, ec);
  if (ec) return;
  http::response<http::string_body> response;
  response.version(request.version());
  response.keep_alive(false);
  response.set(http::field::server, "proclife");
  if (request.method() != http::verb::get && request.method() != http::verb::head) {
    response.result(http::status::method_not_allowed);
  } else if (request.target() != "/metrics") {
    response.result(http::status::not_found);
    response.set(http::field::content_type, "text/plain; charset=utf-8");
    response.body() = "not found: try /metrics\n";
  } else {
    response.result(http::status::ok);
    response.set(http::field::content_type, kContentType);
    response.body() = render();
  }
  response.prepare_payload();
  if (request.method() == http::verb::head) response.body().clear();
  http::write(socket, response, ec);
  socket.shutdown(tcp::socket::shutdown_send, ec);
}

void accept_loop(MetricsServer::State& state) {
  int listen_fd = state.acceptor.native_handle();
  while (!state.stopping) {
    pollfd ready{listen_fd, POLLIN, 0};
    if (::poll(&ready, 1, kStopPollMs) <= 0) continue;
    beast::error_code ec;
    tcp::socket socket(state.io);
    state.acceptor.accept(socket, ec);
    if (!ec) serve_one(socket, state.render);
  }
}

}  // namespace

MetricsServer::MetricsServer(std::unique_ptr<State> state, uint16_t port) : state_(std::move(state)), port_(port) {}

MetricsServer::~MetricsServer() { stop(); }

std::unique_ptr<MetricsServer> MetricsServer::start(const ListenAddress& address, Render render,
                                                    std::string& error) {
  auto state = std::make_unique<State>();
  state->render = std::move(render);
  beast::error_code ec;
  tcp::endpoint endpoint(asio::ip::make_address(address.host, ec), address.port);
  tcp::acceptor& acceptor = state->acceptor;
  if (!ec) acceptor.open(endpoint.protocol(), ec);
  // SO_REUSEADDR allows a restart while old connections linger in TIME_WAIT;
  // never SO_REUSEPORT, which would let a second monitor silently share the port.
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    error = "cannot listen on " + address.to_string() + ": " + std::strerror(ec.value());
    return nullptr;
  }
  uint16_t port = acceptor.local_endpoint(ec).port();
  State* shared = state.get();
  state->thread = std::thread([shared] { accept_loop(*shared); });
  return std::unique_ptr<MetricsServer>(new MetricsServer(std::move(state), port));
}

void MetricsServer::stop() {
  if (!state_ || !state_->thread.joinable()) return;
  state_->stopping = true;
  state_->thread.join();
  beast::error_code ec;
  state_->acceptor.close(ec);
}

}  // namespace proclife::monitor
