# SPDX-License-Identifier: AGPL-3.0-only
"""Private server instances for the benchmark: Dovecot, Postfix and Casella.

Every instance lives in its own directory under the run's work dir, listens on
127.0.0.1 only, on ports picked at run time, and is stopped by ``stop()``.
Each started process id is also appended to ``<work dir>/pids`` so bench/run
can stop it if this program dies without cleaning up.
"""

from __future__ import annotations

import grp
import os
import pwd
import re
import secrets
import shutil
import signal
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

HOST = "127.0.0.1"
CLK_TCK = os.sysconf("SC_CLK_TCK")


class BenchError(Exception):
    """A failure worth one clear line to the user."""


# --- ports and processes -------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def free_ports(n: int) -> list[int]:
    ports: set[int] = set()
    while len(ports) < n:
        ports.add(free_port())
    return sorted(ports)


def port_open(port: int, host: str = HOST) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def wait_ports(ports, *, timeout: float, alive=lambda: True, what: str = "server") -> None:
    deadline = time.monotonic() + timeout
    pending = list(ports)
    while pending:
        if not alive():
            raise BenchError(f"{what} exited during start-up")
        pending = [p for p in pending if not port_open(p)]
        if not pending:
            return
        if time.monotonic() > deadline:
            raise BenchError(f"{what}: ports {pending} not accepting after {timeout:.0f}s")
        time.sleep(0.1)


def record_pid(work_dir: Path, pid: int, name: str) -> None:
    """Note a started server ("<pid> <name in its command line>") for bench/run's backstop."""
    with open(work_dir / "pids", "a") as f:
        f.write(f"{pid} {name}\n")


def forget_pid(work_dir: Path, pid: int) -> None:
    """A server that was stopped cleanly must not be signalled again (its pid may be reused)."""
    path = work_dir / "pids"
    try:
        lines = path.read_text().splitlines()
    except OSError:
        return
    path.write_text("".join(f"{line}\n" for line in lines if line.split()[:1] != [str(pid)]))


def _children_map() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        ppid = int(stat[stat.rfind(")") + 2 :].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    return children


def process_tree(root: int) -> list[int]:
    children = _children_map()
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, []))
    return out


def tree_cpu_seconds(roots: list[int]) -> float:
    """user+system CPU of the process trees, including reaped children.

    A child that exits between two readings is folded into its parent's
    cutime/cstime, so differences between readings stay correct.
    """
    total = 0
    for root in roots:
        for pid in process_tree(root):
            try:
                with open(f"/proc/{pid}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            # fields[0] is state (field 3); utime..cstime are fields 14..17.
            total += sum(int(x) for x in fields[11:15])
    return total / CLK_TCK


def status_kb(pid: int, key: str) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_rss_kb(roots: list[int]) -> int:
    return sum(status_kb(pid, "VmRSS") for root in roots for pid in process_tree(root))


def stop_process(proc: subprocess.Popen, *, timeout: float = 20.0) -> None:
    if proc.poll() is not None:
        return
    try:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except OSError:
            proc.kill()
        proc.wait(timeout=10)


def make_cert(directory: Path) -> tuple[Path, Path]:
    """Self-signed ECDSA P-256 certificate for 127.0.0.1/localhost."""
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "2",
            "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
        ],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.chmod(key, 0o600)
    return cert, key


def log_tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


# --- Dovecot ---------------------------------------------------------------------

DOVECOT_CONF = """\
# Private Dovecot instance for bench/run (generated).
base_dir = {dir}/run
state_dir = {dir}/state
instance_name = casella-bench-{name}
log_path = {dir}/dovecot.log
info_log_path = {dir}/dovecot.log
protocols = imap lmtp
listen = 127.0.0.1
ssl = required
ssl_cert = <{cert}
ssl_key = <{key}
disable_plaintext_auth = yes
auth_mechanisms = plain login
mail_location = maildir:{dir}/mail/%d/%n
mail_uid = {uid}
mail_gid = {gid}
first_valid_uid = 1
first_valid_gid = 1
passdb {{
  driver = passwd-file
  args = scheme={scheme} {dir}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={dir}/mail/%d/%n
}}
protocol imap {{
  mail_max_userip_connections = 1000
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {imap_port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {imaps_port}
    ssl = yes
  }}
}}
service lmtp {{
  inet_listener lmtp {{
    address = 127.0.0.1
    port = {lmtp_port}
  }}
  unix_listener lmtp {{
    mode = 0
  }}
}}
"""


