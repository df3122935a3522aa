#include <gtest/gtest.h>

#include <algorithm>

#include "security/links/blocklist.h"
#include "security/links/canonical.h"

namespace rampart::security::links {
namespace {

std::string canon(std::string_view url) {
  auto u = canonicalize(url);
  return u ? u->str() : std::string("(none)");
}

// Examples of the Safe Browsing URL canonicalisation specification.
TEST(Canonical, SafeBrowsingExamples) {
  EXPECT_EQ(canon("http://host/%25%32%35"), "http://host/%25");
  EXPECT_EQ(canon("http://host/%25%32%35%25%32%35"), "http://host/%25%25");
  EXPECT_EQ(canon("http://host/%2525252525252525"), "http://host/%25");
  EXPECT_EQ(canon("http://www.GOOgle.com/"), "http://www.google.com/");
  EXPECT_EQ(canon("http://3279880203/blah"), "http://195.127.0.11/blah");
  EXPECT_EQ(canon("http://www.google.com/blah/.."), "http://www.google.com/");
  EXPECT_EQ(canon("www.google.com/"), "http://www.google.com/");
  EXPECT_EQ(canon("www.google.com"), "http://www.google.com/");
  EXPECT_EQ(canon("http://www.google.com.../"), "http://www.google.com/");
  EXPECT_EQ(canon("http://www.google.com/foo\tbar\rbaz\n2"), "http://www.google.com/foobarbaz2");
  EXPECT_EQ(canon("http://%31%36%38%2e%31%38%38%2e%39%39%2e%32%36/%2E%73%65%63%75%72%65/%77%77%77"
                  "%2E%65%62%61%79%2E%63%6F%6D/"),
            "http://168.188.99.26/.secure/www.ebay.com/");
  EXPECT_EQ(canon("http://host.com/ab%23cd"), "http://host.com/ab%23cd");
  EXPECT_EQ(canon("http://host.com//twoslashes?more//slashes"),
            "http://host.com/twoslashes?more//slashes");
  EXPECT_EQ(canon("http://www.gotaport.com:1234/"), "http://www.gotaport.com/");
  EXPECT_EQ(canon("http://user:pw@Evil.example/x#frag"), "http://evil.example/x");
  EXPECT_EQ(canon("ftp://host/"), "(none)");
  EXPECT_EQ(canon("http:///"), "(none)");
}

TEST(Canonical, LookupExpressions) {
  auto u = canonicalize("http://a.b.c/1/2.html?param=1");
  ASSERT_TRUE(u);
  auto e = lookupExpressions(*u);
  for (const char* want : {"a.b.c/1/2.html?param=1", "a.b.c/1/2.html", "a.b.c/", "a.b.c/1/",
                           "b.c/1/2.html?param=1", "b.c/1/2.html", "b.c/", "b.c/1/"}) {
    EXPECT_NE(std::find(e.begin(), e.end(), want), e.end()) << want;
  }
  EXPECT_EQ(e.size(), 8u);
}

TEST(Canonical, FindsUrlsInText) {
  auto urls = findUrls("看这里 https://evil.example/a?b=1，还有www.test.cn/x. 和 HTTP://X.Y/z)");
  ASSERT_EQ(urls.size(), 3u);
  EXPECT_EQ(urls[0], "https://evil.example/a?b=1");
  EXPECT_EQ(urls[1], "www.test.cn/x");
  EXPECT_EQ(urls[2], "HTTP://X.Y/z");
}

TEST(Blocklist, DomainsPrefixesAndUrlhausCsv) {
  Blocklist b;
  b.addText(
      "# comment\n"
      "evil.example\n"
      "phish.example/login/\n"
      "################################################################\n"
      "# id,dateadded,url,url_status,last_online,threat,tags,urlhaus_link,reporter\n"
      "\"3021\",\"2026-11-30 10:00:00\",\"http://198.51.100.7/bins/mozi.m\",\"online\",\"\","
      "\"malware_download\",\"elf,Mozi\",\"https://urlhaus.abuse.ch/url/3021/\",\"x\"\n");
  auto m = [&](std::string_view url) {
    auto u = canonicalize(url);
    auto hit = u ? b.match(*u) : std::nullopt;
    return hit ? hit->threat : std::string("-");
  };
  EXPECT_EQ(m("https://EVIL.example/anything"), "listed");
  EXPECT_EQ(m("http://login.evil.example./x"), "listed");
  EXPECT_EQ(m("http://notevil.example/"), "-");
  EXPECT_EQ(m("http://phish.example/login/verify.php"), "listed");
  EXPECT_EQ(m("http://phish.example/about"), "-");
  EXPECT_EQ(m("http://3325256711/bins/mozi.m"), "malware_download");  // 198.51.100.7
  EXPECT_EQ(m("http://198.51.100.7/bins/other"), "-");
  auto u = canonicalize("https://mail.corp.example/x");
  EXPECT_TRUE(allowed(*u, {"corp.example"}));
  EXPECT_FALSE(allowed(*u, {"rp.example"}));
}

}  // namespace
}  // namespace rampart::security::links
