#include "core/util/memory.h"

#include "core/util/device_memory.h"

#include <dlfcn.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>

namespace prunescope {
namespace {

// A "Key:   123 kB" line of a /proc file, in bytes; -1 when absent.
int64_t procField(const char* file, const std::string& key) {
    std::ifstream in(file);
    std::string line;
    while (std::getline(in, line)) {
        if (line.compare(0, key.size(), key) != 0 || line.size() <= key.size() || line[key.size()] != ':') continue;
        std::istringstream fields(line.substr(key.size() + 1));
        int64_t value = 0;
        std::string unit;
        fields >> value >> unit;
        return unit == "kB" ? value * 1024 : value;
    }
    return -1;
}

// A cgroup v2 file holding a byte count or "max"; -1 when absent or unlimited.
int64_t cgroupValue(const char* file) {
    std::ifstream in(file);
    std::string text;
    if (!(in >> text) || text == "max") return -1;
    try {
        return std::stoll(text);
    } catch (...) {
        return -1;
    }
}

int64_t cgroupHeadroom() {
    const int64_t limit = cgroupValue("/sys/fs/cgroup/memory.max");
    if (limit < 0) return -1;
    const int64_t used = cgroupValue("/sys/fs/cgroup/memory.current");
    return used < 0 ? limit : std::max<int64_t>(0, limit - used);
}

// cudaMemGetInfo through the CUDA runtime already loaded by LibTorch (none in a CPU build).
int64_t cudaFreeBytes(int index) {
    using SetDevice = int (*)(int);
    using GetDevice = int (*)(int*);
    using MemGetInfo = int (*)(size_t*, size_t*);
    for (const char* name : {"libcudart.so.12", "libcudart.so.11.0", "libcudart.so"}) {
        void* lib = ::dlopen(name, RTLD_LAZY | RTLD_NOLOAD);
        if (lib == nullptr) continue;
        auto setDevice = reinterpret_cast<SetDevice>(::dlsym(lib, "cudaSetDevice"));
        auto getDevice = reinterpret_cast<GetDevice>(::dlsym(lib, "cudaGetDevice"));
        auto memGetInfo = reinterpret_cast<MemGetInfo>(::dlsym(lib, "cudaMemGetInfo"));
        if (setDevice == nullptr || getDevice == nullptr || memGetInfo == nullptr) continue;
        int previous = 0;
        getDevice(&previous);
        setDevice(index);
        size_t free = 0, total = 0;
        const int status = memGetInfo(&free, &total);
        setDevice(previous);
        if (status == 0) return static_cast<int64_t>(free);
    }
    return -1;
}

}  // namespace

int64_t parseByteSize(const std::string& text) {
    size_t used = 0;
    double value = 0;
    try {
        value = std::stod(text, &used);
    } catch (...) {
        return -1;
    }
    std::string unit;
    for (size_t i = used; i < text.size(); ++i) {
        if (text[i] != ' ') unit += static_cast<char>(std::tolower(static_cast<unsigned char>(text[i])));
    }
    if (!unit.empty() && unit.back() == 'b') unit.pop_back();
    static const std::pair<const char*, double> units[] = {
        {"", 1},           {"k", 1e3},           {"m", 1e6},
        {"g", 1e9},        {"t", 1e12},          {"ki", 1024.0},
        {"mi", 1048576.0}, {"gi", 1073741824.0}, {"ti", 1099511627776.0}};
    for (const auto& [name, scale] : units) {
        if (unit == name && value >= 0) return static_cast<int64_t>(value * scale);
    }
    return -1;
}

int64_t availableMemoryBytes(const c10::Device& device) {
    int64_t available = -1;
    if (device.is_cuda()) {
        available = cudaFreeBytes(device.has_index() ? device.index() : 0);
    } else {
        available = procField("/proc/meminfo", "MemAvailable");
        const int64_t headroom = cgroupHeadroom();
        if (headroom >= 0 && (available < 0 || headroom < available)) available = headroom;
    }
    if (const char* limit = std::getenv("PRUNESCOPE_MEMORY_LIMIT"); limit != nullptr && *limit != 0) {
        const int64_t cap = parseByteSize(limit);
        if (cap >= 0 && (available < 0 || cap < available)) available = cap;
    }
    return available;
}

int64_t totalMemoryBytes() {
    int64_t total = procField("/proc/meminfo", "MemTotal");
    const int64_t limit = cgroupValue("/sys/fs/cgroup/memory.max");
    if (limit >= 0 && (total < 0 || limit < total)) total = limit;
    return total;
}

int64_t residentBytes() {
    return procField("/proc/self/status", "VmRSS");
}

int64_t peakResidentBytes() {
    return procField("/proc/self/status", "VmHWM");
}

void releaseFreedMemory() {
#if defined(__GLIBC__)
    ::malloc_trim(0);
#endif
    releaseDeviceCache();
}

std::string formatBytes(int64_t bytes) {
    char text[32];
    const double b = static_cast<double>(bytes);
    if (bytes < 0) return "unknown";
    if (b >= 1e9) {
        std::snprintf(text, sizeof text, "%.2f GB", b / 1e9);
    } else if (b >= 1e6) {
        std::snprintf(text, sizeof text, "%.1f MB", b / 1e6);
    } else {
        std::snprintf(text, sizeof text, "%.0f kB", b / 1e3);
    }
    return text;
}

}  // namespace prunescope
