// GGUF (llama.cpp's model format, versions 2 and 3): a header, typed key/value metadata, tensor
// infos, then the tensor data, aligned. The file is memory-mapped and fully validated on opening;
// tensors are read by dequantizing rows to float32. No torch and no Qt here.
//
// Layout (little-endian):
//   "GGUF" u32 version  u64 tensor_count  u64 kv_count
//   kv_count x  { string key, u32 value_type, value }      string = u64 length + bytes (no NUL)
//   tensor_count x { string name, u32 n_dims, u64 dims[n_dims], u32 ggml_type, u64 offset }
//   padding to general.alignment (default 32), then the data section; offsets are relative to it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

namespace prunescope {

// ggml's type ids as stored in GGUF files. Ids missing here (4, 5, 31-33, 36-38: types ggml
// removed) are rejected when the file is opened.
// clang-format off
enum class GgmlType : uint32_t {
    F32 = 0, F16 = 1, Q4_0 = 2, Q4_1 = 3, Q5_0 = 6, Q5_1 = 7, Q8_0 = 8, Q8_1 = 9,
    Q2_K = 10, Q3_K = 11, Q4_K = 12, Q5_K = 13, Q6_K = 14, Q8_K = 15,
    IQ2_XXS = 16, IQ2_XS = 17, IQ3_XXS = 18, IQ1_S = 19, IQ4_NL = 20, IQ3_S = 21, IQ2_S = 22,
    IQ4_XS = 23, I8 = 24, I16 = 25, I32 = 26, I64 = 27, F64 = 28, IQ1_M = 29, BF16 = 30,
    TQ1_0 = 34, TQ2_0 = 35, MXFP4 = 39, NVFP4 = 40, Q1_0 = 41,
};
// clang-format on

const char* ggmlTypeName(GgmlType type);  // "F32", "Q4_K", ...; "type 42" for an unknown id
bool ggmlTypeKnown(uint32_t id);          // in ggml's enum today
int64_t ggmlBlockSize(GgmlType type);     // values per block (1, 32, 256, ...); 0 if unknown
int64_t ggmlTypeSize(GgmlType type);      // bytes per block; 0 if unknown
bool ggmlCanDequantize(GgmlType type);    // GgufFile::dequantizeRows reads this type

struct GgufTensorInfo {
    std::string name;
    std::vector<int64_t> dims;  // as stored: dims[0] is the fastest-varying (ggml ne[0])
    GgmlType type = GgmlType::F32;
    uint64_t offset = 0;  // relative to the data section
    uint64_t nbytes = 0;
    int64_t numel() const;
    int64_t rowLength() const { return dims.empty() ? 1 : dims[0]; }
    int64_t rows() const;  // numel / rowLength
};

class MappedFile;

class GgufFile {
public:
    // Maps and validates the whole file (header, every key, every tensor info, the data ranges);
    // every problem is an Error naming the file and the place ("header", "key 'x'", "tensor 'y'").
    explicit GgufFile(const std::filesystem::path& path);
    ~GgufFile();
    GgufFile(GgufFile&&) noexcept;
    GgufFile& operator=(GgufFile&&) noexcept;

    const std::filesystem::path& path() const { return m_path; }
    uint32_t version() const { return m_version; }
    uint32_t alignment() const { return m_alignment; }

    // Every key/value: strings as JSON strings, integers as JSON integers (signedness kept), floats
    // as JSON numbers, bools, arrays as JSON arrays (nested arrays allowed).
    const nlohmann::json& metadata() const { return m_metadata; }
    bool has(const std::string& key) const { return m_metadata.contains(key); }
    // An Error names the file and "key '...'" when the key is missing or of another type.
    std::string getString(const std::string& key) const;
    int64_t getInt(const std::string& key) const;   // any integer type
    double getFloat(const std::string& key) const;  // float or integer
    bool getBool(const std::string& key) const;

    const std::vector<GgufTensorInfo>& tensors() const { return m_tensors; }
    const GgufTensorInfo* find(const std::string& name) const;
    const uint8_t* rawData(const GgufTensorInfo& info) const;  // the tensor's bytes in the mapping

    // Dequantizes rows [firstRow, firstRow + nRows) (a row = dims[0] values) into out
    // (nRows * dims[0] floats). Const with no shared state: callers may split a tensor across
    // threads. Types ggmlCanDequantize() refuses throw an Error naming the tensor and the type.
    void dequantizeRows(const GgufTensorInfo& info, int64_t firstRow, int64_t nRows, float* out) const;
    std::vector<float> dequantize(const GgufTensorInfo& info) const;  // all rows

private:
    void checkReadable(const GgufTensorInfo& info) const;

    std::filesystem::path m_path;
    std::unique_ptr<MappedFile> m_map;
    uint32_t m_version = 0;
    uint32_t m_alignment = 32;
    uint64_t m_dataOffset = 0;  // start of the data section in the file
    nlohmann::json m_metadata = nlohmann::json::object();
    std::vector<GgufTensorInfo> m_tensors;
    std::unordered_map<std::string, size_t> m_index;
};

// Block decoders (gguf_dequant.cpp): `nBlocks` consecutive blocks of `type` at `src` into
// nBlocks * ggmlBlockSize(type) floats. `src` needs no alignment. Precondition: ggmlCanDequantize.
void ggmlDequantizeBlocks(GgmlType type, const uint8_t* src, int64_t nBlocks, float* out);
float ggmlHalfToFloat(uint16_t bits);

}  // namespace prunescope
