#!/usr/bin/env bash
# The thermal experiments (docs/ATLEUS.md "Thermal"): SA tier next to the sink or farthest
# from it, then one report with the heat maps of every point.
#   experiments/thermal/run.sh [STRATA] [JOBS]     (from the repository root)
set -euo pipefail
cd "$(dirname "$0")/../.."
STRATA=${1:-build/bin/strata}
JOBS=${2:-1}
"$STRATA" sweep experiments/thermal/placement.toml -j "$JOBS" --resume -q
"$STRATA" report placement=out/thermal/placement --title "Thermal: where the SA tier goes" \
  --out out/thermal/report.md
cat out/thermal/placement/sweep.csv
