#!/bin/sh
# Run a command in a private network namespace holding only `lo` (as root, where unshare works), so browser tests
# that open WebRTC links between tabs can only use loopback; otherwise run it as it is.
# Usage: sh scripts/loopback-netns.sh <command> [args...]
if [ "$(id -u)" = 0 ] && [ -z "$FEDMESH_NETNS" ] && unshare -n true 2>/dev/null; then
  FEDMESH_NETNS=1 exec unshare -n sh -c 'ip link set lo up && exec "$0" "$@"' "$@"
fi
exec "$@"
