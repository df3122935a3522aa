#!/usr/bin/env bash
# `make bench`: Rampart, ejabberd and Prosody side by side on this machine, in one run, driven
# by the same load generator (bench/loadgen) over STARTTLS + SCRAM-SHA-1:
#   1. login storm      N users log in with C in flight                -> logins/s
#   2. 1:1 chat         P pairs at increasing rates until saturation    -> delivered msg/s,
#                       latency p50/p99, server CPU s per 10k messages; every message archived
#                       for both parties, and again (chat-noarchive) with archiving off (no server
#                       loads its archive module then)
#   2f. chat-nodlp      Rampart only: the 1:1 chat with content security off, against chat (the
#                       default rule set on); and the DLP matcher's own MB/s over a mixed
#                       Chinese/English corpus (build/dlp_throughput)
#   2g. chat-enc,       Rampart only: the 1:1 chat and the archive queries with encryption at
#       chat-noenc,     rest on and off, each pair on its own copy of the freshly provisioned
#       archive-enc,    accounts (rampart-enc.db, rampart-noenc.db: the same history on both
#       archive-noenc   sides, which the other scenarios' data would otherwise make unequal), in
#                       BENCH_ENC_ROUNDS rounds (3 by default) alternating the order (on, off;
#                       off, on; ...: a drift of the machine's speed weighs on both alike); the
#                       report compares the means; and the archive write path's CPU per
#                       message with encryption on and off (build/archive_write,
#                       BENCH_WRITE_MESSAGES per round)
#   2b. random chat     N online users, each message to a random other one, to its bare or full
#                       JID (chat-random, and chat-random-noarchive with archiving off); same
#                       rates and figures as the 1:1 chat
#   3. idle connections up to M authenticated TLS connections held     -> server KiB/connection
#   4. room fan-out     O occupants in one room, messages to it at increasing rates until
#                       saturation -> deliveries/s, latency p50/p99, server CPU s per 10k
#   5. archive queries  U users' archives prefilled with M messages, then every user pages
#                       back through its archive (XEP-0313, 50 per page) -> queries/s, latency
# Each server is started fresh for each scenario, pinned to CPU 1 (the load generator to CPU 0),
# and stopped by its PID. Raw results go to bench/results/<time>/ (git-ignored); the report to
# docs/benchmarks.md. BENCH_QUICK=1 runs small counts in a few minutes (report stays in
# bench/results/ unless BENCH_DOC is set). Every step is bounded in time.
#
# Settings (environment): BENCH_SERVERS="rampart ejabberd prosody", BENCH_LOGIN_USERS,
# BENCH_CONCURRENCY, BENCH_PAIRS, BENCH_RANDOM_USERS (online users of chat-random, default
# 2 x BENCH_PAIRS), BENCH_FULL_JID_SHARE (of chat-random's messages, default 0.5),
# BENCH_RATES (comma list, msg/s), BENCH_STEP_SECONDS,
# BENCH_MAX_P99_MS, BENCH_BATCH_WRITES=1 (a connection's messages of one 5 ms tick in one TLS
# write instead of one write per message), BENCH_COMPARE_RATE, BENCH_IDLE_MAX, BENCH_IDLE_HOLD, BENCH_SERVER_CPU, BENCH_LOADGEN_CPU,
# BENCH_OCCUPANTS, BENCH_ROOM_RATES (messages into the room per second), BENCH_ARCHIVE_USERS,
# BENCH_PREFILL (messages), BENCH_QUERY_SECONDS, BENCH_ENC_ROUNDS (rounds of section 2g's pairs),
# BENCH_SCENARIOS="idle login chat chat-nodlp chat-enc chat-noenc chat-noarchive chat-random chat-random-noarchive room archive archive-enc archive-noenc",
# BENCH_NICE (scheduling priority of servers and load generator, default -10, so that other
# work on a shared machine disturbs the measurement less), BENCH_DOC (report path), BENCH_NO_BUILD=1 (use the existing build/rampartd), BENCH_KEEP=1
# (keep the temporary directory with the servers' data and logs).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH=$ROOT/bench
QUICK=${BENCH_QUICK:-0}

