"""The city's occupancy report for last month, made in fresh processes, timed part by part:
`python bench/report.py DATABASE_URL LABEL [PROCESSES]` (bench/run.py runs it for --scale 1 and 10).

Prints, for a first report in a new process (locale data, templates and every figure read
cold, as the command line does) and for a second one after a change everywhere (every figure
read afresh and the charts drawn again in a warm process, as on a running app server or the
scheduler): the whole time, the time inside WeasyPrint (eldercare.pdf.render: layout, the PDF,
and collecting the laid-out document's garbage, which is WeasyPrint's), the share outside it (the
report's own work: queries, charts, templating, and archiving the file with its hash), the page
count and the process's peak memory. Targets (issue 10): 2 s at --scale 1, 12 s at --scale 10,
under 500 MB, under 10% outside WeasyPrint, judged on the second report (docs/decisions.md: the
first of a process also pays what the process pays once).

Each process (three by default) prints its two lines, then the medians of the processes follow:
one run moves by a point or two of the share on a shared machine, as WeasyPrint's own time does.

Each line gives the times twice: on the clock, and in CPU seconds of this process, which other
work on the machine hardly changes (the load average is printed beside them). On PostgreSQL the
database server's own CPU time is not in the second figure, only on the clock.
"""

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

RUNS = ("first in a new process", "again, figures re-read")


def line(label: str, run: str, f: dict) -> str:
    return (f"  {label:22} {run:30} {f['total']:6.2f} s   WeasyPrint {f['weasy']:5.2f} s   outside WeasyPrint "
            f"{f['share']:5.1%}   CPU {f['total_cpu']:5.2f} s, WeasyPrint {f['weasy_cpu']:5.2f} s, outside "
            f"{f['share_cpu']:5.1%}   {f['pages']:3d} pages   peak memory {f['peak_mb']:4.0f} MB   "
            f"load {f['load']:.1f}")


def main(url: str, label: str, processes: int) -> None:
    """Each process's lines, then the medians."""
    made = []
    for _ in range(processes):
        out = subprocess.run([sys.executable, __file__, url, label, "--child"], check=True, capture_output=True,
                             text=True).stdout
        figures = json.loads(out.splitlines()[-1])
        for run in RUNS:
            print(line(label, run, figures[run]), flush=True)
        made.append(figures)
    for run in RUNS:
        median = {key: statistics.median(f[run][key] for f in made) for key in made[0][run]}
        median["pages"] = made[0][run]["pages"]
        print(line(label, f"median, {run.split(',')[0]}", median), flush=True)


def child(url: str) -> None:
    """One process's two reports, their figures printed as JSON."""
    import weasyprint  # noqa: F401  imported before the clock starts: a server has it loaded

    from eldercare import create_app, pdf
    from eldercare.cache import changed
    from eldercare.dashboard import charts
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
            charts._drawn_wide.cache_clear()  # and draws its charts again, as after a real change
        return total, tuple(inside), report.pages

    figures = {}
    for run in RUNS:
        (total, total_cpu), (weasy, weasy_cpu), pages = once()
        figures[run] = {"total": total, "weasy": weasy, "share": (total - weasy) / total, "total_cpu": total_cpu,
                        "weasy_cpu": weasy_cpu, "share_cpu": (total_cpu - weasy_cpu) / total_cpu, "pages": pages,
                        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                        "load": os.getloadavg()[0]}
    print(json.dumps(figures))


if __name__ == "__main__":
    if sys.argv[-1] == "--child":
        child(sys.argv[1])
    else:
        main(sys.argv[1], sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 3)
