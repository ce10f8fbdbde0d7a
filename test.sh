#!/usr/bin/env bash
# Tessera's test command: installs what the tests need when it is missing, builds, runs the unit, smoke and MPI
# suites, and ends with one line "N passed, N failed". Exit code 0 only when every test passed.
set -euo pipefail
cd "$(dirname "$0")"

# Debian packages the tests use: datasets (Fashion-MNIST, fortunes, KJV Bible) and Open MPI.
needed=()
for pkg in dataset-fashion-mnist fortunes bible-kjv openmpi-bin; do
  dpkg -s "$pkg" >/dev/null 2>&1 || needed+=("$pkg")
done
if [ ${#needed[@]} -gt 0 ]; then
  echo "installing: ${needed[*]}"
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${needed[@]}" >/dev/null
fi

results="$(pwd)/TestResults"
rm -rf "$results"
dotnet build Tessera.slnx -c Release -nologo -v quiet

status=0
run_suite() {  # name, filter
  dotnet test tests/Tessera.Tests -c Release --no-build --nologo --filter "$2" \
    --logger "trx;LogFileName=$1.trx" --results-directory "$results" || status=1
}
run_suite unit "Category!=Slow&Category!=Mpi&Category!=Smoke"
run_suite smoke "Category=Smoke"
run_suite mpi "Category=Mpi"

passed=0; failed=0
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
  p=$(echo "$counters" | sed -n 's/.* passed="\([0-9]*\)".*/\1/p'); f=$(echo "$counters" | sed -n 's/.* failed="\([0-9]*\)".*/\1/p')
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0}))
done
echo "$passed passed, $failed failed"
[ "$status" -eq 0 ] && [ "$failed" -eq 0 ]
