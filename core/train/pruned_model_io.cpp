#include "core/train/pruned_model_io.h"

#include "core/prune/neuron_mask.h"
#include "core/settings/selection_settings.h"

namespace prunescope {

PrunedModelSave savePrunedModel(CausalLM& model, const std::filesystem::path& dir, const NeuronMask* mask,
                                const ModelSaveOptions& options) {
    PrunedModelSave out;
    out.maskInWeights = mask == nullptr || mask->bakeable();
    if (mask != nullptr && out.maskInWeights) mask->bakeInto(model);  // (idempotent: LoRA's merge baked it)
    saveModel(model, dir, options);
    if (!out.maskInWeights) {
        out.maskFile = dir / "mask.json";
        writeMask(out.maskFile, *mask);
    }
    if (mask != nullptr) {
        out.maskRecord = {{"total", mask->count()},
                          {"per_layer", mask->perLayerCounts()},
                          {"positions", settings::kPrunePositions.nameOf(mask->positions)},
                          {"in_weights", out.maskInWeights},
                          {"meta", mask->meta}};
    }
    return out;
}

}  // namespace prunescope
