"""The dashboard's tables as rows for a spreadsheet (CSV or XLSX): the towns, the facilities
and the conversion plan, from the same services the pages show (one source per figure)."""

from flask_babel import gettext as _

from eldercare import labels
from eldercare.dashboard import services


def _share(value) -> float | str:
    return round(value, 4) if value is not None else ""


def _yes_no(value) -> str:
    return "" if value is None else _("yes") if value else _("no")


def towns(year: int) -> tuple[list[str], list[list]]:
    ratio = services.care_ratio(year)
    header = [_("Town or street"), _("Nursing-type"), _("All beds"), _("out of service"), _("Share"), _("Short by"),
              _("Meets the target")]
    rows = [[t["name"], t["nursing"], t["total"], t["out_of_service"], _share(t["ratio"]), t["shortfall"],
             _yes_no(t["meets"])] for t in ratio["towns"]]
    return header, rows


def facilities(year: int, town_id: int | None = None) -> tuple[list[str], list[list]]:
    ratio = services.care_ratio(year)
    header = [_("Facility"), _("Town or street"), _("Type"), _("Medical-care integrated"), _("Nursing-type"),
              _("All beds"), _("out of service"), _("Share"), _("Short by"), _("Meets the target")]
    rows = [[f["name"], f["town"], str(labels.of(labels.FACILITY_TYPE, f["type"])), _yes_no(f["medical_integrated"]),
             f["nursing"], f["total"], f["out_of_service"], _share(f["ratio"]), f["shortfall"], _yes_no(f["meets"])]
            for f in ratio["facilities"] if town_id is None or f["town_id"] == town_id]
    return header, rows


def planner(plan: dict) -> tuple[list[str], list[list]]:
    header = [_("Facility"), _("Town or street"), _("Beds to convert"), _("Medical-care integrated"),
              _("Share of residents severely or completely disabled"), _("Facility share before"),
              _("Facility share after"), _("Scope share before"), _("Scope share after")]
    rows = [[s["facility"], s["town"], s["convert"], _yes_no(s["medical_integrated"]), round(s["disabled_share"], 3),
             _share(s["facility_ratio_before"]), _share(s["facility_ratio_after"]), _share(s["scope_ratio_before"]),
             _share(s["scope_ratio_after"])] for s in plan["steps"]]
    return header, rows
