"""Chart geometry for the HTML report: numbers only, drawn by the templates as inline SVG.

Keeping geometry here (and text out of it) means every label still goes through Jinja's autoescape.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

LAYERS = ("1", "2", "3", "4")


@dataclass(frozen=True)
class Bar:
    layer: str
    score: float | None
    coverage: float | None
    met: bool
    width: float  # px of the filled part
    y: float


@dataclass(frozen=True)
class LayerBars:
    """Horizontal bars, one per layer, over a 0-100 track with the policy threshold marked."""

    bars: tuple[Bar, ...]
    track_x: float
    track_w: float
    threshold_x: float
    row_h: float
    width: float
    height: float


def layer_bars(layers: dict[str, Any], threshold: float, track_x: float = 0, track_w: float = 300,
               row_h: float = 40, width: float = 560) -> LayerBars:
    """Row i: a label line at y, the bar at y + 16 (12 px high), value and met / not met to the right."""
    bars = []
    for i, n in enumerate(LAYERS):
        ly = layers[n]
        score = ly.get("score")
        bars.append(Bar(n, score, ly.get("coverage"), bool(ly.get("met")),
                        round(track_w * (score or 0) / 100, 1), 4 + i * row_h))
    return LayerBars(tuple(bars), track_x, track_w, round(track_x + track_w * threshold / 100, 1), row_h,
                     width, 4 + len(LAYERS) * row_h + 16)


@dataclass(frozen=True)
class Series:
    key: str  # "overall" or a layer number
    points: str  # SVG polyline points
    dots: tuple[tuple[float, float, float], ...]  # (x, y, value)


@dataclass(frozen=True)
class Trend:
    """Score over runs for one agency: overall and per layer, x = run index, y = 0-100."""

    series: tuple[Series, ...]
    ticks: tuple[tuple[float, str], ...]  # (x, date label)
    threshold_y: float
    left: float
    top: float
    plot_w: float
    plot_h: float
    width: float
    height: float

    def y_of(self, value: float) -> float:
        return round(self.top + self.plot_h * (1 - value / 100), 1)


def trend(runs: list[dict[str, Any]], agency_id: str, threshold: float, left: float = 40, top: float = 12,
          plot_w: float = 420, plot_h: float = 170) -> Trend | None:
    """runs: [{"started", "agencies": {id: {"score", "layers": {"1": score}}}}] oldest first; None if < 2 points."""
    runs = [r for r in runs if agency_id in r.get("agencies", {})]
    if len(runs) < 2:
        return None
    step = plot_w / (len(runs) - 1)

    def y(v: float) -> float:
        return round(top + plot_h * (1 - v / 100), 1)

    series = []
    for key in ("overall", *LAYERS):
        dots = []
        for i, run in enumerate(runs):
            node = run["agencies"][agency_id]
            value = node.get("score") if key == "overall" else (node.get("layers") or {}).get(key)
            if isinstance(value, dict):  # tolerate {"score": ..} per layer as well as a bare number
                value = value.get("score")
            if value is not None:
                dots.append((round(left + i * step, 1), y(float(value)), float(value)))
        if dots:
            series.append(Series(key, " ".join(f"{x},{yy}" for x, yy, _ in dots), tuple(dots)))
    every = max(1, len(runs) // 6)
    stamps = [str(run.get("started", "")) for run in runs]
    days = [s[:10] for s in stamps]
    labels = days if len(set(days)) == len(days) else [s[5:16].replace("T", " ") for s in stamps]
    ticks = tuple((round(left + i * step, 1), labels[i])
                  for i in range(len(runs)) if i % every == 0 or i == len(runs) - 1)
    return Trend(tuple(series), ticks, y(threshold), left, top, plot_w, plot_h, left + plot_w + 110,
                 top + plot_h + 30)
