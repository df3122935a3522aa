#include "core/sasl/scram.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <string>
#include <string_view>

namespace rampart::core::sasl {
namespace {

using namespace std::literals;

// --- A minimal SCRAM client, written against OpenSSL directly rather than the code under test.
// Its output is pinned to the RFC 5802 vector below, so it can then produce valid proofs for
// cases the RFCs do not cover (channel binding, authzid, extensions).

const EVP_MD* md(ScramHash h) { return h == ScramHash::kSha1 ? EVP_sha1() : EVP_sha256(); }

std::string hmacRef(ScramHash h, std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(md(h), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
  return std::string(reinterpret_cast<char*>(out), len);
}

std::string hashRef(ScramHash h, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), out, &len, md(h), nullptr);
  return std::string(reinterpret_cast<char*>(out), len);
}

std::string attr(std::string_view message, char name) {
  const std::string key = std::string(1, name) + "=";
  std::size_t pos = message.substr(0, 2) == key ? 0 : message.find("," + key);
  if (pos == std::string_view::npos) {
    return {};
  }
  pos += pos == 0 ? 2 : 3;
  return std::string(message.substr(pos, message.find(',', pos) - pos));
}

// Returns client-final-message for the given exchange. withoutProofSuffix is appended after the
// nonce (e.g. ",x=ext") so extensions are covered by the proof like a real client would do.
// nonce replaces the combined nonce from serverFirst, to forge an otherwise valid message.
std::string clientFinalRef(ScramHash h, std::string_view password, std::string_view clientBare,
                           std::string_view serverFirst, std::string_view cbindInput,
                           std::string_view withoutProofSuffix = "", std::string nonce = {}) {
  const std::string salt = *base64Decode(attr(serverFirst, 's'));
  const int iterations = std::stoi(attr(serverFirst, 'i'));
  std::string salted(static_cast<std::size_t>(EVP_MD_get_size(md(h))), '\0');
  PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                    reinterpret_cast<const unsigned char*>(salt.data()),
                    static_cast<int>(salt.size()), iterations, md(h),
                    static_cast<int>(salted.size()),
                    reinterpret_cast<unsigned char*>(salted.data()));
  const std::string clientKey = hmacRef(h, salted, "Client Key");
  const std::string storedKey = hashRef(h, clientKey);
  if (nonce.empty()) {
    nonce = attr(serverFirst, 'r');
  }
  const std::string withoutProof =
      "c=" + base64Encode(cbindInput) + ",r=" + nonce + std::string(withoutProofSuffix);
  const std::string authMessage =
      std::string(clientBare) + "," + std::string(serverFirst) + "," + withoutProof;
  std::string proof = hmacRef(h, storedKey, authMessage);
  for (std::size_t i = 0; i < proof.size(); ++i) {
    proof[i] = static_cast<char>(proof[i] ^ clientKey[i]);
  }
  return withoutProof + ",p=" + base64Encode(proof);
}

// --- RFC test vectors -------------------------------------------------------------------------

TEST(ScramServerTest, Rfc5802Sha1Vector) {
  const std::string salt = *base64Decode("QSXCR+Q6sek8bf92");
  const ScramCredential cred = deriveScramCredential(ScramHash::kSha1, "pencil", salt, 4096);
  ScramServer server(ScramHash::kSha1, false, false, {}, "3rfcNHYJY1ZVvWVs7j");

  ASSERT_EQ(server.receiveClientFirst("n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL"), SaslError::kNone);
  EXPECT_EQ(server.username(), "user");
  EXPECT_EQ(server.authzid(), "");
  EXPECT_EQ(server.serverFirst(cred),
            "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096");
  EXPECT_EQ(server.receiveClientFinal("c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,"
                                      "p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts="),
            SaslError::kNone);
  EXPECT_EQ(server.serverFinal(), "v=rmF9pqV8S7suAoZWja4dJRkFsKQ=");
}

