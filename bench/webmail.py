# SPDX-License-Identifier: AGPL-3.0-only
"""The webmail benchmark (issue 10): Casella's webmail against Roundcube, in one run.

1. One Casella (release build, demo data, SQLite) gets 10,000 messages in alice's Inbox over
   IMAP; the 5,000th carries a word no other message has.
2. Roundcube (Debian 12's roundcube-core on SQLite, php8.2-fpm, nginx) reads the same mailbox
   from that Casella's IMAP: the same mail, the same server, only the webmail differs.
3. The same Playwright script drives both in Debian's Chromium, alternating, a fresh profile
   each run (bench/webmail_drive.mjs): sign in -> Inbox rows visible -> open the first message
   -> its text visible; then search for the word -> open the match -> its text visible; then
   signed out, the same again with the browser's cache kept. Printed: the median time and
   bytes of each, cold and warm, and the ratios (goal: Casella at least 3x faster, at most
   half the bytes).
4. The size of the browser code (wasm, raw, gzip and brotli) as served: the main build and the
   compose page's.
5. The server time of the Inbox page (server-rendered `/mail`, signed in) with 100 messages
   and with 50,000 (alice grown to 50,000; bob has 100): the ratio of the medians (goal ~1).
"""

from __future__ import annotations

import argparse
import gzip
import http.cookiejar
import json
import re
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from messages import make_message  # noqa: E402
from roundcube import Roundcube, installed  # noqa: E402
from bench import wait_idle  # noqa: E402
from servers import HOST, BenchError, Casella  # noqa: E402
from workloads import ImapTarget, load_mailbox  # noqa: E402

BENCH_DIR = Path(__file__).resolve().parent
DEFAULT_CASELLA_BIN = Path.home() / ".cache/casella/target/release/casella"
NEEDLE = "zephyrquartz"
ALICE, BOB = "alice@demo.test", "bob@demo.test"


def log(msg: str) -> None:
    print(f"[webmail] {msg}", file=sys.stderr, flush=True)


def corpus(count: int, start: int, to: str, needle_at: int | None) -> list[bytes]:
    """`count` messages from index `start`; the one at `needle_at` gets the needle in its subject."""
    out = []
    for i in range(start, start + count):
        msg = make_message(i, to_addr=to)
        if i == needle_at:
            msg = re.sub(rb"^Subject: [^\r\n]*", f"Subject: The {NEEDLE} figures".encode(), msg,
                         count=1, flags=re.MULTILINE)
        out.append(msg)
    return out


def fill(server: Casella, user: str, messages: list[bytes], seed: int) -> dict:
    target = ImapTarget(HOST, server.ports["IMAPS"], "implicit", user, server.credentials[user])
    started = time.monotonic()
    result = load_mailbox(target, messages, seed=seed, connections=2, window=32, timeout=3600)
    if result["errors"]:
        raise BenchError(f"loading {user}: {result['errors']}")
    log(f"{user}: +{result['stored']} messages ({result['inbox_exists']} in the Inbox) "
        f"in {time.monotonic() - started:.0f} s")
    return result


# --- the signed-in Inbox page, timed on the server's side of a plain HTTP client ---------------

class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def signed_in(base: str, login: str, password: str) -> urllib.request.OpenerDirector:
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirect())
    data = urllib.parse.urlencode({"login": login, "password": password}).encode()
    req = urllib.request.Request(f"{base}/api/auth/login", data=data, headers={"Accept": "application/json"})
    try:
        with opener.open(req, timeout=60) as resp:
            resp.read()
    except urllib.error.HTTPError as e:
        if e.code >= 400:
            raise BenchError(f"sign-in of {login}: HTTP {e.code} {e.read()[:200]!r}") from None
    return opener


def inbox_times(opener: urllib.request.OpenerDirector, base: str, samples: int) -> dict:
    times = []
    rows = 0
    for i in range(samples + 2):
        req = urllib.request.Request(f"{base}/mail", headers={"Accept": "text/html"})
        start = time.perf_counter()
        with opener.open(req, timeout=120) as resp:
            body = resp.read().decode()
        elapsed = (time.perf_counter() - start) * 1000
        if i >= 2:  # the first two warm the caches
            times.append(elapsed)
        rows = len(re.findall(r'<li[^>]*data-id=', body))
    return {"median_ms": round(statistics.median(times), 2), "p90_ms": round(sorted(times)[int(len(times) * 0.9) - 1], 2),
            "samples": samples, "rows_on_page": rows}


