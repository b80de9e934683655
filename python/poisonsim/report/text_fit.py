"""Text that must not overprint: tick labels too close together on a linear axis are thinned,
and labels next to points are placed where they hide no other label (or left out). Both measure
the text as matplotlib will draw it (the figure's renderer), not by a guess of its width."""
from matplotlib import ticker
from matplotlib.transforms import Bbox

PAD_PIXELS = 3  # the least gap kept between two labels
MARKER_PIXELS = 4  # half the side of the square a point's marker is taken to cover
SAME_LABEL_PIXELS = 20  # a label already written this near a point serves it too
# Where a point's label may go, in points from the point: right, left, above, below, diagonals.
OFFSETS = ((6, -4), (-6, -4), (0, 7), (0, -12), (6, 6), (-6, 6), (6, -14), (-6, -14))


def _renderer(fig):
    return fig.canvas.get_renderer()


def _overlaps(box, others, pad=PAD_PIXELS):
    return any(box.x0 < o.x1 + pad and o.x0 < box.x1 + pad and
               box.y0 < o.y1 + pad and o.y0 < box.y1 + pad for o in others)


def thin_ticks(axes, values, labels):
    """Sets ticks at `values` with `labels` on every axes of `axes` (x axis), keeping only those
    whose labels do not overprint the one kept before them, from the left; the last value is
    kept in place of the one before it when they collide. Returns the values kept."""
    axes = list(axes)
    ax = axes[0]
    pairs = sorted(zip(values, labels))
    ax.set_xticks([v for v, _ in pairs], [t for _, t in pairs])
    renderer = _renderer(ax.figure)
    boxes = [t.get_window_extent(renderer) for t in ax.get_xticklabels()]
    kept = []
    for k, box in enumerate(boxes):
        if not kept or not _overlaps(box, [boxes[kept[-1]]]):
            kept.append(k)
        elif k == len(boxes) - 1:  # the largest value is kept: it ends the axis
            while kept and _overlaps(box, [boxes[kept[-1]]]):
                kept.pop()
            kept.append(k)
    chosen = [pairs[k] for k in kept]
    for a in axes:
        a.set_xticks([v for v, _ in chosen], [t for _, t in chosen])
        a.xaxis.set_minor_locator(ticker.NullLocator())
    return [v for v, _ in chosen]


def slant_if_crowded(ax, values, labels, angle=30):
    """x ticks at `values` with `labels`, slanted by `angle` (anchored at their right end) when
    any two would overprint level; returns True if slanted."""
    ax.set_xticks(list(values), list(labels))
    renderer = _renderer(ax.figure)
    boxes = [t.get_window_extent(renderer) for t in ax.get_xticklabels()]
    if not any(_overlaps(a, [b]) for a, b in zip(boxes, boxes[1:])):
        return False
    for text in ax.get_xticklabels():
        text.set_rotation(angle)
        text.set_horizontalalignment("right")
        text.set_rotation_mode("anchor")
    return True


def place_labels(ax, items, fontsize, avoid=(), **style):
    """Writes each (x, y, text) of `items` near its point in data coordinates at the first of
    OFFSETS where it covers no point of `items`, no label placed before it and none of `avoid`
    (artists), and stays inside the axes; a label that fits nowhere is left out, and so is one
    whose text is already written for a point within SAME_LABEL_PIXELS (curves that nearly
    coincide: one label serves both). Returns the texts placed."""
    fig = ax.figure
    renderer = _renderer(fig)
    frame = ax.get_window_extent(renderer)
    taken = [a.get_window_extent(renderer) for a in avoid]
    for x, y, _ in items:
        px, py = ax.transData.transform((x, y))
        taken.append(Bbox.from_extents(px - MARKER_PIXELS, py - MARKER_PIXELS,
                                       px + MARKER_PIXELS, py + MARKER_PIXELS))
    placed, written = [], []
    for x, y, text in items:
        px, py = ax.transData.transform((x, y))
        if any(t == text and abs(px - wx) <= SAME_LABEL_PIXELS
               and abs(py - wy) <= SAME_LABEL_PIXELS for wx, wy, t in written):
            continue
        written.append((px, py, text))
        for dx, dy in OFFSETS:
            label = ax.annotate(text, (x, y), textcoords="offset points", xytext=(dx, dy),
                                ha="left" if dx > 0 else "right" if dx < 0 else "center",
                                fontsize=fontsize, **style)
            box = label.get_window_extent(renderer)
            inside = (box.x0 >= frame.x0 and box.x1 <= frame.x1 and box.y0 >= frame.y0
                      and box.y1 <= frame.y1)
            if inside and not _overlaps(box, taken):
                taken.append(box)
                placed.append(label)
                break
            label.remove()
    return placed
