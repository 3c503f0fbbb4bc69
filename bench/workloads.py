# SPDX-License-Identifier: AGPL-3.0-only
"""Load generators: mailbox loader (IMAP APPEND), IMAP session mix, SMTP ingest.

Each workload runs its clients in forked worker processes (one connection
each), is bounded in both count and time, and returns a plain dict of figures.
The same code drives every server under test.
"""

from __future__ import annotations

import multiprocessing as mp
import random
import resource
import signal
import smtplib
import statistics
import os
import time
from dataclasses import dataclass

from imapclient import ImapConn, ImapError
from messages import imap_date, make_message, message_date

_MP = mp.get_context("fork")
_CLK_TCK = os.sysconf("SC_CLK_TCK")  # workers inherit the corpus without pickling it


@dataclass(frozen=True)
class ImapTarget:
    host: str
    port: int
    tls: str  # implicit | starttls
    user: str
    password: str

    def connect(self, timeout: float = 120.0) -> ImapConn:
        return ImapConn(self.host, self.port, tls=self.tls, timeout=timeout)

    def login(self, timeout: float = 120.0) -> ImapConn:
        conn = self.connect(timeout)
        conn.login(self.user, self.password)
        return conn


def percentile(values: list[float], p: float) -> float | None:
    if not values:
        return None
    s = sorted(values)
    k = (len(s) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def summarize_ms(values: list[float]) -> dict:
    """Latency summary in milliseconds from values in seconds."""
    if not values:
        return {"n": 0}
    ms = [v * 1000 for v in values]
    return {
        "n": len(ms),
        "p50": round(percentile(ms, 50), 2),
        "p95": round(percentile(ms, 95), 2),
        "p99": round(percentile(ms, 99), 2),
        "mean": round(statistics.fmean(ms), 2),
        "max": round(max(ms), 2),
    }


def _self_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def _system_busy() -> float:
    """CPU seconds the whole machine spent busy (all cores, from /proc/stat)."""
    with open("/proc/stat") as f:
        vals = [int(x) for x in f.readline().split()[1:8]]
    return (sum(vals) - vals[3] - vals[4]) / _CLK_TCK


class CpuMeter:
    """Server, client and foreign (everything else on the machine) CPU over a phase."""

    def __init__(self, server_probe=None):
        self.server_probe = server_probe
        self.workers = 0.0  # CPU the worker processes report for the measured phase

    def __enter__(self):
        self.t0 = time.perf_counter()
        self.sys0, self.self0 = _system_busy(), _self_cpu()
        self.server0 = self.server_probe() if self.server_probe else None
        return self

    def __exit__(self, *exc):
        self.elapsed = time.perf_counter() - self.t0
        self.server = self.server_probe() - self.server0 if self.server_probe else None
        self.system = _system_busy() - self.sys0
        self.client = self.workers + (_self_cpu() - self.self0)
        return False

    def figures(self) -> dict:
        out = {"client_cpu_s": round(self.client, 2)}
        if self.server is not None:
            out["server_cpu_s"] = round(self.server, 2)
            foreign = max(self.system - self.server - self.client, 0.0)
            # Cores' worth of CPU used by other processes: >0.2 means a noisy measurement.
            out["foreign_cpu_cores"] = round(foreign / self.elapsed, 2) if self.elapsed > 0 else None
        return out


def _worker_signals() -> None:
    """Workers leave Ctrl-C to the parent, and die quietly when it terminates them."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _join_all(procs, deadline: float) -> None:
    for p in procs:
        p.join(timeout=max(deadline - time.monotonic(), 0.1))
    for p in procs:
        if p.is_alive():
            p.kill()
            p.join(5)


def _drain(queue, expected: int, deadline: float) -> list:
    out = []
    while len(out) < expected and time.monotonic() < deadline:
        try:
            out.append(queue.get(timeout=max(min(deadline - time.monotonic(), 5), 0.1)))
        except Exception:  # queue.Empty
            continue
    return out


# --- mailbox loader ------------------------------------------------------------


def _append_worker(target: ImapTarget, corpus: list[bytes], indices: list[int], seed: int,
                   window: int, out) -> None:
    _worker_signals()
    try:
        conn = target.login()
        items = (
            (imap_date(message_date(seed, i)), "" if i % 3 == 0 else "\\Seen", corpus[i])
            for i in indices
        )
        n = conn.append_many("INBOX", items, window=window)
        conn.logout()
        out.put({"ok": n})
    except Exception as e:  # reported to the parent
        out.put({"error": f"{type(e).__name__}: {e}"})


def load_mailbox(target: ImapTarget, corpus: list[bytes], *, seed: int, connections: int = 2,
                 window: int = 32, timeout: float = 600.0) -> dict:
    """APPEND the whole corpus to the target's INBOX; verify the count."""
    conn = target.login()
    before = conn.select("INBOX")
    conn.logout()

    queue = _MP.Queue()
    chunks = [list(range(w, len(corpus), connections)) for w in range(connections)]
    procs = [_MP.Process(target=_append_worker, args=(target, corpus, c, seed, window, queue), daemon=True)
             for c in chunks]
    t0 = time.perf_counter()
    deadline = time.monotonic() + timeout
    for p in procs:
        p.start()
    results = _drain(queue, len(procs), deadline)
    elapsed = time.perf_counter() - t0
    _join_all(procs, deadline)

    errors = [r["error"] for r in results if "error" in r]
    if len(results) < len(procs):
        errors.append(f"loader timed out after {timeout:.0f}s")
    conn = target.login()
    after = conn.select("INBOX")
    conn.logout()
    stored = after - before
    if stored != len(corpus) and not errors:
        errors.append(f"INBOX grew by {stored}, expected {len(corpus)}")
    return {
        "messages": len(corpus),
        "bytes": sum(len(m) for m in corpus),
        "stored": stored,
        "inbox_exists": after,
        "seconds": round(elapsed, 3),
        "msgs_per_s": round(stored / elapsed, 1) if elapsed > 0 else None,
        "connections": connections,
        "errors": errors,
    }


# --- IMAP session mix ------------------------------------------------------------


def imap_session(target: ImapTarget, rng: random.Random, bodies: int) -> dict:
    """connect+TLS, LOGIN, SELECT INBOX, FETCH 1:* ENVELOPE, `bodies` x FETCH n BODY.PEEK[], LOGOUT."""
    t0 = time.perf_counter()
    conn = target.connect()
    try:
        t1 = time.perf_counter()
        conn.login(target.user, target.password)
        t2 = time.perf_counter()
        exists = conn.select("INBOX")
        t3 = time.perf_counter()
        env = conn.check(conn.command(b"FETCH 1:* ENVELOPE"))
        t4 = time.perf_counter()
        if env.fetch_count != exists:
            raise ImapError(f"FETCH 1:* ENVELOPE returned {env.fetch_count} of {exists} messages")
        body_times = []
        body_bytes = 0
        for _ in range(bodies):
            seq = rng.randint(1, exists)
            b0 = time.perf_counter()
            r = conn.check(conn.command(b"FETCH %d BODY.PEEK[]" % seq))
            body_times.append(time.perf_counter() - b0)
            if r.literal_bytes == 0:
                raise ImapError(f"FETCH {seq} BODY.PEEK[] returned no body")
            body_bytes += r.literal_bytes
        t5 = time.perf_counter()
        conn.check(conn.command(b"LOGOUT"))
        t6 = time.perf_counter()
    finally:
        conn.close()
    return {
        "connect": t1 - t0, "login": t2 - t1, "select": t3 - t2, "envelope": t4 - t3,
        "bodies": t5 - t4, "body_each": body_times, "logout": t6 - t5, "total": t6 - t0,
        "exists": exists, "body_bytes": body_bytes,
    }


def _session_worker(target: ImapTarget, worker: int, bodies: int, start_at: float, end_at: float,
                    max_sessions: int, seed: int, out) -> None:
    _worker_signals()
    rng = random.Random(f"imap-{seed}-{worker}")
    sessions, errors = [], []
    while time.time() < start_at:
        time.sleep(0.005)
    cpu0 = _self_cpu()
    while time.time() < end_at and len(sessions) < max_sessions:
        try:
            s = imap_session(target, rng, bodies)
            s["end"] = time.time()
            sessions.append(s)
        except Exception as e:
            errors.append(f"{type(e).__name__}: {e}")
            if len(errors) >= 20:
                break
            time.sleep(0.2)
    out.put({"worker": worker, "sessions": sessions, "errors": errors, "cpu_s": _self_cpu() - cpu0})


def imap_mix(target: ImapTarget, *, clients: int, duration: float, bodies: int,
             max_sessions: int, seed: int, cpu_probe=None) -> dict:
    """Run `clients` concurrent session loops for `duration` seconds (and at most
    `max_sessions` sessions each); sessions started before the deadline finish."""
    queue = _MP.Queue()
    start_at = time.time() + 0.5
    end_at = start_at + duration
    procs = [
        _MP.Process(target=_session_worker,
                    args=(target, w, bodies, start_at, end_at, max_sessions, seed, queue), daemon=True)
        for w in range(clients)
    ]
    with CpuMeter(cpu_probe) as cpu:
        for p in procs:
            p.start()
        hard_deadline = time.monotonic() + duration + 300
        results = _drain(queue, clients, hard_deadline)
        _join_all(procs, hard_deadline)
        cpu.workers = sum(r["cpu_s"] for r in results)

    sessions = [s for r in results for s in r["sessions"]]
    errors = [e for r in results for e in r["errors"]]
    if len(results) < clients:
        errors.append(f"{clients - len(results)} client(s) did not report before the hard deadline")
    # Sessions started before the deadline run to completion and count.
    elapsed = max(s["end"] for s in sessions) - start_at if sessions else duration
    out = {
        "clients": clients,
        "duration_s": duration,
        "elapsed_s": round(elapsed, 3),
        "sessions": len(sessions),
        "sessions_per_s": round(len(sessions) / elapsed, 3) if elapsed > 0 else None,
        "messages_in_inbox": sessions[0]["exists"] if sessions else None,
        "bodies_per_session": bodies,
        "errors": len(errors),
        "error_samples": errors[:5],
        "latency_ms": {
            "session": summarize_ms([s["total"] for s in sessions]),
            "connect_tls": summarize_ms([s["connect"] for s in sessions]),
            "login": summarize_ms([s["login"] for s in sessions]),
            "select": summarize_ms([s["select"] for s in sessions]),
            "fetch_envelope": summarize_ms([s["envelope"] for s in sessions]),
            "fetch_body": summarize_ms([b for s in sessions for b in s["body_each"]]),
            "logout": summarize_ms([s["logout"] for s in sessions]),
        },
    }
    out.update(cpu.figures())
    if cpu.server is not None and sessions:
        out["server_cpu_ms_per_session"] = round(cpu.server * 1000 / len(sessions), 1)
    return out


def single_session(target: ImapTarget, *, bodies: int, seed: int) -> dict:
    """One session on its own (the first after loading: cold caches)."""
    s = imap_session(target, random.Random(f"warm-{seed}"), bodies)
    return {
        "session_ms": round(s["total"] * 1000, 1),
        "fetch_envelope_ms": round(s["envelope"] * 1000, 1),
        "fetch_body_p50_ms": summarize_ms(s["body_each"]).get("p50"),
    }


# --- SMTP ingest -----------------------------------------------------------------


# Replies that mean "not in this session": the client opens a new connection and
# retries, as an MTA would (e.g. a server's cap on messages per SMTP session).
_RECONNECT_CODES = (421, 451, 452)


class _Reconnect(Exception):
    pass


def _send_one(smtp: smtplib.SMTP, sender: str, rcpt: str, msg: bytes) -> None:
    try:
        refused = smtp.sendmail(sender, [rcpt], msg)
    except smtplib.SMTPRecipientsRefused as e:
        codes = {code for code, _ in e.recipients.values()}
        if codes <= set(_RECONNECT_CODES):
            raise _Reconnect(f"{sorted(codes)} {e.recipients}") from e
        raise
    except smtplib.SMTPResponseException as e:
        if e.smtp_code in _RECONNECT_CODES:
            raise _Reconnect(f"{e.smtp_code} {e.smtp_error[:120]!r}") from e
        raise
    except (smtplib.SMTPServerDisconnected, ConnectionError) as e:
        raise _Reconnect(f"{type(e).__name__}: {e}") from e
    if refused:
        raise smtplib.SMTPRecipientsRefused(refused)


def _smtp_worker(host: str, port: int, sender: str, rcpt: str, indices: list[int], seed: int,
                 ready, go, stop_at: float, out) -> None:
    _worker_signals()
    messages = [make_message(i, seed=seed, to_addr=rcpt, min_size=3584, max_size=4608) for i in indices]
    latencies, errors, reconnects = [], [], []
    ready.put(len(messages))
    go.wait(timeout=300)
    cpu0 = _self_cpu()
    t_start = time.time()

    def connect() -> smtplib.SMTP:
        conn = smtplib.SMTP(host, port, local_hostname="bench.localhost", timeout=120)
        conn.ehlo("bench.localhost")
        return conn

    smtp = None
    try:
        smtp = connect()
        for msg in messages:
            if time.time() > stop_at:
                errors.append("stopped at the time limit")
                break
            t0 = time.perf_counter()
            for attempt in range(3):
                try:
                    _send_one(smtp, sender, rcpt, msg)
                    latencies.append(time.perf_counter() - t0)
                    break
                except _Reconnect as e:
                    reconnects.append(str(e))
                    try:
                        smtp.quit()
                    except (smtplib.SMTPException, OSError):
                        smtp.close()
                    smtp = connect()
                except smtplib.SMTPException as e:
                    errors.append(f"{type(e).__name__}: {e}"[:300])
                    smtp.rset()
                    break
            else:
                errors.append(f"gave up after 3 connections: {reconnects[-1]}")
            if len(errors) >= 20:
                break
        smtp.quit()
    except Exception as e:
        errors.append(f"{type(e).__name__}: {e}")
        if smtp:
            smtp.close()
    out.put({"sent": len(latencies), "latencies": latencies, "errors": errors,
             "reconnects": len(reconnects), "reconnect_reasons": sorted(set(reconnects))[:3],
             "t_start": t_start, "t_done": time.time(), "cpu_s": _self_cpu() - cpu0})


def smtp_ingest(host: str, port: int, *, sender: str, rcpt: str, mailbox: ImapTarget,
                messages: int, connections: int, seed: int, timeout: float,
                poll_interval: float = 0.1, cpu_probe=None) -> dict:
    """Send `messages` mails over `connections` SMTP sessions, then time until the
    recipient's INBOX (checked over IMAP with STATUS) holds all of them."""
    watcher = mailbox.login()
    before = watcher.status_messages("INBOX")

    ready, go, queue = _MP.Queue(), _MP.Event(), _MP.Queue()
    stop_at = time.time() + timeout + 60
    procs = [
        _MP.Process(target=_smtp_worker,
                    args=(host, port, sender, rcpt, list(range(w, messages, connections)), seed,
                          ready, go, stop_at, queue), daemon=True)
        for w in range(connections)
    ]
    for p in procs:
        p.start()
    # The clock starts once every worker has built its messages.
    _drain(ready, connections, time.monotonic() + 120)
    with CpuMeter(cpu_probe) as cpu:
        t0 = time.time()
        go.set()
        deadline = time.monotonic() + timeout
        stored, t_stored, watch_errors = 0, None, []
        while time.monotonic() < deadline:
            try:
                if watcher is None:
                    watcher = mailbox.login()
                stored = watcher.status_messages("INBOX") - before
            except (OSError, ImapError) as e:
                watch_errors.append(f"IMAP check: {type(e).__name__}: {e}")
                if watcher is not None:
                    watcher.close()
                watcher = None
                time.sleep(1.0)
                continue
            if stored >= messages:
                t_stored = time.time()
                break
            time.sleep(poll_interval)
        if watcher is not None:
            watcher.logout()
        results = _drain(queue, connections, time.monotonic() + 60)
        _join_all(procs, time.monotonic() + 10)
        cpu.workers = sum(r["cpu_s"] for r in results)
    sent = sum(r["sent"] for r in results)
    errors = [e for r in results for e in r["errors"]] + watch_errors
    t_accepted = max((r["t_done"] for r in results), default=None)
    elapsed = (t_stored or time.time()) - t0
    out = {
        "messages": messages,
        "connections": connections,
        "accepted": sent,
        "stored": stored,
        "complete": t_stored is not None,
        # When the clock started (wall time): what follows the ingest is timed from it.
        "started_at": t0,
        "accept_s": round(t_accepted - t0, 3) if t_accepted else None,
        "stored_s": round(elapsed, 3),
        "msgs_per_s": round(stored / elapsed, 1) if elapsed > 0 else None,
        "accept_msgs_per_s": round(sent / (t_accepted - t0), 1) if t_accepted and t_accepted > t0 else None,
        "smtp_transaction_ms": summarize_ms([x for r in results for x in r["latencies"]]),
        # New connections opened after a 421/451/452 (e.g. a per-session message cap).
        "reconnects": sum(r["reconnects"] for r in results),
        "reconnect_reasons": sorted({x for r in results for x in r["reconnect_reasons"]})[:3],
        "errors": len(errors),
        "error_samples": errors[:5],
    }
    out.update(cpu.figures())
    if cpu.server is not None and stored:
        out["server_cpu_ms_per_msg"] = round(cpu.server * 1000 / stored, 2)
    if t_stored is None:
        out["error_samples"].append(f"only {stored}/{messages} stored after {timeout:.0f}s")
    return out
