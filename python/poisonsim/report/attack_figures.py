"""Figures of `poisonsim attack` / `poisonsim bench attacks` outputs: example poisoned images
next to their seeds, the paper's table (generation rate and accuracy drop per method) and the
direct method's ascent over iterations for several group sizes."""
import math

import numpy as np

from poisonsim.report import plotting
from poisonsim.report.plotting import plt

EXAMPLE_PAIRS = 8


def _image(array):
    """C x H x W in [0, 1] -> what imshow takes (H x W grey, or H x W x 3)."""
    array = np.clip(array, 0.0, 1.0)
    return array[0] if array.shape[0] == 1 else np.transpose(array[:3], (1, 2, 0))


def example_grid(poison_set, directory, name):
    count = min(EXAMPLE_PAIRS, len(poison_set.images))
    if count == 0:
        return None
    # Spread over the set: the first samples often share a generation group.
    indices = np.unique(np.linspace(0, len(poison_set.images) - 1, count).round().astype(int))
    fig, axes = plt.subplots(2, len(indices), figsize=(1.4 * len(indices) + 0.6, 4.0),
                             squeeze=False, layout="constrained")
    for column, index in enumerate(indices):
        seed, poison = poison_set.seed_images[index], poison_set.images[index]
        distance = float(np.linalg.norm((poison - seed).ravel()))
        for row, (image, title) in enumerate((
                (seed, f"seed #{index}\nlabel {poison_set.seed_labels[index]}"),
                (poison, f"poison, label {poison_set.labels[index]}\nL2 {distance:.2f}"))):
            ax = axes[row][column]
            ax.imshow(_image(image), cmap="gray", vmin=0.0, vmax=1.0, interpolation="nearest")
            ax.set_title(title, fontsize=9)
            ax.set_xticks([])
            ax.set_yticks([])
            ax.grid(False)
    axes[0][0].set_ylabel("clean seed", fontsize=9)
    axes[1][0].set_ylabel("poisoned", fontsize=9)
    fig.suptitle(f"{poison_set.method}: poisoned images (bottom) and their clean seeds (top)",
                 fontsize=11)
    caption = (f"{len(indices)} of the {len(poison_set.images):,} poisoned samples in "
               f"{poison_set.path}, spread evenly over the set, each under the clean image it "
               "was made from, with the label it carries and its L2 distance from the seed "
               "(pixels in [0, 1]).")
    return plotting.save(fig, name, "Example poisoned images", caption, directory)


def dedupe(rows):
    """The same run can arrive twice (a poison set and its --json file)."""
    kept = {}  # key -> index in out
    out = []
    for row in rows:
        key = (row.label, row.n, round(row.seconds, 9), round(row.accuracy_after, 9))
        if key not in kept:
            kept[key] = len(out)
            out.append(row)
        elif row.objective_by_iteration and not out[kept[key]].objective_by_iteration:
            out[kept[key]] = row  # the copy that has the direct method's iterations
    return out


def reference(rows):
    """The direct run generation rates are compared with: the smallest group (the slowest), on
    the autograd engine (the paper's cost) when the rows say which engine ran."""
    direct = [r for r in rows if r.method == "direct"]
    return min(direct, key=lambda r: (r.group_size or math.inf, r.engine not in (None, "autograd"),
                                      -r.seconds)) if direct else None


def guard_column(rows):
    """Header of the guard-detection column, or None when no row measured a guard."""
    guarded = [r for r in rows if r.guard]
    if not guarded:
        return None
    g = guarded[0]
    threshold = "" if math.isnan(g.guard_threshold) else f" {g.guard_threshold:g}"
    return f"rejected by {g.guard}{threshold}"


def paper_table(rows):
    """(columns, rows) of the paper's table: rate, ratio vs direct, accuracy before/after and,
    when measured, the share of each method's poison the scenario's guard rejects."""
    ref = reference(rows)
    ratio_name = f"rate / {ref.label}" if ref else "rate / direct"
    guard = guard_column(rows)
    columns = ["method", "n", "seconds", "samples/s", ratio_name, "accuracy before",
               "accuracy after", "drop (points)"] + ([guard] if guard else [])
    out = []
    for r in rows:
        ratio = r.samples_per_second / ref.samples_per_second if ref else float("nan")
        after = f"{r.accuracy_after:.4f}"
        if not math.isnan(r.accuracy_after_ci95):
            after += f" ± {r.accuracy_after_ci95:.4f}"
        out.append([r.label, f"{r.n:,}", f"{r.seconds:.2f}", f"{r.samples_per_second:,.1f}",
                    "-" if math.isnan(ratio) else f"{ratio:.1f}x",
                    f"{r.accuracy_before:.4f}", after,
                    f"{100 * (r.accuracy_before - r.accuracy_after):.1f}"])
        if guard:
            out[-1].append(percent(r.guard_poison_rejected))
    return columns, out


