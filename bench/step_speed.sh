#!/usr/bin/env bash
# step_speed.sh - wall time of real work (issue 17's "done when"): the default experiment
# (BERT-base LoRA step, 4 x 128 tokens, Atleus) and one BERT-large LoRA step (one sequence
# of 512 tokens) at both NoC fidelity levels, with `--profile`, in one script run.
#
#   bench/step_speed.sh                        # both runs x both levels (the flit-level
#                                              # BERT-large step is the slow one: ~11 s idle)
#   LEVELS=message bench/step_speed.sh         # the fast level only
#
# Prints per run: wall seconds (the whole command, /usr/bin/time), events, events per
# modelled GEMM (profile.json), the workload's latency (simulated) and dynamic energy.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
STRATA=${STRATA:-$ROOT/build/bin/strata}
LEVELS=${LEVELS:-"flit message"}
OUT=${OUT:-$(mktemp -d /tmp/step_speed.XXXXXX)}
mkdir -p "$OUT"
declare -A ARGS=([default]=""
                 [bert_large]="--set wl.model=bert-large --set wl.seq_len=512 --set wl.batch=1 --set wl.micro_batches=1")
printf '%-11s %-8s %9s %12s %11s %14s %12s\n' run level "wall s" events "events/GEMM" "latency ms" "dynamic mJ"
for run in default bert_large; do
  for level in $LEVELS; do
    dir=$OUT/$run-$level
    # shellcheck disable=SC2086
    /usr/bin/time -f %e -o "$dir.time" "$STRATA" run "$ROOT/experiments/default.toml" -q --profile --out "$dir" \
      ${ARGS[$run]} --set router.fidelity=$level --set ni.fidelity=$level
    python3 - "$dir" "$(cat "$dir.time")" "$run" "$level" <<'EOF'
import json, os, sys
d, wall, run, level = sys.argv[1], float(sys.argv[2]), sys.argv[3], sys.argv[4]
p = json.load(open(os.path.join(d, "profile.json")))
s = json.load(open(os.path.join(d, "stats.json")))
lat = s["components"]["wl"]["stats"]["latency"]
lat = lat["mean"] if isinstance(lat, dict) else lat
print(f"{run:<11} {level:<8} {wall:9.2f} {p['events']:12d} {p.get('events_per_gemm', float('nan')):11.1f}"
      f" {lat / 1e9:14.3f} {s['totals']['dynamic_j'] * 1e3:12.3f}")
EOF
  done
done
