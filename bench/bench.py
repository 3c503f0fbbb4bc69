# SPDX-License-Identifier: AGPL-3.0-only
"""Casella's embedded mail engine vs Dovecot (+ Postfix) on this machine, in one run.

Started by bench/run (which installs the Debian packages first). For each
target — Dovecot+Postfix, then each Casella engine variant — it starts a fresh
private server, loads the same INBOX over IMAP APPEND, runs the IMAP session
mix, runs SMTP ingest into a second mailbox, stops the server, and finally
prints a table, ratios against Dovecot, and writes bench/out/<timestamp>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import sys
import tempfile
import time
import traceback
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from messages import make_message  # noqa: E402
from servers import (  # noqa: E402
    HOST, BenchError, Casella, Dovecot, Postfix, random_password, status_kb, tree_cpu_seconds,
    tree_rss_kb,
)
from workloads import ImapTarget, imap_mix, load_mailbox, single_session, smtp_ingest  # noqa: E402

BENCH_DIR = Path(__file__).resolve().parent
DEFAULT_CASELLA_BIN = Path.home() / ".cache/casella/target/release/casella"
MIB = 1024 * 1024

# Casella engine variants: (store, use the larger cache settings).
VARIANTS = {
    "sqlite": ("sqlite", False),
    "sqlite-cache": ("sqlite", True),
    "rocksdb": ("rocksdb", False),
    "rocksdb-cache": ("rocksdb", True),
}

IMAP_USER, SMTP_USER = "alice@demo.test", "bob@demo.test"


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# --- arguments -------------------------------------------------------------------


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="bench/run",
        description="Benchmark Casella's embedded mail engine against Dovecot (+ Postfix) "
                    "on this machine and print ratios.",
    )
    p.add_argument("--only", choices=["all", "dovecot", "casella"], default="all",
                   help="which side to run (default: all)")
    p.add_argument("--casella-bin", type=Path, default=DEFAULT_CASELLA_BIN,
                   help=f"casella binary (default: {DEFAULT_CASELLA_BIN})")
    p.add_argument("--variants", default=",".join(VARIANTS),
                   help=f"Casella variants, comma-separated from {', '.join(VARIANTS)} (default: all)")
    p.add_argument("--quick", action="store_true",
                   help="smoke test: 1,000 messages, 10 s IMAP mix, 20 bodies, 300 SMTP messages")
    p.add_argument("--messages", type=int, help="messages loaded into the IMAP INBOX (default 5000)")
    p.add_argument("--bodies", type=int, help="FETCH n BODY.PEEK[] per session (default 50)")
    p.add_argument("--clients", type=int, default=4, help="concurrent IMAP clients (default 4)")
    p.add_argument("--imap-duration", type=float, help="seconds of IMAP mix per target (default 40)")
    p.add_argument("--max-sessions", type=int, default=100_000,
                   help="upper bound on sessions per IMAP client (default 100000)")
    p.add_argument("--smtp-messages", type=int, help="messages for SMTP ingest (default 2000)")
    p.add_argument("--smtp-connections", type=int, default=4, help="concurrent SMTP connections (default 4)")
    p.add_argument("--smtp-timeout", type=float,
                   help="seconds to wait for all SMTP messages to be stored (default 300)")
    p.add_argument("--smtp-from", default="bench@bench.test", help="envelope sender for SMTP ingest")
    p.add_argument("--imap-tls", choices=["implicit", "starttls"], default="implicit",
                   help="IMAPS (implicit TLS) or STARTTLS on the plain port, for every server (default implicit)")
    p.add_argument("--load-connections", type=int, default=4, help="parallel APPEND connections (default 4)")
    p.add_argument("--append-window", type=int, default=32, help="pipelined APPENDs in flight (default 32)")
    p.add_argument("--cache-messages-bytes", type=int, default=512 * MIB,
                   help="CASELLA_ENGINE__CACHE_MESSAGES_BYTES for *-cache variants (default 512 MiB; "
                        "engine default 50 MiB)")
    p.add_argument("--cache-access-tokens-bytes", type=int, default=64 * MIB,
                   help="CASELLA_ENGINE__CACHE_ACCESS_TOKENS_BYTES for *-cache variants (default 64 MiB; "
                        "engine default 10 MiB)")
    p.add_argument("--dovecot-pass-scheme", default="SHA512-CRYPT",
                   help="password scheme of the Dovecot passwd-file (default SHA512-CRYPT)")
    p.add_argument("--seed", type=int, default=1, help="corpus seed")
    p.add_argument("--out-dir", type=Path, default=BENCH_DIR / "out", help="where the JSON summary goes")
    p.add_argument("--work-dir", type=Path, help="temp dir for server instances (bench/run sets it)")
    args = p.parse_args(argv)

    quick = args.quick
    defaults = {
        "messages": 1000 if quick else 5000,
        "bodies": 20 if quick else 50,
        "imap_duration": 10.0 if quick else 40.0,
        "smtp_messages": 300 if quick else 2000,
        "smtp_timeout": 120.0 if quick else 300.0,
    }
    for key, value in defaults.items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    args.casella_bin = args.casella_bin.expanduser().absolute()
    args.variant_list = [v.strip() for v in args.variants.split(",") if v.strip()]
    unknown = [v for v in args.variant_list if v not in VARIANTS]
    if unknown:
        p.error(f"unknown variant(s): {', '.join(unknown)}")
    return args


# --- one target ----------------------------------------------------------------------


def run_workloads(name: str, args, corpus, imap: ImapTarget, smtp_host: str, smtp_port: int,
                  smtp_box: ImapTarget, imap_cpu_roots, smtp_cpu_roots, rss_roots) -> dict:
    log(f"{name}: loading {len(corpus)} messages into {imap.user} INBOX (IMAP APPEND)")
    load = load_mailbox(imap, corpus, seed=args.seed, connections=args.load_connections,
                        window=args.append_window)
    log(f"{name}:   {load['stored']} stored in {load['seconds']} s ({load['msgs_per_s']} msg/s)"
        + (f"  errors: {load['errors']}" if load["errors"] else ""))
    if load["errors"]:
        raise BenchError(f"loading failed: {load['errors'][:3]}")

    settle_load = wait_idle(imap_cpu_roots, max_wait=60)
    if settle_load > 1:
        log(f"{name}:   server busy for {settle_load:.1f} s after loading (background work)")
    first = single_session(imap, bodies=args.bodies, seed=args.seed)
    log(f"{name}: first session (cold): FETCH ENVELOPE {first['fetch_envelope_ms']} ms")

    log(f"{name}: IMAP mix, {args.clients} clients x {args.imap_duration:.0f} s")
    mix = imap_mix(imap, clients=args.clients, duration=args.imap_duration, bodies=args.bodies,
                   max_sessions=args.max_sessions, seed=args.seed,
                   cpu_probe=lambda: tree_cpu_seconds(imap_cpu_roots))
    env = mix["latency_ms"]["fetch_envelope"]
    log(f"{name}:   {mix['sessions']} sessions, {mix['sessions_per_s']}/s, "
        f"FETCH ENVELOPE p50 {env.get('p50')} ms p95 {env.get('p95')} ms, errors {mix['errors']}")
    for e in mix["error_samples"]:
        log(f"{name}:   error: {e}")

    # Casella is one process; Dovecot is a tree (master, auth, login, imap...).
    memory = {
        "rss_after_imap_kb": tree_rss_kb(rss_roots),
        "main_rss_kb": status_kb(rss_roots[0], "VmRSS"),
        "main_hwm_kb": status_kb(rss_roots[0], "VmHWM"),
    }

    settle_imap = wait_idle(smtp_cpu_roots, max_wait=20)
    log(f"{name}: SMTP ingest, {args.smtp_messages} messages over {args.smtp_connections} connections "
        f"to {smtp_box.user}")
    smtp = smtp_ingest(smtp_host, smtp_port, sender=args.smtp_from, rcpt=smtp_box.user, mailbox=smtp_box,
                       messages=args.smtp_messages, connections=args.smtp_connections,
                       seed=args.seed + 1000, timeout=args.smtp_timeout,
                       cpu_probe=lambda: tree_cpu_seconds(smtp_cpu_roots))
    log(f"{name}:   {smtp['stored']}/{smtp['messages']} stored in {smtp['stored_s']} s "
        f"({smtp['msgs_per_s']} msg/s; accepted in {smtp['accept_s']} s), errors {smtp['errors']}"
        + (f", reconnects {smtp['reconnects']} ({smtp['reconnect_reasons'][0]})" if smtp["reconnects"] else ""))
    for e in smtp["error_samples"]:
        log(f"{name}:   error: {e}")

    load["settle_s"] = settle_load
    mix["settle_before_smtp_s"] = settle_imap
    return {"load": load, "first_session": first, "imap": mix, "memory": memory, "smtp": smtp}


def wait_idle(roots: list[int], *, max_wait: float, below_cores: float = 0.05,
              window: float = 1.0) -> float:
    """Wait until the server uses less than `below_cores` of CPU over `window` seconds
    (e.g. background indexing after a bulk load); returns the seconds waited."""
    t0 = time.perf_counter()
    last = tree_cpu_seconds(roots)
    while time.perf_counter() - t0 < max_wait:
        time.sleep(window)
        now = tree_cpu_seconds(roots)
        if (now - last) / window < below_cores:
            break
        last = now
    return round(time.perf_counter() - t0 - window, 1)


def run_dovecot(args, corpus, work_dir: Path) -> dict:
    password = random_password()
    users = {IMAP_USER: password, SMTP_USER: password}
    dovecot = Dovecot(work_dir, users, pass_scheme=args.dovecot_pass_scheme)
    postfix = None
    try:
        log("dovecot: starting private Dovecot and Postfix instances")
        dovecot.start()
        postfix = Postfix(work_dir, "demo.test", list(users), dovecot.lmtp_port)
        postfix.start()
        port = dovecot.imaps_port if args.imap_tls == "implicit" else dovecot.imap_port
        imap = ImapTarget(HOST, port, args.imap_tls, IMAP_USER, password)
        box = ImapTarget(HOST, port, args.imap_tls, SMTP_USER, password)
        result = run_workloads(
            "dovecot", args, corpus, imap, HOST, postfix.smtp_port, box,
            imap_cpu_roots=[dovecot.pid], smtp_cpu_roots=[dovecot.pid, postfix.master_pid],
            rss_roots=[dovecot.pid],
        )
        result["server"] = {
            "kind": "dovecot",
            "dovecot_version": dovecot.version(),
            "postfix_version": postfix.version(),
            "mail_location": "maildir",
            "pass_scheme": args.dovecot_pass_scheme,
            "smtp_path": "postfix smtpd -> qmgr -> lmtp -> dovecot lmtp",
        }
        return result
    finally:
        if postfix:
            postfix.stop()
        dovecot.stop()


def run_casella(args, corpus, work_dir: Path, variant: str) -> dict:
    store, big_cache = VARIANTS[variant]
    name = f"casella-{variant}"
    server = Casella(
        binary=args.casella_bin, work_dir=work_dir, name=name, store=store,
        cache_messages_bytes=args.cache_messages_bytes if big_cache else None,
        cache_access_tokens_bytes=args.cache_access_tokens_bytes if big_cache else None,
    )
    try:
        log(f"{name}: starting {args.casella_bin} (store={store}, "
            f"cache={'large' if big_cache else 'engine default'})")
        t0 = time.perf_counter()
        server.start()
        startup_s = time.perf_counter() - t0
        port_key = "IMAPS" if args.imap_tls == "implicit" else "IMAP"
        port = server.ports[port_key]
        imap = ImapTarget(HOST, port, args.imap_tls, IMAP_USER, server.credentials[IMAP_USER])
        box = ImapTarget(HOST, port, args.imap_tls, SMTP_USER, server.credentials[SMTP_USER])
        result = run_workloads(
            name, args, corpus, imap, HOST, server.ports["SMTP"], box,
            imap_cpu_roots=[server.pid], smtp_cpu_roots=[server.pid], rss_roots=[server.pid],
        )
        result["server"] = {
            "kind": "casella",
            "binary": str(args.casella_bin),
            "store": store,
            "cache_messages_bytes": server.cache_messages_bytes,
            "cache_access_tokens_bytes": server.cache_access_tokens_bytes,
            "startup_s": round(startup_s, 2),
            "smtp_path": "casella MX listener (no auth, local domain)",
        }
        return result
    finally:
        server.stop()


# --- machine state -------------------------------------------------------------------


def cpu_busy_fraction(sample_s: float = 1.0) -> float:
    """Share of all cores busy over a short sample (what else runs on the machine)."""

    def read():
        with open("/proc/stat") as f:
            vals = [int(x) for x in f.readline().split()[1:]]
        idle = vals[3] + vals[4]
        return sum(vals), idle

    t1, i1 = read()
    time.sleep(sample_s)
    t2, i2 = read()
    return 1 - (i2 - i1) / max(t2 - t1, 1)


def machine_info() -> dict:
    mem_kb = 0
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    return {
        "hostname": platform.node(),
        "kernel": platform.release(),
        "cpus": os.cpu_count(),
        "mem_gib": round(mem_kb / MIB, 1),
        "python": platform.python_version(),
        "loadavg_start": os.getloadavg(),
        "cpu_busy_before_start": round(cpu_busy_fraction(), 3),
    }


# --- report ---------------------------------------------------------------------------


def _get(d: dict, *path, default=None):
    for key in path:
        if not isinstance(d, dict) or key not in d:
            return default
        d = d[key]
    return d


def _fmt(v, width: int, digits: int = 1) -> str:
    if v is None:
        return "-".rjust(width)
    if isinstance(v, float):
        return f"{v:.{digits}f}".rjust(width)
    return str(v).rjust(width)


METRICS = [
    # key, label, path, higher is better
    ("imap_sessions_per_s", "imap sessions/s", ("imap", "sessions_per_s"), True),
    ("fetch_envelope_p50_ms", "fetch-envelope p50 ms", ("imap", "latency_ms", "fetch_envelope", "p50"), False),
    ("fetch_envelope_p95_ms", "fetch-envelope p95 ms", ("imap", "latency_ms", "fetch_envelope", "p95"), False),
    ("fetch_body_p50_ms", "fetch-body p50 ms", ("imap", "latency_ms", "fetch_body", "p50"), False),
    ("login_p50_ms", "login p50 ms", ("imap", "latency_ms", "login", "p50"), False),
    ("imap_cpu_ms_per_session", "server cpu ms/session", ("imap", "server_cpu_ms_per_session"), False),
    ("smtp_msgs_per_s", "smtp msgs/s (stored)", ("smtp", "msgs_per_s"), True),
    ("smtp_cpu_ms_per_msg", "server cpu ms/smtp msg", ("smtp", "server_cpu_ms_per_msg"), False),
    ("load_msgs_per_s", "append msgs/s", ("load", "msgs_per_s"), True),
]


def foreign_cores(r: dict):
    vals = [v for v in (_get(r, "imap", "foreign_cpu_cores"), _get(r, "smtp", "foreign_cpu_cores"))
            if v is not None]
    return max(vals) if vals else None


def compare(a: dict, b: dict) -> dict:
    """Ratios a / b for every metric both have."""
    out = {}
    for key, _label, path, _hib in METRICS:
        va, vb = _get(a, *path), _get(b, *path)
        if isinstance(va, (int, float)) and isinstance(vb, (int, float)) and vb:
            out[key] = {"value": va, "baseline": vb, "ratio": round(va / vb, 3)}
    return out


def ratio_line(label: str, ratios: dict) -> str:
    parts = []
    for key, name, _path, higher_better in METRICS:
        r = ratios.get(key)
        if not r:
            continue
        if higher_better:
            parts.append(f"{name} {r['ratio']:.2f}x ({r['value']:g} vs {r['baseline']:g})")
        else:
            parts.append(f"{name} {r['value']:g} vs {r['baseline']:g} ({r['ratio']:.2f}x)")
    return f"{label}:\n    " + "\n    ".join(parts)


def print_report(results: dict, info: dict, params: dict) -> dict:
    print()
    print(f"== Casella vs Dovecot: {info['cpus']} cores, {info['mem_gib']} GiB; "
          f"INBOX {params['messages']} msgs; IMAP {params['clients']} clients x {params['imap_duration']:.0f} s, "
          f"{params['bodies']} bodies/session, {params['imap_tls']} TLS; "
          f"SMTP {params['smtp_messages']} msgs x {params['smtp_connections']} conns ==")
    if info["cpu_busy_before_start"] > 0.15:
        print(f"!! machine was {info['cpu_busy_before_start'] * 100:.0f}% busy before the run "
              f"(load {info['loadavg_start'][0]:.2f}): absolute figures are noisy; ratios less so")
    header = (f"{'target':<22}{'append':>8}{'sess/s':>9}{'env p50':>9}{'env p95':>9}{'body p50':>9}"
              f"{'login':>8}{'cpu ms':>9}{'RSS MiB':>9}{'smtp/s':>9}{'smtp cpu':>9}{'other':>7}")
    units = (f"{'':<22}{'msg/s':>8}{'':>9}{'ms':>9}{'ms':>9}{'ms':>9}"
             f"{'p50 ms':>8}{'/sess':>9}{'':>9}{'stored':>9}{'ms/msg':>9}{'cores':>7}")
    print(header)
    print(units)
    for name, r in results.items():
        if "error" in r:
            print(f"{name:<22}FAILED: {r['error'].splitlines()[0]}")
            continue
        rss = _get(r, "memory", "rss_after_imap_kb")
        smtp_rate = _get(r, "smtp", "msgs_per_s")
        smtp_cell = _fmt(smtp_rate, 9) if _get(r, "smtp", "complete") else _fmt(smtp_rate, 8) + "!"
        print(
            f"{name:<22}{_fmt(_get(r, 'load', 'msgs_per_s'), 8, 0)}"
            f"{_fmt(_get(r, 'imap', 'sessions_per_s'), 9, 2)}"
            f"{_fmt(_get(r, 'imap', 'latency_ms', 'fetch_envelope', 'p50'), 9)}"
            f"{_fmt(_get(r, 'imap', 'latency_ms', 'fetch_envelope', 'p95'), 9)}"
            f"{_fmt(_get(r, 'imap', 'latency_ms', 'fetch_body', 'p50'), 9, 2)}"
            f"{_fmt(_get(r, 'imap', 'latency_ms', 'login', 'p50'), 8)}"
            f"{_fmt(_get(r, 'imap', 'server_cpu_ms_per_session'), 9)}"
            f"{_fmt(rss / 1024 if rss else None, 9)}"
            f"{smtp_cell}"
            f"{_fmt(_get(r, 'smtp', 'server_cpu_ms_per_msg'), 9, 2)}"
            f"{_fmt(foreign_cores(r), 7, 2)}"
        )
    print("(RSS: after the IMAP mix; dovecot = its whole process tree, casella = the one process."
          " '!' = not all SMTP messages stored in time.\n 'other cores' = CPU used by processes outside"
          " the benchmark during the IMAP/SMTP phases (max of both); above ~0.2 the rates are disturbed,"
          " the cpu ms columns much less.)")
    for name, r in results.items():
        if name.startswith("casella") and "memory" in r:
            m = r["memory"]
            print(f"{name}: RSS after IMAP load {m['main_rss_kb'] / 1024:.1f} MiB "
                  f"(peak {m['main_hwm_kb'] / 1024:.1f} MiB)")
    noisy = [n for n, r in results.items() if (foreign_cores(r) or 0) > 0.2]
    if noisy:
        print(f"!! other processes used CPU during: {', '.join(noisy)} - compare cpu ms/session too")

    ok = {k: v for k, v in results.items() if "error" not in v}
    ratios: dict = {}
    base = ok.get("dovecot")
    if base:
        lines = []
        for name, r in ok.items():
            if name == "dovecot":
                continue
            ratios[f"{name} / dovecot"] = compare(r, base)
            lines.append(ratio_line(f"{name} / dovecot", ratios[f"{name} / dovecot"]))
        if lines:
            print("\n== ratios vs Dovecot (throughput: >1 = Casella faster; latency/cpu: >1 = Casella slower) ==")
            print("\n".join(lines))
    pairs = [("casella-rocksdb", "casella-sqlite"), ("casella-sqlite-cache", "casella-sqlite"),
             ("casella-rocksdb-cache", "casella-rocksdb")]
    lines = []
    for a, b in pairs:
        if a in ok and b in ok:
            ratios[f"{a} / {b}"] = compare(ok[a], ok[b])
            lines.append(ratio_line(f"{a} / {b}", ratios[f"{a} / {b}"]))
    if lines:
        print("\n== Casella variants against each other ==")
        print("\n".join(lines))
    print()
    return ratios


# --- main -----------------------------------------------------------------------------


def _terminate(signum, _frame):
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGINT, _terminate)

    run_dovecot_side = args.only in ("all", "dovecot")
    run_casella_side = args.only in ("all", "casella")
    if run_casella_side and not (args.casella_bin.is_file() and os.access(args.casella_bin, os.X_OK)):
        log(f"casella binary not found at {args.casella_bin}")
        log("build it first, pass --casella-bin PATH, or run only the baseline with --only dovecot")
        return 2
    if os.geteuid() != 0 and run_dovecot_side:
        log("the private Dovecot/Postfix instances need root (mail uid switching, postfix queue)")
        return 2

    work_dir = args.work_dir or Path(tempfile.mkdtemp(prefix="casella-bench."))
    work_dir.mkdir(parents=True, exist_ok=True)
    started = datetime.now(timezone.utc)
    info = machine_info()
    params = {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()
              if k not in ("work_dir", "out_dir", "variants")}
    log(f"work dir {work_dir}; machine {info['cpus']} cores, busy {info['cpu_busy_before_start'] * 100:.0f}% "
        f"before start")

    t0 = time.perf_counter()
    corpus = [make_message(i, seed=args.seed, to_addr=IMAP_USER) for i in range(args.messages)]
    log(f"corpus: {len(corpus)} messages, {sum(map(len, corpus)) / 1024 / 1024:.1f} MiB, "
        f"built in {time.perf_counter() - t0:.1f} s")

    targets = []
    if run_dovecot_side:
        targets.append(("dovecot", lambda: run_dovecot(args, corpus, work_dir)))
    if run_casella_side:
        for v in args.variant_list:
            targets.append((f"casella-{v}", lambda v=v: run_casella(args, corpus, work_dir, v)))

    results: dict = {}
    interrupted = False
    for name, run in targets:
        t = time.perf_counter()
        try:
            results[name] = run()
            results[name]["wall_s"] = round(time.perf_counter() - t, 1)
        except KeyboardInterrupt:
            log("interrupted; servers stopped")
            results[name] = {"error": "interrupted"}
            interrupted = True
            break
        except BenchError as e:
            log(f"{name}: FAILED: {e}")
            results[name] = {"error": str(e)}
        except Exception as e:  # keep going with the other targets
            traceback.print_exc()
            results[name] = {"error": f"{type(e).__name__}: {e}"}

    ratios = print_report(results, info, params)
    info["loadavg_end"] = os.getloadavg()
    summary = {
        "started": started.isoformat(),
        "total_s": round(time.perf_counter() - t0, 1),
        "machine": info,
        "params": params,
        "results": results,
        "ratios": ratios,
    }
    args.out_dir.mkdir(parents=True, exist_ok=True)
    out = args.out_dir / f"{started.strftime('%Y%m%dT%H%M%SZ')}.json"
    out.write_text(json.dumps(summary, indent=2) + "\n")
    log(f"summary written to {out} (total {summary['total_s']:.0f} s)")

    failed = [n for n, r in results.items()
              if "error" in r or not _get(r, "smtp", "complete") or _get(r, "imap", "errors")]
    if failed:
        log(f"incomplete or failed: {', '.join(failed)}")
    return 130 if interrupted else (1 if failed else 0)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
