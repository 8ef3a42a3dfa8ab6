"""Characters to integers and back. Taught in notebook 01."""

from helpers.course.guards import require_known, require_vocabulary


class CharTokenizer:
    """A character-level tokenizer: every distinct character of the text gets one integer id.

    Taught in notebook 01.
    """

    def __init__(self, chars):
        self.chars = require_vocabulary(chars)  # a list: an error if empty or repeated
        self.stoi = {ch: i for i, ch in enumerate(self.chars)}  # string -> integer
        self.itos = {i: ch for i, ch in enumerate(self.chars)}  # integer -> string

    @classmethod
    def from_text(cls, text):
        """Build the vocabulary from every distinct character in `text`, sorted."""
        return cls(sorted(set(text)))

    @property
    def vocab_size(self):
        return len(self.chars)

    def encode(self, s):
        """Turn a string into a list of integer ids."""
        require_known(s, self.stoi)  # names a character outside the vocabulary
        return [self.stoi[c] for c in s]

    def decode(self, ids):
        """Turn a list (or 1-D tensor) of integer ids back into a string."""
        ids = [int(i) for i in ids]  # a tensor's elements become plain integers
        require_known(ids, self.itos)  # names an id outside the vocabulary
        return "".join([self.itos[i] for i in ids])

    def __repr__(self):
        return f"CharTokenizer(vocab_size={self.vocab_size})"
