// The demo's statistics against values known in closed form or from tables: the incomplete beta
// function's special cases, Student's t quantiles, binomial tails, a paired t-test by hand, Holm.
#include <QtTest>

#include <cmath>

#include "core/util/hypothesis.h"

using namespace prunescope;

class TestHypothesis : public QObject {
    Q_OBJECT
private slots:
    void incompleteBetaClosedForms() {
        for (double x : {0.0, 0.1, 0.37, 0.5, 0.9, 1.0}) {
            QVERIFY(std::abs(incompleteBeta(1, 1, x) - x) < 1e-12);
            QVERIFY(std::abs(incompleteBeta(3.5, 1, x) - std::pow(x, 3.5)) < 1e-12);
            QVERIFY(std::abs(incompleteBeta(1, 2.5, x) - (1 - std::pow(1 - x, 2.5))) < 1e-12);
            // Symmetry: I_x(a, b) = 1 - I_{1-x}(b, a).
            QVERIFY(std::abs(incompleteBeta(4.5, 0.5, x) - (1 - incompleteBeta(0.5, 4.5, 1 - x))) < 1e-12);
        }
        QVERIFY_THROWS_EXCEPTION(std::domain_error, incompleteBeta(0, 1, 0.5));
    }

    void studentT() {
        // Tables: the 97.5 % quantiles give two-sided p = 0.05.
        QVERIFY(std::abs(studentTwoSided(2.262157, 9) - 0.05) < 1e-6);
        QVERIFY(std::abs(studentTwoSided(3.182446, 3) - 0.05) < 1e-6);
        QVERIFY(std::abs(studentTwoSided(-2.262157, 9) - 0.05) < 1e-6);
        // Closed forms: df 1 is Cauchy, P(|T| >= 1) = 1/2; df 2: 1 - t / sqrt(t^2 + 2).
        QVERIFY(std::abs(studentTwoSided(1.0, 1) - 0.5) < 1e-12);
        QVERIFY(std::abs(studentTwoSided(2.0, 2) - (1 - 2 / std::sqrt(6.0))) < 1e-12);
        QCOMPARE(studentTwoSided(0.0, 5), 1.0);
    }

    void signTest() {
        QVERIFY(std::abs(signTestTwoSided(10, 0) - 2.0 / 1024) < 1e-15);
        QVERIFY(std::abs(signTestTwoSided(1, 9) - 22.0 / 1024) < 1e-15);
        QVERIFY(std::abs(signTestTwoSided(3, 9) - 2.0 * (1 + 12 + 66 + 220) / 4096) < 1e-15);
        QCOMPARE(signTestTwoSided(5, 5), 1.0);  // capped at 1
        QCOMPARE(signTestTwoSided(0, 0), 1.0);
    }

    void pairedByHand() {
        // d = (.04, .01, .05, -.01, .07): mean .032, sd sqrt(.00408 / 4), t = 2.2404...
        const std::vector<double> a = {0.31, 0.29, 0.35, 0.28, 0.40}, b = {0.27, 0.28, 0.30, 0.29, 0.33};
        const auto r = pairedTest(a, b);
        QCOMPARE(r.n, 5);
        QVERIFY(std::abs(r.meanDiff - 0.032) < 1e-12);
        const double se = std::sqrt(0.00408 / 4) / std::sqrt(5.0);
        QVERIFY(std::abs(r.stdErr - se) < 1e-12);
        QVERIFY(std::abs(r.t - 0.032 / se) < 1e-9);
        QVERIFY(std::abs(r.tP - studentTwoSided(0.032 / se, 4)) < 1e-12);
        QVERIFY(r.tP > 0.05 && r.tP < 0.1);  // t = 2.24 on 4 df: p = 0.0886
        QCOMPARE(r.positive, 4);
        QCOMPARE(r.negative, 1);
        QVERIFY(std::abs(r.signP - 2.0 * 6 / 32) < 1e-15);
    }

    void holm() {
        const auto adjusted = holmAdjust({0.01, 0.04, 0.03});
        QVERIFY(std::abs(adjusted[0] - 0.03) < 1e-15);
        QVERIFY(std::abs(adjusted[1] - 0.06) < 1e-15);  // monotone: not 0.04
        QVERIFY(std::abs(adjusted[2] - 0.06) < 1e-15);
        QCOMPARE(holmAdjust({0.6, 0.7})[1], 1.0);
        QVERIFY(holmAdjust({}).empty());
    }
};

QTEST_GUILESS_MAIN(TestHypothesis)
#include "test_hypothesis.moc"
