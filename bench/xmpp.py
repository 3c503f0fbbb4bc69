# SPDX-License-Identifier: AGPL-3.0-only
"""XMPP benchmark (issue 11): Casella's XMPP service against Prosody, same client, same run.

Started by bench/xmpp (which installs Debian's prosody and lua-dbi-sqlite3 when missing). Each
target gets a fresh server in a temp dir, the same users (one domain, USERS accounts with the
same password, the same self-signed certificate), and then, in order:

0. Memory per idle session on the fresh server: after WARM_UP sessions signed in and closed,
   the server's RSS before and after IDLE sessions are signed in and bound (no presence
   sent, so nobody is notified), divided by IDLE. Then they are closed.
1. Sign-in rate: CLIENTS concurrent clients sign in back to back for SECONDS: TCP, STARTTLS,
   SASL PLAIN, stream restart, resource binding, then the stream is closed. Sign-ins per
   second and the latency of one whole sign-in (p50/p99), and apart the p50 of each user's
   first sign-in of the phase (Casella remembers a PLAIN sign-in it checked for 15 minutes,
   so only those pay its argon2id check; Prosody checks its PBKDF2 hash every time).
2. Messages under load: PAIRS pairs of signed-in sessions play ping-pong for SECONDS (A writes
   to B, B's client answers at once, A writes again on the answer, at most ten rounds a second
   per pair, so no session passes 20 stanzas a second), every pair at once: up to 20 x PAIRS
   messages a second offered. Round trip p50/p99 and messages per second, all pairs together. Both servers keep every
   message in their archive (MAM: Prosody's mod_mam on SQLite, Casella's history).
3. Memory per idle session after the load: as in 0, on the server the phases above used.
   Memory freed by the load (and kept by the allocator or the garbage collector) is
   reused here, so this figure is lower than the fresh one, for both servers.

Prosody 0.12 (Debian 12) runs with: c2s on a loopback port with STARTTLS required,
authentication internal_hashed (SCRAM verifiers, PLAIN accepted over TLS), storage SQLite
(lua-dbi-sqlite3), and the modules a chat client of Casella gets: roster, saslauth, tls,
disco, carbons, mam, smacks, ping, vcard_legacy, blocklist, csi_simple, time, version;
no rate limits (Casella's own limits are above what one session sends here). Casella runs
its release binary with its demo data, a domain with chat on, and the certificate above.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import re
import ssl
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from accounts import PASSWORD, Web, emailed_password  # noqa: E402
from servers import (  # noqa: E402
    HOST, BenchError, Casella, forget_pid, free_ports, log_tail, make_cert, record_pid,
    status_kb, stop_process, tree_cpu_seconds, wait_ports)
from workloads import summarize_ms  # noqa: E402

DEFAULT_CASELLA_BIN = Path.home() / ".cache/casella/target/release/casella"
DOMAIN = "chat.bench"
ROUND_INTERVAL = 0.1
# Sessions signed in and closed before the fresh server's memory is read.
WARM_UP = 20
NS_CLIENT = "jabber:client"


def log(msg: str) -> None:
    print(f"[xmpp] {msg}", file=sys.stderr, flush=True)


# --- the client: just enough XMPP to sign in, bind and exchange messages --------------------

HEADER = ("<?xml version='1.0'?><stream:stream to='{domain}' version='1.0' "
          "xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>")
_BODY = re.compile(rb"<body>([^<]*)</body>")
_FROM = re.compile(rb"from=['\"]([^'\"/]+)")


def tls_context() -> ssl.SSLContext:
    ctx = ssl.create_default_context()
    ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
    return ctx


class Session:
    """One client connection, signed in and bound."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self.reader, self.writer = reader, writer
        self.buffer = b""

    @classmethod
    async def open(cls, port: int, user: str, ctx: ssl.SSLContext) -> "Session":
        reader, writer = await asyncio.open_connection(HOST, port)
        s = cls(reader, writer)
        await s.send(HEADER.format(domain=DOMAIN).encode())
        await s.until(b"</stream:features>")
        await s.send(b"<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
        await s.until(b"<proceed")
        await writer.start_tls(ctx, server_hostname="localhost")
        s.buffer = b""
        await s.send(HEADER.format(domain=DOMAIN).encode())
        await s.until(b"</stream:features>")
        # The user name without the domain: the form both servers take (RFC 6120 §6.3.8).
        plain = base64.b64encode(f"\0{user.split('@')[0]}\0{PASSWORD}".encode())
        await s.send(b"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>"
                     + plain + b"</auth>")
        answer = await s.until_any(b"<success", b"<failure")
        if b"<failure" in answer:
            raise BenchError(f"sign-in of {user} refused: {answer[-300:]!r}")
        s.buffer = b""
        await s.send(HEADER.format(domain=DOMAIN).encode())
        await s.until(b"</stream:features>")
        await s.send(b"<iq type='set' id='bind'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>"
                     b"<resource>bench</resource></bind></iq>")
        await s.until(b"</iq>")
        s.buffer = b""
        return s

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def until(self, marker: bytes) -> bytes:
        return await self.until_any(marker)

    async def until_any(self, *markers: bytes) -> bytes:
        while not any(m in self.buffer for m in markers):
            chunk = await self.reader.read(65536)
            if not chunk:
                raise BenchError(f"stream ended waiting for {markers!r}: {self.buffer[-300:]!r}")
            self.buffer += chunk
        at = min(self.buffer.find(m) for m in markers if m in self.buffer)
        end = self.buffer.find(b">", at)
        out, self.buffer = self.buffer[:end + 1], self.buffer[end + 1:]
        return out

    async def message(self) -> tuple[bytes, bytes]:
        """The next chat message's sender (bare) and body."""
        while True:
            while b"</message>" not in self.buffer:
                chunk = await self.reader.read(65536)
                if not chunk:
                    raise BenchError("stream ended waiting for a message")
                self.buffer += chunk
            end = self.buffer.find(b"</message>") + len(b"</message>")
            start = self.buffer.rfind(b"<message", 0, end)
            stanza, self.buffer = self.buffer[start:end], self.buffer[end:]
            body = _BODY.search(stanza)
            sender = _FROM.search(stanza)
            if body and sender:
                return sender.group(1), body.group(1)

    async def chat(self, to: str, body: str) -> None:
        await self.send(f"<message to='{to}' type='chat'><body>{body}</body></message>".encode())

    async def close(self) -> None:
        try:
            self.writer.write(b"</stream:stream>")
            await self.writer.drain()
            self.writer.close()
            await asyncio.wait_for(self.writer.wait_closed(), 5)
        except (OSError, asyncio.TimeoutError, ssl.SSLError):
            pass


# --- the workloads ------------------------------------------------------------------------

async def sign_in_rate(port: int, users: list[str], clients: int, seconds: float) -> dict:
    ctx = tls_context()
    times: list[float] = []
    # Each user's first sign-in of the phase: a server that remembers recent sign-ins
    # (Casella does, for 15 minutes) pays its password hash on these.
    first_times: list[float] = []
    seen: set[str] = set()
    errors = 0
    deadline = time.monotonic() + seconds

    async def client(i: int) -> None:
        nonlocal errors
        n = i
        while time.monotonic() < deadline:
            user = users[n % len(users)]
            n += clients
            first = user not in seen
            seen.add(user)
            started = time.monotonic()
            try:
                s = await Session.open(port, user, ctx)
                await s.close()
                times.append(time.monotonic() - started)
                if first:
                    first_times.append(times[-1])
            except (BenchError, OSError, ssl.SSLError):
                errors += 1

    started = time.monotonic()
    await asyncio.gather(*(client(i) for i in range(clients)))
    elapsed = time.monotonic() - started
    return {"per_second": round(len(times) / elapsed, 1), "latency": summarize_ms(times),
            "first_latency": summarize_ms(first_times), "errors": errors}


async def ping_pong(port: int, users: list[str], pairs: int, seconds: float) -> dict:
    ctx = tls_context()
    sessions = []
    for i in range(pairs):
        a = await Session.open(port, users[(2 * i) % len(users)], ctx)
        b = await Session.open(port, users[(2 * i + 1) % len(users)], ctx)
        sessions.append((a, b, users[(2 * i) % len(users)], users[(2 * i + 1) % len(users)]))
    # Available, so both servers route to the session at once.
    for a, b, _, _ in sessions:
        await a.send(b"<presence/>")
        await b.send(b"<presence/>")
    await asyncio.sleep(2)
    for a, b, _, _ in sessions:
        a.buffer, b.buffer = b"", b""
    rtts: list[float] = []
    sent = 0
    deadline = time.monotonic() + seconds

    async def pair(a: Session, b: Session, a_jid: str, b_jid: str, i: int) -> None:
        nonlocal sent

        async def echo() -> None:
            nonlocal sent
            while True:
                _, body = await b.message()
                await b.chat(a_jid, "re-" + body.decode())
                sent += 1

        answering = asyncio.ensure_future(echo())
        last_start = 0.0
        try:
            n = 0
            while time.monotonic() < deadline:
                n += 1
                started = time.monotonic()
                # At most ten rounds a second per pair: under the per-session stanza rate a
                # server may enforce (Casella's is 20 a second), as a person's client would.
                if last_start and started - last_start < ROUND_INTERVAL:
                    await asyncio.sleep(ROUND_INTERVAL - (started - last_start))
                    started = time.monotonic()
                last_start = started
                await a.chat(b_jid, f"p{i}-{n}")
                sent += 1
                while True:
                    _, body = await a.message()
                    if body == f"re-p{i}-{n}".encode():
                        break
                rtts.append(time.monotonic() - started)
        finally:
            answering.cancel()

    started = time.monotonic()
    await asyncio.gather(*(pair(a, b, aj, bj, i) for i, (a, b, aj, bj) in enumerate(sessions)))
    elapsed = time.monotonic() - started
    for a, b, _, _ in sessions:
        await a.close()
        await b.close()
    return {"messages_per_second": round(sent / elapsed, 1), "round_trip": summarize_ms(rtts)}


async def idle_sessions(port: int, users: list[str], count: int, pid: int,
                        warm_up: int = 0) -> dict:
    ctx = tls_context()
    # A few sessions first, so code and tables every session uses are in memory already.
    for i in range(warm_up):
        await (await Session.open(port, users[i % len(users)], ctx)).close()
    await asyncio.sleep(1)
    before = status_kb(pid, "VmRSS")
    sessions = []
    for i in range(count):
        sessions.append(await Session.open(port, users[i % len(users)], ctx))
    await asyncio.sleep(2)
    after = status_kb(pid, "VmRSS")
    for s in sessions:
        await s.close()
    return {"sessions": count, "rss_before_kb": before, "rss_after_kb": after,
            "kb_per_session": round((after - before) / count, 2)}


# --- the servers --------------------------------------------------------------------------

PROSODY_CONFIG = """\
-- Written by bench/xmpp.py for one run.
daemonize = false
run_as_root = true
pidfile = "{dir}/prosody.pid"
data_path = "{dir}/data"
log = {{ info = "{dir}/prosody.log"; error = "{dir}/prosody.err" }}
interfaces = {{ "127.0.0.1" }}
c2s_ports = {{ {port} }}
c2s_direct_tls_ports = {{ }}
s2s_ports = {{ }}
component_ports = {{ }}
http_ports = {{ }}
https_ports = {{ }}
c2s_require_encryption = true
allow_unencrypted_plain_auth = false
authentication = "internal_hashed"
storage = "sql"
sql = {{ driver = "SQLite3", database = "{dir}/prosody.sqlite" }}
archive_expires_after = "never"
default_archive_policy = true
limits = {{ }}
modules_enabled = {{
  "roster"; "saslauth"; "tls"; "disco"; "carbons"; "mam"; "smacks"; "ping";
  "vcard_legacy"; "blocklist"; "csi_simple"; "time"; "version"; "posix";
}}
modules_disabled = {{ "s2s" }}
ssl = {{ certificate = "{cert}"; key = "{key}" }}
VirtualHost "{domain}"
"""


class Prosody:
    def __init__(self, work: Path, cert: Path, key: Path):
        self.dir = work / "prosody"
        self.dir.mkdir(parents=True)
        (self.dir / "data").mkdir()
        self.port = free_ports(1)[0]
        self.config = self.dir / "prosody.cfg.lua"
        self.config.write_text(PROSODY_CONFIG.format(
            dir=self.dir, port=self.port, cert=cert, key=key, domain=DOMAIN))
        self.work = work
        self.proc: subprocess.Popen | None = None

    def _ctl(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(["prosodyctl", "--config", str(self.config), *args],
                              capture_output=True, text=True, timeout=60,
                              stdin=subprocess.DEVNULL)

    def version(self) -> str:
        out = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "prosody"],
                             capture_output=True, text=True, stdin=subprocess.DEVNULL).stdout
        return out.strip() or "?"

    def start(self, users: list[str]) -> None:
        for user in users:
            done = self._ctl("register", user.split("@")[0], DOMAIN, PASSWORD)
            if done.returncode != 0:
                raise BenchError(f"prosodyctl register {user}: {done.stderr or done.stdout}")
        self.proc = subprocess.Popen(
            ["prosody", "--config", str(self.config)], stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=open(self.dir / "stderr.log", "ab"),
            start_new_session=True)
        record_pid(self.work, self.proc.pid, "prosody")
        try:
            wait_ports([self.port], timeout=30, alive=lambda: self.proc.poll() is None,
                       what="prosody")
        except BenchError as e:
            raise BenchError(f"{e}\n{log_tail(self.dir / 'prosody.err')}\n"
                             f"{log_tail(self.dir / 'stderr.log')}")

    @property
    def pid(self) -> int:
        return self.proc.pid if self.proc else 0

    def stop(self) -> None:
        if self.proc:
            stop_process(self.proc)
            forget_pid(self.work, self.proc.pid)


