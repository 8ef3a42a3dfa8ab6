"""Training on several processes with DistributedDataParallel (DDP), started by PyTorch's torchrun.

    torchrun --standalone --nproc_per_node=2 -m helpers train --preset cpu      # one machine
    torchrun --nnodes=2 --nproc_per_node=8 --rdzv-backend c10d \\
        --rdzv-endpoint=HOST:29500 --rdzv-id=gpt -m helpers train --preset gpu  # on each machine

torchrun starts one process (a "rank") per GPU and tells each its number through environment
variables; this module reads them, joins the ranks into a process group (NCCL on CUDA GPUs,
Gloo on CPUs) and provides the few things the trainer needs to train as one process would:

- the global batch (`--batch-size`) is split across the ranks; where it does not divide, some
  ranks take one row more, and each rank's mean loss is weighted by local * world / global, so the
  averaged gradient is exactly the gradient of the global batch (no gradient accumulation needed);
- every rank draws the global batch's positions from the same seeded generator and keeps its own
  rows: different rows on every rank, and together exactly the batch one process would draw;
- the loss each step reports, the training clock and the decision to stop are shared, so every
  rank takes the same steps with the same learning rates and stops at the same step;
- collectives time out after TIMEOUT, so a rank that hangs cannot keep the others waiting forever
  (torchrun itself stops every rank as soon as one of them exits with an error).

Only rank 0 prints, evaluates for the plot, takes the checkpoint's lock and writes checkpoints,
which hold the plain model: a checkpoint written by N ranks resumes on any number of ranks.
"""

import contextlib
import datetime
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.distributed as dist

# How long a collective may wait for the other ranks before it fails: longer than anything one rank
# does alone (compiling, saving a checkpoint), short enough that a stuck run ends on its own.
TIMEOUT = datetime.timedelta(minutes=5)
VARIABLES = ("RANK", "LOCAL_RANK", "WORLD_SIZE", "LOCAL_WORLD_SIZE")


@dataclass(frozen=True)
class Ranks:
    """Which process this is among how many. `Ranks()` is a plain run of one process."""

    rank: int = 0
    local_rank: int = 0  # its number on this machine: which GPU it uses
    world_size: int = 1
    local_world_size: int = 1  # processes on this machine
    backend: str | None = None  # "nccl" or "gloo" once the process group is up, else None

    @property
    def main(self):
        return self.rank == 0

    @property
    def distributed(self):
        return self.backend is not None


SINGLE = Ranks()


def launched():
    """True in a process started by torchrun (it sets RANK, WORLD_SIZE, ...)."""
    return all(name in os.environ for name in VARIABLES)


def from_environment():
    """The Ranks torchrun describes in the environment (backend None: not joined yet)."""
    try:
        values = {name: int(os.environ[name]) for name in VARIABLES}
    except (KeyError, ValueError) as e:
        raise RuntimeError(
            f"this process was not started by torchrun as expected ({e}): start it with "
            "torchrun --nproc_per_node=N -m helpers train ..."
        ) from e
    return Ranks(*(values[name] for name in VARIABLES))


def device_for(device, ranks):
    """The device this rank trains on: on CUDA its own GPU, cuda:LOCAL_RANK."""
    if device.type == "mps":
        raise RuntimeError(
            "torchrun with an Apple GPU (mps) is not supported by PyTorch's DDP: use --device cpu."
        )
    if device.type != "cuda":
        return device
    if ranks.local_rank >= torch.cuda.device_count():
        raise RuntimeError(
            f"rank {ranks.rank} needs GPU {ranks.local_rank}, but this machine has "
            f"{torch.cuda.device_count()}: use --nproc_per_node={torch.cuda.device_count()} or less."
        )
    return torch.device("cuda", ranks.local_rank)


def start(ranks, device):
    """Join the process group: NCCL between CUDA GPUs, Gloo between CPUs. Returns the Ranks."""
    backend = "nccl" if device.type == "cuda" else "gloo"
    if device.type == "cuda":
        torch.cuda.set_device(device)
    dist.init_process_group(backend, timeout=TIMEOUT)
    return Ranks(ranks.rank, ranks.local_rank, ranks.world_size, ranks.local_world_size, backend)


def stop():
    """Leave the process group (after a run that ended normally)."""
    if dist.is_initialized():
        dist.destroy_process_group()


def batch_shares(global_batch, world_size):
    """How many rows of the global batch each rank takes: as even as possible, the first ranks
    one more where it does not divide (10 on 4 ranks: 3, 3, 2, 2)."""
    if global_batch < world_size:
        raise ValueError(
            f"a global batch of {global_batch} cannot be split across {world_size} processes "
            f"(each needs at least one row): use --batch-size {world_size} or more."
        )
    base, extra = divmod(global_batch, world_size)
    return [base + (r < extra) for r in range(world_size)]


