#include "scenarios.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <random>
#include <sstream>
#include <unordered_set>

namespace loadgen {
namespace {

using namespace std::chrono_literals;

// ---- readings from /proc -------------------------------------------------------------------

struct ProcSample {
  bool ok = false;
  double cpuSeconds = 0;  // utime + stime, all threads
  long rssKiB = 0;
};

long vmRssKiB(const std::string& statusPath) {
  std::ifstream in(statusPath);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) {
      return std::strtol(line.c_str() + 6, nullptr, 10);
    }
  }
  return 0;
}

ProcSample sampleProc(int pid) {
  ProcSample s;
  if (pid <= 0) {
    return s;
  }
  std::ifstream st("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(st, line)) {
    return s;
  }
  std::size_t rp = line.rfind(')');
  if (rp == std::string::npos) {
    return s;
  }
  std::istringstream is(line.substr(rp + 2));
  std::string tok;
  unsigned long long utime = 0, stime = 0;
  for (int field = 3; field <= 15 && (is >> tok); ++field) {
    if (field == 14) utime = std::stoull(tok);
    if (field == 15) stime = std::stoull(tok);
  }
  s.cpuSeconds = static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
  s.rssKiB = vmRssKiB("/proc/" + std::to_string(pid) + "/status");
  s.ok = true;
  return s;
}

double selfCpuSeconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

long selfRssKiB() { return vmRssKiB("/proc/self/status"); }

// Busy CPU seconds (everything but idle and iowait) of one CPU, or of the whole machine when
// cpu < 0, so that a result can say how much CPU other programs took during the measurement.
double busySeconds(int cpu) {
  std::ifstream in("/proc/stat");
  std::string want = cpu < 0 ? "cpu" : "cpu" + std::to_string(cpu);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream is(line);
    std::string name;
    is >> name;
    if (name != want) {
      continue;
    }
    unsigned long long v[8] = {};
    for (auto& x : v) is >> x;
    unsigned long long busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
    return static_cast<double>(busy) / static_cast<double>(sysconf(_SC_CLK_TCK));
  }
  return 0;
}

double secondsSince(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

std::uint64_t nowNs() {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
          .count());
}

// Percentile of microsecond samples, in milliseconds; -1 when there are none.
double percentileMs(std::vector<std::uint32_t>& v, double q) {
  if (v.empty()) {
    return -1;
  }
  std::size_t k = std::min(v.size() - 1, static_cast<std::size_t>(q * static_cast<double>(v.size())));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return v[k] / 1000.0;
}

// ---- a minimal JSON writer -------------------------------------------------------------------