def casella_users(server: Casella, count: int) -> list[str]:
    """A customer domain with chat on and `count` mailboxes."""
    base = f"http://{HOST}:{server.http_port}"
    operator_login = server.roles["operator"][0]
    operator = Web(base)
    operator.ok("auth/login", {"login": operator_login,
                               "password": server.credentials[operator_login]})
    prices = {"price_extra_mailbox": "2", "price_quota_25": "1", "price_quota_50": "2",
              "price_quota_100": "4", "price_send_1000": "1", "price_send_2000": "2",
              "price_send_5000": "5", "price_archive": "3"}
    operator.ok("operator/create_plan", {"name": "Chat plan", "mailbox_type": "Business Mail",
                                         "included_mailboxes": str(count + 5), **prices})
    plan = next(p["id"] for p in operator.ok("operator/list_plans", {})
                if p["name"] == "Chat plan")
    operator.ok("operator/create_customer", {"company_name": "Chat Srl",
                                             "legal_email": "alice@demo.test", "plan": str(plan)})
    customer = next(c["id"] for c in operator.ok("operator/list_customers", {})
                    if c["company_name"] == "Chat Srl")
    operator.ok("operator/register_domain", {"domain": DOMAIN, "customer": str(customer)})
    login = f"postmaster@{DOMAIN}"
    emailed = emailed_password(server.ports["IMAPS"], "alice@demo.test",
                               server.credentials["alice@demo.test"], login)
    postmaster = Web(base)
    postmaster.ok("auth/login", {"login": login, "password": emailed})
    postmaster.ok("auth/change_password", {"current": emailed, "new": PASSWORD,
                                           "repeat": PASSWORD})
    postmaster.ok("domain/set_domain_chat", {"domain": DOMAIN, "enabled": "true"})
    users = []
    for i in range(count):
        name = f"u{i:03d}"
        postmaster.ok("mailboxes/create_mailbox", {
            "domain": DOMAIN, "local_part": name, "first_name": "Chat", "last_name": name,
            "password": PASSWORD})
        users.append(f"{name}@{DOMAIN}")
    return users


