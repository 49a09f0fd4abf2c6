#!/usr/bin/env python3
"""Outside oracle for Herald's bounce parser: the delivery-status fields of RFC 3464 reports.

Usage:
    python3 Tests/Support/dsn_fields.py FILE_OR_DIR...

A directory means every *.eml directly inside it, sorted by name. Each message is parsed
with Python's email package (policy.default), which does the MIME work: multipart
splitting, transfer decoding, header unfolding, and message/delivery-status parsing into
one block per group. For each file, on stdout, one JSON object in a JSON array:

    {"file", "message_id", "date", "report": bool,
     "recipients": [{"final_recipient", "original_recipient", "action", "status",
                     "diagnostic_code", "remote_mta"}],
     "returned_message_ids": [...], "referenced_message_ids": [...]}

"report" is true for multipart/report; report-type=delivery-status. "recipients" lists the
per-recipient groups (those with Final-Recipient or Action) of every message/delivery-status
part. Field values are the unfolded header values with their type prefix ("rfc822;",
"dns;") dropped for Final-Recipient, Original-Recipient and Remote-MTA; Final-Recipient is
lowercased; Action lowercased; Status up to its first space or "(". Values missing are null.
"returned_message_ids" come from text/rfc822-headers parts and message/rfc822 parts;
"referenced_message_ids" from In-Reply-To and References of the message itself.
"""

from __future__ import annotations

import email
import email.parser
import email.policy
import json
import os
import re
import sys


def typed(value):
    if value is None:
        return None
    value = str(value)
    if ";" in value:
        value = value.split(";", 1)[1]
    value = value.strip()
    if value.startswith("<") and value.endswith(">"):
        value = value[1:-1]
    return value


def ids(value):
    if value is None:
        return []
    return [m for m in re.findall(r"<[^<>\s]+@[^<>\s]+>", str(value))]


def raw(block, name):
    value = block.get(name)
    return None if value is None else str(value).strip()


def fields(path):
    with open(path, "rb") as handle:
        message = email.message_from_binary_file(handle, policy=email.policy.default)
    report = (message.get_content_type() == "multipart/report"
              and (message.get_param("report-type") or "").lower().endswith("delivery-status"))
    recipients, returned = [], []
    for part in message.walk():
        kind = part.get_content_type()
        if kind in ("message/delivery-status", "message/global-delivery-status") and report:
            for block in part.get_payload()[1:] if isinstance(part.get_payload(), list) else []:
                if block.get("Final-Recipient") is None and block.get("Action") is None:
                    continue
                final = typed(block.get("Final-Recipient"))
                action = raw(block, "Action")
                status = raw(block, "Status")
                recipients.append({
                    "final_recipient": final.lower() if final is not None else None,
                    "original_recipient": typed(block.get("Original-Recipient")),
                    "action": action.lower().split(" ")[0] if action is not None else None,
                    "status": re.split(r"[\s(]", status, 1)[0] if status is not None else None,
                    "diagnostic_code": raw(block, "Diagnostic-Code"),
                    "remote_mta": typed(block.get("Remote-MTA")),
                })
        elif kind in ("text/rfc822-headers", "text/rfc822-header"):
            headers = email.parser.HeaderParser(policy=email.policy.default).parsestr(part.get_content())
            for value in headers.get_all("Message-ID") or []:
                returned += ids(value)
        elif kind in ("message/rfc822", "message/global"):
            inner = part.get_payload()
            inner = inner[0] if isinstance(inner, list) else inner
            for value in inner.get_all("Message-ID") or []:
                returned += ids(value)
    referenced = []
    for name in ("In-Reply-To", "References"):
        for value in message.get_all(name) or []:
            referenced += ids(value)
    own = ids(message.get("Message-ID"))
    return {
        "file": os.path.basename(path),
        "message_id": own[0] if own else None,
        "date": next(("".join(v.splitlines()).strip()
                      for k, v in message.raw_items() if k.lower() == "date"), None),
        "report": report,
        "recipients": recipients,
        "returned_message_ids": returned,
        "referenced_message_ids": referenced,
    }


def main(argv):
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    paths = []
    for arg in argv:
        if os.path.isdir(arg):
            paths += sorted(os.path.join(arg, name) for name in os.listdir(arg) if name.endswith(".eml"))
        elif os.path.exists(arg):
            paths.append(arg)
        else:
            print(f"{arg}: no such file", file=sys.stderr)
            return 2
    json.dump([fields(path) for path in paths], sys.stdout, indent=1)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
