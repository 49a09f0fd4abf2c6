#!/usr/bin/env python3
"""Loopback SMTP sink for Herald's integration tests and `make demo`.

Listens on 127.0.0.1 only, stores every accepted message byte-for-byte, and
can inject faults (rejected recipients, transient DATA failures, refused
greetings, slow replies).

Usage:
    python3 Tests/Support/smtp_server.py --store DIR --ready-file FILE
        [--port N] [--rcpt-reply ADDR=SPEC]... [--mail-reply SPEC]
        [--data-reply SPEC] [--greeting-reply SPEC] [--data-delay SECONDS]
        [--smtputf8] [--hostname NAME] [--idle-timeout SECONDS]
        [--tls-cert FILE --tls-key FILE [--require-tls]] [--auth USER:PASSWORD]
        [--size-limit BYTES] [--data-hold FILE]

SPEC is `CODE` (always), or `CODExN` (the first N times, then behave
normally), optionally followed by `:TEXT` to replace the default reply text,
e.g. `550`, `451x2`, `554x1:5.7.1 Go away`. CODE must be 4xx or 5xx.

Security options (all off by default; then neither STARTTLS nor AUTH is offered):
    --tls-cert FILE --tls-key FILE   offer STARTTLS with this certificate chain
                                     and key (PEM); `make_certs.py` makes some
    --require-tls                    refuse everything but EHLO/NOOP/QUIT/STARTTLS
                                     before STARTTLS (530); needs --tls-cert
    --auth USER:PASSWORD             offer AUTH PLAIN and LOGIN, accept only this
                                     pair (535 5.7.8 otherwise) and refuse MAIL/RCPT/
                                     DATA before a successful AUTH (530 5.7.0).
                                     AUTH is allowed in clear text unless
                                     --require-tls is also given.
The password is never written anywhere (log lines show the user name only).

Files written into the store directory:
    000001.eml, 000002.eml, ...  raw message bytes exactly as received
                                 (after dot-unstuffing; CRLF preserved)
    index.jsonl                  one JSON object per stored message:
        {"file", "mail_from", "rcpt_tos", "message_id", "connection",
         "mail_options", "queue_id",
         "tls",        true if the session had done STARTTLS
         "auth_user"}  the AUTH user name, or null
    stats.json                   {"connections": N, "messages": M}, rewritten
                                 atomically on every new connection / message
    commands.log                 one line per command received: "CONN VERB"
                                 (the verb only, never its arguments: AUTH's
                                 hold credentials), so a test can assert that a
                                 client never sent MAIL

The ready file receives the listening port ("2525\\n") once the server is
accepting connections; it is written atomically (temp file + rename).

The server runs its own asyncio loop in the main thread (no aiosmtpd
Controller), so there is no self-test connection to discount. SIGTERM and
SIGINT stop it cleanly with exit status 0.
"""

from __future__ import annotations

import argparse
import asyncio
import email.parser
import email.policy
import hmac
import json
import logging
import os
import re
import signal
import ssl
import sys
import time
import warnings
from dataclasses import dataclass, field
from typing import Dict, List, Optional

try:
    from aiosmtpd.smtp import (SMTP, AuthResult, Envelope, LoginPassword, Session,
                               TLSSetupException, syntax)
except ImportError:  # pragma: no cover - environment problem
    sys.stderr.write("smtp_server.py: the 'aiosmtpd' package is required "
                     "(pip install aiosmtpd)\n")
    sys.exit(2)


# --------------------------------------------------------------------------
# Logging


def log(message: str) -> None:
    now = time.time()  # one reading, so the seconds and milliseconds agree
    stamp = time.strftime("%H:%M:%S", time.localtime(now))
    frac = int((now % 1) * 1000)
    sys.stderr.write(f"[smtp-sink {stamp}.{frac:03d}] {message}\n")
    sys.stderr.flush()


# --------------------------------------------------------------------------
# Fault specifications

SPEC_RE = re.compile(r"^(?P<code>[45]\d\d)(?:x(?P<count>\d+))?(?::(?P<text>.*))?$")


