#!/usr/bin/env python3
"""Herald's send throughput against its own transport, smtp-source and mailmerge, side by side.

    python3 Benchmarks/bench.py --herald .build/release/herald --bare-client .build-bench/bare_client
                                [--rows 10000] [--big-rows 100000] [--huge-rows 1000000] [--runs 3] [--out .build-bench]
                                [--baseline-herald OTHER/herald --baseline-label COMMIT]

The benchmark of issue 10 (`make bench` builds what it needs and runs this):

1. Writes a campaign of ROWS recipients with make_campaign.py (a ~3.9 KB letter) in OUT/campaign,
   pointed at an smtp-sink (Postfix's discard-everything SMTP server) started on a free
   loopback port, with campaign-c1.toml and campaign-c4.toml for `[limits] concurrency` 1 and 4.
2. Previews a 200-row sample of the same campaign and picks the letter nearest the mean size:
   the bare client sends that message, and smtp-source sends bodies of that size.
3. Runs every tool once per round, RUNS rounds, interleaved (round 1: every tool, round 2:
   every tool, ...) so that the machine's drift reaches every tool alike, and takes the median
   wall time of each:
   - `herald send` at concurrency 1 and 4 (a fresh delivery log each round, durability on as
     shipped);
   - bare_client.c at 1 and 4 threads: libcurl alone, one reused handle per thread, the message
     pre-rendered in memory: the floor Herald's transport sets;
   - `smtp-source -s 1` and `-s 4`, as the issue runs it (a new connection per message, its
     default): a C client with no libcurl, the machine's yardstick;
   - `mailmerge --no-dry-run --no-limit` (a connection per letter, as mailmerge 2.3.0 does);
   - `herald preview` and `mailmerge --dry-run`, which render and compose without sending, and
     `herald validate`, which composes and discards.
4. Sends one `herald send` at concurrency 4 to BIG_ROWS recipients for its peak RSS, unless the
   ROWS figure says it would take longer than --big-budget seconds; then `herald validate`
   reads those BIG_ROWS instead, and the table says so.
5. The ledger at scale (issue 19): on the BIG_ROWS campaign just sent, and on a campaign of
   HUGE_ROWS (default 1,000,000; 0 leaves it out) whose first `herald send` at concurrency 4 to
   smtp-sink writes a fully-sent log through Herald's own path (its time and peak RSS are rows
   too), a `herald send` with nothing left to do and a `herald status --json`, each checked (the
   send's summary says every letter was already done; the status counts every letter sent).
6. With --baseline-herald (`make bench BENCH_BASELINE=<commit>` builds that commit's release in
   its own git worktree under .build-bench): the same herald rows (send c1 and c4, preview,
   validate, the peak-RSS send, and the ledger rows on the same logs) run by the other binary in
   the same rounds, and an A/B table of both side by side.
7. Prints one table and the issue's targets (met or not), and writes every figure to
   OUT/results.json.

Every run is checked, and the benchmark stops at the first failure: the tool must exit 0, print
that it did all its letters (Herald's summary "N sent, 0 failed, 0 deferred, 0 in doubt", the
bare client's "sent=N failed=0", mailmerge's ">>> message N sent", ...), and smtp-sink's counters
(-c) must grow by exactly the letters sent. The same counters give the connections each tool
opened (smtp-sink's sessions). Peak RSS is each run's own (GNU time's %M), the largest over the rounds;
the CPU seconds (user + system, GNU time's %U and %S) are each tool's own, the median shown. The
header gives the load average before and after: the machine may be shared, and wall time on a
busy one says little.
Each tool's output of its last run is kept in OUT/logs/.
"""
import argparse
import glob
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
# The envelope of the bare client's and smtp-source's messages: the letter's sender, and any
# recipient (smtp-sink accepts everyone).
SENDER = "secretary.general@amnesty.example"
RECIPIENT = "recipient@bench.example"
# GNU time (Debian's `time` package), for each run's peak RSS.
TIME = shutil.which("time") or "/usr/bin/time"
# mailmerge's console script, run by this Python (`python -m mailmerge` fails in mailmerge 2.3.0).
MAILMERGE = [sys.executable, "-c", "import sys; from mailmerge.__main__ import main; sys.argv[0] = 'mailmerge'; main()"]


def fail(message):
    sys.exit(f"bench: {message}")


