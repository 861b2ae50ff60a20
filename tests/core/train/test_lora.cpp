// LoRA: the unmerged model (base + adapters) equals the merged one; pruned neurons stay exactly
// zero after LoRA fine-tuning; only the adapters train; the saved PEFT folder has PEFT's names,
// dtypes and shapes, and applying it by hand to the masked base model gives the merged model; a
// resumed LoRA run equals the uninterrupted one; bad settings name the field. Llama and GPT-2.
#include <QtTest>

#include <random>

#include <torch/torch.h>

#include "core/data/mcq.h"
#include "core/eval/mcq_items.h"
#include "core/model/layers.h"
#include "core/model/lora_adapter.h"
#include "core/model/model_io.h"
#include "core/model/safetensors.h"
#include "core/prune/neuron_mask.h"
#include "core/prune/selection.h"
#include "core/tokenizer/tokenizer.h"
#include "core/train/finetune.h"
#include "core/train/lora.h"
#include "core/util/error.h"
#include "core/util/files.h"
#include "tests/support/test_support.h"

using namespace prunescope;
namespace fs = std::filesystem;

namespace {

NeuronMask randomMask(const CausalLM& model, double percent, uint64_t seed) {
    const auto& c = model.config();
    torch::manual_seed(seed);
    SelectionSpec spec;
    spec.percent = percent;
    return selectNeurons(torch::randn({c.nLayer, c.nNeuron}), spec);
}

torch::Tensor logitsOf(CausalLM& model, const std::vector<int64_t>& ids, const NeuronMask* mask = nullptr) {
    torch::NoGradGuard noGrad;
    NeuronHook hook(model.config().nLayer);
    if (mask != nullptr) mask->applyTo(hook, torch::kCPU);
    ForwardArgs args;
    args.hook = &hook;
    return model.forward(torch::tensor(ids, torch::kLong).unsqueeze(0), args);
}

torch::Tensor indexOf(const std::vector<int32_t>& neurons) {
    return torch::tensor(std::vector<int64_t>(neurons.begin(), neurons.end()), torch::kLong);
}

// The weights that feed and read the pruned neurons of `layer`: (name, dim) pairs.
std::vector<std::pair<std::string, int64_t>> neuronSlices(const std::string& arch, int64_t layer) {
    const auto l = std::to_string(layer);
    if (arch == "gpt2") {
        return {
            {"h." + l + ".mlp.c_fc.weight", 1}, {"h." + l + ".mlp.c_fc.bias", 0}, {"h." + l + ".mlp.c_proj.weight", 0}};
    }
    return {{"model.layers." + l + ".mlp.gate_proj.weight", 0},
            {"model.layers." + l + ".mlp.up_proj.weight", 0},
            {"model.layers." + l + ".mlp.down_proj.weight", 1}};
}

}  // namespace

class TestLora : public QObject {
    Q_OBJECT
    test::TempDir m_tmp;
    std::map<std::string, fs::path> m_models;
    std::map<std::string, std::vector<ScoringItem>> m_train, m_validation;

    FinetuneSettings settings() const {
        FinetuneSettings s;
        s.lr = 1e-2;
        s.batchSize = 16;
        s.maxSteps = 8;
        s.warmupFraction = 0.1;
        s.evalEvery = 4;
        s.lora.rank = 4;
        return s;
    }

    std::vector<int64_t> probe(const std::string& arch) const { return m_validation.at(arch)[0].context; }

private slots:
    void initTestCase() {
        for (const std::string arch : {"llama", "gpt2"}) {
            m_models[arch] = test::makeTinyModel(m_tmp / arch, arch, 5, 0.1);
            auto tok = Tokenizer::fromDirectory(m_models[arch]);
            m_train[arch] = buildScoringItems(test::letterTask(400, 1), tok, ScoringMode::Letter, {});
            m_validation[arch] = buildScoringItems(test::letterTask(64, 2), tok, ScoringMode::Letter, {});
        }
    }

