// Helpers shared by the tests: data folders, temporary folders, running the CLI, and tensor
// comparisons that print the largest difference.
#pragma once

#include <QString>
#include <QTemporaryDir>

#include <filesystem>
#include <string>
#include <vector>

#include "core/data/mcq.h"

namespace at {
class Tensor;
}

namespace prunescope::test {

std::filesystem::path dataDir();        // tests/data (committed fixtures)
std::filesystem::path sharedDataDir();  // ../shared/data (real benchmark files)
std::filesystem::path cliPath();        // the built prunescope-cli
// Where scripts/fetch-models.sh puts a real model: $PRUNESCOPE_CACHE/models (default
// ~/.cache/prunescope/models). The file may be missing; tests say which command fetches it.
std::filesystem::path cachedModel(const std::string& fileName);

// A temporary folder removed at the end of the test.
class TempDir {
public:
    TempDir();
    std::filesystem::path path() const;
    std::filesystem::path operator/(const std::string& name) const { return path() / name; }

private:
    QTemporaryDir m_dir;
};

struct CliResult {
    int exitCode = -1;
    std::string out;
    std::string err;
};
// Runs prunescope-cli with `args` and waits (up to `timeoutMs`).
CliResult runCli(const std::vector<std::string>& args, int timeoutMs = 600000);

// A small randomly initialized model with a real tokenizer, written as a Hugging Face folder in
// `dir`: GPT-2 shape (2 layers, d 32) with the GPT-2 BPE from ../shared, or Llama shape with the
// Mistral SentencePiece tokenizer. Returns `dir`.
std::filesystem::path makeTinyModel(const std::filesystem::path& dir, const std::string& arch = "gpt2",
                                    uint64_t seed = 1, double std = 0.3);

// Largest |a - b|, printed with `what`; both tensors are compared on the CPU in float64.
double maxAbsDiff(const at::Tensor& a, const at::Tensor& b, const std::string& what);

// n questions "The answer is C." with four random words as options: learnable by copying the
// letter (the fine-tuning tests' task).
McqDataset letterTask(int n, uint64_t seed);

}  // namespace prunescope::test
