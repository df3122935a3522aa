# Start, stop and provision the three servers for bench/run.sh (sourced, not run).
# Every server runs pinned to CPU 1 (taskset), listens on 127.0.0.1 only, uses the same
# self-signed certificate ($RUN_DIR/tls) and the same users (userN@localhost / Rb7-load-N).
# Needs: ROOT, BENCH, RUN_DIR, RAMPARTD, RAMPARTCTL, SERVER_CPU, NICE; sets SERVER_PID, LAUNCH_PID.

RAMPART_PORT=25222 RAMPART_TLS_PORT=25223 RAMPART_HTTPS_PORT=25281 RAMPART_ADMIN_PORT=25282
EJABBERD_PORT=35222 EJABBERD_HTTP_PORT=35280 EJABBERD_DIST_PORT=35299
PROSODY_PORT=45222
BENCH_PORTS="$RAMPART_PORT $RAMPART_TLS_PORT $RAMPART_HTTPS_PORT $RAMPART_ADMIN_PORT $EJABBERD_PORT $EJABBERD_HTTP_PORT $EJABBERD_DIST_PORT $PROSODY_PORT"
SERVER_PID="" LAUNCH_PID=""

server_port() {
  case $1 in
    rampart) echo "$RAMPART_PORT" ;;
    ejabberd) echo "$EJABBERD_PORT" ;;
    prosody) echo "$PROSODY_PORT" ;;
  esac
}

port_listening() { ss -Hltn "sport = :$1" 2>/dev/null | grep -q .; }

# wait_listening PORT SECONDS: until something listens on PORT, while SERVER_PID lives.
wait_listening() {
  local port=$1 deadline=$((SECONDS + $2))
  while ((SECONDS < deadline)); do
    if port_listening "$port"; then return 0; fi
    if [[ -n $LAUNCH_PID ]] && ! kill -0 "$LAUNCH_PID" 2>/dev/null; then
      echo "server exited before listening on $port" >&2
      return 1
    fi
    sleep 0.1
  done
  echo "nothing listens on $port after $2 s" >&2
  return 1
}

make_certificate() {
  mkdir -p "$RUN_DIR/tls"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
    -subj /CN=localhost -addext subjectAltName=DNS:localhost,DNS:conference.localhost \
    -keyout "$RUN_DIR/tls/key.pem" -out "$RUN_DIR/tls/cert.pem" 2>/dev/null
  openssl x509 -in "$RUN_DIR/tls/cert.pem" -noout -fingerprint -sha256 | sed 's/.*=//'
}

# sqlite_wal_db FILE [SCHEMA.sql]: a SQLite database in WAL journal mode, as Rampart's is (the
# mode is kept in the file; neither ejabberd nor Prosody has a setting for it), with the schema.
sqlite_wal_db() {
  python3 - "$@" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("PRAGMA journal_mode=WAL")
db.execute("CREATE TABLE bench_wal_marker (x)")  # writes the header, so the mode sticks
db.execute("DROP TABLE bench_wal_marker")
if len(sys.argv) > 2:
    db.executescript(open(sys.argv[2]).read())
db.commit()
assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
PY
}

# fill_template IN OUT [noarchive]: the configuration with this run's paths and ports. A line
# ending in a comment "@ARCHIVE_ONLY@" belongs to the variant with message archiving (on for
# every account, the default); one ending in "@NOARCHIVE_ONLY@" to the variant with archiving
# off (`noarchive`), in which no server loads its archive module. The marker comments are
# removed from the lines kept.
fill_template() {
  local drop=NOARCHIVE_ONLY drop2=NODLP_ONLY drop3=NOENC_ONLY
  if [[ ${3:-} == noarchive ]]; then drop=ARCHIVE_ONLY; fi
  if [[ ${3:-} == nodlp ]]; then drop2=NO_SUCH_MARKER; fi
  if [[ ${3:-} == noenc ]]; then drop3=ENC_ONLY; fi
  sed -E -e "/ (#|--) @$drop@\$/d" -e "/ (#|--) @$drop2@\$/d" -e "/ (#|--) @$drop3@\$/d" \
      -e 's/ +(#|--) @(NO)?ARCHIVE_ONLY@$//' -e 's/ +(#|--) @NODLP_ONLY@$//' \
      -e 's/ +(#|--) @(NO)?ENC_ONLY@$//' \
      -e "s|@RUN@|$RUN_DIR|g" -e "s|@PORT@|$(server_port "$SERVER")|g" \
      -e "s|@TLS_PORT@|$RAMPART_TLS_PORT|g" -e "s|@HTTPS_PORT@|$RAMPART_HTTPS_PORT|g" -e "s|@ADMIN_PORT@|$RAMPART_ADMIN_PORT|g" \
      -e "s|@HTTP_PORT@|$EJABBERD_HTTP_PORT|g" -e "s|@DIST_PORT@|$EJABBERD_DIST_PORT|g" \
      "$1" >"$2"
  if grep -q '@[A-Z_]*@' "$2"; then
    echo "fill_template: unfilled placeholder in $2: $(grep -m1 '@[A-Z_]*@' "$2")" >&2
    return 1
  fi
}

