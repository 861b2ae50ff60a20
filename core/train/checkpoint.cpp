#include "core/train/checkpoint.h"

#include "core/model/safetensors.h"
#include "core/util/error.h"
#include "core/util/files.h"

namespace fs = std::filesystem;

namespace prunescope {
namespace {

// Settings that may change between the interrupted and the resumed run.
nlohmann::json comparable(nlohmann::json settings) {
    for (const char* key : {"resume", "checkpoint_every", "checkpoint_dir"}) settings.erase(key);
    return settings;
}

void writeParameters(const fs::path& path, const std::vector<std::string>& names,
                     const std::vector<torch::Tensor>& values) {
    std::vector<std::pair<std::string, at::Tensor>> tensors;
    for (size_t i = 0; i < names.size(); ++i) tensors.emplace_back(names[i], values[i]);
    writeSafetensors(path, tensors);
}

}  // namespace

nlohmann::json trainPointJson(const TrainPoint& p) {
    nlohmann::json j = {{"step", p.step}, {"epoch", p.epoch}, {"loss", p.loss}, {"lr", p.lr}};
    if (p.validationAccuracy) j["validation_accuracy"] = *p.validationAccuracy;
    return j;
}

TrainPoint trainPointFromJson(const nlohmann::json& j) {
    TrainPoint p;
    p.step = j.value("step", int64_t(0));
    p.epoch = j.value("epoch", int64_t(0));
    p.loss = j.value("loss", 0.0);
    p.lr = j.value("lr", 0.0);
    if (j.contains("validation_accuracy")) p.validationAccuracy = j["validation_accuracy"].get<double>();
    return p;
}

void saveCheckpoint(const fs::path& dir, const NamedTensors& trained, torch::optim::Optimizer& optimizer,
                    const std::vector<torch::Tensor>& best, const TrainerState& state, const nlohmann::json& settings) {
    writeDirectoryAtomic(dir, [&](const fs::path& staging) {
        std::vector<std::string> names;
        std::vector<torch::Tensor> values;
        for (const auto& [name, value] : trained) {
            names.push_back(name);
            values.push_back(value.detach());
        }
        writeParameters(staging / "model.safetensors", names, values);
        if (!best.empty()) {  // the trainable parameters only (undefined for frozen ones)
            std::vector<std::string> bestNames;
            std::vector<torch::Tensor> bestValues;
            for (size_t i = 0; i < names.size(); ++i) {
                if (!best[i].defined()) continue;
                bestNames.push_back(names[i]);
                bestValues.push_back(best[i]);
            }
            writeParameters(staging / "best.safetensors", bestNames, bestValues);
        }
        {
            // Through AtomicFile, whose commit() reports a failed write: LibTorch's own file writer
            // throws from a destructor on a full disk, which ends the process (std::terminate).
            AtomicFile file(staging / "optimizer.pt");
            const std::function<size_t(const void*, size_t)> write = [&file](const void* data, size_t size) {
                file.stream().write(static_cast<const char*>(data), static_cast<std::streamsize>(size));
                return size;
            };
            torch::save(optimizer, write);
            file.commit();
        }
        nlohmann::json history = nlohmann::json::array();
        for (const auto& p : state.history) history.push_back(trainPointJson(p));
        writeJsonAtomic(staging / "state.json", {{"step", state.step},
                                                 {"epoch", state.epoch},
                                                 {"position", state.position},
                                                 {"best_accuracy", state.bestAccuracy},
                                                 {"best_step", state.bestStep},
                                                 {"evals_without_gain", state.evalsWithoutGain},
                                                 {"stopped_early", state.stoppedEarly},
                                                 {"settings", comparable(settings)},
                                                 {"history", history}});
    });
}

TrainerState loadCheckpoint(const fs::path& dir, const NamedTensors& trained, torch::optim::Optimizer& optimizer,
                            std::vector<torch::Tensor>& best, const nlohmann::json& settings) {
    if (!fs::exists(dir / "state.json")) throw Error(dir.string(), "", "no checkpoint to resume from");
    auto j = readJsonFile(dir / "state.json");
    if (j.value("settings", nlohmann::json()) != comparable(settings)) {
        throw Error((dir / "state.json").string(), "field 'settings'", "differ from this run's settings",
                    "resume with the same settings");
    }
    torch::NoGradGuard noGrad;
    SafetensorsFile params(dir / "model.safetensors");
    for (const auto& [name, value] : trained) {
        if (params.find(name) == nullptr) {
            throw Error(params.path().string(), "tensor '" + name + "'", "missing", "resume with the same settings");
        }
        auto t = params.tensor(name);
        if (t.sizes() != value.sizes()) throw Error(params.path().string(), "tensor '" + name + "'", "shape differs");
        value.copy_(t);
    }
    best.clear();
    if (fs::exists(dir / "best.safetensors")) {
        SafetensorsFile b(dir / "best.safetensors");
        for (const auto& [name, value] : trained) {
            best.push_back(b.find(name) ? b.tensor(name).clone().to(value.device()) : torch::Tensor());
        }
    }
    torch::load(optimizer, (dir / "optimizer.pt").string());
    TrainerState s;
    s.step = j.value("step", int64_t(0));
    s.epoch = j.value("epoch", int64_t(0));
    s.position = j.value("position", int64_t(0));
    s.bestAccuracy = j.value("best_accuracy", -1.0);
    s.bestStep = j.value("best_step", int64_t(0));
    s.evalsWithoutGain = j.value("evals_without_gain", int64_t(0));
    s.stoppedEarly = j.value("stopped_early", false);
    for (const auto& p : j.value("history", nlohmann::json::array())) s.history.push_back(trainPointFromJson(p));
    return s;
}

}  // namespace prunescope
