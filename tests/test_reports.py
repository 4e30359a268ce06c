"""Occupancy reports made, read back and archived: the PDF's text against the dashboard's
figures, page numbers, Chinese text, no ID numbers; the archive's versions and damaged files;
the three ways of making one (web job, command line, scheduler) and who may see what."""

import fcntl
import gc
import hashlib
import io
import os
import re
import shutil
import subprocess
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from flask_babel import force_locale, format_date, gettext
from flask_babel import lazy_gettext as _l
from pypdf import PdfReader
from sqlalchemy import func, select

from eldercare import labels, pdf
from eldercare.dashboard import services
from eldercare.errors import DomainError
from eldercare.extensions import db as _db
from eldercare.facilities import services as beds
from eldercare.facilities.models import CareType, FacilityType, MealLog
from eldercare.models import utcnow
from eldercare.reports import archive, making
from eldercare.reports.models import JobStatus, Report, ReportJob, ReportKind, Source
from eldercare.reports.periods import parse_period, resolve_scope
from eldercare.residents.models import Category
from eldercare.timekeeping import local_today
from tests import factories
from tests.conftest import login, post

ARTIFACTS = Path(__file__).parent / "artifacts"
ID_NUMBER = re.compile(r"\d{17}[\dXx]")
EVIL_TOWN = "<i>东陈镇</i>"
EVIL_HOME = "<b>坏名字</b>养老院"


@pytest.fixture(autouse=True)
def reports_dir(app, tmp_path):
    app.config["REPORTS_DIR"] = str(tmp_path / "reports")
    return tmp_path / "reports"


@pytest.fixture
def city(db, manager, facility):
    """Two towns (one with HTML in its name), three homes with stays, a tekun resident, meals."""
    other_town = factories.town(EVIL_TOWN, "320682009")
    public = factories.facility(other_town, name=EVIL_HOME, type=FacilityType.public_home)
    third = factories.facility(other_town, name="东陈颐养院", type=FacilityType.private_home)
    made = {f.id: [factories.bed(f, code=f"{f.id}-{i}", care_type=CareType.nursing if i % 3 else CareType.ordinary)
                   for i in range(12)] for f in (facility, public, third)}
    start = local_today() - timedelta(days=40)
    elders = []
    for i, f in enumerate((facility, public, third)):
        for j in range(4 + i):
            elder = factories.elder(category=Category.tekun if (f is public and j == 0) else Category.general)
            elders.append(elder)
            db.session.commit()
    index = 0
    for f, count in ((facility, 4), (public, 5), (third, 6)):
        for j in range(count):
            beds.admit(manager if f is facility else None, made[f.id][j], elders[index], on=start + timedelta(days=j))
            index += 1
    meal_point = factories.facility(other_town, name="东陈助餐点", type=FacilityType.meal_point)
    db.session.add(MealLog(facility_id=meal_point.id, day=local_today() - timedelta(days=1), meals=1234,
                           subsidised=200, subsidised_by_category={"tekun": 200}))
    db.session.commit()
    return {"facility": facility, "public": public, "third": third, "elders": elders, "town": other_town}


def _text(path_or_bytes):
    reader = PdfReader(path_or_bytes)
    return reader, [page.extract_text() for page in reader.pages]


def _make(scope, period, language="zh", source=Source.command_line, user=None):
    report = making.make(scope, parse_period(period), language, source=source, made_by=user)
    _db.session.commit()
    return report