std::string jsonString(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

class Json {
 public:
  Json& num(const std::string& k, double v) {
    char buf[64];
    if (std::isfinite(v)) {
      std::snprintf(buf, sizeof buf, "%.6g", v);
    } else {
      std::snprintf(buf, sizeof buf, "null");
    }
    return raw(k, buf);
  }
  Json& str(const std::string& k, const std::string& v) { return raw(k, jsonString(v)); }
  Json& boolean(const std::string& k, bool v) { return raw(k, v ? "true" : "false"); }
  Json& raw(const std::string& k, const std::string& v) {
    body_ += (body_.empty() ? "" : ",") + jsonString(k) + ":" + v;
    return *this;
  }
  std::string done() const { return "{" + body_ + "}"; }

 private:
  std::string body_;
};

std::string errorsJson(const std::map<std::string, unsigned>& errors) {
  Json j;
  for (const auto& [k, v] : errors) {
    j.num(k, v);
  }
  return j.done();
}

// ---- shared runtime: event loop, TLS context, login workers, watchdog ----------------------

struct Runtime {
  explicit Runtime(const Options& opts) : o(opts), ctx(makeClientContext()) {
    if (!o.scramCachePath.empty()) {
      cache.load(o.scramCachePath);
    }
  }
  ~Runtime() { SSL_CTX_free(ctx); }

  const Options& o;
  asio::io_context io{1};
  SSL_CTX* ctx;
  ScramCache cache;
  std::unordered_set<Conn*> pending;  // logins in progress, watched for their deadline
  std::map<std::string, unsigned> errors;
  std::string certSha256;
  unsigned iterationsSeen = 0;
  bool shuttingDown = false;
  bool timedOut = false;
  unsigned disconnects = 0;  // authenticated connections lost before the end
  Clock::time_point started = Clock::now();
  double loadgenCpuStart = selfCpuSeconds();
  double machineBusyStart = busySeconds(-1);
  double serverCoreBusyStart = busySeconds(o.serverCpu);
  double serverCpuStart = sampleProc(o.serverPid).cpuSeconds;

  void error(const std::string& what) {
    // Keep the table small: one entry per distinct message, capped.
    if (errors.size() < 50 || errors.count(what)) {
      ++errors[what];
    } else {
      ++errors["(other)"];
    }
  }
};

awaitable<void> watchdog(Runtime& rt) {
  asio::steady_timer t(rt.io);
  for (;;) {
    t.expires_after(200ms);
    co_await t.async_wait(asio::use_awaitable);
    auto now = Clock::now();
    for (Conn* c : rt.pending) {
      if (c->deadline < now) {
        c->abort();
      }
    }
    if (secondsSince(rt.started) > rt.o.maxSeconds && !rt.timedOut) {
      rt.timedOut = true;
      std::cerr << "loadgen: scenario exceeded " << rt.o.maxSeconds << " s, stopping\n";
      rt.io.stop();
    }
  }
}

struct LoginBatch {
  unsigned first = 1;  // user number of index 0
  unsigned count = 0;
  unsigned next = 0, ok = 0, failed = 0, active = 0;
  std::vector<std::uint32_t> latUs;
  std::function<void(unsigned, std::shared_ptr<Conn>)> onLogin;
  std::function<bool(const LoginBatch&)> stop;
};

awaitable<void> loginWorker(Runtime& rt, LoginBatch& b) {
  while (b.next < b.count && !(b.stop && b.stop(b))) {
    unsigned idx = b.next++;
    auto c = std::make_shared<Conn>(rt.io, rt.ctx);
    auto t0 = Clock::now();
    c->deadline = t0 + std::chrono::duration_cast<Clock::duration>(
                           std::chrono::duration<double>(rt.o.loginTimeoutSeconds));
    rt.pending.insert(c.get());
    std::string err;
    try {
      co_await c->login(rt.o.target, b.first + idx, rt.cache);
    } catch (const boost::system::system_error& e) {
      err = e.code() == asio::error::operation_aborted ? "timeout" : e.what();
      err += std::string(" (during ") + c->stage() + ")";
    } catch (const std::exception& e) {
      err = e.what() + std::string(" (during ") + c->stage() + ")";
    }
    rt.pending.erase(c.get());
    if (err.empty()) {
      ++b.ok;
      b.latUs.push_back(static_cast<std::uint32_t>(secondsSince(t0) * 1e6));
      if (rt.certSha256.empty()) {
        rt.certSha256 = c->peerCertSha256();
        rt.iterationsSeen = c->iterations();
      }
      if (b.onLogin) {
        b.onLogin(idx, std::move(c));
      }
    } else {
      ++b.failed;
      rt.error("login: " + err);
      c->abort();
    }
  }
  --b.active;
}

awaitable<void> runLogins(Runtime& rt, LoginBatch& b, unsigned concurrency) {
  b.active = std::max(1u, std::min(concurrency, b.count));
  unsigned n = b.active;
  for (unsigned i = 0; i < n; ++i) {
    asio::co_spawn(rt.io, loginWorker(rt, b), asio::detached);
  }
  asio::steady_timer t(rt.io);
  while (b.active > 0) {
    t.expires_after(5ms);
    co_await t.async_wait(asio::use_awaitable);
  }
}

void startPump(Runtime& rt, const std::shared_ptr<Conn>& c, std::function<void(Element&)> h) {
  asio::co_spawn(
      rt.io,
      [&rt, c, h = std::move(h)]() -> awaitable<void> {
        try {
          co_await c->pump(h);
          if (!rt.shuttingDown) {
            rt.error("after login: server closed the connection");
          }
        } catch (const std::exception& e) {
          if (!rt.shuttingDown) {
            rt.error(std::string("after login: ") + e.what());
          }
        }
        if (!rt.shuttingDown) {
          ++rt.disconnects;
        }
      },
      asio::detached);
}

awaitable<void> sleepFor(Runtime& rt, std::chrono::milliseconds d) {
  asio::steady_timer t(rt.io);
  t.expires_after(d);
  co_await t.async_wait(asio::use_awaitable);
}

// Sends </stream:stream> on every connection and gives the writes a moment to go out.
awaitable<void> closeAll(Runtime& rt, std::vector<std::shared_ptr<Conn>>& conns) {
  rt.shuttingDown = true;
  for (auto& c : conns) {
    if (c) {
      c->closeStream();
    }
  }
  co_await sleepFor(rt, 500ms);
}

// Runs the driver to completion (or the time bound) and returns 0, or 1 if it threw.
int runDriver(Runtime& rt, std::function<awaitable<void>()> driver) {
  int rc = 0;
  asio::co_spawn(rt.io, watchdog(rt), asio::detached);
  asio::co_spawn(rt.io, driver, [&](std::exception_ptr e) {
    if (e) {
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        std::cerr << "loadgen: " << ex.what() << "\n";
        rt.error(std::string("driver: ") + ex.what());
      }
      rc = 1;
    }
    rt.io.stop();
  });
  rt.io.run();
  if (!rt.o.scramCachePath.empty()) {
    rt.cache.save(rt.o.scramCachePath);
  }
  return rc;
}

Json commonJson(Runtime& rt, const std::string& scenario) {
  double loadgenCpu = selfCpuSeconds() - rt.loadgenCpuStart;
  double serverCpu = sampleProc(rt.o.serverPid).cpuSeconds - rt.serverCpuStart;
  double busy = busySeconds(-1) - rt.machineBusyStart;
  double coreBusy = busySeconds(rt.o.serverCpu) - rt.serverCoreBusyStart;
  Json j;
  j.str("scenario", scenario)
      .num("port", rt.o.target.endpoint.port())
      .str("tls_cert_sha256", rt.certSha256)
      .num("scram_iterations", rt.iterationsSeen)
      .num("scram_cache_hits", static_cast<double>(rt.cache.hits()))
      .num("scram_cache_misses", static_cast<double>(rt.cache.misses()))
      .boolean("timed_out", rt.timedOut)
      .num("wall_seconds", secondsSince(rt.started))
      .num("loadgen_cpu_seconds", loadgenCpu)
      .num("server_cpu_seconds_total", serverCpu)
      // CPU time that neither the server nor the load generator used: other programs.
      .num("other_cpu_seconds", std::max(0.0, busy - loadgenCpu - serverCpu))
      // ... and on the server's CPU alone (the server is pinned there).
      .num("other_cpu_seconds_on_server_core", std::max(0.0, coreBusy - serverCpu));
  return j;
}

int writeResult(const Options& o, const std::string& json) {
  std::cout << json << "\n";
  if (!o.outPath.empty()) {
    std::ofstream out(o.outPath, std::ios::trunc);
    out << json << "\n";
    if (!out) {
      std::cerr << "loadgen: cannot write " << o.outPath << "\n";
      return 1;
    }
  }
  return 0;
}

}  // namespace

// ---- 1. login storm --------------------------------------------------------------------------

