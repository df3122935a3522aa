#include "core/sasl/sasl2.h"

#include <gtest/gtest.h>

#include "rampart/core/element.h"

namespace rampart::core::sasl {
namespace {

TEST(Sasl2, ReadsWhatAnAuthenticateAsksFor) {
  auto el = parseElement(
      "<authenticate xmlns='urn:xmpp:sasl:2' mechanism='SCRAM-SHA-256'>"
      "<initial-response>biwsbj11c2VyLHI9YWJj</initial-response>"
      "<user-agent id='1'><software>Gajim</software><device>Laptop</device></user-agent>"
      "<bind xmlns='urn:xmpp:bind:0'><tag>Gajim</tag></bind>"
      "<request-token xmlns='urn:xmpp:fast:0' mechanism='HT-SHA-256-NONE'/></authenticate>");
  ASSERT_TRUE(el);
  auto r = readAuthenticate(*el);
  EXPECT_EQ(r.mechanism, "SCRAM-SHA-256");
  ASSERT_TRUE(r.initial);
  EXPECT_EQ(*r.initial, "n,,n=user,r=abc");
  EXPECT_EQ(r.software, "Gajim");
  EXPECT_EQ(r.device, "Laptop");
  EXPECT_TRUE(r.bind);
  EXPECT_EQ(r.tag, "Gajim");
  EXPECT_TRUE(r.requestToken);
  EXPECT_FALSE(r.invalidate);
  EXPECT_FALSE(r.smEnable);

  // Stream management inside Bind 2 (XEP-0198), with and without resumption.
  el = parseElement(
      "<authenticate xmlns='urn:xmpp:sasl:2' mechanism='PLAIN'>"
      "<bind xmlns='urn:xmpp:bind:0'><enable xmlns='urn:xmpp:sm:3' resume='true'/></bind>"
      "</authenticate>");
  ASSERT_TRUE(el);
  r = readAuthenticate(*el);
  EXPECT_TRUE(r.smEnable);
  EXPECT_TRUE(r.smResume);
  el = parseElement(
      "<authenticate xmlns='urn:xmpp:sasl:2' mechanism='PLAIN'>"
      "<bind xmlns='urn:xmpp:bind:0'><enable xmlns='urn:xmpp:sm:3'/></bind></authenticate>");
  ASSERT_TRUE(el);
  r = readAuthenticate(*el);
  EXPECT_TRUE(r.smEnable);
  EXPECT_FALSE(r.smResume);
}

TEST(Sasl2, BoundsNamesAndRefusesBadBase64AndOtherTokenMechanisms) {
  const std::string longName(300, 'x');
  auto el = parseElement("<authenticate xmlns='urn:xmpp:sasl:2' mechanism='PLAIN'>"
                         "<initial-response>!!!</initial-response><user-agent><software>" +
                         longName + "</software></user-agent>"
                         "<request-token xmlns='urn:xmpp:fast:0' mechanism='HT-SHA-1-NONE'/>"
                         "<fast xmlns='urn:xmpp:fast:0' invalidate='1'/></authenticate>");
  ASSERT_TRUE(el);
  auto r = readAuthenticate(*el);
  EXPECT_TRUE(r.badInitial);
  EXPECT_FALSE(r.initial);
  EXPECT_EQ(r.software.size(), 100u);
  EXPECT_FALSE(r.requestToken);
  EXPECT_TRUE(r.invalidate);
  EXPECT_FALSE(r.bind);
}

TEST(Sasl2, FastInitialResponseAndProofs) {
  const std::string proof = fastProof("token-secret", "Initiator");
  ASSERT_EQ(proof.size(), 32u);
  EXPECT_NE(proof, fastProof("token-secret", "Responder"));
  EXPECT_NE(proof, fastProof("other-token", "Initiator"));
  auto p = parseFastInitial("juliet" + std::string(1, '\0') + proof);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->user, "juliet");
  EXPECT_EQ(p->proof, proof);
  EXPECT_FALSE(parseFastInitial(std::string(1, '\0') + proof));        // no user
  EXPECT_FALSE(parseFastInitial("juliet" + proof));                    // no separator
  EXPECT_FALSE(parseFastInitial("juliet" + std::string(1, '\0') + "short"));
}

TEST(Sasl2, FastTokensAreDerivedFromTheSeedWithTheServersKey) {
  // RFC 4231-style check of the HMAC-SHA-256 underneath (the classic "quick brown fox" vector).
  EXPECT_EQ(fastTokenFor("key", "The quick brown fox jumps over the lazy dog"),
            "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8");
  const std::string a = fastTokenFor("server-key-1", "seed");
  EXPECT_EQ(a, fastTokenFor("server-key-1", "seed"));
  EXPECT_NE(a, fastTokenFor("server-key-2", "seed"));
  EXPECT_NE(a, fastTokenFor("server-key-1", "seed2"));
}

}  // namespace
}  // namespace rampart::core::sasl
