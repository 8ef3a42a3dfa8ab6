"""Notebook 14's byte-level BPE against Hugging Face tokenizers and tiktoken: training and encoding time.

    python bench/bpe_speed.py                     # tinyshakespeare, vocab_size 2048, best of 3
    python bench/bpe_speed.py --vocab-size 4096 --repeats 5
    python bench/bpe_speed.py --one-thread        # tokenizers on one core, as ours and tiktoken
    python bench/bpe_speed.py --dry-run           # the first 100,000 characters, once: a rehearsal

In one run, on the same text:

1. training: helpers.bpe.train_bpe against tokenizers' BpeTrainer (models.BPE, the ByteLevel
   pre-tokenizer, which uses GPT-2's pattern too, the 256 bytes as its first tokens, the same
   vocab_size, no special tokens, show_progress=False);
2. encoding the whole text: our BPETokenizer, tiktoken built from our merges (its ids are checked
   to be ours), and the tokenizers tokenizer that BpeTrainer trained. Each encoder is built afresh
   before each timing, so that no cache of pre-tokens carries over from one repeat to the next.

Each time is the best of --repeats; the ratios are ours ÷ theirs (above 1: ours is slower). The
table also gives the tokens of the whole text, characters per token, and how many of our merges
tokenizers learned too (ties between equally frequent pairs are broken differently). tokenizers
uses every core unless --one-thread; ours and tiktoken's encode use one.

Results: bench/bpe_speed.json and bench/BPE_SPEED.md (with --dry-run: build/bpe_speed_dry/,
with --out: that folder). Time nothing else on the machine meanwhile.
"""

import argparse
import datetime
import json
import os
import platform
import sys
import time
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from modern_ablation import machine  # noqa: E402  (bench/: the same CPU description)

from helpers.bpe import GPT2_SPLIT_PATTERN, BPETokenizer, train_bpe  # noqa: E402
from helpers.course.corpus import fetch_corpus  # noqa: E402
from helpers.course.files import atomic_write  # noqa: E402

HERE = Path(__file__).resolve().parent
DRY_RUN_CHARACTERS = 100_000


def package(name):
    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


def best_of(repeats, prepare, run):
    """The shortest of `repeats` timings of run(prepare()), and the last result; prepare() is
    not timed."""
    best, result = float("inf"), None
    for _ in range(repeats):
        ready = prepare()
        began = time.perf_counter()
        result = run(ready)
        best = min(best, time.perf_counter() - began)
    return best, result


def bytes_to_unicode():
    """GPT-2's map from each byte to the printable character tokenizers' ByteLevel writes it as."""
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1)]
    printable += range(ord("®"), ord("ÿ") + 1)
    chars, extra = {}, 0
    for b in range(256):
        if b in printable:
            chars[b] = chr(b)
        else:
            chars[b] = chr(256 + extra)
            extra += 1
    return chars


def hf_trainer(vocab_size):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    def prepare():
        tok = Tokenizer(models.BPE())
        tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
        tok.decoder = decoders.ByteLevel()
        trainer = trainers.BpeTrainer(
            vocab_size=vocab_size,
            show_progress=False,
            initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
            special_tokens=[],
        )
        return tok, trainer

    return prepare


def hf_merges(tok):
    """tokenizers' merges as pairs of bytes, like ours."""
    to_byte = {c: b for b, c in bytes_to_unicode().items()}
    merges = json.loads(tok.to_str())["model"]["merges"]
    pairs = [m.split(" ") if isinstance(m, str) else m for m in merges]
    return [tuple(bytes(to_byte[c] for c in part) for part in pair) for pair in pairs]


def measure(text, vocab_size, repeats):
    import tiktoken
    from tokenizers import Tokenizer

    def hf_train_on_text(ready):
        tok, trainer = ready
        tok.train_from_iterator([text], trainer)
        return tok

    print(f"training, vocab_size={vocab_size} ...", flush=True)
    ours_train, (vocab, merges) = best_of(
        repeats, lambda: None, lambda _: train_bpe(text, vocab_size)
    )
    hf_train, hf_tok = best_of(repeats, hf_trainer(vocab_size), hf_train_on_text)
    theirs = hf_merges(hf_tok)
    first_difference = next(
        (i for i, (a, b) in enumerate(zip(merges, theirs, strict=False)) if a != b),
        min(len(merges), len(theirs)),
    )

    print("encoding the whole text ...", flush=True)
    ours_encode, ours_ids = best_of(
        repeats, lambda: BPETokenizer(vocab, merges), lambda tok: tok.encode(text)
    )
    twin = BPETokenizer(vocab, merges)

    def tiktoken_encoding():
        return tiktoken.Encoding(
            name="course-bpe",
            pat_str=GPT2_SPLIT_PATTERN.pattern,
            mergeable_ranks=twin.mergeable_ranks,
            special_tokens={},
        )

    tt_encode, tt_ids = best_of(repeats, tiktoken_encoding, lambda enc: enc.encode(text))
    stored = hf_tok.to_str()
    hf_encode, hf_ids = best_of(
        repeats, lambda: Tokenizer.from_str(stored), lambda tok: tok.encode(text).ids
    )
    if tt_ids != ours_ids:
        sys.exit("tiktoken built from our merges gave other ids than ours: a bug to look at.")
    if hf_tok.decode(hf_ids) != text:
        sys.exit("tokenizers' ids do not decode to the text.")
    return {
        "train_s": {"ours": ours_train, "tokenizers": hf_train},
        "encode_s": {"ours": ours_encode, "tiktoken": tt_encode, "tokenizers": hf_encode},
        "tokens": {"ours": len(ours_ids), "tiktoken": len(tt_ids), "tokenizers": len(hf_ids)},
        "merges": {
            "ours": len(merges),
            "tokenizers": len(theirs),
            "in_common": len(set(merges) & set(theirs)),
            "same_up_to": first_difference,
        },
        "tiktoken_same_ids": True,
    }


