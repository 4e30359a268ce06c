"""Load test of the production stack on this machine: `make bench` (figures: README, Benchmarks; docs/benchmarks.md).

gunicorn (deploy/gunicorn.conf.py, 4 workers) under the production configuration on the
--scale 1 demo in PostgreSQL (database eldercare_load, or LOAD_DATABASE_URL; created, migrated
and seeded on first use), a Redis of its own on a free port, and simulated users in threads
of this process over connections to 127.0.0.1 only (a new one per request: the sync workers
close each), for a bounded time.

  --mix read   logged-in reads only (the manager's board and bed pages, the dashboard, the
               review list, open beds) on 32 connections, after a static file on the same
               connections as the ceiling of the server itself
  --mix full   50 users: managers view boards and beds, admit, discharge, hold and release;
               the bureau views the dashboard and the review list, approves applications and
               offers beds; families view open beds and apply (through the JSON API)
  --faults     with --mix full, a third of the way in: `all` cuts the database for 10 s through
               a TCP proxy of this process (bench/proxy.py: every connection closed, new ones
               refused), `restart` restarts PostgreSQL itself (only on a machine of one's own:
               every other user of the server stops too); either way 503 while it is down, no
               500, and each gunicorn worker's recovery timed; then Redis stopped for a while
               two thirds in (logins must still work, with a warning in the log)

Prints requests per second, p50/p95/p99 and errors per kind of request, then checks the data:
no bed with two open stays, no elder in two beds, every admission answered with success is in
the database, the dashboard's figures equal an independent count in SQL, no ID number in the
log. Exits non-zero on any 5xx outside an outage, or a failed check.
"""

import argparse
import os
import random
import re
import shutil
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import servers  # noqa: E402
from bench.client import Browser  # noqa: E402
from bench.proxy import Proxy  # noqa: E402

DATABASE_URL = os.environ.get("LOAD_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/eldercare_load")
DEMO_PASSWORD = "eldercare-demo"
LOAD_PREFIX = "load-"
MANAGERS, BUREAU, FAMILIES = 30, 8, 12  # 50 simulated users in the full mix
OUTAGE_SECONDS = 10  # how long --faults all cuts the database
RECOVERY_SECONDS = 10  # issue 15: every worker answers again within 10 s of the database being back
ID_NUMBER_SHAPE = re.compile(r"(?<![0-9])[1-9][0-9]{5}(18|19|20)[0-9]{2}(0[1-9]|1[0-2])(0[1-9]|[12][0-9]|3[01])"
                             r"[0-9]{3}[0-9Xx](?![0-9])")


