#include "scram.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <vector>

namespace loadgen {
namespace {

constexpr unsigned kMinIterations = 4096;

std::string hmacSha1(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha1(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
  return std::string(reinterpret_cast<char*>(out), len);
}

std::string sha1(std::string_view data) {
  unsigned char out[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(data.data()), data.size(), out);
  return std::string(reinterpret_cast<char*>(out), sizeof out);
}

std::string toHex(std::string_view s) {
  static const char* k = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    out.push_back(k[c >> 4]);
    out.push_back(k[c & 15]);
  }
  return out;
}

std::string fromHex(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i + 1 < s.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(std::string(s.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

// Splits "a=..,b=.." into attribute values by their one-letter names.
std::map<char, std::string> parseAttrs(std::string_view msg) {
  std::map<char, std::string> out;
  std::size_t pos = 0;
  while (pos < msg.size()) {
    std::size_t comma = msg.find(',', pos);
    std::string_view part = msg.substr(pos, comma == std::string_view::npos ? msg.npos : comma - pos);
    if (part.size() >= 2 && part[1] == '=') {
      out[part[0]] = std::string(part.substr(2));
    }
    if (comma == std::string_view::npos) {
      break;
    }
    pos = comma + 1;
  }
  return out;
}

}  // namespace

std::string base64Encode(std::string_view in) {
  std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(in.data()),
                          static_cast<int>(in.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::optional<std::string> base64Decode(std::string_view in) {
  std::string clean;
  for (char c : in) {
    if (c != ' ' && c != '\n' && c != '\r' && c != '\t') {
      clean.push_back(c);
    }
  }
  if (clean.size() % 4 != 0) {
    return std::nullopt;
  }
  std::string out(clean.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(clean.data()),
                          static_cast<int>(clean.size()));
  if (n < 0) {
    return std::nullopt;
  }
  // EVP_DecodeBlock counts padding as zero bytes.
  std::size_t pad = 0;
  if (!clean.empty() && clean.back() == '=') ++pad;
  if (clean.size() >= 2 && clean[clean.size() - 2] == '=') ++pad;
  out.resize(static_cast<std::size_t>(n) - pad);
  return out;
}

void ScramCache::load(const std::string& path) {
  std::ifstream in(path);
  std::string user, salt, salted;
  unsigned iter = 0;
  while (in >> user >> salt >> iter >> salted) {
    auto raw = base64Decode(salt);
    if (raw) {
      entries_[user + '\0' + *raw + '\0' + std::to_string(iter)] = fromHex(salted);
    }
  }
}

void ScramCache::save(const std::string& path) const {
  std::ofstream out(path, std::ios::trunc);
  for (const auto& [key, salted] : entries_) {
    std::size_t a = key.find('\0');
    std::size_t b = key.rfind('\0');
    out << key.substr(0, a) << ' ' << base64Encode(key.substr(a + 1, b - a - 1)) << ' '
        << key.substr(b + 1) << ' ' << toHex(salted) << '\n';
  }
}

std::string ScramCache::saltedPassword(const std::string& user, const std::string& password,
                                       const std::string& salt, unsigned iterations) {
  std::string key = user + '\0' + salt + '\0' + std::to_string(iterations);
  auto it = entries_.find(key);
  if (it != entries_.end()) {
    ++hits_;
    return it->second;
  }
  ++misses_;
  std::string out(SHA_DIGEST_LENGTH, '\0');
  if (PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                        reinterpret_cast<const unsigned char*>(salt.data()),
                        static_cast<int>(salt.size()), static_cast<int>(iterations), EVP_sha1(),
                        static_cast<int>(out.size()),
                        reinterpret_cast<unsigned char*>(out.data())) != 1) {
    throw std::runtime_error("PBKDF2 failed");
  }
  entries_.emplace(std::move(key), out);
  return out;
}

ScramSha1Client::ScramSha1Client(std::string user, std::string password)
    : user_(std::move(user)), password_(std::move(password)) {}

std::string ScramSha1Client::first() {
  unsigned char nonce[18];
  RAND_bytes(nonce, sizeof nonce);
  clientNonce_ = base64Encode(std::string_view(reinterpret_cast<char*>(nonce), sizeof nonce));
  // User names here are userN: nothing to escape (',' and '=' would need =2C / =3D).
  clientFirstBare_ = "n=" + user_ + ",r=" + clientNonce_;
  return "n,," + clientFirstBare_;
}

std::optional<std::string> ScramSha1Client::final(const std::string& serverFirst,
                                                  ScramCache& cache) {
  auto a = parseAttrs(serverFirst);
  if (a.count('m') || !a.count('r') || !a.count('s') || !a.count('i')) {
    return std::nullopt;
  }
  const std::string& nonce = a['r'];
  if (nonce.size() <= clientNonce_.size() || nonce.compare(0, clientNonce_.size(), clientNonce_)) {
    return std::nullopt;
  }
  auto salt = base64Decode(a['s']);
  unsigned long iter = std::strtoul(a['i'].c_str(), nullptr, 10);
  if (!salt || iter < kMinIterations || iter > 10'000'000) {
    return std::nullopt;
  }
  iterations_ = static_cast<unsigned>(iter);
  std::string salted = cache.saltedPassword(user_, password_, *salt, iterations_);
  std::string clientKey = hmacSha1(salted, "Client Key");
  std::string storedKey = sha1(clientKey);
  std::string finalNoProof = "c=biws,r=" + nonce;  // biws = base64("n,,")
  std::string authMessage = clientFirstBare_ + "," + serverFirst + "," + finalNoProof;
  std::string clientSignature = hmacSha1(storedKey, authMessage);
  std::string proof = clientKey;
  for (std::size_t i = 0; i < proof.size(); ++i) {
    proof[i] = static_cast<char>(proof[i] ^ clientSignature[i]);
  }
  serverSignature_ = hmacSha1(hmacSha1(salted, "Server Key"), authMessage);
  return finalNoProof + ",p=" + base64Encode(proof);
}

bool ScramSha1Client::verifyServer(const std::string& serverFinal) const {
  auto a = parseAttrs(serverFinal);
  if (!a.count('v')) {
    return false;
  }
  auto v = base64Decode(a['v']);
  return v && *v == serverSignature_;
}

}  // namespace loadgen
