// GGUF files converted from the tiny Hugging Face test models and from real tokenizers by
// tests/reference/make_gguf_models.py (llama.cpp's conventions, written with gguf-py), judged
// against what they were converted from:
//  - gpt2, llama, mistral, qwen2 in F32: every parameter bit for bit and the logits equal to the
//    folder model's (un-permuted rotary rows, transposed Conv1D weights, names, tied heads);
//  - llama in F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1: parameters equal to gguf-py's own dequantization, logits
//    equal to transformers' on those weights;
//  - tokenizers: the same ids as the Hugging Face folder (Mistral's SentencePiece vocabulary at
//    full size; GPT-2's and Qwen's byte-level BPE cut to their first 4096 tokens, the folders cut
//    here the same way), and the shared test vectors wherever the cut cannot change them;
//  - a whole model in K-quants (Q2_K..Q6_K) with Llama 3.1's rope scaling stored as llama.cpp
//    stores it (a rope_freqs.weight tensor): parameters equal to gguf-py's dequantization, the
//    rope_scaling recovered, logits equal to transformers' with rope_type llama3;
//  - a GGUF-loaded model saved as a folder with the GGUF's tokenizer; bad files.
#include <QtTest>

#include <torch/torch.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/data/mcq.h"
#include "core/data/prompt.h"
#include "core/model/gguf.h"
#include "core/model/model_io.h"
#include "core/model/safetensors.h"
#include "core/tokenizer/tokenizer.h"
#include "core/util/error.h"
#include "core/util/files.h"
#include "tests/support/test_support.h"

using namespace prunescope;
namespace fs = std::filesystem;

