"""What a review says: a sentiment score in [-1, 1], a fit signal, and its key phrases.

Sentiment starts from VADER (the baseline we compare with), taught the words shoppers use about
clothes ("faded", "shrunk", "comfy") and a few phrases it cannot see one word at a time ("exactly
same as shown", "value for money", "had to return it"). Each adds its valence to VADER's raw sum,
which is then squashed the way VADER squashes it. Fit is read from the text ("had to return for
a size up" is small) and from the shopper's answer. Key phrases are chosen KeyBERT's way: candidate
word sequences ranked by how close their MiniLM embedding is to the sentence's, kept diverse by
maximal marginal relevance, each signed by its own sentence's sentiment.

Needs the `ml` extra (vaderSentiment, numpy; MiniLM for phrases); the shop itself never imports it."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

from . import minilm  # noqa: F401  # sets the BLAS threads (package __init__) before numpy loads

# Words VADER does not know, on its scale (-4 .. +4), as shoppers use them about clothes.
DOMAIN_LEXICON = {
    "faded": -2.0,
    "fades": -2.0,
    "fade": -1.5,
    "fading": -1.8,
    "shrunk": -2.2,
    "shrank": -2.2,
    "shrinks": -2.0,
    "shrinkage": -2.0,
    "pilling": -1.8,
    "pills": -1.2,
    "itchy": -2.0,
    "scratchy": -1.6,
    "tight": -1.0,
    "baggy": -1.2,
    "transparent": -1.4,
    "see-through": -1.6,
    "flimsy": -2.0,
    "torn": -2.4,
    "defective": -2.4,
    "damaged": -2.4,
    "stained": -2.0,
    "bleeds": -2.0,
    "bled": -1.8,
    "smelly": -2.0,
    "overpriced": -2.0,
    "wrinkled": -1.2,
    "crumpled": -1.2,
    "cheap": -1.0,
    "refund": -1.2,
    "returned": -1.5,
    "comfy": 2.0,
    "comfortable": 1.8,
    "breathable": 1.8,
    "soft": 1.5,
    "flattering": 2.0,
    "sturdy": 1.5,
    "durable": 1.6,
    "premium": 1.6,
    "classy": 2.0,
    "stylish": 1.8,
    "compliments": 2.2,
    "superb": 3.1,
    "osm": 2.5,
    "awsm": 2.5,
    "gud": 1.8,
    "vibrant": 2.4,
    "elegant": 2.1,
    "worth": 1.2,
    "fits": 0.8,
}

# (pattern, valence) for what VADER reads word by word and gets wrong. Negative patterns first:
# the first that matches a stretch of text claims it.
PHRASES = [
    (r"\b(not|isn'?t|wasn'?t|never) (the )?(same|exactly) as (shown|pictured|in the (pic|picture|photo|image))", -2.5),
    (r"\b(different|differs) (from|than) (the )?(shown|picture|photo|image|website|pic)", -2.2),
    (r"\bnot as (expected|described|shown)|below (my )?expectations?|less than expected", -2.2),
    (r"\b(do ?n[o']t|never) (buy|order|purchase)\b", -2.6),
    (r"\bwaste of (money|time)", -1.5),
    (r"\bnot worth\b", -2.2),
    (r"\b(had|have|want|need|going) to (return|exchange)|\bsent (it )?back|\breturned it|\breturn(ed)? request", -1.6),
    (
        r"\bstitch(ing|es)? (came|coming|come|is coming) (off|out|apart|loose)|\bloose threads|\bthreads? coming "
        r"out",
        -2.2,
    ),
    (r"\b(received|got|came) (a )?(damaged|torn|wrong|defective|used)", -2.4),
    (r"\b(colou?r|color) (ran|runs|bled|bleeds|is dull|looks dull|is different|was different)", -2.0),
    (r"\blooks? cheap|cheap (quality|material|fabric)", -1.6),
    (r"\btoo (tight|loose|short|long|big|small|large)\b|\bfitting is (too )?(tight|loose|bad|not good)", -1.2),
    (
        r"\b(exactly|just|same|identical) (same )?(as|like) (shown|pictured|in the (pic|picture|photo|image)|the "
        r"(pic|picture|photo|image))",
        2.2,
    ),
    (r"\bvalue for money|\bworth (the|every) (money|penny|rupee|price)|\bpaisa vasool", 2.2),
    (
        r"\b(fits|fitted|fitting is|fit is) (perfect|perfectly|well|great|good|nicely)|\bperfect fit|\bfits like a "
        r"glove",
        1.6,
    ),
    (r"\bno complaints|\bnothing to complain", 1.8),
    (r"\b(as|met my) expect(ed|ations)\b", 1.0),
    (r"\bmust (buy|have)\b|\bgo for it\b", 2.0),
]
_PHRASES = [(re.compile(pattern), valence) for pattern, valence in PHRASES]

NEUTRAL_BAND = 0.05  # VADER's own convention: |compound| below this is neutral

FIT_PATTERNS = [
    (
        "small",
        r"\bruns? small|\b(too|very|bit|little|slightly|quite) (tight|small|snug)|\bfitting is (too |very |bit "
        r")?tight"
        r"|\bsize up\b|\bsized up\b|\b(a|one) size (up|bigger|larger)|\b(bigger|larger) size|\bsmaller than "
        r"(expected|usual|size chart)"
        r"|\bcould ?n[o']?t (zip|button|close)|\bdoes ?n[o']?t close|\btight (at|on|around|in)\b|\bis tight\b",
    ),
    (
        "large",
        r"\bruns? (large|big)|\b(too|very|bit|little|slightly|quite) (loose|big|large|baggy)|\bfitting is (too "
        r"|very |bit )?loose"
        r"|\bsize down\b|\bsized down\b|\b(a|one) size (down|smaller)|\bsmaller size|\b(bigger|larger) than "
        r"(expected|usual|size chart)"
        r"|\bis loose\b|\bloose (at|on|around|in)\b",
    ),
    (
        "true",
        r"\btrue to size|\bfits? (perfectly|well|great|nicely|as expected)|\bperfect fit|\bfitting is "
        r"(perfect|good|great|fine)"
        r"|\bsize is (perfect|correct|right|accurate|spot on)|\bas per (the )?size chart|\bfits like a "
        r"glove|\bright size",
    ),
]
_FIT = [(signal, re.compile(pattern)) for signal, pattern in FIT_PATTERNS]

STOPWORDS = {
    "a",
    "about",
    "above",
    "after",
    "again",
    "against",
    "all",
    "am",
    "an",
    "and",
    "any",
    "are",
    "as",
    "at",
    "be",
    "because",
    "been",
    "before",
    "being",
    "below",
    "between",
    "both",
    "but",
    "by",
    "can",
    "could",
    "did",
    "do",
    "does",
    "doing",
    "down",
    "during",
    "each",
    "few",
    "for",
    "from",
    "further",
    "had",
    "has",
    "have",
    "having",
    "he",
    "her",
    "here",
    "hers",
    "herself",
    "him",
    "himself",
    "his",
    "how",
    "i",
    "if",
    "in",
    "into",
    "is",
    "it",
    "its",
    "itself",
    "just",
    "me",
    "more",
    "most",
    "my",
    "myself",
    "no",
    "nor",
    "not",
    "now",
    "of",
    "off",
    "on",
    "once",
    "only",
    "or",
    "other",
    "our",
    "ours",
    "ourselves",
    "over",
    "own",
    "same",
    "she",
    "should",
    "so",
    "some",
    "such",
    "than",
    "that",
    "the",
    "their",
    "theirs",
    "them",
    "themselves",
    "then",
    "there",
    "these",
    "they",
    "this",
    "those",
    "through",
    "to",
    "too",
    "under",
    "until",
    "up",
    "very",
    "was",
    "we",
    "were",
    "what",
    "when",
    "where",
    "which",
    "while",
    "who",
    "whom",
    "why",
    "will",
    "with",
    "would",
    "you",
    "your",
    "yours",
    "yourself",
    "yourselves",
    "also",
    "really",
    "much",
    "got",
    "get",
    "getting",
    "bought",
    "ordered",
    "order",
    "received",
    "one",
    "even",
    "still",
    "though",
    "although",
    "well",
    "quite",
    "bit",
    "little",
    "lot",
    "lots",
    "thing",
    "things",
    "like",
    "product",
    "item",
    "piece",
    "it's",
    "i'm",
    "i've",
    "dont",
    "don't",
    "didn't",
    "doesn't",
    "isn't",
    "wasn't",
    "ok",
    "okay",
    "exactly",
    "shown",
}
# words too generic to stand alone as a phrase
GENERIC = {
    "good",
    "nice",
    "great",
    "bad",
    "product",
    "item",
    "buy",
    "purchase",
    "overall",
    "quality",
    "love",
    "loved",
    "happy",
    "best",
    "worst",
    "awesome",
    "amazing",
    "excellent",
    "poor",
    "time",
    "money",
    "colour",
    "fabric",
    "size",
    "fit",
    "fits",
    "material",
    "superb",
    "beautiful",
    "disappointed",
    "lovely",
    "wear",
    "wash",
}

_WORD = re.compile(r"[a-z][a-z'-]*")
_SENTENCE = re.compile(r"(?<=[.!?;])\s+|\s*\n+\s*|,?\s+\bbut\b\s+")
# a phrase never runs across a comma or an "and": "soft fabric, lovely embroidery" is two
_CLAUSE = re.compile(r"[,:()\"]|\s(?:and|or|but|with|so|because|which|though)\s")
ARTICLES = {"a", "an", "the"}


def squash(raw: float) -> float:
    """VADER's normalisation of a raw valence sum into (-1, 1)."""
    return raw / math.sqrt(raw * raw + 15)


