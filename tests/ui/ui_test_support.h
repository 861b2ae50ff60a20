// Helpers for the GUI tests: a tiny real model (random GPT-2 weights, the real GPT-2 tokenizer)
// with real ARC questions as train / test / OOD files, and waiting for the engine without
// blocking the event loop.
#pragma once

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QSignalSpy>
#include <QTest>

#include <filesystem>
#include <fstream>
#include <string>

#include "tests/support/test_support.h"
#include "ui/worker/engine.h"

namespace prunescope::test {

struct GuiFixture {
    std::filesystem::path model;
    std::filesystem::path train;  // ARC-Easy validation, first lines
    std::filesystem::path test;   // ARC-Easy test, first lines
    std::filesystem::path ood;    // ARC-Challenge test, first lines
};

// The first `lines` lines of `from` into `to` (real benchmark records, a smaller file).
inline void copyHead(const std::filesystem::path& from, const std::filesystem::path& to, int lines) {
    std::ifstream in(from);
    std::ofstream out(to);
    std::string line;
    for (int i = 0; i < lines && std::getline(in, line); ++i) out << line << "\n";
}

inline GuiFixture makeGuiFixture(const std::filesystem::path& dir, int trainLines = 120, int evalLines = 40) {
    GuiFixture f;
    f.model = makeTinyModel(dir / "tiny-gpt2", "gpt2", 3, 0.3);
    const auto arc = sharedDataDir() / "mcq" / "arc-hf-jsonl";
    f.train = dir / "arc-easy-train.jsonl";
    f.test = dir / "arc-easy-test.jsonl";
    f.ood = dir / "arc-challenge-test.jsonl";
    copyHead(arc / "ARC-Easy-validation.jsonl", f.train, trainLines);
    copyHead(arc / "ARC-Easy-test.jsonl", f.test, evalLines);
    copyHead(arc / "ARC-Challenge-test.jsonl", f.ood, evalLines);
    return f;
}

inline QString qs(const std::filesystem::path& p) {
    return QString::fromStdString(p.string());
}

// Processes events until the engine has nothing queued or running; false on timeout.
inline bool waitIdle(ui::Engine& engine, int timeoutMs = 120000) {
    QElapsedTimer timer;
    timer.start();
    QCoreApplication::processEvents();
    while (engine.busy()) {
        if (timer.elapsed() > timeoutMs) return false;
        QTest::qWait(10);
    }
    QTest::qWait(20);  // let queued result signals arrive
    return true;
}

}  // namespace prunescope::test
