#include "core/http_post.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/url/parse.hpp>

namespace rampart::core {

namespace {
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace asio = boost::asio;
}  // namespace

HttpPostResult postBlocking(const HttpPost& p) {
  HttpPostResult out;
  auto url = boost::urls::parse_uri(p.url);
  if (!url || (url->scheme() != "https" && url->scheme() != "http")) {
    out.error = "not an http(s) URI";
    out.badUrl = true;
    return out;
  }
  const bool tls = url->scheme() == "https";
  const std::string host = std::string(url->host());
  const std::string port = url->has_port() ? std::string(url->port()) : (tls ? "443" : "80");
  std::string target = std::string(url->encoded_path());
  if (target.empty()) target = "/";
  if (url->has_query()) target += "?" + std::string(url->encoded_query());
  bhttp::request<bhttp::string_body> req{bhttp::verb::post, target, 11};
  req.set(bhttp::field::host, host);
  req.set(bhttp::field::content_type, p.contentType);
  req.set(bhttp::field::user_agent, p.userAgent);
  for (const auto& [k, v] : p.headers) req.set(k, v);
  req.body() = p.body;
  req.prepare_payload();
  try {
    asio::io_context ioc;
    asio::ip::tcp::resolver resolver(ioc);
    auto endpoints = resolver.resolve(host, port);
    bhttp::response<bhttp::string_body> res;
    beast::flat_buffer buffer;
    if (tls) {
      asio::ssl::context ctx(asio::ssl::context::tls_client);
      if (p.caFile.empty()) {
        ctx.set_default_verify_paths();
      } else {
        ctx.load_verify_file(p.caFile);
      }
      ctx.set_verify_mode(asio::ssl::verify_peer);
      beast::ssl_stream<beast::tcp_stream> stream(ioc, ctx);
      SSL_set_tlsext_host_name(stream.native_handle(), host.c_str());
      stream.set_verify_callback(asio::ssl::host_name_verification(host));
      beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(10));
      beast::get_lowest_layer(stream).connect(endpoints);
      stream.handshake(asio::ssl::stream_base::client);
      bhttp::write(stream, req);
      bhttp::read(stream, buffer, res);
    } else {
      beast::tcp_stream stream(ioc);
      stream.expires_after(std::chrono::seconds(10));
      stream.connect(endpoints);
      bhttp::write(stream, req);
      bhttp::read(stream, buffer, res);
    }
    out.status = static_cast<int>(res.result_int());
  } catch (const std::exception& e) {
    out.error = e.what();
  }
  return out;
}

}  // namespace rampart::core