def test_city_report_reads_back_with_the_dashboard_figures(app, city):
    today = local_today()
    report = _make(resolve_scope(), f"{today:%Y-%m}")
    reader, pages = _text(archive.path_of(report))
    text = "\n".join(pages)
    ratio = services.care_ratio(today.year)["city"]
    occupancy = services.occupancy()
    occupied = sum(t["occupied_all"] for t in occupancy["by_type"].values())

    def value(label, **variables):
        """The figure printed after `label` (a msgid, as the Chinese edition words it)."""
        with force_locale("zh"):
            words = gettext(label, **variables)
        return next(row for row in text.splitlines() if row.startswith(words + " ")).split()[-1]

    assert value("Institution beds") == f"{ratio['total']:,}"
    assert value("Nursing-type beds") == f"{ratio['nursing']:,}"
    assert value("Nursing-type share") == labels.percent(ratio["ratio"])
    assert value("Shortfall (ordinary beds to convert)") == str(ratio["shortfall"])
    with force_locale("zh"):
        day = format_date(today)
    assert value("Occupied beds on %(day)s", day=day) == str(occupied)
    assert value("Tekun elders in centralized care") == str(occupancy["tekun_in_care"]) == "1"
    assert value("Surplus beds open to the public (today)") == str(occupancy["surplus_open_beds"])
    # page numbers: 第 N 页 / 共 M 页 on every page, M the real count
    assert report.pages == len(reader.pages) >= 2
    for n, page in enumerate(pages, start=1):
        assert f"第 {n} 页 / 共 {len(pages)} 页" in page
    assert re.search(r"[\u4e00-\u9fff]{6,}", pages[0]) and "Noto Sans CJK SC" in text  # Chinese as Chinese
    with force_locale("zh"):
        assert gettext("Elderly-care bed occupancy report") in pages[0]
    assert EVIL_HOME in text and EVIL_TOWN in text  # names with HTML are printed as typed, not as markup
    assert not ID_NUMBER.search(text)
    assert not any(e.name in text for e in city["elders"])
    # page 1 as a picture, for a person to look at
    ARTIFACTS.mkdir(exist_ok=True)
    subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile",
                    str(archive.path_of(report)), str(ARTIFACTS / "report-city-page1")], check=True)
    assert (ARTIFACTS / "report-city-page1.png").stat().st_size > 10_000


def test_english_town_and_facility_editions(app, city):
    period = f"{local_today():%Y-%m}"
    town = _make(resolve_scope(town_id=city["town"].id), period, "en")
    reader, pages = _text(archive.path_of(town))
    assert "Elderly-care bed occupancy report" in pages[0] and f"Page 1 of {len(pages)}" in pages[0]
    assert "东陈颐养院" in "\n".join(pages) and "如城" not in "\n".join(pages)  # only the town's homes
    home = _make(resolve_scope(facility_id=city["public"].id), period)
    _, pages = _text(archive.path_of(home))
    text = "\n".join(pages)
    with force_locale("zh"):
        assert gettext("Ability level") in text and gettext("Residents") in text
    assert not ID_NUMBER.search(text) and not any(e.name in text for e in city["elders"])
    subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile",
                    str(archive.path_of(home)), str(ARTIFACTS / "report-facility-page1")], check=True)


def test_url_fetcher_loads_only_static_files(app):
    fetch = pdf.static_fetcher(Path(app.static_folder))
    assert b"body" in fetch.fetch("static:app.css").read()
    for url in ("file:///etc/passwd", "http://127.0.0.1/", "static:../../config.py", "static:/etc/passwd"):
        with pytest.raises(ValueError):
            fetch.fetch(url)
    content, pages = pdf.render('<p>x</p><img src="file:///etc/hostname"><link rel="stylesheet" '
                                'href="http://127.0.0.1:9/x.css">', Path(app.static_folder))
    assert content.startswith(b"%PDF") and pages == 1


def test_a_thread_keeps_its_font_configuration_for_the_next_pdf(app):
    static = Path(app.static_folder)
    first, _pages = pdf.render("<p>护理型床位 1,234</p>", static)
    config = pdf.font_config()
    again, _pages = pdf.render("<p>护理型床位 1,234</p>", static)
    assert pdf.font_config() is config
    for content in (first, again):
        assert PdfReader(io.BytesIO(content)).pages[0].extract_text() == "护理型床位 1,234"
    other = []
    thread = threading.Thread(target=lambda: other.append(pdf.font_config()))
    thread.start()
    thread.join()
    assert other[0] is not config  # a Pango font map is not shared between threads


def test_a_pdf_leaves_the_collector_as_it_found_it(app):
    static = Path(app.static_folder)
    assert gc.get_freeze_count() == 0 or pytest.skip("something froze the test process's objects")
    with pdf.objects_left_out():
        frozen = gc.get_freeze_count()
        assert frozen > 0
        pdf.render("<p>护理型床位</p>", static)  # nested: the outer block thaws them
        assert gc.get_freeze_count() >= frozen
    assert gc.get_freeze_count() == 0
    gc.freeze()  # as an app server's worker does once started (wsgi.py)
    try:
        frozen = gc.get_freeze_count()
        pdf.render("<p>护理型床位</p>", static)
        assert gc.get_freeze_count() == frozen  # kept frozen after the PDF, and nothing more frozen
    finally:
        gc.unfreeze()


