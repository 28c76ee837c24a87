#!/usr/bin/env bash
# memory_fidelity.sh - events and wall time of the systolic cores' memory traffic at both
# levels (`sa.memory_fidelity = fold | gemm`, plugins/systolic/README.md "Memory fidelity"),
# on the default experiment and one BERT-large LoRA step (1 x 512 tokens), message-level NoC
# (the experiment's own [set]), REPS rounds with the levels alternating in each round.
#
#   bench/memory_fidelity.sh                   # 5 rounds
#   REPS=3 BEFORE=/path/to/old/strata bench/memory_fidelity.sh   # also an older build
#
# Prints per run and level: events and events per modelled GEMM (one `--profile` run), the
# event loop's wall time (run.json wall_seconds, median and range over the rounds) and the
# workload's latency with its change against `fold`.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
STRATA=${STRATA:-$ROOT/build/bin/strata}
BEFORE=${BEFORE:-}
REPS=${REPS:-5}
OUT=${OUT:-$(mktemp -d /tmp/memory_fidelity.XXXXXX)}
mkdir -p "$OUT"
declare -A ARGS=([default]=""
                 [bert_large]="--set wl.model=bert-large --set wl.seq_len=512 --set wl.batch=1 --set wl.micro_batches=1")
LEVELS="fold gemm"
[ -n "$BEFORE" ] && LEVELS="before $LEVELS"
run_one() {  # run_one RUN LEVEL DIR [--profile]
  local bin=$STRATA level=(--set sa.memory_fidelity="$2")
  if [ "$2" = before ]; then bin=$BEFORE; level=(); fi
  # shellcheck disable=SC2086
  "$bin" run "$ROOT/experiments/default.toml" -q --out "$3" ${ARGS[$1]} "${level[@]}" ${4:-} >/dev/null
}
for run in default bert_large; do
  for level in $LEVELS; do run_one "$run" "$level" "$OUT/$run-$level-profile" --profile; done
  for ((i = 0; i < REPS; i++)); do
    for level in $LEVELS; do run_one "$run" "$level" "$OUT/$run-$level-$i"; done
  done
done
python3 - "$OUT" "$REPS" "$LEVELS" <<'EOF'
import json, os, statistics, sys
out, reps, levels = sys.argv[1], int(sys.argv[2]), sys.argv[3].split()
def load(d, f): return json.load(open(os.path.join(out, d, f)))
print(f"{'run':<11} {'level':<7} {'events':>9} {'ev/GEMM':>8} {'wall s (median, min-max)':>26} {'wl latency ms':>14} {'vs fold':>9}")
for run in ["default", "bert_large"]:
    lat = {l: load(f"{run}-{l}-profile", "stats.json")["components"]["wl"]["stats"]["latency"] for l in levels}
    for l in levels:
        p = load(f"{run}-{l}-profile", "profile.json")
        walls = [load(f"{run}-{l}-{i}", "run.json")["wall_seconds"] for i in range(reps)]
        rel = (lat[l] - lat["fold"]) / lat["fold"] * 100
        print(f"{run:<11} {l:<7} {p['events']:>9} {p['events_per_gemm']:>8.1f} "
              f"{statistics.median(walls):>10.3f} ({min(walls):.3f}-{max(walls):.3f})   {lat[l] / 1e9:>14.4f} {rel:>+8.4f}%")
EOF
