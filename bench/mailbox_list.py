#!/usr/bin/env python3
# SPDX-License-Identifier: AGPL-3.0-only
"""Server time of the postmaster's mailbox list page as a domain grows.

Starts a private Casella (demo data, free ports, a temporary data folder), registers a domain
whose plan includes enough mailboxes, signs its postmaster in the way the product does (the
password arrives by e-mail to the demo's alice, read over IMAP, changed at first sign-in), then
grows the domain to 100, 1,000 and 10,000 mailboxes through the panel's own API. At each size it
times the first page, a middle page and a search (one mailbox found by the start of its
address) of the list page as rendered on the server (no JavaScript), and prints the medians and
the ratio 10,000 / 100 (the goal is about 1: every query is paged and read in index order, and a
search reads an index range of words, so a page costs the same in any size of domain).

    bench/mailbox_list.py [--casella-bin PATH] [--sizes 100,1000,10000] [--samples 15]
"""

import argparse
import concurrent.futures
import http.cookiejar
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
MAIL = os.path.join(HERE, "..", "panel", "tests", "it", "mail_clients.py")
PASSWORD = "Bench-Secret-42"


def free_ports(n):
    socks, ports = [], []
    for _ in range(n):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        socks.append(s)
        ports.append(s.getsockname()[1])
    for s in socks:
        s.close()
    return ports


class Web:
    """A signed-in browser: cookies kept, redirects not followed."""

    def __init__(self, base):
        self.base = base
        self.jar = http.cookiejar.CookieJar()

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args, **kwargs):
                return None

        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), NoRedirect
        )

    def call(self, endpoint, form):
        data = urllib.parse.urlencode(form).encode()
        req = urllib.request.Request(
            f"{self.base}/api/{endpoint}", data=data, headers={"Accept": "application/json"}
        )
        try:
            with self.opener.open(req, timeout=60) as resp:
                body = resp.read()
        except urllib.error.HTTPError as err:
            if 300 <= err.code < 400:
                return None
            raise RuntimeError(f"{endpoint}: {err.code} {err.read()[:300]!r}") from None
        return json.loads(body) if body else None

    def page(self, path):
        req = urllib.request.Request(f"{self.base}{path}", headers={"Accept": "text/html"})
        start = time.perf_counter()
        with self.opener.open(req, timeout=60) as resp:
            body = resp.read()
            status = resp.status
        elapsed = time.perf_counter() - start
        if status != 200:
            raise RuntimeError(f"{path}: HTTP {status}")
        return elapsed, body.decode()


def start_casella(binary, data):
    names = ["HTTP_PORT", "PORTS__SMTP", "PORTS__SUBMISSION", "PORTS__SUBMISSIONS",
             "PORTS__IMAP", "PORTS__IMAPS", "PORTS__POP3", "PORTS__POP3S", "PORTS__MANAGESIEVE",
             "XMPP__PORT", "XMPP__TLS_PORT"]
    ports = dict(zip(names, free_ports(len(names))))
    env = dict(os.environ, CASELLA_LOG="warn", CASELLA_HOSTNAME="mail.bench.test")
    env.update({f"CASELLA_{k}": str(v) for k, v in ports.items()})
    proc = subprocess.Popen([binary, "serve", "--demo", "--data-dir", data], env=env,
                            stdout=subprocess.PIPE, text=True)
    printed = {}
    for line in proc.stdout:
        words = line.split()
        if len(words) == 3 and words[0] in ("operator", "postmaster", "user"):
            printed[words[1]] = words[2]
            if words[0] == "operator":
                printed["operator"] = words[1]
        if line.startswith("casella ready"):
            break
    else:
        raise RuntimeError("casella exited before it was ready")
    return proc, ports, printed


def emailed_password(ports, printed, login):
    out = subprocess.run(
        ["python3", MAIL, "imap-body", "127.0.0.1", str(ports["PORTS__IMAPS"]), "tls",
         "alice@demo.test", printed["alice@demo.test"], login],
        capture_output=True, text=True, check=True,
    ).stdout
    match = re.search(r"Password:\s*(\S+)", out)
    if not match:
        raise RuntimeError(f"no password in the e-mail: {out}")
    return match.group(1)


