#include "http/https_server.h"

#include <ctime>
#include <filesystem>
#include <optional>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>

#include "core/log_value.h"
#include "rampart/core/random.h"

namespace rampart::http {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;

namespace {

// A body read from a ByteSource as it is written (a sealed file, decrypted chunk by chunk). A
// source that fails part-way ends the connection: the client sees a short body, never bytes
// that failed their integrity check.
struct SourceBody {
  using value_type = std::shared_ptr<core::ByteSource>;
  static std::uint64_t size(const value_type& v) { return v ? v->size() : 0; }
  class writer {
   public:
    using const_buffers_type = asio::const_buffer;
    template <bool isRequest, class Fields>
    writer(const bhttp::header<isRequest, Fields>&, const value_type& v)
        : src_(v), buf_(std::make_unique<char[]>(kBuf)) {}
    void init(beast::error_code& ec) { ec = {}; }
    boost::optional<std::pair<const_buffers_type, bool>> get(beast::error_code& ec) {
      bool failed = false;
      const std::size_t n = src_ ? src_->read(buf_.get(), kBuf, failed) : 0;
      if (failed) {
        ec = beast::errc::make_error_code(beast::errc::io_error);
        return boost::none;
      }
      ec = {};
      if (n == 0) return boost::none;
      return {{const_buffers_type(buf_.get(), n), true}};
    }

   private:
    static constexpr std::size_t kBuf = 64 * 1024;
    value_type src_;
    std::unique_ptr<char[]> buf_;
  };
};
constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);

// True when the comma-separated Sec-WebSocket-Protocol list offers `wanted`.
bool offersSubprotocol(std::string_view list, std::string_view wanted) {
  while (!list.empty()) {
    auto comma = list.find(',');
    std::string_view item = list.substr(0, comma);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
    if (item == wanted) {
      return true;
    }
    if (comma == std::string_view::npos) {
      break;
    }
    list.remove_prefix(comma + 1);
  }
  return false;
}

// RFC 9110 5.6.7 IMF-fixdate, e.g. "Sun, 06 Nov 1994 08:49:37 GMT".
std::string httpDate() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[40];
  const std::size_t n = std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return std::string(buf, n);
}

// The headers every answer carries, then the handler's own.
template <class Body>
void decorate(bhttp::response<Body>& res, const Response& out, bool keepAlive) {
  res.set(bhttp::field::server, "Rampart");
  res.set(bhttp::field::date, httpDate());
  res.set(bhttp::field::content_type, out.contentType);
  res.set("X-Content-Type-Options", "nosniff");
  res.set("Cache-Control", "no-store");
  res.set("Strict-Transport-Security", "max-age=31536000");
  for (const auto& [k, v] : out.headers) {
    res.set(k, v);
  }
  res.keep_alive(keepAlive);
}

// An answer that ends the connection: RFC 9457 problem details, with `allow` as the Allow
// header of a 405.
asio::awaitable<void> writeProblem(beast::ssl_stream<beast::tcp_stream>& stream, int status,
                                   std::string_view title, std::string_view detail,
                                   std::string_view allow = {}) {
  Response p = problem(status, title, detail);
  if (!allow.empty()) {
    p.headers.emplace_back("Allow", std::string(allow));
  }
  bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(p.status), 11};
  res.body() = p.body;
  decorate(res, p, false);
  res.prepare_payload();
  co_await bhttp::async_write(stream, res, kUseTuple);
}

void removeFile(const std::string& path) {
  if (!path.empty()) {
    std::error_code ec;
    std::filesystem::remove(path, ec);
  }
}

