#!/usr/bin/env bash
# The Atleus paper's findings, regenerated: every experiment below, then one report whose first
# table is "finding | paper | Strata | holds?" (experiments/paper/findings.toml), followed by the
# end-to-end comparison normalised to the GPU. Time on a 2-core machine: bench/README.md.
#   experiments/paper/run.sh [STRATA] [JOBS]     (from the repository root)
# Writes out/paper/<experiment>/ (sweep.csv, points/pNNNN/), out/noc/<variant>/ and
# out/paper/report.md (+ .csv, _findings.csv, .svg). --resume keeps points already complete,
# so an interrupted run continues; delete out/paper and out/noc to start afresh.
set -euo pipefail
cd "$(dirname "$0")/../.."
STRATA=${1:-build/bin/strata}
JOBS=${2:-2}
sweep() {  # sweep FILE: one experiment, failures reported but not fatal (the report says "not run")
  echo "== $1"
  "$STRATA" sweep "$1" -j "$JOBS" --resume -q || echo "some points of $1 failed (see its points/*/run.json)"
}
# findings 1-2: where the work goes (GPT-2 medium, n = 1024, LoRA)
sweep experiments/paper/share.toml
# findings 3-4: NoC variants (experiments/noc, shared with its own report)
for d in mesh3d mesh3d_skip hilbert; do sweep "experiments/noc/$d.toml"; done
# findings 5-6: SA shapes; 7-9: quantization
sweep experiments/paper/sa_shapes.toml
sweep experiments/paper/quant.toml
# findings 10-13: end-to-end, Atleus vs 3D-TPU vs GPU (and the planar Atleus)
for d in gpu tpu3d planar atleus; do sweep "experiments/paper/$d.toml"; done
# finding 14 (die cost) is computed from the constants of findings.toml
"$STRATA" report atleus=out/paper/atleus tpu3d=out/paper/tpu3d planar=out/paper/planar gpu=out/paper/gpu \
  --baseline gpu --findings experiments/paper/findings.toml \
  --title "Atleus in Strata: the paper's findings, then Atleus vs 3D-TPU, planar and GPU" \
  --out out/paper/report.md
