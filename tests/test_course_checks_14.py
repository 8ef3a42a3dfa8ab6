"""The checks of notebook 14's exercises (helpers/course/checks/nb14_subword_tokens.py): each
passes a right answer and fails a plausible wrong one with a useful message."""

from checks_support import crashed, not_attempted

from helpers.bpe import get_stats, merge
from helpers.course import checks as C


def encode_right(text, merges):
    ids = list(text.encode("utf-8"))
    while len(ids) >= 2:
        stats = get_stats(ids)
        pair = min(stats, key=lambda p: merges.get(p, float("inf")))
        if pair not in merges:
            break
        ids = merge(ids, pair, merges[pair])
    return ids


def test_encode_with_merges(capsys):
    assert C.check_encode_with_merges(encode_right)

    # plausible mistake: the most frequent pair first, as in training, not the earliest merge
    def most_frequent_first(text, merges):
        ids = list(text.encode("utf-8"))
        while len(ids) >= 2:
            known = {p: n for p, n in get_stats(ids).items() if p in merges}
            if not known:
                break
            pair = max(known, key=known.get)
            ids = merge(ids, pair, merges[pair])
        return ids

    assert not C.check_encode_with_merges(most_frequent_first)
    assert "replay the merges in the order learned" in capsys.readouterr().out

    # plausible mistakes: no merge at all; a string back instead of ids
    def bytes_only(text, merges):
        return list(text.encode("utf-8"))

    assert not C.check_encode_with_merges(bytes_only)
    assert "no merge was applied" in capsys.readouterr().out
    assert not C.check_encode_with_merges(lambda text, merges: text)
    assert "return the list of ids" in capsys.readouterr().out


def test_encode_with_merges_not_attempted_and_crash(capsys):
    assert not C.check_encode_with_merges(not_attempted)
    assert "not attempted yet" in capsys.readouterr().out

    def on_characters(text, merges):  # ord() of a character is not a byte beyond ASCII
        return encode_right(text.encode("ascii").decode(), merges)

    assert not C.check_encode_with_merges(on_characters)
    assert crashed(capsys.readouterr().out, "UnicodeEncodeError")


def merge_and_count_right(ids, pair, idx, counts):
    new, i = [], 0
    while i < len(ids):
        if i < len(ids) - 1 and (ids[i], ids[i + 1]) == pair:
            counts[pair] -= 1
            if new:  # the pair on the left: (previous, a) becomes (previous, idx)
                counts[(new[-1], ids[i])] -= 1
                counts[(new[-1], idx)] += 1
            if i + 2 < len(ids):  # the pair on the right: (b, next) becomes (idx, next)
                counts[(ids[i + 1], ids[i + 2])] -= 1
                counts[(idx, ids[i + 2])] += 1
            new.append(idx)
            i += 2
        else:
            new.append(ids[i])
            i += 1
    return new


def test_merge_and_count(capsys):
    assert C.check_merge_and_count(merge_and_count_right)

    # plausible mistake: only the merged pair's count goes down
    def only_the_pair(ids, pair, idx, counts):
        new = merge(ids, pair, idx)
        counts[pair] -= len(ids) - len(new)
        return new

    assert not C.check_merge_and_count(only_the_pair)
    assert "the pairs on each side change too" in capsys.readouterr().out

    # plausible mistake: the right ids, the counts left as they were
    assert not C.check_merge_and_count(lambda ids, pair, idx, counts: merge(ids, pair, idx))
    assert "(should be" in capsys.readouterr().out
    assert not C.check_merge_and_count(lambda ids, pair, idx, counts: ids)
    assert "expected: the ids" in capsys.readouterr().out

    # plausible mistake: the left neighbour taken from the old ids, wrong where merges touch
    def old_left_neighbour(ids, pair, idx, counts):
        new, i = [], 0
        while i < len(ids):
            if i < len(ids) - 1 and (ids[i], ids[i + 1]) == pair:
                counts[pair] -= 1
                if i > 0:
                    counts[(ids[i - 1], ids[i])] -= 1
                    counts[(ids[i - 1], idx)] += 1
                if i + 2 < len(ids):
                    counts[(ids[i + 1], ids[i + 2])] -= 1
                    counts[(idx, ids[i + 2])] += 1
                new.append(idx)
                i += 2
            else:
                new.append(ids[i])
                i += 1
        return new

    assert not C.check_merge_and_count(old_left_neighbour)
    assert "(should be" in capsys.readouterr().out
