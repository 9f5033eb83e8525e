"""Charts of the web pages on hand-made points: labels never overlap each other or the points,
stay inside the plot, and a label without room becomes a number; long bar labels wrap whole."""

from __future__ import annotations

import re

from rok.web.charts import Bar, Dot, bar_chart, place_labels, scatter_chart, wrap
from rok.web.labels import INDICATOR_LABELS


def _box(x: float, y: float, anchor: str, text: str) -> tuple[float, float, float, float]:
    w = len(text) * 6.2
    left = x - (w if anchor == "end" else w / 2 if anchor == "middle" else 0)
    return left, y - 10, left + w, y + 2


def test_labels_of_crowded_points_never_overlap():
    points = [(100 + (i % 4) * 3, 100 + (i // 4) * 3) for i in range(12)]  # a tight cluster of 12
    texts = [f"programme part {i}" for i in range(12)]
    spots = place_labels(points, texts, bounds=(0, 0, 400, 300))
    boxes = [_box(*spot, text) for spot, text in zip(spots, texts, strict=True) if spot is not None]
    assert 0 < len(boxes) < 12  # some fit, the others need a number
    for i, a in enumerate(boxes):
        assert 0 <= a[0] and a[2] <= 400 and 0 <= a[1] and a[3] <= 300
        for b in boxes[i + 1:]:
            assert not (a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3])


def test_isolated_points_get_their_label_to_the_right():
    spots = place_labels([(50, 50), (300, 200)], ["a", "b"], bounds=(0, 0, 400, 300))
    assert spots == [(57, 54, "start"), (307, 204, "start")]


def test_scatter_numbers_what_does_not_fit():
    dots = [Dot(1 + i * 0.01, 1 + i * 0.01, f"a long programme part name {i}") for i in range(8)]
    svg, numbers = scatter_chart(dots, title="t", x_label="x", y_label="y")
    named = [n for n in numbers if n is None]
    numbered = [n for n in numbers if n is not None]
    assert named and numbered == list(range(1, len(numbered) + 1))
    assert svg.count("<circle") == 8 and svg.count('class="num"') == len(numbered)


def test_bar_labels_wrap_whole_words():
    name = "Food security, sustainable agriculture and forestry, marine and maritime research, and the bioeconomy"
    lines = wrap(name, 40)
    assert " ".join(lines) == name and all(len(line) <= 40 for line in lines)
    svg = bar_chart([Bar(name, 1.5), Bar("short", 0.5)], title="rca", reference=1.0)
    texts = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    assert all(len(t) <= 65 for t in texts) and "bioeconomy" in svg


def test_indicator_labels_are_words():
    assert all(" " in label and label[0].isupper() for label in INDICATOR_LABELS.values())
    assert "hrst" not in " ".join(INDICATOR_LABELS.values()).lower()
