// Saving a pruned (and fine-tuned) model: the one Hugging Face folder every front end writes.
#pragma once

#include <filesystem>

#include <nlohmann/json.hpp>

#include "core/model/model_io.h"

namespace prunescope {

class CausalLM;
struct NeuronMask;

struct PrunedModelSave {
    bool maskInWeights = true;       // false: the mask is beside the weights, in maskFile
    std::filesystem::path maskFile;  // dir/mask.json when it is not in the weights
    // For prunescope.json: {"total", "per_layer", "positions", "in_weights", "meta"} (null: no mask).
    nlohmann::json maskRecord;
};

// Writes `model` to `dir` (saveModel: atomic, never over options.copyFilesFrom) with `mask` (may be
// null) pruned: baked into the weights (into `model` itself first), or, for a mask at the last
// position only, which no weights can express, the weights as they are and the mask beside them as
// dir/mask.json (for `eval --mask`). A `record` object is written as dir/prunescope.json, its
// "mask" completed with the mask's record; mask.json and prunescope.json are part of the atomic
// write, so the folder never appears without them.
PrunedModelSave savePrunedModel(CausalLM& model, const std::filesystem::path& dir, const NeuronMask* mask,
                                const ModelSaveOptions& options = {}, nlohmann::json record = nullptr);

}  // namespace prunescope
