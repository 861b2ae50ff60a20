// prunescope-cli: the command-line front end of the Prunescope engine.
#include <iostream>

#include "app/cli/commands.h"
#include "app/cli/common.h"
#include "core/util/system_info.h"

namespace prunescope::cli {

const std::vector<Command>& commands() {
    static const std::vector<Command> table = {
        {"info", "Describe a model folder: architecture, sizes, parameters, files", runInfo},
        {"init-model", "Create a model folder with fresh weights from a config.json", runInitModel},
        {"generate", "Greedy text generation with the KV cache", runGenerate},
        {"eval", "Score a multiple-choice dataset: accuracy and confidence per question", runEval},
        {"attribute", "Integrated Gradients over FFN neurons for confident answers", runAttribute},
        {"attributions", "Inspect an attributions file (attributions show FILE)", runAttributions},
        {"merge", "Merge attribution shards into one file", runMerge},
        {"select", "Choose neurons to prune (or a random / magnitude baseline mask)", runSelect},
        {"finetune", "Fine-tune with a pruning mask; save a Hugging Face folder", runFinetune},
        {"run", "The whole experiment from experiment.json: arms x seeds, ID and OOD, report", runRun},
        {"demo", "The built-in demo: planted shortcut, model trained here, the whole experiment", runDemoCommand},
        {"tokenize", "Print the token ids of a text as a JSON array", runTokenize},
        {"bench", "Benchmarks: forward, tokenizer, eval, attribution (measured side by side)", runBench},
    };
    return table;
}

namespace {

void printHelp() {
    std::cout << "Usage: prunescope-cli COMMAND [OPTIONS]\n\n"
                 "Find and prune the neurons behind a language model's dataset shortcuts.\n\n"
                 "Commands:\n";
    for (const auto& c : commands()) {
        std::string name = c.name;
        name.resize(14, ' ');
        std::cout << "  " << name << c.summary << "\n";
    }
    std::cout << "\nRun 'prunescope-cli COMMAND --help' for a command's options.\n"
                 "Exit codes: 0 success, 1 internal failure, 2 bad input or usage, 130 cancelled.\n";
}

}  // namespace
}  // namespace prunescope::cli

int main(int argc, char** argv) {
    using namespace prunescope::cli;
    if (argc < 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h" ||
        std::string(argv[1]) == "help") {
        printHelp();
        return argc < 2 ? kBadInput : kOk;
    }
    std::string name = argv[1];
    if (name == "--version" || name == "version") {
        std::cout << "prunescope-cli " << PRUNESCOPE_VERSION << " (" << prunescope::describeVersions() << ")\n";
        return kOk;
    }
    for (const auto& c : commands()) {
        if (name == c.name) return c.run(Argv(argv + 2, argv + argc));
    }
    std::cerr << "prunescope-cli: unknown command '" << name << "'\n"
              << "Run 'prunescope-cli --help' for the list of commands.\n";
    return kBadInput;
}
