#include <gtest/gtest.h>

#include "rampart/core/element.h"
#include "rampart/security/content_fields.h"
#include "security/dlp/inspector.h"
#include "security/dlp/matcher.h"
#include "security/dlp/validators.h"

namespace rampart::security::dlp {
namespace {

TEST(Validators, ResidentIdChecksDigitDateAndRegion) {
  EXPECT_TRUE(validResidentId("11010519491231002X"));
  EXPECT_TRUE(validResidentId("11010519491231002x"));
  EXPECT_TRUE(validResidentId("310115198511200012"));
  EXPECT_FALSE(validResidentId("110105194912310021"));  // wrong check character
  EXPECT_FALSE(validResidentId("110105194902300024"));  // 30 February
  EXPECT_FALSE(validResidentId("99010519491231002X"));  // no such province
  EXPECT_FALSE(validResidentId("11010519491231002"));   // 17 characters
}

TEST(Validators, UsccCheckCharacter) {
  EXPECT_TRUE(validUscc("91350100M000100Y43"));
  EXPECT_TRUE(validUscc("91110000600037341L"));
  EXPECT_FALSE(validUscc("91350100M000100Y44"));
  EXPECT_FALSE(validUscc("91350100M000100I43"));  // I is not a code character
}

TEST(Validators, LuhnMobileAndBankCard) {
  EXPECT_TRUE(luhnValid("6222021234567890128"));
  EXPECT_FALSE(luhnValid("6222021234567890127"));
  EXPECT_TRUE(validBankCard("6222021234567890128"));
  EXPECT_FALSE(validBankCard("6222021234567890127"));
  EXPECT_FALSE(validBankCard("4242424242"));  // too short
  EXPECT_TRUE(validMainlandMobile("13812345678"));
  EXPECT_TRUE(validMainlandMobile("19912345678"));
  EXPECT_FALSE(validMainlandMobile("12812345678"));
  EXPECT_FALSE(validMainlandMobile("14012345678"));
  EXPECT_TRUE(validEmailDomain("example.com"));
  EXPECT_FALSE(validEmailDomain("localhost"));
  EXPECT_FALSE(validEmailDomain("-a.com"));
}

std::vector<Finding> scan(std::string_view text, const std::vector<CustomRule>& rules = {}) {
  auto m = Matcher::compile(rules);
  EXPECT_TRUE(m.isOk()) << m.status().message();
  return m.value()->scan(text);
}

TEST(Matcher, FindsEachBuiltInWithItsSpan) {
  const std::string text =
      "张三 11010519491231002X, 手机 138-1234-5678, 卡 6222 0212 3456 7890 128, "
      "信用代码 91350100M000100Y43, 护照 E12345678, mail zhang.san@example.com.";
  auto f = scan(text);
  ASSERT_EQ(f.size(), 6u);
  EXPECT_EQ(f[0].rule, "cn_id");
  EXPECT_EQ(text.substr(f[0].begin, f[0].end - f[0].begin), "11010519491231002X");
  EXPECT_EQ(f[1].rule, "cn_mobile");
  EXPECT_EQ(text.substr(f[1].begin, f[1].end - f[1].begin), "138-1234-5678");
  EXPECT_EQ(f[1].confidence, Confidence::kHigh);  // 手机 nearby
  EXPECT_EQ(f[2].rule, "bank_card");
  EXPECT_EQ(text.substr(f[2].begin, f[2].end - f[2].begin), "6222 0212 3456 7890 128");
  EXPECT_EQ(f[3].rule, "uscc");
  EXPECT_EQ(f[4].rule, "passport");
  EXPECT_EQ(f[5].rule, "email");
  EXPECT_EQ(text.substr(f[5].begin, f[5].end - f[5].begin), "zhang.san@example.com");
}

TEST(Matcher, RejectsBadChecksumsAndLongerRuns) {
  EXPECT_TRUE(scan("id 110105194912310021 here").empty());
  EXPECT_TRUE(scan("card 6222021234567890127").empty());
  EXPECT_TRUE(scan("order 1381234567890").empty());    // 13 digits, not a mobile number
  EXPECT_TRUE(scan("code 91350100M000100Y44").empty());
}

TEST(Matcher, ContextRaisesConfidence) {
  auto plain = scan("ref 6222021234567890128");
  ASSERT_EQ(plain.size(), 1u);
  EXPECT_EQ(plain[0].confidence, Confidence::kLow);
  auto ctx = scan("我的银行卡号是 6222021234567890128");
  ASSERT_EQ(ctx.size(), 1u);
  EXPECT_EQ(ctx[0].confidence, Confidence::kHigh);
}

TEST(Matcher, CustomKeywordsAndPatternsInOneDatabase) {
  std::vector<CustomRule> rules{{"falcon", {"猎鹰计划", "Project Falcon"}, {"FALCON-[0-9]{4}"}}};
  auto f = scan("about project falcon and 猎鹰计划: ticket FALCON-2024 done", rules);
  ASSERT_EQ(f.size(), 3u);
  for (const auto& x : f) {
    EXPECT_EQ(x.rule, "falcon");
  }
  EXPECT_EQ(f[2].type, "pattern");
  auto bad = Matcher::compile({{"broken", {}, {"(unclosed"}}});
  ASSERT_FALSE(bad.isOk());
  EXPECT_NE(bad.status().message().find("broken"), std::string::npos);
}

TEST(Inspector, ActionsAndMasking) {
  core::Config c;
  c.hosts.push_back(core::HostConfig{"a.test"});
  c.hosts.back().contentSecurity.actions["cn_mobile"] = "mask";
  c.hosts.back().contentSecurity.rules.push_back({"secret", {"绝密"}, {}, "block"});
  auto in = Inspector::build(c);
  ASSERT_TRUE(in.isOk()) << in.status().message();
  std::vector<ContentField> fields{{"body", "call 13812345678 or 11010519491231002X"}};
  auto v = in.value()->inspect("a.test", fields);
  EXPECT_EQ(v.action, ContentAction::kMask);
  EXPECT_EQ(in.value()->masked(fields[0].text, v.findings, 0),
            "call 138****5678 or 110105********002X");
  fields[0].text = "这是绝密文件";
  v = in.value()->inspect("a.test", fields);
  EXPECT_EQ(v.action, ContentAction::kBlock);
  EXPECT_EQ(v.rule, "secret");
  // Another tenant: the server's defaults (mobile numbers allowed).
  fields[0].text = "call 13812345678";
  EXPECT_EQ(in.value()->inspect("b.test", fields).action, ContentAction::kAllow);
  c.contentSecurity.actions["cn_mobil"] = "mask";
  EXPECT_FALSE(Inspector::build(c).isOk());
}

}  // namespace
}  // namespace rampart::security::dlp