int runLogin(const Options& o) {
  Runtime rt(o);
  LoginBatch b;
  b.count = o.users;
  std::vector<std::shared_ptr<Conn>> conns(o.users);
  b.onLogin = [&](unsigned idx, std::shared_ptr<Conn> c) {
    startPump(rt, c, nullptr);
    conns[idx] = std::move(c);
  };
  ProcSample before, after;
  double seconds = 0;
  int rc = runDriver(rt, [&]() -> awaitable<void> {
    before = sampleProc(o.serverPid);
    auto t0 = Clock::now();
    co_await runLogins(rt, b, o.concurrency);
    seconds = secondsSince(t0);
    after = sampleProc(o.serverPid);
    co_await closeAll(rt, conns);
  });
  if (seconds == 0) {
    seconds = secondsSince(rt.started);
    after = sampleProc(o.serverPid);
  }
  double serverCpu = after.cpuSeconds - before.cpuSeconds;
  Json j = commonJson(rt, "login");
  j.num("users", o.users)
      .num("concurrency", o.concurrency)
      .num("ok", b.ok)
      .num("failed", b.failed)
      .num("seconds", seconds)
      .num("logins_per_second", b.ok / seconds)
      .num("latency_p50_ms", percentileMs(b.latUs, 0.50))
      .num("latency_p99_ms", percentileMs(b.latUs, 0.99))
      .num("server_cpu_seconds", serverCpu)
      .num("server_cpu_ms_per_login", b.ok ? serverCpu * 1000 / b.ok : -1)
      .num("server_rss_kib_after", static_cast<double>(after.rssKiB))
      .num("disconnects", rt.disconnects)
      .raw("errors", errorsJson(rt.errors));
  int wrc = writeResult(o, j.done());
  return rc ? rc : (b.ok == 0 ? 1 : wrc);
}

// ---- rate steps: messages at increasing offered rates until saturation ----------------------
// Shared by the 1:1 chat and room fan-out scenarios. Each message carries its send time and
// step number in the body; every copy that arrives counts as one delivery of that step.

namespace {

struct Step {
  double target = 0;  // offered messages per second
  bool warmup = false;
  std::uint64_t sent = 0, skipped = 0, recvInWindow = 0, recvTotal = 0;
  std::vector<std::uint32_t> latUs;
  double windowSeconds = 0, drainSeconds = 0;
  double serverCpu = 0, loadgenCpu = 0, otherOnServerCore = 0;
  double p50 = -1, p90 = -1, p99 = -1, max = -1;
  std::string verdict;
};

struct Deliveries {
  std::vector<Step> steps;
  std::uint64_t received = 0;