# Linux autogroups share the CPU fairly between sessions before nice values count, so one busy
# terminal elsewhere takes half the server's core whatever our nice. Run in a session of our
# own and raise that session's priority (BENCH_NICE); it ends with the run.
if [[ ${BENCH_IN_SESSION:-0} != 1 && -w /proc/self/autogroup ]] && command -v setsid >/dev/null; then
  BENCH_IN_SESSION=1 setsid "$0" "$@" &
  child=$!
  trap 'kill -TERM "$child" 2>/dev/null' INT TERM
  while :; do
    rc=0
    wait "$child" || rc=$?
    kill -0 "$child" 2>/dev/null || exit "$rc"
  done
fi

if [[ $QUICK == 1 ]]; then
  d_users=300 d_conc=20 d_pairs=20 d_rates=1000,2000,4000,8000 d_step=3 d_idle=600 d_hold=3
  d_occupants=100 d_room_rates=10,20,50,100,200 d_prefill=5000 d_query=3
else
  d_users=2000 d_conc=50 d_pairs=100 d_step=10 d_idle=10000 d_hold=30
  d_occupants=1000 d_room_rates=2,5,10,20,50,100 d_prefill=20000 d_query=10
  d_rates=2000,5000,10000,20000,30000,40000,60000,80000,100000,120000,150000,200000
fi
LOGIN_USERS=${BENCH_LOGIN_USERS:-$d_users}
CONCURRENCY=${BENCH_CONCURRENCY:-$d_conc}
PAIRS=${BENCH_PAIRS:-$d_pairs}
RANDOM_USERS=${BENCH_RANDOM_USERS:-$((2 * PAIRS))}
FULL_JID_SHARE=${BENCH_FULL_JID_SHARE:-0.5}
RATES=${BENCH_RATES:-$d_rates}
# Messages in the archive the full-text search latency is measured over (bench/search).
SEARCH_MESSAGES=${BENCH_SEARCH_MESSAGES:-$([[ $QUICK == 1 ]] && echo 10000 || echo 100000)}
# Messages per round of the archive write path's measurement (bench/archive).
WRITE_MESSAGES=${BENCH_WRITE_MESSAGES:-$([[ $QUICK == 1 ]] && echo 10000 || echo 50000)}
STEP_SECONDS=${BENCH_STEP_SECONDS:-$d_step}
MAX_P99_MS=${BENCH_MAX_P99_MS:-1000}
IDLE_MAX=${BENCH_IDLE_MAX:-$d_idle}
IDLE_HOLD=${BENCH_IDLE_HOLD:-$d_hold}
OCCUPANTS=${BENCH_OCCUPANTS:-$d_occupants}
ROOM_RATES=${BENCH_ROOM_RATES:-$d_room_rates}
ARCHIVE_USERS=${BENCH_ARCHIVE_USERS:-50}
PREFILL=${BENCH_PREFILL:-$d_prefill}
QUERY_SECONDS=${BENCH_QUERY_SECONDS:-$d_query}
ENC_ROUNDS=${BENCH_ENC_ROUNDS:-3}
SCENARIOS=${BENCH_SCENARIOS:-idle login chat chat-nodlp chat-enc chat-noenc chat-noarchive chat-random chat-random-noarchive room archive archive-enc archive-noenc}
# The archive scenario's users have no other traffic: users after the chat and room users.
ARCHIVE_FIRST=$((2 * PAIRS > OCCUPANTS ? 2 * PAIRS : OCCUPANTS))
ARCHIVE_FIRST=$((RANDOM_USERS > ARCHIVE_FIRST ? RANDOM_USERS + 1 : ARCHIVE_FIRST + 1))
SERVERS=${BENCH_SERVERS:-rampart ejabberd prosody}
SERVER_CPU=${BENCH_SERVER_CPU:-1}
LOADGEN_CPU=${BENCH_LOADGEN_CPU:-0}
NICE=${BENCH_NICE:--10}
BATCH_WRITES=$([[ ${BENCH_BATCH_WRITES:-0} == 1 ]] && echo 1 || true)
RAMPARTD=$ROOT/build/rampartd
RAMPARTCTL=$ROOT/build/rampartctl
LOADGEN=$BENCH/build/loadgen

