#include "core/pipeline/experiment.h"

#include "core/util/error.h"

namespace prunescope {

nlohmann::json ExperimentConfig::toJson() const { return nlohmann::json::object(); }

ExperimentConfig readExperimentConfig(const std::filesystem::path& file) {
    throw Error(file.string(), "", "experiments are not implemented yet");
}

ExperimentConfig parseExperimentConfig(const nlohmann::json&, const std::string& file, const std::filesystem::path&) {
    throw Error(file, "", "experiments are not implemented yet");
}

nlohmann::json runExperiment(const ExperimentConfig&, const ProgressFn&, const CancelFlag*) {
    throw Error("", "", "experiments are not implemented yet");
}

}  // namespace prunescope
