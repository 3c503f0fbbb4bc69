# SPDX-License-Identifier: AGPL-3.0-only
"""Deterministic, varied test messages for the mail benchmarks.

Message ``i`` of a corpus is always the same bytes for the same seed, so every
server in a run gets an identical mailbox. Messages are 2-6 KB (SMTP ingest
uses ~4 KB), with distinct subjects, senders, recipients, dates and
message-ids, and a mix of plain, multipart/alternative and small-attachment
structures, so ENVELOPE and BODY fetches do real parsing work.
"""

from __future__ import annotations

import base64
import random
from datetime import datetime, timedelta, timezone

FIRST_NAMES = [
    "Ada", "Bruno", "Chiara", "Dmitri", "Elena", "Farid", "Greta", "Hiro",
    "Ines", "Jonas", "Kasia", "Luca", "Maya", "Nils", "Olga", "Pablo",
    "Quinn", "Rosa", "Sven", "Tariq", "Ulla", "Viktor", "Wen", "Yara", "Zoe",
]
LAST_NAMES = [
    "Rossi", "Novak", "Schmidt", "Garcia", "Kowalski", "Dubois", "Tanaka",
    "Silva", "Jensen", "Moreau", "Okafor", "Larsen", "Costa", "Weber", "Ivanova",
]
DOMAINS = [
    "example.com", "example.org", "example.net", "mail.example.io",
    "lists.example.dev", "corp.example.co",
]
SUBJECT_TOPICS = [
    "quarterly report", "invoice", "meeting notes", "release plan", "travel booking",
    "server migration", "budget review", "design draft", "contract renewal",
    "team offsite", "security audit", "customer feedback", "newsletter", "hiring update",
    "backup failure", "weekly digest", "project kickoff", "support ticket",
]
SUBJECT_PREFIXES = ["", "", "", "Re: ", "Fwd: ", "Re: Re: ", "[team] ", "AW: "]
WORDS = (
    "the of and to in is for on that with as was at by it from be this are or have an "
    "which not but had were their all there can been has more one will would about "
    "mail server storage index cache message folder account delivery queue thread "
    "please review attached schedule update deadline budget customer release "
    "meeting agenda draft proposal summary result question answer support contract"
).split()
EPOCH = datetime(2023, 1, 1, tzinfo=timezone.utc)
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


def _person(rng: random.Random) -> tuple[str, str]:
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    addr = f"{first.lower()}.{last.lower()}{rng.randint(1, 99)}@{rng.choice(DOMAINS)}"
    return f"{first} {last}", addr


def _fmt_addr(name: str, addr: str) -> str:
    return f'"{name}" <{addr}>'


def rfc2822_date(dt: datetime) -> str:
    return (
        f"{WEEKDAYS[dt.weekday()]}, {dt.day:02d} {MONTHS[dt.month - 1]} {dt.year} "
        f"{dt.hour:02d}:{dt.minute:02d}:{dt.second:02d} +0000"
    )


def imap_date(dt: datetime) -> str:
    """INTERNALDATE syntax for APPEND: "dd-Mon-yyyy hh:mm:ss +0000"."""
    return (
        f"{dt.day:02d}-{MONTHS[dt.month - 1]}-{dt.year} "
        f"{dt.hour:02d}:{dt.minute:02d}:{dt.second:02d} +0000"
    )


def _paragraphs(rng: random.Random, target: int) -> str:
    out: list[str] = []
    size = 0
    while size < target:
        words = [rng.choice(WORDS) for _ in range(rng.randint(25, 70))]
        words[0] = words[0].capitalize()
        lines, line = [], []
        for w in words:
            line.append(w)
            if sum(len(x) + 1 for x in line) > 66:
                lines.append(" ".join(line))
                line = []
        if line:
            lines.append(" ".join(line))
        para = "\r\n".join(lines) + "."
        out.append(para)
        size += len(para) + 4
    return "\r\n\r\n".join(out)


def message_date(seed: int, index: int) -> datetime:
    rng = random.Random(f"date-{seed}-{index}")
    return EPOCH + timedelta(minutes=index * 37 + rng.randint(0, 30), seconds=rng.randint(0, 59))