log() { printf '%s bench: %s\n' "$(date +%H:%M:%S)" "$*"; }
die() { log "error: $*" >&2; exit 1; }

[[ $(id -u) -eq 0 ]] || die "run as root: the peers run as their own system users (setpriv)"
if [[ ${BENCH_IN_SESSION:-0} == 1 ]]; then
  echo "$NICE" >/proc/self/autogroup 2>/dev/null || log "could not raise the autogroup priority"
fi
(($(nproc) >= 2)) || die "needs at least 2 CPUs (server and load generator pinned apart)"

# ---- build and install ------------------------------------------------------------------------
if [[ ${BENCH_NO_BUILD:-0} != 1 ]]; then
  log "building Rampart (make build)"
  make -s -C "$ROOT" build >/dev/null
fi
[[ -x $RAMPARTD && -x $RAMPARTCTL ]] || die "no $RAMPARTD; run make build"
"$BENCH/install-peers.sh"
log "building the load generator"
cmake -S "$BENCH/loadgen" -B "$BENCH/build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$BENCH/build" -j 2 >/dev/null

# ---- limits, ports, directories ---------------------------------------------------------------
ulimit -n "$(ulimit -Hn)"
fd_cap=$(($(ulimit -n) - 1000))
if ((IDLE_MAX > fd_cap)); then
  log "descriptor limit $(ulimit -n): idle connections capped at $fd_cap"
  IDLE_MAX=$fd_cap
fi

