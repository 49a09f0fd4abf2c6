#!/usr/bin/env python3
"""Outside oracle for Herald's review manifest: recomputes, from manifest.json and the files
it names, every hash the manifest claims, with Python's hashlib and re alone.

  check_manifest.py PREVIEW_DIR

Checks each input's SHA-256 (for the campaign: of its covered settings, rebuilt here from
the TOML with tomllib as README's "Review and approval" defines them, not of the file's
bytes), each attached file's SHA-256, each letter's SHA-256 (its .eml without a leading DKIM-Signature field, with the Date header's
value left out), and the manifest hash (SHA-256 of the lines README's "Review and approval"
defines). Prints one JSON object: {"ok": bool, "problems": [...], "manifest_sha256": "..."}.
"""
import hashlib
import json
import os
import re
import sys
import tomllib

DKIM_DEFAULT_HEADERS = ["From", "Sender", "Reply-To", "To", "Cc", "Subject", "Date", "Message-ID",
                        "MIME-Version", "Content-Type", "Content-Transfer-Encoding"]


def escaped(value):
    """A value on one line: '%', C0 controls and DEL as %XX."""
    return re.sub(r"[%\x00-\x1f\x7f]", lambda m: "%%%02X" % ord(m.group(0)), value)


def settings(path):
    """The campaign's covered settings, one line each, from its TOML."""
    with open(path, "rb") as handle:
        toml = tomllib.load(handle)
    lines = ["name " + escaped(toml["name"])]
    for key in ("schedule", "timezone"):
        if key in toml:
            lines.append("%s %s" % (key, escaped(toml[key])))
    lines.append("allow_duplicates " + ("true" if toml.get("allow_duplicates", False) else "false"))
    for column in toml.get("address_columns", []):
        lines.append("address_column " + escaped(column))
    lines.append("verp " + ("true" if toml.get("bounces", {}).get("verp", False) else "false"))
    if "dkim" in toml:
        dkim = toml["dkim"]
        lines.append("dkim_domain " + escaped(dkim["domain"].encode("idna").decode("ascii")))
        lines.append("dkim_selector " + escaped(dkim["selector"]))
        lines.append("dkim_algorithm " + dkim.get("algorithm", "rsa-sha256").lower())
        for header in dkim.get("headers", DKIM_DEFAULT_HEADERS):
            lines.append("dkim_header " + escaped(header))
    html = toml.get("html", {})
    if "language" in html:
        lines.append("html_language " + escaped(html["language"]))
    if html.get("remote_images", False):
        lines.append("html_remote_images true")
    return lines


def file_hash(path):
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()


def main():
    folder = sys.argv[1]
    with open(os.path.join(folder, "manifest.json"), encoding="utf-8") as handle:
        manifest = json.load(handle)
    problems = []
    lines = [manifest["format"], "campaign " + manifest["campaign"]]
    if manifest["format"] != "herald-manifest/2":
        problems.append("format %r, not herald-manifest/2" % manifest["format"])
    for entry in manifest["inputs"]:
        if entry["role"] == "campaign":
            covered = settings(entry["path"])
            if covered != entry.get("settings"):
                problems.append("campaign settings: %r in the manifest, %r from the TOML" % (entry.get("settings"), covered))
            text = "".join(line + "\n" for line in ["herald-campaign/1"] + covered)
            actual = hashlib.sha256(text.encode("utf-8")).hexdigest()
        else:
            actual = file_hash(entry["path"])
        if actual != entry["sha256"]:
            problems.append("input %s: %s in the manifest, %s on disk" % (entry["path"], entry["sha256"], actual))
        lines.append("input %s %s" % (entry["role"], entry["sha256"]))
    for entry in manifest.get("attachments", []):
        actual = file_hash(entry["path"])
        if actual != entry["sha256"]:
            problems.append("attachment %s: %s in the manifest, %s on disk" % (entry["path"], entry["sha256"], actual))
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
