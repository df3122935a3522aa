#!/usr/bin/env bash
# Installs the Debian 12 packages Rampart needs to build and test. Idempotent: when every
# package is present it only checks and exits. Needs root (or sudo) only when installing.
set -euo pipefail

packages=(
  build-essential cmake ccache pkg-config
  libboost1.81-dev libssl-dev libexpat1-dev libsqlite3-dev
  libtomlplusplus-dev libspdlog-dev libfmt-dev libidn2-dev libicu-dev
  libgtest-dev libgmock-dev
  python3 python3-slixmpp python3-pytest python3-websockets python3-aiohttp
  openssl curl
)
if [[ "${1:-}" == "--fuzz" ]]; then
  packages+=(clang libclang-rt-14-dev)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [[ ${#missing[@]} -eq 0 ]]; then
  exit 0
fi

echo "Installing: ${missing[*]}"
SUDO=""
if [[ $(id -u) -ne 0 ]]; then
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
