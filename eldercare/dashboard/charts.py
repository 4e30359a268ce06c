"""Charts as SVG from pygal: the same markup in a page and in a PDF report.

No JavaScript (pygal's tooltips script would come from a CDN); labels and values are
printed on the chart instead, which also reads better for people who do not hover.
"""

import pygal
from flask_babel import gettext as _
from pygal.style import Style

from eldercare import labels
from eldercare.cache import cached
from eldercare.caregivers import queries as caregiver_queries
from eldercare.dashboard import services

STYLE = Style(
    font_family='"Noto Sans CJK SC", "Noto Sans SC", sans-serif',
    background="white",
    plot_background="white",
    foreground="#1f2933",
    foreground_strong="#102a43",
    foreground_subtle="#9fb3c8",
    colors=("#1864ab", "#2b7d3a", "#c2255c", "#b35900"),
    guide_stroke_color="#d9e2ec",
    major_guide_stroke_color="#c92a2a",
    major_guide_stroke_dasharray="6,3",
    value_font_size=13,
    label_font_size=14,
    major_label_font_size=14,
    legend_font_size=14,
    title_font_size=16,
    value_colors=("#102a43",),
    no_data_font_size=24,  # an empty chart's sentence fits a phone
)
# The board's state colours (the --vacant ... variables of static/app.css, checked by a test), in
# the order occupancy_by_type adds its series: occupied, vacant, on hold / needs cleaning, out of service.
STATE_COLOURS = {"vacant": "#2b7d3a", "on_hold": "#b35900", "occupied": "#1864ab", "on_leave": "#5f3dc4",
                 "in_hospital": "#c2255c", "needs_cleaning": "#e8b923", "out_of_service": "#616971"}
# Without the red target guide, for charts that have no target.
PLAIN = Style(**{**STYLE.to_dict(), "major_guide_stroke_color": STYLE.guide_stroke_color,
                 "major_guide_stroke_dasharray": "0"})
STATES = Style(**{**PLAIN.to_dict(), "colors": tuple(
    STATE_COLOURS[s] for s in ("occupied", "vacant", "on_hold", "out_of_service"))})



def _render(chart, empty=None) -> str:
    """The chart as inline SVG; an empty one says why in the page's language (not pygal's "No data")."""
    chart.no_data_text = str(empty or _("Nothing to draw yet: no beds are recorded for this."))
    return chart.render(is_unicode=True, disable_xml_declaration=True)


def town_ratios(ratio: dict) -> str:
    """Each town's nursing-type share, with the target drawn as the one red guide line."""
    towns = ratio["towns"]  # the table's order: most beds short first
    target = ratio["target"]
    ticks = sorted({0.0, 0.2, 0.4, 0.6, 1.0, target} | ({0.8} if abs(target - 0.8) > 0.04 else set()))
    chart = pygal.Bar(
        js=[], style=STYLE, width=900, height=420, show_legend=False, print_values=True,
        value_formatter=labels.percent, x_label_rotation=35 if len(towns) > 6 else 0, range=(0, 1), y_labels=ticks,
        y_labels_major=[target], print_values_position="top",
        show_minor_y_labels=True,
        title=_("Nursing-type share by town; red line: target %(t)s", t=labels.percent(target)),
        truncate_label=-1,
    )
    chart.x_labels = [t["name"] for t in towns]
    chart.add(_("nursing-type share"), [
        {"value": t["ratio"], "color": "#2b7d3a" if t["meets"] else "#c2255c"} if t["ratio"] is not None else None
        for t in towns
    ])
    return _render(chart)


def monthly_trend(trend: list[dict]) -> str:
    """Occupancy and the nursing-type share by month, with each year's own target as a dashed line."""
    chart = pygal.Line(
        js=[], style=PLAIN, width=900, height=380, range=(0, 1), value_formatter=labels.percent,
        x_label_rotation=35, legend_at_bottom=True,
        allow_interruptions=True, title=_("City occupancy and nursing-type share by month"),
    )
    if any(m["occupancy"] is not None for m in trend):  # the targets alone are no trend: say why it is empty
        chart.x_labels = [m["month"] for m in trend]
        chart.y_labels = [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]  # pygal fails on y labels without data
        chart.add(_("occupancy"), [m["occupancy"] for m in trend])
        chart.add(_("nursing-type share"), [m["ratio"] for m in trend])
        chart.add(_("target of the year"), [m["target"] for m in trend], show_dots=False,
                  stroke_style={"dasharray": "6,3", "width": 2})
    return _render(chart, _("No daily figures yet."))  # the page says why and what fills it


def occupancy_by_type(occupancy: dict, labels: dict) -> str:
    """Stacked bars: occupied, vacant and other beds for each kind of institution."""
    chart = pygal.StackedBar(
        js=[], style=STATES, width=900, height=380, print_values=False, legend_at_bottom=True,
        x_label_rotation=20, title=_("Institution beds by state and type of facility"), truncate_label=-1,
    )
    types = [t for t, row in occupancy["by_type"].items() if row["total"]]
    chart.x_labels = [str(labels[t]) for t in types]
    rows = occupancy["by_type"]
    chart.add(_("occupied"), [rows[t]["occupied_all"] for t in types])
    chart.add(_("vacant"), [rows[t]["vacant"] for t in types])
    chart.add(_("on hold / needs cleaning"), [rows[t]["on_hold"] + rows[t]["needs_cleaning"] for t in types])
    chart.add(_("out of service"), [rows[t]["out_of_service"] for t in types])
    return _render(chart)


# Rendering takes tens of milliseconds; the figures change only with the data, so the SVG is
# kept as long as they are. The locale is part of the key: titles and labels are translated.


@cached
def town_ratio_chart(year: int, locale: str, as_of=None) -> str:
    return town_ratios(services.care_ratio(year, as_of))


@cached
def occupancy_chart(locale: str) -> str:
    return occupancy_by_type(services.occupancy(), labels.FACILITY_TYPE)


def caregiver_coverage(figures: dict) -> str:
    """Each town's pre-job training coverage of caregivers, with the 100% target as the red line."""
    towns = [t for t in figures["towns"] if t["caregivers"]]
    chart = pygal.Bar(
        js=[], style=STYLE, width=900, height=380, show_legend=False, print_values=True,
        value_formatter=labels.percent, x_label_rotation=35 if len(towns) > 6 else 0, range=(0, 1),
        y_labels=[0.0, 0.2, 0.4, 0.6, 0.8, 1.0], y_labels_major=[1.0], show_minor_y_labels=True,
        print_values_position="top", truncate_label=-1,
        title=_("Caregivers' pre-job training coverage by town; red line: target 100%"),
    )
    chart.x_labels = [t["name"] for t in towns]
    chart.add(_("pre-job training coverage"), [
        {"value": t["coverage"], "color": "#2b7d3a" if t["uncovered"] == 0 else "#c2255c"} for t in towns
    ])
    return _render(chart)


@cached
def caregiver_coverage_chart(day, locale: str) -> str:
    return caregiver_coverage(caregiver_queries.figures(day))
