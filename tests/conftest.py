import pytest
import torch


@pytest.fixture
def one_thread():
    """Tiny models on a busy machine run far faster on one thread than on several."""
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)
