#include "core/util/system_info.h"

#include <dlfcn.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>

#include <torch/torch.h>
#include <torch/version.h>

#include "core/util/device.h"
#include "core/util/log.h"

namespace prunescope {
namespace {

// Below this a 1024^2 float matmul is running on reference BLAS (about 3 GFLOP/s on a modern
// core; optimized BLAS reaches tens to hundreds).
constexpr double kSlowBlasGflops = 20.0;

// Which BLAS the process has mapped (Linux /proc/self/maps): "optimized" (OpenBLAS, MKL, BLIS),
// "reference" (Debian's netlib libblas) or "" when it cannot tell (e.g. MKL linked statically).
// The measured speed alone misleads on a busy machine.
std::string mappedBlasKind() {
    std::ifstream maps("/proc/self/maps");
    std::string line, kind;
    while (std::getline(maps, line)) {
        if (line.find("openblas") != std::string::npos || line.find("libmkl") != std::string::npos ||
            line.find("libblis") != std::string::npos) {
            return "optimized";
        }
        if (line.find("/blas/libblas.so") != std::string::npos) kind = "reference";
    }
    return kind;
}

// OpenBLAS built with its own pthreads (Debian's libopenblas0-pthread) runs matrix products on a
// thread per core of its own. LibTorch's BLAS is loaded with the process: read the maps once.
bool openBlasHasOwnThreads() {
    static const bool own = [] {
        std::ifstream maps("/proc/self/maps");
        std::string line;
        while (std::getline(maps, line)) {
            if (line.find("openblas-pthread") != std::string::npos || line.find("libopenblasp") != std::string::npos) {
                return true;
            }
        }
        return false;
    }();
    return own;
}

}  // namespace

int openBlasThreadCount() {
    if (!openBlasHasOwnThreads()) return 0;
    using GetThreads = int (*)();
    auto get = reinterpret_cast<GetThreads>(dlsym(RTLD_DEFAULT, "openblas_get_num_threads"));
    return get != nullptr ? get() : 0;
}

void setOpenBlasThreadCount(int threads) {
    using SetThreads = void (*)(int);
    auto set = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"));
    if (set != nullptr && openBlasHasOwnThreads()) set(threads);
}

std::string describeThreads(int threads, int blasThreads) {
    std::string text = std::to_string(threads) + " thread(s)";
    if (blasThreads > 0) text += " (matrix products on OpenBLAS's " + std::to_string(blasThreads) + ")";
    return text;
}

void configureThreads() {
    // OpenBLAS's threads and LibTorch's OpenMP threads both spin while they wait, each kind on the
    // cores the other needs: on 2 cores, scoring SmolLM2 took 54 s with both at 2 threads, 29 s
    // with both at 1, and 20 s with OpenBLAS at 2 and LibTorch at 1 (docs/benchmarks.md). The
    // matrix products keep the cores (OpenBLAS reads OMP_NUM_THREADS itself, so that still says
    // how many); the element-wise work stays on the calling thread.
    if (openBlasHasOwnThreads()) {
        at::set_num_threads(1);
        return;
    }
    if (std::getenv("OMP_NUM_THREADS") != nullptr) return;
    unsigned cores = std::thread::hardware_concurrency();
    if (cores > 0 && at::get_num_threads() < static_cast<int>(cores)) {
        at::set_num_threads(static_cast<int>(cores));
    }
}

double measureMatmulGflops(int n, double seconds, const c10::Device& device, c10::ScalarType dtype) {
    torch::NoGradGuard noGrad;
    auto a = torch::randn({n, n}, torch::TensorOptions().device(device)).to(dtype);
    auto b = torch::randn({n, n}, torch::TensorOptions().device(device)).to(dtype);
    auto c = torch::mm(a, b);  // warm-up
    synchronize(device);
    int reps = 0;
    auto start = std::chrono::steady_clock::now();
    double elapsed = 0;
    do {
        c = torch::mm(a, b);
        synchronize(device);
        ++reps;
        elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    } while (elapsed < seconds);
    return 2.0 * n * n * static_cast<double>(n) * reps / elapsed / 1e9;
}

SystemInfo probeSystem(bool measure) {
    configureThreads();
    SystemInfo info;
    info.torchVersion = TORCH_VERSION;
    auto device = chooseDevice("auto");
    info.device = deviceName(device);
    info.threads = at::get_num_threads();
    info.blasThreads = openBlasThreadCount();
    if (measure) {
        // Reference BLAS needs ~0.7 s for one 1024^2 product: measure a smaller one first.
        double small = measureMatmulGflops(256, 0.05);
        info.matmulGflops = small < kSlowBlasGflops ? small : measureMatmulGflops(1024, 0.2);
        const auto kind = mappedBlasKind();
        info.slowBlas = kind == "reference" || (kind.empty() && info.matmulGflops < kSlowBlasGflops);
        info.throughputClass = info.slowBlas                         ? "slow (reference BLAS)"
                               : info.matmulGflops < kSlowBlasGflops ? "optimized BLAS, machine busy"
                                                                     : "optimized BLAS";
    }
    return info;
}

void logSystemInfo(const SystemInfo& info) {
    auto log = log::get("system");
    log->info("LibTorch {}, device {}, {}, matmul {:.0f} GFLOP/s ({})", info.torchVersion, info.device,
              describeThreads(info.threads, info.blasThreads), info.matmulGflops, info.throughputClass);
    if (info.slowBlas) {
        log->warn(
            "matrix products run at {:.1f} GFLOP/s: LibTorch is using the slow reference BLAS. "
            "Install an optimized BLAS (Debian: sudo apt-get install libopenblas0-pthread) "
            "for a 50x speed-up.",
            info.matmulGflops);
    }
}

std::string describeVersions() {
    return std::string("Prunescope ") + PRUNESCOPE_VERSION + ", LibTorch " + TORCH_VERSION;
}

}  // namespace prunescope
