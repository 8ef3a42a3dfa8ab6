"""Characters to integers and back. Taught in notebook 01."""


class CharTokenizer:
    """A character-level tokenizer: every distinct character of the text gets one integer id.

    Taught in notebook 01.
    """

    def __init__(self, chars):
        self.chars = list(chars)
        if not self.chars:
            raise ValueError("The vocabulary is empty: build the tokenizer from a non-empty text.")
        if len(set(self.chars)) != len(self.chars):
            raise ValueError("The vocabulary lists a character twice; give each character once.")
        self.stoi = {ch: i for i, ch in enumerate(self.chars)}  # string -> integer
        self.itos = {i: ch for i, ch in enumerate(self.chars)}  # integer -> string

    @classmethod
    def from_text(cls, text):
        """Build the vocabulary from every distinct character in `text`, sorted."""
        if not text:
            raise ValueError("Cannot build a vocabulary from an empty text: load the corpus first.")
        return cls(sorted(set(text)))

    @property
    def vocab_size(self):
        return len(self.chars)

    def encode(self, s):
        """Turn a string into a list of integer ids."""
        ids = []
        for position, ch in enumerate(s):
            if ch not in self.stoi:
                raise ValueError(
                    f"Character {ch!r} at position {position} is not in the vocabulary "
                    f"({self.vocab_size} characters). Remove or replace it, or build the "
                    "tokenizer from a text that contains it."
                )
            ids.append(self.stoi[ch])
        return ids

    def decode(self, ids):
        """Turn a list (or 1-D tensor) of integer ids back into a string."""
        chars = []
        for position, i in enumerate(ids):
            i = int(i)
            if i not in self.itos:
                raise ValueError(
                    f"Id {i} at position {position} is outside the vocabulary "
                    f"(valid ids are 0..{self.vocab_size - 1})."
                )
            chars.append(self.itos[i])
        return "".join(chars)

    def __repr__(self):
        return f"CharTokenizer(vocab_size={self.vocab_size})"
