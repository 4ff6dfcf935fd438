"""The PRISMA 2020 flow diagram for updated reviews (Page et al., BMJ 2021;372:n71), drawn from
the rows of ``results/tables/prisma.csv``: the figure formats the table, it counts nothing.

Three columns: the previous version of the review, new studies identified via ClinicalTrials.gov
(per search date, records removed before screening, screened, excluded with reasons, awaiting a
decision, further reports, included) and via other methods; then the new and the total studies
and reports, and the studies pooled per outcome. Greys only; boxes sized to their text.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.patches import FancyArrowPatch, Rectangle

from raremeta.analysis.prisma import PrismaBox, PrismaRow
from raremeta.report.figure_files import STYLE, wrap_to_width
from raremeta.report.prisma_text import count_of, rows_of

#: Font size (points), line pitch and padding of a box's text (inches).
TEXT_PT, LINE_IN, PAD_IN = 8, 0.155, 0.07
#: Column width, gap between columns and between rows, outer margin (inches).
COLUMN_IN, GAP_IN, ROW_GAP_IN, MARGIN_IN = 2.6, 0.3, 0.3, 0.15
#: Column headers.
HEADERS = (
    "Previous version of the review",
    "New studies via ClinicalTrials.gov",
    "Records removed or not included",
    "New studies via other methods",
)
TITLE = "PRISMA 2020 flow of studies"


def _reasons(rows: Sequence[PrismaRow], box: PrismaBox) -> list[str]:
    return [f"  {r.detail}: {r.count}" for r in rows_of(rows, box)]


def box_texts(rows: Sequence[PrismaRow], labels: Mapping[str, str]) -> dict[str, list[str]]:
    """The lines of every box of the diagram, by position name (``previous``, ``records``,
    ``removed``, ``screened``, ``not_included``, ``registry_included``, ``other``,
    ``other_assessed``, ``other_included``, ``new``, ``total``, ``pooled``).
    """
    c = {box: count_of(rows, box) for box in PrismaBox}
    searched = [r for r in rows_of(rows, PrismaBox.REGISTRY_RECORDS) if r.search_date]
    if searched:
        records = [
            f"Records identified from ClinicalTrials.gov (n = {c[PrismaBox.REGISTRY_RECORDS]})"
        ]
        records += [f"  search of {r.search_date}: {r.count} new" for r in searched]
        records += [
            f"  query {r.detail}: {r.count}" for r in rows_of(rows, PrismaBox.REGISTRY_QUERY)
        ]
    else:
        records = [
            "Records identified from ClinicalTrials.gov (n = 0)",
            "  no registry search committed yet",
        ]
    previous = rows_of(rows, PrismaBox.PREVIOUS_STUDIES)
    texts = {
        "previous": [
            f"Studies included in the previous version (n = {c[PrismaBox.PREVIOUS_STUDIES]})",
            f"Reports of these studies (n = {c[PrismaBox.PREVIOUS_REPORTS]})",
        ]
        + ([f"  {previous[0].detail}"] if previous and not searched and previous[0].detail else []),
        "records": records,
        "removed": [
            "Records removed before screening:",
            f"  found by several queries (n = {c[PrismaBox.DUPLICATES_REMOVED]})",
            f"  of studies already included (n = {c[PrismaBox.ALREADY_INCLUDED]})",
        ],
        "screened": [f"Records screened (n = {c[PrismaBox.REGISTRY_SCREENED]})"],
        "not_included": [
            f"Records excluded (n = {c[PrismaBox.REGISTRY_EXCLUDED]})",
            *_reasons(rows, PrismaBox.REGISTRY_EXCLUDED_REASON),
            f"Awaiting a decision (n = {c[PrismaBox.REGISTRY_AWAITING]})",
            f"Further reports of included studies (n = {c[PrismaBox.REGISTRY_SAME_STUDY]})",
        ],
        "registry_included": [f"New studies included (n = {c[PrismaBox.REGISTRY_INCLUDED]})"],
        "other": [
            "Records identified by other methods: letters, reviews, hand entry "
            f"(n = {c[PrismaBox.OTHER_RECORDS]})"
        ],
        "other_assessed": [
            f"Records excluded (n = {c[PrismaBox.OTHER_EXCLUDED]})",
            *_reasons(rows, PrismaBox.OTHER_EXCLUDED_REASON),
            f"Awaiting a decision (n = {c[PrismaBox.OTHER_AWAITING]})",
            f"Further reports of included studies (n = {c[PrismaBox.OTHER_SAME_STUDY]})",
        ],
        "other_included": [f"New studies included (n = {c[PrismaBox.OTHER_INCLUDED]})"],
        "new": [
            f"New studies included in this version (n = {c[PrismaBox.NEW_STUDIES]})",
            f"Reports of new included studies (n = {c[PrismaBox.NEW_REPORTS]})",
        ],
        "total": [
            f"Total studies included in the review (n = {c[PrismaBox.TOTAL_STUDIES]})",
            f"Reports of total included studies (n = {c[PrismaBox.TOTAL_REPORTS]})",
        ],
        "pooled": ["Studies in each outcome's comparison:"]
        + [
            f"  {labels.get(r.detail, r.detail)}: {r.count}"
            for r in rows_of(rows, PrismaBox.STUDIES_POOLED)
        ],
    }
    return texts


@dataclass(frozen=True)
class _Box:
    lines: tuple[str, ...]
    x: float
    width: float

    @property
    def height(self) -> float:
        return 2 * PAD_IN + LINE_IN * len(self.lines)


def _wrapped(lines: list[str], width: float) -> tuple[str, ...]:
    """The lines wrapped to the box, never inside "(n = 3)" (no-break spaces there)."""
    out: list[str] = []
    for line in lines:
        line = line.replace("(n = ", "(n\u00a0=\u00a0")
        indent = len(line) - len(line.lstrip(" "))
        for i, part in enumerate(
            wrap_to_width(line.strip(), width - 2 * PAD_IN - 0.1 * indent / 2, TEXT_PT)
        ):
            out.append(" " * indent + ("  " if i else "") + part)
    return tuple(out)


def prisma_plot(rows: Sequence[PrismaRow], labels: Mapping[str, str] | None = None) -> plt.Figure:
    """Draw the flow diagram.

    Parameters
    ----------
    rows : sequence of PrismaRow
        The rows of ``prisma.csv``.
    labels : mapping, optional
        Outcome id -> label, for the studies pooled per outcome.
    """
    texts = box_texts(rows, labels or {})
    x = [MARGIN_IN + i * (COLUMN_IN + GAP_IN) for i in range(4)]
    width = x[3] + COLUMN_IN + MARGIN_IN
    layout = [  # rows of (position name, column)
        [("previous", 0), ("records", 1), ("removed", 2), ("other", 3)],
        [("screened", 1), ("not_included", 2), ("other_assessed", 3)],
        [("registry_included", 1), ("other_included", 3)],
        [("new", 1)],
        [("total", 1)],
        [("pooled", 1)],
    ]
    boxes: dict[str, tuple[_Box, float]] = {}
    header_h = 0.3
    title_h = 0.35
    y = MARGIN_IN + title_h + header_h  # from the top
    for row in layout:
        made = {
            name: _Box(_wrapped(texts[name], COLUMN_IN), x[col], COLUMN_IN) for name, col in row
        }
        height = max(b.height for b in made.values())
        for name, box in made.items():
            boxes[name] = (box, y)
        y += height + ROW_GAP_IN
    total_h = y - ROW_GAP_IN + MARGIN_IN
    with plt.rc_context(STYLE):
        fig = plt.figure(figsize=(width, total_h))
        ax = fig.add_axes((0, 0, 1, 1))
        ax.set_xlim(0, width)
        ax.set_ylim(total_h, 0)
        ax.axis("off")
        ax.text(
            MARGIN_IN, MARGIN_IN + title_h / 2, TITLE, fontsize=10, fontweight="bold", va="center"
        )
        for i, header in enumerate(HEADERS):
            ax.add_patch(
                Rectangle((x[i], MARGIN_IN + title_h), COLUMN_IN, header_h - 0.08,
                          facecolor="#d9d9d9", edgecolor="none")
            )  # fmt: skip
            ax.text(x[i] + COLUMN_IN / 2, MARGIN_IN + title_h + (header_h - 0.08) / 2, header,
                    ha="center", va="center", fontsize=TEXT_PT, fontweight="bold")  # fmt: skip
        for box, top in boxes.values():
            ax.add_patch(
                Rectangle((box.x, top), box.width, box.height, facecolor="white",
                          edgecolor="#404040", linewidth=0.8)
            )  # fmt: skip
            for i, line in enumerate(box.lines):
                ax.text(box.x + PAD_IN, top + PAD_IN + LINE_IN * (i + 0.5), line,
                        va="center", ha="left", fontsize=TEXT_PT)  # fmt: skip

        def edge(name: str, side: str) -> tuple[float, float]:
            box, top = boxes[name]
            return {
                "bottom": (box.x + box.width / 2, top + box.height),
                "top": (box.x + box.width / 2, top),
                "right": (box.x + box.width, top + box.height / 2),
                "left": (box.x, top + box.height / 2),
            }[side]

        def arrow(start: tuple[float, float], end: tuple[float, float]) -> None:
            ax.add_patch(
                FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=8, color="#404040",
                                linewidth=0.8, shrinkA=0, shrinkB=0)
            )  # fmt: skip

        arrow(edge("records", "bottom"), edge("screened", "top"))
        for source, side in (("records", "removed"), ("screened", "not_included")):
            # horizontal, at the middle of the lower of the two boxes (their tops align)
            (first, top), (second, _) = boxes[source], boxes[side]
            level = top + min(first.height, second.height) / 2
            arrow((first.x + first.width, level), (second.x, level))
        arrow(edge("screened", "bottom"), edge("registry_included", "top"))
        arrow(edge("registry_included", "bottom"), edge("new", "top"))
        arrow(edge("other", "bottom"), edge("other_assessed", "top"))
        arrow(edge("other_assessed", "bottom"), edge("other_included", "top"))
        ox, oy = edge("other_included", "bottom")
        nx, ny = edge("new", "right")
        ax.plot([ox, ox], [oy, ny], color="#404040", linewidth=0.8)
        arrow((ox, ny), (nx, ny))
        arrow(edge("new", "bottom"), edge("total", "top"))
        px, py = edge("previous", "bottom")
        tx, ty = edge("total", "left")
        ax.plot([px, px], [py, ty], color="#404040", linewidth=0.8)
        arrow((px, ty), (tx, ty))
        arrow(edge("total", "bottom"), edge("pooled", "top"))
    return fig
