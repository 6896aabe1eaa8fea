#!/usr/bin/env python3
"""safetensors read/write with only json + struct + torch (Debian has no `safetensors` package).

Independent of ponder's TypeScript reader/writer, so each side can check the other:

  safetensors_check.py fixture --out f.safetensors   write a file of known tensors (every dtype
                                                     ponder reads, special float values, metadata)
  safetensors_check.py dump --in f.safetensors --out f.json
                                                     read a file and write its contents as JSON;
                                                     values are given as raw bit patterns (ints)
                                                     so NaN, -0 and infinities compare exactly

llama.py imports load() and save() from here.
"""
import argparse
import json
import os
import struct
import sys

import torch

DTYPES = {
    "F64": torch.float64, "F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16,
    "I64": torch.int64, "I32": torch.int32, "I16": torch.int16, "I8": torch.int8,
    "U8": torch.uint8, "BOOL": torch.bool,
}
NAMES = {v: k for k, v in DTYPES.items()}
# Integer view of the same width, to expose the raw bits of a float tensor.
BITS = {torch.float32: torch.int32, torch.float16: torch.int16, torch.bfloat16: torch.int16, torch.float64: torch.int64}


def load(path):
    """Returns ({name: tensor}, {metadata}); raises ValueError on a malformed file."""
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 8:
        raise ValueError(f"{path}: truncated")
    (n,) = struct.unpack("<Q", raw[:8])
    if n > len(raw) - 8:
        raise ValueError(f"{path}: header length {n} past end")
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    data = raw[8 + n:]
    meta = header.pop("__metadata__", None) or {}
    out = {}
    for name, e in header.items():
        dt = DTYPES[e["dtype"]]
        b, end = e["data_offsets"]
        if end > len(data):
            raise ValueError(f"{path}: {name} past end")
        shape = e["shape"]
        if end == b:
            t = torch.empty(shape, dtype=dt)
        else:
            t = torch.frombuffer(bytearray(data[b:end]), dtype=dt).reshape(shape)
        out[name] = t
    return out, meta


def save(path, tensors, metadata=None):
    """Writes {name: tensor} (any dtype above) atomically, header padded so data is 8-aligned."""
    header = {}
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    blobs = []
    off = 0
    for name, t in tensors.items():
        t = t.detach().contiguous().cpu()
        b = t.reshape(-1).view(torch.uint8).numpy().tobytes()
        header[name] = {"dtype": NAMES[t.dtype], "shape": list(t.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header, separators=(",", ":")).encode("utf-8")
    h += b" " * ((8 - (8 + len(h)) % 8) % 8)
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def fixture():
    """Known tensors: the TS test compares F16/BF16 decoding with torch's own widening to F32."""
    g = torch.Generator().manual_seed(1234)
    f32 = torch.tensor([0.0, -0.0, 1.0, -2.5, 3.4028234663852886e38, 1.401298464324817e-45,
                        1.1754943508222875e-38, float("inf"), float("-inf"), float("nan")], dtype=torch.float32)
    h = torch.cat([torch.randn(3, 5, generator=g).reshape(-1) * 100,
                   torch.tensor([6.0e-8, -6.0e-8, 6.1e-5, 65504.0, -65504.0, float("inf"), 0.0, -0.0])]).to(torch.float16)
    bf = torch.cat([torch.randn(4, 4, generator=g).reshape(-1) * 1e20,
                    torch.tensor([1e-39, -3.0, float("-inf")])]).to(torch.bfloat16)
    return {
        "f32": f32,
        "f32_matrix": torch.randn(3, 4, 5, generator=g),
        "scalar": torch.tensor(7.25),
        "empty": torch.zeros(0, 3),
        "f16": h,
        "f16_as_f32": h.float(),
        "bf16": bf.reshape(1, -1),
        "bf16_as_f32": bf.float().reshape(1, -1),
        "i32": torch.tensor([[0, 1, -1], [2147483647, -2147483648, 42]], dtype=torch.int32),
        "i64": torch.tensor([5, -7, 2147483647, -2147483648, 0], dtype=torch.int64),
    }, {"format": "pt", "note": "written by safetensors_check.py ✓"}


def dump(path):
    tensors, meta = load(path)
    out = {}
    for name, t in tensors.items():
        flat = t.reshape(-1)
        bits = flat.view(BITS[t.dtype]) if t.dtype in BITS else flat
        out[name] = {"dtype": NAMES[t.dtype], "shape": list(t.shape), "bits": [int(x) for x in bits.tolist()]}
    return {"metadata": meta, "tensors": out}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="mode", required=True)
    a = sub.add_parser("fixture")
    a.add_argument("--out", required=True)
    a = sub.add_parser("dump")
    a.add_argument("--in", dest="inp", required=True)
    a.add_argument("--out", required=True)
    args = p.parse_args()
    if args.mode == "fixture":
        tensors, meta = fixture()
        save(args.out, tensors, meta)
    else:
        d = dump(args.inp)
        with open(args.out, "w", encoding="utf-8") as f:
            json.dump(d, f, ensure_ascii=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
