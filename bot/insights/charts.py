"""Chart geometry for the editors' pages: stacked bars and percentage lines as numbers the
templates draw as inline SVG (templates/insights_charts.html). No text is made here: the
labels come from the page, and every chart stands next to a table of its numbers."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

WIDTH = 640
HEIGHT = 220
LEFT = 44  # room for the axis numbers
BOTTOM = 24  # room for the week labels
TOP = 8
RIGHT = 8


@dataclass(frozen=True)
class Tick:
    y: float
    value: int


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    series: str
    value: int
    column: str


@dataclass(frozen=True)
class ColumnLabel:
    x: float
    text: str


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    bars: list[Bar]
    ticks: list[Tick]
    labels: list[ColumnLabel]
    series: list[str]
    plot_left: int = LEFT
    plot_right: int = WIDTH - RIGHT
    baseline: float = HEIGHT - BOTTOM


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    value: float
    column: str


@dataclass(frozen=True)
class Line:
    series: str
    points: list[Point]

    @property
    def path(self) -> str:
        """SVG path data through the weeks that have a value (a week without questions has
        none: the line goes from the week before to the week after)."""
        return " ".join(
            f"{'L' if index else 'M'}{point.x:.1f} {point.y:.1f}"
            for index, point in enumerate(self.points)
        )


@dataclass(frozen=True)
class LineChart:
    width: int
    height: int
    lines: list[Line]
    ticks: list[Tick]
    labels: list[ColumnLabel]
    plot_left: int = LEFT
    plot_right: int = WIDTH - RIGHT
    baseline: float = HEIGHT - BOTTOM


def nice_maximum(value: int) -> int:
    """The axis top: 1, 2 or 5 times a power of ten, at least `value` (and at least 1)."""
    if value <= 1:
        return 1
    power = int(10 ** math.floor(math.log10(value)))
    for step in (1, 2, 5, 10):
        if step * power >= value:
            return step * power
    return 10 * power


def _ticks(top: int, plot_height: float) -> list[Tick]:
    steps = 4 if top >= 4 else top
    return [
        Tick(y=HEIGHT - BOTTOM - plot_height * i / steps, value=round(top * i / steps))
        for i in range(steps + 1)
    ]


def _label_every(count: int) -> int:
    return max(1, math.ceil(count / 13))  # at most about 13 week labels under the bars


def stacked_bars(
    columns: Sequence[tuple[str, Mapping[str, int]]],
    series: Sequence[str],
    *,
    width: int = WIDTH,
    height: int = HEIGHT,
) -> BarChart:
    """One bar per column (a week), its parts stacked in `series` order from the bottom."""
    plot_width = width - LEFT - RIGHT
    plot_height = height - TOP - BOTTOM
    top = nice_maximum(max((sum(values.values()) for _, values in columns), default=0))
    slot = plot_width / max(1, len(columns))
    bar_width = max(2.0, slot * 0.7)
    bars: list[Bar] = []
    labels: list[ColumnLabel] = []
    every = _label_every(len(columns))
    for index, (column, values) in enumerate(columns):
        x = LEFT + slot * index + (slot - bar_width) / 2
        bottom = float(height - BOTTOM)
        for name in series:
            value = values.get(name, 0)
            if value <= 0:
                continue
            part = plot_height * value / top
            bottom -= part
            bars.append(Bar(x, bottom, bar_width, part, name, value, column))
        if index % every == 0:
            labels.append(ColumnLabel(x + bar_width / 2, column))
    return BarChart(width, height, bars, _ticks(top, plot_height), labels, list(series))


def percent_lines(
    columns: Sequence[str],
    series: Mapping[str, Sequence[float | None]],
    *,
    width: int = WIDTH,
    height: int = HEIGHT,
) -> LineChart:
    """Lines of percentages (0-100) over the columns; a missing value leaves a gap."""
    plot_width = width - LEFT - RIGHT
    plot_height = height - TOP - BOTTOM
    slot = plot_width / max(1, len(columns))
    lines = []
    for name, values in series.items():
        points = [
            Point(
                LEFT + slot * (i + 0.5), height - BOTTOM - plot_height * value / 100, value, column
            )
            for i, (column, value) in enumerate(zip(columns, values, strict=True))
            if value is not None
        ]
        lines.append(Line(name, points))
    every = _label_every(len(columns))
    labels = [
        ColumnLabel(LEFT + slot * (i + 0.5), column)
        for i, column in enumerate(columns)
        if i % every == 0
    ]
    return LineChart(width, height, lines, _ticks(100, plot_height), labels)


@dataclass(frozen=True)
class Segment:
    x: float
    width: float
    series: str
    value: int


@dataclass(frozen=True)
class BarRow:
    label: str
    label_y: float
    bar_y: float
    bar_height: float
    segments: list[Segment]
    values: dict[str, int]  # every series, a zero too (the numbers after the bar)
    end_x: float  # where the bar ends: its numbers are written after it


@dataclass(frozen=True)
class HorizontalBarChart:
    width: int
    height: int
    rows: list[BarRow]
    series: list[str]
    plot_left: int
    plot_right: int
    top: int  # the value at the right edge


ROW_HEIGHT = 34  # a label line above each bar
BAR_HEIGHT = 14
NUMBERS_ROOM = 72  # after the longest bar


def split_bars(
    rows: Sequence[tuple[str, Mapping[str, int]]],
    series: Sequence[str],
    *,
    width: int = WIDTH,
) -> HorizontalBarChart:
    """One horizontal bar per row (an entry, its label above it), its parts side by side in
    `series` order from the left, all on one scale."""
    left, right = RIGHT, width - NUMBERS_ROOM
    top = nice_maximum(max((sum(values.values()) for _, values in rows), default=0))
    drawn: list[BarRow] = []
    for index, (label, values) in enumerate(rows):
        y = TOP + ROW_HEIGHT * index
        x = float(left)
        segments = []
        for name in series:
            value = values.get(name, 0)
            if value <= 0:
                continue
            part = (right - left) * value / top
            segments.append(Segment(x, part, name, value))
            x += part
        drawn.append(
            BarRow(
                label,
                y + 12,
                y + 16,
                BAR_HEIGHT,
                segments,
                {name: values.get(name, 0) for name in series},
                x + 6,
            )
        )
    height = TOP * 2 + ROW_HEIGHT * max(1, len(rows))
    return HorizontalBarChart(width, height, drawn, list(series), left, right, top)
