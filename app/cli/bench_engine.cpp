// `bench eval` and `bench attribution`: scoring and Integrated Gradients throughput on a
// GPT-2-small-shaped random model, against the matmul peak measured in the same run.
#include <chrono>
#include <cstdio>

#include "app/cli/args.h"
#include "app/cli/bench.h"
#include "app/cli/common.h"
#include "core/attribution/integrated_gradients.h"
#include "core/eval/scoring.h"
#include "core/model/model_io.h"
#include "core/util/device.h"
#include "core/util/system_info.h"

namespace prunescope::cli {
namespace {

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

}  // namespace

int benchEval(const Argv& argv) {
    ArgParser parser("prunescope-cli bench eval [--questions 64] [--seq 100] [--batch-size 8]",
                     "Letter scoring throughput (questions/s) of a GPT-2-small-shaped random model on 4-option\n"
                     "questions, and the fraction of the float32 matmul peak measured in the same run.");
    addShapeOptions(parser, "100");
    parser.option("questions", "N", "Questions", "64").option("batch-size", "B", "Sequences per forward pass", "8");
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
        std::printf("model            gpt2 shape, %lld layers, d_model %lld, %.1fM parameters, %s, %d thread(s)\n",
                    (long long)config.nLayer, (long long)config.dModel, config.parameterCount() / 1e6,
                    deviceName(device).c_str(), at::get_num_threads());
        std::printf("questions        %lld of %lld tokens, 4 options, batch %lld\n", (long long)items.size(),
                    (long long)args->getInt("seq"), (long long)options.batchSize);
        std::printf("scoring          %.2f questions/s (%.1f ms per question)\n", n / seconds, 1e3 * seconds / n);
        std::printf("achieved         %.1f GFLOP/s\nmatmul peak      %.1f GFLOP/s (same run)\nfraction of peak %.2f\n",
                    flops / seconds / 1e9, peak, flops / seconds / 1e9 / peak);
        return int(kOk);
    });
}

