#!/usr/bin/env python3
# SPDX-License-Identifier: AGPL-3.0-only
"""Real mail clients (Python's imaplib, poplib, smtplib) for Casella's integration tests.

Usage: mail_clients.py COMMAND HOST PORT MODE USER PASSWORD [ARGS...]
  MODE is "tls" (implicit TLS) or "starttls".
  imap-login | pop3-login                     log in, list, log out
  submit FROM TO SUBJECT                      send one message (SMTP AUTH PLAIN)
  imap-find SUBJECT | pop3-find SUBJECT       wait up to 20 s until a message with SUBJECT is in INBOX
  imap-append-count                           print the number of messages in INBOX
  send-bcc FROM TO BCC SUBJECT                send with BCC only in the envelope (submission)
  imap-empty FOLDER                           delete and expunge every message of FOLDER
  send-html FROM TO SUBJECT MESSAGE-ID FILE   send FILE as a formatted message (with a cid: image
                                              and an attachment) over submission
Prints "ok ..." and exits 0 on success; prints "refused: <the server's answer>" and exits 1 when
the server refuses; prints "unreachable: ..." and exits 2 when no server answered properly.
"""
import email
import imaplib
import json
import poplib
import re
import smtplib
import ssl
import struct
import sys
import time
import zlib
from email.message import EmailMessage


