#include "security/secrets/key_file.h"

#include <fcntl.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

namespace rampart::security::secrets {

namespace {

// Reads an existing key file: the key, or why not.
core::Result<std::string> readKey(const std::string& path, std::size_t bytes) {
  std::ifstream in{path, std::ios::binary};
  if (!in) {
    return core::Status::ioError("cannot read the key file " + path + ": " +
                                 std::strerror(errno));
  }
  std::string key{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  if (key.size() != bytes) {
    return core::Status::invalidArgument("key file " + path + " holds " +
                                         std::to_string(key.size()) + " bytes, not " +
                                         std::to_string(bytes));
  }
  return key;
}

}  // namespace

core::Result<std::string> loadOrCreateKey(const std::string& path, std::size_t bytes) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) {
    return readKey(path, bytes);
  }
  std::string key(bytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(key.data()), static_cast<int>(bytes)) != 1) {
    return core::Status::ioError("no random bytes for the key file " + path);
  }
  // Written under a temporary name, then linked into place: the key file is never seen half
  // written, and of two processes starting at once the second keeps the first one's key.
  const std::string tmp = path + ".new." + std::to_string(::getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (fd < 0) {
    return core::Status::ioError("cannot create the key file " + tmp + ": " +
                                 std::strerror(errno));
  }
  std::size_t done = 0;
  while (done < key.size()) {
    const auto n = ::write(fd, key.data() + done, key.size() - done);
    if (n <= 0) break;
    done += static_cast<std::size_t>(n);
  }
  const bool written = done == key.size() && ::fsync(fd) == 0;
  ::close(fd);
  const bool linked = written && ::link(tmp.c_str(), path.c_str()) == 0;
  const int linkErrno = errno;
  ::unlink(tmp.c_str());
  if (linked) {
    return key;
  }
  if (written && linkErrno == EEXIST) {
    return readKey(path, bytes);  // another process made it first
  }
  return core::Status::ioError("cannot write the key file " + path);
}

}  // namespace rampart::security::secrets
