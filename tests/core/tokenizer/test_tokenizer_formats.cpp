// Tests of the tokenizer's building blocks on small hand-written tokenizer.json files: added-token
// options, normalizers and pre-tokenizers, Unicode normalization, and the errors bad files give.
#include <QtTest>

#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>

#include "core/tokenizer/tokenizer.h"
#include "core/tokenizer/unicode.h"
#include "core/util/error.h"
#include "core/util/files.h"
#include "tests/core/tokenizer/tokenizer_test_util.h"
#include "tests/support/test_support.h"

using namespace prunescope;
namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

std::string show(const std::vector<int32_t>& ids) {
    return test::showIds(ids);
}

json addedToken(int id, const std::string& content, bool special, json options = json::object()) {
    json t = {{"id", id},        {"content", content},   {"special", special},    {"lstrip", false},
              {"rstrip", false}, {"single_word", false}, {"normalized", !special}};
    t.update(options);
    return t;
}

// A word-level tokenizer without a pre-tokenizer: each stretch between added tokens is one word,
// so what the added tokens take from the text shows in the ids.
json wholeWordTokenizer() {
    json vocab = {{"<unk>", 0}, {"hello", 1}, {"hello ", 2}, {" world", 3}, {"world", 4},
                  {"a", 5},     {"a ", 6},    {" b", 7},     {"x", 8}};
    json added = json::array({addedToken(10, "[MASK]", true, {{"lstrip", true}}),
                              addedToken(11, "<sep>", true, {{"rstrip", true}}),
                              addedToken(12, "cat", false, {{"single_word", true}}), addedToken(13, "dog", false),
                              addedToken(14, "Bird", false, {{"normalized", true}}),
                              addedToken(15, "MiXeD", false, {{"normalized", false}})});
    return {{"added_tokens", added},
            {"normalizer", {{"type", "Lowercase"}}},
            {"pre_tokenizer", nullptr},
            {"model", {{"type", "WordLevel"}, {"vocab", vocab}, {"unk_token", "<unk>"}}}};
}

Tokenizer load(const json& root, test::TempDir& dir, const std::string& name = "tokenizer.json") {
    writeJsonAtomic(dir / name, root);
    return Tokenizer::fromTokenizerJson(dir / name);
}

std::vector<char32_t> parseHex(const std::string& field) {
    std::vector<char32_t> cps;
    std::istringstream s(field);
    std::string hex;
    while (s >> hex) cps.push_back(static_cast<char32_t>(std::stoul(hex, nullptr, 16)));
    return cps;
}

std::string utf8(const std::vector<char32_t>& cps) {
    std::string out;
    for (char32_t c : cps) unicode::appendUtf8(out, c);
    return out;
}

}  // namespace

class TestTokenizerFormats : public QObject {
    Q_OBJECT
private slots:
    void addedTokenOptions() {
        test::TempDir dir;
        Tokenizer tok = load(wholeWordTokenizer(), dir);
        QCOMPARE(show(tok.encode("hello [MASK]")), show({1, 10}));  // lstrip takes the space
        QCOMPARE(show(tok.encode("<sep> world")), show({11, 4}));   // rstrip takes the space
        QCOMPARE(show(tok.encode("hello <sep> world")), show({2, 11, 4}));
        QCOMPARE(show(tok.encode("a cat")), show({6, 12}));  // single word: matched
        QCOMPARE(show(tok.encode("acat")), show({0}));       // inside a word: not matched
        QCOMPARE(show(tok.encode("a cats")), show({0}));
        QCOMPARE(show(tok.encode("adog")), show({5, 13}));  // not single_word: matched anywhere
        // normalized: matched after lower-casing; not normalized: matched in the raw text only.
        QCOMPARE(show(tok.encode("BIRD")), show({14}));
        QCOMPARE(show(tok.encode("MiXeD x")), show({15, 0}));
        QCOMPARE(show(tok.encode("mixed")), show({0}));
        // Leftmost-longest: "<sep>" wins over nothing; decode of specials can skip them.
        QCOMPARE(tok.decode({1, 10}), std::string("hello [MASK]"));
        QCOMPARE(tok.decode({1, 10, 13}, true), std::string("hello dog"));
    }