# --- the run ------------------------------------------------------------------------------

def measure(name: str, port: int, pid: int, users: list[str], args) -> dict:
    log(f"{name}: {args.idle} idle sessions on the fresh server")
    fresh = asyncio.run(idle_sessions(port, users, args.idle, pid, warm_up=WARM_UP))
    log(f"{name}: sign-in rate ({args.clients} clients, {args.seconds:.0f} s)")
    cpu0 = tree_cpu_seconds([pid])
    sign_in = asyncio.run(sign_in_rate(port, users, args.clients, args.seconds))
    sign_in["cpu_ms_each"] = round((tree_cpu_seconds([pid]) - cpu0) * 1000
                                   / max(1, sign_in["latency"].get("n", 0)), 2)
    log(f"{name}: messages ({args.pairs} pairs, {args.seconds:.0f} s)")
    cpu0 = tree_cpu_seconds([pid])
    messages = asyncio.run(ping_pong(port, users, args.pairs, args.seconds))
    messages["cpu_seconds"] = round(tree_cpu_seconds([pid]) - cpu0, 2)
    log(f"{name}: {args.idle} idle sessions after the load")
    idle = asyncio.run(idle_sessions(port, users, args.idle, pid))
    return {"sign_in": sign_in, "messages": messages, "idle_fresh": fresh, "idle": idle}


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="bench/xmpp", description=__doc__.split("\n\n")[0])
    p.add_argument("--casella-bin", type=Path, default=DEFAULT_CASELLA_BIN)
    p.add_argument("--quick", action="store_true", help="smaller and shorter")
    p.add_argument("--users", type=int, default=100)
    p.add_argument("--clients", type=int, default=16)
    p.add_argument("--pairs", type=int, default=50)
    p.add_argument("--seconds", type=float, default=20.0)
    p.add_argument("--idle", type=int, default=1000)
    p.add_argument("--only", choices=["prosody", "casella"])
    p.add_argument("--json", type=Path, help="write the full record here")
    args = p.parse_args(argv)
    if args.quick:
        args.users, args.clients, args.pairs = 20, 8, 10
        args.seconds, args.idle = 5.0, 200
    if args.idle > args.users * 10:
        raise BenchError("--idle may be at most ten sessions per user (Casella's default limit)")
    users = [f"u{i:03d}@{DOMAIN}" for i in range(args.users)]
    record: dict = {"params": {k: (str(v) if isinstance(v, Path) else v)
                               for k, v in vars(args).items()}, "targets": {}}
    with tempfile.TemporaryDirectory(prefix="casella-xmpp-") as tmp:
        work = Path(tmp)
        cert, key = make_cert(work)
        if args.only in (None, "prosody"):
            prosody = Prosody(work, cert, key)
            log(f"prosody {prosody.version()}: registering {args.users} users")
            try:
                prosody.start(users)
                record["targets"]["prosody"] = measure("prosody", prosody.port, prosody.pid,
                                                       users, args)
                record["targets"]["prosody"]["version"] = prosody.version()
            finally:
                prosody.stop()
        if args.only in (None, "casella"):
            casella = Casella(binary=args.casella_bin, work_dir=work, name="casella",
                              store="rocksdb", extra_env={
                                  "CASELLA_TLS__CERT": str(cert), "CASELLA_TLS__KEY": str(key),
                                  "CASELLA_LOG": "warn"})
            try:
                casella.start()
                log(f"casella: making {args.users} users")
                made = casella_users(casella, args.users)
                record["targets"]["casella"] = measure(
                    "casella", casella.ports["XMPP_PORT"], casella.pid, made, args)
            finally:
                casella.stop()
    report(record)
    if args.json:
        args.json.write_text(json.dumps(record, indent=2))
    return 0


