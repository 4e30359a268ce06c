# The two commands of the quick start: `make run` and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app wsgi
STAMP := $(VENV)/.installed
# Debian packages the tests need: a browser for the user journeys, CJK fonts and Pango for PDFs,
# HarfBuzz's subsetter for WeasyPrint to embed the used glyphs of the CJK font (without it WeasyPrint
# falls back to fontTools, which takes 20-50 CPU-seconds per report to subset Noto Sans CJK),
# poppler-utils (pdftoppm) to render report pages for a person to look at; Redis for the two-server test.
DEB_PACKAGES := chromium fonts-noto-cjk libharfbuzz-subset0 libpango-1.0-0 libpangoft2-1.0-0 poppler-utils \
	redis-server
TRANSLATIONS := eldercare/translations
PO := $(wildcard $(TRANSLATIONS)/*/LC_MESSAGES/messages.po)
MO := $(PO:.po=.mo)

.PHONY: install run prod test test-sqlite test-postgres system-packages bench lint messages

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $(STAMP)

%.mo: %.po $(STAMP)
	$(VENV)/bin/pybabel compile -f -i $< -o $@

install: $(STAMP) $(MO)

# `make run` is a development server: named explicitly, since the default configuration is production.
run: export ELDERCARE_CONFIG ?= development
run: install
	$(FLASK) db upgrade
	$(FLASK) seed-demo
	$(FLASK) run --host 127.0.0.1 --port 5000

# `make prod`: gunicorn and the scheduler under the production configuration, against the local
# PostgreSQL (database eldercare_prod) and Redis, for a trial on one machine (deploy/run-local.sh).
prod: install
	VENV=$(VENV) deploy/run-local.sh

system-packages:
	@missing=""; for p in $(DEB_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

# The whole suite on SQLite, then again on PostgreSQL when TEST_DATABASE_URL is set.
test: system-packages install
	env -u TEST_DATABASE_URL $(PY) -m pytest -q
	@if [ -n "$$TEST_DATABASE_URL" ]; then $(PY) -m pytest -q; else echo "TEST_DATABASE_URL not set: PostgreSQL run skipped"; fi

lint: install
	$(VENV)/bin/ruff check .

# Extract the strings to translate and merge them into both catalogs.
messages: install
	$(VENV)/bin/pybabel extract -F babel.cfg -k _l -o $(TRANSLATIONS)/messages.pot .
	$(VENV)/bin/pybabel update -i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS) --no-fuzzy-matching

# In-process page timings (bench/run.py), province scale (bench/province.py: the --scale 40 demo in
# PostgreSQL, seeded on first use, 20 minutes or more), then the load test of the production stack
# (bench/load.py: gunicorn with 4 workers on PostgreSQL and Redis; the database is cut for 10 s
# through a proxy of its own, the server itself is not restarted). BENCH_SECONDS sets the length of
# each load run (default 60).
bench: install
	$(PY) bench/run.py
	$(PY) bench/province.py
	$(PY) bench/load.py --mix read --seconds $${BENCH_SECONDS:-60}
	$(PY) bench/load.py --mix full --faults all --seconds $${BENCH_SECONDS:-60}
