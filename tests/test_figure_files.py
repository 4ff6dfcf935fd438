"""Saving figures fast without changing them (issue 23, item 7): palette PNGs, lean Type 42
PDF fonts, the leaner text drawing, reruns byte for byte.

Every reference here is matplotlib's own output or the font file: a PNG saved by matplotlib's
PNG writer (RGBA), a PDF or SVG saved by ``Figure.savefig`` with matplotlib's ``Text.draw``, and
DejaVu Sans's glyph bounds (unitsPerEm 2048; "l" reaches 1556 above the baseline, "p" 426
below, read with fontTools from the bundled font).
"""

from __future__ import annotations

import io
import re
import zlib

import matplotlib
import numpy as np
import pytest
from fontTools.ttLib import TTFont
from PIL import Image

from raremeta.report import figure_files
from raremeta.report.figure_files import STYLE, png_image, render_rgba, save_figure
from raremeta.report.forest import ROW_HEIGHT_IN, PooledRow, StudyRow, forest_plot

matplotlib.use("Agg")
import matplotlib.pyplot as plt

#: Studies in the large forest plot (the size the brief names).
N_ROWS = 200
#: DejaVu Sans: units per em and the heights of the "lp" box (glyph bounds of the font file).
UNITS, L_TOP, P_BOTTOM = 2048, 1556, 426
#: A vertically centred 8 pt line's baseline lies below the row's centre by half the "lp" box
#: height less its descent: 8 (1556 + 426) / 2048 / 2 - 8 * 426 / 2048 = 2.207 pt.
BASELINE_BELOW_CENTRE_PT = 8 * (L_TOP + P_BOTTOM) / UNITS / 2 - 8 * P_BOTTOM / UNITS


def big_forest():
    """A forest plot of 200 trials (a square and a line of text per trial) and one pooled row."""
    rows = [
        StudyRow(
            f"Trial {i:03d}",
            1 + i % 7,
            100 + i,
            2 + i % 5,
            90 + 2 * i,
            0.5 + (i % 13) / 5,
            0.2 + (i % 13) / 20,
            2.0 + (i % 13),
            100 / N_ROWS,
            source_kinds_cni="primary" if i % 2 else "registry",
            source_kinds_comparator="primary",
            follow_up_weeks=12.0 + i % 4,
        )
        for i in range(N_ROWS)
    ]
    pooled = [PooledRow("Primary: OR, Mantel-Haenszel", "OR", 1.2, 0.9, 1.6, primary=True)]
    return forest_plot("Seizure", "OR", rows, pooled, "Heterogeneity: none.")


@pytest.fixture(scope="module")
def forest():
    fig = big_forest()
    yield fig
    plt.close(fig)


def matplotlib_png(fig, dpi: int = 150) -> np.ndarray:
    """The pixels of matplotlib's own PNG of ``fig`` (RGBA)."""
    buf = io.BytesIO()
    with plt.rc_context(STYLE):
        fig.savefig(buf, format="png", dpi=dpi)
    return np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("RGBA"))


def pdf_streams(data: bytes) -> list[bytes]:
    """The decompressed streams of a PDF written by matplotlib (every stream is Flate)."""
    return [zlib.decompress(m) for m in re.findall(rb"stream\n(.*?)\nendstream", data, re.S)]


def page_content(data: bytes) -> bytes:
    """The page's content stream: the one that draws text."""
    return max(pdf_streams(data), key=lambda s: s.count(b"BT"))


def text_origins(content: bytes) -> list[tuple[str, float, float]]:
    """Each text with its baseline origin (points) in a matplotlib PDF page: the translation
    of the ``cm`` before its ``BT`` (two-byte Identity-H codes, here all ASCII).
    """
    out = []
    pattern = rb"1 0 -0 1 ([-\d.]+) ([-\d.]+) cm\nBT\n/F\d+ [\d.]+ Tf\n0 0 Td\n\[(.*?)\] TJ"
    for x, y, shown in re.findall(pattern, content, re.S):
        text = b"".join(re.findall(rb"\((.*?)\)", shown, re.S)).replace(b"\x00", b"")
        out.append((text.decode("latin-1"), float(x), float(y)))
    return out


def test_png_is_a_palette_image_with_matplotlibs_pixels(forest, tmp_path):
    """An outcome figure (black and greys) is written as 8-bit palette PNG, every pixel
    equal to matplotlib's own RGBA PNG, at 150 dpi, smaller than matplotlib's file.
    """
    path = tmp_path / "forest.png"
    save_figure(forest, [path])
    image = Image.open(path)
    assert image.mode == "P"
    assert image.info["dpi"] == pytest.approx((150, 150), abs=0.02)
    expected = matplotlib_png(forest)
    assert np.array_equal(np.asarray(image.convert("RGBA")), expected)
    buf = io.BytesIO()
    with plt.rc_context(STYLE):
        forest.savefig(buf, format="png", dpi=150)
    assert path.stat().st_size < buf.getbuffer().nbytes


def test_png_palette_of_a_few_colours_and_rgba_beyond_256():
    """Opaque colours (at most 256) take a palette of exactly those colours; an image of
    more colours, or with transparency, is written as RGBA; the pixels never change.
    """
    rng = np.random.default_rng(1)
    few = np.zeros((4, 5, 4), np.uint8)
    few[..., 3] = 255
    few[0, 0, :3] = (200, 30, 10)  # red-ish
    few[1, 2, :3] = (0, 0, 255)  # blue
    image = png_image(few)
    assert image.mode == "P"
    assert np.array_equal(np.asarray(image.convert("RGBA")), few)
    assert len(image.getcolors()) == 3  # black, the red and the blue
    many = rng.integers(0, 256, (30, 30, 4), dtype=np.uint8)
    many[..., 3] = 255  # 900 pixels of random colours: more than 256
    assert png_image(many).mode == "RGBA"
    see_through = few.copy()
    see_through[2, 2, 3] = 128
    assert png_image(see_through).mode == "RGBA"
    assert np.array_equal(np.asarray(png_image(see_through)), see_through)