TEST(ScramServerTest, Rfc7677Sha256Vector) {
  const std::string salt = *base64Decode("W22ZaJ0SNY7soEsUEjb6gQ==");
  const ScramCredential cred = deriveScramCredential(ScramHash::kSha256, "pencil", salt, 4096);
  ScramServer server(ScramHash::kSha256, false, false, {}, "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0");

  ASSERT_EQ(server.receiveClientFirst("n,,n=user,r=rOprNGfwEbeRWgbNEkqO"), SaslError::kNone);
  EXPECT_EQ(server.serverFirst(cred),
            "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,"
            "i=4096");
  EXPECT_EQ(server.receiveClientFinal("c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
                                      "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="),
            SaslError::kNone);
  EXPECT_EQ(server.serverFinal(), "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=");
}

TEST(ScramServerTest, ReferenceClientReproducesRfc5802Proof) {
  EXPECT_EQ(clientFinalRef(ScramHash::kSha1, "pencil", "n=user,r=fyko+d2lbbFgONRv9qkxdawL",
                           "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096",
                           "n,,"),
            "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=");
}

// --- Fixture for the remaining cases ----------------------------------------------------------

constexpr std::string_view kPassword = "correct horse";
constexpr std::string_view kExporter = "\x01\x02\x03 exporter bytes \xff\x00 32 long!!"sv;

class ScramExchangeTest : public ::testing::Test {
 protected:
  static const ScramCredential& credential(ScramHash h) {
    // Few iterations keep the suite fast; the count is irrelevant to the protocol logic.
    static const ScramCredential sha1 =
        deriveScramCredential(ScramHash::kSha1, kPassword, "salt-bytes", 64);
    static const ScramCredential sha256 =
        deriveScramCredential(ScramHash::kSha256, kPassword, "salt-bytes", 64);
    return h == ScramHash::kSha1 ? sha1 : sha256;
  }

  static ChannelBindings tlsBindings() {
    return {{"tls-exporter", std::string(kExporter)}, {"tls-server-end-point", "endpoint-hash"}};
  }

  // Runs client-first and serverFirst; returns server-first-message.
  static std::string start(ScramServer& server, std::string_view clientFirst,
                           ScramHash h = ScramHash::kSha256) {
    EXPECT_EQ(server.receiveClientFirst(clientFirst), SaslError::kNone) << clientFirst;
    return server.serverFirst(credential(h));
  }

  static std::string bareOf(std::string_view clientFirst) {
    const std::size_t first = clientFirst.find(',');
    return std::string(clientFirst.substr(clientFirst.find(',', first + 1) + 1));
  }
};

TEST_F(ScramExchangeTest, Sha1AndSha256RoundTripWithRandomServerNonce) {
  for (ScramHash h : {ScramHash::kSha1, ScramHash::kSha256}) {
    ScramServer server(h, false, false, {});
    const std::string cf = "n,,n=alice,r=abcdefgh";
    const std::string sf = start(server, cf, h);
    const std::string nonce = attr(sf, 'r');
    ASSERT_EQ(nonce.substr(0, 8), "abcdefgh");
    EXPECT_EQ(nonce.size(), 8u + 32u);  // 24 random bytes, base64
    EXPECT_EQ(nonce.find(','), std::string::npos);
    EXPECT_EQ(server.receiveClientFinal(clientFinalRef(h, kPassword, bareOf(cf), sf, "n,,")),
              SaslError::kNone);
    EXPECT_EQ(server.serverFinal().substr(0, 2), "v=");
  }
}

TEST_F(ScramExchangeTest, ServerNoncesDiffer) {
  ScramServer a(ScramHash::kSha256, false, false, {});
  ScramServer b(ScramHash::kSha256, false, false, {});
  EXPECT_NE(start(a, "n,,n=u,r=x"), start(b, "n,,n=u,r=x"));
}