def postfix_tool(name):
    """smtp-sink or smtp-source: on the PATH, or where Debian's postfix puts them (/usr/sbin)."""
    path = shutil.which(name) or shutil.which(name, path="/usr/sbin")
    if not path:
        fail(f"{name} not found; install Debian's postfix package (`make bench` does)")
    return path


class Sink:
    """smtp-sink on a free loopback port, with its running counters (-c) read from its output.

    With -c, smtp-sink writes "sess=S quit=Q mesg=M" followed by a carriage return each time a
    session ends, a QUIT arrives or a message ends: S is the sessions (connections) so far and M
    the messages accepted.
    """
    COUNTERS = re.compile(rb"sess=(\d+) quit=\d+ mesg=(\d+)\r")

    def __init__(self, out):
        self.output = os.path.join(out, "smtp-sink.out")
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        # smtp-sink refuses to run as root unless told whose privileges to drop to.
        user = ["-u", "nobody"] if os.geteuid() == 0 else []
        with open(self.output, "wb") as stdout, open(os.path.join(out, "smtp-sink.err"), "wb") as stderr:
            self.process = subprocess.Popen([postfix_tool("smtp-sink"), "-c", *user, f"127.0.0.1:{self.port}", "256"],
                                            stdout=stdout, stderr=stderr)
        self._wait_until_listening()

    def _wait_until_listening(self):
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                fail(f"smtp-sink exited {self.process.returncode} on port {self.port}; see {self.output[:-4]}.err")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=2) as connection:
                    if connection.recv(512).startswith(b"220"):
                        connection.sendall(b"QUIT\r\n")
                        connection.recv(512)
                        return
            except OSError:
                time.sleep(0.05)
        self.stop()
        fail(f"smtp-sink did not answer on 127.0.0.1:{self.port}")

    @property
    def url(self):
        return f"smtp://127.0.0.1:{self.port}"

    def counters(self):
        """(sessions, messages) so far: the last complete counter line smtp-sink wrote."""
        with open(self.output, "rb") as handle:
            handle.seek(max(0, os.path.getsize(self.output) - 256))
            found = self.COUNTERS.findall(handle.read())
        return tuple(map(int, found[-1])) if found else (0, 0)

    def settle(self, before, messages):
        """(sessions, messages) since `before`, once MESSAGES have arrived and every session ended.

        A client may exit a moment before the sink has counted its last session; wait until
        the counters have stood still for 0.2 s with the messages in (or 10 s without them)."""
        deadline, still_since, last = time.monotonic() + 10, time.monotonic(), self.counters()
        while time.monotonic() < deadline:
            time.sleep(0.02)
            now = self.counters()
            if now != last:
                still_since, last = time.monotonic(), now
            elif last[1] - before[1] >= messages and time.monotonic() - still_since >= 0.2:
                break
        return last[0] - before[0], last[1] - before[1]

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@dataclass
class Tool:
    """One row of the table: a command, run once per round, and what proves it did its work."""
    name: str
    concurrency: int | None  # SMTP connections at once; None for tools that do not send
    letters: int
    command: list
    done: str | None  # text the end of its standard output must contain, if it says anything
    sends: bool  # smtp-sink must receive `letters` messages
    cwd: str | None = None
    prepare: object = None  # called before each run, untimed (a fresh log, an empty folder)
    compared: bool = True  # False: letters/s against the senders means nothing (the ledger rows read a log)
    seconds: list = field(default_factory=list)
    rss_kib: list = field(default_factory=list)
    cpu_seconds: list = field(default_factory=list)
    connections: list = field(default_factory=list)

    @property
    def label(self):
        return self.name if self.concurrency is None else f"{self.name} c{self.concurrency}"

    @property
    def median(self):
        return statistics.median(self.seconds)

    @property
    def rate(self):
        return self.letters / self.median


