"""Bytes to subword tokens and back: byte-level BPE. Taught in notebook 14."""

import heapq
import warnings
from collections import Counter, defaultdict
from itertools import pairwise

import regex

from helpers.course.guards import require_bpe_training, require_known, require_tokenizer

# GPT-2's pre-tokenizer: English contractions, letters, digits, other symbols, each run with at
# most one space in front of it, and whitespace. BPE merges only inside one of these pieces, so
# "dog", " dog" and "dog." never melt into one token with their neighbours.
GPT2_SPLIT_PATTERN = regex.compile(
    r"""'(?:[sdmt]|ll|ve|re)| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""
)

# Characters at the end of a text that the next characters can still change the pieces of: a
# contraction looks two characters past its start ("'l" may become "'ll"), whitespace one.
LOOKAHEAD = 2


def get_stats(ids, counts=None):
    """How often each adjacent pair occurs in `ids`, added to `counts` if given.

    Taught in notebook 14.
    """
    counts = {} if counts is None else counts
    for pair in pairwise(ids):  # (ids[0], ids[1]), (ids[1], ids[2]), ...
        counts[pair] = counts.get(pair, 0) + 1
    return counts


def merge(ids, pair, idx):
    """`ids` with every occurrence of `pair`, left to right, replaced by the one id `idx`.

    Taught in notebook 14.
    """
    newids = []
    i = 0
    while i < len(ids):
        if i < len(ids) - 1 and ids[i] == pair[0] and ids[i + 1] == pair[1]:
            newids.append(idx)
            i += 2
        else:
            newids.append(ids[i])
            i += 1
    return newids


def pre_tokenize(text, special_tokens=()):
    """Cut `text` into the pieces BPE works on: each special token whole, and GPT-2's pre-tokens
    of the text between them. The pieces joined give `text` back. Taught in notebook 14."""
    if not special_tokens:
        return GPT2_SPLIT_PATTERN.findall(text)
    longest_first = sorted(special_tokens, key=len, reverse=True)  # "<|a|>" before "<|a"
    specials = regex.compile("(" + "|".join(map(regex.escape, longest_first)) + ")")
    pieces = []
    # with a group in the pattern, split keeps the specials: text, special, text, special, ...
    for i, part in enumerate(specials.split(text)):
        pieces += [part] if i % 2 else GPT2_SPLIT_PATTERN.findall(part)
    return pieces


def build_vocab(merges, special_tokens=()):
    """id -> bytes: the special tokens, then the 256 single bytes, then one token per merge.

    Taught in notebook 14.
    """
    vocab = [token.encode("utf-8") for token in special_tokens]
    vocab += [bytes([b]) for b in range(256)]
    vocab += [a + b for a, b in merges]
    return dict(enumerate(vocab))


def tie_break_key(left, right):
    """A sort key that puts the pair of byte strings (left, right) before every lexicographically
    smaller pair, so that a min-heap gives the greatest pair first. Taught in notebook 14."""
    # each byte negated and each string closed by 1 (above any negated byte): b"ab" before b"a"
    return (*(-x for x in left), 1, *(-x for x in right), 1)


def train_bpe(text, vocab_size, special_tokens=()):
    """Learn byte-level BPE merges from `text` (a str, or a file: see guards.require_text).

    Returns (vocab, merges): `vocab` maps id -> bytes (build_vocab's layout); `merges` lists the
    pairs of byte strings joined, in the order learned. `vocab_size` counts every token. Each step
    merges the most frequent pair of neighbouring tokens (the lexicographically greatest one among
    equally frequent pairs); training stops early, with a warning, when no pair occurs twice.
    Taught in notebook 14.
    """
    text, special_tokens = require_bpe_training(text, vocab_size, special_tokens)
    k = len(special_tokens)
    vocab = build_vocab([], special_tokens)
    ranks = {vocab[i]: i for i in range(k, 256 + k)}  # bytes -> id of each ordinary token
    merges = []

    # Each distinct pre-token once, as its byte ids, with how often it occurs in the text.
    counts = Counter(p for p in pre_tokenize(text, special_tokens) if p not in special_tokens)
    words = [[k + b for b in word.encode("utf-8")] for word in counts]
    freqs = list(counts.values())

    # The counts of all pairs, which words hold each pair, and a heap to find the best one fast.
    stats, where = Counter(), defaultdict(set)
    for w, ids in enumerate(words):
        for pair, n in get_stats(ids).items():
            stats[pair] += n * freqs[w]
            where[pair].add(w)
    heap = [(-n, tie_break_key(vocab[a], vocab[b]), (a, b)) for (a, b), n in stats.items()]
    heapq.heapify(heap)

    while len(vocab) < vocab_size:
        count = 0  # a pair's count changes after it was pushed: a stale entry is skipped
        while heap and count == 0:
            negcount, _, pair = heapq.heappop(heap)
            count = -negcount if stats.get(pair) == -negcount else 0
        if count < 2:  # merging a pair seen once would only memorise it
            warnings.warn(
                f"Stopped after {len(merges)} of the {vocab_size - 256 - k} merges asked for: no "
                f"pair of tokens occurs twice any more. The vocabulary has {len(vocab)} tokens, not "
                f"{vocab_size}; train on more text for more.",
                stacklevel=2,
            )
            break
        # if the pair's bytes are already a token (ab + c after a + bc), it becomes that token:
        # each token's bytes stay unique, as tiktoken needs (this seems never to happen)
        joined = vocab[pair[0]] + vocab[pair[1]]
        idx = ranks.setdefault(joined, len(vocab))
        if idx == len(vocab):
            vocab[idx] = joined
            merges.append((vocab[pair[0]], vocab[pair[1]]))

        changed = set()  # recount only the words where the merge happened
        for w in where.pop(pair):
            ids, new_ids = words[w], merge(words[w], pair, idx)
            if len(new_ids) == len(ids):
                continue  # the word lost the pair to an earlier merge
            before, after = get_stats(ids), get_stats(new_ids)
            for p in before.keys() | after.keys():
                delta = after.get(p, 0) - before.get(p, 0)
                if delta:
                    stats[p] += delta * freqs[w]
                    changed.add(p)
                if delta > 0:
                    where[p].add(w)  # a pair new to this word
            words[w] = new_ids
        for p in changed:
            if stats[p] > 0:
                heapq.heappush(heap, (-stats[p], tie_break_key(vocab[p[0]], vocab[p[1]]), p))
            else:
                del stats[p]
    return vocab, merges


class BPETokenizer:
    """A byte-level BPE tokenizer, GPT-2's kind: text -> UTF-8 bytes -> merged subword tokens.

    It encodes as tiktoken would with the same tokens: special tokens whole, everything else cut
    into GPT-2's pre-tokens, and in each pre-token the two neighbours whose joined bytes are the
    earliest-learned token are joined, again and again. Taught in notebook 14.
    """

    def __init__(self, vocab, merges, special_tokens=()):
        # vocab, merges and specials must fit together (build_vocab's layout): an error otherwise
        self.vocab, self.merges, self.special_tokens = require_tokenizer(
            vocab, merges, special_tokens
        )
        self.special_ids = {token: i for i, token in enumerate(self.special_tokens)}
        # bytes -> id of the ordinary tokens, as tiktoken names them: a lower id, an earlier merge
        k = len(self.special_tokens)
        self.mergeable_ranks = {self.vocab[i]: i for i in range(k, len(self.vocab))}
        self.cache = {}  # pre-token -> its ids: each distinct word is merged once

    @classmethod
    def from_text(cls, text, vocab_size, special_tokens=()):
        """Train on `text` (a str or a file) and build the tokenizer."""
        return cls(*train_bpe(text, vocab_size, special_tokens), special_tokens)

    @property
    def vocab_size(self):
        return len(self.vocab)

    def _encode_chunk(self, text_bytes):
        """The ids of one pre-token's bytes, joined pair by pair as tiktoken joins them."""
        if text_bytes in self.mergeable_ranks:  # a whole word that is one token: looked up first
            return [self.mergeable_ranks[text_bytes]]
        parts = [bytes([b]) for b in text_bytes]
        while len(parts) > 1:
            # the neighbours whose bytes are the earliest-learned token (the leftmost on a tie)
            ranked = [
                (self.mergeable_ranks[a + b], i)
                for i, (a, b) in enumerate(pairwise(parts))
                if a + b in self.mergeable_ranks
            ]
            if not ranked:
                break
            _, i = min(ranked)
            parts[i : i + 2] = [parts[i] + parts[i + 1]]
        return [self.mergeable_ranks[part] for part in parts]

    def _encode_pieces(self, pieces):
        """The ids of special tokens and pre-tokens, each distinct pre-token merged once."""
        ids = []
        for piece in pieces:
            if piece in self.special_ids:
                ids.append(self.special_ids[piece])
                continue
            if piece not in self.cache:
                if len(self.cache) >= 100_000:  # bounded, for a long stream
                    self.cache.clear()
                self.cache[piece] = self._encode_chunk(piece.encode("utf-8"))
            ids += self.cache[piece]
        return ids

    def encode(self, text):
        """Turn a string into a list of integer ids."""
        return self._encode_pieces(pre_tokenize(text, self.special_tokens))

    def encode_iterable(self, lines):
        """Yield the ids of the text that `lines` (e.g. an open file) gives, in bounded memory:
        the same ids as encode() of the whole text."""
        # a piece can run across two lines (a newline and the next line's indentation are one
        # whitespace piece): the last few characters wait for what follows them
        held_back = LOOKAHEAD + max(map(len, self.special_tokens), default=0)
        text = ""
        for line in lines:
            text += line
            pieces = pre_tokenize(text, self.special_tokens)
            done, n = 0, 0
            while n < len(pieces) and done + len(pieces[n]) <= len(text) - held_back:
                done += len(pieces[n])
                n += 1
            yield from self._encode_pieces(pieces[:n])
            text = text[done:]
        yield from self.encode(text)

    def decode(self, ids):
        """Turn a list (or 1-D tensor) of integer ids back into a string."""
        ids = [int(i) for i in ids]  # a tensor's elements become plain integers
        require_known(ids, self.vocab)  # names an id outside the vocabulary
        # a token can end inside a character: such bytes become U+FFFD instead of an error
        return b"".join(self.vocab[i] for i in ids).decode("utf-8", errors="replace")

    def __repr__(self):
        merges, specials = len(self.merges), self.special_tokens
        return f"BPETokenizer(vocab_size={self.vocab_size}, merges={merges}, special_tokens={specials})"
