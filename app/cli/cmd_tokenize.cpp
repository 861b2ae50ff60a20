// Tokenizer commands: `tokenize` (text to a JSON array of ids) and `bench tokenizer`.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>

#include <nlohmann/json.hpp>

#include "app/cli/args.h"
#include "app/cli/bench_tokenizer.h"
#include "app/cli/commands.h"
#include "app/cli/common.h"
#include "core/model/gguf_model.h"
#include "core/tokenizer/tokenizer.h"
#include "core/util/error.h"
#include "core/util/files.h"

namespace fs = std::filesystem;

namespace prunescope::cli {
namespace {

constexpr size_t kBenchBytes = 1 << 20;

// --tokenizer names a model folder, a GGUF file or a tokenizer.json file.
Tokenizer openTokenizer(const fs::path& path) {
    if (fs::is_regular_file(path) && !isGgufFile(path)) return Tokenizer::fromTokenizerJson(path);
    return Tokenizer::fromModel(path);
}

// ../shared/data seen from the executable (build/app/prunescope-cli -> ../../../shared/data).
std::optional<fs::path> sharedDataNearExecutable() {
    std::error_code ec;
    fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    if (ec) return std::nullopt;
    fs::path data = exe.parent_path() / ".." / ".." / ".." / "shared" / "data";
    if (!fs::is_directory(data, ec)) return std::nullopt;
    return fs::weakly_canonical(data, ec);
}

// The question texts of the ARC JSONL files, one per line, up to `limit` bytes.
std::string arcQuestions(const fs::path& folder, size_t limit) {
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(folder)) {
        if (entry.path().extension() == ".jsonl") files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
    std::string text;
    for (const auto& file : files) {
        std::ifstream in(file);
        std::string line;
        for (size_t number = 1; std::getline(in, line) && text.size() < limit; ++number) {
            if (line.empty()) continue;
            auto record = parseJson(line, file.string() + " line " + std::to_string(number));
            if (!record.is_object() || !record.contains("question") || !record["question"].is_string()) {
                throw Error(file.string(), "line " + std::to_string(number), "no 'question' text");
            }
            text += record["question"].get<std::string>();
            text += '\n';
        }
    }
    if (text.size() > limit) text.resize(limit);
    return text;
}

double secondsSince(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int runTokenize(const Argv& argv) {
    ArgParser parser("prunescope-cli tokenize --tokenizer DIR (--text TEXT | --file FILE) [--special]",
                     "Print the token ids of a text as a JSON array. DIR is a model folder (tokenizer.json,\n"
                     "or vocab.json + merges.txt) or a tokenizer.json file.");
    parser.option("tokenizer", "DIR", "Model folder or tokenizer.json")
        .required("tokenizer")
        .option("text", "TEXT", "The text to encode")
        .option("file", "FILE", "Encode the contents of FILE (UTF-8)")
        .flag("special", "Add the special tokens the tokenizer adds around a sequence (e.g. BOS)");
    return guarded("tokenize", [&] {
        auto args = parser.parse(argv);
        if (!args) return int(kOk);
        if (args->has("text") == args->has("file")) throw UsageError("give one of --text or --file");
        startCommand({true, false}, false);
        Tokenizer tokenizer = openTokenizer(args->get("tokenizer"));
        std::string text = args->has("text") ? args->get("text") : readTextFile(args->get("file"));
        std::cout << nlohmann::json(tokenizer.encode(text, args->has("special"))).dump() << "\n";
        return int(kOk);
    });
}

int benchTokenizer(const Argv& argv) {
    ArgParser parser("prunescope-cli bench tokenizer --tokenizer DIR [--file FILE] [--json]",
                     "Encoding and decoding speed on ~1 MB of English text: by default the question texts\n"
                     "of ../shared/data/mcq/arc-hf-jsonl/*.jsonl (found next to the build), else --file.");
    parser.option("tokenizer", "DIR", "Model folder or tokenizer.json")
        .required("tokenizer")
        .option("file", "FILE", "Text to use instead of the ARC questions (the first 1 MiB)")
        .flag("json", "Print the results as JSON");
    return guarded("bench tokenizer", [&] {
        auto args = parser.parse(argv);
        if (!args) return int(kOk);
        startCommand({true, false}, false);
        std::string text, source;
        if (args->has("file")) {
            source = args->get("file");
            text = readTextFile(source);
            if (text.size() > kBenchBytes) text.resize(kBenchBytes);  // may cut a character: U+FFFD
        } else {
            auto data = sharedDataNearExecutable();
            if (!data || !fs::is_directory(*data / "mcq" / "arc-hf-jsonl")) {
                throw Error("", "",
                            "no benchmark text: ../shared/data/mcq/arc-hf-jsonl was not found "
                            "next to the build",
                            "give a text file with --file");
            }
            source = (*data / "mcq" / "arc-hf-jsonl").string() + " (questions)";
            text = arcQuestions(*data / "mcq" / "arc-hf-jsonl", kBenchBytes);
        }
        if (text.empty()) throw Error(source, "", "the benchmark text is empty");

        auto start = std::chrono::steady_clock::now();
        Tokenizer tokenizer = openTokenizer(args->get("tokenizer"));
        double loadSeconds = secondsSince(start);

        start = std::chrono::steady_clock::now();
        std::vector<int32_t> ids = tokenizer.encode(text);
        double coldSeconds = secondsSince(start);
        double warmSeconds = 1e300;  // best of three, with the word cache filled
        for (int i = 0; i < 3; ++i) {
            start = std::chrono::steady_clock::now();
            tokenizer.encode(text);
            warmSeconds = std::min(warmSeconds, secondsSince(start));
        }
        start = std::chrono::steady_clock::now();
        std::string decoded = tokenizer.decode(ids);
        double decodeSeconds = secondsSince(start);

        const double tokens = static_cast<double>(ids.size());
        const double megabytes = static_cast<double>(text.size()) / 1e6;
        nlohmann::json result = {
            {"tokenizer", args->get("tokenizer")},
            {"kind", tokenizer.kind()},
            {"text", source},
            {"bytes", text.size()},
            {"tokens", ids.size()},
            {"load_seconds", loadSeconds},
            {"encode_tokens_per_second", tokens / coldSeconds},
            {"encode_mb_per_second", megabytes / coldSeconds},
            {"encode_warm_tokens_per_second", tokens / warmSeconds},
            {"encode_warm_mb_per_second", megabytes / warmSeconds},
            {"decode_tokens_per_second", tokens / decodeSeconds},
            {"round_trip", decoded == text},
        };
        if (args->has("json")) {
            std::cout << result.dump(2) << "\n";
            return int(kOk);
        }
        std::printf("tokenizer   %s (%s), loaded in %.2f s\n", args->get("tokenizer").c_str(), tokenizer.kind().c_str(),
                    loadSeconds);
        std::printf("text        %s: %zu bytes -> %zu tokens (%.2f bytes/token)\n", source.c_str(), text.size(),
                    ids.size(), static_cast<double>(text.size()) / tokens);
        std::printf("encode      %10.0f tokens/s  %6.2f MB/s  (first pass)\n", tokens / coldSeconds,
                    megabytes / coldSeconds);
        std::printf("encode      %10.0f tokens/s  %6.2f MB/s  (word cache warm, best of 3; %.2fx)\n",
                    tokens / warmSeconds, megabytes / warmSeconds, coldSeconds / warmSeconds);
        std::printf("decode      %10.0f tokens/s  %6.2f MB/s\n", tokens / decodeSeconds, megabytes / decodeSeconds);
        std::printf("round trip  %s\n", decoded == text ? "exact" : "differs (normalization)");
        return int(kOk);
    });
}

}  // namespace prunescope::cli