def run(tool, sink, logs):
    """Runs TOOL once, checks that it did all its letters, and records time, peak RSS, connections."""
    if tool.prepare:
        tool.prepare()
    slug = re.sub(r"[^a-z0-9]+", "-", tool.label.lower()).strip("-")
    stdout_path, stderr_path = os.path.join(logs, slug + ".out"), os.path.join(logs, slug + ".err")
    rss_path = os.path.join(logs, slug + ".rss")
    before = sink.counters()
    with open(stdout_path, "wb") as stdout, open(stderr_path, "wb") as stderr:
        start = time.perf_counter()
        # GNU time reports the peak RSS (%M, KiB) of the command alone. Python's own wait4 would
        # not: Linux counts a child's memory from before its exec, Python's ~15 MiB, in its peak.
        returncode = subprocess.run([TIME, "-f", "%M %U %S", "-o", rss_path, *tool.command], cwd=tool.cwd,
                                    stdout=stdout, stderr=stderr).returncode
        seconds = time.perf_counter() - start

    with open(stdout_path, "rb") as handle:
        handle.seek(max(0, os.path.getsize(stdout_path) - 16384))
        tail = handle.read().decode(errors="replace")
    if returncode != 0:
        fail(f"{tool.label} exited {returncode}; see {stdout_path} and {stderr_path}")
    if tool.done and tool.done not in tail:
        fail(f"{tool.label}: its output does not end with {tool.done!r}; see {stdout_path} and {stderr_path}")
    if tool.sends:
        sessions, messages = sink.settle(before, tool.letters)
        if messages != tool.letters:
            fail(f"{tool.label}: smtp-sink received {messages} messages, not {tool.letters}; see {stdout_path}")
        tool.connections.append(sessions)
    tool.seconds.append(seconds)
    with open(rss_path, encoding="utf-8") as handle:
        rss, user, system = handle.read().splitlines()[-1].split()
    tool.rss_kib.append(int(rss))
    tool.cpu_seconds.append(round(float(user) + float(system), 2))


def make_campaign(rows, out, port, *concurrency):
    subprocess.run([sys.executable, os.path.join(HERE, "make_campaign.py"), "--rows", str(rows), "--out", out,
                    "--port", str(port), "--concurrency", *map(str, concurrency)], check=True, stdout=subprocess.DEVNULL)