  // A message body "<send time ns> <step>": one delivery with its latency.
  void record(const std::string& body) {
    char* end = nullptr;
    std::uint64_t ts = std::strtoull(body.c_str(), &end, 10);
    unsigned long step = std::strtoul(end, nullptr, 10);
    std::uint64_t now = nowNs();
    ++received;
    if (step < steps.size()) {
      Step& st = steps[step];
      ++st.recvTotal;
      st.latUs.push_back(static_cast<std::uint32_t>(
          std::min<std::uint64_t>(now > ts ? (now - ts) / 1000 : 0, UINT32_MAX)));
    }
  }
};

// The defined condition of an error stanza (the first child of <error/>), or "unknown".
std::string errorCondition(const Element& stanza) {
  const Element* err = stanza.child("error");
  return err != nullptr && !err->children.empty() ? err->children.front().name : "unknown";
}

// Counts a type='error' message in the run's error table; true if it was one.
bool recordMessageError(Runtime& rt, const Element& e) {
  if (e.attr("type") != "error") {
    return false;
  }
  rt.error("message error: " + errorCondition(e));
  return true;
}

struct StepPlan {
  // The pacing options shared by the chat and room scenarios.
  explicit StepPlan(const Options& o)
      : rates(o.rates),
        stepSeconds(o.stepSeconds),
        tickMs(o.tickMs),
        maxP99Ms(o.maxP99Ms),
        batchWrites(o.batchWrites),
        maxQueuedBytes(o.maxQueuedBytes) {}
  std::vector<double> rates;
  double stepSeconds = 10;
  double tickMs = 5;
  double maxP99Ms = 1000;
  bool batchWrites = false;
  std::size_t maxQueuedBytes = 256 * 1024;
  double fanout = 1;  // deliveries expected per message sent
  // Writes message number `msgId` of step `step` from connection `conn` into buf; returns its
  // length.
  std::function<int(unsigned conn, std::size_t step, std::uint64_t msgId, char* buf,
                    std::size_t cap)>
      format;
};

// Runs the warm-up and every step until one is not sustained; returns why it stopped.
awaitable<std::string> runRateSteps(Runtime& rt, const StepPlan& plan,
                                    std::vector<std::shared_ptr<Conn>>& conns, Deliveries& d) {
  const Options& o = rt.o;
  const auto n = static_cast<unsigned>(conns.size());
  std::string stopReason = "all rates done";
  std::vector<double> rates;
  rates.push_back(std::min(1000.0 / plan.fanout, plan.rates.front()));  // warm-up, not reported
  rates.insert(rates.end(), plan.rates.begin(), plan.rates.end());
  double bestDelivered = 0;
  unsigned cursor = 0;
  std::vector<bool> touched(n, false);
  std::vector<unsigned> dirty;
  char msg[1024];
  std::uint64_t msgId = 0;
  d.steps.reserve(rates.size());
  for (std::size_t si = 0; si < rates.size(); ++si) {
    Step& s = d.steps.emplace_back();
    s.target = rates[si];
    s.warmup = si == 0;
    const double window = s.warmup ? std::min(2.0, plan.stepSeconds) : plan.stepSeconds;
    ProcSample cpu0 = sampleProc(o.serverPid);
    double core0 = busySeconds(o.serverCpu);
    double lg0 = selfCpuSeconds();
    std::uint64_t recv0 = d.received;
    auto start = Clock::now();
    asio::steady_timer tick(rt.io);
    for (;;) {
      double elapsed = secondsSince(start);
      if (elapsed >= window) {
        break;
      }
      auto due = static_cast<std::uint64_t>(s.target * elapsed);
      std::uint64_t done = s.sent + s.skipped;
      // After a stall, do not fire more than 50 ms worth at once.
      std::uint64_t burst = static_cast<std::uint64_t>(s.target * 0.05) + 1;
      std::uint64_t k = due > done ? std::min(due - done, burst) : 0;
      if (due > done + burst) {
        s.skipped += due - done - burst;
      }
      for (std::uint64_t m = 0; m < k; ++m) {
        unsigned i = cursor++ % n;
        Conn& c = *conns[i];
        int len = plan.format(i, si, ++msgId, msg, sizeof msg);
        if (c.alive() && c.queue(std::string_view(msg, static_cast<std::size_t>(len)),
                                 plan.maxQueuedBytes)) {
          ++s.sent;
          if (!plan.batchWrites) {
            c.flushNow();  // one TLS record and one write per message, as chat clients do
          } else if (!touched[i]) {
            touched[i] = true;
            dirty.push_back(i);
          }
        } else {
          ++s.skipped;
        }
      }
      // One TLS write per connection per tick.
      for (unsigned i : dirty) {
        conns[i]->flushNow();
        touched[i] = false;
      }
      dirty.clear();
      tick.expires_after(std::chrono::microseconds(static_cast<long>(plan.tickMs * 1000)));
      co_await tick.async_wait(asio::use_awaitable);
    }
    s.windowSeconds = secondsSince(start);
    s.recvInWindow = d.received - recv0;
    const auto expected = static_cast<std::uint64_t>(static_cast<double>(s.sent) * plan.fanout);
    // Drain: let what was sent arrive (bounded), so CPU and latency cover the whole step.
    auto drainStart = Clock::now();
    double drainLimit = std::max(3.0, plan.maxP99Ms / 1000.0 * 3);
    while (s.recvTotal < expected && secondsSince(drainStart) < drainLimit) {
      co_await sleepFor(rt, 10ms);
    }
    s.drainSeconds = secondsSince(drainStart);
    ProcSample cpu1 = sampleProc(o.serverPid);
    s.serverCpu = cpu1.cpuSeconds - cpu0.cpuSeconds;
    s.otherOnServerCore = std::max(0.0, busySeconds(o.serverCpu) - core0 - s.serverCpu);
    s.loadgenCpu = selfCpuSeconds() - lg0;
    s.p50 = percentileMs(s.latUs, 0.50);
    s.p90 = percentileMs(s.latUs, 0.90);
    s.p99 = percentileMs(s.latUs, 0.99);
    s.max = percentileMs(s.latUs, 1.0);
    if (s.warmup) {
      s.verdict = "warm-up";
      continue;
    }
    double delivered = s.recvInWindow / s.windowSeconds;
    // Messages are sent on a schedule of whole messages: at low rates the window holds one
    // message fewer than rate x seconds.
    double due = std::max(1.0, std::floor(s.target * s.windowSeconds) - 1);
    double lost = expected > s.recvTotal ? static_cast<double>(expected - s.recvTotal) : 0;
    double loadgenBusy = s.loadgenCpu / (s.windowSeconds + s.drainSeconds);
    std::vector<std::string> why;
    if (loadgenBusy > 0.9) why.push_back("load generator saturated");
    if (static_cast<double>(s.sent) < 0.95 * due && loadgenBusy <= 0.9) {
      why.push_back("server not reading (send backlog)");
    }
    if (static_cast<double>(s.recvInWindow) < 0.9 * due * plan.fanout) {
      why.push_back("delivered < 90% of offered");
    }
    if (s.p99 > plan.maxP99Ms) why.push_back("p99 > limit");
    if (lost > 0.01 * static_cast<double>(expected)) why.push_back("not delivered after drain");
    if (delivered < 1.05 * bestDelivered) why.push_back("delivered rate stopped growing");
    if (rt.disconnects > 0) why.push_back("connections lost");
    bestDelivered = std::max(bestDelivered, delivered);
    if (why.empty()) {
      s.verdict = "sustained";
    } else {
      std::string v;
      for (const auto& w : why) v += (v.empty() ? "" : "; ") + w;
      s.verdict = v;
      stopReason = v;
      break;
    }
  }
  co_return stopReason;
}

// The per-step table and the summary figures of a rate-step run (deliveries per second).
void stepsJson(Json& j, Deliveries& d) {
  double satDelivered = 0, satCpuPer10k = -1, satTarget = 0, satLoadgenBusy = 0;
  double sustP50 = -1, sustP99 = -1, sustRate = 0;
  double totalCpu = 0, totalRecv = 0;
  std::string steps = "[";
  for (auto& s : d.steps) {
    double delivered = s.windowSeconds > 0 ? s.recvInWindow / s.windowSeconds : 0;
    double cpu10k = s.recvTotal ? s.serverCpu / static_cast<double>(s.recvTotal) * 1e4 : -1;
    double lgBusy = s.loadgenCpu / std::max(1e-9, s.windowSeconds + s.drainSeconds);
    Json sj;
    sj.num("target_per_second", s.target)
        .boolean("warmup", s.warmup)
        .num("sent", static_cast<double>(s.sent))
        .num("skipped", static_cast<double>(s.skipped))
        .num("window_seconds", s.windowSeconds)
        .num("received_in_window", static_cast<double>(s.recvInWindow))
        .num("received_total", static_cast<double>(s.recvTotal))
        .num("delivered_per_second", delivered)
        .num("drain_seconds", s.drainSeconds)
        .num("latency_p50_ms", s.p50)
        .num("latency_p90_ms", s.p90)
        .num("latency_p99_ms", s.p99)
        .num("latency_max_ms", s.max)
        .num("server_cpu_seconds", s.serverCpu)
        .num("server_cpu_seconds_per_10k", cpu10k)
        .num("loadgen_cpu_seconds", s.loadgenCpu)
        .num("loadgen_busy", lgBusy)
        .num("other_cpu_seconds_on_server_core", s.otherOnServerCore)
        .str("verdict", s.verdict);
    if (steps.size() > 1) {
      steps += ',';
    }
    steps += sj.done();
    if (s.warmup) {
      continue;
    }
    totalCpu += s.serverCpu;
    totalRecv += static_cast<double>(s.recvTotal);
    if (delivered > satDelivered) {
      satDelivered = delivered;
      satCpuPer10k = cpu10k;
      satTarget = s.target;
      satLoadgenBusy = lgBusy;
    }
    if (s.verdict == "sustained") {
      sustP50 = s.p50;
      sustP99 = s.p99;
      sustRate = s.target;
    }
  }
  steps += "]";
  // If no step was sustained, report the latency of the first measured step.
  if (sustRate == 0 && d.steps.size() > 1) {
    sustP50 = d.steps[1].p50;
    sustP99 = d.steps[1].p99;
    sustRate = d.steps[1].target;
  }
  j.num("saturation_delivered_per_second", satDelivered)
      .num("saturation_target_per_second", satTarget)
      .num("saturation_server_cpu_seconds_per_10k", satCpuPer10k)
      .num("saturation_loadgen_busy", satLoadgenBusy)
      .num("server_cpu_seconds_per_10k_overall", totalRecv > 0 ? totalCpu / totalRecv * 1e4 : -1)
      .num("highest_sustained_rate", sustRate)
      .num("latency_p50_ms_at_highest_sustained", sustP50)
      .num("latency_p99_ms_at_highest_sustained", sustP99)
      .raw("steps", steps);
}

// The end of a rate-step run's result (why it stopped, errors, the steps), written out;
// returns the process exit code.
int finishSteps(const Options& o, Runtime& rt, Json& j, Deliveries& d,
                const std::string& stopReason, int rc, bool ran) {
  j.num("step_seconds", o.stepSeconds)
      .str("stop_reason", stopReason)
      .num("disconnects", rt.disconnects)
      .raw("errors", errorsJson(rt.errors));
  stepsJson(j, d);
  int wrc = writeResult(o, j.done());
  return rc ? rc : (ran ? wrc : 1);
}

// What one run of the chat scenarios produced, for their JSON.
struct ChatOutcome {
  std::string stopReason = "all rates done";
  bool loggedIn = false;
  unsigned ok = 0;
  int rc = 0;
};

// The chat scenarios' common run: every connection in `conns` logs in and records the chat
// messages it receives in `d`; then `plan` paces the rate steps over them, and all leave.
ChatOutcome runChatLoad(Runtime& rt, const Options& o, std::vector<std::shared_ptr<Conn>>& conns,
                        const StepPlan& plan, Deliveries& d) {
  auto onMessage = [&rt, &d](Element& e) {
    if (e.name != "message" || recordMessageError(rt, e)) {
      return;
    }
    if (const Element* body = e.child("body")) {
      d.record(body->text);
    }
  };
  LoginBatch b;
  b.count = static_cast<unsigned>(conns.size());
  b.onLogin = [&](unsigned idx, std::shared_ptr<Conn> c) {
    startPump(rt, c, onMessage);
    conns[idx] = std::move(c);
  };
  ChatOutcome out;
  out.rc = runDriver(rt, [&]() -> awaitable<void> {
    co_await runLogins(rt, b, o.concurrency);
    if (b.ok < b.count) {
      out.stopReason = "not every chat user could log in";
      co_return;
    }
    out.loggedIn = true;
    out.stopReason = co_await runRateSteps(rt, plan, conns, d);
    co_await closeAll(rt, conns);
  });
  out.ok = b.ok;
  return out;
}

}  // namespace

