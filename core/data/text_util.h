// Small text helpers for the dataset readers: UTF-8 validation, trimming, line splitting, and a
// portable seeded random generator (std:: distributions differ between standard libraries).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace prunescope::detail {

// Byte offset of the first byte that does not start a valid UTF-8 sequence (overlong forms,
// surrogates and code points above U+10FFFF are invalid), or std::string_view::npos.
size_t findInvalidUtf8(std::string_view text);
// "invalid UTF-8 byte 0xFF at column 12" for the bad byte at `offset` of a line.
std::string describeInvalidUtf8(std::string_view line, size_t offset);

std::string_view trimView(std::string_view text);  // ASCII white space on both ends
std::string trim(std::string_view text);
std::string toLower(std::string_view text);
std::string_view stripBom(std::string_view text);  // a leading UTF-8 byte order mark

// The longest line a dataset file may have. Real records are a few KB at most; a longer line is a
// corrupt file or not a dataset, and parsing and tokenizing it would take many times its size in
// memory.
constexpr size_t kMaxLineBytes = size_t(16) << 20;
// A file that is one JSON array (SciQ, TruthfulQA's mc_task.json, any dataset exported as one
// array) may be written on one line: its line may be this long (SciQ's train split is 7 MB).
constexpr size_t kMaxJsonArrayLineBytes = size_t(256) << 20;

// A dataset file's whole text, read in chunks. A line longer than the limit (kMaxLineBytes, or
// kMaxJsonArrayLineBytes when the file starts with '[') is an Error naming the file and the line
// as soon as the reading passes it: the rest of the file is never read.
std::string readDatasetText(const std::filesystem::path& file);

struct TextLine {
    int number = 0;         // 1-based
    std::string_view text;  // without "\n" or "\r\n"
};
std::vector<TextLine> splitLines(std::string_view text);

// "A, B, C, D"
std::string joinList(const std::vector<std::string>& items);

// SplitMix64 (Steele, Lea, Flood 2014): the same numbers on every platform.
class SplitMix64 {
public:
    explicit SplitMix64(uint64_t seed) : m_state(seed) {}
    uint64_t next();
    // Uniform-enough integer in [0, n) (n > 0); the modulo bias is below 2^-40 for n < 2^24.
    size_t below(size_t n) { return static_cast<size_t>(next() % n); }

private:
    uint64_t m_state;
};

uint64_t fnv1a64(std::string_view text);

// Fisher–Yates shuffle of 0..n-1 driven by `rng`.
std::vector<size_t> shuffledIndices(size_t n, SplitMix64& rng);

}  // namespace prunescope::detail
