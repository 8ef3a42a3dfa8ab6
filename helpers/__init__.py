"""What you built: every piece the notebooks teach, in course order.

Each piece says in its docstring which notebook teaches it, and tests/test_sync.py proves that the
definition in that notebook and the one here are the same. What the course runs around these
pieces (corpus, device, plots, the long-run trainer, checkpoints, playground, checks, ...) lives in
`helpers.course`; nothing there is taught.

`from helpers import GPT` loads the file that holds it on first use: the pieces need PyTorch, and
`python -m helpers doctor` must be able to say that it is missing.
"""

import importlib

# each piece -> the file in helpers/ that holds it, in the order the notebooks teach them
_PIECES = {
    "CharTokenizer": "tokenizer",  # notebook 01
    "train_val_split": "batching",  # notebook 02
    "get_batch": "batching",
    "BigramLanguageModel": "bigram",  # notebook 03
    "generate": "bigram",
    "estimate_loss": "training",
    "train": "training",
    "Head": "attention",  # notebook 05
    "attention_weights": "attention",
    "MultiHeadAttention": "attention",  # notebook 06
    "FeedForward": "blocks",  # notebook 07
    "Block": "blocks",
    "GPTConfig": "gpt",  # notebook 08
    "CausalSelfAttention": "attention",
    "copy_heads": "attention",
    "sample_next": "gpt",
    "GPT": "gpt",
    "evaluate": "training",  # notebook 09
    "lr_at": "training",
    "configure_optimizer": "training",
    "fit": "training",
    "attend_with_cache": "attention",
    "forward_with_cache": "gpt",
    "generate_with_cache": "gpt",
    "RMSNorm": "modern",  # notebook 11
    "rope_tables": "modern",
    "apply_rope": "modern",
    "ModernAttention": "modern",
    "swiglu_hidden": "modern",
    "SwiGLU": "modern",
    "drop_biases": "modern",
    "ModernConfig": "modern",
    "ModernBlock": "modern",
    "ModernGPT": "modern",
    "orthogonalize": "modern",  # notebook 12
    "Muon": "modern",
    "configure_muon": "modern",
    "lr_wsd": "modern",
    "forward_sliding": "modern",
    "generate_sliding": "modern",
    "get_stats": "bpe",  # notebook 14
    "merge": "bpe",
    "build_vocab": "bpe",
    "pre_tokenize": "bpe",
    "tie_break_key": "bpe",
    "train_bpe": "bpe",
    "BPETokenizer": "bpe",
}
__all__ = list(_PIECES)


def __getattr__(name):
    if name not in _PIECES:
        raise AttributeError(f"module 'helpers' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"helpers.{_PIECES[name]}"), name)
    globals()[name] = value  # loaded once
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