// ---- 2. steady 1:1 chat at increasing rates --------------------------------------------------

int runChat(const Options& o) {
  Runtime rt(o);
  Deliveries d;
  const unsigned n = o.pairs * 2;
  std::vector<std::shared_ptr<Conn>> conns(n);
  std::vector<std::string> partner(n);  // bare JID each connection sends to
  for (unsigned i = 0; i < n; ++i) {
    partner[i] = o.target.userPrefix + std::to_string((i ^ 1u) + 1) + "@" + o.target.domain;
  }

  StepPlan plan(o);
  plan.format = [&partner](unsigned i, std::size_t si, std::uint64_t id, char* buf,
                           std::size_t cap) {
    return std::snprintf(buf, cap,
                         "<message type='chat' to='%s' id='m%llu'><body>%llu %zu</body>"
                         "</message>",
                         partner[i].c_str(), static_cast<unsigned long long>(id),
                         static_cast<unsigned long long>(nowNs()), si);
  };
  const ChatOutcome r = runChatLoad(rt, o, conns, plan, d);

  Json j = commonJson(rt, "chat");
  j.num("pairs", o.pairs)
      .num("logged_in", r.ok)
      .boolean("all_logged_in", r.loggedIn);
  return finishSteps(o, rt, j, d, r.stopReason, r.rc, r.loggedIn);
}

// ---- 2b. chat to random recipients at increasing rates --------------------------------------
// The same pacing as the 1:1 chat, but every message goes to a user drawn at random among the
// other online users, addressed to their bare JID or (with probability fullJidShare) to the
// full JID their connection bound: traffic in which no sender keeps one partner.

