// The CLI's subcommands. Each takes its own arguments (after the subcommand name) and returns the
// process exit code; each has its own --help.
#pragma once

#include <string>
#include <vector>

namespace prunescope::cli {

using Argv = std::vector<std::string>;

struct Command {
    const char* name;
    const char* summary;
    int (*run)(const Argv& argv);
};

const std::vector<Command>& commands();

int runInfo(const Argv& argv);
int runInitModel(const Argv& argv);
int runGenerate(const Argv& argv);
int runTokenize(const Argv& argv);
int runBench(const Argv& argv);
int runEval(const Argv& argv);
int runAttribute(const Argv& argv);
int runAttributions(const Argv& argv);
int runMerge(const Argv& argv);
int runSelect(const Argv& argv);
int runFinetune(const Argv& argv);
int runRun(const Argv& argv);
int runDemoCommand(const Argv& argv);

}  // namespace prunescope::cli
