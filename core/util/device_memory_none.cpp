// device_memory.h for a LibTorch without CUDA: there is no GPU memory to count or give back.
#include "core/util/device_memory.h"

namespace prunescope {

int64_t deviceReservedBytes(const c10::Device&) {
    return -1;
}

void releaseDeviceCache() {}

}  // namespace prunescope