def grow(postmaster, domain, have, want, workers):
    def create(i):
        postmaster.call("mailboxes/create_mailbox", {
            "domain": domain, "local_part": f"user{i:05d}", "first_name": "Bench",
            "last_name": f"User {i}", "password": PASSWORD,
        })

    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        list(pool.map(create, range(have, want)))


def timed(web, path, samples):
    web.page(path)  # warm
    times = [web.page(path)[0] for _ in range(samples)]
    return statistics.median(times) * 1000


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    default_bin = os.path.join(
        os.environ.get("CARGO_TARGET_DIR", os.path.expanduser("~/.cache/casella/target")),
        "release", "casella")
    parser.add_argument("--casella-bin", default=default_bin)
    parser.add_argument("--sizes", default="100,1000,10000")
    parser.add_argument("--samples", type=int, default=15)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]

    data = tempfile.mkdtemp(prefix="casella-bench-list-")
    proc, ports, printed = start_casella(args.casella_bin, data)
    try:
        base = f"http://127.0.0.1:{ports['HTTP_PORT']}"
        operator = Web(base)
        operator.call("auth/login", {"login": "admin", "password": printed["admin"]})
        operator.call("operator/create_plan", {
            "name": "Bench", "mailbox_type": "Business Mail",
            "included_mailboxes": str(max(sizes) + 10), **{k: "0" for k in (
                "price_extra_mailbox", "price_quota_25", "price_quota_50", "price_quota_100",
                "price_send_1000", "price_send_2000", "price_send_5000", "price_archive")},
        })
        plan = next(p["id"] for p in operator.call("operator/list_plans", {}) if p["name"] == "Bench")
        operator.call("operator/create_customer", {
            "company_name": "Bench S.p.A.", "legal_email": "alice@demo.test", "plan": str(plan)})
        customer = next(c["id"] for c in operator.call("operator/list_customers", {})
                        if c["company_name"] == "Bench S.p.A.")
        domain = "bench.test"
        operator.call("operator/register_domain", {"domain": domain, "customer": str(customer)})
        emailed = emailed_password(ports, printed, f"postmaster@{domain}")
        postmaster = Web(base)
        postmaster.call("auth/login", {"login": f"postmaster@{domain}", "password": emailed})
        postmaster.call("auth/change_password", {"current": emailed, "new": PASSWORD, "repeat": PASSWORD})

        results = []
        have = 0
        for size in sizes:
            started = time.time()
            grow(postmaster, domain, have, size, args.workers)
            have = size
            grown = time.time() - started
            first = timed(postmaster, f"/domains/{domain}/mailboxes", args.samples)
            middle_page = (size // 50) // 2
            middle = timed(postmaster, f"/domains/{domain}/mailboxes?page={middle_page}",
                           args.samples)
            search = timed(postmaster, f"/domains/{domain}/mailboxes?q=user00042", args.samples)
            results.append((size, first, middle, search))
            print(f"{size:>6} mailboxes (created in {grown:.0f} s): first page {first:.1f} ms, "
                  f"page {middle_page + 1} {middle:.1f} ms, search {search:.1f} ms", flush=True)

        print()
        print("mailbox list page, server time (median of "
              f"{args.samples}, no JavaScript, HTTP on loopback)")
        print(f"{'mailboxes':>10} {'first page':>12} {'middle page':>12} {'search':>10}")
        for size, first, middle, search in results:
            print(f"{size:>10} {first:>10.1f} ms {middle:>10.1f} ms {search:>8.1f} ms")
        small, large = results[0], results[-1]
        print(f"ratio {large[0]} / {small[0]}: first page {large[1] / small[1]:.2f}x, "
              f"middle page {large[2] / small[2]:.2f}x, search {large[3] / small[3]:.2f}x "
              "(goal: about 1)")
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
