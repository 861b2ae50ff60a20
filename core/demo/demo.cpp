#include "core/demo/demo.h"

#include <cstdlib>

#include "core/util/error.h"

namespace prunescope {

DemoResult runDemo(const DemoOptions&, const ProgressFn&, const CancelFlag*) {
    throw Error("", "", "the built-in demo is not implemented yet");
}

std::filesystem::path defaultDemoDir() {
    const char* xdg = std::getenv("XDG_DATA_HOME");
    const char* home = std::getenv("HOME");
    std::filesystem::path base = xdg && *xdg ? xdg : std::filesystem::path(home ? home : ".") / ".local" / "share";
    return base / "prunescope" / "demo";
}

}  // namespace prunescope
