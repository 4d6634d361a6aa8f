#!/usr/bin/env bash
# What monitoring costs on W1 (the issue's bar: < 5% of epoch time). Two measurements:
#
#   bench/monitor_overhead.sh [--build DIR] [--rounds R] [--threads N] [--e2e] [--runs K]
#
# 1. (always) bench/monitor_overhead.cpp, built here against DIR/libgradnet.a: W1's net, data and
#    optimizer, whole epochs of the trainer's inner loop, alternating an epoch without the monitor
#    and one with TrainingMonitor's hooks (monitor defaults from bench/configs/w1.toml); R rounds
#    (default 6, the first a warm-up); prints per-round wall and thread-CPU times and the time spent
#    inside the hooks, then one JSON line of medians (overhead_percent: wall; cpu_overhead_percent;
#    hooks_percent_median: time inside the hooks over the epoch without them).
# 2. (--e2e) the real thing: `gradnet train bench/configs/w1.toml` with monitoring on vs
#    --set monitor.enabled=false, K runs each (default 3), alternated; compares the median of each
#    run's epoch_seconds (epochs 2..N, the benchmark protocol) and the processes' CPU seconds. Needs
#    a gradnet whose trainer calls the monitor (the run directory then holds steps.jsonl; the
#    script says so if it does not).
#
# The machine is shared and noisy: the 1-minute load average is printed before each part. With
# --threads 1 the CPU-time figures are the steadiest (descheduled time does not count); wall-clock
# ratios swing by tens of percent under load. OPENBLAS_* are left as the environment sets them.
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
/usr/bin/python3 - "$GRADNET" "$CONFIG" "$OUT" "$RUNS" "$THREADS" <<'EOF'
# Each run's epoch figure is the median of its epoch_seconds[1:] (the benchmark protocol). The CPU
# figures are the processes' user + system seconds (getrusage of the child): with train.threads = 1
# they are not inflated by time spent descheduled on a busy machine. A run's CPU = fixed (loading,
# evaluation) + epochs x epoch CPU; three 1-epoch runs without the monitor give the fixed part, so
# epoch CPU = (CPU of an off run - that) / (epochs - 1) ... and the monitor's share per epoch is the
# per-pair CPU difference / epochs over it.
import json, os, resource, shutil, statistics, subprocess, sys
gradnet, config, out, runs, threads = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
med = statistics.median

def run(d, extra):
    shutil.rmtree(d, ignore_errors=True)
    cmd = [gradnet, "train", config, "--json", "--out", d, "--set", f"train.threads={threads}"] + extra
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return json.loads(p.stdout.strip().splitlines()[-1]), cpu

res = {"on": [], "off": []}
for k in range(1, runs + 1):
    for mode in ("on", "off") if k % 2 else ("off", "on"):
        d = f"{out}/e2e-{mode}-{k}"
        j, cpu = run(d, ["--set", "monitor.enabled=false"] if mode == "off" else [])
        if mode == "on" and not os.path.exists(f"{d}/steps.jsonl"):
            sys.exit(f"{d} has no steps.jsonl: this gradnet's trainer does not call the monitor yet")
        res[mode].append({"epoch_s": med(j["epoch_seconds"][1:]), "epochs": j["epochs"], "cpu_s": cpu})
fixed = med([run(f"{out}/e2e-one-{k}", ["--set", "monitor.enabled=false", "--set", "train.epochs=1"])[1]
             for k in range(3)])
epochs = res["off"][0]["epochs"]
epoch_cpu = (med([r["cpu_s"] for r in res["off"]]) - fixed) / (epochs - 1)  # fixed includes one epoch
ratios = [a["epoch_s"] / b["epoch_s"] for a, b in zip(res["on"], res["off"])]
delta = med([(a["cpu_s"] - b["cpu_s"]) / epochs for a, b in zip(res["on"], res["off"])])
print(json.dumps({"e2e_on_epoch_s": med([r["epoch_s"] for r in res["on"]]),
                  "e2e_off_epoch_s": med([r["epoch_s"] for r in res["off"]]),
                  "epoch_ratio_median": round(med(ratios), 4), "overhead_percent": round(100 * (med(ratios) - 1), 2),
                  "epoch_cpu_s": round(epoch_cpu, 4), "monitor_cpu_ms_per_epoch": round(1000 * delta, 2),
                  "cpu_overhead_percent": round(100 * delta / epoch_cpu, 2), "runs": res}))
EOF