namespace {

// Tokens kept of the byte-level vocabularies (K_BPE in make_gguf_models.py).
constexpr int kCut = 4096;

fs::path ggufDir() {
    return test::dataDir() / "gguf" / "models";
}
fs::path tokenizerDir(const std::string& name) {
    return test::sharedDataDir() / "tokenizers" / name;
}

std::map<std::string, torch::Tensor> paramsOf(CausalLM& model) {
    std::map<std::string, torch::Tensor> out;
    for (auto& p : model.named_parameters()) out[p.key()] = p.value();
    return out;
}

// The folder model with the 1-D values the script stored in the GGUF files (the tiny models hold
// only 1 and 0 there, which would hide a norm or bias loaded into the wrong place).
std::shared_ptr<CausalLM> folderModel(const std::string& arch) {
    auto model = loadModel(test::dataDir() / "models" / arch, {"cpu"});
    SafetensorsFile st(ggufDir() / "overrides.safetensors");
    auto params = paramsOf(*model);
    torch::NoGradGuard noGrad;
    int n = 0;
    for (const auto& info : st.tensors()) {
        if (info.name.rfind(arch + ".", 0) != 0) continue;
        params.at(model->parameterNameFor(info.name.substr(arch.size() + 1))).copy_(st.tensor(info.name));
        ++n;
    }
    if (n == 0) throw std::runtime_error("no overrides for " + arch);
    return model;
}

std::vector<torch::Tensor> referenceIds(const SafetensorsFile& ref) {
    std::vector<torch::Tensor> ids;
    for (int i = 0; ref.find("ids." + std::to_string(i)) != nullptr; ++i) {
        ids.push_back(ref.tensor("ids." + std::to_string(i)).to(torch::kLong).unsqueeze(0));  // (1, seq)
    }
    return ids;
}

// The largest |diff| of the logits of `a` and `b` over the reference sequences.
double logitsDiff(CausalLM& a, CausalLM& b, const std::string& what) {
    SafetensorsFile ref(ggufDir() / "llama-quant-reference.safetensors");
    torch::NoGradGuard noGrad;
    double worst = 0;
    for (const auto& ids : referenceIds(ref)) {
        worst = std::max(worst, test::maxAbsDiff(a.forward(ids)[0], b.forward(ids)[0],
                                                 what + ", " + std::to_string(ids.size(1)) + " tokens"));
    }
    return worst;
}

void loadOnCpu(const fs::path& path) {
    loadModel(path, {"cpu"});
}

// Where the value of GGUF key `key` starts (after its u32 value type).
size_t valueOf(const std::string& bytes, const std::string& key, uint32_t expectedType) {
    std::string needle(8, '\0');
    const uint64_t n = key.size();
    std::memcpy(&needle[0], &n, 8);
    const size_t at = bytes.find(needle + key);
    if (at == std::string::npos) throw std::runtime_error("no key " + key);
    uint32_t type;
    std::memcpy(&type, bytes.data() + at + 8 + key.size(), 4);
    if (type != expectedType) throw std::runtime_error("key " + key + " has value type " + std::to_string(type));
    return at + 8 + key.size() + 4;
}

// --- tokenizers ---------------------------------------------------------------------------------

// GPT-2's encoder.json + vocab.bpe cut to the first kCut tokens, <|endoftext|> renumbered to kCut.
fs::path cutGpt2Folder(const fs::path& out) {
    auto encoder = readJsonFile(tokenizerDir("gpt2-openai") / "encoder.json");
    nlohmann::json kept = nlohmann::json::object();
    for (auto& [token, id] : encoder.items()) {
        if (token == "<|endoftext|>")
            kept[token] = kCut;
        else if (id.get<int>() < kCut)
            kept[token] = id;
    }
    std::istringstream lines(readTextFile(tokenizerDir("gpt2-openai") / "vocab.bpe"));
    std::string merges, line;
    for (int i = 0; i <= kCut - 256 && std::getline(lines, line); ++i) merges += line + "\n";  // + "#version"
    fs::create_directories(out);
    writeJsonAtomic(out / "encoder.json", kept);
    writeFileAtomic(out / "vocab.bpe", merges);
    return out;
}

// Qwen3's tokenizer.json cut the same way; the added tokens renumbered from kCut on, in id order.
fs::path cutQwenFolder(const fs::path& out) {
    auto tj = readJsonFile(tokenizerDir("qwen3") / "tokenizer.json");
    auto tc = readJsonFile(tokenizerDir("qwen3") / "tokenizer_config.json");
    nlohmann::json vocab = nlohmann::json::object();
    for (auto& [token, id] : tj["model"]["vocab"].items()) {
        if (id.get<int>() < kCut) vocab[token] = id;
    }
    tj["model"]["vocab"] = vocab;
    auto& merges = tj["model"]["merges"];
    merges.erase(merges.begin() + (kCut - 256), merges.end());
    std::map<int, int> renumber;
    for (const auto& a : tj["added_tokens"]) renumber[a["id"].get<int>()] = 0;
    int next = kCut;
    for (auto& [from, to] : renumber) to = next++;
    for (auto& a : tj["added_tokens"]) a["id"] = renumber.at(a["id"].get<int>());
    nlohmann::json decoder = nlohmann::json::object();
    for (auto& [id, a] : tc["added_tokens_decoder"].items()) decoder[std::to_string(renumber.at(std::stoi(id)))] = a;
    tc["added_tokens_decoder"] = decoder;
    fs::create_directories(out);
    writeJsonAtomic(out / "tokenizer.json", tj);
    writeJsonAtomic(out / "tokenizer_config.json", tc);
    return out;
}

// The shared test strings of every tokenizer, special tokens of each, whitespace, and ARC prompts.
std::vector<std::string> tokenizerTexts() {
    std::vector<std::string> texts;
    for (const char* name : {"gpt2-openai", "mistral-7b", "qwen3"}) {
        const auto vectors = readJsonFile(tokenizerDir(name) / "test-vectors.json");
        for (const auto& c : vectors["cases"]) texts.push_back(c["text"].get<std::string>());
    }
    for (const char* t : {"", " ", "  two leading spaces", "trailing  ", "tabs\tand\nnew\n\nlines\r\n", "emoji 🤗 ok",
                          "<s>Hello</s> <unk>", "a<|endoftext|>b", "<|im_start|>user\nHi<|im_end|>\n<think>x</think>",
                          "x<0x41>y", "▁already▁marked", "ÅÅ ﬁ ｆｕｌｌ Ǆ", "decomposed: e\u0301 A\u030A"}) {
        texts.emplace_back(t);
    }
    auto data = loadMcqDataset(test::sharedDataDir() / "mcq" / "arc-hf-jsonl" / "ARC-Easy-validation.jsonl");
    for (size_t i = 0; i < 25 && i < data.questions.size(); ++i)
        texts.push_back(formatLetterPrompt(data.questions[i], {}));
    return texts;
}

// Empty when `a` and `b` give the same ids (with and without special tokens) and the same decoded
// text on every text; otherwise the first difference.
std::string tokenizerDifference(const Tokenizer& a, const Tokenizer& b, const std::vector<std::string>& texts) {
    auto show = [](const std::vector<int32_t>& ids) {
        std::string s;
        for (auto id : ids) s += (s.empty() ? "" : " ") + std::to_string(id);
        return "[" + s + "]";
    };
    if (a.vocabSize() != b.vocabSize() || a.bosId() != b.bosId() || a.eosId() != b.eosId() || a.padId() != b.padId()) {
        return "vocabulary size or special ids differ";
    }
    for (const auto& text : texts) {
        for (bool special : {false, true}) {
            auto x = a.encode(text, special), y = b.encode(text, special);
            if (x != y)
                return "'" + text + "' (special " + std::to_string(special) + "): " + show(x) + " vs " + show(y);
            if (a.decode(x) != b.decode(y)) return "'" + text + "': decoded text differs";
        }
    }
    return {};
}

}  // namespace

