"""Fixtures shared by the tests: one thread for tiny models, and one tiny GPT to build on."""

import dataclasses
import os

import pytest
import torch

from helpers import GPT, GPTConfig

# The tests use tinyshakespeare even when this machine chose another text for the course
# (COURSE_TEXT, or use_text() in notebook 00); tests that need another text set it themselves.
os.environ["COURSE_TEXT"] = "tinyshakespeare"

# The smallest GPT that still has everything: two layers of two heads, a context of 8.
TINY = GPTConfig(vocab_size=11, context_length=8, n_embd=16, n_head=2, n_layer=2, dropout=0.0)


@pytest.fixture
def one_thread():
    """Tiny models on a busy machine run far faster on one thread than on several."""
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)


@pytest.fixture(scope="session")
def tiny_gpt():
    """`tiny_gpt(seed=0, **changes)`: a freshly seeded tiny GPT in eval mode, its config TINY with
    `changes` applied. `tiny_gpt().config` is TINY itself."""

    def build(seed=0, **changes):
        torch.manual_seed(seed)
        return GPT(dataclasses.replace(TINY, **changes)).eval()

    return build
