"""Where the model runs and in what precision: which device, on a CPU how many threads, and on a
GPU mixed precision, TF32, fused AdamW and torch.compile.

Notebook 00 explains the device and thread choices these functions print; notebook 09 and
docs/GPU.md the GPU's speed-ups, which the long-run trainer (course/trainer.py) switches on.
"""

import contextlib
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


# --- precision and speed on a GPU (used by the trainer) ----------------------------------------


def native_bf16(device):
    """True on a CUDA GPU whose tensor cores compute in bfloat16 (compute capability 8.0 and up:
    A100, H100, RTX 30xx/40xx, L4). Older GPUs (T4, V100, RTX 20xx) only emulate it, slowly, even
    though torch.cuda.is_bf16_supported() may say yes."""
    return device.type == "cuda" and torch.cuda.get_device_capability(device) >= (8, 0)


def autocast_dtype(requested, device):
    """The dtype for autocast (torch.bfloat16 or torch.float16), or None for plain float32.

    "auto": on a CUDA GPU, bfloat16 where it is native, else float16 (with loss scaling, see
    precision); on a CPU or an Apple GPU float32 (low precision is slower on most CPUs, and
    has known problems on MPS). bfloat16 asked for on a GPU that only emulates it: float16,
    with a notice.
    """
    if requested == "float32" or (requested == "auto" and device.type != "cuda"):
        return None
    if requested == "bfloat16" and device.type == "cuda" and not native_bf16(device):
        major, minor = torch.cuda.get_device_capability(device)
        print(
            f"{torch.cuda.get_device_name(device)} (compute capability {major}.{minor}) has no "
            "native bfloat16 (it would be emulated, slowly): using float16 with loss scaling."
        )
        return torch.float16
    if requested == "auto":
        return torch.bfloat16 if native_bf16(device) else torch.float16
    return {"bfloat16": torch.bfloat16, "float16": torch.float16}[requested]


def precision(requested, device):
    """(autocast context, GradScaler) for `requested` on `device`; the scaler is on only for
    float16, whose small range would round small gradients to zero without it."""
    dtype = autocast_dtype(requested, device)
    amp = torch.autocast(device.type, dtype=dtype) if dtype else contextlib.nullcontext()
    return amp, torch.amp.GradScaler(device.type, enabled=dtype == torch.float16), dtype


@contextlib.contextmanager
def tf32(device):
    """TF32 matrix multiplies (float32 on tensor cores, ~3 digits) while training on a CUDA GPU,
    and the setting as it was afterwards: a later cell comparing outputs is not affected."""
    if device.type != "cuda":
        yield
        return
    before = torch.get_float32_matmul_precision(), torch.backends.cudnn.allow_tf32
    torch.set_float32_matmul_precision("high")
    torch.backends.cudnn.allow_tf32 = True
    try:
        yield
    finally:
        torch.set_float32_matmul_precision(before[0])
        torch.backends.cudnn.allow_tf32 = before[1]


def synchronize(device):
    """Wait for the GPU to finish queued work, so a timer read next measures it."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


def fused_adamw_ok(device):
    """Fused AdamW exists on CUDA, and on a CPU from PyTorch 2.4 (about 4x faster there)."""
    if device.type not in ("cuda", "cpu"):
        return False
    try:
        torch.optim.AdamW([torch.zeros(1, device=device, requires_grad=True)], fused=True)
        return True
    except (RuntimeError, ValueError):
        return False


def compiled(model, device, wanted, batch_size, amp):
    """torch.compile(model) if wanted (None: on CUDA only), compiled now on a batch of the
    training's shape, so that the wait is not counted as training time and a machine that cannot
    compile (no C compiler, no Triton) falls back to eager with a notice. `amp` is the training's
    autocast context: the graph is compiled for the precision it will run in.
    Returns (forward, seconds the compilation took)."""
    if not (wanted if wanted is not None else device.type == "cuda"):
        return model, 0.0
    print(
        "torch.compile: compiling the model, usually under a minute (once per run) ...", flush=True
    )
    start = time.perf_counter()
    forward = torch.compile(model)
    try:
        shape = (batch_size, model.config.context_length)
        x = torch.zeros(shape, dtype=torch.long, device=device)
        with amp:  # two tensors, as in training (the same one twice would compile another graph)
            _, loss = forward(x, torch.zeros_like(x))
        loss.backward()  # compiles the forward and backward graphs now
        model.zero_grad(set_to_none=True)
    except Exception as error:  # compile needs a C compiler (and Triton on a GPU)
        print(
            f"torch.compile failed ({type(error).__name__}: {str(error)[:200]}); training without it."
        )
        model.zero_grad(set_to_none=True)
        return model, 0.0
    synchronize(device)
    return forward, time.perf_counter() - start
