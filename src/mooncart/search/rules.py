"""Search's pure rules: what a shopper typed, made safe and understood. Normalising the words,
Indian spelling variants and synonyms, the FULLTEXT boolean-mode expression, and "Did you mean"
by edit distance over the catalogue's own words. No SQL here (search.queries has it)."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

MAX_QUERY_LENGTH = 100  # the events table's query column, and more than any shopper types
MAX_WORDS = 8
MAX_WORD_LENGTH = 40  # under InnoDB's innodb_ft_max_token_size (84)
# InnoDB ignores words shorter than innodb_ft_min_token_size (3 by default on MariaDB and MySQL 8)
# and its default stopwords; a required (+) one of them makes a boolean-mode search find NOTHING
# (measured on MariaDB 10.11: '+the +kurti' and '+ab* +kurti' both return no rows), so they are
# left out of the expression rather than sent.
MIN_WORD_LENGTH = 3
# information_schema.INNODB_FT_DEFAULT_STOPWORD, the same list on MariaDB 10.11 and MySQL 8
STOPWORDS = frozenset(
    [
        "a",
        "about",
        "an",
        "are",
        "as",
        "at",
        "be",
        "by",
        "com",
        "de",
        "en",
        "for",
        "from",
        "how",
        "i",
        "in",
        "is",
        "it",
        "la",
        "of",
        "on",
        "or",
        "that",
        "the",
        "this",
        "to",
        "was",
        "what",
        "when",
        "where",
        "who",
        "will",
        "with",
        "und",
        "www",
    ]
)
_NOT_WORD = re.compile(r"[\W_]+")


def normalise(raw: str | None) -> str:
    """The query as we search and record it: compatibility-folded (full-width letters become
    plain ones), lower case, every run of anything that is not a letter or digit (FULLTEXT's
    operators + - * " ( ) ~ < > @ among them) one space, at most MAX_QUERY_LENGTH characters."""
    text = unicodedata.normalize("NFKC", raw or "")[: MAX_QUERY_LENGTH * 4].lower()
    return _NOT_WORD.sub(" ", text).strip()[:MAX_QUERY_LENGTH].strip()


def words_of(text: str) -> list[str]:
    """The words of a normalised query (or of a product name, for the vocabulary)."""
    return [w[:MAX_WORD_LENGTH] for w in _NOT_WORD.sub(" ", text.lower()).split()]


def stem(word: str) -> str:
    """A plural's singular, roughly, so that 'sarees' also finds 'saree' and 'dresses' 'dress'
    (the expression's prefix match finds the plural from the singular)."""
    if len(word) > 4 and word.endswith(("sses", "ches", "shes", "xes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def searchable(word: str) -> bool:
    """A word InnoDB's FULLTEXT index holds (see MIN_WORD_LENGTH)."""
    return len(word) >= MIN_WORD_LENGTH and word not in STOPWORDS


@dataclass(frozen=True)
class Synonyms:
    """term -> its group's name; a group's terms. Terms are normalised, one or more words."""

    group_of: dict[str, str] = field(default_factory=dict)
    terms: dict[str, tuple[str, ...]] = field(default_factory=dict)
    longest: int = 1

    @classmethod
    def from_rows(cls, rows: Iterable[dict]) -> Synonyms:
        """From search_synonyms rows ({term, canonical}); a group always contains its own name."""
        group_of: dict[str, str] = {}
        terms: dict[str, list[str]] = {}
        for row in rows:
            term, canonical = normalise(row["term"]), normalise(row["canonical"])
            if not term or not canonical:
                continue
            group_of[term] = canonical
            group_of.setdefault(canonical, canonical)
            for word in (canonical, term):
                if word not in terms.setdefault(canonical, []):
                    terms[canonical].append(word)
        longest = max((len(t.split()) for t in group_of), default=1)
        return cls(group_of, {k: tuple(v) for k, v in terms.items()}, longest)


@dataclass(frozen=True)
class Unit:
    """One thing the shopper asked for: a word, or a synonym group (named by the words typed)."""

    typed: str
    alternatives: tuple[str, ...]  # what finds it: single words (prefix-matched) and phrases
    group: str | None = None


def understand(query: str, synonyms: Synonyms) -> list[Unit]:
    """The query's units, longest synonym phrases first ('lehnga choli' is one unit, the group
    lehenga). A word in no group stands for itself and its singular."""
    words = words_of(query)[:MAX_WORDS]
    units: list[Unit] = []
    i = 0
    while i < len(words):
        for n in range(min(synonyms.longest, len(words) - i), 0, -1):
            phrase = " ".join(words[i : i + n])
            group = synonyms.group_of.get(phrase) or (synonyms.group_of.get(stem(phrase)) if n == 1 else None)
            if group is not None:
                units.append(Unit(phrase, synonyms.terms[group], group))
                i += n
                break
        else:
            units.append(Unit(words[i], (words[i],)))
            i += 1
    return units


def _alternative(term: str) -> str | None:
    """One alternative in boolean-mode syntax: a word as a prefix (its singular's); several words
    as a group that needs them all. Not a quoted phrase: on MariaDB 10.11 a phrase placed first
    in an OR group made the group match only the phrase ('+("lehenga choli" lehenga*)' found no
    "Lehenga Set"). Only letters, digits and spaces reach here (normalise), so no operator of the
    shopper's can."""
    parts = [stem(w) for w in term.split() if searchable(w)]
    parts = [w + "*" for w in parts if len(w) >= MIN_WORD_LENGTH]
    if not parts:
        return None
    if len(parts) == 1:
        return parts[0]
    return "(+" + " +".join(parts) + ")"


def expression(units: list[Unit]) -> str:
    """The FULLTEXT boolean-mode expression: every unit required (+), each unit any of its
    alternatives (single words first). Empty when no word is one the index holds (the caller
    then finds nothing)."""
    required = []
    for unit in units:
        alternatives = sorted({a for a in map(_alternative, unit.alternatives) if a}, key=lambda a: (a[0] == "(", a))
        if not alternatives:
            continue
        required.append("+" + alternatives[0] if len(alternatives) == 1 else "+(" + " ".join(alternatives) + ")")
    return " ".join(required)


def title_patterns(units: list[Unit]) -> list[list[list[str]]]:
    """What the type-ahead's scan of the newest titles looks for: per unit, its alternatives, each
    the words it needs (as word beginnings, the same words and singulars as the expression's).
    Units with no word the index holds are left out, as the expression leaves them out."""
    found = []
    for unit in units:
        alternatives = []
        for term in unit.alternatives:
            words = [stem(w) for w in term.split() if searchable(w)]
            words = [w for w in words if len(w) >= MIN_WORD_LENGTH]
            if words and words not in alternatives:
                alternatives.append(words)
        if alternatives:
            found.append(alternatives)
    return found


def titles_may_match(patterns: list[list[list[str]]], vocabulary: Vocabulary) -> bool:
    """Whether the newest titles can hold these words at all: each unit has an alternative whose
    words the vocabulary knows (a title is a name, categories, a fabric and colours, and the
    vocabulary holds the newest products' names and fabrics and every category and colour). A
    typo fails here, so the type-ahead does not read the window of titles to find nothing."""
    return bool(patterns) and all(
        any(all(vocabulary.knows(word) for word in words) for words in alternatives) for alternatives in patterns
    )


def edit_distance(a: str, b: str, limit: int) -> int:
    """Optimal string alignment distance (a swap of two neighbours counts 1), or limit + 1 as
    soon as it must exceed `limit`: cheap enough to run over a few thousand words per search."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


def allowed_typos(word: str) -> int:
    """How far a word may be from the one meant: 1 for short words, 2 from 5 letters, 3 from 9."""
    return 1 if len(word) <= 4 else 2 if len(word) <= 8 else 3


@dataclass(frozen=True)
class Vocabulary:
    """The catalogue's own words with how often each occurs (for ties), from product names,
    categories, colours, fabrics and the synonym terms."""

    counts: Counter

    @classmethod
    def from_texts(cls, texts: Iterable[str]) -> Vocabulary:
        """Count the searchable words of these texts."""
        counts: Counter = Counter()
        for text in texts:
            counts.update(w for w in words_of(text or "") if searchable(w) and w.isalpha())
        return cls(counts)

    def knows(self, word: str) -> bool:
        """The word, or a word it begins (the search matches prefixes), is in the catalogue."""
        return word in self.counts or stem(word) in self.counts or any(w.startswith(word) for w in self.counts)

    def closest(self, word: str) -> str | None:
        """The nearest catalogue word within allowed_typos, the commoner one on a tie."""
        limit = allowed_typos(word)
        best: tuple[int, int, str] | None = None
        for candidate, count in self.counts.items():
            distance = edit_distance(word, candidate, limit)
            if distance <= limit and (best is None or (distance, -count, candidate) < best):
                best = (distance, -count, candidate)
        return None if best is None else best[2]


def did_you_mean(query: str, vocabulary: Vocabulary) -> str | None:
    """The query with each word the catalogue does not know replaced by its nearest catalogue
    word, or None when there is nothing to correct."""
    changed = False
    corrected = []
    for word in words_of(query)[:MAX_WORDS]:
        if searchable(word) and word.isalpha() and not vocabulary.knows(word):
            better = vocabulary.closest(word)
            if better is not None and better != word:
                corrected.append(better)
                changed = True
                continue
        corrected.append(word)
    return " ".join(corrected) if changed else None


MAX_TERM_LENGTH = 60
MAX_TERM_WORDS = 3


def clean_term(raw: str | None) -> tuple[str, str | None]:
    """A synonym term or group name from the staff form, normalised as queries are, with what is
    wrong with it (None when it can be used)."""
    term = normalise(raw)
    if not term:
        return term, "Type a word, like chunni."
    if len(term) > MAX_TERM_LENGTH or len(term.split()) > MAX_TERM_WORDS:
        return term, f"Keep it to {MAX_TERM_WORDS} words and {MAX_TERM_LENGTH} letters."
    if not any(searchable(word) for word in term.split()):
        return term, "Search cannot find words shorter than 3 letters or words like 'the': add a longer word."
    return term, None


# ---- The search index's terms (search.index): what a product is found by, word by word ----------

TITLE_WEIGHT = 4  # a word in the title counts four times one in the description (FULLTEXT's 3 * title + all)
MAX_WEIGHT = 65_535  # the weight column's SMALLINT UNSIGNED


def text_words(text: str | None) -> list[str]:
    """A product text's words as the index holds them: folded and split as queries are
    (normalise), only words a query can ask for (searchable), cut to MAX_WORD_LENGTH as a
    query's words are, so a word and its prefix match the same way on both sides."""
    folded = unicodedata.normalize("NFKC", text or "").lower()
    return [w[:MAX_WORD_LENGTH] for w in _NOT_WORD.sub(" ", folded).split() if searchable(w)]


def product_terms(title: str | None, body: str | None) -> dict[str, int]:
    """term -> weight for one product: TITLE_WEIGHT for each time the word is in the title, 1 for
    each time in the description. A product's weights depend on its own text only, so its score
    (the sum over a query's words) does not move when other products change: a keyset cursor of
    (score, id) stays exact between one page and the next."""
    weights: Counter = Counter()
    for word in text_words(title):
        weights[word] += TITLE_WEIGHT
    for word in text_words(body):
        weights[word] += 1
    return {term: min(weight, MAX_WEIGHT) for term, weight in weights.items()}
