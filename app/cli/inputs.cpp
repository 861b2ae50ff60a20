#include "app/cli/inputs.h"

#include "core/model/model_io.h"
#include "core/util/log.h"

namespace prunescope::cli {

void addModelOptions(ArgParser& parser) {
    parser.option("model", "PATH", "Hugging Face model folder (config.json, *.safetensors, tokenizer) or llama.cpp .gguf file")
        .required("model")
        .option("device", "D", "auto, cpu, cuda or cuda:N", "auto");
}

void addDataOptions(ArgParser& parser, bool withLimit) {
    std::string formats;
    for (const auto& n : mcqFormatNames()) formats += (formats.empty() ? "" : ", ") + n;
    parser.option("data", "FILE", "Multiple-choice dataset file")
        .required("data")
        .option("format", "F", "Dataset format: " + formats, "auto")
        .flag("skip-invalid", "Skip invalid records (reported) instead of stopping at the first")
        .option("split", "S", "Questions to use: all, train, validation, test (seeded split)", "all")
        .option("split-seed", "N", "Seed of the train/validation/test split (80/10/10)", "0");
    if (withLimit) parser.option("limit", "N", "Use at most the first N questions (0: all)", "0");
}

void addPromptOptions(ArgParser& parser) {
    parser.option("scoring", "MODE", "letter (next token over A, B, ...) or continuation (option log-likelihood)", "letter")
        .option("template", "T", "Prompt template with {question} and {options}",
                "Question: {question}\\n{options}\\nAnswer:")
        .option("option-template", "T", "One option line, with {letter} and {text}", "{letter}. {text}")
        .option("few-shot", "K", "Examples prepended to every prompt", "0")
        .option("few-shot-split", "S", "Split the examples come from", "train");
}

ModelInput readModel(const Args& args) {
    ModelInput in;
    std::filesystem::path dir = args.get("model");
    in.model = loadModel(dir, {args.get("device"), false});
    in.tokenizer = Tokenizer::fromModel(dir);
    in.description = {{"dir", std::filesystem::absolute(dir).lexically_normal().string()},
                      {"model_type", in.model->config().modelType},
                      {"fingerprint", modelFingerprint(dir)}};
    return in;
}

DataInput readData(const Args& args, bool withLimit) {
    DataInput in;
    McqLoadOptions load;
    load.format = parseMcqFormat(args.get("format"));
    load.skipInvalid = args.has("skip-invalid");
    in.all = loadMcqDataset(args.get("data"), load);
    if (!in.all.skipped.empty()) {
        std::string lines;
        for (size_t i = 0; i < in.all.skipped.size() && i < 20; ++i) {
            lines += (i ? ", " : "") + std::to_string(in.all.skipped[i].line);
        }
        log::get("data")->warn("{}: skipped {} invalid record(s) at line(s) {}{}; first: {}", args.get("data"),
                               in.all.skipped.size(), lines, in.all.skipped.size() > 20 ? ", ..." : "",
                               in.all.skipped.front().reason);
    }
    in.selection.split = args.get("split");
    in.selection.splitSpec.seed = static_cast<uint64_t>(args.getInt("split-seed"));
    if (withLimit) in.selection.limit = args.getInt("limit");
    if (args.maybe("few-shot")) {
        in.selection.fewShot = static_cast<int>(args.getInt("few-shot"));
        in.selection.fewShotSplit = args.get("few-shot-split");
    }
    in.selected = selectQuestions(in.all, in.selection);
    return in;
}

namespace {

std::string unescape(const std::string& text) {
    std::string out;
    for (size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '\\' && i + 1 < text.size()) {
            char c = text[++i];
            out += c == 'n' ? '\n' : c == 't' ? '\t' : c;
        } else {
            out += text[i];
        }
    }
    return out;
}

}  // namespace

PromptTemplate readPrompt(const Args& args, const DataInput& data, ScoringMode mode) {
    PromptTemplate prompt;
    prompt.text = unescape(args.get("template"));
    prompt.option = unescape(args.get("option-template"));
    validateTemplate(prompt);
    prompt.fewShotPrefix = fewShotPrefix(data.all, data.selection, mode == ScoringMode::Letter, prompt);
    return prompt;
}

nlohmann::json promptJson(const PromptTemplate& prompt) {
    return {{"template", prompt.text}, {"option_template", prompt.option}, {"few_shot_prefix", prompt.fewShotPrefix}};
}

}  // namespace prunescope::cli
