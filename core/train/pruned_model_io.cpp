#include "core/train/pruned_model_io.h"

#include "core/prune/neuron_mask.h"
#include "core/settings/selection_settings.h"
#include "core/util/files.h"

namespace prunescope {

PrunedModelSave savePrunedModel(CausalLM& model, const std::filesystem::path& dir, const NeuronMask* mask,
                                const ModelSaveOptions& options, nlohmann::json record) {
    PrunedModelSave out;
    out.maskInWeights = mask == nullptr || mask->bakeable();
    if (mask != nullptr && out.maskInWeights) mask->bakeInto(model);  // (idempotent: LoRA's merge baked it)
    if (mask != nullptr) {
        out.maskRecord = {{"total", mask->count()},
                          {"per_layer", mask->perLayerCounts()},
                          {"positions", settings::kPrunePositions.nameOf(mask->positions)},
                          {"in_weights", out.maskInWeights},
                          {"meta", mask->meta}};
    }
    if (!out.maskInWeights) out.maskFile = dir / "mask.json";
    if (record.is_object()) {
        auto& m = record["mask"];
        if (m.is_object() && out.maskRecord.is_object()) {
            m.update(out.maskRecord);
        } else {
            m = out.maskRecord;
        }
    }
    saveModel(model, dir, options, [&](const std::filesystem::path& folder) {
        if (!out.maskInWeights) writeMask(folder / "mask.json", *mask);
        if (record.is_object()) writeJsonAtomic(folder / "prunescope.json", record);
    });
    return out;
}

}  // namespace prunescope
