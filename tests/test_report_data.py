"""Report figures on hand-made histories with known answers: a stay that starts before the
month and ends inside it, a transfer inside the month, a bed converted and a bed retired
inside it, and a month with no data."""

from datetime import timedelta

import pytest
from flask_babel import force_locale, format_decimal

from eldercare.dashboard import charts, services, snapshots
from eldercare.errors import InvalidInput
from eldercare.facilities import services as beds
from eldercare.facilities.models import CareType, FacilityType
from eldercare.labels import percent
from eldercare.reports import data, render
from eldercare.reports.making import previous_month
from eldercare.reports.periods import check_period, parse_period, resolve_scope
from eldercare.residents.models import Category
from eldercare.timekeeping import local_today
from tests import factories


@pytest.fixture
def history(db, town, facility, manager):
    """The month before last, `n` days long, in a home of 10 beds (5 nursing-type, 5 ordinary):
    - elder A in bed 1 from 10 days before the month until day 11 (10 days in the month);
    - elder B in bed 3 from 5 days before the month, moved to bed 4 on day 21 (the whole month);
    - bed 6 converted from ordinary to nursing-type on day 16;
    - bed 10 retired on day 26 (25 days in the month).
    Another home in the town has 4 beds and never a stay."""
    period = previous_month(previous_month(local_today()).start)
    start, n = period.start, period.days
    made = [factories.bed(facility, code=f"{i:02d}", care_type=CareType.nursing if i <= 5 else CareType.ordinary)
            for i in range(1, 11)]
    a, b = factories.elder(), factories.elder()
    stay = beds.admit(manager, made[0], a, on=start - timedelta(days=10))
    beds.discharge(manager, stay, on=start + timedelta(days=10))
    stay = beds.admit(manager, made[2], b, on=start - timedelta(days=5))
    beds.transfer(manager, stay, made[3], on=start + timedelta(days=20))
    beds.change_care_type(manager, made[5], CareType.nursing, on=start + timedelta(days=15))
    beds.retire_bed(manager, made[9], on=start + timedelta(days=25))
    empty = factories.facility(town, name="空空养老院", type=FacilityType.private_home)
    for i in range(4):
        factories.bed(empty, code=f"E{i}")
    db.session.commit()
    return {"period": period, "n": n, "facility": facility, "empty": empty}


def test_facility_report_figures_as_of_the_last_day_and_averaged_by_day(history):
    period, n, facility = history["period"], history["n"], history["facility"]
    figures = data.gather(resolve_scope(facility_id=facility.id), period, local_today())
    h = figures["headline"]
    assert figures["as_of"] == period.end and not figures["running"]
    assert (h["beds"], h["nursing"]) == (9, 6)  # bed 10 retired, bed 6 converted
    assert percent(h["ratio"]) == "66.6%"  # 6 / 9, truncated, not rounded up to 66.7%
    assert h["occupied"] == 1  # only elder B, in bed 4
    assert h["average_occupied"] == pytest.approx((10 + n) / n)
    assert h["average_rate"] == pytest.approx((10 + n) / (9 * n + 25))
    assert {r["room"]: r["beds"] for r in figures["rooms"]} == {"": 9}
    assert figures["residents_by_category"] == {"general": 1}


def test_the_day_before_the_conversion_and_the_retirement(history):
    start = history["period"].start
    ratio = services.care_ratio(start.year, start + timedelta(days=14))
    f = next(f for f in ratio["facilities"] if f["id"] == history["facility"].id)
    assert (f["total"], f["nursing"]) == (10, 5)
    on_the_day = services.care_ratio(start.year, start + timedelta(days=15))
    f = next(f for f in on_the_day["facilities"] if f["id"] == history["facility"].id)
    assert (f["total"], f["nursing"]) == (10, 6)
    point = services.period_occupancy(start + timedelta(days=5), start + timedelta(days=5))["on_end"]
    assert point["by_facility"][history["facility"].id]["occupied_all"] == 2  # A and B


def test_town_report_adds_up_its_homes_and_shows_the_empty_one(history):
    period, n = history["period"], history["n"]
    town = resolve_scope(town_id=history["facility"].town_id)
    figures = data.gather(town, period, local_today())
    h = figures["headline"]
    assert (h["beds"], h["nursing"], h["occupied"]) == (13, 10, 1)  # the empty home's 4 are nursing-type
    assert h["average_rate"] == pytest.approx((10 + n) / (13 * n + 25))
    empty = next(f for f in figures["facilities"] if f["name"] == "空空养老院")
    assert (empty["beds"], empty["occupied"], empty["average_occupied"], empty["average_rate"]) == (4, 0, 0.0, 0.0)
    assert figures["by_type"]["private_home"]["facilities"] == 2


def test_a_month_with_no_data_is_refused_and_a_future_one_too(history):
    today = local_today()
    long_ago = parse_period("2001-01")
    with pytest.raises(InvalidInput):
        check_period(long_ago, today)  # before the first stay
    with pytest.raises(InvalidInput):
        check_period(parse_period(f"{today.year + 1}"), today)
    with pytest.raises(InvalidInput):
        parse_period("2026-13")
    with pytest.raises(InvalidInput):
        parse_period("next month")