class TestGgufModels : public QObject {
    Q_OBJECT

private slots:
    // Every parameter bit for bit, and the logits, equal to the folder model's.
    void f32MatchesFolder_data() {
        QTest::addColumn<QString>("arch");
        for (const char* a : {"gpt2", "llama", "mistral", "qwen2"}) QTest::newRow(a) << a;
    }
    void f32MatchesFolder() {
        QFETCH(QString, arch);
        const std::string name = arch.toStdString();
        auto folder = folderModel(name);
        auto gguf = loadModel(ggufDir() / (name + ".f32.gguf"), {"cpu"});
        QCOMPARE(gguf->config().modelType, name);
        auto want = paramsOf(*folder), got = paramsOf(*gguf);
        for (const auto& [key, value] : want) {
            QVERIFY2(got.count(key) && torch::equal(got.at(key), value), key.c_str());
        }
        for (const auto& [key, value] : got) {
            if (want.count(key)) continue;
            // gpt2: llama.cpp's converter stores the tied head as output.weight, a copy.
            const auto embedding =
                want.at(folder->parameterNameFor(name == "gpt2" ? "wte.weight" : "model.embed_tokens.weight"));
            QVERIFY2(key == gguf->parameterNameFor("lm_head.weight") && torch::equal(value, embedding), key.c_str());
        }
        const auto same = want.size();
        const double diff = logitsDiff(*gguf, *folder, name + " GGUF F32 vs folder");
        qInfo("%s: %zu parameters identical; logits max |diff| %.3g (tolerance 1e-5)", name.c_str(), same, diff);
        QVERIFY(diff <= 1e-5);
        if (name == "mistral") QCOMPARE(gguf->config().slidingWindow, int64_t(4));
    }

    // The llama model with quantized matrices: parameters equal to gguf-py's dequantization (q/k
    // rows un-permuted by the script), logits equal to transformers' on the same weights.
    void quantizedLlama_data() {
        QTest::addColumn<QString>("type");
        for (const char* t : {"f32", "f16", "bf16", "q8_0", "q4_0", "q4_1", "q5_0", "q5_1"}) QTest::newRow(t) << t;
    }
    void quantizedLlama() {
        QFETCH(QString, type);
        const std::string t = type.toStdString();
        const fs::path path = ggufDir() / ("llama." + t + ".gguf");
        std::map<std::string, int> types;
        const GgufFile file(path);
        for (const auto& info : file.tensors()) ++types[ggmlTypeName(info.type)];
        std::string upper = t;
        for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        QVERIFY2(types[upper] >= 14, "the file's matrices are not of the type its name says");
        auto model = loadModel(path, {"cpu"});
        auto params = paramsOf(*model);
        SafetensorsFile ref(ggufDir() / "llama-quant-reference.safetensors");
        const std::string prefix = "weight." + t + ".";
        for (const auto& info : ref.tensors()) {
            if (info.name.rfind(prefix, 0) != 0) continue;
            const std::string key = info.name.substr(prefix.size());
            const double d = test::maxAbsDiff(params.at(model->parameterNameFor(key)), ref.tensor(info.name),
                                              t + " " + key + " vs gguf-py dequantized");
            QVERIFY2(d == 0, key.c_str());
        }
        torch::NoGradGuard noGrad;
        auto ids = referenceIds(ref);
        double worst = 0, fromF32 = 0;
        for (size_t i = 0; i < ids.size(); ++i) {
            auto logits = model->forward(ids[i])[0];
            QVERIFY(torch::isfinite(logits).all().item<bool>());
            worst = std::max(worst, test::maxAbsDiff(logits, ref.tensor("logits." + t + "." + std::to_string(i)),
                                                     "llama " + t + " vs transformers, sequence " + std::to_string(i)));
            auto f32 = ref.tensor("logits.f32." + std::to_string(i));
            fromF32 = std::max(fromF32, (logits - f32).abs().max().item<double>());
        }
        // Float32 sums in another order: the BLAS kernel OpenBLAS picks for the CPU decides it (on
        // one AVX-512 machine 4.5e-6 with its Haswell kernel, 1.45e-5 with its SkylakeX kernel, the
        // same weights). The quantization itself moves the logits by 1e-4 and more (below).
        qInfo("llama %s: logits max |diff| against transformers %.3g (tolerance 3e-5)", t.c_str(), worst);
        QVERIFY(worst <= 3e-5);
        if (t != "f32") {
            qInfo("llama %s: the quantization moved the logits by up to %.3g", t.c_str(), fromF32);
            QVERIFY(fromF32 > 1e-4);
        }
    }

