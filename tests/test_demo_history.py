"""Issue 14, point 3: the first run shows a product with a past (13 months of snapshots from the
demo's stays and bed register) and an empty chart says why it is empty, in the page's language."""

from datetime import date

from eldercare import demo
from eldercare.dashboard import snapshots
from tests.conftest import login, post


def test_history_days_cover_thirteen_months_daily_at_the_end():
    today = date(2026, 11, 30)
    days = demo.history_days(today)
    assert days[0] == date(2025, 10, 1) and days[-1] == date(2026, 11, 29)
    assert days == sorted(set(days)) and today not in days
    recent = [d for d in days if (today - d).days <= demo.DAILY_DAYS]
    assert len(recent) == demo.DAILY_DAYS  # every day of the last month
    months = {(d.year, d.month) for d in days}
    assert len(months) >= 14  # 13 whole months back and this one


def test_seeded_history_fills_the_monthly_trend(app, db):
    today = date(2026, 11, 30)
    demo.seed(1, today=today)
    db.session.commit()
    assert demo.snapshot_history(today) > 0
    db.session.commit()
    trend = snapshots.monthly_trend(today=today)
    with_data = [m for m in trend if m["occupancy"] is not None]
    assert len(with_data) >= 14 and all(0 < m["occupancy"] <= 1 for m in with_data)
    assert demo.snapshot_history(today) == 0  # a second run adds nothing


def test_an_empty_trend_says_why_in_the_pages_language(client, bureau_staff):
    login(client, bureau_staff)
    page = client.get("/dashboard/trends").get_data(as_text=True)
    assert "No data" not in page and "暂无每日数据" in page and 'data-testid="trend-empty"' in page
    post(client, "/language/en")
    page = client.get("/dashboard/trends").get_data(as_text=True)
    assert "No daily figures yet: they are recorded every night" in page and "暂无" not in page
