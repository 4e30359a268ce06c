"""Start and stop gunicorn instances of the app on this machine (the load test, the two-server test)."""

import os
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


def start(port: int, env: dict, *, workers: int = 1, threads: int = 2, log=None) -> subprocess.Popen:
    """gunicorn with deploy/gunicorn.conf.py on 127.0.0.1:`port`; its stderr (the JSON log) to `log`."""
    env = {**env, "GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_WORKERS": str(workers),
           "GUNICORN_THREADS": str(threads)}
    gunicorn = Path(sys.executable).with_name("gunicorn")
    return subprocess.Popen([str(gunicorn), "-c", "deploy/gunicorn.conf.py", "wsgi:app"], cwd=ROOT, env=env,
                            stdout=log or subprocess.DEVNULL, stderr=log or subprocess.DEVNULL, start_new_session=True)


def wait_ready(port: int, process: subprocess.Popen, timeout: float = 30) -> None:
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
