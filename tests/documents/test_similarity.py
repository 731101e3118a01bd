"""Near-duplicate texts between submissions are found with a score; unrelated ones are not."""

from __future__ import annotations

import random
import time

import numpy as np
import pytest

from documents.similarity import candidate_pairs, jaccard, shingles, similar_pairs

VOCABULARY = [f"w{i}" for i in range(5000)]


def random_text(rng: random.Random, n_words: int = 400) -> str:
    return " ".join(rng.choice(VOCABULARY) for _ in range(n_words))


def edited(rng: random.Random, text: str, share: float) -> str:
    """The text with `share` of its words replaced."""
    words = text.split()
    for i in rng.sample(range(len(words)), int(len(words) * share)):
        words[i] = rng.choice(VOCABULARY)
    return " ".join(words)


def test_a_near_copy_is_found_with_its_score_and_unrelated_texts_are_not():
    rng = random.Random(1)
    original = random_text(rng)
    texts = {"CFE-0001": original, "CFE-0002": edited(rng, original, 0.02), "CFE-0003": random_text(rng)}
    texts["CFE-0004"] = "Outreach in Brackford. " + original.upper() + " (sent by a second agency)"
    pairs = similar_pairs(texts, threshold=0.6)
    found = {(p.first, p.second) for p in pairs}
    assert found == {("CFE-0001", "CFE-0002"), ("CFE-0001", "CFE-0004"), ("CFE-0002", "CFE-0004")}
    for pair in pairs:
        assert 0.6 <= pair.score <= 1
        assert pair.score == pytest.approx(jaccard(shingles(texts[pair.first]), shingles(texts[pair.second])), abs=1e-4)
    assert [p.score for p in pairs] == sorted((p.score for p in pairs), reverse=True)


def test_identical_texts_score_one_and_the_threshold_is_a_bound():
    texts = {"a": "the same initiative sent by two agencies", "b": "The same initiative, sent by two agencies!"}
    assert [(p.first, p.second, p.score) for p in similar_pairs(texts)] == [("a", "b", 1.0)]
    with pytest.raises(ValueError, match="between 0 and 1"):
        similar_pairs(texts, threshold=0)


def test_empty_and_short_texts_are_handled():
    texts = {"a": "", "b": "   ", "c": "short note", "d": "short note", "e": "another short one"}
    assert [(p.first, p.second) for p in similar_pairs(texts)] == [("c", "d")]
    assert len(shingles("")) == 0 and len(shingles("one two")) == 1


def test_pairs_past_the_threshold_are_all_found_among_many():
    rng = random.Random(2)
    texts = {f"S{i:04d}": random_text(rng, 300) for i in range(300)}
    planted = set()
    for i in range(0, 60, 2):  # 30 near-copies with 5% of words changed (Jaccard about 0.6 to 0.8)
        texts[f"S{i + 1:04d}"] = edited(rng, texts[f"S{i:04d}"], 0.05)
        planted.add((f"S{i:04d}", f"S{i + 1:04d}"))
    found = {(p.first, p.second) for p in similar_pairs(texts, threshold=0.5)}
    assert found == planted


def test_unrelated_texts_are_almost_never_compared_so_the_work_grows_linearly():
    """The exact comparison runs only on candidate pairs: among 800 unrelated
    texts (319,600 pairs) there are next to none, so the work is the hashing,
    linear in the words. Timings are printed for docs/documents.md, not
    asserted (speed is for bench/)."""
    rng = random.Random(3)
    corpus = {f"S{i:05d}": random_text(rng, 300) for i in range(800)}
    for n in (200, 800):
        subset = dict(list(corpus.items())[:n])
        start = time.perf_counter()
        sets = {key: shingles(text) for key, text in subset.items()}
        candidates = candidate_pairs(sets)
        print(f"{n} texts of 300 words: {len(candidates)} candidates, {time.perf_counter() - start:.3f} s")
        assert len(candidates) <= n // 100
    # A planted near-copy is a candidate all the same.
    corpus["copy"] = edited(rng, corpus["S00007"], 0.05)
    sets = {key: shingles(text) for key, text in corpus.items()}
    assert ("S00007", "copy") in candidate_pairs(sets)


def test_shingles_ignore_case_and_punctuation():
    assert np.array_equal(shingles("One, two; THREE four five six"), shingles("one two three four five six"))
