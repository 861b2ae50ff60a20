// The command-line tool as users meet it: every command's --help, exit codes, generate (KV-cached
// greedy decoding = argmax of the full forward pass), tokenize, eval's JSON, clear errors.
#include <QtTest>

#include <cstring>
#include <iterator>
#include <regex>

#include <fstream>

#include <torch/torch.h>
#include <nlohmann/json.hpp>

#include "core/model/model_io.h"
#include "core/model/safetensors.h"
#include "core/prune/neuron_mask.h"
#include "core/tokenizer/tokenizer.h"
#include "core/util/files.h"
#include "tests/support/test_support.h"

using namespace prunescope;
namespace fs = std::filesystem;

class TestCli : public QObject {
    Q_OBJECT
    test::TempDir m_tmp;
    fs::path m_model;

private slots:
    void initTestCase() { m_model = test::makeTinyModel(m_tmp / "model", "gpt2", 9, 0.3); }

    void helpForEveryCommand() {
        auto top = test::runCli({"--help"});
        QCOMPARE(top.exitCode, 0);
        for (const char* c : {"info", "init-model", "generate", "eval", "attribute", "merge", "select", "finetune",
                              "run", "demo", "tokenize"}) {
            auto r = test::runCli({c, "--help"});
            QVERIFY2(r.exitCode == 0 && r.out.find("Usage: prunescope-cli") != std::string::npos, c);
            QVERIFY2(top.out.find(c) != std::string::npos, c);
        }
        for (const char* b : {"forward", "tokenizer", "eval", "attribution"}) {
            QCOMPARE(test::runCli({"bench", b, "--help"}).exitCode, 0);
        }
        QCOMPARE(test::runCli({"--version"}).exitCode, 0);
        QCOMPARE(test::runCli({"frobnicate"}).exitCode, 2);
        auto bad = test::runCli({"eval", "--model"});
        QCOMPARE(bad.exitCode, 2);
        QVERIFY(bad.err.find("--help") != std::string::npos);
    }

    void generateEqualsFullForwardGreedy() {
        auto r = test::runCli({"generate", "--model", m_model.string(), "--prompt", "The capital of France is",
                               "--max-new-tokens", "8", "--json", "--quiet"});
        QCOMPARE(r.exitCode, 0);
        auto j = nlohmann::json::parse(r.out);
        auto prompt = j["prompt_ids"].get<std::vector<int64_t>>();
        auto generated = j["generated_ids"].get<std::vector<int64_t>>();
        QCOMPARE(prompt, (std::vector<int64_t>{464, 3139, 286, 4881, 318}));  // GPT-2 BPE
        QCOMPARE(generated.size(), size_t(8));
        // Reference: no cache, the whole sequence every step.
        auto model = loadModel(m_model, {"cpu"});
        torch::NoGradGuard noGrad;
        std::vector<int64_t> seq = prompt;
        for (int step = 0; step < 8; ++step) {
            auto logits = model->forward(torch::tensor(seq, torch::kLong).unsqueeze(0));
            seq.push_back(logits[0][-1].argmax().item<int64_t>());
        }
        QCOMPARE(std::vector<int64_t>(seq.begin() + 5, seq.end()), generated);
    }

    void tokenizeMatchesVectors() {
        auto r = test::runCli({"tokenize", "--tokenizer", m_model.string(), "--text", "Hello world"});
        QCOMPARE(r.exitCode, 0);
        QCOMPARE(nlohmann::json::parse(r.out).get<std::vector<int>>(), (std::vector<int>{15496, 995}));
    }

    void evalWritesPerQuestionJson() {
        auto data = (test::sharedDataDir() / "mcq/arc-hf-jsonl/ARC-Easy-validation.jsonl").string();
        auto out = m_tmp / "scores.json";
        auto r = test::runCli(
            {"eval", "--model", m_model.string(), "--data", data, "--limit", "30", "--out", out.string(), "--quiet"});
        QCOMPARE(r.exitCode, 0);
        QVERIFY(r.out.find("accuracy") != std::string::npos);
        QVERIFY(r.out.find("confidence histogram") != std::string::npos);
        auto j = readJsonFile(out);
        QCOMPARE(j["questions"].size(), size_t(30));
        QCOMPARE(j["summary"]["questions"].get<int>(), 30);
        QVERIFY(j["dataset"]["fingerprint"].get<std::string>().size() == 64);
        QVERIFY(j["model"]["fingerprint"].get<std::string>().size() == 64);
        double sum = 0;
        for (double p : j["questions"][0]["probs"]) sum += p;
        QVERIFY(std::abs(sum - 1) < 1e-9);
        // Continuation scoring reports acc_norm too.
        auto c = test::runCli({"eval", "--model", m_model.string(), "--data", data, "--limit", "10", "--scoring",
                               "continuation", "--quiet"});
        QCOMPARE(c.exitCode, 0);
        QVERIFY(c.out.find("accuracy (norm)") != std::string::npos);
    }

