// ggml's block formats, decoded to float32. Each block holds a fixed number of values (32 for the
// legacy quants, 256 = QK_K for the K-quants) and its scales; the layouts below are those of ggml's
// block_* structs (ggml-common.h). All loads go through memcpy: blocks have no alignment.
//
// Arithmetic order follows ggml's reference dequantize_row_* (scale products first, then the
// multiply), so results are bit-identical with ggml and gguf-py in float32.
#include <cstring>

#include "core/model/gguf.h"

namespace prunescope {
namespace {

constexpr int kQK = 32;    // values per legacy block (Q4_0 ... Q8_0)
constexpr int kQKK = 256;  // values per K-quant super-block

float loadHalf(const uint8_t* p) {
    uint16_t bits;
    std::memcpy(&bits, p, 2);
    return ggmlHalfToFloat(bits);
}

float bitsToFloat(uint32_t bits) {
    float f;
    std::memcpy(&f, &bits, 4);
    return f;
}

// Q4_0, 18 bytes: fp16 d | u8 qs[16]. Value j (< 16) is the low nibble of qs[j], value j + 16 the
// high nibble; x = (q - 8) * d.
void blockQ4_0(const uint8_t* b, float* y) {
    const float d = loadHalf(b);
    const uint8_t* qs = b + 2;
    for (int j = 0; j < kQK / 2; ++j) {
        y[j] = static_cast<float>((qs[j] & 0x0F) - 8) * d;
        y[j + kQK / 2] = static_cast<float>((qs[j] >> 4) - 8) * d;
    }
}

// Q4_1, 20 bytes: fp16 d | fp16 m | u8 qs[16] (nibbles as Q4_0); x = q * d + m.
void blockQ4_1(const uint8_t* b, float* y) {
    const float d = loadHalf(b);
    const float m = loadHalf(b + 2);
    const uint8_t* qs = b + 4;
    for (int j = 0; j < kQK / 2; ++j) {
        y[j] = static_cast<float>(qs[j] & 0x0F) * d + m;
        y[j + kQK / 2] = static_cast<float>(qs[j] >> 4) * d + m;
    }
}

// Q5_0, 22 bytes: fp16 d | u32 qh (bit j = 5th bit of value j) | u8 qs[16] (low nibbles as Q4_0);
// x = (q - 16) * d.
void blockQ5_0(const uint8_t* b, float* y) {
    const float d = loadHalf(b);
    uint32_t qh;
    std::memcpy(&qh, b + 2, 4);
    const uint8_t* qs = b + 6;
    for (int j = 0; j < kQK / 2; ++j) {
        const int lo = (qs[j] & 0x0F) | static_cast<int>(((qh >> j) & 1u) << 4);
        const int hi = (qs[j] >> 4) | static_cast<int>(((qh >> (j + kQK / 2)) & 1u) << 4);
        y[j] = static_cast<float>(lo - 16) * d;
        y[j + kQK / 2] = static_cast<float>(hi - 16) * d;
    }
}

// Q5_1, 24 bytes: fp16 d | fp16 m | u32 qh | u8 qs[16] (bits as Q5_0); x = q * d + m.
void blockQ5_1(const uint8_t* b, float* y) {
    const float d = loadHalf(b);
    const float m = loadHalf(b + 2);
    uint32_t qh;
    std::memcpy(&qh, b + 4, 4);
    const uint8_t* qs = b + 8;
    for (int j = 0; j < kQK / 2; ++j) {
        const int lo = (qs[j] & 0x0F) | static_cast<int>(((qh >> j) & 1u) << 4);
        const int hi = (qs[j] >> 4) | static_cast<int>(((qh >> (j + kQK / 2)) & 1u) << 4);
        y[j] = static_cast<float>(lo) * d + m;
        y[j + kQK / 2] = static_cast<float>(hi) * d + m;
    }
}

// Q8_0, 34 bytes: fp16 d | i8 qs[32]; x = q * d.
void blockQ8_0(const uint8_t* b, float* y) {
    const float d = loadHalf(b);
    for (int j = 0; j < kQK; ++j) y[j] = static_cast<float>(static_cast<int8_t>(b[2 + j])) * d;
}

// Q2_K, 84 bytes: u8 scales[16] (low nibble: scale, high nibble: min, one per 16 values) |
// u8 qs[64] (2-bit) | fp16 d | fp16 dmin. Value i = 128 h + 32 s + c (h < 2, s < 4, c < 32) is
// bits 2s..2s+1 of qs[32 h + c]; x = d * scale[i / 16] * q - dmin * min[i / 16].
void blockQ2_K(const uint8_t* b, float* y) {
    const uint8_t* scales = b;
    const uint8_t* qs = b + 16;
    const float d = loadHalf(b + 80);
    const float dmin = loadHalf(b + 82);
    for (int i = 0; i < kQKK; ++i) {
        const int h = i / 128, s = (i / 32) % 4, c = i % 32;
        const uint8_t sc = scales[i / 16];
        const float dl = d * static_cast<float>(sc & 0x0F);
        const float ml = dmin * static_cast<float>(sc >> 4);
        const int q = (qs[32 * h + c] >> (2 * s)) & 3;
        y[i] = dl * static_cast<float>(q) - ml;
    }
}

// Q3_K, 110 bytes: u8 hmask[32] | u8 qs[64] (low 2 bits, as Q2_K) | u8 scales[12] | fp16 d.
// The 16 scales are 6-bit, biased by 32: scale k has its low 4 bits in nibble k / 8 of byte k % 8
// and its high 2 bits at bit 2 (k / 4) of byte 8 + k % 4. Value i's third bit is bit i / 32 of
// hmask[i % 32]; a clear bit subtracts 4. x = d * scale[i / 16] * q.
void blockQ3_K(const uint8_t* b, float* y) {
    const uint8_t* hmask = b;
    const uint8_t* qs = b + 32;
    const uint8_t* packed = b + 96;
    const float d = loadHalf(b + 108);
    float dl[16];
    for (int k = 0; k < 16; ++k) {
        const int lo = (packed[k % 8] >> (4 * (k / 8))) & 0x0F;
        const int hi = (packed[8 + k % 4] >> (2 * (k / 4))) & 0x03;
        dl[k] = d * static_cast<float>((lo | (hi << 4)) - 32);
    }
    for (int i = 0; i < kQKK; ++i) {
        const int h = i / 128, s = (i / 32) % 4, c = i % 32;
        const int low = (qs[32 * h + c] >> (2 * s)) & 3;
        const int high = (hmask[c] >> (i / 32)) & 1;
        y[i] = dl[i / 16] * static_cast<float>(low - (high ? 0 : 4));
    }
}

// The 8 scales and 8 mins of Q4_K/Q5_K, 6 bits each in 12 bytes:
//   bytes 0-3: scale j (low 6 bits) for j < 4, top 2 bits: high bits of scale j + 4
//   bytes 4-7: min j (low 6 bits) for j < 4, top 2 bits: high bits of min j + 4
//   bytes 8-11: low nibble: scale j + 4 (low 4 bits), high nibble: min j + 4 (low 4 bits)
void unpackScaleMin(const uint8_t* p, int j, int* scale, int* min) {
    if (j < 4) {
        *scale = p[j] & 0x3F;
        *min = p[j + 4] & 0x3F;
    } else {
        *scale = (p[j + 4] & 0x0F) | ((p[j - 4] >> 6) << 4);
        *min = (p[j + 4] >> 4) | ((p[j] >> 6) << 4);
    }
}

// Q4_K, 144 bytes: fp16 d | fp16 dmin | u8 scales[12] | u8 qs[128]. Sub-block t (32 values,
// t < 8) is the low (t even) or high (t odd) nibbles of qs[32 (t / 2) ... + 31];
// x = d * scale[t] * q - dmin * min[t].
void blockQ4_K(const uint8_t* b, float* y) {
    const float d = loadHalf(b);
    const float dmin = loadHalf(b + 2);
    const uint8_t* qs = b + 16;
    for (int t = 0; t < 8; ++t) {
        int sc, m;
        unpackScaleMin(b + 4, t, &sc, &m);
        const float d1 = d * static_cast<float>(sc);
        const float m1 = dmin * static_cast<float>(m);
        const uint8_t* q = qs + 32 * (t / 2);
        const int shift = 4 * (t % 2);
        for (int c = 0; c < 32; ++c) y[32 * t + c] = d1 * static_cast<float>((q[c] >> shift) & 0x0F) - m1;
    }
}

// Q5_K, 176 bytes: fp16 d | fp16 dmin | u8 scales[12] | u8 qh[32] | u8 qs[128]. As Q4_K, plus a
// fifth bit for value 32 t + c: bit t of qh[c].
void blockQ5_K(const uint8_t* b, float* y) {
    const float d = loadHalf(b);
    const float dmin = loadHalf(b + 2);
    const uint8_t* qh = b + 16;
    const uint8_t* qs = b + 48;
    for (int t = 0; t < 8; ++t) {
        int sc, m;
        unpackScaleMin(b + 4, t, &sc, &m);
        const float d1 = d * static_cast<float>(sc);
        const float m1 = dmin * static_cast<float>(m);
        const uint8_t* q = qs + 32 * (t / 2);
        const int shift = 4 * (t % 2);
        for (int c = 0; c < 32; ++c) {
            const int v = ((q[c] >> shift) & 0x0F) | (((qh[c] >> t) & 1) << 4);
            y[32 * t + c] = d1 * static_cast<float>(v) - m1;
        }
    }
}

// Q6_K, 210 bytes: u8 ql[128] (low 4 bits) | u8 qh[64] (high 2 bits) | i8 scales[16] | fp16 d.
// In half h (128 values), value 128 h + 64 n + k (n < 2, k < 64) takes nibble n of ql[64 h + k];
// value 128 h + 32 s + c (s < 4, c < 32) takes bits 2s..2s+1 of qh[32 h + c].
// x = d * scale[i / 16] * (q - 32).
void blockQ6_K(const uint8_t* b, float* y) {
    const uint8_t* ql = b;
    const uint8_t* qh = b + 128;
    const int8_t* scales = reinterpret_cast<const int8_t*>(b + 192);
    const float d = loadHalf(b + 208);
    for (int i = 0; i < kQKK; ++i) {
        const int h = i / 128, r = i % 128;
        const int low = (ql[64 * h + r % 64] >> (4 * (r / 64))) & 0x0F;
        const int high = (qh[32 * h + r % 32] >> (2 * (r / 32))) & 0x03;
        const float dl = d * static_cast<float>(scales[i / 16]);
        y[i] = dl * static_cast<float>((low | (high << 4)) - 32);
    }
}

}  // namespace

float ggmlHalfToFloat(uint16_t h) {
    const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
    const uint32_t exp = (h >> 10) & 0x1Fu;
    const uint32_t mant = h & 0x3FFu;
    if (exp == 0x1F) return bitsToFloat(sign | 0x7F800000u | (mant << 13));  // inf, NaN (payload kept)
    if (exp != 0) return bitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
    // zero or subnormal: mant * 2^-24, exact in float
    const float magnitude = static_cast<float>(mant) * (1.0f / 16777216.0f);
    return sign ? -magnitude : magnitude;
}

void ggmlDequantizeBlocks(GgmlType type, const uint8_t* src, int64_t nBlocks, float* out) {
    void (*decode)(const uint8_t*, float*) = nullptr;
    switch (type) {
        case GgmlType::F32: std::memcpy(out, src, static_cast<size_t>(nBlocks) * 4); return;
        case GgmlType::F16:
            for (int64_t i = 0; i < nBlocks; ++i) out[i] = loadHalf(src + 2 * i);
            return;
        case GgmlType::BF16:
            for (int64_t i = 0; i < nBlocks; ++i) {
                uint16_t bits;
                std::memcpy(&bits, src + 2 * i, 2);
                out[i] = bitsToFloat(static_cast<uint32_t>(bits) << 16);
            }
            return;
        case GgmlType::Q4_0: decode = blockQ4_0; break;
        case GgmlType::Q4_1: decode = blockQ4_1; break;
        case GgmlType::Q5_0: decode = blockQ5_0; break;
        case GgmlType::Q5_1: decode = blockQ5_1; break;
        case GgmlType::Q8_0: decode = blockQ8_0; break;
        case GgmlType::Q2_K: decode = blockQ2_K; break;
        case GgmlType::Q3_K: decode = blockQ3_K; break;
        case GgmlType::Q4_K: decode = blockQ4_K; break;
        case GgmlType::Q5_K: decode = blockQ5_K; break;
        case GgmlType::Q6_K: decode = blockQ6_K; break;
        default: return;  // callers check ggmlCanDequantize first
    }
    const int64_t blockSize = ggmlBlockSize(type);
    const int64_t typeSize = ggmlTypeSize(type);
    for (int64_t i = 0; i < nBlocks; ++i) decode(src + i * typeSize, out + i * blockSize);
}

}  // namespace prunescope
