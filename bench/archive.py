# SPDX-License-Identifier: AGPL-3.0-only
"""Archive benchmark (issue 12): what the archive costs mail ingest, and how its search scales.

Started by bench/archive. Two questions, each answered by Casella against itself in the
same run (its release binary, demo data, the embedded default stores):

1. Ingest: MESSAGES messages offered to the MX over CONNECTIONS sessions to bob, timed until
   bob's INBOX holds them all (IMAP STATUS); once with no archive, once (a fresh instance)
   with the archive on for every mailbox, then timed until the archive also holds every copy
   (the journal copy is relayed by the engine's queue to Casella's receiver). ROUNDS rounds,
   each off then on (this machine's speed drifts by a quarter between minutes); the ratio
   (archive on / off, messages per second), the median of the rounds', has the goal ≥ 0.9.
2. Search: an archive of SMALL messages and one of LARGE (the issue: 10 k and 1 M), written
   straight into the panel database while Casella is stopped (rows and their text index as
   the journal writes them), then the same searches through the owner's `mail/archive`
   server function: a folder's first page, a common word, a rare word, a sender, a subject
   word with a date range. Median of REPEAT calls each; the ratio (large / small) has the
   goal ≤ 2.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from accounts import DEFAULT_CASELLA_BIN, Web  # noqa: E402
from servers import HOST, BenchError, Casella, tree_cpu_seconds  # noqa: E402
from workloads import ImapTarget, smtp_ingest  # noqa: E402

try:
    # A SQLite as recent as Casella's (bench/archive installs it): the archive's text index is
    # an FTS5 `contentless_delete` table, which SQLite reads and writes from 3.43 on.
    import pysqlite3 as sqlite3  # type: ignore[import-not-found]
except ImportError:
    import sqlite3

WORDS = ("invoice order shipment contract meeting budget report quarterly figures customer "
         "supplier payment delivery warehouse proposal offer renewal agenda minutes review "
         "schedule project milestone deadline approval request").split()


def log(msg: str) -> None:
    print(f"[archive] {msg}", file=sys.stderr, flush=True)


def count(db_path: Path, sql: str) -> int:
    db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=30)
    try:
        return db.execute(sql).fetchone()[0]
    finally:
        db.close()


def archive_everyone(db_path: Path) -> int:
    """Switches the archive on for every mailbox, as the manager's switch does."""
    db = sqlite3.connect(db_path, timeout=30)
    try:
        rows = db.execute("SELECT id, domain_id, address FROM mailboxes").fetchall()
        for mailbox_id, domain_id, address in rows:
            db.execute("INSERT INTO archives (mailbox_id, domain_id, address, retention_years, "
                       "active, started_at) VALUES (?, ?, ?, 10, 1, datetime('now'))",
                       (mailbox_id, domain_id, address))
            db.execute("UPDATE mailboxes SET archive = 1 WHERE id = ?", (mailbox_id,))
        db.commit()
        return len(rows)
    finally:
        db.close()