RESERVED_FILE=/proc/sys/net/ipv4/ip_local_reserved_ports RESERVED_BEFORE="" RESERVED_SET=0 RUN_DIR=""
SERVER_PID="" LAUNCH_PID="" LOADGEN_PID=""
stop_server() { :; }  # replaced by lib/servers.sh
cleanup() {
  local rc=$?
  set +e
  if [[ -n $LOADGEN_PID ]]; then
    kill -TERM "$LOADGEN_PID" 2>/dev/null
    wait "$LOADGEN_PID" 2>/dev/null
  fi
  stop_server 2>/dev/null
  [[ $RESERVED_SET == 1 ]] && echo "$RESERVED_BEFORE" >"$RESERVED_FILE" 2>/dev/null
  if [[ ${BENCH_KEEP:-0} == 1 ]]; then
    log "kept $RUN_DIR"
  else
    rm -rf "$RUN_DIR"
  fi
  exit $rc
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM
RUN_DIR=$(mktemp -d /tmp/rampart-bench.XXXXXX)
chmod 755 "$RUN_DIR"  # the peers run as the ejabberd and prosody users
# A copy of the binaries: a rebuild of build/ during the run must not change what is measured.
mkdir -p "$RUN_DIR/bin"
cp "$RAMPARTD" "$RAMPARTCTL" "$RUN_DIR/bin/"
[[ -x $ROOT/build/dlp_throughput ]] && cp "$ROOT/build/dlp_throughput" "$RUN_DIR/bin/"
[[ -x $ROOT/build/search_latency ]] && cp "$ROOT/build/search_latency" "$RUN_DIR/bin/"
[[ -x $ROOT/build/archive_write ]] && cp "$ROOT/build/archive_write" "$RUN_DIR/bin/"
RAMPART_BUILT=$(date -u -r "$RAMPARTD" +%Y-%m-%dT%H:%M:%SZ)
RAMPARTD=$RUN_DIR/bin/rampartd RAMPARTCTL=$RUN_DIR/bin/rampartctl
source "$BENCH/lib/servers.sh"

for p in $BENCH_PORTS; do
  port_listening "$p" && die "port $p is in use; stop what listens there (ss -ltnp)"
done
# Keep the benchmark ports out of the ephemeral range while we run, so that no client
# socket (ours included: thousands of them) takes one between two server starts.
if [[ -w $RESERVED_FILE ]]; then
  RESERVED_BEFORE=$(cat "$RESERVED_FILE")
  echo "${RESERVED_BEFORE:+$RESERVED_BEFORE,}${BENCH_PORTS// /,}" >"$RESERVED_FILE" 2>/dev/null &&
    RESERVED_SET=1
fi

STAMP=$(date +%Y%m%d-%H%M%S)
RESULTS=$BENCH/results/$STAMP
mkdir -p "$RESULTS/logs"
ln -sfn "$STAMP" "$BENCH/results/latest"


# ---- machine and versions ---------------------------------------------------------------------
commit=""
if [[ -f $ROOT/.git/HEAD ]]; then
  head=$(cat "$ROOT/.git/HEAD")
  if [[ $head == ref:* ]]; then
    ref=${head#ref: }
    commit=$(cat "$ROOT/.git/$ref" 2>/dev/null || grep " $ref\$" "$ROOT/.git/packed-refs" 2>/dev/null | cut -d' ' -f1 || true)
  else
    commit=$head
  fi
fi
cert_sha256=$(make_certificate)
pkgver() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null || echo "?"; }
python3 - "$RESULTS/meta.json" <<EOF
import json, os, platform, sys
def read(p):
    try:
        return open(p).read()
    except OSError:
        return ""
cpu = next((l.split(":", 1)[1].strip() for l in read("/proc/cpuinfo").splitlines()
            if l.startswith("model name")), "?")
mem = next((int(l.split()[1]) for l in read("/proc/meminfo").splitlines()
            if l.startswith("MemTotal")), 0)
osr = dict(l.split("=", 1) for l in read("/etc/os-release").splitlines() if "=" in l)
json.dump({
    "date": "$(date -u +%Y-%m-%dT%H:%M:%SZ)",
    "quick": "$QUICK" == "1",
    "cpu_model": cpu, "cpus": os.cpu_count(), "mem_gib": round(mem / 1048576, 1),
    "kernel": platform.release(), "os": osr.get("PRETTY_NAME", "?").strip('"'),
    "loadavg_at_start": read("/proc/loadavg").split()[:3],
    "rampart_commit": "$commit"[:12], "rampart_built": "$RAMPART_BUILT",
    "ejabberd": "$(pkgver ejabberd)", "erlang": "$(pkgver erlang-base)",
    "prosody": "$(pkgver prosody)", "lua": "$(pkgver lua5.4)",
    "openssl": "$(pkgver libssl3)", "cert_sha256": "$cert_sha256",
    "server_cpu": $SERVER_CPU, "loadgen_cpu": $LOADGEN_CPU, "nice": $NICE,
    "autogroup": read("/proc/self/autogroup").strip(),
    "login_users": $LOGIN_USERS, "concurrency": $CONCURRENCY, "pairs": $PAIRS,
    "random_users": $RANDOM_USERS, "full_jid_share": $FULL_JID_SHARE,
    "rates": [float(r) for r in "$RATES".split(",")], "step_seconds": $STEP_SECONDS,
    "max_p99_ms": $MAX_P99_MS, "batch_writes": "$BATCH_WRITES" == "1", "compare_rate": ${BENCH_COMPARE_RATE:-10000}, "idle_max": $IDLE_MAX, "idle_hold": $IDLE_HOLD,
    "servers": "$SERVERS".split(), "scenarios": "$SCENARIOS".split(),
    "occupants": $OCCUPANTS, "room_rates": [float(r) for r in "$ROOM_RATES".split(",")],
    "archive_users": $ARCHIVE_USERS, "prefill": $PREFILL, "query_seconds": $QUERY_SECONDS,
    "archive_first_user": $((ARCHIVE_FIRST)),
}, open(sys.argv[1], "w"), indent=1)
EOF

# ---- one scenario on one server ---------------------------------------------------------------
server_log() {
  case $SERVER in
    rampart) echo "$RUN_DIR/rampart/rampartd.log" ;;
    ejabberd) echo "$RUN_DIR/ejabberd/logs/ejabberd.log" ;;
    prosody) echo "$RUN_DIR/prosody/prosody.log" ;;
  esac
}

