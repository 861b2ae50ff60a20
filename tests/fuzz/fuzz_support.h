// Shared by the libFuzzer targets (docs/fuzzing.md): a scratch folder for the parsers that only
// read paths, and the texts every tokenizer encodes. A clean refusal (an exception) is never a
// finding; crashes, sanitizer reports, hangs and runaway memory are.
#pragma once

#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "core/tokenizer/tokenizer.h"
#include "core/util/log.h"

namespace prunescope::fuzz {

inline std::string_view asText(const uint8_t* data, size_t size) {
    return {reinterpret_cast<const char*>(data), size};
}

// This process's own folder under $PRUNESCOPE_FUZZ_TMP (set by scripts/fuzz.sh), else /dev/shm
// (memory, no disk writes per input), else the system's temporary folder. Removed at a normal exit;
// scripts/fuzz.sh removes what a crashed run leaves.
inline const std::filesystem::path& scratchDir() {
    // Never destroyed: the exit handler that removes the folder runs after static destructors.
    static const std::filesystem::path* const dir = [] {
        namespace fs = std::filesystem;
        fs::path root;
        if (const char* env = std::getenv("PRUNESCOPE_FUZZ_TMP"); env && *env) {
            root = env;
        } else if (std::error_code ec; fs::is_directory("/dev/shm", ec)) {
            root = "/dev/shm";
        } else {
            root = fs::temp_directory_path();
        }
        auto* d = new fs::path(root / ("prunescope-fuzz-" + std::to_string(::getpid())));
        fs::create_directories(*d);
        std::atexit([] {
            std::error_code ec;
            std::filesystem::remove_all(scratchDir(), ec);
        });
        return d;
    }();
    return *dir;
}

// Writes the bytes to `name` in scratchDir() (replacing it) and returns its path.
inline std::filesystem::path writeScratch(const std::string& name, std::string_view bytes) {
    const auto path = scratchDir() / name;
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    return path;
}

// No log records are formatted while fuzzing (the engine has no sinks here anyway).
inline void quietLogs() {
    log::setLevel(spdlog::level::off);
}

// Runs the encoder and the decoder of a tokenizer that loaded: a fixed text with the pieces that
// take special paths (spaces, digits, accents, emoji, invalid UTF-8, special-token spellings), a
// text taken from the input itself, and the decoded text of the first ids.
inline void exerciseTokenizer(const Tokenizer& tokenizer, std::string_view input) {
    static const std::string kSample =
        "Hello, world!  The caf\xc3\xa9 costs 3.50\xe2\x82\xac \xf0\x9f\x98\x80 it's\n\tA) B) <s></s>"
        "<|endoftext|><unk> \xff\xfe\xc3 1234567890";
    const size_t take = std::min<size_t>(input.size(), 64);
    const std::string fromInput(input.substr(input.size() / 2 > take ? input.size() / 2 : 0, take));
    std::vector<int32_t> first;
    for (int32_t id = 0; id < std::min<int32_t>(tokenizer.vocabSize(), 48); ++id) first.push_back(id);
    const std::string decoded = tokenizer.decode(first);
    for (const std::string& text : {kSample, fromInput, decoded}) {
        for (bool addSpecial : {false, true}) {
            const auto ids = tokenizer.encode(text, addSpecial);
            (void)tokenizer.decode(ids, addSpecial);
        }
    }
    for (int32_t id : first) (void)tokenizer.tokenToId(tokenizer.idToToken(id));
    (void)tokenizer.bosId();
    (void)tokenizer.eosId();
    (void)tokenizer.kind();
}

}  // namespace prunescope::fuzz
