// Choosing where tensors live: "auto" (CUDA when available, else CPU), "cpu", "cuda", "cuda:N".
#pragma once

#include <string>

#include <c10/core/Device.h>

namespace prunescope {

c10::Device chooseDevice(const std::string& preference = "auto");
std::string deviceName(const c10::Device& device);

// Waits until the device has finished the work queued on it (CUDA runs asynchronously); for timing.
// No-op on the CPU.
void synchronize(const c10::Device& device);

}  // namespace prunescope