# run_scenario SCENARIO BOUND_SECONDS LOADGEN_ARGS...: SCENARIO is a load generator scenario,
# or one with -noarchive, run on the server configured with message archiving off.
run_scenario() {
  local scenario=$1 bound=$2
  local kind=${scenario%-r[0-9]}  # a repetition (-r2, ...) of the same scenario
  kind=${kind%-noarchive}
  kind=${kind%-nodlp}
  kind=${kind%-noenc}
  kind=${kind%-enc}
  VARIANT=""
  [[ $scenario == *-noarchive ]] && VARIANT=noarchive
  [[ $scenario == *-nodlp ]] && VARIANT=nodlp
  [[ $scenario == *-noenc || $scenario == *-noenc-r[0-9] ]] && VARIANT=noenc
  [[ $scenario == *-enc || $scenario == *-enc-r[0-9] ]] && [[ $scenario != *-noenc* ]] && VARIANT=enc
  shift 2
  local name=$SERVER-$scenario logfile offset=0 lg_rc=0 alive=true srv_rc=0 hwm=0
  logfile=$(server_log)
  [[ -f $logfile ]] && offset=$(stat -c %s "$logfile")
  log "$SERVER: $scenario"
  # What earlier steps wrote (10,000 accounts, a scenario's archive) goes to disk now, not
  # while this scenario is measured: otherwise the kernel's writeback weighs on whichever
  # scenario comes first.
  sync
  if ! "${SERVER}_start"; then
    echo "{\"server\":\"$SERVER\",\"scenario\":\"$scenario\",\"start_failed\":true}" \
      >"$RESULTS/$name.status.json"
    return 0
  fi
  sleep 1  # let the server settle after start-up
  if ! ss -Hltnp "sport = :$(server_port "$SERVER")" | grep -q "pid=$SERVER_PID,"; then
    log "$SERVER: port $(server_port "$SERVER") is not served by our process $SERVER_PID; skipped"
    stop_server || true
    echo "{\"server\":\"$SERVER\",\"scenario\":\"$scenario\",\"start_failed\":true}" \
      >"$RESULTS/$name.status.json"
    return 0
  fi
  # What the server runs with (command line, threads, CPUs; the VM's schedulers for ejabberd),
  # once per server and configuration variant, for the report's peer settings section.
  record_runtime "$RESULTS/$SERVER${VARIANT:+-$VARIANT}.runtime.json"
  timeout --kill-after=10 "$((bound + 60))" nice -n "$NICE" taskset -c "$LOADGEN_CPU" \
    "$LOADGEN" "$kind" --port "$(server_port "$SERVER")" --server-pid "$SERVER_PID" \
    --server-cpu "$SERVER_CPU" --out "$RESULTS/$name.json" \
    --scram-cache "$RUN_DIR/$SERVER.scram-cache" --concurrency "$CONCURRENCY" \
    --max-seconds "$bound" "$@" >"$RESULTS/$name.stdout" 2>"$RESULTS/$name.stderr" &
  LOADGEN_PID=$!  # waited for in the background so that Ctrl-C / SIGTERM act at once
  wait "$LOADGEN_PID" || lg_rc=$?
  LOADGEN_PID=""
  if kill -0 "$SERVER_PID" 2>/dev/null; then
    hwm=$(awk '/^VmHWM:/{print $2}' "/proc/$SERVER_PID/status" 2>/dev/null || echo 0)
  else
    alive=false
    log "$SERVER died during $scenario"
  fi
  stop_server || srv_rc=$?
  [[ -f $logfile ]] && tail -c +"$((offset + 1))" "$logfile" | gzip >"$RESULTS/logs/$name.log.gz"
  if [[ $SERVER == ejabberd ]]; then
    { cat "$RUN_DIR"/ejabberd/logs/{console.log,error.log,crash.log} 2>/dev/null || true; } |
      gzip >"$RESULTS/logs/$name.console.log.gz"
  elif [[ $SERVER == prosody ]]; then
    gzip -c "$RUN_DIR/prosody/console.log" >"$RESULTS/logs/$name.console.log.gz" 2>/dev/null || true
  fi
  cat >"$RESULTS/$name.status.json" <<EOF
{"server":"$SERVER","scenario":"$scenario","loadgen_exit":$lg_rc,"server_alive_after":$alive,
 "server_exit_code":$srv_rc,"server_vmhwm_kib":${hwm:-0}}
EOF
  if ((lg_rc != 0)); then
    log "$SERVER $scenario: load generator exit $lg_rc: $(tail -c 300 "$RESULTS/$name.stderr")"
  fi
}

