#pragma once
// The benchmark scenarios. Each is bounded in count and time, writes one JSON object
// with its figures to Options::outPath and returns the process exit code.
#include <cstdint>
#include <string>
#include <vector>

#include "conn.h"

namespace loadgen {

struct Options {
  Target target;
  std::string outPath;             // JSON result
  std::string scramCachePath;      // optional SaltedPassword cache shared between runs
  int serverPid = 0;               // for CPU and RSS readings from /proc
  int serverCpu = 1;               // the CPU the server is pinned to (for /proc/stat readings)
  unsigned concurrency = 50;       // logins in flight
  double loginTimeoutSeconds = 30;
  double maxSeconds = 300;         // hard bound for the whole scenario
  // login
  unsigned users = 2000;
  // chat
  unsigned pairs = 100;
  std::vector<double> rates{2000, 5000, 10000, 20000, 40000, 80000, 160000};
  double stepSeconds = 10;
  double tickMs = 5;         // sending granularity
  bool batchWrites = false;  // write a connection's messages of one tick together
  double maxP99Ms = 1000;
  std::size_t maxQueuedBytes = 256 * 1024;  // per connection; beyond it a send is skipped
  // chat-random: every message from the next online user in turn to a random other one
  unsigned online = 200;       // users online (user1 .. userN)
  double fullJidShare = 0.5;   // share of messages addressed to the full JID (others: bare)
  std::uint64_t seed = 1;      // the recipients' random sequence
  // room
  unsigned occupants = 1000;
  std::string room = "bench@conference.localhost";
  unsigned roomMaxUsers = 2000;  // muc#roomconfig_maxusers submitted by the room's creator
  // archive
  unsigned archiveUsers = 50;
  unsigned firstUser = 1;  // the archive users are userF .. userF+U-1
  std::uint64_t prefillMessages = 20000;
  double prefillRate = 2000;
  double querySeconds = 10;
  unsigned pageSize = 50;
  // idle
  unsigned maxConnections = 10000;
  double holdSeconds = 10;
  double rampSeconds = 150;  // stop opening connections after this long
};

int runLogin(const Options& o);
int runChat(const Options& o);
int runChatRandom(const Options& o);
int runRoom(const Options& o);
int runArchive(const Options& o);
int runIdle(const Options& o);

}  // namespace loadgen
