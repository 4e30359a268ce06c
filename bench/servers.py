"""Start and stop gunicorn instances of the app on this machine (the load test, the two-server test)."""

import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from bench.client import Browser

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def production_env(database_url: str, **extra) -> dict:
    """The production configuration against `database_url`, with a fresh key (give two servers the
    same `SECRET_KEY` to share sessions)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("ELDERCARE_", "GUNICORN_"))}
    env.update(ELDERCARE_CONFIG="production", SECRET_KEY=secrets.token_hex(32), DATABASE_URL=database_url,
               PYTHONUNBUFFERED="1")
    env.update({key: str(value) for key, value in extra.items()})
    return env


def start(port: int, env: dict, *, workers: int = 1, threads: int = 1, log=None) -> subprocess.Popen:
    """gunicorn with deploy/gunicorn.conf.py on 127.0.0.1:`port`; its stderr (the JSON log) to `log`."""
    env = {**env, "GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_WORKERS": str(workers),
           "GUNICORN_THREADS": str(threads)}
    gunicorn = Path(sys.executable).with_name("gunicorn")
    return subprocess.Popen([str(gunicorn), "-c", "deploy/gunicorn.conf.py", "wsgi:app"], cwd=ROOT, env=env,
                            stdout=log or subprocess.DEVNULL, stderr=log or subprocess.DEVNULL, start_new_session=True)


def wait_ready(port: int, process: subprocess.Popen, timeout: float = 90) -> None:
    """Until /readyz answers 200: importing the app on a busy 2-core machine took over 30 s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn on port {port} exited with {process.returncode}")
        try:
            if Browser(f"http://127.0.0.1:{port}", timeout=2).get("/readyz").status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn on port {port} not ready within {timeout} s")


def stop(process: subprocess.Popen) -> None:
    """TERM the master (a graceful stop), KILL the group if it lingers."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def cpu_seconds(pids) -> float:
    """The CPU time (user and system) the processes `pids` have used so far; gone ones count 0."""
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def workers_cpu_seconds(master: subprocess.Popen, log_path: Path) -> float:
    """The CPU time gunicorn's workers have used so far, those it has replaced too (max_requests
    recycles a worker after some thousands of requests): the live ones' own, and the master's
    count of its ended children."""
    fields = Path(f"/proc/{master.pid}/stat").read_text().rsplit(")", 1)[1].split()
    ended = (int(fields[13]) + int(fields[14])) / os.sysconf("SC_CLK_TCK")
    return ended + cpu_seconds(worker_pids(log_path))


def worker_pids(log_path: Path) -> set[int]:
    """The gunicorn workers booted so far, from its log."""
    return {int(pid) for pid in re.findall(r"Booting worker with pid: (\d+)", log_path.read_text(errors="replace"))}


def request_lines(log_path: Path) -> list[dict]:
    """The app's request lines (eldercare/ops/requestlog.py), each with the wall-clock times at which
    its worker began and finished it (`began`, `ended`, as time.time())."""
    lines = []
    for line in log_path.read_text(errors="replace").splitlines():
        if line.startswith("{") and '"eldercare.request"' in line:
            entry = json.loads(line)
            stamp, _, millis = entry["time"].partition(".")
            entry["ended"] = time.mktime(time.strptime(stamp, "%Y-%m-%dT%H:%M:%S")) + int(millis or 0) / 1000
            entry["began"] = entry["ended"] - entry["duration_ms"] / 1000
            lines.append(entry)
    return lines


def recovery(base: str, log_path: Path, since: float, limit: float, probe: str | None = "/open-beds"
             ) -> dict[int, float]:
    """After an outage of the database that ended at `since` (time.time()): for each gunicorn worker,
    seconds from `since` to the end of the first request it began after `since` and answered with
    anything but 503 (every page but /healthz reads the database: the user, the figures). Measured
    in the server's log, so the time a request waited for a free worker under load is not counted,
    only whether the worker can use the database again. Until each worker has one or `limit`
    seconds have passed, `probe` is requested on new connections (so that every worker gets some);
    with probe=None the traffic of others is waited for."""
    workers = worker_pids(log_path)
    recovered = {}
    while set(recovered) != workers and time.time() - since < limit:
        if probe is not None:
            browser = Browser(base, timeout=limit)
            try:
                browser.get(probe)
            except OSError:
                pass
            browser.close()
        else:
            time.sleep(0.2)
        for line in request_lines(log_path):
            if line["began"] >= since and line["status"] != 503 and line["route"] != "/healthz":
                recovered[line["pid"]] = min(recovered.get(line["pid"], limit), line["ended"] - since)
    return recovered