# ---- the run ----------------------------------------------------------------------------------
log "results in $RESULTS; servers on CPU $SERVER_CPU, load generator on CPU $LOADGEN_CPU, nice $NICE"
accounts=$LOGIN_USERS
((IDLE_MAX > accounts)) && accounts=$IDLE_MAX
((2 * PAIRS > accounts)) && accounts=$((2 * PAIRS))
((RANDOM_USERS > accounts)) && accounts=$RANDOM_USERS
((OCCUPANTS > accounts)) && accounts=$OCCUPANTS
((ARCHIVE_FIRST + ARCHIVE_USERS - 1 > accounts)) && accounts=$((ARCHIVE_FIRST + ARCHIVE_USERS - 1))
has_scenario() { [[ " $SCENARIOS " == *" $1 "* ]]; }

if [[ -x $RUN_DIR/bin/dlp_throughput ]] && has_scenario chat-nodlp; then
  log "DLP matcher throughput"
  timeout 120 taskset -c "$SERVER_CPU" "$RUN_DIR/bin/dlp_throughput" >"$RESULTS/dlp-throughput.json" ||
    log "dlp_throughput failed"
fi

if [[ -x $RUN_DIR/bin/archive_write ]] && has_scenario chat-noenc; then
  log "archive write path with and without encryption ($WRITE_MESSAGES messages, $((2 * ENC_ROUNDS)) rounds)"
  timeout 600 taskset -c "$SERVER_CPU" "$RUN_DIR/bin/archive_write" "$WRITE_MESSAGES" "$((2 * ENC_ROUNDS))" \
    >"$RESULTS/archive-write.json" || log "archive_write failed"
fi

if [[ -x $RUN_DIR/bin/search_latency ]] && has_scenario archive-noenc; then
  log "full-text search latency over an archive of $SEARCH_MESSAGES messages"
  timeout 600 taskset -c "$SERVER_CPU" "$RUN_DIR/bin/search_latency" "$SEARCH_MESSAGES" \
    >"$RESULTS/search-latency.json" || log "search_latency failed"
fi

