// Model commands: info, init-model, generate.
#include <iostream>
#include <map>
#include <optional>

#include <nlohmann/json.hpp>

#include "app/cli/args.h"
#include "app/cli/commands.h"
#include "app/cli/common.h"
#include "core/attribution/integrated_gradients.h"
#include "core/model/generate.h"
#include "core/model/gguf.h"
#include "core/model/gguf_model.h"
#include "core/model/memory_plan.h"
#include "core/model/model_io.h"
#include "core/tokenizer/tokenizer.h"
#include "core/train/lora.h"
#include "core/util/device.h"
#include "core/util/files.h"
#include "core/util/memory.h"

namespace prunescope::cli {

int runInfo(const Argv& argv) {
    ArgParser parser("prunescope-cli info --model PATH [--json] [--plan JOB [job settings]]",
                     "Describe a Hugging Face model folder or a GGUF file: architecture, sizes, parameter count,\n"
                     "files. Reads config.json and the safetensors headers (or the GGUF metadata); with --load\n"
                     "also loads the weights. With --plan, prints the memory plan of a job (load, eval, attribute,\n"
                     "finetune) with the settings given, against the device's free memory, and what would fit.");
    parser.option("model", "PATH", "Model folder (config.json + *.safetensors) or llama.cpp .gguf file")
        .required("model")
        .flag("json", "Print JSON instead of text")
        .flag("load", "Also load the weights (checks every tensor)")
        .option("plan", "JOB", "Print the memory plan of load, eval, attribute or finetune")
        .option("device", "D", "Device of the plan: auto, cpu, cuda or cuda:N", "auto")
        .option("weights", "W", "How weights are held: auto, float32 or stored", "auto")
        .option("dtype", "T", "Compute dtype of the plan: float32, bfloat16 or float16", "float32")
        .option("available", "GB", "Plan against this much free memory instead of the device's")
        .option("tokens", "N", "Longest prompt in tokens", "256")
        .option(settings::kScoringBatchSize)
        .option(settings::kIgSteps)
        .option(settings::kIgScope)
        .option(settings::kQuestionsPerPass)
        .option(settings::kRowsPerPass)
        .option("trainable", "T", "all, ffn or last:K (finetune)", "all")
        .option("lora", "RANK", "LoRA rank, 0: off (finetune)", "0")
        .option("lora-targets", "LIST", "LoRA target modules: attention, ffn, all or names (finetune)", "all")
        .flag("checkpoint-activations", "Gradient checkpointing (finetune)")
        .flag("no-validation", "No keep-best copy (finetune)");
    return guarded("info", [&] {
        auto args = parser.parse(argv);
        if (!args) return int(kOk);
        std::filesystem::path dir = args->get("model");
        const bool gguf = isGgufFile(dir);
        std::optional<GgufFile> ggufFile;
        if (gguf) ggufFile.emplace(dir);
        auto config = gguf ? parseModelConfig(ggufConfigJson(*ggufFile), dir.string() + " (metadata)")
                           : readModelConfig(dir / "config.json");
        if (args->maybe("plan")) {  // from the config alone: no weights needed
            PlanSettings plan;
            plan.job = parsePlanJob(args->get("plan"));
            plan.tokens = args->getInt("tokens");
            plan.batchSize = args->get(settings::kScoringBatchSize);
            plan.igSteps = args->get(settings::kIgSteps);
            plan.igPerLayer = args->get(settings::kIgScope) == IgScope::PerLayer;
            plan.questionsPerPass = args->get(settings::kQuestionsPerPass);
            plan.rowsPerPass = args->get(settings::kRowsPerPass);
            plan.trainable = args->get("trainable");
            plan.loraRank = args->getInt("lora");
            if (plan.loraRank > 0) {
                plan.loraTargets =
                    resolveLoraTargets(parseLoraTargets(args->get("lora-targets"), "--lora-targets"), config.modelType);
            }
            plan.checkpointActivations = args->has("checkpoint-activations");
            plan.keepBest = !args->has("no-validation");
            // A CUDA plan can be made on a machine without CUDA, for a GPU of --available GB.
            const bool cudaPlan = args->get("device").rfind("cuda", 0) == 0;
            const auto device =
                cudaPlan && args->maybe("available") ? c10::Device(c10::kCUDA, 0) : chooseDevice(args->get("device"));
            const int64_t available = args->maybe("available")
                                          ? static_cast<int64_t>(args->getDouble("available") * 1e9)
                                          : availableMemoryBytes(device);
            plan.cuda = device.is_cuda();
            const auto compute = dtypeFromName(args->get("dtype"), "--dtype");
            plan.computeBytes = static_cast<int>(c10::elementSize(compute));
            plan.weightBytes = static_cast<int>(c10::elementSize(
                heldWeightDtype(config, parseWeightHolding(args->get("weights")), available, compute)));
            auto result = planMemory(config, plan, available);
            if (args->has("json")) {
                std::cout << result.toJson().dump(2) << "\n";
            } else {
                std::cout << result.text();
            }
            return int(kOk);
        }
        auto files = gguf ? std::vector<std::filesystem::path>{dir} : weightFiles(dir);
        if (args->has("load")) {
            startCommand({true, false}, false);
            loadModel(dir, {"cpu"});
        }
        nlohmann::json j = {{"model_type", config.modelType},
                            {"layers", config.nLayer},
                            {"d_model", config.dModel},
                            {"heads", config.nHead},
                            {"kv_heads", config.nKvHead},
                            {"head_dim", config.headDim},
                            {"neurons_per_layer", config.nNeuron},
                            {"vocab", config.nVocab},
                            {"context", config.nCtx},
                            {"tied_head", config.tieEmbeddings},
                            {"parameters", config.parameterCount()},
                            {"stored_dtype", config.storedDtype}};
        for (const auto& f : files) j["files"].push_back(f.filename().string());
        if (gguf) {
            j["gguf_version"] = ggufFile->version();
            std::map<std::string, int> types;
            for (const auto& t : ggufFile->tensors()) ++types[ggmlTypeName(t.type)];
            j["gguf_tensor_types"] = types;
            j["tokenizer"] =
                ggufFile->has("tokenizer.ggml.model") ? ggufFile->getString("tokenizer.ggml.model") : "none";
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
        // Made directly in a float16 / bfloat16 dtype: an 8B shape fits in its stored bytes.
        const auto dtype = dtypeFromName(args->get("dtype"), "--dtype");
        auto model =
            buildModel(config, static_cast<uint64_t>(args->getInt("seed")), torch::kCPU, args->getDouble("std"), dtype);
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
        auto model = loadModel(dir, {args->get("device")});
        auto ids32 = tokenizer.encode(args->get("prompt"), true);
        std::vector<int64_t> prompt(ids32.begin(), ids32.end());
        std::optional<int64_t> eos =
            tokenizer.eosId() ? std::optional<int64_t>(*tokenizer.eosId()) : model->config().eosTokenId;
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