    // A whole model in K-quants, with Llama 3.1's per-frequency rope divisors.
    void kquantLlama31() {
        const fs::path path = ggufDir() / "llama31.kquant.gguf";
        std::map<std::string, int> types;
        const GgufFile file(path);
        for (const auto& info : file.tensors()) ++types[ggmlTypeName(info.type)];
        for (const char* t : {"Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K"}) QVERIFY2(types[t] >= 1, t);
        auto model = loadModel(path, {"cpu"});
        const auto& rope = model->config().ropeScaling;
        QVERIFY(rope.has_value());
        qInfo("rope_scaling from rope_freqs.weight: %s factor %g, low %g, high %g, original %lld", rope->type.c_str(),
              rope->factor, rope->lowFreqFactor, rope->highFreqFactor,
              static_cast<long long>(rope->originalMaxPositions));
        QCOMPARE(rope->type, std::string("llama3"));
        QCOMPARE(rope->factor, 8.0);
        QCOMPARE(rope->lowFreqFactor, 1.0);
        QCOMPARE(rope->highFreqFactor, 4.0);
        QCOMPARE(rope->originalMaxPositions, int64_t{8192});

        SafetensorsFile ref(ggufDir() / "llama31-kquant-reference.safetensors");
        auto params = paramsOf(*model);
        int matrices = 0;
        for (const auto& info : ref.tensors()) {
            if (info.name.rfind("weight.", 0) != 0) continue;
            const std::string key = info.name.substr(7);
            const auto w = params.at(model->parameterNameFor(key)).to(torch::kDouble);
            const int64_t n = w.size(0);
            auto rows = w.index_select(0, torch::tensor({int64_t{0}, int64_t{1}, int64_t{63}, n - 1}));
            QVERIFY2(
                test::maxAbsDiff(rows, ref.tensor(info.name).to(torch::kDouble), key + " vs gguf-py dequantized") == 0,
                key.c_str());
            auto sums = ref.tensor("sums." + key).to(torch::kDouble);
            auto ours = torch::stack({w.sum(), w.abs().sum(), (w * w).sum()});
            const double rel = ((ours - sums).abs() / sums.abs()).max().item<double>();
            QVERIFY2(rel <= 1e-9, (key + ": sums differ by " + std::to_string(rel)).c_str());
            ++matrices;
        }
        QCOMPARE(matrices, 9);

        torch::NoGradGuard noGrad;
        double worst = 0;
        const auto ids = referenceIds(ref);
        for (size_t i = 0; i < ids.size(); ++i) {
            worst =
                std::max(worst, test::maxAbsDiff(model->forward(ids[i])[0], ref.tensor("logits." + std::to_string(i)),
                                                 "llama 3.1 K-quants vs transformers, sequence " + std::to_string(i)));
        }
        // The 160-token sequence makes float32 rounding of rotary angles up to 160 rad visible:
        // against the same model in float64 (inverse frequencies in float64 too), transformers'
        // float32 run differs by 1.0e-4 and Prunescope's by 7.0e-5 (measured when the tolerance was
        // set); the two float32 runs differ by 7.9e-5. Without the rope scaling the logits would
        // move by 1.34.
        qInfo("llama 3.1 K-quants: logits max |diff| against transformers %.3g (tolerance 2e-4)", worst);
        QVERIFY(worst <= 2e-4);
    }

