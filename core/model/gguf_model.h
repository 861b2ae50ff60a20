// A llama.cpp GGUF file read as the Hugging Face folder it was converted from: config.json keys
// from the `<arch>.*` metadata, checkpoint keys from the tensor names (blk.N.attn_q.weight ->
// model.layers.N.self_attn.q_proj.weight), weights dequantized once into float32, and the
// query/key rows that llama.cpp stores in interleaved rotary order put back in Hugging Face's.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

namespace prunescope {

class CausalLM;
class GgufFile;
struct ModelLoadOptions;

// True for a regular file whose name ends in .gguf (any case) or that starts with the GGUF magic.
bool isGgufFile(const std::filesystem::path& path);

// The config.json that describes the GGUF's model (model_type from general.architecture: llama,
// mistral, qwen2, gpt2). Errors name the file and the metadata key.
nlohmann::json ggufConfigJson(const GgufFile& file);

// The Hugging Face checkpoint key of a GGUF tensor name for `modelType`; "" for tensors that
// have no parameter (rope_freqs, for instance).
std::string ggufTensorKey(const std::string& name, const std::string& modelType);

std::shared_ptr<CausalLM> loadGgufModel(const std::filesystem::path& path, const ModelLoadOptions& options);

}  // namespace prunescope
