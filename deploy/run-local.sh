#!/usr/bin/env bash
# `make prod`: the production stack on this machine, for a trial. gunicorn (deploy/gunicorn.conf.py)
# and the scheduler, under the production configuration, against the local PostgreSQL (a database
# of its own, created if missing, migrated, seeded with the demo if it has no accounts) and Redis.
# Ctrl-C stops both. Settings: PROD_DATABASE (default eldercare_prod), PROD_PORT (8000),
# GUNICORN_WORKERS, GUNICORN_THREADS.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
DB=${PROD_DATABASE:-eldercare_prod}
PORT=${PROD_PORT:-8000}
PG="-h 127.0.0.1 -p 5432 -U postgres"

if ! pg_isready -h 127.0.0.1 -p 5432 -q; then
  echo "Starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start
  for _ in $(seq 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done
fi
if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  echo "Starting Redis"
  redis-server --bind 127.0.0.1 --port 6379 --save '' --appendonly no --daemonize yes >/dev/null
  for _ in $(seq 10); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 0.5; done
fi
if [ -z "$(psql $PG -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB'")" ]; then
  echo "Creating database $DB"
  createdb $PG "$DB"
fi

# A secret key made once for this trial and kept in instance/ (production refuses to start without one).
mkdir -p instance
if [ ! -s instance/prod-secret-key ]; then
  (umask 077; "$VENV/bin/python" -c 'import secrets; print(secrets.token_hex(32))' > instance/prod-secret-key)
fi
export ELDERCARE_CONFIG=production
export SECRET_KEY="$(cat instance/prod-secret-key)"
export DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:5432/$DB"
export RATELIMIT_STORAGE_URI="${RATELIMIT_STORAGE_URI:-redis://127.0.0.1:6379}"
export GUNICORN_BIND="127.0.0.1:$PORT"
FLASK="$VENV/bin/flask --app wsgi"

$FLASK db upgrade
if [ "$(psql $PG -d "$DB" -tAc 'SELECT count(*) FROM "user"')" = "0" ]; then
  # The demo seed is refused under the production configuration: this one step runs as development.
  ELDERCARE_CONFIG=development $FLASK seed-demo
fi

$FLASK scheduler &
SCHEDULER=$!
trap 'kill $SCHEDULER 2>/dev/null; wait $SCHEDULER 2>/dev/null' EXIT
echo "eldercare on http://localhost:$PORT (health: /healthz, /readyz); Ctrl-C stops it"
"$VENV/bin/gunicorn" -c deploy/gunicorn.conf.py wsgi:app