def unsquash(compound: float) -> float:
    """The raw sum a compound score came from (the inverse of squash)."""
    compound = max(-0.9999, min(0.9999, compound))
    return compound * math.sqrt(15 / (1 - compound * compound))


def polarity(score: float) -> str:
    """positive, negative or neutral for a sentiment score."""
    return "positive" if score >= NEUTRAL_BAND else "negative" if score <= -NEUTRAL_BAND else "neutral"


def split_sentences(text: str) -> list[str]:
    """A review's sentences, each read on its own so one complaint does not sink a whole review."""
    return [s.strip(" ,") for s in _SENTENCE.split(text.strip()) if s and len(s.strip(" ,")) > 2]


def normalise(text: str) -> str:
    """Lower case, with the spellings and shorthand of Indian English reviews made plain."""
    text = text.lower().replace("colour", "colour").replace("color", "colour")
    text = re.sub(r"\bu\b", "you", text)
    text = re.sub(r"\bsame to same\b", "exactly same", text)
    return re.sub(r"\s+", " ", text)


def read_fit(text: str) -> str | None:
    """small / large / true from the words, or None: the first rule to match, small and large
    before true, since "perfect otherwise but runs small" is about size."""
    text = normalise(text)
    for signal, pattern in _FIT:
        if pattern.search(text):
            return signal
    return None


