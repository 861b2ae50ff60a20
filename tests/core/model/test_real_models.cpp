// Real pretrained models through Prunescope, judged by independent code:
//  - SmolLM2-135M-Instruct (Q4_1/Q8_0 GGUF) against Hugging Face transformers loading the same file
//    (tests/reference/real_model_reference.py wrote tests/data/real/smollm2-*): tokenizer ids,
//    full-vocabulary logits, greedy generation, letter scoring on all 570 ARC-Easy validation
//    questions, lm-evaluation-harness's prompts (task presets) on ARC and OpenBookQA test questions;
//  - stories260K (F32 GGUF with its SentencePiece vocabulary) against the greedy continuation its
//    authors publish (llama2.c's test_all.py).
#include <QtTest>

#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include "core/data/mcq.h"
#include "core/eval/mcq_items.h"
#include "core/eval/scoring.h"
#include "core/model/generate.h"
#include "core/model/model_io.h"
#include "core/model/safetensors.h"
#include "core/tokenizer/tokenizer.h"
#include "core/util/files.h"
#include "tests/support/test_support.h"

using namespace prunescope;

namespace {

const char* const kSmolLm = "SmolLM2-135M-Instruct.Q4_1.gguf";

std::string idsText(const std::vector<int64_t>& ids, size_t from, size_t count) {
    std::string s;
    for (size_t i = from; i < std::min(ids.size(), from + count); ++i)
        s += (s.empty() ? "" : " ") + std::to_string(ids[i]);
    return s;
}

}  // namespace

class TestRealModels : public QObject {
    Q_OBJECT
    std::filesystem::path m_gguf;
    std::shared_ptr<CausalLM> m_model;
    Tokenizer m_tokenizer;
    nlohmann::json m_ref;

private slots:
    void initTestCase() {
        m_gguf = test::cachedModel(kSmolLm);
        QVERIFY2(std::filesystem::exists(m_gguf),
                 qPrintable(QString::fromStdString(m_gguf.string() + " is missing: run scripts/fetch-models.sh "
                                                                     "(make test runs it)")));
        m_ref = readJsonFile(test::dataDir() / "real" / "smollm2-reference.json");
        QElapsedTimer timer;
        timer.start();
        m_model = loadModel(m_gguf, {"cpu"});
        m_tokenizer = Tokenizer::fromModel(m_gguf);
        qInfo("SmolLM2-135M GGUF loaded (dequantized) in %.2f s", timer.elapsed() / 1000.0);
        QCOMPARE(m_model->config().nLayer, int64_t(30));
        QCOMPARE(m_model->config().nNeuron, int64_t(1536));
    }

    // Same ids as the reference on the shared test strings and on every ARC-Easy prompt, the
    // prompts built by Prunescope's own prompt code from the dataset file.
    void smolTokenizerMatchesReference() {
        int checked = 0;
        for (const auto& c : m_ref["tokenizer_cases"]) {
            auto ids = m_tokenizer.encode(c["text"].get<std::string>());
            std::vector<int32_t> want = c["ids"].get<std::vector<int32_t>>();
            QVERIFY2(ids == want, qPrintable(QString::fromStdString("text: " + c["text"].get<std::string>())));
            ++checked;
        }
        auto data = loadMcqDataset(test::sharedDataDir() / "mcq" / "arc-hf-jsonl" / "ARC-Easy-validation.jsonl");
        const auto& items = m_ref["arc_easy_validation"]["items"];
        QCOMPARE(data.questions.size(), items.size());
        PromptTemplate prompt;
        for (size_t i = 0; i < items.size(); ++i) {
            auto ids = m_tokenizer.encode(formatLetterPrompt(data.questions[i], prompt), true);
            std::vector<int32_t> want = items[i]["ids"].get<std::vector<int32_t>>();
            QVERIFY2(ids == want,
                     qPrintable(QString::fromStdString("ARC-Easy validation question " + std::to_string(i))));
            ++checked;
        }
        qInfo("tokenizer: %d texts, all ids equal to the reference", checked);
    }

    void smolLogitsMatchReference() {
        SafetensorsFile st(test::dataDir() / "real" / "smollm2-logits.safetensors");
        torch::NoGradGuard noGrad;
        double worst = 0;
        for (int i = 0; st.find("ids." + std::to_string(i)) != nullptr; ++i) {
            auto ids = st.tensor("ids." + std::to_string(i)).to(torch::kLong).unsqueeze(0);
            auto want = st.tensor("logits." + std::to_string(i));
            auto got = m_model->forward(ids)[0];
            worst = std::max(worst, test::maxAbsDiff(got, want, "SmolLM2 logits, prompt " + std::to_string(i)));
        }
        qInfo("full-vocabulary logits: max |diff| %.3g (tolerance 1e-3)", worst);
        QVERIFY2(worst <= 1e-3, qPrintable(QString("max |diff| %1").arg(worst)));
    }

