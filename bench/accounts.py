# SPDX-License-Identifier: AGPL-3.0-only
"""Accounts benchmark (issue 9): what signing in safely and keeping the logs cost.

Started by bench/accounts (which installs nothing: Python's standard library is enough). It
starts the release `casella` with its demo data in a temp dir and measures, in one run:

1. Web sign-in with argon2id + TOTP: p50/p99 of the whole sign-in (password step, then the
   code step) of users with two-factor authentication on, beside the password-only sign-in.
2. Sign-in rate under attack: password sign-ins per second by 4 clients, alone and while 8
   clients guess another account's password from ever-changing addresses (the throttle
   refuses them before any argon2 work); the ratio of the two rates.
3. Access log and Tracemail write rates under SMTP load: 2,000 messages into a mailbox over
   the MX port while a client signs in over IMAP in a loop, with the engine's events on and
   off (`engine_events`), alternated twice; rows written per second, every message's trace
   row checked, and the ingest ratio on/off (goal >= 0.95).
4. Tracemail search at 1,000 vs 1,000,000 rows of one domain: first page, a deep page, by
   address, by status within dates; the ratio of the medians (goal <= 1.5). Each search
   answers a full page at both sizes, so the ratio compares like with like.
"""

from __future__ import annotations

import argparse
import base64
import email
import email.policy
import hashlib
import hmac
import http.cookiejar
import imaplib
import json
import statistics
import random
import re
import sqlite3
import ssl
import struct
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from servers import HOST, BenchError, Casella  # noqa: E402
from workloads import ImapTarget, percentile, smtp_ingest, summarize_ms  # noqa: E402

BENCH_DIR = Path(__file__).resolve().parent
DEFAULT_CASELLA_BIN = Path.home() / ".cache/casella/target/release/casella"
PASSWORD = "Bench-Password-42"
DOMAIN = "bench.test"


def log(msg: str) -> None:
    print(f"[accounts] {msg}", file=sys.stderr, flush=True)


# --- the web panel, as a browser's fetch calls it -------------------------------------------

class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Web:
    """One browser: its own cookie jar; calls the panel's server functions."""

    def __init__(self, base: str, forwarded_for: str | None = None):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirect())
        self.headers = {"Accept": "application/json"}
        if forwarded_for:
            self.headers["X-Forwarded-For"] = forwarded_for

    def call(self, endpoint: str, form: dict[str, str] | list[tuple[str, str]]) -> tuple[int, object]:
        data = urllib.parse.urlencode(form).encode()
        req = urllib.request.Request(f"{self.base}/api/{endpoint}", data=data, headers=self.headers)
        try:
            with self.opener.open(req, timeout=60) as resp:
                status, body = resp.status, resp.read()
        except urllib.error.HTTPError as e:
            status, body = e.code, e.read()
        try:
            value = json.loads(body) if body else None
        except ValueError:
            value = body.decode(errors="replace")
        return status, value

    def ok(self, endpoint: str, form) -> object:
        status, value = self.call(endpoint, form)
        if status >= 400:
            raise BenchError(f"{endpoint}: {status} {value}")
        return value


def totp(secret: str, step: int) -> str:
    key = secret.replace(" ", "").upper()
    key = base64.b32decode(key + "=" * (-len(key) % 8))
    mac = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    code = (struct.unpack(">I", mac[offset:offset + 4])[0] & 0x7FFFFFFF) % 1_000_000
    return f"{code:06d}"


def step_now() -> int:
    return int(time.time()) // 30


