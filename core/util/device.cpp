#include "core/util/device.h"

#include <torch/cuda.h>

#include "core/util/error.h"

namespace prunescope {

c10::Device chooseDevice(const std::string& preference) {
    if (preference.empty() || preference == "auto") {
        return torch::cuda::is_available() ? c10::Device(c10::kCUDA, 0) : c10::Device(c10::kCPU);
    }
    if (preference == "cpu") return c10::Device(c10::kCPU);
    if (preference.rfind("cuda", 0) == 0) {
        if (!torch::cuda::is_available()) {
            throw Error("", "setting 'device' (" + preference + ")",
                        "CUDA is not available in this build or on this machine", "use --device cpu or auto");
        }
        try {
            return c10::Device(preference);
        } catch (const std::exception&) {
            throw Error("", "setting 'device' (" + preference + ")", "not a device name",
                        "use auto, cpu, cuda or cuda:N");
        }
    }
    throw Error("", "setting 'device' (" + preference + ")", "not a device name", "use auto, cpu, cuda or cuda:N");
}

std::string deviceName(const c10::Device& device) {
    return device.str();
}

void synchronize(const c10::Device& device) {
    if (device.is_cuda()) torch::cuda::synchronize(device.index());
}

}  // namespace prunescope
