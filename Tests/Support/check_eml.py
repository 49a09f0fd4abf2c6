#!/usr/bin/env python3
"""Strict oracle for messages composed by Herald.

Usage:
    python3 Tests/Support/check_eml.py FILE_OR_DIR...

A directory argument means every *.eml file directly inside it, sorted by
name. Each message is parsed with email.policy.strict (and, to gather every
problem rather than only the first, again with email.policy.default) and
checked against the rules Herald promises to follow: CRLF-only line endings,
RFC 5322 line-length limits, 7-bit headers with RFC 2047 encoded-words, the
required headers, no Bcc, and a body consistent with its
Content-Transfer-Encoding. The body is a single text/plain; charset=utf-8
part, or one of Herald's multipart shapes:
    multipart/alternative (text/plain, text/html), or
    multipart/mixed (text/plain or that alternative, then attachments),
each text part charset=utf-8, each attachment base64 with
Content-Disposition: attachment and a file name, every encoded line of every
part at most 76 characters, and no boundary inside any part's content.

Output (stdout): a JSON array with one object per file:
    {"file", "ok", "problems": [...], "subject", "from", "to",
     "to_display_name", "to_address", "message_id", "date", "content_type",
     "transfer_encoding", "body", "body_lf", "html", "parts"}
String fields are "" when the header is missing. "subject"/"from"/"to" are
decoded (encoded-words resolved); "content_type" is the bare lower-case MIME
type; "transfer_encoding" is the lower-case header value ("" if absent);
"body" is msg.get_content() (line endings as in the
message, normally CRLF), the text/plain part's for a multipart message;
"body_lf" is the same text with CRLF turned into LF; "html" is the text/html
part's text ("" when there is none); "parts" lists every leaf part in order:
{"content_type", "charset", "transfer_encoding", "disposition", "filename",
"data_base64"} (the decoded bytes, base64), empty for a single-part message.

Exit status: 0 if every file is ok, 1 if any file has a problem, 2 on a usage
error (no arguments, a path that does not exist, a directory with no .eml).
"""

from __future__ import annotations

import email.parser
import email.policy
import email.utils
import json
import os
import re
import sys
from typing import Dict, List, Optional, Tuple

REQUIRED_HEADERS = ["Date", "Message-ID", "MIME-Version", "Content-Type",
                    "From", "To", "Subject"]
# RFC 5322 section 3.6: at most one of each (plus MIME singletons).
SINGLETON_HEADERS = ["Date", "Message-ID", "MIME-Version", "Content-Type",
                     "Content-Transfer-Encoding", "From", "To", "Subject",
                     "Sender", "Reply-To", "Cc", "In-Reply-To", "References"]
KNOWN_CTES = {"7bit", "8bit", "binary", "quoted-printable", "base64"}

MAX_LINE = 998          # RFC 5322 2.1.1 MUST (octets, excluding CRLF)
MAX_HEADER_LINE = 78    # RFC 5322 2.1.1 SHOULD, enforced here for headers
MAX_ENCODED_LINE = 76   # RFC 2045 6.7 / 6.8 for quoted-printable and base64
MAX_ENCODED_WORD = 75   # RFC 2047 2

MESSAGE_ID_RE = re.compile(r"^<[^<>@\s]+@[^<>@\s]+>$")
ENCODED_WORD_RE = re.compile(rb"=\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=")


# --------------------------------------------------------------------------
# Helpers


def clean(value: object) -> str:
    """A str that is safe to emit as UTF-8 JSON (no lone surrogates)."""
    if value is None:
        return ""
    text = str(value)
    try:
        raw = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        raw = text.encode("utf-8", "replace")
    return raw.decode("utf-8", "replace")


def split_lines(data: bytes) -> List[Tuple[bytes, bytes]]:
    """Split into (content, terminator) pairs; terminator is one of
    b"\\r\\n", b"\\n", b"\\r" or b"" (for a final unterminated line)."""
    lines = []
    for m in re.finditer(rb"([^\r\n]*)(\r\n|\n|\r|\Z)", data):
        content, end = m.group(1), m.group(2)
        if not content and not end:
            if m.start() == len(data):
                break
        lines.append((content, end))
    return lines


def describe_lines(numbers: List[int]) -> str:
    shown = ", ".join(str(n) for n in numbers[:5])
    more = f", ... ({len(numbers)} total)" if len(numbers) > 5 else ""
    return f"line {shown}{more}" if len(numbers) == 1 else f"lines {shown}{more}"


