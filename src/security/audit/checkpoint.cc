#include "security/audit/checkpoint.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <memory>

#include "core/sasl/scram.h"
#include "rampart/core/hex.h"

namespace rampart::security::audit {
namespace {

constexpr std::string_view kDash = "\xE2\x80\x94 ";  // U+2014 and a space: a signature line
constexpr std::size_t kMaxNote = 4096;

std::string body(std::string_view origin, std::uint64_t size, std::string_view root) {
  return std::string(origin) + "\n" + std::to_string(size) + "\n" +
         core::sasl::base64Encode(root) + "\n";
}

bool validOrigin(std::string_view o) {
  if (o.empty() || o.size() > 256) {
    return false;
  }
  for (unsigned char c : o) {
    if (c <= 0x20 || c == 0x7f || c == '+') {
      return false;
    }
  }
  return true;
}

}  // namespace

std::string checkpointKeyId(std::string_view origin, std::string_view publicKey) {
  std::string msg = std::string(origin) + "\n";
  msg += '\x01';
  msg += publicKey;
  unsigned char h[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(msg.data()), msg.size(), h);
  return std::string(reinterpret_cast<char*>(h), 4);
}

std::optional<SignedCheckpoint> parseCheckpoint(std::string_view note) {
  if (note.size() > kMaxNote) {
    return std::nullopt;
  }
  const std::size_t split = note.find("\n\n");
  if (split == std::string_view::npos) {
    return std::nullopt;
  }
  SignedCheckpoint out;
  out.signedText = std::string(note.substr(0, split + 1));
  std::string_view text = out.signedText;
  auto line = [&text]() -> std::optional<std::string_view> {
    const std::size_t nl = text.find('\n');
    if (nl == std::string_view::npos) {
      return std::nullopt;
    }
    std::string_view l = text.substr(0, nl);
    text.remove_prefix(nl + 1);
    return l;
  };
  auto origin = line();
  auto size = line();
  auto root = line();
  if (!origin || !size || !root || !validOrigin(*origin) || size->empty() || size->size() > 20) {
    return std::nullopt;
  }
  // Extension lines may follow the root; none are defined here.
  std::uint64_t n = 0;
  for (char c : *size) {
    if (c < '0' || c > '9' || (size->size() > 1 && (*size)[0] == '0')) {
      return std::nullopt;
    }
    const std::uint64_t next = n * 10 + static_cast<std::uint64_t>(c - '0');
    if (next / 10 != n) {
      return std::nullopt;  // overflow
    }
    n = next;
  }
  auto rootBytes = core::sasl::base64Decode(*root);
  if (!rootBytes || rootBytes->size() != 32) {
    return std::nullopt;
  }
  out.checkpoint = Checkpoint{std::string(*origin), n, *rootBytes};
  // The first signature line by this origin's name.
  std::string_view sigs = note.substr(split + 2);
  while (!sigs.empty()) {
    const std::size_t nl = sigs.find('\n');
    if (nl == std::string_view::npos) {
      return std::nullopt;  // every line ends with a newline
    }
    std::string_view l = sigs.substr(0, nl);
    sigs.remove_prefix(nl + 1);
    if (!l.starts_with(kDash)) {
      return std::nullopt;
    }
    l.remove_prefix(kDash.size());
    const std::size_t sp = l.find(' ');
    if (sp == std::string_view::npos) {
      return std::nullopt;
    }
    if (l.substr(0, sp) != out.checkpoint.origin) {
      continue;
    }
    auto raw = core::sasl::base64Decode(l.substr(sp + 1));
    if (!raw || raw->size() != 4 + 64) {
      return std::nullopt;
    }
    out.signatures.emplace_back(raw->substr(0, 4), raw->substr(4));
  }
  if (out.signatures.empty()) {
    return std::nullopt;
  }
  return out;
}

std::optional<Checkpoint> verifyCheckpoint(std::string_view note, std::string_view origin,
                                           std::string_view publicKey) {
  auto parsed = parseCheckpoint(note);
  if (!parsed || parsed->checkpoint.origin != origin || publicKey.size() != 32) {
    return std::nullopt;
  }
  const std::string keyId = checkpointKeyId(origin, publicKey);
  auto sig = std::find_if(parsed->signatures.begin(), parsed->signatures.end(),
                          [&keyId](const auto& s) { return s.first == keyId; });
  if (sig == parsed->signatures.end()) {
    return std::nullopt;
  }
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
      EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr,
                                  reinterpret_cast<const unsigned char*>(publicKey.data()), 32),
      EVP_PKEY_free);
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (!key || !ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) != 1) {
    return std::nullopt;
  }
  if (EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(sig->second.data()),
                       sig->second.size(),
                       reinterpret_cast<const unsigned char*>(parsed->signedText.data()),
                       parsed->signedText.size()) != 1) {
    return std::nullopt;
  }
  return parsed->checkpoint;
}

