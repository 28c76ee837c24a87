#!/usr/bin/env bash
# Runs every model of workloads/models in every mode at reduced size (LAYERS layers,
# SEQ tokens, 2 decode steps) on the 4-tier chip of real plugins
# (bert_base_inference_real_plugins.toml), then full-size BERT-base inference, and prints
# one line per run: status, wall time, simulated latency, ops. Encoders and ViT have no
# prefill or decode (the workload refuses them at build time, exit status 2): those lines
# say "n/a". Exit status: 0 when every valid run finished.
#   workloads/transformer/examples/run_all_models.sh [build-dir]   (default: build)
set -u
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
build="${1:-$repo/build}"
strata="$build/bin/strata"
exp="$here/bert_base_inference_real_plugins.toml"
out="${OUT:-$(mktemp -d)}"
mkdir -p "$out"
layers="${LAYERS:-2}"
seq="${SEQ:-16}"
failed=0
stat() { python3 -c "import json,sys; s=json.load(open(sys.argv[1]))['components']['wl']['stats']; print(s['latency'], s['ops'])" "$1"; }
run() {  # name, then --set arguments
  local name="$1"; shift
  local t0 t1 rc
  t0=$(date +%s.%N)
  "$strata" run "$exp" "$@" --out "$out/$name" -q >"$out/$name.log" 2>&1
  rc=$?
  t1=$(date +%s.%N)
  if [ $rc -eq 0 ]; then
    printf '%-34s ok    %6.2f s  latency %s ps, %s ops\n' "$name" "$(echo "$t1 - $t0" | bc)" $(stat "$out/$name/stats.json")
  elif [ $rc -eq 2 ] && grep -q "needs a decoder or llama model" "$out/$name.log"; then
    printf '%-34s n/a   (%s)\n' "$name" "the model's family has no KV cache"
  else
    printf '%-34s FAIL  rc=%d: %s\n' "$name" $rc "$(grep -m1 -i error "$out/$name.log")"
    failed=1
  fi
}
for f in "$repo"/workloads/models/*.toml; do
  m="$(basename "$f" .toml)"
  s="$seq"; case "$m" in vit*) s=0 ;; esac  # ViT: patches + 1 tokens
  for mode in inference prefill decode lora_finetune full_finetune; do
    run "$m.$mode" --set wl.model="$m" --set wl.mode="$mode" --set wl.layers="$layers" \
        --set wl.seq_len="$s" --set wl.decode_tokens=2
  done
done
run "bert-base.inference.full-size"
echo "outputs in $out"
exit $failed