# The configuration file variant for this scenario: "", "-noarchive", "-nodlp", "-enc" or "-noenc"
# (VARIANT).
variant_suffix() { [[ -n ${VARIANT:-} ]] && echo "-$VARIANT" || true; }

# ---- Rampart ----------------------------------------------------------------------------------

rampart_prepare() {  # rampart_prepare COUNT
  local dir=$RUN_DIR/rampart count=$1 conf=$RUN_DIR/rampart/rampart.toml
  mkdir -p "$dir/tls"
  cp "$RUN_DIR/tls/cert.pem" "$RUN_DIR/tls/key.pem" "$dir/tls/"
  chmod 600 "$dir/tls/key.pem"
  fill_template "$BENCH/peers/rampart.toml.in" "$conf"
  fill_template "$BENCH/peers/rampart.toml.in" "$dir/rampart-noarchive.toml" noarchive
  fill_template "$BENCH/peers/rampart.toml.in" "$dir/rampart-nodlp.toml" nodlp
  fill_template "$BENCH/peers/rampart.toml.in" "$dir/rampart-noenc.toml" noenc
  # chat-enc and archive-enc: the default configuration on a copy of its own.
  sed "s|$dir/rampart.db\"|$dir/rampart-enc.db\"|" "$conf" >"$dir/rampart-enc.toml"
  grep -q 'rampart-enc.db"' "$dir/rampart-enc.toml" || { echo "rampart-enc.toml: no database path" >&2; return 1; }
  # One account first, so that the database exists before the parallel writers start.
  "$RAMPARTCTL" --config "$conf" user add user1@localhost Rb7-load-1 >/dev/null
  seq 2 "$count" | xargs -P 8 -I{} "$RAMPARTCTL" --config "$conf" user add \
    user{}@localhost Rb7-load-{} >/dev/null 2>>"$RUN_DIR/rampartctl.err" || true
  local have
  have=$("$RAMPARTCTL" --config "$conf" user list localhost | grep -c '^user')
  if ((have < count)); then
    echo "rampartctl: $((count - have)) accounts failed in parallel, retrying one by one" >&2
    "$RAMPARTCTL" --config "$conf" user list localhost | sort >"$RUN_DIR/have.txt"
    seq 1 "$count" | sed 's/.*/user&@localhost/' | sort | comm -23 - "$RUN_DIR/have.txt" |
      while read -r jid; do
        n=${jid#user}; n=${n%@localhost}
        "$RAMPARTCTL" --config "$conf" user add "$jid" "Rb7-load-$n" >/dev/null
      done
  fi
  # Section 2g's pair runs on copies of the freshly provisioned accounts, one each, so that
  # both sides have the same history (a database holding sealed values cannot be read with
  # encryption off; the keys in keys.db serve the encrypted copy as they serve the original).
  sqlite3_copy "$dir/rampart.db" "$dir/rampart-noenc.db"
  sqlite3_copy "$dir/rampart.db" "$dir/rampart-enc.db"
}

# sqlite3_copy FROM TO: a consistent copy of a database in WAL mode (python3's sqlite3).
sqlite3_copy() {
  python3 - "$1" "$2" <<'PY'
import sqlite3, sys
src, dst = sqlite3.connect(sys.argv[1]), sqlite3.connect(sys.argv[2])
src.backup(dst)
dst.close()
src.close()
PY
}

rampart_start() {
  nice -n "${NICE:-0}" taskset -c "$SERVER_CPU" "$RAMPARTD" \
    --config "$RUN_DIR/rampart/rampart$(variant_suffix).toml" \
    >>"$RUN_DIR/rampart/rampartd.log" 2>&1 &
  SERVER_PID=$! LAUNCH_PID=$!
  wait_listening "$RAMPART_PORT" 30
}

# ---- ejabberd ---------------------------------------------------------------------------------

ejabberd_prepare() {  # ejabberd_prepare COUNT
  local dir=$RUN_DIR/ejabberd count=$1
  mkdir -p "$dir/etc/modules.d" "$dir/spool" "$dir/logs"
  fill_template "$BENCH/peers/ejabberd.yml.in" "$dir/etc/ejabberd.yml"
  fill_template "$BENCH/peers/ejabberd.yml.in" "$dir/etc/ejabberd-noarchive.yml" noarchive
  fill_template "$BENCH/peers/ejabberdctl.cfg.in" "$dir/etc/ejabberdctl.cfg"
  cp /etc/ejabberd/inetrc "$dir/etc/inetrc"
  # The archive database (sql_database) with ejabberd's own SQLite schema, in WAL mode.
  sqlite_wal_db "$dir/spool/archive.db" /usr/share/ejabberd/sql/lite.sql
  cat "$RUN_DIR/tls/cert.pem" "$RUN_DIR/tls/key.pem" >"$dir/etc/bench.pem"
  chmod 600 "$dir/etc/bench.pem"
  chown -R ejabberd:ejabberd "$dir"
  ejabberd_start || return 1
  python3 "$BENCH/lib/ejabberd_register.py" "$EJABBERD_HTTP_PORT" localhost "$count"
  stop_server
}

ejabberd_start() {
  local dir=$RUN_DIR/ejabberd
  rm -f "$dir/ejabberd.pid"
  # ejabberdctl runs as the ejabberd user (setpriv, no su), with its own config, spool, logs
  # and Erlang cookie ($HOME); the Erlang distribution listens on loopback without epmd.
  HOME=$dir/spool nice -n "${NICE:-0}" taskset -c "$SERVER_CPU" \
    setpriv --reuid=ejabberd --regid=ejabberd --init-groups \
    /usr/sbin/ejabberdctl --config-dir "$dir/etc" --config "$dir/etc/ejabberd$(variant_suffix).yml" \
    --ctl-config "$dir/etc/ejabberdctl.cfg" --logs "$dir/logs" --spool "$dir/spool" \
    foreground >>"$dir/logs/console.log" 2>&1 &
  LAUNCH_PID=$!
  SERVER_PID=""
  local deadline=$((SECONDS + 60))
  while ((SECONDS < deadline)); do
    if [[ -s $dir/ejabberd.pid ]]; then
      SERVER_PID=$(cat "$dir/ejabberd.pid")
      break
    fi
    kill -0 "$LAUNCH_PID" 2>/dev/null || break
    sleep 0.1
  done
  if [[ -z $SERVER_PID ]]; then
    echo "ejabberd did not start; see $dir/logs" >&2
    tail -20 "$dir/logs/console.log" >&2 || true
    return 1
  fi
  wait_listening "$EJABBERD_PORT" 60 || return 1
  wait_listening "$EJABBERD_HTTP_PORT" 30 || return 1
  # ejabberd opens its SQL pool (the archives) on first use, and mod_mam hooks fail while it
  # starts. Use it once (an archive clean-up that deletes nothing) before any load.
  # Not fatal: without the warm-up the run goes on, and the report lists ejabberd's mod_mam
  # errors from its log. With archiving off there is neither mod_mam nor an SQL pool.
  [[ ${VARIANT:-} == noarchive ]] || python3 - "$EJABBERD_HTTP_PORT" <<'PY' || true
import http.client, json, sys, time
for attempt in range(20):
    try:
        c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=30)
        c.request("POST", "/api/delete_old_mam_messages", json.dumps({"type": "all", "days": 36500}),
                  {"Content-Type": "application/json"})
        r = c.getresponse()
        r.read()
        if r.status == 200:
            break
    except OSError:
        pass
    time.sleep(0.5)
else:
    sys.exit("ejabberd: its SQL pool did not answer 20 warm-up calls; mod_mam may fail at first")
PY
  sleep 2
}