@dataclass
class FaultRule:
    """Reply `code` instead of the normal answer, `remaining` more times
    (None = forever). `text` overrides the stage's default reply text."""

    code: int
    remaining: Optional[int]
    text: Optional[str] = None
    spec: str = ""

    @classmethod
    def parse(cls, spec: str) -> "FaultRule":
        m = SPEC_RE.match(spec.strip())
        if not m:
            raise ValueError(
                f"bad reply SPEC {spec!r}: expected CODE or CODExN "
                f"(CODE 400-599), optionally followed by :TEXT")
        count = m.group("count")
        return cls(code=int(m.group("code")),
                   remaining=None if count is None else int(count),
                   text=m.group("text"),
                   spec=spec.strip())

    def fire(self) -> bool:
        """Consume one use of the rule. True if it applies this time."""
        if self.remaining is None:
            return True
        if self.remaining > 0:
            self.remaining -= 1
            return True
        return False

    def reply(self, default_text: str) -> str:
        return f"{self.code} {self.text if self.text is not None else default_text}"


def default_text(stage: str, code: int, address: str = "") -> str:
    """Reply text (after the code) used when a rule has no explicit :TEXT."""
    transient = code < 500
    if stage == "greeting":
        return ("4.3.2 Service not available" if transient
                else "5.3.2 No SMTP service here")
    if stage == "mail":
        return ("4.3.0 Try again later" if transient
                else f"5.1.8 <{address}>: Sender address rejected")
    if stage == "rcpt":
        return ("4.3.0 Try again later" if transient
                else f"5.1.1 <{address}>: Recipient address rejected")
    if stage == "data":
        return ("4.3.0 Try again later" if transient
                else "5.7.1 Message rejected")
    return "4.3.0 Try again later" if transient else "5.5.0 Rejected"


@dataclass
class FaultPlan:
    """All fault rules; counters live for the whole process.

    To add a new fault: add a field here, fill it in `from_args`, and consult
    it from the relevant hook in `SinkHandler` / `SinkSMTP` via `check`.
    """

    greeting: Optional[FaultRule] = None
    mail: Optional[FaultRule] = None
    rcpt: Dict[str, FaultRule] = field(default_factory=dict)  # lower-cased address
    data: Optional[FaultRule] = None
    data_command: Optional[FaultRule] = None  # the reply to the DATA command itself (before 354)
    data_delay: float = 0.0
    data_hold: Optional[str] = None  # hold each reply to DATA until this file exists
    data_drop: int = 0  # close the connection after the body, without a reply, this many times

    @staticmethod
    def check(rule: Optional[FaultRule], stage: str, address: str = "") -> Optional[str]:
        """Return the fault reply to send now, or None to behave normally."""
        if rule is None or not rule.fire():
            return None
        return rule.reply(default_text(stage, rule.code, address))

    def rcpt_rule(self, address: str) -> Optional[FaultRule]:
        return self.rcpt.get(normalize_address(address))

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> "FaultPlan":
        plan = cls()
        if args.greeting_reply:
            plan.greeting = FaultRule.parse(args.greeting_reply)
        if args.mail_reply:
            plan.mail = FaultRule.parse(args.mail_reply)
        if args.data_reply:
            plan.data = FaultRule.parse(args.data_reply)
        if args.data_command_reply:
            plan.data_command = FaultRule.parse(args.data_command_reply)
        for item in args.rcpt_reply or []:
            m = re.match(r"^(?P<addr>.+)=(?P<spec>[45]\d\d(?:x\d+)?(?::.*)?)$", item)
            if not m:
                raise ValueError(f"bad --rcpt-reply {item!r}: expected ADDR=SPEC")
            plan.rcpt[normalize_address(m.group("addr"))] = FaultRule.parse(m.group("spec"))
        if args.data_delay < 0:
            raise ValueError("--data-delay must be >= 0")
        plan.data_delay = args.data_delay
        plan.data_hold = args.data_hold
        if args.data_drop < 0:
            raise ValueError("--data-drop must be >= 0")
        plan.data_drop = args.data_drop
        return plan

    def describe(self) -> str:
        parts = []
        if self.greeting:
            parts.append(f"greeting={self.greeting.spec}")
        if self.mail:
            parts.append(f"mail={self.mail.spec}")
        for addr, rule in self.rcpt.items():
            parts.append(f"rcpt[{addr}]={rule.spec}")
        if self.data:
            parts.append(f"data={self.data.spec}")
        if self.data_delay:
            parts.append(f"data-delay={self.data_delay}s")
        if self.data_drop:
            parts.append(f"data-drop={self.data_drop}")
        return ", ".join(parts) if parts else "none"