// Hands an upgrade request to the WebSocket route for its path, or answers with a problem.
asio::awaitable<void> acceptWebSocket(beast::ssl_stream<beast::tcp_stream> stream,
                                      const bhttp::request<bhttp::string_body>& req,
                                      const std::vector<WebSocketRoute>& websockets,
                                      std::string peer) {
  std::string_view path = req.target().substr(0, req.target().find('?'));
  const WebSocketRoute* route = nullptr;
  for (const auto& w : websockets) {
    if (w.path == path) {
      route = &w;
    }
  }
  if (route == nullptr) {
    co_await writeProblem(stream, 404, "Not Found", "no WebSocket service at this path");
    co_await stream.async_shutdown(kUseTuple);
    co_return;
  }
  if (!offersSubprotocol(req[bhttp::field::sec_websocket_protocol], route->subprotocol)) {
    // RFC 7395 section 3.1: the "xmpp" subprotocol is required.
    co_await writeProblem(stream, 400, "Bad Request",
                          "the WebSocket subprotocol '" + route->subprotocol + "' is required");
    co_await stream.async_shutdown(kUseTuple);
    co_return;
  }
  beast::get_lowest_layer(stream).expires_never();
  auto ws = std::make_unique<WebSocketStream>(std::move(stream));
  ws->set_option(beast::websocket::stream_base::timeout::suggested(beast::role_type::server));
  ws->set_option(beast::websocket::stream_base::decorator(
      [proto = route->subprotocol](beast::websocket::response_type& res) {
        res.set(bhttp::field::sec_websocket_protocol, proto);
        res.set(bhttp::field::server, "Rampart");
      }));
  ws->read_message_max(route->maxMessageBytes);
  auto [aec] = co_await ws->async_accept(req, kUseTuple);
  if (aec) {
    co_return;
  }
  route->handler(std::move(ws), std::move(peer));
}

// Reads one request header into `buffer` under one deadline (so that trickling bytes does not
// extend it) and refuses obsolete line folding (RFC 9112 5.2). Returns the error, if any, and
// sets `refused` when the request was answered with 400 already.
asio::awaitable<boost::system::error_code> readHeaderBytes(
    beast::ssl_stream<beast::tcp_stream>& stream, beast::flat_buffer& buffer,
    std::size_t limit, bool& refused, bool& sawBytes) {
  for (;;) {
    std::string_view have(static_cast<const char*>(buffer.data().data()), buffer.size());
    // Leading empty lines before a request line are allowed (RFC 9112 2.2).
    std::size_t start = 0;
    while (have.substr(start).starts_with("\r\n")) {
      start += 2;
    }
    auto end = have.find("\r\n\r\n", start);
    if (end != std::string_view::npos) {
      std::string_view head = have.substr(start, end - start + 2);
      for (std::size_t i = head.find("\r\n"); i != std::string_view::npos;
           i = head.find("\r\n", i + 2)) {
        if (i + 2 < head.size() && (head[i + 2] == ' ' || head[i + 2] == '\t')) {
          refused = true;
          co_await writeProblem(stream, 400, "Bad Request",
                                "obsolete line folding is not accepted (RFC 9112 5.2)");
          co_return bhttp::make_error_code(bhttp::error::bad_field);
        }
      }
      co_return boost::system::error_code{};
    }
    if (have.size() > limit) {
      co_return bhttp::make_error_code(bhttp::error::header_limit);
    }
    auto [ec, n] = co_await stream.async_read_some(buffer.prepare(4096), kUseTuple);
    buffer.commit(n);
    if (n > 0) {
      sawBytes = true;
    }
    if (ec) {
      co_return ec;
    }
  }
}

void refuse(const HttpsOptions& options, std::string_view reason, const std::string& peer,
            std::string_view detail) {
  if (options.refusals != nullptr) {
    options.refusals->refuse(reason, peer, detail);
  }
}

// Writes a prepared response; for HEAD only its headers (those of a GET, Content-Length
// included).
template <class Body>
asio::awaitable<boost::system::error_code> writeResponse(
    beast::ssl_stream<beast::tcp_stream>& stream, bhttp::response<Body>& res, bool head) {
  if (head) {
    bhttp::response<bhttp::empty_body> headRes{res.base()};
    auto [ec, n] = co_await bhttp::async_write(stream, headRes, kUseTuple);
    co_return ec;
  }
  auto [ec, n] = co_await bhttp::async_write(stream, res, kUseTuple);
  co_return ec;
}

