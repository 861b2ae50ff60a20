// Loading (format dispatch), fingerprints, splits and subsets.
#include <algorithm>
#include <cmath>

#include "core/data/mcq.h"
#include "core/data/mcq_readers.h"
#include "core/data/text_util.h"
#include "core/util/error.h"
#include "core/util/log.h"
#include "core/util/sha256.h"

namespace prunescope {
namespace {

constexpr const char* kFingerprintVersion = "prunescope-mcq-v1\n";

void hashField(Sha256& h, std::string_view text) {
    const std::string length = std::to_string(text.size()) + ":";
    h.update(length);
    h.update(text);
}

}  // namespace

McqDataset loadMcqDataset(const std::filesystem::path& file, const McqLoadOptions& options) {
    const std::string content = detail::readDatasetText(file);
    const std::string_view text = detail::stripBom(content);
    detail::McqCollector out(file, options);
    const McqFormat format =
        options.format == McqFormat::Auto ? detail::sniffMcqFormat(file, text, out) : options.format;
    switch (format) {
        case McqFormat::ArcJsonl:
        case McqFormat::OpenBookQaJsonl:
        case McqFormat::CommonsenseQaJsonl:
        case McqFormat::QascJsonl: detail::readNestedJsonl(text, out); break;
        case McqFormat::PiqaJsonl:
        case McqFormat::SiqaJsonl: {
            const auto labels = options.labelsFile.empty() ? detail::defaultLabelsFile(file) : options.labelsFile;
            if (format == McqFormat::PiqaJsonl) {
                detail::readPiqaJsonl(text, labels, out);
            } else {
                detail::readSiqaJsonl(text, labels, out);
            }
            break;
        }
        case McqFormat::HellaswagJsonl: detail::readHellaswagJsonl(text, out); break;
        case McqFormat::WinograndeJsonl: detail::readWinograndeJsonl(text, out); break;
        case McqFormat::TruthfulQaMc1: detail::readTruthfulQaMc1(text, out); break;
        case McqFormat::ArcHfJsonl:
        case McqFormat::CommonsenseQaHfJsonl: detail::readHfJsonl(text, out); break;
        case McqFormat::Jsonl: detail::readPlainJsonl(text, out); break;
        case McqFormat::SciqJson: detail::readSciqJson(text, options.seed, out); break;
        case McqFormat::OpenBookQaTsv: detail::readOpenBookQaTsv(text, out); break;
        case McqFormat::MmluCsv: detail::readMmluCsv(text, file.stem().string(), out); break;
        case McqFormat::Csv: detail::readHeaderCsv(text, out); break;
        case McqFormat::Auto: break;
    }
    McqDataset data = out.finish(format);
    log::get("data")->info(
        "{}: {} questions ({}){}", file.string(), data.questions.size(), mcqFormatName(format),
        data.skipped.empty() ? std::string() : ", " + std::to_string(data.skipped.size()) + " skipped");
    return data;
}

McqFormat detectMcqFormat(const std::filesystem::path& file) {
    const std::string content = detail::readDatasetText(file);
    detail::McqCollector out(file, {});
    return detail::sniffMcqFormat(file, detail::stripBom(content), out);
}

std::string McqDataset::fingerprint() const {
    Sha256 h;
    h.update(kFingerprintVersion);
    hashField(h, std::to_string(questions.size()));
    for (const McqQuestion& q : questions) {
        hashField(h, q.question);
        hashField(h, std::to_string(q.options.size()));
        for (const std::string& option : q.options) hashField(h, option);
        hashField(h, std::to_string(q.answer));
    }
    return h.hexDigest();
}

McqSplits splitDataset(const McqDataset& data, const SplitSpec& spec) {
    const std::pair<double, const char*> fractions[] = {
        {spec.train, "train"}, {spec.validation, "validation"}, {spec.test, "test"}};
    for (const auto& [value, name] : fractions) {
        if (!std::isfinite(value) || value < 0 || value > 1) {
            throw Error("", std::string("split '") + name + "'",
                        "fraction " + std::to_string(value) + " is not between 0 and 1");
        }
    }
    const double sum = spec.train + spec.validation + spec.test;
    if (std::abs(sum - 1.0) > 1e-6) {
        throw Error("", "split", "the fractions sum to " + std::to_string(sum) + ", not 1",
                    "e.g. train 0.8, validation 0.1, test 0.1");
    }
    const size_t n = data.questions.size();
    // A small epsilon so that 0.29 * 100 counts as 29, not 28.999999999999996.
    auto count = [n](double fraction) {
        return std::min(n, static_cast<size_t>(std::floor(static_cast<double>(n) * fraction + 1e-9)));
    };
    const size_t nTest = count(spec.test);
    const size_t nValidation = std::min(n - nTest, count(spec.validation));

    detail::SplitMix64 rng(spec.seed);
    std::vector<size_t> order = detail::shuffledIndices(n, rng);
    auto take = [&](size_t from, size_t to) {
        std::vector<size_t> indices(order.begin() + from, order.begin() + to);
        std::sort(indices.begin(), indices.end());
        return indices;
    };
    McqSplits splits;
    splits.test = subset(data, take(0, nTest));
    splits.validation = subset(data, take(nTest, nTest + nValidation));
    splits.train = subset(data, take(nTest + nValidation, n));
    splits.train.name = data.name + "-train";
    splits.validation.name = data.name + "-validation";
    splits.test.name = data.name + "-test";
    return splits;
}

McqDataset subset(const McqDataset& data, const std::vector<size_t>& indices) {
    McqDataset out;
    out.name = data.name;
    out.source = data.source;
    out.format = data.format;
    out.questions.reserve(indices.size());
    for (size_t i : indices) {
        if (i >= data.questions.size()) {
            throw Error(data.source.string(), "index " + std::to_string(i),
                        "out of range for a dataset of " + std::to_string(data.questions.size()) + " questions");
        }
        out.questions.push_back(data.questions[i]);
    }
    return out;
}

}  // namespace prunescope
