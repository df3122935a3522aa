#!/usr/bin/env bash
# Installs the peer servers for `make bench` (ejabberd and Prosody from Debian's packages) and
# the load generator's build dependencies, only what is missing. The SQLite drivers let both keep
# their message archives in SQLite, as Rampart does. Idempotent and quick when
# everything is present. Makes sure neither package leaves a system daemon running: the
# benchmark starts its own instances, on its own ports, with its own configuration.
set -euo pipefail

need=()
for pkg in ejabberd prosody erlang-base erlang-p1-sqlite3 lua5.4 lua-dbi-sqlite3 openssl cmake g++ libboost1.81-dev libssl-dev \
           libexpat1-dev util-linux iproute2 procps python3; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    need+=("$pkg")
  fi
done

if ((${#need[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "install-peers: missing packages (${need[*]}); run as root or install them" >&2
    exit 1
  fi
  echo "install-peers: installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get install -y --no-install-recommends "${need[@]}" >/tmp/install-peers.log 2>&1; then
    apt-get update >/dev/null && apt-get install -y --no-install-recommends "${need[@]}" \
      >/tmp/install-peers.log 2>&1 || { cat /tmp/install-peers.log >&2; exit 1; }
  fi
fi

# The packages' maintainer scripts may have started the system services (on machines where
# invoke-rc.d is allowed to). Stop them with the services' own commands, then by PID.
stop_system_ejabberd() {
  local pidfile=/run/ejabberd/ejabberd.pid pid=""
  [[ -s $pidfile ]] && pid=$(cat "$pidfile")
  if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
    echo "install-peers: stopping the system ejabberd (pid $pid)"
    service ejabberd stop >/dev/null 2>&1 || ejabberdctl stop >/dev/null 2>&1 || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -0 "$pid" 2>/dev/null && kill -TERM "$pid" 2>/dev/null || true
  fi
  if command -v systemctl >/dev/null && [[ -d /run/systemd/system ]]; then
    systemctl disable --now ejabberd >/dev/null 2>&1 || true
  fi
}

stop_system_prosody() {
  local pidfile=/run/prosody/prosody.pid pid=""
  [[ -s $pidfile ]] && pid=$(cat "$pidfile")
  if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
    echo "install-peers: stopping the system prosody (pid $pid)"
    service prosody stop >/dev/null 2>&1 || prosodyctl stop >/dev/null 2>&1 || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -0 "$pid" 2>/dev/null && kill -TERM "$pid" 2>/dev/null || true
  fi
  if command -v systemctl >/dev/null && [[ -d /run/systemd/system ]]; then
    systemctl disable --now prosody >/dev/null 2>&1 || true
  fi
}

stop_system_ejabberd
stop_system_prosody
if command -v systemctl >/dev/null && [[ -d /run/systemd/system ]]; then
  # erlang-base ships a socket-activated epmd; the benchmark's ejabberd does not use epmd.
  systemctl disable --now epmd.socket epmd.service >/dev/null 2>&1 || true
fi

# Nothing may be left listening on the packages' default ports.
busy=$(ss -Hltn '( sport = :5222 or sport = :5223 or sport = :5269 or sport = :5280 or sport = :5443 or sport = :5347 )' 2>/dev/null |
       awk '{print $4}' | tr '\n' ' ')
if [[ -n ${busy// /} ]]; then
  # Only a warning: a developer's own Rampart (`make run`) may be on 5222.
  echo "install-peers: note: something listens on default XMPP ports: $busy" >&2
fi
exit 0
