// Multiple-choice datasets: every reader of core/data (ARC, ARC-HF, OpenBookQA TSV / JSONL,
// CommonsenseQA, SciQ, MMLU, plain JSONL / CSV, PIQA, Social IQa, HellaSwag, WinoGrande,
// TruthfulQA, QASC) and the format sniffing, through the file-level entry loadMcqDataset.
//
// Input: a first line "<format> <file name> [skip]" (format as mcqFormatNames(), "auto" or unknown
// for sniffing; the name's extension and stem matter to the sniffing and to MMLU; "skip" loads
// with skipInvalid), then the file's bytes. A NUL byte ends the data: what follows is the labels
// file beside it (<stem>-labels.lst, PIQA and Social IQa).
//
// FUZZ_MCQ_FORMAT=<format> pins one reader (the header's format is then ignored), for coverage
// figures per reader (docs/fuzzing.md).
#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <sstream>
#include <string>

#include "core/data/mcq.h"
#include "tests/fuzz/fuzz_support.h"

using namespace prunescope;

namespace {

// Letters, digits, '.', '_' and '-' only, not starting with '.', at most 48 characters.
std::string safeFileName(const std::string& name) {
    std::string out;
    for (char c : name) {
        if (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-') out += c;
    }
    if (out.size() > 48) out.resize(48);
    if (out.empty() || out.front() == '.' || out == "..") out = "data" + out;
    return out;
}

}  // namespace

std::optional<McqFormat> g_pinned;

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    fuzz::quietLogs();
    if (const char* pinned = std::getenv("FUZZ_MCQ_FORMAT"); pinned != nullptr && *pinned != 0) {
        g_pinned = parseMcqFormat(pinned);  // an unknown name throws: a typo is not a silent run
    }
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view input = fuzz::asText(data, size);
    McqLoadOptions options;
    std::string name = "data.jsonl";
    const size_t eol = input.substr(0, 128).find('\n');
    if (eol != std::string_view::npos) {
        std::istringstream header{std::string(input.substr(0, eol))};
        std::string format, file, flag;
        header >> format >> file >> flag;
        try {
            options.format = parseMcqFormat(format);
        } catch (const std::exception&) {
            options.format = McqFormat::Auto;
        }
        if (!file.empty()) name = safeFileName(file);
        options.skipInvalid = flag == "skip";
        input.remove_prefix(eol + 1);
    }
    if (g_pinned) options.format = *g_pinned;
    const size_t nul = input.find('\0');
    const auto path = fuzz::writeScratch(name, input.substr(0, nul));
    const auto labels = fuzz::scratchDir() / (path.stem().string() + "-labels.lst");
    std::error_code ec;
    std::filesystem::remove(labels, ec);
    if (nul != std::string_view::npos) fuzz::writeScratch(labels.filename().string(), input.substr(nul + 1));
    try {
        const McqDataset dataset = loadMcqDataset(path, options);
        (void)dataset.fingerprint();
        if (!dataset.questions.empty()) (void)splitDataset(dataset, SplitSpec{});
    } catch (const std::exception&) {
    }
    std::filesystem::remove(path, ec);
    return 0;
}