@dataclass
class Dovecot:
    work_dir: Path
    users: dict[str, str]  # login -> password
    pass_scheme: str = "SHA512-CRYPT"
    name: str = "dovecot"
    mail_user: str = "nobody"
    proc: subprocess.Popen | None = None
    imap_port: int = 0
    imaps_port: int = 0
    lmtp_port: int = 0
    dir: Path = field(init=False)

    def __post_init__(self) -> None:
        self.dir = self.work_dir / self.name

    @property
    def pid(self) -> int:
        return self.proc.pid if self.proc else 0

    def start(self, timeout: float = 30.0) -> None:
        dovecot = shutil.which("dovecot") or "/usr/sbin/dovecot"
        d = self.dir
        for sub in ("run", "state", "mail"):
            (d / sub).mkdir(parents=True, exist_ok=True)
        d.chmod(0o755)
        pw = pwd.getpwnam(self.mail_user)
        gid_name = grp.getgrgid(pw.pw_gid).gr_name
        os.chown(d / "mail", pw.pw_uid, pw.pw_gid)
        cert, key = make_cert(d)

        lines = []
        for login, password in self.users.items():
            hashed = subprocess.run(
                ["doveadm", "pw", "-s", self.pass_scheme, "-p", password],
                check=True, capture_output=True, text=True,
            ).stdout.strip()
            lines.append(f"{login}:{hashed}")
        (d / "passwd").write_text("\n".join(lines) + "\n")

        if not (self.imap_port and self.imaps_port and self.lmtp_port):
            self.imap_port, self.imaps_port, self.lmtp_port = free_ports(3)
        conf = d / "dovecot.conf"
        conf.write_text(DOVECOT_CONF.format(
            dir=d, name=self.name, cert=cert, key=key, uid=self.mail_user, gid=gid_name,
            scheme=self.pass_scheme, imap_port=self.imap_port, imaps_port=self.imaps_port,
            lmtp_port=self.lmtp_port,
        ))
        with open(d / "stdout.log", "ab") as out:
            self.proc = subprocess.Popen(
                [dovecot, "-c", str(conf), "-F"],
                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        record_pid(self.work_dir, self.proc.pid, "dovecot")
        try:
            wait_ports([self.imap_port, self.imaps_port, self.lmtp_port], timeout=timeout,
                       alive=lambda: self.proc.poll() is None, what="dovecot")
        except BenchError as e:
            raise BenchError(f"{e}\n{log_tail(d / 'dovecot.log')}\n{log_tail(d / 'stdout.log')}")

    def version(self) -> str:
        out = subprocess.run(["dovecot", "--version"], capture_output=True, text=True)
        return out.stdout.strip()

    def stop(self) -> None:
        if self.proc:
            stop_process(self.proc)
            forget_pid(self.work_dir, self.proc.pid)


# --- Postfix ---------------------------------------------------------------------

POSTFIX_MAIN_CF = """\
# Private Postfix instance for bench/run (generated): loopback only, relays
# mail for {domain} to the private Dovecot over LMTP.
compatibility_level = 3.6
queue_directory = {dir}/spool
data_directory = {dir}/data
command_directory = /usr/sbin
daemon_directory = /usr/lib/postfix/sbin
meta_directory = /etc/postfix
shlib_directory = /usr/lib/postfix
mail_owner = postfix
setgid_group = postdrop
myhostname = bench.localhost
mydomain = localhost
myorigin = $myhostname
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
alias_maps =
alias_database =
local_recipient_maps =
relay_domains =
virtual_mailbox_domains = {domain}
virtual_mailbox_maps = inline:{{ {mailboxes} }}
virtual_transport = lmtp:inet:127.0.0.1:{lmtp_port}
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
smtpd_recipient_restrictions = permit_mynetworks, reject_unauth_destination
smtpd_peername_lookup = no
disable_dns_lookups = yes
smtp_host_lookup = native
lmtp_host_lookup = native
in_flow_delay = 0
smtputf8_enable = no
biff = no
append_dot_mydomain = no
maillog_file = {dir}/maillog
maillog_file_prefixes = {dir}
"""

POSTFIX_MASTER_CF = """\
# service type  private unpriv  chroot  wakeup  maxproc command
127.0.0.1:{smtp_port} inet n - n - - smtpd
pickup     unix  n       -       n       60      1       pickup
cleanup    unix  n       -       n       -       0       cleanup
qmgr       unix  n       -       n       300     1       qmgr
tlsmgr     unix  -       -       n       1000?   1       tlsmgr
rewrite    unix  -       -       n       -       -       trivial-rewrite
bounce     unix  -       -       n       -       0       bounce
defer      unix  -       -       n       -       0       bounce
trace      unix  -       -       n       -       0       bounce
verify     unix  -       -       n       -       1       verify
flush      unix  n       -       n       1000?   0       flush
proxymap   unix  -       -       n       -       -       proxymap
proxywrite unix  -       -       n       -       1       proxymap
smtp       unix  -       -       n       -       -       smtp
relay      unix  -       -       n       -       -       smtp
showq      unix  n       -       n       -       -       showq
error      unix  -       -       n       -       -       error
retry      unix  -       -       n       -       -       error
discard    unix  -       -       n       -       -       discard
lmtp       unix  -       -       n       -       -       lmtp
anvil      unix  -       -       n       -       1       anvil
scache     unix  -       -       n       -       1       scache
postlog    unix-dgram n  -       n       -       1       postlogd
"""


@dataclass
class Postfix:
    work_dir: Path
    domain: str
    mailboxes: list[str]
    lmtp_port: int
    name: str = "postfix"
    smtp_port: int = 0
    master_pid: int = 0

    @property
    def conf_dir(self) -> Path:
        # bench/run knows this path to stop the instance as a backstop.
        return self.work_dir / "postfix-conf"

    @property
    def dir(self) -> Path:
        return self.work_dir / self.name

    def _postfix(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(["postfix", "-c", str(self.conf_dir), *args],
                              capture_output=True, text=True, check=check)

    def start(self, timeout: float = 30.0) -> None:
        d = self.dir
        (d / "spool").mkdir(parents=True, exist_ok=True)
        (d / "data").mkdir(parents=True, exist_ok=True)
        self.conf_dir.mkdir(parents=True, exist_ok=True)
        pf = pwd.getpwnam("postfix")
        os.chown(d / "data", pf.pw_uid, pf.pw_gid)
        self.smtp_port = self.smtp_port or free_port()
        (self.conf_dir / "main.cf").write_text(POSTFIX_MAIN_CF.format(
            dir=d, domain=self.domain, lmtp_port=self.lmtp_port,
            mailboxes=", ".join(f"{m}=ok" for m in self.mailboxes),
        ))
        (self.conf_dir / "master.cf").write_text(POSTFIX_MASTER_CF.format(smtp_port=self.smtp_port))
        res = self._postfix("start", check=False)
        if res.returncode != 0:
            raise BenchError(f"postfix start failed: {res.stderr.strip()}\n{log_tail(d / 'maillog')}")
        pid_file = d / "spool" / "pid" / "master.pid"
        deadline = time.monotonic() + timeout
        while not self.master_pid:
            try:
                self.master_pid = int(pid_file.read_text().strip())
            except (OSError, ValueError):
                if time.monotonic() > deadline:
                    raise BenchError(f"postfix master did not start\n{log_tail(d / 'maillog')}")
                time.sleep(0.1)
        record_pid(self.work_dir, self.master_pid, "master")
        wait_ports([self.smtp_port], timeout=timeout, what="postfix",
                   alive=lambda: os.path.exists(f"/proc/{self.master_pid}"))

    def version(self) -> str:
        res = subprocess.run(["postconf", "-c", str(self.conf_dir), "-h", "mail_version"],
                             capture_output=True, text=True)
        return res.stdout.strip()

    def stop(self) -> None:
        if not self.master_pid:
            return
        self._postfix("stop", check=False)
        deadline = time.monotonic() + 20
        while os.path.exists(f"/proc/{self.master_pid}") and time.monotonic() < deadline:
            time.sleep(0.1)
        if os.path.exists(f"/proc/{self.master_pid}"):
            self._postfix("abort", check=False)
        forget_pid(self.work_dir, self.master_pid)
        self.master_pid = 0


# --- Casella ---------------------------------------------------------------------

CASELLA_PORT_KEYS = ("SMTP", "SUBMISSION", "SUBMISSIONS", "IMAP", "IMAPS", "POP3", "POP3S", "MANAGESIEVE")
# The chat service's listeners (section [xmpp]).
CASELLA_XMPP_KEYS = ("PORT", "TLS_PORT")
_CRED_LINE = re.compile(r"^\s+(operator|postmaster|user)\s+(\S+)\s+(\S+)\s*$")


@dataclass
class Casella:
    binary: Path
    work_dir: Path
    name: str
    store: str  # sqlite | rocksdb
    cache_messages_bytes: int | None = None
    cache_access_tokens_bytes: int | None = None
    # More CASELLA_* settings, e.g. {"CASELLA_ENGINE_EVENTS": "false"}.
    extra_env: dict[str, str] = field(default_factory=dict)
    proc: subprocess.Popen | None = None
    ports: dict[str, int] = field(default_factory=dict)
    http_port: int = 0
    credentials: dict[str, str] = field(default_factory=dict)  # login -> password
    roles: dict[str, list[str]] = field(default_factory=dict)  # role -> logins
    _ready: threading.Event = field(default_factory=threading.Event)
    _reader: threading.Thread | None = None

    @property
    def dir(self) -> Path:
        return self.work_dir / self.name

    @property
    def pid(self) -> int:
        return self.proc.pid if self.proc else 0

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CASELLA_")}
        env["CASELLA_HTTP_PORT"] = str(self.http_port)
        env["CASELLA_BIND_ADDRESS"] = HOST
        for key in CASELLA_PORT_KEYS:
            env[f"CASELLA_PORTS__{key}"] = str(self.ports[key])
        for key in CASELLA_XMPP_KEYS:
            env[f"CASELLA_XMPP__{key}"] = str(self.ports[f"XMPP_{key}"])
        env["CASELLA_ENGINE__STORE"] = self.store
        if self.cache_messages_bytes is not None:
            env["CASELLA_ENGINE__CACHE_MESSAGES_BYTES"] = str(self.cache_messages_bytes)
        if self.cache_access_tokens_bytes is not None:
            env["CASELLA_ENGINE__CACHE_ACCESS_TOKENS_BYTES"] = str(self.cache_access_tokens_bytes)
        env.update(self.extra_env)
        return env

    def _read_stdout(self, log_path: Path) -> None:
        in_block = False
        with open(log_path, "a", encoding="utf-8", errors="replace") as log:
            for raw in self.proc.stdout:
                line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
                log.write(line + "\n")
                log.flush()
                if "casella demo credentials" in line:
                    in_block = True
                    continue
                if in_block:
                    m = _CRED_LINE.match(line)
                    if m:
                        role, login, password = m.groups()
                        self.credentials[login] = password
                        self.roles.setdefault(role, []).append(login)
                        continue
                    in_block = False
                # "casella ready", possibly followed by details (": http://... in 2711 ms").
                if line.strip().startswith("casella ready"):
                    self._ready.set()

    def start(self, timeout: float = 180.0) -> None:
        if not (self.binary.is_file() and os.access(self.binary, os.X_OK)):
            raise BenchError(f"casella binary not found at {self.binary}")
        data_dir = self.dir / "data"
        data_dir.mkdir(parents=True, exist_ok=True)
        ports = free_ports(len(CASELLA_PORT_KEYS) + len(CASELLA_XMPP_KEYS) + 1)
        self.http_port = ports.pop()
        self.ports = dict(zip(CASELLA_PORT_KEYS, ports))
        self.ports.update(zip((f"XMPP_{k}" for k in CASELLA_XMPP_KEYS), ports[len(CASELLA_PORT_KEYS):]))
        stdout_log, stderr_log = self.dir / "stdout.log", self.dir / "stderr.log"
        with open(stderr_log, "ab") as err:
            self.proc = subprocess.Popen(
                [str(self.binary), "serve", "--demo", "--data-dir", str(data_dir)],
                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=err,
                env=self.env(), cwd=self.dir, start_new_session=True,
            )
        record_pid(self.work_dir, self.proc.pid, self.binary.name)
        self._reader = threading.Thread(target=self._read_stdout, args=(stdout_log,), daemon=True)
        self._reader.start()

        def failed(msg: str) -> BenchError:
            return BenchError(f"{self.name}: {msg}\n--- stdout ---\n{log_tail(stdout_log)}"
                              f"\n--- stderr ---\n{log_tail(stderr_log)}")

        deadline = time.monotonic() + timeout
        while not self._ready.wait(0.2):
            if self.proc.poll() is not None:
                raise failed(f"exited with code {self.proc.returncode} before 'casella ready'")
            if time.monotonic() > deadline:
                raise failed(f"no 'casella ready' line after {timeout:.0f}s")
        try:
            wait_ports([self.ports[k] for k in ("SMTP", "IMAP", "IMAPS")], timeout=30,
                       alive=lambda: self.proc.poll() is None, what=self.name)
        except BenchError as e:
            raise failed(str(e))
        # The credentials block is printed before readiness; allow a little slack.
        grace = time.monotonic() + 5
        while not {"alice@demo.test", "bob@demo.test"} <= self.credentials.keys():
            if time.monotonic() > grace:
                raise failed("demo credentials for alice@demo.test and bob@demo.test not found on stdout")
            time.sleep(0.1)

    def stop(self) -> None:
        if self.proc:
            stop_process(self.proc, timeout=30)
            forget_pid(self.work_dir, self.proc.pid)
            if self._reader:
                self._reader.join(timeout=5)


def random_password() -> str:
    return secrets.token_urlsafe(12)