for SERVER in $SERVERS; do
  log "$SERVER: creating $accounts accounts"
  t0=$SECONDS
  VARIANT=""  # provisioning starts the server with its archiving configuration
  "${SERVER}_prepare" "$accounts" || die "$SERVER: could not create the accounts"
  log "$SERVER: accounts ready in $((SECONDS - t0)) s"
  # Idle first: it logs every user in once, so the SCRAM cache is warm for the later runs.
  if has_scenario idle; then
    run_scenario idle 260 --max "$IDLE_MAX" --hold-seconds "$IDLE_HOLD" --ramp-seconds 180 \
      --concurrency 100
  fi
  if has_scenario login; then
    run_scenario login 200 --users "$LOGIN_USERS"
  fi
  if has_scenario chat; then
    run_scenario chat 300 --pairs "$PAIRS" --rates "$RATES" --step-seconds "$STEP_SECONDS" \
      --max-p99-ms "$MAX_P99_MS" ${BATCH_WRITES:+--batch-writes}
  fi
  # Content security's cost: the same chat with it off (Rampart alone has it).
  if has_scenario chat-nodlp && [[ $SERVER == rampart ]]; then
    run_scenario chat-nodlp 300 --pairs "$PAIRS" --rates "$RATES" --step-seconds "$STEP_SECONDS" \
      --max-p99-ms "$MAX_P99_MS" ${BATCH_WRITES:+--batch-writes}
  fi
  if has_scenario chat-noarchive; then
    run_scenario chat-noarchive 300 --pairs "$PAIRS" --rates "$RATES" \
      --step-seconds "$STEP_SECONDS" --max-p99-ms "$MAX_P99_MS" ${BATCH_WRITES:+--batch-writes}
  fi
  for sc in chat-random chat-random-noarchive; do
    if has_scenario $sc; then
      run_scenario $sc 300 --online "$RANDOM_USERS" --full-jid-share "$FULL_JID_SHARE" \
        --rates "$RATES" --step-seconds "$STEP_SECONDS" --max-p99-ms "$MAX_P99_MS" \
        ${BATCH_WRITES:+--batch-writes}
    fi
  done
  if has_scenario room; then
    run_scenario room 500 --occupants "$OCCUPANTS" --rates "$ROOM_RATES" \
      --room-max-users $((OCCUPANTS > 1000 ? OCCUPANTS : 1000)) --step-seconds "$STEP_SECONDS" \
      --max-p99-ms "$MAX_P99_MS"
  fi
  if has_scenario archive; then
    run_scenario archive 200 --archive-users "$ARCHIVE_USERS" \
      --first-user "$ARCHIVE_FIRST" --prefill-messages "$PREFILL" --query-seconds "$QUERY_SECONDS"
  fi
  # Encryption at rest's cost (Rampart alone has it): on and off, each on its own copy of the
  # accounts, in rounds of alternating order (section 2g compares the means).
  if [[ $SERVER == rampart ]]; then
    for ((round = 1; round <= ENC_ROUNDS; round++)); do
      suffix=$([[ $round == 1 ]] || echo "-r$round")
      order="enc noenc"
      ((round % 2 == 0)) && order="noenc enc"
      if has_scenario chat-enc && has_scenario chat-noenc; then
        for v in $order; do
          run_scenario chat-$v$suffix 300 --pairs "$PAIRS" --rates "$RATES" \
            --step-seconds "$STEP_SECONDS" --max-p99-ms "$MAX_P99_MS" ${BATCH_WRITES:+--batch-writes}
        done
      fi
      if has_scenario archive-enc && has_scenario archive-noenc; then
        for v in $order; do
          run_scenario archive-$v$suffix 200 --archive-users "$ARCHIVE_USERS" \
            --first-user "$ARCHIVE_FIRST" --prefill-messages "$PREFILL" \
            --query-seconds "$QUERY_SECONDS"
        done
      fi
    done
  fi
done

DOC=${BENCH_DOC:-}
if [[ -z $DOC ]]; then
  if [[ $QUICK == 1 ]]; then DOC=$RESULTS/benchmarks.md; else DOC=$ROOT/docs/benchmarks.md; fi
fi
python3 "$BENCH/report.py" "$RESULTS" >"$DOC"
cp "$DOC" "$RESULTS/benchmarks.md" 2>/dev/null || true
log "report written to $DOC"
