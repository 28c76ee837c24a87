#!/usr/bin/env python3
"""Stage-delay breakdown (compute vs communication per stage) of a transformer run, from its
trace: the check the Atleus paper's explanation of HAIMA needs (interposer congestion into
the host; HBM bank parallelism in the feed-forward layers).

  strata run topologies/haima.toml --set output.trace=true --set output.dir=out/haima_trace
  experiments/paper/haima_stages.py out/haima_trace [more run folders...]

Stages follow Atleus's 4-stage layer pipeline: projections (Q, K, V, O with their LoRA
adapters and gradients), attention (Q.K^T, softmax, P.V per head and their gradients), FF-1
(with GELU), FF-2; "other" is norms, residuals, embeddings, head, loss and updates. Per stage:
  compute   sum of the op spans the workload traced (core start to answer), per core
  transfers sum of the tensor transfers into the stage's ops (issue to arrival), with bytes,
            and the part whose destination is the host (many-to-one into the host port)
  span      time during which any op or transfer of the stage was in flight (union)
Sums over concurrent ops exceed wall time; the span is the stage's share of the timeline.
Only the Python standard library is used.
"""
import json
import sys
from collections import defaultdict

STAGES = ["projections", "attention", "ff1", "ff2", "other"]


def stage_of(op_name: str) -> str:
    if ".attn.h" in op_name:
        return "attention"
    if any(p in op_name for p in (".attn.q_proj", ".attn.k_proj", ".attn.v_proj", ".attn.o_proj")):
        return "projections"
    if ".ffn.ff1" in op_name or ".ffn.gelu" in op_name or ".ffn.up" in op_name or ".ffn.gate" in op_name:
        return "ff1"
    if ".ffn.ff2" in op_name or ".ffn.down" in op_name:
        return "ff2"
    return "other"


def union_length(intervals):
    total, end = 0.0, None
    start = None
    for a, b in sorted(intervals):
        if end is None or a > end:
            if end is not None:
                total += end - start
            start, end = a, b
        else:
            end = max(end, b)
    if end is not None:
        total += end - start
    return total


def breakdown(folder: str, host: str):
    with open(f"{folder}/trace.json") as f:
        trace = json.load(f)
    events = trace["traceEvents"] if isinstance(trace, dict) else trace
    threads = {}
    for e in events:
        if e.get("ph") == "M" and e.get("name") == "thread_name":
            threads[(e["pid"], e["tid"])] = e["args"]["name"]
    compute = defaultdict(lambda: defaultdict(float))  # stage -> core -> us
    xfer_us = defaultdict(float)
    xfer_bytes = defaultdict(int)
    host_bytes = defaultdict(int)
    spans = defaultdict(list)
    for e in events:
        if e.get("ph") != "X":
            continue
        who = threads.get((e["pid"], e["tid"]), "")
        if who != "wl":
            continue
        cat, name, args = e.get("cat"), e["name"], e.get("args", {})
        a, b = e["ts"], e["ts"] + e["dur"]
        if cat == "xfer":
            st = stage_of(name.split(" -> ", 1)[1])
            xfer_us[st] += e["dur"]
            xfer_bytes[st] += args.get("bytes", 0)
            if args.get("dst") == host:
                host_bytes[st] += args.get("bytes", 0)
            spans[st].append((a, b))
        elif cat not in ("mem", "load_weights") and "core" in args:
            st = stage_of(name)
            compute[st][args["core"]] += e["dur"]
            spans[st].append((a, b))
    return compute, xfer_us, xfer_bytes, host_bytes, spans


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        sys.exit(2)
    host = "host"
    for folder in sys.argv[1:]:
        compute, xfer_us, xfer_bytes, host_bytes, spans = breakdown(folder, host)
        cores = sorted({c for st in compute.values() for c in st})
        print(f"### {folder}\n")
        print("| stage | " + " | ".join(f"compute on {c} (ms)" for c in cores) +
              " | transfers (ms) | transfer MB | MB into host | span (ms) |")
        print("|---|" + "---:|" * (len(cores) + 4))
        for st in STAGES:
            row = [f"{compute[st].get(c, 0.0) / 1000:.3f}" for c in cores]
            print(f"| {st} | " + " | ".join(row) +
                  f" | {xfer_us[st] / 1000:.3f} | {xfer_bytes[st] / 1e6:.2f} | {host_bytes[st] / 1e6:.2f}"
                  f" | {union_length(spans[st]) / 1000:.3f} |")
        print()


if __name__ == "__main__":
    main()
