// Helpers shared by the tokenizer tests.
#pragma once

#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

namespace prunescope::test {

// "[1, 2, 3]": ids in failure messages.
inline std::string showIds(const std::vector<int32_t>& ids) {
    std::ostringstream s;
    s << "[";
    for (size_t i = 0; i < ids.size(); ++i) s << (i ? ", " : "") << ids[i];
    s << "]";
    return s.str();
}

}  // namespace prunescope::test
