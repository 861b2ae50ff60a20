// config.json: JSON text -> ModelConfig (every architecture's fields), and the round trip a saved
// model makes: the config.json Prunescope writes for a config it accepted must read back to the
// same config (a mismatch aborts, so the fuzzer reports it).
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include <nlohmann/json.hpp>

#include "core/model/config.h"
#include "core/util/files.h"
#include "tests/fuzz/fuzz_support.h"

using namespace prunescope;

namespace {

bool sameShape(const ModelConfig& a, const ModelConfig& b) {
    return a.modelType == b.modelType && a.nLayer == b.nLayer && a.dModel == b.dModel && a.nHead == b.nHead &&
           a.nKvHead == b.nKvHead && a.headDim == b.headDim && a.nNeuron == b.nNeuron && a.nVocab == b.nVocab &&
           a.nCtx == b.nCtx && a.activation == b.activation && a.tieEmbeddings == b.tieEmbeddings &&
           a.attnBias == b.attnBias && a.mlpBias == b.mlpBias && a.slidingWindow == b.slidingWindow &&
           a.ropeScaling.has_value() == b.ropeScaling.has_value();
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    fuzz::quietLogs();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    ModelConfig config;
    try {
        config = parseModelConfig(parseJson(fuzz::asText(data, size), "config.json"), "config.json");
        (void)config.traits();
    } catch (const std::exception&) {
        return 0;  // refused
    }
    const nlohmann::json written = modelConfigToJson(config);
    try {
        const ModelConfig again = parseModelConfig(written, "config.json (written)");
        if (!sameShape(config, again)) {
            std::fprintf(stderr, "config.json round trip changed the config; written: %s\n", written.dump().c_str());
            std::abort();
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "config.json written for an accepted config is refused: %s\nwritten: %s\n", e.what(),
                     written.dump().c_str());
        std::abort();
    }
    return 0;
}