def pixel_png() -> bytes:
    """A valid 2 x 2 red PNG."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))
    rows = b"".join(b"\x00" + b"\xff\x00\x00" * 2 for _ in range(2))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def tls_context():
    # The test server uses the engine's self-signed certificate.
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def imap(host, port, mode):
    if mode == "tls":
        return imaplib.IMAP4_SSL(host, port, ssl_context=tls_context(), timeout=20)
    conn = imaplib.IMAP4(host, port, timeout=20)
    conn.starttls(ssl_context=tls_context())
    return conn


def pop3(host, port, mode):
    if mode == "tls":
        return poplib.POP3_SSL(host, port, context=tls_context(), timeout=20)
    conn = poplib.POP3(host, port, timeout=20)
    conn.stls(context=tls_context())
    return conn


def imap_subjects(host, port, mode, user, password):
    conn = imap(host, port, mode)
    conn.login(user, password)
    typ, data = conn.select("INBOX", readonly=True)
    subjects = []
    count = int(data[0])
    if count:
        typ, data = conn.fetch(f"1:{count}", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        for part in data:
            if isinstance(part, tuple):
                subjects.append(email.message_from_bytes(part[1]).get("Subject", ""))
    conn.logout()
    return subjects


def pop3_subjects(host, port, mode, user, password):
    conn = pop3(host, port, mode)
    conn.user(user)
    conn.pass_(password)
    count, _ = conn.stat()
    subjects = []
    for i in range(1, count + 1):
        _, lines, _ = conn.top(i, 0)
        subjects.append(email.message_from_bytes(b"\r\n".join(lines)).get("Subject", ""))
    conn.quit()
    return subjects


def wait_for(find, subject):
    deadline = time.time() + 20
    seen = []
    while time.time() < deadline:
        seen = find()
        if subject in seen:
            return seen
        time.sleep(0.3)
    raise AssertionError(f"subject {subject!r} not found; INBOX has {seen!r}")


def imap_folders(conn):
    """The mailbox's folder names (decoded from IMAP's modified UTF-7 as far as tests need)."""
    typ, data = conn.list()
    names = []
    for line in data:
        line = line.decode() if isinstance(line, bytes) else line
        m = re.match(r'\((?P<flags>[^)]*)\) (?P<sep>"[^"]*"|NIL) (?P<name>.+)$', line)
        if m:
            names.append(m.group("name").strip('"'))
    return names


def imap_state(conn):
    """{folder: [{"subject", "flags"}]} for every folder."""
    state = {}
    for name in imap_folders(conn):
        typ, data = conn.select(f'"{name}"', readonly=True)
        if typ != "OK":
            continue
        count = int(data[0])
        rows = []
        if count:
            typ, data = conn.fetch(f"1:{count}", "(FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
            for part in data:
                if isinstance(part, tuple):
                    flags = re.search(rb"FLAGS \(([^)]*)\)", part[0])
                    subject = email.message_from_bytes(part[1])["Subject"] or ""
                    rows.append({"subject": subject,
                                 "flags": sorted(flags.group(1).decode().split()) if flags else []})
        state[name] = rows
    return state


def imap_uid_of(conn, folder, subject):
    typ, data = conn.select(f'"{folder}"')
    typ, data = conn.uid("SEARCH", None, "HEADER", "Subject", f'"{subject}"')
    uids = data[0].split()
    if not uids:
        raise AssertionError(f"{subject!r} is not in {folder}")
    return uids[0].decode()


def main(argv):
    cmd, host, port, mode, user, password, *rest = argv
    port = int(port)
    if cmd == "imap-login":
        conn = imap(host, port, mode)
        conn.login(user, password)
        typ, _ = conn.list()
        conn.logout()
        print(f"ok imap {mode} list={typ}")
    elif cmd == "pop3-login":
        conn = pop3(host, port, mode)
        conn.user(user)
        conn.pass_(password)
        count, size = conn.stat()
        conn.quit()
        print(f"ok pop3 {mode} stat={count},{size}")
    elif cmd == "submit":
        sender, to, subject = rest
        msg = EmailMessage()
        msg["From"] = sender
        msg["To"] = to
        msg["Subject"] = subject
        msg.set_content(f"Sent by the integration test over {mode} on port {port}.\n")
        if mode == "tls":
            smtp = smtplib.SMTP_SSL(host, port, context=tls_context(), timeout=20)
        else:
            smtp = smtplib.SMTP(host, port, timeout=20)
            smtp.starttls(context=tls_context())
        smtp.login(user, password)
        refused = smtp.send_message(msg)
        smtp.quit()
        if refused:
            raise AssertionError(f"recipients refused: {refused}")
        print(f"ok submitted {subject!r}")
    elif cmd == "imap-find":
        (subject,) = rest
        seen = wait_for(lambda: imap_subjects(host, port, mode, user, password), subject)
        print(f"ok imap found {subject!r} among {len(seen)}")
    elif cmd == "pop3-find":
        (subject,) = rest
        seen = wait_for(lambda: pop3_subjects(host, port, mode, user, password), subject)
        print(f"ok pop3 found {subject!r} among {len(seen)}")
    elif cmd == "imap-body":
        # Waits for a message whose subject contains the text; prints its plain-text body.
        (needle,) = rest
        deadline = time.time() + 30
        while True:
            conn = imap(host, port, mode)
            conn.login(user, password)
            conn.select("INBOX", readonly=True)
            typ, data = conn.search(None, "SUBJECT", f'"{needle}"')
            ids = data[0].split()
            if ids:
                typ, data = conn.fetch(ids[-1], "(BODY.PEEK[])")
                conn.logout()
                msg = email.message_from_bytes(data[0][1])
                part = msg.get_body(preferencelist=("plain",)) if hasattr(msg, "get_body") else msg
                body = part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")
                print(body)
                return
            conn.logout()
            if time.time() > deadline:
                raise AssertionError(f"no message with {needle!r} in the subject")
            time.sleep(0.3)
    elif cmd == "imap-append":
        # Appends a message of about `size` bytes; prints the server's answer.
        (size,) = rest
        conn = imap(host, port, mode)
        conn.login(user, password)
        body = ("x" * 76 + "\r\n") * (int(size) // 78 + 1)
        raw = f"From: {user}\r\nTo: {user}\r\nSubject: filler\r\n\r\n{body}".encode()
        try:
            typ, data = conn.append("INBOX", None, None, raw)
            print(f"append {typ} {data[0].decode(errors='replace') if data and data[0] else ''}")
        except imaplib.IMAP4.error as err:
            print(f"append NO {err}")
        conn.logout()
    elif cmd == "imap-fill":
        # Creates `folder` (when missing) and appends `count` short messages to it, subjects
        # "<prefix> 1" (the oldest) to "<prefix> <count>", an hour apart; prints how many.
        folder, count, prefix = rest
        conn = imap(host, port, mode)
        conn.login(user, password)
        conn.create(f'"{folder}"')
        start = time.time() - int(count) * 3600
        for n in range(1, int(count) + 1):
            when = time.gmtime(start + n * 3600)
            date = time.strftime("%a, %d %b %Y %H:%M:%S +0000", when)
            raw = (f"From: Filler <filler@demo.test>\r\nTo: {user}\r\nSubject: {prefix} {n}\r\n"
                   f"Date: {date}\r\nMessage-ID: <fill-{prefix.replace(' ', '-')}-{n}@demo.test>\r\n\r\n"
                   f"Message {n} of {count}.\r\n").encode()
            typ, _ = conn.append(f'"{folder}"', "\\Seen", imaplib.Time2Internaldate(start + n * 3600), raw)
            if typ != "OK":
                raise AssertionError(f"append {n}: {typ}")
        conn.logout()
        print(f"filled {count}")
    elif cmd == "rcpt-codes":
        # One SMTP transaction: prints the reply code of each RCPT TO, in order.
        sender, recipients = rest
        if mode == "tls":
            smtp = smtplib.SMTP_SSL(host, port, context=tls_context(), timeout=20)
        else:
            smtp = smtplib.SMTP(host, port, timeout=20)
            smtp.starttls(context=tls_context())
        smtp.login(user, password)
        smtp.mail(sender)
        codes = [str(smtp.rcpt(r)[0]) for r in recipients.split(",")]
        smtp.rset()
        smtp.quit()
        print(" ".join(codes))
    elif cmd == "send":
        # One message with a chosen Message-ID to several recipients. Mode `mx`: the MX port,
        # plain, no sign-in (user and password are ignored); `tls`: submission over TLS,
        # signed in. Prints each RCPT TO's reply code, then DATA's (or `-` without any
        # accepted recipient).
        sender, recipients, subject, message_id = rest
        rcpts = recipients.split(",")
        msg = EmailMessage()
        msg["From"] = sender
        msg["To"] = ", ".join(rcpts)
        msg["Subject"] = subject
        msg["Message-ID"] = f"<{message_id}>"
        msg.set_content(f"Sent by the trace test ({subject}).\n")
        if mode == "tls":
            smtp = smtplib.SMTP_SSL(host, port, context=tls_context(), timeout=20)
            smtp.login(user, password)
        else:
            smtp = smtplib.SMTP(host, port, timeout=20)
            smtp.ehlo("client.outside.test")
        smtp.mail(sender)
        codes = [str(smtp.rcpt(r)[0]) for r in rcpts]
        if "250" in codes:
            code, _ = smtp.data(msg.as_bytes())
            codes.append(str(code))
        else:
            smtp.rset()
            codes.append("-")
        smtp.quit()
        print(" ".join(codes))
    elif cmd == "send-bcc":
        # One message over submission (TLS, signed in) to TO, with BCC an envelope recipient
        # only (no header names it).
        sender, to, bcc, subject = rest
        msg = EmailMessage()
        msg["From"] = sender
        msg["To"] = to
        msg["Subject"] = subject
        msg.set_content(f"Sent by the archive test ({subject}).\n")
        smtp = smtplib.SMTP_SSL(host, port, context=tls_context(), timeout=20)
        smtp.login(user, password)
        refused = smtp.send_message(msg, to_addrs=[to, bcc])
        smtp.quit()
        if refused:
            raise AssertionError(f"recipients refused: {refused}")
        print(f"ok submitted {subject!r}")
    elif cmd == "imap-empty":
        # Deletes every message of a folder and expunges it.
        (folder,) = rest
        conn = imap(host, port, mode)
        conn.login(user, password)
        conn.select(folder)
        conn.store("1:*", "+FLAGS", "\\Deleted")
        conn.expunge()
        conn.logout()
        print(f"ok emptied {folder}")
    elif cmd == "send-html":
        # A formatted message over submission (TLS, signed in): a plain-text part, the HTML
        # read from a file with a small PNG beside it for `cid:logo@casella.test`, and a text
        # attachment `figures è.txt`. Prints DATA's reply code.
        sender, recipient, subject, message_id, html_path = rest
        msg = EmailMessage()
        msg["From"] = sender
        msg["To"] = recipient
        msg["Subject"] = subject
        msg["Message-ID"] = f"<{message_id}>"
        msg.set_content(f"The plain-text part of {subject}.\n")
        with open(html_path, encoding="utf-8") as f:
            msg.add_alternative(f.read(), subtype="html")
        msg.get_payload()[1].add_related(pixel_png(), "image", "png", cid="<logo@casella.test>",
                                         filename="logo.png")
        msg.add_attachment(b"quarterly figures\n", maintype="text", subtype="plain",
                           filename="figures \u00e8.txt")
        smtp = smtplib.SMTP_SSL(host, port, context=tls_context(), timeout=30)
        smtp.login(user, password)
        smtp.sendmail(sender, [recipient], msg.as_bytes())
        smtp.quit()
        print("250")
    elif cmd == "imap-state":
        # Every folder with its messages' subjects and flags, as JSON.
        conn = imap(host, port, mode)
        conn.login(user, password)
        print(json.dumps(imap_state(conn)))
        conn.logout()
    elif cmd == "imap-act":
        # One change made by an IMAP client: `create FOLDER`, `flag FOLDER SUBJECT`,
        # `seen FOLDER SUBJECT`, `move FOLDER SUBJECT TO`, `delete FOLDER SUBJECT` (expunged).
        conn = imap(host, port, mode)
        conn.login(user, password)
        action, *args = rest
        if action == "create":
            typ, data = conn.create(f'"{args[0]}"')
        else:
            folder, subject, *more = args
            uid = imap_uid_of(conn, folder, subject)
            if action == "flag":
                typ, data = conn.uid("STORE", uid, "+FLAGS", "(\\Flagged)")
            elif action == "seen":
                typ, data = conn.uid("STORE", uid, "+FLAGS", "(\\Seen)")
            elif action == "move":
                typ, data = conn.uid("MOVE", uid, f'"{more[0]}"')
            elif action == "delete":
                typ, data = conn.uid("STORE", uid, "+FLAGS", "(\\Deleted)")
                if typ == "OK":
                    typ, data = conn.expunge()
            else:
                raise SystemExit(f"unknown imap-act {action}")
        conn.logout()
        if typ != "OK":
            print(f"refused: {data}")
            sys.exit(1)
        print(f"ok {action}")
    elif cmd == "smtp-auth":
        if mode == "tls":
            smtp = smtplib.SMTP_SSL(host, port, context=tls_context(), timeout=20)
        else:
            smtp = smtplib.SMTP(host, port, timeout=20)
            smtp.starttls(context=tls_context())
        smtp.login(user, password)
        smtp.quit()
        print("ok smtp auth")
    else:
        raise SystemExit(f"unknown command {cmd}")


if __name__ == "__main__":
    # A server's refusal (exit 1) is told apart from a server that is not there or broke the
    # connection (exit 2), so a test that expects a refusal cannot pass on a dead port.
    try:
        main(sys.argv[1:])
    except (imaplib.IMAP4.error, poplib.error_proto, smtplib.SMTPResponseException, AssertionError) as err:
        print(f"refused: {type(err).__name__}: {err}")
        sys.exit(1)
    except (smtplib.SMTPException, OSError) as err:
        print(f"unreachable: {type(err).__name__}: {err}")
        sys.exit(2)
