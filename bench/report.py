"""The city's occupancy report for last month, made once in a fresh process, timed part by part:
`python bench/report.py DATABASE_URL LABEL` (bench/run.py runs it for --scale 1 and 10).

Prints, for a first report in a new process (locale data, templates and every figure read
cold, as the monthly job does) and for a second one after a change everywhere (every figure
read afresh in a warm process, as on a running app server): the whole time, the time inside
WeasyPrint (eldercare.pdf.render: layout, the PDF, and collecting the laid-out document's garbage,
which is WeasyPrint's), the share outside it (the report's own work: queries, charts, templating,
and archiving the file with its hash), the page count and the process's peak memory. Targets
(issue 10): 2 s at --scale 1, 12 s at --scale 10, under 500 MB, under 10% outside WeasyPrint.

Each line gives the times twice: on the clock, and in CPU seconds of this process, which other
work on the machine hardly changes (the load average is printed beside them). On PostgreSQL the
database server's own CPU time is not in the second figure, only on the clock.
"""

import os
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main(url: str, label: str) -> None:
    import weasyprint  # noqa: F401  imported before the clock starts: a server has it loaded

    from eldercare import create_app, pdf
    from eldercare.cache import changed
    from eldercare.extensions import db
    from eldercare.reports import making
    from eldercare.reports.models import Source
    from eldercare.reports.periods import resolve_scope
    from eldercare.timekeeping import local_today

    app = create_app("development", SQLALCHEMY_DATABASE_URI=url, REPORTS_DIR=tempfile.mkdtemp(prefix="bench-"))
    inside = [0.0, 0.0]  # inside WeasyPrint: on the clock, in CPU time
    render = pdf.render

    def timed_render(*args, **kwargs):
        started, cpu = time.perf_counter(), time.process_time()
        try:
            return render(*args, **kwargs)
        finally:
            inside[0] += time.perf_counter() - started
            inside[1] += time.process_time() - cpu

    pdf.render = timed_render

    def once():
        inside[:] = [0.0, 0.0]
        with app.app_context():
            started, cpu = time.perf_counter(), time.process_time()
            report = making.make(resolve_scope(), making.previous_month(local_today()), "zh",
                                 source=Source.command_line)
            total = (time.perf_counter() - started, time.process_time() - cpu)
            db.session.rollback()  # a measurement, not an archived report
            changed(db.session)  # the next one reads every figure afresh
            db.session.commit()
        return total, tuple(inside), report.pages

    for run in ("first in a new process", "again, figures re-read"):
        (total, total_cpu), (weasy, weasy_cpu), pages = once()
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"  {label:22} {run:24} {total:6.2f} s   WeasyPrint {weasy:5.2f} s   outside WeasyPrint "
              f"{(total - weasy) / total:4.0%}   CPU {total_cpu:5.2f} s, WeasyPrint {weasy_cpu:5.2f} s, outside "
              f"{(total_cpu - weasy_cpu) / total_cpu:4.0%}   {pages:3d} pages   peak memory {peak_mb:4.0f} MB   "
              f"load {os.getloadavg()[0]:.1f}", flush=True)

if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