def defect_text(defect: object) -> str:
    detail = str(defect).strip()
    name = type(defect).__name__
    return f"{name}: {detail}" if detail else name


# --------------------------------------------------------------------------
# Checks on raw bytes


def check_raw(data: bytes, problems: List[str]) -> Tuple[int, List[Tuple[bytes, bytes]]]:
    """Line-ending, line-length and header-encoding checks.

    Returns (index of the first body line, lines)."""
    lines = split_lines(data)

    bare_lf = [i + 1 for i, (_, end) in enumerate(lines) if end == b"\n"]
    bare_cr = [i + 1 for i, (_, end) in enumerate(lines) if end == b"\r"]
    if bare_lf:
        problems.append(f"bare LF line ending (not CRLF) on {describe_lines(bare_lf)}")
    if bare_cr:
        problems.append(f"bare CR (not followed by LF) on {describe_lines(bare_cr)}")
    if lines and lines[-1][1] == b"" and lines[-1][0]:
        problems.append(f"last line ({len(lines)}) is not terminated by CRLF")

    # Header block: everything up to the first empty line.
    body_start = len(lines)
    for i, (content, _) in enumerate(lines):
        if content == b"":
            body_start = i + 1
            break
    else:
        problems.append("no empty line separating the header block from the body")

    for i, (content, _) in enumerate(lines):
        if len(content) > MAX_LINE:
            problems.append(f"line {i + 1} is {len(content)} octets long "
                            f"(limit {MAX_LINE} excluding CRLF)")

    for i, (content, _) in enumerate(lines[:body_start]):
        if content == b"":
            continue
        name = content.split(b":", 1)[0].decode("ascii", "replace") \
            if content[:1] not in (b" ", b"\t") else "(continuation)"
        if len(content) > MAX_HEADER_LINE:
            problems.append(f"header line {i + 1} [{name}] is {len(content)} octets long "
                            f"(limit {MAX_HEADER_LINE})")
        bad = [b for b in content if b > 0x7F]
        if bad:
            problems.append(f"non-ASCII byte(s) in header line {i + 1} [{name}]: "
                            f"headers must be 7-bit (use RFC 2047 encoded-words)")
        if any(b < 0x20 and b != 0x09 for b in content):
            problems.append(f"control character in header line {i + 1} [{name}]")
        for word in ENCODED_WORD_RE.findall(content):
            if len(word) > MAX_ENCODED_WORD:
                problems.append(f"encoded-word of {len(word)} characters in header "
                                f"line {i + 1} (RFC 2047 limit {MAX_ENCODED_WORD})")
    return body_start, lines


def check_body_encoding(cte: str, body_lines: List[Tuple[bytes, bytes]],
                        first_line_number: int, problems: List[str]) -> None:
    # An absent Content-Transfer-Encoding means 7bit (RFC 2045 section 6.1).
    if cte and cte not in KNOWN_CTES:
        problems.append(f"unknown Content-Transfer-Encoding {cte!r}")
        return
    if cte == "binary":
        problems.append("Content-Transfer-Encoding binary is not allowed "
                        "(requires BINARYMIME)")
        return
    label = cte if cte else "7bit"
    long_lines: List[int] = []
    non_ascii: List[int] = []
    nul: List[int] = []
    for offset, (content, _) in enumerate(body_lines):
        n = first_line_number + offset
        if len(content) > MAX_LINE:
            long_lines.append(n)
        if any(b > 0x7F for b in content):
            non_ascii.append(n)
        if b"\x00" in content:
            nul.append(n)
    if label in ("7bit", "8bit"):
        if long_lines:
            problems.append(f"{label} body has {describe_lines(long_lines)} over "
                            f"{MAX_LINE} octets")
        if nul:
            problems.append(f"{label} body contains NUL on {describe_lines(nul)}")
        if label == "7bit" and non_ascii:
            problems.append(f"7bit body contains non-ASCII bytes on "
                            f"{describe_lines(non_ascii)}")
    else:  # quoted-printable / base64: output must be 7-bit, short lines
        if non_ascii:
            problems.append(f"{label} body contains non-ASCII bytes on "
                            f"{describe_lines(non_ascii)}")
        too_long = [first_line_number + k for k, (c, _) in enumerate(body_lines)
                    if len(c) > MAX_ENCODED_LINE]
        if too_long:
            problems.append(f"{label} body has {describe_lines(too_long)} over "
                            f"{MAX_ENCODED_LINE} characters")


