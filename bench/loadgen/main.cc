// loadgen: drives an XMPP server with many TLS client connections for `make bench`.
//   loadgen login|chat|chat-random|room|archive|idle --port N [options]   (see usage below)
// Single-threaded by design: run it pinned to one CPU (taskset) beside the server on another.
#include <signal.h>
#include <sys/resource.h>

#include <cstdlib>
#include <iostream>
#include <sstream>
#include <string>

#include "scenarios.h"

namespace {

constexpr const char* kUsage = R"(usage: loadgen SCENARIO --port N [options]
scenarios:
  login   N users log in (TLS, SCRAM-SHA-1, bind, presence) with C in flight; logins/s
  chat    P pairs exchange messages at increasing total rates until saturation
  chat-random  N online users, each message to a random other one (bare or full JID), at
          increasing total rates until saturation
  room    N occupants join one room; messages to it at increasing rates until saturation
  archive prefill the archives of U users, then clients page back through them; queries/s
  idle    open up to M authenticated connections, hold them, report server RSS per connection
options (defaults in brackets):
  --addr IP [127.0.0.1]  --port N  --domain D [localhost]
  --user-prefix S [user]  --pass-prefix S [Rb7-load-]   (userN / Rb7-load-N, N from 1)
  --server-pid PID        server process for CPU and RSS readings from /proc
  --server-cpu N [1]      the CPU the server is pinned to (to report others' use of it)
  --out FILE              write the JSON result here too
  --scram-cache FILE      reuse SaltedPassword across runs (as clients cache SCRAM keys)
  --concurrency C [50]    logins in flight
  --login-timeout S [30]  --max-seconds S [300]   --session (always send session iq)
  --no-presence-wait      count a login done when presence is sent, not when echoed
  login: --users N [2000]
  chat:  --pairs P [100] --rates R1,R2,... [2000,...,160000] --step-seconds S [10]
         --max-p99-ms MS [1000] --tick-ms MS [5]
         --batch-writes  (one write per connection per tick instead of one per message)
  chat-random: --online N [200] --full-jid-share F [0.5] --seed S [1]
         (and the chat options --rates, --step-seconds, --max-p99-ms, --tick-ms, --batch-writes)
  room:  --occupants N [1000] --room JID [bench@conference.localhost] --room-max-users N [2000]
         (and the chat options --rates, --step-seconds, --max-p99-ms, --tick-ms, --batch-writes;
         rates are messages into the room per second, each delivered to every occupant)
  archive: --archive-users U [50] --first-user F [1] --prefill-messages M [20000] --prefill-rate R [2000]
         --query-seconds S [10] --page-size N [50]
  idle:  --max N [10000] --hold-seconds S [10] --ramp-seconds S [150]
)";

std::vector<double> parseList(const std::string& s) {
  std::vector<double> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) {
    out.push_back(std::stod(item));
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << kUsage;
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  // Many sockets: lift the soft descriptor limit to the hard one.
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }

  std::string scenario = argv[1];
  loadgen::Options o;
  std::string addr = "127.0.0.1";
  int port = 0;
  try {
    for (int i = 2; i < argc; ++i) {
      std::string k = argv[i];
      auto val = [&]() -> std::string {
        if (i + 1 >= argc) throw std::invalid_argument(k + " needs a value");
        return argv[++i];
      };
      if (k == "--addr") addr = val();
      else if (k == "--port") port = std::stoi(val());
      else if (k == "--domain") o.target.domain = val();
      else if (k == "--user-prefix") o.target.userPrefix = val();
      else if (k == "--pass-prefix") o.target.passPrefix = val();
      else if (k == "--server-pid") o.serverPid = std::stoi(val());
      else if (k == "--server-cpu") o.serverCpu = std::stoi(val());
      else if (k == "--out") o.outPath = val();
      else if (k == "--scram-cache") o.scramCachePath = val();
      else if (k == "--concurrency") o.concurrency = static_cast<unsigned>(std::stoul(val()));
      else if (k == "--login-timeout") o.loginTimeoutSeconds = std::stod(val());
      else if (k == "--max-seconds") o.maxSeconds = std::stod(val());
      else if (k == "--session") o.target.forceSession = true;
      else if (k == "--no-presence-wait") o.target.waitPresenceEcho = false;
      else if (k == "--users") o.users = static_cast<unsigned>(std::stoul(val()));
      else if (k == "--pairs") o.pairs = static_cast<unsigned>(std::stoul(val()));
      else if (k == "--rates") o.rates = parseList(val());
      else if (k == "--step-seconds") o.stepSeconds = std::stod(val());
      else if (k == "--tick-ms") o.tickMs = std::stod(val());
      else if (k == "--batch-writes") o.batchWrites = true;
      else if (k == "--max-p99-ms") o.maxP99Ms = std::stod(val());
      else if (k == "--online") o.online = static_cast<unsigned>(std::stoul(val()));
      else if (k == "--full-jid-share") o.fullJidShare = std::stod(val());
      else if (k == "--seed") o.seed = std::stoull(val());
      else if (k == "--occupants") o.occupants = static_cast<unsigned>(std::stoul(val()));
      else if (k == "--room") o.room = val();
      else if (k == "--room-max-users") o.roomMaxUsers = static_cast<unsigned>(std::stoul(val()));
      else if (k == "--archive-users") o.archiveUsers = static_cast<unsigned>(std::stoul(val()));
      else if (k == "--first-user") o.firstUser = static_cast<unsigned>(std::stoul(val()));
      else if (k == "--prefill-messages") o.prefillMessages = std::stoull(val());
      else if (k == "--prefill-rate") o.prefillRate = std::stod(val());
      else if (k == "--query-seconds") o.querySeconds = std::stod(val());
      else if (k == "--page-size") o.pageSize = static_cast<unsigned>(std::stoul(val()));
      else if (k == "--max") o.maxConnections = static_cast<unsigned>(std::stoul(val()));
      else if (k == "--hold-seconds") o.holdSeconds = std::stod(val());
      else if (k == "--ramp-seconds") o.rampSeconds = std::stod(val());
      else throw std::invalid_argument("unknown option " + k);
    }
    if (port <= 0 || port > 65535) throw std::invalid_argument("--port is required");
    if (o.rates.empty() || o.pairs == 0 || o.users == 0 || o.maxConnections == 0 ||
        o.occupants == 0 || o.online < 2 ||
        !(o.fullJidShare >= 0 && o.fullJidShare <= 1) || o.archiveUsers < 2 || o.firstUser == 0 || o.pageSize == 0 || o.prefillRate <= 0) {
      throw std::invalid_argument("counts and rates must be positive");
    }
    o.target.endpoint = {boost::asio::ip::make_address(addr), static_cast<unsigned short>(port)};
  } catch (const std::exception& e) {
    std::cerr << "loadgen: " << e.what() << "\n" << kUsage;
    return 2;
  }
  if (scenario == "login") return loadgen::runLogin(o);
  if (scenario == "chat") return loadgen::runChat(o);
  if (scenario == "chat-random") return loadgen::runChatRandom(o);
  if (scenario == "room") return loadgen::runRoom(o);
  if (scenario == "archive") return loadgen::runArchive(o);
  if (scenario == "idle") return loadgen::runIdle(o);
  std::cerr << "loadgen: unknown scenario " << scenario << "\n" << kUsage;
  return 2;
}
