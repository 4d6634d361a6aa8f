#!/bin/bash
# The four-quadrant transfer-learning example of docs/transfer.md, on Fashion-MNIST:
#   1. a feature extractor (a small CNN: two conv blocks, fc 64, head) trained on classes 0-4
#      (configs/transfer/fashion-source.toml, 3 epochs);
#   2. classes 5-9 learned from 100, 1,000 and all (30,000) labels, balanced per class
#      (data.train_per_class = 20, 200, 0), seven ways: from scratch; a linear probe on the top
#      features (layers.0-7 loaded, layers.0-8 frozen, a new head, lr 0.01); a linear probe on the
#      conv features (fashion-target-conv-probe.toml: the fc layer dropped, lr 0.01); a partial
#      fine-tune (the first conv block frozen); a full fine-tune; a full fine-tune with lr_mult 0.1
#      on the conv layers; gradual unfreezing (head and fc first, then the second conv block, then all).
# Every run reports test accuracy on the 5,000 test images of classes 5-9. Seeds 1-3 for 100 labels
# (mean ± std), seed 1 for 1,000 and all.
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
echo "source (classes 0-4, 3 epochs): test accuracy $(python3 -c "import json; print('%.4f' % json.load(open('$SRC/summary.json'))['test_accuracy'])")"

LOAD=(--init-from "$SRC" --set train.init_layers=layers.0-7)
method_args() {  # method_args METHOD EPOCHS: the --set flags of one way to learn the target
  case $1 in
    scratch | conv_probe) ;;
    linear_probe) echo "${LOAD[@]}" --set train.freeze=layers.0-8 --set optimizer.lr=0.01 ;;
    partial) echo "${LOAD[@]}" --set train.freeze=layers.0-2 ;;
    full) echo "${LOAD[@]}" ;;
    full_lr_mult) echo "${LOAD[@]}" --set model.layers.0.lr_mult=0.1 --set model.layers.3.lr_mult=0.1 ;;
    gradual) echo "${LOAD[@]}" --set train.freeze=layers.0-6 \
      --set "train.unfreeze=$(($2 / 4 + 1)):layers.3-6;$(($2 / 2 + 1)):layers.0-2" ;;
  esac
}
METHODS=(scratch linear_probe conv_probe partial full full_lr_mult gradual)

for labels in 100 1000 all; do
  case $labels in
    100) per_class=20 epochs=40 batch=32 seeds="1 2 3" ;;
    1000) per_class=200 epochs=20 batch=32 seeds="1" ;;
    all) per_class=0 epochs=2 batch=128 seeds="1" ;;
  esac
  for m in "${METHODS[@]}"; do
    config=$TARGET
    extra=()
    if [ "$m" = conv_probe ]; then
      config=configs/transfer/fashion-target-conv-probe.toml
      extra=(--init-from "$SRC" --set train.init_layers=layers.0-5 --set train.freeze=layers.0-6 --set optimizer.lr=0.01)
    fi
    for s in $seeds; do
      # shellcheck disable=SC2046  # method_args's words are meant to split (the paths have no spaces)
      train "$config" "$labels-$m-s$s" --set data.train_per_class=$per_class --set train.epochs=$epochs \
        --set train.batch_size=$batch --set train.seed=$s "${extra[@]}" $(method_args "$m" "$epochs")
    done
  done
done

python3 - "$OUT" <<'PY'
import json, statistics, sys
out = sys.argv[1]
methods = ["scratch", "linear_probe", "conv_probe", "partial", "full", "full_lr_mult", "gradual"]
names = {"scratch": "from scratch", "linear_probe": "linear probe on the top features (layers.0-8 frozen)",
         "conv_probe": "linear probe on the conv features (layers.0-6 frozen, fc dropped)",
         "partial": "partial fine-tune (first conv block frozen)", "full": "full fine-tune",
         "full_lr_mult": "full fine-tune, lr_mult 0.1 on the conv layers", "gradual": "gradual unfreezing"}
seeds = {"100": [1, 2, 3], "1000": [1], "all": [1]}
def cell(labels, m):
    acc = [json.load(open(f"{out}/{labels}-{m}-s{s}/summary.json"))["test_accuracy"] for s in seeds[labels]]
    if len(acc) == 1: return "%.4f" % acc[0]
    return "%.4f ± %.4f" % (statistics.mean(acc), statistics.stdev(acc))
print("| method | 100 labels | 1,000 labels | all 30,000 labels |")
print("|---|---|---|---|")
for m in methods:
    print("| %s | %s |" % (names[m], " | ".join(cell(l, m) for l in ["100", "1000", "all"])))
PY