    // The GGUF tokenizers give the ids of the Hugging Face folders they were converted from.
    void tokenizerMatchesFolder_data() {
        QTest::addColumn<QString>("gguf");
        QTest::addColumn<QString>("source");
        QTest::newRow("llama (SentencePiece, Mistral 7B)") << "vocab-llama-spm.gguf"
                                                           << "mistral-7b";
        QTest::newRow("gpt2, pre gpt-2 (GPT-2, cut)") << "vocab-gpt2.gguf"
                                                      << "gpt2-openai";
        QTest::newRow("gpt2, pre qwen2 (Qwen3, cut)") << "vocab-qwen2.gguf"
                                                      << "qwen3";
    }
    void tokenizerMatchesFolder() {
        QFETCH(QString, gguf);
        QFETCH(QString, source);
        const std::string src = source.toStdString();
        test::TempDir tmp;
        fs::path folder = src == "gpt2-openai" ? cutGpt2Folder(tmp / "gpt2")
                          : src == "qwen3"     ? cutQwenFolder(tmp / "qwen")
                                               : tokenizerDir(src);
        auto fromGguf = Tokenizer::fromModel(ggufDir() / gguf.toStdString());
        auto fromFolder = Tokenizer::fromDirectory(folder);
        const auto texts = tokenizerTexts();
        const std::string diff = tokenizerDifference(fromGguf, fromFolder, texts);
        QVERIFY2(diff.empty(), diff.c_str());
        // The independent implementations' ids, where the cut vocabulary cannot change them (a
        // byte-level BPE cut to its first merges gives the full one's ids when they are all kept).
        int vectors = 0, all = 0;
        const auto testVectors = readJsonFile(tokenizerDir(src) / "test-vectors.json");
        for (const auto& c : testVectors["cases"]) {
            auto want = c["ids"].get<std::vector<int32_t>>();
            ++all;
            if (src != "mistral-7b" && !std::all_of(want.begin(), want.end(), [](int32_t id) { return id < kCut; }))
                continue;
            QVERIFY2(fromGguf.encode(c["text"].get<std::string>()) == want, c["text"].get<std::string>().c_str());
            ++vectors;
        }
        qInfo(
            "%s: %zu texts, with and without special tokens, give the folder's ids; %d of %d "
            "test vectors equal",
            gguf.toStdString().c_str(), texts.size(), vectors, all);
    }

    // A GGUF-loaded model saved as a folder takes the GGUF's tokenizer along (as tokenizer.json +
    // tokenizer_config.json): the folder's tokenizer gives the GGUF's ids, its model the same
    // logits. The tiny models carry no tokenizer (no real one fits 97 tokens), so the tokenizers
    // come from the vocabulary files; the model file itself, without one, saves a folder without
    // tokenizer files.
    void savedFolderKeepsTokenizer() {
        const fs::path modelPath = ggufDir() / "llama.f32.gguf";
        auto model = loadModel(modelPath, {"cpu"});
        test::TempDir tmp;
        const auto texts = tokenizerTexts();
        for (const char* vocab : {"vocab-llama-spm.gguf", "vocab-gpt2.gguf", "vocab-qwen2.gguf"}) {
            const fs::path out = tmp / vocab;
            saveModel(*model, out, {"float32", ggufDir() / vocab});
            QVERIFY(fs::exists(out / "tokenizer.json") && fs::exists(out / "tokenizer_config.json"));
            const std::string diff =
                tokenizerDifference(Tokenizer::fromDirectory(out), Tokenizer::fromModel(ggufDir() / vocab), texts);
            QVERIFY2(diff.empty(), (std::string(vocab) + ": " + diff).c_str());
        }
        saveModel(*model, tmp / "plain", {"float32", modelPath});
        QVERIFY(!fs::exists(tmp / "plain" / "tokenizer.json"));
        auto saved = loadModel(tmp / "plain", {"cpu"});
        // Equal weights; the saved folder's float32 tensors are memory-mapped, the GGUF's were
        // dequantized into fresh ones, and LibTorch 2.x may pick other kernels for differently
        // aligned inputs (1.6e-6 seen on one token; 0 with LibTorch 1.13).
        QVERIFY(logitsDiff(*saved, *model, "saved folder vs GGUF") <= 1e-5);
    }