def ingest(binary: Path, work: Path, archived: bool, messages: int, connections: int,
           log_filter: str = "warn", round_no: int = 1) -> dict:
    name = f"archive-{'on' if archived else 'off'}-{round_no}"
    server = Casella(binary=binary, work_dir=work, name=name, store="rocksdb",
                     extra_env={"CASELLA_LOG": log_filter})
    server.start()
    try:
        db = server.dir / "data" / "panel.sqlite3"
        if archived:
            log(f"archive on for {archive_everyone(db)} mailboxes")
        box = ImapTarget(HOST, server.ports["IMAPS"], "implicit", "bob@demo.test",
                         server.credentials["bob@demo.test"])
        cpu_before = tree_cpu_seconds([server.pid])
        result = smtp_ingest(HOST, server.ports["SMTP"], sender="bench@outside.test",
                             rcpt="bob@demo.test", mailbox=box, messages=messages,
                             connections=connections, seed=3, timeout=900, cpu_probe=None)
        elapsed = result["stored_s"]
        if archived:
            deadline = time.monotonic() + 900
            while count(db, "SELECT count(*) FROM archive_messages") < messages:
                if time.monotonic() > deadline:
                    raise BenchError("the archive did not get every copy within 15 minutes")
                time.sleep(0.1)
            # From the clock's start, as the SMTP side (not while the senders build messages).
            elapsed = max(elapsed, time.time() - result["started_at"])
        # Casella's CPU (the engine inside it, the journal and its writers) until all was kept.
        server_cpu = tree_cpu_seconds([server.pid]) - cpu_before
        return {"archived": archived, "complete": result["complete"],
                "seconds": round(elapsed, 2),
                # Until the INBOX held every message (the SMTP side alone).
                "smtp_seconds": round(result["stored_s"], 2),
                # Until the last sender had its last 250 (the MX side), and each transaction.
                "accept_seconds": result["accept_s"],
                "smtp_transaction_ms": result["smtp_transaction_ms"],
                "msgs_per_s": round(messages / elapsed, 1) if elapsed else None,
                "server_cpu_s": round(server_cpu, 2),
                "server_cpu_ms_per_msg": round(server_cpu * 1000 / messages, 2),
                # Cores' worth of Casella's CPU while timed (2 means both of this machine's).
                "server_cores": round(server_cpu / elapsed, 2) if elapsed else None,
                "smtp_errors": result["errors"], "error_samples": result.get("error_samples", [])[:3],
                "archive_rows": count(db, "SELECT count(*) FROM archive_messages")}
    finally:
        server.stop()


def words(text: str) -> list[str]:
    return [w.lower() for w in re.split(r"[^\w]|_", text) if w]


def folder_words(prefix: str, text: str, addresses: bool = False) -> str:
    """A field as Casella gives it to its text index: each word (letters and digits, lower
    case) with its archive folder's prefix in front; in an address field, then each full
    address as one term (its words joined)."""
    terms = words(text)
    if addresses:
        for piece in re.split(r"[\s<>,;\"'()]", text):
            local, at, domain = piece.partition("@")
            if at and local and "@" not in domain and "." in domain and not domain.endswith("."):
                terms.append("".join(words(piece)))
    return " ".join(prefix + t for t in terms)