def guard_note(rows):
    """What the guard column means, with the false-positive side (the clean seeds)."""
    header = guard_column(rows)
    if not header:
        return None
    clean = [r.guard_clean_rejected for r in rows if r.guard]
    return (f"'{header}': the share of each method's poison that a fresh guard of the "
            "scenario's kind rejects on the pretrained (deployed) model, before any retraining; "
            f"it rejects {percent(clean[0])} of the clean seeds the poison was made from.")


def percent(fraction):
    return "-" if fraction is None or math.isnan(fraction) else f"{100 * fraction:.1f}%"


def method_bars(rows, directory, name):
    labels = [r.label for r in rows]
    y = np.arange(len(rows))
    fig, (rate, accuracy) = plt.subplots(1, 2, figsize=(11, 0.45 * len(rows) + 2.0),
                                         sharey=True)
    rate.barh(y, [r.samples_per_second for r in rows], color="tab:purple", alpha=0.8)
    rate.set_xscale("log")
    rate.set_yticks(y, labels)
    rate.invert_yaxis()
    rate.set_xlabel("generation rate (poisoned samples/s, log scale)")
    rate.set_title("Generation rate (generator training included)")
    for i, r in enumerate(rows):
        rate.annotate(f"{r.samples_per_second:,.1f}", (r.samples_per_second, i),
                      textcoords="offset points", xytext=(3, -3), fontsize=9)
    cis = [0 if math.isnan(r.accuracy_after_ci95) else r.accuracy_after_ci95 for r in rows]
    accuracy.barh(y, [r.accuracy_after for r in rows], xerr=cis, color="tab:red", alpha=0.75,
                  capsize=3, label="after one retraining on the poison")
    befores = sorted({round(r.accuracy_before, 4) for r in rows})
    for i, before in enumerate(befores):
        accuracy.axvline(before, color="black", ls="--", lw=1.2,
                         label="before (pretrained target)" if i == 0 else None)
    for i, r in enumerate(rows):
        accuracy.annotate(f"{r.accuracy_after:.3f}", (r.accuracy_after + cis[i], i),
                          textcoords="offset points", xytext=(4, -3), fontsize=9)
    accuracy.set_xlim(0, 1)
    accuracy.set_xlabel("clean test accuracy (fraction correct)")
    accuracy.set_title("Potency: accuracy after retraining")
    accuracy.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2)
    caption = ("Left: poisoned samples generated per second of wall time. Right: clean test "
               "accuracy of the target after one retraining on the poison alone (mean over "
               "retraining shuffles; bars: 95% confidence intervals, Student t, where there "
               "were at least two); the dashed line is its accuracy before.")
    return plotting.save(fig, name, "Generation rate and accuracy drop per method", caption,
                         directory)


def group_size_curves(rows, directory, name):
    """The paper's group-size figure, from the direct method's per-iteration report."""
    direct = sorted((r for r in rows if r.method == "direct" and r.objective_by_iteration),
                    key=lambda r: (r.group_size or 0, r.engine or ""))
    if not direct:
        return None
    fig, (loss, accuracy) = plt.subplots(1, 2, figsize=(11, 4.2))
    # One colour per group size; the engines (equal to float rounding) differ by line style.
    groups = sorted({r.group_size or 0 for r in direct})
    for r in direct:
        label = f"group size {r.group_size}" if r.group_size else r.label
        if r.engine:
            label += f" ({r.engine})"
        style = ":" if r.engine == "autograd" else "-"
        colour = f"C{groups.index(r.group_size or 0) % 10}"
        iterations = np.arange(len(r.objective_by_iteration))
        loss.plot(iterations, r.objective_by_iteration, style, color=colour, label=label)
        if r.accuracy_by_iteration:
            accuracy.plot(np.arange(len(r.accuracy_by_iteration)), r.accuracy_by_iteration, style,
                          color=colour, label=label)
    loss.set_xlabel("ascent iteration")
    loss.set_ylabel("clean validation loss after the\nsimulated retraining (nats)")
    loss.set_title("Direct method: attacker's objective")
    loss.legend(loc="best")
    accuracy.set_xlabel("ascent iteration")
    accuracy.set_ylabel("clean validation accuracy after the\nsimulated retraining (fraction)")
    accuracy.set_title("Direct method: validation accuracy")
    accuracy.legend(loc="best")
    caption = ("The direct gradient method's objective (loss of the attacker's clean validation "
               "data after the simulated SGD update on the poison) and the matching accuracy, "
               "mean over groups, at each ascent iteration (0: the seeds), per group size.")
    if any(r.engine for r in direct):
        caption += (" Both engines compute the same ascent to float rounding (solid: factored, "
                    "dotted: autograd).")
    return plotting.save(fig, name, "Direct method over ascent iterations, by group size",
                         caption, directory)
