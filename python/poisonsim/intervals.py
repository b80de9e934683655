"""Confidence intervals of a mean over seeds, bounded by what the quantity can be: the Python twin
of pipeline/trace/confidence_interval.h (tests/intervals_agree_test.py holds them equal).

- proportion (accuracies, rates, fractions; in [0, 1]): the Student t interval of logit(mean),
  its standard error by the delta method, mapped back; inside (0, 1), around the same mean;
- count (samples, retrains; >= 0): the Student t interval, its lower bound raised to 0;
- unbounded (e.g. a difference of accuracies): the plain Student t interval.

Every interval depends only on mean, sd and n, so one is recomputed from an aggregate table's
columns. Why this method: docs/results.md, "Intervals". Pure Python (no SciPy): the t quantile
inverts the t distribution function, itself the regularized incomplete beta function."""
import functools
import math

PROPORTION, COUNT, UNBOUNDED = "proportion", "count", "unbounded"
# The integer metrics of run_metric_fields() (pipeline/trace/run_metrics.cpp), and its
# differences of accuracies (any sign); the others are proportions.
COUNT_METRICS = frozenset(("poison_samples", "poison_rejected", "clean_samples",
                           "clean_rejected", "retrains", "deployed", "refused"))
UNBOUNDED_METRICS = frozenset(("accuracy_change", "retrain_test_change_min"))
CONFIDENCE = 0.95


def metric_kind(name):
    """The kind of a headline metric of the summary table (as the aggregate's `kind` column)."""
    if name in COUNT_METRICS:
        return COUNT
    return UNBOUNDED if name in UNBOUNDED_METRICS else PROPORTION


def _beta_fraction(a, b, x):
    """The continued fraction of the incomplete beta function (modified Lentz)."""
    tiny, c, d = 1e-300, 1.0, 1.0 - (a + b) * x / (a + 1)
    d = 1 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 1000):
        for numerator in (m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
                          -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))):
            d = 1 + numerator * d
            d = 1 / (d if abs(d) > tiny else tiny)
            c = 1 + numerator / c
            c = c if abs(c) > tiny else tiny
            h *= d * c
        if abs(d * c - 1) < 1e-16:
            break
    return h


def _incomplete_beta(a, b, x):
    """I_x(a, b), the regularized incomplete beta function, for 0 <= x <= 1."""
    if x <= 0 or x >= 1:
        return float(x >= 1)
    front = math.exp(math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b)
                     + a * math.log(x) + b * math.log1p(-x))
    if x < (a + 1) / (a + b + 2):
        return front * _beta_fraction(a, b, x) / a
    return 1 - front * _beta_fraction(b, a, 1 - x) / b


def _t_upper_tail(t, df):
    """P(T > t) for t >= 0."""
    return 0.5 * _incomplete_beta(df / 2, 0.5, df / (df + t * t))


@functools.lru_cache(maxsize=None)
def t_quantile(probability, df):
    """The `probability` quantile of Student's t with `df` > 0 degrees of freedom."""
    if not 0 < probability < 1 or not df > 0:
        raise ValueError(f"t_quantile({probability}, {df}): expected 0 < p < 1 and df > 0")
    if probability < 0.5:
        return -t_quantile(1 - probability, df)
    tail = 1 - probability
    low, high = 0.0, 1.0
    while _t_upper_tail(high, df) > tail:
        low, high = high, 2 * high
    for _ in range(200):  # bisection to the last bit
        middle = (low + high) / 2
        if middle in (low, high):
            break
        low, high = (middle, high) if _t_upper_tail(middle, df) > tail else (low, middle)
    return (low + high) / 2


def bounds(mean, sd, n, kind, confidence=CONFIDENCE):
    """(low, high) of the interval of a mean of n values with sample sd `sd` (as C++
    mean_bounds): NaN for n < 2; sd 0 gives (mean, mean); values outside
    the kind's range get the t interval clamped to it."""
    nan = float("nan")
    if n is None or n < 2 or math.isnan(mean) or math.isnan(sd):
        return nan, nan
    if sd == 0:
        return mean, mean
    t = t_quantile((1 + confidence) / 2, n - 1)
    se = sd / math.sqrt(n)
    low, high = mean - t * se, mean + t * se
    if kind == PROPORTION:
        if 0 < mean < 1:
            w = t * se / (mean * (1 - mean))
            centre = math.log(mean / (1 - mean))
            return 1 / (1 + math.exp(-(centre - w))), 1 / (1 + math.exp(-(centre + w)))
        return min(max(low, 0.0), 1.0), min(max(high, 0.0), 1.0)
    if kind == COUNT:
        return max(low, 0.0), max(high, 0.0)
    if kind == UNBOUNDED:
        return low, high
    raise ValueError(f"unknown kind {kind!r}: expected {PROPORTION}, {COUNT} or {UNBOUNDED}")


def mean_interval(values, kind, confidence=CONFIDENCE):
    """{n, mean, sd, low, high} of `values` (NaN skipped), as C++ mean_interval."""
    finite = [float(v) for v in values if not math.isnan(float(v))]
    n = len(finite)
    mean = sum(finite) / n if n else float("nan")
    sd = math.sqrt(sum((v - mean) ** 2 for v in finite) / (n - 1)) if n > 1 else float("nan")
    low, high = bounds(mean, sd, n, kind, confidence)
    return {"n": n, "mean": mean, "sd": sd, "low": low, "high": high}


def excludes_zero(low, high):
    """True when an interval lies wholly on one side of 0: an effect, not noise (NaN: False)."""
    return low > 0 or high < 0  # NaN compares false either way
