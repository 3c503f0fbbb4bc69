# SPDX-License-Identifier: AGPL-3.0-only
"""Tests of the load generator's IMAP framing against a scripted server.

    python3 -m unittest discover -s bench/selftest -v
"""

import socket
import sys
import threading
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from imapclient import ImapConn, ImapError  # noqa: E402


class ScriptedServer:
    """Accepts one connection and answers each client line with the script's reply."""

    def __init__(self, greeting: bytes, handler):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(1)
        self.port = self.sock.getsockname()[1]
        self.greeting = greeting
        self.handler = handler
        self.received: list[bytes] = []
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        conn, _ = self.sock.accept()
        conn.sendall(self.greeting)
        buf = b""
        with conn:
            while True:
                data = conn.recv(65536)
                if not data:
                    return
                buf += data
                while b"\r\n" in buf:
                    line, buf = buf.split(b"\r\n", 1)
                    self.received.append(line)
                    reply = self.handler(line, conn)
                    if reply:
                        conn.sendall(reply)

    def close(self) -> None:
        self.sock.close()


class FramingTest(unittest.TestCase):
    def test_fetch_counts_and_literals(self):
        envelope_lines = b"".join(
            b'* %d FETCH (ENVELOPE ("date" {11}\r\nA subject\r\n NIL NIL NIL NIL NIL NIL NIL NIL))\r\n' % i
            for i in range(1, 501)
        )

        def handler(line, _conn):
            tag, cmd = line.split(b" ", 1)
            if cmd.startswith(b"FETCH 1:*"):
                return envelope_lines + tag + b" OK done\r\n"
            if cmd.startswith(b"FETCH 7 BODY.PEEK[]"):
                body = b"Subject: x\r\n\r\nb00099 OK inside a literal\r\n"
                return b"* 7 FETCH (BODY[] {%d}\r\n%s)\r\n%s OK\r\n" % (len(body), body, tag)
            return tag + b" OK\r\n"

        srv = ScriptedServer(b"* OK [CAPABILITY IMAP4rev1 LITERAL+] hi\r\n", handler)
        conn = ImapConn("127.0.0.1", srv.port, tls="none", timeout=5)
        self.assertIn(b"LITERAL+", conn.capabilities)
        r = conn.check(conn.command(b"FETCH 1:* ENVELOPE"))
        self.assertEqual(r.fetch_count, 500)
        self.assertEqual(r.literal_bytes, 500 * 11)
        r = conn.check(conn.command(b"FETCH 7 BODY.PEEK[]"))
        self.assertEqual(r.fetch_count, 1)
        self.assertGreater(r.literal_bytes, 20)
        conn.close()
        srv.close()

    def test_pipelined_append_out_of_order(self):
        pending: list[bytes] = []

        def handler(line, _conn):
            if b" APPEND " in line:
                pending.append(line.split(b" ", 1)[0])
                if len(pending) == 3:  # complete the three in reverse order
                    out = b"".join(t + b" OK [APPENDUID 1 %d] done\r\n" % i for i, t in enumerate(reversed(pending)))
                    pending.clear()
                    return out
            return None

        srv = ScriptedServer(b"* OK [CAPABILITY IMAP4rev1 LITERAL+] hi\r\n", handler)
        conn = ImapConn("127.0.0.1", srv.port, tls="none", timeout=5)
        msgs = [("01-Jan-2023 00:00:00 +0000", "\\Seen", b"Subject: %d\r\n\r\nhello" % i) for i in range(6)]
        self.assertEqual(conn.append_many("INBOX", msgs, window=3), 6)
        conn.close()
        srv.close()

    def test_append_without_literal_plus(self):
        def handler(line, conn):
            if b" APPEND " in line:
                handler.tag = line.split(b" ", 1)[0]
                return b"* 3 EXISTS\r\n+ go ahead\r\n"
            if line.startswith(b"Subject") or not line:
                return None
            if line == b"hello":
                return handler.tag + b" OK appended\r\n"
            return line.split(b" ", 1)[0] + b" OK\r\n"

        srv = ScriptedServer(b"* OK [CAPABILITY IMAP4rev1] hi\r\n", handler)
        conn = ImapConn("127.0.0.1", srv.port, tls="none", timeout=5)
        msgs = [("01-Jan-2023 00:00:00 +0000", "", b"Subject: %d\r\n\r\nhello" % i) for i in range(3)]
        self.assertEqual(conn.append_many("INBOX", msgs), 3)
        conn.close()
        srv.close()

    def test_failure_and_unknown_tag(self):
        def handler(line, _conn):
            tag = line.split(b" ", 1)[0]
            if b"LOGIN" in line:
                return tag + b" NO [AUTHENTICATIONFAILED] nope\r\n"
            return b"zz999 OK stray\r\n"

        srv = ScriptedServer(b"* OK hi\r\n", handler)
        conn = ImapConn("127.0.0.1", srv.port, tls="none", timeout=5)
        with self.assertRaises(ImapError):
            conn.login("a", "b")
        with self.assertRaises(ImapError):
            conn.command(b"NOOP")
        conn.close()
        srv.close()


if __name__ == "__main__":
    unittest.main()
