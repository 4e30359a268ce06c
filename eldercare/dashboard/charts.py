"""Charts as SVG from pygal: the same markup in a page and in a PDF report.

No JavaScript (pygal's tooltips script would come from a CDN); labels and values are
printed on the chart instead, which also reads better for people who do not hover.
"""

import math
import re
import unicodedata
from functools import lru_cache

import pygal
from flask_babel import format_decimal, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from pygal.style import Style

from eldercare import labels

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



# Each chart is drawn twice: wide (900 px, also the PDF reports') and narrow for a phone (360 px,
# about its real size in a phone's card, so its text is read at the size it is written). The page
# shows the one that fits (app.css: .chart-wide / .chart-narrow).
WIDE, NARROW = 900, 360
# Tick labels closer than this (in share of the axis) to the target's own label would touch it.
TICK_GAP = {WIDE: 0.1, NARROW: 0.16}


def text_width(text: str, font_size: float) -> float:
    """Width of a line of text: a CJK character is a full em wide, others about 0.6 em (pygal counts
    every character as 0.6 em, so it leaves Chinese titles and labels too little room)."""
    return sum(font_size if unicodedata.east_asian_width(c) in "WF" else 0.6 * font_size for c in text)


def _wrapped(title: str, width: float, font_size: float) -> str:
    """The title in lines that fit the chart's width (pygal wraps by its own narrower count)."""
    lines, line = [], ""
    for word in re.findall(r"[\u2e80-\u9fff\uff00-\uffef]|[^\s\u2e80-\u9fff\uff00-\uffef]+\s*", title):
        if line and text_width((line + word).rstrip(), font_size * 1.1) > width:
            lines.append(line.rstrip())
            line = ""
        line += word
    return "\n".join(lines + [line.rstrip()])


def _cjk_room(texts, font_size: float) -> int:
    """What pygal's margin for these labels lacks when they are Chinese."""
    texts = [str(t) for t in texts] or [""]
    return round(max(text_width(t, font_size) - 0.6 * font_size * len(t) for t in texts))


def percent_ticks(target: float | None = None, gap: float = TICK_GAP[WIDE]) -> list[dict]:
    """Axis labels of a share, 0% to 100% by 20, in whole percents ("20%", never "20.0%"), with the
    target among them; a tick that would touch the target's label gives way to it."""
    ticks = [t / 10 for t in range(0, 11, 2) if target is None or t / 10 in (0, 1) or abs(t / 10 - target) >= gap]
    values = sorted(set(ticks) | ({target} if target is not None else set()))
    return [{"value": v, "label": format_decimal(round(v * 100, 1), format="0.#") + "%"} for v in values]


def _options(narrow: bool, title: str, labels=(), rotation: float = 0) -> dict:
    """Size, title and margins for one of the two drawings: the room pygal misses for Chinese labels
    goes to the left when narrow (lying bars, names on the left) and, for slanted names under upright
    bars, below, so that their ends are not cut at the foot of the chart."""
    width = NARROW if narrow else WIDE
    room = _cjk_room(labels, STYLE.label_font_size)
    return {"width": width, "title": _wrapped(title, width - 2 * 20, STYLE.title_font_size),
            "margin_left": 20 + (room if narrow else 0),
            "margin_bottom": 20 + (0 if narrow else round(room * math.sin(math.radians(rotation)))),
            "x_label_rotation": rotation, "js": [], "truncate_label": -1, "truncate_legend": -1}


def _render(chart, empty=None) -> str:
    """The chart as inline SVG; an empty one says why in the page's language (not pygal's "No data")."""
    chart.no_data_text = str(empty or _("Nothing to draw yet: no beds are recorded for this."))
    return chart.render(is_unicode=True, disable_xml_declaration=True)


def for_screen(draw, *args) -> Markup:
    """Both drawings of a chart for a page; CSS shows the wide one on a wide screen, the other on a phone."""
    return Markup('<div class="chart-wide">{}</div><div class="chart-narrow">{}</div>').format(
        Markup(draw(*args)), Markup(draw(*args, narrow=True)))


