#include "tests/support/test_support.h"

#include <QProcess>
#include <QtTest>

#include <torch/torch.h>

#include <cstdio>
#include <cstdlib>
#include <random>

#include "core/model/config.h"
#include "core/model/model_io.h"

namespace prunescope::test {

std::filesystem::path dataDir() {
    return PRUNESCOPE_TEST_DATA_DIR;
}
std::filesystem::path sharedDataDir() {
    return PRUNESCOPE_SHARED_DATA_DIR;
}
std::filesystem::path cliPath() {
    return std::filesystem::path(PRUNESCOPE_BINARY_DIR) / "app" / "prunescope-cli";
}

std::filesystem::path cachedModel(const std::string& fileName) {
    std::filesystem::path cache;
    if (const char* env = std::getenv("PRUNESCOPE_CACHE"); env != nullptr && *env != 0) {
        cache = env;
    } else if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg != nullptr && *xdg != 0) {
        cache = std::filesystem::path(xdg) / "prunescope";
    } else {
        const char* home = std::getenv("HOME");
        cache = std::filesystem::path(home != nullptr ? home : "/") / ".cache" / "prunescope";
    }
    return cache / "models" / fileName;
}

TempDir::TempDir() {
    QVERIFY2(m_dir.isValid(), "cannot create a temporary folder");
}

std::filesystem::path TempDir::path() const {
    return m_dir.path().toStdString();
}

CliResult runCli(const std::vector<std::string>& args, int timeoutMs) {
    QProcess process;
    QStringList list;
    for (const auto& a : args) list << QString::fromStdString(a);
    process.start(QString::fromStdString(cliPath().string()), list);
    CliResult result;
    if (!process.waitForFinished(timeoutMs)) {
        process.kill();
        process.waitForFinished();
        result.err = "timed out";
        return result;
    }
    result.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
    result.out = process.readAllStandardOutput().toStdString();
    result.err = process.readAllStandardError().toStdString();
    return result;
}

std::filesystem::path makeTinyModel(const std::filesystem::path& dir, const std::string& arch, uint64_t seed,
                                    double std) {
    namespace fs = std::filesystem;
    nlohmann::json config;
    fs::path tokenizerDir;
    if (arch == "gpt2") {
        config = {{"model_type", "gpt2"}, {"n_layer", 2},       {"n_embd", 32},          {"n_head", 4},
                  {"vocab_size", 50257},  {"n_positions", 512}, {"bos_token_id", 50256}, {"eos_token_id", 50256}};
        tokenizerDir = sharedDataDir() / "tokenizers" / "gpt2-openai";
    } else {
        config = {{"model_type", arch},
                  {"num_hidden_layers", 2},
                  {"hidden_size", 32},
                  {"num_attention_heads", 4},
                  {"num_key_value_heads", 2},
                  {"intermediate_size", 48},
                  {"vocab_size", 32000},
                  {"max_position_embeddings", 512},
                  {"tie_word_embeddings", true},
                  {"bos_token_id", 1},
                  {"eos_token_id", 2}};
        tokenizerDir = sharedDataDir() / "tokenizers" / "mistral-7b";
    }
    auto model = buildModel(parseModelConfig(config, "config.json"), seed, torch::kCPU, std);
    saveModel(*model, dir, {"float32", {}});
    for (const auto& e : fs::directory_iterator(tokenizerDir)) {
        auto name = e.path().filename().string();
        if (name != "test-vectors.json" && name != "SOURCES.md") fs::copy_file(e.path(), dir / name);
    }
    return dir;
}

double maxAbsDiff(const at::Tensor& a, const at::Tensor& b, const std::string& what) {
    auto x = a.detach().to(torch::kCPU, torch::kFloat64);
    auto y = b.detach().to(torch::kCPU, torch::kFloat64);
    if (x.sizes() != y.sizes()) {
        std::printf("%s: shapes differ\n", what.c_str());
        return INFINITY;
    }
    double d = x.numel() == 0 ? 0.0 : (x - y).abs().max().item<double>();
    std::printf("%s: max |diff| = %.3g\n", what.c_str(), d);
    return d;
}

McqDataset letterTask(int n, uint64_t seed) {
    const char* words[] = {"dog", "cat", "sun", "car", "tree", "book", "milk", "rain", "fish", "lamp", "road", "door"};
    std::mt19937_64 rng(seed);
    McqDataset d;
    d.name = "letters";
    for (int i = 0; i < n; ++i) {
        McqQuestion q;
        q.id = std::to_string(i);
        q.answer = static_cast<int>(rng() % 4);
        q.question = std::string("The answer is ") + "ABCD"[q.answer] + ".";
        for (int o = 0; o < 4; ++o) q.options.push_back(words[(rng() % 3) * 4 + static_cast<uint64_t>(o)]);
        q.labels = {"A", "B", "C", "D"};
        d.questions.push_back(q);
    }
    return d;
}

}  // namespace prunescope::test
