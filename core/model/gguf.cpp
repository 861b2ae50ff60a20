#include "core/model/gguf.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <limits>

#include "core/util/error.h"
#include "core/util/mapped_file.h"

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the GGUF reader assumes a little-endian host"
#endif

namespace prunescope {
namespace {

struct TypeEntry {
    GgmlType type;
    const char* name;
    int64_t blockSize;  // values per block
    int64_t typeSize;   // bytes per block
    bool readable;      // dequantizeRows supports it
};

// clang-format off
// ggml's type traits (block sizes from ggml-common.h / gguf-py's GGML_QUANT_SIZES).
constexpr TypeEntry kTypes[] = {
    {GgmlType::F32, "F32", 1, 4, true},          {GgmlType::F16, "F16", 1, 2, true},
    {GgmlType::Q4_0, "Q4_0", 32, 18, true},      {GgmlType::Q4_1, "Q4_1", 32, 20, true},
    {GgmlType::Q5_0, "Q5_0", 32, 22, true},      {GgmlType::Q5_1, "Q5_1", 32, 24, true},
    {GgmlType::Q8_0, "Q8_0", 32, 34, true},      {GgmlType::Q8_1, "Q8_1", 32, 40, false},
    {GgmlType::Q2_K, "Q2_K", 256, 84, true},     {GgmlType::Q3_K, "Q3_K", 256, 110, true},
    {GgmlType::Q4_K, "Q4_K", 256, 144, true},    {GgmlType::Q5_K, "Q5_K", 256, 176, true},
    {GgmlType::Q6_K, "Q6_K", 256, 210, true},    {GgmlType::Q8_K, "Q8_K", 256, 292, false},
    {GgmlType::IQ2_XXS, "IQ2_XXS", 256, 66, false}, {GgmlType::IQ2_XS, "IQ2_XS", 256, 74, false},
    {GgmlType::IQ3_XXS, "IQ3_XXS", 256, 98, false}, {GgmlType::IQ1_S, "IQ1_S", 256, 50, false},
    {GgmlType::IQ4_NL, "IQ4_NL", 32, 18, false}, {GgmlType::IQ3_S, "IQ3_S", 256, 110, false},
    {GgmlType::IQ2_S, "IQ2_S", 256, 82, false},  {GgmlType::IQ4_XS, "IQ4_XS", 256, 136, false},
    {GgmlType::I8, "I8", 1, 1, false},           {GgmlType::I16, "I16", 1, 2, false},
    {GgmlType::I32, "I32", 1, 4, false},         {GgmlType::I64, "I64", 1, 8, false},
    {GgmlType::F64, "F64", 1, 8, false},         {GgmlType::IQ1_M, "IQ1_M", 256, 56, false},
    {GgmlType::BF16, "BF16", 1, 2, true},        {GgmlType::TQ1_0, "TQ1_0", 256, 54, false},
    {GgmlType::TQ2_0, "TQ2_0", 256, 66, false},  {GgmlType::MXFP4, "MXFP4", 32, 17, false},
    {GgmlType::NVFP4, "NVFP4", 64, 36, false},   {GgmlType::Q1_0, "Q1_0", 128, 18, false},
};
// clang-format on

const TypeEntry* typeEntry(uint32_t id) {
    for (const auto& e : kTypes) {
        if (static_cast<uint32_t>(e.type) == id) return &e;
    }
    return nullptr;
}

// GGUF metadata value types.
// clang-format off
enum ValueType : uint32_t {
    kU8 = 0, kI8 = 1, kU16 = 2, kI16 = 3, kU32 = 4, kI32 = 5, kF32 = 6, kBool = 7,
    kString = 8, kArray = 9, kU64 = 10, kI64 = 11, kF64 = 12,
};
// clang-format on

// Fewest bytes one value of the type takes in the file (for checking counts before allocating).
uint64_t minValueBytes(uint32_t type) {
    switch (type) {
        case kU8:
        case kI8:
        case kBool: return 1;
        case kU16:
        case kI16: return 2;
        case kU32:
        case kI32:
        case kF32: return 4;
        case kU64:
        case kI64:
        case kF64:
        case kString: return 8;  // a string: its u64 length
        case kArray: return 12;  // u32 type + u64 count
        default: return 0;
    }
}

constexpr int kMaxArrayDepth = 8;
constexpr uint32_t kMaxDims = 4;                         // GGML_MAX_DIMS
constexpr int64_t kMaxElements = int64_t(1) << 48;       // far beyond any real tensor
constexpr uint64_t kMinTensorInfoBytes = 8 + 4 + 4 + 8;  // name length, n_dims, type, offset
constexpr uint64_t kMinKeyValueBytes = 8 + 4 + 1;        // key length, type, smallest value

// A bounds-checked cursor over the mapped bytes; `place` names what is being read for errors.
class Reader {
public:
    Reader(const std::string& file, const uint8_t* data, uint64_t size) : m_file(file), m_data(data), m_size(size) {}

