// /metrics over real HTTP: the listen address the user writes, one clear
// error for a taken port, a clean stop, and a page promtool accepts.
#include <catch2/catch.hpp>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <cstdio>
#include <fstream>
#include <optional>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

#include "metrics.hpp"
#include "metrics_server.hpp"

using namespace proclife::monitor;

namespace {

ListenAddress parse_ok(const std::string& text) {
  std::string error;
  auto address = parse_listen_address(text, error);
  INFO(error);
  REQUIRE(address);
  return *address;
}

struct Reply {
  int status = 0;
  std::string content_type;
  std::string body;
};

// A plain HTTP/1.1 GET, as Prometheus scrapes; nullopt when nothing answers.
std::optional<Reply> http_get(uint16_t port, const std::string& target) {
  namespace beast = boost::beast;
  namespace http = beast::http;
  boost::asio::io_context io;
  boost::asio::ip::tcp::socket socket(io);
  beast::error_code ec;
  socket.connect({boost::asio::ip::make_address("127.0.0.1"), port}, ec);
  if (ec) return std::nullopt;
  http::request<http::empty_body> request{http::verb::get, target, 11};
  request.set(http::field::host, "127.0.0.1");
  http::write(socket, request, ec);
  if (ec) return std::nullopt;
  beast::flat_buffer buffer;
  http::response<http::string_body> response;
  http::read(socket, buffer, response, ec);
  if (ec) return std::nullopt;
  return Reply{static_cast<int>(response.result_int()), std::string(response[http::field::content_type]),
               response.body()};
}

std::string parse_error(const std::string& text) {
  std::string error;
  CHECK_FALSE(parse_listen_address(text, error));
  return error;
}

}  // namespace

TEST_CASE("parse_listen_address takes IPv4, bracketed IPv6 and :PORT", "[monitor][server]") {
  CHECK(parse_ok("127.0.0.1:9464").host == "127.0.0.1");
  CHECK(parse_ok("127.0.0.1:9464").port == 9464);
  CHECK(parse_ok("[::1]:9464").host == "::1");
  CHECK(parse_ok("[::1]:9464").to_string() == "[::1]:9464");
  CHECK(parse_ok(":9464").host == "0.0.0.0");
  CHECK(parse_ok("0.0.0.0:0").port == 0);
}

TEST_CASE("parse_listen_address explains what is wrong", "[monitor][server]") {
  CHECK(parse_error("9464") == "invalid listen address '9464': expected HOST:PORT, [IPV6]:PORT or :PORT");
  CHECK(parse_error("127.0.0.1:99999").find("port must be a number from 0 to 65535") != std::string::npos);
  CHECK(parse_error("127.0.0.1:").find("port must be") != std::string::npos);
  CHECK(parse_error("127.0.0.1:94x").find("port must be") != std::string::npos);
  CHECK(parse_error("localhost:9464").find("not a numeric IPv4 address") != std::string::npos);
  CHECK(parse_error("::1:9464").find("in brackets") != std::string::npos);
  CHECK(parse_error("[::1:9464").find("closing ']'") != std::string::npos);
  CHECK(parse_error("[nope]:9464").find("not a numeric IPv6 address") != std::string::npos);
}

TEST_CASE("MetricsServer serves the registry at /metrics and nothing else", "[monitor][server]") {
  Registry registry;
  MonitorMetrics metrics(registry);
  std::string error;
  auto server = MetricsServer::start(parse_ok("127.0.0.1:0"), [&] { return registry.render(); }, error);
  INFO(error);
  REQUIRE(server);
  REQUIRE(server->port() != 0);

  metrics.forks.inc(7);
  auto response = http_get(server->port(), "/metrics");
  REQUIRE(response);
  CHECK(response->status == 200);
  CHECK(response->content_type == "text/plain; version=0.0.4; charset=utf-8");
  CHECK(response->body == registry.render());
  CHECK(response->body.find("proclife_forks_total 7\n") != std::string::npos);

  auto other = http_get(server->port(), "/");
  REQUIRE(other);
  CHECK(other->status == 404);

  server->stop();
  server->stop();
  CHECK_FALSE(http_get(server->port(), "/metrics"));
}

TEST_CASE("MetricsServer reports a taken port before serving", "[monitor][server]") {
  std::string error;
  auto first = MetricsServer::start(parse_ok("127.0.0.1:0"), [] { return std::string(); }, error);
  REQUIRE(first);
  ListenAddress taken{"127.0.0.1", first->port()};
  auto second = MetricsServer::start(taken, [] { return std::string(); }, error);
  CHECK_FALSE(second);
  CHECK(error == "cannot listen on " + taken.to_string() + ": Address already in use");
}

TEST_CASE("MetricsServer stops at once when stopped right after starting", "[monitor][server]") {
  for (int i = 0; i < 20; ++i) {
    std::string error;
    auto server = MetricsServer::start(parse_ok("127.0.0.1:0"), [] { return std::string(); }, error);
    REQUIRE(server);
  }  // the destructor stops; a hang here hits the ctest timeout
}

TEST_CASE("promtool accepts the scraped page", "[monitor][server][promtool]") {
  Registry registry;
  MonitorMetrics metrics(registry);
  metrics.exits.at("signal").inc();
  metrics.zombie_seconds.observe(0.3);
  metrics.oldest_zombie_age_seconds.set(12.5);
  std::string error;
  auto server = MetricsServer::start(parse_ok("127.0.0.1:0"), [&] { return registry.render(); }, error);
  REQUIRE(server);
  auto response = http_get(server->port(), "/metrics");
  REQUIRE(response);

  std::string page = "proclife-scrape-" + std::to_string(::getpid()) + ".txt";
  std::ofstream(page) << response->body;
  // Not a skip when promtool is missing: the command fails and so does the test.
  std::string command = std::string(PROCLIFE_PROMTOOL) + " check metrics < " + page + " 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  REQUIRE(pipe);
  std::string output;
  char buffer[512];
  while (size_t n = std::fread(buffer, 1, sizeof buffer, pipe)) output.append(buffer, n);
  int status = ::pclose(pipe);
  std::remove(page.c_str());
  INFO(command << "\n" << output);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}