TEST_F(ScramExchangeTest, WrongPasswordIsNotAuthorized) {
  ScramServer server(ScramHash::kSha256, false, false, {}, "SNONCE");
  const std::string cf = "n,,n=alice,r=cnonce";
  const std::string sf = start(server, cf);
  EXPECT_EQ(
      server.receiveClientFinal(clientFinalRef(ScramHash::kSha256, "wrong", bareOf(cf), sf, "n,,")),
      SaslError::kNotAuthorized);
  EXPECT_EQ(server.serverFinal(), "");
}

TEST_F(ScramExchangeTest, TamperedProofAndNonce) {
  const std::string cf = "n,,n=alice,r=cnonce";
  {
    ScramServer server(ScramHash::kSha256, false, false, {}, "SNONCE");
    const std::string sf = start(server, cf);
    std::string final = clientFinalRef(ScramHash::kSha256, kPassword, bareOf(cf), sf, "n,,");
    // Flip one proof bit while keeping base64 canonical: change the first proof character.
    const std::size_t p = final.find(",p=") + 3;
    final[p] = final[p] == 'A' ? 'B' : 'A';
    EXPECT_EQ(server.receiveClientFinal(final), SaslError::kNotAuthorized);
  }
  for (std::string nonce : {"cnonceSNONCEX"s, "cnonceSNONC"s, "cnonce"s, "xnonceSNONCE"s}) {
    // The proof is valid for the AuthMessage the server builds; only r= is wrong.
    ScramServer server(ScramHash::kSha256, false, false, {}, "SNONCE");
    const std::string sf = start(server, cf);
    EXPECT_EQ(server.receiveClientFinal(
                  clientFinalRef(ScramHash::kSha256, kPassword, bareOf(cf), sf, "n,,", "", nonce)),
              SaslError::kNotAuthorized)
        << nonce;
  }
  {
    ScramServer server(ScramHash::kSha256, false, false, {}, "SNONCE");
    start(server, cf);
    // Proof from an exchange with another server nonce: r= no longer matches.
    const std::string other = "r=cnonceOTHER,s=" + base64Encode("salt-bytes") + ",i=64";
    EXPECT_EQ(server.receiveClientFinal(
                  clientFinalRef(ScramHash::kSha256, kPassword, bareOf(cf), other, "n,,")),
              SaslError::kNotAuthorized);
  }
  {
    ScramServer server(ScramHash::kSha256, false, false, {}, "SNONCE");
    start(server, cf);
    // Right length of base64, wrong digest length (SHA-1 sized proof for SHA-256).
    EXPECT_EQ(
        server.receiveClientFinal("c=biws,r=cnonceSNONCE,p=" + base64Encode(std::string(20, 'x'))),
        SaslError::kNotAuthorized);
  }
}

TEST_F(ScramExchangeTest, BadBase64IsIncorrectEncoding) {
  for (std::string final : {"c=biws,r=cnonceSNONCE,p=AAA"s, "c=biws,r=cnonceSNONCE,p=AA A"s,
                            "c=bi,r=cnonceSNONCE,p=AAAA"s, "c=bi=s,r=cnonceSNONCE,p=AAAA"s,
                            "c=biws,r=cnonceSNONCE,p=AB=="s}) {
    ScramServer server(ScramHash::kSha256, false, false, {}, "SNONCE");
    start(server, "n,,n=alice,r=cnonce");
    EXPECT_EQ(server.receiveClientFinal(final), SaslError::kIncorrectEncoding) << final;
  }
}

TEST_F(ScramExchangeTest, FinalExtensionsAreCoveredByProof) {
  const std::string cf = "n,,n=alice,r=cnonce";
  ScramServer server(ScramHash::kSha256, false, false, {}, "SNONCE");
  const std::string sf = start(server, cf);
  EXPECT_EQ(server.receiveClientFinal(
                clientFinalRef(ScramHash::kSha256, kPassword, bareOf(cf), sf, "n,,", ",x=a=b")),
            SaslError::kNone);
}

