// The GPU side of memory: what LibTorch's CUDA caching allocator holds, and giving its cache back.
//
// LibTorch keeps the GPU blocks that freed tensors leave in a cache for the next allocation; after a
// fine-tune the cache can hold gigabytes that nothing uses, which the driver (and nvidia-smi, and
// other programs) see as taken. Two implementations, chosen by the build (core/CMakeLists.txt):
// device_memory_cuda.cpp when LibTorch was built with CUDA, device_memory_none.cpp otherwise
// (Debian's LibTorch), where both calls do nothing.
#pragma once

#include <cstdint>

#include <c10/core/Device.h>

namespace prunescope {

// Bytes the caching allocator has taken from the driver on `device` (in use or cached); -1 for the
// CPU, or in a build without CUDA.
int64_t deviceReservedBytes(const c10::Device& device);

// Hands the cached, unused GPU blocks back to the driver. Does nothing when no GPU has been used.
void releaseDeviceCache();

}  // namespace prunescope
