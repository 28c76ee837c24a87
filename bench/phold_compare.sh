#!/usr/bin/env bash
# phold_compare.sh - Strata's PHOLD beside the peer kernels of ../shared/peers/phold, in one
# script run, so every number comes from the same machine and the same minutes.
#
#   bench/phold_compare.sh                # configs A (1024 x 16) and B (100000 x 1), 3 reps
#   REPS=5 CONFIGS=A bench/phold_compare.sh
#   ONLY="floor-pq" bench/phold_compare.sh    # peers to run (prefixes, as run.sh takes)
#   PAIRED_ONLY=1 REPS=5 bench/phold_compare.sh  # only the paired rounds against floor-pq
#
# Prints one line per peer and configuration: events per CPU-second (median of REPS), peak
# RSS, and the ratio to floor-pq; then REPS paired rounds (Strata and floor-pq alternating)
# with each pair's ratio and their min / median / max. Peer prerequisites (Debian 12) are installed when
# missing: libsystemc-dev libns3-dev libsimgrid3.32. SST lines appear only where sst-config
# is on PATH (see the peers' README).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PEERS=${PEERS_DIR:-$ROOT/../shared/peers/phold}
REPS=${REPS:-3}
CONFIGS=${CONFIGS:-"A B"}
BUILD=${BUILD:-$ROOT/build-release}

if [[ ! -d $PEERS ]]; then echo "phold_compare: peers not found at $PEERS (set PEERS_DIR)" >&2; exit 2; fi
need=()
for p in libsystemc-dev libns3-dev libsimgrid3.32; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
done
if ((${#need[@]})); then
  echo "# installing peer prerequisites: ${need[*]}" >&2
  SUDO=""; [[ $(id -u) -eq 0 ]] || SUDO=sudo
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi

bash "$ROOT/.ci/deps"
cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSTRATA_BUILD_TESTS=OFF >/dev/null
cmake --build "$BUILD" --target phold >/dev/null

# Strata's end times per config: runs of a few seconds here, like the peers' calibration.
declare -A END=([A]=4000000 [B]=400000)
declare -A LPS=([A]=1024 [B]=100000)
declare -A INIT=([A]=16 [B]=1)

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {if (NR==0) print "NA"; else if (NR%2) print a[(NR+1)/2]; else printf "%.0f\n", (a[NR/2]+a[NR/2+1])/2}'; }
field() { sed -n "s/.*[[:space:]]$1=\([^[:space:]]*\).*/\1/p"; }

declare -A EPS RSS
PAIRED_ONLY=${PAIRED_ONLY:-0}
if [[ $PAIRED_ONLY == 1 ]]; then
  # the peers' build only (run.sh builds, then runs nothing when ONLY matches no peer)
  (cd "$PEERS" && REPS=1 CONFIGS="$CONFIGS" ONLY="none" bash run.sh >/dev/null 2>&1 || true)
fi
for ((r = 0; r < REPS && PAIRED_ONLY != 1; r++)); do
  for cfg in $CONFIGS; do
    line=$("$BUILD/bin/phold" --lps "${LPS[$cfg]}" --init "${INIT[$cfg]}" --end-ps "${END[$cfg]}" | grep '^RESULT')
    EPS[$cfg]+=" $(echo "$line" | field events_per_cpu_sec)"
    RSS[$cfg]+=" $(echo "$line" | field peak_rss_kb)"
  done
done

# The peers, in the same script run (their own run.sh does the building and medians).
PEER_OUT=""
[[ $PAIRED_ONLY == 1 ]] || PEER_OUT=$(cd "$PEERS" && REPS=$REPS CONFIGS="$CONFIGS" ONLY="${ONLY:-}" bash run.sh 2>/dev/null | grep -v '^#' || true)

declare -A FLOOR
while read -r key eps rss; do
  [[ $key == floor-pq/* ]] && FLOOR[${key#floor-pq/}]=$eps
done <<<"$PEER_OUT"

[[ $PAIRED_ONLY == 1 ]] || printf "%-28s %14s %12s %10s\n" "peer/config" "events/cpu-s" "peak_rss_kB" "vs floor"
for cfg in $CONFIGS; do
  [[ $PAIRED_ONLY == 1 ]] && break
  tag="${LPS[$cfg]}x${INIT[$cfg]}"
  e=$(median ${EPS[$cfg]}); m=$(median ${RSS[$cfg]})
  f=${FLOOR[$tag]:-}
  ratio=$([[ -n $f && $f != NA ]] && awk -v a="$e" -v b="$f" 'BEGIN{printf "%.2fx", a/b}' || echo "-")
  printf "%-28s %14s %12s %10s\n" "strata/$tag" "$e" "$m" "$ratio"
  while read -r key eps rss; do
    [[ -z $key || $key != */$tag ]] && continue
    ratio=$([[ -n $f && $f != NA && $eps != NA ]] && awk -v a="$eps" -v b="$f" 'BEGIN{printf "%.2fx", a/b}' || echo "-")
    printf "%-28s %14s %12s %10s\n" "$key" "$eps" "$rss" "$ratio"
  done <<<"$PEER_OUT"
done

# Paired runs: the machine's speed drifts over minutes (other tenants), and the table above
# runs Strata's reps first and the peers' after. Here Strata and floor-pq alternate, rep by
# rep, and each pair gives one ratio; the median of those ratios is the drift-robust figure.
FLOOR_BIN=${PEERS_BUILD:-${TMPDIR:-/tmp}/phold-peers-build}/phold_floor
declare -A FLOOR_END=([A]=4000000 [B]=400000)
if [[ -x $FLOOR_BIN ]]; then
  echo "# paired (strata, floor-pq alternating, $REPS pairs): events/CPU-s ratio per pair; min / median / max;"
  echo "# Strata's peak RSS (max over its runs); load average before and after"
  echo "# load: $(cut -d' ' -f1-3 /proc/loadavg)"
  for cfg in $CONFIGS; do
    ratios=()
    rss=0
    for ((r = 0; r < REPS; r++)); do
      line=$("$BUILD/bin/phold" --lps "${LPS[$cfg]}" --init "${INIT[$cfg]}" --end-ps "${END[$cfg]}" | grep '^RESULT')
      s=$(echo "$line" | field events_per_cpu_sec)
      m=$(echo "$line" | field peak_rss_kb)
      ((m > rss)) && rss=$m
      f=$("$FLOOR_BIN" --lps "${LPS[$cfg]}" --init "${INIT[$cfg]}" --end-ps "${FLOOR_END[$cfg]}" --variant pq | grep '^RESULT' | field events_per_cpu_sec)
      ratios+=("$(awk -v a="$s" -v b="$f" 'BEGIN{printf "%.3f", a/b}')")
    done
    printf "%-28s %s  min/median/max %s  peak_rss_kB %s\n" "strata/floor-pq ${LPS[$cfg]}x${INIT[$cfg]}" "${ratios[*]}" \
      "$(printf '%s\n' "${ratios[@]}" | sort -g | awk '{a[NR]=$1} END {m = (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2; printf "%.2fx / %.2fx / %.2fx", a[1], m, a[NR]}')" "$rss"
  done
  echo "# load: $(cut -d' ' -f1-3 /proc/loadavg)"
fi
