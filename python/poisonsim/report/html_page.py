"""The report's one self-contained HTML page: figures embedded as data URIs, headline numbers,
tables and each input's resolved scenario. No external resources, so it opens anywhere."""
import base64
import html
from dataclasses import dataclass, field

# Counts loaded and broken images once the page has loaded, into #image-check's data
# attributes (nothing visible): a headless browser's dumped DOM then says whether every figure
# displays (tests/report_page_test.sh). It also parses each embedded SVG and counts the 95% CI
# bands in it (elements whose id starts with "ci-band"), and how many of the figures that
# compare settings of a seeded sweep (data-compares) have at least one.
IMAGE_CHECK_SCRIPT = """
window.addEventListener("load", function () {
  var images = Array.prototype.slice.call(document.images);
  var loaded = 0, bands = 0, compares = 0, comparesWithBands = 0;
  images.forEach(function (image) {
    if (image.complete && image.naturalWidth > 0) loaded += 1;
    var inFigure = 0;
    try {
      var svg = atob(image.src.split(",")[1]);
      var doc = new DOMParser().parseFromString(svg, "image/svg+xml");
      inFigure = doc.querySelectorAll('[id^="ci-band"]').length;
    } catch (e) { inFigure = 0; }
    bands += inFigure;
    if (image.dataset.compares === "1") {
      compares += 1;
      if (inFigure > 0) comparesWithBands += 1;
    }
  });
  var check = document.getElementById("image-check");
  check.dataset.total = images.length;
  check.dataset.loaded = loaded;
  check.dataset.failed = images.length - loaded;
  check.dataset.ciBands = bands;
  check.dataset.compares = compares;
  check.dataset.comparesWithBands = comparesWithBands;
});
"""

STYLE = """
body { font-family: sans-serif; max-width: 1200px; margin: 1em auto; padding: 0 1em;
       color: #222; }
h1 { font-size: 1.5em; } h2 { border-bottom: 1px solid #ccc; padding-bottom: .2em; }
figure { margin: 1.2em 0; } figure img { max-width: 100%; border: 1px solid #eee; }
figcaption { font-size: .9em; color: #444; max-width: 60em; }
table { border-collapse: collapse; margin: .6em 0; font-size: .9em; }
.table-wrap { overflow-x: auto; max-width: 100%; }
th, td { border: 1px solid #ccc; padding: .25em .6em; text-align: left; white-space: nowrap; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
pre { background: #f6f6f6; padding: .8em; overflow: auto; max-height: 30em; font-size: .85em; }
.note { color: #8a4b00; } #image-check { display: none; }
figcaption a { margin-right: .5em; }
table.provenance { font-size: .8em; }
table.provenance td { max-width: 50em; overflow-wrap: anywhere; white-space: normal; }
"""


@dataclass
class Table:
    title: str
    columns: list
    rows: list
    css_class: str = ""


@dataclass
class Section:
    title: str
    source: str
    headline: list = field(default_factory=list)  # (name, value)
    figures: list = field(default_factory=list)   # plotting.Figure
    tables: list = field(default_factory=list)    # Table
    notes: list = field(default_factory=list)     # short remarks, e.g. why a figure is missing
    scenario_text: str = None
    provenance: list = field(default_factory=list)  # (name, value) rows
    extra_html: list = field(default_factory=list)  # e.g. per-run scenarios, after the tables


def _e(text):
    return html.escape(str(text))


def _is_number(text):
    return text.replace(",", "").replace(".", "", 1).replace("-", "", 1).rstrip("x").isdigit()


def _table(table):
    attrs = f' class="{_e(table.css_class)}"' if table.css_class else ""
    out = [f"<h3>{_e(table.title)}</h3>" if table.title else "",
           f'<div class="table-wrap"><table{attrs}>',
           "<tr>" + "".join(f"<th>{_e(c)}</th>" for c in table.columns) + "</tr>"]
    for row in table.rows:
        # Provenance values are names (versions, hosts), not quantities to line up.
        cells = "".join(f'<td class="num">{_e(v)}</td>' if _is_number(str(v)) and
                        table.css_class != "provenance" else f"<td>{_e(v)}</td>" for v in row)
        out.append(f"<tr>{cells}</tr>")
    out.append("</table></div>")
    return "\n".join(out)


def _figure(figure):
    data = base64.b64encode(figure.svg).decode("ascii")
    links = " ".join(f'<a href="{_e(f)}">{_e(f)}</a>' for f in figure.files)
    compares = ' data-compares="1"' if figure.compares_settings else ""
    return (f'<figure id="{_e(figure.name)}"><img src="data:image/svg+xml;base64,{data}" '
            f'alt="{_e(figure.title)}"{compares}><figcaption><b>{_e(figure.title)}.</b> '
            f"{_e(figure.caption)} {links}</figcaption></figure>")


def _section(section):
    out = [f"<section><h2>{_e(section.title)}</h2>",
           f"<p>Input: <code>{_e(section.source)}</code></p>"]
    if section.headline:
        out.append(_table(Table("Headline numbers", ["", "value"], section.headline)))
    out += [f'<p class="note">{_e(note)}</p>' for note in section.notes]
    out += [_figure(f) for f in section.figures]
    out += [_table(t) for t in section.tables]
    out += section.extra_html
    if section.provenance:
        out.append(_table(Table("Provenance", ["", "value"], section.provenance, "provenance")))
    if section.scenario_text:
        out.append("<details open><summary>Resolved scenario</summary>"
                   f'<pre class="scenario">{_e(section.scenario_text)}</pre></details>')
    out.append("</section>")
    return "\n".join(out)


def render(title, sections, generated_by):
    body = "\n".join(_section(s) for s in sections)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{_e(title)}</title>
<style>{STYLE}</style>
</head>
<body>
<h1>{_e(title)}</h1>
<p>Written by {_e(generated_by)}. Every figure is also a file next to this page (linked under
it).</p>
{body}
<div id="image-check" data-total="" data-loaded="" data-failed=""></div>
<script>{IMAGE_CHECK_SCRIPT}</script>
</body>
</html>
"""
