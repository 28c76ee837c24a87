#!/usr/bin/env bash
# Paper experiment 1: the end-to-end comparison of Atleus with the 3D-TPU, planar, HAIMA and
# GPU baselines (5 models x {LoRA fine-tuning, inference}, 4 sequences of 128 tokens), then the
# report normalised to the 3D-TPU. Too slow for CI: about 3 CPU-minutes in a Release build
# (BERT-large, GPT-2 medium and BLOOM-560m on the 64-core chips take 15-20 s each).
#   experiments/paper/run.sh [STRATA] [JOBS]     (from the repository root)
# Writes out/paper/<design>/ (sweep.csv, points/pNNNN/) and out/paper/report.md (+ .csv, .svg).
# --resume: points already complete are kept, so an interrupted run continues.
set -euo pipefail
cd "$(dirname "$0")/../.."
STRATA=${1:-build/bin/strata}
JOBS=${2:-2}
for d in gpu tpu3d planar haima atleus; do
  echo "== $d"
  "$STRATA" sweep "experiments/paper/$d.toml" -j "$JOBS" --resume -q || echo "some $d points failed (see out/paper/$d/points/*/run.json)"
done
"$STRATA" report atleus=out/paper/atleus tpu3d=out/paper/tpu3d planar=out/paper/planar haima=out/paper/haima gpu=out/paper/gpu \
  --baseline tpu3d --title "Atleus vs 3D-TPU, planar, HAIMA and GPU: LoRA fine-tuning and inference" \
  --out out/paper/report.md
