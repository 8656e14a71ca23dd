#!/usr/bin/env bash
# Run "$@" inside a private network namespace, so browser tests can only talk to
# this machine's own processes (see "Network isolation" in the design notes).
#
# The namespace has lo plus a veth pair, v0 (10.77.0.1) <-> v1 (10.77.0.2), and a
# default route via v1. Chromium gathers no ICE candidates with only lo, and none
# at all without a default route, so all three are needed for WebRTC to connect.
# Nothing routes out of the namespace: the veth pair leads only to itself.
#
# Usage: bash tests/e2e/in-private-network.sh COMMAND [ARGS...]
# The command sees FERRY_TEST_HOST=10.77.0.1 (the address to serve and browse on)
# and FERRY_TEST_OTHER_HOST=10.77.0.2 (a second address, for a client that must not
# share the browsers' per-address limits), and this script exits with the command's
# status.
set -euo pipefail

if [ "$#" -eq 0 ]; then
  echo "usage: $0 COMMAND [ARGS...]" >&2
  exit 2
fi

# Runs inside the new namespace: set the network up, then become the command.
setup='
set -e
ip link set lo up
ip link add v0 type veth peer name v1
ip addr add 10.77.0.1/24 dev v0
ip addr add 10.77.0.2/24 dev v1
ip link set v0 up
ip link set v1 up
ip route add default via 10.77.0.2 dev v0
export FERRY_TEST_HOST=10.77.0.1
export FERRY_TEST_OTHER_HOST=10.77.0.2
exec "$@"
'

if [ "$(id -u)" -eq 0 ]; then
  exec unshare --net sh -c "$setup" sh "$@"
else
  # Unprivileged: a user namespace maps us to root inside it, which is enough to
  # configure the new network namespace (where user namespaces are enabled).
  exec unshare --map-root-user --net sh -c "$setup" sh "$@"
fi