def wait_searchable(opener: urllib.request.OpenerDirector, base: str, timeout: float = 1200) -> float:
    """Waits until the engine's full-text index finds the needle (it indexes after delivery)."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        req = urllib.request.Request(f"{base}/mail?q={NEEDLE}", headers={"Accept": "text/html"})
        with opener.open(req, timeout=120) as resp:
            if f"The {NEEDLE} figures" in resp.read().decode():
                return time.monotonic() - started
        time.sleep(2)
    raise BenchError(f"the search index did not find {NEEDLE} after {timeout:.0f} s")


# --- the browser runs -------------------------------------------------------------------------

def drive(webmail: str, base: str, user: str, password: str, runs: int, shot: Path | None) -> list[dict]:
    args = {"webmail": webmail, "base": base, "user": user, "password": password,
            "needle": NEEDLE, "runs": runs}
    if shot:
        args["screenshot"] = str(shot)
    out = subprocess.run(["node", str(BENCH_DIR / "webmail_drive.mjs"), json.dumps(args)],
                         capture_output=True, text=True, timeout=1800)
    if out.returncode != 0:
        raise BenchError(f"{webmail} run failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout)


def medians(runs: list[dict]) -> dict:
    keys = runs[0].keys()
    return {k: round(statistics.median(r[k] for r in runs), 1) for k in keys}


def wasm_sizes(binary: Path) -> dict:
    """The browser code as served: the main build (every page with islands) and the compose
    page's (the same, with the message editor)."""
    pkg = binary.parent.parent / "site" / "pkg"
    sizes: dict = {}
    for bundle, prefix in (("casella", "wasm"), ("casella-editor", "editor_wasm")):
        wasm = pkg / f"{bundle}_bg.wasm"
        if not wasm.is_file():
            raise BenchError(f"{wasm} not found: build the browser side (scripts/build client)")
        raw = wasm.read_bytes()
        gz, br, js = pkg / f"{bundle}_bg.wasm.gz", pkg / f"{bundle}_bg.wasm.br", pkg / f"{bundle}.js"
        sizes[f"{prefix}_bytes"] = len(raw)
        sizes[f"{prefix}_gzip_bytes"] = gz.stat().st_size if gz.is_file() else len(gzip.compress(raw, 9))
        sizes[f"{prefix}_br_bytes"] = br.stat().st_size if br.is_file() else 0
        sizes[f"{prefix}_js_bytes"] = js.stat().st_size if js.is_file() else None
    css = pkg / "casella.css.gz"
    sizes["css_gzip_bytes"] = css.stat().st_size if css.is_file() else None
    return sizes


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--casella-bin", type=Path, default=DEFAULT_CASELLA_BIN)
    ap.add_argument("--work-dir", type=Path, required=True)
    ap.add_argument("--messages", type=int, default=10_000, help="alice's Inbox for the browser runs")
    ap.add_argument("--big", type=int, default=50_000, help="alice's Inbox for the large server-time case")
    ap.add_argument("--small", type=int, default=100, help="bob's Inbox for the small server-time case")
    ap.add_argument("--runs", type=int, default=5, help="browser runs of each webmail")
    ap.add_argument("--samples", type=int, default=30, help="Inbox page requests per size")
    ap.add_argument("--quick", action="store_true", help="1,000 / 5,000 messages, 2 runs, 10 samples")
    args = ap.parse_args(argv)
    if args.quick:
        args.messages, args.big, args.runs, args.samples = 1_000, 5_000, 2, 10
    if not installed():
        raise BenchError("Roundcube is not installed (bench/webmail installs it)")
    wasm = wasm_sizes(args.casella_bin)
    needle_at = args.messages // 2 - 1

    server = Casella(binary=args.casella_bin, work_dir=args.work_dir, name="casella", store="sqlite",
                     extra_env={"CASELLA_LOG": "warn"})
    server.start()
    roundcube = None
    try:
        base = f"http://{HOST}:{server.http_port}"
        load = fill(server, ALICE, corpus(args.messages, 0, ALICE, needle_at), seed=1)
        fill(server, BOB, corpus(args.small, 0, BOB, None), seed=2)
        waited = wait_searchable(signed_in(base, ALICE, server.credentials[ALICE]), base)
        log(f"the search index found the 5,000th message after {waited:.0f} s")
        roundcube = Roundcube(work_dir=args.work_dir, imaps=server.ports["IMAPS"],
                              submissions=server.ports["SUBMISSIONS"])
        roundcube.start()
        log(f"roundcube {roundcube.version()} at {roundcube.url}")
        password = server.credentials[ALICE]
        # One unmeasured run each: PHP's opcode cache and the engine's caches warm up, as on
        # a server that has been running; every measured run still starts with a new browser
        # profile.
        shots = BENCH_DIR / "out" / "webmail-shots"
        shots.mkdir(parents=True, exist_ok=True)
        drive("casella", base, ALICE, password, 1, shots / "casella.png")
        drive("roundcube", roundcube.url, ALICE, password, 1, shots / "roundcube.png")
        runs = {"casella": [], "roundcube": []}
        for i in range(args.runs):
            for name, url in (("casella", base), ("roundcube", roundcube.url)):
                runs[name] += drive(name, url, ALICE, password, 1, None)
            log(f"browser run {i + 1}/{args.runs} done")
        roundcube.stop()
        roundcube = None
        browser = {name: medians(r) for name, r in runs.items()}

        opener_small = signed_in(base, BOB, server.credentials[BOB])
        opener_big = signed_in(base, ALICE, password)
        at_messages = inbox_times(opener_big, base, args.samples)
        fill(server, ALICE, corpus(args.big - args.messages, args.messages, ALICE, None), seed=3)
        # The engine indexes what was delivered in the background: measure once it is done.
        log(f"waited {wait_idle([server.pid], max_wait=900)} s for the engine to be idle")
        small = inbox_times(opener_small, base, args.samples)
        big = inbox_times(opener_big, base, args.samples)
    finally:
        if roundcube:
            log(roundcube.errors())
            roundcube.stop()
        server.stop()

    c, r = browser["casella"], browser["roundcube"]
    ratios = {
        "first_message_speedup": round(r["first_ms"] / c["first_ms"], 2),
        "search_speedup": round(r["search_ms"] / c["search_ms"], 2),
        "total_speedup": round(r["total_ms"] / c["total_ms"], 2),
        "bytes_ratio": round(c["total_bytes"] / r["total_bytes"], 3),
        "warm_total_speedup": round(r["warm_total_ms"] / c["warm_total_ms"], 2),
        "warm_bytes_ratio": round(c["warm_total_bytes"] / r["warm_total_bytes"], 3),
        "inbox_server_time_big_over_small": round(big["median_ms"] / small["median_ms"], 2),
    }
    record = {
        "when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "casella_bin": str(args.casella_bin),
        "roundcube": Roundcube(work_dir=args.work_dir, imaps=0, submissions=0).version(),
        "messages": args.messages, "load": load, "browser": browser, "runs": runs, "wasm": wasm,
        "inbox": {f"{args.small}": small, f"{args.messages}": at_messages, f"{args.big}": big},
        "ratios": ratios, "screenshots": str(shots),
    }
    out_dir = BENCH_DIR / "out"
    out_dir.mkdir(exist_ok=True)
    path = out_dir / f"webmail-{datetime.now(timezone.utc).strftime('%Y%m%dT%H%M%SZ')}.json"
    path.write_text(json.dumps(record, indent=2))

    def row(name: str, m: dict, p: str = "") -> str:
        return (f"{name:<16} {m[p + 'inbox_ms']:>9.0f} {m[p + 'open_ms']:>8.0f} {m[p + 'first_ms']:>9.0f} "
                f"{m[p + 'search_ms']:>9.0f} {m[p + 'total_ms']:>9.0f} {m[p + 'first_bytes'] / 1024:>10.0f} "
                f"{m[p + 'total_bytes'] / 1024:>10.0f} {m[p + 'requests']:>5.0f}")

    print(f"\nwebmail, {args.messages:,} messages in the Inbox, medians of {args.runs} runs "
          "(cold: a new browser profile; warm: signed out and in again, the cache kept)")
    print(f"{'':<16} {'inbox ms':>9} {'open ms':>8} {'first ms':>9} {'search ms':>9} {'total ms':>9} "
          f"{'first KiB':>10} {'total KiB':>10} {'reqs':>5}")
    print(row("casella cold", c))
    print(row("roundcube cold", r))
    print(row("casella warm", c, "warm_"))
    print(row("roundcube warm", r, "warm_"))
    print(f"\nroundcube / casella time, cold: first message {ratios['first_message_speedup']}x, "
          f"search {ratios['search_speedup']}x, all {ratios['total_speedup']}x; "
          f"warm: all {ratios['warm_total_speedup']}x  (goal >= 3)")
    print(f"casella / roundcube bytes: cold {ratios['bytes_ratio']}, warm {ratios['warm_bytes_ratio']}  "
          "(goal <= 0.5)")
    for prefix, what in (("wasm", "every page with islands"), ("editor_wasm", "the compose page")):
        lead = "\n" if prefix == "wasm" else ""
        print(f"{lead}wasm, {what}: {wasm[prefix + '_bytes'] / 1024:.0f} KiB raw, "
              f"{wasm[prefix + '_gzip_bytes'] / 1024:.0f} KiB gzip, "
              f"{wasm[prefix + '_br_bytes'] / 1024:.0f} KiB brotli (served to browsers that take it)")
    print(f"Inbox page on the server: {small['median_ms']} ms at {args.small} messages, "
          f"{at_messages['median_ms']} ms at {args.messages:,}, {big['median_ms']} ms at {args.big:,}: "
          f"ratio {ratios['inbox_server_time_big_over_small']}  (goal ~1)")
    print(f"\nrecord: {path}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except BenchError as e:
        log(f"error: {e}")
        sys.exit(1)
