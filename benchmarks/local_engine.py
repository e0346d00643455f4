"""Local engine overhead: a trivial job, run plainly and through the local engine, waited.

    .venv/bin/python benchmarks/local_engine.py [--runs 10] [--pandas 3]

The script's ``main`` prints ``time.time()`` as its first action and does nothing else. Each
run is a fresh process, timed whole from the parent::

    python trivial_job.py                                                  # plain
    python trivial_job.py --sagemaker-run true --sagemaker-instance local  # engine, waited

with no AWS in the environment at all (every AWS_* variable removed, instance metadata
disabled, a temporary AWS_SAGEMAKER_REMOTE_HOME), so the engine runs offline through the
local store. "Submission -> first line" is the time from right before the parent spawns
the process to the timestamp printed by ``main`` (it comes back through the job's log, which
the waited run streams). The first run of each kind is cold (a fresh state directory: job
store, hash cache and local store created) and is reported apart; then the two kinds
alternate ``--runs`` times and medians are compared (aim: first line within 1.5 s).

Engine runs are also split by the times the job store records (creation, start, end) into:
submission (spawn -> job recorded), runner (-> worker started), worker (-> first line of
main), the job's end (-> end recorded), and the wait (-> submitting process exited). The
polling intervals that bound the last two are printed beside them.

Both kinds import a copy of the package taken at start, so edits made to the library while
the benchmark runs cannot change what is measured.
"""

from __future__ import annotations

import argparse
import os
import re
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from submit import snapshot_package

SCRIPT = """
import time

from aws_sagemaker_remote.processing import sagemaker_processing_main


def main(args):
    print(f"FIRST-LINE {time.time():.6f}", flush=True)


if __name__ == "__main__":
    sagemaker_processing_main(script=__file__, main=main, base_job_name="bench-trivial")
"""

PANDAS_SCRIPT = """
import time

from aws_sagemaker_remote.processing import sagemaker_processing_main


def main(args):
    print(f"FIRST-LINE {time.time():.6f}", flush=True)
    import pandas

    print(pandas.DataFrame({"a": [1, 2]}).sum().to_dict(), flush=True)


if __name__ == "__main__":
    sagemaker_processing_main(
        script=__file__, main=main, base_job_name="bench-pandas", requirements="requirements.txt"
    )
"""

FIRST_LINE = re.compile(r"FIRST-LINE (\d+\.\d+)")
SEGMENTS = ("submission", "runner", "worker", "job end", "wait")


@dataclass
class Run:
    seconds: float  # whole process, parent's clock
    first_line: float  # spawn -> main's first line
    segments: dict[str, float] | None = None  # engine runs only


def _run(command: list[str], env: dict, cwd: Path, job_name: str | None) -> Run:
    spawned = time.time()
    start = time.perf_counter()
    done = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    exited = spawned + seconds
    found = FIRST_LINE.search(done.stdout + done.stderr)
    if done.returncode or not found:
        raise SystemExit(
            f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout}{done.stderr}"
        )
    first = float(found.group(1))
    run = Run(seconds, first - spawned)
    if job_name is not None:
        created, started, ended = _job_times(Path(env["AWS_SAGEMAKER_REMOTE_HOME"]), job_name)
        marks = [spawned, created, started, first, ended, exited]
        run.segments = {name: b - a for name, a, b in zip(SEGMENTS, marks, marks[1:])}
    return run


def _job_times(home: Path, job_name: str) -> tuple[float, float, float]:
    """(creation, start, end) epoch seconds, as the local engine's job store recorded them."""
    with sqlite3.connect(home / "jobs.sqlite") as conn:
        row = conn.execute(
            "SELECT creation_time, start_time, end_time FROM jobs WHERE name = ?", (job_name,)
        ).fetchone()
    if row is None or None in row:
        raise SystemExit(f"job {job_name}: no complete record in {home / 'jobs.sqlite'}")
    return row


def _poll_intervals() -> str:
    """The fixed sleeps that bound 'job end' and 'wait', read from the package itself."""
    from aws_sagemaker_remote.backends.local.runner import jobrun
    from aws_sagemaker_remote.submission import handle

    return (
        f"runner polls its workers every {jobrun.POLL_SECONDS} s (jobrun.POLL_SECONDS); "
        f"the waiting command polls the job every {handle.LOCAL_POLL_SECONDS} s "
        "(handle.LOCAL_POLL_SECONDS)"
    )


def _state_bytes(home: Path) -> int:
    done = subprocess.run(["du", "-sb", str(home)], capture_output=True, text=True)
    return int(done.stdout.split()[0]) if done.returncode == 0 else 0


