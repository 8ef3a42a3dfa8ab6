"""Fixtures shared by the tests: the course's text, one thread for tiny models, and one tiny GPT
to build on."""

import dataclasses
import os

import pytest
import torch

from helpers import GPT, GPTConfig


@pytest.fixture(scope="session", autouse=True)
def tinyshakespeare():
    """The tests use tinyshakespeare even when this machine chose another text for the course
    (COURSE_TEXT, or use_text() in notebook 00); tests that need another text set it themselves.
    Set for the session (the subprocesses the tests start inherit it), restored afterwards."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("COURSE_TEXT", "tinyshakespeare")
        yield


# The smallest GPT that still has everything: two layers of two heads, a context of 8.
TINY = GPTConfig(vocab_size=11, context_length=8, n_embd=16, n_head=2, n_layer=2, dropout=0.0)


def cores_per_worker():
    """Under `make test`'s workers (pytest-xdist), each one's share of the cores, else None."""
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    return max(1, (os.cpu_count() or 1) // workers) if workers > 1 else None


@pytest.fixture(scope="session", autouse=True)
def share_the_cores():
    """Each worker takes its share of the cores, and so do the notebooks and commands it starts
    (COURSE_THREADS and OMP_NUM_THREADS, unless you set COURSE_THREADS): two workers each running
    PyTorch on every core fight over them (a notebook's cell ran 13 times slower)."""
    share = cores_per_worker()
    if share is None:
        yield
        return
    old = torch.get_num_threads()
    torch.set_num_threads(share)
    with pytest.MonkeyPatch.context() as mp:
        if not os.environ.get("COURSE_THREADS"):
            mp.setenv("COURSE_THREADS", str(share))
            mp.setenv("OMP_NUM_THREADS", str(share))  # PyTorch's threads in a new process
        yield
    torch.set_num_threads(old)


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