namespace rampart::security {
namespace {

TEST(ContentFields, XhtmlTextInReadingOrderAndItsLinks) {
  auto m = core::parseElement(
      "<message xmlns='jabber:client'><body>b</body><html "
      "xmlns='http://jabber.org/protocol/xhtml-im'><body xmlns='http://www.w3.org/1999/xhtml'>"
      "<p>1101<b>05</b>19491231002X</p><a href='http://x.example/'>go</a></body></html></message>");
  ASSERT_TRUE(m);
  auto f = contentFieldsOf(*m);
  ASSERT_EQ(f.size(), 3u);
  EXPECT_EQ(f[1].name, "html");
  EXPECT_EQ(f[1].text, "11010519491231002Xgo");
  EXPECT_EQ(f[2].name, "url");
  EXPECT_EQ(f[2].text, "http://x.example/");
}

TEST(ContentFields, ForwardedBodiesAndTheirLinksComeLast) {
  auto m = core::parseElement(
      "<message xmlns='jabber:client'><body>fyi</body><forwarded xmlns='urn:xmpp:forward:0'>"
      "<message xmlns='jabber:client'><body>inner</body><x xmlns='jabber:x:oob'>"
      "<url>http://y.example/</url></x></message></forwarded></message>");
  ASSERT_TRUE(m);
  auto f = contentFieldsOf(*m);
  ASSERT_EQ(f.size(), 3u);
  EXPECT_EQ(f[1].name, "forwarded");
  EXPECT_EQ(f[1].text, "inner");
  EXPECT_EQ(f[2].name, "url");
  EXPECT_EQ(forwardedMessages(*m).size(), 1u);
}

TEST(ContentFields, NestedForwardsInAnyNamespaceAndTheirSubjectsAndHtml) {
  auto m = core::parseElement(
      "<message xmlns='jabber:client'><forwarded xmlns='urn:xmpp:forward:0'><message>"
      "<subject>s</subject><html xmlns='http://jabber.org/protocol/xhtml-im'><body "
      "xmlns='http://www.w3.org/1999/xhtml'>h</body></html><forwarded><message "
      "xmlns='jabber:server'><body>deep</body></message></forwarded></message></forwarded>"
      "</message>");
  ASSERT_TRUE(m);
  auto f = contentFieldsOf(*m);
  std::vector<std::string> got;
  for (const auto& x : f) got.push_back(x.name + ":" + x.text);
  EXPECT_EQ(got, (std::vector<std::string>{"forwarded:s", "forwarded-html:h", "forwarded:deep"}));
  EXPECT_EQ(forwardedMessages(*m).size(), 2u);
}

TEST(ContentFields, ProfileTextOfVcardsAndRoomForms) {
  auto vcard = core::parseElement(
      "<iq xmlns='jabber:client' type='set'><vCard xmlns='vcard-temp'><FN>A</FN><TEL><WORK/>"
      "<NUMBER>1</NUMBER></TEL><NOTE/></vCard></iq>");
  ASSERT_TRUE(vcard);
  auto p = profileTextOf(*vcard);
  EXPECT_EQ(p.kind, "vcard");
  ASSERT_EQ(p.elements.size(), 2u);
  EXPECT_EQ(p.elements[1]->text(), "1");
  auto room = core::parseElement(
      "<iq xmlns='jabber:client' type='set'><query xmlns='http://jabber.org/protocol/muc#owner'>"
      "<x xmlns='jabber:x:data' type='submit'><field var='muc#roomconfig_roomname'><value>N"
      "</value></field><field var='muc#roomconfig_maxusers'><value>5</value></field>"
      "<field var='muc#roomconfig_roomdesc'><value>D</value></field></x></query></iq>");
  ASSERT_TRUE(room);
  p = profileTextOf(*room);
  EXPECT_EQ(p.kind, "room");
  ASSERT_EQ(p.elements.size(), 2u);
  EXPECT_EQ(p.elements[1]->text(), "D");
  auto mixed = core::parseElement(
      "<iq xmlns='jabber:client' type='set'><vCard xmlns='vcard-temp'><NOTE>13812345678<X/>"
      "</NOTE></vCard></iq>");
  ASSERT_TRUE(mixed);
  p = profileTextOf(*mixed);
  ASSERT_EQ(p.elements.size(), 1u);
  EXPECT_EQ(p.elements[0]->text(), "13812345678");
  std::string many = "<iq xmlns='jabber:client' type='set'><vCard xmlns='vcard-temp'>";
  for (int i = 0; i < 600; ++i) many += "<X>a</X>";
  many += "<DESC>13812345678</DESC></vCard></iq>";
  auto big = core::parseElement(many);
  ASSERT_TRUE(big);
  EXPECT_FALSE(profileTextOf(*big).complete);
  auto get = core::parseElement(
      "<iq xmlns='jabber:client' type='get'><vCard xmlns='vcard-temp'><FN>A</FN></vCard></iq>");
  ASSERT_TRUE(get);
  EXPECT_TRUE(profileTextOf(*get).elements.empty());
}

}  // namespace
}  // namespace rampart::security