def emailed_password(imaps: int, inbox: str, inbox_password: str, login: str) -> str:
    """The password in the credentials e-mail for `login` in a demo inbox."""
    ctx = ssl.create_default_context()
    ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
    deadline = time.time() + 60
    while time.time() < deadline:
        conn = imaplib.IMAP4_SSL(HOST, imaps, ssl_context=ctx)
        conn.login(inbox, inbox_password)
        conn.select("INBOX", readonly=True)
        _, data = conn.search(None, "BODY", f'"{login}"')
        for num in reversed(data[0].split()):
            _, msg = conn.fetch(num, "(BODY.PEEK[])")
            # Decoded: the body may be quoted-printable (a password with `=` in it).
            parsed = email.message_from_bytes(msg[0][1], policy=email.policy.default)
            part = parsed.get_body(preferencelist=("plain",))
            text = part.get_content() if part else ""
            m = re.search(r"Password:\s*(\S+)", text)
            if m:
                conn.logout()
                return m.group(1)
        conn.logout()
        time.sleep(0.5)
    raise BenchError(f"no credentials e-mail for {login} in {inbox}")


def setup_domain(server: Casella, users: int) -> Web:
    """A customer domain with room for `users` mailboxes; returns its postmaster, signed in."""
    base = f"http://{HOST}:{server.http_port}"
    operator_login = server.roles["operator"][0]
    operator = Web(base)
    operator.ok("auth/login", {"login": operator_login, "password": server.credentials[operator_login]})
    prices = {"price_extra_mailbox": "2", "price_quota_25": "1", "price_quota_50": "2",
              "price_quota_100": "4", "price_send_1000": "1", "price_send_2000": "2",
              "price_send_5000": "5", "price_archive": "3"}
    operator.ok("operator/create_plan", {"name": "Bench plan", "mailbox_type": "Business Mail",
                                         "included_mailboxes": str(users + 5), **prices})
    plan = next(p["id"] for p in operator.ok("operator/list_plans", {}) if p["name"] == "Bench plan")
    operator.ok("operator/create_customer", {"company_name": "Bench Srl",
                                             "legal_email": "alice@demo.test", "plan": str(plan)})
    customer = next(c["id"] for c in operator.ok("operator/list_customers", {})
                    if c["company_name"] == "Bench Srl")
    operator.ok("operator/register_domain", {"domain": DOMAIN, "customer": str(customer)})
    login = f"postmaster@{DOMAIN}"
    emailed = emailed_password(server.ports["IMAPS"], "alice@demo.test",
                               server.credentials["alice@demo.test"], login)
    postmaster = Web(base)
    postmaster.ok("auth/login", {"login": login, "password": emailed})
    postmaster.ok("auth/change_password", {"current": emailed, "new": PASSWORD, "repeat": PASSWORD})
    return postmaster


def create_users(postmaster: Web, names: list[str]) -> list[str]:
    out = []
    for name in names:
        postmaster.ok("mailboxes/create_mailbox", {"domain": DOMAIN, "local_part": name,
                                                   "first_name": "Bench", "last_name": name,
                                                   "password": PASSWORD})
        out.append(f"{name}@{DOMAIN}")
    return out


# --- 1. sign-in cost --------------------------------------------------------------------------

def enrol(base: str, login: str) -> tuple[str, int]:
    """Turns TOTP on for `login`; returns the secret and the step its confirming code used."""
    web = Web(base)
    web.ok("auth/login", {"login": login, "password": PASSWORD})
    web.ok("account/begin_two_factor", {})
    secret = web.ok("account/two_factor", {})["enrolment"]["secret"]
    step = step_now() - 1
    web.ok("account/confirm_two_factor", {"code": totp(secret, step)})
    return secret, step


