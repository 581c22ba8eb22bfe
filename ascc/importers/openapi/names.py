"""Valid, unique, readable identifiers from API names (camelCase, punctuation, keywords, non-ASCII)."""

from __future__ import annotations

import keyword
import re
import unicodedata

# words the expression language gives a meaning to, on top of Python's keywords
RESERVED = {"true", "false", "null", "and", "or", "not", "in", "is", "if", "else", "for", "none"}


def snake(text: str) -> str:
    """`userId` -> `user_id`, `Ünïcode-Näme` -> `unicode_name`; always a non-empty identifier."""
    original = str(text)
    text = original.translate(_LATIN)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    if not re.search(r"[A-Za-z0-9]", text):
        # nothing survives transliteration (`名前`, `用户`): the code points keep distinct names distinct
        lost = "".join(f"{ord(c):x}" for c in original if c.isalnum() and ord(c) > 127)[:24]
        text = f"x_{lost}" if lost else text
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", text)
    text = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", text)
    text = re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_").lower()
    text = re.sub(r"_+", "_", text)
    if not text:
        text = "x"
    if text[0].isdigit():
        text = "n_" + text
    text = text[:60]
    if keyword.iskeyword(text) or keyword.issoftkeyword(text) or text in RESERVED:
        text += "_"
    return text


_LATIN = str.maketrans({"ß": "ss", "æ": "ae", "Æ": "AE", "ø": "o", "Ø": "O", "œ": "oe", "Œ": "OE", "đ": "d",
                        "Đ": "D", "ł": "l", "Ł": "L", "þ": "th", "Þ": "TH", "ð": "d"})


def singular(word: str) -> str:
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "xes", "ches", "shes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")) and len(word) > 3:
        return word[:-1]
    return word


class Namer:
    """Hands out names unique within one namespace, suffixing `_2`, `_3`, … on a clash."""

    def __init__(self, taken: set[str] | None = None) -> None:
        self.taken = set(taken or ())

    def get(self, want: str) -> str:
        name = want
        i = 2
        while name in self.taken:
            name = f"{want}_{i}"
            i += 1
        self.taken.add(name)
        return name


def words(text: str) -> set[str]:
    """Lower-case content words of a description or name, for similarity."""
    return {w for w in re.findall(r"[a-z]{3,}", snake(text).replace("_", " ") + " " + text.lower())
            if w not in STOP}


STOP = {"the", "and", "for", "with", "this", "that", "from", "are", "was", "will", "can", "get", "all", "list",
        "returns", "return", "given", "specified", "api", "which", "into", "you", "your", "its", "has", "not",
        "been", "have", "when", "one", "more", "new", "use", "used", "using", "each", "set", "any", "per",
        "id", "ids", "data", "information", "details", "object", "objects", "request", "response", "value"}
