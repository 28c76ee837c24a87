#!/usr/bin/env bash
# Paper experiment 2: the NoC variants on the Atleus chip (Hilbert chains + SA mesh + skip
# TSVs as published, a plain 3D mesh with DOR and with up*/down*, a 3D mesh + skip TSVs),
# BERT-base and BERT-large, LoRA fine-tuning and inference, then the report normalised to
# the plain 3D mesh. Too slow for CI: about 2 CPU-minutes in a Release build.
#   experiments/noc/run.sh [STRATA] [JOBS]       (from the repository root)
set -euo pipefail
cd "$(dirname "$0")/../.."
STRATA=${1:-build/bin/strata}
JOBS=${2:-2}
for d in hilbert mesh3d mesh3d_table mesh3d_skip; do
  echo "== $d"
  "$STRATA" sweep "experiments/noc/$d.toml" -j "$JOBS" --resume -q || echo "some $d points failed (see out/noc/$d/points/*/run.json)"
done
"$STRATA" report hilbert=out/noc/hilbert mesh3d=out/noc/mesh3d mesh3d_table=out/noc/mesh3d_table \
  mesh3d_skip=out/noc/mesh3d_skip --baseline mesh3d --title "Atleus NoC variants" --out out/noc/report.md
