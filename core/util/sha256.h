// SHA-256 (FIPS 180-4), used for model and dataset fingerprints.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace prunescope {

class Sha256 {
public:
    Sha256();
    void update(const void* data, size_t size);
    void update(std::string_view text) { update(text.data(), text.size()); }
    std::array<uint8_t, 32> digest();
    std::string hexDigest();  // lowercase hex

private:
    void block(const uint8_t* p);
    std::array<uint32_t, 8> m_state;
    std::array<uint8_t, 64> m_buffer{};
    size_t m_buffered = 0;
    uint64_t m_length = 0;
};

std::string sha256Hex(std::string_view data);
std::string sha256File(const std::filesystem::path& path);

}  // namespace prunescope