# --------------------------------------------------------------------------
# Multipart messages


def text_of(part, problems: List[str], label: str) -> str:
    try:
        payload = part.get_payload(decode=True) or b""
        return payload.decode("utf-8", "strict")
    except UnicodeDecodeError as exc:
        problems.append(f"{label}: decoded text is not valid UTF-8: {exc}")
    except Exception as exc:
        problems.append(f"{label}: cannot decode: {defect_text(exc)}")
    return ""


def check_leaf(part, label: str, problems: List[str], boundaries: List[str]) -> Dict[str, object]:
    ctype = part.get_content_type()
    cte = str(part.get("Content-Transfer-Encoding", "")).strip().lower()
    disposition = part.get_content_disposition() or ""
    for defect in part.defects:
        problems.append(f"{label}: defect {defect_text(defect)}")
    check_part_headers(part, label, problems)
    for name, value in part.items():
        for defect in getattr(value, "defects", ()):
            problems.append(f"{label}: header {name}: defect {defect_text(defect)}")
    raw = part.get_payload(decode=False)
    if isinstance(raw, str):
        encoded_lines = raw.split("\n")
        if cte in ("quoted-printable", "base64"):
            long = [n + 1 for n, line in enumerate(encoded_lines) if len(line.rstrip("\r")) > MAX_ENCODED_LINE]
            if long:
                problems.append(f"{label}: {cte} {describe_lines(long)} over {MAX_ENCODED_LINE} characters")
        if any(ord(c) > 0x7F for c in raw):
            problems.append(f"{label}: non-ASCII characters in the encoded part (it must be 7-bit)")
        for boundary in boundaries:
            if boundary in raw:
                problems.append(f"{label}: the boundary {boundary!r} occurs in the part's content")
    if cte and cte not in KNOWN_CTES - {"binary", "8bit"}:
        problems.append(f"{label}: Content-Transfer-Encoding {cte!r} (expected 7bit, quoted-printable or base64)")
    data = part.get_payload(decode=True) or b""
    entry = {"content_type": ctype, "charset": clean(part.get_content_charset() or ""),
             "transfer_encoding": cte, "disposition": disposition,
             "filename": clean(part.get_filename() or ""),
             "data_base64": __import__("base64").b64encode(data).decode("ascii")}
    if disposition == "attachment":
        if cte != "base64":
            problems.append(f"{label}: an attachment is {cte or '7bit'}, expected base64")
        if not part.get_filename():
            problems.append(f"{label}: an attachment without a file name")
    else:
        if ctype not in ("text/plain", "text/html"):
            problems.append(f"{label}: {ctype} is not an attachment nor text/plain or text/html")
        if (part.get_content_charset() or "").lower() != "utf-8":
            problems.append(f"{label}: charset is {part.get_content_charset()!r}, expected utf-8")
        text_of(part, problems, label)
    return entry


def check_part_headers(part, label: str, problems: List[str]) -> None:
    """A part's header lines, as folded in the message: 7-bit, at most 78 octets."""
    for name, value in part.raw_items():
        for number, line in enumerate(f"{name}: {value}".replace("\r\n", "\n").split("\n")):
            if len(line) > MAX_HEADER_LINE:
                problems.append(f"{label}: header {name} line {number + 1} is {len(line)} octets long "
                                f"(limit {MAX_HEADER_LINE})")
            if any(ord(c) > 0x7F for c in line):
                problems.append(f"{label}: non-ASCII in header {name}")


