#!/usr/bin/env python3
"""Outside oracle for Herald's review manifest: recomputes, from manifest.json and the files
it names, every hash the manifest claims, with Python's hashlib and re alone.

  check_manifest.py PREVIEW_DIR

Checks each input file's SHA-256, each letter's SHA-256 (its .eml without a leading DKIM-Signature field, with the Date header's
value left out), and the manifest hash (SHA-256 of the lines README's "Review and approval"
defines). Prints one JSON object: {"ok": bool, "problems": [...], "manifest_sha256": "..."}.
"""
import hashlib
import json
import os
import re
import sys


def main():
    folder = sys.argv[1]
    with open(os.path.join(folder, "manifest.json"), encoding="utf-8") as handle:
        manifest = json.load(handle)
    problems = []
    lines = [manifest["format"], "campaign " + manifest["campaign"]]
    for entry in manifest["inputs"]:
        with open(entry["path"], "rb") as handle:
            actual = hashlib.sha256(handle.read()).hexdigest()
        if actual != entry["sha256"]:
            problems.append("input %s: %s in the manifest, %s on disk" % (entry["path"], entry["sha256"], actual))
        lines.append("input %s %s" % (entry["role"], entry["sha256"]))
    for letter in manifest["letters"]:
        with open(os.path.join(folder, letter["file"]), "rb") as handle:
            data = handle.read()
        # A DKIM-Signature field, first when the campaign signs, is left out like the date.
        signature = re.match(rb"DKIM-Signature:[^\r]*\r\n(?:[ \t][^\r]*\r\n)*", data)
        if signature:
            data = data[signature.end():]
        head, _, _ = data.partition(b"\r\n\r\n")
        match = re.search(rb"(?:^|\r\n)Date: ([^\r]*)\r\n", head)
        if not match:
            problems.append("%s: no Date header" % letter["file"])
            continue
        without = data[: match.start(1)] + data[match.end(1):]
        actual = hashlib.sha256(without).hexdigest()
        if actual != letter["sha256"]:
            problems.append("letter %s: %s in the manifest, %s from its file" % (letter["recipient"], letter["sha256"], actual))
        lines.append("letter %s %s %s" % (letter["sha256"], letter["recipient"], " ".join(letter["envelope"])))
    lines.append("count %d" % len(manifest["letters"]))
    if manifest["count"] != len(manifest["letters"]):
        problems.append("count %d, but %d letters" % (manifest["count"], len(manifest["letters"])))
    computed = hashlib.sha256("".join(line + "\n" for line in lines).encode("utf-8")).hexdigest()
    if computed != manifest["manifest_sha256"]:
        problems.append("manifest hash: %s in the manifest, %s recomputed" % (manifest["manifest_sha256"], computed))
    print(json.dumps({"ok": not problems, "problems": problems, "manifest_sha256": computed}))


if __name__ == "__main__":
    main()
