#include "security/encryption/sealed_file.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

namespace rampart::security::encryption {

namespace {

constexpr std::size_t kTag = 16;

class SealedFileSource final : public core::ByteSource {
 public:
  SealedFileSource(std::shared_ptr<const SecureKey> key, std::string context, std::ifstream in,
                   std::string header, std::uint64_t sealedSize, std::uint64_t plainSize)
      : key_(std::move(key)),
        context_(std::move(context)),
        in_(std::move(in)),
        header_(std::move(header)),
        sealedSize_(sealedSize),
        size_(plainSize) {
    chunks_ = (sealedSize_ - kFileHeaderSize + kFileChunk + kTag - 1) / (kFileChunk + kTag);
  }
  ~SealedFileSource() override { OPENSSL_cleanse(plain_.data(), plain_.size()); }

  std::uint64_t size() const override { return size_; }

  // Opens chunk `index` into plain_.
  bool load(std::uint64_t index) {
    const std::uint64_t offset = kFileHeaderSize + index * (kFileChunk + kTag);
    const std::uint64_t len = std::min<std::uint64_t>(kFileChunk + kTag, sealedSize_ - offset);
    std::string sealed(len, '\0');
    in_.clear();
    in_.seekg(static_cast<std::streamoff>(offset));
    if (!in_.read(sealed.data(), static_cast<std::streamsize>(len))) return false;
    auto opened = openChunk(*key_, header_, context_, index, index + 1 == chunks_, sealed);
    if (!opened.isOk()) return false;
    OPENSSL_cleanse(plain_.data(), plain_.size());
    plain_ = std::move(opened).value();
    loaded_ = index;
    pos_ = 0;
    return true;
  }

  std::size_t read(char* out, std::size_t n, bool& failed) override {
    if (done_ >= size_) return 0;
    if (pos_ >= plain_.size()) {
      const std::uint64_t next = loaded_ == kNone ? 0 : loaded_ + 1;
      if (next >= chunks_ || !load(next)) {
        failed = true;
        return 0;
      }
    }
    const std::size_t k = std::min(n, plain_.size() - pos_);
    std::copy_n(plain_.data() + pos_, k, out);
    pos_ += k;
    done_ += k;
    return k;
  }

  std::uint64_t chunks() const { return chunks_; }
  void rewind() {
    OPENSSL_cleanse(plain_.data(), plain_.size());
    plain_.clear();
    pos_ = 0;
    loaded_ = kNone;
  }

 private:
  static constexpr std::uint64_t kNone = ~std::uint64_t{0};
  std::shared_ptr<const SecureKey> key_;
  std::string context_;
  std::ifstream in_;
  std::string header_;
  std::uint64_t sealedSize_;
  std::uint64_t size_;
  std::uint64_t chunks_ = 0;
  std::string plain_;
  std::size_t pos_ = 0;
  std::uint64_t loaded_ = kNone;
  std::uint64_t done_ = 0;
};

}  // namespace

namespace {

// Fills `out` with up to `n` bytes of `src` (fewer only at its end).
std::size_t readFull(core::ByteSource& src, char* out, std::size_t n, bool& failed) {
  std::size_t have = 0;
  while (have < n && !failed) {
    const std::size_t k = src.read(out + have, n - have, failed);
    if (k == 0) break;
    have += k;
  }
  return have;
}

class StreamSource final : public core::ByteSource {
 public:
  explicit StreamSource(std::ifstream in) : in_(std::move(in)) {}
  std::uint64_t size() const override { return 0; }  // not needed for sealing
  std::size_t read(char* out, std::size_t n, bool& failed) override {
    in_.read(out, static_cast<std::streamsize>(n));
    if (in_.bad()) failed = true;
    return static_cast<std::size_t>(in_.gcount());
  }

 private:
  std::ifstream in_;
};

}  // namespace

core::Status sealFile(const SecureKey& key, SealInfo info, const std::string& context,
                      const std::string& from, const std::string& to) {
  std::ifstream in(from, std::ios::binary);
  if (!in) return core::Status::ioError("cannot read " + from);
  StreamSource src(std::move(in));
  return sealSource(key, info, context, src, to);
}

core::Status sealSource(const SecureKey& key, SealInfo info, const std::string& context,
                        core::ByteSource& in, const std::string& to) {
  std::string nonce(12, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(nonce.data()), 12) != 1) {
    return core::Status::unavailable("no random bytes for a nonce");
  }
  const std::string header = fileHeader(info, nonce);
  const std::string tmp = to + ".sealing";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) return core::Status::ioError("cannot write " + tmp);
  auto writeAll = [fd](std::string_view b) {
    while (!b.empty()) {
      const auto n = ::write(fd, b.data(), b.size());
      if (n <= 0) return false;
      b.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  };
  bool ok = writeAll(header);
  bool failed = false;
  std::string chunk(kFileChunk, '\0');
  std::string next(kFileChunk, '\0');
  std::size_t have = readFull(in, chunk.data(), kFileChunk, failed);
  std::uint64_t index = 0;
  while (ok && !failed) {
    // Read one chunk ahead to know which chunk is the last. A file whose size is a multiple
    // of the chunk size ends with an empty last chunk.
    std::size_t nextHave = 0;
    if (have == kFileChunk) nextHave = readFull(in, next.data(), kFileChunk, failed);
    const bool last = have < kFileChunk;
    auto sealed = sealChunk(key, header, context, index, last, std::string_view(chunk.data(), have));
    ok = sealed.isOk() && writeAll(sealed.value());
    if (last) break;
    std::swap(chunk, next);
    have = nextHave;
    ++index;
  }
  OPENSSL_cleanse(chunk.data(), chunk.size());
  OPENSSL_cleanse(next.data(), next.size());
  ok = ok && !failed && ::fsync(fd) == 0;
  ::close(fd);
  std::error_code ec;
  if (ok) std::filesystem::rename(tmp, to, ec);
  if (!ok || ec) {
    std::filesystem::remove(tmp, ec);
    return core::Status::ioError(failed ? "the file to seal could not be read"
                                        : "the file could not be sealed");
  }
  return core::Status::ok();
}

std::optional<SealInfo> sealedFileInfo(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::string header(kFileHeaderSize, '\0');
  if (!in.read(header.data(), kFileHeaderSize)) return std::nullopt;
  return fileSealInfo(header);
}

core::Result<std::shared_ptr<core::ByteSource>> openSealedFile(
    std::shared_ptr<const SecureKey> key, const std::string& context, const std::string& path) {
  std::error_code ec;
  const auto sealedSize = std::filesystem::file_size(path, ec);
  if (ec) return core::Status::notFound("no such file");
  std::ifstream in(path, std::ios::binary);
  std::string header(kFileHeaderSize, '\0');
  if (!in || !in.read(header.data(), kFileHeaderSize) || !fileSealInfo(header)) {
    return core::Status::failedPrecondition("a stored file is not sealed");
  }
  auto plainSize = plaintextSize(sealedSize);
  if (!plainSize) return core::Status::failedPrecondition("a stored file was cut short");
  auto src = std::make_shared<SealedFileSource>(std::move(key), context, std::move(in),
                                                std::move(header), sealedSize, *plainSize);
  // The last chunk (and with it the size) and the first are checked before anything is sent.
  if (!src->load(src->chunks() - 1) || !src->load(0)) {
    return core::Status::failedPrecondition(
        "a stored file failed its integrity check (altered, cut short, or another key)");
  }
  src->rewind();
  return std::shared_ptr<core::ByteSource>(std::move(src));
}

}  // namespace rampart::security::encryption
