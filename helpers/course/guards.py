"""Clear errors for input a taught piece cannot use, kept out of the taught code.

The tokenizers (notebooks 01 and 14), the batching functions (02), the heads (05, 06) and the
block (07) call these in one line each, so a learner reads the idea at the lecture's size and still gets a
message that says what to change, instead of a bare KeyError or a crash deep inside torch.

    require_known("abcz", {"a": 0, "b": 1, "c": 2})
        ValueError: Character 'z' at position 3 is not in the vocabulary (3 characters). ...
    require_batch_fits(torch.arange(5), 4, 8)
        ValueError: context_length=8 needs at least 9 tokens, but this split has only 5. ...
    require_positive(num_heads=0, head_size=8)
        ValueError: num_heads and head_size must be positive, got 0 and 8.
    require_heads_divide(30, 4)
        ValueError: n_embd=30 is not divisible by n_head=4: each head gets n_embd // n_head
        channels. Pick e.g. n_head=3.
"""

from pathlib import Path


def require_vocabulary(chars):
    """`chars` as a list, or a ValueError if it is empty or lists a character twice."""
    chars = list(chars)
    if not chars:
        raise ValueError(
            "The vocabulary is empty: build the tokenizer from a non-empty text "
            "(load the corpus first)."
        )
    if len(set(chars)) != len(chars):
        raise ValueError("The vocabulary lists a character twice; give each character once.")
    return chars


def require_known(items, table):
    """Raise ValueError naming the first of `items` (characters, or integer ids) that is not a
    key of `table` (the tokenizer's `stoi` or `itos`), and its position."""
    unknown = set(items) - table.keys()
    if not unknown:
        return
    position, item = next((p, item) for p, item in enumerate(items) if item in unknown)
    if isinstance(item, str):
        raise ValueError(
            f"Character {item!r} at position {position} is not in the vocabulary "
            f"({len(table)} characters). Remove or replace it, or build the "
            "tokenizer from a text that contains it."
        )
    raise ValueError(
        f"Id {item} at position {position} is outside the vocabulary "
        f"(valid ids are 0..{len(table) - 1})."
    )


def require_fraction(train_fraction):
    """Raise ValueError unless 0 < train_fraction < 1."""
    if not 0 < train_fraction < 1:
        raise ValueError(f"train_fraction must lie strictly between 0 and 1, got {train_fraction}.")


def require_batch_fits(data, batch_size, context_length):
    """Raise ValueError unless both sizes are positive and `data` holds at least one window of
    context_length ids plus the id that follows it."""
    if batch_size <= 0 or context_length <= 0:
        raise ValueError(
            f"batch_size and context_length must be positive, got batch_size={batch_size}, "
            f"context_length={context_length}."
        )
    if len(data) <= context_length:
        raise ValueError(
            f"context_length={context_length} needs at least {context_length + 1} tokens, but this "
            f"split has only {len(data)}. Use a shorter context or more data."
        )


def require_positive(**sizes):
    """Raise ValueError naming every size given when any of them is not positive."""
    if min(sizes.values()) <= 0:
        names, values = list(sizes), [str(v) for v in sizes.values()]
        joined = ", ".join(names[:-1]) + " and " + names[-1] if len(names) > 1 else names[0]
        got = ", ".join(values[:-1]) + " and " + values[-1] if len(values) > 1 else values[0]
        raise ValueError(f"{joined} must be positive, got {got}.")


def nearest_head_count(n_embd, n_head):
    """The head count closest to n_head that divides n_embd (GPTConfig suggests the same)."""
    fits = [h for h in range(1, n_embd + 1) if n_embd % h == 0]
    return min(fits, key=lambda h: abs(h - n_head))


def require_heads_divide(n_embd, n_head):
    """Raise ValueError unless n_embd and n_head are positive and n_head divides n_embd."""
    require_positive(n_embd=n_embd, n_head=n_head)
    if n_embd % n_head != 0:
        raise ValueError(
            f"n_embd={n_embd} is not divisible by n_head={n_head}: each head gets "
            f"n_embd // n_head channels. Pick e.g. n_head={nearest_head_count(n_embd, n_head)}."
        )


