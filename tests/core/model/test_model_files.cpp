// Model folders: real configs parse into the right architecture with the published parameter
// counts; safetensors round-trips every dtype; every kind of bad input is an Error naming the
// file and the tensor or field (and exit code 2 in the CLI), never a crash.
#include <QtTest>

#include <fstream>
#include <limits>

#include <torch/torch.h>
#include <nlohmann/json.hpp>

#include "core/model/config.h"
#include "core/model/model_io.h"
#include "core/model/safetensors.h"
#include "core/util/error.h"
#include "core/util/files.h"
#include "core/util/memory.h"
#include "core/util/sha256.h"
#include "tests/support/test_support.h"

using namespace prunescope;
namespace fs = std::filesystem;

namespace {

// Writes a safetensors file from a raw header text and `dataBytes` zero bytes of data (a sparse
// file: large sizes cost no disk).
void writeRaw(const fs::path& path, const std::string& header, size_t dataBytes, int64_t headerLen = -1) {
    {
        std::ofstream out(path, std::ios::binary);
        uint64_t n = headerLen < 0 ? header.size() : static_cast<uint64_t>(headerLen);
        for (int i = 0; i < 8; ++i) out.put(static_cast<char>((n >> (8 * i)) & 0xff));
        out << header;
    }
    fs::resize_file(path, 8 + header.size() + dataBytes);
}

// Copies the tiny GPT-2 test model into `dir` and returns the folder.
fs::path copyModel(const fs::path& dir, const char* name = "gpt2") {
    fs::copy(test::dataDir() / "models" / name, dir, fs::copy_options::recursive);
    return dir;
}

void expectError(const std::function<void()>& body, const std::string& fileSuffix, const std::string& placePart,
                 const std::string& messagePart) {
    try {
        body();
        QFAIL("no error");
    } catch (const Error& e) {
        std::printf("  error: %s\n", e.what());
        QVERIFY2(e.file().size() >= fileSuffix.size() &&
                     e.file().compare(e.file().size() - fileSuffix.size(), fileSuffix.size(), fileSuffix) == 0,
                 e.what());
        QVERIFY2(e.place().find(placePart) != std::string::npos, e.what());
        QVERIFY2(e.message().find(messagePart) != std::string::npos, e.what());
    }
}

}  // namespace

class TestModelFiles : public QObject {
    Q_OBJECT
private slots:
    void realConfigs_data() {
        QTest::addColumn<QString>("folder");
        QTest::addColumn<QString>("modelType");
        QTest::addColumn<qlonglong>("parameters");
        QTest::newRow("gpt2") << "gpt2"
                              << "gpt2" << 124439808LL;
        QTest::newRow("SmolLM2-135M") << "SmolLM2-135M"
                                      << "llama" << 134515008LL;
        QTest::newRow("Qwen2.5-0.5B") << "Qwen2.5-0.5B"
                                      << "qwen2" << 494032768LL;
        QTest::newRow("TinyLlama-1.1B") << "TinyLlama-1.1B-Chat-v1.0"
                                        << "llama" << 1100048384LL;
        QTest::newRow("Llama-3.2-1B") << "Llama-3.2-1B"
                                      << "llama" << 1235814400LL;
    }
    void realConfigs() {
        QFETCH(QString, folder);
        QFETCH(QString, modelType);
        QFETCH(qlonglong, parameters);
        auto config = readModelConfig(test::sharedDataDir() / "configs" / folder.toStdString() / "config.json");
        QCOMPARE(QString::fromStdString(config.modelType), modelType);
        std::printf("  %s: %lld parameters\n", folder.toUtf8().constData(), (long long)config.parameterCount());
        QCOMPARE(static_cast<qlonglong>(config.parameterCount()), parameters);
    }

    void realConfigDetails() {
        auto llama3 = readModelConfig(test::sharedDataDir() / "configs/Llama-3.2-1B/config.json");
        QVERIFY(llama3.ropeScaling.has_value());
        QCOMPARE(QString::fromStdString(llama3.ropeScaling->type), QString("llama3"));
        QCOMPARE(llama3.nKvHead, int64_t(8));
        QVERIFY(llama3.tieEmbeddings);
        auto smol = readModelConfig(test::sharedDataDir() / "configs/SmolLM2-135M/config.json");
        QCOMPARE(smol.ropeTheta, 100000.0);  // from transformers 5's rope_parameters
        auto qwen = readModelConfig(test::sharedDataDir() / "configs/Qwen2.5-0.5B/config.json");
        QVERIFY(qwen.attnBias);
        auto gpt2 = readModelConfig(test::sharedDataDir() / "configs/gpt2/config.json");
        QCOMPARE(gpt2.nNeuron, int64_t(3072));
    }