def report(record: dict) -> None:
    rows = []
    for name, r in record["targets"].items():
        rows.append(
            f"{name:<10} {r['sign_in']['per_second']:>9} {r['sign_in']['latency'].get('p50', '-'):>8} "
            f"{r['sign_in']['latency'].get('p99', '-'):>8} {r['sign_in']['cpu_ms_each']:>8} "
            f"{r['messages']['messages_per_second']:>9} "
            f"{r['messages']['round_trip'].get('p50', '-'):>8} "
            f"{r['messages']['round_trip'].get('p99', '-'):>8} "
            f"{r['idle_fresh']['kb_per_session']:>9} {r['idle']['kb_per_session']:>9} "
            f"{r['sign_in']['first_latency'].get('p50', '-'):>9}")
    print("target     sign-in/s  in p50  in p99  cpu ms   msgs/s  rtt p50  rtt p99  KiB/sess  KiB/sess  1st p50")
    print("                                                                          fresh   after load  ms")
    print("\n".join(rows))
    t = record["targets"]
    if "prosody" in t and "casella" in t:
        c, pr = t["casella"], t["prosody"]

        def ratio(a, b):
            return round(a / b, 2) if a and b else None
        print("\ncasella / prosody (throughput: >1 = Casella faster; latency and memory: <1 = "
              "Casella better)")
        print(f"  sign-ins/s        {ratio(c['sign_in']['per_second'], pr['sign_in']['per_second'])}x")
        print(f"  sign-in p50       {ratio(c['sign_in']['latency'].get('p50'), pr['sign_in']['latency'].get('p50'))}x")
        print(f"  messages/s        {ratio(c['messages']['messages_per_second'], pr['messages']['messages_per_second'])}x")
        print(f"  round trip p50    {ratio(c['messages']['round_trip'].get('p50'), pr['messages']['round_trip'].get('p50'))}x")
        print(f"  round trip p99    {ratio(c['messages']['round_trip'].get('p99'), pr['messages']['round_trip'].get('p99'))}x")
        print(f"  KiB per idle session, fresh server      "
              f"{ratio(c['idle_fresh']['kb_per_session'], pr['idle_fresh']['kb_per_session'])}x")
        print(f"  KiB per idle session, after the load    "
              f"{ratio(c['idle']['kb_per_session'], pr['idle']['kb_per_session'])}x")
        print(f"  each user's first sign-in p50           "
              f"{ratio(c['sign_in']['first_latency'].get('p50'), pr['sign_in']['first_latency'].get('p50'))}x")


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except BenchError as e:
        log(f"error: {e}")
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
