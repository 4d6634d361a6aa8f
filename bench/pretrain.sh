#!/usr/bin/env bash
# Autoencoder pretraining vs training from scratch: the seed net (784-64-16-10) on the first 1,000
# MNIST training labels, tested on the 10,000 test images (docs/autoencoders.md, "Does it help?").
# For each seed: one run from scratch, one `gradnet pretrain` (on all 60,000 training images, labels
# unused) and one fine-tuning run from it; both classifier runs get the same FINETUNE settings.
#   bench/pretrain.sh [SEEDS] [FINETUNE] [PRETRAIN] [FT_ONLY] [SCRATCH_ONLY]
#   SEEDS         "1 2 3 4 5" by default
#   FINETUNE      --set arguments of both classifier arms (default: the example's recipe)
#   PRETRAIN      --set arguments of gradnet pretrain only (added to FINETUNE)
#   FT_ONLY       --set arguments of the fine-tuning run only (e.g. a freezing schedule)
#   SCRATCH_ONLY  --set arguments of the run from scratch only (its own tuned recipe)
# (each a space-separated list of key=value, so no value may hold a space)
# GRADNET (default build/gradnet) is the binary, OUT (default runs/bench-pretrain) the run folder.
# Prints one tab-separated line per seed and the mean and sample std of each arm's test accuracy.
set -euo pipefail
cd "$(dirname "$0")/.."
GRADNET=${GRADNET:-build/gradnet}
OUT=${OUT:-runs/bench-pretrain}
CONFIG=examples/autoencoders/mnist-1k-labels.toml
SEEDS=${1:-"1 2 3 4 5"}
read -r -a FINETUNE <<<"${2:-}"
read -r -a PRETRAIN <<<"${3:-}"
read -r -a FT_ONLY <<<"${4:-}"
read -r -a SCRATCH_ONLY <<<"${5:-}"
sets() { for s in "$@"; do printf -- '--set\n%s\n' "$s"; done; }
mapfile -t FT < <(sets "${FINETUNE[@]}")
mapfile -t PT < <(sets "${PRETRAIN[@]}")
mapfile -t FO < <(sets "${FT_ONLY[@]}")
mapfile -t SO < <(sets "${SCRATCH_ONLY[@]}")
accuracy() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["test_accuracy"])' "$1/summary.json"; }
# Each run's stderr (warnings) goes to OUT/NAME.log, shown when the run fails.
run() {
  local name=$1
  shift
  "$GRADNET" "$@" >/dev/null 2>"$OUT/$name.log" || { cat "$OUT/$name.log" >&2; exit 1; }
}
mkdir -p "$OUT"
printf 'seed\tscratch\tpretrained\tgain\tstage1_test_loss\n'
results=()
for seed in $SEEDS; do
  common=(--set train.seed="$seed" --set train.threads=1 --quiet)
  rm -rf "$OUT/scratch-$seed" "$OUT/pre-$seed" "$OUT/ft-$seed"
  run scratch-$seed train "$CONFIG" "${common[@]}" "${FT[@]}" "${SO[@]}" --out "$OUT/scratch-$seed"
  run pre-$seed pretrain "$CONFIG" "${common[@]}" "${FT[@]}" "${PT[@]}" --out "$OUT/pre-$seed"
  run ft-$seed train "$CONFIG" "${common[@]}" "${FT[@]}" "${FO[@]}" --set train.init_from="$OUT/pre-$seed" \
    --out "$OUT/ft-$seed"
  s=$(accuracy "$OUT/scratch-$seed")
  p=$(accuracy "$OUT/ft-$seed")
  l=$(python3 -c 'import json,sys; print("%.4f" % json.load(open(sys.argv[1]))["stages"][0]["test_loss"])' \
      "$OUT/pre-$seed/pretrain.json")
  printf '%s\t%.4f\t%.4f\t%+.2f\t%s\n' "$seed" "$s" "$p" "$(python3 -c "print(100*($p-$s))")" "$l"
  results+=("$s $p")
done
printf '%s\n' "${results[@]}" | python3 -c '
import statistics as st, sys
rows = [tuple(map(float, l.split())) for l in sys.stdin if l.strip()]
s, p = [r[0] for r in rows], [r[1] for r in rows]
g = [100 * (b - a) for a, b in rows]
sd = lambda x: st.stdev(x) if len(x) > 1 else 0.0
print(f"mean\t{st.mean(s):.4f} ± {sd(s):.4f}\t{st.mean(p):.4f} ± {sd(p):.4f}\t{st.mean(g):+.2f} ± {sd(g):.2f}")'