def _share_bars(narrow: bool, rows: tuple, target: float, title: str, legend: str) -> str:
    """Shares (rows of name, share, whether it meets the target) as bars against the target drawn as
    the red guide line: upright with the share on top when wide; when narrow, lying down one a line
    from the top, the share written after the name (names read across, and no figure sits on a bar's
    end where the target line runs)."""
    def bar(share, meets):
        return {"value": share, "color": "#2b7d3a" if meets else "#c2255c"} if share is not None else None

    if narrow:
        rows = rows[::-1]  # pygal draws the first row at the bottom
        names = [f"{name} {labels.percent(share)}" for name, share, _meets in rows]
        chart = pygal.HorizontalBar(height=110 + 30 * len(rows), print_values=False, **_options(narrow, title, names))
    else:
        names = [name for name, _share, _meets in rows]
        chart = pygal.Bar(height=420, print_values=True, print_values_position="top",
                          **_options(narrow, title, names, rotation=35 if len(rows) > 6 else 0))
    chart.config(style=STYLE, show_legend=False, value_formatter=labels.percent, range=(0, 1),
                 y_labels=percent_ticks(target, TICK_GAP[NARROW if narrow else WIDE]), y_labels_major=[target],
                 show_minor_y_labels=True)
    chart.x_labels = names
    chart.add(legend, [bar(share, meets) for _name, share, meets in rows])
    return _render(chart)


def _town_shares(ratio: dict) -> tuple:
    """What the towns' chart draws: the target and each town's (name, share, whether it meets it)."""
    return ratio["target"], tuple((t["name"], t["ratio"], t["meets"]) for t in ratio["towns"])  # most beds short first


def _town_bars(target: float, rows: tuple, narrow: bool = False) -> str:
    return _share_bars(narrow, rows, target, _("Nursing-type share by town; red line: target %(t)s",
                                                 t=labels.percent(target)), _("nursing-type share"))


def town_ratios(ratio: dict, narrow: bool = False) -> str:
    """Each town's nursing-type share, with the target drawn as the one red guide line."""
    return _town_bars(*_town_shares(ratio), narrow)


def _trend_points(trend: list[dict]) -> tuple:
    """What the trend chart draws: each month's name, occupancy, nursing-type share and target."""
    return tuple((m["month"], m["occupancy"], m["ratio"], m["target"]) for m in trend)


def _trend_lines(points: tuple, narrow: bool = False) -> str:
    drawn = any(p[1] is not None for p in points)  # the targets alone are no trend: say why it is empty
    chart = pygal.Line(
        style=PLAIN, height=380, range=(0, 1), value_formatter=labels.percent,
        legend_at_bottom=True, legend_at_bottom_columns=1 if narrow else 3, allow_interruptions=True,
        show_minor_x_labels=not narrow,
        show_y_labels=drawn,  # an empty chart's axis would read pygal's own "10.0%", "20.0%", ...
        **_options(narrow, _("City occupancy and nursing-type share by month"), rotation=0 if narrow else 35),
    )
    if drawn:
        months = [p[0] for p in points]
        chart.x_labels = months
        # A phone names January and July only, and never the first or last month, whose label would
        # sit on the "0%" of the axis or run off the chart's edge.
        chart.x_labels_major = [m for m in months[1:-1] if m[-2:] in ("01", "07")]
        chart.y_labels = percent_ticks()  # pygal fails on y labels without data
        chart.add(_("occupancy"), [p[1] for p in points])
        chart.add(_("nursing-type share"), [p[2] for p in points])
        chart.add(_("target of the year"), [p[3] for p in points], show_dots=False,
                  stroke_style={"dasharray": "6,3", "width": 2})
    return _render(chart, _("No daily figures yet."))  # the page says why and what fills it


def monthly_trend(trend: list[dict], narrow: bool = False) -> str:
    """Occupancy and the nursing-type share by month, with each year's own target as a dashed line."""
    return _trend_lines(_trend_points(trend), narrow)