def fill_archive(db_path: Path, address: str, messages: int, seed: int) -> None:
    """Writes an archive of `messages` received messages for `address`: rows and their text
    index, as the journal receiver writes them."""
    rnd = random.Random(seed)
    db = sqlite3.connect(db_path, timeout=60)
    try:
        mailbox_id, domain_id = db.execute(
            "SELECT id, domain_id FROM mailboxes WHERE address = ?", (address,)).fetchone()
        cur = db.execute("INSERT INTO archives (mailbox_id, domain_id, address, retention_years, "
                         "active, started_at) VALUES (?, ?, ?, 10, 1, '2020-01-01T00:00:00Z')",
                         (mailbox_id, domain_id, address))
        archive_id = cur.lastrowid
        prefix = f"a{archive_id}in"
        start = 1_577_836_800  # 2020-01-01
        step = (6 * 365 * 86400) // messages
        batch_rows, batch_text = [], []
        for n in range(messages):
            sender = f"sender{rnd.randrange(2000)}@company{rnd.randrange(300)}.test"
            words = rnd.sample(WORDS, 6)
            if n % 1000 == 7:
                words.append("zanzibar")  # rare: 1 in 1,000
            subject = f"{words[0].title()} {words[1]} {n}"
            body = " ".join(rnd.choice(WORDS) for _ in range(60)) + " " + " ".join(words)
            at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(start + n * step))
            batch_rows.append([archive_id, f"{n:064x}", 4000, at, sender, address, subject,
                               body[:200], f"<{n}@bench.test>", 0, "journal", "2099-01-01",
                               start + n * step])
            batch_text.append((folder_words(prefix, sender, True),
                               folder_words(prefix, address, True),
                               # The subject's words twice: its own terms follow.
                               folder_words(prefix, subject) + " "
                               + folder_words("s" + prefix[1:], subject),
                               folder_words(prefix, body)))
            if len(batch_rows) == 5000 or n == messages - 1:
                first = db.execute("SELECT coalesce(max(id), 0) FROM archive_messages").fetchone()[0] + 1
                # The search key, as Casella makes it: arrival seconds << 20 | low id bits.
                for i, row in enumerate(batch_rows):
                    row[-1] = (row[-1] << 20) | ((first + i) & 0xFFFFF)
                db.executemany(
                    "INSERT INTO archive_messages (id, archive_id, direction, object_hash, size, "
                    "received_at, sender, recipients, subject, preview, message_id, "
                    "has_attachment, source, retain_until, search_key) VALUES (?, ?, 'in', ?, ?, ?, "
                    "?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [(first + i, *row) for i, row in enumerate(batch_rows)])
                db.executemany(
                    "INSERT INTO archive_search (rowid, sender, recipients, subject, body) "
                    "VALUES (?, ?, ?, ?, ?)",
                    [(batch_rows[i][-1], *t) for i, t in enumerate(batch_text)])
                db.commit()
                batch_rows, batch_text = [], []
                if (n + 1) % 100_000 == 0:
                    log(f"  {address}: {n + 1:,} archived messages written")
        db.execute("UPDATE archives SET received = ? WHERE id = ?", (messages, archive_id))
        db.execute("UPDATE mailboxes SET archive = 1 WHERE id = ?", (mailbox_id,))
        db.commit()
    finally:
        db.close()


SEARCHES = {
    "first page": {},
    "common word": {"q": "invoice"},
    "rare word": {"q": "zanzibar"},
    "sender": {"from": "sender42@company7.test"},
    "subject + dates": {"subject": "budget", "after": "2023-01-01", "before": "2023-06-30"},
}


def timed(web: Web, query: dict, repeat: int) -> tuple[float, int]:
    form = [("query[folder]", "in")] + [(f"query[{k}]", v) for k, v in query.items()]
    times, found = [], 0
    for _ in range(repeat):
        t = time.perf_counter()
        value = web.ok("mail/archive", form)
        times.append((time.perf_counter() - t) * 1000)
        found = len(value["list"]["rows"])
    return statistics.median(times), found


def search(binary: Path, work: Path, small: int, large: int, repeat: int) -> dict:
    server = Casella(binary=binary, work_dir=work, name="archive-search", store="rocksdb",
                     extra_env={"CASELLA_LOG": "warn"})
    server.start()
    server.stop()
    db = server.dir / "data" / "panel.sqlite3"
    started = time.monotonic()
    fill_archive(db, "bob@demo.test", small, seed=10)
    fill_archive(db, "alice@demo.test", large, seed=11)
    log(f"archives written in {time.monotonic() - started:.0f} s")
    credentials = dict(server.credentials)
    server.start()
    try:
        base = f"http://{HOST}:{server.http_port}"
        out = {}
        for who, size in (("bob@demo.test", small), ("alice@demo.test", large)):
            web = Web(base)
            web.ok("auth/login", {"login": who, "password": credentials[who]})
            timed(web, {}, 3)  # warm the caches
            out[size] = {name: timed(web, q, repeat) for name, q in SEARCHES.items()}
        return {name: {"small_ms": round(out[small][name][0], 2),
                       "large_ms": round(out[large][name][0], 2),
                       "small_found": out[small][name][1], "large_found": out[large][name][1],
                       "ratio": round(out[large][name][0] / out[small][name][0], 2)}
                for name in SEARCHES}
    finally:
        server.stop()


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="bench/archive", description=__doc__.split("\n\n")[0])
    p.add_argument("--casella-bin", type=Path, default=DEFAULT_CASELLA_BIN)
    p.add_argument("--messages", type=int, default=5000, help="messages of the ingest test")
    p.add_argument("--connections", type=int, default=8)
    p.add_argument("--rounds", type=int, default=3,
                   help="ingest rounds, each archive off then on (fresh instances)")
    p.add_argument("--small", type=int, default=10_000)
    p.add_argument("--large", type=int, default=1_000_000)
    p.add_argument("--repeat", type=int, default=15)
    p.add_argument("--only", choices=("ingest", "search"))
    p.add_argument("--json", type=Path)
    p.add_argument("--log-filter", default="warn",
                   help="Casella's log filter for the ingest servers, e.g. "
                        "'warn,panel::journal=debug,panel::services=debug'")
    p.add_argument("--keep", type=Path,
                   help="work in this folder and keep it (the servers' logs and data)")
    args = p.parse_args(argv)
    record: dict = {"params": {k: (str(v) if isinstance(v, Path) else v)
                               for k, v in vars(args).items()}}
    with tempfile.TemporaryDirectory(prefix="casella-archive-") as tmp:
        work = Path(tmp)
        if args.keep:
            work = args.keep
            work.mkdir(parents=True, exist_ok=True)
        if args.only in (None, "ingest"):
            rounds = []
            for n in range(1, args.rounds + 1):
                off = ingest(args.casella_bin, work, False, args.messages, args.connections,
                             args.log_filter, n)
                log(f"round {n}, archive off: {off}")
                on = ingest(args.casella_bin, work, True, args.messages, args.connections,
                            args.log_filter, n)
                log(f"round {n}, archive on: {on}")
                rounds.append({"off": off, "on": on,
                               "ratio": round(on["msgs_per_s"] / off["msgs_per_s"], 2)})
            median = {side: statistics.median(r[side]["msgs_per_s"] for r in rounds)
                      for side in ("off", "on")}
            # Each round's two halves run a minute apart: their ratio is the least touched
            # by the machine's drift, so the median of the rounds' ratios is the figure.
            record["ingest"] = {"rounds": rounds, "median_msgs_per_s": median,
                                "ratio_of_medians": round(median["on"] / median["off"], 2),
                                "ratio": statistics.median(r["ratio"] for r in rounds)}
        if args.only in (None, "search"):
            record["search"] = search(args.casella_bin, work, args.small, args.large, args.repeat)
    report(record)
    if args.json:
        args.json.write_text(json.dumps(record, indent=2))
    return 0


