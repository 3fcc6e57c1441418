#!/usr/bin/env bash
# Installs what fedmesh needs on a fresh Debian machine with Node 20 (run as root): Debian's Chromium for the
# browser tests and swarms, pnpm 12, and the workspace's locked dependencies. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

need_chromium=${FEDMESH_NEED_CHROMIUM:-1}
if [ "$need_chromium" = 1 ] && ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" != 0 ]; then
    echo "fedmesh: Chromium is missing; install it as root: apt-get update && apt-get install -y chromium" >&2
    exit 1
  fi
  echo "fedmesh: installing Debian's chromium (browser tests and swarms drive it)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
if ! command -v ip >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  # the swarm keeps its traffic on loopback inside a network namespace and needs `ip` to bring lo up
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq iproute2 >/dev/null
fi
if [ "$(pnpm --version 2>/dev/null || true)" != "12.4.2" ]; then
  echo "fedmesh: installing pnpm 12.4.2"
  npm install -g pnpm@12.4.2 >/dev/null
fi
pnpm install --frozen-lockfile
