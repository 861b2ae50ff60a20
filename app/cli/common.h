// What every CLI subcommand shares: logging set-up, the start banner, Ctrl-C as a cancel flag,
// the stderr progress bar, and the conventional exit codes.
#pragma once

#include <string>
#include <vector>

#include "core/util/progress.h"

namespace prunescope::cli {

enum ExitCode : int { kOk = 0, kFailure = 1, kBadInput = 2, kCancelled = 130 };

struct CommonOptions {
    bool quiet = false;
    bool verbose = false;
};

// Sets up stderr logging and logs the system probe (LibTorch, device, threads, BLAS class).
void startCommand(const CommonOptions& options, bool probe = true);

// Raised by SIGINT/SIGTERM; long core calls take it as their cancel flag.
CancelFlag* interruptFlag();

// A progress bar with ETA on stderr when it is a terminal (and not --quiet); silent otherwise.
class ProgressBar {
public:
    explicit ProgressBar(bool enabled);
    ~ProgressBar();
    void update(const Progress& p);
    void finish();
    ProgressFn callback();
    // Like callback(), but a new stage starts on a new line (long jobs with several stages).
    ProgressFn stagedCallback();

private:
    bool m_enabled;
    bool m_drawn = false;
    double m_lastDraw = -1;
    EtaClock m_clock;
    std::string m_stage;
};

// Runs `body`, turning exceptions into messages on stderr and exit codes.
int guarded(const std::string& command, const std::function<int()>& body);

std::string formatSeconds(double seconds);

}  // namespace prunescope::cli
