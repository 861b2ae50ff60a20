// mask.json: readMask (the only entry; it reads a path): format, shape, positions, the pruned
// list with its ranges and duplicates, and the total; then what the GUI does with a mask it opens
// (a session's reference neurons): flat(), before any model checks the shape.
#include <cstdint>

#include "core/prune/neuron_mask.h"
#include "tests/fuzz/fuzz_support.h"

using namespace prunescope;

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    fuzz::quietLogs();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    try {
        const NeuronMask mask = readMask(fuzz::writeScratch("mask.json", fuzz::asText(data, size)));
        (void)mask.count();
        (void)mask.perLayerCounts();
        (void)mask.flat();
        for (int64_t l = 0; l < mask.nLayer && l < 4; ++l) (void)mask.contains(l, 0);
    } catch (const std::exception&) {
    }
    return 0;
}
