#!/usr/bin/env bash
# Installs the Debian 12 packages Rampart needs to build (with --test also to test, with --fuzz
# to fuzz) and the npm packages of the bundled web client (web/chat), the admin console
# (web/admin) and account center (web/account). Idempotent: when
# everything is present it only checks and exits. Needs root (or sudo) only for Debian packages.
set -euo pipefail

packages=(
  build-essential cmake ccache pkg-config
  libboost1.81-dev libssl-dev libexpat1-dev libsqlite3-dev
  libtomlplusplus-dev libspdlog-dev libfmt-dev libidn2-dev libicu-dev
  libsodium-dev libqrencode-dev libpwquality-dev cracklib-runtime john-data libmaxminddb-dev
  libcbor-dev libvectorscan-dev libmagic-dev libzbar-dev libpng-dev libjpeg62-turbo-dev
  libp11-kit-dev libarchive-dev
  libgtest-dev libgmock-dev
  python3 python3-slixmpp python3-pytest
  openssl curl
)
if [[ "${1:-}" == "--test" ]]; then
  # Only the test suites need these: WebSocket and upload clients, OMEMO, parallel pytest
  # workers, headless Chromium.
  packages+=(python3-websockets python3-aiohttp python3-omemo python3-twomemo python3-xmlschema
             python3-pytest-xdist chromium clamav-daemon qrencode softhsm2)
fi
# Node.js and npm for the web client, unless the machine already has them.
if ! command -v npm >/dev/null 2>&1; then
  packages+=(nodejs npm)
fi
if [[ "${1:-}" == "--fuzz" ]]; then
  packages+=(clang libclang-rt-14-dev)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [[ ${#missing[@]} -gt 0 ]]; then
  echo "Installing: ${missing[*]}"
  SUDO=""
  if [[ $(id -u) -ne 0 ]]; then
    SUDO="sudo"
  fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The web client's npm packages, exactly as locked; again only when the lock file changed.
web="$(dirname "$0")/../web/chat"
stamp="$web/node_modules/.package-lock.json"
if [[ ! -f "$stamp" || "$web/package-lock.json" -nt "$stamp" ]]; then
  echo "Installing the web client's npm packages"
  (cd "$web" && npm ci --no-audit --no-fund --loglevel=error)
fi

# The npm packages of the admin console (web/admin) and the account center (web/account),
# exactly as locked; again only when a lock file changed.
for app in admin account; do
  dir="$(dirname "$0")/../web/$app"
  stamp="$dir/node_modules/.package-lock.json"
  if [[ ! -f "$stamp" || "$dir/package-lock.json" -nt "$stamp" ]]; then
    echo "Installing the npm packages of web/$app"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  fi
done
