#include "security/audit/merkle.h"

#include <openssl/evp.h>
#include <openssl/sha.h>

#include <cstdlib>
#include <memory>

namespace rampart::security::audit {
namespace {

constexpr std::size_t kHashSize = SHA256_DIGEST_LENGTH;

Hash sha256(std::string_view prefix, std::string_view a, std::string_view b = {}) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  Hash out(kHashSize, '\0');
  unsigned int len = 0;
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1 ||
      EVP_DigestUpdate(ctx.get(), prefix.data(), prefix.size()) != 1 ||
      EVP_DigestUpdate(ctx.get(), a.data(), a.size()) != 1 ||
      EVP_DigestUpdate(ctx.get(), b.data(), b.size()) != 1 ||
      EVP_DigestFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &len) != 1) {
    std::abort();  // only on allocation failure: nothing sensible can follow
  }
  return out;
}

// The largest power of two smaller than n (n > 1).
std::uint64_t split(std::uint64_t n) {
  std::uint64_t k = 1;
  while (k << 1 < n) {
    k <<= 1;
  }
  return k;
}

using Out = std::optional<std::vector<Hash>>;

bool path(const LeafView& leaves, std::uint64_t m, std::uint64_t begin, std::uint64_t end,
          std::vector<Hash>& out) {
  if (end - begin <= 1) {
    return true;
  }
  const std::uint64_t k = split(end - begin);
  std::optional<Hash> other;
  if (m < k) {
    if (!path(leaves, m, begin, begin + k, out)) {
      return false;
    }
    other = leaves.root(begin + k, end);
  } else {
    if (!path(leaves, m - k, begin + k, end, out)) {
      return false;
    }
    other = leaves.root(begin, begin + k);
  }
  if (!other) {
    return false;
  }
  out.push_back(std::move(*other));
  return true;
}

bool subproof(const LeafView& leaves, std::uint64_t m, std::uint64_t begin, std::uint64_t end,
              bool whole, std::vector<Hash>& out) {
  const std::uint64_t n = end - begin;
  if (m == n) {
    if (!whole) {
      auto r = leaves.root(begin, end);
      if (!r) {
        return false;
      }
      out.push_back(std::move(*r));
    }
    return true;
  }
  const std::uint64_t k = split(n);
  std::optional<Hash> other;
  if (m <= k) {
    if (!subproof(leaves, m, begin, begin + k, whole, out)) {
      return false;
    }
    other = leaves.root(begin + k, end);
  } else {
    if (!subproof(leaves, m - k, begin + k, end, false, out)) {
      return false;
    }
    other = leaves.root(begin, begin + k);
  }
  if (!other) {
    return false;
  }
  out.push_back(std::move(*other));
  return true;
}

}  // namespace

Hash leafHash(std::string_view data) { return sha256(std::string_view("\0", 1), data); }

Hash nodeHash(std::string_view left, std::string_view right) {
  return sha256("\x01", left, right);
}

Hash emptyRoot() { return sha256({}, {}); }

std::optional<CompactRange> CompactRange::restore(std::uint64_t size, std::string_view hashes) {
  std::size_t count = 0;
  for (std::uint64_t s = size; s != 0; s &= s - 1) {
    ++count;
  }
  if (hashes.size() != count * kHashSize) {
    return std::nullopt;
  }
  CompactRange r;
  r.size_ = size;
  for (std::size_t i = 0; i < count; ++i) {
    r.nodes_.emplace_back(hashes.substr(i * kHashSize, kHashSize));
  }
  return r;
}

void CompactRange::append(const Hash& leaf) {
  nodes_.push_back(leaf);
  // Each trailing one bit of the old size is a subtree of the new leaf's size: merge them.
  for (std::uint64_t s = size_; (s & 1) != 0; s >>= 1) {
    Hash right = std::move(nodes_.back());
    nodes_.pop_back();
    nodes_.back() = nodeHash(nodes_.back(), right);
  }
  ++size_;
}

Hash CompactRange::root() const {
  if (nodes_.empty()) {
    return emptyRoot();
  }
  Hash h = nodes_.back();
  for (std::size_t i = nodes_.size() - 1; i-- > 0;) {
    h = nodeHash(nodes_[i], h);
  }
  return h;
}

std::string CompactRange::serialize() const {
  std::string out;
  for (const auto& n : nodes_) {
    out += n;
  }
  return out;
}

