// Fuzzes the audit log's checkpoint notes (C2SP signed-note format, as an auditor's kept
// checkpoint reaches `rampartctl audit verify --checkpoint`) and the RFC 9162 proof
// verifiers with arbitrary proofs, sizes and indexes. A forged proof must never verify.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "security/audit/checkpoint.h"
#include "security/audit/merkle.h"

using namespace rampart::security::audit;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string in(reinterpret_cast<const char*>(data), size);
  (void)parseCheckpoint(in);
  (void)verifyCheckpoint(in, "localhost/audit", std::string(32, 'k'));
  if (size < 16) {
    return 0;
  }
  std::uint64_t a = 0, b = 0;
  std::memcpy(&a, data, 8);
  std::memcpy(&b, data + 8, 8);
  a %= 1 << 20;
  b %= 1 << 20;
  std::vector<Hash> proof;
  for (size_t off = 16; off + 32 <= size && proof.size() < 64; off += 32) {
    proof.emplace_back(reinterpret_cast<const char*>(data) + off, 32);
  }
  // A real tree of 7 leaves: no fuzzed proof may show a leaf that is not in it.
  std::vector<Hash> leaves;
  for (int i = 0; i < 7; ++i) {
    leaves.push_back(leafHash(std::string(1, static_cast<char>('a' + i))));
  }
  const Hash root = rootOf(leaves);
  if (verifyInclusion(leafHash("not in the tree"), a % 7, 7, proof, root)) {
    std::abort();
  }
  (void)verifyInclusion(leafHash("x"), a, b, proof, root);
  (void)verifyConsistency(a, b, leafHash("p"), leafHash("q"), proof);
  return 0;
}