    void sentencePieceStyleMetaspace() {
        // A Metaspace pre-tokenizer (Llama-style files of newer tokenizers) on a tiny BPE.
        json vocab = {{"<unk>", 0},
                      {"\xE2\x96\x81", 1},
                      {"a", 2},
                      {"b", 3},
                      {"\xE2\x96\x81"
                       "a",
                       4},
                      {"ab", 5},
                      {"\xE2\x96\x81"
                       "ab",
                       6},
                      {"<0x21>", 7}};
        json root = {
            {"pre_tokenizer",
             {{"type", "Metaspace"}, {"replacement", "\xE2\x96\x81"}, {"prepend_scheme", "first"}, {"split", true}}},
            {"decoder",
             {{"type", "Sequence"},
              {"decoders",
               json::array({{{"type", "Metaspace"}, {"replacement", "\xE2\x96\x81"}, {"prepend_scheme", "first"}},
                            {{"type", "ByteFallback"}},
                            {{"type", "Fuse"}}})}}},
            {"model",
             {{"type", "BPE"},
              {"vocab", vocab},
              {"unk_token", "<unk>"},
              {"fuse_unk", true},
              {"byte_fallback", true},
              {"merges", json::array({"a b", "\xE2\x96\x81 a", "\xE2\x96\x81 ab"})}}}};
        test::TempDir dir;
        Tokenizer tok = load(root, dir);
        QCOMPARE(tok.kind(), std::string("SentencePiece BPE"));
        QCOMPARE(show(tok.encode("ab ab a")), show({6, 6, 4}));
        QCOMPARE(show(tok.encode("a!")), show({4, 7}));                 // byte fallback for "!"
        QCOMPARE(show(tok.encode("a\xC3\xA9\xC3\xA9")), show({4, 0}));  // no <0xC3>: one fused unk
        QCOMPARE(tok.decode({6, 6, 4, 7}), std::string("ab ab a!"));
    }

    void nfcMatchesPython() {
        std::ifstream in(test::dataDir() / "tokenizer" / "nfc-vectors.txt");
        QVERIFY(in.good());
        std::string line;
        int count = 0, failures = 0;
        while (std::getline(in, line)) {
            if (line.empty() || line[0] == '#') continue;
            auto a = line.find(';'), b = line.find(';', a + 1);
            std::string input = utf8(parseHex(line.substr(0, a)));
            std::string nfc = utf8(parseHex(line.substr(a + 1, b - a - 1)));
            std::string nfd = utf8(parseHex(line.substr(b + 1)));
            ++count;
            if (unicode::nfc(input) != nfc || unicode::nfd(input) != nfd) {
                if (++failures < 10) qWarning("NFC/NFD mismatch for %s", line.c_str());
            }
        }
        qInfo("%d NFC/NFD vectors (Unicode %s)", count, unicode::unicodeVersion());
        QVERIFY(count > 1000);
        QCOMPARE(failures, 0);
        QCOMPARE(unicode::nfc("e\xCC\x81"), std::string("\xC3\xA9"));  // e + U+0301 -> é
        QCOMPARE(unicode::sanitizeUtf8("a\xE4\xB8z"), std::string("a\xEF\xBF\xBDz"));
    }