def sign_in_cost(server: Casella, users: list[str], duration: float, password_samples: int) -> dict:
    base = f"http://{HOST}:{server.http_port}"
    log(f"sign-in: enrolling {len(users)} users in TOTP")
    secrets_ = {u: enrol(base, u) for u in users}
    last = {u: s for u, (_, s) in secrets_.items()}
    full, password_step, code_step = [], [], []
    log(f"sign-in: argon2id + TOTP for {duration:.0f}s (a code is good once, so each user "
        "signs in at most once per 30-second step, plus one step ahead)")
    end = time.monotonic() + duration
    while time.monotonic() < end:
        progressed = False
        for user in users:
            step = max(last[user] + 1, step_now() - 1)
            if step > step_now() + 1:
                continue
            web = Web(base)
            t0 = time.perf_counter()
            web.ok("auth/login", {"login": user, "password": PASSWORD})
            t1 = time.perf_counter()
            web.ok("auth/second_factor", {"code": totp(secrets_[user][0], step)})
            t2 = time.perf_counter()
            last[user] = step
            # In seconds: summarize_ms reports milliseconds.
            password_step.append(t1 - t0)
            code_step.append(t2 - t1)
            full.append(t2 - t0)
            progressed = True
            if time.monotonic() >= end:
                break
        if not progressed:
            time.sleep(0.5)
    log(f"sign-in: password only, {password_samples} times")
    plain = []
    alice = server.credentials["alice@demo.test"]
    for _ in range(password_samples):
        web = Web(base)
        t0 = time.perf_counter()
        web.ok("auth/login", {"login": "alice@demo.test", "password": alice})
        plain.append(time.perf_counter() - t0)
    return {
        "with_totp_ms": summarize_ms(full),
        "password_step_ms": summarize_ms(password_step),
        "code_step_ms": summarize_ms(code_step),
        "password_only_ms": summarize_ms(plain),
    }


# --- 2. sign-in rate under attack -------------------------------------------------------------