def report(r: dict) -> None:
    if "ingest" in r:
        i = r["ingest"]
        print(f"\nSMTP ingest, {r['params']['messages']:,} messages over "
              f"{r['params']['connections']} connections, {len(i['rounds'])} rounds")
        print(f"{'':<18}{'msgs/s':>10}{'seconds':>10}{'CPU ms/msg':>12}{'cores':>8}"
              f"{'SMTP p50 ms':>13}")
        for n, rnd in enumerate(i["rounds"], 1):
            for name in ("off", "on"):
                row = rnd[name]
                print(f"{f'{n}: archive ' + name:<18}{row['msgs_per_s']:>10}{row['seconds']:>10}"
                      f"{row['server_cpu_ms_per_msg']:>12}{row['server_cores']:>8}"
                      f"{row['smtp_transaction_ms']['p50']:>13}")
            print(f"{f'{n}: ratio':<18}{rnd['ratio']:>10}")
        m = i["median_msgs_per_s"]
        print(f"medians: off {m['off']} msgs/s, on {m['on']} msgs/s "
              f"(ratio {i['ratio_of_medians']})")
        print(f"ratio on/off, the median of the rounds': {i['ratio']} (goal >= 0.9)")
    if "search" in r:
        s = r["search"]
        small, large = r["params"]["small"], r["params"]["large"]
        print(f"\nArchive search, median of {r['params']['repeat']} calls of mail/archive")
        print(f"{'search':<18}{f'{small:,} ms':>12}{f'{large:,} ms':>14}{'ratio':>8}")
        for name, row in s.items():
            print(f"{name:<18}{row['small_ms']:>12}{row['large_ms']:>14}{row['ratio']:>8}")
        print(f"worst ratio: {max(row['ratio'] for row in s.values())} (goal <= 2)")


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except BenchError as e:
        log(f"error: {e}")
        sys.exit(1)
