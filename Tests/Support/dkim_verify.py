#!/usr/bin/env python3
"""DKIM oracle for Herald's tests: dkimpy verifies, Python's `cryptography` makes keys.

Usage:
    python3 Tests/Support/dkim_verify.py verify --key PRIVATE_PEM --domain D --selector S FILE...
    python3 Tests/Support/dkim_verify.py genkey --type rsa|rsa1024|ed25519|ec --format pkcs8|pkcs1|encrypted --out FILE

verify: the public half of PRIVATE_PEM (derived here, with `cryptography`, not by Herald)
is served as the TXT record `S._domainkey.D` through dkimpy's `dnsfunc` hook; every other
name has no record. Each FILE (raw message bytes) is verified with dkimpy's `DKIM.verify`.
Output (stdout): a JSON array, one object per file:
    {"file", "ok", "error", "looked_up", "tags": {tag: value}, "signed_headers": [names]}
"error" is dkimpy's reason when the signature does not verify ("" when it does);
"looked_up" lists the DNS names dkimpy asked for; "tags" are the first DKIM-Signature's
tags, as dkimpy parsed them, all whitespace removed (folding carries no meaning in them).
Exit status: 0 if every file verifies, 1 if any does not, 2 on a usage error.

genkey: writes a new private key, mode 0600: RSA 2048 (rsa), RSA 1024 (rsa1024),
Ed25519 (ed25519) or P-256 (ec, a kind DKIM does not sign with), as PKCS #8 (`PRIVATE KEY`),
PKCS #1 (`RSA PRIVATE KEY`, RSA only) or encrypted PKCS #8 (`ENCRYPTED PRIVATE KEY`).
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import sys

import dkim
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa


def public_record(private_pem: bytes) -> bytes:
    """The TXT record (v=DKIM1; k=…; p=…) for the private key in `private_pem`."""
    key = serialization.load_pem_private_key(private_pem, password=None)
    if isinstance(key, rsa.RSAPrivateKey):
        der = key.public_key().public_bytes(serialization.Encoding.DER,
                                            serialization.PublicFormat.SubjectPublicKeyInfo)
        return b"v=DKIM1; k=rsa; p=" + base64.b64encode(der)
    if isinstance(key, ed25519.Ed25519PrivateKey):
        raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return b"v=DKIM1; k=ed25519; p=" + base64.b64encode(raw)
    raise SystemExit(f"dkim_verify.py: unsupported key type {type(key).__name__}")


def text(value: object) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def verify(args: argparse.Namespace) -> int:
    with open(args.key, "rb") as handle:
        record = public_record(handle.read())
    wanted = f"{args.selector}._domainkey.{args.domain}".lower().rstrip(".")
    results = []
    for path in args.files:
        looked_up = []

        def dnsfunc(name, timeout=5):
            name = text(name).lower().rstrip(".")
            looked_up.append(name)
            return record if name == wanted else None

        with open(path, "rb") as handle:
            message = handle.read()
        result = {"file": path, "ok": False, "error": "", "looked_up": looked_up, "tags": {}, "signed_headers": []}
        checker = dkim.DKIM(message, minkey=1024)
        try:
            result["ok"] = bool(checker.verify(dnsfunc=dnsfunc))
            if not result["ok"]:
                result["error"] = "signature did not verify"
        except dkim.DKIMException as error:
            result["error"] = f"{type(error).__name__}: {error}"
        except Exception as error:  # anything dkimpy raises on a malformed message
            result["error"] = f"{type(error).__name__}: {error}"
        signatures = [value for name, value in checker.headers if name.lower() == b"dkim-signature"]
        if signatures:
            try:
                tags = dkim.util.parse_tag_value(signatures[0])
                result["tags"] = {text(k): re.sub(r"\s+", "", text(v)) for k, v in tags.items()}
            except Exception as error:
                result["error"] = result["error"] or f"unparseable signature: {error}"
        result["signed_headers"] = [text(name) for name, _ in (checker.signed_headers or [])]
        results.append(result)
    sys.stdout.write(json.dumps(results, indent=2) + "\n")
    return 0 if all(r["ok"] for r in results) else 1


def genkey(args: argparse.Namespace) -> int:
    if args.type == "rsa":
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    elif args.type == "rsa1024":
        key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    elif args.type == "ed25519":
        key = ed25519.Ed25519PrivateKey.generate()
    else:
        key = ec.generate_private_key(ec.SECP256R1())
    if args.format == "pkcs1":
        form, protection = serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    elif args.format == "encrypted":
        form, protection = serialization.PrivateFormat.PKCS8, serialization.BestAvailableEncryption(b"passphrase")
    else:
        form, protection = serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    pem = key.private_bytes(serialization.Encoding.PEM, form, protection)
    descriptor = os.open(args.out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(pem)
    os.chmod(args.out, 0o600)
    return 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("verify")
    check.add_argument("--key", required=True)
    check.add_argument("--domain", required=True)
    check.add_argument("--selector", required=True)
    check.add_argument("files", nargs="+")
    make = commands.add_parser("genkey")
    make.add_argument("--type", choices=["rsa", "rsa1024", "ed25519", "ec"], required=True)
    make.add_argument("--format", choices=["pkcs8", "pkcs1", "encrypted"], default="pkcs8")
    make.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    return verify(args) if args.command == "verify" else genkey(args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