    void malformedInputsNameFileAndField_data() {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("place");
        QTest::addColumn<QString>("message");
        auto bpe = [](json merges, json extra = json::object()) {
            json root = {{"model", {{"type", "BPE"}, {"vocab", {{"a", 0}, {"b", 1}, {"ab", 2}}}, {"merges", merges}}}};
            root.update(extra);
            return QString::fromStdString(root.dump());
        };
        QTest::newRow("malformed JSON") << "{\"model\": {\"type\": \"BPE\",\n \"vocab\": {"
                                        << "line 2"
                                        << "malformed JSON";
        QTest::newRow("no model") << "{\"normalizer\": null}"
                                  << "field 'model'"
                                  << "missing";
        QTest::newRow("unknown model type") << "{\"model\": {\"type\": \"Unigram\", \"vocab\": []}}"
                                            << "field 'model.type'"
                                            << "unsupported model type 'Unigram'";
        QTest::newRow("merge with unknown token") << bpe({"a b", "a c"}) << "field 'model.merges[1]'"
                                                  << "token 'c' is not in the vocabulary";
        QTest::newRow("merged token unknown")
            << bpe(json::array({json::array({"a", "b"}), json::array({"b", "a"})})) << "field 'model.merges[1]'"
            << "the merged token 'ba' is not in the vocabulary";
        QTest::newRow("merge without space") << bpe({"ab"}) << "field 'model.merges[0]'"
                                             << "expected two tokens";
        QTest::newRow("merges not a list") << bpe("a b") << "field 'model.merges'"
                                           << "expected an array";
        QTest::newRow("bad vocab id") << "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": -1}, \"merges\": []}}"
                                      << "field 'model.vocab['a']'"
                                      << "expected a token id";
        QTest::newRow("unsupported normalizer")
            << bpe(json::array(),
                   {{"normalizer",
                     {{"type", "Sequence"}, {"normalizers", json::array({{{"type", "NFC"}}, {{"type", "NFKC"}}})}}}})
            << "field 'normalizer.normalizers[1].type'"
            << "unsupported normalizer type 'NFKC'";
        QTest::newRow("bad regex")
            << bpe(json::array(),
                   {{"pre_tokenizer", {{"type", "Split"}, {"pattern", {{"Regex", "(a"}}}, {"behavior", "Isolated"}}}})
            << "field 'pre_tokenizer.pattern.Regex'"
            << "invalid regular expression";
        QTest::newRow("bad split behavior")
            << bpe(json::array(),
                   {{"pre_tokenizer", {{"type", "Split"}, {"pattern", {{"String", " "}}}, {"behavior", "Sideways"}}}})
            << "field 'pre_tokenizer.behavior'"
            << "unknown split behavior";
        QTest::newRow("unsupported decoder")
            << bpe(json::array(), {{"decoder", {{"type", "WordPiece"}}}}) << "field 'decoder.type'"
            << "unsupported decoder type 'WordPiece'";
        QTest::newRow("added token without id")
            << bpe(json::array(), {{"added_tokens", json::array({{{"content", "<s>"}}})}})
            << "field 'added_tokens[0].id'"
            << "missing";
        QTest::newRow("template with unknown special") << bpe(json::array(), {{"post_processor",
                                                                               {{"type", "TemplateProcessing"},
                                                                                {"single", json::array({"<s>", "$A"})},
                                                                                {"special_tokens", json::object()}}}})
                                                       << "field 'post_processor.single[0]'"
                                                       << "special token '<s>' is not in 'special_tokens'";
    }

    void malformedInputsNameFileAndField() {
        QFETCH(QString, text);
        QFETCH(QString, place);
        QFETCH(QString, message);
        test::TempDir dir;
        fs::path file = dir / "tokenizer.json";
        writeFileAtomic(file, text.toStdString());
        try {
            Tokenizer::fromTokenizerJson(file);
            QFAIL("no error");
        } catch (const Error& e) {
            QCOMPARE(e.file(), file.string());
            QVERIFY2(e.place().rfind(place.toStdString(), 0) == 0, e.what());
            QVERIFY2(e.message().find(message.toStdString()) != std::string::npos, e.what());
        }
    }

    void missingAndBadFiles() {
        test::TempDir dir;
        auto expectError = [](const std::function<void()>& f, const std::string& file, const std::string& place,
                              const std::string& message) {
            try {
                f();
                QFAIL("no error");
            } catch (const Error& e) {
                QCOMPARE(e.file(), file);
                QCOMPARE(e.place(), place);
                QVERIFY2(e.message().find(message) != std::string::npos, e.what());
            }
        };
        expectError([&] { Tokenizer::fromDirectory(dir.path()); }, dir.path().string(), "", "no tokenizer found");
        expectError([&] { Tokenizer::fromDirectory(dir / "nope"); }, (dir / "nope").string(), "", "no such folder");
        expectError([&] { Tokenizer::fromTokenizerJson(dir / "t.json"); }, (dir / "t.json").string(), "",
                    "no such file");

        writeFileAtomic(dir / "vocab.json", R"({"a": 0, "b": 1, "ab": 2, "<|endoftext|>": 3})");
        writeFileAtomic(dir / "merges.txt", "#version: 0.2\na b\nb a\n");
        expectError([&] { Tokenizer::fromDirectory(dir.path()); }, (dir / "merges.txt").string(), "line 3",
                    "the merged token 'ba' is not in the vocabulary");
        writeFileAtomic(dir / "merges.txt", "#version: 0.2\na b\nab\n");
        expectError([&] { Tokenizer::fromDirectory(dir.path()); }, (dir / "merges.txt").string(), "line 3",
                    "expected two tokens");
        writeFileAtomic(dir / "merges.txt", "#version: 0.2\na b\n");
        Tokenizer tok = Tokenizer::fromDirectory(dir.path());
        QCOMPARE(tok.eosId().value_or(-1), 3);

        // tokenizer_config.json beside it is read: a BOS token that does not exist is an error.
        writeFileAtomic(dir / "tokenizer_config.json", R"({"bos_token": {"content": "<s>"}})");
        expectError([&] { Tokenizer::fromDirectory(dir.path()); }, (dir / "tokenizer_config.json").string(),
                    "field 'bos_token'", "token '<s>' is not in the vocabulary");
        writeFileAtomic(dir / "tokenizer_config.json", R"({"bos_token": "ab", "add_bos_token": true})");
        tok = Tokenizer::fromDirectory(dir.path());
        QCOMPARE(show(tok.encode("ab", true)), show({2, 2}));
        QCOMPARE(tok.sourceFiles().size(), size_t(3));
    }
};

QTEST_GUILESS_MAIN(TestTokenizerFormats)
#include "test_tokenizer_formats.moc"
