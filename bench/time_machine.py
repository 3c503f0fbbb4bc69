# SPDX-License-Identifier: AGPL-3.0-only
"""Mail Time Machine benchmark (issue 12): what a snapshot of a big mailbox costs.

Started by bench/time_machine. One Casella (its release binary, demo data, the embedded
default stores) and one mailbox filled with MESSAGES distinct messages over IMAP APPEND
(several connections at once). Then, each through the operator's "take today's snapshot
now" (the same code the midnight job runs):

1. First day: the mailbox read whole. Time, bytes the content store took in, rows written.
2. Unchanged day: nothing changed since. Time, bytes and rows added (the goal: none).
3. A day with CHANGED messages flagged over IMAP: time, bytes and rows written (two per
   changed message, its old interval and its new one: cost proportional to change).

Rows are counted in the panel database (SQLite, read-only while Casella runs); bytes are
the content store's own count and the size of its folder on disk.
"""

from __future__ import annotations

import argparse
import imaplib
import json
import sqlite3
import ssl
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from accounts import DEFAULT_CASELLA_BIN, Web  # noqa: E402
from servers import HOST, BenchError, Casella  # noqa: E402


def log(msg: str) -> None:
    print(f"[time-machine] {msg}", file=sys.stderr, flush=True)


def tls() -> ssl.SSLContext:
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def message(n: int, user: str) -> bytes:
    # Distinct text, a few KB, as business mail is: no two messages share their bytes.
    para = (f"Line {n} of the quarterly figures for customer {n % 977}, order {n * 7919}. "
            "Please find the details below and let us know.\r\n")
    body = para * (20 + n % 30)
    return (f"From: Sender {n % 311} <sender{n % 311}@example.test>\r\nTo: {user}\r\n"
            f"Subject: Message {n} about order {n * 7919}\r\n"
            f"Message-ID: <tm-bench-{n}@example.test>\r\n"
            f"Date: Mon, 02 Nov 2026 09:00:00 +0000\r\n\r\n{body}").encode()


def fill(port: int, user: str, password: str, count: int, connections: int) -> float:
    started = time.monotonic()
    errors: list[str] = []

    def worker(first: int) -> None:
        try:
            conn = imaplib.IMAP4_SSL(HOST, port, ssl_context=tls())
            conn.login(user, password)
            for n in range(first, count, connections):
                typ, data = conn.append("INBOX", None, None, message(n, user))
                if typ != "OK":
                    raise BenchError(f"append {n}: {typ} {data}")
            conn.logout()
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(str(e))

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(connections)]
    for t in threads:
        t.start()
    while any(t.is_alive() for t in threads):
        time.sleep(10)
        log(f"  filling… {time.monotonic() - started:.0f} s")
    if errors:
        raise BenchError(f"fill failed: {errors[0]}")
    return time.monotonic() - started


def flag_some(port: int, user: str, password: str, count: int) -> None:
    conn = imaplib.IMAP4_SSL(HOST, port, ssl_context=tls())
    conn.login(user, password)
    conn.select("INBOX")
    typ, _ = conn.store(f"1:{count}", "+FLAGS", "(\\Flagged)")
    if typ != "OK":
        raise BenchError("flagging failed")
    conn.logout()


def rows(db_path: Path) -> dict[str, int]:
    db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=30)
    try:
        return {t: db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
                for t in ("tm_messages", "tm_folders", "stored_objects")}
    finally:
        db.close()


def folder_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def take(operator: Web, server: Casella, label: str) -> dict:
    db = server.dir / "data" / "panel.sqlite3"
    objects = server.dir / "data" / "objects"
    before_rows, before_bytes = rows(db), folder_bytes(objects)
    started = time.monotonic()
    # A first day of a big mailbox takes longer than a page's usual timeout.
    req = urllib.request.Request(f"{operator.base}/api/operator/take_snapshot", data=b"",
                                 headers=operator.headers)
    with operator.opener.open(req, timeout=3600) as resp:
        value = json.loads(resp.read())
    elapsed = time.monotonic() - started
    after_rows, after_bytes = rows(db), folder_bytes(objects)
    added = {k: after_rows[k] - before_rows[k] for k in after_rows}
    record = {"seconds": round(elapsed, 2), "changed_mailboxes": value["changed"],
              "rows_written": value["rows_written"],
              "bytes_added": value["bytes_added"], "disk_bytes_added": after_bytes - before_bytes,
              "rows_added": added}
    log(f"{label}: {record}")
    return record


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="bench/time_machine", description=__doc__.split("\n\n")[0])
    p.add_argument("--casella-bin", type=Path, default=DEFAULT_CASELLA_BIN)
    p.add_argument("--messages", type=int, default=50_000)
    p.add_argument("--changed", type=int, default=500)
    p.add_argument("--connections", type=int, default=4)
    p.add_argument("--json", type=Path)
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="casella-tm-") as tmp:
        server = Casella(binary=args.casella_bin, work_dir=Path(tmp), name="casella",
                         store="rocksdb", extra_env={"CASELLA_LOG": "warn"})
        try:
            server.start()
            base = f"http://{HOST}:{server.http_port}"
            operator = Web(base)
            login = server.roles["operator"][0]
            operator.ok("auth/login", {"login": login, "password": server.credentials[login]})
            user = "bob@demo.test"
            log(f"filling {user} with {args.messages} messages ({args.connections} IMAP connections)")
            fill_s = fill(server.ports["IMAPS"], user, server.credentials[user], args.messages,
                          args.connections)
            log(f"filled in {fill_s:.0f} s")
            record = {"params": {"messages": args.messages, "changed": args.changed,
                                 "binary": str(args.casella_bin)},
                      "fill_seconds": round(fill_s, 1)}
            record["first_day"] = take(operator, server, "first day")
            record["unchanged_day"] = take(operator, server, "unchanged day")
            flag_some(server.ports["IMAPS"], user, server.credentials[user], args.changed)
            record["changed_day"] = take(operator, server, f"{args.changed} messages flagged")
        finally:
            server.stop()
    report(record)
    if args.json:
        args.json.write_text(json.dumps(record, indent=2))
    return 0


def report(r: dict) -> None:
    n = r["params"]["messages"]
    print(f"\nMail Time Machine snapshot of one {n:,}-message mailbox (filled in {r['fill_seconds']} s)")
    print(f"{'day':<22}{'seconds':>9}{'bytes added':>14}{'on disk':>14}{'rows written':>14}{'objects':>9}")
    for key, label in (("first_day", "first day"), ("unchanged_day", "unchanged day"),
                       ("changed_day", f"{r['params']['changed']} flagged")):
        d = r[key]
        print(f"{label:<22}{d['seconds']:>9}{d['bytes_added']:>14,}{d['disk_bytes_added']:>14,}"
              f"{d['rows_written']:>14,}{d['rows_added']['stored_objects']:>9,}")
    print("(every snapshot here retakes today's: a changed message's rows are replaced, one\n"
          " deleted and one written; on a next day they are one closed and one opened)")


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except BenchError as e:
        log(f"error: {e}")
        sys.exit(1)
