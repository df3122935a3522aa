#include "security/secrets/key_file.h"

#include <fcntl.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <iterator>

namespace rampart::security::secrets {

core::Result<std::string> loadOrCreateKey(const std::string& path, std::size_t bytes) {
  if (std::ifstream in{path, std::ios::binary}) {
    std::string key{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    if (key.size() != bytes) {
      return core::Status::invalidArgument("key file " + path + " holds " +
                                           std::to_string(key.size()) + " bytes, not " +
                                           std::to_string(bytes));
    }
    return key;
  }
  std::string key(bytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(key.data()), static_cast<int>(bytes)) != 1) {
    return core::Status::ioError("no random bytes for the key file " + path);
  }
  // O_EXCL: two processes starting at once keep one key (the loser reads the winner's).
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (fd < 0) {
    if (errno == EEXIST) {
      return loadOrCreateKey(path, bytes);
    }
    return core::Status::ioError("cannot create the key file " + path);
  }
  std::size_t done = 0;
  while (done < key.size()) {
    const auto n = ::write(fd, key.data() + done, key.size() - done);
    if (n <= 0) break;
    done += static_cast<std::size_t>(n);
  }
  const bool ok = done == key.size() && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) {
    ::unlink(path.c_str());
    return core::Status::ioError("cannot write the key file " + path);
  }
  return key;
}

}  // namespace rampart::security::secrets
