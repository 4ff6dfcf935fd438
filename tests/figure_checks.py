"""What a figure draws, read from its artists: texts, points, arrows, overlaps, clipping."""

from __future__ import annotations

import itertools

from matplotlib.collections import PathCollection
from matplotlib.text import Annotation


def texts(fig) -> list[str]:
    """Every text a figure draws: the texts of its axes and of the figure."""
    out = [t.get_text() for ax in fig.axes for t in ax.texts]
    return out + [t.get_text() for t in fig.texts]


def points(fig) -> list[tuple[float, float]]:
    """The (x, y) of every marker drawn (the squares of the effects)."""
    return [
        tuple(xy)
        for ax in fig.axes
        for c in ax.collections
        if isinstance(c, PathCollection)
        for xy in c.get_offsets()
    ]


def arrows(fig) -> list[Annotation]:
    """The arrows drawn (an interval leaving the axis, an infinite bound always)."""
    return [
        t
        for ax in fig.axes
        for t in ax.texts
        if isinstance(t, Annotation) and t.arrow_patch is not None
    ]


def layout_problems(fig) -> list[str]:
    """Texts that stick out of the figure or overlap another text (empty: none)."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    frame = fig.bbox
    drawn = [
        t
        for t in [*(t for ax in fig.axes for t in ax.texts), *fig.texts]
        if t.get_text() and not isinstance(t, Annotation)
    ]
    for ax in fig.axes:  # the tick labels drawn: those of the ticks inside the axis
        lo, hi = sorted(ax.get_xlim())
        drawn += [
            tick.label1
            for tick in ax.xaxis.get_major_ticks()
            if lo * (1 - 1e-9) <= tick.get_loc() <= hi * (1 + 1e-9) and tick.label1.get_text()
        ]
    boxes = [(t.get_text(), t.get_window_extent(renderer)) for t in drawn]
    problems = [
        f"clipped: {text!r}"
        for text, box in boxes
        if box.x0 < frame.x0 - 1
        or box.x1 > frame.x1 + 1
        or box.y0 < frame.y0 - 1
        or box.y1 > frame.y1 + 1
    ]
    for (a, box_a), (b, box_b) in itertools.combinations(boxes, 2):
        if box_a.overlaps(box_b):
            problems.append(f"overlap: {a!r} / {b!r}")
    return problems
