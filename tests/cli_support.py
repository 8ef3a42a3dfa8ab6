"""Running `python -m helpers <command>` in the test's own process (test_course_cli.py,
test_course_distributed.py): a new Python and PyTorch for each command took most of their time."""

import contextlib
import io
import os
import subprocess
import sys

import torch


def run_cli(command, *args, cwd, env=None):
    """`python -m helpers <command> <args>` on one thread (tiny models), run in this process by
    the same `main` that `python -m helpers` calls: its exit status, stdout and stderr, as a
    subprocess would give them. What needs a process of its own (Ctrl-C, two runs at once,
    torchrun's ranks) is started with subprocess."""
    from helpers.course import cli

    threads = (
        ["--threads", "1"] if command in ("train", "sample") and "--threads" not in args else []
    )
    argv = [*([command] if command else []), *map(str, args), *threads]
    out, err = io.StringIO(), io.StringIO()
    saved_env, saved_argv, saved_cwd = dict(os.environ), sys.argv, os.getcwd()
    saved_threads, saved_rng = torch.get_num_threads(), torch.get_rng_state()
    try:
        os.environ.update(env or {})
        sys.argv = ["python -m helpers", *argv]  # what resume_command reads
        os.chdir(cwd)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = cli.main(argv)
            except SystemExit as e:  # fail() and argparse end with sys.exit(2)
                code = e.code if isinstance(e.code, int) else 1
    finally:
        os.chdir(saved_cwd)
        sys.argv = saved_argv
        os.environ.clear()
        os.environ.update(saved_env)
        torch.set_num_threads(saved_threads)
        torch.set_rng_state(saved_rng)
    return subprocess.CompletedProcess(argv, code or 0, out.getvalue(), err.getvalue())