    void mergedEqualsUnmerged_data() {
        QTest::addColumn<QString>("arch");
        QTest::addColumn<bool>("masked");
        QTest::addColumn<bool>("lastOnly");
        QTest::newRow("llama") << "llama" << false << false;
        QTest::newRow("gpt2 (Conv1D)") << "gpt2" << false << false;
        QTest::newRow("llama, masked") << "llama" << true << false;
        QTest::newRow("gpt2, masked") << "gpt2" << true << false;
        QTest::newRow("llama, masked at the last position") << "llama" << true << true;
        QTest::newRow("gpt2, masked at the last position") << "gpt2" << true << true;
    }
    // Merged equals unmerged. A mask at the last position only is not baked (the pruned neurons'
    // weights stay, live at the other positions): the merged model equals the unmerged one with
    // the mask still applied through the hook.
    void mergedEqualsUnmerged() {
        QFETCH(QString, arch);
        QFETCH(bool, masked);
        QFETCH(bool, lastOnly);
        auto model = loadModel(m_models[arch.toStdString()], {"cpu"});
        auto base = logitsOf(*model, probe(arch.toStdString()));
        auto mask = randomMask(*model, 30, 3);
        if (lastOnly) mask.positions = HookPositions::Last;
        const NeuronMask* m = masked ? &mask : nullptr;
        LoraSettings ls;
        ls.rank = 4;
        ls.alpha = 8;
        auto lora = attachLora(*model, ls, 11);
        QCOMPARE(lora.modules.size(), size_t(arch == "gpt2" ? 2 * 4 : 2 * 7));
        {
            torch::NoGradGuard noGrad;  // B is zero after attaching: set both factors non-zero
            torch::manual_seed(7);
            for (auto& t : lora.parameters()) t.copy_(torch::randn(t.sizes()) * 0.2);
        }
        auto unmerged = logitsOf(*model, probe(arch.toStdString()), m);
        QVERIFY(test::maxAbsDiff(unmerged, base, "unmerged vs base (must differ)") > 1e-2);
        mergeLora(lora, *model, m);
        QVERIFY(lora.modules.empty());
        // No hook: the mask is baked in; at the last position only, it is not and the hook applies it.
        auto merged = logitsOf(*model, probe(arch.toStdString()), lastOnly ? m : nullptr);
        QVERIFY(test::maxAbsDiff(merged, unmerged, "merged vs unmerged") < 1e-5);
        if (lastOnly) {
            auto params = model->named_parameters();
            for (const auto& [name, dim] : neuronSlices(arch.toStdString(), 0)) {
                if (name.find(".bias") != std::string::npos) continue;  // (biases start at zero)
                QVERIFY2(params[name].index_select(dim, indexOf(mask.pruned[0])).abs().max().item<double>() > 0,
                         name.c_str());
            }
        }
        for (const auto& item : model->named_modules()) {
            auto dense = std::dynamic_pointer_cast<DenseImpl>(item.value());
            auto conv = std::dynamic_pointer_cast<Conv1DImpl>(item.value());
            QVERIFY(!(dense && dense->lora) && !(conv && conv->lora));
        }
    }

    void prunedNeuronsStayZero_data() {
        QTest::addColumn<QString>("arch");
        QTest::newRow("llama") << "llama";
        QTest::newRow("gpt2") << "gpt2";
    }
    void prunedNeuronsStayZero() {
        QFETCH(QString, arch);
        const auto a = arch.toStdString();
        auto model = loadModel(m_models[a], {"cpu"});
        auto mask = randomMask(*model, 30, 4);
        auto result = finetune(*model, m_train[a], m_validation[a], &mask, settings());
        auto params = model->named_parameters();
        for (int64_t l = 0; l < mask.nLayer; ++l) {
            auto idx = indexOf(mask.pruned[static_cast<size_t>(l)]);
            for (const auto& [name, dim] : neuronSlices(a, l)) {
                QCOMPARE(params[name].index_select(dim, idx).abs().max().item<double>(), 0.0);
            }
        }
        auto ids = probe(a);
        QVERIFY(test::maxAbsDiff(logitsOf(*model, ids, &mask), logitsOf(*model, ids), "masked vs plain after merge") <
                1e-6);
        // The adapter kept for saving: B's rows (gate/up/c_fc) and A's columns (down/c_proj) of
        // pruned neurons are zero, the rest trained.
        int checked = 0;
        for (const auto& [key, t] : result.adapter.tensors) {
            const auto layerPos = key.find(a == "gpt2" ? ".h." : ".layers.") + (a == "gpt2" ? 3 : 8);
            const auto layer = std::stoll(key.substr(layerPos));
            auto idx = indexOf(mask.pruned[static_cast<size_t>(layer)]);
            const bool output = key.find("gate_proj.lora_B") != std::string::npos ||
                                key.find("up_proj.lora_B") != std::string::npos ||
                                key.find("c_fc.lora_B") != std::string::npos;
            const bool input =
                key.find("down_proj.lora_A") != std::string::npos || key.find("mlp.c_proj.lora_A") != std::string::npos;
            if (output) QCOMPARE(t.index_select(0, idx).abs().max().item<double>(), 0.0);
            if (input) QCOMPARE(t.index_select(1, idx).abs().max().item<double>(), 0.0);
            if (output || input) ++checked;
            if (key.find("lora_B") != std::string::npos) QVERIFY2(t.abs().max().item<double>() > 0, key.c_str());
        }
        QCOMPARE(checked, 2 * (a == "gpt2" ? 2 : 3));
    }