def pandas_runs(work: Path, env: dict, runs: int) -> None:
    """A job whose requirements name pandas: the first run builds its environment, the
    later ones reuse it; each later run's time to main and growth of the state dir."""
    folder = work / "pandas"
    folder.mkdir()
    (folder / "pandas_job.py").write_text(PANDAS_SCRIPT)
    (folder / "requirements.txt").write_text("pandas\n")
    command = [sys.executable, str(folder / "pandas_job.py"), "--sagemaker-run", "true"]
    command += ["--sagemaker-instance", "local"]
    home = Path(env["AWS_SAGEMAKER_REMOTE_HOME"])
    for n in range(runs + 1):
        before = _state_bytes(home)
        name = f"bench-pandas-{n}"
        run = _run([*command, "--sagemaker-job-name", name], env, folder, name)
        grown = (_state_bytes(home) - before) / 1e6
        kind = "first (builds the environment)" if n == 0 else "again"
        print(f"pandas job, {kind:<31} submission -> first line {_ms(run.first_line)}, "
              f"state dir +{grown:.1f} MB")  # fmt: skip


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:7.0f} ms"


def _median(values: list[float]) -> float:
    return statistics.median(values)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10, help="warm runs of each kind")
    parser.add_argument(
        "--pandas", type=int, default=0, metavar="N", help="also N repeated runs of a pandas job"
    )
    options = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="bench-local-engine-") as tmp:
        work = Path(tmp)
        script = work / "job" / "trivial_job.py"
        script.parent.mkdir()
        script.write_text(SCRIPT)
        lib = snapshot_package(work / "lib")
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.pop("PYTHONDONTWRITEBYTECODE", None)  # an installed package has its bytecode
        env.update(AWS_EC2_METADATA_DISABLED="true", AWS_SAGEMAKER_REMOTE_HOME=str(work / "home"))
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(lib), env.get("PYTHONPATH")]))
        plain = [sys.executable, str(script)]
        engine = [*plain, "--sagemaker-run", "true", "--sagemaker-instance", "local"]

        def engine_run(n: int) -> Run:
            name = f"bench-trivial-{n}"
            return _run([*engine, "--sagemaker-job-name", name], env, script.parent, name)

        load = os.getloadavg()[0]
        print(f"python {sys.version.split()[0]}, {os.cpu_count()} cpus, load average {load:.2f}; "
              f"{options.runs} warm runs of each kind")  # fmt: skip
        cold_plain = _run(plain, env, script.parent, None)
        cold_engine = engine_run(0)
        runs: dict[str, list[Run]] = {"plain": [], "engine": []}
        for n in range(1, options.runs + 1):
            runs["plain"].append(_run(plain, env, script.parent, None))
            runs["engine"].append(engine_run(n))

        print(f"{'':24}{'whole run':>10}  {'-> first line':>13}")
        rows = [
            ("plain, cold (first)", cold_plain.seconds, cold_plain.first_line),
            ("engine, cold (first)", cold_engine.seconds, cold_engine.first_line),
        ]
        for kind in ("plain", "engine"):
            median_s = _median([r.seconds for r in runs[kind]])
            median_first = _median([r.first_line for r in runs[kind]])
            rows.append((f"{kind}, warm (median)", median_s, median_first))
        for label, seconds, first in rows:
            print(f"{label:<24}{_ms(seconds):>10}  {_ms(first):>13}")

        plain_s = _median([r.seconds for r in runs["plain"]])
        engine_s = _median([r.seconds for r in runs["engine"]])
        first = _median([r.first_line for r in runs["engine"]])
        plain_first = _median([r.first_line for r in runs["plain"]])
        print(f"engine overhead (warm medians): {(engine_s - plain_s) * 1000:.0f} ms, "
              f"engine / plain {engine_s / plain_s:.2f}x")  # fmt: skip
        print(f"submission -> first line of main: {first * 1000:.0f} ms through the engine "
              f"(plain: {plain_first * 1000:.0f} ms; aim <= 1500 ms; "
              f"cold {cold_engine.first_line * 1000:.0f} ms)")  # fmt: skip
        print("engine run, where the time goes (warm medians; cold in brackets):")
        for name in SEGMENTS:
            warm = _median([r.segments[name] for r in runs["engine"]])
            print(f"  {name:<11} {_ms(warm)}  [{_ms(cold_engine.segments[name]).strip()}]")
        print(f"  ({_poll_intervals()})")
        if options.pandas:
            pandas_runs(work, env, options.pandas)


if __name__ == "__main__":
    main()