int benchAttribution(const Argv& argv) {
    ArgParser parser("prunescope-cli bench attribution [--questions 8] [--seq 128] [--steps 20]",
                     "Integrated Gradients on the same questions by both paths, in one process: the fast path (prefix\n"
                     "once with the KV cache, the m scaled copies of the last token as one batch) and the naive path\n"
                     "(every step re-runs the whole prompt, as Captum does). Prints seconds per question, the\n"
                     "speed-up, their largest relative difference, the completeness error and the fraction of peak.");
    addShapeOptions(parser, "128");
    parser.option("questions", "N", "Questions (every path)", "8")
        .option("steps", "M", "Gauss-Legendre steps", "20")
        .option("naive-rows", "R", "Scaled copies per pass in the naive path", "6")
        .option("naive-questions", "N", "Questions timed on the naive path (the slow one)", "3");
    return guarded("bench attribution", [&] {
        auto args = parser.parse(argv);
        if (!args) return int(kOk);
        startCommand({false, false});
        auto config = shapeFrom(*args);
        const auto device = chooseDevice(args->get("device"));
        auto model = buildModel(config, 0, device);
        auto items = randomItems(args->getInt("questions"), args->getInt("seq"), config.nVocab, 2);
        IgSettings s;
        s.steps = static_cast<int>(args->getInt("steps"));
        const double peak = measureMatmulGflops(1024, 1.0, device);
        integratedGradients(*model, items[0], 0, s);  // warm-up
        std::vector<QuestionIg> fast, naive;
        auto start = std::chrono::steady_clock::now();
        for (const auto& item : items) fast.push_back(integratedGradients(*model, item, 0, s));
        const double fastSeconds = since(start) / static_cast<double>(items.size());
        // Batched: all the questions' prompts as one batch, all their rows as another.
        std::vector<const ScoringItem*> group;
        for (const auto& item : items) group.push_back(&item);
        const std::vector<int> predicted(items.size(), 0);
        start = std::chrono::steady_clock::now();
        auto batched = integratedGradientsBatch(*model, group, predicted, s);
        const double batchedSeconds = since(start) / static_cast<double>(items.size());
        s.naive = true;
        s.rowsPerPass = args->getInt("naive-rows");
        const auto naiveCount = std::min<size_t>(items.size(), static_cast<size_t>(std::max<int64_t>(1, args->getInt("naive-questions"))));
        start = std::chrono::steady_clock::now();
        for (size_t i = 0; i < naiveCount; ++i) naive.push_back(integratedGradients(*model, items[i], 0, s));
        const double naiveSeconds = since(start) / static_cast<double>(naiveCount);
        double maxRel = 0, maxRelBatched = 0, fastError = 0, batchedError = 0, naiveError = 0;
        for (size_t i = 0; i < items.size(); ++i) {
            double scale = fast[i].ig.abs().max().item<double>();
            maxRelBatched = std::max(maxRelBatched, (batched[i].ig - fast[i].ig).abs().max().item<double>() / scale);
            fastError += fast[i].completenessError;
            batchedError += batched[i].completenessError;
        }
        for (size_t i = 0; i < naiveCount; ++i) {
            double scale = naive[i].ig.abs().max().item<double>();
            maxRel = std::max(maxRel, (fast[i].ig - naive[i].ig).abs().max().item<double>() / scale);
            naiveError += naive[i].completenessError;
        }
        const double n = static_cast<double>(items.size()), seq = static_cast<double>(args->getInt("seq"));
        const double rows = static_cast<double>(s.steps + 2);
        const double perToken = forwardFlopsPerToken(config, args->getInt("seq"), false);
        // Fast: prefix forward once; rows x (forward + backward ~ 3 forwards) of one token.
        const double fastFlops = (seq - 1) * perToken + rows * 3 * perToken;
        const double naiveFlops = rows * 3 * seq * perToken;
        std::printf("model             gpt2 shape, %lld layers, d_model %lld, %.1fM parameters, %s, %d thread(s)\n",
                    (long long)config.nLayer, (long long)config.dModel, config.parameterCount() / 1e6,
                    deviceName(device).c_str(), at::get_num_threads());
        std::printf("questions         %lld of %lld tokens; %d Gauss-Legendre steps (+ F(x), F(0) rows); joint scope\n",
                    (long long)items.size(), (long long)args->getInt("seq"), s.steps);
        std::printf("fast path         %.3f s per question (%.1f GFLOP/s, %.2f of peak)\n", fastSeconds,
                    fastFlops / fastSeconds / 1e9, fastFlops / fastSeconds / 1e9 / peak);
        std::printf("fast, batched     %.3f s per question (%zu questions per pass; %.1f GFLOP/s, %.2f of peak)\n",
                    batchedSeconds, items.size(), fastFlops / batchedSeconds / 1e9, fastFlops / batchedSeconds / 1e9 / peak);
        std::printf("naive path        %.3f s per question (%zu questions; %.1f GFLOP/s, %.2f of peak)\n", naiveSeconds,
                    naiveCount, naiveFlops / naiveSeconds / 1e9, naiveFlops / naiveSeconds / 1e9 / peak);
        std::printf("speed-up          %.1fx one question at a time, %.1fx batched (attribution runs batch %d)\n",
                    naiveSeconds / fastSeconds, naiveSeconds / batchedSeconds, IgSettings().questionsPerPass);
        std::printf("max relative diff %.2e (fast vs naive), %.2e (batched vs fast)\n", maxRel, maxRelBatched);
        std::printf("completeness      mean relative error %.2e (fast), %.2e (batched), %.2e (naive)\n", fastError / n,
                    batchedError / n, naiveError / static_cast<double>(naiveCount));
        std::printf("matmul peak       %.1f GFLOP/s (same run)\n", peak);
        return int(kOk);
    });
}

}  // namespace prunescope::cli