int runChatRandom(const Options& o) {
  Runtime rt(o);
  Deliveries d;
  const unsigned n = o.online;
  std::vector<std::shared_ptr<Conn>> conns(n);
  std::vector<std::string> bare(n);
  for (unsigned i = 0; i < n; ++i) {
    bare[i] = o.target.userPrefix + std::to_string(i + 1) + "@" + o.target.domain;
  }

  // A fixed seed: every server gets the same sequence of recipients.
  std::mt19937_64 rng(o.seed);
  std::uniform_int_distribution<unsigned> other(0, n - 2);
  std::bernoulli_distribution full(o.fullJidShare);
  std::uint64_t toFull = 0, toBare = 0;
  StepPlan plan(o);
  plan.format = [&](unsigned i, std::size_t si, std::uint64_t id, char* buf, std::size_t cap) {
    unsigned j = other(rng);
    j += j >= i ? 1 : 0;  // anyone but the sender
    const std::string* to = &bare[j];
    if (full(rng) && conns[j] && !conns[j]->jid().empty()) {
      to = &conns[j]->jid();
      ++toFull;
    } else {
      ++toBare;
    }
    return std::snprintf(buf, cap,
                         "<message type='chat' to='%s' id='r%llu'><body>%llu %zu</body>"
                         "</message>",
                         to->c_str(), static_cast<unsigned long long>(id),
                         static_cast<unsigned long long>(nowNs()), si);
  };

  const ChatOutcome r = runChatLoad(rt, o, conns, plan, d);

  Json j = commonJson(rt, "chat-random");
  j.num("online", n)
      .num("full_jid_share", o.fullJidShare)
      .num("seed", static_cast<double>(o.seed))
      .num("messages_to_full_jid", static_cast<double>(toFull))
      .num("messages_to_bare_jid", static_cast<double>(toBare))
      .num("logged_in", r.ok)
      .boolean("all_logged_in", r.loggedIn);
  return finishSteps(o, rt, j, d, r.stopReason, r.rc, r.loggedIn);
}

// ---- 3. room fan-out: one room, many occupants, messages at increasing rates ---------------

int runRoom(const Options& o) {
  Runtime rt(o);
  Deliveries d;
  const unsigned n = o.occupants;
  const std::string& room = o.room;
  std::vector<std::shared_ptr<Conn>> conns(n);
  std::vector<std::string> nickOf(n);  // occupant i's full room JID
  for (unsigned i = 0; i < n; ++i) {
    nickOf[i] = room + "/" + o.target.userPrefix + std::to_string(i + 1);
  }
  std::vector<char> joined(n, 0);
  unsigned joinedCount = 0, joinErrors = 0;
  std::uint64_t presences = 0;
  auto lastPresence = Clock::now();
  std::map<std::string, std::string> iqResults;  // id -> "result" or the error condition

  auto handlerFor = [&](unsigned i) {
    return [&, i](Element& e) {
      if (e.name == "message") {
        if (recordMessageError(rt, e) || e.attr("type") != "groupchat") {
          return;
        }
        if (const Element* body = e.child("body")) {
          d.record(body->text);
        }
      } else if (e.name == "presence") {
        ++presences;
        lastPresence = Clock::now();
        if (e.attr("from") == nickOf[i] && !joined[i]) {
          if (e.attr("type") == "error") {
            rt.error("join error: " + errorCondition(e));
            ++joinErrors;
          } else {
            ++joinedCount;
          }
          joined[i] = 1;
        }
      } else if (e.name == "iq") {
        std::string id(e.attr("id"));
        iqResults[id] = e.attr("type") == "error" ? errorCondition(e) : "result";
      }
    };
  };

  LoginBatch b;
  b.count = n;
  b.onLogin = [&](unsigned idx, std::shared_ptr<Conn> c) {
    startPump(rt, c, handlerFor(idx));
    conns[idx] = std::move(c);
  };

  StepPlan plan(o);
  plan.fanout = n;
  plan.format = [&room](unsigned, std::size_t si, std::uint64_t id, char* buf, std::size_t cap) {
    return std::snprintf(buf, cap,
                         "<message type='groupchat' to='%s' id='g%llu'><body>%llu %zu</body>"
                         "</message>",
                         room.c_str(), static_cast<unsigned long long>(id),
                         static_cast<unsigned long long>(nowNs()), si);
  };

  auto join = [&](unsigned i) {
    conns[i]->send("<presence to='" + nickOf[i] +
                   "'><x xmlns='http://jabber.org/protocol/muc'><history maxstanzas='0'/>"
                   "</x></presence>");
  };
  auto waitIq = [&](const std::string& id, double seconds) -> awaitable<std::string> {
    auto t0 = Clock::now();
    while (!iqResults.count(id) && secondsSince(t0) < seconds) {
      co_await sleepFor(rt, 5ms);
    }
    co_return iqResults.count(id) ? iqResults[id] : std::string("timeout");
  };

  std::string stopReason = "all rates done";
  bool ready = false;
  double joinSeconds = 0;
  std::uint64_t joinPresences = 0;
  std::string configResult, maxUsersResult;
  int rc = runDriver(rt, [&]() -> awaitable<void> {
    co_await runLogins(rt, b, o.concurrency);
    if (b.ok < n) {
      stopReason = "not every occupant could log in";
      co_return;
    }
    auto t0 = Clock::now();
    // The first occupant creates the room, accepts the default configuration (an instant
    // room, XEP-0045 10.1.2) and raises the occupant limit to fit everyone.
    join(0);
    while (!joined[0] && secondsSince(t0) < 30) {
      co_await sleepFor(rt, 5ms);
    }
    conns[0]->send("<iq type='set' id='cfg1' to='" + room +
                   "'><query xmlns='http://jabber.org/protocol/muc#owner'>"
                   "<x xmlns='jabber:x:data' type='submit'/></query></iq>");
    configResult = co_await waitIq("cfg1", 30);
    conns[0]->send("<iq type='set' id='cfg2' to='" + room +
                   "'><query xmlns='http://jabber.org/protocol/muc#owner'>"
                   "<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'>"
                   "<value>http://jabber.org/protocol/muc#roomconfig</value></field>"
                   "<field var='muc#roomconfig_maxusers'><value>" +
                   std::to_string(o.roomMaxUsers) + "</value></field></x></query></iq>");
    maxUsersResult = co_await waitIq("cfg2", 30);
    // The others join with a bounded number of joins in flight.
    unsigned next = 1;
    while (next < n || joinedCount + joinErrors < n) {
      while (next < n && next - (joinedCount + joinErrors) < o.concurrency) {
        join(next++);
      }
      if (secondsSince(t0) > o.maxSeconds / 2) {
        break;
      }
      co_await sleepFor(rt, 2ms);
    }
    joinSeconds = secondsSince(t0);
    // Let the join presences (n * (n + 1) / 2 of them) finish arriving.
    while (secondsSince(lastPresence) < 1.0 && secondsSince(t0) < o.maxSeconds / 2) {
      co_await sleepFor(rt, 50ms);
    }
    joinPresences = presences;
    if (joinedCount < n) {
      stopReason = "only " + std::to_string(joinedCount) + " of " + std::to_string(n) +
                   " occupants could join";
      co_await closeAll(rt, conns);
      co_return;
    }
    ready = true;
    stopReason = co_await runRateSteps(rt, plan, conns, d);
    co_await closeAll(rt, conns);
  });

  Json j = commonJson(rt, "room");
  j.str("room", room)
      .num("occupants", n)
      .num("logged_in", b.ok)
      .num("joined", joinedCount)
      .num("join_errors", joinErrors)
      .boolean("all_joined", ready)
      .str("instant_room_config", configResult)
      .str("maxusers_config", maxUsersResult)
      .num("join_seconds", joinSeconds)
      .num("join_presences_received", static_cast<double>(joinPresences));
  return finishSteps(o, rt, j, d, stopReason, rc, ready);
}