    // --preset paper: the file records the documented settings (docs/method.md) and the preset's
    // name; an option given beside it is recorded as a change. select --preset paper takes the
    // top p % of the layer with the largest total of the mean, normalised per layer.
    void attributeWithPaperPreset() {
        auto data = (test::sharedDataDir() / "mcq/arc-hf-jsonl/ARC-Easy-validation.jsonl").string();
        auto out = m_tmp / "paper.safetensors";
        auto r = test::runCli({"attribute", "--model", m_model.string(), "--data", data, "--limit", "3",
                               "--min-confidence", "0", "--preset", "paper", "--out", out.string(), "--quiet"});
        QCOMPARE(r.exitCode, 0);
        QVERIFY(r.out.find("preset paper") != std::string::npos);
        SafetensorsFile st(out);
        auto meta = nlohmann::json::parse(st.metadata().at("prunescope.attributions"));
        const auto& s = meta["settings"];
        QCOMPARE(s["target"].get<std::string>(), std::string("answer-prob"));
        QCOMPARE(s["scope"].get<std::string>(), std::string("per-layer"));
        QCOMPARE(s["positions"].get<std::string>(), std::string("last"));
        QCOMPARE(s["rule"].get<std::string>(), std::string("right"));
        QCOMPARE(s["steps"].get<int>(), 20);
        QCOMPARE(s["site"].get<std::string>(), std::string("activation"));
        QCOMPARE(meta["preset"]["name"].get<std::string>(), std::string("paper"));
        // --min-confidence 0 differs from the preset's 0.9: recorded as a change.
        QVERIFY(meta["preset"]["changed"] == nlohmann::json::array({"min_confidence"}));
        QVERIFY(st.find("normalized_sum") != nullptr);

        auto mask = m_tmp / "paper-mask.json";
        auto sel = test::runCli(
            {"select", "--attributions", out.string(), "--preset", "paper", "--percent", "5", "--out", mask.string()});
        QCOMPARE(sel.exitCode, 0);
        auto m = readMask(mask);
        QCOMPARE(m.meta["score"].get<std::string>(), std::string("mean+per-layer"));
        QCOMPARE(m.meta["selection"]["rule"].get<std::string>(), std::string("largest-layer"));
        int nonEmpty = 0;
        for (auto c : m.perLayerCounts()) nonEmpty += c > 0 ? 1 : 0;
        QCOMPARE(nonEmpty, 1);  // one layer
        QVERIFY(m.count() > 0);
        QCOMPARE(m.positions, HookPositions::All);
        auto lastMask = m_tmp / "paper-mask-last.json";
        QCOMPARE(test::runCli({"select", "--attributions", out.string(), "--preset", "paper", "--percent", "5",
                               "--prune-positions", "last", "--out", lastMask.string()})
                     .exitCode,
                 0);
        QCOMPARE(readJsonFile(lastMask)["positions"].get<std::string>(), std::string("last"));
        QCOMPARE(readMask(lastMask).pruned, m.pruned);
        // A bad score names the setting, exit 1 with the message.
        auto bad = test::runCli({"select", "--attributions", out.string(), "--score", "mean+per-head", "--out",
                                 (m_tmp / "bad.json").string()});
        QVERIFY(bad.exitCode != 0);
        QVERIFY(bad.err.find("setting 'score'") != std::string::npos);
    }

