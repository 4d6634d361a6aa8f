#!/usr/bin/env bash
# What monitoring costs on W1 (the issue's bar: < 5% of epoch time). Two measurements:
#
#   bench/monitor_overhead.sh [--build DIR] [--rounds R] [--threads N] [--e2e] [--runs K]
#
# 1. (always) bench/monitor_overhead.cpp, built here against DIR/libgradnet.a: W1's net, data and
#    optimizer, whole epochs of the trainer's inner loop, alternating an epoch without the monitor
#    and one with TrainingMonitor's hooks (monitor defaults from bench/configs/w1.toml); R rounds
#    (default 6, the first a warm-up); prints per-round times and one JSON line with the median
#    overhead in percent.
# 2. (--e2e) the real thing: `gradnet train bench/configs/w1.toml` with monitoring on vs
#    --set monitor.enabled=false, K runs each (default 3), alternated; compares the median of each
#    run's epoch_seconds (epochs 2..N, the benchmark protocol). Needs a gradnet whose trainer calls
#    the monitor (the run directory then holds steps.jsonl; the script says so if it does not).
#
# The machine is shared and noisy: the 1-minute load average is printed before each part; take
# the medians, and re-run when the load was high. OPENBLAS_* are left as the environment sets them.
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD=build ROUNDS=6 THREADS=0 E2E=0 RUNS=3
while [ $# -gt 0 ]; do
  case "$1" in
    --build) BUILD=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    --e2e) E2E=1; shift ;;
    --runs) RUNS=$2; shift 2 ;;
    *) echo "usage: $0 [--build DIR] [--rounds R] [--threads N] [--e2e] [--runs K]" >&2; exit 2 ;;
  esac
done
CONFIG=bench/configs/w1.toml
OUT=bench/out/monitor_overhead
mkdir -p "$OUT"

[ -f "$BUILD/libgradnet.a" ] || { echo "$0: $BUILD/libgradnet.a not found; build it: cmake --build $BUILD --target gradnet" >&2; exit 2; }
LIBS="$(pkg-config --libs openblas cairo libpng zlib protobuf-lite fmt tomlplusplus)"
if [ ! -x "$OUT/monitor_overhead" ] || [ bench/monitor_overhead.cpp -nt "$OUT/monitor_overhead" ] \
   || [ "$BUILD/libgradnet.a" -nt "$OUT/monitor_overhead" ]; then
  echo "# building $OUT/monitor_overhead" >&2
  # shellcheck disable=SC2086
  g++ -std=c++20 -O2 -march=native -Iinclude bench/monitor_overhead.cpp "$BUILD/libgradnet.a" $LIBS -fopenmp -lpthread \
      -o "$OUT/monitor_overhead"
fi

echo "# load average: $(cut -d' ' -f1-3 /proc/loadavg)  ($(nproc) cores)"
echo "# 1. hooks in the trainer's inner loop, alternating epochs (round 1: warm-up)"
"$OUT/monitor_overhead" "$CONFIG" "$ROUNDS" "$THREADS" "$OUT/run"
/usr/bin/python3 scripts/read_tfevents.py "$OUT/run/tensorboard" | tail -1

[ "$E2E" = 1 ] || exit 0
GRADNET="$BUILD/gradnet"
[ -x "$GRADNET" ] || { echo "$0: $GRADNET not found (cmake --build $BUILD --target gradnet_cli)" >&2; exit 2; }
echo "# load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# 2. gradnet train $CONFIG, monitoring on vs off, $RUNS runs each, alternated"
for k in $(seq 1 "$RUNS"); do
  for mode in on off; do
    dir="$OUT/e2e-$mode-$k"
    rm -rf "$dir"
    set_args=(--set "train.threads=$THREADS")
    [ "$mode" = off ] && set_args+=(--set monitor.enabled=false)
    "$GRADNET" train "$CONFIG" --json --out "$dir" "${set_args[@]}" 2>/dev/null | tail -1 > "$dir.json"
    if [ "$mode" = on ] && [ ! -f "$dir/steps.jsonl" ]; then
      echo "$0: $dir has no steps.jsonl: this gradnet's trainer does not call the monitor yet" >&2
      exit 1
    fi
  done
done
/usr/bin/python3 - "$OUT" "$RUNS" <<'EOF'
import json, statistics, sys
out, runs = sys.argv[1], int(sys.argv[2])
med = lambda xs: statistics.median(xs)
per = {m: [med(json.load(open(f"{out}/e2e-{m}-{k}.json"))["epoch_seconds"][1:]) for k in range(1, runs + 1)]
       for m in ("on", "off")}
ratios = [a / b for a, b in zip(per["on"], per["off"])]
print(json.dumps({"e2e_on_s": med(per["on"]), "e2e_off_s": med(per["off"]), "ratio_median": med(ratios),
                  "overhead_percent": round(100 * (med(ratios) - 1), 2), "runs": per}))
EOF
