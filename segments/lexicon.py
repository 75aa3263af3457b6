"""Finding the phrases of the behaviour lexicons in free text (DOMAIN §5), in Russian and English.

Russian is inflected, so words are compared by their Snowball stems: "гарантии", "гарантию" and
"гарантией" all match the entry "гарантия". Each word is stemmed by the language of its script
(Cyrillic: Russian, otherwise English), so a note that mixes both languages still matches.
"""

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache

import Stemmer

from crm.models import Language

_WORD = re.compile(r"\w+")
_CYRILLIC = re.compile(r"[а-яё]")
_STEMMERS = {Language.RUSSIAN: Stemmer.Stemmer("russian"), Language.ENGLISH: Stemmer.Stemmer("english")}


@lru_cache(maxsize=200_000)
def word_stem(word: str) -> str:
    """The stem of one lower-case word; notes repeat their words, so the cache answers most calls."""
    language = Language.RUSSIAN if _CYRILLIC.search(word) else Language.ENGLISH
    return _STEMMERS[language].stemWord(word.replace("ё", "е"))


def text_words(text: str) -> list[tuple[str, int, int]]:
    """(stem, start, end) of every word, the positions in `text` so evidence can quote it."""
    return [(word_stem(match.group().lower()), match.start(), match.end()) for match in _WORD.finditer(text)]


def phrase_stems(phrase: str) -> str:
    """The normal form of a lexicon phrase: its stems joined by spaces ("" when it has no words)."""
    return " ".join(stem for stem, _start, _end in text_words(phrase))


@dataclass(frozen=True)
class Term:
    """One lexicon entry as the matcher needs it."""

    entry_id: int
    phrase: str
    axis: str
    leans: str
    weight: int


@dataclass(frozen=True)
class Match:
    term: Term
    excerpt: str


class Matcher:
    """All active entries, indexed by their first stem: one dictionary lookup per word of the text."""

    EXCERPT_CONTEXT = 40  # characters either side of the phrase

    def __init__(self, entries: Iterable[tuple[str, Term]]):
        self._by_first: dict[str, list[tuple[tuple[str, ...], Term]]] = {}
        for stems, term in entries:
            words = tuple(stems.split())
            self._by_first.setdefault(words[0], []).append((words, term))

    def __bool__(self):
        return bool(self._by_first)

    def matches(self, text: str) -> Iterator[Match]:
        """Each entry found in `text`, once per text however often it repeats there."""
        words = text_words(text)
        stems = [stem for stem, _start, _end in words]
        seen = set()
        for index, stem in enumerate(stems):
            for phrase, term in self._by_first.get(stem, ()):
                end = index + len(phrase)
                if term.entry_id in seen or tuple(stems[index:end]) != phrase:
                    continue
                seen.add(term.entry_id)
                start_char, end_char = words[index][1], words[end - 1][2]
                yield Match(term=term, excerpt=_excerpt(text, start_char, end_char, self.EXCERPT_CONTEXT))


def _excerpt(text: str, start: int, end: int, context: int) -> str:
    before = ("…" if start > context else "") + text[max(0, start - context) : start]
    after = text[end : end + context] + ("…" if end + context < len(text) else "")
    return " ".join(f"{before}«{text[start:end]}»{after}".split())