// --- Channel binding --------------------------------------------------------------------------

TEST_F(ScramExchangeTest, PlusWithMatchingBindingSucceeds) {
  for (const char* type : {"tls-exporter", "tls-server-end-point"}) {
    ScramServer server(ScramHash::kSha256, true, true, tlsBindings(), "SNONCE");
    const std::string header = "p="s + type + ",,";
    const std::string cf = header + "n=alice,r=cnonce";
    const std::string sf = start(server, cf);
    const std::string data = tlsBindings().at(type);
    EXPECT_EQ(server.receiveClientFinal(
                  clientFinalRef(ScramHash::kSha256, kPassword, bareOf(cf), sf, header + data)),
              SaslError::kNone)
        << type;
  }
}

TEST_F(ScramExchangeTest, PlusWithWrongBindingDataIsNotAuthorized) {
  const std::string cf = "p=tls-exporter,,n=alice,r=cnonce";
  for (std::string cbind : {"p=tls-exporter,,"s,                       // data missing
                            "p=tls-exporter,,"s + "other connection",  // relayed exchange
                            "p=tls-exporter,,endpoint-hash"s,          // other type's data
                            "n,,"s + std::string(kExporter)}) {        // header rewritten
    ScramServer server(ScramHash::kSha256, true, true, tlsBindings(), "SNONCE");
    const std::string sf = start(server, cf);
    EXPECT_EQ(server.receiveClientFinal(
                  clientFinalRef(ScramHash::kSha256, kPassword, bareOf(cf), sf, cbind)),
              SaslError::kNotAuthorized);
  }
}

TEST_F(ScramExchangeTest, PlusFirstMessageRules) {
  const struct {
    std::string message;
    SaslError expected;
  } cases[] = {
      {"p=tls-unique,,n=alice,r=cnonce", SaslError::kMalformedRequest},  // not offered
      {"n,,n=alice,r=cnonce", SaslError::kMalformedRequest},  // -PLUS chosen but no binding
      {"y,,n=alice,r=cnonce", SaslError::kMalformedRequest},
      {"p=,,n=alice,r=cnonce", SaslError::kMalformedRequest},
      {"p=tls exporter,,n=alice,r=cnonce", SaslError::kMalformedRequest},
      {"p=tls_exporter,,n=alice,r=cnonce", SaslError::kMalformedRequest},
      {"p=TLS-EXPORTER,,n=alice,r=cnonce", SaslError::kMalformedRequest},
  };
  for (const auto& c : cases) {
    ScramServer server(ScramHash::kSha256, true, true, tlsBindings());
    EXPECT_EQ(server.receiveClientFirst(c.message), c.expected) << c.message;
  }
  // No TLS at all: nothing to bind to.
  ScramServer server(ScramHash::kSha256, true, false, {});
  EXPECT_EQ(server.receiveClientFirst("p=tls-exporter,,n=alice,r=cnonce"),
            SaslError::kMalformedRequest);
}

TEST_F(ScramExchangeTest, NonPlusRejectsBindingRequest) {
  ScramServer server(ScramHash::kSha256, false, true, tlsBindings());
  EXPECT_EQ(server.receiveClientFirst("p=tls-exporter,,n=alice,r=cnonce"),
            SaslError::kMalformedRequest);
}

TEST_F(ScramExchangeTest, YFlagWhenPlusOfferedIsDowngrade) {
  ScramServer server(ScramHash::kSha256, false, true, tlsBindings());
  EXPECT_EQ(server.receiveClientFirst("y,,n=alice,r=cnonce"), SaslError::kNotAuthorized);
  EXPECT_EQ(server.receiveClientFinal("c=eSws,r=cnonce,p=AAAA"), SaslError::kMalformedRequest);
}