def psql_url(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def prepare(url: str) -> None:
    """Create, migrate and seed the database once; add the load test's accounts once."""
    import psycopg

    base, name = psql_url(url).rsplit("/", 1)
    with psycopg.connect(base + "/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    env = {**os.environ, "DATABASE_URL": url, "ELDERCARE_CONFIG": "development"}
    flask = [str(ROOT / ".venv" / "bin" / "flask"), "--app", "wsgi"]
    subprocess.run([*flask, "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    with psycopg.connect(psql_url(url), autocommit=False) as conn:
        if not conn.execute("SELECT 1 FROM \"user\"").fetchone():
            subprocess.run([*flask, "seed-demo"], cwd=ROOT, env=env, check=True, capture_output=True)
        if conn.execute("SELECT 1 FROM \"user\" WHERE username LIKE %s", (LOAD_PREFIX + "%",)).fetchone():
            return
        password_hash = conn.execute("SELECT password_hash FROM \"user\" WHERE username = 'manager'").fetchone()[0]
        facilities = [row[0] for row in conn.execute(
            "SELECT facility.id FROM facility JOIN bed ON bed.facility_id = facility.id "
            "WHERE bed.kind = 'institution' AND bed.retired_on IS NULL "
            "GROUP BY facility.id HAVING count(*) >= 20 ORDER BY facility.id LIMIT %s", (MANAGERS,))]
        for number, facility_id in enumerate(facilities):
            user_id = conn.execute(
                "INSERT INTO \"user\" (username, password_hash, role, full_name, active, session_generation,"
                " created_at) VALUES (%s, %s, 'facility_manager', %s, true, 0, now()) RETURNING id",
                (f"{LOAD_PREFIX}manager-{number}", password_hash, f"压测院长{number}")).fetchone()[0]
            conn.execute("INSERT INTO facility_manager (user_id, facility_id) VALUES (%s, %s)", (user_id, facility_id))
        for number in range(BUREAU):
            conn.execute("INSERT INTO \"user\" (username, password_hash, role, full_name, active, session_generation,"
                         " created_at) VALUES (%s, %s, 'bureau_staff', %s, true, 0, now())",
                         (f"{LOAD_PREFIX}bureau-{number}", password_hash, f"压测科员{number}"))
        for number in range(FAMILIES):
            conn.execute("INSERT INTO \"user\" (username, password_hash, role, full_name, phone, active,"
                         " session_generation, created_at) VALUES (%s, %s, 'family', %s, %s, true, 0, now())",
                         (f"{LOAD_PREFIX}family-{number}", password_hash, f"压测家属{number}", f"1390000{number:04d}"))
        conn.commit()


class Recorder:
    """Every answer: (kind, status, seconds, when). Appends are atomic under the GIL."""

    def __init__(self):
        self.rows: list[tuple[str, int, float, float]] = []
        self.admitted: list[tuple[int, str]] = []  # (bed id, ID number) answered with success
        self.per_user: Counter = Counter()  # answers per simulated user (thread): shows a server serving unfairly
        self.client_cpu = 0.0  # seconds of this process's CPU during the measured run (run_users)

    def call(self, kind: str, fn, *args, **kwargs):
        started = time.perf_counter()
        try:
            response = fn(*args, **kwargs)
            status = response.status
        except OSError:
            response, status = None, 0  # refused or reset: counted as an error
        self.rows.append((kind, status, time.perf_counter() - started, time.monotonic()))
        self.per_user[threading.get_ident()] += 1
        return response


_id_lock = threading.Lock()
_id_serial = [0]


def new_id_number() -> str:
    """A valid GB 11643 number never used before (region 320682, born 1935-1955, serial from the clock)."""
    with _id_lock:
        _id_serial[0] += 1
        serial = _id_serial[0]
    birth = date(1935 + serial % 20, 1 + serial % 12, 1 + serial % 28)
    first17 = f"320682{birth:%Y%m%d}{(int(time.time()) * 7 + serial) % 1000:03d}"
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    check = "10X98765432"[sum(int(d) * w for d, w in zip(first17, weights, strict=True)) % 11]
    return first17 + check


def _beds(browser, token, facility_id) -> list[dict]:
    beds, url = [], f"/api/v1/facilities/{facility_id}/beds?limit=200"
    while url:
        page = browser.get(url, headers={"Authorization": f"Bearer {token}"}).json()
        beds += page["items"]
        url = page.get("next")
        url = url and re.sub(r"^https?://[^/]+", "", url)
    return beds


def _token(browser, username) -> str:
    return browser.request("POST", "/api/v1/tokens", json_body={"username": username,
                                                                "password": DEMO_PASSWORD}).json()["token"]


def manager_user(base, number, rec: Recorder, run):
    browser = Browser(base)
    username = f"{LOAD_PREFIX}manager-{number}"
    browser.login(username, DEMO_PASSWORD)  # before the measured time: a password hash costs ~0.1 s of CPU
    token = _token(browser, username)
    facility_id = int(re.search(r"/facilities/(\d+)/board", browser.get("/", follow=True).text).group(1))
    beds = _beds(browser, token, facility_id)
    vacant = [b["id"] for b in beds if b["state"] == "vacant"]
    occupied = [b["id"] for b in beds if b["state"] == "occupied"]
    held = []
    all_beds = [b["id"] for b in beds]
    today = date.today().isoformat()
    run.start()
    while run.going():
        roll = random.random()
        if roll < 0.40:
            rec.call("board", browser.get, f"/facilities/{facility_id}/board")
        elif roll < 0.65:
            rec.call("bed", browser.get, f"/beds/{random.choice(all_beds)}")
        elif roll < 0.75 and vacant:
            bed_id = vacant.pop(random.randrange(len(vacant)))
            number = new_id_number()
            response = rec.call("admit", browser.post_form, f"/facilities/{facility_id}/admit", {
                "bed_id": bed_id, "name": "压测老人", "id_number": number, "category": "general", "on": today})
            if response is not None and response.status == 302:
                rec.admitted.append((bed_id, number))
                occupied.append(bed_id)
        elif roll < 0.85 and occupied:
            bed_id = occupied.pop(random.randrange(len(occupied)))
            rec.call("discharge", browser.post_form, f"/beds/{bed_id}/discharge", {"on": today, "reason": "discharged"})
            browser.post_form(f"/beds/{bed_id}/clean")
            vacant.append(bed_id)
        elif roll < 0.93 and vacant:
            bed_id = vacant.pop(random.randrange(len(vacant)))
            rec.call("hold", browser.post_form, f"/beds/{bed_id}/hold", {"hours": 24, "note": "家属看房"})
            held.append(bed_id)
        elif held:
            bed_id = held.pop(random.randrange(len(held)))
            rec.call("release", browser.post_form, f"/beds/{bed_id}/release-hold")
            vacant.append(bed_id)
        if browser.csrf is None:
            browser.get("/", follow=True)
    browser.close()


def bureau_user(base, number, rec: Recorder, run):
    browser = Browser(base)
    username = f"{LOAD_PREFIX}bureau-{number}"
    browser.login(username, DEMO_PASSWORD)  # before the measured time: a password hash costs ~0.1 s of CPU
    auth = {"Authorization": f"Bearer {_token(browser, username)}"}
    run.start()
    while run.going():
        roll = random.random()
        if roll < 0.45:
            rec.call("dashboard", browser.get, "/dashboard")
        elif roll < 0.70:
            rec.call("review", browser.get, "/review")
        elif roll < 0.80:
            rec.call("open-beds", browser.get, "/open-beds")
        else:
            response = rec.call("api-list", browser.get, "/api/v1/applications?status=submitted&limit=5", headers=auth)
            for item in (response.json()["items"] if response is not None and response.status == 200 else [])[:1]:
                rec.call("approve", browser.request, "POST", f"/api/v1/applications/{item['id']}/start-review",
                         json_body={}, headers=auth)
                rec.call("approve", browser.request, "POST", f"/api/v1/applications/{item['id']}/approve",
                         json_body={"apply_declared": False}, headers=auth)
            response = rec.call("api-list", browser.get, "/api/v1/applications?status=approved&limit=5", headers=auth)
            approved = response.json()["items"] if response is not None and response.status == 200 else []
            if approved:
                facility_id = random.randint(1, 67)
                beds = browser.get(f"/api/v1/facilities/{facility_id}/beds?limit=200", headers=auth)
                vacant = [b["id"] for b in beds.json().get("items", []) if b["state"] == "vacant"] \
                    if beds.status == 200 else []
                if vacant:
                    rec.call("offer", browser.request, "POST", f"/api/v1/applications/{approved[0]['id']}/offer",
                             json_body={"bed_id": random.choice(vacant)}, headers=auth)
    browser.close()


def family_user(base, number, rec: Recorder, run):
    browser = Browser(base)
    username = f"{LOAD_PREFIX}family-{number}"
    browser.login(username, DEMO_PASSWORD)  # before the measured time: a password hash costs ~0.1 s of CPU
    auth = {"Authorization": f"Bearer {_token(browser, username)}"}
    run.start()
    while run.going():
        roll = random.random()
        if roll < 0.5:
            rec.call("open-beds", browser.get, "/open-beds")
        elif roll < 0.8:
            rec.call("my-applications", browser.get, "/applications")
        else:
            response = rec.call("apply", browser.request, "POST", "/api/v1/applications", headers=auth, json_body={
                "name": "压测申请人", "id_number": new_id_number(), "relation": "子女", "contact_name": "压测家属",
                "contact_phone": f"1390000{number:04d}", "needs_nursing": False})
            if response is not None and response.status == 201:
                rec.call("apply", browser.request, "POST", f"/api/v1/applications/{response.json()['id']}/submit",
                         json_body={"consent": True}, headers=auth)
            offered = browser.get("/api/v1/applications?status=offered", headers=auth)
            for item in (offered.json()["items"] if offered.status == 200 else [])[:1]:
                rec.call("accept", browser.request, "POST", f"/api/v1/applications/{item['id']}/accept",
                         json_body={}, headers=auth)
    browser.close()


def reader(base, number, rec: Recorder, run):
    """The read mix: a manager's board and bed pages, or the bureau's dashboard and review list;
    open beds for both."""
    browser = Browser(base)
    if number % 2 == 0:
        browser.login("manager", DEMO_PASSWORD)
        facility_id = int(re.search(r"/facilities/(\d+)/board", browser.get("/", follow=True).text).group(1))
        board = f"/facilities/{facility_id}/board"
        bed_ids = [int(i) for i in re.findall(r'href="/beds/(\d+)"', browser.get(board).text)]
        pages = [("board", lambda: board), ("bed", lambda: f"/beds/{random.choice(bed_ids)}"),
                 ("open-beds", lambda: "/open-beds")]
    else:
        browser.login("bureau", DEMO_PASSWORD)
        pages = [("dashboard", lambda: "/dashboard"), ("review", lambda: "/review"),
                 ("open-beds", lambda: "/open-beds")]
    run.start()
    while run.going():
        kind, path = random.choice(pages)
        rec.call(kind, browser.get, path())
    browser.close()


def static_reader(base, number, rec: Recorder, run):
    browser = Browser(base)
    run.start()
    while run.going():
        rec.call("static", browser.get, "/static/app.css")
    browser.close()


class Run:
    """Every user logs in and looks around first; the measured time starts when all are ready."""

    def __init__(self, users: int, seconds: float, on_begin=None):
        self.seconds = seconds
        self.deadline = None
        self.stop = threading.Event()
        self.barrier = threading.Barrier(users, action=self._begin)
        self.on_begin, self.side = on_begin, None

    def _begin(self):
        self.began = time.monotonic()
        self.cpu_began = time.process_time()  # this process's CPU: the simulated users' own cost
        self.deadline = self.began + self.seconds
        if self.on_begin is not None:  # the faults, timed from the start of the measured run
            self.side = threading.Thread(target=self.on_begin, daemon=True)
            self.side.start()

    def start(self):
        self.barrier.wait(timeout=600)

    def going(self) -> bool:
        return time.monotonic() < self.deadline and not self.stop.is_set()


def run_users(base, plan, seconds, rec, on_begin=None):
    run = Run(sum(count for _, count in plan), seconds, on_begin)
    threads = [threading.Thread(target=fn, args=(base, number, rec, run), daemon=True)
               for fn, count in plan for number in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 660)
    rec.client_cpu = time.process_time() - run.cpu_began
    if run.side is not None:
        run.side.join(timeout=180)
    return run


def report(title, rec: Recorder, seconds) -> None:
    rows = rec.rows
    print(f"\n{title}: {len(rows)} requests in {seconds:.0f} s = {len(rows) / seconds:.0f} req/s; "
          f"errors (5xx or no answer): {sum(1 for r in rows if r[1] == 0 or r[1] >= 500)}; load average "
          f"{os.getloadavg()[0]:.1f}")
    # The simulated users share this process and its GIL: their CPU per request, to set beside the
    # server's; and the answers each user got, even when the server queues connections fairly.
    answers = sorted(rec.per_user.values()) or [0]
    print(f"  client CPU {rec.client_cpu / max(1, len(rows)) * 1000:.2f} ms per request; answers per user "
          f"min/median/max {answers[0]}/{answers[len(answers) // 2]}/{answers[-1]}")
    by_kind = defaultdict(list)
    for kind, status, took, _ in rows:
        by_kind[kind].append((status, took))
    print(f"  {'request':<16}{'count':>7}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}  statuses")
    for kind in sorted(by_kind, key=lambda k: -len(by_kind[k])) + ["ALL"]:
        items = [(r[1], r[2]) for r in rows] if kind == "ALL" else by_kind[kind]
        times = sorted(t for _, t in items)
        statuses = defaultdict(int)
        for status, _ in items:
            statuses[status] += 1

        def pct(p, times=times):
            return times[min(len(times) - 1, int(p * len(times)))] * 1000

        print(f"  {kind:<16}{len(items):>7}{pct(0.5):>9.0f}{pct(0.95):>9.0f}{pct(0.99):>9.0f}  "
              + " ".join(f"{s}:{n}" for s, n in sorted(statuses.items())))


def database_backends(url) -> list[int]:
    """The PostgreSQL server processes connected to the load test's database (the app's pools)."""
    import psycopg

    with psycopg.connect(psql_url(url)) as conn:
        return [pid for (pid,) in conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                                               "AND pid <> pg_backend_pid()")]


def check_data(url, base, rec: Recorder) -> list[str]:
    """The data after the run: returns the failed checks."""
    import psycopg

    failures = []
    with psycopg.connect(psql_url(url)) as conn:
        two = conn.execute("SELECT bed_id FROM stay WHERE end_on IS NULL GROUP BY bed_id "
                           "HAVING count(*) > 1").fetchall()
        if two:
            failures.append(f"beds with two open stays: {two[:5]}")
        elders = conn.execute("SELECT elder_id FROM stay WHERE end_on IS NULL GROUP BY elder_id "
                              "HAVING count(*) > 1").fetchall()
        if elders:
            failures.append(f"elders in two beds: {elders[:5]}")
        missing = [(bed_id, number) for bed_id, number in rec.admitted if not conn.execute(
            "SELECT 1 FROM stay JOIN elder ON elder.id = stay.elder_id WHERE stay.bed_id = %s AND elder.id_number = %s",
            (bed_id, number)).fetchone()]
        if missing:
            failures.append(f"{len(missing)} admissions answered with success are not in the database")
        # The dashboard's figures (the same services, through the API) against a count in SQL of
        # its own: institution beds on the register by derived state, and the nursing-type share.
        states = dict(conn.execute("""
            SELECT CASE WHEN bed.out_of_service THEN 'out_of_service'
                        WHEN stay.id IS NOT NULL THEN CASE stay.away WHEN 'leave' THEN 'on_leave'
                             WHEN 'hospital' THEN 'in_hospital' ELSE 'occupied' END
                        WHEN hold.id IS NOT NULL THEN 'on_hold'
                        WHEN bed.needs_cleaning THEN 'needs_cleaning' ELSE 'vacant' END AS state, count(*)
            FROM bed JOIN facility ON facility.id = bed.facility_id
            LEFT JOIN stay ON stay.bed_id = bed.id AND stay.end_on IS NULL
            LEFT JOIN bed_hold hold ON hold.bed_id = bed.id AND hold.released_at IS NULL
            WHERE bed.retired_on IS NULL AND bed.kind = 'institution' AND facility.closed_on IS NULL
            GROUP BY 1""").fetchall())
        nursing = conn.execute("""
            SELECT count(*) FILTER (WHERE bed.care_type = 'nursing'), count(*)
            FROM bed JOIN facility ON facility.id = bed.facility_id
            WHERE bed.retired_on IS NULL AND bed.kind = 'institution' AND facility.closed_on IS NULL""").fetchone()
    browser = Browser(base)
    auth = {"Authorization": f"Bearer {_token(browser, 'bureau')}"}
    occupancy = browser.get("/api/v1/stats/occupancy", headers=auth).json()
    ratio = browser.get("/api/v1/stats/care-ratio", headers=auth).json()
    served = {state: count for state, count in occupancy["by_state"].items() if count}
    if served != states:
        failures.append(f"occupancy by state: dashboard {served}, SQL {states}")
    if (ratio["nursing_beds"], ratio["total_beds"]) != tuple(nursing):
        failures.append(f"nursing-type beds: dashboard {ratio['nursing_beds']}/{ratio['total_beds']}, SQL {nursing}")
    print(f"\nChecks: {len(rec.admitted)} admissions answered with success, all in the database: "
          f"{'no' if missing else 'yes'}; dashboard = SQL: occupancy {served == states}, nursing-type share "
          f"{(ratio['nursing_beds'], ratio['total_beds']) == tuple(nursing)}")
    return failures


class Stack:
    """Redis of its own on a free port, gunicorn on another, and with `proxied` (--faults all) a
    proxy between gunicorn and PostgreSQL to cut (not otherwise: it costs a thread hop a statement)."""

    def __init__(self, url, workers, threads, log_path, proxied=False):
        self.redis_port = servers.free_port()
        self.port = servers.free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self.log = open(log_path, "wb")
        self.redis = None
        self.start_redis()
        self.proxy = None
        if proxied:
            host, port = re.search(r"@([^:/]+):?(\d*)/", url).groups()
            self.proxy = Proxy(int(port or 5432), host).start()
            url = url.replace(f"@{host}{':' + port if port else ''}/", f"@127.0.0.1:{self.proxy.port}/")
        env = servers.production_env(url, RATELIMIT_STORAGE_URI=f"redis://127.0.0.1:{self.redis_port}",
                                     RATELIMIT_KEY_PREFIX="eldercare-load", LOGIN_FAILURE_LIMIT="1000 per minute",
                                     LOGIN_ADDRESS_LIMIT="1000 per minute")
        self.gunicorn = servers.start(self.port, env, workers=workers, threads=threads, log=self.log)
        servers.wait_ready(self.port, self.gunicorn, timeout=60)

    def start_redis(self):
        self.redis = subprocess.Popen(["redis-server", "--bind", "127.0.0.1", "--port", str(self.redis_port),
                                       "--save", "", "--appendonly", "no"], stdout=subprocess.DEVNULL)
        for _ in range(50):
            if subprocess.run(["redis-cli", "-p", str(self.redis_port), "ping"], capture_output=True).returncode == 0:
                return
            time.sleep(0.1)

    def stop_redis(self):
        self.redis.terminate()
        self.redis.wait()

    def close(self):
        servers.stop(self.gunicorn)
        if self.proxy is not None:
            self.proxy.close()
        if self.redis.poll() is None:
            self.stop_redis()
        self.log.close()


def postgres_cluster() -> str:
    return sorted(os.listdir("/etc/postgresql"))[-1]


def postgres_ready() -> bool:
    return subprocess.run(["pg_isready", "-h", "127.0.0.1", "-p", "5432", "-q"]).returncode == 0


def ensure_postgres() -> None:
    """PostgreSQL runs again, whatever happened."""
    if not postgres_ready():
        subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", postgres_cluster(), "main", "start"])
    for _ in range(60):
        if postgres_ready():
            return
        time.sleep(0.5)


def faults(stack: Stack, seconds: float, rec: Recorder, notes: dict, kinds: str):
    """At a third of the run the database cut (kinds 'all') or PostgreSQL restarted ('restart'), and
    each worker's recovery timed; Redis stopped for 5 s at two thirds."""
    started = time.monotonic()
    time.sleep(seconds / 3)
    if kinds in ("all", "restart"):
        (cut_database if kinds == "all" else restart_postgres)(stack, notes)
        notes["workers"] = servers.recovery(stack.base, stack.log_path, notes["pg_up_at"], limit=3 * RECOVERY_SECONDS,
                                            probe=None)
    time.sleep(max(0.0, started + 2 * seconds / 3 - time.monotonic()))
    stack.stop_redis()
    notes["redis_down"] = time.monotonic()
    logins = []
    for number in range(3):
        browser = Browser(stack.base)
        logins.append(rec.call("login-no-redis", browser.login, f"{LOAD_PREFIX}bureau-{number}", DEMO_PASSWORD).status)
    notes["logins_without_redis"] = logins
    time.sleep(5)
    stack.start_redis()
    notes["redis_up"] = time.monotonic()


def cut_database(stack: Stack, notes: dict):
    """Every connection between the app and PostgreSQL closed and new ones refused, for OUTAGE_SECONDS."""
    notes["pg_down"] = time.monotonic()
    stack.proxy.cut("down")
    time.sleep(OUTAGE_SECONDS)
    stack.proxy.restore()
    notes["pg_up"], notes["pg_up_at"] = time.monotonic(), time.time()


def restart_postgres(stack: Stack, notes: dict):
    try:
        notes["pg_down"] = time.monotonic()
        # A fast shutdown (sessions ended, a checkpoint written); on this shared machine the
        # checkpoint can take long, so after 15 s an immediate one (as after a crash: WAL replayed).
        ctl = ["pg_ctlcluster", "--skip-systemctl-redirect"]
        done = subprocess.run([*ctl, "--mode", "fast", postgres_cluster(), "main", "stop", "--", "-t", "15"],
                              capture_output=True, text=True, timeout=60)
        if done.returncode != 0:
            notes["restart_error"] = "fast shutdown took over 15 s; stopped in immediate mode"
            subprocess.run([*ctl, "--mode", "immediate", postgres_cluster(), "main", "stop"],
                           capture_output=True, text=True, timeout=60)
        subprocess.run([*ctl, postgres_cluster(), "main", "start"], capture_output=True, text=True, timeout=120)
        ensure_postgres()  # pg_isready answers: the clock of each worker's recovery starts here
        notes["pg_up"], notes["pg_up_at"] = time.monotonic(), time.time()
    finally:
        ensure_postgres()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mix", choices=["read", "full"], default="full")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--users", type=int, default=None, help="read mix: connections (default 32)")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=1, help="above 1: gthread workers (deploy/gunicorn.conf.py)")
    parser.add_argument("--faults", choices=["none", "redis", "all", "restart"], default="none",
                        help="all: the database cut through a proxy, then Redis stopped; restart: PostgreSQL "
                             "itself restarted (a machine of one's own only), then Redis stopped; redis: Redis only")
    args = parser.parse_args()
    if not shutil.which("redis-server") or not shutil.which("pg_isready"):
        print("needs redis-server and the PostgreSQL client tools")
        return 2
    workers = f"{args.workers} sync workers" if args.threads == 1 else f"{args.workers} x {args.threads} threads"
    print(f"Machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}; gunicorn {workers}; "
          f"database {DATABASE_URL.rsplit('/', 1)[1]} (--scale 1 demo)")
    ensure_postgres()
    prepare(DATABASE_URL)
    log_path = ROOT / "instance" / "bench-load.log"
    stack = Stack(DATABASE_URL, args.workers, args.threads, log_path, proxied=args.faults == "all")
    failures = []
    try:
        if args.mix == "read":
            users = args.users or 32
            rec = Recorder()
            run_users(stack.base, [(static_reader, users)], 5, rec)
            report(f"Static file, {users} connections", rec, 5)
            rec = Recorder()
            run_users(stack.base, [(reader, users)], 3, Recorder())  # log in, warm up
            backends = database_backends(DATABASE_URL)
            readings = (lambda: servers.workers_cpu_seconds(stack.gunicorn, log_path),
                        lambda: servers.cpu_seconds(backends))
            before = []  # read when every user has logged in (a password hash costs ~0.1 s): the run's own CPU
            run_users(stack.base, [(reader, users)], args.seconds, rec,
                      on_begin=lambda: before.extend(read() for read in readings))
            report(f"Logged-in reads, {users} connections", rec, args.seconds)
            used = [(read() - start) * 1000 / max(len(rec.rows), 1)
                    for read, start in zip(readings, before, strict=True)]
            print(f"  server CPU per request: gunicorn workers {used[0]:.1f} ms, PostgreSQL {used[1]:.1f} ms")
            failures += [f"{len([r for r in rec.rows if r[1] == 0 or r[1] >= 500])} errors"] \
                if any(r[1] == 0 or r[1] >= 500 for r in rec.rows) else []
        else:
            rec, notes = Recorder(), {}
            on_begin = None if args.faults == "none" else (lambda: faults(stack, args.seconds, rec, notes, args.faults))
            run_users(stack.base, [(manager_user, MANAGERS), (bureau_user, BUREAU), (family_user, FAMILIES)],
                      args.seconds, rec, on_begin=on_begin)
            report(f"Full mix, {MANAGERS + BUREAU + FAMILIES} users", rec, args.seconds)
            workers = notes.get("workers", {})
            back = notes.get("pg_up", 0) + max(workers.values(), default=0)
            outage = (notes.get("pg_down", 0), back + 1)
            during = [r for r in rec.rows if outage[0] <= r[3] <= outage[1]]
            errors = [r for r in rec.rows if (r[1] == 0 or r[1] >= 500) and not (outage[0] <= r[3] <= outage[1])]
            if errors:
                failures.append(f"{len(errors)} errors (5xx or no answer) outside the outage: "
                                f"{sorted({(r[0], r[1]) for r in errors})[:10]}")
            if args.faults in ("all", "restart") and "pg_up" not in notes:
                failures.append(f"the fault injection did not finish: {notes}")
            elif args.faults in ("all", "restart"):
                if notes.get("restart_error"):
                    print(f"PostgreSQL restart: {notes['restart_error']}")
                bad = [r for r in during if r[1] == 0 or (r[1] >= 500 and r[1] != 503)]
                booted = servers.worker_pids(stack.log_path)
                print(f"\nDatabase {'cut' if args.faults == 'all' else 'restarted'}: down for "
                      f"{notes['pg_up'] - notes['pg_down']:.1f} s; answers meanwhile: "
                      + ", ".join(f"{s}:{sum(1 for r in during if r[1] == s)}" for s in sorted({r[1] for r in during}))
                      + "; each worker serving the database again after it was back: "
                      + ", ".join(f"{workers[pid]:.1f} s" if pid in workers else "none" for pid in sorted(booted))
                      + f" (in the server's log); the last 503 reached a user "
                      f"{max((r[3] for r in rec.rows if r[1] == 503), default=notes['pg_up']) - notes['pg_up']:.1f} s "
                      "after it was back")
                if bad:
                    failures.append(f"{len(bad)} answers other than 503 while the database was down")
                if workers.keys() != booted or max(workers.values()) > RECOVERY_SECONDS:
                    failures.append(f"not every worker answered within {RECOVERY_SECONDS} s of the database being back")
            if args.faults != "none":
                print(f"Redis stopped: logins answered {notes.get('logins_without_redis')} (302 = logged in)")
                if notes.get("logins_without_redis") != [302, 302, 302]:
                    failures.append("logins failed while Redis was down")
                stack.log.flush()
                if "falling back to in-memory" not in log_path.read_text(errors="replace").lower():
                    failures.append("no warning in the log while Redis was down")
            failures += check_data(DATABASE_URL, stack.base, rec)
    finally:
        stack.close()
        ensure_postgres()
    logged = log_path.read_text(errors="replace")
    if ID_NUMBER_SHAPE.search(logged):
        failures.append("an ID number in the log")
    print(f"\nLog: {logged.count('eldercare.request')} request lines in {log_path.relative_to(ROOT)}, "
          f"no ID number: {not ID_NUMBER_SHAPE.search(logged)}")
    for failure in failures:
        print(f"FAILED: {failure}")
    print("OK" if not failures else f"{len(failures)} checks failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
