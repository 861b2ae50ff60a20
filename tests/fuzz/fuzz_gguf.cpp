// GGUF: the header, every metadata key/value, the tensor infos and data ranges (GgufFile maps the
// file), then what a model load reads from them: the config.json the metadata describes, the
// tokenizer built from tokenizer.ggml.* (and run on a few texts), and the first row of every
// tensor, dequantized.
#include <cstdint>
#include <vector>

#include "core/model/config.h"
#include "core/model/gguf.h"
#include "core/model/gguf_model.h"
#include "core/tokenizer/tokenizer.h"
#include "tests/fuzz/fuzz_support.h"

using namespace prunescope;

namespace {

constexpr int64_t kMaxRowValues = int64_t(1) << 16;  // rows longer than this are not dequantized

void readMetadata(const GgufFile& file) {
    for (auto it = file.metadata().begin(); it != file.metadata().end(); ++it) {
        const std::string& key = it.key();
        try {
            if (it->is_string()) (void)file.getString(key);
            if (it->is_number_integer()) (void)file.getInt(key);
            if (it->is_number()) (void)file.getFloat(key);
            if (it->is_boolean()) (void)file.getBool(key);
        } catch (const std::exception&) {
        }
    }
}

void dequantizeFirstRows(const GgufFile& file) {
    std::vector<float> row;
    for (const GgufTensorInfo& info : file.tensors()) {
        if (!ggmlCanDequantize(info.type) || info.rowLength() > kMaxRowValues || info.rows() == 0) continue;
        row.resize(static_cast<size_t>(info.rowLength()));
        file.dequantizeRows(info, 0, 1, row.data());
        file.dequantizeRows(info, info.rows() - 1, 1, row.data());
    }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    fuzz::quietLogs();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const auto path = fuzz::writeScratch("model.gguf", fuzz::asText(data, size));
    try {
        const GgufFile file(path);
        readMetadata(file);
        try {
            dequantizeFirstRows(file);
        } catch (const std::exception&) {
        }
        try {
            const ModelConfig config = parseModelConfig(ggufConfigJson(file), path.string() + " (metadata)");
            (void)modelConfigToJson(config);
        } catch (const std::exception&) {
        }
        const Tokenizer tokenizer = Tokenizer::fromGguf(path);
        fuzz::exerciseTokenizer(tokenizer, fuzz::asText(data, size));
    } catch (const std::exception&) {
    }
    return 0;
}
