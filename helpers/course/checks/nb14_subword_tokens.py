"""Checks notebook 14's exercises (notebooks/14_subword_tokens.ipynb), in its order:
encode_with_merges, merge_and_count."""

import random
from collections import Counter

from .core import _call, _checker

# A small training text with the patterns the merges should learn, and texts to encode: seen words,
# unseen ones, accents, Greek and an emoji (their bytes have no merges: they stay bytes).
_TRAINING = (
    "First Citizen:\nBefore we proceed any further, hear me speak.\n\n"
    "All:\nSpeak, speak.\n\nFirst Citizen:\nYou are all resolved rather to die than to famish?\n\n"
) * 3
_PROBES = [
    "First Citizen:\nSpeak, speak.",
    "the further speech of the citizens",
    "Résumé: naïve σαίξπηρ 🎭!",
    "",
    "aaaa",
]


def _naive_merges(text, n_merges):
    """The merges of notebook 14's train_naive: (id, id) -> new id, in the order learned."""
    from helpers.bpe import get_stats, merge

    ids, merges = list(text.encode("utf-8")), {}
    for idx in range(256, 256 + n_merges):
        stats = get_stats(ids)
        pair = max(stats, key=stats.get)
        ids = merge(ids, pair, idx)
        merges[pair] = idx
    return merges


def _encode(text, merges, pick_first=True):
    """Encoding with the merges, the learned-first pair each time (or, wrongly, the most frequent)."""
    from helpers.bpe import get_stats, merge

    ids = list(text.encode("utf-8"))
    while len(ids) >= 2:
        stats = get_stats(ids)
        if pick_first:
            pair = min(stats, key=lambda p: merges.get(p, float("inf")))
        else:
            known = {p: n for p, n in stats.items() if p in merges}
            pair = max(known, key=known.get) if known else None
        if pair not in merges:
            break
        ids = merge(ids, pair, merges[pair])
    return ids


@_checker(
    "encode_with_merges",
    hint="ids = list(text.encode('utf-8')); while len(ids) >= 2: stats = get_stats(ids); pair = "
    "min(stats, key=lambda p: merges.get(p, float('inf'))); stop if pair not in merges; else "
    "ids = merge(ids, pair, merges[pair])",
)
def check_encode_with_merges(encode_with_merges):
    """Exercise 1 of notebook 14: encode_with_merges(text, merges) -> the ids of the naive
    tokenizer, the merges replayed on the text's bytes, the earliest-learned first."""
    merges = _naive_merges(_TRAINING, 40)
    problems = []
    for text in _PROBES:
        expected = _encode(text, merges)
        got = _call(
            f"text={text!r}, 40 merges learned on Shakespeare",
            encode_with_merges,
            text,
            dict(merges),
        )
        if isinstance(got, (list, tuple)) and list(got) == expected:
            continue
        if isinstance(got, str):
            why = "a string: return the list of ids"
        elif not isinstance(got, (list, tuple)):
            why = f"a {type(got).__name__}, not a list of ids"
        elif list(got) == list(text.encode("utf-8")):
            why = "the bytes unchanged: no merge was applied"
        elif list(got) == _encode(text, merges, pick_first=False):
            why = "the most frequent pair merged first: replay the merges in the order learned"
        else:
            why = f"{list(got)[:12]}..."
        problems.append((f"{expected[:12]}{'...' if len(expected) > 12 else ''} for {text!r}", why))
    return problems


def _pairs(ids):
    return Counter(zip(ids, ids[1:], strict=False))


@_checker(
    "merge_and_count",
    hint="walk through ids as merge does; at each occurrence of pair at i, counts[pair] -= 1, the "
    "pair before it (ids[i-1], a) becomes (ids[i-1] or the new id just written, idx), the pair "
    "after it (b, ids[i+2]) becomes (idx, ids[i+2]); return the new ids",
)
def check_merge_and_count(merge_and_count):
    """Exercise 2 of notebook 14: merge_and_count(ids, pair, idx, counts) -> merge(ids, pair, idx),
    with counts changed in place from get_stats(ids) to get_stats of the result."""
    from helpers.bpe import merge

    rng = random.Random(0)
    cases = [
        ([1, 2, 3, 1, 2], (1, 2), 9),  # the lecture's shape: two occurrences, one neighbour each
        ([1, 2, 1, 2, 1, 2], (1, 2), 9),  # merged tokens next to each other: (9, 9)
        ([7, 7, 7, 7, 7], (7, 7), 8),  # overlapping occurrences: left to right, (8, 8, 7)
        ([5, 6], (5, 6), 7),  # the whole list
        ([1, 2, 3], (4, 5), 9),  # a pair that does not occur: nothing changes
    ]
    cases += [
        ([rng.randrange(4) for _ in range(40)], (rng.randrange(4), rng.randrange(4)), 4)
        for _ in range(20)
    ]
    problems = []
    for ids, pair, idx in cases:
        counts = Counter(_pairs(ids))
        probe = (
            f"ids={ids if len(ids) < 12 else str(ids[:10])[:-1] + ', ...]'}, pair={pair}, idx={idx}"
        )
        got = _call(probe, merge_and_count, list(ids), pair, idx, counts)
        expected = merge(ids, pair, idx)
        if not isinstance(got, (list, tuple)) or list(got) != expected:
            problems.append((f"the ids {expected} for {probe}", got))
            break
        want = _pairs(expected)
        kept = Counter({p: n for p, n in counts.items() if n != 0})
        if kept != want:
            only_pair = _pairs(ids)
            only_pair[pair] -= len(ids) - len(expected)
            if kept == Counter({p: n for p, n in only_pair.items() if n != 0}):
                why = "only the merged pair's count went down: the pairs on each side change too"
            else:
                wrong = sorted(p for p in kept.keys() | want.keys() if kept[p] != want[p])[:3]
                why = ", ".join(f"{p}: {kept[p]} (should be {want[p]})" for p in wrong)
            problems.append((f"counts equal to get_stats(new ids) for {probe}", why))
            break
    return problems
