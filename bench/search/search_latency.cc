// Full-text search (XEP-0431) latency over one account's archive of 100,000 messages: the
// archive query with a search string, as the server runs it (the storage with encryption on:
// blind-index digests compared in SQLite, the page of results opened), against the same query
// with encryption off (plain digests) and a query without a search string. Mixed Chinese and
// English chat lines; one thread. Prints JSON. Usage: search_latency [MESSAGES]
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "../common/bench_storage.h"

namespace {
using namespace rampart;

const char* const kLines[] = {
    "好的，我下午三点前把方案发给你",
    "Can we move the review to Thursday? The build is still red.",
    "收到，谢谢！周五的会议改到 10:30，地点在 3 楼会议室",
    "Please check the latest numbers in the quarterly report before we send it out.",
    "这个需求我们评估一下工作量，明天给你答复",
    "LGTM, merging now. 记得更新一下文档",
    "客户那边反馈说登录有点慢，能帮忙看一下吗？",
    "Lunch at 12? 楼下新开了一家面馆",
    "The encryption migration finished overnight, no errors",
    "数据加密方案已经评审通过",
};

struct Stats {
  double p50 = 0, p99 = 0, mean = 0;
  std::size_t results = 0;
};

// The latencies of `rounds` identical searches; nullopt (with the reason on stderr) when a
// query fails, which makes the whole measurement fail.
std::optional<Stats> run(storage::Storage& s, const std::string& owner,
                         const std::optional<std::string>& text, int rounds) {
  std::vector<double> ms;
  std::size_t results = 0;
  for (int i = 0; i < rounds; ++i) {
    storage::ArchiveQuery q;
    q.fulltext = text;
    q.lastPage = true;  // the newest page, as a client's search view opens
    q.max = 50;
    const auto t0 = std::chrono::steady_clock::now();
    auto page = s.archive().query("bench.example", owner, q);
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0)
                     .count());
    if (!page.isOk()) {
      std::fprintf(stderr, "query failed: %s\n", page.status().message().c_str());
      return std::nullopt;
    }
    results = page.value().count;
  }
  std::sort(ms.begin(), ms.end());
  Stats st;
  st.p50 = ms[ms.size() / 2];
  st.p99 = ms[std::min(ms.size() - 1, ms.size() * 99 / 100)];
  for (double v : ms) st.mean += v / static_cast<double>(ms.size());
  st.results = results;
  return st;
}

}  // namespace

int main(int argc, char** argv) {
  const std::size_t messages = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 100000;
  char tmpl[] = "/tmp/rampart-search-XXXXXX";
  const std::string dir = ::mkdtemp(tmpl);
  core::Config config;
  config.dataDir = dir;
  config.hosts.push_back(core::HostConfig{"bench.example"});
  std::printf("{\"messages\": %zu, \"queries\": [", messages);
  bool first = true;
  for (bool encrypted : {true, false}) {
    auto opened =
        bench::openBenchStorage(config, dir + (encrypted ? "/enc.db" : "/plain.db"), encrypted);
    if (!opened) return 1;
    storage::Storage* s = opened->s;
    std::mt19937 rng(11);
    std::vector<storage::ArchiveAppend> batch;
    for (std::size_t i = 0; i < messages; ++i) {
      const std::string text = kLines[rng() % std::size(kLines)];
      storage::ArchiveAppend a{"bench.example", "alice",
                               storage::ArchiveItem{"m" + std::to_string(i),
                                                    static_cast<std::int64_t>(i) * 1000,
                                                    "bob@bench.example", "bob@bench.example/r",
                                                    "<message xmlns='jabber:client' "
                                                    "from='bob@bench.example/r' type='chat'>"
                                                    "<body>" + text + "</body></message>"}};
      a.searchText = text;
      batch.push_back(std::move(a));
      if (batch.size() == 1000) {
        if (!s->archive().append(batch).isOk()) return 1;
        batch.clear();
      }
    }
    const std::pair<const char*, std::optional<std::string>> queries[] = {
        {"none", std::nullopt},
        {"one English word", std::string("encryption")},
        {"two English words", std::string("quarterly report")},
        {"Chinese, two characters", std::string("会议")},
        {"Chinese, four characters", std::string("数据加密")},
        {"no match", std::string("nonexistentword")},
    };
    for (const auto& [label, text] : queries) {
      const auto measured = run(*s, "alice", text, 30);
      if (!measured) return 1;
      const Stats& st = *measured;
      std::printf("%s{\"encrypted\": %s, \"search\": \"%s\", \"matches\": %zu, \"p50_ms\": %.2f, "
                  "\"p99_ms\": %.2f, \"mean_ms\": %.2f}",
                  first ? "" : ", ", encrypted ? "true" : "false", label, st.results, st.p50,
                  st.p99, st.mean);
      first = false;
    }
  }
  std::printf("]}\n");
  std::filesystem::remove_all(dir);
  return 0;
}