    std::string place = "header";

    uint64_t pos() const { return m_pos; }
    uint64_t left() const { return m_size - m_pos; }

    [[noreturn]] void fail(const std::string& message, const std::string& hint = {}) const {
        throw Error(m_file, place, message, hint);
    }
    void need(uint64_t n, const char* what) const {
        if (n > left()) {
            fail("file ends in the middle of " + std::string(what) + " (needs " + std::to_string(n) +
                     " bytes at offset " + std::to_string(m_pos) + ", " + std::to_string(left()) + " left)",
                 "the file is truncated; download or convert it again");
        }
    }
    template <typename T>
    T read(const char* what) {
        need(sizeof(T), what);
        T v;
        std::memcpy(&v, m_data + m_pos, sizeof(T));
        m_pos += sizeof(T);
        return v;
    }
    std::string readString(const char* what) {
        const uint64_t n = read<uint64_t>(what);
        if (n > left()) {
            fail(std::string(what) + " claims " + std::to_string(n) + " bytes, but only " + std::to_string(left()) +
                     " are left in the file",
                 "the file is truncated or corrupt");
        }
        std::string s(reinterpret_cast<const char*>(m_data + m_pos), static_cast<size_t>(n));
        m_pos += n;
        return s;
    }
    // Refuses `count` items of at least `itemBytes` each when the rest of the file cannot hold
    // them.
    void checkCount(uint64_t count, uint64_t itemBytes, const char* what) const {
        if (itemBytes != 0 && count > left() / itemBytes) {
            fail(std::string(what) + " " + std::to_string(count) + " cannot fit in the " + std::to_string(left()) +
                     " bytes left in the file",
                 "the file is truncated or corrupt");
        }
    }

private:
    std::string m_file;
    const uint8_t* m_data;
    uint64_t m_size;
    uint64_t m_pos = 0;
};

nlohmann::json readValue(Reader& r, uint32_t type, int depth) {
    switch (type) {
        case kU8: return r.read<uint8_t>("a u8 value");
        case kI8: return r.read<int8_t>("an i8 value");
        case kU16: return r.read<uint16_t>("a u16 value");
        case kI16: return r.read<int16_t>("an i16 value");
        case kU32: return r.read<uint32_t>("a u32 value");
        case kI32: return r.read<int32_t>("an i32 value");
        case kU64: return r.read<uint64_t>("a u64 value");
        case kI64: return r.read<int64_t>("an i64 value");
        case kF32: return r.read<float>("an f32 value");
        case kF64: return r.read<double>("an f64 value");
        case kBool: {
            const uint8_t b = r.read<uint8_t>("a bool value");
            if (b > 1) r.fail("bool value is " + std::to_string(b) + ", not 0 or 1");
            return b != 0;
        }
        case kString: return r.readString("string");
        case kArray: {
            if (depth >= kMaxArrayDepth) {
                r.fail("arrays nested deeper than " + std::to_string(kMaxArrayDepth) + " levels");
            }
            const uint32_t itemType = r.read<uint32_t>("an array's item type");
            if (minValueBytes(itemType) == 0) {
                r.fail("array of unknown value type " + std::to_string(itemType));
            }
            const uint64_t count = r.read<uint64_t>("an array's length");
            r.checkCount(count, minValueBytes(itemType), "array length");
            nlohmann::json items = nlohmann::json::array();
            items.get_ref<nlohmann::json::array_t&>().reserve(static_cast<size_t>(count));
            for (uint64_t i = 0; i < count; ++i) items.push_back(readValue(r, itemType, depth + 1));
            return items;
        }
        default:
            r.fail("unknown value type " + std::to_string(type),
                   "types 0-12 are defined; the file is corrupt or from a newer GGUF version");
    }
}

std::string shapeText(const std::vector<int64_t>& dims) {
    std::string text = "[";
    for (size_t i = 0; i < dims.size(); ++i) text += (i ? ", " : "") + std::to_string(dims[i]);
    return text + "]";
}

}  // namespace

const char* ggmlTypeName(GgmlType type) {
    if (const TypeEntry* e = typeEntry(static_cast<uint32_t>(type))) return e->name;
    // Unknown ids: a per-thread buffer keeps the returned pointer valid until the next call.
    thread_local char text[24];
    std::snprintf(text, sizeof text, "type %u", static_cast<unsigned>(type));
    return text;
}

bool ggmlTypeKnown(uint32_t id) {
    return typeEntry(id) != nullptr;
}

int64_t ggmlBlockSize(GgmlType type) {
    const TypeEntry* e = typeEntry(static_cast<uint32_t>(type));
    return e ? e->blockSize : 0;
}

int64_t ggmlTypeSize(GgmlType type) {
    const TypeEntry* e = typeEntry(static_cast<uint32_t>(type));
    return e ? e->typeSize : 0;
}

bool ggmlCanDequantize(GgmlType type) {
    const TypeEntry* e = typeEntry(static_cast<uint32_t>(type));
    return e && e->readable;
}

int64_t GgufTensorInfo::numel() const {
    int64_t n = 1;
    for (int64_t d : dims) n *= d;
    return n;
}

int64_t GgufTensorInfo::rows() const {
    const int64_t len = rowLength();
    return len == 0 ? 0 : numel() / len;
}

GgufFile::~GgufFile() = default;
GgufFile::GgufFile(GgufFile&&) noexcept = default;
GgufFile& GgufFile::operator=(GgufFile&&) noexcept = default;

GgufFile::GgufFile(const std::filesystem::path& path) : m_path(path) {
    const std::string file = path.string();
    m_map = std::make_unique<MappedFile>(path);
    const uint64_t fileSize = m_map->size();
    Reader r(file, m_map->data(), fileSize);

    // --- header
    r.need(4, "the magic");
    if (std::memcmp(m_map->data(), "GGUF", 4) != 0) {
        r.fail("not a GGUF file (the first 4 bytes are not \"GGUF\")");
    }
    r.read<uint32_t>("the magic");
    m_version = r.read<uint32_t>("the version");
    if (m_version == 1) {
        r.fail("GGUF version 1 is not supported (only versions 2 and 3)",
               "convert the model again with a current llama.cpp (convert_hf_to_gguf.py)");
    }
    if (m_version != 2 && m_version != 3) {
        const uint32_t swapped = __builtin_bswap32(m_version);
        if (swapped == 2 || swapped == 3) {
            r.fail("big-endian GGUF files are not supported",
                   "convert it with gguf-py's gguf-convert-endian to little-endian");
        }
        r.fail("unknown GGUF version " + std::to_string(m_version) + " (only versions 2 and 3)");
    }
    const uint64_t tensorCount = r.read<uint64_t>("the tensor count");
    const uint64_t kvCount = r.read<uint64_t>("the key/value count");
    r.checkCount(kvCount, kMinKeyValueBytes, "key/value count");
    r.checkCount(tensorCount, kMinTensorInfoBytes, "tensor count");

    // --- metadata
    for (uint64_t i = 0; i < kvCount; ++i) {
        r.place = "key #" + std::to_string(i);
        std::string key = r.readString("key name");
        r.place = "key '" + key + "'";
        if (m_metadata.contains(key)) r.fail("the key appears twice");
        const uint32_t type = r.read<uint32_t>("the value type");
        m_metadata[key] = readValue(r, type, 0);
    }
    if (m_metadata.contains("general.alignment")) {
        r.place = "key 'general.alignment'";
        const nlohmann::json& a = m_metadata["general.alignment"];
        if (!a.is_number_unsigned() || a.get<uint64_t>() > std::numeric_limits<uint32_t>::max()) {
            r.fail("must be an unsigned 32-bit integer");
        }
        const uint64_t align = a.get<uint64_t>();
        if (align == 0 || (align & (align - 1)) != 0) {
            r.fail("alignment " + std::to_string(align) + " is not a power of two");
        }
        m_alignment = static_cast<uint32_t>(align);
    }

    // --- tensor infos (tensorCount was checked against the file size above)
    m_tensors.reserve(static_cast<size_t>(tensorCount));
    for (uint64_t i = 0; i < tensorCount; ++i) {
        r.place = "tensor #" + std::to_string(i);
        GgufTensorInfo info;
        info.name = r.readString("tensor name");
        r.place = "tensor '" + info.name + "'";
        if (m_index.count(info.name)) r.fail("the tensor name appears twice");
        const uint32_t nDims = r.read<uint32_t>("the number of dimensions");
        if (nDims > kMaxDims) {
            r.fail("has " + std::to_string(nDims) + " dimensions; GGUF allows at most " + std::to_string(kMaxDims));
        }
        int64_t numel = 1;
        for (uint32_t d = 0; d < nDims; ++d) {
            const uint64_t dim = r.read<uint64_t>("the dimensions");
            if (dim == 0 || dim > static_cast<uint64_t>(kMaxElements)) {
                r.fail("dimension " + std::to_string(d) + " is " + std::to_string(dim) +
                       " (must be between 1 and 2^48)");
            }
            info.dims.push_back(static_cast<int64_t>(dim));
            if (numel > kMaxElements / static_cast<int64_t>(dim)) {
                r.fail("has more than 2^48 values (dimensions " + shapeText(info.dims) + "...)");
            }
            numel *= static_cast<int64_t>(dim);
        }
        const uint32_t typeId = r.read<uint32_t>("the tensor type");
        const TypeEntry* entry = typeEntry(typeId);
        if (entry == nullptr) {
            r.fail("unknown ggml type id " + std::to_string(typeId),
                   "the file is corrupt, or uses a type newer than Prunescope knows");
        }
        info.type = entry->type;
        if (info.rowLength() % entry->blockSize != 0) {
            r.fail("has " + std::to_string(info.rowLength()) + " values per row, not a multiple of " + entry->name +
                   "'s block of " + std::to_string(entry->blockSize));
        }
        info.offset = r.read<uint64_t>("the data offset");
        if (info.offset % m_alignment != 0) {
            r.fail("data offset " + std::to_string(info.offset) + " is not a multiple of the alignment (" +
                   std::to_string(m_alignment) + ")");
        }
        // numel < 2^48 and typeSize <= 292, so this cannot overflow.
        info.nbytes = static_cast<uint64_t>(numel / entry->blockSize * entry->typeSize);
        m_index.emplace(info.name, m_tensors.size());
        m_tensors.push_back(std::move(info));
    }

    // --- data section: starts at the aligned end of the tensor infos
    m_dataOffset = (r.pos() + m_alignment - 1) / m_alignment * m_alignment;
    const uint64_t dataSize = m_dataOffset <= fileSize ? fileSize - m_dataOffset : 0;
    std::vector<const GgufTensorInfo*> byOffset;
    byOffset.reserve(m_tensors.size());
    for (const auto& info : m_tensors) {
        r.place = "tensor '" + info.name + "'";
        if (info.offset > dataSize || info.nbytes > dataSize - info.offset) {
            // offset + nbytes may not fit in 64 bits: the offset and the size are named apart.
            r.fail("data at offset " + std::to_string(info.offset) + " (" + std::to_string(info.nbytes) +
                       " bytes) runs past the end of the file (" + std::to_string(dataSize) + " data bytes)",
                   "the file is truncated or corrupt");
        }
        byOffset.push_back(&info);
    }
    std::sort(byOffset.begin(), byOffset.end(),
              [](const GgufTensorInfo* a, const GgufTensorInfo* b) { return a->offset < b->offset; });
    for (size_t i = 1; i < byOffset.size(); ++i) {
        const GgufTensorInfo& prev = *byOffset[i - 1];
        if (byOffset[i]->offset < prev.offset + prev.nbytes) {
            r.place = "tensor '" + byOffset[i]->name + "'";
            r.fail("data at offset " + std::to_string(byOffset[i]->offset) + " overlaps tensor '" + prev.name + "' [" +
                   std::to_string(prev.offset) + ", " + std::to_string(prev.offset + prev.nbytes) + ")");
        }
    }
}

namespace {

[[noreturn]] void keyError(const std::filesystem::path& path, const std::string& key, const nlohmann::json& meta,
                           const char* wanted) {
    const auto it = meta.find(key);
    throw Error(path.string(), "key '" + key + "'",
                it == meta.end() ? std::string("missing") : std::string("is a ") + it->type_name() + ", not " + wanted);
}

}  // namespace

std::string GgufFile::getString(const std::string& key) const {
    const auto it = m_metadata.find(key);
    if (it == m_metadata.end() || !it->is_string()) keyError(m_path, key, m_metadata, "a string");
    return it->get<std::string>();
}

int64_t GgufFile::getInt(const std::string& key) const {
    const auto it = m_metadata.find(key);
    if (it == m_metadata.end() || !it->is_number_integer()) keyError(m_path, key, m_metadata, "an integer");
    if (it->is_number_unsigned() && it->get<uint64_t>() > uint64_t(std::numeric_limits<int64_t>::max())) {
        throw Error(m_path.string(), "key '" + key + "'", "value " + it->dump() + " does not fit in int64");
    }
    return it->get<int64_t>();
}

double GgufFile::getFloat(const std::string& key) const {
    const auto it = m_metadata.find(key);
    if (it == m_metadata.end() || !it->is_number()) keyError(m_path, key, m_metadata, "a number");
    return it->get<double>();
}

bool GgufFile::getBool(const std::string& key) const {
    const auto it = m_metadata.find(key);
    if (it == m_metadata.end() || !it->is_boolean()) keyError(m_path, key, m_metadata, "a bool");
    return it->get<bool>();
}

const GgufTensorInfo* GgufFile::find(const std::string& name) const {
    const auto it = m_index.find(name);
    return it == m_index.end() ? nullptr : &m_tensors[it->second];
}

const uint8_t* GgufFile::rawData(const GgufTensorInfo& info) const {
    const uint64_t size = m_map->size();
    const uint64_t dataSize = m_dataOffset <= size ? size - m_dataOffset : 0;
    if (info.offset > dataSize || info.nbytes > dataSize - info.offset) {
        throw Error(m_path.string(), "tensor '" + info.name + "'", "data range is outside this file");
    }
    return m_map->data() + m_dataOffset + info.offset;
}

void GgufFile::checkReadable(const GgufTensorInfo& info) const {
    if (!ggmlCanDequantize(info.type)) {
        throw Error(m_path.string(), "tensor '" + info.name + "'",
                    std::string("has type ") + ggmlTypeName(info.type) + ", which Prunescope cannot read yet",
                    "convert the model with llama.cpp's llama-quantize to Q8_0, Q4_K or F16");
    }
}

void GgufFile::dequantizeRows(const GgufTensorInfo& info, int64_t firstRow, int64_t nRows, float* out) const {
    const std::string place = "tensor '" + info.name + "'";
    checkReadable(info);
    const int64_t rows = info.rows();
    if (firstRow < 0 || nRows < 0 || firstRow > rows || nRows > rows - firstRow) {
        throw Error(m_path.string(), place,
                    "rows [" + std::to_string(firstRow) + ", " + std::to_string(firstRow + nRows) +
                        ") are outside the tensor's " + std::to_string(rows) + " rows");
    }
    const int64_t blockSize = ggmlBlockSize(info.type);
    const int64_t blocksPerRow = info.rowLength() / blockSize;
    const uint64_t rowBytes = static_cast<uint64_t>(blocksPerRow * ggmlTypeSize(info.type));
    if (static_cast<uint64_t>(rows) * rowBytes != info.nbytes) {
        throw Error(m_path.string(), place, "byte size does not match its shape and type");
    }
    if (nRows == 0) return;
    const uint8_t* src = rawData(info) + static_cast<uint64_t>(firstRow) * rowBytes;
    ggmlDequantizeBlocks(info.type, src, nRows * blocksPerRow, out);
}

std::vector<float> GgufFile::dequantize(const GgufTensorInfo& info) const {
    checkReadable(info);  // before allocating
    std::vector<float> out(static_cast<size_t>(info.numel()));
    dequantizeRows(info, 0, info.rows(), out.data());
    return out;
}

}  // namespace prunescope
