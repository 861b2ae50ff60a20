// device_memory.h for a LibTorch built with CUDA: the answers of its caching allocator
// (c10/cuda/CUDACachingAllocator.h, the same calls in LibTorch 1.x and 2.x).
#include "core/util/device_memory.h"

#include <c10/cuda/CUDACachingAllocator.h>
#include <torch/cuda.h>

namespace prunescope {
namespace {

bool haveCuda() {
    static const bool present = torch::cuda::is_available();
    return present;
}

}  // namespace

int64_t deviceReservedBytes(const c10::Device& device) {
    if (!device.is_cuda() || !haveCuda()) return -1;
    try {
        const auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(device.has_index() ? device.index() : 0);
        return stats.reserved_bytes[0].current;  // [0]: StatType::AGGREGATE, all pools together
    } catch (const c10::Error&) {
        return 0;  // the allocator is set up with the first CUDA tensor: nothing is reserved before
    }
}

void releaseDeviceCache() {
    if (haveCuda()) c10::cuda::CUDACachingAllocator::emptyCache();
}

}  // namespace prunescope