def sign_in_rate(server: Casella, users: list[str], victim: str, seconds: float, attackers: int) -> dict:
    base = f"http://{HOST}:{server.http_port}"

    def run(attack: bool) -> dict:
        stop = time.monotonic() + seconds
        done, refused, guesses, errors = [], [], [], []
        lock = threading.Lock()

        def legit(user: str):
            n = 0
            while time.monotonic() < stop:
                status, value = Web(base).call("auth/login", {"login": user, "password": PASSWORD})
                if status < 400:
                    n += 1
                else:
                    with lock:
                        errors.append(f"{status} {value}")
            with lock:
                done.append(n)

        def attacker(k: int):
            rng = random.Random(k)
            n = throttled = 0
            while time.monotonic() < stop:
                ip = f"10.{k}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
                status, value = Web(base, forwarded_for=ip).call(
                    "auth/login", {"login": victim, "password": f"guess-{rng.random()}"})
                n += 1
                if status == 429 or "too many" in str(value).lower() or "troppi" in str(value).lower():
                    throttled += 1
            with lock:
                guesses.append(n)
                refused.append(throttled)

        threads = [threading.Thread(target=legit, args=(u,)) for u in users]
        if attack:
            threads += [threading.Thread(target=attacker, args=(k,)) for k in range(attackers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return {
            "sign_ins_per_s": round(sum(done) / seconds, 2),
            "attack_requests_per_s": round(sum(guesses) / seconds, 1) if attack else None,
            "attack_throttled_share": round(sum(refused) / max(1, sum(guesses)), 4) if attack else None,
            "errors": len(errors),
            "error_samples": errors[:3],
        }

    log(f"rate: {len(users)} clients signing in for {seconds:.0f}s, alone")
    alone = run(False)
    log(f"rate: the same, while {attackers} clients guess {victim}'s password")
    attacked = run(True)
    return {"alone": alone, "under_attack": attacked,
            "ratio": round(attacked["sign_ins_per_s"] / alone["sign_ins_per_s"], 3)
            if alone["sign_ins_per_s"] else None}


# --- 3. log writes under SMTP load ------------------------------------------------------------

def count_rows(db: Path, sql: str) -> int:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        return conn.execute(sql).fetchone()[0]
    finally:
        conn.close()


def ingest(binary: Path, work: Path, name: str, events: bool, messages: int, connections: int) -> dict:
    server = Casella(binary=binary, work_dir=work, name=name, store="sqlite",
                     extra_env={"CASELLA_ENGINE_EVENTS": "true" if events else "false",
                                "CASELLA_LOG": "warn"})
    server.start()
    try:
        imaps = server.ports["IMAPS"]
        box = ImapTarget(HOST, imaps, "implicit", "bob@demo.test", server.credentials["bob@demo.test"])
        alice = ImapTarget(HOST, imaps, "implicit", "alice@demo.test", server.credentials["alice@demo.test"])
        stop = threading.Event()
        sign_ins = [0]

        def imap_sign_ins():
            while not stop.is_set():
                try:
                    alice.login(timeout=30).logout()
                    sign_ins[0] += 1
                except Exception:  # noqa: BLE001 - the count shows it
                    time.sleep(0.1)

        signer = threading.Thread(target=imap_sign_ins, daemon=True)
        signer.start()
        result = smtp_ingest(HOST, server.ports["SMTP"], sender="bench@outside.test",
                             rcpt="bob@demo.test", mailbox=box, messages=messages,
                             connections=connections, seed=1, timeout=600,
                             cpu_probe=None)
        stop.set()
        signer.join(timeout=60)
        db = server.dir / "data" / "panel.sqlite3"
        trace_rows = access_rows = 0
        if events:
            # Let the last batch land, then count what the run wrote.
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                trace_rows = count_rows(db, "SELECT count(*) FROM message_trace WHERE "
                                            "recipient = 'bob@demo.test' AND status = 'delivered'")
                if trace_rows >= messages:
                    break
                time.sleep(0.5)
            access_rows = count_rows(db, "SELECT count(*) FROM access_log WHERE protocol = 'imap'")
        seconds = result["stored_s"]
        return {
            "events": events,
            "msgs_per_s": result["msgs_per_s"],
            "stored_s": seconds,
            "complete": result["complete"],
            "imap_sign_ins": sign_ins[0],
            "trace_delivered_rows": trace_rows,
            "access_log_rows": access_rows,
            "trace_rows_per_s": round(trace_rows / seconds, 1) if seconds else None,
            "access_rows_per_s": round(access_rows / seconds, 1) if seconds else None,
            "smtp_errors": result["errors"],
        }
    finally:
        server.stop()


# --- 4. trace search --------------------------------------------------------------------------

# Every search must answer a full page (50 rows) at both sizes: the ratio measures how the
# search grows with the table, and a 5-row answer beside a 50-row one would measure the size of
# the answer instead. So the searched address is a busy one (info@, a tenth of the traffic) and
# the searched status is common enough to fill a page within its dates at 1,000 rows.
STATUSES = ["delivered"] * 80 + ["deferred"] * 10 + ["bounced"] * 5 + ["rejected"] * 5
BUSY = f"info@{DOMAIN}"


def seed_trace(db: Path, rows: int, start_id: int, seed: int) -> None:
    """`rows` trace rows of bench.test over the last 30 days, oldest first."""
    rng = random.Random(seed)
    local = [f"user{i}@{DOMAIN}" for i in range(200)]
    remote = [f"contact{i}@remote{i % 50}.test" for i in range(2000)]
    now = datetime.now(timezone.utc)
    first = now - timedelta(days=30)
    span = (now - first).total_seconds()
    conn = sqlite3.connect(db, timeout=60)
    batch = []
    for i in range(rows):
        at = (first + timedelta(seconds=span * i / rows)).strftime("%Y-%m-%dT%H:%M:%S+00:00")
        out = rng.random() < 0.5
        me = BUSY if rng.random() < 0.1 else rng.choice(local)
        other = rng.choice(remote)
        sender, recipient = (me, other) if out else (other, me)
        status = rng.choice(STATUSES)
        batch.append((at, at, DOMAIN, "out" if out else "in", None if status == "rejected" else start_id + i,
                      f"m{start_id + i}@bench" if status != "rejected" else None, sender, recipient,
                      rng.randrange(2_000, 200_000), status,
                      "250 2.0.0 OK" if status == "delivered" else "451 4.7.1 Try again later",
                      "mx.remote.test", "203.0.113.7"))
        if len(batch) == 50_000:
            _insert(conn, batch)
            batch = []
    _insert(conn, batch)
    conn.close()


def _insert(conn: sqlite3.Connection, batch: list) -> None:
    conn.executemany(
        "INSERT INTO message_trace (at, updated_at, domain, direction, queue_id, message_id, sender, "
        "recipient, size, status, detail, remote_host, remote_ip) VALUES "
        "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", batch)
    conn.commit()


def search_times(web: Web, repeat: int) -> dict:
    """Median and p95 of each kind of search, in ms."""
    first = web.ok("domain/trace", {"domain": DOMAIN})
    # Page 11: follow the links ten times.
    page, before = first, None
    for _ in range(10):
        if page.get("older") is None:
            break
        before = page["older"]
        page = web.ok("domain/trace", {"domain": DOMAIN, "query[before]": str(before)})
    deep = str(before or "")
    today = datetime.now(timezone.utc).date()
    days = [(today - timedelta(days=25)).isoformat(), (today - timedelta(days=5)).isoformat()]
    queries = {
        "first page": {"domain": DOMAIN},
        "page 11": {"domain": DOMAIN, "query[before]": deep},
        "by address": {"domain": DOMAIN, "query[address]": BUSY},
        "by status and dates": {"domain": DOMAIN, "query[status]": "deferred",
                                "query[from]": days[0], "query[to]": days[1]},
    }
    out = {}
    for name, form in queries.items():
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            value = web.ok("domain/trace", form)
            times.append((time.perf_counter() - t0) * 1000)
        out[name] = {"p50": round(percentile(times, 50), 2), "p95": round(percentile(times, 95), 2),
                     "rows": len(value["rows"])}
    return out


def trace_search(binary: Path, work: Path, small: int, large: int, repeat: int) -> dict:
    server = Casella(binary=binary, work_dir=work, name="trace-search", store="sqlite",
                     extra_env={"CASELLA_ENGINE_EVENTS": "false", "CASELLA_LOG": "warn"})
    server.start()
    try:
        postmaster = setup_domain(server, 1)
        db = server.dir / "data" / "panel.sqlite3"
        log(f"search: {small:,} rows")
        seed_trace(db, small, 1, 1)
        at_small = search_times(postmaster, repeat)
        log(f"search: growing to {large:,} rows")
        t0 = time.perf_counter()
        seed_trace(db, large - small, 10_000_000, 2)
        log(f"search: seeded in {time.perf_counter() - t0:.0f}s; {large:,} rows")
        at_large = search_times(postmaster, repeat)
        for k in at_small:
            if at_small[k]["rows"] != at_large[k]["rows"]:
                raise SystemExit(f"search '{k}' shows {at_small[k]['rows']} rows at {small:,} "
                                 f"but {at_large[k]['rows']} at {large:,}: not like with like")
        ratios = {k: round(at_large[k]["p50"] / at_small[k]["p50"], 3) for k in at_small}
        return {"rows_small": small, "rows_large": large, "small": at_small, "large": at_large,
                "ratios_p50": ratios}
    finally:
        server.stop()


# --- the run ----------------------------------------------------------------------------------

def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--casella-bin", type=Path, default=DEFAULT_CASELLA_BIN)
    p.add_argument("--quick", action="store_true", help="small sizes, for a smoke test")
    p.add_argument("--only", choices=["all", "sign-in", "ingest", "search"], default="all")
    p.add_argument("--out-dir", type=Path, default=BENCH_DIR / "out")
    args = p.parse_args(argv)
    quick = args.quick
    results: dict = {"started": datetime.now(timezone.utc).isoformat(), "binary": str(args.casella_bin)}
    with tempfile.TemporaryDirectory(prefix="casella-accounts-") as tmp:
        work = Path(tmp)
        if args.only in ("all", "sign-in"):
            server = Casella(binary=args.casella_bin, work_dir=work, name="sign-in", store="sqlite",
                             extra_env={"CASELLA_TRUSTED_PROXIES": '["127.0.0.1"]',
                                        "CASELLA_LOG": "warn"})
            server.start()
            try:
                postmaster = setup_domain(server, 40)
                users = create_users(postmaster, [f"u{i}" for i in range(8 if quick else 30)])
                clients = create_users(postmaster, [f"c{i}" for i in range(4)])
                victim = create_users(postmaster, ["victim"])[0]
                results["sign_in"] = sign_in_cost(server, users, 10 if quick else 70,
                                                  20 if quick else 200)
                results["rate"] = sign_in_rate(server, clients, victim, 5 if quick else 20, 8)
            finally:
                server.stop()
        if args.only in ("all", "ingest"):
            runs = []
            messages = 300 if quick else 2000
            # Rounds alternate on and off, so a drift of the machine hits both alike; the ratio
            # is of the medians, so one outlying run does not decide it.
            for round_ in range(1 if quick else 3):
                for events in (True, False):
                    name = f"ingest-{'on' if events else 'off'}-{round_}"
                    log(f"ingest: {messages} messages, engine events {'on' if events else 'off'}")
                    runs.append(ingest(args.casella_bin, work, name, events, messages, 4))
            on = [r["msgs_per_s"] for r in runs if r["events"]]
            off = [r["msgs_per_s"] for r in runs if not r["events"]]
            results["ingest"] = {"runs": runs, "ratio_on_off": round(
                statistics.median(on) / statistics.median(off), 3)}
        if args.only in ("all", "search"):
            results["search"] = trace_search(args.casella_bin, work, 1_000,
                                             20_000 if quick else 1_000_000, 20 if quick else 100)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    out = args.out_dir / f"accounts-{datetime.now().strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps(results, indent=2))
    report(results)
    print(f"\nfull record: {out}")
    return 0


def report(r: dict) -> None:
    if "sign_in" in r:
        s = r["sign_in"]
        print("web sign-in (ms)                 n     p50     p99")
        for label, key in [("argon2id + TOTP, whole", "with_totp_ms"), ("  password step", "password_step_ms"),
                           ("  code step", "code_step_ms"), ("password only", "password_only_ms")]:
            x = s[key]
            print(f"  {label:<28} {x['n']:>5} {x['p50']:>7} {x['p99']:>7}")
    if "rate" in r:
        a, b = r["rate"]["alone"], r["rate"]["under_attack"]
        print(f"sign-ins/s alone {a['sign_ins_per_s']}, under attack {b['sign_ins_per_s']} "
              f"(ratio {r['rate']['ratio']}x; {b['attack_requests_per_s']} guesses/s, "
              f"{b['attack_throttled_share'] * 100:.1f}% refused by the throttle)")
    if "ingest" in r:
        print("smtp ingest        msgs/s  trace rows/s  access rows/s  trace rows")
        for x in r["ingest"]["runs"]:
            print(f"  events {'on ' if x['events'] else 'off'}      {x['msgs_per_s']:>7} "
                  f"{x['trace_rows_per_s'] or '-':>13} {x['access_rows_per_s'] or '-':>14} "
                  f"{x['trace_delivered_rows']:>11}")
        print(f"  ingest ratio events on/off (medians): {r['ingest']['ratio_on_off']}x (goal >= 0.95)")
    if "search" in r:
        s = r["search"]
        print(f"trace search p50 ms    {s['rows_small']:>10,} rows {s['rows_large']:>10,} rows   ratio"
              "   rows shown")
        for k, v in s["ratios_p50"].items():
            print(f"  {k:<22} {s['small'][k]['p50']:>15} {s['large'][k]['p50']:>15}   {v:<5}x"
                  f"   {s['small'][k]['rows']} / {s['large'][k]['rows']}")
        print("  (goal: ratio <= 1.5)")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
