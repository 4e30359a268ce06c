"""gunicorn settings for eldercare: `gunicorn -c deploy/gunicorn.conf.py wsgi:app`.

Every value can be changed through the environment named beside it. Reload the code without
dropping a request with `kill -HUP <master pid>` (systemd: `systemctl reload eldercare`): new
workers start on the new code, old ones finish what they serve (up to graceful_timeout).
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# 2 workers per core: while one waits on PostgreSQL the other computes. Each worker keeps
# its own small pool of database connections (SQLAlchemy's default: 5 + 10 overflow).
workers = int(os.environ.get("GUNICORN_WORKERS", 2 * multiprocessing.cpu_count()))
# Sync workers: one request at a time per process, taken from the kernel's accept queue only when
# the worker is free, and the connection closed after the answer. With gthread and keep-alive, a
# worker accepted connections whether busy or not and kept each for the next requests, so the
# load test's 32 connections split unevenly (3-4 requests on most, 53-59 on the few a lightly
# loaded worker held; p50 0.6 s but p95 6.4 s). Pages cost CPU, not waiting, and the GIL lets one
# thread of a process compute at a time, so threads added queues, not capacity. nginx buffers
# slow clients (deploy/nginx-eldercare.conf), which is what sync workers need in front of them.
worker_class = "sync"
# GUNICORN_THREADS above 1 makes gunicorn use gthread (for a database far away); each worker then
# still takes only as many connections as it has threads, and keeps none alive.
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
worker_connections = threads
keepalive = 0
# A request taking longer than this is killed and logged (reports render in a worker thread of
# their own and are fetched later, so no page should come near it).
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
# Recycle a worker now and then, so a slow leak in any library never grows without bound. Not too
# often: a new worker costs 1.2 CPU-s to import the app and then reads its figures afresh (at a
# province's scale 0.4 CPU-s more); at 5,000 a worker serving 100 pages/s (3.5 ms each) was replaced
# every 50 s, 7% of its time. The app's own per-process memos are bounded (eldercare/cache.py).
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "50000"))
max_requests_jitter = max_requests // 10
# No preloading: each worker builds the app after the fork (no database connection is ever
# shared between processes), and HUP reloads the code.
preload_app = False
# The access log is off: the app writes one JSON line per request itself (route template,
# status, duration, user id, request id: eldercare/ops/requestlog.py). gunicorn's line would
# repeat it with the full URL, whose query string may hold a searched ID number.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# nginx on the same host sets X-Forwarded-Proto; the app trusts X-Forwarded-For from
# PROXY_COUNT proxies (config.py), so throttles count the real client address.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
proc_name = "eldercare"
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
# gunicorn's control socket (a shared path under $HOME by default) is not used: systemd signals the master.
control_socket_disable = True
