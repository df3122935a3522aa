#!/usr/bin/env python3
"""Turns one `make bench` result directory into docs/benchmarks.md (printed on stdout).

usage: report.py bench/results/<time>
Reads meta.json, <server>-<scenario>.json (load generator output) and
<server>-<scenario>.status.json (server state after the scenario), and the server log slices
in logs/ to count warnings and errors.
"""
import gzip
import json
import os
import re
import sys

NAMES = {"rampart": "Rampart", "ejabberd": "ejabberd", "prosody": "Prosody"}
SCENARIOS = ("idle", "login", "chat", "chat-nodlp", "chat-enc", "chat-noenc", "chat-noarchive",
             "chat-random", "chat-random-noarchive", "room", "archive", "archive-enc",
             "archive-noenc")
# The rate-step chat scenarios: (scenario, label in the summary).
CHATS = (("chat", "1:1 pairs, archived"), ("chat-noarchive", "1:1 pairs, archiving off"),
         ("chat-random", "random recipients, archived"),
         ("chat-random-noarchive", "random recipients, archiving off"))
# Expected lines at start-up and shutdown, not problems under load.
BENIGN = ("self-signed certificate", "Received SIGTERM", "Error indexing certificate directory",
          # ejabberd with archiving off: mod_mam left out on purpose.
          "Module mod_mam is recommended for module mod_muc but is not found")


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def fmt(v, digits=0, unit=""):
    if v is None or (isinstance(v, (int, float)) and v < 0):
        return "n/a"
    if digits == 0:
        return f"{v:,.0f}{unit}"
    return f"{v:,.{digits}f}{unit}"


def ratio(a, b, digits=2):
    if a is None or b is None or a <= 0 or b <= 0:
        return "n/a"
    v = a / b
    return f"{v:.{digits}f}x" if v >= 0.1 else f"{v:.2g}x"


def log_counts(results, server, scenario):
    """(warnings, errors, top messages) from the server's log slice for this scenario."""
    path = os.path.join(results, "logs", f"{server}-{scenario}.log.gz")
    warn = err = 0
    seen = {}
    try:
        with gzip.open(path, "rt", errors="replace") as f:
            for line in f:
                if server == "rampart":
                    w, e = "level=warn" in line, "level=error" in line or "level=critical" in line
                    key = re.sub(r"^\S+ ", "", line.strip())
                    key = re.sub(r"(jid|peer|address|remote|user)=\S+", r"\1=…", key)
                elif server == "ejabberd":
                    w, e = "[warning]" in line, "[error]" in line or "[critical]" in line
                    key = re.sub(r"^\S+ \S+ ", "", line.strip())
                    key = re.sub(r"<[0-9.]+>", "<pid>", key)
                else:
                    w, e = "\twarn\t" in line, "\terror\t" in line
                    key = re.sub(r"^\w+ +\d+ [\d:]+ ", "", line.strip())
                    key = re.sub(r"^c2s[0-9a-f]+", "c2s…", key)
                if (w or e) and not any(b in line for b in BENIGN):
                    warn += w
                    err += e
                    key = key[:160]
                    seen[key] = seen.get(key, 0) + 1
    except OSError:
        return None, None, []
    top = sorted(seen.items(), key=lambda kv: -kv[1])[:3]
    return warn, err, top


def saturation_cells(d):
    """Saturation, highest sustained rate, latency there, CPU and stop reason of a rate-step run."""
    return (f"{fmt(d['saturation_delivered_per_second'])} ({fmt(d['saturation_target_per_second'])}) | "
            f"{fmt(d['highest_sustained_rate'])} | {fmt(d['latency_p50_ms_at_highest_sustained'], 2)} / "
            f"{fmt(d['latency_p99_ms_at_highest_sustained'], 2)} | {fmt(d['server_cpu_seconds_per_10k_overall'], 3)} / "
            f"{fmt(d['saturation_server_cpu_seconds_per_10k'], 3)} | {d['stop_reason']}")


def step_row(server, step):
    """One step of a rate-step run: rates, latency, CPU and each core's share, verdict."""
    wall = max(1e-9, step["window_seconds"] + step["drain_seconds"])
    return (f"| {NAMES.get(server, server)} | {fmt(step['target_per_second'])} | {fmt(step['delivered_per_second'])} | "
            f"{fmt(step['latency_p50_ms'], 2)} / {fmt(step['latency_p99_ms'], 2)} | "
            f"{fmt(step['server_cpu_seconds_per_10k'], 3)} | {step['server_cpu_seconds'] / wall * 100:.0f}% | "
            f"{step['loadgen_cpu_seconds'] / wall * 100:.0f}% | "
            f"{step.get('other_cpu_seconds_on_server_core', 0) / wall * 100:.0f}% | {step['verdict']} |")


def step_at(r, server, rate, key, scenario="chat"):
    d = r.get((server, scenario))
    for step in (d or {}).get("steps", []):
        if not step["warmup"] and step["target_per_second"] == rate:
            return step.get(key)
    return None


def common_rate(r, servers, wanted, scenario="chat"):
    """`wanted` msg/s if every server ran that step, else the highest rate all of them sustained."""
    ran = [{x["target_per_second"]: x for x in (r.get((s, scenario)) or {}).get("steps", [])
            if not x["warmup"]} for s in servers]
    if wanted is None:
        wanted = -1
    if all(wanted in steps for steps in ran):
        return wanted
    sustained = [{k for k, x in steps.items() if x["verdict"] == "sustained"} for steps in ran]
    both = set.intersection(*sustained) if sustained else set()
    if both:
        return max(both)
    # No rate that all of them sustained: the lowest rate that all of them ran.
    common = set.intersection(*[set(steps) for steps in ran]) if ran else set()
    return min(common) if common else None


