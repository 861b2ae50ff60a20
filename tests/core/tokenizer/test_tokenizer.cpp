// Tests of the tokenizer on real tokenizer files (../shared/data/tokenizers): the expected ids in
// each folder's test-vectors.json come from independent JavaScript implementations.
#include <QtTest>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <map>
#include <random>
#include <sstream>
#include <thread>

#include "core/tokenizer/byte_level.h"
#include "core/tokenizer/token_display.h"
#include "core/tokenizer/tokenizer.h"
#include "core/tokenizer/tokenizer_impl.h"
#include "core/util/error.h"
#include "core/util/files.h"
#include "tests/core/tokenizer/tokenizer_test_util.h"
#include "tests/support/test_support.h"

using namespace prunescope;
namespace fs = std::filesystem;

namespace {

fs::path tokenizerDir(const std::string& name) {
    return test::sharedDataDir() / "tokenizers" / name;
}

// Loading Qwen3's 11 MB tokenizer.json takes a moment: each tokenizer is loaded once.
const Tokenizer& shared(const std::string& name) {
    static std::map<std::string, Tokenizer> cache;
    auto it = cache.find(name);
    if (it == cache.end()) it = cache.emplace(name, Tokenizer::fromDirectory(tokenizerDir(name))).first;
    return it->second;
}

std::string show(const std::vector<int32_t>& ids) {
    return test::showIds(ids);
}

struct Case {
    std::string text;
    std::vector<int32_t> ids;
};

std::vector<Case> vectors(const std::string& name) {
    auto root = readJsonFile(tokenizerDir(name) / "test-vectors.json");
    std::vector<Case> cases;
    for (const auto& c : root["cases"]) cases.push_back({c["text"], c["ids"].get<std::vector<int32_t>>()});
    return cases;
}

// Letters of English text without spaces or punctuation: one 20,000-character "word".
std::string longWord(size_t length) {
    static const char* kWords[] = {"the",   "boiling", "point", "of",     "water",    "at",
                                   "sea",   "level",   "is",    "planet", "rotates",  "faster",
                                   "after", "impact",  "which", "energy", "transfer", "occurs"};
    std::mt19937 rng(7);
    std::string word;
    while (word.size() < length) word += kWords[rng() % (sizeof kWords / sizeof *kWords)];
    word.resize(length);
    return word;
}

}  // namespace

class TestTokenizer : public QObject {
    Q_OBJECT
private slots:
    void testVectors_data() {
        QTest::addColumn<QString>("name");
        for (const char* name : {"gpt2-openai", "mistral-7b", "qwen3"}) QTest::newRow(name) << name;
    }

    void testVectors() {
        QFETCH(QString, name);
        const Tokenizer& tok = shared(name.toStdString());
        int passed = 0, total = 0;
        for (const auto& c : vectors(name.toStdString())) {
            ++total;
            auto ids = tok.encode(c.text);
            if (ids == c.ids) {
                ++passed;
            } else {
                qWarning("%s: \"%s\"\n  expected %s\n  got      %s", qPrintable(name), c.text.c_str(),
                         show(c.ids).c_str(), show(ids).c_str());
            }
            QCOMPARE(tok.decode(c.ids), c.text);  // round trip
        }
        qInfo("%s: %d of %d test vectors pass", qPrintable(name), passed, total);
        QCOMPARE(passed, total);
    }

    void kinds() {
        QCOMPARE(shared("gpt2-openai").kind(), std::string("byte-level BPE"));
        QCOMPARE(shared("mistral-7b").kind(), std::string("SentencePiece BPE"));
        QCOMPARE(shared("qwen3").kind(), std::string("byte-level BPE"));
        QCOMPARE(shared("gpt2-openai").vocabSize(), 50257);
        QCOMPARE(shared("mistral-7b").vocabSize(), 32000);
        QCOMPARE(shared("qwen3").vocabSize(), 151669);
        QCOMPARE(shared("gpt2-openai").idToToken(995), std::string("\xC4\xA0world"));  // "Ġworld"
        QCOMPARE(shared("mistral-7b").tokenToId("\xE2\x96\x81Hello").value_or(-1), 22557);
        QVERIFY(!shared("qwen3").tokenToId("no such token").has_value());
        QCOMPARE(shared("qwen3").idToToken(999999), std::string());
        auto files = shared("mistral-7b").sourceFiles();
        QCOMPARE(files.size(), size_t(2));
        QCOMPARE(files[0].filename().string(), std::string("tokenizer.json"));
        QCOMPARE(files[1].filename().string(), std::string("tokenizer_config.json"));
    }

