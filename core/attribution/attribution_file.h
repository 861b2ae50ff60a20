// attributions.safetensors: the IG sums per neuron and the per-question records, with the
// settings and fingerprints as JSON in the header's metadata. Layout in docs/attribution.md.
#pragma once

#include <filesystem>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/attribution/aggregate.h"

namespace prunescope {

// Questions whose completeness error exceeds `tolerance` (the file's completeness.over_tolerance).
int64_t countOverTolerance(const IgAggregate& aggregate, double tolerance);

struct AttributionFile {
    IgAggregate aggregate;
    nlohmann::json
        meta;  // format_version, model, dataset, settings, selection, shard, question_ids, versions, complete
};

// Atomic (temp file + rename). meta["count"] and meta["question_ids"] are filled in from `aggregate`.
void writeAttributionFile(const std::filesystem::path& path, const IgAggregate& aggregate, nlohmann::json meta);
AttributionFile readAttributionFile(const std::filesystem::path& path);

// Combines shards of one run: model, dataset, settings and selection must agree and the shards
// must be distinct; the result covers their questions in order.
AttributionFile mergeAttributionFiles(const std::vector<std::filesystem::path>& paths);

}  // namespace prunescope
