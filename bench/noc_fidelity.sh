#!/usr/bin/env bash
# noc_fidelity.sh - latency-load curves of the NoC at both fidelity levels (noc.router and
# noc.ni `fidelity = "flit" | "message"`, plugins/noc/README.md "Fidelity"), on the 4x4 mesh
# and the Atleus NoC, under the same traffic as experiments/noc_latency_load/ (uniform 64 B
# transfers, 1.5 us of generation, throughput window from 0.5 us).
#
#   bench/noc_fidelity.sh                      # both networks, build/bin/strata
#   STRATA=build-release/bin/strata NETS=mesh4x4 bench/noc_fidelity.sh
#
# Prints one row per offered rate: offered and accepted throughput (GB/s/node of payload),
# mean transfer latency (ns) and events at each level, and the message/flit latency ratio;
# then per network: the zero-load latencies, the peak accepted throughput, and the offered
# load at which the mean latency reaches 3x its zero-load value (interpolated), per level.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
STRATA=${STRATA:-$ROOT/build/bin/strata}
NETS=${NETS:-"mesh4x4 atleus"}
OUT=${OUT:-$(mktemp -d /tmp/noc_fidelity.XXXXXX)}
declare -A TOPO=([mesh4x4]=noc_mesh4x4_uniform [atleus]=noc_atleus_tsv)
declare -A RATES=([mesh4x4]="0.005 0.02 0.04 0.06 0.08 0.10 0.12 0.13 0.14 0.15 0.16 0.18 0.22"
                  [atleus]="0.002 0.005 0.009 0.012 0.015 0.018 0.020 0.022 0.024 0.027 0.032 0.04")

for net in $NETS; do
  for level in flit message; do
    for rate in ${RATES[$net]}; do
      "$STRATA" run "$ROOT/topologies/examples/${TOPO[$net]}.toml" -q --seed 1 --out "$OUT/$net/$level/$rate" \
        --set router.fidelity=$level --set ni.fidelity=$level --set traffic.rate=$rate \
        --set traffic.size=64B --set traffic.duration=1.5us --set traffic.warmup=0.5us
    done
  done
done

python3 - "$OUT" $NETS <<'EOF'
import json, os, sys
out, nets = sys.argv[1], sys.argv[2:]
def point(net, level, rate):
    d = os.path.join(out, net, level, rate)
    s = json.load(open(os.path.join(d, "stats.json")))
    r = json.load(open(os.path.join(d, "run.json")))
    t = s["components"]["traffic"]["stats"]
    return (t["offered_throughput"]["mean"] / 1e9, t["accepted_throughput"]["mean"] / 1e9,
            t["latency"]["mean"] / 1e3, r["events"])
def knee(curve):  # offered load where latency reaches 3x the lightest point's, interpolated
    l0 = curve[0][2]
    for (o1, _, l1, _), (o2, _, l2, _) in zip(curve, curve[1:]):
        if l1 < 3 * l0 <= l2:
            return o1 + (3 * l0 - l1) / (l2 - l1) * (o2 - o1)
    return float("nan")
for net in nets:
    rates = sorted(os.listdir(os.path.join(out, net, "flit")), key=float)
    f = [point(net, "flit", r) for r in rates]
    m = [point(net, "message", r) for r in rates]
    print(f"\n{net}: offered GB/s/node | accepted flit, message | latency ns flit, message, ratio | events flit, message")
    for r, a, b in zip(rates, f, m):
        print(f"  rate {float(r):<6} {a[0]:7.3f} | {a[1]:7.3f} {b[1]:7.3f} | {a[2]:8.1f} {b[2]:8.1f} {b[2] / a[2]:6.3f} |"
              f" {a[3]:9d} {b[3]:9d}")
    pf, pm = max(x[1] for x in f), max(x[1] for x in m)
    kf, km = knee(f), knee(m)
    print(f"  zero-load latency (lightest point) ns: flit {f[0][2]:.2f}, message {m[0][2]:.2f}")
    print(f"  peak accepted GB/s/node: flit {pf:.3f}, message {pm:.3f} ({100 * (pm / pf - 1):+.1f}%)")
    print(f"  offered at 3x zero-load latency GB/s/node: flit {kf:.3f}, message {km:.3f} ({100 * (km / kf - 1):+.1f}%)")
    half = 0.5 * kf
    worst = max((abs(b[2] / a[2] - 1) for a, b in zip(f, m) if a[0] <= half), default=float("nan"))
    print(f"  worst latency difference below half of the flit level's saturation ({half:.2f}): {100 * worst:.1f}%")
EOF