def peer_settings(p, servers, rt, meta):
    """The 'Peer settings' section: how each server runs, and which documentation says so."""
    p("## Peer settings")
    p("")
    p("Each server runs with what its own documentation recommends for performance on the one CPU it "
      "gets, only from Debian's packages (no extra builds); measured values come from the running "
      "process (`/proc/PID`) and, for ejabberd, from an Erlang VM started with the same flags on the "
      "same CPU.")
    p("")

    def seen(s):
        return [x for x in (rt.get((s, "")), rt.get((s, "-noarchive"))) if x]

    for s in servers:
        runs = seen(s)
        threads = "/".join(sorted({str(x["threads"]) for x in runs})) or "?"
        cpus = "/".join(sorted({x["cpus_allowed"] for x in runs})) or "?"
        if s == "rampart":
            p(f"- **Rampart** (`bench/peers/rampart.toml.in`): `server.threads = 0`, one network thread per CPU "
              f"in the process's affinity mask, so one on CPU {cpus}; {threads} threads in all (with the "
              "storage and timer threads). Archiving off: `[modules.mam] enabled = false`.")
        elif s == "ejabberd":
            vm = next((x for x in runs if x.get("vm")), {})
            v = vm.get("vm", {})
            p(f"- **ejabberd** {meta.get('ejabberd', '?')} on Erlang/OTP {v.get('otp_release', '?')} "
              "(`bench/peers/ejabberdctl.cfg.in`, `ejabberd.yml.in`): the settings ejabberd documents in "
              "`ejabberdctl.cfg` at their recommended values (`POLL=true`, i.e. `+K true`, kernel poll, "
              "always on since OTP 21; `ERL_PROCESSES`, `ERL_MAX_PORTS` raised for the idle scenario), and "
              "VM flags in `ERL_OPTIONS` that give the VM exactly the one CPU it runs on. Emulator flags "
              f"as run: `{vm.get('vm_flags', '?').strip()}`; schedulers {v.get('schedulers', '?')} "
              f"({v.get('schedulers_online', '?')} online), dirty CPU schedulers {v.get('dirty_cpu_schedulers', '?')} "
              f"({v.get('dirty_cpu_schedulers_online', '?')} online), dirty I/O schedulers {v.get('dirty_io_schedulers', '?')}, "
              f"kernel poll {v.get('kernel_poll', '?')}, CPUs available {v.get('logical_processors_available', '?')}; "
              f"{threads} OS threads on CPU {cpus}. In `ejabberd.yml`: `cache_size` raised above the number of "
              "accounts, as ejabberd's own log asks (\"you should increase maximum cache size\"), listener "
              "`backlog: 4096`, no shapers. Archiving off: no `mod_mam`, no `sql_type`.")
        elif s == "prosody":
            pr = next((x for x in runs if "network_backend" in x), {})
            gc = pr.get("gc") or "Prosody's defaults (incremental; threshold 105, speed 500)"
            p(f"- **Prosody** {meta.get('prosody', '?')} on {pr.get('lua') or 'Lua 5.4'} (`bench/peers/prosody.cfg.lua.in`): "
              f"`network_backend = {pr.get('network_backend') or '?'}` (the epoll backend, which Prosody's "
              "documentation recommends and 0.12 uses by default; `use_libevent` is the deprecated older "
              f"switch); garbage collector: {gc}, which Prosody's *Advanced GC* documentation calls "
              "sensible defaults for Prosody; `tcp_backlog = 4096`; `mod_limits` not "
              f"loaded. One thread on CPU {cpus}. Archiving off: no `mod_mam`, `mod_muc_mam`, SQL storage.")
    p("")


