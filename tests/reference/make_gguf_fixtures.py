#!/usr/bin/env python3
"""GGUF fixtures for tests/core/model/test_gguf.cpp, written with llama.cpp's own Python package.

Writes tests/data/gguf/:
  types.gguf     one tensor per ggml type Prunescope reads (F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1,
                 Q8_0, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K), one it does not (IQ4_NL), and metadata of
                 every GGUF value type. Legacy quants hold gguf.quants.quantize() of random normal
                 values; the K-quants (which gguf-py cannot quantize) hold random bytes with sane
                 fp16 scale fields. Alignment 64, to exercise general.alignment.
  expected.gguf  the same tensor names (IQ4_NL excepted) in F32, holding gguf.quants.dequantize()
                 of the bytes read back from types.gguf: the package's dequantization is the
                 independent reference the C++ reader is compared with.

Requirements:  pip install gguf==0.19.0 numpy
Run (from any folder; deterministic, fixed seed, so re-running reproduces the same bytes):
    python3 tests/reference/make_gguf_fixtures.py
"""
import pathlib

import numpy as np
import gguf
from gguf import GGMLQuantizationType as T

OUT = pathlib.Path(__file__).resolve().parent.parent / "data" / "gguf"
rng = np.random.default_rng(20240611)

# numpy shapes are ggml dims reversed: (3, 256) is ggml [256, 3] (3 rows of 256 values).
ROWS = (3, 256)


def k_quant_blocks(qtype, n_rows, n_values, scale_fields):
    """Random K-quant blocks whose fp16 scale fields (byte offsets in the block) hold small
    positive normal numbers, so the values are realistic rather than NaN or huge."""
    block_size, type_size = gguf.GGML_QUANT_SIZES[qtype]
    n_blocks = n_rows * n_values // block_size
    blocks = rng.integers(0, 256, size=(n_blocks, type_size), dtype=np.uint8)
    for offset in scale_fields:
        scale = (np.abs(rng.standard_normal(n_blocks)) * 0.01 + 1e-3).astype(np.float16)
        blocks[:, offset : offset + 2] = scale.view(np.uint8).reshape(n_blocks, 2)
    return blocks.reshape(n_rows, n_values // block_size * type_size)


def special_values(values):
    # zero, negative zero, the smallest fp16 subnormal, fp16's max, infinities and a NaN
    values = values.copy()
    values[0, :7] = [0.0, -0.0, 5.960464477539063e-08, 65504.0, np.inf, -np.inf, np.nan]
    return values


def normal(shape):
    return rng.standard_normal(shape).astype(np.float32)


def tensors():
    """(name, bytes or array, raw ggml type or None)."""
    out = [
        ("t.f32", normal(ROWS), None),
        ("t.f32_1d", normal((7,)), None),
        ("t.f16", special_values(normal(ROWS)).astype(np.float16), None),
        ("t.bf16", gguf.quants.quantize(special_values(normal(ROWS)), T.BF16), T.BF16),
    ]
    for name, qtype in [("t.q4_0", T.Q4_0), ("t.q4_1", T.Q4_1), ("t.q5_0", T.Q5_0),
                        ("t.q5_1", T.Q5_1)]:
        out.append((name, gguf.quants.quantize(normal(ROWS), qtype), qtype))
    # A 3-D tensor: ggml dims [64, 2, 3].
    out.append(("t.q8_0", gguf.quants.quantize(normal((3, 2, 64)), T.Q8_0), T.Q8_0))
    # K-quants: fp16 d (and dmin) at these byte offsets of each block (ggml-common.h).
    out.append(("t.q2_k", k_quant_blocks(T.Q2_K, 3, 256, [80, 82]), T.Q2_K))
    out.append(("t.q3_k", k_quant_blocks(T.Q3_K, 3, 256, [108]), T.Q3_K))
    out.append(("t.q4_k", k_quant_blocks(T.Q4_K, 3, 512, [0, 2]), T.Q4_K))
    out.append(("t.q5_k", k_quant_blocks(T.Q5_K, 3, 256, [0, 2]), T.Q5_K))
    out.append(("t.q6_k", k_quant_blocks(T.Q6_K, 3, 256, [208]), T.Q6_K))
    # A type Prunescope does not dequantize: it must parse, and refuse to dequantize.
    out.append(("t.iq4_nl", k_quant_blocks(T.IQ4_NL, 2, 64, [0]), T.IQ4_NL))
    return out


def write_types(path):
    w = gguf.GGUFWriter(str(path), arch="prunescope-test")
    w.add_custom_alignment(64)
    w.add_name("GGUF reader fixture")
    w.add_uint8("test.u8", 200)
    w.add_int8("test.i8", -100)
    w.add_uint16("test.u16", 60000)
    w.add_int16("test.i16", -30000)
    w.add_uint32("test.u32", 4000000000)
    w.add_int32("test.i32", -2000000000)
    w.add_uint64("test.u64", 2**63 + 5)
    w.add_int64("test.i64", -(2**62))
    w.add_float32("test.f32", 1.5)
    w.add_float64("test.f64", -2.25e100)
    w.add_bool("test.bool", True)
    w.add_string("test.string", "h\u00e9llo, GGUF")
    w.add_array("test.strings", ["a", "bc", ""])
    w.add_key_value("test.ints", [1, -2, 3], gguf.GGUFValueType.ARRAY, sub_type=gguf.GGUFValueType.INT32)
    w.add_array("test.floats", [0.5, -1.25])
    w.add_array("test.nested", [[1, 2], [3]])
    for name, data, qtype in tensors():
        w.add_tensor(name, data, raw_dtype=qtype)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def write_expected(types_path, path):
    reader = gguf.GGUFReader(str(types_path))
    w = gguf.GGUFWriter(str(path), arch="prunescope-test")
    for t in reader.tensors:
        qtype = T(t.tensor_type)
        if qtype == T.IQ4_NL:
            continue
        values = gguf.quants.dequantize(np.asarray(t.data), qtype).astype(np.float32)
        shape = tuple(int(d) for d in reversed(t.shape))  # ggml dims -> numpy shape
        w.add_tensor(t.name, values.reshape(shape))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    write_types(OUT / "types.gguf")
    write_expected(OUT / "types.gguf", OUT / "expected.gguf")
    for p in sorted(OUT.glob("*.gguf")):
        print(p, p.stat().st_size, "bytes")


if __name__ == "__main__":
    main()
