#include "security/filescan/clamd.h"

#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <vector>

namespace rampart::security::filescan {
namespace {

// A connected socket, closed on destruction.
class Socket {
 public:
  Socket(const std::string& path, std::chrono::seconds timeout, std::string& error) {
    sockaddr_un addr{};
    if (path.size() >= sizeof addr.sun_path) {
      error = "the clamd socket path is too long";
      return;
    }
    fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) {
      error = std::strerror(errno);
      return;
    }
    timeval tv{static_cast<time_t>(timeout.count()), 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, path.data(), path.size());
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      error = "cannot connect to clamd at " + path + ": " + std::strerror(errno);
      ::close(fd_);
      fd_ = -1;
    }
  }
  ~Socket() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  bool ok() const { return fd_ >= 0; }

  bool sendAll(const char* data, std::size_t n) {
    while (n > 0) {
      const ssize_t w = ::send(fd_, data, n, MSG_NOSIGNAL);
      if (w <= 0) {
        if (w < 0 && errno == EINTR) {
          continue;
        }
        return false;
      }
      data += w;
      n -= static_cast<std::size_t>(w);
    }
    return true;
  }
  // Reads up to the terminating NUL (the "z" command form), at most 4 KiB.
  std::optional<std::string> reply() {
    std::string out;
    char buf[512];
    while (out.size() < 4096) {
      const ssize_t r = ::recv(fd_, buf, sizeof buf, 0);
      if (r < 0 && errno == EINTR) {
        continue;
      }
      if (r <= 0) {
        break;
      }
      out.append(buf, static_cast<std::size_t>(r));
      if (out.find('\0') != std::string::npos) {
        out.resize(out.find('\0'));
        return out;
      }
    }
    if (out.empty()) {
      return std::nullopt;
    }
    return out;
  }

 private:
  int fd_ = -1;
};

}  // namespace

ClamdResult clamdScanFile(const std::string& socketPath, const std::string& filePath,
                          std::chrono::seconds timeout) {
  ClamdResult result;
  std::string error;
  Socket s(socketPath, timeout, error);
  if (!s.ok()) {
    result.detail = error;
    return result;
  }
  std::ifstream in(filePath, std::ios::binary);
  if (!in) {
    result.detail = "cannot read the file to scan";
    return result;
  }
  static constexpr char kCommand[] = "zINSTREAM";
  if (!s.sendAll(kCommand, sizeof kCommand)) {  // with its NUL
    result.detail = "clamd closed the connection";
    return result;
  }
  std::vector<char> chunk(64 * 1024);
  while (in) {
    in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    const auto n = static_cast<std::uint32_t>(in.gcount());
    if (n == 0) {
      break;
    }
    const std::uint32_t len = htonl(n);
    if (!s.sendAll(reinterpret_cast<const char*>(&len), 4) || !s.sendAll(chunk.data(), n)) {
      // clamd stops reading when the stream exceeds its StreamMaxLength: its reply says so.
      break;
    }
  }
  const std::uint32_t end = 0;
  s.sendAll(reinterpret_cast<const char*>(&end), 4);
  auto reply = s.reply();
  if (!reply) {
    result.detail = "no answer from clamd";
    return result;
  }
  // "stream: OK", "stream: NAME FOUND", or "... ERROR".
  const std::string& r = *reply;
  if (r.ends_with(": OK")) {
    result.kind = ClamdResult::Kind::kClean;
  } else if (r.ends_with(" FOUND")) {
    result.kind = ClamdResult::Kind::kInfected;
    const auto colon = r.find(": ");
    result.detail = r.substr(colon == std::string::npos ? 0 : colon + 2);
    result.detail.resize(result.detail.size() - std::string_view(" FOUND").size());
  } else {
    result.detail = "clamd: " + r;
  }
  return result;
}

std::optional<ClamdVersion> clamdVersion(const std::string& socketPath,
                                         std::chrono::seconds timeout, std::string* error) {
  std::string why;
  Socket s(socketPath, timeout, why);
  static constexpr char kCommand[] = "zVERSION";
  std::optional<std::string> reply;
  if (s.ok() && s.sendAll(kCommand, sizeof kCommand)) {
    reply = s.reply();
  }
  if (!reply) {
    if (error != nullptr) {
      *error = why.empty() ? "no answer from clamd" : why;
    }
    return std::nullopt;
  }
  // "ClamAV 1.4.6/27600/Wed Dec  2 09:25:01 2026", or "ClamAV 1.4.6" with local databases only.
  if (!reply->starts_with("ClamAV ")) {
    if (error != nullptr) {
      *error = "clamd answered VERSION with: " + reply->substr(0, 80);
    }
    return std::nullopt;
  }
  ClamdVersion v;
  const auto a = reply->find('/');
  v.engine = reply->substr(0, a);
  if (a != std::string::npos) {
    const auto b = reply->find('/', a + 1);
    v.signatureVersion = reply->substr(a + 1, b == std::string::npos ? std::string::npos : b - a - 1);
    if (b != std::string::npos) {
      v.signatureDate = reply->substr(b + 1);
    }
  }
  return v;
}

}  // namespace rampart::security::filescan
