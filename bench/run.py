"""Speed figures on the --scale 10 demo data (about 670 facilities, 77,000 beds), on SQLite and
on PostgreSQL: `make bench`. Prints a table; the README quotes it with the machine it ran on.

Each page is requested through the app in this process (no network in the way), 15 times:
right after a change everywhere (every figure read afresh, as after a restart), right after a
change in one home (its tallies re-read, the city's sums adjusted), and with nothing changed.
Targets: a median of 150 ms for the dashboard and the city ratio; the bed board of a 500-bed home.

Set BENCH_POSTGRES_URL to use another PostgreSQL database than eldercare_bench on
127.0.0.1:5432 (it is created, migrated and seeded on first use; later runs reuse it).
"""

import logging
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

RUNS = 15
SQLITE_URL = f"sqlite:///{ROOT / 'instance' / 'bench-scale10.sqlite'}"
SQLITE_SCALE1_URL = f"sqlite:///{ROOT / 'instance' / 'bench-scale1.sqlite'}"
POSTGRES_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/eldercare_bench")


def prepare(url: str, scale: int = 10) -> None:
    """Migrate and seed the demo at `scale` once."""
    if url.startswith("postgresql"):
        import psycopg

        admin = url.replace("postgresql+psycopg", "postgresql").rsplit("/", 1)
        with psycopg.connect(admin[0] + "/postgres", autocommit=True) as conn:
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (admin[1],)).fetchone():
                conn.execute(f'CREATE DATABASE "{admin[1]}"')
    env = {**os.environ, "DATABASE_URL": url, "ELDERCARE_CONFIG": "development"}
    flask = [str(ROOT / ".venv" / "bin" / "flask"), "--app", "wsgi"]
    subprocess.run([*flask, "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    started = time.perf_counter()
    out = subprocess.run([*flask, "seed-demo", "--scale", str(scale)], cwd=ROOT, env=env, check=True,
                         capture_output=True, text=True).stdout
    if "already" not in out:
        print(f"  seeded --scale {scale} in {time.perf_counter() - started:.0f} s: {out.strip().splitlines()[-1]}")


def big_home(app):
    """A 500-bed home managed by 'manager' (made once)."""
    from sqlalchemy import select

    from eldercare.auth.models import User
    from eldercare.extensions import db
    from eldercare.facilities import services
    from eldercare.facilities.models import CareType, Facility, FacilityType, Ownership, Town

    with app.app_context():
        name = "如皋市基准测试五百床养老院"
        facility = db.session.scalar(select(Facility).where(Facility.name == name))
        manager = db.session.scalar(select(User).where(User.username == "manager"))
        if facility is None:
            town = db.session.scalar(select(Town).order_by(Town.code))
            facility = Facility(name=name, type=FacilityType.private_home, town_id=town.id,
                                ownership=Ownership.private, licensed_beds=500)
            db.session.add(facility)
            db.session.flush()
            manager.facilities.append(facility)
            for floor in range(1, 6):
                for number in range(1, 26):
                    room = services.create_room(manager, facility, code=f"{floor}{number:02d}", floor=floor)
                    services.bulk_create_beds(manager, facility, room=room, count=4, care_type=CareType.nursing)
            db.session.commit()
        return facility.id


def login(client, username):
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    assert client.post("/login", data={"username": username, "password": "eldercare-demo",
                                       "csrf_token": token}).status_code == 302


def timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return (time.perf_counter() - started) * 1000


def measure(app, fn, facility_id) -> tuple[float, float, float]:
    """Medians of: the first view after a change everywhere (as after a restart or a bulk load),
    the first view after a change in one home, and a view with nothing changed."""
    from eldercare.cache import changed
    from eldercare.extensions import db

    everything, one_home, warm = [], [], []
    for _ in range(RUNS):
        for scope, samples in ((None, everything), ([facility_id], one_home)):
            with app.app_context():
                changed(db.session, scope)
                db.session.commit()
            samples.append(timed(fn))
        warm.append(timed(fn))
    return statistics.median(everything), statistics.median(one_home), statistics.median(warm)


def bench(url: str) -> list[tuple]:
    from eldercare import create_app
    from eldercare.dashboard import services
    from eldercare.timekeeping import local_today

    app = create_app("development", SQLALCHEMY_DATABASE_URI=url)
    logging.getLogger("eldercare.request").setLevel(logging.WARNING)  # a line per view would drown the figures
    board_id = big_home(app)
    bureau, manager, public = app.test_client(), app.test_client(), app.test_client()
    login(bureau, "bureau")
    login(manager, "manager")
    api = app.test_client()
    with app.app_context():
        from sqlalchemy import select

        from eldercare.auth import tokens
        from eldercare.auth.models import User
        from eldercare.extensions import db

        _token, secret = tokens.issue(db.session.scalar(select(User).where(User.username == "bureau")), days=1)
        db.session.commit()
    api.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {secret}"

    def get(client, path):
        def run():
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)
        return run

    def city_ratio():
        with app.app_context():
            services.care_ratio(local_today().year)["city"]

    def caregiver_figures():
        from eldercare.caregivers import queries as caregiver_queries

        with app.app_context():
            caregiver_queries.figures(local_today())["city"]

    rows = []
    for label, fn in [
        ("dashboard page (bureau)", get(bureau, "/dashboard")),
        ("city ratio (service)", city_ratio),
        ("caregiver figures (service)", caregiver_figures),
        ("conversion planner page", get(bureau, "/dashboard/planner")),
        ("facility list page", get(bureau, "/facilities")),
        ("bed board, 500 beds (manager)", get(manager, f"/facilities/{board_id}/board")),
        ("open beds page (public, no login)", get(public, "/open-beds")),
        ("applications to review (bureau)", get(bureau, "/review")),
        ("API: trivial route (GET /api/v1/tokens)", get(api, "/api/v1/tokens")),
        ("API: GET /api/v1/stats/care-ratio", get(api, "/api/v1/stats/care-ratio")),
        ("API: GET /api/v1/facilities (50 a page)", get(api, "/api/v1/facilities")),
    ]:
        rows.append((label, *measure(app, fn, board_id)))
    return rows


def main() -> None:
    print(f"Machine: {platform.node()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"{platform.system()} {platform.release()}")
    results = {}
    for name, url in (("SQLite", SQLITE_URL), ("PostgreSQL", POSTGRES_URL)):
        print(f"{name}: preparing {url.split('@')[-1]}")
        prepare(url)
        results[name] = bench(url)
    print()
    print("median of", RUNS, "requests, ms: after a change everywhere / after a change in one home / unchanged")
    print(f"{'':40} {'SQLite':>20} {'PostgreSQL':>20}")
    for (label, *s), (_, *p) in zip(results["SQLite"], results["PostgreSQL"], strict=True):
        print(f"{label:40} {' / '.join(f'{v:.0f}' for v in s):>20} {' / '.join(f'{v:.0f}' for v in p):>20}")
    print()
    print("City occupancy report for last month (bench/report.py, in a new process each):")
    prepare(SQLITE_SCALE1_URL, scale=1)
    for label, url in (("SQLite --scale 1", SQLITE_SCALE1_URL), ("SQLite --scale 10", SQLITE_URL),
                       ("PostgreSQL --scale 10", POSTGRES_URL)):
        subprocess.run([sys.executable, str(ROOT / "bench" / "report.py"), url, label], check=True)


if __name__ == "__main__":
    main()
