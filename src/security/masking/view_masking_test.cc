#include "security/masking/view_masking.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace rampart::security::masking {
namespace {

namespace json = boost::json;

ViewPolicy masked() {
  ViewPolicy p;
  p.accountDomains = {"corp.example.com"};
  return p;
}

TEST(ViewMasking, FreeTextKeepsAccountJidsAndMasksTheRest) {
  const ViewPolicy p = masked();
  EXPECT_EQ(maskText("li.wei@corp.example.com called 13812345678 from 10.1.2.3", p),
            "li.wei@corp.example.com called 138****5678 from 10.1.*.*");
  EXPECT_EQ(maskText("mail zhang.san@gmail.com", p), "mail z***@gmail.com");
  ViewPolicy addressesClear = p;
  addressesClear.addresses = false;
  EXPECT_EQ(maskText("13812345678 from 10.1.2.3", addressesClear), "138****5678 from 10.1.2.3");
  ViewPolicy revealed = addressesClear;
  revealed.personal = false;
  EXPECT_TRUE(revealed.masksNothing());
  EXPECT_EQ(maskText("13812345678 from 10.1.2.3", revealed), "13812345678 from 10.1.2.3");
}

TEST(ViewMasking, JsonAddressFieldsAndFreeTextButNotIdentifiers) {
  json::value doc = json::parse(R"({"items":[{"id":"6222021234567890128","seq":7,
    "time":"2026-12-01T00:00:00.000Z","source":"192.168.10.20","actor":"13812345678@corp.example.com",
    "reason":"card 6222021234567890128 reported","details":{"phone":"13912345678"}}]})");
  EXPECT_TRUE(maskJson(doc, masked()));
  const auto& item = doc.at("items").at(0).as_object();
  EXPECT_EQ(item.at("id").as_string(), "6222021234567890128");
  EXPECT_EQ(item.at("source").as_string(), "192.168.*.*");
  EXPECT_EQ(item.at("actor").as_string(), "13812345678@corp.example.com");
  EXPECT_EQ(item.at("reason").as_string(), "card 622202*********0128 reported");
  EXPECT_EQ(item.at("details").at("phone").as_string(), "139****5678");

  // What somebody typed as an account name, and a resource the client chose, are not
  // identifiers of this server's accounts.
  json::value typed = json::parse(R"({"account":"13812345678","actor":"li@gmail.com",
    "jid":"bob@corp.example.com/Phone 13912345678"})");
  EXPECT_TRUE(maskJson(typed, masked()));
  EXPECT_EQ(typed.at("account").as_string(), "138****5678");
  EXPECT_EQ(typed.at("actor").as_string(), "l***@gmail.com");
  EXPECT_EQ(typed.at("jid").as_string(), "bob@corp.example.com/Phone 139****5678");

  json::value clean = json::parse(R"({"jid":"a@corp.example.com","summary":"all quiet"})");
  EXPECT_FALSE(maskJson(clean, masked()));
}

TEST(ViewMasking, JsonLinesMaskedLinesAreMarkedOthersStayByteForByte) {
  const std::string plain = R"({"seq":1,  "action":"user.create","source":"local"})";
  const std::string personal = R"({"seq":2,"reason":"phone 13812345678"})";
  const std::string out = maskJsonLines(plain + "\n" + personal + "\n", masked());
  const auto nl = out.find('\n');
  EXPECT_EQ(out.substr(0, nl), plain);
  json::value second = json::parse(out.substr(nl + 1, out.size() - nl - 2));
  EXPECT_EQ(second.at("reason").as_string(), "phone 138****5678");
  EXPECT_TRUE(second.at("masked").as_bool());
  EXPECT_EQ(out.back(), '\n');
  // A line that is no JSON is masked as text, never passed on in clear.
  EXPECT_EQ(maskJsonLines("not json 13812345678\n", masked()), "not json 138****5678\n");
  // Invalid UTF-8 (a client string cut in the middle of a character) still parses.
  ASSERT_TRUE(parseForMasking("{\"client\":\"a\xe4\xb8\",\"reason\":\"13812345678\"}"));
}

}  // namespace
}  // namespace rampart::security::masking