def check_multipart(msg, result: Dict[str, object], problems: List[str]) -> None:
    boundaries = [str(p.get_boundary()) for p in msg.walk() if p.is_multipart() and p.get_boundary()]
    top = msg.get_content_type()
    children = msg.get_payload()

    def alternative(part, label: str) -> None:
        if part is not msg:
            check_part_headers(part, label, problems)
        kids = part.get_payload()
        types = [k.get_content_type() for k in kids]
        if types != ["text/plain", "text/html"]:
            problems.append(f"{label}: multipart/alternative holds {types}, expected text/plain then text/html")
        for n, kid in enumerate(kids):
            if kid.is_multipart():
                problems.append(f"{label}: nested multipart inside the alternative")
                continue
            entry = check_leaf(kid, f"{label}.{n + 1}", problems, boundaries)
            result["parts"].append(entry)
            if kid.get_content_type() == "text/plain" and not result["body"]:
                result["body"] = clean(text_of(kid, [], ""))
            if kid.get_content_type() == "text/html":
                result["html"] = clean(text_of(kid, [], ""))

    if top == "multipart/alternative":
        alternative(msg, "part 1")
    elif top == "multipart/mixed":
        for n, kid in enumerate(children):
            label = f"part {n + 1}"
            if n == 0:
                if kid.get_content_type() == "multipart/alternative":
                    alternative(kid, label)
                    continue
                if kid.get_content_type() != "text/plain" or kid.get_content_disposition() == "attachment":
                    problems.append(f"{label}: the first part of multipart/mixed is {kid.get_content_type()}, expected the letter (text/plain or multipart/alternative)")
                entry = check_leaf(kid, label, problems, boundaries)
                result["parts"].append(entry)
                result["body"] = clean(text_of(kid, [], ""))
                continue
            if kid.is_multipart():
                problems.append(f"{label}: an attachment that is multipart")
                continue
            if kid.get_content_disposition() != "attachment":
                problems.append(f"{label}: a part after the letter without Content-Disposition: attachment")
            result["parts"].append(check_leaf(kid, label, problems, boundaries))
    else:
        problems.append(f"multipart type {top!r} (expected multipart/alternative or multipart/mixed)")
    result["body_lf"] = str(result["body"]).replace("\r\n", "\n")


# --------------------------------------------------------------------------
# Checks on the parsed message


