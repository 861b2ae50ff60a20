// The records of what a result was computed from (model, dataset, prompt), written the same way
// into attribution files, evaluations and fine-tuned models by every front end, so that files made
// by the CLI, the GUI and experiments compare equal when their inputs are the same.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "core/data/mcq.h"
#include "core/data/prompt.h"

namespace prunescope {

class CausalLM;

// {"dir" (absolute), "model_type", "fingerprint"} and "dtype" when the compute dtype is not float32.
nlohmann::json modelProvenance(CausalLM& model, const std::filesystem::path& dir);

// {"file" (absolute), "format", "fingerprint" (of `data`'s questions), "split", "split_seed"}.
nlohmann::json datasetProvenance(const McqDataset& data, const std::string& split, uint64_t splitSeed);

// {"template", "option_template", "task_preset", "few_shot_prefix"}.
nlohmann::json promptJson(const PromptTemplate& prompt);

}  // namespace prunescope