    void specialIdsAndAddSpecial() {
        const Tokenizer& mistral = shared("mistral-7b");
        QCOMPARE(mistral.bosId().value_or(-1), 1);
        QCOMPARE(mistral.eosId().value_or(-1), 2);
        QVERIFY(!mistral.padId().has_value());
        QCOMPARE(mistral.encode("Hello world", true), (std::vector<int32_t>{1, 22557, 1526}));

        const Tokenizer& qwen = shared("qwen3");
        QVERIFY(!qwen.bosId().has_value());
        QCOMPARE(qwen.eosId().value_or(-1), 151645);  // <|im_end|>
        QCOMPARE(qwen.padId().value_or(-1), 151643);  // <|endoftext|>
        QCOMPARE(qwen.encode("Hello world", true), (std::vector<int32_t>{9707, 1879}));

        const Tokenizer& gpt2 = shared("gpt2-openai");
        QCOMPARE(gpt2.bosId().value_or(-1), 50256);
        QCOMPARE(gpt2.eosId().value_or(-1), 50256);
        QCOMPARE(gpt2.encode("Hello world", true), (std::vector<int32_t>{15496, 995}));
    }

    void addedTokensAreSplitOut() {
        const Tokenizer& qwen = shared("qwen3");
        std::string chat = "<|im_start|>user\nHello world<|im_end|>\n<think>\n\n</think>";
        auto ids = qwen.encode(chat);
        auto inner = qwen.encode("user\nHello world");
        std::vector<int32_t> expected = {151644};
        expected.insert(expected.end(), inner.begin(), inner.end());
        expected.push_back(151645);
        auto tail = qwen.encode("\n");
        expected.insert(expected.end(), tail.begin(), tail.end());
        expected.push_back(151667);  // <think>: an added token that is not special
        auto middle = qwen.encode("\n\n");
        expected.insert(expected.end(), middle.begin(), middle.end());
        expected.push_back(151668);
        QCOMPARE(show(ids), show(expected));
        QCOMPARE(qwen.decode(ids), chat);
        QCOMPARE(qwen.decode(ids, true), std::string("user\nHello world\n<think>\n\n</think>"));

        // SentencePiece style: the text after a special token is normalized on its own ("▁Hello").
        const Tokenizer& mistral = shared("mistral-7b");
        QCOMPARE(show(mistral.encode("<s>Hello world</s>")), show({1, 22557, 1526, 2}));
        QCOMPARE(mistral.decode({1, 22557, 1526, 2}, true), std::string("Hello world"));
        QCOMPARE(mistral.decode({1, 22557, 1526, 2}), std::string("<s> Hello world</s>"));

        const Tokenizer& gpt2 = shared("gpt2-openai");
        QCOMPARE(show(gpt2.encode("Hi<|endoftext|>Hi")), show({17250, 50256, 17250}));
        QCOMPARE(gpt2.decode({17250, 50256, 17250}, true), std::string("HiHi"));
    }

    void byteFallbackAndInvalidInput() {
        const Tokenizer& mistral = shared("mistral-7b");
        // A lone continuation byte is not UTF-8: it is read as U+FFFD.
        QCOMPARE(show(mistral.encode("a\x80z")), show(mistral.encode("a\xEF\xBF\xBDz")));
        // Half of a three-byte character decodes to U+FFFD per byte token.
        auto id = mistral.tokenToId("<0xE4>");
        QVERIFY(id.has_value());
        QCOMPARE(mistral.decode({*id}), std::string("\xEF\xBF\xBD"));
        // Ids outside the vocabulary are skipped.
        QCOMPARE(mistral.decode({22557, 99999, -5}), std::string("Hello"));
        const Tokenizer& gpt2 = shared("gpt2-openai");
        QCOMPARE(gpt2.decode(gpt2.encode("\xF0\x9F\x99\x82 emoji \xE4\xB8\xAD")),
                 std::string("\xF0\x9F\x99\x82 emoji \xE4\xB8\xAD"));
    }

