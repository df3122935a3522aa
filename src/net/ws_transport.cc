#include "net/ws_transport.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace rampart::net {
namespace asio = boost::asio;
namespace beast = boost::beast;

WsTransport::WsTransport(std::unique_ptr<Stream> ws, std::string peer)
    : ws_(std::move(ws)), peer_(std::move(peer)) {}

asio::awaitable<std::pair<boost::system::error_code, std::string_view>> WsTransport::read() {
  buffer_.clear();
  // Idle connections give their buffer back (most clients are idle most of the time).
  buffer_.shrink_to_fit();
  auto [ec, n] = co_await ws_->async_read(buffer_, asio::as_tuple(asio::use_awaitable));
  if (ec) {
    open_ = false;
    co_return std::pair{ec, std::string_view()};
  }
  if (!ws_->got_text()) {
    co_return std::pair{beast::websocket::error::bad_data_frame, std::string_view()};
  }
  auto data = buffer_.cdata();
  co_return std::pair{boost::system::error_code(),
                      std::string_view(static_cast<const char*>(data.data()), data.size())};
}

void WsTransport::write(const std::string& data, const std::vector<std::size_t>& frames,
                        std::function<void(boost::system::error_code)> done) {
  ws_->text(true);
  writeFrom(data, frames, 0, std::move(done));
}

void WsTransport::writeFrom(const std::string& data, const std::vector<std::size_t>& frames,
                            std::size_t i, std::function<void(boost::system::error_code)> done) {
  if (i >= frames.size() || !open_) {
    done(open_ ? boost::system::error_code() : asio::error::not_connected);
    return;
  }
  const std::size_t begin = i == 0 ? 0 : frames[i - 1];
  ws_->async_write(asio::buffer(data.data() + begin, frames[i] - begin),
                   [this, &data, &frames, i, done = std::move(done)](
                       boost::system::error_code ec, std::size_t) mutable {
                     if (ec) {
                       open_ = false;
                       done(ec);
                       return;
                     }
                     writeFrom(data, frames, i + 1, std::move(done));
                   });
}

void WsTransport::close(std::function<void()> done) {
  if (closing_ || !open_) {
    if (!open_) {
      beast::get_lowest_layer(*ws_).close();
    }
    done();
    return;
  }
  closing_ = true;
  beast::get_lowest_layer(*ws_).expires_after(std::chrono::seconds(3));
  ws_->async_close(beast::websocket::close_code::normal,
                   [this, done = std::move(done)](boost::system::error_code) {
                     open_ = false;
                     beast::get_lowest_layer(*ws_).close();
                     done();
                   });
}

}  // namespace rampart::net
