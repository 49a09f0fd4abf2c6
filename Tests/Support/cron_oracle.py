#!/usr/bin/env python3
"""croniter as the outside oracle for Herald's cron schedules.

Reads a JSON list on stdin (or from the file named by the only argument):
    [{"expr": "30 2 * * *", "tz": "Europe/Brussels", "start": "2026-03-28T12:00:00Z", "count": 5}, ...]
and prints, for each case in order, croniter's next `count` firing times after `start`
as RFC 3339 UTC strings:
    [["2026-03-29T01:00:00Z", ...], ...]

Each case runs `croniter(expr, start.astimezone(ZoneInfo(tz))).get_next(datetime)`
`count` times. A list is shorter than `count` when croniter finds no further time
(CroniterBadDateError, e.g. "0 0 30 2 *"). Any other failure, such as croniter rejecting
the expression, is an error: it is reported on stderr with the case, and the exit status is 1.
"""
import json
import sys
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from croniter import croniter
from croniter.croniter import CroniterBadDateError


def firings(case):
    zone = ZoneInfo(case["tz"])
    start = datetime.fromisoformat(case["start"]).astimezone(zone)
    iterator = croniter(case["expr"], start)
    result = []
    for _ in range(int(case["count"])):
        try:
            moment = iterator.get_next(datetime)
        except CroniterBadDateError:
            break
        result.append(moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"))
    return result


def main():
    if len(sys.argv) > 1:
        with open(sys.argv[1], encoding="utf-8") as source:
            cases = json.load(source)
    else:
        cases = json.load(sys.stdin)
    output = []
    for index, case in enumerate(cases):
        try:
            output.append(firings(case))
        except Exception as error:  # noqa: BLE001 - every failure is reported with its case
            print(f"case {index} {json.dumps(case)}: {type(error).__name__}: {error}", file=sys.stderr)
            return 1
    json.dump(output, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
