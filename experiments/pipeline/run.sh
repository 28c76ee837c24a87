#!/usr/bin/env bash
# Pipelining: Atleus vs 3D-TPU, BERT-base inference with 1, 4 and 16 micro-batches, and the
# report normalised to the 3D-TPU. About 10 s of CPU (Release).
#   experiments/pipeline/run.sh [STRATA] [JOBS]   (from the repository root)
set -euo pipefail
cd "$(dirname "$0")/../.."
STRATA=${1:-build/bin/strata}
JOBS=${2:-2}
for d in tpu3d atleus; do "$STRATA" sweep "experiments/pipeline/$d.toml" -j "$JOBS" -q; done
"$STRATA" report atleus=out/pipeline/atleus tpu3d=out/pipeline/tpu3d --baseline tpu3d \
  --title "Layer pipelining: BERT-base inference, 1 to 16 micro-batches" --out out/pipeline/report.md
