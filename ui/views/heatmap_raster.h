// The data side of HeatmapView, without widgets: scores (layer x neuron), display order, binning
// to screen resolution and the colour image. Kept apart so binning is testable and cheap:
//   data / order / visible range / width change -> re-bin (one pass over the visible scores)
//   scale change                                -> re-map the bins to table indices, re-colour
//   threshold change                            -> re-colour only (one pass over the bins)
//   selection change                            -> re-count selected per bin, re-colour
#pragma once

#include "ui/views/heatmap_palette.h"

#include <QImage>

#include <cstdint>
#include <optional>
#include <vector>

namespace prunescope::ui {

enum class HeatmapOrder { ByIndex, ByScore };  // ByScore: each layer sorted by score, descending
// What one bin (several neurons in one screen column) shows: the score with the largest |score|
// (sign kept; default, so that a single strong neuron is never averaged away) or the mean.
enum class HeatmapBinRule { MaxAbs, Mean };

class HeatmapRaster {
public:
    // Image rows per layer: kSubRows - 1 score rows, then one selection-marker row.
    static constexpr int kSubRows = 4;

    void setScores(int nLayer, int nNeuron, std::vector<float> scores);  // (layer, neuron)
    // Same shape, new values (a running mean): reuses every buffer. False if the size differs.
    bool updateScores(const std::vector<float>& scores);
    void setOrder(HeatmapOrder order);
    void setBinRule(HeatmapBinRule rule);
    void setScale(HeatmapScale scale);
    // The colour scale ends at this quantile of |score| (1: the largest); cells beyond it take the
    // end colours. A real model's scores have a few neurons far above the rest, and a scale set by
    // the largest leaves everything else the middle colour.
    void setColorRange(double quantile);
    void setThreshold(std::optional<float> threshold);  // |bin value| below it is faded
    void setSelection(std::vector<uint8_t> mask);       // (layer, neuron); empty: none
    // Reference neurons marked in another colour on the same row (e.g. the demo's true cue
    // neurons); bins holding both show HeatmapPalette::bothColor().
    void setReference(std::vector<uint8_t> mask);  // (layer, neuron); empty: none

    // Brings bins and image up to date for display positions [first, end) drawn in at most
    // maxBins columns; bin b covers positions [first + b*N/B, first + (b+1)*N/B), N = end - first.
    void update(int first, int end, int maxBins);

    int nLayer() const { return m_nLayer; }
    int nNeuron() const { return m_nNeuron; }
    HeatmapOrder order() const { return m_order; }
    HeatmapScale scale() const { return m_mapping.scale; }
    HeatmapBinRule binRule() const { return m_binRule; }
    double colorRange() const { return m_colorRange; }
    // Cells with |score| above the colour range, and the largest |score| (0 when nothing is cut).
    int saturatedCount() const { return m_nSaturated; }
    float largestAbs() const { return m_largestAbs; }
    std::optional<float> threshold() const { return m_threshold; }
    const HeatmapColorMapping& mapping() const { return m_mapping; }

    int nBin() const { return m_nBin; }
    int binFirst() const { return m_first; }
    int binEnd() const { return m_end; }
    int binBegin(int bin) const;    // first display position in `bin`
    int binAt(int position) const;  // bin that holds display `position`
    float binValue(int layer, int bin) const { return m_bins[size_t(layer) * m_nBin + bin]; }
    bool binSelected(int layer, int bin) const { return m_binSelected[size_t(layer) * m_nBin + bin] & 1; }
    bool binReference(int layer, int bin) const { return m_binSelected[size_t(layer) * m_nBin + bin] & 2; }
    const QImage& image() const { return m_image; }  // (nBin) x (nLayer * kSubRows)

    int neuronAt(int layer, int position) const;  // display position -> neuron index
    int positionOf(int layer, int neuron) const;  // neuron index -> display position
    float score(int layer, int neuron) const { return m_scores[size_t(layer) * m_nNeuron + neuron]; }
    bool isSelected(int layer, int neuron) const;
    bool isReference(int layer, int neuron) const;
    int rankInLayer(int layer, int neuron) const;   // 1 = highest score of the layer
    int strongestNeuron(int layer, int bin) const;  // neuron with the largest |score| in bin
    int selectedCount() const { return m_nSelected; }
    int referenceCount() const { return m_nReference; }

    int rebinCount() const { return m_rebinCount; }  // for tests: work actually done
    int recolorCount() const { return m_recolorCount; }

private:
    void computeRange();
    void sortLayers();
    void permuteSelection();
    void rebin();
    void countSelection();
    void computeIndices();
    void recolor();
    const float* displayRow(int layer) const;

    int m_nLayer = 0;
    int m_nNeuron = 0;
    std::vector<float> m_scores;        // (layer, neuron)
    std::vector<float> m_sorted;        // (layer, position) scores in display order (ByScore)
    std::vector<int32_t> m_perm;        // (layer, position) -> neuron (ByScore)
    std::vector<int32_t> m_inverse;     // (layer, neuron) -> position (ByScore)
    std::vector<uint8_t> m_selection;   // (layer, neuron), empty when none
    std::vector<uint8_t> m_displaySel;  // (layer, position) selection in display order
    std::vector<uint8_t> m_reference;   // (layer, neuron), empty when none
    std::vector<uint8_t> m_displayRef;  // (layer, position) reference in display order
    int m_nSelected = 0;
    int m_nReference = 0;
    HeatmapOrder m_order = HeatmapOrder::ByIndex;
    HeatmapBinRule m_binRule = HeatmapBinRule::MaxAbs;
    HeatmapColorMapping m_mapping;
    std::optional<float> m_threshold;
    double m_colorRange = 1.0;
    int m_nSaturated = 0;
    float m_largestAbs = 0.0f;

    int m_first = 0, m_end = 0, m_nBin = 0;  // geometry of the current bins
    std::vector<float> m_bins;               // (layer, bin)
    std::vector<uint8_t> m_binSelected;      // (layer, bin): 1 selected, 2 reference, 3 both
    std::vector<uint8_t> m_binIndex;         // (layer, bin) colour-table index
    QImage m_image;
    bool m_binsDirty = true;
    bool m_indicesDirty = true;  // scale or data range changed
    bool m_selectionDirty = true;
    bool m_colorsDirty = true;
    int m_rebinCount = 0;
    int m_recolorCount = 0;
};

}  // namespace prunescope::ui
