"""Automatic feedback for the exercises at the end of each notebook.

Each `check_...` runs your code on small inputs ("probes") and prints either a tick or what was
expected, what came back and a hint. It never raises, so "Run All" keeps going while an exercise is
unfinished. The first error your code raises ends the check with a fail: a tick means every probe
ran. It returns a `Verdict`, true when every probe passed (`assert check_...(...)` works), which
Jupyter does not display: the printed message is the whole answer. Solutions are in
notebooks/solutions/.

`core` holds what every check is built on; each `nbNN_<notebook>` module checks notebook NN's
exercises, in the order the notebook sets them. Import the checks from here, e.g.
`from helpers.course.checks import check_head`.
"""

from .core import Verdict
from .nb01_data_and_tokenizer import check_encode_decode, check_encode_lossy, check_most_common
from .nb02_batching import check_examples_per_batch, check_get_batch, check_iterate_batches
from .nb03_bigram import (
    check_bigram_loss,
    check_bigram_nll,
    check_sample_bigram,
    check_trigram_probs,
)
from .nb04_attention_trick import check_causal_average, check_window_average
from .nb05_one_head import check_head, check_window_attention_weights
from .nb06_many_heads import check_mha_param_count, check_multi_head
from .nb07_blocks import check_block, check_post_ln_block
from .nb08_transformer import check_gpt_param_count, check_sample_next, check_top_p
from .nb09_training_well import check_bits_per_character, check_lr_schedule
from .nb10_playground import check_continuation_logprob, check_most_likely_next
from .nb11_modern_gpt import check_rope_interleaved, check_swiglu_width
from .nb12_training_modern_gpt import check_orthogonalize_svd, check_sliding_cache_floats
from .nb13_many_gpus import check_accumulated_grads, check_batch_shares
from .nb14_subword_tokens import check_encode_with_merges, check_merge_and_count

__all__ = [
    "Verdict",
    "check_encode_decode",
    "check_most_common",
    "check_encode_lossy",
    "check_get_batch",
    "check_examples_per_batch",
    "check_iterate_batches",
    "check_bigram_loss",
    "check_bigram_nll",
    "check_sample_bigram",
    "check_trigram_probs",
    "check_causal_average",
    "check_window_average",
    "check_head",
    "check_window_attention_weights",
    "check_multi_head",
    "check_mha_param_count",
    "check_block",
    "check_post_ln_block",
    "check_sample_next",
    "check_gpt_param_count",
    "check_top_p",
    "check_lr_schedule",
    "check_bits_per_character",
    "check_most_likely_next",
    "check_continuation_logprob",
    "check_swiglu_width",
    "check_rope_interleaved",
    "check_orthogonalize_svd",
    "check_sliding_cache_floats",
    "check_batch_shares",
    "check_accumulated_grads",
    "check_encode_with_merges",
    "check_merge_and_count",
]