def my_rows(global_batch, ranks):
    """This rank's rows of the global batch, as a slice (None in a plain run: all of them)."""
    if not ranks.distributed:
        return None
    shares = batch_shares(global_batch, ranks.world_size)
    start = sum(shares[: ranks.rank])
    return slice(start, start + shares[ranks.rank])


def loss_weight(global_batch, ranks):
    """local * world / global: DDP averages the ranks' gradients, so weighting each rank's mean
    loss by this makes the average the gradient of the global batch's mean loss (1 when even)."""
    local = batch_shares(global_batch, ranks.world_size)[ranks.rank]
    return local * ranks.world_size / global_batch


def data_parallel(forward, global_batch, ranks, device):
    """`forward` (the model, compiled or not) wrapped in DistributedDataParallel, its loss weighted
    by loss_weight. DDP sums the gradients of every rank during backward (the all-reduce) and
    divides by the number of ranks, so every rank takes the same optimizer step. A plain run gets
    `forward` back unchanged."""
    if not ranks.distributed:
        return forward
    from torch.nn.parallel import DistributedDataParallel

    ddp = DistributedDataParallel(
        forward, device_ids=[device.index] if device.type == "cuda" else None
    )
    weight = loss_weight(global_batch, ranks)

    def ddp_forward(x, y):
        logits, loss = ddp(x, y)
        return logits, loss if weight == 1 else loss * weight

    return ddp_forward


def mean_loss(loss, ranks):
    """The global batch's mean loss from each rank's (weighted) loss: the mean over the ranks."""
    if not ranks.distributed:
        return loss
    total = loss.detach().clone()
    dist.all_reduce(total)  # a sum: Gloo has no average
    return total / ranks.world_size


def from_main(value, ranks):
    """Rank 0's `value` (any picklable value), on every rank: one clock, one decision to stop."""
    if not ranks.distributed:
        return value
    box = [value]
    dist.broadcast_object_list(box, src=0)
    return box[0]


@contextlib.contextmanager
def quiet_unless_main(ranks):
    """Rank 0 prints; the others' output (the same lines again) goes nowhere. Errors still show."""
    if ranks.main:
        yield
        return
    with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
        yield


# --- launching the training command from a notebook (notebook 13) -------------------------------


def train_command(nproc, *args):
    """The training command as a list: one plain process (nproc None), or torchrun with `nproc`
    ranks on this machine. `python -m torch.distributed.run` is what the `torchrun` command runs;
    started with this Python it needs nothing on the PATH."""
    launcher = [sys.executable]
    if nproc is not None:
        launcher += ["-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={nproc}"]
    return [*launcher, "-m", "helpers", "train", *map(str, args)]


def _from_root(arg, root):
    """A path inside the course folder, relative to it (the command runs there), so that neither the
    command shown nor what it prints holds a path of this machine; anything else as it is."""
    if isinstance(arg, Path) and arg.is_absolute():
        try:
            return arg.resolve().relative_to(root)
        except ValueError:
            return arg
    return arg


def launch_train(nproc, *args, timeout=3600):
    """Run the training command (see train_command) in new processes, show its output as it
    comes, and return its wall-clock seconds. A failed run raises RuntimeError with its last lines.
    A notebook's kernel is one process: the ranks of a DDP run must be processes of their own."""
    from helpers.course import settings

    # it runs in the course folder; installed, in the current one (never inside the package, where
    # its default checkpoint folder would be): PYTHONPATH makes it import this copy of helpers
    root = settings.ROOT if settings.in_checkout() else Path.cwd()
    args = [_from_root(arg, root) for arg in args]
    command = train_command(nproc, *args)
    shown = "torchrun --standalone --nproc_per_node=%d" % nproc if nproc else "python"
    print("$", shown, "-m helpers train", " ".join(map(str, args)), flush=True)
    env = {**os.environ, "PYTHONPATH": str(settings.PACKAGE_PARENT), "PYTHONUNBUFFERED": "1"}
    if nproc:  # the cores shared between the ranks (torchrun would say it chose 1 thread each)
        env.setdefault("OMP_NUM_THREADS", str(max(1, (os.cpu_count() or 1) // nproc)))
    start = time.perf_counter()
    tail = []
    with subprocess.Popen(
        command, cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    ) as process:
        try:
            for line in process.stdout:
                print(line, end="", flush=True)
                tail = (tail + [line])[-30:]
            process.wait(timeout=timeout)
        except BaseException:  # the notebook's stop button: stop the run too
            process.terminate()
            raise
    if process.returncode != 0:
        raise RuntimeError(
            f"the training command failed (exit status {process.returncode}):\n" + "".join(tail)
        )
    return time.perf_counter() - start
