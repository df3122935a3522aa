#include "security/audit/merkle.h"

#include <gtest/gtest.h>

#include "rampart/core/hex.h"

namespace rampart::security::audit {
namespace {

// The inputs of the Certificate Transparency reference test vectors (RFC 6962 trees).
std::vector<Hash> referenceLeaves() {
  const std::vector<std::string> inputs = {
      std::string(),
      std::string("\x00", 1),
      "\x10",
      "\x20\x21",
      "\x30\x31",
      "\x40\x41\x42\x43",
      "\x50\x51\x52\x53\x54\x55\x56\x57",
      "\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f"};
  std::vector<Hash> leaves;
  for (const auto& i : inputs) {
    leaves.push_back(leafHash(i));
  }
  return leaves;
}

TEST(Merkle, ReferenceRoots) {
  const char* roots[] = {
      "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
      "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
      "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
      "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
      "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
      "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
      "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"};
  auto all = referenceLeaves();
  EXPECT_EQ(core::hexEncode(emptyRoot()),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CompactRange range;
  for (std::size_t n = 1; n <= all.size(); ++n) {
    std::vector<Hash> leaves(all.begin(), all.begin() + static_cast<long>(n));
    EXPECT_EQ(core::hexEncode(rootOf(leaves)), roots[n - 1]) << n;
    range.append(all[n - 1]);
    EXPECT_EQ(core::hexEncode(range.root()), roots[n - 1]) << n;
    auto restored = CompactRange::restore(range.size(), range.serialize());
    ASSERT_TRUE(restored);
    EXPECT_EQ(restored->root(), range.root());
  }
}

std::vector<Hash> manyLeaves(std::size_t n) {
  std::vector<Hash> out;
  for (std::size_t i = 0; i < n; ++i) {
    out.push_back(leafHash("record " + std::to_string(i)));
  }
  return out;
}

TEST(Merkle, EveryInclusionProofVerifiesAndNoOtherLeafDoes) {
  auto leaves = manyLeaves(33);
  for (std::uint64_t n = 1; n <= leaves.size(); ++n) {
    std::vector<Hash> prefix(leaves.begin(), leaves.begin() + static_cast<long>(n));
    const Hash root = rootOf(prefix);
    for (std::uint64_t m = 0; m < n; ++m) {
      auto proof = inclusionProof(LeafView(leaves), m, n);
      ASSERT_TRUE(proof);
      EXPECT_TRUE(verifyInclusion(leaves[m], m, n, *proof, root)) << m << "/" << n;
      EXPECT_FALSE(verifyInclusion(leaves[(m + 1) % leaves.size()], m, n, *proof, root) &&
                   leaves[(m + 1) % leaves.size()] != leaves[m]);
      if (n > 1) {
        EXPECT_FALSE(verifyInclusion(leaves[m], (m + 1) % n, n, *proof, root)) << m << "/" << n;
      }
    }
  }
}

TEST(Merkle, EveryConsistencyProofVerifiesAndATamperedOneFails) {
  auto leaves = manyLeaves(33);
  for (std::uint64_t n = 1; n <= leaves.size(); ++n) {
    const Hash second = rootOf({leaves.begin(), leaves.begin() + static_cast<long>(n)});
    for (std::uint64_t m = 1; m <= n; ++m) {
      const Hash first = rootOf({leaves.begin(), leaves.begin() + static_cast<long>(m)});
      auto proof = consistencyProof(LeafView(leaves), m, n);
      ASSERT_TRUE(proof);
      EXPECT_TRUE(verifyConsistency(m, n, first, second, *proof)) << m << "/" << n;
      if (m < n) {
        auto bad = *proof;
        bad.back()[0] ^= 1;
        EXPECT_FALSE(verifyConsistency(m, n, first, second, bad)) << m << "/" << n;
        EXPECT_FALSE(verifyConsistency(m, n, leafHash("x"), second, *proof)) << m << "/" << n;
      }
    }
  }
}

TEST(Merkle, ProofsAfterPruningUseThePrefixSubtrees) {
  auto leaves = manyLeaves(40);
  CompactRange prefix;
  for (int i = 0; i < 13; ++i) {
    prefix.append(leaves[static_cast<std::size_t>(i)]);
  }
  std::vector<Hash> tail(leaves.begin() + 13, leaves.end());
  LeafView pruned(prefix, tail);
  const Hash root = rootOf(leaves);
  for (std::uint64_t m = 13; m < 40; ++m) {
    auto proof = inclusionProof(pruned, m, 40);
    ASSERT_TRUE(proof) << m;
    EXPECT_EQ(*proof, *inclusionProof(LeafView(leaves), m, 40));
    EXPECT_TRUE(verifyInclusion(leaves[m], m, 40, *proof, root));
  }
  EXPECT_FALSE(inclusionProof(pruned, 3, 40)) << "a pruned leaf has no proof";
  auto c = consistencyProof(pruned, 13, 40);
  ASSERT_TRUE(c);
  EXPECT_TRUE(verifyConsistency(13, 40, prefix.root(), root, *c));
}

TEST(Merkle, RestoreRejectsAWrongNumberOfHashes) {
  EXPECT_FALSE(CompactRange::restore(3, std::string(32, 'x')));
  EXPECT_TRUE(CompactRange::restore(3, std::string(64, 'x')));
  EXPECT_TRUE(CompactRange::restore(0, ""));
}

}  // namespace
}  // namespace rampart::security::audit