    // --task-preset: lm-eval's prompt, the scoring mode it implies, recorded in the results; a
    // contradicting --scoring or --template is a usage error (exit 2).
    void evalWithTaskPreset() {
        auto data = (test::dataDir() / "mcq" / "winogrande_dev.jsonl").string();
        auto out = m_tmp / "wino.json";
        auto r = test::runCli({"eval", "--model", m_model.string(), "--data", data, "--task-preset", "winogrande",
                               "--out", out.string(), "--quiet"});
        QCOMPARE(r.exitCode, 0);
        QVERIFY(r.out.find("accuracy (norm)") != std::string::npos);  // continuation scoring
        auto j = readJsonFile(out);
        QCOMPARE(j["settings"]["scoring"].get<std::string>(), std::string("continuation"));
        QCOMPARE(j["settings"]["prompt"]["task_preset"].get<std::string>(), std::string("winogrande"));
        QCOMPARE(j["questions"].size(), size_t(3));
        auto bad = test::runCli({"eval", "--model", m_model.string(), "--data", data, "--task-preset", "winogrande",
                                 "--scoring", "letter", "--quiet"});
        QCOMPARE(bad.exitCode, 2);
        QVERIFY(bad.err.find("--task-preset winogrande") != std::string::npos);
        auto unknown = test::runCli({"eval", "--model", m_model.string(), "--data", data, "--task-preset", "wino"});
        QCOMPARE(unknown.exitCode, 2);
        QVERIFY(unknown.err.find("unknown task preset 'wino'") != std::string::npos);
        // A preset whose fields the file lacks names the question.
        auto arc = (test::sharedDataDir() / "mcq/arc-hf-jsonl/ARC-Easy-validation.jsonl").string();
        auto missing = test::runCli({"eval", "--model", m_model.string(), "--data", arc, "--task-preset", "hellaswag",
                                     "--limit", "2", "--quiet"});
        QCOMPARE(missing.exitCode, 2);
        QVERIFY(missing.err.find("activity_label") != std::string::npos);
        QVERIFY(missing.err.find("line 1") != std::string::npos);
    }

    // --prune-positions last: the mask says so; finetune (LoRA) cannot bake it, so it saves the
    // weights unpruned with the mask beside them and says so; eval applies it with --mask, and
    // refuses it with continuation scoring (bad input: exit 2, naming the mask file and the field).
    void pruneAtTheLastPosition() {
        auto data = (test::dataDir() / "mcq" / "plain.jsonl").string();
        NeuronMask m(2, 128);
        m.pruned[0] = {3, 17, 90};
        m.pruned[1] = {5};
        m.scores[0] = {3, 2, 1};
        m.scores[1] = {1};
        m.positions = HookPositions::Last;
        auto mask = m_tmp / "last-mask.json";
        writeMask(mask, m);
        auto out = m_tmp / "last-out";
        auto r = test::runCli({"finetune",      "--model", m_model.string(),     "--data", data,
                               "--train-split", "all",     "--validation-split", "none",   "--mask",
                               mask.string(),   "--out",   out.string(),         "--lora", "4",
                               "--lr",          "1e-2",    "--max-steps",        "2",      "--quiet"});
        std::printf("  %s", r.err.c_str());
        QCOMPARE(r.exitCode, 0);
        QVERIFY(r.err.find("not in the saved weights") != std::string::npos);
        QCOMPARE(readMask(out / "mask.json").pruned, m.pruned);
        const auto record = readJsonFile(out / "prunescope.json");
        QCOMPARE(record["mask"]["positions"].get<std::string>(), std::string("last"));
        QCOMPARE(record["mask"]["in_weights"].get<bool>(), false);
        auto model = loadModel(out, {"cpu"});
        const int32_t neuron = m.pruned[0][0];
        QVERIFY(model->named_parameters()["h.0.mlp.c_fc.weight"]
                    .index({torch::indexing::Slice(), neuron})
                    .abs()
                    .max()
                    .item<double>() > 0);
        auto eval = test::runCli(
            {"eval", "--model", out.string(), "--data", data, "--mask", (out / "mask.json").string(), "--quiet"});
        QCOMPARE(eval.exitCode, 0);
        auto refused = test::runCli({"eval", "--model", out.string(), "--data", data, "--mask",
                                     (out / "mask.json").string(), "--scoring", "continuation", "--quiet"});
        std::printf("  %s", refused.err.c_str());
        QCOMPARE(refused.exitCode, 2);
        QVERIFY(refused.err.find("field 'positions'") != std::string::npos);
        QVERIFY(refused.err.find("mask.json") != std::string::npos);
    }

    void badDataNamesFileAndLine() {
        auto file = m_tmp / "bad.jsonl";
        std::ofstream(file) << R"({"question": "Q1", "choices": ["a", "b"], "answer": 0})"
                               "\n"
                            << R"({"question": "Q2", "choices": ["a", "b"], "answer": 7})"
                               "\n";
        auto r = test::runCli({"eval", "--model", m_model.string(), "--data", file.string(), "--quiet"});
        std::printf("  %s", r.err.c_str());
        QCOMPARE(r.exitCode, 2);
        QVERIFY(r.err.find("bad.jsonl") != std::string::npos);
        QVERIFY(r.err.find("line 2") != std::string::npos);
        auto skip = test::runCli({"eval", "--model", m_model.string(), "--data", file.string(), "--skip-invalid"});
        QCOMPARE(skip.exitCode, 0);
        QVERIFY(skip.err.find("skipped 1 invalid record") != std::string::npos);
    }

