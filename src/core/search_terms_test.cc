#include "rampart/core/search_terms.h"

#include <gtest/gtest.h>

namespace rampart::core {
namespace {

using V = std::vector<std::string>;

TEST(SearchTerms, LatinWordsAreFoldedAndPunctuationDropped) {
  EXPECT_EQ(indexTerms("Hello, WORLD! hello again: Straße café"),
            (V{"hello", "world", "again", "strasse", "café"}));
  EXPECT_EQ(queryTerms("  WORLD  "), V{"world"});
  EXPECT_EQ(indexTerms("release 2.0 on 2026-12-03"), (V{"release", "2.0", "on", "2026", "12", "03"}));
  EXPECT_TRUE(indexTerms("!!! ...").empty());
}

TEST(SearchTerms, ChineseIsIndexedAsBigramsAndCharacters) {
  EXPECT_EQ(indexTerms("数据安全"), (V{"数", "据", "安", "全", "数据", "据安", "安全"}));
  // A search for two or more characters needs their bigrams; one character, itself. ICU's
  // dictionary segments 会议室 as 会议 + 室; the run is bigrammed across that boundary, so a
  // search for 议室 finds it.
  EXPECT_EQ(queryTerms("数据安全"), (V{"数据", "据安", "安全"}));
  EXPECT_EQ(queryTerms("会议室"), (V{"会议", "议室"}));
  EXPECT_EQ(queryTerms("议室"), V{"议室"});
  // Punctuation ends a run.
  EXPECT_EQ(queryTerms("数据，安全"), (V{"数据", "安全"}));
  EXPECT_EQ(queryTerms("数"), V{"数"});
  // Mixed text: Latin words and Chinese runs apart; full-width letters folded.
  EXPECT_EQ(queryTerms("ＶＰＮ连接失败 report"), (V{"vpn", "连接", "接失", "失败", "report"}));
}

TEST(SearchTerms, EveryQueryTermOfAWordInTheTextIsAnIndexTerm) {
  const std::string text = "今天下午三点在会议室讨论加密方案, see the Encryption plan v2";
  const auto index = indexTerms(text);
  for (const char* q : {"会议室", "加密方案", "encryption", "PLAN", "下午", "讨"}) {
    for (const auto& t : queryTerms(q)) {
      EXPECT_NE(std::find(index.begin(), index.end(), t), index.end()) << q << ": " << t;
    }
  }
  EXPECT_LE(indexTerms(std::string(100000, 'a') + " b").size(), kMaxSearchTerms);
}

}  // namespace
}  // namespace rampart::core