def main():
    results = sys.argv[1]
    meta = load(os.path.join(results, "meta.json")) or {}
    servers = meta.get("servers", ["rampart", "ejabberd", "prosody"])
    r = {}
    st = {}
    rt = {}
    for s in servers:
        for sc in SCENARIOS:
            r[(s, sc)] = load(os.path.join(results, f"{s}-{sc}.json"))
            st[(s, sc)] = load(os.path.join(results, f"{s}-{sc}.status.json"))
        for variant in ("", "-noarchive"):
            rt[(s, variant)] = load(os.path.join(results, f"{s}{variant}.runtime.json"))

    def get(s, sc, key):
        d = r.get((s, sc))
        return None if d is None else d.get(key)

    out = []
    p = out.append
    p("# Benchmarks: Rampart, ejabberd and Prosody")
    p("")
    p(f"Generated by `make bench` ({'BENCH_QUICK=1, small counts: a smoke test, not a measurement' if meta.get('quick') else 'full run'}) "
      f"on {meta.get('date', '?')}; raw numbers in `bench/results/{os.path.basename(os.path.normpath(results))}/` "
      "(git-ignored). Re-run with `make bench`; `BENCH_QUICK=1 make bench` is a few-minute smoke test.")
    p("")
    p("## Machine")
    p("")
    p(f"- CPU: {meta.get('cpu_model', '?')}, {meta.get('cpus', '?')} CPUs; memory {meta.get('mem_gib', '?')} GiB; "
      f"{meta.get('os', '?')}, Linux {meta.get('kernel', '?')}.")
    p(f"- Load average when the run started: {' '.join(meta.get('loadavg_at_start', []))} "
      "(the machine is shared with other work; the tables say how much of the server's core other "
      "programs took during each measurement).")
    p(f"- Rampart {('commit ' + meta['rampart_commit']) if meta.get('rampart_commit') else ''} "
      f"(build/rampartd built {meta.get('rampart_built', '?')}, RelWithDebInfo); "
      f"ejabberd {meta.get('ejabberd', '?')} on Erlang {meta.get('erlang', '?')}; "
      f"Prosody {meta.get('prosody', '?')} on Lua 5.4 {meta.get('lua', '?')}; OpenSSL {meta.get('openssl', '?')} "
      "(all from Debian 12 packages).")
    p("")
    p("## Method")
    p("")
    p(f"- Each server runs **pinned to CPU {meta.get('server_cpu', 1)}** and the load generator to "
      f"**CPU {meta.get('loadgen_cpu', 0)}** (`taskset`), so all three are measured the same way on this "
      "2-core machine: one core for the server, one for the clients. Each server is set up to use "
      "that one CPU as its own documentation advises (see *Peer settings* below). The benchmark runs in its own session whose scheduling "
      f"priority is raised (Linux autogroup nice {meta.get('nice', -10)}; processes nice {meta.get('nice', -10)}), "
      "so that other work on this shared machine takes as little as possible of the two cores; the "
      "CPU that other programs still took on the server's core is reported per measurement.")
    p("- Each server is started fresh for each scenario and stopped by its PID (SIGTERM) afterwards; "
      "everything listens on 127.0.0.1 only: Rampart 25222, ejabberd 35222, Prosody 45222 (STARTTLS).")
    p("- Same settings everywhere: the same self-signed P-256 certificate and key "
      f"(SHA-256 `{meta.get('cert_sha256', '?')[:23]}…`; the load generator records what each server presents and the report flags any other certificate or iteration count), "
      "TLS 1.2+ (TLS 1.3 negotiated), STARTTLS required, SASL SCRAM-SHA-1 (`n,,`, no channel binding) "
      "against stored SCRAM keys with 4096 iterations, no traffic shapers or rate limits "
      "(ejabberd: `c2s_shaper: none`, listener `shaper: none`, `max_fsm_queue` 10M; Prosody: "
      "`mod_limits` not loaded), the same listen backlog (4096, Rampart's; ejabberd's default of 5 and "
      "Prosody's 128 drop handshakes in a login storm), default internal storage for accounts and rosters (Rampart SQLite, ejabberd "
      "Mnesia, Prosody files), message archives (XEP-0313, on for every account and room, kept a year) in SQLite for "
      "all three (ejabberd `mod_mam` with `db_type: sql`, Prosody `mod_mam`/`mod_muc_mam` with `mod_storage_sql`), "
      "and in the *archiving off* scenarios no archive module loaded at all (Rampart `[modules.mam] enabled = false`, "
      "ejabberd without `mod_mam` and without an SQL pool, Prosody without `mod_mam`, `mod_muc_mam` and SQL storage), "
      "every SQLite database in WAL mode with SQLite's default `synchronous=FULL` (Rampart: `storage.synchronous = \"full\"`; "
      "Rampart runs from `bench/peers/rampart.toml.in`, the settings of `rampartd --dev` written out), "
      "multi-user chat at `conference.localhost`, default log level (info) to a file, roster/disco/ping/offline modules, every "
      "other setting at its default except where a peer's documentation or its own log asks for more "
      "(*Peer settings*). Configurations: `bench/peers/`.")
    p("- Users `userN@localhost` / `Rb7-load-N`: created with `rampartctl user add`, ejabberd's `register` "
      "command (HTTP API on loopback), and Prosody's internal account files written directly "
      "(SCRAM-SHA-1 keys, same format as `prosodyctl register`).")
    p("- Load generator: `bench/loadgen` (C++20, Boost.Asio, OpenSSL, expat), one thread. A login is "
      "TCP connect, STARTTLS, TLS handshake, SCRAM-SHA-1, resource bind, session if required, initial "
      "presence, and ends when the server echoes that presence back (RFC 6121 4.2.2). Like real "
      "clients, it caches the SCRAM SaltedPassword per user and salt, so the idle scenario (run first) "
      "pays the client-side PBKDF2 and the later login storm measures the server, not client hashing.")
    p(f"- Login storm: {meta.get('login_users', '?')} users, {meta.get('concurrency', '?')} logins in flight.")
    rates = ", ".join(f"{x / 1000:g}k" for x in meta.get("rates", []))
    p(f"- 1:1 chat: {meta.get('pairs', '?')} pairs ({2 * meta.get('pairs', 0)} online users), each user "
      "sending `type=chat` messages to its partner's bare JID, "
      + ("the messages due on one connection in the same 5 ms tick in one TLS write (BENCH_BATCH_WRITES=1)"
         if meta.get("batch_writes") else "each message in its own TLS record and write, as a chat client sends it")
      + "; the total rate steps through "
      f"{rates} msg/s for {meta.get('step_seconds', '?')} s each (after a 2 s warm-up), with a drain "
      "after each step. The send time is in the body; latency is measured on arrival. The ramp stops "
      "at the first step where delivery falls below 90% of the offered rate, p99 exceeds "
      f"{fmt(meta.get('max_p99_ms'))} ms, messages stay undelivered, or the delivered rate stops "
      "growing. *Saturation* = the highest delivered rate of any step. Server CPU comes from "
      "utime+stime in `/proc/PID/stat` before and after each step.")
    share = meta.get("full_jid_share", 0.5)
    p(f"- Random-recipient chat: {fmt(meta.get('random_users'))} online users; each message comes from the "
      "next user in turn (as in the 1:1 chat) and goes to a user drawn at random among the other online "
      f"users (the same seeded sequence for every server), to its bare JID or, for {share * 100:g}% of "
      "the messages, to the full JID its connection bound. Same rates, steps, stop rules and figures as "
      "the 1:1 chat, with archiving on and with archiving off. Fixed pairs let every connection talk "
      "to one partner only; this traffic spreads each user's messages over all the others, as a real "
      "server's does.")
    room_rates = ", ".join(f"{x:g}" for x in meta.get("room_rates", []))
    p(f"- Room fan-out: {fmt(meta.get('occupants'))} users join one room (`bench@conference.localhost`; the "
      "first creates it, accepts the default configuration as an instant room and raises its occupant "
      "limit with `muc#roomconfig_maxusers`; the others join 50 at a time, asking for no history). Then "
      "`type=groupchat` messages, each from the next occupant in turn, go to the room at "
      f"{room_rates} messages/s for {meta.get('step_seconds', '?')} s each; every message is delivered to "
      "every occupant (the sender included), so deliveries/s = messages/s × occupants. Same stop rules "
      "and drain as the 1:1 chat, counted in deliveries; latency is from send to each arrival.")
    p(f"- Archive queries: {meta.get('archive_users', '?')} users (user{meta.get('archive_first_user', '?')} on, "
      "who take part in no other scenario) exchange "
      f"{fmt(meta.get('prefill'))} chat messages in pairs (2,000 msg/s; each is archived for both), then every "
      "one of them pages back through its own archive with XEP-0313 queries of 50 messages "
      "(`<before/>` for the newest page, then `<before>` the first id of the previous page, from the "
      "newest again at the start), one query outstanding per user, for "
      f"{meta.get('query_seconds', '?')} s after a 1 s warm-up. A query is done when its `<fin/>` result "
      "arrives.")
    p(f"- Idle connections: up to {fmt(meta.get('idle_max'))} authenticated TLS connections opened (100 "
      f"in flight), held {meta.get('idle_hold', '?')} s, then the server's VmRSS (`/proc/PID/status`) "
      "is compared with its value before the first connection.")
    p("")
    peer_settings(p, servers, rt, meta)

    # ---- summary ----
    p("## Summary")
    p("")
    cols = [NAMES.get(s, s) for s in servers]
    has_e, has_p = "ejabberd" in servers, "prosody" in servers
    head = "| Metric | " + " | ".join(cols)
    head += (" | Rampart/ejabberd" if has_e else "") + (" | Rampart/Prosody" if has_p else "") + " |"
    p(head)
    p("|" + " --- |" * (1 + len(cols) + has_e + has_p))

    def row(label, values, digits=0, better="higher"):
        cells = [fmt(v, digits) for v in values]
        line = f"| {label} | " + " | ".join(cells)
        rv = values[servers.index("rampart")] if "rampart" in servers else None
        if has_e:
            line += " | " + ratio(rv, values[servers.index("ejabberd")])
        if has_p:
            line += " | " + ratio(rv, values[servers.index("prosody")])
        p(line + " |")

    row("Logins/s (login storm)", [get(s, "login", "logins_per_second") for s in servers])
    for sc, label in CHATS:
        if not any(r.get((s, sc)) for s in servers):
            continue
        row(f"Delivered msg/s at saturation, {label}",
            [get(s, sc, "saturation_delivered_per_second") for s in servers])
        common = common_rate(r, servers, meta.get("compare_rate", 10000), sc)
        if common:
            row(f"Chat latency p50 at {common / 1000:g}k msg/s, {label} (ms)",
                [step_at(r, s, common, "latency_p50_ms", sc) for s in servers], 2)
            row(f"Chat latency p99 at {common / 1000:g}k msg/s, {label} (ms)",
                [step_at(r, s, common, "latency_p99_ms", sc) for s in servers], 2)
            row(f"Server CPU s per 10k messages at {common / 1000:g}k msg/s, {label}",
                [step_at(r, s, common, "server_cpu_seconds_per_10k", sc) for s in servers], 3)
        row(f"Server CPU s per 10k messages at saturation, {label}",
            [get(s, sc, "saturation_server_cpu_seconds_per_10k") for s in servers], 3)
    row("Server RSS KiB per idle TLS connection", [get(s, "idle", "server_kib_per_connection") for s in servers], 1)
    if any(r.get((s, "room")) for s in servers):
        occ = fmt(meta.get("occupants"))
        row(f"Room of {occ}: deliveries/s at saturation",
            [get(s, "room", "saturation_delivered_per_second") for s in servers])
        rc = common_rate(r, servers, None, "room")
        if rc:
            row(f"Room of {occ} at {rc:g} msg/s: delivery latency p50 (ms)",
                [step_at(r, s, rc, "latency_p50_ms", "room") for s in servers], 2)
            row(f"Room of {occ} at {rc:g} msg/s: delivery latency p99 (ms)",
                [step_at(r, s, rc, "latency_p99_ms", "room") for s in servers], 2)
            row(f"Room of {occ} at {rc:g} msg/s: server CPU s per 10k deliveries",
                [step_at(r, s, rc, "server_cpu_seconds_per_10k", "room") for s in servers], 3)
    if any(r.get((s, "archive")) for s in servers):
        row("Archive queries/s (50 messages per page)", [get(s, "archive", "queries_per_second") for s in servers])
        row("Archive query latency p99 (ms)", [get(s, "archive", "latency_p99_ms") for s in servers], 1)
        row("Server CPU ms per archive query", [get(s, "archive", "server_cpu_ms_per_query") for s in servers], 2)
    p("")
    p("Latency and CPU are compared at the same offered load for all servers (10k msg/s for the "
      "1:1 chat; otherwise the highest rate all of them sustained, or the lowest rate all of them "
      "ran when there is none); the latency at each server's own highest sustained rate is in the "
      "tables below.")
    p("")
    p("Ratios are Rampart divided by the other server: above 1x is better for logins/s and "
      "messages/s, below 1x is better for latency, CPU and memory. The goal of issue 3 is at least "
      "2x ejabberd's and Prosody's delivered messages/s and at most 0.5x their memory per idle "
      "connection. Issue 4 adds the room fan-out and archive query scenarios.")
    p("")

    # ---- login ----
    p("## 1. Login storm")
    p("")
    p("| Server | Users OK / failed | Logins/s | Login latency p50 / p99 (ms) | Server CPU ms per login | Others' CPU s on server core |")
    p("| --- | --- | --- | --- | --- | --- |")
    for s in servers:
        d = r[(s, "login")]
        if d is None:
            p(f"| {NAMES.get(s, s)} | no result | | | | |")
            continue
        p(f"| {NAMES.get(s, s)} | {d['ok']} / {d['failed']} | {fmt(d['logins_per_second'])} | "
          f"{fmt(d['latency_p50_ms'], 1)} / {fmt(d['latency_p99_ms'], 1)} | "
          f"{fmt(d['server_cpu_ms_per_login'], 2)} | {fmt(d.get('other_cpu_seconds_on_server_core'), 1)} |")
    p("")

    # ---- chat: pairs and random recipients, with and without archiving ----
    for sc, title, note in (
            ("chat", "## 2. Steady 1:1 chat, every message archived",
             "Every message is archived for sender and recipient (XEP-0313, SQLite) on all three servers."),
            ("chat-noarchive", "## 2b. Steady 1:1 chat, archiving off",
             "The same load on servers configured without their archive modules (Rampart "
             "`[modules.mam] enabled = false`, ejabberd without `mod_mam`, Prosody without `mod_mam`): "
             "message routing alone."),
            ("chat-random", "## 2c. Chat to random recipients, every message archived",
             "Each message to a random other online user, bare or full JID (see *Method*); archived "
             "for sender and recipient as in section 2."),
            ("chat-random-noarchive", "## 2d. Chat to random recipients, archiving off",
             "The random-recipient load on the servers of section 2b (no archive modules).")):
        if not any(r.get((s, sc)) for s in servers):
            continue
        limited = []
        p(title)
        p("")
        p(note)
        p("")
        p("| Server | Delivered msg/s at saturation (offered) | Highest sustained rate | p50 / p99 there (ms) | CPU s per 10k msgs: ramp / at saturation | Stopped because |")
        p("| --- | --- | --- | --- | --- | --- |")
        for s in servers:
            d = r[(s, sc)]
            if d is None:
                p(f"| {NAMES.get(s, s)} | no result | | | | |")
                continue
            p(f"| {NAMES.get(s, s)} | {saturation_cells(d)} |")
            if "load generator" in d["stop_reason"] or d["stop_reason"] == "all rates done":
                limited.append(NAMES.get(s, s))
        p("")
        if limited:
            p(f"For {', '.join(limited)} the load generator reached the limit of its own core (or the last "
              "rate) by the end of the ramp: the saturation figure is a lower bound of what that server "
              "can deliver.")
            p("")
        p("Every step, per server: offered and delivered msg/s, latency, server CPU s per 10k messages, "
          "and the share of its core used by the server, of the other core by the load generator, and of "
          "the server's core by other programs:")
        p("")
        p("| Server | Offered msg/s | Delivered msg/s | p50 / p99 (ms) | CPU s / 10k | Server CPU | Loadgen CPU | Others on server core | Verdict |")
        p("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
        for s in servers:
            d = r[(s, sc)]
            if d is None:
                continue
            for step in d["steps"]:
                if step["warmup"]:
                    continue
                p(step_row(s, step))
        p("")

    # ---- pairs beside random recipients ----
    pairs_vs_random = [(a, b, label) for a, b, label in (("chat", "chat-random", "archived"),
                                                         ("chat-noarchive", "chat-random-noarchive", "archiving off"))
                       if any(r.get((s, a)) for s in servers) and any(r.get((s, b)) for s in servers)]
    if pairs_vs_random:
        p("## 2e. Fixed pairs beside random recipients")
        p("")
        p("Server CPU seconds per 10k messages at the same offered rate, and the delivered rate at "
          "saturation, for fixed pairs and for random recipients; *random / pairs* above 1x means "
          "the server pays more per message when users talk to many others. Much of the "
          "difference is TCP, not the servers' own code: with fixed pairs every connection "
          "carries messages both ways, so the kernel piggybacks each acknowledgement on the next "
          "message out (about 1 packet per message sent from the server's context); with random "
          "recipients most acknowledgements go out as packets of their own (about 2 per message), "
          "and on loopback the receiving socket's processing runs in the sender's context, so "
          "each server's CPU also includes the clients' TCP work for what it sends. Those packets "
          "arise whatever the server; they weigh most in the figure of a server whose own work "
          "per message is small. Random recipients are the realistic case. A profile of "
          "Rampart at 2k msg/s with 200 users, archiving off (perf, 2026-12-02), found the same "
          "system calls per message in both patterns (about 3 reads, 1 epoll_ctl, 1 write), "
          "1.07 packets sent per message with pairs against 1.9-2.1 with random recipients, and "
          "the kernel's TCP receive and transmit paths (immediate and loopback acknowledgements) "
          "accounting for most of the extra samples; Rampart's own code rose far less, mostly "
          "in session lookups for recipients that change with every message.")
        p("")
        p("| Server | Archiving | Offered msg/s | CPU s / 10k: pairs | CPU s / 10k: random | Random / pairs | Saturation msg/s: pairs | Saturation msg/s: random |")
        p("| --- | --- | --- | --- | --- | --- | --- | --- |")
        for s in servers:
            for a, b, label in pairs_vs_random:
                rates_a = {x["target_per_second"] for x in (r.get((s, a)) or {}).get("steps", []) if not x["warmup"]}
                rates_b = {x["target_per_second"] for x in (r.get((s, b)) or {}).get("steps", []) if not x["warmup"]}
                for rate in sorted(rates_a & rates_b):
                    ca = step_at(r, s, rate, "server_cpu_seconds_per_10k", a)
                    cb = step_at(r, s, rate, "server_cpu_seconds_per_10k", b)
                    p(f"| {NAMES.get(s, s)} | {label} | {fmt(rate)} | {fmt(ca, 3)} | {fmt(cb, 3)} | {ratio(cb, ca)} | "
                      f"{fmt(get(s, a, 'saturation_delivered_per_second'))} | "
                      f"{fmt(get(s, b, 'saturation_delivered_per_second'))} |")
        p("")

    # ---- idle ----
    # ---- content security's cost (Rampart only) ----
    on, off = r.get(("rampart", "chat")), r.get(("rampart", "chat-nodlp"))
    dlp = load(os.path.join(results, "dlp-throughput.json"))
    if on and off or dlp:
        p("## 2f. Content security on the message path (Rampart)")
        p("")
        p("Every other scenario runs Rampart as a tenant gets it by default: content security on, "
          "the default rule set (the seven built-in detectors; identity numbers masked, bank cards "
          "and travel documents masked when context words say what they are) inspecting every "
          "message a client sends. *chat-nodlp* is the 1:1 chat of section 2 with "
          "`[content_security] enabled = false`. The requirement: delivered messages per second at "
          "saturation with content security on stay at or above 80% of the figure with it off.")
        p("")
        if on and off:
            a, b = on["saturation_delivered_per_second"], off["saturation_delivered_per_second"]
            p("| Content security | Delivered msg/s at saturation (offered) | Highest sustained rate | p50 / p99 there (ms) | CPU s per 10k msgs: ramp / at saturation | Stopped because |")
            p("| --- | --- | --- | --- | --- | --- |")
            p(f"| on (default rules) | {saturation_cells(on)} |")
            p(f"| off | {saturation_cells(off)} |")
            p("")
            share = a / b if b else None
            p(f"On / off: **{ratio(a, b)}** of the delivered rate at saturation "
              f"({'meets' if share is not None and share >= 0.8 else 'does NOT meet'} the 80% floor).")
            p("")
        if dlp:
            p(f"A whole message's inspection as the message path runs it (fields, detectors, links, "
              f"fraud cues): {fmt(dlp.get('inspect_us_per_message'), 2)} µs on average over the same "
              "corpus.")
            p("")
            p("The matcher alone (`build/dlp_throughput`, one thread on the server's core): "
              f"{fmt(dlp['builtin_mb_per_s'], 1)} MB/s with the default rule set and "
              f"{fmt(dlp['with_200_rules_mb_per_s'], 1)} MB/s with 200 custom keyword rules "
              f"({dlp['with_200_rules_patterns']} patterns in one database) over a corpus of "
              f"{fmt(dlp['lines'])} mixed Chinese/English chat lines ({fmt(dlp['corpus_bytes'] / 1e6, 1)} MB, one "
              f"in ten holding a number, an address or a link); about {fmt(dlp['messages_per_s_builtin'])} "
              "average messages per second per core.")
            p("")

    # ---- encryption at rest's cost (Rampart only) ----
    # chat-enc / chat-noenc (archive-enc / archive-noenc) on copies of the same accounts; rounds
    # 2.. are -rK, each round in the other order, so that a drift of the machine's speed weighs
    # on both sides alike.
    def rounds(sc):
        out = [r.get(("rampart", sc))] if r.get(("rampart", sc)) else []
        k = 2
        while True:
            d = load(os.path.join(results, f"rampart-{sc}-r{k}.json"))
            if d is None:
                return out
            out.append(d)
            k += 1

    def mean(values):
        values = [v for v in values if v is not None and v > 0]
        return sum(values) / len(values) if values else None

    con, coff = rounds("chat-enc"), rounds("chat-noenc")
    aon, aoff = rounds("archive-enc"), rounds("archive-noenc")
    if (con and coff) or (aon and aoff):
        p("## 2g. Encryption at rest (Rampart)")
        p("")
        p("Every other scenario runs Rampart with encryption at rest on, as it starts by default: "
          "archived and offline messages sealed with AES-256-GCM under per-account keys, and "
          "each archived message's words kept as a blind index. Here the 1:1 chat of section 2 "
          "and the archive queries of section 5 run with encryption on (*chat-enc*, "
          "*archive-enc*) and with `[encryption] enabled = false` (*chat-noenc*, "
          "*archive-noenc*), each side on its own copy of the freshly provisioned accounts, so "
          "that both hold the same history. The requirement: with encryption on, both stay "
          "within 15% of the figures without it.")
        p("")
        n = max(len(con), len(coff), len(aon), len(aoff))
        if n > 1:
            p(f"Each pair ran {n} times (`BENCH_ENC_ROUNDS`), in alternating order (on, off; "
              "off, on; ...), so that a change in the machine's speed during the run weighs on "
              "both sides alike. *On / off, means* compares the means; each round's figures "
              "follow in brackets. *On / off, best rounds* compares each side's best round (the "
              "highest rate, the lowest CPU time or latency): other work on this shared machine, "
              "and the hypervisor's use of the core, which this guest cannot see (its steal time "
              "reads 0), only ever slow a round down, so a side's best round is its least "
              "disturbed measurement.")
            p("")
        p("| Scenario | Encryption on | Encryption off | On / off, means | On / off, best rounds |")
        p("| --- | --- | --- | --- | --- |")

        def row(label, on_rounds, off_rounds, key, digits=0, higher_is_better=True):
            value = key if callable(key) else (lambda d: d.get(key))
            a = [value(d) for d in on_rounds]
            b = [value(d) for d in off_rounds]
            ma, mb = mean(a), mean(b)
            if ma is None or mb is None:
                return
            best = max if higher_is_better else min
            ba = best(x for x in a if x is not None and x > 0)
            bb = best(x for x in b if x is not None and x > 0)
            each = lambda xs: "" if len(xs) < 2 else " (" + ", ".join(fmt(x, digits) for x in xs) + ")"
            p(f"| {label} | {fmt(ma, digits)}{each(a)} | {fmt(mb, digits)}{each(b)} | "
              f"{ratio(ma, mb)} | {ratio(ba, bb)} |")

        if con and coff:
            row("1:1 chat, archived: delivered msg/s at saturation", con, coff,
                "saturation_delivered_per_second")
            row("1:1 chat: server CPU s per 10k messages at saturation", con, coff,
                "saturation_server_cpu_seconds_per_10k", 3, False)
            fixed = meta.get("compare_rate", 10000)

            def cpu_at(d):
                for st in d.get("steps", []):
                    if not st.get("warmup") and st.get("target_per_second") == fixed:
                        return st.get("server_cpu_seconds_per_10k")
                return None

            row(f"1:1 chat: server CPU s per 10k messages at {fmt(fixed)} msg/s (below saturation)",
                con, coff, cpu_at, 3, False)
        if aon and aoff:
            row("Archive queries/s (50 per page)", aon, aoff, "queries_per_second")
            row("Archive query latency p99 (ms)", aon, aoff, "latency_p99_ms", 1, False)
        p("")
        write = load(os.path.join(results, "archive-write.json"))
        if write:
            on_us, off_us = write["encrypted_us_per_message"], write["plain_us_per_message"]
            p("The archive write path alone (`build/archive_write`, one thread on the server's "
              "core): the storage layer as the server's archive writer calls it, batches of 1,000 "
              f"items (each of {fmt(write['messages'])} 1:1 messages archived for both parties), "
              f"CPU time of the writing thread, {write['rounds']} rounds in alternating order. "
              f"With encryption on: **{fmt(on_us, 2)} µs** per message "
              f"({', '.join(fmt(x, 2) for x in write['encrypted_rounds'])}); off: "
              f"**{fmt(off_us, 2)} µs** ({', '.join(fmt(x, 2) for x in write['plain_rounds'])}); "
              f"on / off {ratio(on_us, off_us)} (best rounds: {fmt(min(write['encrypted_rounds']), 2)} "
              f"against {fmt(min(write['plain_rounds']), 2)} µs, "
              f"{ratio(min(write['encrypted_rounds']), min(write['plain_rounds']))}). "
              "The difference is what encryption adds to the "
              "message path (sealing both copies, the blind index); the rest of the server's "
              "work per message is the same on both sides. The CPU time includes the kernel's "
              "share of SQLite's writes, which varies from round to round on this shared machine.")
            p("")

    search = load(os.path.join(results, "search-latency.json"))
    if search:
        p("## 2h. Full-text search in an archive (Rampart)")
        p("")
        p(f"XEP-0431 searches in one account's archive of {fmt(search['messages'])} mixed Chinese "
          "and English chat messages (`build/search_latency`, one thread on the server's core, "
          "the storage layer as the server runs it): the newest page of 50 matches, with the "
          "count of all matches. With encryption on, the words are kept as a blind index "
          "(keyed digests) and the page's messages are opened; off, plain digests.")
        p("")
        p("| Search | Matches | Encryption on: p50 / p99 (ms) | Encryption off: p50 / p99 (ms) |")
        p("| --- | --- | --- | --- |")
        rows = {}
        for qd in search["queries"]:
            rows.setdefault(qd["search"], {})[qd["encrypted"]] = qd
        for label, d in rows.items():
            on_, off_ = d.get(True), d.get(False)
            cell = lambda x: f"{fmt(x['p50_ms'], 1)} / {fmt(x['p99_ms'], 1)}" if x else "-"
            p(f"| {label} | {fmt((on_ or off_)['matches'])} | {cell(on_)} | {cell(off_)} |")
        p("")

    p("## 3. Idle authenticated TLS connections")
    p("")
    p("| Server | Opened / failed | Alive after hold | Server RSS before → after (MiB) | KiB per connection | Load generator KiB per connection |")
    p("| --- | --- | --- | --- | --- | --- |")
    for s in servers:
        d = r[(s, "idle")]
        if d is None:
            p(f"| {NAMES.get(s, s)} | no result | | | | |")
            continue
        p(f"| {NAMES.get(s, s)} | {d['opened']} / {d['failed']} | {d['alive_after_hold']} | "
          f"{d['server_rss_kib_before'] / 1024:.1f} → {d['server_rss_kib_after'] / 1024:.1f} | "
          f"{fmt(d['server_kib_per_connection'], 1)} | {fmt(d['loadgen_kib_per_connection'], 1)} |")
    p("")

    # ---- room ----
    if any(r.get((s, "room")) for s in servers):
        p("## 4. Room fan-out")
        p("")
        p("| Server | Joined (s to join) | Deliveries/s at saturation (messages/s offered) | Highest sustained msg/s | p50 / p99 there (ms) | CPU s per 10k deliveries: ramp / at saturation | Stopped because |")
        p("| --- | --- | --- | --- | --- | --- | --- |")
        limited = []
        for s in servers:
            d = r.get((s, "room"))
            if d is None:
                p(f"| {NAMES.get(s, s)} | no result | | | | | |")
                continue
            p(f"| {NAMES.get(s, s)} | {d['joined']} of {d['occupants']} ({fmt(d['join_seconds'], 1)}) | "
              f"{saturation_cells(d)} |")
            if "load generator" in d["stop_reason"] or d["stop_reason"] == "all rates done":
                limited.append(NAMES.get(s, s))
        p("")
        if limited:
            p(f"For {', '.join(limited)} the single-threaded load generator, which receives and parses "
              "every delivery, reached the limit of its core (or the last rate): the saturation figure "
              "is a lower bound, and the CPU seconds per 10k deliveries are the better comparison.")
            p("")
        p("| Server | Offered msg/s | Deliveries/s | p50 / p99 (ms) | CPU s / 10k deliveries | Server CPU | Loadgen CPU | Others on server core | Verdict |")
        p("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
        for s in servers:
            d = r.get((s, "room"))
            if d is None:
                continue
            for step in d["steps"]:
                if step["warmup"]:
                    continue
                p(step_row(s, step))
        p("")

    # ---- archive ----
    if any(r.get((s, "archive")) for s in servers):
        p("## 5. Archive queries")
        p("")
        p("| Server | Prefill: messages (s) | Queries/s | Results per query | Latency p50 / p99 (ms) | Server CPU ms per query | Failed queries |")
        p("| --- | --- | --- | --- | --- | --- | --- |")
        for s in servers:
            d = r.get((s, "archive"))
            if d is None:
                p(f"| {NAMES.get(s, s)} | no result | | | | | |")
                continue
            p(f"| {NAMES.get(s, s)} | {fmt(d['prefill_received'])} ({fmt(d['prefill_seconds'], 1)}) | "
              f"{fmt(d['queries_per_second'])} | {fmt(d['results_per_query'], 1)} | "
              f"{fmt(d['latency_p50_ms'], 1)} / {fmt(d['latency_p99_ms'], 1)} | "
              f"{fmt(d['server_cpu_ms_per_query'], 2)} | {fmt(d['failed_queries'])} |")
        p("")

    # ---- health ----
    p("## What went wrong, per server and scenario")
    p("")
    p("Failed logins, connections lost, stanza errors, server deaths and the server's own warnings "
      "and errors in its log during the scenario.")
    p("")
    any_issue = False
    for s in servers:
        for sc in SCENARIOS:
            if sc not in meta.get("scenarios", SCENARIOS):
                continue
            d, status = r[(s, sc)], st[(s, sc)] or {}
            issues = []
            if status.get("start_failed"):
                issues.append("the server did not start")
            if status and status.get("server_alive_after") is False:
                issues.append("**the server process died during the scenario**")
            if status.get("loadgen_exit"):
                issues.append(f"load generator exit code {status['loadgen_exit']}")
            if d is None and not status.get("start_failed"):
                issues.append("no result")
            if d is not None:
                if d.get("timed_out"):
                    issues.append("scenario hit its time bound")
                if d.get("failed"):
                    issues.append(f"{d['failed']} failed logins")
                if d.get("disconnects"):
                    issues.append(f"{d['disconnects']} authenticated connections lost")
                for k, v in (d.get("errors") or {}).items():
                    issues.append(f"`{k}` ×{v}")
                cert = d.get("tls_cert_sha256")
                if cert and meta.get("cert_sha256") and cert != meta["cert_sha256"]:
                    issues.append("**served a different TLS certificate than the benchmark's**")
                if d.get("scram_iterations") and d["scram_iterations"] != 4096:
                    issues.append(f"SCRAM iteration count {d['scram_iterations']}, not 4096")
                if d.get("ramp_time_limit_hit"):
                    issues.append("idle ramp stopped at its time limit")
            w, e, top = log_counts(results, s, sc)
            if w or e:
                issues.append(f"log: {w} warnings, {e} errors; most frequent: " +
                              "; ".join(f"`{k}` ×{n}" for k, n in top))
            if issues:
                any_issue = True
                p(f"- {NAMES.get(s, s)}, {sc}: " + "; ".join(issues))
    if not any_issue:
        p("- Nothing: no failed logins, no lost connections, no errors in any log.")
    p("")
    return "\n".join(out)


if __name__ == "__main__":
    print(main())
