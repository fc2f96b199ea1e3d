#!/usr/bin/env bash
# Installs what building, running and testing need, only when missing (fresh Debian 12).
# Usage: scripts/install-deps.sh [build|check]
set -euo pipefail
mode="${1:-build}"
pkgs=(build-essential cmake pkg-config libmicrohttpd-dev libcurl4-openssl-dev libjansson-dev libyaml-dev
      libsecp256k1-dev libssl-dev libsqlite3-dev sqlite3 libpq-dev curl ca-certificates)
if [ "$mode" = check ] || [ "$mode" = bench ]; then
  pkgs+=(libcmocka-dev clang libclang-rt-14-dev nodejs npm postgresql openssl)
fi
if [ "$mode" = bench ]; then pkgs+=(wrk nginx-light); fi
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# node/npm may come from outside Debian (e.g. a preinstalled Node.js): accept any node >= 18.
if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
  kept=(); for p in "${missing[@]}"; do [ "$p" = nodejs ] || [ "$p" = npm ] || kept+=("$p"); done
  missing=("${kept[@]+"${kept[@]}"}")
fi
if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing: ${missing[*]}" >&2
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