def test_a_city_with_no_data_at_all_is_refused(db):
    with pytest.raises(InvalidInput):
        check_period(previous_month(local_today()), local_today())


def test_periods_parse_months_quarters_and_years():
    assert (parse_period("2024-02").start.day, parse_period("2024-02").end.day) == (1, 29)
    q = parse_period("2026-Q3")
    assert (q.start.month, q.end.month, q.end.day) == (7, 9, 30)
    assert parse_period("2025").days == 365


def test_percent_never_shows_a_shortfall_as_the_target():
    assert percent(1849 / 2500) == "73.9%"  # 73.96%: one bed short of 74%
    assert percent(1850 / 2500) == "74.0%"
    assert percent(37 / 50) == "74.0%"
    assert percent(None) == "—"


def test_percents_use_the_readers_symbols_without_grouping(app):
    for language, point in (("zh", "."), ("en", "."), ("de", ",")):
        with force_locale(language):
            assert percent(1849 / 2500) == f"73{point}9%", language
            assert percent(1) == f"100{point}0%" and percent(0) == f"0{point}0%", language
            assert percent(12.3456) == f"1234{point}5%", language  # no thousands separator in a share
    with force_locale("de"):
        assert render.number(12345) == "12.345"  # the symbols are kept per locale, not the first one asked



def test_counts_are_written_as_babel_writes_them(app):
    for language in ("zh", "en"):
        with force_locale(language):
            for value in (0, 7, 999, 1000, 12345, 1234567, -4321, 2.5, 3.5, 1999.6):
                assert render.number(value) == format_decimal(value, format="#,##0"), (language, value)
            assert render.number(None) == "—"

def test_a_running_period_counts_its_days_so_far(history):
    today = local_today()
    period = parse_period(f"{today:%Y-%m}")
    figures = data.gather(resolve_scope(), period, today)
    assert figures["as_of"] == today and figures["running"] == (today < period.end)
    assert (figures["community"]["since"], figures["community"]["until"]) == (period.start, today)
    assert figures["headline"]["average_occupied"] == pytest.approx(1.0)  # elder B, every day so far


def test_the_figures_on_a_periods_last_day_agree_with_that_days_snapshot_rows(db, history, town, manager):
    """period_occupancy reads the figures "as of" its last day from the rows of its bed-days and
    counts the tekun elders that day; the daily snapshot's rows (snapshots.rows_for) count the same
    beds and stays grouped by category and ability level. A community home's beds are in neither."""
    start = history["period"].start
    public = factories.facility(town, name="测试敬老院", type=FacilityType.public_home)
    tekun = factories.elder(category=Category.tekun)
    stay = beds.admit(manager, factories.bed(public, code="T1"), tekun, on=start - timedelta(days=3))
    beds.discharge(manager, stay, on=start + timedelta(days=8))
    community = factories.facility(town, name="测试助餐点", type=FacilityType.meal_point)
    factories.bed(community, code="M1")
    db.session.commit()
    for day, tekun_in_care in ((start + timedelta(days=5), 1), (start + timedelta(days=7), 1),
                               (start + timedelta(days=8), 0), (start + timedelta(days=25), 0)):
        rows = {r["facility_id"]: r for r in snapshots.rows_for(day)}
        for since in (day, start, start - timedelta(days=20)):  # the day alone, and periods ending on it
            point = services.period_occupancy(since, day)["on_end"]
            for facility_id, figures in point["by_facility"].items():
                assert (figures["total"], figures["occupied_all"]) == (rows[facility_id]["beds"],
                                                                       rows[facility_id]["occupied"]), (day, since)
            assert community.id not in point["by_facility"]
            assert point["tekun_in_care"] == tekun_in_care == sum(
                r["residents_by_category"].get("tekun", 0) for r in rows.values())
            assert point["public_homes"]["occupied_all"] == tekun_in_care
        one_day = services.period_occupancy(day, day)
        assert one_day["average"]["city"]["occupied_days"] == one_day["on_end"]["city"]["occupied_all"]
        assert one_day["average"]["city"]["bed_days"] == one_day["on_end"]["city"]["total"]


def test_a_reports_chart_is_drawn_again_only_when_its_figures_or_language_change(app):
    trend = [{"month": f"2026-{m:02d}", "days": 30, "occupancy": 0.6 + m / 100, "ratio": 0.7, "target": 0.74}
             for m in range(1, 13)]
    ratio = {"target": 0.74, "towns": [{"id": 1, "name": "丁堰镇", "ratio": 0.7, "meets": False, "total": 10}]}
    with app.test_request_context("/"), force_locale("zh"):
        drawn, towns = charts.monthly_trend_print(trend), charts.town_ratio_print(ratio)
        assert charts.monthly_trend_print([dict(m) for m in trend]) is drawn
        assert charts.monthly_trend_print([dict(m, occupancy=0.5) for m in trend]) is not drawn
        assert charts.town_ratio_print({**ratio, "facilities": []}) is towns
        assert "全市各月入住率和护理型床位占比" in drawn
        with force_locale("en"):
            assert "City occupancy and nursing-type share by month" in charts.monthly_trend_print(trend)
        assert "City occupancy" not in drawn
        assert render.image(drawn).startswith('<img src="data:image/svg+xml;base64,')