    void onlyAdaptersTrain() {
        // Adapters on the attention projections only: every other weight is bit-identical after
        // training and merging, the attention weights changed, and the loss falls.
        auto model = loadModel(m_models["llama"], {"cpu"});
        auto before = loadModel(m_models["llama"], {"cpu"});
        auto s = settings();
        s.maxSteps = 40;
        s.evalEvery = 0;
        s.lora.targets = {"attention"};
        auto result = finetune(*model, m_train["llama"], {}, nullptr, s);
        auto b = before->named_parameters();
        int changed = 0;
        for (const auto& p : model->named_parameters()) {
            const bool targeted = p.key().find("self_attn") != std::string::npos;
            const bool same = torch::equal(p.value(), b[p.key()]);
            QVERIFY2(same != targeted, p.key().c_str());
            changed += same ? 0 : 1;
            QVERIFY(!p.value().requires_grad());
        }
        QCOMPARE(changed, 2 * 4);
        QCOMPARE(result.adapter.targetModules, (std::vector<std::string>{"k_proj", "o_proj", "q_proj", "v_proj"}));
        auto mean = [&](size_t from, size_t to) {
            double sum = 0;
            for (size_t i = from; i < to; ++i) sum += result.history[i].loss;
            return sum / static_cast<double>(to - from);
        };
        double first = mean(0, 5), last = mean(35, 40);
        std::printf("  LoRA (attention, r 4) loss %.3f -> %.3f\n", first, last);
        QVERIFY(last < 0.7 * first);
    }