# Short names of the institution types for the chart, where the full names ("street comprehensive
# care centre", "敬老院（特困供养服务机构）") would leave a phone's bars no room and run slanted into
# the legend on a wide screen; the table under the chart has them in full.
SHORT_TYPE = {"public_home": _l("public home"), "private_home": _l("private home"),
              "regional_center": _l("regional centre"), "street_center": _l("street centre"),
              "embedded_home": _l("embedded home")}


def _type_states(occupancy: dict) -> tuple:
    """What the occupancy chart draws: for each kind of institution with beds, its short name's key
    and its occupied, vacant, on hold or needing cleaning, and out-of-service beds."""
    return tuple((t, row["occupied_all"], row["vacant"], row["on_hold"] + row["needs_cleaning"], row["out_of_service"])
                 for t, row in occupancy["by_type"].items() if row["total"])


def _state_bars(rows: tuple, narrow: bool = False) -> str:
    names = [str(SHORT_TYPE[row[0]]) for row in rows]
    options = _options(narrow, _("Institution beds by state and type of facility"), names)
    if narrow:  # rows from the top in the table's order; three ticks, so that "4000" and "2000" keep apart
        rows, names = rows[::-1], names[::-1]
        chart = pygal.HorizontalStackedBar(height=170 + 40 * len(rows), legend_at_bottom_columns=1, max_scale=3,
                                           **options)
    else:
        chart = pygal.StackedBar(height=380, legend_at_bottom_columns=2, **options)
    chart.config(style=STATES, print_values=False, legend_at_bottom=True)
    chart.x_labels = names
    for column, legend in enumerate((_("occupied"), _("vacant"), _("on hold / needs cleaning"), _("out of service")),
                                    start=1):
        chart.add(legend, [row[column] for row in rows])
    return _render(chart)


def occupancy_by_type(occupancy: dict, narrow: bool = False) -> str:
    """Stacked bars: occupied, vacant and other beds for each kind of institution."""
    return _state_bars(_type_states(occupancy), narrow)


def _town_coverage(figures: dict) -> tuple:
    """What the caregivers' chart draws: each town with caregivers, its coverage and whether all are covered."""
    return tuple((t["name"], t["coverage"], t["uncovered"] == 0) for t in figures["towns"] if t["caregivers"])


def _coverage_bars(rows: tuple, narrow: bool = False) -> str:
    return _share_bars(narrow, rows, 1.0, _("Caregivers' pre-job training coverage by town; red line: target 100%"),
                       _("pre-job training coverage"))


def caregiver_coverage(figures: dict, narrow: bool = False) -> str:
    """Each town's pre-job training coverage of caregivers, with the 100% target as the red line."""
    return _coverage_bars(_town_coverage(figures), narrow)


@lru_cache(maxsize=24)
def _drawn(draw, _locale: str, *figures) -> Markup:
    return for_screen(draw, *figures)


# Drawing a chart takes tens of milliseconds. A page's chart is kept by the figures it draws (and the
# language of its words): after a change, only a chart whose figures changed is drawn again (a change
# in one home alters one town's share at most, and often no chart's figures at all).


def town_ratio_chart(ratio: dict) -> Markup:
    return _drawn(_town_bars, str(get_locale()), *_town_shares(ratio))


def occupancy_chart(occupancy: dict) -> Markup:
    return _drawn(_state_bars, str(get_locale()), _type_states(occupancy))


def caregiver_coverage_chart(figures: dict) -> Markup:
    return _drawn(_coverage_bars, str(get_locale()), _town_coverage(figures))


# A PDF report prints the wide drawing alone, kept by its figures in the same way: the monthly
# reports of the city and its towns, or a report made again after a change elsewhere, draw the
# city's charts once.
@lru_cache(maxsize=8)
def _drawn_wide(draw, _locale: str, *figures) -> str:
    return draw(*figures)


def town_ratio_print(ratio: dict) -> str:
    return _drawn_wide(_town_bars, str(get_locale()), *_town_shares(ratio))


def monthly_trend_print(trend: list[dict]) -> str:
    return _drawn_wide(_trend_lines, str(get_locale()), _trend_points(trend))
