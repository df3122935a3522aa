// The archive write path's cost with and without encryption at rest: batches of 1,000 archived
// 1:1 messages (each archived for both parties, as the server writes them) appended through
// the storage with encryption on (sealed stanzas, blind-index digests) and off (plain digests),
// on the same SQLite settings. CPU time of the writing thread per message, so that waits for the
// disk do not count; rounds alternate between the two sides. One thread. Prints JSON.
// Usage: archive_write [MESSAGES] [ROUNDS]
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "../common/bench_storage.h"

namespace {
using namespace rampart;

double threadCpuSeconds() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

// One message archived for its sender and its recipient, as the server's archive writer hands
// them to the storage (the stanza as the recipient receives it).
void addMessage(std::vector<storage::ArchiveAppend>& batch, std::size_t n, std::size_t users) {
  const std::size_t a = 1 + (n % users), b = 1 + ((n + 1) % users);
  const std::string from = "user" + std::to_string(a) + "@localhost";
  const std::string to = "user" + std::to_string(b) + "@localhost";
  const std::string id = "m" + std::to_string(n);
  const std::string body = std::to_string(1733230000000000000ULL + n * 37) + " 7";
  const std::string stanza = "<message xmlns='jabber:client' type='chat' to='" + to +
                             "' id='" + id + "' from='" + from + "/load'><body>" + body +
                             "</body><stanza-id xmlns='urn:xmpp:sid:0' by='" + to + "' id='" +
                             "A" + std::to_string(n * 7919) + "'/></message>";
  const auto ts = static_cast<std::int64_t>(n) * 50;
  storage::ArchiveAppend mine{"localhost", "user" + std::to_string(a),
                              storage::ArchiveItem{"A" + std::to_string(n * 2), ts, to, to, stanza},
                              body, {}};
  storage::ArchiveAppend theirs{"localhost", "user" + std::to_string(b),
                                storage::ArchiveItem{"A" + std::to_string(n * 2 + 1), ts, from,
                                                     from + "/load", stanza},
                                body, {}};
  batch.push_back(std::move(mine));
  batch.push_back(std::move(theirs));
}

}  // namespace

int main(int argc, char** argv) {
  const std::size_t messages = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 100000;
  const int rounds = argc > 2 ? std::atoi(argv[2]) : 3;
  constexpr std::size_t kUsers = 200;
  constexpr std::size_t kBatch = 500;  // messages: 1,000 archive items, the writer's batch
  char tmpl[] = "/tmp/rampart-archive-write-XXXXXX";
  const std::string dir = ::mkdtemp(tmpl);
  core::Config config;
  config.dataDir = dir;
  config.hosts.push_back(core::HostConfig{"localhost"});
  std::vector<double> perMessage[2];  // [encrypted] microseconds of CPU per message
  for (int r = 0; r < rounds; ++r) {
    for (bool encrypted : {r % 2 == 0, r % 2 != 0}) {
      auto opened = bench::openBenchStorage(
          config, dir + (encrypted ? "/enc" : "/plain") + std::to_string(r) + ".db", encrypted);
      if (!opened) return 1;
      storage::Storage* s = opened->s;
      for (std::size_t u = 1; u <= kUsers; ++u) {
        if (!s->accounts().createAccount("localhost", "user" + std::to_string(u), {}).isOk()) {
          return 1;
        }
      }
      // A first batch outside the measurement: account keys made, statements prepared.
      std::vector<storage::ArchiveAppend> batch;
      for (std::size_t n = 0; n < kBatch; ++n) addMessage(batch, n, kUsers);
      if (!s->archive().append(std::move(batch)).isOk()) return 1;
      double cpu = 0;
      for (std::size_t done = kBatch; done < kBatch + messages; done += kBatch) {
        batch.clear();
        for (std::size_t n = done; n < done + kBatch; ++n) addMessage(batch, n, kUsers);
        const double t0 = threadCpuSeconds();
        if (!s->archive().append(std::move(batch)).isOk()) return 1;
        cpu += threadCpuSeconds() - t0;
      }
      perMessage[encrypted ? 1 : 0].push_back(cpu * 1e6 / static_cast<double>(messages));
    }
  }
  auto mean = [](const std::vector<double>& v) {
    double m = 0;
    for (double x : v) m += x / static_cast<double>(v.size());
    return m;
  };
  auto list = [](const std::vector<double>& v) {
    std::string out;
    for (double x : v) out += (out.empty() ? "" : ", ") + std::to_string(x);
    return "[" + out + "]";
  };
  std::printf("{\"messages\": %zu, \"rounds\": %d, \"encrypted_us_per_message\": %.3f, "
              "\"plain_us_per_message\": %.3f, \"encrypted_rounds\": %s, \"plain_rounds\": %s}\n",
              messages, rounds, mean(perMessage[1]), mean(perMessage[0]),
              list(perMessage[1]).c_str(), list(perMessage[0]).c_str());
  std::filesystem::remove_all(dir);
  return 0;
}
