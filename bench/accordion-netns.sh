#!/usr/bin/env bash
# ACCORDION on a real rate-limited network: 4 MPI ranks, each in its own network namespace, joined by veth links to a
# bridge, every link shaped with tc (token bucket) to RATE. For each rate it trains the R1 setting uncompressed, with
# static PowerSGD (rank 4) and with ACCORDION 4<->1, over Open MPI's TCP transport only (no shared memory), then prints
# epoch times and each run's time to the uncompressed run's final accuracy (within 0.5 pt).
#
#   sudo bench/accordion-netns.sh [out-dir] [rates...]      e.g. sudo bench/accordion-netns.sh runs/netns 1gbit 100mbit
#   EPOCHS=30 PRESET=small ... (defaults)
#
# Needs root, iproute2 (ip, tc), Open MPI and a built CLI (dotnet build -c Release). Namespaces, links and qdiscs are
# removed on every exit, including failures and Ctrl-C (trap). Addresses 10.213.77.0/24 exist only inside these namespaces.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="${1:-runs/accordion-netns}"; shift || true
RATES=("${@:-1gbit 100mbit}"); [ $# -eq 0 ] && RATES=(1gbit 100mbit)
EPOCHS="${EPOCHS:-30}"; PRESET="${PRESET:-small}"; N=4
P=tsr; HUB=${P}hub; SUBNET=10.213.77
CLI="$(pwd)/src/Tessera.Cli/bin/Release/net10.0/Tessera.Cli.dll"
[ "$(id -u)" -eq 0 ] || { echo "accordion-netns: needs root (network namespaces and tc)"; exit 2; }
[ -f "$CLI" ] || { echo "accordion-netns: build first: dotnet build src/Tessera.Cli -c Release"; exit 2; }

cleanup() {
  for i in $(seq 0 $((N - 1))); do ip netns del ${P}$i 2>/dev/null || true; done
  ip netns del $HUB 2>/dev/null || true
  ip link del ${P}host 2>/dev/null || true
}
trap cleanup EXIT INT TERM
cleanup

setup() {  # rate
  ip netns add $HUB
  ip -n $HUB link add br0 type bridge && ip -n $HUB link set br0 up
  for i in $(seq 0 $((N - 1))); do
    ip netns add ${P}$i
    ip link add veth$i netns ${P}$i type veth peer name port$i netns $HUB
    ip -n ${P}$i addr add $SUBNET.$((i + 1))/24 dev veth$i
    ip -n ${P}$i link set veth$i up && ip -n ${P}$i link set lo up
    ip -n $HUB link set port$i master br0 && ip -n $HUB link set port$i up
    # Shape both directions of each link: the rank's egress and the bridge port's egress toward the rank.
    ip netns exec ${P}$i tc qdisc add dev veth$i root tbf rate "$1" burst 256kb latency 50ms
    ip netns exec $HUB tc qdisc add dev port$i root tbf rate "$1" burst 256kb latency 50ms
  done
  # An unshaped link from this namespace to the bridge: the ranks reach mpiexec's PMIx server over it (their own
  # loopback cannot), so it listens there too (PMIX_MCA_ptl_tcp_* below). Only start-up and control traffic uses it.
  ip link add ${P}host type veth peer name porth netns $HUB
  ip addr add $SUBNET.254/24 dev ${P}host && ip link set ${P}host up
  ip -n $HUB link set porth master br0 && ip -n $HUB link set porth up
}

run() {  # dir, mode
  local cmd=(dotnet "$CLI" mpi-run accordion --preset "$PRESET" --set "train.epochs=$EPOCHS" --set train.evalEvery=1
             --set "compression.mode=$2" --set workers=$N --threads 1 --run-dir "$1")
  local mpmd=()
  for i in $(seq 0 $((N - 1))); do
    [ $i -gt 0 ] && mpmd+=(":")
    mpmd+=(-n 1 ip netns exec ${P}$i "${cmd[@]}")
  done
  OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 TERM=dumb OMPI_MCA_rmaps_base_oversubscribe=1 \
  OMPI_MCA_btl=tcp,self OMPI_MCA_btl_tcp_if_include=$SUBNET.0/24 \
  PMIX_MCA_ptl_tcp_remote_connections=1 PMIX_MCA_ptl_tcp_if_include=${P}host \
    mpiexec --bind-to none --oversubscribe "${mpmd[@]}"
}

mkdir -p "$OUT"
for rate in "${RATES[@]}"; do
  cleanup; setup "$rate"
  for mode in none static-low accordion; do
    dir="$OUT/$rate/$mode"
    [ -f "$dir/summary.json" ] && continue
    rm -rf "$dir"
    echo "== $rate $mode"
    run "$dir" "$mode"
  done
done
cleanup
dotnet run -c Release --project bench/Tessera.Benchmarks -- time-to-accuracy "$OUT"