TEST_F(ScramExchangeTest, YFlagWhenPlusNotOfferedIsFine) {
  const std::string cf = "y,,n=alice,r=cnonce";
  ScramServer server(ScramHash::kSha256, false, false, {}, "SNONCE");
  const std::string sf = start(server, cf);
  EXPECT_EQ(server.receiveClientFinal(
                clientFinalRef(ScramHash::kSha256, kPassword, bareOf(cf), sf, "y,,")),
            SaslError::kNone);
}

TEST_F(ScramExchangeTest, NFlagWhenPlusOfferedIsFine) {
  const std::string cf = "n,,n=alice,r=cnonce";
  ScramServer server(ScramHash::kSha256, false, true, tlsBindings(), "SNONCE");
  const std::string sf = start(server, cf);
  EXPECT_EQ(server.receiveClientFinal(
                clientFinalRef(ScramHash::kSha256, kPassword, bareOf(cf), sf, "n,,")),
            SaslError::kNone);
}

TEST_F(ScramExchangeTest, CbindMustRepeatFlagAndAuthzid) {
  const std::string cf = "n,a=admin,n=alice,r=cnonce";
  for (std::string cbind : {"n,,"s, "y,a=admin,"s, "n,a=root,"s}) {
    ScramServer server(ScramHash::kSha256, false, false, {}, "SNONCE");
    const std::string sf = start(server, cf);
    EXPECT_EQ(server.receiveClientFinal(
                  clientFinalRef(ScramHash::kSha256, kPassword, bareOf(cf), sf, cbind)),
              SaslError::kNotAuthorized)
        << cbind;
  }
  ScramServer server(ScramHash::kSha256, false, false, {}, "SNONCE");
  const std::string sf = start(server, cf);
  EXPECT_EQ(server.authzid(), "admin");
  EXPECT_EQ(server.receiveClientFinal(
                clientFinalRef(ScramHash::kSha256, kPassword, bareOf(cf), sf, "n,a=admin,")),
            SaslError::kNone);
}

// --- Client-first syntax ----------------------------------------------------------------------

TEST_F(ScramExchangeTest, SaslnameEscapes) {
  ScramServer server(ScramHash::kSha256, false, false, {});
  ASSERT_EQ(server.receiveClientFirst("n,a=a=3Db=2Cc,n=us=2Cer=3D,r=x"), SaslError::kNone);
  EXPECT_EQ(server.username(), "us,er=");
  EXPECT_EQ(server.authzid(), "a=b,c");

  ScramServer utf8(ScramHash::kSha256, false, false, {});
  ASSERT_EQ(utf8.receiveClientFirst("n,,n=J\xC3\xBCrgen\xF0\x9F\x94\x91,r=x"), SaslError::kNone);
  EXPECT_EQ(utf8.username(), "J\xC3\xBCrgen\xF0\x9F\x94\x91");

  for (std::string bad :
       {"n,,n=us=2cer,r=x"s, "n,,n=us=3der,r=x"s, "n,,n=us=41er,r=x"s, "n,,n=user=,r=x"s,
        "n,,n=user=2,r=x"s, "n,,n==,r=x"s, "n,a=ad=mi,n=user,r=x"s, "n,a=admin=,n=user,r=x"s}) {
    ScramServer s(ScramHash::kSha256, false, false, {});
    EXPECT_EQ(s.receiveClientFirst(bad), SaslError::kMalformedRequest) << bad;
  }
}