class Sentiment:
    """VADER, and VADER taught the shop's words: score(text) and vader(text), both in [-1, 1]."""

    def __init__(self):
        try:
            from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer
        except ImportError as missing:
            raise minilm.ModelMissing("pip install 'mooncart[ml]' for the review analysis") from missing
        self.baseline = SentimentIntensityAnalyzer()
        self.analyzer = SentimentIntensityAnalyzer()
        self.analyzer.lexicon.update(DOMAIN_LEXICON)

    def vader(self, text: str) -> float:
        """VADER's compound score of a text, the baseline the shop's own scoring is compared with."""
        return self.baseline.polarity_scores(text)["compound"]

    def score(self, text: str) -> float:
        """The shop's sentiment of a text: its fashion phrases first, VADER for the rest."""
        text = normalise(text)
        raw = 0.0
        claimed: list[tuple[int, int]] = []
        for pattern, valence in _PHRASES:
            for match in pattern.finditer(text):
                if any(match.start() < end and start < match.end() for start, end in claimed):
                    continue
                claimed.append(match.span())
                raw += valence
        # the words a phrase claimed are not scored again one by one
        rest = text
        for start, end in sorted(claimed, reverse=True):
            rest = rest[:start] + " , " + rest[end:]
        compound = self.analyzer.polarity_scores(rest)["compound"] if rest.strip(" ,.") else 0.0
        return round(squash(unsquash(compound) + raw), 4)


def candidates(sentence: str, longest: int = 4) -> list[str]:
    """Word sequences of one to `longest` words that neither start nor end with a stop word and
    are not one generic word: the phrases KeyBERT would choose among."""
    found: list[str] = []
    for clause in _CLAUSE.split(normalise(sentence)):
        words = [w for w in _WORD.findall(clause) if w not in ARTICLES]
        _grams(words, longest, found)
    return found


def _grams(words: list[str], longest: int, found: list[str]) -> None:
    for size in range(1, longest + 1):
        for i in range(len(words) - size + 1):
            gram = words[i : i + size]
            if (
                gram[0] in STOPWORDS
                or gram[-1] in STOPWORDS
                or gram[-1].endswith("'")
                or (gram[0] == gram[-1] and size > 1)
            ):
                continue
            if size == 1 and (gram[0] in GENERIC or len(gram[0]) < 4):
                continue
            if all(w in STOPWORDS or w in GENERIC for w in gram):
                continue
            if sum(w in STOPWORDS for w in gram) > 2:
                continue
            phrase = " ".join(gram)
            if phrase not in found:
                found.append(phrase)


