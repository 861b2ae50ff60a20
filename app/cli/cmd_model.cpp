// Model commands: info, init-model, generate.
#include <iostream>
#include <map>
#include <optional>

#include <nlohmann/json.hpp>

#include "app/cli/args.h"
#include "app/cli/commands.h"
#include "app/cli/common.h"
#include "core/model/generate.h"
#include "core/model/gguf.h"
#include "core/model/gguf_model.h"
#include "core/model/model_io.h"
#include "core/tokenizer/tokenizer.h"
#include "core/util/files.h"

namespace prunescope::cli {

int runInfo(const Argv& argv) {
    ArgParser parser("prunescope-cli info --model PATH [--json]",
                     "Describe a Hugging Face model folder or a GGUF file: architecture, sizes, parameter count,\n"
                     "files. Reads config.json and the safetensors headers (or the GGUF metadata); with --load\n"
                     "also loads the weights.");
    parser.option("model", "PATH", "Model folder (config.json + *.safetensors) or llama.cpp .gguf file")
        .required("model")
        .flag("json", "Print JSON instead of text")
        .flag("load", "Also load the weights (checks every tensor)");
    return guarded("info", [&] {
        auto args = parser.parse(argv);
        if (!args) return int(kOk);
        std::filesystem::path dir = args->get("model");
        const bool gguf = isGgufFile(dir);
        std::optional<GgufFile> ggufFile;
        if (gguf) ggufFile.emplace(dir);
        auto config = gguf ? parseModelConfig(ggufConfigJson(*ggufFile), dir.string() + " (metadata)")
                           : readModelConfig(dir / "config.json");
        auto files = gguf ? std::vector<std::filesystem::path>{dir} : weightFiles(dir);
        if (args->has("load")) {
            startCommand({true, false}, false);
            loadModel(dir, {"cpu", false});
        }
        nlohmann::json j = {{"model_type", config.modelType}, {"layers", config.nLayer},
                            {"d_model", config.dModel},       {"heads", config.nHead},
                            {"kv_heads", config.nKvHead},     {"head_dim", config.headDim},
                            {"neurons_per_layer", config.nNeuron}, {"vocab", config.nVocab},
                            {"context", config.nCtx},         {"tied_head", config.tieEmbeddings},
                            {"parameters", config.parameterCount()}, {"stored_dtype", config.storedDtype}};
        for (const auto& f : files) j["files"].push_back(f.filename().string());
        if (gguf) {
            j["gguf_version"] = ggufFile->version();
            std::map<std::string, int> types;
            for (const auto& t : ggufFile->tensors()) ++types[ggmlTypeName(t.type)];
            j["gguf_tensor_types"] = types;
            j["tokenizer"] = ggufFile->has("tokenizer.ggml.model") ? ggufFile->getString("tokenizer.ggml.model") : "none";
        }
        if (args->has("json")) {
            std::cout << j.dump(2) << "\n";
        } else {
            for (auto it = j.begin(); it != j.end(); ++it) std::cout << it.key() << ": " << it.value().dump() << "\n";
        }
        return int(kOk);
    });
}

int runInitModel(const Argv& argv) {
    ArgParser parser("prunescope-cli init-model --config CONFIG.json --out DIR [--seed N] [--std S]",
                     "Create a model folder with freshly initialized weights from a Hugging Face config.json\n"
                     "(a real model's shapes, or a tiny one for experiments and tests). Tokenizer files next to\n"
                     "the config are copied.");
    parser.option("config", "FILE", "config.json to build from")
        .required("config")
        .option("out", "DIR", "Output folder (created atomically)")
        .required("out")
        .option("seed", "N", "Random seed", "0")
        .option("std", "S", "Standard deviation of the weight matrices", "0.02")
        .option("dtype", "T", "Stored dtype: float32, float16, bfloat16", "float32");
    return guarded("init-model", [&] {
        auto args = parser.parse(argv);
        if (!args) return int(kOk);
        startCommand({false, false}, false);
        std::filesystem::path configPath = args->get("config");
        auto config = readModelConfig(configPath);
        auto model = buildModel(config, static_cast<uint64_t>(args->getInt("seed")), torch::kCPU,
                                args->getDouble("std"));
        ModelSaveOptions save;
        save.dtype = args->get("dtype");
        save.copyFilesFrom = configPath.parent_path();
        saveModel(*model, args->get("out"), save);
        std::cout << args->get("out") << "\n";
        return int(kOk);
    });
}

int runGenerate(const Argv& argv) {
    ArgParser parser("prunescope-cli generate --model PATH --prompt TEXT [--max-new-tokens N] [--json]",
                     "Greedy generation with the KV cache.");
    parser.option("model", "PATH", "Model folder or .gguf file")
        .required("model")
        .option("prompt", "TEXT", "Prompt text")
        .required("prompt")
        .option("max-new-tokens", "N", "Tokens to generate", "20")
        .option("device", "D", "auto, cpu, cuda or cuda:N", "auto")
        .flag("json", "Print {prompt_ids, generated_ids, text} as JSON")
        .flag("quiet", "Only warnings and errors on stderr");
    return guarded("generate", [&] {
        auto args = parser.parse(argv);
        if (!args) return int(kOk);
        startCommand({args->has("quiet"), false});
        std::filesystem::path dir = args->get("model");
        auto tokenizer = Tokenizer::fromModel(dir);
        auto model = loadModel(dir, {args->get("device"), false});
        auto ids32 = tokenizer.encode(args->get("prompt"), true);
        std::vector<int64_t> prompt(ids32.begin(), ids32.end());
        std::optional<int64_t> eos = tokenizer.eosId() ? std::optional<int64_t>(*tokenizer.eosId())
                                                       : model->config().eosTokenId;
        auto out = generateGreedy(*model, prompt, args->getInt("max-new-tokens"), eos);
        std::vector<int32_t> out32(out.begin(), out.end());
        std::string text = tokenizer.decode(out32, true);
        if (args->has("json")) {
            std::cout << nlohmann::json{{"prompt_ids", prompt}, {"generated_ids", out}, {"text", text}}.dump() << "\n";
        } else {
            std::cout << args->get("prompt") << text << "\n";
        }
        return int(kOk);
    });
}

}  // namespace prunescope::cli
