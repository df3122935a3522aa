#include "xml/stream_parser.h"

#include <gtest/gtest.h>

#include <vector>

namespace rampart::xml {
namespace {

constexpr std::string_view kHeader =
    "<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
    "xmlns:stream='http://etherx.jabber.org/streams' to='example.com' version='1.0'>";

struct Collector {
  std::vector<core::Element> stanzas;
  std::map<std::string, std::string> header;
  std::string ns;
  int opens = 0;
  bool closed = false;
  StreamParser::Callbacks callbacks() {
    return {[this](const auto& a, const std::string& n) { header = a; ns = n; ++opens; },
            [this](core::Element&& e) { stanzas.push_back(std::move(e)); },
            [this]() { closed = true; }};
  }
};

TEST(StreamParser, ParsesHeaderStanzasAndClose) {
  Collector c;
  StreamParser p({}, c.callbacks());
  ASSERT_EQ(p.feed(kHeader), ParseError::kNone);
  EXPECT_EQ(c.header["to"], "example.com");
  EXPECT_EQ(c.ns, "jabber:client");
  ASSERT_EQ(p.feed("<message to='a@b' type='chat'><body>hi &amp; &lt;3</body></message>"),
            ParseError::kNone);
  ASSERT_EQ(c.stanzas.size(), 1u);
  EXPECT_EQ(c.stanzas[0].ns(), "jabber:client");
  EXPECT_EQ(c.stanzas[0].childText("body", "jabber:client"), "hi & <3");
  ASSERT_EQ(p.feed("</stream:stream>"), ParseError::kNone);
  EXPECT_TRUE(c.closed);
}

TEST(StreamParser, ByteAtATime) {
  Collector c;
  StreamParser p({}, c.callbacks());
  std::string all = std::string(kHeader) + "<iq type='get' id='1'><ping xmlns='urn:xmpp:ping'/></iq>";
  for (char ch : all) {
    ASSERT_EQ(p.feed(std::string_view(&ch, 1)), ParseError::kNone);
  }
  ASSERT_EQ(c.stanzas.size(), 1u);
  EXPECT_NE(c.stanzas[0].child("ping", "urn:xmpp:ping"), nullptr);
}

TEST(StreamParser, RefusesDoctypeAndEntities) {
  Collector c;
  StreamParser p({}, c.callbacks());
  EXPECT_EQ(p.feed("<?xml version='1.0'?><!DOCTYPE lolz [<!ENTITY lol 'lol'>]><stream:stream/>"),
            ParseError::kRestrictedXml);
}

TEST(StreamParser, RefusesProcessingInstructionsAndComments) {
  {
    Collector c;
    StreamParser p({}, c.callbacks());
    ASSERT_EQ(p.feed(kHeader), ParseError::kNone);
    EXPECT_EQ(p.feed("<?foo bar?>"), ParseError::kRestrictedXml);
  }
  {
    Collector c;
    StreamParser p({}, c.callbacks());
    ASSERT_EQ(p.feed(kHeader), ParseError::kNone);
    EXPECT_EQ(p.feed("<message><!-- hi --></message>"), ParseError::kRestrictedXml);
  }
}

TEST(StreamParser, MalformedXml) {
  Collector c;
  StreamParser p({}, c.callbacks());
  ASSERT_EQ(p.feed(kHeader), ParseError::kNone);
  EXPECT_EQ(p.feed("<message><body></message>"), ParseError::kNotWellFormed);
}

TEST(StreamParser, InvalidUtf8IsUnsupportedEncoding) {
  Collector c;
  StreamParser p({}, c.callbacks());
  ASSERT_EQ(p.feed(kHeader), ParseError::kNone);
  EXPECT_EQ(p.feed("<message><body>a\xff\xfe</body></message>"),
            ParseError::kUnsupportedEncoding);
}

TEST(StreamParser, Utf8SplitAcrossChunksIsFine) {
  Collector c;
  StreamParser p({}, c.callbacks());
  ASSERT_EQ(p.feed(kHeader), ParseError::kNone);
  const std::string body = "<message><body>\xc3\xa9t\xc3\xa9 \xf0\x9f\x98\x80</body></message>";
  for (char ch : body) {
    ASSERT_EQ(p.feed(std::string_view(&ch, 1)), ParseError::kNone);
  }
  ASSERT_EQ(c.stanzas.size(), 1u);
  EXPECT_EQ(c.stanzas[0].childText("body", "jabber:client"), "\xc3\xa9t\xc3\xa9 \xf0\x9f\x98\x80");
}

TEST(StreamParser, UndefinedEntityIsNotWellFormed) {
  Collector c;
  StreamParser p({}, c.callbacks());
  ASSERT_EQ(p.feed(kHeader), ParseError::kNone);
  EXPECT_EQ(p.feed("<message><body>&xxe;</body></message>"), ParseError::kNotWellFormed);
}

TEST(StreamParser, OversizedStanzaIsPolicyViolation) {
  Collector c;
  ParserLimits limits;
  limits.maxStanzaBytes = 1024;
  StreamParser p(limits, c.callbacks());
  ASSERT_EQ(p.feed(kHeader), ParseError::kNone);
  ASSERT_EQ(p.feed("<message><body>"), ParseError::kNone);
  ParseError e = ParseError::kNone;
  for (int i = 0; i < 20 && e == ParseError::kNone; ++i) {
    e = p.feed(std::string(100, 'x'));
  }
  EXPECT_EQ(e, ParseError::kPolicyViolation);
}

TEST(StreamParser, HugeStartTagIsPolicyViolation) {
  Collector c;
  ParserLimits limits;
  limits.maxStanzaBytes = 1024;
  StreamParser p(limits, c.callbacks());
  ASSERT_EQ(p.feed(kHeader), ParseError::kNone);
  ASSERT_EQ(p.feed("<message to='"), ParseError::kNone);
  EXPECT_EQ(p.feed(std::string(2000, 'x')), ParseError::kPolicyViolation);
}

TEST(StreamParser, DepthLimit) {
  Collector c;
  ParserLimits limits;
  limits.maxDepth = 5;
  StreamParser p(limits, c.callbacks());
  ASSERT_EQ(p.feed(kHeader), ParseError::kNone);
  EXPECT_EQ(p.feed("<a><b><c><d><e><f/></e></d></c></b></a>"), ParseError::kPolicyViolation);
}

TEST(StreamParser, WrongStreamNamespace) {
  Collector c;
  StreamParser p({}, c.callbacks());
  EXPECT_EQ(p.feed("<stream:stream xmlns:stream='urn:wrong'>"), ParseError::kInvalidNamespace);
}

TEST(StreamParser, TextAtStreamLevelIsBadFormat) {
  Collector c;
  StreamParser p({}, c.callbacks());
  ASSERT_EQ(p.feed(kHeader), ParseError::kNone);
  EXPECT_EQ(p.feed("  \n "), ParseError::kNone);
  EXPECT_EQ(p.feed("junk"), ParseError::kBadFormat);
}

TEST(StreamParser, PauseResumeAndRestart) {
  Collector c;
  StreamParser p({}, c.callbacks());
  p.setPauseAfterEachElement(true);
  // Pipelined: auth, then the restarted stream's header right behind it.
  ASSERT_EQ(p.feed(std::string(kHeader) + "<a xmlns='x'/><auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>" +
                   std::string(kHeader)),
            ParseError::kNone);
  ASSERT_TRUE(p.paused());
  ASSERT_EQ(c.stanzas.size(), 1u);
  EXPECT_EQ(c.stanzas[0].name(), "a");
  ASSERT_EQ(p.resume(), ParseError::kNone);
  ASSERT_TRUE(p.paused());
  ASSERT_EQ(c.stanzas.size(), 2u);
  EXPECT_EQ(c.stanzas[1].name(), "auth");
  std::string rest = p.restart();
  EXPECT_EQ(rest, kHeader);
  ASSERT_EQ(p.feed(rest), ParseError::kNone);
  EXPECT_EQ(c.opens, 2);
}

TEST(StreamParser, HibernateAndWakeKeepTheStreamContext) {
  Collector c;
  StreamParser p({}, c.callbacks());
  ASSERT_EQ(p.feed("<s:stream xmlns='jabber:client' xmlns:s='http://etherx.jabber.org/streams' "
                   "to='example.com' version='1.0'><message><body>1</body></message>  "),
            ParseError::kNone);
  ASSERT_TRUE(p.canHibernate());
  p.hibernate();
  EXPECT_TRUE(p.hibernating());
  ASSERT_EQ(p.feed("<message><body>2</body></message>"), ParseError::kNone);
  EXPECT_FALSE(p.hibernating());
  EXPECT_EQ(c.opens, 1);  // the header callback is not repeated
  ASSERT_EQ(c.stanzas.size(), 2u);
  EXPECT_EQ(c.stanzas[1].ns(), "jabber:client");
  EXPECT_EQ(c.stanzas[1].childText("body", "jabber:client"), "2");
  p.hibernate();
  ASSERT_EQ(p.feed("</s:stream>"), ParseError::kNone);
  EXPECT_TRUE(c.closed);
}

TEST(StreamParser, NoHibernationInsideAStanza) {
  Collector c;
  StreamParser p({}, c.callbacks());
  ASSERT_EQ(p.feed(std::string(kHeader) + "<message><bo"), ParseError::kNone);
  EXPECT_FALSE(p.canHibernate());
  ASSERT_EQ(p.feed("dy>x</body></message>"), ParseError::kNone);
  EXPECT_TRUE(p.canHibernate());
}

TEST(Element, SerializesWithEscapingAndNamespaces) {
  core::Element m("message", "jabber:client");
  m.setAttr("to", "a'b\"c<d>&");
  m.addChild("body", "jabber:client").addText("x<y>&z");
  m.addChild("ping", "urn:xmpp:ping");
  EXPECT_EQ(m.str(),
            "<message to='a&apos;b&quot;c&lt;d&gt;&amp;'><body>x&lt;y&gt;&amp;z</body>"
            "<ping xmlns='urn:xmpp:ping'/></message>");
}

TEST(Element, RoundTripsThroughParser) {
  core::Element m("message", "jabber:client");
  m.setAttr("xml:lang", "en");
  m.addChild("body", "jabber:client").addText("]]> & 'quotes' \"dq\" \r\n");
  Collector c;
  StreamParser p({}, c.callbacks());
  ASSERT_EQ(p.feed(std::string(kHeader) + m.str()), ParseError::kNone);
  ASSERT_EQ(c.stanzas.size(), 1u);
  EXPECT_EQ(c.stanzas[0].str(), m.str());
}

}  // namespace
}  // namespace rampart::xml

namespace rampart::core {
namespace {
TEST(ElementSerializer, AddressedReplacesOrAddsTo) {
  Element m("message", std::string(kNsClient));
  m.setAttr("from", "room@conference.example/nick").setAttr("to", "old@example/x");
  m.addChild("body", std::string(kNsClient)).addText("a < b");
  std::string out;
  m.serializeAddressed(out, kNsClient, "alice@example/phone&1");
  EXPECT_EQ(out,
            "<message from='room@conference.example/nick' to='alice@example/phone&amp;1'>"
            "<body>a &lt; b</body></message>");
  Element bare("presence", std::string(kNsClient));
  out.clear();
  bare.serializeAddressed(out, "", "bob@example/r");
  EXPECT_EQ(out, "<presence xmlns='jabber:client' to='bob@example/r'/>");
}
}  // namespace
}  // namespace rampart::core
