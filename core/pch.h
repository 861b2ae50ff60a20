// Precompiled header for the engine: the heavy third-party headers, nothing of ours.
#pragma once

#include <torch/torch.h>

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>
