"""Records a PyTorch execution trace of one training step (forward, loss, backward,
optimizer step) of the BERT-like model in bert_tiny.py, with PyTorch's execution-trace
observer (torch >= 2.0: ExecutionTraceObserver; 1.13, Debian 12: ExecutionGraphObserver).

    python3 workloads/pytorch/record_trace.py OUT.json [--batch 1] [--seq-len 32]

Strata reads the JSON directly (workload.transformer graph_file, graph_format = "pytorch").
"""
import argparse
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).parent))
from bert_tiny import BertTiny, example_input  # noqa: E402

try:
    from torch.profiler import ExecutionTraceObserver as Observer
except ImportError:  # torch 1.13
    from torch.profiler import ExecutionGraphObserver as Observer


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--seq-len", type=int, default=32)
    a = ap.parse_args()
    torch.manual_seed(0)
    torch.set_num_threads(1)
    model = BertTiny()
    opt = torch.optim.SGD(model.parameters(), lr=1e-3)
    ids = example_input(a.batch, a.seq_len)
    model(ids)  # warm-up outside the trace
    obs = Observer()
    obs.register_callback(str(Path(a.out).resolve()))
    obs.start()
    opt.zero_grad()
    loss = model(ids).pow(2).mean()
    loss.backward()
    opt.step()
    obs.stop()
    obs.unregister_callback()


if __name__ == "__main__":
    main()
