// `bench eval` and `bench attribution`: scoring and Integrated Gradients throughput on a
// GPT-2-small-shaped random model, against the matmul peak measured in the same run.
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

#include "app/cli/args.h"
#include "app/cli/bench.h"
#include "app/cli/common.h"
#include "core/attribution/ig_agreement.h"
#include "core/attribution/integrated_gradients.h"
#include "core/data/mcq.h"
#include "core/eval/mcq_items.h"
#include "core/eval/scoring.h"
#include "core/model/model_io.h"
#include "core/tokenizer/tokenizer.h"
#include "core/util/device.h"
#include "core/util/system_info.h"

namespace prunescope::cli {
namespace {

std::string threadsText() {
    return describeThreads(at::get_num_threads(), openBlasThreadCount());
}

double since(std::chrono::steady_clock::time_point t) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

// Random 4-option questions: `length` prompt tokens, the letters " A".." D" of GPT-2.
std::vector<ScoringItem> randomItems(int64_t n, int64_t length, int64_t vocab, uint64_t seed) {
    auto gen = at::detail::createCPUGenerator(seed);
    std::vector<ScoringItem> items(static_cast<size_t>(n));
    for (auto& item : items) {
        auto ids = torch::randint(0, vocab, {length}, gen, torch::kLong);
        item.context.assign(ids.data_ptr<int64_t>(), ids.data_ptr<int64_t>() + length);
        item.continuations = {{317}, {347}, {327}, {360}};
        item.optionChars = {1, 1, 1, 1};
        item.gold = 0;
    }
    return items;
}

void addShapeOptions(ArgParser& p, const char* seq) {
    p.option("layers", "N", "Blocks", "12")
        .option("d-model", "D", "Hidden size", "768")
        .option("vocab", "V", "Vocabulary size", "50257")
        .option("seq", "T", "Prompt tokens", seq)
        .option("device", "D", "auto, cpu, cuda or cuda:N", "auto");
}

ModelConfig shapeFrom(const Args& a) {
    return benchConfig("gpt2", a.getInt("layers"), a.getInt("d-model"), 0, 0, a.getInt("vocab"), a.getInt("seq"));
}

// The same scoring under other splits of the cores between LibTorch's threads (element-wise work)
// and OpenBLAS's own (matrix products), against the default run's `seconds`.
void compareThreads(CausalLM& model, const std::vector<ScoringItem>& items, const ScoringOptions& options,
                    double seconds) {
    const int torchThreads = at::get_num_threads(), blasThreads = openBlasThreadCount();
    const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    struct Split {
        int torch, blas;
    };
    std::vector<Split> splits = {{cores, cores}, {1, cores}, {1, 1}};
    if (blasThreads == 0) splits = {{cores, 0}, {1, 0}};  // one pool: only LibTorch's count matters
    std::printf("\nthreads (same run; default: LibTorch %d, OpenBLAS %s): %.2f s\n", torchThreads,
                blasThreads > 0 ? std::to_string(blasThreads).c_str() : "none of its own", seconds);
    for (const auto& split : splits) {
        at::set_num_threads(split.torch);
        if (split.blas > 0) setOpenBlasThreadCount(split.blas);
        auto start = std::chrono::steady_clock::now();
        scoreItems(model, items, options);
        const double t = since(start);
        std::printf("  LibTorch %2d, OpenBLAS %-2s  %7.2f s  %5.2fx the default's time\n", split.torch,
                    split.blas > 0 ? std::to_string(split.blas).c_str() : "-", t, t / seconds);
    }
    at::set_num_threads(torchThreads);
    if (blasThreads > 0) setOpenBlasThreadCount(blasThreads);
}

}  // namespace

int benchEval(const Argv& argv) {
    ArgParser parser("prunescope-cli bench eval [--questions 64] [--seq 100] [--batch-size 8]",
                     "Letter scoring throughput (questions/s) of a GPT-2-small-shaped random model on 4-option\n"
                     "questions, and the fraction of the float32 matmul peak measured in the same run.");
    addShapeOptions(parser, "100");
    parser.option("questions", "N", "Questions", "64")
        .option("batch-size", "B", "Sequences per forward pass", "8")
        .flag("compare-threads", "Also time LibTorch's and OpenBLAS's thread counts against each other (same run)");
    return guarded("bench eval", [&] {
        auto args = parser.parse(argv);
        if (!args) return int(kOk);
        startCommand({false, false});
        auto config = shapeFrom(*args);
        const auto device = chooseDevice(args->get("device"));
        auto model = buildModel(config, 0, device);
        auto items = randomItems(args->getInt("questions"), args->getInt("seq"), config.nVocab, 1);
        ScoringOptions options;
        options.batchSize = args->getInt("batch-size");
        const double peak = measureMatmulGflops(1024, 1.0, device);
        scoreItems(*model, {items.begin(), items.begin() + std::min<size_t>(items.size(), 8)}, options);  // warm-up
        auto start = std::chrono::steady_clock::now();
        scoreItems(*model, items, options);
        const double seconds = since(start);
        const double n = static_cast<double>(items.size()), seq = static_cast<double>(args->getInt("seq"));
        // Every prompt token through the blocks, the head at the answer position only.
        const double flops = n * (seq * forwardFlopsPerToken(config, args->getInt("seq"), false) +
                                  2.0 * static_cast<double>(config.dModel * config.nVocab));
        std::printf("model            gpt2 shape, %lld layers, d_model %lld, %.1fM parameters, %s, %s\n",
                    (long long)config.nLayer, (long long)config.dModel, config.parameterCount() / 1e6,
                    deviceName(device).c_str(), threadsText().c_str());
        std::printf("questions        %lld of %lld tokens, 4 options, batch %lld\n", (long long)items.size(),
                    (long long)args->getInt("seq"), (long long)options.batchSize);
        std::printf("scoring          %.2f questions/s (%.1f ms per question)\n", n / seconds, 1e3 * seconds / n);
        std::printf("achieved         %.1f GFLOP/s\nmatmul peak      %.1f GFLOP/s (same run)\nfraction of peak %.2f\n",
                    flops / seconds / 1e9, peak, flops / seconds / 1e9 / peak);
        if (args->has("compare-threads")) compareThreads(*model, items, options, seconds);
        return int(kOk);
    });
}

namespace {

struct TimedIg {
    std::vector<QuestionIg> results;
    double secondsPerQuestion = 0;
};

// All questions batched as attribution runs batch them (the first pass is a warm-up when `warm`).
TimedIg timedBatch(CausalLM& model, const std::vector<ScoringItem>& items, const std::vector<int>& predicted,
                   const IgSettings& s, const c10::Device& device) {
    std::vector<const ScoringItem*> group;
    for (const auto& item : items) group.push_back(&item);
    TimedIg out;
    auto start = std::chrono::steady_clock::now();
    out.results = integratedGradientsBatch(model, group, predicted, s);
    synchronize(device);
    out.secondsPerQuestion = since(start) / static_cast<double>(items.size());
    return out;
}

double meanCompleteness(const std::vector<QuestionIg>& r) {
    double sum = 0;
    for (const auto& q : r) sum += q.completenessError;
    return r.empty() ? 0 : sum / static_cast<double>(r.size());
}

// Mean |F(x) − F(0)| (per scope block): the scale the completeness error is relative to.
double meanTargetChange(const std::vector<QuestionIg>& r) {
    double sum = 0, n = 0;
    for (const auto& q : r) {
        for (double f0 : q.f0) {
            sum += std::abs(q.fx - f0);
            n += 1;
        }
    }
    return n > 0 ? sum / n : 0;
}

// The reduced-precision run against float32: per question, and on the mean over the questions
// (what selection ranks).
void printAgreement(const std::vector<QuestionIg>& ref, const std::vector<QuestionIg>& other, const char* dtype) {
    double spearman = 0, overlap = 0, rel = 0;
    auto meanRef = torch::zeros_like(ref[0].ig), meanOther = torch::zeros_like(ref[0].ig);
    int agreeing = 0;
    for (size_t i = 0; i < ref.size(); ++i) {
        const auto a = compareScores(ref[i].ig, other[i].ig, 0.01);
        spearman += a.spearman;
        overlap += a.topOverlap;
        rel = std::max(rel, a.maxRelativeDiff);
        meanRef += ref[i].ig;
        meanOther += other[i].ig;
        agreeing += ref[i].predicted == other[i].predicted;
    }
    const double n = static_cast<double>(ref.size());
    const auto mean = compareScores(meanRef / n, meanOther / n, 0.01);
    std::printf(
        "%-9s vs f32  per question: Spearman %.4f, top-1%% overlap %.3f, max relative diff %.2e (means over %zu)\n",
        dtype, spearman / n, overlap / n, rel, ref.size());
    std::printf(
        "%-9s vs f32  mean over questions: Spearman %.4f, top-1%% overlap %.3f (%lld neurons), max relative diff "
        "%.2e\n",
        dtype, mean.spearman, mean.topOverlap, (long long)mean.topCount, mean.maxRelativeDiff);
    std::printf("%-9s vs f32  same predicted option at alpha = 1 in %d of %zu questions\n", dtype, agreeing,
                ref.size());
}

}  // namespace

int benchAttribution(const Argv& argv) {
    ArgParser parser(
        "prunescope-cli bench attribution [--questions 8] [--seq 128] [--steps 20] [--dtype bfloat16]\n"
        "                                  [--model PATH --data FILE]",
        "Integrated Gradients on the same questions by both paths, in one process: the fast path (prefix\n"
        "once with the KV cache, the m scaled copies of the last token as one batch) and the naive path\n"
        "(every step re-runs the whole prompt, as Captum does). Prints seconds per question, the\n"
        "speed-up, their largest relative difference, the completeness error and the fraction of peak.\n"
        "With --dtype bfloat16 (or float16) the batched path runs again in that dtype: its speed-up over\n"
        "float32 and how far its scores agree with float32's (Spearman, top-1% overlap, completeness).\n"
        "With --model and --data: a real model (in float32 first) and the first questions of a dataset\n"
        "(letter prompts, the predicted option as the target) instead of the random GPT-2 shape.\n"
        "With --scope per-layer the rows also run as one pass through every block, against the fast\n"
        "path's passes that start at each row's layer: the speed-up and their largest difference.");
    addShapeOptions(parser, "128");
    parser.option("questions", "N", "Questions (every path)", "8")
        .option("steps", "M", "Gauss-Legendre steps", "20")
        .option("naive-rows", "R", "Scaled copies per pass in the naive path", "6")
        .option("naive-questions", "N", "Questions timed on the naive path (the slow one; 0: skip it)", "3")
        .option("scope", "S", "joint or per-layer", "joint")
        .option("dtype", "T", "Also run in this compute dtype and compare: bfloat16 or float16 (float32: no)",
                "float32")
        .option("model", "PATH", "A real model (folder or .gguf) instead of the random shape")
        .option("data", "FILE", "With --model: the questions (letter prompts)");
    return guarded("bench attribution", [&] {
        auto args = parser.parse(argv);
        if (!args) return int(kOk);
        startCommand({false, false});
        const auto device = chooseDevice(args->get("device"));
        const auto dtype = dtypeFromName(args->get("dtype"), "--dtype");
        if (dtype != torch::kFloat) checkComputeDtype(dtype, device, "--dtype");
        std::shared_ptr<CausalLM> model;
        std::vector<ScoringItem> items;
        std::vector<int> predicted;
        std::string what;
        if (args->maybe("model")) {
            if (!args->maybe("data")) throw UsageError("--model needs --data (the questions)");
            ModelLoadOptions load;
            load.device = args->get("device");
            load.weights = WeightHolding::Float32;
            model = loadModel(args->get("model"), load);
            const auto tokenizer = Tokenizer::fromModel(args->get("model"));
            auto data = loadMcqDataset(args->get("data"));
            const auto n = std::min<size_t>(data.questions.size(), static_cast<size_t>(args->getInt("questions")));
            data.questions.resize(n);
            items = buildScoringItems(data, tokenizer, ScoringMode::Letter, PromptTemplate{});
            for (const auto& score : scoreItems(*model, items, ScoringOptions{})) predicted.push_back(score.predicted);
            what = args->get("model") + " (" + model->config().modelType + ", " +
                   std::to_string(model->config().parameterCount() / 1000000) + "M parameters), " + args->get("data");
        } else {
            auto config = shapeFrom(*args);
            model = buildModel(config, 0, device);
            items = randomItems(args->getInt("questions"), args->getInt("seq"), config.nVocab, 2);
            predicted.assign(items.size(), 0);
            char line[160];
            std::snprintf(line, sizeof line, "gpt2 shape, %lld layers, d_model %lld, %.1fM parameters, random weights",
                          (long long)config.nLayer, (long long)config.dModel, config.parameterCount() / 1e6);
            what = line;
        }
        const auto& config = model->config();
        IgSettings s;
        s.steps = static_cast<int>(args->getInt("steps"));
        s.scope = parseIgScope(args->get("scope"));
        const double peak = measureMatmulGflops(1024, 1.0, device);
        integratedGradients(*model, items[0], predicted[0], s);  // warm-up
        std::vector<QuestionIg> fast, naive;
        auto start = std::chrono::steady_clock::now();
        for (size_t i = 0; i < items.size(); ++i)
            fast.push_back(integratedGradients(*model, items[i], predicted[i], s));
        synchronize(device);
        const double fastSeconds = since(start) / static_cast<double>(items.size());
        // Batched: all the questions' prompts as one batch, all their rows as another.
        const auto batched = timedBatch(*model, items, predicted, s, device);
        auto naiveSettings = s;
        naiveSettings.naive = true;
        naiveSettings.rowsPerPass = args->getInt("naive-rows");
        const auto naiveCount =
            std::min<size_t>(items.size(), static_cast<size_t>(std::max<int64_t>(0, args->getInt("naive-questions"))));
        start = std::chrono::steady_clock::now();
        for (size_t i = 0; i < naiveCount; ++i)
            naive.push_back(integratedGradients(*model, items[i], predicted[i], naiveSettings));
        synchronize(device);
        const double naiveSeconds = naiveCount > 0 ? since(start) / static_cast<double>(naiveCount) : 0;
        double maxRel = 0, maxRelBatched = 0;
        for (size_t i = 0; i < items.size(); ++i) {
            double scale = fast[i].ig.abs().max().item<double>();
            maxRelBatched =
                std::max(maxRelBatched, (batched.results[i].ig - fast[i].ig).abs().max().item<double>() / scale);
        }
        for (size_t i = 0; i < naiveCount; ++i) {
            double scale = naive[i].ig.abs().max().item<double>();
            maxRel = std::max(maxRel, (fast[i].ig - naive[i].ig).abs().max().item<double>() / scale);
        }
        double seq = 0;
        for (const auto& item : items) seq += static_cast<double>(item.context.size());
        seq /= static_cast<double>(items.size());
        const double rows = static_cast<double>(s.steps + 1) *
                                (s.scope == IgScope::PerLayer ? static_cast<double>(config.nLayer) : 1.0) +
                            1;
        // One layer at a time, each pass starts at the lowest layer its rows scale: the rows run
        // that share of the blocks.
        double blockShare = 1;
        if (s.scope == IgScope::PerLayer) {
            const int64_t perLayer = s.steps + 1, layers = config.nLayer, total = layers * perLayer + 1;
            const int64_t band = layerBandRows(perLayer, layers);
            double blockRows = 0;
            for (int64_t start = 0; start < total; start += band) {
                const int64_t first = std::min(start / perLayer, layers - 1);
                blockRows += static_cast<double>(std::min(band, total - start) * (layers - first));
            }
            blockShare = blockRows / (rows * static_cast<double>(layers));
        }
        const double perToken = forwardFlopsPerToken(config, static_cast<int64_t>(seq), false);
        // Fast: prefix forward once; rows x (forward + backward) of one token. The backward pass
        // takes gradients to the activations only (no weight requires one): about one forward more.
        const double fastFlops = (seq - 1) * perToken + rows * blockShare * 2 * perToken;
        const double naiveFlops = rows * 2 * seq * perToken;
        std::printf("model             %s, %s, %s\n", what.c_str(), deviceName(device).c_str(), threadsText().c_str());
        std::printf(
            "questions         %lld of %.0f tokens (mean); %d Gauss-Legendre steps (+ F(x), F(0) rows); %s scope\n",
            (long long)items.size(), seq, s.steps, igScopeName(s.scope));
        std::printf("fast path         %.3f s per question (%.1f GFLOP/s, %.2f of peak)\n", fastSeconds,
                    fastFlops / fastSeconds / 1e9, fastFlops / fastSeconds / 1e9 / peak);
        std::printf("fast, batched     %.3f s per question (%zu questions per pass; %.1f GFLOP/s, %.2f of peak)\n",
                    batched.secondsPerQuestion, items.size(), fastFlops / batched.secondsPerQuestion / 1e9,
                    fastFlops / batched.secondsPerQuestion / 1e9 / peak);
        if (naiveCount > 0) {
            std::printf("naive path        %.3f s per question (%zu questions; %.1f GFLOP/s, %.2f of peak)\n",
                        naiveSeconds, naiveCount, naiveFlops / naiveSeconds / 1e9,
                        naiveFlops / naiveSeconds / 1e9 / peak);
            std::printf("speed-up          %.1fx one question at a time, %.1fx batched (attribution runs batch %d)\n",
                        naiveSeconds / fastSeconds, naiveSeconds / batched.secondsPerQuestion,
                        IgSettings().questionsPerPass);
            std::printf("max relative diff %.2e (fast vs naive), %.2e (batched vs fast)\n", maxRel, maxRelBatched);
        } else {
            std::printf("max relative diff %.2e (batched vs fast)\n", maxRelBatched);
        }
        std::printf("completeness      mean relative error %.2e (fast), %.2e (batched)", meanCompleteness(fast),
                    meanCompleteness(batched.results));
        if (naiveCount > 0) std::printf(", %.2e (naive)", meanCompleteness(naive));
        std::printf("; mean |F(x) - F(0)| %.3g\n", meanTargetChange(batched.results));
        if (s.scope == IgScope::PerLayer) {
            // The same rows in one pass from the first block (as before passes started at their
            // lowest layer): every row runs every block.
            auto onePass = s;
            onePass.rowsPerPass = static_cast<int64_t>(rows);
            std::vector<QuestionIg> whole;
            start = std::chrono::steady_clock::now();
            for (size_t i = 0; i < items.size(); ++i)
                whole.push_back(integratedGradients(*model, items[i], predicted[i], onePass));
            synchronize(device);
            const double wholeSeconds = since(start) / static_cast<double>(items.size());
            double maxRelWhole = 0;
            for (size_t i = 0; i < items.size(); ++i) {
                const double scale = whole[i].ig.abs().max().item<double>();
                maxRelWhole = std::max(maxRelWhole, (fast[i].ig - whole[i].ig).abs().max().item<double>() / scale);
            }
            std::printf(
                "one pass, all rows %.3f s per question (every row through every block): passes from "
                "each row's layer are %.2fx faster (%.0f%% of the block work); max relative diff %.2e\n",
                wholeSeconds, wholeSeconds / fastSeconds, 100 * blockShare, maxRelWhole);
        }
        std::printf("matmul peak       %.1f GFLOP/s (float32, same run)\n", peak);
        if (dtype != torch::kFloat) {
            const auto name = dtypeName(dtype);
            setComputeDtype(*model, dtype);
            const double narrowPeak = measureMatmulGflops(1024, 1.0, device, dtype);
            timedBatch(*model, {items.begin(), items.begin() + 1}, {predicted[0]}, s, device);  // warm-up
            const auto narrow = timedBatch(*model, items, predicted, s, device);
            std::printf("%-9s batched %.3f s per question: %.2fx the speed of float32 batched\n", name.c_str(),
                        narrow.secondsPerQuestion, batched.secondsPerQuestion / narrow.secondsPerQuestion);
            std::printf(
                "%-9s         completeness: mean relative error %.2e (float32: %.2e); mean |F(x) - F(0)| %.3g\n",
                name.c_str(), meanCompleteness(narrow.results), meanCompleteness(batched.results),
                meanTargetChange(narrow.results));
            printAgreement(batched.results, narrow.results, name.c_str());
            std::printf("%-9s peak    %.1f GFLOP/s matmul (%.2fx float32's, same run)\n", name.c_str(), narrowPeak,
                        narrowPeak / peak);
        }
        return int(kOk);
    });
}

}  // namespace prunescope::cli
