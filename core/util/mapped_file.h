// A private, copy-on-write memory mapping of a whole file: readers point into it without a second
// copy, and writes through it (fine-tuning in place) never reach the file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>

namespace prunescope {

class MappedFile {
public:
    // Opens the file read-only and maps it MAP_PRIVATE; an Error names the file when that fails.
    explicit MappedFile(const std::filesystem::path& path);
    ~MappedFile();
    MappedFile(const MappedFile&) = delete;
    MappedFile& operator=(const MappedFile&) = delete;

    uint8_t* data() const { return static_cast<uint8_t*>(m_data); }  // nullptr for an empty file
    size_t size() const { return m_size; }

private:
    void* m_data = nullptr;
    size_t m_size = 0;
};

}  // namespace prunescope
