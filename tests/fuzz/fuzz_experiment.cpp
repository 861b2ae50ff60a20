// experiment.json: every block (data, ood, scoring, prompt, attribution, selection, finetune,
// arms, seeds...) with its ranges and unknown-field checks, in memory, then the JSON written into
// the report for the config that was accepted.
#include <cstdint>

#include <nlohmann/json.hpp>

#include "core/pipeline/experiment.h"
#include "core/util/files.h"
#include "tests/fuzz/fuzz_support.h"

using namespace prunescope;

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    fuzz::quietLogs();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    try {
        const ExperimentConfig config = parseExperimentConfig(parseJson(fuzz::asText(data, size), "experiment.json"),
                                                              "experiment.json", fuzz::scratchDir());
        (void)config.toJson().dump();
    } catch (const std::exception&) {
    }
    return 0;
}
