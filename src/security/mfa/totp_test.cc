#include "security/mfa/totp.h"

#include <gtest/gtest.h>

namespace rampart::security::mfa {
namespace {

// RFC 6238 appendix B, SHA-1 column (8 digits there; the last 6 are the 6-digit code).
TEST(Totp, Rfc6238TestVectors) {
  const std::string secret = "12345678901234567890";
  const std::pair<std::int64_t, const char*> vectors[] = {
      {59, "94287082"}, {1111111109, "07081804"}, {1111111111, "14050471"},
      {1234567890, "89005924"}, {2000000000, "69279037"}, {20000000000, "65353130"}};
  for (const auto& [t, code] : vectors) {
    EXPECT_EQ(totpCode(secret, totpStep(t)), std::string(code).substr(2)) << t;
  }
}

TEST(Totp, AcceptsTheAdjacentStepsOnceEach) {
  const std::string secret = "12345678901234567890";
  const std::int64_t now = 1111111111;
  const std::string code = totpCode(secret, totpStep(now));
  auto step = verifyTotp(secret, code, now, 0);
  ASSERT_TRUE(step);
  EXPECT_FALSE(verifyTotp(secret, code, now, *step)) << "a code is single-use";
  EXPECT_TRUE(verifyTotp(secret, totpCode(secret, totpStep(now) - 1), now, 0));
  EXPECT_TRUE(verifyTotp(secret, totpCode(secret, totpStep(now) + 1), now, 0));
  EXPECT_FALSE(verifyTotp(secret, totpCode(secret, totpStep(now) + 2), now, 0));
  EXPECT_FALSE(verifyTotp(secret, "12345", now, 0));
  EXPECT_FALSE(verifyTotp(secret, "abcdef", now, 0));
}

TEST(Totp, Base32RoundTripsAndTheUriCarriesTheSecret) {
  const std::string raw = "\x01\x02\x03\xfe\xff hello";
  EXPECT_EQ(base32Decode(base32(raw)), raw);
  EXPECT_EQ(base32("foobar"), "MZXW6YTBOI");  // RFC 4648 section 10, unpadded
  EXPECT_FALSE(base32Decode("A1"));
  const std::string uri = otpauthUri("Rampart example.com", "sys@example.com", "12345678901234567890");
  EXPECT_EQ(uri.rfind("otpauth://totp/Rampart%20example.com:sys@example.com?secret=", 0), 0u);
  EXPECT_NE(uri.find("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"), std::string::npos);
  const std::string svg = qrSvg(uri);
  EXPECT_EQ(svg.rfind("<svg", 0), 0u);
  EXPECT_GT(svg.size(), 1000u);
}

TEST(RecoveryCodes, TenSingleUseCodesStoredHashed) {
  auto rc = newRecoveryCodes();
  ASSERT_EQ(rc.codes.size(), 10u);
  ASSERT_EQ(rc.hashes.size(), 10u);
  for (std::size_t i = 0; i < 10; ++i) {
    EXPECT_EQ(rc.codes[i].size(), 14u);
    EXPECT_EQ(rc.hashes[i].rfind("$argon2id$", 0), 0u);
    EXPECT_EQ(rc.hashes[i].find(rc.codes[i]), std::string::npos);
  }
  auto hit = matchRecoveryCode(rc.hashes, rc.codes[3]);
  ASSERT_TRUE(hit);
  EXPECT_EQ(*hit, 3u);
  EXPECT_FALSE(matchRecoveryCode(rc.hashes, "aaaa-bbbb-cccc"));
}

}  // namespace
}  // namespace rampart::security::mfa
