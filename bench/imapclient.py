# SPDX-License-Identifier: AGPL-3.0-only
"""A small, fast IMAP client for load generation.

imaplib parses every response line with regexes and builds Python objects for
all of it; on a 5,000-message ``FETCH 1:* ENVELOPE`` that client-side cost is
large enough to blur the server's own latency on a 2-core machine. This client
only frames responses (lines and ``{n}`` literals), counts untagged FETCH
responses and keeps what the caller needs, so the time measured is the server's.

Supports implicit TLS (IMAPS) and STARTTLS, LOGIN, SELECT, FETCH, STATUS,
pipelined APPEND with LITERAL+ (falls back to synchronising literals), LOGOUT.
"""

from __future__ import annotations

import re
import socket
import ssl
from dataclasses import dataclass, field

_LITERAL_AT_END = re.compile(rb"\{(\d+)\+?\}\r\n$")
_EXISTS = re.compile(rb"^\* (\d+) EXISTS", re.I)
_STATUS_MESSAGES = re.compile(rb"MESSAGES (\d+)", re.I)
_READ_CHUNK = 256 * 1024


class ImapError(Exception):
    pass


@dataclass
class Response:
    tag: bytes
    status: bytes  # OK / NO / BAD
    text: bytes  # the tagged line
    untagged: list[bytes] = field(default_factory=list)  # kept only if asked
    fetch_count: int = 0  # number of "* n FETCH" responses
    literal_bytes: int = 0  # total size of literals received


_TLS_CONTEXT: ssl.SSLContext | None = None


def tls_context() -> ssl.SSLContext:
    """One context per process: building one loads the CA store, which costs
    more client CPU than the handshake itself. Certificates are not verified
    (the servers use self-signed test certificates)."""
    global _TLS_CONTEXT
    if _TLS_CONTEXT is None:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        _TLS_CONTEXT = ctx
    return _TLS_CONTEXT


def quote(s: str) -> bytes:
    return b'"' + s.replace("\\", "\\\\").replace('"', '\\"').encode() + b'"'