    // Identical ids; a divergence is accepted only where the reference's top-2 margin < 1e-3.
    void smolGreedyGenerationMatchesReference() {
        for (const auto& g : m_ref["generation"]) {
            std::vector<int64_t> prompt = g["prompt_ids"].get<std::vector<int64_t>>();
            std::vector<int64_t> want = g["generated_ids"].get<std::vector<int64_t>>();
            std::vector<double> margins = g["top2_margins"].get<std::vector<double>>();
            auto got = generateGreedy(*m_model, prompt, static_cast<int64_t>(want.size()), std::nullopt);
            QCOMPARE(got.size(), want.size());
            size_t first = 0;
            while (first < want.size() && got[first] == want[first]) ++first;
            if (first < want.size()) {
                qInfo("diverged at step %zu: ours %s, reference %s, reference top-2 margin %.3g", first,
                      idsText(got, first, 4).c_str(), idsText(want, first, 4).c_str(), margins[first]);
                QVERIFY2(margins[first] < 1e-3, "divergence where the reference's choice was clear");
            } else {
                qInfo("generation of %zu tokens identical; smallest reference margin %.3g", want.size(),
                      *std::min_element(margins.begin(), margins.end()));
            }
        }
    }

    // Prunescope's own scoring path (batched, left-padded) on all 570 questions.
    void smolArcEasyLetterScoringMatchesReference() {
        auto data = loadMcqDataset(test::sharedDataDir() / "mcq" / "arc-hf-jsonl" / "ARC-Easy-validation.jsonl");
        auto items = buildScoringItems(data, m_tokenizer, ScoringMode::Letter, PromptTemplate{});
        QElapsedTimer timer;
        timer.start();
        auto scores = scoreItems(*m_model, items, ScoringOptions{});
        const double seconds = timer.elapsed() / 1000.0;
        const auto& ref = m_ref["arc_easy_validation"]["items"];
        QCOMPARE(scores.size(), ref.size());
        int same = 0, correct = 0, refCorrect = 0;
        double worstLogProb = 0;
        for (size_t i = 0; i < scores.size(); ++i) {
            const int refPred = ref[i]["predicted"].get<int>();
            correct += scores[i].correct;
            refCorrect += refPred == ref[i]["gold"].get<int>();
            auto refLp = ref[i]["letter_log_probs"].get<std::vector<double>>();
            // Prunescope's logProbs are over the whole vocabulary; renormalize over the letters.
            std::vector<double> lp = scores[i].logProbs;
            double m = *std::max_element(lp.begin(), lp.end()), z = 0;
            for (double v : lp) z += std::exp(v - m);
            for (size_t k = 0; k < lp.size(); ++k)
                worstLogProb = std::max(worstLogProb, std::abs(lp[k] - m - std::log(z) - refLp[k]));
            if (scores[i].predicted == refPred) {
                ++same;
            } else {
                std::vector<double> sorted = refLp;
                std::sort(sorted.rbegin(), sorted.rend());
                qInfo("question %zu (%s): ours %c, reference %c, reference margin %.3g", i,
                      data.questions[i].id.c_str(), 'A' + scores[i].predicted, 'A' + refPred, sorted[0] - sorted[1]);
            }
        }
        const double n = static_cast<double>(scores.size());
        qInfo(
            "ARC-Easy validation: same letter on %d/%zu; accuracy ours %.4f, reference %.4f; max "
            "|diff| of letter "
            "log-probabilities %.3g; %.1f s (%.3f s per question)",
            same, scores.size(), correct / n, refCorrect / n, worstLogProb, seconds, seconds / n);
        QVERIFY(same >= static_cast<int>(std::ceil(0.995 * n)));
        QVERIFY(std::abs(correct - refCorrect) / n <= 0.005);
        QCOMPARE(refCorrect / n, m_ref["arc_easy_validation"]["accuracy"].get<double>());
    }

