#!/usr/bin/env python3
"""GGUF conversions of the tiny test models and of real tokenizers, for
tests/core/model/test_gguf_models.cpp. Written with llama.cpp's own Python package (gguf) following
the conventions of llama.cpp's convert_hf_to_gguf.py (re-implemented here, not copied).

Reads tests/data/models/{gpt2,llama,mistral,qwen2} and ../shared/data/tokenizers, writes
tests/data/gguf/models/:

  overrides.safetensors     "<arch>.<Hugging Face key>": random values for every 1-D parameter (norm
                            scales, biases). The tiny models hold exactly 1 and 0 there, which would
                            hide a norm or bias loaded into the wrong place; the GGUF files hold the
                            folder's weights with these values instead, and the test puts the same
                            values into the folder model before comparing.
  <arch>.f32.gguf           gpt2, llama, mistral, qwen2 in F32; no tokenizer (the tiny models have
                            97-token vocabularies that no real tokenizer fits).
                            llama/mistral: q and k rows permuted into llama.cpp's interleaved rotary
                            order; qwen2: not permuted; gpt2: Conv1D weights transposed, and
                            output.weight written as a copy of token_embd, as llama.cpp's GPT-2
                            converter does; qwen2 (tied): no output.weight. Architecture "mistral"
                            keeps the sliding window (llama.cpp itself converts Mistral as "llama").
  llama.<type>.gguf         the llama model with its matrices in F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1
                            (gguf.quants.quantize). Rows that are not whole blocks (ffn_down: 40
                            values) fall back to F16, as the converter does; 1-D tensors stay F32.
                            K-quants' 256-value blocks do not fit rows of 32 or 40 values: see
                            llama31.kquant.gguf.
  llama-quant-reference.safetensors
                            ids.<i> (token ids); logits.<type>.<i>: Hugging Face transformers'
                            LlamaForCausalLM run with the folder's weights + overrides, every
                            quantized matrix replaced by gguf.quants.dequantize() of its bytes (q/k
                            rows put back in Hugging Face's order); type "f32" = no replacement.
                            weight.<type>.<Hugging Face key>: that dequantization for a few matrices.
  vocab-llama-spm.gguf      Mistral-7B's tokenizer (mistral-7b/tokenizer.json, 32000 tokens) as a
                            tokenizer.ggml.model "llama" vocabulary (vocabulary only, like llama.cpp's
                            models/ggml-vocab-*.gguf). The file has no SentencePiece scores, and
                            llama.cpp's converter (gguf.LlamaHfVocab) then writes -1000 for every
                            token, which makes its own tokenizer merge left to right; here a token's
                            score is minus the rank of the first merge in tokenizer.json that makes
                            it (0 for tokens no merge makes), the order SentencePiece's scores give.
                            The script checks that ranking every split of every token by these
                            scores gives back tokenizer.json's merges, in order. Types: <unk> 2
                            (SentencePiece's unknown piece), <s> </s> 3, <0xNN> 6, others 1.
  vocab-gpt2.gguf           GPT-2's BPE (gpt2-openai), pre "gpt-2", and
  vocab-qwen2.gguf          Qwen3's BPE (qwen3), pre "qwen2": both cut to their first K tokens
                            (K - 256 merges; byte-level BPE ids are 256 + merge rank, so the cut is
                            still an exact BPE) and their added tokens, renumbered from K on. The
                            whole vocabularies (1.8 MB and 5.9 MB of metadata) would not fit the
                            size budget; the test cuts the original files the same way.
  bad-vocab-count.gguf      deliberately wrong: the llama model (Q4_0) with a 96-token vocabulary.
  llama31.kquant.gguf       a whole model in K-quants with Llama 3.1's rope scaling: one block of
                            Llama 3.1's rotary settings (theta 500000; rope_scaling llama3, factor 8,
                            low 1, high 4, original 8192, written as the converter does: a
                            rope_freqs.weight tensor of per-frequency divisors and no scaling key),
                            hidden 256, 4 heads of 64 (2 key/value heads), 512 FFN neurons, 97
                            tokens. Its matrices are Q2_K, Q3_K, Q4_K, Q5_K and Q6_K (each row a
                            whole number of 256-value blocks; ffn_down's rows are two blocks). gguf-py
                            cannot quantize K-quants, so the blocks are random bytes (any bit pattern
                            is a valid block) with their fp16 scale fields set so that each matrix has
                            a standard deviation of about 0.05: a random-weight model, like the others.
  llama31-kquant-reference.safetensors
                            ids.<i>; logits.<i>: transformers' LlamaForCausalLM built from that
                            configuration (rope_scaling llama3) with gguf.quants.dequantize() of every
                            tensor (q/k rows put back); weight.<Hugging Face key>: rows 0, 1, 63 and
                            the last of that dequantization, for every matrix; sums.<key>: the sum, the
                            sum of |w| and of w^2 over the whole matrix (float64).

Special-token ids, add_bos_token etc. and merges come from gguf.SpecialVocab, as in the converter.

Run (deterministic: fixed seeds, so re-running reproduces the same bytes):
    $(scripts/python-env.sh reference)/bin/python tests/reference/make_gguf_models.py
"""
import json
import pathlib
import re
import tempfile