    void safetensorsRoundTrip() {
        test::TempDir dir;
        std::vector<std::pair<std::string, at::Tensor>> tensors = {{"a", torch::randn({3, 4})},
                                                                   {"b", torch::randn({5}).to(torch::kHalf)},
                                                                   {"c", torch::randn({2, 2, 2}).to(torch::kBFloat16)},
                                                                   {"d", torch::arange(6, torch::kLong)},
                                                                   {"empty", torch::zeros({0, 3})}};
        writeSafetensors(dir / "t.safetensors", tensors, {{"note", "hello"}});
        SafetensorsFile st(dir / "t.safetensors");
        QCOMPARE(st.metadata().at("note"), std::string("hello"));
        for (const auto& [name, t] : tensors) {
            auto back = st.tensor(name);
            QCOMPARE(back.scalar_type(), t.scalar_type());
            QVERIFY(torch::equal(back, t));
        }
    }

    void badSafetensors_data() {
        QTest::addColumn<QString>("header");
        QTest::addColumn<int>("dataBytes");
        QTest::addColumn<qint64>("headerLen");
        QTest::addColumn<QString>("place");
        QTest::addColumn<QString>("message");
        const qint64 kOwn = -1;  // headerLen: the header's own length
        QTest::newRow("too short") << "" << 0 << qint64(-2) << "header"
                                   << "too short";
        QTest::newRow("header beyond file")
            << R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})" << 4 << qint64(100000) << "header"
            << "beyond the file size";
        QTest::newRow("header length 10^12")
            << R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})" << 4 << qint64(1000000000000) << "header"
            << "header length 1000000000000 is beyond the file size";
        QTest::newRow("header length 2^63-1") << R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})" << 4
                                              << std::numeric_limits<qint64>::max() << "header"
                                              << "header length 9223372036854775807 is beyond the file size";
        QTest::newRow("header over 100 MiB in a larger file")
            << R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})" << (200 << 20) << qint64(150 << 20)
            << "header"
            << "header length 157286400 is over the limit of 104857600 bytes";
        QTest::newRow("malformed json") << R"({"a":{"dtype":"F32",)" << 0 << kOwn << "line 1"
                                        << "malformed JSON";
        QTest::newRow("offsets out of range")
            << R"({"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})" << 8 << kOwn << "tensor 'w'"
            << "run past the end";
        QTest::newRow("overlap")
            << R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})"
            << 12 << kOwn << "tensor 'b'"
            << "overlaps tensor 'a'";
        QTest::newRow("unknown dtype") << R"({"w":{"dtype":"F8_E9","shape":[1],"data_offsets":[0,1]}})" << 1 << kOwn
                                       << "tensor 'w'"
                                       << "unknown dtype 'F8_E9'";
        QTest::newRow("size mismatch") << R"({"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})" << 8 << kOwn
                                       << "tensor 'w'"
                                       << "needs 12";
        QTest::newRow("negative shape") << R"({"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,0]}})" << 0 << kOwn
                                        << "tensor 'w'"
                                        << "negative";
        QTest::newRow("missing offsets") << R"({"w":{"dtype":"F32","shape":[1]}})" << 4 << kOwn << "tensor 'w'"
                                         << "data_offsets";
        QTest::newRow("shape product overflows to 0")
            << R"({"w":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,0]}})" << 0 << kOwn
            << "tensor 'w'"
            << "shape [4294967296, 4294967296] of F32 needs more than 2^64 bytes";
        QTest::newRow("shape times dtype size overflows to 0")
            << R"({"w":{"dtype":"F32","shape":[4611686018427387904],"data_offsets":[0,0]}})" << 0 << kOwn
            << "tensor 'w'"
            << "needs more than 2^64 bytes";
        QTest::newRow("10^12 values") << R"({"w":{"dtype":"F32","shape":[1000000,1000000],"data_offsets":[0,8]}})" << 8
                                      << kOwn << "tensor 'w'"
                                      << "needs 4000000000000";
        QTest::newRow("a size of 2^64-1")
            << R"({"w":{"dtype":"U8","shape":[18446744073709551615],"data_offsets":[0,1]}})" << 1 << kOwn
            << "tensor 'w'"
            << "negative";
        QTest::newRow("offsets end before begin")
            << R"({"w":{"dtype":"U8","shape":[4],"data_offsets":[8,4]}})" << 8 << kOwn << "tensor 'w'"
            << "end before they begin";
        QTest::newRow("offset 2^64-1") << R"({"w":{"dtype":"U8","shape":[4],"data_offsets":[0,18446744073709551615]}})"
                                       << 8 << kOwn << "tensor 'w'"
                                       << "run past the end";
        QTest::newRow("offsets both past the end")
            << R"({"w":{"dtype":"U8","shape":[4],"data_offsets":[100,104]}})" << 8 << kOwn << "tensor 'w'"
            << "run past the end";
        QTest::newRow("one range twice")
            << R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})"
            << 8 << kOwn << "tensor '"
            << "overlaps tensor '";
    }
    void badSafetensors() {
        QFETCH(QString, header);
        QFETCH(int, dataBytes);
        QFETCH(qint64, headerLen);
        QFETCH(QString, place);
        QFETCH(QString, message);
        test::TempDir dir;
        auto path = dir / "bad.safetensors";
        if (headerLen == -2) {
            std::ofstream(path, std::ios::binary) << "abc";
        } else {
            writeRaw(path, header.toStdString(), static_cast<size_t>(dataBytes), headerLen);
        }
        expectError([&] { SafetensorsFile st(path); }, "bad.safetensors", place.toStdString(), message.toStdString());
    }

    void truncatedModelFile() {
        test::TempDir tmp;
        auto dir = copyModel(tmp / "m");
        auto file = dir / "model.safetensors";
        fs::resize_file(file, fs::file_size(file) - 100);
        expectError([&] { loadModel(dir, {"cpu"}); }, "model.safetensors", "tensor '", "run past the end");
    }

    void tensorMissing() {
        test::TempDir tmp;
        auto dir = copyModel(tmp / "m");
        SafetensorsFile st(dir / "model.safetensors");
        std::vector<std::pair<std::string, at::Tensor>> kept;
        for (const auto& t : st.tensors()) {
            if (t.name != "h.1.mlp.c_fc.weight") kept.emplace_back(t.name, st.tensor(t.name).clone());
        }
        writeSafetensors(dir / "model.safetensors", kept);
        expectError([&] { loadModel(dir, {"cpu"}); }, "model.safetensors", "tensor 'h.1.mlp.c_fc.weight'", "missing");
    }

    void tensorShapedUnlikeConfig() {
        test::TempDir tmp;
        auto dir = copyModel(tmp / "m");
        auto config = readJsonFile(dir / "config.json");
        config["n_inner"] = 40;
        writeJsonAtomic(dir / "config.json", config);
        expectError([&] { loadModel(dir, {"cpu"}); }, "model.safetensors", "tensor 'h.", "config.json implies");
    }

    // A config.json describing a model far larger than its weights (a hidden size of 2^20: 200 GB
    // of embeddings alone) is refused, naming a tensor, before anything of that size is allocated.
    void hugeConfigIsRefusedBeforeAllocating() {
        test::TempDir tmp;
        auto dir = copyModel(tmp / "m");
        auto config = readJsonFile(dir / "config.json");
        config["n_embd"] = 1 << 20;
        writeJsonAtomic(dir / "config.json", config);
        const int64_t before = peakResidentBytes();
        expectError([&] { loadModel(dir, {"cpu"}); }, "model.safetensors", "tensor '", "config.json implies");
        const int64_t grew = peakResidentBytes() - before;
        std::printf("  peak memory grew by %s\n", formatBytes(grew).c_str());
        QVERIFY(grew < (int64_t(256) << 20));
    }

    void unknownModelType() {
        test::TempDir tmp;
        auto dir = copyModel(tmp / "m");
        auto config = readJsonFile(dir / "config.json");
        config["model_type"] = "falcon";
        writeJsonAtomic(dir / "config.json", config);
        expectError([&] { loadModel(dir, {"cpu"}); }, "config.json", "field 'model_type'",
                    "unknown model_type 'falcon'");
    }

    void malformedConfig() {
        test::TempDir tmp;
        auto dir = copyModel(tmp / "m");
        writeFileAtomic(dir / "config.json", "{\"model_type\": \"gpt2\",\n \"n_layer\": }\n");
        expectError([&] { loadModel(dir, {"cpu"}); }, "config.json", "line 2", "malformed JSON");
    }

    void wrongFieldType() {
        test::TempDir tmp;
        auto dir = copyModel(tmp / "m", "llama");
        auto config = readJsonFile(dir / "config.json");
        config["num_hidden_layers"] = "two";
        writeJsonAtomic(dir / "config.json", config);
        expectError([&] { loadModel(dir, {"cpu"}); }, "config.json", "field 'num_hidden_layers'",
                    "expected an integer");
    }

    // Integers out of int64's range are refused by name, not converted (a float beyond int64 made
    // the conversion undefined; found by fuzz_config_json, tests/fuzz/regressions/).
    void configIntegerOutOfRange_data() {
        QTest::addColumn<QString>("value");
        QTest::addColumn<QString>("message");
        QTest::newRow("2.18e20 as written") << "218446744073709551615"
                                            << "expected an integer";
        QTest::newRow("1e30") << "1e30"
                              << "expected an integer";
        QTest::newRow("-1e19") << "-1e19"
                               << "expected an integer";
        QTest::newRow("2^63 as a float") << "9223372036854775808.0"
                                         << "expected an integer";
        QTest::newRow("2^64-1") << "18446744073709551615"
                                << "does not fit in int64";
    }
    void configIntegerOutOfRange() {
        QFETCH(QString, value);
        QFETCH(QString, message);
        const std::string text = R"({"model_type": "gpt2", "n_embd": 32, "n_head": 4, "n_positions": 64,
                                     "vocab_size": 97, "n_layer": )" +
                                 value.toStdString() + "}";
        expectError([&] { parseModelConfig(parseJson(text, "config.json"), "config.json"); }, "config.json",
                    "field 'n_layer'", message.toStdString());
    }

    void shardedModelLoads() {
        test::TempDir tmp;
        auto src = test::dataDir() / "models" / "llama";
        fs::create_directories(tmp / "s");
        fs::copy_file(src / "config.json", tmp / "s" / "config.json");
        SafetensorsFile st(src / "model.safetensors");
        std::vector<std::pair<std::string, at::Tensor>> first, second;
        nlohmann::json index = {{"metadata", nlohmann::json::object()}, {"weight_map", nlohmann::json::object()}};
        for (const auto& t : st.tensors()) {
            bool one = t.name.find("layers.1.") == std::string::npos;
            (one ? first : second).emplace_back(t.name, st.tensor(t.name).clone());
            index["weight_map"][t.name] = one ? "model-00001-of-00002.safetensors" : "model-00002-of-00002.safetensors";
        }
        writeSafetensors(tmp / "s" / "model-00001-of-00002.safetensors", first);
        writeSafetensors(tmp / "s" / "model-00002-of-00002.safetensors", second);
        writeJsonAtomic(tmp / "s" / "model.safetensors.index.json", index);
        auto a = loadModel(src, {"cpu"});
        auto b = loadModel(tmp / "s", {"cpu"});
        torch::NoGradGuard noGrad;
        auto input = torch::randint(0, 97, {1, 6}, torch::kLong);
        QVERIFY(torch::equal(a->forward(input), b->forward(input)));
    }

    void saveLoadRoundTripAndInputUntouched() {
        test::TempDir tmp;
        auto src = test::dataDir() / "models" / "qwen2";
        auto before = sha256File(src / "model.safetensors");
        auto model = loadModel(src, {"cpu"});
        {
            torch::NoGradGuard noGrad;
            for (auto& p : model->parameters()) p.add_(0.01);  // writes go to private pages only
        }
        saveModel(*model, tmp / "out", {"float32", src});
        QCOMPARE(sha256File(src / "model.safetensors"), before);
        auto back = loadModel(tmp / "out", {"cpu"});
        torch::NoGradGuard noGrad;
        auto input = torch::randint(0, 97, {2, 5}, torch::kLong);
        QVERIFY(torch::equal(model->forward(input), back->forward(input)));
        expectError([&] { saveModel(*model, src, {"float32", src}); }, "qwen2", "", "refusing to overwrite");
    }

    void cliExitCodeTwoOnBadModel() {
        test::TempDir tmp;
        auto dir = copyModel(tmp / "m");
        fs::resize_file(dir / "model.safetensors", 50);
        auto r = test::runCli({"info", "--model", dir.string(), "--load"});
        std::printf("  stderr: %s", r.err.c_str());
        QCOMPARE(r.exitCode, 2);
        QVERIFY(r.err.find("model.safetensors") != std::string::npos);
        auto missing = test::runCli({"info", "--model", (tmp / "nothing").string()});
        QCOMPARE(missing.exitCode, 2);
    }
};

QTEST_GUILESS_MAIN(TestModelFiles)
#include "test_model_files.moc"