// ---- 4. archive queries: prefilled archives, clients paging back through them ---------------

int runArchive(const Options& o) {
  Runtime rt(o);
  const unsigned n = o.archiveUsers & ~1u;  // pairs
  std::vector<std::shared_ptr<Conn>> conns(n);
  std::vector<std::string> partner(n);
  for (unsigned i = 0; i < n; ++i) {
    partner[i] = o.target.userPrefix + std::to_string((i ^ 1u) + o.firstUser) + "@" +
                 o.target.domain;
  }
  struct Client {
    std::string iqId;          // outstanding query ("" when none)
    std::string before;        // page before this archive id; "" for the latest page
    Clock::time_point sent;
    unsigned results = 0;      // results of the outstanding query so far
  };
  std::vector<Client> clients(n);
  std::uint64_t prefillReceived = 0, queryCounter = 0;
  bool measuring = false, issuing = false;
  std::uint64_t done = 0, doneInWindow = 0, resultsInWindow = 0, failed = 0, emptyPages = 0;
  std::vector<std::uint32_t> latUs;
  std::function<void(unsigned)> issue;

  auto handlerFor = [&](unsigned i) {
    return [&, i](Element& e) {
      Client& c = clients[i];
      if (e.name == "message") {
        if (const Element* r = e.child("result")) {
          if (r->attr("queryid") == c.iqId && !c.iqId.empty()) {
            ++c.results;
          }
          return;
        }
        if (!recordMessageError(rt, e) && e.child("body") != nullptr) {
          ++prefillReceived;
        }
      } else if (e.name == "iq" && !c.iqId.empty() && e.attr("id") == c.iqId) {
        c.iqId.clear();
        ++done;
        if (e.attr("type") != "result") {
          rt.error("query error: " + errorCondition(e));
          ++failed;
          c.before.clear();
        } else {
          const Element* fin = e.child("fin");
          const Element* set = fin ? fin->child("set") : nullptr;
          const Element* first = set ? set->child("first") : nullptr;
          const bool complete = fin && fin->attr("complete") == "true";
          if (c.results == 0) {
            ++emptyPages;
          }
          // Page further back until the start of the archive, then from the newest again.
          c.before = complete || first == nullptr || c.results == 0 ? "" : first->text;
          if (measuring) {
            ++doneInWindow;
            resultsInWindow += c.results;
            latUs.push_back(static_cast<std::uint32_t>(secondsSince(c.sent) * 1e6));
          }
        }
        if (issuing) {
          issue(i);
        }
      }
    };
  };
  issue = [&](unsigned i) {
    Client& c = clients[i];
    c.iqId = "q" + std::to_string(++queryCounter);
    c.results = 0;
    c.sent = Clock::now();
    std::string before = c.before.empty() ? "<before/>" : "<before>" + c.before + "</before>";
    conns[i]->send("<iq type='set' id='" + c.iqId + "'><query xmlns='urn:xmpp:mam:2' queryid='" +
                   c.iqId + "'><set xmlns='http://jabber.org/protocol/rsm'><max>" +
                   std::to_string(o.pageSize) + "</max>" + before + "</set></query></iq>");
  };

  LoginBatch b;
  b.first = o.firstUser;
  b.count = n;
  b.onLogin = [&](unsigned idx, std::shared_ptr<Conn> c) {
    startPump(rt, c, handlerFor(idx));
    conns[idx] = std::move(c);
  };

  std::string stopReason = "done";
  bool ok = false;
  double prefillSeconds = 0, window = 0;
  std::uint64_t prefillSent = 0;
  ProcSample cpu0, cpu1;
  int rc = runDriver(rt, [&]() -> awaitable<void> {
    co_await runLogins(rt, b, o.concurrency);
    if (b.ok < n || n == 0) {
      stopReason = "not every user could log in";
      co_return;
    }
    // Prefill: chat messages between the pairs at a moderate rate; every one is archived
    // twice (the sender's and the recipient's archive).
    auto t0 = Clock::now();
    asio::steady_timer tick(rt.io);
    char msg[512];
    while (prefillSent < o.prefillMessages && secondsSince(t0) < o.maxSeconds / 3) {
      auto due = std::min<std::uint64_t>(
          o.prefillMessages, static_cast<std::uint64_t>(o.prefillRate * secondsSince(t0)) + 1);
      while (prefillSent < due) {
        unsigned i = static_cast<unsigned>(prefillSent % n);
        int len = std::snprintf(msg, sizeof msg,
                                "<message type='chat' to='%s' id='p%llu'><body>archived "
                                "message %llu</body></message>",
                                partner[i].c_str(),
                                static_cast<unsigned long long>(prefillSent),
                                static_cast<unsigned long long>(prefillSent));
        conns[i]->send(std::string_view(msg, static_cast<std::size_t>(len)));
        ++prefillSent;
      }
      tick.expires_after(5ms);
      co_await tick.async_wait(asio::use_awaitable);
    }
    while (prefillReceived < prefillSent && secondsSince(t0) < o.maxSeconds / 3) {
      co_await sleepFor(rt, 10ms);
    }
    prefillSeconds = secondsSince(t0);
    if (prefillReceived < prefillSent) {
      stopReason = "prefill: only " + std::to_string(prefillReceived) + " of " +
                   std::to_string(prefillSent) + " messages arrived";
      co_await closeAll(rt, conns);
      co_return;
    }
    co_await sleepFor(rt, 2000ms);  // archive writes behind delivery settle
    // Closed loop: every client has one query outstanding at any time.
    issuing = true;
    for (unsigned i = 0; i < n; ++i) {
      issue(i);
    }
    co_await sleepFor(rt, 1000ms);  // warm-up
    measuring = true;
    cpu0 = sampleProc(o.serverPid);
    auto w0 = Clock::now();
    co_await sleepFor(rt, std::chrono::milliseconds(static_cast<long>(o.querySeconds * 1000)));
    measuring = false;
    window = secondsSince(w0);
    cpu1 = sampleProc(o.serverPid);
    issuing = false;
    auto d0 = Clock::now();
    auto outstanding = [&] {
      return std::count_if(clients.begin(), clients.end(),
                           [](const Client& c) { return !c.iqId.empty(); });
    };
    while (outstanding() > 0 && secondsSince(d0) < 10) {
      co_await sleepFor(rt, 10ms);
    }
    ok = doneInWindow > 0;
    if (!ok) {
      stopReason = "no query completed";
    }
    co_await closeAll(rt, conns);
  });

  double cpu = cpu1.cpuSeconds - cpu0.cpuSeconds;
  Json j = commonJson(rt, "archive");
  j.num("users", n)
      .num("first_user", o.firstUser)
      .num("logged_in", b.ok)
      .num("prefill_messages", static_cast<double>(prefillSent))
      .num("prefill_received", static_cast<double>(prefillReceived))
      .num("prefill_seconds", prefillSeconds)
      .num("page_size", o.pageSize)
      .num("window_seconds", window)
      .num("queries_in_window", static_cast<double>(doneInWindow))
      .num("queries_per_second", window > 0 ? doneInWindow / window : 0)
      .num("results_per_query",
           doneInWindow ? static_cast<double>(resultsInWindow) / doneInWindow : 0)
      .num("empty_pages", static_cast<double>(emptyPages))
      .num("failed_queries", static_cast<double>(failed))
      .num("latency_p50_ms", percentileMs(latUs, 0.50))
      .num("latency_p99_ms", percentileMs(latUs, 0.99))
      .num("server_cpu_seconds", cpu)
      .num("server_cpu_ms_per_query", doneInWindow ? cpu * 1000 / doneInWindow : -1)
      .str("stop_reason", stopReason)
      .num("disconnects", rt.disconnects)
      .raw("errors", errorsJson(rt.errors));
  int wrc = writeResult(o, j.done());
  return rc ? rc : (ok ? wrc : 1);
}