def check_file(path: str) -> Dict[str, object]:
    result: Dict[str, object] = {
        "file": path, "ok": False, "problems": [], "subject": "", "from": "",
        "to": "", "to_display_name": "", "to_address": "", "message_id": "",
        "date": "", "content_type": "", "transfer_encoding": "", "body": "",
        "body_lf": "", "html": "", "parts": [],
    }
    problems: List[str] = []
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError as exc:
        problems.append(f"cannot read file: {exc}")
        result["problems"] = problems
        return result
    if not data:
        problems.append("file is empty")
        result["problems"] = problems
        return result

    body_start, lines = check_raw(data, problems)

    # 1. The strict parse: raises on the first message-level defect.
    try:
        email.parser.BytesParser(policy=email.policy.strict).parsebytes(data)
    except Exception as exc:  # MessageDefect subclasses, or anything else
        problems.append(f"policy.strict parse failed: {defect_text(exc)}")

    # 2. A tolerant parse to collect every defect and the field values.
    try:
        msg = email.parser.BytesParser(policy=email.policy.default).parsebytes(data)
    except Exception as exc:
        problems.append(f"cannot parse message: {defect_text(exc)}")
        result["problems"] = problems
        return result

    for defect in msg.defects:
        problems.append(f"message defect: {defect_text(defect)}")

    headers: Dict[str, list] = {}
    for name, value in msg.items():
        headers.setdefault(name.lower(), []).append(value)
        for defect in getattr(value, "defects", ()):
            problems.append(f"header {name}: defect {defect_text(defect)}")

    def first(name: str):
        values = headers.get(name.lower())
        return values[0] if values else None

    for name in REQUIRED_HEADERS:
        if name.lower() not in headers:
            problems.append(f"missing required header {name}")
    for name in SINGLETON_HEADERS:
        count = len(headers.get(name.lower(), []))
        if count > 1:
            problems.append(f"header {name} appears {count} times (at most once)")
    if "bcc" in headers:
        problems.append("Bcc header present (must never be in the transmitted message)")

    # Date
    date = first("Date")
    if date is not None:
        result["date"] = clean(date)
        try:
            parsed = email.utils.parsedate_to_datetime(str(date))
            if parsed is None:
                raise ValueError("unparseable")
        except (TypeError, ValueError, IndexError) as exc:
            problems.append(f"Date {str(date)!r} is not parseable: {exc}")

    # Message-ID
    message_id = first("Message-ID")
    if message_id is not None:
        mid = re.sub(r"\s+", " ", str(message_id)).strip()
        result["message_id"] = clean(mid)
        if not MESSAGE_ID_RE.match(mid):
            problems.append(f"Message-ID {mid!r} is not of the form <left@right>")

    # MIME-Version
    mime_version = first("MIME-Version")
    if mime_version is not None:
        version = getattr(mime_version, "version", None)
        if version != "1.0":
            problems.append(f"MIME-Version is {str(mime_version)!r}, expected 1.0")

    # Content-Type
    content_type = first("Content-Type")
    if content_type is not None:
        ctype = getattr(content_type, "content_type", "") or ""
        result["content_type"] = clean(ctype)
        charset = (getattr(content_type, "params", {}) or {}).get("charset")
        if ctype.lower() in ("multipart/alternative", "multipart/mixed"):
            pass
        elif ctype.lower() != "text/plain":
            problems.append(f"Content-Type is {ctype!r}, expected text/plain")
        elif charset is None:
            problems.append("Content-Type has no charset parameter (expected utf-8)")
        elif str(charset).lower() != "utf-8":
            problems.append(f"Content-Type charset is {str(charset)!r}, expected utf-8")

    # Content-Transfer-Encoding
    cte_header = first("Content-Transfer-Encoding")
    cte = str(cte_header).strip().lower() if cte_header is not None else ""
    result["transfer_encoding"] = clean(cte)
    if msg.is_multipart():
        if cte and cte not in ("7bit", "8bit", "binary"):
            problems.append(f"a multipart message has Content-Transfer-Encoding {cte!r} (RFC 2045 6.4: 7bit, 8bit or binary)")
        check_body_encoding("7bit", lines[body_start:], body_start + 1, problems)
    else:
        check_body_encoding(cte, lines[body_start:], body_start + 1, problems)

    # Addresses and subject (decoded)
    subject = first("Subject")
    if subject is not None:
        result["subject"] = clean(subject)
    from_ = first("From")
    if from_ is not None:
        result["from"] = clean(from_)
        if not getattr(from_, "addresses", ()):
            problems.append("From has no address")
    to = first("To")
    if to is not None:
        result["to"] = clean(to)
        addresses = getattr(to, "addresses", ())
        if addresses:
            result["to_display_name"] = clean(addresses[0].display_name)
            result["to_address"] = clean(addresses[0].addr_spec)
            for addr in addresses:
                if "@" not in addr.addr_spec:
                    problems.append(f"To address {addr.addr_spec!r} has no domain")
        else:
            problems.append("To has no address")

    # Body
    if msg.is_multipart():
        check_multipart(msg, result, problems)
    else:
        try:
            result["body"] = clean(msg.get_content())
            result["body_lf"] = str(result["body"]).replace("\r\n", "\n")
        except Exception as exc:
            problems.append(f"cannot decode body: {defect_text(exc)}")
        try:
            payload = msg.get_payload(decode=True) or b""
            payload.decode("utf-8", "strict")
        except UnicodeDecodeError as exc:
            problems.append(f"decoded body is not valid UTF-8: {exc}")
        except Exception as exc:
            problems.append(f"cannot decode body payload: {defect_text(exc)}")

    result["problems"] = problems
    result["ok"] = not problems
    return result


# --------------------------------------------------------------------------
# Main


def expand(args: List[str]) -> Optional[List[str]]:
    files: List[str] = []
    for arg in args:
        if os.path.isdir(arg):
            found = sorted(name for name in os.listdir(arg)
                           if name.endswith(".eml")
                           and os.path.isfile(os.path.join(arg, name)))
            if not found:
                sys.stderr.write(f"check_eml.py: no .eml files in directory {arg}\n")
                return None
            files.extend(os.path.join(arg, name) for name in found)
        elif os.path.isfile(arg):
            files.append(arg)
        else:
            sys.stderr.write(f"check_eml.py: no such file or directory: {arg}\n")
            return None
    return files


def main(argv: List[str]) -> int:
    if not argv or any(a in ("-h", "--help") for a in argv):
        sys.stderr.write("usage: check_eml.py FILE_OR_DIR...\n")
        return 2 if not argv else 0
    files = expand(argv)
    if files is None:
        return 2
    results = [check_file(path) for path in files]
    out = json.dumps(results, indent=2, ensure_ascii=False) + "\n"
    sys.stdout.buffer.write(out.encode("utf-8"))
    sys.stdout.buffer.flush()
    for r in results:
        if not r["ok"]:
            sys.stderr.write(f"check_eml.py: {r['file']}: "
                             + "; ".join(r["problems"]) + "\n")
    return 0 if all(r["ok"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
