"""matplotlib set-up (Agg: no display needed) and the Figure record the page embeds."""
import io
import os
from dataclasses import dataclass

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
    "legend.fontsize": 8,
    "legend.framealpha": 0.85,
})


@dataclass
class Figure:
    name: str  # file name in the output directory, e.g. run-accuracy.png
    title: str
    caption: str
    png: bytes


def save(fig, name, title, caption, directory):
    """Writes fig to directory/name and returns it as a Figure (the PNG bytes for embedding)."""
    buffer = io.BytesIO()
    # Fixed metadata keeps the PNG bytes the same from run to run.
    fig.savefig(buffer, format="png", bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    png = buffer.getvalue()
    with open(os.path.join(directory, name), "wb") as f:
        f.write(png)
    return Figure(name, title, caption, png)


def spans_decades(values):
    """Log axis when positive values span more than 10x."""
    positive = [v for v in values if v > 0]
    return len(positive) == len(values) and len(values) > 1 and max(values) > 10 * min(values)
