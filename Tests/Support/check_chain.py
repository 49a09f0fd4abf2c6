#!/usr/bin/env python3
"""Independent check of a Herald delivery log's hash chain (the oracle for `verify-log`).

Usage: python3 Tests/Support/check_chain.py LOG

Every non-blank line must be a JSON object whose "prev" is the SHA-256 (hex) of the
previous non-blank line's bytes (without the newline), the first line's "prev" 64
zeros. Prints the last line's SHA-256 and exits 0 when the chain holds; prints
"LINE: reason" and exits 1 at the first line that breaks it.
"""

import hashlib
import json
import sys


def main(path: str) -> int:
    previous = "0" * 64
    with open(path, "rb") as log:
        for number, raw in enumerate(log, start=1):
            line = raw[:-1] if raw.endswith(b"\n") else raw
            if not line.strip(b" \t"):
                continue
            record = json.loads(line)
            if record.get("prev") != previous:
                print(f"{number}: prev {record.get('prev')} is not {previous}")
                return 1
            previous = hashlib.sha256(line).hexdigest()
    print(previous)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
