#!/usr/bin/env python3
"""Throwaway TLS certificates for Herald's STARTTLS tests.

Usage:
    python3 Tests/Support/make_certs.py OUTDIR

Writes into OUTDIR (created if missing; existing files are replaced):
    ca.pem                     a throwaway CA ("Herald Test CA")
    other-ca.pem               a second, unrelated CA ("Herald Other Test CA")
    good.pem / good.key        server cert signed by ca.pem;
                               SAN DNS:localhost, IP:127.0.0.1; valid now
    wrong-host.pem / .key      signed by ca.pem; SAN DNS:wrong.example only; valid now
    expired.pem / .key         signed by ca.pem; SAN DNS:localhost, IP:127.0.0.1;
                               validity ended yesterday

Keys are EC P-256 (fast to generate), signatures ECDSA with SHA-256. Key files
are PKCS#8 PEM, unencrypted, mode 0600. The CA private keys are never written:
nothing else can be signed with these CAs once the script exits.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import sys
from typing import List, Optional, Tuple

try:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
except ImportError:  # pragma: no cover - environment problem
    sys.stderr.write("make_certs.py: the 'cryptography' package is required "
                     "(pip install cryptography)\n")
    sys.exit(2)


def new_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def name(common_name: str) -> x509.Name:
    return x509.Name([
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Herald tests"),
        x509.NameAttribute(NameOID.COMMON_NAME, common_name),
    ])


def make_ca(common_name: str, now: datetime.datetime
            ) -> Tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = new_key()
    subject = name(common_name)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        # Starts well before the expired leaf's validity so every chain nests.
        .not_valid_before(now - datetime.timedelta(days=60))
        .not_valid_after(now + datetime.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=False, content_commitment=False, key_encipherment=False,
            data_encipherment=False, key_agreement=False, key_cert_sign=True,
            crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                       critical=False)
        .sign(key, hashes.SHA256())
    )
    return cert, key


def make_leaf(ca_cert: x509.Certificate, ca_key: ec.EllipticCurvePrivateKey,
              common_name: str, dns_names: List[str], ips: List[str],
              not_before: datetime.datetime, not_after: datetime.datetime
              ) -> Tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = new_key()
    san: List[x509.GeneralName] = [x509.DNSName(d) for d in dns_names]
    san += [x509.IPAddress(ipaddress.ip_address(a)) for a in ips]
    cert = (
        x509.CertificateBuilder()
        .subject_name(name(common_name))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=True, content_commitment=False, key_encipherment=False,
            data_encipherment=False, key_agreement=False, key_cert_sign=False,
            crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]),
                       critical=False)
        .add_extension(x509.SubjectAlternativeName(san), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                       critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
            ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    return cert, key


def write_file(path: str, data: bytes, mode: int) -> None:
    """Write `data` to `path` with permissions `mode`, via a temp file + rename
    so the file never exists with looser permissions or partial contents."""
    tmp = f"{path}.tmp.{os.getpid()}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        os.fchmod(fd, mode)  # the umask may have narrowed it; O_CREAT ignores it on reuse
        with os.fdopen(fd, "wb") as fh:
            fd = -1
            fh.write(data)
    finally:
        if fd >= 0:
            os.close(fd)
    os.replace(tmp, path)


def write_cert(outdir: str, stem: str, cert: x509.Certificate) -> None:
    write_file(os.path.join(outdir, f"{stem}.pem"),
               cert.public_bytes(serialization.Encoding.PEM), 0o644)


def write_key(outdir: str, stem: str, key: ec.EllipticCurvePrivateKey) -> None:
    write_file(os.path.join(outdir, f"{stem}.key"),
               key.private_bytes(serialization.Encoding.PEM,
                                 serialization.PrivateFormat.PKCS8,
                                 serialization.NoEncryption()), 0o600)


def generate(outdir: str, now: Optional[datetime.datetime] = None) -> None:
    now = now or datetime.datetime.now(datetime.timezone.utc)
    os.makedirs(outdir, exist_ok=True)

    ca_cert, ca_key = make_ca("Herald Test CA", now)
    other_cert, _ = make_ca("Herald Other Test CA", now)
    write_cert(outdir, "ca", ca_cert)
    write_cert(outdir, "other-ca", other_cert)

    valid = (now - datetime.timedelta(days=1), now + datetime.timedelta(days=365))
    leaves = {
        "good": ("localhost", ["localhost"], ["127.0.0.1"], valid),
        "wrong-host": ("wrong.example", ["wrong.example"], [], valid),
        "expired": ("localhost", ["localhost"], ["127.0.0.1"],
                    (now - datetime.timedelta(days=30), now - datetime.timedelta(days=1))),
    }
    for stem, (cn, dns, ips, (start, end)) in leaves.items():
        cert, key = make_leaf(ca_cert, ca_key, cn, dns, ips, start, end)
        write_key(outdir, stem, key)
        write_cert(outdir, stem, cert)


def main(argv: List[str]) -> int:
    if len(argv) != 1 or argv[0] in ("-h", "--help"):
        sys.stderr.write("usage: make_certs.py OUTDIR\n")
        return 0 if argv and argv[0] in ("-h", "--help") else 2
    try:
        generate(argv[0])
    except OSError as exc:
        sys.stderr.write(f"make_certs.py: {exc}\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
