"""Where the model runs: which device, and on a CPU how many threads.

Notebook 00 explains the choices these functions print.
"""

import os
import time

import torch

from helpers.course import settings


def pick_device(preferred=None, verbose=True):
    """Choose cuda, then mps (Apple GPU), then cpu, and say why.

    Override with the argument (a string such as "cpu" or a torch.device) or the COURSE_DEVICE
    environment variable (e.g. COURSE_DEVICE=cpu). Returns a torch.device.
    """
    say = print if verbose else (lambda *a, **k: None)
    preferred = preferred or settings.device_choice()
    if preferred:
        device = torch.device(preferred)
        if device.type == "cuda" and not torch.cuda.is_available():
            raise RuntimeError(
                f"You asked for {preferred!r}, but PyTorch sees no CUDA GPU here. Use 'cpu'."
            )
        if device.type == "mps" and not torch.backends.mps.is_available():
            raise RuntimeError(
                f"You asked for {preferred!r}, but the Apple GPU (MPS) is not available. Use 'cpu'."
            )
        say(f"device: {device} (you asked for it)")
        return device
    if torch.cuda.is_available():
        say(f"device: cuda ({torch.cuda.get_device_name(0)}): an NVIDIA GPU was found.")
        return torch.device("cuda")
    if torch.backends.mps.is_available():
        say("device: mps: an Apple GPU was found.")
        return torch.device("mps")
    say("device: cpu: no CUDA or Apple GPU was found; the course is sized to run on a CPU.")
    return torch.device("cpu")


def _probe(threads, repeats=3):
    """Seconds for a few forward+backward passes of a small Transformer-sized matmul load."""
    old = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        g = torch.Generator().manual_seed(0)
        x = torch.randn(32 * 64, 128, generator=g)
        w1 = torch.randn(128, 512, generator=g, requires_grad=True)
        w2 = torch.randn(512, 128, generator=g, requires_grad=True)
        best = float("inf")
        for _ in range(repeats):
            start = time.perf_counter()
            for _ in range(4):
                (torch.relu(x @ w1) @ w2).square().mean().backward()
            best = min(best, time.perf_counter() - start)
        return best
    finally:
        torch.set_num_threads(old)


def choose_threads(threads=None, verbose=True):
    """Set and return the number of CPU threads PyTorch uses, chosen deliberately.

    With several cores, more threads usually help, but on a busy machine they hurt badly (on a
    2-core laptop with another program holding a core, 2 threads ran 3-7x slower than 1). So
    unless told otherwise, this times a small probe with 1 thread and with every core and keeps
    the faster. A notebook may pass its own choice (tiny models run best on one thread); the
    COURSE_THREADS environment variable overrides both.
    """
    say = print if verbose else (lambda *a, **k: None)
    cores = os.cpu_count() or 1
    if settings.threads():  # your setting wins over the notebook's choice
        threads = settings.threads()
        torch.set_num_threads(threads)
        say(f"threads: {threads} (set by COURSE_THREADS; this machine has {cores} cores)")
        return threads
    if threads:
        threads = max(1, int(threads))
        torch.set_num_threads(threads)
        say(
            f"threads: {threads} (chosen for this notebook; this machine has {cores} cores; set COURSE_THREADS to override)"
        )
        return threads
    if cores == 1:
        torch.set_num_threads(1)
        say("threads: 1 (this machine has one core)")
        return 1
    one, many = _probe(1), _probe(cores)
    threads = cores if many < one else 1
    torch.set_num_threads(threads)
    say(
        f"threads: {threads} (probe: 1 thread {one * 1000:.0f} ms, {cores} threads "
        f"{many * 1000:.0f} ms; set COURSE_THREADS to override)"
    )
    return threads


def speed_probe(samples=5):
    """How fast this machine is now: seconds for a fixed small training-like workload at the
    current thread count, measured `samples` times. Returns (median, fastest, slowest): the
    median is the estimate, the spread says how steady the machine is at the moment.

    Notebook 00 compares it with the same probe on the course's reference machine to predict how
    long each notebook will take here.
    """
    times = sorted(_probe(torch.get_num_threads()) for _ in range(samples))
    return times[len(times) // 2], times[0], times[-1]
