// Fine-tuning checkpoints: the trained tensors (every parameter of the model, or the LoRA
// adapters), optimizer state, the best values so far and the trainer's position, written
// atomically as one folder.
#pragma once

#include <filesystem>
#include <vector>

#include <torch/torch.h>
#include <nlohmann/json.hpp>

#include "core/train/finetune.h"

namespace prunescope {

struct TrainerState {
    int64_t step = 0;
    int64_t epoch = 0;
    int64_t position = 0;  // questions of the epoch's order already used
    double bestAccuracy = -1;
    int64_t bestStep = 0;
    int64_t evalsWithoutGain = 0;
    bool stoppedEarly = false;
    std::vector<TrainPoint> history;
};

// What a checkpoint holds: names (safetensors keys) and the live tensors, in a fixed order.
using NamedTensors = std::vector<std::pair<std::string, torch::Tensor>>;

void saveCheckpoint(const std::filesystem::path& dir, const NamedTensors& trained, torch::optim::Optimizer& optimizer,
                    const std::vector<torch::Tensor>& best, const TrainerState& state, const nlohmann::json& settings);

// Restores the trained tensors, optimizer and best values; errors when the settings differ.
TrainerState loadCheckpoint(const std::filesystem::path& dir, const NamedTensors& trained,
                            torch::optim::Optimizer& optimizer, std::vector<torch::Tensor>& best,
                            const nlohmann::json& settings);

nlohmann::json trainPointJson(const TrainPoint& p);
TrainPoint trainPointFromJson(const nlohmann::json& j);

}  // namespace prunescope
