// File helpers: whole-file reads with errors that name the file, and atomic writes
// (temp file in the same folder + rename), so an interrupted write never leaves a partial output.
#pragma once

#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

namespace prunescope {

std::string readTextFile(const std::filesystem::path& path);

// Parses a JSON file; a syntax error names the file, line and column.
nlohmann::json readJsonFile(const std::filesystem::path& path);
// Parses JSON text that came from `origin` (a file name, for error messages).
nlohmann::json parseJson(std::string_view text, const std::string& origin);

void writeFileAtomic(const std::filesystem::path& path, std::string_view data);
void writeJsonAtomic(const std::filesystem::path& path, const nlohmann::json& value);

// Each write first removes the temporaries of `path` that a killed run left (named by
// uniqueSuffix, with the writer's process id: only those whose process is gone).

// Streams into a temporary file beside `path`; commit() renames it into place. Destroyed without
// commit (an exception, a cancel), the temporary file is removed and `path` is untouched.
class AtomicFile {
public:
    explicit AtomicFile(std::filesystem::path path);
    ~AtomicFile();
    AtomicFile(const AtomicFile&) = delete;
    AtomicFile& operator=(const AtomicFile&) = delete;

    std::ofstream& stream() { return m_stream; }
    const std::filesystem::path& tempPath() const { return m_temp; }
    void commit();

private:
    std::filesystem::path m_path;
    std::filesystem::path m_temp;
    std::ofstream m_stream;
    bool m_committed = false;
};

// Replaces folder `path` with the folder `staging` (built beside it) as atomically as the file
// system allows: the two are swapped in one step (Linux renameat2 RENAME_EXCHANGE), so `path` is
// always the whole old folder or the whole new one; where the file system cannot swap, the old
// folder is moved aside first. The old folder is removed after.
void replaceDirectory(const std::filesystem::path& staging, const std::filesystem::path& path);

// Removes folder `path` so that it is never seen half removed: renamed to a temporary name beside
// it first, then deleted (a kill while deleting leaves only that temporary folder).
void removeDirectory(const std::filesystem::path& path);

// A fresh folder beside `path` to build an output in before replaceDirectory().
std::filesystem::path stagingDirectoryFor(const std::filesystem::path& path);

// Writes folder `dir` whole or not at all: `build` writes its files into a fresh folder beside it
// (stagingDirectoryFor), which then replaces `dir` (replaceDirectory). On any exception the partial
// folder is removed; an Error naming a file inside it names that file in `dir` instead.
void writeDirectoryAtomic(const std::filesystem::path& dir,
                          const std::function<void(const std::filesystem::path& staging)>& build);

}  // namespace prunescope