    // lm-evaluation-harness's prompts (task presets) on the first 40 questions of the ARC-Easy,
    // ARC-Challenge and OpenBookQA test sets: every option's log-likelihood against transformers
    // on the same text (tests/reference/task_parity_reference.py), and acc / acc_norm.
    void smolTaskPresetsMatchTransformers() {
        const auto ref = readJsonFile(test::dataDir() / "real" / "smollm2-task-parity.json");
        const auto perSet = ref["questions_per_set"].get<size_t>();
        for (const auto& set : ref["sets"]) {
            auto data = loadMcqDataset(test::sharedDataDir() / "mcq" / set["file"].get<std::string>());
            data.questions.resize(perSet);
            PromptTemplate prompt;
            prompt.task = parseTaskPreset(set["preset"].get<std::string>());
            auto items = buildScoringItems(data, m_tokenizer, ScoringMode::Continuation, prompt);
            ScoringOptions options;
            options.mode = ScoringMode::Continuation;
            auto scores = scoreItems(*m_model, items, options);
            const auto lls = set["log_likelihoods"].get<std::vector<std::vector<double>>>();
            const auto gold = set["gold"].get<std::vector<int>>();
            QCOMPARE(scores.size(), lls.size());
            double worst = 0;
            int same = 0;
            for (size_t i = 0; i < scores.size(); ++i) {
                QCOMPARE(scores[i].gold, gold[i]);
                QCOMPARE(scores[i].logProbs.size(), lls[i].size());
                for (size_t o = 0; o < lls[i].size(); ++o)
                    worst = std::max(worst, std::abs(scores[i].logProbs[o] - lls[i][o]));
                same += scores[i].predicted == scoreFromLogProbs(lls[i], items[i]).predicted;
            }
            const auto summary = summarize(scores);
            const double n = static_cast<double>(scores.size());
            qInfo(
                "%s: %zu questions, max |log-likelihood diff| %.3g, same prediction %d/%zu; acc %.4f (transformers "
                "%.4f), "
                "acc_norm %.4f (transformers %.4f)",
                set["file"].get<std::string>().c_str(), scores.size(), worst, same, scores.size(), summary.accuracy,
                set["acc"].get<double>(), summary.accuracyNorm, set["acc_norm"].get<double>());
            QVERIFY(worst < 1e-3);  // float32 sums over up to ~40 tokens of a dequantized 135M model
            QVERIFY(same >= static_cast<int>(std::ceil(0.995 * n)));
            QVERIFY(std::abs(summary.accuracy - set["acc"].get<double>()) <= 0.005);
            QVERIFY(std::abs(summary.accuracyNorm - set["acc_norm"].get<double>()) <= 0.005);
        }
    }