def test_pdf_fonts_are_type42_subsets_without_layout_tables(forest, tmp_path):
    """Fonts stay TrueType (Type 42: CIDFontType2 with a FontFile2), never Type 3; the
    embedded programs carry the glyph tables and none of GSUB, GPOS, GDEF, MATH.
    """
    path = tmp_path / "forest.pdf"
    save_figure(forest, [path])
    data = path.read_bytes()
    assert b"/Type3" not in data
    # bold (title, headers, primary row), regular (rows), italic (the "Pooled" heading)
    assert data.count(b"/CIDFontType2") == 3
    fonts = [TTFont(io.BytesIO(s)) for s in pdf_streams(data) if s[:4] == b"\x00\x01\x00\x00"]
    assert len(fonts) == 3
    # the characters of the trial labels ("Trial 000" to "Trial 199") are in the subsets
    drawn = set().union(*(font.getBestCmap() for font in fonts))
    assert set(map(ord, "Trial 0123456789")) <= drawn
    for font in fonts:
        assert {"glyf", "loca", "hmtx", "cmap", "head"} <= set(font.keys())
        assert not {"GSUB", "GPOS", "GDEF", "MATH"} & set(font.keys())


def test_pdf_rows_sit_on_their_markers_200_rows(forest, tmp_path):
    """In the PDF every trial's label has its baseline 2.207 pt (hand computation above)
    under its square's centre, rows 0.24 in = 17.28 pt apart from the first to the 200th
    (no drift), and every text of a row on one baseline.
    """
    path = tmp_path / "forest.pdf"
    save_figure(forest, [path])
    origins = text_origins(page_content(path.read_bytes()))
    labels = {text: y for text, _, y in origins if text.startswith("Trial ")}
    forest.set_dpi(72)  # PDF coordinates: points
    ax = forest.axes[1]
    pitch = ROW_HEIGHT_IN * 72
    first = labels["Trial 000"]
    for i in range(N_ROWS):
        baseline = labels[f"Trial {i:03d}"]
        centre = ax.transData.transform((1.0, 4 + i))[1]  # trial i is on row 4 + i
        assert centre - baseline == pytest.approx(BASELINE_BELOW_CENTRE_PT, abs=0.05)
        assert first - baseline == pytest.approx(i * pitch, abs=1e-6)
        # the trial's CNI count (events/N) on the same baseline
        counts = [y for text, _, y in origins if text == f"{1 + i % 7}/{100 + i}"]
        assert baseline in counts


def test_svg_rows_sit_on_their_markers_200_rows(forest, tmp_path):
    """In the SVG each trial's label is anchored at its square's centre (the SVG keeps the
    text's anchor and writes its baseline offset), rows 17.28 pt apart.
    """
    path = tmp_path / "forest.svg"
    save_figure(forest, [path])
    svg = path.read_text()
    forest.set_dpi(72)
    ax = forest.axes[1]
    height = forest.get_figheight() * 72
    found = dict(
        (text, float(y))
        for y, text in re.findall(r'<text [^>]*?y="([-\d.]+)"[^>]*>(Trial \d{3})</text>', svg)
    )
    assert len(found) == N_ROWS
    for i in range(N_ROWS):
        centre = height - ax.transData.transform((1.0, 4 + i))[1]
        baseline = found[f"Trial {i:03d}"]
        assert baseline - centre == pytest.approx(BASELINE_BELOW_CENTRE_PT, abs=0.05)


def test_text_drawing_matches_matplotlibs(forest, tmp_path):
    """The leaner text drawing puts every mark where matplotlib's ``Text.draw`` does: the
    same PNG pixels, the same SVG bytes, the same PDF page content (fonts aside).
    """
    for fmt in ("png", "svg", "pdf"):
        path = tmp_path / f"forest.{fmt}"
        save_figure(forest, [path])
        buf = io.BytesIO()
        with plt.rc_context(STYLE):
            forest.savefig(buf, format=fmt, dpi=150, metadata=figure_files._METADATA[fmt])
        if fmt == "png":
            assert np.array_equal(
                np.asarray(Image.open(path).convert("RGBA")), matplotlib_png(forest)
            )
        elif fmt == "svg":
            assert path.read_bytes() == buf.getvalue()
        else:
            assert page_content(path.read_bytes()) == page_content(buf.getvalue())


def test_reruns_are_byte_identical_whatever_the_clock(forest, tmp_path, monkeypatch):
    """Two saves at different times (fontTools stamps a font it rewrites with the time) give
    the same bytes in every format.
    """
    from fontTools.ttLib.tables import _h_e_a_d

    first = {}
    for n, stamp in enumerate((3_000_000_000, 3_900_000_000)):
        monkeypatch.setattr(_h_e_a_d, "timestampNow", lambda stamp=stamp: stamp)
        figure_files._pdf_font_subset_bytes.cache_clear()
        for fmt in ("png", "pdf", "svg"):
            path = tmp_path / f"{n}.{fmt}"
            save_figure(forest, [path])
            first.setdefault(fmt, path.read_bytes())
            assert path.read_bytes() == first[fmt], fmt


def test_render_rgba_is_the_png_render(forest):
    """``render_rgba`` is the image the PNG holds (matplotlib's PNG, decoded)."""
    assert np.array_equal(render_rgba(forest), matplotlib_png(forest))