    void legacyGpt2PairsGiveTheSameIds() {
        fs::path dir = tokenizerDir("gpt2-openai");
        Tokenizer direct = Tokenizer::fromLegacyGpt2(dir / "encoder.json", dir / "vocab.bpe");
        // The Hugging Face names of the same files, found by fromDirectory.
        test::TempDir tmp;
        fs::copy_file(dir / "encoder.json", tmp / "vocab.json");
        fs::copy_file(dir / "vocab.bpe", tmp / "merges.txt");
        Tokenizer renamed = Tokenizer::fromDirectory(tmp.path());
        QCOMPARE(renamed.sourceFiles().size(), size_t(2));
        // And a tokenizer.json built from them, with merges as ["a", "b"] pairs.
        nlohmann::json vocab = readJsonFile(dir / "encoder.json");
        nlohmann::json merges = nlohmann::json::array();
        std::istringstream lines(readTextFile(dir / "vocab.bpe"));
        std::string line;
        while (std::getline(lines, line)) {
            if (line.empty() || line[0] == '#') continue;
            merges.push_back({line.substr(0, line.find(' ')), line.substr(line.find(' ') + 1)});
        }
        nlohmann::json root = {{"added_tokens", {{{"id", 50256}, {"content", "<|endoftext|>"}, {"special", true}}}},
                               {"pre_tokenizer", {{"type", "ByteLevel"}, {"add_prefix_space", false}}},
                               {"decoder", {{"type", "ByteLevel"}}},
                               {"model", {{"type", "BPE"}, {"vocab", vocab}, {"merges", merges}}}};
        writeJsonAtomic(tmp / "tokenizer.json", root);
        Tokenizer hf = Tokenizer::fromTokenizerJson(tmp / "tokenizer.json");
        QCOMPARE(hf.kind(), std::string("byte-level BPE"));
        for (const auto& c : vectors("gpt2-openai")) {
            QCOMPARE(show(direct.encode(c.text)), show(c.ids));
            QCOMPARE(show(renamed.encode(c.text)), show(c.ids));
            QCOMPARE(show(hf.encode(c.text)), show(c.ids));
            QCOMPARE(hf.decode(c.ids), c.text);
        }
    }

    void wordLevelWriteAndReadBack() {
        test::TempDir tmp;
        std::vector<std::string> vocab = {"the", "cat", "sat", "on", "mat", "A", "B", "C", "D", "?"};
        writeWordLevelTokenizer(vocab, "<unk>", tmp / "tokenizer.json");
        int files = 0;
        for (const auto& e : fs::directory_iterator(tmp.path())) files += e.is_regular_file();
        QCOMPARE(files, 1);  // no temporary file left behind
        Tokenizer tok = Tokenizer::fromTokenizerJson(tmp / "tokenizer.json");
        QCOMPARE(tok.kind(), std::string("word level"));
        QCOMPARE(tok.vocabSize(), 11);
        QCOMPARE(tok.tokenToId("<unk>").value_or(-1), 10);
        for (size_t i = 0; i < vocab.size(); ++i) QCOMPARE(tok.idToToken(int32_t(i)), vocab[i]);
        auto ids = tok.encode("the cat\tsat  on the dog ?\n");
        QCOMPARE(show(ids), show({0, 1, 2, 3, 0, 10, 9}));
        QCOMPARE(tok.decode(ids), std::string("the cat sat on the <unk> ?"));
        QCOMPARE(tok.decode(ids, true), std::string("the cat sat on the ?"));
        QCOMPARE(show(tok.encode("A <unk> B")), show({5, 10, 6}));

        QVERIFY_THROWS_EXCEPTION(Error, writeWordLevelTokenizer({"a", "a"}, "<unk>", tmp / "x.json"));
        QVERIFY_THROWS_EXCEPTION(Error, writeWordLevelTokenizer({"a b"}, "<unk>", tmp / "x.json"));
        QVERIFY(!fs::exists(tmp / "x.json"));
    }

    void longWordIsNotQuadratic_data() {
        QTest::addColumn<QString>("name");
        QTest::newRow("gpt2-openai") << "gpt2-openai";
        QTest::newRow("mistral-7b") << "mistral-7b";
    }

    void longWordIsNotQuadratic() {
        QFETCH(QString, name);
        const Tokenizer& tok = shared(name.toStdString());
        const auto& bpe = dynamic_cast<const BpeModel&>(*tok.impl().model);
        std::string word = longWord(20000);
        // The piece the model sees: byte-level characters, or "▁" + the word for SentencePiece.
        std::string piece = name == "gpt2-openai" ? byte_level::encode(word) : "\xE2\x96\x81" + word;
        std::vector<int32_t> fast;
        BpeStats stats;
        bpe.tokenize(piece, fast, &stats);
        std::vector<int32_t> reference = bpe.tokenizeReference(piece);
        QCOMPARE(fast.size(), reference.size());
        QVERIFY(fast == reference);
        QCOMPARE(show(tok.encode(word)), show(fast));
        qInfo("%s: %lld symbols, %lld merges, %lld pairs queued -> %zu tokens", qPrintable(name),
              static_cast<long long>(stats.symbols), static_cast<long long>(stats.merges),
              static_cast<long long>(stats.heapPushes), fast.size());
        // Each merge queues at most two new pairs: the work is linear in the symbols (times the
        // queue's log), never quadratic.
        QVERIFY(stats.merges < stats.symbols);
        QVERIFY(stats.heapPushes <= 3 * stats.symbols);
        QCOMPARE(static_cast<size_t>(stats.symbols - stats.merges), fast.size());
    }