def normalize_address(address: str) -> str:
    address = address.strip()
    if address.startswith("<") and address.endswith(">"):
        address = address[1:-1]
    return address.lower()


# --------------------------------------------------------------------------
# Storage


def write_atomically(path: str, data: bytes) -> None:
    tmp = f"{path}.tmp.{os.getpid()}"
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
    os.replace(tmp, path)


def extract_message_id(content: bytes) -> Optional[str]:
    try:
        headers = email.parser.BytesParser(policy=email.policy.compat32).parsebytes(
            content, headersonly=True)
        value = headers.get("Message-ID")
        if value is None:
            return None
        value = re.sub(r"\r?\n[ \t]*", " ", str(value)).strip()
        return value or None
    except Exception:  # never let a malformed message break the sink
        return None


class Store:
    def __init__(self, directory: str):
        self.directory = directory
        os.makedirs(directory, exist_ok=True)
        # Never overwrite: continue numbering after any existing NNNNNN.eml.
        existing = [int(name[:-4]) for name in os.listdir(directory)
                    if re.fullmatch(r"\d{6,}\.eml", name)]
        self.next_number = max(existing, default=0) + 1
        self.connections = 0
        self.messages = 0
        self.index = open(os.path.join(directory, "index.jsonl"), "a", encoding="utf-8")
        self.commands = open(os.path.join(directory, "commands.log"), "a", encoding="ascii")
        self.write_stats()

    def new_connection(self) -> int:
        self.connections += 1
        self.write_stats()
        return self.connections

    def store(self, envelope: Envelope, connection: int, tls: bool = False,
              auth_user: Optional[str] = None) -> Dict[str, object]:
        number = self.next_number
        self.next_number += 1
        name = f"{number:06d}.eml"
        content = envelope.original_content
        if content is None:  # defensive; aiosmtpd always sets it
            content = envelope.content if isinstance(envelope.content, bytes) else b""
        write_atomically(os.path.join(self.directory, name), content)
        record = {
            "file": name,
            "mail_from": envelope.mail_from,
            "rcpt_tos": list(envelope.rcpt_tos),
            "message_id": extract_message_id(content),
            "connection": connection,
            "mail_options": list(envelope.mail_options),
            "queue_id": f"HERALD{number:06d}",
            "tls": tls,
            "auth_user": auth_user,
        }
        self.index.write(json.dumps(record) + "\n")
        self.index.flush()
        self.messages += 1
        self.write_stats()
        return record

    def command(self, connection: int, verb: str) -> None:
        """Notes one command's verb (never its arguments) in commands.log."""
        self.commands.write(f"{connection} {verb}\n")
        self.commands.flush()

    def write_stats(self) -> None:
        stats = {"connections": self.connections, "messages": self.messages}
        write_atomically(os.path.join(self.directory, "stats.json"),
                         (json.dumps(stats) + "\n").encode("ascii"))

    def close(self) -> None:
        self.index.close()
        self.commands.close()


# --------------------------------------------------------------------------
# STARTTLS and AUTH


class Credentials:
    """The one USER:PASSWORD pair --auth accepts. The password is compared and
    nothing else: it is never logged, stored, or put in a reply."""

    def __init__(self, user: str, password: str):
        self.user = user
        self._password = password.encode("utf-8")

    @classmethod
    def parse(cls, value: str) -> "Credentials":
        user, sep, password = value.partition(":")
        if not sep or not user or not password:
            # Deliberately does not echo the value: it holds the password.
            raise ValueError("--auth expects USER:PASSWORD (both non-empty)")
        return cls(user, password)

    def matches(self, login: bytes, password: bytes) -> bool:
        # Evaluate both comparisons (no short-circuit), in constant time.
        user_ok = hmac.compare_digest(login, self.user.encode("utf-8"))
        password_ok = hmac.compare_digest(password, self._password)
        return user_ok and password_ok

    def loggable_user(self, login: bytes) -> str:
        """The user name a client sent, for the log, unless it contains the
        password (a client that swapped or merged the two)."""
        if self._password in login:
            return "<redacted: contains the password>"
        return printable(login)

    def __repr__(self) -> str:
        return f"Credentials(user={self.user!r}, password=...)"


