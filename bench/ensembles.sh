#!/bin/bash
# Ensembles and parameter averaging on Fashion-MNIST (docs/ensembles.md, bench/RESULTS.md):
#   W2 (784-512-256-10 ReLU MLP, Adam 1e-3, batch 128, 10 epochs): 5 seeds, each evaluated alone,
#   the 5-seed ensemble (mean of probabilities and majority vote), a snapshot ensemble of seed 1
#   (its 10 epoch-end checkpoints, and the last 5), a snapshot ensemble of a cosine-restarts run
#   (SGDR per step, t_0 = 938 steps = 2 epochs: the 5 checkpoints at the restarts' ends), and seed 1's EMA (decay 0.999)
#   and SWA (the mean of epochs 6-10, batch-norm free net) weights.
#   W3 (the CNN, 3 epochs): 3 seeds and their ensemble, EMA and SWA (epochs 2-3) of seed 1.
# Usage: bench/ensembles.sh [OUT_DIR] [THREADS]   (runs already finished in OUT_DIR are reused)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-bench/out/ensembles}
THREADS=${2:-2}
B=${GRADNET:-build/gradnet}
mkdir -p "$OUT"

train() {  # train CONFIG RUN EXTRA...
  local config=$1 run=$2
  shift 2
  [ -f "$OUT/$run/summary.json" ] && grep -q '"status": *"ok"' "$OUT/$run/summary.json" && return 0
  rm -rf "${OUT:?}/$run"
  "$B" train "$config" --out "$OUT/$run" -q --set train.threads="$THREADS" --set checkpoint.keep_last=0 "$@" >/dev/null
}
field() { python3 -c "import json,sys; print('%.4f' % json.load(open(sys.argv[1]))[sys.argv[2]])" "$@"; }
ensemble() {  # ensemble LABEL ARGS...: one line, accuracy and gain over the best member
  local label=$1
  shift
  "$B" eval "$@" --threads "$THREADS" --json | tail -1 | python3 -c "
import json, sys
j = json.loads(sys.stdin.read())
print('%-34s %.4f  (best member %.4f, gain %+.4f, loss %.4f)' % ('$label', j['ensemble']['accuracy'],
      j['best_member_accuracy'], j['gain_over_best_member'], j['ensemble']['loss']))"
}
singles() {  # singles RUN...: best, mean ± std of the members' test accuracy
  python3 - "$@" <<'PY'
import json, statistics, sys
acc = [json.load(open(r + "/summary.json"))["test_accuracy"] for r in sys.argv[1:]]
print("%-34s %.4f  (%s)" % ("single models, best", max(acc), " ".join("%.4f" % a for a in acc)))
print("%-34s %.4f ± %.4f" % ("single models, mean ± std", statistics.mean(acc), statistics.stdev(acc)))
PY
}

echo "== W2: bench/configs/w2.toml, 10 epochs, $THREADS threads"
for s in 1 2 3 4 5; do
  extra=()
  [ "$s" = 1 ] && extra=(--set train.ema_decay=0.999 --set train.swa_start=6)
  train bench/configs/w2.toml "w2-s$s" --set train.seed=$s --set train.epochs=10 "${extra[@]}"
done
train bench/configs/w2.toml w2-sgdr --set train.seed=1 --set train.epochs=10 --set schedule.policy=cosine_restarts \
  --set schedule.unit=step --set schedule.t_0=938 --set checkpoint.every_epochs=2  # 938 steps: 2 epochs of 469
W2=("$OUT"/w2-s1 "$OUT"/w2-s2 "$OUT"/w2-s3 "$OUT"/w2-s4 "$OUT"/w2-s5)
singles "${W2[@]}"
ensemble "5 seeds, mean of probabilities" "${W2[@]}"
ensemble "5 seeds, majority vote" "${W2[@]}" --vote
ensemble "snapshots of seed 1, all 10" "$OUT/w2-s1" --snapshots
ensemble "snapshots of seed 1, last 5" "$OUT/w2-s1" --snapshots --last 5
ensemble "SGDR run, 5 restart snapshots" "$OUT/w2-sgdr" --snapshots
ensemble "SGDR run, last 3 restart snapshots" "$OUT/w2-sgdr" --snapshots --last 3
echo "SGDR run alone: $(field "$OUT/w2-sgdr/summary.json" test_accuracy)"
echo "seed 1 EMA (decay 0.999): $(field "$OUT/w2-s1/summary.json" ema_test_accuracy)  SWA (epochs 6-10): $(field "$OUT/w2-s1/summary.json" swa_test_accuracy)  raw: $(field "$OUT/w2-s1/summary.json" test_accuracy)"

[ "${SKIP_W3:-0}" = 1 ] && exit 0
echo "== W3: bench/configs/w3.toml (CNN), 3 epochs, $THREADS threads"
for s in 1 2 3; do
  extra=()
  [ "$s" = 1 ] && extra=(--set train.ema_decay=0.999 --set train.swa_start=2)
  train bench/configs/w3.toml "w3-s$s" --set train.seed=$s "${extra[@]}"
done
W3=("$OUT"/w3-s1 "$OUT"/w3-s2 "$OUT"/w3-s3)
singles "${W3[@]}"
ensemble "3 seeds, mean of probabilities" "${W3[@]}"
ensemble "3 seeds, majority vote" "${W3[@]}" --vote
ensemble "snapshots of seed 1 (3 epochs)" "$OUT/w3-s1" --snapshots
echo "seed 1 EMA (decay 0.999): $(field "$OUT/w3-s1/summary.json" ema_test_accuracy)  SWA (epochs 2-3): $(field "$OUT/w3-s1/summary.json" swa_test_accuracy)  raw: $(field "$OUT/w3-s1/summary.json" test_accuracy)"