    // Mistral's text is one word (no pre-tokenizer); the model cuts it before each "▁" that follows
    // a letter, which must not change the result: compare with the plain merge of the whole text.
    void spaceMarkCutsAreExact() {
        const Tokenizer& tok = shared("mistral-7b");
        const auto& bpe = dynamic_cast<const BpeModel&>(*tok.impl().model);
        std::string text;
        for (const auto& c : vectors("mistral-7b")) text += c.text + "  ";
        text += longWord(3000).substr(0, 500) + " x  y   z";
        std::string piece = "\xE2\x96\x81";
        for (char c : text) piece += c == ' ' ? std::string("\xE2\x96\x81") : std::string(1, c);
        QCOMPARE(show(tok.encode(text)), show(bpe.tokenizeReference(piece)));
    }

    // encode() is const and may be called from several threads at once (the word cache is shared).
    void concurrentEncodingAgrees() {
        const Tokenizer& tok = shared("gpt2-openai");
        auto cases = vectors("gpt2-openai");
        std::vector<int> failures(4, 0);
        std::vector<std::thread> threads;
        for (int t = 0; t < 4; ++t) {
            threads.emplace_back([&, t] {
                for (int round = 0; round < 50; ++round) {
                    for (const auto& c : cases) failures[t] += tok.encode(c.text) != c.ids;
                }
            });
        }
        for (auto& th : threads) th.join();
        for (int f : failures) QCOMPARE(f, 0);
    }

    // A neuron's promoted tokens as a reader sees them (Qwen's showed "ĠKant" and "Ã±klÃ±").
    void tokensDisplayAsText() {
        const Tokenizer& gpt2 = shared("gpt2-openai");
        const std::string space = "\xE2\x90\xA3";                // ␣
        QCOMPARE(tokenDisplayText(gpt2, 995), space + "world");  // "Ġworld"
        QCOMPARE(tokenDisplayText(gpt2, *gpt2.tokenToId("\xC3\x83")),
                 std::string("<0xC3>"));  // "Ã": half of a character
        QCOMPARE(tokenDisplayText(gpt2, *gpt2.tokenToId("\xC4\x8A")), std::string("\xE2\x86\xB5"));  // "Ċ": newline
        QCOMPARE(tokenDisplayText(gpt2, -1), std::string());
        const Tokenizer& qwen = shared("qwen3");
        const auto kant = qwen.encode(" Kant");
        QCOMPARE(int(kant.size()), 1);
        QCOMPARE(tokenDisplayText(qwen, kant[0]), space + "Kant");
        const auto enye = qwen.encode("\xC3\xB1");  // "ñ", stored as "Ã±"
        QCOMPARE(int(enye.size()), 1);
        QCOMPARE(qwen.idToToken(enye[0]), std::string("\xC3\x83\xC2\xB1"));
        QCOMPARE(tokenDisplayText(qwen, enye[0]), std::string("\xC3\xB1"));
        const Tokenizer& mistral = shared("mistral-7b");
        QCOMPARE(tokenDisplayText(mistral, 22557), space + "Hello");                               // "▁Hello"
        QCOMPARE(tokenDisplayText(mistral, *mistral.tokenToId("<0x0A>")), std::string("<0x0A>"));  // byte fallback
        // Where a token is whole characters, it reads as the tokenizer's own decoding of it (checked
        // against Hugging Face elsewhere) with ␣ for each space, over GPT-2's whole vocabulary.
        int compared = 0;
        for (int32_t id = 0; id < gpt2.vocabSize(); ++id) {
            const std::string text = gpt2.decode({id});
            if (text.find_first_of("\n\t\r") != std::string::npos || text.find("\xEF\xBF\xBD") != std::string::npos)
                continue;
            std::string shown = tokenDisplayText(gpt2, id);
            if (shown.find("<0x") != std::string::npos) continue;  // not valid UTF-8 alone, or a control byte
            for (size_t at; (at = shown.find(space)) != std::string::npos;) shown.replace(at, space.size(), " ");
            QCOMPARE(shown, text);
            ++compared;
        }
        qInfo("GPT-2 tokens compared with decode: %d of %d", compared, gpt2.vocabSize());
        QVERIFY(compared > 30000);
    }
};

QTEST_GUILESS_MAIN(TestTokenizer)
#include "test_tokenizer.moc"
