// safetensors: the 8-byte header length, the JSON header (dtypes, shapes, offsets, metadata) and
// the mapping of every tensor, through the file-level entry (SafetensorsFile maps the file).
#include <cstdint>

#include <ATen/core/Tensor.h>

#include "core/model/safetensors.h"
#include "tests/fuzz/fuzz_support.h"

using namespace prunescope;

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    fuzz::quietLogs();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const auto path = fuzz::writeScratch("model.safetensors", fuzz::asText(data, size));
    try {
        const SafetensorsFile file(path);
        size_t metadataBytes = 0;
        for (const auto& [key, value] : file.metadata()) metadataBytes += key.size() + value.size();
        // Every byte range a tensor claims must lie in the mapping: read its first and last byte.
        volatile uint8_t sink = static_cast<uint8_t>(metadataBytes);
        for (const StTensorInfo& info : file.tensors()) {
            const at::Tensor t = file.tensor(info.name);
            const auto bytes = static_cast<size_t>(t.numel()) * t.element_size();
            if (bytes == 0) continue;
            const auto* p = static_cast<const uint8_t*>(t.data_ptr());
            sink = sink ^ p[0] ^ p[bytes - 1];
        }
    } catch (const std::exception&) {
        // A refusal with a message is the wanted outcome for a malformed file.
    }
    return 0;
}
