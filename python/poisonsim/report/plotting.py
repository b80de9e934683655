"""matplotlib set-up (Agg: no display needed), the figure file formats, and the Figure record
the page embeds (as SVG: vector, and its element ids, e.g. CI bands, stay visible to a browser)."""
import io
import os
from dataclasses import dataclass, field

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after the backend is chosen)

plt.rcParams.update({
    "figure.dpi": 100,
    "savefig.dpi": 110,
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "legend.fontsize": 9.5,  # 9 pt or more where the page shows the figure (docs/report.md)
    "legend.title_fontsize": 10,
    "legend.framealpha": 0.85,
    "svg.hashsalt": "poisonsim",  # fixed element ids: the same SVG bytes from run to run
})

FORMATS = ("png", "svg", "pdf")
# The files written per figure (--format); main sets it for each report.
formats = ["png"]
# Categorical colours (tab10) for a handful of values; more values get a colour map.
CATEGORICAL_MAX = 8
CI_BAND_GID = "ci-band"  # prefix of every CI band's SVG element id (the page test counts them)
# Fixed metadata keeps each file's bytes the same from run to run.
_METADATA = {"png": {"Software": None}, "svg": {"Date": None},
             "pdf": {"CreationDate": None, "Producer": None}}


def parse_formats(text):
    """`--format png,svg`: the listed formats in order; ValueError naming a bad one."""
    out = [f.strip().lower() for f in text.split(",") if f.strip()]
    bad = [f for f in out if f not in FORMATS]
    if bad or not out:
        raise ValueError(f"unknown figure format '{bad[0] if bad else text}' (expected a "
                         f"comma-separated list of {', '.join(FORMATS)})")
    return list(dict.fromkeys(out))


@dataclass
class Figure:
    name: str  # the first file's name in the output directory, e.g. run-accuracy.png
    title: str
    caption: str
    svg: bytes  # what the page embeds
    files: list = field(default_factory=list)  # every file written, first format first
    compares_settings: bool = False  # a figure of several settings: must have CI bands if seeded


def _render(fig, fmt):
    buffer = io.BytesIO()
    fig.savefig(buffer, format=fmt, bbox_inches="tight", metadata=_METADATA[fmt])
    return buffer.getvalue()


def save(fig, name, title, caption, directory, compares_settings=False):
    """Writes fig as directory/<stem>.<format> for each chosen format and returns it as a Figure
    with its SVG for the page. `name` is the file name with any of the formats' suffixes."""
    stem = os.path.splitext(name)[0]
    svg = _render(fig, "svg")
    files = []
    for fmt in formats:
        data = svg if fmt == "svg" else _render(fig, fmt)
        files.append(f"{stem}.{fmt}")
        with open(os.path.join(directory, files[-1]), "wb") as f:
            f.write(data)
    plt.close(fig)
    return Figure(files[0], title, caption, svg, files, compares_settings)


def ci_band(ax, x, low, high, color, label=None, alpha=0.12, step=None):
    """A 95% CI band between low and high; its SVG element id is CI_BAND_GID-<k>, k counting
    the axes' bands (ids unique within a figure, the same from run to run)."""
    band = ax.fill_between(x, low, high, color=color, alpha=alpha, lw=0, label=label, step=step)
    # Thin edges keep overlapping bands of several settings apart.
    for edge in (low, high):
        ax.plot(x, edge, color=color, lw=0.6, alpha=0.5,
                drawstyle=f"steps-{step}" if step else "default")
    k = sum(1 for c in ax.collections if str(c.get_gid() or "").startswith(CI_BAND_GID))
    band.set_gid(f"{CI_BAND_GID}-{ax.figure.axes.index(ax)}-{k}")
    return band


def ci_bars(container, gid):
    """Marks an errorbar container's bars as CI elements (ids start with CI_BAND_GID)."""
    for i, bars in enumerate(container.lines[2]):
        bars.set_gid(f"{CI_BAND_GID}-{gid}-{i}")


def categorical(values):
    """value -> colour: tab10 for up to CATEGORICAL_MAX values, else None (use a colour map)."""
    values = list(dict.fromkeys(values))
    if len(values) > CATEGORICAL_MAX:
        return None
    return {v: f"C{i}" for i, v in enumerate(values)}


LEGEND_BESIDE_CHARS = 40  # a legend whose longest entry is longer goes below the axes


def legend_outside(ax, **options):
    """The legend outside the axes, so it covers no data: to the right, or below them (under
    their tick labels and axis label, however tall) when an entry is longer than
    LEGEND_BESIDE_CHARS (beside, it would widen the figure past the page's width and the page
    would shrink its text). Call it once the ticks are final."""
    entries = ax.get_legend_handles_labels()[1]
    texts = entries + [options.get("title") or ""]
    longest = max((len(line) for text in texts for line in str(text).split("\n")), default=0)
    if longest <= LEGEND_BESIDE_CHARS:
        return ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0,
                         **options)
    below = ax.get_tightbbox(ax.figure.canvas.get_renderer()).y0
    bottom = ax.transAxes.inverted().transform((0, below))[1]
    return ax.legend(loc="upper center", bbox_to_anchor=(0.5, bottom - 0.03), borderaxespad=0,
                     **options)


def spans_decades(values):
    """Log axis when positive values span more than 10x."""
    positive = [v for v in values if v > 0]
    return len(positive) == len(values) and len(values) > 1 and max(values) > 10 * min(values)