    // A broken GGUF (truncated copy of a real fixture) as --model: exit 2, the file and the tensor
    // named, nothing written.
    void badGgufNamesFileAndTensor() {
        auto good = test::dataDir() / "gguf" / "models" / "llama.q8_0.gguf";
        std::ifstream in(good, std::ios::binary);
        std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        auto file = m_tmp / "cut.gguf";
        std::ofstream(file, std::ios::binary) << bytes.substr(0, bytes.size() - 100);
        auto out = m_tmp / "cut-finetuned";
        auto r = test::runCli({"finetune", "--model", file.string(), "--data",
                               (test::dataDir() / "mcq" / "plain.jsonl").string(), "--out", out.string(), "--quiet"});
        std::printf("  %s", r.err.c_str());
        QCOMPARE(r.exitCode, 2);
        QVERIFY(r.err.find("cut.gguf") != std::string::npos);
        QVERIFY(r.err.find("tensor '") != std::string::npos);
        QVERIFY(!std::filesystem::exists(out));
    }

    // Bad input to eval: exit code 2, the file and the place on stderr, no --out written. A GGUF
    // (stories260K, cut) whose tensor count cannot fit in the file, one whose block count is past
    // its tensors (a model that deep is never built), a dataset with a line over the 16 MiB limit.
    void evalRefusesBadInput_data() {
        QTest::addColumn<QString>("kind");
        QTest::addColumn<QString>("place");
        QTest::newRow("GGUF with 2^40 tensors") << "count.gguf"
                                                << "header: tensor count 1099511627776 cannot fit";
        QTest::newRow("GGUF with 200 blocks") << "blocks.gguf"
                                              << "key 'llama.block_count': says 200 blocks";
        QTest::newRow("dataset with a 17 MiB line") << "long.jsonl"
                                                    << "line 2: longer than 16 MiB";
    }
    void evalRefusesBadInput() {
        QFETCH(QString, kind);
        QFETCH(QString, place);
        const fs::path dir = m_tmp / ("bad-" + kind.toStdString());
        fs::create_directories(dir);
        const fs::path bad = dir / kind.toStdString();
        std::string model = m_model.string();
        std::string data = (test::dataDir() / "mcq" / "plain.jsonl").string();
        if (bad.extension() == ".gguf") {
            // A real llama.cpp file with its tokenizer (read before the model).
            std::ifstream in(test::sharedDataDir() / "models" / "stories260K" / "stories260K.gguf", std::ios::binary);
            std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
            QVERIFY2(bytes.size() > 24, "stories260K.gguf is missing from the shared data folder");
            if (kind == "count.gguf") {
                const uint64_t count = uint64_t(1) << 40;
                std::memcpy(&bytes[8], &count, 8);  // after "GGUF" and the version
            } else {
                const std::string key = "llama.block_count";
                const uint64_t length = key.size();
                const size_t at = bytes.find(std::string(reinterpret_cast<const char*>(&length), 8) + key);
                QVERIFY(at != std::string::npos);
                const uint32_t blocks = 200;
                std::memcpy(&bytes[at + 8 + key.size() + 4], &blocks, 4);  // after the key and its u32 type
            }
            std::ofstream(bad, std::ios::binary) << bytes;
            model = bad.string();
        } else {
            std::ofstream out(bad, std::ios::binary);
            out << R"({"question": "Q1", "choices": ["a", "b"], "answer": 0})"
                   "\n"
                << "{\"question\": \"" << std::string(size_t(17) << 20, 'x')
                << "\", \"choices\": [\"a\", \"b\"], \"answer\": 0}"
                << "\n";
            data = bad.string();
        }
        const fs::path out = dir / "scores.json";
        // Continuation scoring: stories260K's tokenizer splits the answer letters.
        auto r = test::runCli(
            {"eval", "--model", model, "--data", data, "--scoring", "continuation", "--out", out.string(), "--quiet"});
        std::printf("  %s", r.err.substr(0, 400).c_str());
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.find(bad.string() + ": " + place.toStdString()) != std::string::npos, r.err.c_str());
        QVERIFY(!fs::exists(out));
    }

    // finetune --lora: the merged model in --out (pruning baked in), the PEFT adapter in
    // --save-adapter; bad LoRA values are usage errors (exit 2) naming the setting, nothing
    // written.
    void finetuneWithLora() {
        auto data = (test::dataDir() / "mcq" / "plain.jsonl").string();
        NeuronMask mask(2, 128);
        mask.pruned[0] = {3, 17, 90};
        mask.pruned[1] = {5};
        mask.scores[0] = {0, 0, 0};
        mask.scores[1] = {0};
        writeMask(m_tmp / "lora-mask.json", mask);
        auto out = m_tmp / "lora-out";
        auto adapter = m_tmp / "lora-adapter";
        auto r = test::runCli({"finetune",
                               "--model",
                               m_model.string(),
                               "--data",
                               data,
                               "--train-split",
                               "all",
                               "--validation-split",
                               "none",
                               "--mask",
                               (m_tmp / "lora-mask.json").string(),
                               "--out",
                               out.string(),
                               "--lora",
                               "4",
                               "--lora-targets",
                               "ffn",
                               "--lr",
                               "1e-2",
                               "--max-steps",
                               "3",
                               "--save-adapter",
                               adapter.string(),
                               "--quiet"});
        std::printf("  %s%s", r.out.c_str(), r.err.c_str());
        QCOMPARE(r.exitCode, 0);
        auto config = readJsonFile(adapter / "adapter_config.json");
        QCOMPARE(config["r"], nlohmann::json(4));
        QCOMPARE(config["target_modules"], nlohmann::json({"c_fc", "mlp.c_proj"}));
        SafetensorsFile st(adapter / "adapter_model.safetensors");
        QCOMPARE(st.tensors().size(), size_t(2 * 2 * 2));
        QVERIFY(st.find("base_model.model.transformer.h.1.mlp.c_fc.lora_B.weight") != nullptr);
        QCOMPARE(readJsonFile(out / "prunescope.json")["settings"]["lora_rank"], nlohmann::json(4));
        auto model = loadModel(out, {"cpu"});
        auto params = model->named_parameters();
        QCOMPARE(params["h.0.mlp.c_fc.weight"].index({torch::indexing::Slice(), 17}).abs().max().item<double>(), 0.0);
        QCOMPARE(params["h.1.mlp.c_proj.weight"][5].abs().max().item<double>(), 0.0);

        for (const auto& bad : std::vector<std::vector<std::string>>{{"--lora", "-1"},
                                                                     {"--lora", "4", "--lora-targets", "qkv"},
                                                                     {"--save-adapter", (m_tmp / "x").string()}}) {
            auto badOut = m_tmp / "lora-bad";
            std::vector<std::string> args = {"finetune", "--model", m_model.string(), "--data",
                                             data,       "--out",   badOut.string(),  "--quiet"};
            args.insert(args.end(), bad.begin(), bad.end());
            auto b = test::runCli(args);
            std::printf("  %s", b.err.c_str());
            QCOMPARE(b.exitCode, 2);
            QVERIFY(b.err.find("lora") != std::string::npos);
            QVERIFY(!fs::exists(badOut));
        }
    }

    void benchmarksRun() {
        auto r = test::runCli({"bench", "forward", "--layers", "1", "--d-model", "64", "--vocab", "100", "--seq", "16",
                               "--batch", "2", "--seconds", "0.1"});
        QCOMPARE(r.exitCode, 0);
        QVERIFY(r.out.find("fraction of peak") != std::string::npos);
        auto a = test::runCli({"bench", "attribution", "--layers", "1", "--d-model", "64", "--vocab", "400", "--seq",
                               "12", "--questions", "1", "--steps", "4"});
        QCOMPARE(a.exitCode, 0);
        QVERIFY(a.out.find("speed-up") != std::string::npos);
    }

    // bench memory on a tiny config: each case runs as a child with the plan's estimate beside its
    // measured peak; --extra's words reach every child as separate arguments.
    void benchMemoryRunsItsCases() {
        auto data = (test::sharedDataDir() / "mcq/arc-hf-jsonl/ARC-Easy-validation.jsonl").string();
        auto r = test::runCli({"bench", "memory", "--config", (m_model / "config.json").string(), "--tokenizer",
                               m_model.string(), "--data", data, "--work", (m_tmp / "bench-memory").string(), "--cases",
                               "eval,attribute", "--questions", "2", "--ig-steps", "4", "--extra", "--dtype bfloat16"});
        std::printf("%s", r.out.c_str());
        QCOMPARE(r.exitCode, 0);
        for (const char* name : {"eval", "attribute"}) {
            std::smatch m;
            const std::regex row(std::string("\\n") + name + " +ran +[0-9.]+ [kMG]B +[0-9.]+ [kMG]B +[0-9.]+ ");
            QVERIFY2(std::regex_search(r.out, m, row), name);
        }
        QVERIFY2(fs::exists(m_tmp / "bench-memory" / "attribute.safetensors"), r.out.c_str());
    }
};

QTEST_GUILESS_MAIN(TestCli)
#include "test_cli.moc"
