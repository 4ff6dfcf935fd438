"""Saving figures byte for byte reproducibly (no dates, fixed SVG ids, bundled fonts), and fast:
PNGs as 8-bit palette images when the figure has few colours, PDFs with Type 42 font subsets
that carry only what a PDF viewer reads.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import io
import textwrap
from dataclasses import asdict
from pathlib import Path

import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.text import Text

from raremeta.io.analysis_config import RoleLabels
from raremeta.io.writing import atomic_write_bytes

#: The default display labels of the two roles, as the figures take them (the schema's
#: ``roles`` default; ``config.yaml`` ``roles:`` overrides them).
DEFAULT_ROLES = asdict(RoleLabels.default())

#: rcParams for every figure: a bundled font, fixed SVG ids, text kept as text in SVG.
STYLE = {
    "font.family": "DejaVu Sans",
    "font.size": 8,
    "svg.hashsalt": "raremeta",
    "svg.fonttype": "none",
    "pdf.fonttype": 42,
    "path.simplify": False,
    # labels are data: a "$" in a study label is a dollar sign, not the start of mathtext
    "text.parse_math": False,
}
_METADATA = {
    "png": {"Software": None},
    "pdf": {"CreationDate": None, "ModDate": None, "Producer": None, "Creator": None},
    "svg": {"Date": None, "Creator": None},
}
#: zlib level 3 rather than Pillow's 6: for a 300-study forest plot 40% faster to write and
#: about 10% smaller (bench/profile_pipeline.py; measured 0.63 s and 2.3 MB against 1.02 s and
#: 2.6 MB). The level is fixed, so the bytes stay reproducible.
PNG_COMPRESS_LEVEL = 3
#: OpenType tables left out of the fonts embedded in a PDF, on top of matplotlib's own list:
#: glyph substitution and positioning (GSUB, GPOS, GDEF) and math layout (MATH) are read by
#: text-layout engines, never by a PDF viewer, which draws each glyph by its id where the
#: content stream places it (ISO 32000-1, 9.9: a TrueType font program needs only its
#: glyph, metric and hinting tables). Subsetting them is most of the time of an embedding
#: (a DejaVu Sans subset: about 0.09 s with them, 0.025 s without).
PDF_DROPPED_FONT_TABLES = ("GSUB", "GPOS", "GDEF", "MATH")
#: The tables matplotlib 3.10's ``get_glyphs_subset`` drops (tool and Apple layout tables).
_MPL_DROPPED_FONT_TABLES = (
    *("FFTM", "PfEd", "BDF", "meta", "MERG", "TSIV", "Zapf", "bdat", "bloc", "cidg", "fdsc"),
    *("feat", "fmtx", "fond", "just", "kerx", "ltag", "morx", "trak", "xref"),
)


@functools.cache
def _measuring_renderer():
    from matplotlib.backends.backend_agg import RendererAgg

    return RendererAgg(1, 1, 72)  # 72 dpi: one pixel is one point


@functools.cache
def text_width_in(text: str, size: float = 8, bold: bool = False) -> float:
    """The width in inches of ``text`` (its widest line) drawn at ``size`` points in the
    figures' font, measured without drawing a figure (to size columns to their content).
    """
    from matplotlib.font_manager import FontProperties

    prop = FontProperties(family=STYLE["font.family"], size=size, weight="bold" if bold else None)
    renderer = _measuring_renderer()
    widest = 0.0
    for line in text.split("\n"):
        if line:
            width, _, _ = renderer.get_text_width_height_descent(line, prop, ismath=False)
            widest = max(widest, width)
    return widest / 72


def wrap_to_width(text: str, width_in: float, size: float = 8) -> list[str]:
    """``text`` wrapped into lines no wider than ``width_in`` inches (measured)."""
    if not text:
        return []
    chars = max(20, int(len(text) * width_in / max(text_width_in(text, size), 1e-9)))
    lines = textwrap.wrap(text, chars, break_on_hyphens=False)
    while chars > 20 and any(text_width_in(line, size) > width_in for line in lines):
        chars -= 2
        lines = textwrap.wrap(text, chars, break_on_hyphens=False)
    return lines


def no_comparison_figure(title: str, message: str, detail: str = ""):
    """A small panel for an outcome without anything to draw: its title and why."""
    width = 6.0
    lines = [message, *wrap_to_width(detail, width - 0.2)]
    height = 0.45 + 0.2 * len(lines) + 0.15
    with plt.rc_context(STYLE):
        fig = plt.figure(figsize=(width, height))
        fig.text(0.1 / width, 1 - 0.25 / height, title, fontsize=10, fontweight="bold", va="center")
        for i, line in enumerate(lines):
            y = 1 - (0.55 + 0.2 * i) / height
            fig.text(0.1 / width, y, line, fontsize=8, va="center", style="italic" if i else None)
    return fig


class _Discard:
    """A file that keeps nothing (the raw RGBA bytes matplotlib writes when asked to render)."""

    def write(self, data) -> int:
        return len(data)

    def seek(self, offset: int, whence: int = 0) -> int:  # matplotlib asks for a file handle
        return 0


def render_rgba(fig, dpi: int = 150) -> np.ndarray:
    """``fig`` drawn by Agg at ``dpi`` as in a PNG saved by :func:`save_figure`: an array of
    shape (height, width, 4), 8 bits a channel.
    """
    with plt.rc_context(STYLE), _row_texts(fig):
        fig.savefig(_Discard(), format="rgba", dpi=dpi)
    return np.asarray(fig.canvas.buffer_rgba())


def png_image(rgba: np.ndarray):
    """The pixels ``rgba`` as the PIL image to write: an 8-bit palette image with the same
    pixels where that can hold them, else RGBA.

    An opaque image of greys only (every outcome figure: black and greys, anti-aliased on
    white) takes the grey ramp as its palette, each pixel the index of its grey; an opaque
    image of at most 256 colours takes its colours in increasing order of their RGB value.
    A palette image is written with PNG filter type 0 (none), so Pillow skips the per-row
    adaptive filter search it runs for RGB(A) and grey images: a 200-trial forest plot's PNG
    is written in about half the time, and is smaller.
    """
    from PIL import Image

    height, width = rgba.shape[:2]
    r, g, b, a = (rgba[..., i] for i in range(4))
    if (a == 255).all():
        if (r == g).all() and (g == b).all():
            return _palette_image(r, np.repeat(np.arange(256, dtype=np.uint8), 3))
        code = (r.astype(np.uint32) << 16) | (g.astype(np.uint32) << 8) | b
        colours, index = np.unique(code, return_inverse=True)
        if len(colours) <= 256:
            palette = np.stack([colours >> 16, (colours >> 8) & 255, colours & 255], axis=1)
            return _palette_image(index.reshape(height, width), palette.astype(np.uint8))
    return Image.frombuffer(
        "RGBA", (width, height), np.ascontiguousarray(rgba), "raw", "RGBA", 0, 1
    )


def _palette_image(index: np.ndarray, palette: np.ndarray):
    """A palette ("P") image of the colour indexes ``index`` (height x width) into ``palette``
    (RGB triples).
    """
    from PIL import Image

    image = Image.frombuffer(
        "P", index.shape[::-1], np.ascontiguousarray(index, dtype=np.uint8), "raw", "P", 0, 1
    )
    image.putpalette(palette.tobytes())
    return image


def _save_png(fig, path, dpi: int) -> None:
    """Write ``fig`` as a PNG (:func:`png_image`): the resolution in its pHYs chunk and no text
    chunk, as matplotlib writes it with ``metadata={"Software": None}``.
    """
    from PIL.PngImagePlugin import PngInfo

    png_image(render_rgba(fig, dpi)).save(
        path, format="png", dpi=(dpi, dpi), pnginfo=PngInfo(), compress_level=PNG_COMPRESS_LEVEL
    )


def _pdf_font_subset(fontfile, characters):
    """The font subset of matplotlib's ``get_glyphs_subset`` (3.10) without the tables of
    :data:`PDF_DROPPED_FONT_TABLES` and without closing the glyph set over them; made once
    per font and character set in a process.
    """
    from fontTools.ttLib import TTFont

    data = _pdf_font_subset_bytes(str(fontfile), frozenset(characters))
    return TTFont(io.BytesIO(data), recalcBBoxes=False, recalcTimestamp=False)


@functools.cache
def _pdf_font_subset_bytes(fontfile: str, characters: frozenset[str]) -> bytes:
    """The font file of :func:`_pdf_font_subset`."""
    from fontTools import subset

    options = subset.Options(glyph_names=True, recommended_glyphs=True)
    options.drop_tables += [*_MPL_DROPPED_FONT_TABLES, *PDF_DROPPED_FONT_TABLES]
    options.layout_closure = False
    if str(fontfile).endswith(".ttc"):
        options.font_number = 0
    font = subset.load_font(fontfile, options)
    subsetter = subset.Subsetter(options=options)
    subsetter.populate(text="".join(sorted(characters)))
    subsetter.subset(font)
    out = io.BytesIO()
    font.save(out, reorderTables=False)
    font.close()
    return out.getvalue()


#: The size (points) of the text a :class:`_RowText` is drawing, for :func:`_pdf_layout`.
_TEXT_SIZE: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "raremeta_text_size", default=None
)
#: Glyph advances (pixels at 72 dpi) by font file, size and glyph, for :func:`_pdf_layout`.
_ADVANCES: dict[tuple[str, float, int, int], float] = {}


def _pdf_layout(string, font, *, kern_mode=None):
    """The layout of matplotlib's ``_text_helpers.layout`` (3.10), the glyphs' advances
    cached while a :class:`_RowText` of a known size is drawn (the PDF backend loads every
    glyph of every text to read its advance: most of a PDF's text time). The same items, the
    same floats.
    """
    from matplotlib import _text_helpers
    from matplotlib.ft2font import Kerning, LoadFlags

    kern_mode = Kerning.DEFAULT if kern_mode is None else kern_mode
    size = _TEXT_SIZE.get()
    if size is None:
        yield from _LAYOUT(string, font, kern_mode=kern_mode)
        return
    hinting_factor = matplotlib.rcParams["text.hinting_factor"]  # the font's x resolution
    x = 0
    prev_glyph_idx = None
    char_to_font = font._get_fontmap(string)
    base_font = font
    for char in string:
        font = char_to_font.get(char, base_font)
        glyph_idx = font.get_char_index(ord(char))
        kern = (
            base_font.get_kerning(prev_glyph_idx, glyph_idx, kern_mode) / 64
            if prev_glyph_idx is not None
            else 0.0
        )
        x += kern
        key = (font.fname, size, hinting_factor, glyph_idx)
        advance = _ADVANCES.get(key)
        if advance is None:
            glyph = font.load_glyph(glyph_idx, flags=LoadFlags.NO_HINTING)
            advance = _ADVANCES[key] = glyph.linearHoriAdvance / 65536
        yield _text_helpers.LayoutItem(font, char, glyph_idx, x, kern)
        x += advance
        prev_glyph_idx = glyph_idx


def _text_metrics(renderer, text: str, prop, by_char: bool) -> tuple[float, float, float]:
    """``renderer.get_text_width_height_descent(text, prop)``, cached on the renderer (one
    renderer draws one file). With ``by_char`` the height and descent are composed from those
    of each character and the width is left 0: a one-line text's ink box is the union of its
    glyphs' boxes, which FreeType places on one baseline, so its top is the highest glyph top
    and its descent the deepest glyph descent, exactly (metrics in 1/64 pixel); the width
    depends on kerning and is not composed.
    """
    cache = renderer.__dict__.setdefault("_raremeta_text_metrics", {})
    key = (text, hash(prop), by_char)
    metrics = cache.get(key)
    if metrics is None:
        if by_char:
            glyphs = [_text_metrics(renderer, c, prop, False) for c in set(text)]
            descent = max(d for _, _, d in glyphs)
            metrics = (0.0, max(h - d for _, h, d in glyphs) + descent, descent)
        else:
            metrics = renderer.get_text_width_height_descent(text, prop, ismath=False)
        cache[key] = metrics
    return metrics


class _RowText(Text):
    """A :class:`~matplotlib.text.Text` drawn the way ``Text.draw`` (matplotlib 3.10) draws a
    one-line, unrotated, vertically centred plain text, at the same position to the bit, with
    less work: no wrapping or math pass, no text reset (which marks the whole figure stale
    twice a text), the metrics cached per renderer, and a left-aligned text's box composed
    from its characters' (:func:`_text_metrics`), so that most texts are laid out by FreeType
    once per file instead of twice. Any other text is drawn by ``Text.draw``.
    """

    def draw(self, renderer):
        if renderer is not None:
            self._renderer = renderer
        text = self._text
        if (
            not self.get_visible()
            or not text
            or "\n" in text
            or self._rotation
            or self._bbox_patch
            or self._wrap
            or self.get_path_effects()
            or self.get_usetex()
            or self._verticalalignment != "center"
            or self._horizontalalignment not in ("left", "center", "right")
        ):
            return super().draw(renderer)
        prop = self._fontproperties
        halign = self._horizontalalignment
        # Text._get_layout for one line: the box is at least as high and deep as "lp"
        _, lp_h, lp_d = _text_metrics(renderer, "lp", prop, False)
        w, h, d = _text_metrics(renderer, text, prop, halign == "left")
        h = max(h, lp_h)
        d = max(d, lp_d)
        offset_x = w / 2 if halign == "center" else w if halign == "right" else 0
        offset_y = (-(h - d) - d + 0) / 2  # the box centre: (ymin + ymax) / 2
        x, y = self.get_transform().transform((float(self._x), float(self._y)))
        x = (0.0 - offset_x) + x
        y = (-(h - d) - offset_y) + y
        if renderer.flipy():
            y = renderer.get_canvas_width_height()[1] - y
        renderer.open_group("text", self.get_gid())
        gc = renderer.new_gc()
        gc.set_foreground(self._color)
        gc.set_alpha(self._alpha)
        gc.set_url(self._url)
        gc.set_antialiased(self._antialiased)
        self._set_gc_clip(gc)
        token = _TEXT_SIZE.set(prop.get_size_in_points())
        try:
            renderer.draw_text(gc, x, y, text, prop, 0.0, ismath=False, mtext=self)
        finally:
            _TEXT_SIZE.reset(token)
        gc.restore()
        renderer.close_group("text")
        self.stale = False


@contextlib.contextmanager
def _row_texts(fig):
    """While saving, draw the figure's plain texts as :class:`_RowText` (restored after)."""
    texts = [t for t in [*fig.texts, *(t for ax in fig.axes for t in ax.texts)] if type(t) is Text]
    for t in texts:
        t.__class__ = _RowText
    try:
        yield
    finally:
        for t in texts:
            t.__class__ = Text


def _original_layout():
    from matplotlib import _text_helpers

    return _text_helpers.layout


_LAYOUT = _original_layout()


@contextlib.contextmanager
def _lean_pdf_fonts():
    """While saving a PDF or SVG, embed fonts with :func:`_pdf_font_subset` and lay text out
    with :func:`_pdf_layout`.
    """
    from matplotlib import _text_helpers
    from matplotlib.backends import _backend_pdf_ps

    originals = _backend_pdf_ps.get_glyphs_subset, _text_helpers.layout
    _backend_pdf_ps.get_glyphs_subset = _pdf_font_subset
    _text_helpers.layout = _pdf_layout
    try:
        yield
    finally:
        _backend_pdf_ps.get_glyphs_subset, _text_helpers.layout = originals


def save_figure(fig, paths: list[Path], dpi: int = 150) -> None:
    """Save ``fig`` to every path (format from the suffix) without run-specific metadata.

    Each file is rendered in memory and written by
    :func:`raremeta.io.writing.atomic_write_bytes` (a temporary name, then a rename), so a
    reader never sees half a file. A PNG is a palette image where its pixels allow
    (:func:`png_image`); a PDF embeds its fonts as Type 42 subsets without layout tables
    (:data:`PDF_DROPPED_FONT_TABLES`); plain one-line texts are drawn by :class:`_RowText`
    (the same marks, less work).
    """
    for path in paths:
        path = Path(path)
        fmt = path.suffix.lstrip(".")
        buffer = io.BytesIO()
        if fmt == "png":
            _save_png(fig, buffer, dpi)
        else:
            with plt.rc_context(STYLE), _lean_pdf_fonts(), _row_texts(fig):
                fig.savefig(buffer, format=fmt, dpi=dpi, metadata=_METADATA.get(fmt))
        atomic_write_bytes(path, buffer.getvalue())
