"""Server-rendered SVG charts: no chart library, no external service, nothing to run in the browser."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

WIDTH, HEIGHT, PAD = 640, 180, 28


@dataclass(frozen=True)
class Bar:
    """One bar of a bar chart, with its tooltip."""

    x: float
    y: float
    width: float
    height: float
    title: str


@dataclass(frozen=True)
class Chart:
    """What the SVG template draws: bars or a line, axis labels, the largest value."""

    bars: list[Bar]
    points: list[tuple[float, float, str]]
    labels: list[tuple[float, str]]
    top: str
    bottom: str
    width: int = WIDTH
    height: int = HEIGHT


def _x(i: int, n: int) -> float:
    return PAD + (WIDTH - 2 * PAD) * i / max(n, 1)


def _labels(days: list[date]) -> list[tuple[float, str]]:
    # every step-th day from the first, and always the last: before, a 30-day axis stopped its labels
    # five days short of the last day with data, which read as if the chart ended there
    step = max(1, -(-len(days) // 6))
    shown = [i for i in range(len(days)) if i % step == 0 and len(days) - 1 - i >= step / 2]
    if days:
        shown.append(len(days) - 1)
    return [(_x(i, len(days)), days[i].strftime("%d %b")) for i in shown]


def bars(days: list[date], values: list[int]) -> Chart:
    """A bar per day, scaled to the busiest day."""
    peak = max(values, default=0) or 1
    slot = (WIDTH - 2 * PAD) / max(len(values), 1)
    plot = HEIGHT - 2 * PAD
    out = [
        Bar(
            _x(i, len(values)) + 1,
            HEIGHT - PAD - plot * v / peak,
            max(slot - 2, 1),
            plot * v / peak,
            f"{d}: {v}",
        )
        for i, (d, v) in enumerate(zip(days, values, strict=True))
    ]
    return Chart(out, [], _labels(days), str(peak), "0")


def line(days: list[date], values: list[float | None]) -> Chart:
    """Average sentiment per day on a -1..1 scale; days without mentions leave a gap."""
    plot = HEIGHT - 2 * PAD
    slot = (WIDTH - 2 * PAD) / max(len(values), 1)
    points = [
        (_x(i, len(values)) + slot / 2, HEIGHT - PAD - plot * (v + 1) / 2, f"{d}: {v:+.2f}")
        for i, (d, v) in enumerate(zip(days, values, strict=True))
        if v is not None
    ]
    return Chart([], points, _labels(days), "+1", "-1")
