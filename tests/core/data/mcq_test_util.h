// Helpers shared by the MCQ dataset tests.
#pragma once

#include <QtGlobal>

#include <filesystem>
#include <initializer_list>
#include <string>
#include <vector>

#include "core/data/mcq.h"
#include "core/util/error.h"

namespace prunescope::test {

// Loads a dataset the test expects to be valid; a load error fails the test with its message.
inline McqDataset loadValid(const std::filesystem::path& file, McqFormat format = McqFormat::Auto) {
    McqLoadOptions options;
    options.format = format;
    try {
        return loadMcqDataset(file, options);
    } catch (const Error& e) {
        qFatal("%s", e.what());
    }
}

inline std::vector<std::string> strings(std::initializer_list<const char*> items) {
    return std::vector<std::string>(items.begin(), items.end());
}

inline bool startsWith(const std::string& text, const std::string& prefix) {
    return text.compare(0, prefix.size(), prefix) == 0;
}

}  // namespace prunescope::test