    void peftFilesAreWellFormed_data() {
        QTest::addColumn<QString>("arch");
        QTest::newRow("llama") << "llama";
        QTest::newRow("gpt2") << "gpt2";
    }
    void peftFilesAreWellFormed() {
        QFETCH(QString, arch);
        const auto a = arch.toStdString();
        const bool gpt2 = a == "gpt2";
        auto model = loadModel(m_models[a], {"cpu"});
        auto mask = randomMask(*model, 25, 5);
        auto s = settings();
        s.lora.alpha = 12;
        auto result = finetune(*model, m_train[a], {}, &mask, s);
        auto dir = m_tmp / ("adapter-" + a);
        saveLoraAdapter(result.adapter, dir, "tiny-" + a);
        QVERIFY(!fs::exists(dir / "adapter_config.json.tmp"));

        auto config = readJsonFile(dir / "adapter_config.json");
        QCOMPARE(config["peft_type"], nlohmann::json("LORA"));
        QCOMPARE(config["task_type"], nlohmann::json("CAUSAL_LM"));
        QVERIFY(config["r"].is_number_integer() && config["r"] == 4);
        QVERIFY(config["lora_alpha"].is_number() && config["lora_alpha"] == 12);
        QVERIFY(config["lora_dropout"].is_number() && config["lora_dropout"] == 0.0);
        QCOMPARE(config["bias"], nlohmann::json("none"));
        QCOMPARE(config["fan_in_fan_out"], nlohmann::json(gpt2));
        QCOMPARE(config["base_model_name_or_path"], nlohmann::json("tiny-" + a));
        QCOMPARE(config["inference_mode"], nlohmann::json(true));
        QCOMPARE(config["init_lora_weights"], nlohmann::json(true));
        QVERIFY(config.contains("modules_to_save") && config["modules_to_save"].is_null());
        auto targets = gpt2 ? std::vector<std::string>{"c_attn", "c_fc", "c_proj"}
                            : std::vector<std::string>{"down_proj", "gate_proj", "k_proj", "o_proj",
                                                       "q_proj",    "up_proj",   "v_proj"};
        QCOMPARE(config["target_modules"].get<std::vector<std::string>>(), targets);

        // Keys, dtypes and shapes as PEFT names them (get_peft_model_state_dict of GPT2LMHeadModel
        // / LlamaForCausalLM).
        const auto& c = model->config();
        std::map<std::string, std::pair<int64_t, int64_t>> inOut;  // module path -> (in, out)
        for (int64_t l = 0; l < c.nLayer; ++l) {
            const auto L = std::to_string(l);
            if (gpt2) {
                inOut["transformer.h." + L + ".attn.c_attn"] = {c.dModel, 3 * c.dModel};
                inOut["transformer.h." + L + ".attn.c_proj"] = {c.dModel, c.dModel};
                inOut["transformer.h." + L + ".mlp.c_fc"] = {c.dModel, c.nNeuron};
                inOut["transformer.h." + L + ".mlp.c_proj"] = {c.nNeuron, c.dModel};
            } else {
                const auto p = "model.layers." + L;
                inOut[p + ".self_attn.q_proj"] = {c.dModel, c.nHead * c.headDim};
                inOut[p + ".self_attn.k_proj"] = {c.dModel, c.nKvHead * c.headDim};
                inOut[p + ".self_attn.v_proj"] = {c.dModel, c.nKvHead * c.headDim};
                inOut[p + ".self_attn.o_proj"] = {c.nHead * c.headDim, c.dModel};
                inOut[p + ".mlp.gate_proj"] = {c.dModel, c.nNeuron};
                inOut[p + ".mlp.up_proj"] = {c.dModel, c.nNeuron};
                inOut[p + ".mlp.down_proj"] = {c.nNeuron, c.dModel};
            }
        }
        SafetensorsFile file(dir / "adapter_model.safetensors");
        QCOMPARE(file.tensors().size(), 2 * inOut.size());
        for (const auto& [path, io] : inOut) {
            const auto* A = file.find("base_model.model." + path + ".lora_A.weight");
            const auto* B = file.find("base_model.model." + path + ".lora_B.weight");
            QVERIFY2(A != nullptr && B != nullptr, path.c_str());
            QCOMPARE(A->dtype, StDtype::F32);
            QCOMPARE(B->dtype, StDtype::F32);
            QCOMPARE(A->shape, (std::vector<int64_t>{4, io.first}));
            QCOMPARE(B->shape, (std::vector<int64_t>{io.second, 4}));
        }

        // Applied by hand to the base model with the mask baked in, as PEFT would: W += (alpha / r)
        // B A, transposed when fan_in_fan_out.
        auto base = loadModel(m_models[a], {"cpu"});
        mask.bakeInto(*base);
        auto ids = probe(a);
        QVERIFY(test::maxAbsDiff(logitsOf(*base, ids), logitsOf(*model, ids), "masked base vs merged (must differ)") >
                1e-3);
        {
            torch::NoGradGuard noGrad;
            auto params = base->named_parameters();
            const double scale = config["lora_alpha"].get<double>() / config["r"].get<double>();
            for (const auto& [path, io] : inOut) {
                auto A = file.tensor("base_model.model." + path + ".lora_A.weight");
                auto B = file.tensor("base_model.model." + path + ".lora_B.weight");
                auto delta = torch::matmul(B, A) * scale;  // (out, in)
                auto name = (gpt2 ? path.substr(std::string("transformer.").size()) : path) + ".weight";
                params[name].add_(config["fan_in_fan_out"].get<bool>() ? delta.t() : delta);
            }
        }
        QVERIFY(test::maxAbsDiff(logitsOf(*base, ids), logitsOf(*model, ids), "base + PEFT adapter vs merged") < 1e-5);
    }

    void resumedLoraEqualsUninterrupted() {
        auto s = settings();
        s.maxSteps = 12;
        s.lora.dropout = 0;
        auto whole = loadModel(m_models["gpt2"], {"cpu"});
        auto wholeResult = finetune(*whole, m_train["gpt2"], m_validation["gpt2"], nullptr, s);

        auto part = loadModel(m_models["gpt2"], {"cpu"});
        s.checkpointEvery = 3;
        s.checkpointDir = m_tmp / "lora-ckpt";
        CancelFlag cancel{false};
        auto stopAt = [&](const TrainPoint& p) {
            if (p.step == 7) cancel = true;
        };
        QVERIFY_THROWS_EXCEPTION(CancelledError,
                                 finetune(*part, m_train["gpt2"], m_validation["gpt2"], nullptr, s, stopAt, &cancel));
        // The cancelled run's adapters were removed from the model.
        QVERIFY(!part->named_modules()["h.0.attn.c_attn"]->as<Conv1DImpl>()->lora);
        // Only the adapters were checkpointed.
        SafetensorsFile ckpt(s.checkpointDir / "model.safetensors");
        QCOMPARE(ckpt.tensors().size(), size_t(2 * 2 * 4));
        auto resumedModel = loadModel(m_models["gpt2"], {"cpu"});
        s.resume = true;
        auto resumed = finetune(*resumedModel, m_train["gpt2"], m_validation["gpt2"], nullptr, s);
        QCOMPARE(resumed.steps, wholeResult.steps);
        QCOMPARE(resumed.history.back().loss, wholeResult.history.back().loss);
        auto pa = resumedModel->parameters(), pb = whole->parameters();
        for (size_t i = 0; i < pa.size(); ++i) QVERIFY(torch::equal(pa[i], pb[i]));
    }

