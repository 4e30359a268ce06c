"""An occupancy report from its data: the HTML (a Jinja template in the report's language),
then the PDF (eldercare.pdf)."""

import base64
import re

from flask import current_app, render_template
from flask_babel import force_locale, format_decimal
from flask_babel import gettext as _
from markupsafe import Markup

from eldercare import labels, pdf
from eldercare.dashboard import charts

TEMPLATE = "reports/occupancy.html"


def number(value, group: str | None = None) -> str:
    """A count with the locale's thousands separator (what format_decimal's "#,##0" writes, for a
    tenth of its time: a city report prints thousands of them); a dash when there is none.
    `group`: the separator, when the caller has asked for it once."""
    if value is None:
        return "—"
    return f"{round(value):,}".replace(",", labels.number_symbols()[1] if group is None else group)


def decimal1(value) -> str:
    return "—" if value is None else format_decimal(value, format="#,##0.0")


def page_counter() -> str:
    """CSS `content` for the page footer, from the translated 'Page N of M' (第 N 页 / 共 M 页)."""
    text = _("page %(page)s of %(pages)s", page="\0page\0", pages="\0pages\0")
    parts = []
    for piece in re.split("\0(page|pages)\0", text):
        if piece in ("page", "pages"):
            parts.append(f"counter({piece})")
        elif piece:
            parts.append('"' + piece.replace("\\", "\\\\").replace('"', '\\"') + '"')
    return " ".join(parts)


def image(svg: str) -> Markup:
    """A chart's SVG as an image: WeasyPrint reads it once, as SVG, where an inline <svg> is first
    read by the HTML parser, then written out and read again (about 0.04 CPU-s of a report's two
    charts). The page prints the same."""
    return Markup('<img src="data:image/svg+xml;base64,{}" alt="">').format(base64.b64encode(svg.encode()).decode())


def html(data: dict, language: str) -> str:
    with force_locale(language):
        town_chart = image(charts.town_ratio_print(data["town_ratios"])) if data.get("town_ratios") else None
        trend_chart = image(charts.monthly_trend_print(data["trend"])) if data.get("trend") else None
        decimal, group = labels.number_symbols()  # once, not for each of some 2,500 figures (10 µs each)
        return render_template(TEMPLATE, r=data, number=lambda value: number(value, group), decimal1=decimal1,
                               percent=lambda value: labels.percent(value, decimal),
                               town_chart=town_chart, trend_chart=trend_chart,
                               page_counter=page_counter(), font=pdf.CJK_FONT, language=language)


def to_pdf(data: dict, language: str, *, progress=None) -> tuple[bytes, int]:
    """The PDF and its page count."""
    pdf.installed_font()  # warns in the log when the Chinese font is missing
    markup = html(data, language)
    if progress:
        progress()
    return pdf.render(markup, current_app.static_folder)
