#include "core/model/architecture.h"

#include "core/util/error.h"

namespace prunescope {
namespace {

const std::vector<const Architecture*>& registry() {
    static const std::vector<const Architecture*> all = {&kGpt2Architecture, &kLlamaArchitecture, &kMistralArchitecture,
                                                         &kQwen2Architecture};
    return all;
}

}  // namespace

const Architecture& findArchitecture(const std::string& modelType, const std::string& file) {
    for (const auto* a : registry()) {
        if (modelType == a->modelType) return *a;
    }
    std::string known;
    for (const auto& n : architectureNames()) known += (known.empty() ? "" : ", ") + n;
    throw Error(file, "field 'model_type'", "unknown model_type '" + modelType + "'", "supported: " + known);
}

std::vector<std::string> architectureNames() {
    std::vector<std::string> names;
    for (const auto* a : registry()) names.emplace_back(a->modelType);
    return names;
}

}  // namespace prunescope