TEST_F(ScramExchangeTest, MalformedClientFirst) {
  const std::string tooLong = "n,,n=user,r=" + std::string(4096, 'x');
  const std::string cases[] = {
      "",
      "n",
      "n,",
      "n,,",
      "x,,n=user,r=abc",
      "N,,n=user,r=abc",
      "F,n,,n=user,r=abc",  // RFC 5801 non-standard flag is not part of SCRAM
      "n,x=admin,n=user,r=abc",
      "n,a=,n=user,r=abc",
      "n,a=admin",
      "n,,r=abc,n=user",
      "n,,n=user",
      "n,,n=user,",
      "n,,n=user,r=",
      "n,,n=,r=abc",
      "n,,m=ext,n=user,r=abc",
      "n,,n=user,r=abc,m=ext",
      "n,,n=user,r=abc,",
      "n,,n=user,r=abc,,x=y",
      "n,,n=user,r=abc,x=",
      "n,,n=user,r=abc,1=y",
      "n,,n=user,r=abc,xy=z",
      "n,,n=user,r=abc,r=def",
      "n,,n=user,r=abc,n=other",
      "n,,n=user,r=ab c",
      "n,,n=user,r=ab\x7f",
      "n,,n=user,r=ab\xc3\xa9",
      "n,,n=us\0er,r=abc"s,
      "n,,n=us\xC3,r=abc",              // truncated UTF-8
      "n,,n=us\xC0\xAF,r=abc",          // overlong
      "n,,n=us\xE0\x80\xAF,r=abc",      // overlong
      "n,,n=us\xF0\x80\x80\xAF,r=abc",  // overlong
      "n,,n=us\xED\xA0\x80,r=abc",      // surrogate
      "n,,n=us\xF4\x90\x80\x80,r=abc",  // above U+10FFFF
      "n,,n=user,r=abc,x=\xFF",
      tooLong,
  };
  for (const std::string& message : cases) {
    ScramServer server(ScramHash::kSha256, false, false, {});
    EXPECT_EQ(server.receiveClientFirst(message), SaslError::kMalformedRequest) << message;
  }
}

TEST_F(ScramExchangeTest, UnknownFirstExtensionsAreIgnored) {
  ScramServer server(ScramHash::kSha256, false, false, {});
  EXPECT_EQ(server.receiveClientFirst("n,,n=user,r=abc,x=1,y=a=b"), SaslError::kNone);
}

// --- Client-final syntax and sequencing -------------------------------------------------------

TEST_F(ScramExchangeTest, MalformedClientFinal) {
  const std::string proof = ",p=" + base64Encode(std::string(32, 'p'));
  const std::string cases[] = {
      "",
      "c=biws",
      "c=biws,r=cnonceSNONCE",
      "r=cnonceSNONCE,c=biws" + proof,
      "c=biws" + proof,
      "c=biws,r=cnonceSNONCE," + proof.substr(1) + ",x=y",
      "c=biws,r=cnonceSNONCE,m=must" + proof,
      "c=biws,r=cnonceSNONCE,r=cnonceSNONCE" + proof,
      "c=biws,r=cnonceSNONCE,p=AAAA" + proof,
      "c=biws,r=cnonceSNONCE,,x=y" + proof,
      "c=biws,r=cnonceSNONCE,p=",
      "c=biws,r=cnonceSNONCE,q=AAAA",
      "c=biws,r=" + proof,
      "c=biws,r=cnonce SNONCE" + proof,
      "c=biws,r=cnonceSNONCE" + proof + std::string(4096, 'A'),
  };
  for (const std::string& message : cases) {
    ScramServer server(ScramHash::kSha256, false, false, {}, "SNONCE");
    start(server, "n,,n=alice,r=cnonce");
    EXPECT_EQ(server.receiveClientFinal(message), SaslError::kMalformedRequest) << message;
  }
}