// ---- 5. idle authenticated connections -------------------------------------------------------

int runIdle(const Options& o) {
  Runtime rt(o);
  std::vector<std::shared_ptr<Conn>> conns(o.maxConnections);
  LoginBatch b;
  b.count = o.maxConnections;
  // "As many as fit": stop opening once failures pass 2% (at least 50).
  auto rampStart = Clock::now();
  b.stop = [&o, &rampStart](const LoginBatch& lb) {
    return lb.failed > std::max(50u, (lb.ok + lb.failed) / 50) ||
           secondsSince(rampStart) > o.rampSeconds;
  };
  b.onLogin = [&](unsigned idx, std::shared_ptr<Conn> c) {
    c->releaseParser();
    startPump(rt, c, nullptr);
    conns[idx] = std::move(c);
  };
  ProcSample before, after;
  long selfBefore = 0, selfAfter = 0;
  unsigned alive = 0;
  double rampSeconds = 0;
  int rc = runDriver(rt, [&]() -> awaitable<void> {
    co_await sleepFor(rt, 1000ms);
    before = sampleProc(o.serverPid);
    selfBefore = selfRssKiB();
    auto t0 = Clock::now();
    rampStart = t0;
    co_await runLogins(rt, b, o.concurrency);
    rampSeconds = secondsSince(t0);
    co_await sleepFor(rt, std::chrono::milliseconds(static_cast<long>(o.holdSeconds * 1000)));
    after = sampleProc(o.serverPid);
    selfAfter = selfRssKiB();
    for (auto& c : conns) {
      alive += (c && c->alive()) ? 1 : 0;
    }
    co_await closeAll(rt, conns);
  });
  Json j = commonJson(rt, "idle");
  double perConn = alive ? static_cast<double>(after.rssKiB - before.rssKiB) / alive : -1;
  j.num("cap", o.maxConnections)
      .num("opened", b.ok)
      .num("failed", b.failed)
      .num("alive_after_hold", alive)
      .num("ramp_seconds", rampSeconds)
      .boolean("ramp_time_limit_hit", rampSeconds > o.rampSeconds)
      .num("hold_seconds", o.holdSeconds)
      .num("server_rss_kib_before", static_cast<double>(before.rssKiB))
      .num("server_rss_kib_after", static_cast<double>(after.rssKiB))
      .num("server_kib_per_connection", perConn)
      .num("loadgen_kib_per_connection",
           alive ? static_cast<double>(selfAfter - selfBefore) / alive : -1)
      .num("disconnects", rt.disconnects)
      .raw("errors", errorsJson(rt.errors));
  int wrc = writeResult(o, j.done());
  return rc ? rc : (alive == 0 ? 1 : wrc);
}

}  // namespace loadgen