import gguf
import numpy as np
import torch
from gguf import GGMLQuantizationType as T
from safetensors.numpy import load_file, save_file

ROOT = pathlib.Path(__file__).resolve().parent.parent.parent
MODELS = ROOT / "tests" / "data" / "models"
TOKENIZERS = ROOT.parent / "shared" / "data" / "tokenizers"
OUT = ROOT / "tests" / "data" / "gguf" / "models"
K_BPE = 4096  # tokens kept of GPT-2's and Qwen's byte-level vocabularies (before added tokens)
ARCHS = ["gpt2", "llama", "mistral", "qwen2"]
QUANT_TYPES = {"f16": T.F16, "bf16": T.BF16, "q8_0": T.Q8_0, "q4_0": T.Q4_0, "q4_1": T.Q4_1,
               "q5_0": T.Q5_0, "q5_1": T.Q5_1}
FILE_TYPES = {"f32": gguf.LlamaFileType.ALL_F32, "f16": gguf.LlamaFileType.MOSTLY_F16,
              "bf16": gguf.LlamaFileType.MOSTLY_BF16, "q8_0": gguf.LlamaFileType.MOSTLY_Q8_0,
              "q4_0": gguf.LlamaFileType.MOSTLY_Q4_0, "q4_1": gguf.LlamaFileType.MOSTLY_Q4_1,
              "q5_0": gguf.LlamaFileType.MOSTLY_Q5_0, "q5_1": gguf.LlamaFileType.MOSTLY_Q5_1}
# Token sequences for the reference logits (ids < 97); longer than mistral's sliding window of 4.
IDS = [[5], [1, 17, 42, 96, 3, 64, 8, 21, 77], [int(i) for i in np.random.default_rng(3).integers(0, 97, 24)]]


def read_model(name):
    folder = MODELS / name
    config = json.loads((folder / "config.json").read_text())
    return config, load_file(str(folder / "model.safetensors"))


def make_overrides():
    """Random values for every 1-D parameter of every model (seeded per architecture)."""
    out = {}
    for arch in ARCHS:
        rng = np.random.default_rng(100 + ARCHS.index(arch))
        _, weights = read_model(arch)
        for key in sorted(weights):
            w = weights[key]
            if w.ndim != 1:
                continue
            is_scale = key.endswith(".weight")  # norm scales; the rest are biases
            values = (1.0 if is_scale else 0.0) + 0.3 * rng.standard_normal(w.shape)
            out[f"{arch}.{key}"] = values.astype(np.float32)
    return out


# ---- tensors: Hugging Face name -> GGUF name, in the converter's conventions ------------------------

