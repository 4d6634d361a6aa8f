#!/bin/bash
# The four-quadrant transfer-learning example of docs/transfer.md, on Fashion-MNIST:
#   1. a feature extractor (784-256-128-5 ReLU MLP) trained on classes 0-4 (configs/transfer/fashion-source.toml);
#   2. classes 5-9 learned from 100, 1,000 and all (30,000) labels, balanced per class
#      (data.train_per_class = 20, 200, 0), five ways: from scratch; a linear probe (the source's
#      layers.0-2 loaded and frozen, a new head trained); a partial fine-tune (layers.0-1 frozen);
#      a full fine-tune; a full fine-tune with lr_mult = 0.1 on the loaded layers; gradual
#      unfreezing (head first, layers.2 from epoch E/4, layers.0 from epoch E/2).
# Every run reports test accuracy on the 5,000 test images of classes 5-9. Seeds 1-3 for the small
# subsets (mean ± std), seed 1 for all labels.
# Usage: bench/transfer.sh [OUT_DIR] [THREADS]   (runs already finished in OUT_DIR are reused)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-bench/out/transfer}
THREADS=${2:-2}
B=${GRADNET:-build/gradnet}
TARGET=configs/transfer/fashion-target.toml
mkdir -p "$OUT"

train() {  # train CONFIG RUN EXTRA...
  local config=$1 run=$2
  shift 2
  [ -f "$OUT/$run/summary.json" ] && grep -q '"status": *"ok"' "$OUT/$run/summary.json" && return 0
  rm -rf "${OUT:?}/$run"
  "$B" train "$config" --out "$OUT/$run" -q --set train.threads="$THREADS" "$@" >/dev/null 2>"$OUT/$run.log" ||
    { cat "$OUT/$run.log" >&2; exit 1; }
}

train configs/transfer/fashion-source.toml source
SRC="$OUT/source"
echo "source (classes 0-4, 5 epochs): test accuracy $(python3 -c "import json; print('%.4f' % json.load(open('$SRC/summary.json'))['test_accuracy'])")"

LOAD=(--init-from "$SRC" --set train.init_layers=layers.0-2)
method_args() {  # method_args METHOD EPOCHS: the --set flags of one way to learn the target
  case $1 in
    scratch) ;;
    linear_probe) echo "${LOAD[@]}" --set train.freeze=layers.0-3 ;;
    partial) echo "${LOAD[@]}" --set train.freeze=layers.0-1 ;;
    full) echo "${LOAD[@]}" ;;
    full_lr_mult) echo "${LOAD[@]}" --set model.layers.0.lr_mult=0.1 --set model.layers.2.lr_mult=0.1 ;;
    gradual) echo "${LOAD[@]}" --set train.freeze=layers.0-3 \
      --set "train.unfreeze=$(($2 / 4 + 1)): layers.2-3; $(($2 / 2 + 1)): layers.0-1" ;;
  esac
}
METHODS=(scratch linear_probe partial full full_lr_mult gradual)

for labels in 100 1000 all; do
  case $labels in
    100) per_class=20 epochs=40 batch=32 seeds="1 2 3" ;;
    1000) per_class=200 epochs=20 batch=32 seeds="1 2 3" ;;
    all) per_class=0 epochs=5 batch=128 seeds="1" ;;
  esac
  for m in "${METHODS[@]}"; do
    for s in $seeds; do
      # shellcheck disable=SC2046  # method_args's words are meant to split (the paths have no spaces)
      train "$TARGET" "$labels-$m-s$s" --set data.train_per_class=$per_class --set train.epochs=$epochs \
        --set train.batch_size=$batch --set train.seed=$s $(method_args "$m" "$epochs")
    done
  done
done

python3 - "$OUT" <<'PY'
import json, statistics, sys
out = sys.argv[1]
methods = ["scratch", "linear_probe", "partial", "full", "full_lr_mult", "gradual"]
names = {"scratch": "from scratch", "linear_probe": "linear probe (layers.0-3 frozen)",
         "partial": "partial fine-tune (layers.0-1 frozen)", "full": "full fine-tune",
         "full_lr_mult": "full fine-tune, lr_mult 0.1 on loaded layers", "gradual": "gradual unfreezing"}
seeds = {"100": [1, 2, 3], "1000": [1, 2, 3], "all": [1]}
def cell(labels, m):
    acc = [json.load(open(f"{out}/{labels}-{m}-s{s}/summary.json"))["test_accuracy"] for s in seeds[labels]]
    if len(acc) == 1: return "%.4f" % acc[0]
    return "%.4f ± %.4f" % (statistics.mean(acc), statistics.stdev(acc))
print("| method | 100 labels | 1,000 labels | all 30,000 labels |")
print("|---|---|---|---|")
for m in methods:
    print("| %s | %s |" % (names[m], " | ".join(cell(l, m) for l in ["100", "1000", "all"])))
PY