    void settingsRoundTrip() {
        FinetuneSettings s;
        s.lora.rank = 8;
        s.lora.alpha = 32;
        s.lora.dropout = 0.05;
        s.lora.targets = {"q_proj", "v_proj"};
        auto back = FinetuneSettings::fromJson(s.toJson(), "settings.json");
        QCOMPARE(back.lora.rank, int64_t(8));
        QCOMPARE(back.lora.alpha, 32.0);
        QCOMPARE(back.lora.dropout, 0.05);
        QCOMPARE(back.lora.targets, (std::vector<std::string>{"q_proj", "v_proj"}));
        auto text =
            FinetuneSettings::fromJson(nlohmann::json{{"lora_rank", 2}, {"lora_targets", "attention, ffn"}}, "x");
        QCOMPARE(text.lora.targets, (std::vector<std::string>{"attention", "ffn"}));
        QCOMPARE(FinetuneSettings::fromJson(nlohmann::json::object(), "x").lora.rank, int64_t(0));
        // LoRA off writes no lora_* keys: settings saved before LoRA existed (experiment cache
        // keys, checkpoints) compare equal to today's.
        const auto off = FinetuneSettings().toJson();
        for (const char* key : {"lora_rank", "lora_alpha", "lora_dropout", "lora_targets"}) QVERIFY(!off.contains(key));
        QCOMPARE(resolveLoraTargets({"all"}, "gpt2"), (std::vector<std::string>{"c_attn", "c_fc", "c_proj"}));
        QCOMPARE(resolveLoraTargets({"attention"}, "gpt2"), (std::vector<std::string>{"attn.c_proj", "c_attn"}));
        QCOMPARE(resolveLoraTargets({"ffn"}, "llama"), (std::vector<std::string>{"down_proj", "gate_proj", "up_proj"}));
    }

    void badSettingsNameTheField_data() {
        QTest::addColumn<QString>("json");
        QTest::addColumn<QString>("field");
        QTest::newRow("rank") << R"({"lora_rank": -1})"
                              << "field 'lora_rank'";
        QTest::newRow("rank type") << R"({"lora_rank": 2.5})"
                                   << "field 'lora_rank'";
        QTest::newRow("alpha") << R"({"lora_rank": 4, "lora_alpha": 0})"
                               << "field 'lora_alpha'";
        QTest::newRow("dropout") << R"({"lora_rank": 4, "lora_dropout": 1})"
                                 << "field 'lora_dropout'";
        QTest::newRow("target") << R"({"lora_rank": 4, "lora_targets": "q_proj,qkv"})"
                                << "field 'lora_targets'";
        QTest::newRow("targets type") << R"({"lora_rank": 4, "lora_targets": []})"
                                      << "field 'lora_targets'";
        QTest::newRow("trainable") << R"({"lora_rank": 4, "trainable": "ffn"})"
                                   << "field 'trainable'";
        QTest::newRow("unknown") << R"({"lora_r": 4})"
                                 << "field 'lora_r'";
    }
    void badSettingsNameTheField() {
        QFETCH(QString, json);
        QFETCH(QString, field);
        try {
            FinetuneSettings::fromJson(nlohmann::json::parse(json.toStdString()), "settings.json");
            QFAIL("no error");
        } catch (const Error& e) {
            QCOMPARE(QString::fromStdString(e.place()), field);
        }
    }

    void targetMissingFromTheModelIsAnError() {
        auto model = loadModel(m_models["gpt2"], {"cpu"});
        LoraSettings ls;
        ls.rank = 2;
        ls.targets = {"q_proj"};
        try {
            attachLora(*model, ls, 0);
            QFAIL("no error");
        } catch (const Error& e) {
            std::printf("  %s\n", e.what());
            QCOMPARE(e.place(), std::string("field 'lora_targets'"));
        }
        // Nothing stays attached after the error.
        QVERIFY(!model->named_modules()["h.0.attn.c_attn"]->as<Conv1DImpl>()->lora);
    }
};

QTEST_GUILESS_MAIN(TestLora)
#include "test_lora.moc"