TEST_F(ScramExchangeTest, SequencingIsEnforced) {
  const std::string cf = "n,,n=alice,r=cnonce";
  {
    ScramServer server(ScramHash::kSha256, false, false, {}, "SNONCE");
    ASSERT_EQ(server.receiveClientFirst(cf), SaslError::kNone);
    EXPECT_EQ(server.receiveClientFinal("c=biws,r=cnonceSNONCE,p=AAAA"),
              SaslError::kMalformedRequest);
  }
  {
    ScramServer server(ScramHash::kSha256, false, false, {}, "SNONCE");
    ASSERT_EQ(server.receiveClientFirst(cf), SaslError::kNone);
    EXPECT_EQ(server.receiveClientFirst(cf), SaslError::kMalformedRequest);
  }
  {
    // A success cannot be replayed, and a failure cannot be retried in the same exchange.
    ScramServer server(ScramHash::kSha256, false, false, {}, "SNONCE");
    const std::string sf = start(server, cf);
    const std::string good = clientFinalRef(ScramHash::kSha256, kPassword, bareOf(cf), sf, "n,,");
    ASSERT_EQ(server.receiveClientFinal(good), SaslError::kNone);
    EXPECT_EQ(server.receiveClientFinal(good), SaslError::kMalformedRequest);
    EXPECT_EQ(server.serverFinal(), "");

    ScramServer retry(ScramHash::kSha256, false, false, {}, "SNONCE");
    start(retry, cf);
    ASSERT_EQ(retry.receiveClientFinal(
                  clientFinalRef(ScramHash::kSha256, "guess", bareOf(cf), sf, "n,,")),
              SaslError::kNotAuthorized);
    EXPECT_EQ(retry.receiveClientFinal(good), SaslError::kMalformedRequest);
  }
}

TEST_F(ScramExchangeTest, UnusableCredentialIsTemporaryFailure) {
  const std::string cf = "n,,n=alice,r=cnonce";
  ScramCredential broken = deriveScramCredential(ScramHash::kSha256, kPassword, "salt", 0);
  EXPECT_TRUE(broken.storedKey.empty());
  EXPECT_TRUE(broken.serverKey.empty());
  const ScramCredential* creds[] = {&broken, &credential(ScramHash::kSha1)};
  for (const ScramCredential* cred : creds) {
    ScramServer server(ScramHash::kSha256, false, false, {}, "SNONCE");
    ASSERT_EQ(server.receiveClientFirst(cf), SaslError::kNone);
    server.serverFirst(*cred);
    EXPECT_EQ(
        server.receiveClientFinal("c=biws,r=cnonceSNONCE,p=" + base64Encode(std::string(32, 'p'))),
        SaslError::kTemporaryAuthFailure);
  }
}

TEST(ScramCredentialTest, DeriveIsDeterministicAndHashSpecific) {
  const ScramCredential a = deriveScramCredential(ScramHash::kSha1, "pw", "salt", 10);
  const ScramCredential b = deriveScramCredential(ScramHash::kSha1, "pw", "salt", 10);
  const ScramCredential c = deriveScramCredential(ScramHash::kSha256, "pw", "salt", 10);
  EXPECT_EQ(a.storedKey, b.storedKey);
  EXPECT_EQ(a.serverKey, b.serverKey);
  EXPECT_EQ(a.storedKey.size(), 20u);
  EXPECT_EQ(c.storedKey.size(), 32u);
  EXPECT_EQ(c.serverKey.size(), 32u);
  EXPECT_EQ(a.salt, "salt");
  EXPECT_EQ(a.iterations, 10u);
  EXPECT_NE(a.storedKey, a.serverKey);
  EXPECT_TRUE(deriveScramCredential(ScramHash::kSha256, "pw", "s", 0x80000000u).storedKey.empty());
}

// --- Helpers ----------------------------------------------------------------------------------