def write_table(record, path, command):
    r, chars = record["results"], record["characters"]
    t, e, n, m = r["train_s"], r["encode_s"], r["tokens"], r["merges"]
    lines = [
        "# Byte-level BPE: training and encoding speed",
        "",
        f"`{command}`, {record['date']}, {record['machine']}, Python {record['python']}, "
        f"torch {record['torch']}, tokenizers {record['tokenizers']}, tiktoken "
        f"{record['tiktoken']}, regex {record['regex']}. Written by the script. "
        f"{record['text']}: {chars:,} characters, vocab_size {record['vocab_size']:,}, the best "
        f"of {record['repeats']} for each time. tokenizers {record['tokenizers_threads']}; ours "
        "and tiktoken's encode run on one core.",
        "",
        "| | ours (helpers.bpe) | tokenizers | tiktoken (our merges) | ours ÷ tokenizers "
        "| ours ÷ tiktoken |",
        "|---|---:|---:|---:|---:|---:|",
        f"| train | {t['ours']:.2f} s | {t['tokenizers']:.2f} s | | "
        f"{t['ours'] / t['tokenizers']:.1f}x | |",
        f"| encode the whole text | {e['ours']:.2f} s | {e['tokenizers']:.2f} s | "
        f"{e['tiktoken']:.2f} s | {e['ours'] / e['tokenizers']:.1f}x | "
        f"{e['ours'] / e['tiktoken']:.1f}x |",
        f"| tokens | {n['ours']:,} | {n['tokenizers']:,} | {n['tiktoken']:,} (the same ids) | | |",
        f"| characters per token | {chars / n['ours']:.2f} | {chars / n['tokenizers']:.2f} | "
        f"{chars / n['tiktoken']:.2f} | | |",
        "",
        f"Merges: ours {m['ours']:,}, tokenizers {m['tokenizers']:,}; {m['in_common']:,} of them "
        f"in both, the first {m['same_up_to']:,} in the same order (equally frequent pairs are "
        "ordered differently: ours takes the greatest pair of bytes).",
        "",
    ]
    with atomic_write(path, "w") as f:
        f.write("\n".join(lines))
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--vocab-size", type=int, default=2048, help="tokens, the 256 bytes included"
    )
    parser.add_argument("--repeats", type=int, default=3, help="best of this many, each time")
    parser.add_argument(
        "--one-thread", action="store_true", help="tokenizers on one core (default: all cores)"
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help=f"the first {DRY_RUN_CHARACTERS:,} characters, vocab_size at most 512, once",
    )
    parser.add_argument("--out", type=Path, help="folder for the results (default: bench/)")
    args = parser.parse_args(argv)
    if args.one_thread:  # read when tokenizers first starts its threads
        os.environ["TOKENIZERS_PARALLELISM"] = "false"
        os.environ["RAYON_NUM_THREADS"] = "1"
    for name in ("tokenizers", "tiktoken"):
        if package(name) == "not installed":
            sys.exit(f"This benchmark needs {name}: pip install {name}")

    text = fetch_corpus(verbose=False).read_text(encoding="utf-8")
    name, vocab_size, repeats = "tinyshakespeare", args.vocab_size, args.repeats
    if args.dry_run:
        text, vocab_size, repeats = text[:DRY_RUN_CHARACTERS], min(vocab_size, 512), 1
        name = f"tinyshakespeare's first {DRY_RUN_CHARACTERS:,} characters"
    out = args.out or (ROOT / "build" / "bpe_speed_dry" if args.dry_run else HERE)
    out.mkdir(parents=True, exist_ok=True)

    results = measure(text, vocab_size, repeats)
    record = {
        "date": datetime.date.today().isoformat(),
        "machine": machine(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "torch": package("torch"),
        "tokenizers": package("tokenizers"),
        "tiktoken": package("tiktoken"),
        "regex": package("regex"),
        "tokenizers_threads": "on one core" if args.one_thread else "on every core",
        "text": name,
        "characters": len(text),
        "vocab_size": vocab_size,
        "repeats": repeats,
        "dry_run": args.dry_run,
        "results": results,
    }
    with atomic_write(out / "bpe_speed.json", "w") as f:
        f.write(json.dumps(record, indent=1) + "\n")
    command = "python bench/bpe_speed.py" + "".join(
        f" {a}" for a in (argv if argv is not None else sys.argv[1:])
    )
    print("\n" + write_table(record, out / "BPE_SPEED.md", command))
    print(f"written: {out / 'bpe_speed.json'}, {out / 'BPE_SPEED.md'}")


if __name__ == "__main__":
    main()
