#!/usr/bin/env bash
# Two threads against one while another process keeps a core busy (issue: threads = 2 must not be
# much slower than threads = 1 on a shared machine). Starts one busy loop, runs gradnet at
# threads 1 and 2 alternately, prints each run's median epoch time (epochs 2..N) and the ratio of
# the medians, then stops the busy loop.
#   usage: bench/threads_busy.sh [GRADNET] [ROUNDS] [CONFIG [--set ...]]
#   default: build/gradnet, 3 rounds, bench/configs/w2.toml with 3 epochs
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-build/gradnet}
ROUNDS=${2:-3}
shift $(( $# >= 2 ? 2 : $# ))
ARGS=("$@")
[ ${#ARGS[@]} -gt 0 ] || ARGS=(bench/configs/w2.toml --set train.epochs=3)

sh -c 'while :; do :; done' &
BUSY=$!
trap 'kill "$BUSY" 2>/dev/null || true' EXIT
OUT=$(mktemp -d)
declare -A all=([1]="" [2]="")
for r in $(seq 1 "$ROUNDS"); do
  for t in 1 2; do
    json=$("$BIN" train "${ARGS[@]}" -q --json --out "$OUT/r$r-t$t" --set train.threads=$t | tail -1)
    med=$(python3 -c 'import json,sys,statistics; e=json.loads(sys.argv[1])["epoch_seconds"]; print(statistics.median(e[1:] or e))' "$json")
    echo "round $r threads $t: $med s/epoch (load $(cut -d' ' -f1 /proc/loadavg))"
    all[$t]="${all[$t]} $med"
  done
done
rm -rf "$OUT"
python3 - "${all[1]}" "${all[2]}" <<'PY'
import statistics, sys
t1 = [float(x) for x in sys.argv[1].split()]
t2 = [float(x) for x in sys.argv[2].split()]
m1, m2 = statistics.median(t1), statistics.median(t2)
print(f"median threads 1: {m1:.3f} s/epoch, threads 2: {m2:.3f} s/epoch, t2/t1 = {m2 / m1:.2f}")
PY
