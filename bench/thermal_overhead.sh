#!/usr/bin/env bash
# What the thermal model adds to a run: experiments/default.toml against the same run with
# thermal.grid (experiments/thermal/default_thermal.toml: preset "atleus", one cell per core,
# a sample every 1 us), in paired rounds (the two alternate, so machine load hits both),
# reporting the median of the per-pair ratios of wall time and of CPU time (user + sys).
#   bench/thermal_overhead.sh [STRATA] [ROUNDS]     (from the repository root; bench/README.md)
set -euo pipefail
cd "$(dirname "$0")/.."
STRATA=${1:-build/bin/strata}
ROUNDS=${2:-3}
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
measure() {  # measure FILE DIR -> "wall cpu" in seconds
  local t0 t1 c0 c1 me=$BASHPID  # the shell that waits for strata: its children's CPU (ticks)
  c0=$(awk '{print $16 + $17}' "/proc/$me/stat")
  t0=$(date +%s.%N)
  "$STRATA" run "$1" --out "$2" -q >/dev/null
  t1=$(date +%s.%N)
  c1=$(awk '{print $16 + $17}' "/proc/$me/stat")
  echo "$(echo "$t1 - $t0" | bc -l) $(echo "($c1 - $c0) / $(getconf CLK_TCK)" | bc -l)"
}
wall_ratios=() cpu_ratios=()
for ((r = 1; r <= ROUNDS; r++)); do
  read -r wb cb < <(measure experiments/default.toml "$OUT/base")
  read -r wt ct < <(measure experiments/thermal/default_thermal.toml "$OUT/thermal")
  printf "round %d: without %.2f s wall %.2f s cpu   with thermal %.2f s wall %.2f s cpu\n" "$r" "$wb" "$cb" "$wt" "$ct"
  wall_ratios+=("$(echo "$wt / $wb" | bc -l)")
  cpu_ratios+=("$(echo "$ct / $cb" | bc -l)")
done
median() { printf "%s\n" "$@" | sort -g | awk '{a[NR] = $1} END {print (NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2)}'; }
samples=$(python3 -c "import json; print(json.load(open('$OUT/thermal/stats.json'))['components']['thermal']['stats']['samples'])" 2>/dev/null || echo "?")
printf "thermal samples per run: %s\n" "$samples"
printf "median ratio with/without: wall %.3f, cpu %.3f (%d rounds)\n" "$(median "${wall_ratios[@]}")" "$(median "${cpu_ratios[@]}")" "$ROUNDS"
