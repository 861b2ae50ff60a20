// How much memory there is and how much this process has used: the numbers the memory plan
// (core/model/memory_plan.h) is checked against, and the GUI's live readout.
#pragma once

#include <cstdint>
#include <string>

#include <c10/core/Device.h>

namespace prunescope {

// Bytes a new allocation can still get on `device`: on the CPU the kernel's MemAvailable, capped
// by a cgroup memory limit when there is one; on CUDA the driver's free memory (-1 when the CUDA
// runtime cannot be asked). Either is capped by $PRUNESCOPE_MEMORY_LIMIT when set ("12GB",
// "16GiB", bytes): room left for other programs, or a smaller machine rehearsed.
int64_t availableMemoryBytes(const c10::Device& device = c10::kCPU);

// "12GB", "1.5 GiB", "800M", "123456" in bytes (decimal k/M/G/T, binary Ki/Mi/Gi/Ti, the B
// optional, any case); -1 when it is not a size.
int64_t parseByteSize(const std::string& text);

// Physical memory of the machine (the CPU side), or the cgroup limit when that is lower.
int64_t totalMemoryBytes();

// This process's resident memory now and its peak so far (VmRSS / VmHWM), in bytes.
int64_t residentBytes();
int64_t peakResidentBytes();

// Gives the memory that freed tensors leave inside the allocators back to the system: glibc's
// malloc_trim (a no-op elsewhere), and the CUDA caching allocator's unused blocks when a GPU has
// been used (device_memory.h). After a fine-tune of a model whose tensors are 1-32 MB each, glibc
// keeps the freed heap: the GUI's resident memory stayed 35 % above its level before the run until
// this was called (test_engine_worker, cancelledFinetuneFreesMemory; the GPU side: test_gpu,
// cancelledFinetuneGivesTheGpuBack). Call after long tasks.
void releaseFreedMemory();

// "1.23 GB" (decimal units, as the plan prints them).
std::string formatBytes(int64_t bytes);

}  // namespace prunescope
