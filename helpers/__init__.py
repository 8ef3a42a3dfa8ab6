# ruff: noqa: I001 (the imports follow the course, notebook by notebook, not the alphabet)
"""What you built: every piece the notebooks teach, in course order.

Each piece says in its docstring which notebook teaches it, and tests/test_sync.py proves that the
definition in that notebook and the one here are the same. What the course runs around these
pieces (corpus, device, plots, the long-run trainer, checkpoints, playground, checks, ...) lives in
`helpers.course`; nothing there is taught.
"""

from helpers.tokenizer import CharTokenizer  # notebook 01
from helpers.batching import get_batch, train_val_split  # notebook 02
from helpers.bigram import BigramLanguageModel, generate  # notebook 03
from helpers.training import estimate_loss, train  # notebook 03
from helpers.attention import Head, attention_weights  # notebook 05
from helpers.attention import MultiHeadAttention  # notebook 06
from helpers.blocks import Block, FeedForward  # notebook 07
from helpers.gpt import GPT, GPTConfig, sample_next  # notebook 08
from helpers.attention import CausalSelfAttention, copy_heads  # notebook 08
from helpers.training import configure_optimizer, evaluate, fit, lr_at  # notebook 09
from helpers.attention import attend_with_cache  # notebook 09
from helpers.gpt import forward_with_cache, generate_with_cache  # notebook 09
from helpers.modern import RMSNorm, rope_tables, apply_rope, ModernAttention  # notebook 11
from helpers.modern import swiglu_hidden, SwiGLU, drop_biases  # notebook 11
from helpers.modern import ModernConfig, ModernBlock, ModernGPT  # notebook 11
from helpers.modern import orthogonalize, Muon, configure_muon, lr_wsd  # notebook 12
from helpers.modern import forward_sliding, generate_sliding  # notebook 12

__all__ = [
    "CharTokenizer",
    "train_val_split",
    "get_batch",
    "BigramLanguageModel",
    "generate",
    "estimate_loss",
    "train",
    "Head",
    "attention_weights",
    "MultiHeadAttention",
    "FeedForward",
    "Block",
    "GPTConfig",
    "CausalSelfAttention",
    "copy_heads",
    "sample_next",
    "GPT",
    "evaluate",
    "lr_at",
    "configure_optimizer",
    "fit",
    "attend_with_cache",
    "forward_with_cache",
    "generate_with_cache",
    "RMSNorm",
    "rope_tables",
    "apply_rope",
    "ModernAttention",
    "swiglu_hidden",
    "SwiGLU",
    "drop_biases",
    "ModernConfig",
    "ModernBlock",
    "ModernGPT",
    "orthogonalize",
    "Muon",
    "configure_muon",
    "lr_wsd",
    "forward_sliding",
    "generate_sliding",
]
