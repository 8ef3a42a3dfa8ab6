"""Sample text from a trained checkpoint: `python -m helpers.sample`.

    python -m helpers.sample --checkpoint checkpoints/gpu.pt --prompt "ROMEO:" --temperature 0.8 --top-k 40
    python -m helpers.sample --checkpoint checkpoints/cpu.pt --max-new-tokens 2000 --no-kv-cache

An empty prompt starts from a newline. A prompt longer than the model's context is cropped to its
last context_length characters (the model sees no more). --temperature 0 is greedy decoding.
"""

import argparse
import sys

import torch

from helpers.checkpoint import CheckpointError, load_checkpoint, model_from_checkpoint
from helpers.device import pick_device
from helpers.tokenizer import CharTokenizer


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument(
        "--checkpoint",
        required=True,
        help="a file written by python -m helpers.train or notebook 08",
    )
    p.add_argument("--prompt", default="", help="text to continue (default: start from a newline)")
    p.add_argument("--max-new-tokens", type=int, default=500)
    p.add_argument("--temperature", type=float, default=1.0, help="0 = greedy; <1 safer, >1 wilder")
    p.add_argument(
        "--top-k", type=int, default=None, help="sample only among the k likeliest characters"
    )
    p.add_argument("--num-samples", type=int, default=1)
    p.add_argument("--seed", type=int, default=1337)
    p.add_argument("--device", help="cuda, mps or cpu (default: the best available)")
    p.add_argument("--threads", type=int, help="CPU threads (default: PyTorch's choice)")
    p.add_argument(
        "--kv-cache",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="reuse keys and values (faster)",
    )
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    if args.max_new_tokens < 0 or args.num_samples < 1:
        sys.exit("error: --max-new-tokens must be >= 0 and --num-samples >= 1.")
    device = pick_device(args.device, verbose=False)
    if args.threads:
        torch.set_num_threads(args.threads)
    try:
        ckpt = load_checkpoint(args.checkpoint, map_location=device)
    except CheckpointError as e:
        sys.exit(f"error: {e}")
    model = model_from_checkpoint(ckpt, device)
    tokenizer = CharTokenizer(ckpt["vocab"])
    try:
        ids = tokenizer.encode(args.prompt)
    except ValueError as e:
        sys.exit(f"error: {e}")
    context_length = model.config.context_length
    if len(ids) > context_length:
        print(
            f"(the prompt has {len(ids)} characters; the model sees only its last {context_length})",
            file=sys.stderr,
        )
    torch.manual_seed(args.seed)
    idx = torch.tensor([ids] * args.num_samples, dtype=torch.long, device=device).view(
        args.num_samples, len(ids)
    )
    try:
        out = model.generate(
            idx,
            args.max_new_tokens,
            temperature=args.temperature,
            top_k=args.top_k,
            use_kv_cache=args.kv_cache,
        )
    except ValueError as e:
        sys.exit(f"error: {e}")
    for i, row in enumerate(out.tolist()):
        if args.num_samples > 1:
            print(f"--- sample {i + 1} ---")
        print(tokenizer.decode(row))


if __name__ == "__main__":
    main()
