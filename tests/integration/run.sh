#!/bin/sh
# Runs the integration suite against real binaries: a real rampartd on loopback (port 0, a
# temporary data dir per test module) driven by slixmpp and raw TLS sockets.
#   RAMPARTD=/path/to/rampartd RAMPARTCTL=/path/to/rampartctl tests/integration/run.sh [pytest args]
# Defaults: build/rampartd and build/rampartctl. Uses Debian's python3 (python3-pytest,
# python3-slixmpp), never a pyenv one.
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
abs() { case "$1" in /*) printf '%s\n' "$1" ;; *) printf '%s/%s\n' "$ROOT" "$1" ;; esac; }
RAMPARTD=$(abs "${RAMPARTD:-build/rampartd}")
RAMPARTCTL=$(abs "${RAMPARTCTL:-build/rampartctl}")
export RAMPARTD RAMPARTCTL
for b in "$RAMPARTD" "$RAMPARTCTL"; do
  if [ ! -x "$b" ]; then
    echo "run.sh: $b is missing; build it (cd build && make rampartd rampartctl) or set RAMPARTD/RAMPARTCTL" >&2
    exit 2
  fi
done
exec /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/integration "$@"
