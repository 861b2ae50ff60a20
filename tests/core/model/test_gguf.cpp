// Tests of the GGUF reader: metadata of every value type, dequantization of every supported ggml
// type against gguf-py's own dequantization (tests/data/gguf, made by
// tests/reference/make_gguf_fixtures.py), a real llama.cpp file, and malformed files made here by
// mutating the bytes of types.gguf.
#include <QtTest>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <thread>

#include <nlohmann/json.hpp>

#include "core/model/gguf.h"
#include "core/util/error.h"

using namespace prunescope;

namespace {

const std::string kDataDir = std::string(PRUNESCOPE_TEST_DATA_DIR) + "/gguf";

std::string readBytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

void writeBytes(const std::string& path, const std::string& bytes) {
    // A fresh file each time: truncating one in place makes ext4 flush it on close (slow).
    std::filesystem::remove(path);
    std::ofstream out(path, std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

uint64_t get64(const std::string& b, size_t at) {
    uint64_t v;
    std::memcpy(&v, b.data() + at, 8);
    return v;
}
void put32(std::string& b, size_t at, uint32_t v) {
    std::memcpy(&b[at], &v, 4);
}
void put64(std::string& b, size_t at, uint64_t v) {
    std::memcpy(&b[at], &v, 8);
}

// Where a GGUF string (u64 length + bytes) equal to `s` starts; the key or tensor name to mutate.
size_t findString(const std::string& bytes, const std::string& s) {
    std::string needle(8, '\0');
    put64(needle, 0, s.size());
    needle += s;
    const size_t at = bytes.find(needle);
    if (at == std::string::npos) throw std::runtime_error("fixture has no string '" + s + "'");
    return at;
}
// The byte after a key: its u32 value type, then the value.
size_t keyValueAt(const std::string& b, const std::string& key) {
    return findString(b, key) + 8 + key.size();
}
// A tensor info's fields after its name: u32 n_dims, u64 dims[n_dims], u32 type, u64 offset.
size_t nDimsAt(const std::string& b, const std::string& name) {
    return findString(b, name) + 8 + name.size();
}
size_t dimAt(const std::string& b, const std::string& name, int d) {
    return nDimsAt(b, name) + 4 + 8 * d;
}
size_t typeAt(const std::string& b, const std::string& name) {
    uint32_t nDims;
    std::memcpy(&nDims, b.data() + nDimsAt(b, name), 4);
    return dimAt(b, name, static_cast<int>(nDims));
}
size_t offsetAt(const std::string& b, const std::string& name) {
    return typeAt(b, name) + 4;
}
// Where the data section starts: after the last tensor info (t.iq4_nl's), aligned to 64.
size_t dataStart(const std::string& b) {
    return (offsetAt(b, "t.iq4_nl") + 8 + 63) / 64 * 64;
}

struct Malformed {
    const char* name;
    std::function<void(std::string&)> mutate;
    std::string place;  // Error::place() must contain this
    std::string text;   // and what() this
};

std::vector<Malformed> malformedCases() {
    const uint64_t k2p40 = uint64_t(1) << 40;
    return {
        {"empty file", [](std::string& b) { b.clear(); }, "header", "the magic"},
        {"truncated in the magic", [](std::string& b) { b.resize(2); }, "header", "truncated"},
        {"truncated in kv_count", [](std::string& b) { b.resize(20); }, "header", "key/value count"},
        {"truncated in a key", [](std::string& b) { b.resize(findString(b, "test.f64") + 10); }, "key #", "truncated"},
        {"truncated in a string value", [](std::string& b) { b.resize(keyValueAt(b, "test.string") + 4 + 8 + 3); },
         "key 'test.string'", "left in the file"},
        {"truncated in an array", [](std::string& b) { b.resize(keyValueAt(b, "test.ints") + 4 + 4 + 8 + 6); },
         "key 'test.ints'", "truncated"},
        {"truncated in tensor infos", [](std::string& b) { b.resize(dimAt(b, "t.q5_0", 1) + 3); }, "tensor 't.q5_0'",
         "truncated"},
        {"truncated before the data", [](std::string& b) { b.resize(offsetAt(b, "t.iq4_nl") + 8); }, "tensor 't.f32'",
         "runs past the end of the file"},
        {"truncated in the data", [](std::string& b) { b.resize(b.size() - 100); }, "tensor 't.iq4_nl'",
         "runs past the end of the file"},
        {"bad magic", [](std::string& b) { b[3] = 'X'; }, "header", "not a GGUF file"},
        {"version 1", [](std::string& b) { put32(b, 4, 1); }, "header", "convert the model again"},
        {"version 99", [](std::string& b) { put32(b, 4, 99); }, "header", "unknown GGUF version 99"},
        {"big-endian", [](std::string& b) { put32(b, 4, 0x03000000); }, "header", "big-endian"},
        {"tensor_count 2^40", [=](std::string& b) { put64(b, 8, k2p40); }, "header",
         "tensor count 1099511627776 cannot fit"},
        {"kv_count 2^40", [=](std::string& b) { put64(b, 16, k2p40); }, "header",
         "key/value count 1099511627776 cannot fit"},
        {"string length 2^32", [](std::string& b) { put64(b, keyValueAt(b, "test.string") + 4, uint64_t(1) << 32); },
         "key 'test.string'", "claims 4294967296 bytes"},
        {"array length 2^40", [=](std::string& b) { put64(b, keyValueAt(b, "test.ints") + 8, k2p40); },
         "key 'test.ints'", "array length 1099511627776 cannot fit"},
        {"unknown value type", [](std::string& b) { put32(b, keyValueAt(b, "test.u16"), 13); }, "key 'test.u16'",
         "unknown value type 13"},
        {"unknown array item type", [](std::string& b) { put32(b, keyValueAt(b, "test.floats") + 4, 77); },
         "key 'test.floats'", "unknown value type 77"},
        {"bool value 2", [](std::string& b) { b[keyValueAt(b, "test.bool") + 4] = 2; }, "key 'test.bool'",
         "not 0 or 1"},
        {"duplicate key", [](std::string& b) { b[findString(b, "test.i8") + 8 + 5] = 'u'; }, "key 'test.u8'",
         "appears twice"},
        {"alignment 48", [](std::string& b) { put32(b, keyValueAt(b, "general.alignment") + 4, 48); },
         "key 'general.alignment'", "not a power of two"},
        {"alignment of type i32", [](std::string& b) { put32(b, keyValueAt(b, "general.alignment"), 5); },
         "key 'general.alignment'", "unsigned 32-bit"},
        {"unknown tensor type id", [](std::string& b) { put32(b, typeAt(b, "t.q4_k"), 4); }, "tensor 't.q4_k'",
         "unknown ggml type id 4"},
        {"n_dims 5", [](std::string& b) { put32(b, nDimsAt(b, "t.q8_0"), 5); }, "tensor 't.q8_0'", "5 dimensions"},
        {"a dimension of 0", [](std::string& b) { put64(b, dimAt(b, "t.f32", 1), 0); }, "tensor 't.f32'",
         "dimension 1 is 0"},
        {"element count overflow",
         [=](std::string& b) {
             put64(b, dimAt(b, "t.f32", 0), k2p40);
             put64(b, dimAt(b, "t.f32", 1), uint64_t(1) << 20);
         },
         "tensor 't.f32'", "more than 2^48 values"},
        {"row not a multiple of the block", [](std::string& b) { put64(b, dimAt(b, "t.q4_k", 0), 100); },
         "tensor 't.q4_k'", "100 values per row, not a multiple of Q4_K's block of 256"},
        {"duplicate tensor name", [](std::string& b) { b[findString(b, "t.q4_1") + 8 + 5] = '0'; }, "tensor 't.q4_0'",
         "appears twice"},
        {"offset past the end", [=](std::string& b) { put64(b, offsetAt(b, "t.f32"), k2p40); }, "tensor 't.f32'",
         "runs past the end of the file"},
        {"misaligned offset",
         [](std::string& b) { put64(b, offsetAt(b, "t.f16"), get64(b, offsetAt(b, "t.f16")) + 32); }, "tensor 't.f16'",
         "not a multiple of the alignment (64)"},
        {"overlapping tensors",
         [](std::string& b) { put64(b, offsetAt(b, "t.q4_1"), get64(b, offsetAt(b, "t.q4_0")) + 64); },
         "tensor 't.q4_1'", "overlaps tensor 't.q4_0'"},
        // Truncation at more places: each names what it was reading and the byte offset.
        {"truncated in the version", [](std::string& b) { b.resize(6); }, "header",
         "the version (needs 4 bytes at offset 4"},
        {"truncated in tensor_count", [](std::string& b) { b.resize(12); }, "header", "the tensor count"},
        {"truncated in a value type", [](std::string& b) { b.resize(keyValueAt(b, "test.floats") + 2); },
         "key 'test.floats'", "the value type"},
        {"truncated in an f64 value", [](std::string& b) { b.resize(keyValueAt(b, "test.f64") + 4 + 5); },
         "key 'test.f64'", "an f64 value (needs 8 bytes at offset 395, 5 left)"},
        {"truncated in a tensor name", [](std::string& b) { b.resize(findString(b, "t.q4_k") + 8 + 2); }, "tensor #",
         "claims 6 bytes, but only 2 are left"},
        {"truncated in a tensor's type", [](std::string& b) { b.resize(typeAt(b, "t.q8_0") + 2); }, "tensor 't.q8_0'",
         "the tensor type"},
        {"truncated in a tensor's offset", [](std::string& b) { b.resize(offsetAt(b, "t.q8_0") + 5); },
         "tensor 't.q8_0'", "the data offset"},
        {"truncated inside a tensor's data",
         [](std::string& b) { b.resize(dataStart(b) + get64(b, offsetAt(b, "t.q4_0")) + 100); }, "tensor 't.q4_0'",
         "runs past the end of the file"},
        // Absurd counts and lengths: refused against the bytes left before anything is allocated.
        {"tensor_count 2^64-1", [](std::string& b) { put64(b, 8, ~uint64_t(0)); }, "header",
         "tensor count 18446744073709551615 cannot fit"},
        {"key name length 2^40", [=](std::string& b) { put64(b, findString(b, "test.u16"), k2p40); }, "key #",
         "key name claims 1099511627776 bytes"},
        {"tensor name length 2^32", [](std::string& b) { put64(b, findString(b, "t.q8_0"), uint64_t(1) << 32); },
         "tensor #", "tensor name claims 4294967296 bytes"},
        {"string item length 2^32",
         [](std::string& b) { put64(b, keyValueAt(b, "test.strings") + 4 + 4 + 8, uint64_t(1) << 32); },
         "key 'test.strings'", "claims 4294967296 bytes"},
        {"nested array length 2^40",
         [=](std::string& b) { put64(b, keyValueAt(b, "test.nested") + 4 + 4 + 8 + 4, k2p40); }, "key 'test.nested'",
         "array length 1099511627776 cannot fit"},
        {"array length 2^64-1", [](std::string& b) { put64(b, keyValueAt(b, "test.floats") + 8, ~uint64_t(0)); },
         "key 'test.floats'", "array length 18446744073709551615 cannot fit"},
        {"n_dims 2^32-1", [](std::string& b) { put32(b, nDimsAt(b, "t.q8_0"), ~uint32_t(0)); }, "tensor 't.q8_0'",
         "4294967295 dimensions"},
        {"a dimension of 2^63", [](std::string& b) { put64(b, dimAt(b, "t.f16", 0), uint64_t(1) << 63); },
         "tensor 't.f16'", "dimension 0 is 9223372036854775808"},
        {"10^12 values of F32",
         [](std::string& b) {
             put64(b, dimAt(b, "t.f32", 0), 1000000);
             put64(b, dimAt(b, "t.f32", 1), 1000000);
         },
         "tensor 't.f32'", "(4000000000000 bytes) runs past the end of the file"},
        {"10^12 values of Q8_0",
         [](std::string& b) {
             put64(b, dimAt(b, "t.q8_0", 0), 1000000);
             put64(b, dimAt(b, "t.q8_0", 1), 1000000);
             put64(b, dimAt(b, "t.q8_0", 2), 1);
         },
         "tensor 't.q8_0'", "(1062500000000 bytes) runs past the end of the file"},
        {"tensor type id 42", [](std::string& b) { put32(b, typeAt(b, "t.q4_k"), 42); }, "tensor 't.q4_k'",
         "unknown ggml type id 42"},
        {"tensor type id 2^32-1", [](std::string& b) { put32(b, typeAt(b, "t.q4_k"), ~uint32_t(0)); },
         "tensor 't.q4_k'", "unknown ggml type id 4294967295"},
        // Rows that are not a whole number of blocks, for each block size.
        {"Q4_0 row of 48", [](std::string& b) { put64(b, dimAt(b, "t.q4_0", 0), 48); }, "tensor 't.q4_0'",
         "48 values per row, not a multiple of Q4_0's block of 32"},
        {"Q8_0 row of 40", [](std::string& b) { put64(b, dimAt(b, "t.q8_0", 0), 40); }, "tensor 't.q8_0'",
         "40 values per row, not a multiple of Q8_0's block of 32"},
        {"Q2_K row of 32", [](std::string& b) { put64(b, dimAt(b, "t.q2_k", 0), 32); }, "tensor 't.q2_k'",
         "32 values per row, not a multiple of Q2_K's block of 256"},
        {"Q6_K row of 384", [](std::string& b) { put64(b, dimAt(b, "t.q6_k", 0), 384); }, "tensor 't.q6_k'",
         "384 values per row, not a multiple of Q6_K's block of 256"},
        // Data ranges.
        {"offset 2^64-64", [](std::string& b) { put64(b, offsetAt(b, "t.f32"), ~uint64_t(63)); }, "tensor 't.f32'",
         "data at offset 18446744073709551552 (3072 bytes) runs past the end of the file"},
        {"two tensors at one offset",
         [](std::string& b) { put64(b, offsetAt(b, "t.q5_0"), get64(b, offsetAt(b, "t.q4_1"))); }, "tensor 't.q",
         "overlaps tensor 't.q"},
        {"overlapping a tensor further back", [](std::string& b) { put64(b, offsetAt(b, "t.f32_1d"), 64); },
         "tensor 't.f32_1d'", "overlaps tensor 't.f32' [0, 3072)"},
    };
}

}  // namespace

class TestGguf : public QObject {
    Q_OBJECT
private slots:
    void metadataOfEveryValueType() {
        GgufFile f(kDataDir + "/types.gguf");
        QCOMPARE(f.version(), 3u);
        QCOMPARE(f.alignment(), 64u);
        QCOMPARE(f.getString("general.architecture"), std::string("prunescope-test"));
        QCOMPARE(f.getInt("test.u8"), int64_t(200));
        QCOMPARE(f.getInt("test.i8"), int64_t(-100));
        QCOMPARE(f.getInt("test.u16"), int64_t(60000));
        QCOMPARE(f.getInt("test.i16"), int64_t(-30000));
        QCOMPARE(f.getInt("test.u32"), int64_t(4000000000));
        QCOMPARE(f.getInt("test.i32"), int64_t(-2000000000));
        QCOMPARE(f.getInt("test.i64"), -(int64_t(1) << 62));
        QCOMPARE(f.metadata()["test.u64"].get<uint64_t>(), (uint64_t(1) << 63) + 5);
        QVERIFY(f.metadata()["test.u32"].is_number_unsigned());
        QVERIFY(f.metadata()["test.i32"].is_number_integer() && !f.metadata()["test.i32"].is_number_unsigned());
        QCOMPARE(f.getFloat("test.f32"), 1.5);
        QCOMPARE(f.getFloat("test.f64"), -2.25e100);
        QCOMPARE(f.getFloat("test.i16"), -30000.0);
        QCOMPARE(f.getBool("test.bool"), true);
        QCOMPARE(f.getString("test.string"), std::string("h\xc3\xa9llo, GGUF"));
        QCOMPARE(f.metadata()["test.strings"], nlohmann::json({"a", "bc", ""}));
        QCOMPARE(f.metadata()["test.ints"], nlohmann::json({1, -2, 3}));
        QCOMPARE(f.metadata()["test.floats"], nlohmann::json({0.5, -1.25}));
        QCOMPARE(f.metadata()["test.nested"], nlohmann::json::parse("[[1, 2], [3]]"));
        QVERIFY(f.has("test.nested") && !f.has("test.none"));
    }

    void gettersNameTheKey() {
        GgufFile f(kDataDir + "/types.gguf");
        auto expectError = [&](const std::function<void()>& call, const std::string& key, const std::string& text) {
            try {
                call();
                QFAIL(("no error for " + key).c_str());
            } catch (const Error& e) {
                QCOMPARE(e.file(), f.path().string());
                QCOMPARE(e.place(), "key '" + key + "'");
                QVERIFY2(std::string(e.what()).find(text) != std::string::npos, e.what());
            }
        };
        expectError([&] { f.getInt("llama.block_count"); }, "llama.block_count", "missing");
        expectError([&] { f.getString("test.u8"); }, "test.u8", "not a string");
        expectError([&] { f.getInt("test.f32"); }, "test.f32", "not an integer");
        expectError([&] { f.getInt("test.u64"); }, "test.u64", "does not fit in int64");
        expectError([&] { f.getBool("test.string"); }, "test.string", "not a bool");
        expectError([&] { f.getFloat("test.strings"); }, "test.strings", "not a number");
    }

    void tensorInfos() {
        GgufFile f(kDataDir + "/types.gguf");
        QCOMPARE(f.tensors().size(), size_t(15));
        const GgufTensorInfo* q8 = f.find("t.q8_0");
        QVERIFY(q8 != nullptr);
        QCOMPARE(q8->dims, (std::vector<int64_t>{64, 2, 3}));
        QCOMPARE(q8->type, GgmlType::Q8_0);
        QCOMPARE(q8->numel(), int64_t(384));
        QCOMPARE(q8->rows(), int64_t(6));
        QCOMPARE(q8->nbytes, uint64_t(12 * 34));
        QCOMPARE(f.find("t.f32_1d")->rows(), int64_t(1));
        QVERIFY(f.find("nope") == nullptr);
        for (const auto& t : f.tensors()) QCOMPARE(t.offset % 64, uint64_t(0));
        QCOMPARE(std::string(ggmlTypeName(GgmlType::Q4_K)), std::string("Q4_K"));
        QCOMPARE(std::string(ggmlTypeName(static_cast<GgmlType>(42))), std::string("type 42"));
        QVERIFY(!ggmlTypeKnown(4) && ggmlTypeKnown(30));
    }

    // Every tensor of types.gguf against gguf.quants.dequantize() of the same bytes
    // (expected.gguf).
    void dequantizeMatchesReference() {
        GgufFile types(kDataDir + "/types.gguf");
        GgufFile expected(kDataDir + "/expected.gguf");
        QCOMPARE(expected.tensors().size(), size_t(14));
        std::map<std::string, bool> covered;
        for (const auto& ref : expected.tensors()) {
            QCOMPARE(ref.type, GgmlType::F32);
            const GgufTensorInfo* t = types.find(ref.name);
            QVERIFY2(t != nullptr, ref.name.c_str());
            QCOMPARE(t->dims, ref.dims);
            const std::vector<float> got = types.dequantize(*t);
            const std::vector<float> want = expected.dequantize(ref);
            QCOMPARE(got.size(), want.size());
            double maxAbs = 0, maxRel = 0;
            int64_t inexact = 0;
            for (size_t i = 0; i < got.size(); ++i) {
                if (std::isnan(want[i])) {
                    QVERIFY2(std::isnan(got[i]), ref.name.c_str());
                    continue;
                }
                if (got[i] == want[i]) continue;  // includes infinities of the same sign
                ++inexact;
                const double diff = std::fabs(double(got[i]) - double(want[i]));
                maxAbs = std::max(maxAbs, diff);
                maxRel = std::max(maxRel, diff / std::max(std::fabs(double(want[i])), 1e-30));
            }
            qInfo(
                "%-8s %-9s %5zu values: largest difference %.3g (relative %.3g), %lld not "
                "bit-exact",
                ggmlTypeName(t->type), ref.name.c_str(), got.size(), maxAbs, maxRel, static_cast<long long>(inexact));
            QVERIFY2(maxRel <= 1e-6, ref.name.c_str());
            covered[ggmlTypeName(t->type)] = true;
        }
        for (const char* type :
             {"F32", "F16", "BF16", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K"}) {
            QVERIFY2(covered.count(type), type);
        }
    }

    void rowRangesAndThreads() {
        GgufFile f(kDataDir + "/types.gguf");
        for (const char* name : {"t.q4_k", "t.q8_0", "t.q3_k"}) {
            const GgufTensorInfo& t = *f.find(name);
            const std::vector<float> all = f.dequantize(t);
            const int64_t len = t.rowLength();
            std::vector<float> part(static_cast<size_t>(2 * len));
            f.dequantizeRows(t, 1, 2, part.data());
            QVERIFY(std::equal(part.begin(), part.end(), all.begin() + len));
            // One row per thread.
            std::vector<float> split(all.size());
            std::vector<std::thread> threads;
            for (int64_t r = 0; r < t.rows(); ++r) {
                threads.emplace_back([&, r] { f.dequantizeRows(t, r, 1, split.data() + r * len); });
            }
            for (auto& th : threads) th.join();
            QVERIFY(split == all);
        }
        float dummy[256];
        QVERIFY_THROWS_EXCEPTION(Error, f.dequantizeRows(*f.find("t.q2_k"), 3, 1, dummy));
        QVERIFY_THROWS_EXCEPTION(Error, f.dequantizeRows(*f.find("t.q2_k"), -1, 1, dummy));
    }

    void unsupportedTypeIsNamed() {
        GgufFile f(kDataDir + "/types.gguf");
        const GgufTensorInfo* t = f.find("t.iq4_nl");
        QVERIFY(t != nullptr);
        QCOMPARE(t->type, GgmlType::IQ4_NL);
        try {
            f.dequantize(*t);
            QFAIL("no error");
        } catch (const Error& e) {
            QCOMPARE(e.place(), std::string("tensor 't.iq4_nl'"));
            QCOMPARE(e.message(), std::string("has type IQ4_NL, which Prunescope cannot read yet"));
            QVERIFY2(e.hint().find("llama-quantize") != std::string::npos, e.what());
        }
    }

    // A real llama.cpp conversion (karpathy's stories260K; see its SOURCES.md).
    void realFileStories260K() {
        const std::string path = std::string(PRUNESCOPE_SHARED_DATA_DIR) + "/models/stories260K/stories260K.gguf";
        if (!std::filesystem::exists(path)) QSKIP(("not found: " + path + " (the shared data folder)").c_str());
        GgufFile f(path);
        QCOMPARE(f.version(), 3u);
        QCOMPARE(f.tensors().size(), size_t(48));
        QCOMPARE(f.getString("general.architecture"), std::string("llama"));
        QCOMPARE(f.getInt("llama.block_count"), int64_t(5));
        QCOMPARE(f.getInt("llama.embedding_length"), int64_t(64));
        QCOMPARE(f.metadata()["tokenizer.ggml.tokens"].size(), size_t(512));
        QCOMPARE(f.metadata()["tokenizer.ggml.tokens"][1].get<std::string>(), std::string("<s>"));
        const GgufTensorInfo* down = f.find("blk.0.ffn_down.weight");
        QVERIFY(down != nullptr);
        QCOMPARE(down->dims, (std::vector<int64_t>{172, 64}));
        for (const auto& t : f.tensors()) {
            for (float v : f.dequantize(t)) QVERIFY2(std::isfinite(v), t.name.c_str());
        }
    }

    void malformed_data() {
        QTest::addColumn<int>("index");
        const auto cases = malformedCases();
        for (size_t i = 0; i < cases.size(); ++i) QTest::newRow(cases[i].name) << static_cast<int>(i);
    }

    // Each mutation of types.gguf must be refused with an Error naming the file and the place.
    void malformed() {
        QFETCH(int, index);
        const Malformed c = malformedCases()[static_cast<size_t>(index)];
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const std::string path = dir.filePath("bad.gguf").toStdString();
        std::string bytes = readBytes(kDataDir + "/types.gguf");
        c.mutate(bytes);
        writeBytes(path, bytes);
        try {
            GgufFile f(path);
            QFAIL("opened without an error");
        } catch (const Error& e) {
            qInfo("%s", e.what());
            QCOMPARE(e.file(), path);
            QVERIFY2(std::string(e.what()).rfind(path + ": " + e.place() + ": ", 0) == 0, e.what());
            QVERIFY2(e.place().find(c.place) != std::string::npos, e.what());
            QVERIFY2(std::string(e.what()).find(c.text) != std::string::npos, e.what());
        }
    }

    // Every truncation inside the header and tensor infos (and a sample in the data) is an Error;
    // every single-byte corruption there is an Error or a file whose tensors all read in bounds
    // (the sanitizer builds check the "in bounds").
    void corruptionsNeverCrash() {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const std::string path = dir.filePath("bad.gguf").toStdString();
        const std::string good = readBytes(kDataDir + "/types.gguf");
        const size_t infosEnd = offsetAt(good, "t.iq4_nl") + 8;
        // Cutting only the padding after the last tensor's data leaves a valid file.
        size_t dataEnd = 0;
        {
            GgufFile f(kDataDir + "/types.gguf");
            const size_t dataStart = (infosEnd + f.alignment() - 1) / f.alignment() * f.alignment();
            for (const auto& t : f.tensors()) dataEnd = std::max<size_t>(dataEnd, dataStart + t.offset + t.nbytes);
        }
        int errors = 0, opened = 0;
        for (size_t n = 0; n < dataEnd; n += n < infosEnd ? 1 : 97) {
            writeBytes(path, good.substr(0, n));
            QVERIFY_THROWS_EXCEPTION(Error, GgufFile{path});
            ++errors;
        }
        std::vector<float> out;
        for (size_t at = 0; at < infosEnd; ++at) {
            std::string bytes = good;
            bytes[at] = static_cast<char>(bytes[at] ^ 0xFF);
            writeBytes(path, bytes);
            try {
                GgufFile f(path);
                for (const auto& t : f.tensors()) {
                    if (!ggmlCanDequantize(t.type)) continue;
                    out.resize(static_cast<size_t>(t.numel()));
                    f.dequantizeRows(t, 0, t.rows(), out.data());
                }
                ++opened;
            } catch (const Error&) {
                ++errors;
            }
        }
        qInfo("%d corrupt or truncated files refused, %d single-byte corruptions still valid", errors, opened);
    }

    void missingFile() {
        try {
            GgufFile f("/nonexistent/model.gguf");
            QFAIL("no error");
        } catch (const Error& e) {
            QCOMPARE(e.file(), std::string("/nonexistent/model.gguf"));
            QCOMPARE(e.message(), std::string("no such file"));
        }
    }
};

QTEST_APPLESS_MAIN(TestGguf)
#include "test_gguf.moc"