    // `finetune` from the GGUF with a mask writes a Hugging Face folder that transformers loads and
    // runs to the same logits (the reference script ran the same command and transformers on it).
    void smolFinetunedFolderMatchesTransformers() {
        test::TempDir tmp;
        const auto out = tmp / "pruned";
        auto r = test::runCli({"finetune", "--model", m_gguf.string(), "--data",
                               (test::dataDir() / "mcq" / "arc-hf-challenge-validation-head40.jsonl").string(),
                               "--mask", (test::dataDir() / "real" / "smollm2-mask.json").string(), "--out",
                               out.string(), "--max-steps", "2", "--batch-size", "2", "--validation-split", "none",
                               "--seed", "0", "--quiet"});
        QVERIFY2(r.exitCode == 0, r.err.c_str());
        for (const char* f :
             {"config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "prunescope.json"}) {
            QVERIFY2(std::filesystem::exists(out / f), f);
        }
        auto model = loadModel(out, {"cpu"});
        // The tokenizer written from the GGUF gives the GGUF tokenizer's ids.
        auto tokenizer = Tokenizer::fromDirectory(out);
        for (const auto& c : m_ref["tokenizer_cases"]) {
            QVERIFY(tokenizer.encode(c["text"].get<std::string>()) == m_tokenizer.encode(c["text"].get<std::string>()));
        }
        // Pruned neurons: their gate/up rows and down column are zero.
        auto mask = readJsonFile(test::dataDir() / "real" / "smollm2-mask.json");
        std::map<std::string, torch::Tensor> params;
        for (auto& p : model->named_parameters()) params[p.key()] = p.value();
        for (const auto& e : mask["pruned"]) {
            const std::string layer = "model.layers." + std::to_string(e["layer"].get<int>()) + ".mlp.";
            const int64_t n = e["neuron"].get<int64_t>();
            QVERIFY(params.at(layer + "gate_proj.weight")[n].abs().max().item<float>() == 0);
            QVERIFY(params.at(layer + "up_proj.weight")[n].abs().max().item<float>() == 0);
            QVERIFY(params.at(layer + "down_proj.weight").select(1, n).abs().max().item<float>() == 0);
        }
        SafetensorsFile st(test::dataDir() / "real" / "smollm2-pruned-logits.safetensors");
        torch::NoGradGuard noGrad;
        double worst = 0;
        for (int i = 0; st.find("ids." + std::to_string(i)) != nullptr; ++i) {
            auto ids = st.tensor("ids." + std::to_string(i)).to(torch::kLong).unsqueeze(0);
            worst = std::max(worst, test::maxAbsDiff(model->forward(ids)[0], st.tensor("logits." + std::to_string(i)),
                                                     "fine-tuned folder vs transformers, prompt " + std::to_string(i)));
        }
        qInfo(
            "fine-tuned, pruned folder: logits max |diff| against transformers %.3g (tolerance "
            "1e-4)",
            worst);
        QVERIFY(worst <= 1e-4);
    }

    // docs/examples/arc-smollm2.json, shortened (few questions, one step, one seed), runs through
    // `prunescope-cli run` so the documented experiment cannot rot.
    void smolExampleExperimentRuns() {
        const auto example =
            (test::dataDir() / ".." / ".." / "docs" / "examples" / "arc-smollm2.json").lexically_normal();
        auto config = readJsonFile(example);
        test::TempDir tmp;
        auto absolute = [&](const std::string& rel) {
            return (example.parent_path() / rel).lexically_normal().string();
        };
        config["model"] = m_gguf.string();
        for (const char* part : {"train", "validation", "test"}) {
            config[part]["file"] = absolute(config[part]["file"].get<std::string>());
            config[part]["limit"] = part == std::string("train") ? 40 : 6;
        }
        for (auto& d : config["ood"]) {
            d["file"] = absolute(d["file"].get<std::string>());
            d["limit"] = 8;
        }
        config["attribution"]["limit"] = 3;
        config["attribution"]["min_confidence"] = 0.0;
        config["attribution"]["steps"] = 4;
        config["finetune"]["max_steps"] = 1;
        config["finetune"]["batch_size"] = 2;
        config["seeds"] = {0};
        config["out"] = (tmp / "out").string();
        writeJsonAtomic(tmp / "experiment.json", config);
        auto r = test::runCli({"run", "--config", (tmp / "experiment.json").string(), "--quiet"});
        QVERIFY2(r.exitCode == 0, r.err.c_str());
        auto report = readJsonFile(tmp / "out" / "report.json");
        QCOMPARE(report["arms"].size(), size_t(4));
        QCOMPARE(report["results"].size(), size_t(4 * 3));  // arms x datasets (ID test + 2 OOD; one seed)
        QVERIFY(std::filesystem::exists(tmp / "out" / "report.md"));
        qInfo("shortened example experiment: %zu results", report["results"].size());
    }

    // stories260K's vocabulary (SentencePiece BPE, byte fallback) from the GGUF metadata: the ids
    // SentencePiece itself gives with tok512.model (the same pieces and scores).
    void stories260kTokenizerMatchesSentencePiece() {
        auto path = test::sharedDataDir() / "models" / "stories260K" / "stories260K.gguf";
        if (!std::filesystem::exists(path)) QSKIP("../shared/data/models/stories260K is not here");
        auto tokenizer = Tokenizer::fromModel(path);
        auto ref = readJsonFile(test::dataDir() / "real" / "stories260K-tokenizer.json");
        // "ids": SentencePiece with the whitespace handling the GGUF implies (kept, as llama.cpp
        // does); "ids_as_trained" also removes extra whitespace, which the GGUF does not record.
        int checked = 0, asTrained = 0;
        for (const auto& c : ref["cases"]) {
            auto ids = tokenizer.encode(c["text"].get<std::string>());
            std::vector<int32_t> want = c["ids"].get<std::vector<int32_t>>();
            QVERIFY2(ids == want, qPrintable(QString::fromStdString("text: " + c["text"].get<std::string>())));
            asTrained += ids == c["ids_as_trained"].get<std::vector<int32_t>>();
            ++checked;
        }
        QCOMPARE(tokenizer.encode("Hello", true).front(), 1);  // BOS added, as llama.cpp does
        qInfo(
            "stories260K tokenizer: %d texts, all ids equal to SentencePiece's; %d also equal with "
            "the model's "
            "own extra-whitespace removal",
            checked, asTrained);
    }

    // stories260K: greedy from BOS, decoded, starts with the text llama2.c's authors publish.
    void stories260kGreedyMatchesPublished() {
        auto path = test::sharedDataDir() / "models" / "stories260K" / "stories260K.gguf";
        if (!std::filesystem::exists(path)) QSKIP("../shared/data/models/stories260K is not here");
        auto model = loadModel(path, {"cpu"});
        auto tokenizer = Tokenizer::fromModel(path);
        QCOMPARE(tokenizer.bosId().value_or(-1), 1);
        auto out = generateGreedy(*model, {1}, 200, std::nullopt);
        std::vector<int32_t> out32(out.begin(), out.end());
        std::string text = tokenizer.decode(out32, true);
        std::string want = readTextFile(test::dataDir() / "real" / "stories260K-greedy.txt");
        size_t same = 0;
        while (same < std::min(text.size(), want.size()) && text[same] == want[same]) ++same;
        qInfo("stories260K: %zu of the %zu published characters reproduced", same, want.size());
        QVERIFY2(same == want.size(), qPrintable(QString::fromStdString("ours: " + text.substr(0, same + 40))));
    }
};

QTEST_APPLESS_MAIN(TestRealModels)
#include "test_real_models.moc"
