// `prunescope-cli bench <what>`: benchmarks that print ratios measured side by side in one run
// (e.g. achieved GFLOP/s against the machine's matmul peak measured in the same process).
#include <chrono>
#include <cstdio>
#include <iostream>

#include "app/cli/args.h"
#include "app/cli/bench.h"
#include "app/cli/bench_tokenizer.h"
#include "app/cli/commands.h"
#include "app/cli/common.h"
#include "core/model/architecture.h"
#include "core/model/model_io.h"
#include "core/util/device.h"
#include "core/util/system_info.h"

namespace prunescope::cli {
namespace {

double seconds(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

int benchForward(const Argv& argv) {
    ArgParser parser(
        "prunescope-cli bench forward [--arch gpt2] [--layers 12] [--d-model 768] [--seq 128] [--device auto]\n"
        "                              [--dtype bfloat16]",
        "Forward-pass throughput of a randomly initialized model of the given shape, as tokens/s and\n"
        "as a fraction of the float32 matmul peak measured in the same run. With --dtype bfloat16 (or\n"
        "float16) the same model runs again in that dtype: the speed-up over float32, the dtype's own\n"
        "matmul peak, and how far its logits are from float32's.");
    parser.option("arch", "A", "gpt2, llama, mistral or qwen2", "gpt2")
        .option("layers", "N", "Blocks", "12")
        .option("d-model", "D", "Hidden size", "768")
        .option("heads", "H", "Attention heads (0: d-model / 64)", "0")
        .option("neurons", "N", "FFN width (0: 4 x d-model for gpt2, 8/3 x for the others)", "0")
        .option("vocab", "V", "Vocabulary size", "50257")
        .option("seq", "T", "Sequence length", "128")
        .option("batch", "B", "Sequences per forward pass", "8")
        .option("seconds", "S", "Time to spend measuring (each dtype)", "5")
        .option("device", "D", "auto, cpu, cuda or cuda:N", "auto")
        .option("dtype", "T", "Also measure this compute dtype beside float32: bfloat16 or float16", "float32");
    return guarded("bench forward", [&] {
        auto args = parser.parse(argv);
        if (!args) return int(kOk);
        startCommand({false, false});
        auto config =
            benchConfig(args->get("arch"), args->getInt("layers"), args->getInt("d-model"), args->getInt("heads"),
                        args->getInt("neurons"), args->getInt("vocab"), args->getInt("seq"));
        const auto device = chooseDevice(args->get("device"));
        auto model = buildModel(config, 0, device);
        const int64_t batch = args->getInt("batch"), seq = args->getInt("seq");
        auto ids = torch::randint(0, config.nVocab, {batch, seq}, torch::kLong).to(device);
        torch::NoGradGuard noGrad;

        const auto dtype = dtypeFromName(args->get("dtype"), "--dtype");
        if (dtype != torch::kFloat) checkComputeDtype(dtype, device, "--dtype");

        // Seconds per forward pass, after a warm-up, for about --seconds.
        auto timeForward = [&] {
            model->forward(ids);  // warm-up
            synchronize(device);
            int reps = 0;
            auto start = std::chrono::steady_clock::now();
            do {
                model->forward(ids);
                synchronize(device);  // CUDA returns before the work is done
                ++reps;
            } while (seconds(start) < args->getDouble("seconds"));
            return seconds(start) / reps;
        };
        const double peak = measureMatmulGflops(1024, 1.0, device);
        const double perBatch = timeForward();
        const double tokensPerBatch = static_cast<double>(batch * seq);
        const double flopsPerBatch = forwardFlopsPerToken(config, seq, true) * tokensPerBatch;
        const double achieved = flopsPerBatch / perBatch / 1e9;
        std::printf("model            %s, %lld layers, d_model %lld, %lld neurons, vocab %lld, %.1fM parameters\n",
                    config.modelType.c_str(), (long long)config.nLayer, (long long)config.dModel,
                    (long long)config.nNeuron, (long long)config.nVocab, config.parameterCount() / 1e6);
        std::printf("input            batch %lld x %lld tokens, full logits\n", (long long)batch, (long long)seq);
        std::printf("device           %s, %d CPU thread(s)\n", deviceName(device).c_str(), at::get_num_threads());
        std::printf("forward          %.1f ms per batch, %.0f tokens/s (float32)\n", 1e3 * perBatch,
                    tokensPerBatch / perBatch);
        std::printf("achieved         %.1f GFLOP/s (matmul FLOPs counted: projections, attention, head)\n", achieved);
        std::printf("matmul peak      %.1f GFLOP/s (1024^2 float32, same device, same run)\n", peak);
        std::printf("fraction of peak %.2f\n", achieved / peak);
        if (dtype != torch::kFloat) {
            const auto name = dtypeName(dtype);
            auto reference = model->forward(ids).to(torch::kFloat);
            setComputeDtype(*model, dtype);
            const double narrowPerBatch = timeForward();
            const double narrowPeak = measureMatmulGflops(1024, 1.0, device, dtype);
            const double narrowAchieved = flopsPerBatch / narrowPerBatch / 1e9;
            auto logits = model->forward(ids).to(torch::kFloat);
            const double diff = (logits - reference).abs().max().item<double>() / reference.abs().max().item<double>();
            std::printf("%-16s %.1f ms per batch, %.0f tokens/s: %.2fx the speed of float32\n", name.c_str(),
                        1e3 * narrowPerBatch, tokensPerBatch / narrowPerBatch, perBatch / narrowPerBatch);
            std::printf("%-16s %.1f GFLOP/s achieved; matmul peak %.1f GFLOP/s (%.2fx float32's, same run)\n",
                        name.c_str(), narrowAchieved, narrowPeak, narrowPeak / peak);
            std::printf("%-16s logits differ from float32's by %.2e of their largest magnitude\n", name.c_str(), diff);
        }
        return int(kOk);
    });
}

}  // namespace

ModelConfig benchConfig(const std::string& arch, int64_t layers, int64_t dModel, int64_t heads, int64_t neurons,
                        int64_t vocab, int64_t seq) {
    ModelConfig c;
    c.modelType = arch;
    findArchitecture(arch, "--arch");
    c.nLayer = layers;
    c.dModel = dModel;
    c.nHead = heads > 0 ? heads : std::max<int64_t>(1, dModel / 64);
    c.nKvHead = arch == "gpt2" ? c.nHead : std::max<int64_t>(1, c.nHead / 4);
    if (c.nHead % c.nKvHead != 0) c.nKvHead = c.nHead;
    c.headDim = dModel / c.nHead;
    c.nNeuron = neurons > 0 ? neurons : (arch == "gpt2" ? 4 * dModel : dModel * 8 / 3);
    c.nVocab = vocab;
    c.nCtx = std::max<int64_t>(seq + 1, 1024);
    c.activation = arch == "gpt2" ? "gelu_new" : "silu";
    c.tieEmbeddings = true;
    c.attnBias = arch == "gpt2" || arch == "qwen2";
    c.mlpBias = arch == "gpt2";
    return c;
}

double forwardFlopsPerToken(const ModelConfig& c, int64_t seq, bool headAtEveryPosition) {
    const double d = static_cast<double>(c.dModel);
    const double kv = static_cast<double>(c.nKvHead * c.headDim);
    const double q = static_cast<double>(c.nHead * c.headDim);
    const double ffnMats = c.traits().gatedFfn ? 3 : 2;
    const double perLayer = 2 * (d * q + 2 * d * kv + q * d)                    // q, k, v, o projections
                            + 2 * ffnMats * d * static_cast<double>(c.nNeuron)  // FFN
                            + 2 * 2 * q * static_cast<double>(seq + 1) / 2;     // scores and mix, causal average
    const double head = headAtEveryPosition ? 2 * d * static_cast<double>(c.nVocab) : 0;
    return static_cast<double>(c.nLayer) * perLayer + head;
}

int runBench(const Argv& argv) {
    const std::vector<std::pair<const char*, int (*)(const Argv&)>> benches = {
        {"forward", benchForward},         {"tokenizer", benchTokenizer}, {"eval", benchEval},
        {"attribution", benchAttribution}, {"memory", benchMemory},       {"front-ends", benchFrontEnds}};
    if (!argv.empty() && argv[0] == "--help" && helpFormat() == HelpFormat::Roff) {
        for (const auto& b : benches) b.second({"--help"});  // the man page has every benchmark's options
        return kOk;
    }
    if (argv.empty() || argv[0] == "--help" || argv[0] == "-h") {
        std::cout << "Usage: prunescope-cli bench WHAT [OPTIONS]\n\nBenchmarks (each has --help):\n";
        for (const auto& b : benches) std::cout << "  " << b.first << "\n";
        return argv.empty() ? kBadInput : kOk;
    }
    for (const auto& b : benches) {
        if (argv[0] == b.first) return b.second(Argv(argv.begin() + 1, argv.end()));
    }
    std::cerr << "prunescope-cli bench: unknown benchmark '" << argv[0] << "'\n";
    return kBadInput;
}

}  // namespace prunescope::cli