LLAMA_BLOCK = {
    "input_layernorm": "attn_norm", "post_attention_layernorm": "ffn_norm",
    "self_attn.q_proj": "attn_q", "self_attn.k_proj": "attn_k", "self_attn.v_proj": "attn_v",
    "self_attn.o_proj": "attn_output", "mlp.gate_proj": "ffn_gate", "mlp.up_proj": "ffn_up",
    "mlp.down_proj": "ffn_down",
}
GPT2_BLOCK = {
    "ln_1": "attn_norm", "ln_2": "ffn_norm", "attn.c_attn": "attn_qkv", "attn.c_proj": "attn_output",
    "mlp.c_fc": "ffn_up", "mlp.c_proj": "ffn_down",
}


def to_rotary_order(w, n_head):
    """Rows of each head from Hugging Face's halves (i, i + d/2) to llama.cpp's pairs (2i, 2i+1)."""
    head_dim = w.shape[0] // n_head
    halves = w.reshape(n_head, 2, head_dim // 2, *w.shape[1:])
    return np.ascontiguousarray(np.swapaxes(halves, 1, 2)).reshape(w.shape)


def from_rotary_order(w, n_head):
    head_dim = w.shape[0] // n_head
    pairs = w.reshape(n_head, head_dim // 2, 2, *w.shape[1:])
    return np.ascontiguousarray(np.swapaxes(pairs, 1, 2)).reshape(w.shape)


def gguf_name(arch, key):
    if arch == "gpt2":
        simple = {"wte.weight": "token_embd.weight", "wpe.weight": "position_embd.weight",
                  "ln_f.weight": "output_norm.weight", "ln_f.bias": "output_norm.bias"}
        if key in simple:
            return simple[key]
        m = re.fullmatch(r"h\.(\d+)\.(.+)\.(weight|bias)", key)
        return f"blk.{m[1]}.{GPT2_BLOCK[m[2]]}.{m[3]}"
    simple = {"model.embed_tokens.weight": "token_embd.weight", "model.norm.weight": "output_norm.weight",
              "lm_head.weight": "output.weight"}
    if key in simple:
        return simple[key]
    m = re.fullmatch(r"model\.layers\.(\d+)\.(.+)\.(weight|bias)", key)
    return f"blk.{m[1]}.{LLAMA_BLOCK[m[2]]}.{m[3]}"


def converted_tensors(arch, config, weights, overrides):
    """[(gguf name, Hugging Face key, float32 array as stored: rows = ggml's slow dimension)]."""
    out = []
    for key in weights:  # the safetensors order
        w = overrides.get(f"{arch}.{key}", weights[key]).astype(np.float32)
        name = gguf_name(arch, key)
        if arch == "gpt2" and w.ndim == 2 and key.startswith("h."):
            w = np.ascontiguousarray(w.T)  # Conv1D (in, out) -> (out, in)
        if arch in ("llama", "mistral"):
            if ".attn_q." in name:
                w = to_rotary_order(w, config["num_attention_heads"])
            elif ".attn_k." in name:
                w = to_rotary_order(w, config["num_key_value_heads"])
        out.append((name, key, w))
        if arch == "gpt2" and name == "token_embd.weight":
            out.append(("output.weight", key, w))  # llama.cpp's GPT-2 converter stores the tied head
    return out


def add_hparams(writer, arch, config, file_type):
    writer.add_name(f"prunescope tiny {arch}")
    writer.add_file_type(file_type)
    writer.add_vocab_size(config["vocab_size"])
    if arch == "gpt2":
        writer.add_context_length(config["n_positions"])
        writer.add_embedding_length(config["n_embd"])
        writer.add_feed_forward_length(config.get("n_inner") or 4 * config["n_embd"])
        writer.add_block_count(config["n_layer"])
        writer.add_head_count(config["n_head"])
        writer.add_layer_norm_eps(config["layer_norm_epsilon"])
        return
    heads = config["num_attention_heads"]
    writer.add_context_length(config["max_position_embeddings"])
    writer.add_embedding_length(config["hidden_size"])
    writer.add_feed_forward_length(config["intermediate_size"])
    writer.add_block_count(config["num_hidden_layers"])
    writer.add_head_count(heads)
    writer.add_head_count_kv(config.get("num_key_value_heads", heads))
    writer.add_layer_norm_rms_eps(config["rms_norm_eps"])
    writer.add_rope_freq_base(config["rope_theta"])
    writer.add_rope_dimension_count(config["hidden_size"] // heads)
    if arch == "mistral" and config.get("sliding_window"):
        writer.add_sliding_window(config["sliding_window"])


def stored(w, qtype):
    """(data, raw ggml type) for one tensor in a file whose matrices are `qtype`."""
    if w.ndim == 1 or qtype is None:
        return w, None
    if qtype == T.F16:
        return w.astype(np.float16), None
    block = gguf.GGML_QUANT_SIZES[qtype][0]
    if w.shape[-1] % block != 0:
        return w.astype(np.float16), None  # the converter's fallback for rows of partial blocks
    return gguf.quants.quantize(w, qtype), qtype


def write_model(path, arch, config, tensors, qtype=None, type_name="f32", tokenizer=None):
    writer = gguf.GGUFWriter(str(path), arch=arch)
    add_hparams(writer, arch, config, FILE_TYPES[type_name])
    if tokenizer is not None:
        tokenizer(writer)
    for name, _, w in tensors:
        data, raw = stored(w, qtype)
        writer.add_tensor(name, data, raw_dtype=raw)
    finish(writer)


def finish(writer):
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


# ---- the quantized llama variants and their reference -----------------------------------------

def hf_key(name):
    """Hugging Face key of a llama-family GGUF tensor name (gguf_name's inverse)."""
    simple = {"token_embd.weight": "model.embed_tokens.weight", "output_norm.weight": "model.norm.weight",
              "output.weight": "lm_head.weight"}
    if name in simple:
        return simple[name]
    m = re.fullmatch(r"blk\.(\d+)\.(.+)\.(weight|bias)", name)
    part = {v: k for k, v in LLAMA_BLOCK.items()}[m[2]]
    return f"model.layers.{m[1]}.{part}.{m[3]}"


def dequantized_weights(path, config):
    """Hugging Face key -> gguf.quants.dequantize() of each llama tensor in `path`, HF order
    (q/k rows put back); tensors without a parameter (rope_freqs) are left out."""
    reader = gguf.GGUFReader(str(path))
    out = {}
    for t in reader.tensors:
        if t.name == "rope_freqs.weight":
            continue
        w = gguf.quants.dequantize(np.array(t.data), t.tensor_type).astype(np.float32)
        w = w.reshape([int(d) for d in reversed(t.shape)])
        if ".attn_q." in t.name:
            w = from_rotary_order(w, config["num_attention_heads"])
        elif ".attn_k." in t.name:
            w = from_rotary_order(w, config["num_key_value_heads"])
        out[hf_key(t.name)] = w
    return out


def transformers_logits(arch, weights):
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(str(MODELS / arch), torch_dtype=torch.float32,
                                                 attn_implementation="eager")
    state = {k: torch.from_numpy(np.array(v)) for k, v in weights.items()}
    missing, unexpected = model.load_state_dict(state, strict=False)
    assert not unexpected and all("rotary" in m for m in missing), (missing, unexpected)
    model.eval()
    with torch.no_grad():
        return [model(torch.tensor([ids])).logits[0].numpy().astype(np.float32) for ids in IDS]


def write_llama_variants(overrides):
    arch = "llama"
    config, weights = read_model(arch)
    tensors = converted_tensors(arch, config, weights, overrides)
    reference = {f"ids.{i}": np.array(ids, dtype=np.int64) for i, ids in enumerate(IDS)}
    exact = dict(weights)
    exact.update({k[len(arch) + 1:]: v for k, v in overrides.items() if k.startswith(arch + ".")})
    for i, logits in enumerate(transformers_logits(arch, exact)):
        reference[f"logits.f32.{i}"] = logits
    for type_name, qtype in QUANT_TYPES.items():
        path = OUT / f"{arch}.{type_name}.gguf"
        write_model(path, arch, config, tensors, qtype, type_name)
        deq = dequantized_weights(path, config)
        for key in deq:
            if deq[key].ndim == 1:  # F32 in the file: the overrides, unchanged
                assert np.array_equal(deq[key], exact[key]), key
        for i, logits in enumerate(transformers_logits(arch, deq)):
            reference[f"logits.{type_name}.{i}"] = logits
        for key in ("model.layers.0.self_attn.q_proj.weight", "model.layers.1.self_attn.k_proj.weight",
                    "model.layers.0.mlp.down_proj.weight"):
            reference[f"weight.{type_name}.{key}"] = deq[key]
        print(f"{path.name}: max |dequantized - f32| of blk.0.attn_q "
              f"{np.abs(deq['model.layers.0.self_attn.q_proj.weight'] - exact['model.layers.0.self_attn.q_proj.weight']).max():.3g}")
    save_file(reference, str(OUT / "llama-quant-reference.safetensors"))


# ---- tokenizers ---------------------------------------------------------------------------------

def add_vocab(writer, model, pre, tokens, types, scores=None):
    writer.add_tokenizer_model(model)
    writer.add_tokenizer_pre(pre)
    writer.add_token_list(tokens)
    if scores is not None:
        writer.add_token_scores(scores)
    writer.add_token_types(types)


def spm_scores_and_check(vocab_by_id, merges, types):
    """Scores from merge ranks; asserts that SentencePiece's ranking of them gives `merges` back."""
    index = {t: i for i, t in enumerate(vocab_by_id)}
    scores = [0.0] * len(vocab_by_id)
    seen = set()
    for rank, (left, right) in enumerate(merges):
        if left + right not in seen:
            seen.add(left + right)
            scores[index[left + right]] = -float(rank)
    pieces = {t: i for i, t in enumerate(vocab_by_id) if types[i] in (1, 4)}
    derived = []
    for i, token in enumerate(vocab_by_id):
        if types[i] != 1:
            continue
        local = [(pieces[token[:p]], pieces[token[p:]]) for p in range(1, len(token))
                 if token[:p] in pieces and token[p:] in pieces]
        derived += [(scores[i], a, b) for a, b in sorted(local)]
    derived.sort(key=lambda m: -m[0])  # stable: ties keep token order
    assert [(vocab_by_id[a], vocab_by_id[b]) for _, a, b in derived] == merges, "merges not recovered"
    return scores


def write_spm_vocab():
    folder = TOKENIZERS / "mistral-7b"
    tj = json.loads((folder / "tokenizer.json").read_text())
    vocab = tj["model"]["vocab"]
    tokens = [None] * len(vocab)
    for token, i in vocab.items():
        tokens[i] = token
    added = {a["id"]: a for a in tj["added_tokens"]}
    unk = tj["model"].get("unk_token")
    types = []
    for i, token in enumerate(tokens):
        if token == unk:
            types.append(gguf.TokenType.UNKNOWN)
        elif i in added and added[i]["special"]:
            types.append(gguf.TokenType.CONTROL)
        elif i in added:
            types.append(gguf.TokenType.USER_DEFINED)
        elif re.fullmatch(r"<0x[0-9A-Fa-f]{2}>", token):
            types.append(gguf.TokenType.BYTE)
        else:
            types.append(gguf.TokenType.NORMAL)
    merges = [tuple(m.split(" ")) if isinstance(m, str) else tuple(m) for m in tj["model"]["merges"]]
    scores = spm_scores_and_check(tokens, merges, [int(t) for t in types])
    writer = gguf.GGUFWriter(str(OUT / "vocab-llama-spm.gguf"), arch="llama")
    writer.add_name("Mistral-7B v0.1 tokenizer (vocabulary only)")
    add_vocab(writer, "llama", "default", tokens, types, scores)
    gguf.SpecialVocab(folder, load_merges=False, n_vocab=len(tokens)).add_to_gguf(writer, quiet=True)
    finish(writer)


def cut_bpe(vocab, merges, added):
    """The first K_BPE tokens, their merges, and the added tokens renumbered from K_BPE on."""
    assert all(vocab[a + b] == 256 + r for r, (a, b) in enumerate(merges[: K_BPE - 256]))
    kept = {t: i for t, i in vocab.items() if i < K_BPE}
    renumber = {a["id"]: K_BPE + j for j, a in enumerate(sorted(added, key=lambda a: a["id"]))}
    new_added = [dict(a, id=renumber[a["id"]]) for a in added]
    return kept, merges[: K_BPE - 256], new_added, renumber


def bpe_tokens(vocab, added):
    """llama.cpp's gpt2 vocabulary: tokens by id; added special -> 3, added other -> 4, else 1."""
    by_id = {i: t for t, i in vocab.items()}
    by_id.update({a["id"]: a["content"] for a in added})
    types = {a["id"]: gguf.TokenType.CONTROL if a["special"] else gguf.TokenType.USER_DEFINED for a in added}
    assert sorted(by_id) == list(range(len(by_id)))
    return [by_id[i] for i in range(len(by_id))], [types.get(i, gguf.TokenType.NORMAL) for i in range(len(by_id))]


def write_bpe_vocab(name, arch, pre, tokenizer_json, tokenizer_config, config):
    """tokenizer_json: the cut tokenizer.json; special ids and merges read by gguf.SpecialVocab from a
    folder holding it (and tokenizer_config.json / config.json), as the converter reads them."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = pathlib.Path(tmp)
        (folder / "tokenizer.json").write_text(json.dumps(tokenizer_json, ensure_ascii=False))
        if tokenizer_config is not None:
            (folder / "tokenizer_config.json").write_text(json.dumps(tokenizer_config, ensure_ascii=False))
        if config is not None:
            (folder / "config.json").write_text(json.dumps(config))
        tokens, types = bpe_tokens(tokenizer_json["model"]["vocab"], tokenizer_json["added_tokens"])
        writer = gguf.GGUFWriter(str(OUT / name), arch=arch)
        writer.add_name(f"{name} (vocabulary only, first {K_BPE} tokens + added tokens)")
        add_vocab(writer, "gpt2", pre, tokens, types)
        gguf.SpecialVocab(folder, load_merges=True, n_vocab=len(tokens)).add_to_gguf(writer, quiet=True)
        finish(writer)


def write_gpt2_vocab():
    folder = TOKENIZERS / "gpt2-openai"
    encoder = json.loads((folder / "encoder.json").read_text())
    lines = (folder / "vocab.bpe").read_text(encoding="utf-8").split("\n")[1:]
    merges = [tuple(line.split(" ")) for line in lines if line]
    eot = {"id": encoder.pop("<|endoftext|>"), "content": "<|endoftext|>", "single_word": False,
           "lstrip": False, "rstrip": False, "normalized": True, "special": True}
    vocab, merges, added, renumber = cut_bpe(encoder, merges, [eot])
    byte_level = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True}
    tokenizer_json = {"version": "1.0", "added_tokens": added, "normalizer": None,
                      "pre_tokenizer": byte_level, "post_processor": byte_level, "decoder": byte_level,
                      "model": {"type": "BPE", "vocab": vocab, "merges": [" ".join(m) for m in merges]}}
    # GPT-2's config.json names <|endoftext|> (50256) as BOS and EOS; it has no tokenizer_config.json.
    eot_id = renumber[50256]
    write_bpe_vocab("vocab-gpt2.gguf", "gpt2", "gpt-2", tokenizer_json, None,
                    {"bos_token_id": eot_id, "eos_token_id": eot_id})


def write_qwen2_vocab():
    folder = TOKENIZERS / "qwen3"
    tj = json.loads((folder / "tokenizer.json").read_text())
    tc = json.loads((folder / "tokenizer_config.json").read_text())
    merges = [tuple(m) if isinstance(m, list) else tuple(m.split(" ")) for m in tj["model"]["merges"]]
    vocab, merges, added, renumber = cut_bpe(tj["model"]["vocab"], merges, tj["added_tokens"])
    tj = dict(tj, added_tokens=added, model=dict(tj["model"], vocab=vocab, merges=[list(m) for m in merges]))
    tc = dict(tc, added_tokens_decoder={str(renumber[int(i)]): a for i, a in tc["added_tokens_decoder"].items()})
    write_bpe_vocab("vocab-qwen2.gguf", "qwen2", "qwen2", tj, tc, None)


def write_bad_vocab_count():
    config, weights = read_model("llama")
    tensors = converted_tensors("llama", config, weights, {})
    encoder = json.loads((TOKENIZERS / "gpt2-openai" / "encoder.json").read_text())
    tokens = [t for t, i in sorted(encoder.items(), key=lambda e: e[1])][:96]

    def vocab(writer):
        add_vocab(writer, "gpt2", "gpt-2", tokens, [gguf.TokenType.NORMAL] * len(tokens))

    write_model(OUT / "bad-vocab-count.gguf", "llama", config, tensors, T.Q4_0, "q4_0", vocab)


# ---- a whole model in K-quants, with Llama 3.1's rope scaling -----------------------------------

LLAMA31 = {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_act": "silu",
           "hidden_size": 256, "intermediate_size": 512, "num_hidden_layers": 1,
           "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 64, "vocab_size": 97,
           "max_position_embeddings": 131072, "rms_norm_eps": 1e-5, "rope_theta": 500000.0,
           "rope_scaling": {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                            "high_freq_factor": 4.0, "original_max_position_embeddings": 8192},
           "tie_word_embeddings": False, "torch_dtype": "float32"}
# GGUF name -> (type, rows, row length), in the converter's tensor order.
LLAMA31_TENSORS = [
    ("token_embd.weight", T.Q4_K, 97, 256),
    ("blk.0.attn_norm.weight", T.F32, 1, 256),
    ("blk.0.attn_q.weight", T.Q2_K, 256, 256),
    ("blk.0.attn_k.weight", T.Q3_K, 128, 256),
    ("blk.0.attn_v.weight", T.Q6_K, 128, 256),
    ("blk.0.attn_output.weight", T.Q5_K, 256, 256),
    ("blk.0.ffn_norm.weight", T.F32, 1, 256),
    ("blk.0.ffn_gate.weight", T.Q4_K, 512, 256),
    ("blk.0.ffn_up.weight", T.Q5_K, 512, 256),
    ("blk.0.ffn_down.weight", T.Q6_K, 256, 512),
    ("output_norm.weight", T.F32, 1, 256),
    ("output.weight", T.Q6_K, 97, 256),
]
# Byte offsets of each K-quant block's fp16 scales (d, and dmin where the type has one).
K_SCALE_FIELDS = {T.Q2_K: [80, 82], T.Q3_K: [108], T.Q4_K: [0, 2], T.Q5_K: [0, 2], T.Q6_K: [208]}
LLAMA31_ROWS = [0, 1, 63, -1]  # rows of each matrix kept in the reference (-1: the last)
IDS_K = [[1, 5, 17, 42], [int(i) for i in np.random.default_rng(31).integers(0, 97, 160)]]


def llama3_rope_divisors(config):
    """rope_freqs.weight as llama.cpp's converter computes it for rope_type llama3: per frequency,
    the divisor of theta^(-2i/d) (1 for short wavelengths, `factor` for long, smooth between)."""
    import math

    s = config["rope_scaling"]
    dim = config["head_dim"]
    freqs = 1.0 / (config["rope_theta"] ** (torch.arange(0, dim, 2, dtype=torch.float32) / dim))
    original = s["original_max_position_embeddings"]
    low_wavelen = original / s["low_freq_factor"]
    high_wavelen = original / s["high_freq_factor"]
    divisors = []
    for freq in freqs.tolist():
        wavelen = 2 * math.pi / freq
        if wavelen < high_wavelen:
            divisors.append(1.0)
        elif wavelen > low_wavelen:
            divisors.append(s["factor"])
        else:
            smooth = (original / wavelen - s["low_freq_factor"]) / (s["high_freq_factor"] - s["low_freq_factor"])
            divisors.append(1 / ((1 - smooth) / s["factor"] + smooth))
    return np.array(divisors, dtype=np.float32)


def random_k_blocks(rng, qtype, rows, row_length, std):
    """Random bytes for rows x row_length values of `qtype`, scales set for the given std."""
    block, size = gguf.GGML_QUANT_SIZES[qtype]
    n_blocks = rows * row_length // block
    blocks = rng.integers(0, 256, size=(n_blocks, size), dtype=np.uint8)
    one = np.full(n_blocks, 1.0, dtype=np.float16).view(np.uint8).reshape(n_blocks, 2)
    for offset in K_SCALE_FIELDS[qtype]:
        blocks[:, offset:offset + 2] = one
    # Values are linear in (d, dmin) together: scale both to reach the wanted spread.
    spread = gguf.quants.dequantize(blocks.reshape(rows, -1), qtype).std()
    scale = np.full(n_blocks, std / spread, dtype=np.float16).view(np.uint8).reshape(n_blocks, 2)
    for offset in K_SCALE_FIELDS[qtype]:
        blocks[:, offset:offset + 2] = scale
    return blocks.reshape(rows, -1)


def write_llama31_kquant():
    from transformers import LlamaConfig, LlamaForCausalLM

    config = LLAMA31
    rng = np.random.default_rng(2024_07_23)  # Llama 3.1's release date
    path = OUT / "llama31.kquant.gguf"
    writer = gguf.GGUFWriter(str(path), arch="llama")
    add_hparams(writer, "llama", config, gguf.LlamaFileType.MOSTLY_Q4_K_M)
    writer.add_tensor("rope_freqs.weight", llama3_rope_divisors(config))
    for name, qtype, rows, length in LLAMA31_TENSORS:
        if qtype == T.F32:
            writer.add_tensor(name, (1.0 + 0.3 * rng.standard_normal(length)).astype(np.float32))
        else:
            writer.add_tensor(name, random_k_blocks(rng, qtype, rows, length, 0.05), raw_dtype=qtype)
    finish(writer)

    weights = dequantized_weights(path, config)

    def logits(rope_scaling):
        hf = {k: v for k, v in config.items() if k not in ("architectures", "model_type", "torch_dtype")}
        hf["rope_scaling"] = rope_scaling
        model = LlamaForCausalLM(LlamaConfig(**hf, attn_implementation="eager")).eval()
        missing, unexpected = model.load_state_dict({k: torch.from_numpy(v) for k, v in weights.items()},
                                                    strict=False)
        assert not unexpected and all("rotary" in m for m in missing), (missing, unexpected)
        with torch.no_grad():
            return [model(torch.tensor([ids])).logits[0].numpy().astype(np.float32) for ids in IDS_K]

    reference = {f"ids.{i}": np.array(ids, dtype=np.int64) for i, ids in enumerate(IDS_K)}
    scaled = logits(config["rope_scaling"])
    unscaled = logits(None)
    for i, value in enumerate(scaled):
        reference[f"logits.{i}"] = value
    for key, w in weights.items():
        if w.ndim == 2:  # rows LLAMA31_ROWS exactly, and sums over the whole matrix
            reference[f"weight.{key}"] = np.ascontiguousarray(w[[r if r >= 0 else w.shape[0] + r for r in LLAMA31_ROWS]])
            w64 = w.astype(np.float64)
            reference[f"sums.{key}"] = np.array([w64.sum(), np.abs(w64).sum(), (w64 * w64).sum()])
    save_file(reference, str(OUT / "llama31-kquant-reference.safetensors"))
    print(f"{path.name}: logits std {scaled[1].std():.3g}; without the rope scaling they would "
          f"differ by up to {max(np.abs(a - b).max() for a, b in zip(scaled, unscaled)):.3g}")


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    overrides = make_overrides()
    save_file(overrides, str(OUT / "overrides.safetensors"))
    for arch in ARCHS:
        config, weights = read_model(arch)
        write_model(OUT / f"{arch}.f32.gguf", arch, config, converted_tensors(arch, config, weights, overrides))
    write_llama_variants(overrides)
    write_spm_vocab()
    write_gpt2_vocab()
    write_qwen2_vocab()
    write_bad_vocab_count()
    write_llama31_kquant()
    total = 0
    for path in sorted(OUT.iterdir()):
        total += path.stat().st_size
        print(f"{path.stat().st_size:>9}  {path.name}")
    print(f"{total:>9}  total")


if __name__ == "__main__":
    main()
