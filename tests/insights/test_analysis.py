"""The review reader on sentences written for these tests (tests/insights/review_sentences.tsv,
Indian English among them), against VADER alone; MiniLM run on numpy against the model's
published numbers; key phrases; the "Loved by buyers" prior; fit advice."""

from __future__ import annotations

import json
import subprocess  # nosec B404
import sys
from pathlib import Path

import pytest

from mooncart.insights.analysis import Analyser, Sentiment, candidates, loved_score, polarity, read_fit
from mooncart.insights.summary import fit_advice

SENTENCES = Path(__file__).with_name("review_sentences.tsv")


def labelled() -> list[tuple[str, str, str]]:
    rows = []
    for line in SENTENCES.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            label, fit, text = line.split("\t")
            rows.append((label, fit, text))
    return rows


@pytest.fixture(scope="module")
def sentiment():
    return Sentiment()


@pytest.fixture(scope="module")
def model():
    from mooncart.insights import minilm

    return minilm.load()


def test_the_labelled_set_is_large_and_balanced_enough_to_mean_something():
    rows = labelled()
    labels = [label for label, _, _ in rows]
    assert len(rows) >= 60
    assert labels.count("positive") >= 20 and labels.count("negative") >= 20 and labels.count("neutral") >= 5


def test_shop_sentiment_beats_vader_alone_on_the_labelled_set(sentiment):
    rows = labelled()
    ours = sum(polarity(sentiment.score(text)) == label for label, _, text in rows) / len(rows)
    vader = sum(polarity(sentiment.vader(text)) == label for label, _, text in rows) / len(rows)
    print(f"\nsentiment accuracy on {len(rows)} labelled sentences: ours {ours:.1%}, VADER alone {vader:.1%}")
    assert ours >= 0.85
    assert ours >= vader + 0.15


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Fitting is too tight.", "negative"),
        ("Colour is exactly same as shown.", "positive"),
        ("Same to same as the photo.", "positive"),
        ("Paisa vasool, must buy.", "positive"),
        ("Had to return it, stitching came off.", "negative"),
        ("Not the same as shown in the picture.", "negative"),
    ],
)
def test_indian_english_is_read_right(sentiment, text, expected):
    assert polarity(sentiment.score(text)) == expected
    assert -1 <= sentiment.score(text) <= 1


def test_fit_is_read_from_the_words(sentiment):
    rows = labelled()
    right = sum((read_fit(text) or "-") == fit for _, fit, text in rows) / len(rows)
    assert right >= 0.9
    assert read_fit("Had to return for a size up") == "small"
    assert read_fit("fitting is too tight") == "small"
    assert read_fit("Too loose, please size down") == "large"
    assert read_fit("True to size, as per the size chart") == "true"
    assert read_fit("Lovely colour") is None


def test_the_answer_counts_when_the_words_say_nothing_about_fit():
    analyser = Analyser(None)
    assert analyser.read("Lovely colour and soft fabric.", "large").fit == "large"
    assert analyser.read("Runs small, size up.", "true").fit == "small"  # the words win
    assert analyser.read("Lovely colour.", "bogus").fit is None


def test_minilm_on_numpy_gives_the_published_embedding(model):
    """all-MiniLM-L6-v2's model card prints the first values of this sentence's embedding."""
    vector = model.encode(["This is an example sentence"])[0]
    assert vector[:5].tolist() == pytest.approx([0.0676569, 0.0634959, 0.0487131, 0.0793050, 0.0374480], abs=1e-4)
    assert float((vector**2).sum()) == pytest.approx(1.0, abs=1e-5)


def test_minilm_puts_like_sentences_closer_than_unlike_ones(model):
    soft, cotton, late = model.encode(
        ["The kurti fabric is very soft", "Soft cotton material, lovely to wear", "The delivery was late by a week"]
    )
    assert float(soft @ cotton) > float(soft @ late) + 0.3


def test_padding_in_a_batch_does_not_change_an_embedding(model):
    alone = model.encode(["Soft fabric"])[0]
    batched = model.encode(["Soft fabric", "A much longer review that makes the batch pad the short one a lot"])[0]
    assert float(alone @ batched) == pytest.approx(1.0, abs=1e-5)


def test_key_phrases_are_the_review_s_own_words_signed_by_their_sentence(model):
    reading = Analyser(model).read("The colour faded after the first wash but the fabric is soft.")
    phrases = {p["phrase"]: p["polarity"] for p in reading.phrases}
    assert any("faded" in phrase and mood == "negative" for phrase, mood in phrases.items()), phrases
    assert any("soft" in phrase and mood == "positive" for phrase, mood in phrases.items()), phrases
    assert all(
        phrase in "the colour faded after the first wash but the fabric is soft".replace("the ", "")
        or phrase in "colour faded after first wash fabric is soft"
        for phrase in phrases
    )


def test_candidates_never_cross_a_comma_or_start_with_a_stop_word():
    found = candidates("Soft fabric, lovely embroidery and the colour is rich")
    assert "soft fabric" in found and "lovely embroidery" in found
    assert "fabric lovely" not in found and not any(c.startswith(("the ", "and ")) for c in found)


def test_one_five_star_review_does_not_beat_forty_happy_ones():
    single = loved_score([(5, 0.9)], prior_mean=4.0)
    many = loved_score([(5, 0.8)] * 24 + [(4, 0.5)] * 16, prior_mean=4.0)
    assert many > single
    assert loved_score([], prior_mean=4.0) == 4.0


def test_fit_advice_needs_three_voices_and_a_majority():
    assert fit_advice({"small": 2, "true": 0, "large": 0}) is None
    assert fit_advice({"small": 2, "true": 2, "large": 0}) is None
    advice = fit_advice({"small": 3, "true": 1, "large": 0})
    assert advice["text"] == "Most buyers say: runs small, consider a size up" and advice["total"] == 4
    large = fit_advice({"small": 0, "true": 1, "large": 5})
    assert large["text"] == "Most buyers say: runs large, consider a size down"


def test_classify_review_prints_one_json_object_per_line():
    reviews = "Fitting is too tight, had to return for a size up\nColour is exactly same as shown, soft fabric\n\n"
    done = subprocess.run(
        [sys.executable, "-m", "mooncart", "classify-review"],
        input=reviews,
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )  # nosec B603
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(lines) == 3
    assert lines[0]["fit"] == "small" and lines[0]["sentiment"] < 0
    assert lines[1]["fit"] is None and lines[1]["sentiment"] > 0
    assert set(lines[1]) == {"sentiment", "fit", "phrases"} and all(isinstance(p, str) for p in lines[1]["phrases"])
    assert lines[1]["phrases"]
    assert lines[2] == {"sentiment": 0.0, "fit": None, "phrases": []}


def test_the_shop_runs_without_the_ml_extra():
    """Creating the app and importing every area loads none of the ml extra's packages (numpy is
    one of the shop's own dependencies since the facet and search indexes, so it may load)."""
    code = (
        "import sys, mooncart\n"
        "app = mooncart.create_app({'SECRET_KEY': 'x'})\n"
        "import mooncart.reviews.routes, mooncart.admin.routes, mooncart.reviews.extras, "
        "mooncart.recommendations.jobs\n"
        "loaded = [m for m in ('vaderSentiment', 'tokenizers', 'safetensors') if m in sys.modules]\n"
        "assert not loaded, loaded\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)  # nosec B603
