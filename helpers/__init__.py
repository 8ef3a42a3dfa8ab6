"""The finished pieces of the course. Each notebook imports what earlier notebooks taught.

Every piece says in its docstring which notebook teaches it; tests/test_sync.py proves that the
definition in that notebook and the one here are the same.
"""

from helpers.attention import Head, MultiHeadAttention
from helpers.batching import get_batch, train_val_split
from helpers.bigram import BigramLanguageModel, generate
from helpers.blocks import Block, FeedForward
from helpers.data import Corpus, CorpusUnavailable, fetch_corpus, load_corpus
from helpers.device import choose_threads, pick_device
from helpers.plotting import LiveLossPlot, plot_losses
from helpers.report import record
from helpers.settings import SMOKE
from helpers.tokenizer import CharTokenizer
from helpers.training import estimate_loss, train

__all__ = [
    "SMOKE",
    "BigramLanguageModel",
    "Block",
    "FeedForward",
    "Head",
    "MultiHeadAttention",
    "CharTokenizer",
    "Corpus",
    "CorpusUnavailable",
    "LiveLossPlot",
    "choose_threads",
    "estimate_loss",
    "fetch_corpus",
    "generate",
    "get_batch",
    "load_corpus",
    "pick_device",
    "plot_losses",
    "record",
    "train",
    "train_val_split",
]