    // Files that must be refused with the file and the tensor or key named.
    void badFiles() {
        test::TempDir tmp;
        auto expectError = [](const std::function<void()>& load, const fs::path& file, const std::string& place,
                              const std::string& text) {
            try {
                load();
            } catch (const Error& e) {
                qInfo("%s", e.what());
                QVERIFY2(e.file() == file.string(), e.what());
                QVERIFY2(e.place().find(place) != std::string::npos, e.what());
                QVERIFY2(std::string(e.what()).find(text) != std::string::npos, e.what());
                return;
            }
            QFAIL(("no error for " + file.string()).c_str());
        };
        const std::string llama = readTextFile(ggufDir() / "llama.f32.gguf");
        {  // metadata that disagrees with the tensors
            std::string b = llama;
            const uint32_t ffn = 48;
            std::memcpy(&b[valueOf(b, "llama.feed_forward_length", 4)], &ffn, 4);
            const fs::path path = tmp / "ffn48.gguf";
            writeFileAtomic(path, b);
            expectError([&] { loadOnCpu(path); }, path, "tensor 'blk.0.ffn_", "the metadata implies");
        }
        {
            std::string b = llama;
            const uint32_t kv = 4;
            std::memcpy(&b[valueOf(b, "llama.attention.head_count_kv", 4)], &kv, 4);
            const fs::path path = tmp / "kv4.gguf";
            writeFileAtomic(path, b);
            expectError([&] { loadOnCpu(path); }, path, "tensor 'blk.0.attn_k.weight'", "[32, 32]");
        }
        // Sizes from the metadata are checked against the tensors before a model of those sizes is
        // built: a block count past the file's tensors, a hidden size other than the embedding's,
        // a feed-forward size no memory could hold (the shapes are compared on a model that holds
        // no memory).
        {
            std::string b = llama;
            const uint32_t blocks = 200;
            std::memcpy(&b[valueOf(b, "llama.block_count", 4)], &blocks, 4);
            const fs::path path = tmp / "blocks200.gguf";
            writeFileAtomic(path, b);
            expectError([&] { loadOnCpu(path); }, path, "key 'llama.block_count'",
                        "says 200 blocks, but the file has only 21 tensors");
        }
        {
            std::string b = llama;
            const uint32_t huge = 0xFFFFFFFF;
            std::memcpy(&b[valueOf(b, "llama.embedding_length", 4)], &huge, 4);
            const fs::path path = tmp / "embedding-huge.gguf";
            writeFileAtomic(path, b);
            expectError([&] { loadOnCpu(path); }, path, "key 'llama.embedding_length'",
                        "says 4294967295, token_embd.weight has 32 values per token");
        }
        {
            std::string b = llama;
            const uint32_t huge = 0xFFFFFFFF;
            std::memcpy(&b[valueOf(b, "llama.feed_forward_length", 4)], &huge, 4);
            const fs::path path = tmp / "ffn-huge.gguf";
            writeFileAtomic(path, b);
            expectError([&] { loadOnCpu(path); }, path, "tensor 'blk.0.ffn_", "the metadata implies");
        }
        {  // rope divisors that do not follow Llama 3's rule
            const fs::path source = ggufDir() / "llama31.kquant.gguf";
            std::string b = readTextFile(source);
            const GgufFile file(source);
            const GgufTensorInfo& info = *file.find("rope_freqs.weight");
            std::vector<float> divisors = file.dequantize(info);
            const std::string stored(reinterpret_cast<const char*>(divisors.data()), divisors.size() * sizeof(float));
            const size_t at = b.find(stored);
            QVERIFY(at != std::string::npos);
            divisors[16] = 7.5F;  // one frequency of the band, moved
            std::memcpy(&b[at], divisors.data(), stored.size());
            const fs::path path = tmp / "rope.gguf";
            writeFileAtomic(path, b);
            expectError([&] { loadOnCpu(path); }, path, "tensor 'rope_freqs.weight'", "do not follow Llama 3's rule");
        }
        const fs::path badCount = ggufDir() / "bad-vocab-count.gguf";
        expectError([&] { loadOnCpu(badCount); }, badCount, "key 'tokenizer.ggml.tokens'",
                    "has 96 tokens, the model's vocabulary has 97");
        {  // a pre-tokenizer Prunescope does not know
            std::string b = readTextFile(ggufDir() / "vocab-gpt2.gguf");
            const size_t at = valueOf(b, "tokenizer.ggml.pre", 8) + 8;
            QCOMPARE(b.substr(at, 5), std::string("gpt-2"));
            b[at + 4] = '9';
            const fs::path path = tmp / "pre.gguf";
            writeFileAtomic(path, b);
            expectError([&] { Tokenizer::fromModel(path); }, path, "key 'tokenizer.ggml.pre'",
                        "'gpt-9' is not supported");
        }
        expectError([&] { Tokenizer::fromModel(ggufDir() / "llama.f32.gguf"); }, ggufDir() / "llama.f32.gguf",
                    "key 'tokenizer.ggml.tokens'", "carries no tokenizer");
    }
};

QTEST_APPLESS_MAIN(TestGgufModels)
#include "test_gguf_models.moc"