# ---- Prosody ----------------------------------------------------------------------------------

prosody_prepare() {  # prosody_prepare COUNT
  local dir=$RUN_DIR/prosody count=$1
  mkdir -p "$dir/data"
  fill_template "$BENCH/peers/prosody.cfg.lua.in" "$dir/prosody.cfg.lua"
  fill_template "$BENCH/peers/prosody.cfg.lua.in" "$dir/prosody-noarchive.cfg.lua" noarchive
  cp "$RUN_DIR/tls/cert.pem" "$RUN_DIR/tls/key.pem" "$dir/"
  chmod 600 "$dir/key.pem"
  python3 "$BENCH/lib/prosody_accounts.py" "$dir/data" localhost "$count" 4096
  sqlite_wal_db "$dir/data/archive.sqlite"  # mod_storage_sql creates its tables in it
  chown -R prosody:prosody "$dir"
}

prosody_start() {
  local dir=$RUN_DIR/prosody
  nice -n "${NICE:-0}" taskset -c "$SERVER_CPU" setpriv --reuid=prosody --regid=prosody --init-groups \
    /usr/bin/prosody -F --config "$dir/prosody$(variant_suffix).cfg.lua" >>"$dir/console.log" 2>&1 &
  SERVER_PID=$! LAUNCH_PID=$!
  wait_listening "$PROSODY_PORT" 30
}

