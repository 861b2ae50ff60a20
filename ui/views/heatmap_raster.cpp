#include "ui/views/heatmap_raster.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

namespace prunescope::ui {
namespace {

// NaN sorts last and never wins a max-abs bin.
float sortKey(float v) {
    if (std::isnan(v)) return -std::numeric_limits<float>::infinity();
    return v == 0.0f ? 0.0f : v;  // -0 == +0
}

// Unsigned integer that orders like -sortKey(v): larger scores give smaller keys.
uint32_t descendingBits(float v) {
    const float k = sortKey(v);
    uint32_t bits = 0;
    std::memcpy(&bits, &k, sizeof bits);
    const uint32_t ascending = (bits & 0x80000000u) ? ~bits : (bits | 0x80000000u);
    return ~ascending;
}

}  // namespace

void HeatmapRaster::setScores(int nLayer, int nNeuron, std::vector<float> scores) {
    const size_t n = size_t(std::max(nLayer, 0)) * size_t(std::max(nNeuron, 0));
    const bool sameShape = nLayer == m_nLayer && nNeuron == m_nNeuron;
    m_nLayer = n == 0 ? 0 : nLayer;
    m_nNeuron = n == 0 ? 0 : nNeuron;
    m_scores = std::move(scores);
    m_scores.resize(n, 0.0f);
    if (!sameShape) {
        m_selection.clear();
        m_reference.clear();
    }
    computeRange();
    sortLayers();
    permuteSelection();
    m_binsDirty = m_selectionDirty = m_colorsDirty = true;
}

bool HeatmapRaster::updateScores(const std::vector<float>& scores) {
    if (scores.size() != m_scores.size()) return false;
    std::copy(scores.begin(), scores.end(), m_scores.begin());
    computeRange();
    if (m_order == HeatmapOrder::ByScore) {
        sortLayers();
        permuteSelection();
        m_selectionDirty = true;
    }
    m_binsDirty = m_colorsDirty = true;
    return true;
}

void HeatmapRaster::setOrder(HeatmapOrder order) {
    if (order == m_order) return;
    m_order = order;
    sortLayers();
    permuteSelection();
    m_binsDirty = m_selectionDirty = m_colorsDirty = true;
}

void HeatmapRaster::setBinRule(HeatmapBinRule rule) {
    if (rule == m_binRule) return;
    m_binRule = rule;
    m_binsDirty = m_colorsDirty = true;
}

void HeatmapRaster::setScale(HeatmapScale scale) {
    if (scale == m_mapping.scale) return;
    m_mapping.scale = scale;
    m_indicesDirty = m_colorsDirty = true;
}

void HeatmapRaster::setColorRange(double quantile) {
    quantile = std::clamp(quantile, 0.5, 1.0);
    if (quantile == m_colorRange) return;
    m_colorRange = quantile;
    computeRange();
    m_indicesDirty = m_colorsDirty = true;
}

void HeatmapRaster::setThreshold(std::optional<float> threshold) {
    if (threshold == m_threshold) return;
    m_threshold = threshold;
    m_colorsDirty = true;
}

void HeatmapRaster::setSelection(std::vector<uint8_t> mask) {
    if (mask.size() != m_scores.size()) mask.clear();
    m_selection = std::move(mask);
    permuteSelection();
    m_selectionDirty = m_colorsDirty = true;
}

void HeatmapRaster::setReference(std::vector<uint8_t> mask) {
    if (mask.size() != m_scores.size()) mask.clear();
    m_reference = std::move(mask);
    permuteSelection();
    m_selectionDirty = m_colorsDirty = true;
}

void HeatmapRaster::update(int first, int end, int maxBins) {
    first = std::clamp(first, 0, m_nNeuron);
    end = std::clamp(end, first, m_nNeuron);
    const int nBin = std::min(std::max(maxBins, 1), end - first);
    if (m_binsDirty || first != m_first || end != m_end || nBin != m_nBin) {
        m_first = first;
        m_end = end;
        m_nBin = nBin;
        rebin();
        m_binsDirty = false;
        m_selectionDirty = m_indicesDirty = m_colorsDirty = true;
    }
    if (m_selectionDirty) {
        countSelection();
        m_selectionDirty = false;
        m_colorsDirty = true;
    }
    if (m_indicesDirty) {
        computeIndices();
        m_indicesDirty = false;
        m_colorsDirty = true;
    }
    if (m_colorsDirty) {
        recolor();
        m_colorsDirty = false;
    }
}

int HeatmapRaster::binBegin(int bin) const {
    if (m_nBin <= 0) return m_first;
    return m_first + int(int64_t(bin) * (m_end - m_first) / m_nBin);
}

int HeatmapRaster::binAt(int position) const {
    const int n = m_end - m_first;
    if (m_nBin <= 0 || n <= 0) return -1;
    // Largest b with floor(b * n / nBin) <= position - first.
    const int64_t x = std::clamp(position - m_first, 0, n - 1);
    return int((x * m_nBin + m_nBin - 1) / n);
}

int HeatmapRaster::neuronAt(int layer, int position) const {
    if (m_order == HeatmapOrder::ByIndex) return position;
    return m_perm[size_t(layer) * m_nNeuron + position];
}

int HeatmapRaster::positionOf(int layer, int neuron) const {
    if (m_order == HeatmapOrder::ByIndex) return neuron;
    return m_inverse[size_t(layer) * m_nNeuron + neuron];
}

bool HeatmapRaster::isSelected(int layer, int neuron) const {
    return !m_selection.empty() && m_selection[size_t(layer) * m_nNeuron + neuron] != 0;
}

bool HeatmapRaster::isReference(int layer, int neuron) const {
    return !m_reference.empty() && m_reference[size_t(layer) * m_nNeuron + neuron] != 0;
}

int HeatmapRaster::rankInLayer(int layer, int neuron) const {
    const float* row = m_scores.data() + size_t(layer) * m_nNeuron;
    const float s = sortKey(row[neuron]);
    int rank = 1;
    for (int i = 0; i < m_nNeuron; ++i) {
        const float v = sortKey(row[i]);
        rank += (v > s || (v == s && i < neuron)) ? 1 : 0;
    }
    return rank;
}

int HeatmapRaster::strongestNeuron(int layer, int bin) const {
    const float* row = displayRow(layer);
    const int lo = binBegin(bin);
    const int hi = std::max(binBegin(bin + 1), lo + 1);
    int best = lo;
    for (int p = lo + 1; p < hi; ++p) {
        if (std::fabs(row[p]) > std::fabs(row[best])) best = p;
    }
    return neuronAt(layer, best);
}

void HeatmapRaster::computeRange() {
    float lo = std::numeric_limits<float>::infinity();
    float hi = -lo;
    float maxAbs = 0.0f;
    float minPositiveAbs = std::numeric_limits<float>::infinity();
    for (const float v : m_scores) {
        if (!std::isfinite(v)) continue;
        lo = std::min(lo, v);
        hi = std::max(hi, v);
        const float a = std::fabs(v);
        maxAbs = std::max(maxAbs, a);
        if (a > 0) minPositiveAbs = std::min(minPositiveAbs, a);
    }
    m_largestAbs = maxAbs;
    m_nSaturated = 0;
    if (m_colorRange < 1.0 && maxAbs > 0) {
        std::vector<float> magnitudes;
        magnitudes.reserve(m_scores.size());
        for (const float v : m_scores)
            if (std::isfinite(v)) magnitudes.push_back(std::fabs(v));
        const auto k = size_t(std::floor(m_colorRange * double(magnitudes.size() - 1)));
        std::nth_element(magnitudes.begin(), magnitudes.begin() + std::ptrdiff_t(k), magnitudes.end());
        const float clip = magnitudes[k];
        if (clip > 0 && clip < maxAbs) {
            for (const float v : m_scores) m_nSaturated += std::fabs(v) > clip ? 1 : 0;
            maxAbs = clip;
            lo = std::max(lo, -clip);
            hi = std::min(hi, clip);
        }
    }
    m_mapping.setRange(std::isfinite(lo) ? lo : 0.0f, std::isfinite(hi) ? hi : 0.0f, maxAbs,
                       std::isfinite(minPositiveAbs) ? std::max(minPositiveAbs, maxAbs * 1e-6f) : 0.0f);
}

void HeatmapRaster::sortLayers() {
    if (m_order == HeatmapOrder::ByIndex) {
        m_perm.clear();
        m_inverse.clear();
        m_sorted.clear();
        return;
    }
    const size_t n = m_scores.size();
    m_perm.resize(n);
    m_inverse.resize(n);
    m_sorted.resize(n);
    // Stable LSD radix sort of (descending key, neuron) pairs: four byte-wide passes, O(n);
    // stability keeps ties in index order. Buffers are reused across layers.
    std::vector<uint32_t> keys(static_cast<size_t>(m_nNeuron));
    std::vector<uint32_t> keysTmp(keys.size());
    std::vector<int32_t> order(keys.size());
    std::vector<int32_t> orderTmp(keys.size());
    for (int l = 0; l < m_nLayer; ++l) {
        const float* row = m_scores.data() + size_t(l) * m_nNeuron;
        size_t counts[4][257] = {};
        for (int i = 0; i < m_nNeuron; ++i) {
            const uint32_t k = descendingBits(row[i]);
            keys[size_t(i)] = k;
            order[size_t(i)] = i;
            for (int d = 0; d < 4; ++d) ++counts[d][((k >> (8 * d)) & 0xffu) + 1];
        }
        for (int d = 0; d < 4; ++d) {
            const size_t* bucket = counts[d] + 1;
            if (std::any_of(bucket, bucket + 256, [this](size_t c) { return c == size_t(m_nNeuron); })) {
                continue;  // one value for this byte everywhere: the pass would not move anything
            }
            for (int b = 1; b < 257; ++b) counts[d][b] += counts[d][b - 1];
            for (int i = 0; i < m_nNeuron; ++i) {
                const size_t to = counts[d][(keys[size_t(i)] >> (8 * d)) & 0xffu]++;
                keysTmp[to] = keys[size_t(i)];
                orderTmp[to] = order[size_t(i)];
            }
            keys.swap(keysTmp);
            order.swap(orderTmp);
        }
        int32_t* perm = m_perm.data() + size_t(l) * m_nNeuron;
        int32_t* inverse = m_inverse.data() + size_t(l) * m_nNeuron;
        float* sorted = m_sorted.data() + size_t(l) * m_nNeuron;
        for (int p = 0; p < m_nNeuron; ++p) {
            perm[p] = order[size_t(p)];
            inverse[perm[p]] = p;
            sorted[p] = row[perm[p]];
        }
    }
}

void HeatmapRaster::permuteSelection() {
    auto count = [](const std::vector<uint8_t>& m) {
        return int(std::count_if(m.begin(), m.end(), [](uint8_t s) { return s != 0; }));
    };
    m_nSelected = count(m_selection);
    m_nReference = count(m_reference);
    auto permute = [&](const std::vector<uint8_t>& mask, std::vector<uint8_t>& display) {
        if (mask.empty() || m_order == HeatmapOrder::ByIndex) {
            display.clear();
            return;
        }
        display.resize(mask.size());
        for (size_t i = 0; i < m_perm.size(); ++i) {
            const size_t layerStart = i - i % size_t(m_nNeuron);
            display[i] = mask[layerStart + size_t(m_perm[i])];
        }
    };
    permute(m_selection, m_displaySel);
    permute(m_reference, m_displayRef);
}

const float* HeatmapRaster::displayRow(int layer) const {
    const auto& values = m_order == HeatmapOrder::ByScore ? m_sorted : m_scores;
    return values.data() + size_t(layer) * m_nNeuron;
}

void HeatmapRaster::rebin() {
    ++m_rebinCount;
    const int n = m_end - m_first;
    m_bins.resize(size_t(m_nLayer) * m_nBin);
    for (int l = 0; l < m_nLayer; ++l) {
        const float* row = displayRow(l) + m_first;
        float* out = m_bins.data() + size_t(l) * m_nBin;
        if (m_nBin == n) {
            std::copy(row, row + n, out);
            continue;
        }
        for (int b = 0; b < m_nBin; ++b) {
            const int lo = int(int64_t(b) * n / m_nBin);
            const int hi = int(int64_t(b + 1) * n / m_nBin);
            if (m_binRule == HeatmapBinRule::MaxAbs) {
                float best = row[lo];
                float bestAbs = std::fabs(best);
                for (int i = lo + 1; i < hi; ++i) {
                    const float a = std::fabs(row[i]);
                    if (a > bestAbs || std::isnan(bestAbs)) {
                        best = row[i];
                        bestAbs = a;
                    }
                }
                out[b] = best;
            } else {
                double sum = 0.0;
                for (int i = lo; i < hi; ++i) sum += row[i];
                out[b] = float(sum / (hi - lo));
            }
        }
    }
}

void HeatmapRaster::countSelection() {
    m_binSelected.assign(size_t(m_nLayer) * m_nBin, 0);
    // Bit 1: a selected neuron in the bin; bit 2: a reference neuron.
    auto mark = [&](const std::vector<uint8_t>& mask, const std::vector<uint8_t>& display, uint8_t bit) {
        if (mask.empty()) return;
        const auto& m = m_order == HeatmapOrder::ByScore ? display : mask;
        for (int l = 0; l < m_nLayer; ++l) {
            const uint8_t* row = m.data() + size_t(l) * m_nNeuron;
            uint8_t* out = m_binSelected.data() + size_t(l) * m_nBin;
            for (int b = 0; b < m_nBin; ++b) {
                const int lo = binBegin(b);
                const int hi = binBegin(b + 1);
                if (std::any_of(row + lo, row + hi, [](uint8_t s) { return s != 0; })) out[b] |= bit;
            }
        }
    };
    mark(m_selection, m_displaySel, 1);
    mark(m_reference, m_displayRef, 2);
}

void HeatmapRaster::computeIndices() {
    static_assert(HeatmapPalette::kSize <= 256, "indices are stored as bytes");
    m_binIndex.resize(m_bins.size());
    for (size_t i = 0; i < m_bins.size(); ++i) m_binIndex[i] = uint8_t(m_mapping.index(m_bins[i]));
}

void HeatmapRaster::recolor() {
    ++m_recolorCount;
    const QSize size(m_nBin, m_nLayer * kSubRows);
    if (m_image.size() != size) {
        m_image = size.isEmpty() ? QImage() : QImage(size, QImage::Format_RGB32);
    }
    if (m_image.isNull()) return;
    const auto& table = HeatmapPalette::table(m_mapping.scale);
    const auto& faded = HeatmapPalette::fadedTable(m_mapping.scale);
    const float threshold = m_threshold.value_or(-1.0f);
    const QRgb markers[4] = {0, HeatmapPalette::selectionColor(), HeatmapPalette::referenceColor(),
                             HeatmapPalette::bothColor()};
    const size_t rowBytes = size_t(m_nBin) * sizeof(QRgb);
    for (int l = 0; l < m_nLayer; ++l) {
        const float* bins = m_bins.data() + size_t(l) * m_nBin;
        const uint8_t* index = m_binIndex.data() + size_t(l) * m_nBin;
        const uint8_t* selected = m_binSelected.data() + size_t(l) * m_nBin;
        auto* first = reinterpret_cast<QRgb*>(m_image.scanLine(l * kSubRows));
        for (int b = 0; b < m_nBin; ++b) {
            first[b] = (std::fabs(bins[b]) < threshold ? faded : table)[index[b]];
        }
        for (int r = 1; r < kSubRows - 1; ++r) {
            std::memcpy(m_image.scanLine(l * kSubRows + r), first, rowBytes);
        }
        auto* markerRow = reinterpret_cast<QRgb*>(m_image.scanLine(l * kSubRows + kSubRows - 1));
        for (int b = 0; b < m_nBin; ++b) markerRow[b] = selected[b] ? markers[selected[b] & 3] : first[b];
    }
}

}  // namespace prunescope::ui