@dataclass
class Reading:
    sentiment: float
    vader: float
    fit: str | None
    phrases: list[dict] = field(default_factory=list)

    def as_json(self) -> dict:
        """What is stored of a review's reading."""
        return {"sentiment": self.sentiment, "fit": self.fit, "phrases": [p["phrase"] for p in self.phrases]}


class Analyser:
    """Reads reviews. With a MiniLM model it finds key phrases; without one (model=None) only
    sentiment and fit."""

    def __init__(self, model=None):
        self.sentiment = Sentiment()
        self.model = model
        self._vectors: dict[str, object] = {}

    def embed(self, texts: list[str]):
        """Vectors for texts, each computed once per run (reviews repeat their phrases a lot)."""
        import numpy as np

        missing = [t for t in dict.fromkeys(texts) if t not in self._vectors]
        if missing:
            for text, vector in zip(missing, self.model.encode(missing)):
                self._vectors[text] = vector
        return np.array([self._vectors[t] for t in texts]) if texts else np.zeros((0, 384), dtype=np.float32)

    def key_phrases(self, sentence: str, top: int = 2, diversity: float = 0.5) -> list[tuple[str, float]]:
        """KeyBERT: candidates ranked by cosine similarity to the sentence, chosen by maximal
        marginal relevance so that "soft fabric" and "soft cotton fabric" are not both kept."""
        import numpy as np

        options = candidates(sentence)
        if not options or self.model is None:
            return []
        sentence_vector = self.embed([normalise(sentence)])[0]
        vectors = self.embed(options)
        relevance = vectors @ sentence_vector
        # a longer phrase says more: a small bonus per word, so "colour faded after wash" beats "faded"
        relevance = relevance + np.array(
            [min(0.06, 0.03 * (len(o.split()) - 1)) - (0.08 if " " not in o else 0) for o in options]
        )
        chosen: list[int] = []
        while len(chosen) < min(top, len(options)):
            if chosen:
                redundancy = (vectors @ vectors[chosen].T).max(axis=1)
                value = (1 - diversity) * relevance - diversity * redundancy
            else:
                value = relevance.copy()
            value[chosen] = -np.inf
            best = int(np.argmax(value))
            if chosen and relevance[best] < 0.35:
                break
            chosen.append(best)
        return [(options[i], float(relevance[i])) for i in chosen]

    def read(self, text: str, answer: str | None = None, top: int = 3) -> Reading:
        """One review: sentiment of the whole, fit (the words first, the answer when they say
        nothing), and up to `top` key phrases, each signed by its sentence's sentiment."""
        sentiment = self.sentiment.score(text)
        fit = read_fit(text) or (answer if answer in ("small", "true", "large") else None)
        phrases: list[dict] = []
        if self.model is not None:
            scored: list[dict[str, Any]] = []
            for sentence in split_sentences(text):
                mood = polarity(self.sentiment.score(sentence))
                for phrase, score in self.key_phrases(sentence):
                    scored.append({"phrase": phrase, "polarity": mood, "score": round(score, 3)})
            scored.sort(key=lambda p: -p["score"])
            seen_words: set[str] = set()
            for item in scored:
                words = set(item["phrase"].split())
                if words <= seen_words:
                    continue  # "fabric" after "soft fabric"
                seen_words |= words
                phrases.append(item)
                if len(phrases) == top:
                    break
        return Reading(sentiment=sentiment, vader=round(self.sentiment.vader(text), 4), fit=fit, phrases=phrases)


def loved_score(ratings_and_sentiments: list[tuple[int, float]], prior_mean: float, prior_weight: float = 5.0) -> float:
    """ "Loved by buyers": each review's stars nudged by what its words say (sentiment 1 is up to
    half a star more), averaged with `prior_weight` imaginary reviews at the shop's mean, so one
    5-star review ranks below forty reviews averaging 4.6."""
    adjusted = [min(5.0, max(1.0, rating + 0.5 * sentiment)) for rating, sentiment in ratings_and_sentiments]
    return (prior_weight * prior_mean + sum(adjusted)) / (prior_weight + len(adjusted))


def adjusted_rating(rating: int, sentiment: float) -> float:
    """The star rating nudged by what the words say, kept within 1 to 5."""
    return min(5.0, max(1.0, rating + 0.5 * sentiment))
