"""A BERT-like encoder built from torch.nn primitives (no downloads), with the layer
configuration of bert_tiny.toml beside this file (BERT-Tiny: L=2, H=128, A=2, FFN=512),
so that traces of it can be compared with Strata's own graph of that model
(workloads/opgraph/FORMAT.md, "PyTorch execution traces" and "ONNX models").

Structure as Strata's encoder generator (workloads/opgraph/GENERATORS.md): embeddings
(word + position + token type, LayerNorm), post-LN layers (Q, K, V projections, per-head
QK^T, softmax, PV, output projection, residual, LayerNorm, FF1, GELU, FF2, residual,
LayerNorm) and a pooler on the first token. Dropout is left out (Strata does not model it).
"""
import math
import tomllib
from pathlib import Path

import torch
from torch import nn

CONFIG = tomllib.loads((Path(__file__).with_name("bert_tiny.toml")).read_text())


class Layer(nn.Module):
    def __init__(self, h, heads, ffn):
        super().__init__()
        self.heads, self.d = heads, h // heads
        self.q, self.k, self.v, self.o = (nn.Linear(h, h) for _ in range(4))
        self.ln1, self.ln2 = nn.LayerNorm(h), nn.LayerNorm(h)
        self.ff1, self.ff2 = nn.Linear(h, ffn), nn.Linear(ffn, h)

    def forward(self, x):
        b, t, h = x.shape
        split = lambda y: y.view(b, t, self.heads, self.d).transpose(1, 2)  # noqa: E731
        q, k, v = split(self.q(x)), split(self.k(x)), split(self.v(x))
        p = torch.softmax(torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.d), dim=-1)
        a = torch.matmul(p, v).transpose(1, 2).reshape(b, t, h)
        x = self.ln1(x + self.o(a))
        return self.ln2(x + self.ff2(nn.functional.gelu(self.ff1(x))))


class BertTiny(nn.Module):
    def __init__(self, c=CONFIG):
        super().__init__()
        h = c["hidden"]
        self.word = nn.Embedding(c["vocab"], h)
        self.pos = nn.Embedding(c["max_positions"], h)
        self.token_type = nn.Embedding(c["type_vocab"], h)
        self.ln = nn.LayerNorm(h)
        self.layers = nn.ModuleList(Layer(h, c["heads"], c["ffn"]) for _ in range(c["layers"]))
        self.pooler = nn.Linear(h, h)

    def forward(self, ids):
        t = ids.shape[1]
        pos = torch.arange(t).unsqueeze(0)
        x = self.ln(self.word(ids) + self.pos(pos) + self.token_type(torch.zeros_like(ids)))
        for layer in self.layers:
            x = layer(x)
        return torch.tanh(self.pooler(x[:, 0]))


def example_input(batch=1, seq_len=32, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randint(0, CONFIG["vocab"], (batch, seq_len), generator=g)
