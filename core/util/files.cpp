#include "core/util/files.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>  // renameat2 (glibc, _GNU_SOURCE)
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <random>
#include <sstream>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/util/error.h"

namespace fs = std::filesystem;

namespace prunescope {
namespace {

std::string uniqueSuffix() {
    static std::atomic<unsigned> counter{0};
    std::random_device rd;
    std::ostringstream s;
    s << ".tmp." << ::getpid() << "." << counter++ << "." << (rd() & 0xffffff);
    return s.str();
}

// True for NAME.tmp.PID.N.R, .NAME.tmp.PID.N.R and .NAME.old.tmp.PID.N.R (uniqueSuffix's names
// for `name`) whose process PID no longer exists.
bool isStaleTemporaryOf(const std::string& entry, const std::string& name) {
    std::string_view rest = entry;
    if (rest.substr(0, name.size()) == name) {
        rest.remove_prefix(name.size());
    } else if (rest.size() > name.size() && rest[0] == '.' && rest.substr(1, name.size()) == name) {
        rest.remove_prefix(name.size() + 1);
        if (rest.substr(0, 4) == ".old") rest.remove_prefix(4);
    } else {
        return false;
    }
    if (rest.substr(0, 5) != ".tmp.") return false;
    rest.remove_prefix(5);
    // PID.N.R: three runs of digits.
    long long pid = 0;
    int fields = 0;
    size_t digits = 0;
    for (char c : rest) {
        if (c >= '0' && c <= '9') {
            if (fields == 0 && digits < 10) pid = pid * 10 + (c - '0');
            ++digits;
        } else if (c == '.' && digits > 0 && fields < 2) {
            ++fields;
            digits = 0;
        } else {
            return false;
        }
    }
    if (fields != 2 || digits == 0 || pid <= 0 || pid > INT32_MAX || pid == ::getpid()) return false;
    return ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH;
}

// Removes what killed runs left while writing `path`: its temporaries whose process is gone.
// A temporary of a live process (another run writing the same output) is left alone.
void removeStaleTemporaries(const fs::path& path) {
    const fs::path parent = path.parent_path().empty() ? fs::path(".") : path.parent_path();
    const std::string name = path.filename().string();
    if (name.empty()) return;
    std::error_code ec;
    fs::directory_iterator it(parent, ec), end;
    std::vector<fs::path> stale;
    for (; !ec && it != end; it.increment(ec)) {
        if (isStaleTemporaryOf(it->path().filename().string(), name)) stale.push_back(it->path());
    }
    for (const fs::path& p : stale) fs::remove_all(p, ec);
}

void fsyncPath(const fs::path& path) {
    int fd = ::open(path.c_str(), O_RDONLY);
    if (fd >= 0) {
        ::fsync(fd);
        ::close(fd);
    }
}

}  // namespace

std::string readTextFile(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw Error(path.string(), "", fs::exists(path) ? "cannot read file" : "no such file");
    }
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

nlohmann::json parseJson(std::string_view text, const std::string& origin) {
    try {
        return nlohmann::json::parse(text.begin(), text.end());
    } catch (const nlohmann::json::parse_error& e) {
        size_t byte = std::min<size_t>(e.byte == 0 ? 0 : e.byte - 1, text.size());
        size_t line = 1, column = 1;
        for (size_t i = 0; i < byte; ++i) {
            if (text[i] == '\n') {
                ++line;
                column = 1;
            } else {
                ++column;
            }
        }
        std::string what = e.what();
        auto pos = what.find("syntax error");
        std::string detail = pos == std::string::npos ? what : what.substr(pos);
        throw Error(origin, "line " + std::to_string(line) + ", column " + std::to_string(column),
                    "malformed JSON: " + detail);
    }
}

nlohmann::json readJsonFile(const fs::path& path) {
    return parseJson(readTextFile(path), path.string());
}

AtomicFile::AtomicFile(fs::path path) : m_path(std::move(path)) {
    removeStaleTemporaries(m_path);
    m_temp = m_path;
    m_temp += uniqueSuffix();
    m_stream.open(m_temp, std::ios::binary | std::ios::trunc);
    if (!m_stream)
        throw Error(m_path.string(), "", std::string("cannot create file for writing (") + std::strerror(errno) + ")");
}

AtomicFile::~AtomicFile() {
    if (!m_committed) {
        m_stream.close();
        std::error_code ec;
        fs::remove(m_temp, ec);
    }
}

void AtomicFile::commit() {
    m_stream.flush();
    if (!m_stream) throw Error(m_path.string(), "", "write failed (disk full?)");
    m_stream.close();
    fsyncPath(m_temp);
    std::error_code ec;
    fs::rename(m_temp, m_path, ec);
    if (ec) throw Error(m_path.string(), "", "cannot move the finished file into place: " + ec.message());
    m_committed = true;
    fsyncPath(m_path.parent_path().empty() ? fs::path(".") : m_path.parent_path());
}

void writeFileAtomic(const fs::path& path, std::string_view data) {
    AtomicFile file(path);
    file.stream().write(data.data(), static_cast<std::streamsize>(data.size()));
    file.commit();
}

void writeJsonAtomic(const fs::path& path, const nlohmann::json& value) {
    writeFileAtomic(path, value.dump(2) + "\n");
}

fs::path stagingDirectoryFor(const fs::path& path) {
    fs::path parent = path.parent_path().empty() ? fs::path(".") : path.parent_path();
    fs::create_directories(parent);
    removeStaleTemporaries(path);
    fs::path staging = parent / ("." + path.filename().string() + uniqueSuffix());
    fs::create_directories(staging);
    return staging;
}

void replaceDirectory(const fs::path& staging, const fs::path& path) {
    std::error_code ec;
#ifdef RENAME_EXCHANGE
    // One step: a kill or a crash between two renames would leave no folder at `path`.
    if (::renameat2(AT_FDCWD, staging.c_str(), AT_FDCWD, path.c_str(), RENAME_EXCHANGE) == 0) {
        fs::remove_all(staging, ec);  // the old folder, now under the temporary name
        return;
    }
#endif
    fs::path old;
    if (fs::exists(path)) {
        old = path.parent_path() / ("." + path.filename().string() + ".old" + uniqueSuffix());
        fs::rename(path, old, ec);
        if (ec) throw Error(path.string(), "", "cannot move the previous folder aside: " + ec.message());
    }
    fs::rename(staging, path, ec);
    if (ec) {
        if (!old.empty()) fs::rename(old, path);
        throw Error(path.string(), "", "cannot move the finished folder into place: " + ec.message());
    }
    if (!old.empty()) fs::remove_all(old, ec);
}

void writeDirectoryAtomic(const fs::path& dir, const std::function<void(const fs::path& staging)>& build) {
    const fs::path staging = stagingDirectoryFor(dir);
    try {
        build(staging);
        replaceDirectory(staging, dir);
    } catch (const Error& e) {
        std::error_code ec;
        fs::remove_all(staging, ec);
        std::string file = e.file();
        if (file.rfind(staging.string(), 0) == 0) file = (dir / fs::relative(file, staging)).string();
        throw Error(file, e.place(), e.message(), e.hint());
    } catch (...) {
        std::error_code ec;
        fs::remove_all(staging, ec);
        throw;
    }
}

void removeDirectory(const fs::path& path) {
    std::error_code ec;
    if (!fs::exists(path, ec)) return;
    const fs::path aside = path.parent_path() / ("." + path.filename().string() + ".old" + uniqueSuffix());
    fs::rename(path, aside, ec);
    const fs::path doomed = ec ? path : aside;  // (where renaming failed: removed in place)
    fs::remove_all(doomed, ec);
}

}  // namespace prunescope
