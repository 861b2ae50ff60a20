#include "core/model/safetensors.h"

#include <algorithm>
#include <cstring>

#include <torch/torch.h>
#include <nlohmann/json.hpp>

#include "core/util/error.h"
#include "core/util/files.h"
#include "core/util/mapped_file.h"

namespace prunescope {

namespace {

constexpr uint64_t kMaxHeaderBytes = 100u << 20;

struct DtypeEntry {
    const char* name;
    StDtype dtype;
    size_t size;
    c10::ScalarType scalar;
};

constexpr DtypeEntry kDtypes[] = {
    {"F64", StDtype::F64, 8, c10::kDouble}, {"F32", StDtype::F32, 4, c10::kFloat},
    {"F16", StDtype::F16, 2, c10::kHalf},   {"BF16", StDtype::BF16, 2, c10::kBFloat16},
    {"I64", StDtype::I64, 8, c10::kLong},   {"I32", StDtype::I32, 4, c10::kInt},
    {"I16", StDtype::I16, 2, c10::kShort},  {"I8", StDtype::I8, 1, c10::kChar},
    {"U8", StDtype::U8, 1, c10::kByte},     {"BOOL", StDtype::BOOL, 1, c10::kBool},
};

const DtypeEntry& entryFor(StDtype dtype) {
    for (const auto& e : kDtypes) {
        if (e.dtype == dtype) return e;
    }
    throw std::logic_error("unknown safetensors dtype");
}

const DtypeEntry* entryForScalar(c10::ScalarType scalar) {
    for (const auto& e : kDtypes) {
        if (e.scalar == scalar) return &e;
    }
    return nullptr;
}

std::string shapeText(const std::vector<int64_t>& shape) {
    std::string text = "[";
    for (size_t i = 0; i < shape.size(); ++i) text += (i ? ", " : "") + std::to_string(shape[i]);
    return text + "]";
}

StTensorInfo parseEntry(const std::string& file, const std::string& name, const nlohmann::json& v, uint64_t dataSize) {
    std::string place = "tensor '" + name + "'";
    if (!v.is_object()) throw Error(file, place, "header entry is not an object");
    StTensorInfo info;
    info.name = name;
    if (!v.contains("dtype") || !v["dtype"].is_string()) throw Error(file, place, "missing field 'dtype'");
    std::string dtype = v["dtype"].get<std::string>();
    const DtypeEntry* entry = nullptr;
    for (const auto& e : kDtypes) {
        if (dtype == e.name) entry = &e;
    }
    if (entry == nullptr) {
        throw Error(file, place, "unknown dtype '" + dtype + "'",
                    "supported: F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL");
    }
    info.dtype = entry->dtype;
    if (!v.contains("shape") || !v["shape"].is_array()) throw Error(file, place, "missing field 'shape'");
    for (const auto& d : v["shape"]) {
        if (!d.is_number_integer() || d.get<int64_t>() < 0) {
            throw Error(file, place, "field 'shape' holds a negative or non-integer size");
        }
        info.shape.push_back(d.get<int64_t>());
    }
    // The bytes the shape needs, refused when they overflow 64 bits (they would wrap to a small
    // number, even 0, and a shape of 2^64 values would pass as an empty tensor).
    uint64_t needed = std::find(info.shape.begin(), info.shape.end(), 0) != info.shape.end() ? 0 : entry->size;
    for (int64_t d : info.shape) {
        if (__builtin_mul_overflow(needed, static_cast<uint64_t>(d), &needed)) {
            throw Error(file, place, "shape " + shapeText(info.shape) + " of " + dtype + " needs more than 2^64 bytes");
        }
    }
    const auto& offsets = v.contains("data_offsets") ? v["data_offsets"] : nlohmann::json();
    if (!offsets.is_array() || offsets.size() != 2 || !offsets[0].is_number_unsigned() ||
        !offsets[1].is_number_unsigned()) {
        throw Error(file, place, "field 'data_offsets' must be two non-negative integers");
    }
    info.begin = offsets[0].get<uint64_t>();
    info.end = offsets[1].get<uint64_t>();
    if (info.end < info.begin) throw Error(file, place, "data_offsets end before they begin");
    if (info.end > dataSize) {
        throw Error(file, place,
                    "data_offsets [" + std::to_string(info.begin) + ", " + std::to_string(info.end) +
                        ") run past the end of the data (" + std::to_string(dataSize) + " bytes)",
                    "the file is truncated or corrupt");
    }
    if (info.end - info.begin != needed) {
        throw Error(file, place,
                    "holds " + std::to_string(info.end - info.begin) + " bytes, but shape " + shapeText(info.shape) +
                        " of " + dtype + " needs " + std::to_string(needed));
    }
    return info;
}

}  // namespace

const char* stDtypeName(StDtype dtype) {
    return entryFor(dtype).name;
}
size_t stDtypeSize(StDtype dtype) {
    return entryFor(dtype).size;
}

SafetensorsFile::SafetensorsFile(const std::filesystem::path& path) : m_path(path) {
    const std::string file = path.string();
    m_map = std::make_shared<MappedFile>(path);
    const uint64_t size = m_map->size();
    if (size < 8)
        throw Error(file, "header", "file is " + std::to_string(size) + " bytes, too short for a safetensors header");
    uint64_t headerLen = 0;
    for (int i = 7; i >= 0; --i) headerLen = (headerLen << 8) | m_map->data()[i];
    if (headerLen > size - 8) {
        throw Error(file, "header",
                    "header length " + std::to_string(headerLen) + " is beyond the file size (" + std::to_string(size) +
                        " bytes)",
                    "the file is truncated or not a safetensors file");
    }
    if (headerLen > kMaxHeaderBytes) {
        throw Error(file, "header",
                    "header length " + std::to_string(headerLen) + " is over the limit of " +
                        std::to_string(kMaxHeaderBytes) + " bytes",
                    "the safetensors library refuses headers over 100 MB too; the file is corrupt");
    }
    m_dataOffset = 8 + headerLen;
    const uint64_t dataSize = size - m_dataOffset;
    nlohmann::json header =
        parseJson(std::string_view(reinterpret_cast<const char*>(m_map->data() + 8), headerLen), file);
    if (!header.is_object()) throw Error(file, "header", "header is not a JSON object");
    for (auto it = header.begin(); it != header.end(); ++it) {
        if (it.key() == "__metadata__") {
            if (!it.value().is_object()) throw Error(file, "field '__metadata__'", "must be an object of strings");
            for (auto m = it.value().begin(); m != it.value().end(); ++m) {
                if (!m.value().is_string()) {
                    throw Error(file, "field '__metadata__." + m.key() + "'", "metadata values must be strings");
                }
                m_metadata[m.key()] = m.value().get<std::string>();
            }
            continue;
        }
        m_tensors.push_back(parseEntry(file, it.key(), it.value(), dataSize));
    }
    // Byte ranges must not overlap.
    std::vector<const StTensorInfo*> byOffset;
    for (const auto& t : m_tensors) byOffset.push_back(&t);
    std::sort(byOffset.begin(), byOffset.end(),
              [](const StTensorInfo* a, const StTensorInfo* b) { return a->begin < b->begin; });
    for (size_t i = 1; i < byOffset.size(); ++i) {
        if (byOffset[i]->begin < byOffset[i - 1]->end) {
            throw Error(file, "tensor '" + byOffset[i]->name + "'",
                        "data overlaps tensor '" + byOffset[i - 1]->name + "'", "the file is corrupt");
        }
    }
    for (size_t i = 0; i < m_tensors.size(); ++i) m_index[m_tensors[i].name] = i;
}

const StTensorInfo* SafetensorsFile::find(const std::string& name) const {
    auto it = m_index.find(name);
    return it == m_index.end() ? nullptr : &m_tensors[it->second];
}

at::Tensor SafetensorsFile::tensor(const std::string& name) const {
    const StTensorInfo* info = find(name);
    if (info == nullptr) throw Error(m_path.string(), "tensor '" + name + "'", "not in the file");
    const auto& entry = entryFor(info->dtype);
    uint8_t* ptr = m_map->data() + m_dataOffset + info->begin;
    auto options = torch::TensorOptions().dtype(entry.scalar);
    if (info->end == info->begin) return torch::empty(info->shape, options);
    auto keepAlive = m_map;
    auto view = torch::from_blob(
        ptr, info->shape, [keepAlive](void*) {}, options);
    if (reinterpret_cast<uintptr_t>(ptr) % entry.size != 0) return view.clone();
    return view;
}

void writeSafetensors(const std::filesystem::path& path, const std::vector<std::pair<std::string, at::Tensor>>& tensors,
                      const std::map<std::string, std::string>& metadata, std::optional<at::ScalarType> as) {
    nlohmann::json header = nlohmann::json::object();
    if (!metadata.empty()) header["__metadata__"] = metadata;
    uint64_t offset = 0;
    for (const auto& [name, t] : tensors) {
        const DtypeEntry* entry = entryForScalar(as.value_or(t.scalar_type()));
        if (entry == nullptr)
            throw Error(path.string(), "tensor '" + name + "'", "dtype cannot be stored in safetensors");
        uint64_t bytes = static_cast<uint64_t>(t.numel()) * entry->size;
        header[name] = {{"dtype", entry->name}, {"shape", t.sizes().vec()}, {"data_offsets", {offset, offset + bytes}}};
        offset += bytes;
    }
    std::string text = header.dump();
    while ((8 + text.size()) % 8 != 0) text.push_back(' ');
    uint8_t len[8];
    for (int i = 0; i < 8; ++i) len[i] = static_cast<uint8_t>(static_cast<uint64_t>(text.size()) >> (8 * i));
    AtomicFile out(path);
    out.stream().write(reinterpret_cast<const char*>(len), 8);
    out.stream().write(text.data(), static_cast<std::streamsize>(text.size()));
    for (const auto& [name, t] : tensors) {
        auto c = t.detach().to(torch::kCPU).to(as.value_or(t.scalar_type())).contiguous();  // one at a time
        out.stream().write(static_cast<const char*>(c.data_ptr()),
                           static_cast<std::streamsize>(c.numel() * c.element_size()));
    }
    out.commit();
}

}  // namespace prunescope
