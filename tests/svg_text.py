#!/usr/bin/python3
"""The text of a matplotlib SVG as a reader sees it: each line's string, font size, box and the
axes it belongs to, read from the SVG itself (matplotlib writes text as glyph paths: a group
per line, `translate(x y) [rotate(a)] scale(s -s)` with s the font size / 100, the glyphs as
`<use xlink:href="#DejaVuSans-<hex code>" x="...">`, preceded by a comment holding the text).

The page (python/poisonsim/report/html_page.py) is at most 1200 CSS px wide with 1em padding
each side, so a figure wider than PAGE_WIDTH_PT is shown scaled down: `rendered_scale` says by
how much, and a line's rendered size is its font size times that.
"""
import math
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from matplotlib.font_manager import FontProperties
from matplotlib.textpath import TextToPath

PAGE_WIDTH_PT = (1200 - 2 * 16) * 72 / 96  # the page's content width, in points
SVG = "{http://www.w3.org/2000/svg}"
XLINK = "{http://www.w3.org/1999/xlink}href"
TRANSFORM = re.compile(r"translate\(([-\d.e]+) ([-\d.e]+)\)(?: rotate\(([-\d.e]+)\))?"
                       r" scale\(([\d.e]+) -[\d.e]+\)")
GLYPH = re.compile(r"#(DejaVuSans(?:-[A-Za-z]+)?)-([0-9a-f]+)$")
_measure = TextToPath()


@dataclass
class Line:
    text: str  # the whole text element's string (all its lines)
    line: str  # this line's characters, from its glyphs
    size: float  # font size, points
    x0: float  # the line's box in SVG points (y down), rotation applied
    y0: float
    x1: float
    y1: float
    axes: str  # id of the enclosing axes group ("axes_1", ...), "" for figure text
    origin: tuple = (0.0, 0.0)  # the baseline's start, SVG points
    angle: float = 0.0  # rotation, degrees clockwise (SVG)
    width: float = 0.0  # the line's advance, points


def _box(x, y, angle, width, size):
    """Axis-aligned box of a line of `width` whose baseline starts at (x, y), rotated by
    `angle` degrees (SVG: clockwise); ascent 0.76 and descent 0.24 of the size (DejaVu Sans)."""
    corners = [(0, -0.76 * size), (width, -0.76 * size), (0, 0.24 * size), (width, 0.24 * size)]
    a = math.radians(angle)
    points = [(x + cx * math.cos(a) - cy * math.sin(a), y + cx * math.sin(a) + cy * math.cos(a))
              for cx, cy in corners]
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return min(xs), min(ys), max(xs), max(ys)


def lines(svg):
    """Every line of text in `svg` (bytes), in document order."""
    builder = ET.TreeBuilder(insert_comments=True)
    parser = ET.XMLParser(target=builder)
    parser.feed(svg)
    root = parser.close()
    out = []

    def walk(node, axes, comment):
        for child in node:
            if child.tag is ET.Comment:
                comment = child.text.strip()
                continue
            ident = child.get("id", "")
            match = TRANSFORM.fullmatch(child.get("transform", "")) if child.tag == SVG + "g" \
                else None
            glyphs = [GLYPH.search(u.get(XLINK, "")) for u in child.findall(SVG + "use")]
            if match and glyphs and all(glyphs):
                x, y, angle, scale = (float(v) if v else 0.0 for v in match.groups())
                size = scale * 100
                line = "".join(chr(int(g.group(2), 16)) for g in glyphs)
                width = _measure.get_text_width_height_descent(
                    line, FontProperties(family="DejaVu Sans", size=size), ismath=False)[0]
                out.append(Line(comment or "", line, size, *_box(x, y, angle, width, size),
                                axes, (x, y), angle, width))
                continue
            walk(child, ident if ident.startswith("axes_") else axes, comment)

    walk(root, "", None)
    return out


def width_pt(svg):
    return float(re.search(rb'<svg[^>]* width="([\d.]+)pt"', svg).group(1))


def rendered_scale(svg):
    """How much the page scales the figure down (1 when it fits the page's width)."""
    return min(1.0, PAGE_WIDTH_PT / width_pt(svg))


def _local(line, angle):
    """The line's rectangle in a frame turned by `angle` (its own when the angles match)."""
    a = math.radians(angle)
    x, y = line.origin
    u, v = x * math.cos(a) + y * math.sin(a), -x * math.sin(a) + y * math.cos(a)
    return u, v - 0.76 * line.size, u + line.width, v + 0.24 * line.size


def overlapping(found, tolerance=0.5):
    """Pairs of lines whose boxes overlap by more than `tolerance` points each way: parallel
    lines (the same rotation, e.g. slanted tick labels) compared in their own frame, others by
    their axis-aligned boxes."""
    pairs = []
    for i, a in enumerate(found):
        for b in found[i + 1:]:
            if a.angle == b.angle:
                ax0, ay0, ax1, ay1 = _local(a, a.angle)
                bx0, by0, bx1, by1 = _local(b, a.angle)
            else:
                (ax0, ay0, ax1, ay1), (bx0, by0, bx1, by1) = (
                    (a.x0, a.y0, a.x1, a.y1), (b.x0, b.y0, b.x1, b.y1))
            if (min(ax1, bx1) - max(ax0, bx0) > tolerance
                    and min(ay1, by1) - max(ay0, by0) > tolerance):
                pairs.append((a, b))
    return pairs
