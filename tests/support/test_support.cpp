#include "tests/support/test_support.h"

#include <QProcess>
#include <QtTest>

#include <torch/torch.h>

#include <cstdio>

namespace prunescope::test {

std::filesystem::path dataDir() { return PRUNESCOPE_TEST_DATA_DIR; }
std::filesystem::path sharedDataDir() { return PRUNESCOPE_SHARED_DATA_DIR; }
std::filesystem::path cliPath() {
    return std::filesystem::path(PRUNESCOPE_BINARY_DIR) / "app" / "prunescope-cli";
}

TempDir::TempDir() { QVERIFY2(m_dir.isValid(), "cannot create a temporary folder"); }

std::filesystem::path TempDir::path() const { return m_dir.path().toStdString(); }

CliResult runCli(const std::vector<std::string>& args, int timeoutMs) {
    QProcess process;
    QStringList list;
    for (const auto& a : args) list << QString::fromStdString(a);
    process.start(QString::fromStdString(cliPath().string()), list);
    CliResult result;
    if (!process.waitForFinished(timeoutMs)) {
        process.kill();
        process.waitForFinished();
        result.err = "timed out";
        return result;
    }
    result.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
    result.out = process.readAllStandardOutput().toStdString();
    result.err = process.readAllStandardError().toStdString();
    return result;
}

double maxAbsDiff(const at::Tensor& a, const at::Tensor& b, const std::string& what) {
    auto x = a.detach().to(torch::kCPU, torch::kFloat64);
    auto y = b.detach().to(torch::kCPU, torch::kFloat64);
    if (x.sizes() != y.sizes()) {
        std::printf("%s: shapes differ\n", what.c_str());
        return INFINITY;
    }
    double d = x.numel() == 0 ? 0.0 : (x - y).abs().max().item<double>();
    std::printf("%s: max |diff| = %.3g\n", what.c_str(), d);
    return d;
}

}  // namespace prunescope::test
