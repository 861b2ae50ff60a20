// What the engine runs on: LibTorch version, device, threads and the measured matmul throughput.
// Debian's LibTorch silently falls back to reference BLAS when no optimized BLAS is installed,
// which makes everything ~50x slower; probeSystem() detects that by measuring.
#pragma once

#include <string>

#include <c10/core/Device.h>
#include <c10/core/ScalarType.h>

namespace prunescope {

struct SystemInfo {
    std::string torchVersion;
    std::string device;           // "cpu" or "cuda:0 (NVIDIA ...)"
    int threads = 1;              // intra-op threads LibTorch uses
    int blasThreads = 0;          // OpenBLAS's own threads for matrix products (0: it has none)
    double matmulGflops = 0;      // measured, float32 1024x1024 matmul on the CPU
    std::string throughputClass;  // "optimized BLAS", "slow (reference BLAS?)"
    bool slowBlas = false;
};

// Sets LibTorch's thread count: 1 where OpenBLAS runs the matrix products on threads of its own
// (OMP_NUM_THREADS, which OpenBLAS reads, then says how many it uses; see system_info.cpp);
// otherwise the number of cores unless OMP_NUM_THREADS says otherwise.
void configureThreads();

// OpenBLAS's own thread count: 0 when LibTorch's BLAS is not OpenBLAS with threads of its own
// (MKL and OpenMP builds share LibTorch's threads). Setting it does nothing then.
int openBlasThreadCount();
void setOpenBlasThreadCount(int threads);
// "2 thread(s)", or "1 thread(s) (matrix products on OpenBLAS's 2)" where OpenBLAS has its own.
std::string describeThreads(int threads, int blasThreads);

// Measures matmul throughput (GFLOP/s) with n x n matrices of `dtype` for about `seconds`, on `device`.
double measureMatmulGflops(int n = 1024, double seconds = 0.3, const c10::Device& device = c10::kCPU,
                           c10::ScalarType dtype = c10::kFloat);

SystemInfo probeSystem(bool measure = true);

// Logs the probe on the "system" logger; warns with the fix when BLAS is slow.
void logSystemInfo(const SystemInfo& info);

std::string describeVersions();  // "Prunescope x.y.z, LibTorch a.b.c"

}  // namespace prunescope