def require_text(text):
    """The text a tokenizer trains on (notebook 14's train_bpe): `text` itself, or the file it
    names. A `pathlib.Path` always names a file, and so does a str of one line that ends in ".txt"
    (an error if there is no such file); any other str is the text itself."""
    if isinstance(text, str) and text.endswith(".txt") and "\n" not in text:
        if not Path(text).is_file():
            raise ValueError(
                f"{text!r} looks like a file name, but there is no such file. Check the path, "
                "or pass the text itself (a str that is not one line ending in .txt)."
            )
        text = Path(text)
    if isinstance(text, Path):
        return text.read_text(encoding="utf-8")
    if not isinstance(text, str):
        raise ValueError(
            f"Train on a str (the text) or a path to a UTF-8 text file, not a "
            f"{type(text).__name__}. For bytes, decode them first: data.decode('utf-8')."
        )
    return text


def require_special_tokens(special_tokens):
    """The special tokens (notebook 14) as a list, or a ValueError if one is not a str, is empty
    or is repeated."""
    if isinstance(special_tokens, str):  # a lone "<|endoftext|>" would become 13 tokens
        special_tokens = [special_tokens]
    special_tokens = list(special_tokens)
    for token in special_tokens:
        if not isinstance(token, str) or not token:
            raise ValueError(
                f"Special token {token!r} is not a non-empty str: give each special token as "
                "its text, e.g. special_tokens=['<|endoftext|>']."
            )
    if len(set(special_tokens)) != len(special_tokens):
        twice = next(t for t in special_tokens if special_tokens.count(t) > 1)
        raise ValueError(f"Special token {twice!r} is given twice; give each special token once.")
    return special_tokens


def require_bpe_training(text, vocab_size, special_tokens):
    """What notebook 14's train_bpe is given, checked: (the text, the special tokens as a list),
    or a ValueError that says what to change."""
    text, special_tokens = require_text(text), require_special_tokens(special_tokens)
    k = len(special_tokens)
    if vocab_size < 256 + k:
        raise ValueError(
            f"vocab_size={vocab_size} is too small: the {k} special tokens and the 256 single "
            f"bytes take {256 + k} ids. Ask for at least {256 + k}; each id above that is a merge."
        )
    return text, special_tokens


def require_tokenizer(vocab, merges, special_tokens):
    """Notebook 14's BPETokenizer parts, checked to fit together: (vocab, merges, special tokens)
    as a dict, a list of byte pairs and a list; a ValueError if a merge joins a token that does
    not exist yet, makes one that does, or the vocabulary is not build_vocab's layout of them."""
    from helpers.bpe import build_vocab

    special_tokens = require_special_tokens(special_tokens)
    merges = [(bytes(a), bytes(b)) for a, b in merges]
    known = {bytes([b]) for b in range(256)}  # a special token stands apart: matched as text
    for n, (a, b) in enumerate(merges):
        if a not in known or b not in known:
            raise ValueError(
                f"Merge {n} joins {a!r} and {b!r}, but {b if a in known else a!r} is not a "
                "token before it. Keep the merges in the order they were learned."
            )
        if a + b in known:
            raise ValueError(
                f"Merge {n} makes {a + b!r}, which is already a token. Each token's bytes must "
                "be unique: train the merges with train_bpe."
            )
        known.add(a + b)
    expected = build_vocab(merges, special_tokens)
    if dict(vocab) != expected:
        raise ValueError(
            f"The vocabulary ({len(vocab)} tokens) does not match the merges and special "
            f"tokens, which make {len(expected)}: the specials, the 256 bytes, then one token "
            "per merge. Keep the three together as train_bpe returned them."
        )
    return expected, merges, special_tokens