CheckpointSigner::CheckpointSigner(EVP_PKEY* key, std::string origin, std::string publicKey)
    : key_(key), origin_(std::move(origin)), publicKey_(std::move(publicKey)) {}

CheckpointSigner::CheckpointSigner(CheckpointSigner&& o) noexcept
    : key_(o.key_), origin_(std::move(o.origin_)), publicKey_(std::move(o.publicKey_)) {
  o.key_ = nullptr;
}

CheckpointSigner& CheckpointSigner::operator=(CheckpointSigner&& o) noexcept {
  if (this != &o) {
    EVP_PKEY_free(key_);
    key_ = o.key_;
    o.key_ = nullptr;
    origin_ = std::move(o.origin_);
    publicKey_ = std::move(o.publicKey_);
  }
  return *this;
}

CheckpointSigner::~CheckpointSigner() { EVP_PKEY_free(key_); }

core::Result<CheckpointSigner> CheckpointSigner::loadOrCreate(const std::string& keyFile,
                                                              std::string origin) {
  if (!validOrigin(origin)) {
    return core::Status::invalidArgument("audit log origin must be 1-256 visible characters "
                                         "without '+'");
  }
  EVP_PKEY* key = nullptr;
  if (FILE* f = std::fopen(keyFile.c_str(), "r")) {
    key = PEM_read_PrivateKey(f, nullptr, nullptr, nullptr);
    std::fclose(f);
    if (key == nullptr || EVP_PKEY_get_id(key) != EVP_PKEY_ED25519) {
      EVP_PKEY_free(key);
      return core::Status::invalidArgument("audit signing key " + keyFile +
                                           " is not an Ed25519 private key");
    }
  } else {
    key = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
    if (key == nullptr) {
      return core::Status::ioError("cannot generate the audit signing key");
    }
    // O_EXCL: two processes starting at once keep one key (the loser reads the winner's).
    const int fd = ::open(keyFile.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0) {
      EVP_PKEY_free(key);
      if (errno == EEXIST) {
        return loadOrCreate(keyFile, std::move(origin));
      }
      return core::Status::ioError("cannot create the audit signing key " + keyFile);
    }
    FILE* out = ::fdopen(fd, "w");
    const bool ok = out != nullptr &&
                    PEM_write_PrivateKey(out, key, nullptr, nullptr, 0, nullptr, nullptr) == 1;
    if (out != nullptr) {
      std::fflush(out);
      ::fsync(fd);
      std::fclose(out);
    } else {
      ::close(fd);
    }
    if (!ok) {
      EVP_PKEY_free(key);
      std::remove(keyFile.c_str());
      return core::Status::ioError("cannot write the audit signing key " + keyFile);
    }
  }
  std::string pub(32, '\0');
  std::size_t len = pub.size();
  if (EVP_PKEY_get_raw_public_key(key, reinterpret_cast<unsigned char*>(pub.data()), &len) != 1 ||
      len != 32) {
    EVP_PKEY_free(key);
    return core::Status::ioError("cannot read the audit public key");
  }
  return CheckpointSigner(key, std::move(origin), std::move(pub));
}

std::string CheckpointSigner::sign(std::uint64_t size, std::string_view root) const {
  const std::string text = body(origin_, size, root);
  std::string sig(64, '\0');
  std::size_t len = sig.size();
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key_) != 1 ||
      EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len,
                     reinterpret_cast<const unsigned char*>(text.data()), text.size()) != 1) {
    std::abort();  // a loaded Ed25519 key signs; only allocation can fail here
  }
  return text + "\n" + std::string(kDash) + origin_ + " " +
         core::sasl::base64Encode(checkpointKeyId(origin_, publicKey_) + sig) + "\n";
}

std::string CheckpointSigner::verifierKey() const {
  const std::string id = core::hexEncode(checkpointKeyId(origin_, publicKey_));
  return origin_ + "+" + id + "+" + core::sasl::base64Encode(std::string("\x01", 1) + publicKey_);
}

}  // namespace rampart::security::audit