std::vector<std::pair<std::uint64_t, Hash>> CompactRange::subtrees() const {
  std::vector<std::pair<std::uint64_t, Hash>> out;
  std::size_t i = 0;
  for (int bit = 63; bit >= 0; --bit) {
    const std::uint64_t n = std::uint64_t{1} << bit;
    if ((size_ & n) != 0) {
      out.emplace_back(n, nodes_[i++]);
    }
  }
  return out;
}

LeafView::LeafView(const CompactRange& prefix, const std::vector<Hash>& tail)
    : offset_(prefix.size()), leaves_(tail) {
  std::uint64_t begin = 0;
  for (auto& [n, h] : prefix.subtrees()) {
    prefix_.emplace_back(begin, std::make_pair(n, h));
    begin += n;
  }
}

std::optional<Hash> LeafView::root(std::uint64_t begin, std::uint64_t end) const {
  if (end > size() || begin > end) {
    return std::nullopt;
  }
  if (end - begin == 0) {
    return emptyRoot();
  }
  if (begin < offset_) {
    for (const auto& [b, node] : prefix_) {
      if (b == begin && node.first == end - begin) {
        return node.second;
      }
    }
    if (end <= offset_) {
      return std::nullopt;  // inside a pruned subtree
    }
  }
  if (end - begin == 1) {
    return leaves_[begin - offset_];
  }
  const std::uint64_t k = split(end - begin);
  auto left = root(begin, begin + k);
  auto right = root(begin + k, end);
  if (!left || !right) {
    return std::nullopt;
  }
  return nodeHash(*left, *right);
}

Hash rootOf(const std::vector<Hash>& leaves) { return *LeafView(leaves).root(0, leaves.size()); }

Out inclusionProof(const LeafView& leaves, std::uint64_t m, std::uint64_t size) {
  std::vector<Hash> out;
  if (m >= size || size > leaves.size() || !path(leaves, m, 0, size, out)) {
    return std::nullopt;
  }
  return out;
}

Out consistencyProof(const LeafView& leaves, std::uint64_t m, std::uint64_t n) {
  std::vector<Hash> out;
  if (m == 0 || m > n || n > leaves.size() || !subproof(leaves, m, 0, n, true, out)) {
    return std::nullopt;
  }
  return out;
}

bool verifyInclusion(const Hash& leaf, std::uint64_t index, std::uint64_t size,
                     const std::vector<Hash>& proof, const Hash& root) {
  if (index >= size || leaf.size() != kHashSize) {
    return false;
  }
  std::uint64_t fn = index;
  std::uint64_t sn = size - 1;
  Hash r = leaf;
  for (const auto& p : proof) {
    if (sn == 0 || p.size() != kHashSize) {
      return false;
    }
    if ((fn & 1) != 0 || fn == sn) {
      r = nodeHash(p, r);
      if ((fn & 1) == 0) {
        while ((fn & 1) == 0 && fn != 0) {
          fn >>= 1;
          sn >>= 1;
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return sn == 0 && r == root;
}

bool verifyConsistency(std::uint64_t first, std::uint64_t second, const Hash& firstRoot,
                       const Hash& secondRoot, const std::vector<Hash>& proof) {
  if (first > second) {
    return false;
  }
  if (first == second) {
    return proof.empty() && firstRoot == secondRoot;
  }
  if (first == 0) {
    return proof.empty() && firstRoot == emptyRoot();  // a prefix of every tree
  }
  if (proof.empty()) {
    return false;
  }
  std::vector<Hash> path = proof;
  if ((first & (first - 1)) == 0) {
    path.insert(path.begin(), firstRoot);
  }
  std::uint64_t fn = first - 1;
  std::uint64_t sn = second - 1;
  while ((fn & 1) != 0) {
    fn >>= 1;
    sn >>= 1;
  }
  Hash fr = path[0];
  Hash sr = path[0];
  for (std::size_t i = 1; i < path.size(); ++i) {
    const Hash& c = path[i];
    if (sn == 0 || c.size() != kHashSize) {
      return false;
    }
    if ((fn & 1) != 0 || fn == sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      while ((fn & 1) == 0 && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return fr == firstRoot && sr == secondRoot && sn == 0;
}

}  // namespace rampart::security::audit
