"""Converts a PyTorch execution trace (record_trace.py) into a Chakra execution trace (.et)
the way Chakra's own PyTorch converter lays one out, so that Strata's Chakra reader can be
checked on a trace it did not write: one COMP_NODE per outermost modelled-or-not operator
call (the children of the trace's thread node and of autograd functions and the
optimizer step), named by the operator ("aten::addmm"), with Chakra's IOInfo
(inputs.values/shapes/types as text), data dependencies through tensor ids, and the
attributes is_cpu_op, num_ops (GEMMs: 2 m k n, from the shapes), tensor_size (bytes of the
tensor operands) and rf_id. is_cpu_op is true for operators that launch no device kernel
(views, allocations, copies: NO_KERNEL below), false for the rest: a CPU-only trace has no
GPU kernels to convert, so the operators stand for them.

Standard library only (the protobuf wire format is written by hand, field numbers from
workloads/opgraph/proto/chakra_et.proto).

    python3 workloads/pytorch/et_to_chakra.py TRACE.json OUT.et
"""
import json
import struct
import sys

COMP_NODE = 4
CONTAINERS = ("[pytorch|profiler", "autograd::engine::evaluate_function", "Optimizer.step")
# Operators that launch no device kernel (views, allocation, bookkeeping): Chakra's converter
# keeps them as CPU operators (is_cpu_op = true), as on a GPU trace.
NO_KERNEL = ("aten::view", "aten::_reshape_alias", "aten::reshape", "aten::_unsafe_view", "aten::t",
             "aten::transpose", "aten::as_strided", "aten::expand", "aten::select", "aten::slice",
             "aten::detach", "detach", "aten::empty", "aten::empty_like", "aten::empty_strided",
             "aten::zeros", "aten::zero_", "aten::fill_", "aten::resize_", "aten::result_type",
             "aten::arange", "aten::unsqueeze", "aten::to", "aten::_to_copy", "aten::clone", "aten::copy_",
             "aten::zeros_like", "aten::resolve_conj", "aten::ones_like", "torch::autograd::AccumulateGrad")


def varint(v):
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        out.append(b | (0x80 if v else 0))
        if not v:
            return bytes(out)


def key(field, wire):
    return varint(field << 3 | wire)


def ln(field, payload):
    if isinstance(payload, str):
        payload = payload.encode()
    return key(field, 2) + varint(len(payload)) + payload


def attr(name, value):
    body = ln(1, name)
    if isinstance(value, bool):
        body += key(27, 0) + varint(int(value))      # bool_val
    else:
        body += key(13, 0) + varint(value)           # uint64_val
    return ln(10, body)


def gemm_flops(name, shapes):
    op = name.split("::")[-1]
    ia, ib = (1, 2) if op in ("addmm", "baddbmm") else (0, 1)
    if op not in ("mm", "bmm", "matmul", "linear", "addmm", "baddbmm") or len(shapes) <= ib:
        return 0
    a, b = shapes[ia], shapes[ib]
    if not a or not b or not all(isinstance(d, int) for d in a + b):
        return 0
    rows = 1
    for d in a[:-1]:
        rows *= d
    n = b[0] if op == "linear" else b[-1]
    return 2 * rows * a[-1] * n


def main():
    trace = json.load(open(sys.argv[1]))
    nodes = {n["id"]: n for n in trace["nodes"]}
    children = {}
    for n in trace["nodes"]:
        children.setdefault(n["parent"], []).append(n["id"])

    # Outermost operator calls: walk down through containers only.
    calls = []

    def walk(i):
        for c in sorted(c for c in children.get(i, []) if c != i):
            if nodes[c]["name"].startswith(CONTAINERS) or nodes[c]["name"].endswith(("Backward0", "Backward1")):
                walk(c)
            else:
                calls.append(c)

    for root in sorted(i for i in nodes if nodes[i]["parent"] not in nodes or nodes[i]["parent"] == i):
        walk(root)
    calls.sort()

    out = bytearray()
    meta = ln(1, "0.0.4")
    out += varint(len(meta)) + meta
    writer = {}
    for i in calls:
        n = nodes[i]
        ins = n.get("inputs", [])
        types = n.get("input_types", [])
        shapes = n.get("input_shapes", [])
        tensors = [v for v, t in zip(ins, types) if isinstance(t, str) and t.startswith("Tensor") and isinstance(v, list) and v]
        deps = sorted({writer[t[0]] for t in tensors if t[0] in writer})
        size = sum(t[3] * t[4] for t in tensors if len(t) >= 5)
        for v, t in zip(n.get("outputs", []), n.get("output_types", [])):
            if isinstance(t, str) and t.startswith("Tensor") and isinstance(v, list) and v:
                writer[v[0]] = i
                if len(v) >= 5:
                    size += v[3] * v[4]
        body = key(1, 0) + varint(i) + ln(2, n["name"]) + key(3, 0) + varint(COMP_NODE)
        if deps:
            body += ln(5, b"".join(varint(d) for d in deps))  # data_deps, packed
        body += ln(8, ln(1, json.dumps(ins)) + ln(2, json.dumps(shapes)) + ln(3, json.dumps(types)))
        body += ln(9, ln(1, json.dumps(n.get("outputs", []))) + ln(2, json.dumps(n.get("output_shapes", []))) +
                   ln(3, json.dumps(n.get("output_types", []))))
        body += attr("rf_id", n.get("rf_id", 0)) + attr("is_cpu_op", n["name"] in NO_KERNEL)
        flops = gemm_flops(n["name"], shapes)
        if flops:
            body += attr("num_ops", flops)
        body += attr("tensor_size", size)
        out += varint(len(body)) + body
    open(sys.argv[2], "wb").write(out)


if __name__ == "__main__":
    main()