# ---- common -----------------------------------------------------------------------------------

# stop_server: SIGTERM to the server's PID, SIGKILL by PID after 20 s; reaps the launcher.
# Prints nothing; returns the launcher's exit status.
stop_server() {
  local rc=0
  if [[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 200); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$SERVER_PID" 2>/dev/null; then
      echo "server $SERVER_PID ignored SIGTERM for 20 s; SIGKILL" >&2
      kill -KILL "$SERVER_PID" 2>/dev/null || true
    fi
  fi
  if [[ -n $LAUNCH_PID ]]; then
    for _ in $(seq 100); do kill -0 "$LAUNCH_PID" 2>/dev/null || break; sleep 0.1; done
    wait "$LAUNCH_PID" 2>/dev/null || rc=$?
  fi
  SERVER_PID="" LAUNCH_PID=""
  return $rc
}

# record_runtime FILE: what the running server (SERVER_PID) actually runs with, as JSON: its
# command line, thread count and allowed CPUs from /proc, and per server the settings that
# decide its speed (Rampart: network threads; ejabberd: the Erlang VM's schedulers, polling and
# busy wait, probed with the same flags on the same CPU; Prosody: network backend, GC, Lua).
# Written once per file.
record_runtime() {
  local out=$1 probe="{}"
  [[ -f $out || -z $SERVER_PID ]] && return 0
  if [[ $SERVER == ejabberd ]]; then
    # The emulator flags ejabberdctl gave the VM: beam.smp's arguments before the first "--",
    # which erlexec passes as "-X value" for "+X value".
    local flags
    flags=$(tr '\0' '\n' <"/proc/$SERVER_PID/cmdline" | tail -n +2 |
      awk '$0 == "--" {exit} {sub(/^-/, "+"); printf "%s ", $0}')
    # shellcheck disable=SC2086
    probe=$(taskset -c "$SERVER_CPU" erl $flags -noshell -eval '
      I = fun(K) -> try erlang:system_info(K) catch _:_ -> undefined end end,
      F = fun(V) when is_integer(V) -> integer_to_list(V);
             (V) when is_list(V) -> "\"" ++ V ++ "\"";
             (V) -> "\"" ++ io_lib:format("~w", [V]) ++ "\"" end,
      Ks = [schedulers, schedulers_online, dirty_cpu_schedulers, dirty_cpu_schedulers_online,
            dirty_io_schedulers, kernel_poll, logical_processors_available, scheduler_bind_type,
            otp_release],
      io:format("{~s}", [string:join(["\"" ++ atom_to_list(K) ++ "\":" ++ F(I(K)) || K <- Ks], ",")]),
      halt().' 2>/dev/null || echo '{}')
    probe=$(printf '%s' "$probe" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(json.dumps({"vm_flags": sys.argv[1].strip(), "vm": d}))' "$flags" 2>/dev/null || echo '{}')
  elif [[ $SERVER == prosody ]]; then
    local conf=$RUN_DIR/prosody/prosody$(variant_suffix).cfg.lua
    probe=$(python3 - "$conf" <<'PY'
import json, re, subprocess, sys
conf = open(sys.argv[1]).read()
def setting(name):
    m = re.search(r"^%s\s*=\s*(.+?)\s*(--.*)?$" % name, conf, re.M)
    return m.group(1) if m else None
lua = subprocess.run(["lua5.4", "-v"], capture_output=True, text=True).stdout
lua = " ".join(lua.split()[:2])  # "Lua 5.4.4"
print(json.dumps({"network_backend": setting("network_backend"), "gc": setting("gc"), "lua": lua}))
PY
)
  fi
  python3 - "$out" "$SERVER_PID" "$probe" <<'PY'
import json, sys
pid = sys.argv[2]
cmd = open(f"/proc/{pid}/cmdline", "rb").read().split(b"\0")
status = dict(l.split(":", 1) for l in open(f"/proc/{pid}/status").read().splitlines() if ":" in l)
d = {"pid": int(pid), "cmdline": " ".join(c.decode(errors="replace") for c in cmd if c),
     "threads": int(status["Threads"].strip()), "cpus_allowed": status["Cpus_allowed_list"].strip()}
d.update(json.loads(sys.argv[3] or "{}"))
json.dump(d, open(sys.argv[1], "w"), indent=1)
PY
}
