#include "core/model/memory_plan.h"

#include <algorithm>
#include <cstdio>

#include <torch/torch.h>

#include "core/model/architecture.h"
#include "core/model/causal_lm.h"
#include "core/settings/ig_settings.h"
#include "core/util/error.h"
#include "core/util/memory.h"

namespace prunescope {
namespace {

// Fitted to measured peaks (docs/memory.md): floats kept per token and layer by a forward pass
// that will be differentiated, as multiples of d_model, the FFN width and the heads x attention
// length; the same for a pass without gradients (one layer's temporaries alive at a time).
struct Coefficients {
    double perD, perNeuron, perScore;
};
// Fitted on SmolLM2-135M shapes at batch 4 and 8 (the slope between them), `bench memory`.
constexpr Coefficients kTrainActivations{11, 5.5, 2.4};
// LoRA keeps each adapted layer's input and the adapters' own products besides.
constexpr Coefficients kLoraActivations{15, 7.5, 3.3};
constexpr Coefficients kFrozenActivations{10, 6, 3};  // gradients flow to activations only
constexpr Coefficients kInferenceTemporaries{4, 3, 2};
// The process before any model: the executable and LibTorch's pages, the dataset and tokenizer
// (CPU only; measured at 175-230 MB).
constexpr int64_t kProcessBaseline = 200'000'000;

struct ParameterCounts {
    int64_t total = 0;
    int64_t trainable = 0;
    int64_t largestMatrix = 0;  // of the blocks
    int64_t unembedding = 0;    // the head (the input embedding when tied)
    int64_t largestTrainable = 0;
    int64_t lora = 0;  // adapter parameters for the rank asked
};

bool endsWith(const std::string& s, const std::string& suffix) {
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

ParameterCounts countParameters(const ModelConfig& config, const PlanSettings& s) {
    auto model = findArchitecture(config.modelType).build(config, torch::TensorOptions().device(torch::kMeta));
    ParameterCounts counts;
    for (const auto& p : model->named_parameters()) {
        const auto n = p.value().numel();
        counts.total += n;
        if (p.value().dim() == 2 && model->roleOf(p.key()).layer >= 0)
            counts.largestMatrix = std::max(counts.largestMatrix, n);
        if (s.job == PlanJob::Finetune && s.loraRank == 0 && isTrainableParameter(*model, p.key(), s.trainable)) {
            counts.trainable += n;
            counts.largestTrainable = std::max(counts.largestTrainable, n);
        }
        if (s.loraRank > 0 && p.value().dim() == 2 && model->roleOf(p.key()).layer >= 0) {
            const auto& name = p.key();
            bool targeted = s.loraTargets.empty();
            for (const auto& t : s.loraTargets) targeted = targeted || endsWith(name, "." + t + ".weight");
            if (targeted) counts.lora += s.loraRank * (p.value().size(0) + p.value().size(1));
        }
    }
    counts.unembedding = model->unembedding().numel();
    return counts;
}

// Floats per token and layer for coefficients `c` at attention length `length`.
double floatsPerTokenLayer(const ModelConfig& config, const Coefficients& c, int64_t length) {
    return c.perD * static_cast<double>(config.dModel) + c.perNeuron * static_cast<double>(config.nNeuron) +
           c.perScore * static_cast<double>(config.nHead * length);
}

int64_t toBytes(double value) {
    return static_cast<int64_t>(value);
}

void add(MemoryPlan& plan, const std::string& name, double bytes, const std::string& detail) {
    if (bytes <= 0) return;
    plan.items.push_back({name, toBytes(bytes), detail});
    plan.total += toBytes(bytes);
}

std::string count(int64_t n) {
    char text[32];
    if (n >= 1'000'000'000) {
        std::snprintf(text, sizeof text, "%.2fB", static_cast<double>(n) / 1e9);
    } else if (n < 100'000) {
        std::snprintf(text, sizeof text, "%lld", static_cast<long long>(n));
    } else {
        std::snprintf(text, sizeof text, "%.1fM", static_cast<double>(n) / 1e6);
    }
    return text;
}

std::string flagsOf(const PlanSettings& from, const PlanSettings& to) {
    std::string flags;
    auto flag = [&](const std::string& f) { flags += (flags.empty() ? "" : " ") + f; };
    if (to.computeBytes != from.computeBytes) {
        flag("--dtype bfloat16");
    } else if (to.weightBytes != from.weightBytes) {
        flag("--weights stored");
    }
    if (to.loraRank != from.loraRank) flag("--lora " + std::to_string(to.loraRank));
    if (to.trainable != from.trainable) flag("--trainable " + to.trainable);
    if (to.checkpointActivations != from.checkpointActivations) flag("--checkpoint-activations");
    if (to.batchSize != from.batchSize) {
        flag("--batch-size " + std::to_string(to.batchSize));
        if (from.job == PlanJob::Finetune) flag("--grad-accum " + std::to_string(from.batchSize / to.batchSize));
    }
    if (to.questionsPerPass != from.questionsPerPass)
        flag("--questions-per-pass " + std::to_string(to.questionsPerPass));
    if (to.rowsPerPass != from.rowsPerPass) flag("--rows-per-pass " + std::to_string(to.rowsPerPass));
    return flags;
}

}  // namespace

PlanJob parsePlanJob(const std::string& name) {
    if (name == "load") return PlanJob::Load;
    if (name == "eval") return PlanJob::Eval;
    if (name == "attribute") return PlanJob::Attribute;
    if (name == "finetune") return PlanJob::Finetune;
    throw Error("", "setting 'plan'", "unknown job '" + name + "'", "use load, eval, attribute or finetune");
}

const char* planJobName(PlanJob job) {
    switch (job) {
        case PlanJob::Load: return "load";
        case PlanJob::Eval: return "eval";
        case PlanJob::Attribute: return "attribute";
        case PlanJob::Finetune: return "finetune";
    }
    return "?";
}

MemoryPlan estimateMemory(const ModelConfig& config, const PlanSettings& s) {
    MemoryPlan plan;
    plan.job = planJobName(s.job);
    plan.device = s.cuda ? "cuda" : "cpu";
    const auto counts = countParameters(config, s);
    const double act = s.computeBytes;
    const double layers = static_cast<double>(config.nLayer);
    const double vocab = static_cast<double>(config.nVocab);

    if (!s.cuda && !s.modelLoaded)
        add(plan, "process", kProcessBaseline, "the executable, LibTorch, the data and tokenizer");
    if (!s.modelLoaded)
        add(plan, "weights", static_cast<double>(counts.total) * s.weightBytes,
            count(counts.total) + " parameters x " + std::to_string(s.weightBytes) + " bytes" +
                (s.weightBytes < s.computeBytes ? " (held as stored)" : ""));
    if (s.weightBytes < s.computeBytes && s.job != PlanJob::Load) {
        // The head is widened whole when the job reads the whole vocabulary: scoring and IG's
        // log-softmax, a continuation's tokens. Letter fine-tuning reads the options' rows only.
        const bool vocabulary = s.job != PlanJob::Finetune || s.scoredTokens > 1;
        const bool head = vocabulary && counts.unembedding > counts.largestMatrix;
        add(plan, "widened matrix",
            static_cast<double>(head ? counts.unembedding : counts.largestMatrix) * s.computeBytes,
            head ? "the head in float32 during its product" : "the largest matrix in float32 during its product");
    }
    const double tokens = static_cast<double>(std::max<int64_t>(1, s.tokens));
    if (s.job == PlanJob::Load) {
        // the weights alone
    } else if (s.job == PlanJob::Eval) {
        const double b = static_cast<double>(s.batchSize);
        add(plan, "activations", b * tokens * floatsPerTokenLayer(config, kInferenceTemporaries, s.tokens) * act,
            std::to_string(s.batchSize) + " questions x " + std::to_string(s.tokens) + " tokens, one layer at a time");
        add(plan, "logits", 2.0 * b * static_cast<double>(s.scoredTokens) * vocab * 4,
            "scored positions x vocabulary, and their log-softmax");
    } else if (s.job == PlanJob::Attribute) {
        // All questions of a pass together, or with rows per pass set, one question at a time in
        // chunks of that many rows.
        // One layer at a time, a question's rows go in passes of a few layers (layerBandRows); the
        // first pass runs every block and holds the most.
        const double q =
            s.rowsPerPass > 0 || s.igPerLayer ? 1.0 : static_cast<double>(std::max<int64_t>(1, s.questionsPerPass));
        const double rowsPerQuestion = static_cast<double>(s.igSteps + 2) * (s.igPerLayer ? layers : 1.0);
        const double rows = s.rowsPerPass > 0 ? std::min(rowsPerQuestion, static_cast<double>(s.rowsPerPass))
                            : s.igPerLayer    ? static_cast<double>(layerBandRows(s.igSteps + 1, config.nLayer))
                                              : q * rowsPerQuestion;
        const double kv = 2.0 * static_cast<double>(config.nKvHead * config.headDim);
        add(plan, "prompt cache", q * tokens * layers * kv * act,
            std::to_string(static_cast<int64_t>(q)) + " prompts' keys and values");
        add(plan, "prompt pass", q * tokens * floatsPerTokenLayer(config, kInferenceTemporaries, s.tokens) * act,
            "the prompts' forward pass, one layer at a time");
        add(plan, "gated rows", rows * layers * floatsPerTokenLayer(config, kFrozenActivations, s.tokens + 1) * act,
            count(static_cast<int64_t>(rows)) + " scaled copies of the last token, kept for the gradient");
        add(plan, "logits", 3.0 * rows * vocab * 4, "per row, with its gradient");
    } else {  // finetune
        const double b = static_cast<double>(s.batchSize);
        const auto& coefficients = s.loraRank > 0 ? kLoraActivations : kTrainActivations;
        const double perLayer = b * tokens * floatsPerTokenLayer(config, coefficients, s.tokens) * act;
        if (s.checkpointActivations) {
            add(plan, "activations", b * tokens * layers * static_cast<double>(config.dModel) * act + perLayer,
                "each block's input kept, one block recomputed at a time (--checkpoint-activations)");
        } else {
            add(plan, "activations", perLayer * layers,
                std::to_string(s.batchSize) + " questions x " + std::to_string(s.tokens) + " tokens x " +
                    std::to_string(config.nLayer) + " layers, kept for the gradient");
        }
        add(plan, "logits", 3.0 * b * static_cast<double>(s.scoredTokens) * vocab * 4,
            "scored positions x vocabulary, with the loss's gradient");
        const double trained = static_cast<double>(s.loraRank > 0 ? counts.lora : counts.trainable);
        const std::string what =
            s.loraRank > 0 ? count(counts.lora) + " LoRA adapter parameters (rank " + std::to_string(s.loraRank) + ")"
                           : count(counts.trainable) + " trainable parameters (" + s.trainable + ")";
        if (s.loraRank > 0) {
            add(plan, "adapters", trained * 4, what);
        } else if (s.weightBytes < 4) {
            add(plan, "float32 masters", trained * 4,
                "trainable weights widened to float32 (held as stored: frozen only)");
        }
        add(plan, "gradients", trained * 4, what);
        add(plan, "AdamW state", trained * 8, "two float32 moments per trainable parameter");
        add(plan, "gradient temporaries", static_cast<double>(counts.largestTrainable) * 4 * 4,
            "the largest trainable tensor's gradient computed apart and accumulated, AdamW's temporaries");
        if (s.keepBest) add(plan, "keep-best copy", trained * 4, "the best validation step's trainable parameters");
    }
    // Widening narrower stored weights keeps the file's pages resident while it is read (one
    // shard at a time; counted whole here): a peak of load time, so it counts only where it
    // exceeds what the job needs later.
    const std::string& stored = config.storedDtype;
    const int storedBytes = stored == "bfloat16" || stored == "float16" || stored == "half" ? 2 : 4;
    if (!s.cuda && !s.modelLoaded && s.weightBytes > storedBytes) {
        int64_t later = 0;
        for (const auto& item : plan.items) {
            if (item.name != "process" && item.name != "weights") later += item.bytes;
        }
        add(plan, "loading", static_cast<double>(counts.total * storedBytes - later),
            "the " + stored + " file's pages while they are widened (beyond what the job needs later)");
    }
    return plan;
}

MemoryPlan planMemory(const ModelConfig& config, const PlanSettings& settings, int64_t availableBytes) {
    auto plan = estimateMemory(config, settings);
    plan.available = availableBytes;
    if (plan.fits()) return plan;
    auto fits = [&](const PlanSettings& s) { return estimateMemory(config, s).total <= availableBytes; };
    // Single changes first, then combinations, cheapest in quality first.
    std::vector<PlanSettings> candidates;
    auto with = [&](auto change) {
        PlanSettings s = settings;
        change(s);
        candidates.push_back(s);
    };
    // How weights are held is chosen at load: no suggestion for a model in memory already.
    const bool canHoldNarrow = !settings.modelLoaded;
    if (canHoldNarrow && settings.weightBytes == 4 && settings.computeBytes == 4) {
        with([](PlanSettings& s) { s.weightBytes = 2; });
    }
    if (settings.job == PlanJob::Finetune) {
        for (int64_t b = settings.batchSize / 2; b >= 1; b /= 2) with([b](PlanSettings& s) { s.batchSize = b; });
        if (!settings.checkpointActivations) with([](PlanSettings& s) { s.checkpointActivations = true; });
        if (settings.loraRank == 0 && settings.trainable != "ffn") with([](PlanSettings& s) { s.trainable = "ffn"; });
        if (settings.loraRank == 0) with([](PlanSettings& s) { s.loraRank = 16; });
        with([](PlanSettings& s) {
            s.loraRank = s.loraRank > 0 ? s.loraRank : 16;
            s.checkpointActivations = true;
            if (!s.modelLoaded) s.weightBytes = std::min(s.weightBytes, 2);
        });
        with([](PlanSettings& s) {
            s.loraRank = s.loraRank > 0 ? s.loraRank : 16;
            s.checkpointActivations = true;
            if (!s.modelLoaded) s.weightBytes = std::min(s.weightBytes, 2);
            s.batchSize = 1;
        });
    } else if (settings.job == PlanJob::Eval) {
        for (int64_t b = settings.batchSize / 2; b >= 1; b /= 2) with([b](PlanSettings& s) { s.batchSize = b; });
    } else if (settings.job == PlanJob::Attribute) {
        for (int64_t q = settings.questionsPerPass / 2; q >= 1; q /= 2) {
            with([q](PlanSettings& s) { s.questionsPerPass = q; });
        }
        const int64_t rows = fittingRowsPerPass(config, settings, availableBytes);
        if (rows > 0) with([rows](PlanSettings& s) { s.rowsPerPass = rows; });
        // Weights held as stored and fewer rows per pass together (an 8B model on 24 GB): the
        // numbers of float32 computation, before any suggestion that changes them.
        if (canHoldNarrow && settings.weightBytes == 4 && settings.computeBytes == 4) {
            PlanSettings narrow = settings;
            narrow.weightBytes = 2;
            const int64_t narrowRows = fittingRowsPerPass(config, narrow, availableBytes);
            if (narrowRows > 0)
                with([narrowRows](PlanSettings& s) {
                    s.weightBytes = 2;
                    s.rowsPerPass = narrowRows;
                });
        }
    }
    // Last, as it changes the numbers: computing in bfloat16 halves the weights and activations.
    if (canHoldNarrow && settings.computeBytes == 4 && settings.job != PlanJob::Load) {
        with([](PlanSettings& s) { s.weightBytes = s.computeBytes = 2; });
    }
    for (const auto& c : candidates) {
        if (!fits(c)) continue;
        auto flags = flagsOf(settings, c);
        if (!flags.empty() &&
            std::find(plan.suggestions.begin(), plan.suggestions.end(), flags) == plan.suggestions.end()) {
            plan.suggestions.push_back(flags);
        }
        if (plan.suggestions.size() >= 4) break;
    }
    return plan;
}

int64_t fittingRowsPerPass(const ModelConfig& config, PlanSettings settings, int64_t availableBytes) {
    // More rows than one question has change nothing: stop at the first power of two that holds them.
    const int64_t perQuestion = (settings.igSteps + 2) * (settings.igPerLayer ? config.nLayer : 1);
    int64_t best = 0;
    for (int64_t rows = 1; rows <= (1 << 16); rows *= 2) {
        settings.rowsPerPass = rows;
        if (estimateMemory(config, settings).total > availableBytes) break;
        best = rows;
        if (rows >= perQuestion) break;
    }
    return best;
}

std::string MemoryPlan::text() const {
    std::string out = "memory plan for " + job + " on " + device + ":\n";
    for (const auto& item : items) {
        char line[256];
        std::snprintf(line, sizeof line, "  %-20s %10s  %s\n", item.name.c_str(), formatBytes(item.bytes).c_str(),
                      item.detail.c_str());
        out += line;
    }
    out += "  needed " + formatBytes(total) + ", available " + formatBytes(available) +
           (fits() ? " (fits)\n" : " (does not fit)\n");
    for (const auto& s : suggestions) out += "  would fit: " + s + "\n";
    return out;
}

nlohmann::json MemoryPlan::toJson() const {
    nlohmann::json items_ = nlohmann::json::array();
    for (const auto& item : items)
        items_.push_back({{"name", item.name}, {"bytes", item.bytes}, {"detail", item.detail}});
    return {{"job", job},
            {"device", device},
            {"items", items_},
            {"needed_bytes", total},
            {"available_bytes", available},
            {"fits", fits()},
            {"suggestions", suggestions}};
}

}  // namespace prunescope
