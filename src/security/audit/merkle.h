#pragma once
// The Merkle tree of RFC 9162 (Certificate Transparency v2) section 2.1 over the audit log's
// records: leaf and node hashes, the running root of an append-only log (a compact range),
// and inclusion and consistency proofs with their verification. Pure functions and a value
// type; safe from any thread.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rampart::security::audit {

using Hash = std::string;  // 32 raw bytes (SHA-256)

// SHA-256(0x00 || data): the hash of one record (RFC 9162 section 2.1.1).
Hash leafHash(std::string_view data);
// SHA-256(0x01 || left || right).
Hash nodeHash(std::string_view left, std::string_view right);
// MTH of the empty tree: SHA-256 of nothing.
Hash emptyRoot();

// The roots of the perfect subtrees that make up a tree of `size` leaves, largest first: all
// that is needed to append and to compute the root (RFC 9162 trees are left-balanced, so
// these are the binary digits of `size`).
class CompactRange {
 public:
  CompactRange() = default;
  // nullopt when `hashes` does not hold one 32-byte hash per set bit of `size`.
  static std::optional<CompactRange> restore(std::uint64_t size, std::string_view hashes);

  void append(const Hash& leaf);
  Hash root() const;
  std::uint64_t size() const { return size_; }
  // The subtree roots concatenated, for storage.
  std::string serialize() const;
  // (leaf count, root) of each subtree, largest (leftmost) first.
  std::vector<std::pair<std::uint64_t, Hash>> subtrees() const;

 private:
  std::uint64_t size_ = 0;
  std::vector<Hash> nodes_;  // largest subtree first
};

// The leaves of a log whose oldest records may have been pruned: the pruned prefix survives
// as its compact range, the rest as leaf hashes. Subtree roots that need a pruned leaf
// other than through a whole prefix subtree cannot be computed.
class LeafView {
 public:
  explicit LeafView(const std::vector<Hash>& leaves) : leaves_(leaves) {}
  LeafView(const CompactRange& prefix, const std::vector<Hash>& tail);
  std::uint64_t size() const { return offset_ + leaves_.size(); }
  // MTH(D[begin:end]), or nullopt when it needs pruned leaves.
  std::optional<Hash> root(std::uint64_t begin, std::uint64_t end) const;

 private:
  std::uint64_t offset_ = 0;
  std::vector<std::pair<std::uint64_t, std::pair<std::uint64_t, Hash>>> prefix_;  // begin, (n, h)
  const std::vector<Hash>& leaves_;
};

// MTH(D[n]) of the given leaf hashes.
Hash rootOf(const std::vector<Hash>& leaves);
// RFC 9162 2.1.3.1 PATH(m, D[n]); m < size <= leaves.size(). nullopt: arguments out of range,
// or a pruned leaf is needed.
std::optional<std::vector<Hash>> inclusionProof(const LeafView& leaves, std::uint64_t m,
                                                std::uint64_t size);
// RFC 9162 2.1.4.1 PROOF(m, D[n]); 0 < m <= n <= leaves.size().
std::optional<std::vector<Hash>> consistencyProof(const LeafView& leaves, std::uint64_t m,
                                                  std::uint64_t n);
// RFC 9162 2.1.3.2: does `proof` show that `leaf` is leaf `index` of the tree (`size`, `root`)?
bool verifyInclusion(const Hash& leaf, std::uint64_t index, std::uint64_t size,
                     const std::vector<Hash>& proof, const Hash& root);
// RFC 9162 2.1.4.2: does `proof` show that tree (`first`, `firstRoot`) is a prefix of tree
// (`second`, `secondRoot`)?
bool verifyConsistency(std::uint64_t first, std::uint64_t second, const Hash& firstRoot,
                       const Hash& secondRoot, const std::vector<Hash>& proof);

}  // namespace rampart::security::audit