def printable(data: bytes) -> str:
    """A client-supplied value made safe for one log line."""
    text = data.decode("utf-8", errors="backslashreplace")
    return text if text.isprintable() else repr(text)[1:-1]


def tls_context(cert: str, key: str) -> ssl.SSLContext:
    """Server-side context: no client certificates, TLS 1.2+."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(certfile=cert, keyfile=key)
    return context


class _QuietAiosmtpd(logging.Filter):
    """Drop aiosmtpd warnings that are expected with our settings: every
    connection of a --auth server without --require-tls warns that AUTH is
    allowed in clear text, and every successful AUTH warns about aiosmtpd's own
    use of the deprecated Session.login_data."""

    EXPECTED = ("auth_required == True but auth_require_tls == False",
                "Session.login_data is deprecated")

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(self.EXPECTED)


def quiet_expected_aiosmtpd_warnings() -> None:
    logging.getLogger("mail.log").addFilter(_QuietAiosmtpd())
    warnings.filterwarnings("ignore", message="Requiring AUTH while not requiring TLS")


# --------------------------------------------------------------------------
# SMTP protocol + handler


class SinkHandler:
    """aiosmtpd handler hooks. `server` is the SinkSMTP for the connection."""

    # NB: aiosmtpd treats every handler attribute named handle_* as a hook and
    # every one named auth_* as an AUTH mechanism; name the others differently.

    def __init__(self, store: Store, faults: FaultPlan,
                 credentials: Optional[Credentials] = None):
        self.store = store
        self.faults = faults
        self.credentials = credentials

    async def handle_EHLO(self, server: "SinkSMTP", session: Session,
                          envelope: Envelope, hostname: str,
                          responses: List[str]) -> List[str]:
        # The new-style hook must record the client name itself.
        session.host_name = hostname
        if self.credentials is None:
            # aiosmtpd would advertise its (always failing) AUTH after STARTTLS.
            responses = [r for r in responses if not r[4:].upper().startswith("AUTH")]
        return responses

    def check_credentials(self, server: "SinkSMTP", session: Session,
                          envelope: Envelope, mechanism: str,
                          auth_data: object) -> AuthResult:
        """aiosmtpd `authenticator` for AUTH PLAIN and LOGIN."""
        if self.credentials is None or not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        server.attempt_user = self.credentials.loggable_user(auth_data.login)
        if self.credentials.matches(auth_data.login, auth_data.password):
            # Keep only the user name; the password goes no further.
            return AuthResult(success=True, auth_data=self.credentials.user)
        return AuthResult(success=False, handled=False)

    async def handle_MAIL(self, server: "SinkSMTP", session: Session,
                          envelope: Envelope, address: str,
                          mail_options: List[str]) -> str:
        fault = self.faults.check(self.faults.mail, "mail", address)
        if fault:
            log(f"conn#{server.serial} MAIL FROM:<{address}> {mail_options} -> {fault}")
            return fault
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        log(f"conn#{server.serial} MAIL FROM:<{address}> {mail_options} -> 250")
        return "250 2.1.0 Ok"

    async def handle_RCPT(self, server: "SinkSMTP", session: Session,
                          envelope: Envelope, address: str,
                          rcpt_options: List[str]) -> str:
        fault = self.faults.check(self.faults.rcpt_rule(address), "rcpt", address)
        if fault:
            log(f"conn#{server.serial} RCPT TO:<{address}> -> {fault}")
            return fault
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        log(f"conn#{server.serial} RCPT TO:<{address}> -> 250")
        return "250 2.1.5 Ok"

    async def handle_DATA(self, server: "SinkSMTP", session: Session,
                          envelope: Envelope) -> str:
        size = len(envelope.original_content or b"")
        if self.faults.data_drop > 0:
            self.faults.data_drop -= 1
            log(f"conn#{server.serial} DATA received ({size} bytes); dropping the "
                f"connection without a reply (not stored)")
            if server.transport is not None:
                server.transport.abort()
            # The transport is gone: this reply is never written.
            return "421 4.4.2 Connection dropped"
        fault = self.faults.check(self.faults.data, "data")
        if fault:
            reply = fault
            log(f"conn#{server.serial} DATA ({size} bytes) -> {fault} (not stored)")
        else:
            # Stored before any delay, as a real MTA queues the message before it replies:
            # a client that gives up waiting leaves a letter that did arrive (in doubt).
            auth_user = session.auth_data if session.authenticated else None
            record = self.store.store(envelope, server.serial,
                                      tls=session.ssl is not None,
                                      auth_user=auth_user)
            reply = f"250 2.0.0 Ok: queued as {record['queue_id']}"
            log(f"conn#{server.serial} DATA stored {record['file']} ({size} bytes) "
                f"from=<{record['mail_from']}> to={record['rcpt_tos']} "
                f"message_id={record['message_id']} tls={record['tls']} "
                f"auth_user={record['auth_user']}")
        if self.faults.data_delay > 0:
            log(f"conn#{server.serial} delaying the reply {self.faults.data_delay}s")
            await asyncio.sleep(self.faults.data_delay)
        if self.faults.data_hold and not os.path.exists(self.faults.data_hold):
            # A test's gate: the message is stored, the client waits for the reply until the
            # test has done what must happen while a letter is in flight.
            log(f"conn#{server.serial} holding the reply until {self.faults.data_hold} exists")
            while not os.path.exists(self.faults.data_hold):
                await asyncio.sleep(0.01)
        log(f"conn#{server.serial} DATA -> {reply}")
        return reply


class SinkSMTP(SMTP):
    """aiosmtpd SMTP protocol with connection numbering and greeting faults."""

    def __init__(self, handler: SinkHandler, registry: "set[SinkSMTP]", **kwargs):
        super().__init__(handler, **kwargs)
        self.sink = handler
        self.registry = registry
        self.serial = 0
        self.closed = False
        self.attempt_user: Optional[str] = None
        self.last_reply = ""
        # aiosmtpd dispatches each command through this table: note every verb on the way
        # (commands.log), so a test can tell which commands a client sent.
        for verb, method in list(self._smtp_methods.items()):
            self._smtp_methods[verb] = self._noting(verb, method)

    def _noting(self, verb: str, method):
        async def noted(arg: str) -> None:
            self.sink.store.command(self.serial, verb)
            await method(arg)
        return noted

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # connection_made also runs after STARTTLS on the same connection;
        # only count genuinely new TCP connections.
        is_new = self.transport is None
        super().connection_made(transport)
        if is_new:
            self.serial = self.sink.store.new_connection()
            self.registry.add(self)
            log(f"conn#{self.serial} opened from {transport.get_extra_info('peername')}")
        else:
            ssl_object = transport.get_extra_info("ssl_object")
            version = ssl_object.version() if ssl_object is not None else "?"
            cipher = transport.get_extra_info("cipher")
            log(f"conn#{self.serial} STARTTLS done ({version}, "
                f"{cipher[0] if cipher else '?'})")

    def connection_lost(self, error: Optional[Exception]) -> None:
        # After a failed TLS handshake aiosmtpd calls this itself, and then the
        # transport does too: log (and tidy up) once.
        if self.closed:
            return
        self.closed = True
        self.registry.discard(self)
        detail = f"{error}" if error is not None else ""
        if isinstance(error, TLSSetupException):
            detail = "TLS handshake failed"
        log(f"conn#{self.serial} closed" + (f" ({detail})" if detail else ""))
        super().connection_lost(error)

    def close_transports(self) -> None:
        """Close the connection (both layers after STARTTLS)."""
        for transport in (self.transport, self._original_transport):
            if transport is not None:
                transport.close()

    async def push(self, status) -> None:
        self.last_reply = status if isinstance(status, str) else status.decode("ascii", "replace")
        await super().push(status)

    async def handle_exception(self, error: Exception) -> str:
        if isinstance(error, TLSSetupException):
            cause = error.__cause__ or error
            log(f"conn#{self.serial} STARTTLS handshake failed: "
                f"{type(cause).__name__}: {cause}")
            return "454 4.7.0 TLS handshake failed"  # never sent: the connection closes
        return await super().handle_exception(error)

    @syntax("AUTH <mechanism>")
    async def smtp_AUTH(self, arg: str) -> None:
        # Log the mechanism, the user name and the reply code; never the rest of
        # the arguments (PLAIN's initial response holds the password).
        words = arg.split() if arg else []
        # (With --smtputf8 aiosmtpd decodes arguments with surrogateescape.)
        mechanism = printable(words[0].encode("utf-8", "surrogateescape")) if words else ""
        self.attempt_user = None
        self.last_reply = ""
        await super().smtp_AUTH(arg)
        user = self.attempt_user
        code = self.last_reply[:3]
        if code == "334":  # should not happen: the exchange ended without a reply
            code = "?"
        log(f"conn#{self.serial} AUTH {mechanism or '(none)'}"
            + (f" user={user}" if user is not None else "") + f" -> {code}")

    @syntax("DATA")
    async def smtp_DATA(self, arg: str) -> None:
        # A refusal of the DATA command itself (Postfix's smtpd_data_restrictions).
        if self.envelope is not None and self.envelope.rcpt_tos:
            fault = self.sink.faults.check(self.sink.faults.data_command, "data-command")
            if fault:
                log(f"conn#{self.serial} DATA command -> {fault}")
                await self.push(fault)
                return
        await super().smtp_DATA(arg)

    async def _handle_client(self) -> None:
        fault = self.sink.faults.check(self.sink.faults.greeting, "greeting")
        if fault:
            log(f"conn#{self.serial} greeting -> {fault}; closing")
            await self.push(fault)
            if self.transport is not None:
                self.transport.close()
            return
        await super()._handle_client()


# --------------------------------------------------------------------------
# Main


def parse_args(argv: List[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="smtp_server.py",
        description="Loopback SMTP sink with fault injection (Herald tests).")
    p.add_argument("--store", required=True, metavar="DIR",
                   help="directory for NNNNNN.eml, index.jsonl and stats.json")
    p.add_argument("--ready-file", required=True, metavar="FILE",
                   help="the listening port is written here once ready")
    p.add_argument("--port", type=int, default=0,
                   help="TCP port on 127.0.0.1 (0 = pick a free one; default)")
    p.add_argument("--rcpt-reply", action="append", default=[], metavar="ADDR=SPEC",
                   help="reply CODE to RCPT TO:<ADDR> (always, or the first N times)")
    p.add_argument("--mail-reply", metavar="SPEC",
                   help="reply CODE to MAIL FROM (always, or the first N times)")
    p.add_argument("--data-reply", metavar="SPEC",
                   help="reply CODE at end of DATA instead of storing")
    p.add_argument("--data-command-reply", metavar="SPEC",
                   help="reply CODE to the DATA command itself, instead of 354")
    p.add_argument("--greeting-reply", metavar="SPEC",
                   help="send CODE as the greeting and close the connection")
    p.add_argument("--data-delay", type=float, default=0.0, metavar="SECONDS",
                   help="wait this long before replying at end of DATA")
    p.add_argument("--data-hold", metavar="FILE", default=None,
                   help="hold each reply to DATA (the message already stored) until FILE exists")
    p.add_argument("--data-drop", type=int, default=0, metavar="N",
                   help="for the first N messages, close the connection after the "
                        "body without replying (the client cannot know the outcome)")
    p.add_argument("--smtputf8", action="store_true",
                   help="advertise and accept SMTPUTF8 (off by default)")
    p.add_argument("--hostname", default="herald-test.localhost",
                   help="name used in the 220 greeting and EHLO reply")
    p.add_argument("--idle-timeout", type=float, default=300.0, metavar="SECONDS",
                   help="close idle client connections after this long")
    p.add_argument("--tls-cert", metavar="FILE",
                   help="offer STARTTLS with this PEM certificate (chain); needs --tls-key")
    p.add_argument("--tls-key", metavar="FILE",
                   help="PEM private key for --tls-cert")
    p.add_argument("--require-tls", action="store_true",
                   help="refuse MAIL (and AUTH) before STARTTLS; needs --tls-cert")
    p.add_argument("--size-limit", type=int, default=None, metavar="BYTES",
                   help="announce SIZE BYTES in EHLO and refuse larger messages "
                        "(552 to MAIL FROM ... SIZE=, and at the end of DATA); "
                        "default aiosmtpd's 33554432")
    p.add_argument("--auth", metavar="USER:PASSWORD",
                   help="offer AUTH PLAIN/LOGIN, accept only this pair, and require "
                        "AUTH before MAIL (AUTH allowed without TLS unless --require-tls)")
    args = p.parse_args(argv)
    if not 0 <= args.port <= 65535:
        p.error("--port must be between 0 and 65535")
    if bool(args.tls_cert) != bool(args.tls_key):
        p.error("--tls-cert and --tls-key must be given together")
    if args.require_tls and not args.tls_cert:
        p.error("--require-tls needs --tls-cert and --tls-key")
    args.tls_context = None
    if args.tls_cert:
        try:
            args.tls_context = tls_context(args.tls_cert, args.tls_key)
        except (OSError, ssl.SSLError) as exc:
            p.error(f"cannot load --tls-cert/--tls-key: {exc}")
    args.credentials = None
    if args.auth is not None:
        try:
            args.credentials = Credentials.parse(args.auth)
        except ValueError as exc:
            p.error(str(exc))
        args.auth = None  # keep the password in one place only
    try:
        args.faults = FaultPlan.from_args(args)
    except ValueError as exc:
        p.error(str(exc))
    return args


def describe_security(args: argparse.Namespace) -> str:
    parts = []
    if args.tls_context is not None:
        parts.append(f"STARTTLS cert={args.tls_cert}"
                     + (" (required)" if args.require_tls else ""))
    else:
        parts.append("no STARTTLS")
    if args.credentials is not None:
        parts.append(f"AUTH PLAIN/LOGIN user={args.credentials.user} (required"
                     + (", after STARTTLS only)" if args.require_tls else ", clear text allowed)"))
    else:
        parts.append("no AUTH")
    return ", ".join(parts)


async def serve(args: argparse.Namespace) -> int:
    loop = asyncio.get_running_loop()
    store = Store(args.store)
    handler = SinkHandler(store, args.faults, args.credentials)
    active: "set[SinkSMTP]" = set()

    security: Dict[str, object] = {}
    if args.tls_context is not None:
        security.update(tls_context=args.tls_context, require_starttls=args.require_tls)
    if args.credentials is not None:
        quiet_expected_aiosmtpd_warnings()
        security.update(authenticator=handler.check_credentials,
                        auth_required=True,
                        auth_require_tls=args.require_tls)
    else:
        # No mechanism at all (handle_EHLO also drops the then empty AUTH line).
        security.update(auth_exclude_mechanism=["LOGIN", "PLAIN"])

    def factory() -> SinkSMTP:
        return SinkSMTP(handler, active,
                        hostname=args.hostname,
                        decode_data=False,
                        enable_SMTPUTF8=args.smtputf8,
                        timeout=args.idle_timeout,
                        loop=loop,
                        **({"data_size_limit": args.size_limit} if args.size_limit is not None else {}),
                        **security)

    server = await loop.create_server(factory, host="127.0.0.1", port=args.port)
    port = server.sockets[0].getsockname()[1]

    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)

    log(f"listening on 127.0.0.1:{port}; store={args.store}; "
        f"faults: {args.faults.describe()}")
    log("security: " + describe_security(args))
    write_atomically(args.ready_file, f"{port}\n".encode("ascii"))

    await stop.wait()
    log("signal received; shutting down")
    server.close()
    for proto in list(active):
        proto.close_transports()
    try:
        await asyncio.wait_for(server.wait_closed(), timeout=0.5)
    except (asyncio.TimeoutError, Exception):
        pass
    store.close()
    log(f"stopped: {store.connections} connection(s), {store.messages} message(s)")
    # Leave at once: asyncio.run would otherwise wait for aiosmtpd's session tasks,
    # which can sit in a read until their idle timeout.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def main(argv: List[str]) -> int:
    args = parse_args(argv)
    # A parent may start us with signals blocked (threads of a test runner often block
    # them, and children inherit the mask): unblock the ones that stop us.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    try:
        return asyncio.run(serve(args))
    except OSError as exc:
        log(f"error: {exc}")
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