class ImapConn:
    def __init__(self, host: str, port: int, *, tls: str = "implicit", timeout: float = 60.0):
        """tls: "implicit" (IMAPS), "starttls" (plain port, then STARTTLS) or
        "none" (plain text; only for the client's own tests)."""
        self._tag_n = 0
        self._buf = bytearray()
        self._pos = 0
        self.capabilities: set[bytes] = set()
        raw = socket.create_connection((host, port), timeout=timeout)
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if tls == "implicit":
            self.sock = tls_context().wrap_socket(raw)
        else:
            self.sock = raw
        greeting = self._read_line()
        if not greeting.startswith(b"* OK"):
            raise ImapError(f"bad greeting: {greeting[:200]!r}")
        self._note_caps(greeting)
        if tls == "starttls":
            self.check(self.command(b"STARTTLS"))
            if self._pos < len(self._buf):
                raise ImapError("data after STARTTLS response")
            self.sock = tls_context().wrap_socket(self.sock)
            self._buf.clear()
            self._pos = 0
            self.capabilities.clear()
        elif tls not in ("implicit", "none"):
            raise ValueError(f"tls must be implicit, starttls or none, not {tls!r}")

    # --- framing -------------------------------------------------------------

    def _fill(self) -> None:
        if self._pos > 1 << 20 and self._pos > len(self._buf) // 2:
            del self._buf[: self._pos]
            self._pos = 0
        chunk = self.sock.recv(_READ_CHUNK)
        if not chunk:
            raise ImapError("connection closed by server")
        self._buf += chunk

    def _read_line(self) -> bytes:
        """One CRLF line without following any literal."""
        while True:
            idx = self._buf.find(b"\r\n", self._pos)
            if idx >= 0:
                line = bytes(self._buf[self._pos : idx + 2])
                self._pos = idx + 2
                return line
            self._fill()

    def _next_tag(self) -> bytes:
        self._tag_n += 1
        return b"b%05d" % self._tag_n

    def _note_caps(self, line: bytes) -> None:
        m = re.search(rb"\[CAPABILITY ([^\]]*)\]", line, re.I)
        if m:
            self.capabilities = set(m.group(1).upper().split())
        elif line.upper().startswith(b"* CAPABILITY "):
            self.capabilities = set(line[13:].strip().upper().split())

    def read_response(self, tag: bytes, *, keep: bool = False) -> Response:
        """Read up to and including the tagged response for ``tag``."""
        return self.read_tagged({tag}, keep=keep)

    def read_tagged(self, tags: set[bytes], *, keep: bool = False) -> Response:
        """Read up to and including the next tagged response for any of ``tags``.

        Servers may complete pipelined commands out of order (Stalwart runs
        APPEND and FETCH as concurrent tasks), so the caller says which tags
        it has in flight; untagged data before it is attributed to it.
        One tight loop over the receive buffer (no per-line calls): a
        5,000-line FETCH response costs the client a few milliseconds.
        """
        if self._pos:
            del self._buf[: self._pos]
            self._pos = 0
        buf = self._buf
        recv = self.sock.recv
        resp = Response(tag=b"", status=b"", text=b"")
        start = scan = 0  # start of the current response line / where to look for CRLF
        while True:
            idx = buf.find(b"\r\n", scan)
            if idx < 0:
                scan = max(len(buf) - 1, start)
                chunk = recv(_READ_CHUNK)
                if not chunk:
                    raise ImapError("connection closed by server")
                buf += chunk
                continue
            if buf[idx - 1] == 0x7D:  # "}": a literal follows this CRLF
                m = _LITERAL_AT_END.search(buf, max(start, idx - 24), idx + 2)
                if m:
                    end = idx + 2 + int(m.group(1))
                    while len(buf) < end:
                        chunk = recv(_READ_CHUNK)
                        if not chunk:
                            raise ImapError("connection closed by server")
                        buf += chunk
                    resp.literal_bytes += end - idx - 2
                    scan = end
                    continue
            if buf.startswith(b"* ", start):
                if buf.find(b" FETCH ", start + 2, start + 24) > 0:
                    resp.fetch_count += 1
                elif buf[start + 2 : start + 13].upper() == b"CAPABILITY ":
                    self._note_caps(bytes(buf[start : idx + 2]))
                if keep:
                    resp.untagged.append(bytes(buf[start : idx + 2]))
            elif buf.startswith(b"+", start):
                raise ImapError(f"unexpected continuation: {bytes(buf[start:idx])[:200]!r}")
            else:
                line = bytes(buf[start : idx + 2])
                tag, _, rest = line.partition(b" ")
                if tag not in tags:
                    raise ImapError(f"unexpected response line: {line[:200]!r}")
                resp.tag, resp.text = tag, line
                resp.status = rest.split(b" ", 1)[0].rstrip(b"\r\n").upper()
                self._note_caps(line)
                self._pos = idx + 2
                return resp
            start = scan = idx + 2

    # --- commands ------------------------------------------------------------

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def command(self, cmd: bytes, *, keep: bool = False) -> Response:
        tag = self._next_tag()
        self.send(tag + b" " + cmd + b"\r\n")
        return self.read_response(tag, keep=keep)

    @staticmethod
    def check(resp: Response) -> Response:
        if resp.status != b"OK":
            raise ImapError(f"command failed: {resp.text[:300]!r}")
        return resp

    def capability(self) -> set[bytes]:
        self.check(self.command(b"CAPABILITY", keep=True))
        return self.capabilities

    def login(self, user: str, password: str) -> Response:
        return self.check(self.command(b"LOGIN " + quote(user) + b" " + quote(password)))

    def select(self, mailbox: str = "INBOX") -> int:
        """SELECT; returns the EXISTS count."""
        resp = self.check(self.command(b"SELECT " + quote(mailbox), keep=True))
        for line in resp.untagged:
            m = _EXISTS.match(line)
            if m:
                return int(m.group(1))
        raise ImapError("SELECT returned no EXISTS")

    def status_messages(self, mailbox: str = "INBOX") -> int:
        resp = self.check(self.command(b"STATUS " + quote(mailbox) + b" (MESSAGES)", keep=True))
        for line in resp.untagged:
            m = _STATUS_MESSAGES.search(line)
            if m:
                return int(m.group(1))
        raise ImapError("STATUS returned no MESSAGES")

    def append_many(self, mailbox: str, messages, *, window: int = 32) -> int:
        """APPEND every (date, flags, bytes) in ``messages``; returns the count stored.

        With LITERAL+ the APPENDs are pipelined, ``window`` in flight at once;
        otherwise each literal waits for the server's continuation.
        """
        if not self.capabilities:
            self.capability()
        literal_plus = b"LITERAL+" in self.capabilities
        mbox = quote(mailbox)
        in_flight: set[bytes] = set()
        done = 0

        def reap_one() -> None:
            nonlocal done
            resp = self.check(self.read_tagged(in_flight))
            in_flight.discard(resp.tag)
            done += 1

        for date, flags, body in messages:
            tag = self._next_tag()
            head = b"%s APPEND %s (%s) \"%s\" {%d" % (tag, mbox, flags.encode(), date.encode(), len(body))
            if literal_plus:
                self.send(head + b"+}\r\n" + body + b"\r\n")
                in_flight.add(tag)
                if len(in_flight) >= window:
                    reap_one()
            else:
                self.send(head + b"}\r\n")
                cont = self._read_line()
                while cont.startswith(b"* "):  # untagged data before the continuation
                    cont = self._read_line()
                if not cont.startswith(b"+"):
                    raise ImapError(f"APPEND refused: {cont[:300]!r}")
                self.send(body + b"\r\n")
                in_flight.add(tag)
                reap_one()
        while in_flight:
            reap_one()
        return done

    def logout(self) -> None:
        try:
            self.command(b"LOGOUT")
        except (OSError, ImapError):
            pass
        self.close()

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass
