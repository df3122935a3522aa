// The DLP matcher's own speed: MB/s of text scanned by the default rule set (the built-in
// detectors, one vectorscan database) and by the default set plus 200 custom keyword rules,
// over a generated corpus of realistic mixed Chinese/English chat lines (about one line in ten
// holds a number, an address or a link). One thread, as on the message path. Prints JSON.
#include <chrono>
#include <cstdlib>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "rampart/core/element.h"
#include "rampart/security/content_fields.h"
#include "security/dlp/inspector.h"
#include "security/dlp/matcher.h"

namespace {
using rampart::security::dlp::CustomRule;
using rampart::security::dlp::Matcher;

std::vector<std::string> corpus(std::size_t lines) {
  static const char* const kPlain[] = {
      "好的，我下午三点前把方案发给你",
      "Can we move the review to Thursday? The build is still red.",
      "收到，谢谢！周五的会议改到 10:30，地点在 3 楼会议室",
      "Please check the latest numbers in the quarterly report before we send it out.",
      "这个需求我们评估一下工作量，明天给你答复",
      "LGTM, merging now. 记得更新一下文档",
      "客户那边反馈说登录有点慢，能帮忙看一下吗？",
      "Lunch at 12? 楼下新开了一家面馆",
  };
  static const char* const kSensitive[] = {
      "他的手机号是 13812345678，你直接联系他",
      "身份证号 11010519491231002X 已经核对过了",
      "打款到 6222 0212 3456 7890 128，开户行招商银行",
      "Send the contract to zhang.san@example.com please",
      "文档在 https://wiki.example.com/pages/viewpage.action?pageId=123456 里",
      "公司的统一社会信用代码是 91350100M000100Y43",
  };
  std::mt19937 rng(7);
  std::vector<std::string> out;
  for (std::size_t i = 0; i < lines; ++i) {
    out.emplace_back(i % 10 == 9 ? kSensitive[rng() % std::size(kSensitive)]
                                 : kPlain[rng() % std::size(kPlain)]);
  }
  return out;
}

double measure(const Matcher& m, const std::vector<std::string>& lines, std::size_t& findings) {
  std::size_t bytes = 0;
  findings = 0;
  const auto start = std::chrono::steady_clock::now();
  for (int round = 0; round < 20; ++round) {
    for (const auto& l : lines) {
      findings += m.scan(l).size();
      bytes += l.size();
    }
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return static_cast<double>(bytes) / 1e6 / seconds;
}
}  // namespace

int main() {
  auto lines = corpus(20000);
  if (std::getenv("DLP_TS_BODIES") != nullptr) {
    for (std::size_t i = 0; i < lines.size(); ++i) {
      lines[i] = std::to_string(1733160000123456789ULL + i * 7919) + " 3";
    }
  }
  std::size_t bytes = 0;
  for (const auto& l : lines) bytes += l.size();
  auto builtin = Matcher::compile({}).value();
  std::vector<CustomRule> rules;
  for (int i = 0; i < 200; ++i) {
    rules.push_back({"rule" + std::to_string(i),
                     {"项目代号" + std::to_string(i), "codename-" + std::to_string(i)},
                     {}});
  }
  auto many = Matcher::compile(rules).value();
  std::size_t f1 = 0, f2 = 0;
  const double a = measure(*builtin, lines, f1);
  const double b = measure(*many, lines, f2);
  // The whole inspection of a message as the message path runs it (fields, detectors, links,
  // fraud cues), with the default rules, over the corpus.
  rampart::core::Config config;
  config.hosts.push_back(rampart::core::HostConfig{"localhost"});
  auto inspector = rampart::security::dlp::Inspector::build(config).value();
  auto message = rampart::core::parseElement(
                     "<message xmlns='jabber:client' type='chat' to='u@localhost'><body>x</body>"
                     "</message>")
                     .value();
  const auto start = std::chrono::steady_clock::now();
  std::size_t inspected = 0;
  for (int round = 0; round < 5; ++round) {
    for (const auto& l : lines) {
      auto fields = rampart::security::contentFieldsOf(message);
      fields[0].text = l;
      inspected += inspector->inspect("localhost", fields).findings.size() > 0 ? 1 : 0;
    }
  }
  const double perMessageUs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() * 1e6 /
      (5.0 * static_cast<double>(lines.size()));
  std::printf(
      "{\"inspect_us_per_message\":%.2f,\"corpus_bytes\":%zu,\"lines\":%zu,\"builtin_mb_per_s\":%.1f,\"builtin_findings\":%zu,"
      "\"with_200_rules_mb_per_s\":%.1f,\"with_200_rules_patterns\":%zu,"
      "\"messages_per_s_builtin\":%.0f}\n",
      perMessageUs, bytes, lines.size(), a, f1 / 20, b, many->patternCount(),
      a * 1e6 / (static_cast<double>(bytes) / static_cast<double>(lines.size())));
  return 0;
}
