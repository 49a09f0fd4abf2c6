#!/usr/bin/env python3
"""Herald `validate` against Python's `mailmerge --dry-run` on the same letters, side by side.

    python3 Benchmarks/bench.py --herald .build/release/herald [--rows 20000] [--runs 3] [--out DIR]

Writes the campaign with make_campaign.py (unless DIR already holds one of ROWS rows), runs
each tool RUNS times, and prints the median wall time and letters per second. Herald's
`validate` reads the campaign and renders and composes every letter (MIME, headers encoded,
body quoted-printable) without sending; `mailmerge --dry-run --no-limit` renders every letter
and prints it (sent to /dev/null here). Both must exit 0, or the benchmark fails.
"""
import argparse
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def timed(command, cwd=None):
    start = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"bench: {' '.join(command)} exited {result.returncode}:\n{result.stderr.decode(errors='replace')}")
    return elapsed


def campaign_rows(out):
    try:
        with open(os.path.join(out, "recipients.csv"), encoding="utf-8") as handle:
            return sum(1 for _ in handle) - 1
    except OSError:
        return -1


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--herald", required=True, help="the herald binary (a release build)")
    parser.add_argument("--rows", type=int, default=20000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--out", default=".build-bench/campaign")
    args = parser.parse_args()

    if campaign_rows(args.out) != args.rows:
        subprocess.run([sys.executable, os.path.join(HERE, "make_campaign.py"), "--rows", str(args.rows), "--out", args.out],
                       check=True)
    campaign = os.path.join(args.out, "campaign.toml")
    merge = os.path.join(args.out, "mailmerge")
    tools = [
        ("herald validate", [os.path.abspath(args.herald), "validate", campaign], None),
        # mailmerge's console script, run by this Python (`python -m mailmerge` fails in mailmerge 2.3.0).
        ("mailmerge --dry-run", [sys.executable, "-c", "import sys; from mailmerge.__main__ import main; sys.argv[0] = 'mailmerge'; main()",
                                 "--no-limit", "--dry-run", "--output-format", "raw"], merge),
    ]
    results = []
    for name, command, cwd in tools:
        times = []
        for run in range(args.runs):
            times.append(timed(command, cwd))
            print(f"  {name}: run {run + 1}/{args.runs}: {times[-1]:.2f} s", file=sys.stderr)
        results.append((name, statistics.median(times), min(times)))

    fastest = min(median for _, median, _ in results)
    header = ("tool", "letters", "median s", "best s", "letters/s", "vs fastest")
    rows = [(name, f"{args.rows}", f"{median:.2f}", f"{best:.2f}", f"{args.rows / median:,.0f}", f"{median / fastest:.2f}x")
            for name, median, best in results]
    widths = [max(len(str(row[i])) for row in [header] + rows) for i in range(len(header))]
    line = lambda row: "  ".join(str(cell).ljust(width) if i == 0 else str(cell).rjust(width)
                                 for i, (cell, width) in enumerate(zip(row, widths)))
    print(f"{args.rows} letters, median of {args.runs} runs (letters/s from the median)")
    print(line(header))
    print(line(["-" * width for width in widths]))
    for row in rows:
        print(line(row))


if __name__ == "__main__":
    main()