def test_missing_font_is_logged(monkeypatch, caplog):
    assert pdf.installed_font() and pdf.installed_font().endswith((".ttc", ".otf", ".ttf"))
    monkeypatch.setattr(pdf, "_found", {})  # as in a new process
    monkeypatch.setattr(shutil, "which", lambda name: None)
    assert pdf.installed_font() is None
    assert "fonts-noto-cjk" in caplog.text


def test_regenerating_keeps_the_superseded_version(app, city, reports_dir):
    scope, period = resolve_scope(facility_id=city["facility"].id), f"{local_today():%Y-%m}"
    first = _make(scope, period)
    second = _make(scope, period)
    _db.session.refresh(first)
    assert (first.version, second.version) == (1, 2)
    assert first.superseded_at is not None and second.superseded_at is None
    assert archive.status(first) == archive.status(second) == archive.OK
    assert hashlib.sha256(archive.path_of(second).read_bytes()).hexdigest() == second.sha256
    assert not list(reports_dir.rglob(".writing-*"))


def test_a_killed_write_leaves_no_file(app, city, reports_dir, monkeypatch):
    def killed(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", killed)
    with pytest.raises(KeyboardInterrupt):
        _make(resolve_scope(facility_id=city["facility"].id), f"{local_today():%Y-%m}")
    assert not [p for p in reports_dir.rglob("*") if p.is_file()]


def test_leftover_temporary_files_go_once_old_unless_a_live_process_holds_them(app, reports_dir):
    folder = reports_dir / "2026-10"
    folder.mkdir(parents=True)
    old = time.time() - app.config["REPORT_STALLED_AFTER"] - 1
    left, fresh, held, report = (folder / name for name in (f"{archive.TEMPORARY}left.pdf",
                                                            f"{archive.TEMPORARY}fresh.pdf",
                                                            f"{archive.TEMPORARY}held.pdf", "occupancy-city-zh-v1.pdf"))
    for path in (left, fresh, held, report):
        path.write_bytes(b"%PDF-")
    for path in (left, held, report):
        os.utime(path, (old, old))
    with held.open("rb") as writer:  # as a live process writing it holds it
        fcntl.flock(writer, fcntl.LOCK_EX)
        assert archive.remove_leftovers() == 1
    assert sorted(p.name for p in folder.iterdir()) == sorted(p.name for p in (fresh, held, report))


def test_only_web_jobs_silent_longer_than_a_report_can_take_end_as_interrupted(app, db, city, bureau_staff,
                                                                               monkeypatch):
    period = f"{local_today():%Y-%m}"
    silent, fresh, renewed = (making.order(bureau_staff, scope, period, language)[0] for scope, language in (
        (resolve_scope(), "zh"), (resolve_scope(), "en"), (resolve_scope(town_id=city["town"].id), "zh")))
    scheduled = ReportJob(kind=ReportKind.occupancy, scope="city", period=period, language="zh", scheduled=True,
                          status=JobStatus.running)  # taken up again by the scheduler's next run or start
    db.session.add(scheduled)
    stalled = utcnow() - timedelta(seconds=app.config["REPORT_STALLED_AFTER"] + 1)
    for job in (silent, scheduled, renewed):
        job.alive_at = stalled
    silent.status = JobStatus.running
    db.session.commit()

    def make(*args, progress, **kwargs):
        progress(50)
        raise DomainError(_l("Reports are made in Chinese or English."))

    monkeypatch.setattr(making, "make", make)
    making.run_job(renewed.id)  # its worker gives a sign of life at each step, so it is not taken for dead
    assert renewed.alive_at > stalled and renewed.status == JobStatus.failed
    assert making.end_interrupted() == 1
    db.session.expire_all()
    assert (silent.status, fresh.status, scheduled.status) == (JobStatus.failed, JobStatus.queued, JobStatus.running)
    assert silent.message_text == "报告生成中途被中断，未能完成，请重新生成。" and silent.finished_at is not None


def test_damaged_and_missing_files_are_shown_and_not_served(app, client, city, bureau_staff):
    report = _make(resolve_scope(), f"{local_today():%Y-%m}")
    login(client, bureau_staff)
    assert client.get(f"/reports/{report.id}/file").data.startswith(b"%PDF")
    path = archive.path_of(report)
    path.write_bytes(path.read_bytes()[:-10] + b"0123456789")
    assert archive.status(report) == archive.DAMAGED
    response = client.get(f"/reports/{report.id}/file")
    assert response.status_code == 302 and not response.data.startswith(b"%PDF")
    assert 'data-testid="damaged"' in client.get("/reports").get_data(as_text=True)
    path.unlink()
    assert archive.status(report) == archive.MISSING
    assert client.get(f"/reports/{report.id}/file").status_code == 302


def test_managers_see_their_facilities_reports_only_and_families_none(app, client, city, manager, family):
    period = f"{local_today():%Y-%m}"
    mine = _make(resolve_scope(facility_id=city["facility"].id), period)
    theirs = _make(resolve_scope(facility_id=city["third"].id), period)
    whole = _make(resolve_scope(), period)
    login(client, manager)
    page = client.get("/reports").get_data(as_text=True)
    assert f"/reports/{mine.id}/file" in page
    assert f"/reports/{theirs.id}/file" not in page and f"/reports/{whole.id}/file" not in page
    assert client.get(f"/reports/{theirs.id}/file").status_code == 404
    assert client.get(f"/reports/{whole.id}/file").status_code == 404
    response = post(client, "/reports/order", {"level": "facility", "facility_id": city["third"].id,
                                               "period": period, "language": "zh"})
    assert response.status_code == 403 and _db.session.scalar(select(ReportJob)) is None
    client.post("/logout", data={})
    family_client = app.test_client()
    login(family_client, family)
    assert family_client.get("/reports").status_code == 403


def test_archive_filters(app, client, city, bureau_staff):
    period = f"{local_today():%Y-%m}"
    city_report = _make(resolve_scope(), period)
    english = _make(resolve_scope(facility_id=city["facility"].id), period, "en")
    login(client, bureau_staff)
    page = client.get("/reports?level=city").get_data(as_text=True)
    assert f"/reports/{city_report.id}/file" in page and f"/reports/{english.id}/file" not in page
    page = client.get("/reports?language=en").get_data(as_text=True)
    assert f"/reports/{english.id}/file" in page and f"/reports/{city_report.id}/file" not in page
    assert "No reports yet" in client.get("/reports?period=2001-01").get_data(as_text=True) or \
        "暂无报告" in client.get("/reports?period=2001-01").get_data(as_text=True)


def _wait_for(job_id, seconds=120):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        _db.session.expire_all()
        job = _db.session.get(ReportJob, job_id)
        if job.status in (JobStatus.done, JobStatus.failed):
            return job
        time.sleep(0.2)
    raise AssertionError("the report job did not finish")


def test_web_order_runs_outside_the_request_and_offers_the_download(app, client, city, bureau_staff):
    login(client, bureau_staff)
    response = post(client, "/reports/order", {"level": "town", "town_id": city["town"].id,
                                               "period": f"{local_today():%Y-%m}", "language": "en"})
    assert response.status_code == 302 and "/reports/jobs/" in response.headers["Location"]
    job_id = int(response.headers["Location"].rsplit("/", 1)[1])
    job = _wait_for(job_id)
    assert job.status == JobStatus.done and job.progress == 100, job.message_text
    page = client.get(f"/reports/jobs/{job_id}").get_data(as_text=True)
    assert 'data-testid="download"' in page
    pdf_bytes = client.get(f"/reports/{job.report_id}/file").data
    assert pdf_bytes.startswith(b"%PDF")
    assert job.report.made_by_id == bureau_staff.id and job.report.source == Source.web


def test_an_order_made_twice_is_one_job_until_it_is_made(app, client, city, bureau_staff, monkeypatch):
    monkeypatch.setattr(making, "start", lambda job_id: None)  # the job stays queued: it is being made
    login(client, bureau_staff)
    order = {"level": "town", "town_id": city["town"].id, "period": f"{local_today():%Y-%m}", "language": "zh"}
    first = post(client, "/reports/order", order)
    second = post(client, "/reports/order", order, follow_redirects=True)
    assert first.headers["Location"].endswith(second.request.path)  # the second click shows the first job
    assert "这份报告正在生成" in second.get_data(as_text=True)
    assert _db.session.scalar(select(func.count()).select_from(ReportJob)) == 1
    post(client, "/reports/order", {**order, "language": "en"})  # another report is another job
    job = _db.session.scalars(select(ReportJob).order_by(ReportJob.id)).first()
    job.status = JobStatus.done
    _db.session.commit()
    post(client, "/reports/order", order)  # made: ordering it again makes it again, as a new version
    assert _db.session.scalar(select(func.count()).select_from(ReportJob)) == 3


def test_two_orders_at_once_make_one_job(app, city, bureau_staff):
    from tests.test_concurrency import race

    period, staff_id = f"{local_today():%Y-%m}", bureau_staff.id
    jobs = []

    def attempt():
        from eldercare.auth.models import User

        job, new = making.order(_db.session.get(User, staff_id), resolve_scope(), period, "zh")
        jobs.append((job.id, new))

    assert race(app, [attempt] * 6) == ["ok"] * 6
    assert len({job_id for job_id, _new in jobs}) == 1 and sorted(new for _job, new in jobs) == [False] * 5 + [True]
    assert _db.session.scalar(select(func.count()).select_from(ReportJob)) == 1


def test_bad_orders_are_refused_with_a_message_and_change_nothing(app, client, city, bureau_staff):
    login(client, bureau_staff)
    for period in (f"{local_today().year + 1}-01", "2001-01", "soon"):
        response = post(client, "/reports/order", {"level": "city", "period": period, "language": "zh"},
                        follow_redirects=True)
        assert response.status_code == 200 and 'class="flash error"' in response.get_data(as_text=True)
    month = f"{local_today():%Y-%m}"
    for level, field in (("town", "town_id"), ("facility", "facility_id")):
        for number in (10**20, 2**31, 0, -1, ""):  # past any column, no id at all, none chosen
            response = post(client, "/reports/order", {"level": level, field: number, "period": month,
                                                       "language": "zh"}, follow_redirects=True)
            assert response.status_code == 200 and 'class="flash error"' in response.get_data(as_text=True)
    assert _db.session.scalar(select(ReportJob)) is None


def test_command_line(app, runner, city, tmp_path):
    out = tmp_path / "town.pdf"
    result = runner.invoke(args=["report", "occupancy", "--period", f"{local_today():%Y-%m}", "--town", EVIL_TOWN,
                                 "--lang", "en", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"%PDF") and "pages" in result.output
    report = _db.session.scalar(select(Report))
    assert report.source == Source.command_line and report.town_id == city["town"].id
    result = runner.invoke(args=["report", "occupancy", "--period", "2026-13", "--out", str(out)])
    assert result.exit_code != 0 and "2026-Q3" in result.output
    result = runner.invoke(args=["report", "occupancy", "--period", "2026-10", "--town", "x", "--facility", "1",
                                 "--out", str(out)])
    assert result.exit_code != 0
    result = runner.invoke(args=["report", "occupancy", "--period", "2026-10", "--town", "没有这个镇",
                                 "--out", str(out)])
    assert result.exit_code != 0 and "没有这个镇" in result.output


def test_scheduled_reports_are_made_once_per_period_with_two_schedulers(app, city):
    today = local_today().replace(day=1)
    claimed = []

    def scheduler():
        with app.app_context():
            try:
                claimed.append(making.claim_monthly(today))
            finally:
                _db.session.remove()

    threads = [threading.Thread(target=scheduler) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    all_ids = claimed[0] + claimed[1]
    assert len(all_ids) == len(set(all_ids)) == 3  # the city and its two towns, each claimed once
    for job_id in all_ids:
        making.run_job(job_id)
    assert making.schedule_monthly(today) == []  # a retry claims and makes nothing
    reports = _db.session.scalars(select(Report)).all()
    assert sorted(r.scope for r in reports) == sorted(["city", f"town-{city['facility'].town_id}",
                                                       f"town-{city['town'].id}"])
    assert {r.source for r in reports} == {Source.schedule} and {r.period for r in reports} == {
        making.previous_month(today).label}


def test_caregiver_figures_join_once_caregivers_are_recorded(app, city):
    from eldercare.caregivers.models import Caregiver

    period = f"{local_today():%Y-%m}"
    scope = resolve_scope(facility_id=city["public"].id)
    _, pages = _text(archive.path_of(_make(scope, period, "en")))
    assert "Caregiver figures are not recorded yet and are left out." in "".join(pages).replace("\n", " ")
    factories.caregiver_with_certificate(city["public"])
    _, pages = _text(archive.path_of(_make(scope, period, "en")))
    text = "\n".join(pages)
    assert "Caregivers working 1" in text and "With a skill certificate 1 (100.0%)" in text
    person = _db.session.scalar(select(Caregiver))
    assert person.name not in text and person.id_number not in text and not ID_NUMBER.search(text)
