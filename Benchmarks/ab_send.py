"""`herald send` of several builds side by side: rounds interleaved against one smtp-sink.

Usage: python3 Benchmarks/ab_send.py ROWS ROUNDS NAME=HERALD [NAME=HERALD ...]
(CS=1,4 chooses the concurrencies). Prints, per build and concurrency, the median wall time,
letters per second, CPU per letter and peak RSS. Reuses Benchmarks/bench.py's campaign, sink
and runner; `make bench BENCH_BASELINE=<commit>` is the full A/B (validate, preview, RSS too).
"""
import os, statistics, sys, tempfile
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench

concurrencies = tuple(int(x) for x in os.environ.get("CS", "1,4").split(","))
rows, rounds = int(sys.argv[1]), int(sys.argv[2])
binaries = dict(arg.split("=", 1) for arg in sys.argv[3:])
out = tempfile.mkdtemp(prefix="herald-ab-")
sink = bench.Sink(out)
try:
    results = {}
    for name, herald in binaries.items():
        campaign = os.path.join(out, f"campaign-{name}")
        bench.make_campaign(rows, campaign, sink.port, 1, 4)
        for c in concurrencies:
            results[(name, c)] = bench.herald_send(herald, campaign, rows, c, name=f"herald send {name}")
    logs = os.path.join(out, "logs")
    os.makedirs(logs, exist_ok=True)
    for _ in range(rounds):
        for tool in results.values():
            bench.run(tool, sink, logs)
    for (name, c), tool in results.items():
        cpu = statistics.median(tool.cpu_seconds)
        print(f"{name:8} c{c}: median {tool.median:.3f} s = {tool.rate:,.0f} letters/s; "
              f"CPU {cpu / rows * 1e6:.0f} us/letter; peak RSS {statistics.median(tool.rss_kib) / 1024:.1f} MiB")
finally:
    sink.stop()
