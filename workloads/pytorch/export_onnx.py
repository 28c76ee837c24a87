"""Exports the BERT-like model of bert_tiny.py to ONNX with torch.onnx.export (inference,
one sequence), runs ONNX shape inference so that every intermediate tensor carries its shape
in the graph's value_info (Strata's ONNX reader takes shapes from there), and, with
--strip-weights, drops the initializers' data (their names and dimensions stay: that is all
a performance model needs, and it keeps the committed fixture small).

    python3 workloads/pytorch/export_onnx.py OUT.onnx [--seq-len 32] [--strip-weights]
"""
import argparse
import sys
from pathlib import Path

import onnx
import torch

sys.path.insert(0, str(Path(__file__).parent))
from bert_tiny import BertTiny, example_input  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--seq-len", type=int, default=32)
    ap.add_argument("--opset", type=int, default=17)  # 17: LayerNormalization is one operator
    ap.add_argument("--strip-weights", action="store_true")
    a = ap.parse_args()
    torch.manual_seed(0)
    model = BertTiny().eval()
    ids = example_input(a.batch, a.seq_len)
    torch.onnx.export(model, (ids,), a.out, input_names=["input_ids"], output_names=["pooled"],
                      opset_version=a.opset, do_constant_folding=True)
    m = onnx.shape_inference.infer_shapes(onnx.load(a.out))
    if a.strip_weights:
        for t in m.graph.initializer:
            for field in ("raw_data", "float_data", "int64_data", "int32_data", "double_data"):
                t.ClearField(field)
    m.graph.name = "bert-tiny"
    onnx.save(m, a.out)


if __name__ == "__main__":
    main()
