// prunescope-cli: the command-line front end of the Prunescope engine.
#include <iostream>

#include "app/cli/args.h"
#include "app/cli/commands.h"
#include "app/cli/common.h"
#include "app/roff.h"
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

const char* const kSummary = "Find and prune the neurons behind a language model's dataset shortcuts";
const char* const kExitCodes = "0 success, 1 internal failure, 2 bad input or usage, 130 cancelled";

void printHelp() {
    std::cout << "Usage: prunescope-cli COMMAND [OPTIONS]\n\n" << kSummary << ".\n\nCommands:\n";
    for (const auto& c : commands()) {
        std::string name = c.name;
        name.resize(14, ' ');
        std::cout << "  " << name << c.summary << "\n";
    }
    std::cout << "\nRun 'prunescope-cli COMMAND --help' for a command's options.\n"
              << "Exit codes: " << kExitCodes << ".\n";
}

// `prunescope-cli --man` (not in --help): the man page, from the table above and every command's
// own --help (each command's parser prints its options as roff while the help format says so).
int printManPage() {
    const std::string cli = roff::bold("prunescope-cli");
    std::cout << roff::header("prunescope-cli", PRUNESCOPE_VERSION, kSummary);
    std::cout << ".SH SYNOPSIS\n"
              << cli << " " << roff::italic("COMMAND") << " [" << roff::italic("OPTIONS") << "]\n"
              << ".br\n"
              << cli << " " << roff::italic("COMMAND") << " " << roff::bold("--help") << "\n"
              << ".br\n"
              << cli << " " << roff::bold("--version") << "\n";
    std::cout << ".SH DESCRIPTION\n"
              << roff::escape(
                     "The command-line tool of Prunescope: it scores a language model on multiple-choice "
                     "datasets, attributes its confident answers to feed-forward neurons with Integrated "
                     "Gradients, prunes the neurons that carry dataset shortcuts and fine-tunes the pruned "
                     "model.")
              << "\n";
    std::cout << ".SH COMMANDS\n";
    for (const auto& c : commands()) {
        std::cout << ".TP\n" << roff::bold(c.name) << "\n" << roff::escape(c.summary) << "\n";
    }
    std::cout << ".SH OPTIONS\n"
              << ".TP\n"
              << roff::bold("--help") << ", " << roff::bold("-h") << "\nThe commands; after a command, its options.\n"
              << ".TP\n"
              << roff::bold("--version") << "\nThe version, and LibTorch's.\n"
              << ".PP\n"
              << roff::escape("Each command's options, as 'prunescope-cli COMMAND --help' prints them:") << "\n";
    setHelpFormat(HelpFormat::Roff);
    int code = kOk;
    for (const auto& c : commands()) {
        if (c.run({"--help"}) != kOk) code = kFailure;
    }
    setHelpFormat(HelpFormat::Text);
    std::cout << ".SH \"EXIT STATUS\"\n" << roff::escape(kExitCodes) << ".\n";
    std::cout << ".SH \"SEE ALSO\"\n" << roff::bold("prunescope") << "(1)\n";
    return code;
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
    if (name == "--man") return printManPage();
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
