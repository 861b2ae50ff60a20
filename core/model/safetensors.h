// safetensors: a JSON header (tensor name -> dtype, shape, byte range) followed by raw bytes.
// Files are memory-mapped copy-on-write: tensors point into the mapping (no second copy), and
// writes to them (fine-tuning) never reach the file.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

namespace prunescope {

enum class StDtype { F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL };

struct StTensorInfo {
    std::string name;
    StDtype dtype = StDtype::F32;
    std::vector<int64_t> shape;
    uint64_t begin = 0;  // byte offsets relative to the start of the data section
    uint64_t end = 0;
};

class MappedFile;

class SafetensorsFile {
public:
    // Maps and validates the file: header size, JSON, dtypes, shapes, offsets (in range, sized
    // right, not overlapping). Every problem is an Error naming the file and the tensor.
    explicit SafetensorsFile(const std::filesystem::path& path);

    const std::filesystem::path& path() const { return m_path; }
    const std::map<std::string, std::string>& metadata() const { return m_metadata; }
    const std::vector<StTensorInfo>& tensors() const { return m_tensors; }
    const StTensorInfo* find(const std::string& name) const;

    // A CPU tensor over the mapped bytes in the stored dtype (copied only when misaligned).
    at::Tensor tensor(const std::string& name) const;

private:
    std::filesystem::path m_path;
    std::shared_ptr<MappedFile> m_map;
    uint64_t m_dataOffset = 0;
    std::map<std::string, std::string> m_metadata;
    std::vector<StTensorInfo> m_tensors;
    std::map<std::string, size_t> m_index;
};

// Writes tensors (any CPU/GPU tensors of supported dtypes) with string metadata, atomically.
// With `as`, each tensor is converted to that dtype as it is written, one at a time (an 8B model
// saved in float32 never has a float32 copy of all its weights in memory).
void writeSafetensors(const std::filesystem::path& path, const std::vector<std::pair<std::string, at::Tensor>>& tensors,
                      const std::map<std::string, std::string>& metadata = {},
                      std::optional<at::ScalarType> as = std::nullopt);

const char* stDtypeName(StDtype dtype);
size_t stDtypeSize(StDtype dtype);

}  // namespace prunescope