TEST(SaslErrorTest, Names) {
  EXPECT_EQ(saslErrorName(SaslError::kNone), "");
  EXPECT_EQ(saslErrorName(SaslError::kAborted), "aborted");
  EXPECT_EQ(saslErrorName(SaslError::kAccountDisabled), "account-disabled");
  EXPECT_EQ(saslErrorName(SaslError::kCredentialsExpired), "credentials-expired");
  EXPECT_EQ(saslErrorName(SaslError::kEncryptionRequired), "encryption-required");
  EXPECT_EQ(saslErrorName(SaslError::kIncorrectEncoding), "incorrect-encoding");
  EXPECT_EQ(saslErrorName(SaslError::kInvalidAuthzid), "invalid-authzid");
  EXPECT_EQ(saslErrorName(SaslError::kInvalidMechanism), "invalid-mechanism");
  EXPECT_EQ(saslErrorName(SaslError::kMalformedRequest), "malformed-request");
  EXPECT_EQ(saslErrorName(SaslError::kMechanismTooWeak), "mechanism-too-weak");
  EXPECT_EQ(saslErrorName(SaslError::kNotAuthorized), "not-authorized");
  EXPECT_EQ(saslErrorName(SaslError::kTemporaryAuthFailure), "temporary-auth-failure");
}

TEST(Base64Test, Rfc4648Vectors) {
  const std::pair<std::string, std::string> vectors[] = {
      {"", ""},
      {"f", "Zg=="},
      {"fo", "Zm8="},
      {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="},
      {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"},
      {"\x00\xff\xfe"s, "AP/+"},
  };
  for (const auto& [raw, text] : vectors) {
    EXPECT_EQ(base64Encode(raw), text);
    EXPECT_EQ(base64Decode(text), raw) << text;
  }
}

TEST(Base64Test, LargeInputRoundTrips) {
  const std::string raw = randomBytes(100000);
  const std::string text = base64Encode(raw);
  EXPECT_EQ(text.size(), (raw.size() + 2) / 3 * 4);
  EXPECT_EQ(base64Decode(text), raw);
}

TEST(Base64Test, StrictDecoderRejects) {
  for (std::string bad :
       {"Zg"s, "Zg="s, "Zg==="s, "Z==="s, "===="s, "Zh=="s, "Zm9="s, "Zm9v\n"s, " Zm9v"s, "Zm9v "s,
        "Zm 9v"s, "Zm9v\r\n"s, "Zg==Zg=="s, "Z=g="s, "Zm-_"s, "Zm$v"s, "Zm9\0"s, "Zm9v===="s}) {
    EXPECT_EQ(base64Decode(bad), std::nullopt) << bad;
  }
}

TEST(RandomBytesTest, SizeAndVariety) {
  EXPECT_EQ(randomBytes(0), "");
  EXPECT_EQ(randomBytes(24).size(), 24u);
  EXPECT_NE(randomBytes(24), randomBytes(24));
}

// --- PLAIN ------------------------------------------------------------------------------------

TEST(PlainTest, Accepts) {
  auto m = parsePlain("\0user\0pass"s);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->authzid, "");
  EXPECT_EQ(m->authcid, "user");
  EXPECT_EQ(m->password, "pass");

  m = parsePlain("admin@example.org\0user\0p\xC3\xA4ss word"s);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->authzid, "admin@example.org");
  EXPECT_EQ(m->password, "p\xC3\xA4ss word");

  const std::string max(255, 'a');
  m = parsePlain(max + '\0' + max + '\0' + max);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->authcid.size(), 255u);
}

TEST(PlainTest, Rejects) {
  const std::string big(256, 'a');
  const std::string cases[] = {
      ""s,
      "user"s,
      "\0user"s,
      "\0\0pass"s,
      "\0user\0"s,
      "\0user\0pass\0"s,
      "a\0user\0pa\0ss"s,
      "\0\0"s,
      big + "\0user\0pass"s,
      "\0"s + big + "\0pass"s,
      "\0user\0"s + big,
      "\0us\xFF\0pass"s,
      "\0user\0pa\xC0\x80ss"s,  // overlong NUL
      "\xED\xB0\x80\0user\0pass"s,
      "\0user\0pass\xE2\x82"s,
  };
  for (const std::string& message : cases) {
    EXPECT_EQ(parsePlain(message), std::nullopt) << testing::PrintToString(message);
  }
}

}  // namespace
}  // namespace rampart::core::sasl