def make_message(
    index: int,
    *,
    seed: int = 1,
    to_addr: str = "alice@demo.test",
    min_size: int = 2048,
    max_size: int = 6144,
) -> bytes:
    """Return message ``index`` of the corpus as CRLF bytes (size within bounds, roughly)."""
    rng = random.Random(f"msg-{seed}-{index}")
    target = rng.randint(min_size, max_size)
    sender_name, sender = _person(rng)
    date = message_date(seed, index)
    topic = rng.choice(SUBJECT_TOPICS)
    subject = f"{rng.choice(SUBJECT_PREFIXES)}{topic.capitalize()} #{index} ({rng.randint(100, 999)})"
    msgid = f"<{seed}.{index}.{rng.getrandbits(48):012x}@{sender.split('@')[1]}>"

    headers = [
        ("Return-Path", f"<{sender}>"),
        ("Received", f"from mx{rng.randint(1, 9)}.{sender.split('@')[1]} by bench.localhost; "
                     f"{rfc2822_date(date)}"),
        ("Message-ID", msgid),
        ("Date", rfc2822_date(date)),
        ("From", _fmt_addr(sender_name, sender)),
        ("To", to_addr),
    ]
    if rng.random() < 0.35:
        cc = [_fmt_addr(*_person(rng)) for _ in range(rng.randint(1, 3))]
        headers.append(("Cc", ", ".join(cc)))
    if rng.random() < 0.2:
        headers.append(("Reply-To", _fmt_addr(*_person(rng))))
    if subject.startswith(("Re:", "AW:")):
        ref = f"<{seed}.{max(index - rng.randint(1, 50), 0)}.ref@{rng.choice(DOMAINS)}>"
        headers += [("In-Reply-To", ref), ("References", ref)]
    headers += [("Subject", subject), ("MIME-Version", "1.0")]

    head_len = sum(len(k) + len(v) + 4 for k, v in headers)
    kind = rng.random()
    body_target = max(target - head_len - 300, 400)
    if kind < 0.55:
        headers.append(("Content-Type", "text/plain; charset=utf-8"))
        headers.append(("Content-Transfer-Encoding", "7bit"))
        body = _paragraphs(rng, body_target)
    elif kind < 0.85:
        boundary = f"=_alt_{rng.getrandbits(40):010x}"
        headers.append(("Content-Type", f'multipart/alternative; boundary="{boundary}"'))
        text = _paragraphs(rng, body_target // 2)
        html = "<html><body><p>" + text.replace("\r\n\r\n", "</p>\r\n<p>") + "</p></body></html>"
        html = html[: max(body_target - len(text), 200)]
        body = (
            f"--{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{text}\r\n"
            f"--{boundary}\r\nContent-Type: text/html; charset=utf-8\r\n\r\n{html}\r\n"
            f"--{boundary}--"
        )
    else:
        boundary = f"=_mix_{rng.getrandbits(40):010x}"
        headers.append(("Content-Type", f'multipart/mixed; boundary="{boundary}"'))
        text = _paragraphs(rng, body_target // 3)
        blob = rng.randbytes(max((body_target - len(text)) * 3 // 4, 64))
        b64 = base64.encodebytes(blob).decode().replace("\n", "\r\n").rstrip()
        body = (
            f"--{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{text}\r\n"
            f"--{boundary}\r\nContent-Type: application/octet-stream\r\n"
            f'Content-Disposition: attachment; filename="file-{index}.bin"\r\n'
            f"Content-Transfer-Encoding: base64\r\n\r\n{b64}\r\n"
            f"--{boundary}--"
        )

    head = "".join(f"{k}: {v}\r\n" for k, v in headers)
    return (head + "\r\n" + body + "\r\n").encode()


if __name__ == "__main__":  # quick look at the corpus
    sizes = [len(make_message(i)) for i in range(1000)]
    print(f"min {min(sizes)} max {max(sizes)} mean {sum(sizes) / len(sizes):.0f}")
    print(make_message(3).decode()[:1500])