asio::awaitable<void> session(beast::ssl_stream<beast::tcp_stream> stream, const Router& router,
                              std::string peer, int peerPort,
                              const std::vector<WebSocketRoute>& websockets,
                              const HttpsOptions& options) {
  beast::get_lowest_layer(stream).expires_after(options.headerTimeout);
  auto [hec] = co_await stream.async_handshake(asio::ssl::stream_base::server, kUseTuple);
  if (hec) {
    co_return;
  }
  beast::flat_buffer buffer;
  for (;;) {
    bhttp::request_parser<bhttp::string_body> parser;
    parser.header_limit(16 * 1024);
    // The limit depends on the route: checked below once the header is known.
    parser.body_limit(boost::none);
    beast::get_lowest_layer(stream).expires_after(options.headerTimeout);
    bool refused = false;
    bool sawBytes = buffer.size() > 0;
    boost::system::error_code ec =
        co_await readHeaderBytes(stream, buffer, 16 * 1024, refused, sawBytes);
    if (refused) {
      refuse(options, "http-obs-fold", peer, "obsolete line folding");
      break;
    }
    if (ec == beast::error::timeout && sawBytes) {
      refuse(options, "http-header-timeout", peer, "request header incomplete at the deadline");
    }
    if (!ec) {
      auto [hec2, hn] = co_await bhttp::async_read_header(stream, buffer, parser, kUseTuple);
      ec = hec2;
    }
    Request r;
    bool keepAlive = false;
    unsigned version = 11;
    std::string spooled;  // the file a spooled body went to, deleted once answered
    if (!ec) {
      // The body limit, and whether the body goes to disk, depend on where the request goes.
      const auto& head = parser.get();
      std::string_view target = head.target();
      auto q = target.find('?');
      r.method = std::string(head.method_string());
      r.path = std::string(target.substr(0, q));
      if (q != std::string_view::npos) {
        r.query = std::string(target.substr(q + 1));
      }
      r.peer = peer;
      r.peerPort = peerPort;
      r.host = std::string(head[bhttp::field::host]);
      r.contentType = std::string(head[bhttp::field::content_type]);
      r.authorization = std::string(head[bhttp::field::authorization]);
      r.cookie = std::string(head[bhttp::field::cookie]);
      r.csrfToken = std::string(head["X-CSRF-Token"]);
      r.userAgent = std::string(head[bhttp::field::user_agent]).substr(0, 200);
      if (X509* cert = SSL_get0_peer_certificate(stream.native_handle())) {
        r.clientCertVerified = SSL_get_verify_result(stream.native_handle()) == X509_V_OK;
        char subject[512];
        X509_NAME_oneline(X509_get_subject_name(cert), subject, sizeof subject);
        r.clientCertSubject = subject;
      }
      // RFC 9112 3.2: exactly one Host in HTTP/1.1, at most one otherwise.
      const std::size_t hosts = head.count(bhttp::field::host);
      if (hosts > 1 || (hosts == 0 && head.version() >= 11)) {
        refuse(options, "http-bad-host", peer, hosts > 1 ? "several Host fields" : "no Host");
        co_await writeProblem(stream, 400, "Bad Request",
                              hosts > 1 ? "a request carries exactly one Host header field"
                                        : "an HTTP/1.1 request needs a Host header field");
        break;
      }
      const bool hasBody = parser.chunked() || parser.content_length().value_or(0) > 0;
      if (hasBody && !beast::websocket::is_upgrade(head)) {
        // A body the request line has no handler for is not read at all.
        std::string allowed;
        const int status = router.resolve(r.method, r.path, &allowed);
        if (status != 200) {
          co_await writeProblem(stream, status,
                                status == 404 ? "Not Found" : "Method Not Allowed",
                                status == 404 ? "no resource at this path" : "", allowed);
          break;
        }
      }
      const std::size_t limit = router.bodyLimit(r.method, r.path);
      const std::string spoolDir(router.spoolDir(r.method, r.path));
      if (auto length = parser.content_length(); length && *length > limit) {
        refuse(options, "http-body-too-large", peer, std::to_string(*length) + " bytes");
        co_await writeProblem(stream, 413, "Content Too Large",
                              "the body is larger than this resource accepts");
        break;
      }
      // Chunked bodies are counted as they arrive.
      parser.body_limit(limit);
      if (beast::iequals(head[bhttp::field::expect], "100-continue") && !parser.is_done()) {
        bhttp::response<bhttp::empty_body> cont{bhttp::status::continue_, head.version()};
        co_await bhttp::async_write(stream, cont, kUseTuple);
      }
      // A minimum transfer rate: the grace period plus the body's length (or, chunked, the
      // route's limit) at options.minBodyRate.
      const std::uint64_t expected = parser.content_length().value_or(
          std::min<std::uint64_t>(limit, std::uint64_t{1} << 40));
      beast::get_lowest_layer(stream).expires_after(
          options.bodyGrace + std::chrono::seconds(expected / std::max<std::size_t>(
                                                                  options.minBodyRate, 1)));
      if (spoolDir.empty()) {
        auto [bec, bn] = co_await bhttp::async_read(stream, buffer, parser, kUseTuple);
        ec = bec;
      } else {
        // Large bodies (uploads) stream to a file instead of memory.
        bhttp::request_parser<bhttp::file_body> fileParser(std::move(parser));
        spooled = spoolDir + "/" + core::randomToken(16);
        beast::error_code oec;
        fileParser.get().body().open(spooled.c_str(), beast::file_mode::write_new, oec);
        if (oec) {
          co_await writeProblem(stream, 507, "Insufficient Storage",
                                "the request body could not be stored");
          break;
        }
        auto [bec, bn] = co_await bhttp::async_read(stream, buffer, fileParser, kUseTuple);
        ec = bec;
        r.bodyFile = spooled;
        fileParser.get().body().close();
        std::error_code sec;
        r.bodySize = static_cast<std::size_t>(std::filesystem::file_size(spooled, sec));
        keepAlive = fileParser.get().keep_alive();
        version = fileParser.get().version();
      }
    }
    if (ec) {
      removeFile(spooled);
      if (ec == beast::error::timeout && !r.method.empty()) {
        refuse(options, "http-body-timeout", peer, "request body slower than the minimum rate");
      }
      if (ec == bhttp::error::body_limit || ec == bhttp::error::header_limit ||
          (ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category() &&
           ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message)) {
        const bool tooLarge = ec == bhttp::error::body_limit;
        refuse(options, tooLarge ? "http-body-too-large" : "http-bad-request", peer,
               core::logQuoted(ec.message()));
        co_await writeProblem(stream, tooLarge ? 413 : 400,
                              tooLarge ? "Content Too Large" : "Bad Request", ec.message());
      }
      break;
    }
    if (spooled.empty()) {
      auto& req = parser.get();
      if (beast::websocket::is_upgrade(req)) {
        co_await acceptWebSocket(std::move(stream), req, websockets, peer);
        co_return;
      }
      r.body = std::move(req.body());
      keepAlive = req.keep_alive();
      version = req.version();
    }
    const bool head = r.method == "HEAD";
    // Handlers may answer later (storage, files): wait here for their one answer.
    auto ex = co_await asio::this_coro::executor;
    auto answer = std::make_shared<std::optional<Response>>();
    auto answered =
        std::make_shared<asio::steady_timer>(ex, std::chrono::steady_clock::time_point::max());
    router.dispatch(std::move(r), [answer, answered, ex](Response resp) {
      asio::post(ex, [answer, answered, resp = std::move(resp)]() mutable {
        *answer = std::move(resp);
        answered->cancel();
      });
    });
    while (!*answer) {
      co_await answered->async_wait(kUseTuple);
    }
    removeFile(spooled);
    Response out = std::move(**answer);
    boost::system::error_code wec;
    if (out.source) {
      bhttp::response<SourceBody> res{static_cast<bhttp::status>(out.status), version};
      res.body() = out.source;
      decorate(res, out, keepAlive);
      res.prepare_payload();
      wec = co_await writeResponse(stream, res, head);
      if (wec || !keepAlive) {
        break;
      }
      continue;
    }
    if (!out.file.empty()) {
      bhttp::response<bhttp::file_body> res{static_cast<bhttp::status>(out.status), version};
      beast::error_code oec;
      res.body().open(out.file.c_str(), beast::file_mode::scan, oec);
      if (!oec) {
        decorate(res, out, keepAlive);
        res.prepare_payload();
        wec = co_await writeResponse(stream, res, head);
        if (wec || !keepAlive) {
          break;
        }
        continue;
      }
      out = problem(404, "Not Found", "the file is gone");
    }
    bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(out.status), version};
    res.body() = std::move(out.body);
    decorate(res, out, keepAlive);
    res.prepare_payload();
    if (head) {
      res.body().clear();  // HEAD: the headers of a GET, Content-Length included
    }
    auto [swec, swn] = co_await bhttp::async_write(stream, res, kUseTuple);
    if (swec || !keepAlive) {
      break;
    }
  }
  co_await stream.async_shutdown(kUseTuple);
}

}  // namespace

void serveHttps(asio::ip::tcp::socket socket, net::TlsContexts& tls, const Router& router,
                const std::vector<WebSocketRoute>& websockets, const HttpsOptions& options) {
  boost::system::error_code ec;
  auto ep = socket.remote_endpoint(ec);
  std::string peer = ec ? "unknown" : ep.address().to_string();
  const int port = ec ? 0 : ep.port();
  auto ex = socket.get_executor();
  beast::ssl_stream<beast::tcp_stream> stream(beast::tcp_stream(std::move(socket)),
                                              tls.defaultContext());
  asio::co_spawn(ex, session(std::move(stream), router, std::move(peer), port, websockets, options), asio::detached);
}

}  // namespace rampart::http