def pick_letter(herald, out, port):
    """The letter the bare client sends: a 200-row sample previewed, the one nearest the mean size."""
    sample, preview = os.path.join(out, "sample"), os.path.join(out, "sample-preview")
    make_campaign(200, sample, port)
    shutil.rmtree(preview, ignore_errors=True)
    result = subprocess.run([herald, "preview", os.path.join(sample, "campaign.toml"), "--out", preview],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    letters = glob.glob(os.path.join(preview, "*.eml"))
    if result.returncode != 0 or len(letters) != 200:
        fail(f"herald preview of the 200-row sample exited {result.returncode} and wrote {len(letters)} letters:\n"
             + result.stderr[-2000:])
    mean = statistics.mean(os.path.getsize(path) for path in letters)
    return min(letters, key=lambda path: abs(os.path.getsize(path) - mean))


def remove(pattern):
    """A `prepare`: deletes what PATTERN matches (a delivery log and its lock, a preview folder)."""
    def prepare():
        for path in glob.glob(pattern):
            shutil.rmtree(path) if os.path.isdir(path) else os.remove(path)
    return prepare


def herald_send(herald, campaign_dir, rows, concurrency, name="herald send"):
    log = os.path.join(campaign_dir, f"delivery-c{concurrency}.jsonl")
    return Tool(name, concurrency, rows, [herald, "send", os.path.join(campaign_dir, f"campaign-c{concurrency}.toml")],
                done=f": {rows} sent, 0 failed, 0 deferred, 0 in doubt", sends=True, prepare=remove(glob.escape(log) + "*"))


def ledger_tools(herald, campaign_dir, rows, prefix="herald"):
    """A send with nothing left to do and `status --json`, on a campaign whose c4 log is fully sent."""
    toml = os.path.join(campaign_dir, "campaign-c4.toml")
    return [Tool(f"{prefix} send (all done) {rows:,}", None, rows, [herald, "send", toml],
                 done=f": 0 sent, 0 failed, 0 deferred, 0 in doubt, {rows} already done", sends=False, compared=False),
            Tool(f"{prefix} status --json {rows:,}", None, rows, [herald, "status", toml, "--json"],
                 done=f'"pending":0,"sent":{rows},', sends=False, compared=False)]


def herald_validate(herald, campaign_dir, rows, name="herald validate"):
    return Tool(name, None, rows, [herald, "validate", os.path.join(campaign_dir, "campaign.toml")],
                done=f", {rows} recipients from", sends=False)


# DKIM (issue 11): the same campaign signed with an RSA 2048 and an Ed25519 key. Previews with and
# without [dkim] differ only by the signing, so their difference per letter is what signing costs.
DKIM_ALGORITHMS = {"rsa": "rsa-sha256", "ed25519": "ed25519-sha256"}


def dkim_campaign(campaign_dir, kind, concurrency=None):
    """campaign[-cN]-dkim-KIND.toml: campaign[-cN].toml with a [dkim] table, its key made here
    (Python's cryptography, mode 0600) and a log of its own. Returns the file's path."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
    key_path = os.path.join(campaign_dir, f"dkim-{kind}.pem")
    if not os.path.exists(key_path):
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048) if kind == "rsa" else ed25519.Ed25519PrivateKey.generate()
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        with os.fdopen(os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as handle:
            handle.write(pem)
    base = "campaign.toml" if concurrency is None else f"campaign-c{concurrency}.toml"
    with open(os.path.join(campaign_dir, base), encoding="utf-8") as handle:
        text = handle.read()
    suffix = f"{'' if concurrency is None else f'-c{concurrency}'}-dkim-{kind}"
    text = re.sub(r'(?m)^log = "(.*)\.jsonl"$', lambda m: f'log = "{m.group(1)}-dkim-{kind}.jsonl"', text)
    text += (f'\n[dkim]\ndomain = "amnesty.example"\nselector = "bench"\nprivate_key_file = "dkim-{kind}.pem"\n'
             f'algorithm = "{DKIM_ALGORITHMS[kind]}"\n')
    path = os.path.join(campaign_dir, f"campaign{suffix}.toml")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)
    return path


def dkim_tools(herald, campaign_dir, out, rows):
    """herald preview and herald send c4, signed with each kind of key."""
    result = []
    for kind in DKIM_ALGORITHMS:
        preview = os.path.join(out, f"preview-dkim-{kind}")
        result.append(Tool(f"herald preview +dkim {kind}", None, rows, [herald, "preview", dkim_campaign(campaign_dir, kind), "--out", preview],
                           done=f"{rows} messages written", sends=False, prepare=remove(glob.escape(preview))))
    for kind in DKIM_ALGORITHMS:
        path = dkim_campaign(campaign_dir, kind, 4)
        log = os.path.join(campaign_dir, f"delivery-c4-dkim-{kind}.jsonl")
        result.append(Tool(f"herald send +dkim {kind}", 4, rows, [herald, "send", path],
                           done=f": {rows} sent, 0 failed, 0 deferred, 0 in doubt", sends=True, prepare=remove(glob.escape(log) + "*")))
    return result


def dkim_report(rows, mailmerge):
    """Lines saying what signing costs per letter: preview with [dkim] against without, wall and CPU."""
    plain = find(rows, "herald preview")
    lines, figures = [], {}
    for kind, algorithm in DKIM_ALGORITHMS.items():
        signed = find(rows, f"herald preview +dkim {kind}")
        wall = (signed.median - plain.median) / plain.letters * 1e6
        cpu = (statistics.median(signed.cpu_seconds) - statistics.median(plain.cpu_seconds)) / plain.letters * 1e6
        send = find(rows, f"herald send +dkim {kind}", 4)
        figures[algorithm] = {"preview_wall_us_per_letter": round(wall, 1), "preview_cpu_us_per_letter": round(cpu, 1),
                              "send_c4_letters_per_second": round(send.rate, 1),
                              "send_c4_vs_mailmerge": rounded(ratio(send, mailmerge))}
        lines.append(f"  {algorithm:<15} {wall:7.1f} µs wall, {cpu:7.1f} µs CPU per letter (herald preview +dkim against without); "
                     f"herald send c4 signed: {send.rate:,.0f} letters/s, {ratio(send, mailmerge):.2f}x mailmerge (target >= 12x)")
    return lines, figures


def tools(herald, bare_client, campaign_dir, out, rows, sink, letter):
    """The table's rows, in the order each round runs them."""
    source = postfix_tool("smtp-source")
    merge = os.path.join(campaign_dir, "mailmerge")
    preview = os.path.join(out, "preview")
    size = str(os.path.getsize(letter))
    return [
        herald_send(herald, campaign_dir, rows, 1),
        herald_send(herald, campaign_dir, rows, 4),
        *(Tool("bare libcurl client", threads, rows,
               [bare_client, sink.url, letter, str(rows), str(threads), SENDER, RECIPIENT],
               done=f"sent={rows} failed=0", sends=True) for threads in (1, 4)),
        # -l is the body's length; smtp-source adds a few short headers of its own.
        *(Tool("smtp-source", sessions, rows,
               [source, "-s", str(sessions), "-m", str(rows), "-l", size, "-f", SENDER, "-t", RECIPIENT,
                f"127.0.0.1:{sink.port}"], done=None, sends=True) for sessions in (1, 4)),
        Tool("mailmerge", 1, rows, MAILMERGE + ["--no-limit", "--no-dry-run", "--output-format", "raw"],
             done=f">>> message {rows} sent", sends=True, cwd=merge),
        Tool("herald preview", None, rows, [herald, "preview", os.path.join(campaign_dir, "campaign.toml"), "--out", preview],
             done=f"{rows} messages written", sends=False, prepare=remove(glob.escape(preview))),
        Tool("mailmerge --dry-run", None, rows, MAILMERGE + ["--no-limit", "--dry-run", "--output-format", "raw"],
             done=f">>> message {rows} sent", sends=False, cwd=merge),
        herald_validate(herald, campaign_dir, rows),
        *dkim_tools(herald, campaign_dir, out, rows),
    ]


def baseline_tools(baseline, campaign_dir, out, rows):
    """The A/B rows: the other binary's send c1 and c4, preview and validate, in the same rounds."""
    preview = os.path.join(out, "preview-baseline")
    return [
        herald_send(baseline, campaign_dir, rows, 1, name="baseline send"),
        herald_send(baseline, campaign_dir, rows, 4, name="baseline send"),
        Tool("baseline preview", None, rows, [baseline, "preview", os.path.join(campaign_dir, "campaign.toml"), "--out", preview],
             done=f"{rows} messages written", sends=False, prepare=remove(glob.escape(preview))),
        herald_validate(baseline, campaign_dir, rows, name="baseline validate"),
    ]


def ab_table(pairs, label):
    """Current against baseline, one line per pair: median seconds, CPU seconds and peak RSS, with the change."""
    def change(new, old):
        return "-" if not old else f"{(new / old - 1) * 100:+.1f}%"

    header = ("row", "now s", f"{label} s", "change", "now CPU s", f"{label} CPU s", "change", "now RSS MiB",
              f"{label} RSS MiB", "change")
    lines = []
    for name, now, then in pairs:
        now_cpu, then_cpu = statistics.median(now.cpu_seconds), statistics.median(then.cpu_seconds)
        now_rss, then_rss = mib(max(now.rss_kib)), mib(max(then.rss_kib))
        lines.append((name, f"{now.median:.2f}", f"{then.median:.2f}", change(now.median, then.median), f"{now_cpu:.2f}",
                      f"{then_cpu:.2f}", change(now_cpu, then_cpu), f"{now_rss:.1f}", f"{then_rss:.1f}", change(now_rss, then_rss)))
    widths = [max(len(row[i]) for row in [header] + lines) for i in range(len(header))]
    render = lambda row: "  ".join(cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in enumerate(zip(row, widths)))
    return "\n".join([render(header), render(["-" * w for w in widths])] + [render(line) for line in lines])


def find(rows, name, concurrency=None):
    return next(tool for tool in rows if tool.name == name and tool.concurrency == concurrency)


def ratio(tool, reference):
    """TOOL's letters per second over REFERENCE's (above 1: faster), or None without a reference."""
    return tool.rate / reference.rate if reference else None


def vs_bare(tool, bare):
    """A sender's letters per second over the bare client's at the same concurrency (None for the others)."""
    return ratio(tool, bare.get(tool.concurrency)) if tool.sends else None


def vs_mailmerge(tool, mailmerge, mailmerge_dry):
    """Senders over mailmerge's send; the tools that only render and compose over mailmerge --dry-run."""
    reference = mailmerge if tool.sends else mailmerge_dry
    return None if tool is reference else ratio(tool, reference)


def rounded(value):
    """A ratio for results.json: three decimals, or None."""
    return None if value is None else round(value, 3)


def mib(kib):
    return kib / 1024


def table(rows, bare, source1, mailmerge, mailmerge_dry):
    """The printed table: one line per tool, ratios of letters per second."""
    def x(value):
        return "-" if value is None else f"{value:.2f}x"

    header = ("tool", "conc", "letters", "median s", "letters/s", "vs bare", "vs smtp-source 1", "vs mailmerge",
              "CPU s", "peak RSS MiB", "connections")
    lines = []
    for tool in rows:
        counts = sorted(set(tool.connections))
        lines.append((tool.name, "-" if tool.concurrency is None else str(tool.concurrency), f"{tool.letters:,}",
                      f"{tool.median:.2f}", f"{tool.rate:,.0f}" if tool.compared else "-", x(vs_bare(tool, bare)),
                      x(ratio(tool, source1) if tool.compared else None),
                      x(vs_mailmerge(tool, mailmerge, mailmerge_dry) if tool.compared else None),
                      f"{statistics.median(tool.cpu_seconds):.2f}",
                      f"{mib(max(tool.rss_kib)):.1f}",
                      "-" if not counts else str(counts[0]) if len(counts) == 1 else f"{counts[0]}-{counts[-1]}"))
    widths = [max(len(row[i]) for row in [header] + lines) for i in range(len(header))]
    render = lambda row: "  ".join(cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in enumerate(zip(row, widths)))
    return "\n".join([render(header), render(["-" * w for w in widths])] + [render(line) for line in lines])


def targets(rows, big, big_small):
    """Issue 10's targets: (what, measured, met) for each."""
    send1, send4 = find(rows, "herald send", 1), find(rows, "herald send", 4)
    bare1, bare4 = find(rows, "bare libcurl client", 1), find(rows, "bare libcurl client", 4)
    mailmerge, mailmerge_dry = find(rows, "mailmerge", 1), find(rows, "mailmerge --dry-run")
    validate, preview = find(rows, "herald validate"), find(rows, "herald preview")
    share = validate.median / bare1.median
    big_rss, small_rss = mib(max(big.rss_kib)), mib(max(big_small.rss_kib))
    growth = big_rss / small_rss - 1
    what = f"{big.letters:,}" if big.sends else f"{big.letters:,} ({big.name}: send would take too long)"
    return [
        ("herald send c1 >= 0.9x bare client 1 thread", f"{ratio(send1, bare1):.2f}x", ratio(send1, bare1) >= 0.9),
        ("herald send c4 >= 0.9x bare client 4 threads", f"{ratio(send4, bare4):.2f}x", ratio(send4, bare4) >= 0.9),
        (f"herald validate of {validate.letters:,} <= 0.1x bare client 1 thread's send time",
         f"{validate.median:.2f} s / {bare1.median:.2f} s = {share:.2f}x", share <= 0.1),
        ("herald preview >= 20x mailmerge --dry-run", f"{ratio(preview, mailmerge_dry):.2f}x", ratio(preview, mailmerge_dry) >= 20),
        ("herald send c1 >= 4x mailmerge", f"{ratio(send1, mailmerge):.2f}x", ratio(send1, mailmerge) >= 4),
        ("herald send c4 >= 12x mailmerge", f"{ratio(send4, mailmerge):.2f}x", ratio(send4, mailmerge) >= 12),
        (f"peak RSS <= 40 MiB at {what}", f"{big_rss:.1f} MiB", big_rss <= 40),
        (f"peak RSS at {big.letters:,} within 10% of {big_small.letters:,} ({big_small.label})",
         f"{big_rss:.1f} vs {small_rss:.1f} MiB ({growth:+.0%})", growth <= 0.1),
    ]


def ledger_targets(huge_send, huge_rows, big_send):
    """Issue 19's targets: the no-op send and status --json of HUGE_ROWS, and the first send's peak RSS."""
    goals = []
    for tool in huge_rows:
        rss = mib(max(tool.rss_kib))
        goals.append((f"{tool.name} <= 10 s and <= 100 MiB", f"{tool.median:.2f} s, {rss:.1f} MiB",
                      tool.median <= 10 and rss <= 100))
    if huge_send and big_send:
        huge_rss, big_rss = mib(max(huge_send.rss_kib)), mib(max(big_send.rss_kib))
        growth = huge_rss / big_rss - 1
        goals.append((f"first send of {huge_send.letters:,}: peak RSS <= 1.1x that of {big_send.letters:,}",
                      f"{huge_rss:.1f} vs {big_rss:.1f} MiB ({growth:+.0%})", growth <= 0.1))
    return goals


def describe(command):
    """A command's first output line, or None if it cannot run (for the record in results.json)."""
    try:
        result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=30)
        return (result.stdout or result.stderr).strip().splitlines()[0]
    except (OSError, IndexError, subprocess.TimeoutExpired):
        return None


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--herald", required=True, help="the herald binary (a release build)")
    parser.add_argument("--bare-client", required=True, help="Benchmarks/bare_client.c, compiled")
    parser.add_argument("--rows", type=int, default=10000, help="letters per run (default 10000)")
    parser.add_argument("--big-rows", type=int, default=100000, help="letters of the peak RSS run (default 100000)")
    parser.add_argument("--big-budget", type=float, default=180,
                        help="send BIG_ROWS only if the ROWS runs say it takes at most this many seconds (default 180)")
    parser.add_argument("--huge-rows", type=int, default=1_000_000,
                        help="letters of the ledger-at-scale campaign, sent once then read (default 1000000; 0: left out)")
    parser.add_argument("--baseline-herald", help="another herald binary (a release build of an earlier commit) for an A/B table")
    parser.add_argument("--baseline-label", default="baseline", help="what to call it in the A/B table (its commit)")
    parser.add_argument("--runs", type=int, default=3, help="rounds; the table takes each tool's median (default 3)")
    parser.add_argument("--out", default=".build-bench", help="working folder; results.json goes here")
    args = parser.parse_args()
    if args.runs < 1 or args.rows < 4:
        fail("--runs must be at least 1 and --rows at least 4 (one letter per connection at concurrency 4)")

    started, load_before = time.monotonic(), os.getloadavg()[0]
    # make and kill send SIGTERM; exit through `finally`, which stops smtp-sink.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    herald, bare_client, out = os.path.abspath(args.herald), os.path.abspath(args.bare_client), os.path.abspath(args.out)
    baseline = os.path.abspath(args.baseline_herald) if args.baseline_herald else None
    logs = os.path.join(out, "logs")
    os.makedirs(logs, exist_ok=True)
    sink = Sink(out)
    try:
        campaign_dir = os.path.join(out, "campaign")
        make_campaign(args.rows, campaign_dir, sink.port, 1, 4)
        letter = pick_letter(herald, out, sink.port)
        print(f"smtp-sink on {sink.url}; {args.rows:,} letters, the bare client's is "
              f"{os.path.basename(letter)} ({os.path.getsize(letter):,} bytes)", file=sys.stderr)
        rows = tools(herald, bare_client, campaign_dir, out, args.rows, sink, letter)
        if baseline:
            rows += baseline_tools(baseline, campaign_dir, out, args.rows)
        for round_number in range(1, args.runs + 1):
            for tool in rows:
                run(tool, sink, logs)
                connections = f", {tool.connections[-1]} connections" if tool.sends else ""
                print(f"  round {round_number}/{args.runs}  {tool.label}: {tool.seconds[-1]:.2f} s, "
                      f"{mib(tool.rss_kib[-1]):.1f} MiB{connections}", file=sys.stderr)

        # Peak RSS at BIG_ROWS: a send at concurrency 4 if the ROWS median says it fits the budget.
        big_dir = os.path.join(out, f"campaign-{args.big_rows}")
        make_campaign(args.big_rows, big_dir, sink.port, 4)
        send4 = find(rows, "herald send", 4)
        estimate = send4.median * args.big_rows / args.rows
        if estimate <= args.big_budget:
            big = herald_send(herald, big_dir, args.big_rows, 4, name=f"herald send {args.big_rows:,}")
            big_small = send4
        else:
            print(f"  herald send of {args.big_rows:,} would take about {estimate:.0f} s (over --big-budget "
                  f"{args.big_budget:.0f} s): validate instead", file=sys.stderr)
            big = herald_validate(herald, big_dir, args.big_rows, name=f"herald validate {args.big_rows:,}")
            big_small = find(rows, "herald validate")
        run(big, sink, logs)
        print(f"  {big.label}: {big.seconds[-1]:.2f} s, {mib(big.rss_kib[-1]):.1f} MiB", file=sys.stderr)
        extra, pairs = [], []

        def once(tool):
            run(tool, sink, logs)
            extra.append(tool)
            print(f"  {tool.label}: {tool.seconds[-1]:.2f} s, {mib(tool.rss_kib[-1]):.1f} MiB", file=sys.stderr)
            return tool

        def ledger_rows(campaign, letters):
            found = [once(tool) for tool in ledger_tools(herald, campaign, letters)]
            if baseline:
                for tool, other in zip(found, ledger_tools(baseline, campaign, letters, prefix="baseline")):
                    pairs.append((tool.name.removeprefix("herald "), tool, once(other)))
            return found

        # The ledger at scale: the big campaign's log is fully sent now (when it was sent).
        if big.sends:
            if baseline:
                # The other binary's peak-RSS send, then the log it leaves is sent again by both.
                other = once(herald_send(baseline, big_dir, args.big_rows, 4, name=f"baseline send {args.big_rows:,}"))
                pairs.append((f"send {args.big_rows:,} c4 (peak RSS)", big, other))
            ledger_rows(big_dir, args.big_rows)
        huge_send, huge_rows = None, []
        if args.huge_rows > 0:
            huge_dir = os.path.join(out, f"campaign-{args.huge_rows}")
            make_campaign(args.huge_rows, huge_dir, sink.port, 4)
            started_huge = time.monotonic()
            huge_send = once(herald_send(herald, huge_dir, args.huge_rows, 4, name=f"herald send {args.huge_rows:,}"))
            print(f"  a fully-sent log of {args.huge_rows:,} letters written by a first send in "
                  f"{time.monotonic() - started_huge:.0f} s", file=sys.stderr)
            huge_rows = ledger_rows(huge_dir, args.huge_rows)
    finally:
        sink.stop()

    bare = {tool.concurrency: tool for tool in rows if tool.name == "bare libcurl client"}
    source1, mailmerge = find(rows, "smtp-source", 1), find(rows, "mailmerge", 1)
    mailmerge_dry = find(rows, "mailmerge --dry-run")
    goals = targets(rows, big, big_small) + ledger_targets(huge_send, huge_rows, big if big.sends else None)
    elapsed, load_after = time.monotonic() - started, os.getloadavg()[0]

    print(f"{args.rows:,} letters of ~{os.path.getsize(letter) / 1000:.1f} KB to smtp-sink on loopback, "
          f"median of {args.runs} interleaved rounds ({big.label}: 1 run); letters/s from the median; "
          f"{os.cpu_count()} CPUs, load average {load_before:.1f} before, {load_after:.1f} after")
    print(table(rows + [big] + extra, bare, source1, mailmerge, mailmerge_dry))
    print("vs bare: letters/s over the bare libcurl client's at the same concurrency; vs mailmerge: over "
          "mailmerge's send for senders, over mailmerge --dry-run for the tools that do not send. "
          "CPU s: the tool's own user + system seconds (median), steadier than wall time on a busy machine. "
          "connections: sessions smtp-sink counted (smtp-source and mailmerge open one per letter).")
    dkim_lines, dkim_figures = dkim_report(rows, mailmerge)
    print("\nDKIM signing (issue 11), what it costs per letter:")
    print("\n".join(dkim_lines))
    if baseline:
        rounds = [(tool.label.removeprefix("baseline "), find(rows, "herald" + tool.name.removeprefix("baseline"), tool.concurrency), tool)
                  for tool in rows if tool.name.startswith("baseline ")]
        pairs = rounds + pairs
        print(f"\nA/B against {args.baseline_label} ({args.baseline_herald}), same rounds, same machine; "
              "change: now over the baseline (negative is faster or smaller)")
        print(ab_table(pairs, args.baseline_label))
    print("\ntargets (issues 10 and 19, durability on, this run)")
    width = max(len(goal) for goal, _, _ in goals)
    for goal, measured, met in goals:
        print(f"  {goal.ljust(width)}  {measured:>28}  {'met' if met else 'NOT MET'}")
    print(f"\nbench took {elapsed:.0f} s; figures in {os.path.join(args.out, 'results.json')}")

    results = {
        "rows": args.rows, "runs": args.runs, "letter_bytes": os.path.getsize(letter), "seconds_total": round(elapsed, 1),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                    "load_average_1min": {"before": round(load_before, 2), "after": round(load_after, 2)}},
        "versions": {"herald": describe([herald, "--version"]), "git": describe(["git", "describe", "--always", "--dirty"]),
                     "libcurl": describe(["pkg-config", "--modversion", "libcurl"]),
                     "mailmerge": describe(MAILMERGE + ["--version"])},
        "tools": [{"name": tool.name, "concurrency": tool.concurrency, "letters": tool.letters,
                   "seconds": [round(s, 3) for s in tool.seconds], "median_seconds": round(tool.median, 3),
                   "letters_per_second": round(tool.rate, 1), "peak_rss_kib": tool.rss_kib,
                   "cpu_seconds": tool.cpu_seconds,
                   "connections": tool.connections or None,
                   "vs_bare": rounded(vs_bare(tool, bare)), "vs_smtp_source_1": rounded(ratio(tool, source1)),
                   "vs_mailmerge": rounded(vs_mailmerge(tool, mailmerge, mailmerge_dry))}
                  for tool in rows + [big] + extra],
        "targets": [{"target": goal, "measured": measured, "met": met} for goal, measured, met in goals],
        "dkim": dkim_figures,
        "baseline": {"herald": args.baseline_herald, "label": args.baseline_label} if baseline else None,
    }
    with open(os.path.join(out, "results.json"), "w", encoding="utf-8") as handle:
        json.dump(results, handle, indent=2)
        handle.write("\n")


if __name__ == "__main__":
    main()
