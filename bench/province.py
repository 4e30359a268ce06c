"""Province scale (issue 15 point 9): the --scale 40 demo (about 2,500 facilities and 300,000 beds)
in PostgreSQL, database eldercare_province (or BENCH_PROVINCE_URL), seeded on first use and reused
(seeding takes 20 minutes or more here: see the README): `make bench`.

Measures, beside the issue's targets:
- the dashboard and the open beds page right after a change in one home (150 ms): the median
  of RUNS views in this process, by the wall clock and in this process's CPU time (which the other
  users of a shared machine disturb less; PostgreSQL's own time is in the first only);
- the first view of each after a start (3 s): once, in a new process, every figure read cold;
- the city's occupancy report for last month (30 s): bench/report.py, in a new process.
"""

import logging
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import run  # noqa: E402

PROVINCE_URL = os.environ.get("BENCH_PROVINCE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/eldercare_province")
# The views' app is wsgi.py's, made as an app server's worker makes it, from the environment.
os.environ.update(DATABASE_URL=PROVINCE_URL, ELDERCARE_CONFIG="development")
RUNS = 9
PAGES = [("dashboard (bureau)", "/dashboard", "bureau"), ("open beds (public, no login)", "/open-beds", None)]


def app_and_clients():
    from wsgi import app

    logging.getLogger("eldercare.request").setLevel(logging.WARNING)  # a line per view would drown the figures
    clients = {}
    for _label, _path, username in PAGES:
        if username not in clients:
            clients[username] = app.test_client()
            if username:
                run.login(clients[username], username)
    return app, clients


def view(client, path) -> None:
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)


def first_view(page: int) -> None:
    """In a new process (`province.py --first N`): log in, then time the page's first view."""
    app, clients = app_and_clients()
    _label, path, username = PAGES[page]
    started, started_cpu = time.perf_counter(), time.process_time()
    view(clients[username], path)
    print(f"{time.perf_counter() - started:.2f} s / {time.process_time() - started_cpu:.2f} s")


def after_a_change_in_one_home() -> list[tuple[str, float, float]]:
    """(page, median ms by the wall clock, median ms of CPU in this process) right after a change in
    the 500-bed home of bench/run.py: that home's tallies re-read, the province's sums recomputed."""
    from eldercare.cache import changed
    from eldercare.extensions import db

    app, clients = app_and_clients()
    home = run.big_home(app)
    rows = []
    for label, path, username in PAGES:
        view(clients[username], path)  # every figure read once
        wall, cpu = [], []
        for _ in range(RUNS):
            with app.app_context():
                changed(db.session, [home])
                db.session.commit()
            started, started_cpu = time.perf_counter(), time.process_time()
            view(clients[username], path)
            wall.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - started_cpu) * 1000)
        rows.append((label, statistics.median(wall), statistics.median(cpu)))
    return rows


def load() -> str:
    return "load average " + " / ".join(f"{value:.1f}" for value in os.getloadavg())


def main() -> None:
    print(f"Province scale: PostgreSQL {PROVINCE_URL.rsplit('@', 1)[-1]}, {os.cpu_count()} cores; {load()}")
    started = time.perf_counter()
    run.prepare(PROVINCE_URL, scale=40)
    print(f"  database ready (migrated; seeded now or before) in {time.perf_counter() - started:.0f} s")
    print(f"Right after a change in one home, median of {RUNS} (target 150 ms): wall ms / CPU ms of this process")
    for label, wall, cpu in after_a_change_in_one_home():
        print(f"  {label:32} {wall:7.0f} / {cpu:5.0f}")
    print(f"  ({load()})")
    print("First view after a start, in a new process (target 3 s): wall / CPU of that process")
    for page, (label, _path, _user) in enumerate(PAGES):
        seconds = subprocess.run([sys.executable, __file__, "--first", str(page)], check=True, capture_output=True,
                                 text=True).stdout.strip().splitlines()[-1]
        print(f"  {label:32} {seconds}")
    print(f"  ({load()})")
    print("City occupancy report for last month (target 30 s):")
    subprocess.run([sys.executable, str(ROOT / "bench" / "report.py"), PROVINCE_URL, "PostgreSQL --scale 40"],
                   check=True)
    print(f"  ({load()})")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--first"]:
        first_view(int(sys.argv[2]))
    else:
        main()
