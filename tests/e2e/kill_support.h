// What the kill and disk-full tests share: prunescope-cli as a child process (SIGKILLed after a
// delay or at a system call, or with its file size limited), snapshots of output folders compared
// file by file, the names of the atomic writes' temporary files, and the three commands under
// test (attribute, finetune, run) with the readers that open what they leave.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace prunescope::test {

struct ChildRun {
    bool killed = false;  // ended by SIGKILL before it finished
    int exitCode = -1;    // when it finished
    std::string out;
    std::string err;
    double seconds = 0;  // wall time from the start to the exit or the kill
};

struct ChildOptions {
    int killAfterMs = -1;              // >= 0: SIGKILL after that many milliseconds unless it finished
    uint64_t fileSizeLimit = 0;        // > 0: RLIMIT_FSIZE, SIGXFSZ ignored: writes past it fail (EFBIG)
    std::vector<std::string> wrapper;  // a program that runs prunescope-cli (strace ... --)
};

// Runs prunescope-cli with `args` (OMP_NUM_THREADS=1).
ChildRun runChild(const std::vector<std::string>& args, const ChildOptions& options = {});

// A file's size and a hash of its bytes: enough to tell a changed or truncated file.
struct FileState {
    uintmax_t size = 0;
    size_t hash = 0;
    bool operator==(const FileState& o) const { return size == o.size && hash == o.hash; }
    bool operator!=(const FileState& o) const { return !(*this == o); }
};
// Every regular file under `root` by its path relative to `root` ("" when `root` is a file).
using Snapshot = std::map<std::string, FileState>;
Snapshot snapshot(const std::filesystem::path& root);

// A temporary of core/util/files.h's atomic writes, or a file inside one: NAME.tmp.PID.N.R (a
// file being written), .NAME.tmp.PID.N.R (a folder being built), .NAME.old.tmp.PID.N.R (a
// replaced folder being removed).
bool isTempPath(const std::string& relative);
std::vector<std::string> tempPaths(const Snapshot& s);
// The snapshot without its temporaries.
Snapshot outputs(const Snapshot& s);

// Copies a file or a folder (recursively) to `to`, replacing what is there.
void copyOver(const std::filesystem::path& from, const std::filesystem::path& to);

// How far an interrupted command got, from its files opened with the project's readers (which
// throw on a partial file).
struct Progress {
    int64_t done = -1;  // checkpointed questions or steps, cached results; -1: nothing yet
    std::string stage;
    bool complete = false;  // run: everything R computes is cached
};

// One command under test. P: an earlier finished output with other settings; R: the output of an
// uninterrupted run of `args`.
struct KillCase {
    std::string name;
    std::filesystem::path dir;           // everything the command writes is in here
    std::filesystem::path out;           // OUT: a file or a folder in `dir`
    std::filesystem::path checkpoint;    // OUT.checkpoint (empty: run, whose cache is in OUT)
    std::vector<std::string> args;       // the interrupted runs and R
    std::vector<std::string> otherArgs;  // P
    bool wholeOutput = true;             // OUT is replaced as a whole (run: file by file)
    std::function<Progress()> inspect;   // throws when a file there is partial
};

// attribute --resume --checkpoint-every `every` over the first `limit` questions.
KillCase attributeCase(const std::filesystem::path& dir, const std::filesystem::path& model,
                       const std::filesystem::path& data, int limit, int every);
// finetune --resume with validation and keep-best, `steps` steps, a checkpoint every `every`.
KillCase finetuneCase(const std::filesystem::path& dir, const std::filesystem::path& model,
                      const std::filesystem::path& data, int steps, int every);
// run over 4 arms x 1 seed; P uses fewer questions, so nothing of it is in R's cache keys.
// `reference` is where R's OUT is kept (the stage names compare with its cache).
KillCase runCase(const std::filesystem::path& dir, const std::filesystem::path& model,
                 const std::filesystem::path& reference);

// Runs P (then keeps OUT as `previous`) and R (kept as `reference`) from an empty `dir`; OUT is R's.
struct Prepared {
    Snapshot p, r;
    double seconds = 0;  // R's uninterrupted run
    std::string error;   // a run that failed, or P = R
};
Prepared prepare(const KillCase& c, const std::filesystem::path& previous, const std::filesystem::path& reference);

// After a kill: every output file is P's or R's (never a third, partial one), a whole output is
// all P's or all R's, nothing of `start` (the output the command began with) vanished, and every
// other file in the command's folder is a named temporary. Returns what is wrong, or "".
std::string checkAfterKill(const KillCase& c, const Snapshot& start, const Snapshot& p, const Snapshot& r);
// After a finished run: every file of R there, byte for byte. Returns what differs, or "".
std::string checkFinished(const KillCase& c, const Snapshot& r);

}  // namespace prunescope::test
