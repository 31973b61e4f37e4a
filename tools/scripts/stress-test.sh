#!/usr/bin/env bash
# Runs the whole Jest suite (unit, integration and e2e tests against real etcd) N times in a row
# to shake out timing assumptions, and prints a line per run and which tests ever failed.
#
#   bash tools/scripts/stress-test.sh [N] [--hog] [-- jest args...]
#
#   N       runs (default 5)
#   --hog   keep one core busy with a CPU hog for the whole time (started and stopped here)
#
# Exits 0 only when every run passed. Results of run i are kept in tmp/stress/run-i.json.
set -euo pipefail
cd "$(dirname "$0")/../.."

runs=5
hog=0
jest_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --hog) hog=1 ;;
    --) shift; jest_args=("$@"); break ;;
    ''|*[!0-9]*) echo "usage: stress-test.sh [N] [--hog] [-- jest args...]" >&2; exit 2 ;;
    *) runs="$1" ;;
  esac
  shift
done

bash tools/scripts/setup.sh
bash tools/scripts/gen-protos.sh
out=tmp/stress
rm -rf "$out"
mkdir -p "$out"

hog_pid=""
stop_hog() { if [ -n "$hog_pid" ]; then kill "$hog_pid" 2>/dev/null || true; wait "$hog_pid" 2>/dev/null || true; hog_pid=""; fi; }
trap stop_hog EXIT INT TERM
if [ "$hog" = 1 ]; then
  node -e 'for (;;) {}' &
  hog_pid=$!
  echo "stress: CPU hog running (pid $hog_pid)"
fi

for i in $(seq 1 "$runs"); do
  start=$(date +%s)
  set +e
  npx jest --ci --runInBand --silent --json --outputFile="$out/run-$i.json" "${jest_args[@]}" >"$out/run-$i.log" 2>&1
  status=$?
  set -e
  node tools/scripts/stress-summary.js run "$out/run-$i.json" "$i" "$(( $(date +%s) - start ))" "$status"
done
stop_hog
node tools/scripts/stress-summary.js summary "$out" "$runs" "$hog"
