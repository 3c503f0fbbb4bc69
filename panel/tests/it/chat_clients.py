#!/usr/bin/env python3
# SPDX-License-Identifier: AGPL-3.0-only
"""Real XMPP clients (slixmpp) and raw streams for Casella's chat tests.

Usage: chat_clients.py COMMAND ARGS...
  login MODE HOST PORT JID PASSWORD [MECH]  sign in ("starttls" or "tls"), with SASL mechanism
                                            MECH if given, print the roster
  chat HOST PORT TLS_PORT JID_A PW_A JID_B PW_B
                                            both online (A over STARTTLS, B over direct TLS):
                                            presence and messages both ways
  send HOST PORT JID PASSWORD TO BODY       sign in, send one message, sign out
  receive HOST PORT JID PASSWORD BODY [SECONDS]
                                            sign in, wait for a message with BODY
  history HOST PORT JID PASSWORD WITH N      the conversation with WITH from the archive (MAM),
                                            whole and its first page of N
  carbons HOST PORT JID PASSWORD TO BODY    two sessions of JID: the second gets a copy of
                                            what the first sends (carbons)
  resume HOST PORT JID PASSWORD SENDER SENDER_PASSWORD
                                            JID's connection breaks, SENDER writes twice, JID
                                            resumes its session (XEP-0198) and gets both
  expire HOST PORT JID PASSWORD SENDER SENDER_PASSWORD SECONDS
                                            JID's connection breaks and is not resumed within
                                            SECONDS; what SENDER wrote meanwhile arrives at
                                            JID's next sign-in, once
  roster-change HOST PORT JID PASSWORD       sign in, print "online", report the first contact
                                            list change the server pushes
  kicked HOST PORT JID PASSWORD             sign in, print "online", wait for the server to end
                                            the stream, print its condition
  block HOST PORT JID_A PW_A JID_B PW_B     A blocks B (XEP-0191): B sees A go offline, neither
                                            can write to the other; A unblocks, and they can
  csi HOST PORT JID_A PW_A JID_B PW_B       A says it is inactive (XEP-0352): B's status change
                                            waits until B writes, then comes before the message
  upload HOST PORT JID PASSWORD TO SIZE      share a file of SIZE bytes (XEP-0363): the advertised
                                            limit, a slot, PUT, GET, the link sent to TO, a
                                            request over the limit, a PUT of the wrong size
  raw HOST PORT DOMAIN KIND                 STARTTLS by hand, then send KIND (bad-xml, laughs,
                                            big, unknown-ns) and print the stream error
Every command prints one JSON object on its last line.
"""
import asyncio
import json
import logging
import os
import re
import socket
import ssl
import sys
import time
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET

import slixmpp
import slixmpp.exceptions

TIMEOUT = 20
# What the running command waits for, reported if it times out.
STEP = ["start"]


def tls_context():
    # The test server uses the engine's self-signed certificate.
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


class Client(slixmpp.ClientXMPP):
    def __init__(self, jid, password, direct_tls=False, stream_management=False, mechanism=None):
        super().__init__(jid, password, sasl_mech=mechanism)
        if stream_management:
            self.register_plugin("xep_0198")
            self.sm_enabled = asyncio.get_event_loop().create_future()
            self.resumed = asyncio.get_event_loop().create_future()
            self.add_event_handler("sm_enabled", lambda _: self.sm_enabled.done() or self.sm_enabled.set_result(True))
            self.add_event_handler("session_resumed", lambda _: self.resumed.done() or self.resumed.set_result(True))
        self.ssl_context = tls_context()
        self.enable_direct_tls = direct_tls
        self.enable_starttls = not direct_tls
        self.enable_plaintext = False
        for plugin in ("xep_0030", "xep_0199", "xep_0085", "xep_0280", "xep_0313", "xep_0054",
                       "xep_0191", "xep_0352", "xep_0066", "xep_0045", "xep_0060", "xep_0163",
                       "xep_0084"):
            self.register_plugin(plugin)
        # Receipts: asked for on every message sent, and given for every one received.
        self.register_plugin("xep_0184", {"auto_ack": True, "auto_request": True})
        self.started = asyncio.get_event_loop().create_future()
        self.messages = asyncio.Queue()
        self.presences = asyncio.Queue()
        self.ended = asyncio.get_event_loop().create_future()
        self.stream_error = None
        self.add_event_handler("session_start", self._start)
        self.add_event_handler("failed_all_auth", self._failed)
        self.add_event_handler("failed_auth", self._failed_once)
        self.add_event_handler("message", lambda m: self.messages.put_nowait(m))
        # Presence and messages in the order they came: (what, bare sender).
        self.arrivals = []
        self.add_event_handler("presence", lambda p: self.arrivals.append(
            (f"presence:{p['show'] or p['type']}", str(p["from"].bare))))
        self.add_event_handler("message", lambda m: m["body"] and self.arrivals.append(
            ("message", str(m["from"].bare))))
        self.errors = asyncio.Queue()
        self.add_event_handler("message_error", lambda m: self.errors.put_nowait(m))
        self.add_event_handler("presence", lambda p: self.presences.put_nowait(p))
        self.add_event_handler("stream_error", self._stream_error)
        self.add_event_handler("disconnected", self._ended)
        self.failure = None
        self.typing = asyncio.Queue()
        self.receipts = asyncio.Queue()
        self.carbons = asyncio.Queue()
        self.groupchat = asyncio.Queue()
        self.avatars = asyncio.Queue()
        self.add_event_handler("avatar_metadata_publish", lambda m: self.avatars.put_nowait(m))
        self.add_event_handler("groupchat_message", lambda m: m["body"] and self.groupchat.put_nowait(m))
        self.add_event_handler("chatstate_composing", lambda m: self.typing.put_nowait(m))
        self.add_event_handler("receipt_received", lambda m: self.receipts.put_nowait(m))
        self.add_event_handler("carbon_sent", lambda m: self.carbons.put_nowait(m))

    async def _start(self, _):
        if not self.started.done():
            self.started.set_result(True)

    def _failed_once(self, stanza):
        self.failure = {"condition": stanza["condition"], "text": stanza["text"]}

    def _failed(self, _):
        if not self.started.done():
            self.started.set_result(False)

    def _stream_error(self, error):
        self.stream_error = {"condition": error["condition"], "text": error["text"]}

    def _ended(self, _):
        if not self.ended.done():
            self.ended.set_result(True)
        if not self.started.done():
            self.started.set_result(False)


async def online(jid, password, host, port, direct_tls=False, presence=True, mechanism=None):
    client = Client(jid, password, direct_tls, mechanism=mechanism)
    client.connect(host, int(port))
    ok = await asyncio.wait_for(client.started, TIMEOUT)
    if ok and presence:
        client.send_presence()
    return client, ok


async def next_message(client, body=None, timeout=TIMEOUT):
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError(f"no message {body!r}")
        msg = await asyncio.wait_for(client.messages.get(), left)
        if msg["type"] in ("chat", "normal") and msg["body"] and (body is None or msg["body"] == body):
            return msg


async def presence_of(client, bare, show=None, timeout=TIMEOUT):
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError(f"no presence of {bare} {show!r}")
        p = await asyncio.wait_for(client.presences.get(), left)
        if str(p["from"].bare) == bare and p["type"] != "unavailable" and (show is None or p["show"] == show):
            return p


async def login(mode, host, port, jid, password, mechanism=None):
    client, ok = await online(jid, password, host, port, direct_tls=(mode == "tls"), presence=False,
                              mechanism=mechanism)
    if not ok:
        client.disconnect()
        return {"ok": False, "failure": client.failure, "stream_error": client.stream_error}
    roster = await client.get_roster()
    items = roster["roster"]["items"]
    result = {
        "ok": True,
        "jid": str(client.boundjid),
        "roster": sorted(str(j) for j in items),
        "names": {str(j): items[j]["name"] for j in items},
        "subscriptions": sorted({items[j]["subscription"] for j in items}),
        "mechanism": getattr(client.plugin["feature_mechanisms"].mech, "name", None),
    }
    ping = await client.plugin["xep_0199"].ping(jid=client.boundjid.domain, timeout=TIMEOUT)
    result["ping"] = ping is not None
    info = await client.plugin["xep_0030"].get_info(jid=client.boundjid.domain, timeout=TIMEOUT)
    result["features"] = sorted(info["disco_info"]["features"])
    client.disconnect()
    return result


async def chat(host, port, tls_port, jid_a, pw_a, jid_b, pw_b):
    a, ok_a = await online(jid_a, pw_a, host, port)
    b, ok_b = await online(jid_b, pw_b, host, tls_port, direct_tls=True)
    if not (ok_a and ok_b):
        return {"ok": False, "a": ok_a, "b": ok_b}
    STEP[0] = "a sees b online"
    await presence_of(a, jid_b)
    STEP[0] = "b gets a's message"
    a.send_message(mto=jid_b, mbody="Ciao Bob, from A", mtype="chat")
    got_b = await next_message(b, "Ciao Bob, from A")
    STEP[0] = "a gets b's reply"
    b.send_message(mto=jid_a, mbody="Ciao Alice, from B", mtype="chat")
    got_a = await next_message(a, "Ciao Alice, from B")
    STEP[0] = "a gets b's receipt"
    receipt = await asyncio.wait_for(a.receipts.get(), TIMEOUT)
    STEP[0] = "a sees b typing"
    typing = b.make_message(mto=jid_a, mtype="chat")
    typing["chat_state"] = "composing"
    typing.send()
    await asyncio.wait_for(a.typing.get(), TIMEOUT)
    STEP[0] = "a sees b busy"
    b.send_presence(pshow="dnd", pstatus="in a meeting")
    busy = await presence_of(a, jid_b, show="dnd")
    STEP[0] = "b's card"
    card = await a.plugin["xep_0054"].get_vcard(jid=jid_b, timeout=TIMEOUT)
    result = {
        "ok": True,
        "receipt_from": str(receipt["from"].bare),
        "b_name": card["vcard_temp"]["FN"],
        "b_from": str(got_b["from"].bare),
        "a_from": str(got_a["from"].bare),
        "stanza_id": bool(got_b.xml.find("{urn:xmpp:sid:0}stanza-id") is not None),
        "busy_status": busy["status"],
    }
    a.disconnect()
    b.disconnect()
    return result


async def history(host, port, jid, password, with_jid, count):
    client, ok = await online(jid, password, host, port)
    if not ok:
        return {"ok": False}
    STEP[0] = "history"
    mam = client.plugin["xep_0313"]
    whole = await mam.retrieve(with_jid=slixmpp.JID(with_jid), timeout=TIMEOUT)
    bodies = [r["mam_result"]["forwarded"]["stanza"]["body"] for r in whole["mam"]["results"]]
    senders = [str(r["mam_result"]["forwarded"]["stanza"]["from"].bare)
               for r in whole["mam"]["results"]]
    first = await mam.retrieve(with_jid=slixmpp.JID(with_jid), rsm={"max": int(count)},
                               timeout=TIMEOUT)
    page = [r["mam_result"]["forwarded"]["stanza"]["body"] for r in first["mam"]["results"]]
    client.disconnect()
    return {"ok": True, "bodies": bodies, "senders": senders, "first_page": page,
            "first_complete": first["mam_fin"]["complete"] in (True, "true")}


async def carbons(host, port, jid, password, to, body):
    one, ok1 = await online(jid, password, host, port)
    two, ok2 = await online(jid, password, host, port)
    if not (ok1 and ok2):
        return {"ok": False}
    STEP[0] = "carbons on"
    await two.plugin["xep_0280"].enable(timeout=TIMEOUT)
    one.send_message(mto=to, mbody=body, mtype="chat")
    STEP[0] = "the copy"
    copy = await asyncio.wait_for(two.carbons.get(), TIMEOUT)
    inner = copy["carbon_sent"]
    one.disconnect()
    two.disconnect()
    return {"ok": True, "to": str(inner["to"].bare), "body": inner["body"]}


async def dropped_while_written_to(host, port, jid, password, sender, sender_password, bodies):
    """JID signs in with stream management, its connection breaks, and SENDER writes BODIES
    meanwhile; the dropped client (to resume) and SENDER's client, or None."""
    client = Client(jid, password, stream_management=True)
    client.connect(host, int(port))
    if not await asyncio.wait_for(client.started, TIMEOUT):
        return None
    client.send_presence()
    STEP[0] = "stream management on"
    await asyncio.wait_for(client.sm_enabled, TIMEOUT)
    await asyncio.sleep(0.5)
    client.transport.abort()
    other, ok = await online(sender, sender_password, host, port)
    if not ok:
        return None
    await asyncio.sleep(0.5)
    for body in bodies:
        other.send_message(mto=jid, mbody=body, mtype="chat")
    return client, other


async def resume(host, port, jid, password, sender, sender_password):
    """The connection of JID breaks; SENDER writes twice meanwhile; JID comes back, resumes
    its session (XEP-0198) and gets both messages, once each."""
    dropped = await dropped_while_written_to(host, port, jid, password, sender, sender_password,
                                             ("Mentre eri via 1", "Mentre eri via 2"))
    if dropped is None:
        return {"ok": False}
    client, other = dropped
    await asyncio.sleep(1)
    STEP[0] = "resumed"
    client.connect(host, int(port))
    await asyncio.wait_for(client.resumed, TIMEOUT)
    STEP[0] = "the messages after resuming"
    got = []
    while len(got) < 2:
        msg = await next_message(client)
        got.append(msg["body"])
    await asyncio.sleep(1)
    while not client.messages.empty():
        msg = client.messages.get_nowait()
        if msg["body"]:
            got.append(msg["body"])
    other.disconnect()
    client.disconnect()
    return {"ok": True, "bodies": got}


async def expire(host, port, jid, password, sender, sender_password, seconds):
    dropped = await dropped_while_written_to(host, port, jid, password, sender, sender_password,
                                             ("Mentre eri via A", "Mentre eri via B"))
    if dropped is None:
        return {"ok": False}
    _, other = dropped
    STEP[0] = "the window passes"
    await asyncio.sleep(float(seconds) + 2)
    again, ok = await online(jid, password, host, port)
    if not ok:
        return {"ok": False}
    STEP[0] = "the messages at the next sign-in"
    got = [m["body"] for m in await quiet(again.messages, 3) if m["body"]]
    other.disconnect()
    again.disconnect()
    return {"ok": True, "bodies": got}


async def send(host, port, jid, password, to, body):
    client, ok = await online(jid, password, host, port)
    if not ok:
        return {"ok": False}
    client.send_message(mto=to, mbody=body, mtype="chat")
    await asyncio.sleep(1)
    client.disconnect()
    return {"ok": True}


async def receive(host, port, jid, password, body, seconds=TIMEOUT):
    client, ok = await online(jid, password, host, port)
    if not ok:
        return {"ok": False}
    STEP[0] = f"a message {body!r}"
    msg = await next_message(client, body, float(seconds))
    delay = msg.xml.find("{urn:xmpp:delay}delay")
    client.disconnect()
    return {"ok": True, "from": str(msg["from"].bare), "delayed": delay is not None}


async def roster_change(host, port, jid, password):
    """Signs in, prints "online", and reports the first change the server pushes to the
    contact list."""
    client, ok = await online(jid, password, host, port)
    if not ok:
        return {"ok": False}
    pushed = asyncio.get_event_loop().create_future()
    client.add_event_handler("roster_update", lambda iq: pushed.done() or pushed.set_result(iq))
    print("online", flush=True)
    STEP[0] = "a roster push"
    iq = await asyncio.wait_for(pushed, 60)
    items = iq["roster"]["items"]
    client.disconnect()
    return {"ok": True, "items": {str(j): items[j]["subscription"] for j in items}}


async def kicked(host, port, jid, password):
    client, ok = await online(jid, password, host, port)
    if not ok:
        return {"ok": False}
    print("online", flush=True)
    await asyncio.wait_for(client.ended, 60)
    return {"ok": True, "stream_error": client.stream_error}


async def quiet(queue, seconds):
    """What arrives on QUEUE within SECONDS."""
    got = []
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        try:
            got.append(await asyncio.wait_for(queue.get(), left))
        except (TimeoutError, asyncio.TimeoutError):
            break
    return got


async def latest_presence_of(client, bare, timeout=TIMEOUT):
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError(f"no presence of {bare}")
        p = await asyncio.wait_for(client.presences.get(), left)
        if str(p["from"].bare) == bare:
            return p


async def block(host, port, jid_a, pw_a, jid_b, pw_b):
    a, ok_a = await online(jid_a, pw_a, host, port)
    b, ok_b = await online(jid_b, pw_b, host, port)
    if not (ok_a and ok_b):
        return {"ok": False}
    STEP[0] = "b sees a online"
    await presence_of(b, jid_a)
    STEP[0] = "a blocks b"
    await a.plugin["xep_0191"].block([jid_b], timeout=TIMEOUT)
    listed = await a.plugin["xep_0191"].get_blocked(timeout=TIMEOUT)
    STEP[0] = "b sees a go"
    gone = await latest_presence_of(b, jid_a)
    STEP[0] = "b writes to a"
    b.send_message(mto=jid_a, mbody="Mi senti?", mtype="chat")
    b_error = await asyncio.wait_for(b.errors.get(), TIMEOUT)
    STEP[0] = "a writes to b"
    a.send_message(mto=jid_b, mbody="Bloccato", mtype="chat")
    a_error = await asyncio.wait_for(a.errors.get(), TIMEOUT)
    a_heard = [m["body"] for m in await quiet(a.messages, 1) if m["body"]]
    STEP[0] = "a unblocks b"
    await a.plugin["xep_0191"].unblock([jid_b], timeout=TIMEOUT)
    back = await latest_presence_of(b, jid_a)
    b.send_message(mto=jid_a, mbody="Di nuovo qui", mtype="chat")
    STEP[0] = "a gets b's message"
    got = await next_message(a, "Di nuovo qui")
    a.disconnect()
    b.disconnect()
    return {
        "ok": True,
        "listed": sorted(i.get("jid") for i in listed.xml.iter("{urn:xmpp:blocking}item")),
        "gone": gone["type"],
        "b_error": b_error["error"]["condition"],
        "a_error": a_error["error"]["condition"],
        "a_blocked_marker": a_error.xml.find(".//{urn:xmpp:blocking:errors}blocked") is not None,
        "a_heard": a_heard,
        "back": back["type"],
        "got": got["body"],
    }


async def csi(host, port, jid_a, pw_a, jid_b, pw_b):
    a, ok_a = await online(jid_a, pw_a, host, port)
    b, ok_b = await online(jid_b, pw_b, host, port)
    if not (ok_a and ok_b):
        return {"ok": False}
    STEP[0] = "a sees b online"
    await presence_of(a, jid_b)
    advertised = a.plugin["xep_0352"].enabled
    a.plugin["xep_0352"].send_inactive()
    await asyncio.sleep(0.5)
    b.send_presence(pshow="away")
    b.send_presence(pshow="dnd", pstatus="in riunione")
    held = await quiet(a.presences, 1.5)
    STEP[0] = "b writes"
    mark = len(a.arrivals)
    b.send_message(mto=jid_a, mbody="Sveglia", mtype="chat")
    await next_message(a, "Sveglia")
    # The held presence comes first (only the latest), then the message.
    order = [kind for kind, who in a.arrivals[mark:] if who == jid_b]
    a.disconnect()
    b.disconnect()
    return {"ok": True, "advertised": advertised, "held": len(held), "order": order}


NS_UPLOAD = "urn:xmpp:http:upload:0"


async def slot(client, name, size, content_type):
    iq = client.Iq()
    iq["type"] = "get"
    iq["to"] = client.boundjid.domain
    iq.append(ET.fromstring(
        f"<request xmlns='{NS_UPLOAD}' filename='{name}' size='{size}' content-type='{content_type}'/>"))
    try:
        answer = await iq.send(timeout=TIMEOUT)
    except slixmpp.exceptions.IqError as err:
        error = err.iq["error"]
        limit = err.iq.xml.find(f".//{{{NS_UPLOAD}}}max-file-size")
        return None, {"condition": error["condition"], "text": error["text"],
                      "max": int(limit.text) if limit is not None else None}
    put = answer.xml.find(f".//{{{NS_UPLOAD}}}put").get("url")
    get = answer.xml.find(f".//{{{NS_UPLOAD}}}get").get("url")
    return (put, get), None


def http(method, url, data=None, content_type=None):
    request = urllib.request.Request(url, data=data, method=method)
    if content_type:
        request.add_header("Content-Type", content_type)
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as answer:
            return answer.status, answer.read(), {k.lower(): v for k, v in answer.headers.items()}
    except urllib.error.HTTPError as err:
        return err.code, err.read(), {k.lower(): v for k, v in err.headers.items()}


async def upload(host, port, jid, password, to, size):
    client, ok = await online(jid, password, host, port)
    if not ok:
        return {"ok": False}
    size = int(size)
    STEP[0] = "the advertised limit"
    info = await client.plugin["xep_0030"].get_info(jid=client.boundjid.domain, timeout=TIMEOUT)
    limit = None
    for form in info.xml.iter("{jabber:x:data}x"):
        for field in form.iter("{jabber:x:data}field"):
            if field.get("var") == "max-file-size":
                limit = int(field.find("{jabber:x:data}value").text)
    data = bytes((i * 7) % 256 for i in range(size))
    STEP[0] = "a slot"
    urls, error = await slot(client, "foto di prova.png", size, "image/png")
    if error:
        return {"ok": False, "slot_error": error}
    put_url, get_url = urls
    loop = asyncio.get_event_loop()
    STEP[0] = "a PUT of the wrong size"
    short = await loop.run_in_executor(None, http, "PUT", put_url, data[:-1], "image/png")
    STEP[0] = "the PUT"
    put = await loop.run_in_executor(None, http, "PUT", put_url, data, "image/png")
    again = await loop.run_in_executor(None, http, "PUT", put_url, data, "image/png")
    STEP[0] = "the GET"
    got = await loop.run_in_executor(None, http, "GET", get_url)
    message = client.make_message(mto=to, mbody=get_url, mtype="chat")
    message["oob"]["url"] = get_url
    message.send()
    STEP[0] = "a slot over the limit"
    _, too_big = await slot(client, "enorme.iso", (limit or 0) + 1, "application/octet-stream")
    await asyncio.sleep(0.5)
    client.disconnect()
    return {
        "ok": True,
        "limit": limit,
        "put_url": put_url,
        "same_url": put_url == get_url,
        "short_status": short[0],
        "put_status": put[0],
        "again_status": again[0],
        "get_status": got[0],
        "same_bytes": got[1] == data,
        "content_type": got[2].get("content-type"),
        "disposition": got[2].get("content-disposition"),
        "sandboxed": "sandbox" in got[2].get("content-security-policy", ""),
        "too_big": too_big,
    }


def raw(host, port, domain, kind):
    header = (f"<?xml version='1.0'?><stream:stream to='{domain}' version='1.0' "
              "xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>")
    sock = socket.create_connection((host, int(port)), timeout=TIMEOUT)
    sock.sendall(header.encode())
    data = b""
    while b"</stream:features>" not in data:
        data += sock.recv(4096)
    sock.sendall(b"<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
    while b"<proceed" not in data:
        data += sock.recv(4096)
    tls = tls_context().wrap_socket(sock, server_hostname=domain)
    tls.sendall(header.encode())
    data = b""
    while b"</stream:features>" not in data:
        data += tls.recv(4096)
    started = time.monotonic()
    if kind == "bad-xml":
        payload = b"<message to='x'><body>oops</messag>"
    elif kind == "laughs":
        entities = "".join(
            f'<!ENTITY lol{i} "{("&lol%d;" % (i - 1)) * 10}">' for i in range(1, 10))
        payload = (f'<!DOCTYPE lolz [<!ENTITY lol0 "lol">{entities}]>'
                   "<message><body>&lol9;</body></message>").encode()
    elif kind == "big":
        payload = b"<message to='a@b'><body>" + b"x" * (10 * 1024 * 1024) + b"</body></message>"
    elif kind == "unknown-ns":
        payload = b"<foo xmlns='urn:example:unknown'/>"
    else:
        raise SystemExit(f"unknown kind {kind}")
    reply = b""
    try:
        tls.sendall(payload)
    except OSError:
        pass  # the server may close before it has read everything
    try:
        while True:
            chunk = tls.recv(65536)
            if not chunk:
                break
            reply += chunk
    except OSError:
        pass
    text = reply.decode(errors="replace")
    found = re.search(r"<stream:error><([a-z-]+)", text)
    return {
        "ok": True,
        "condition": found.group(1) if found else None,
        "closed": "</stream:stream>" in text,
        "seconds": round(time.monotonic() - started, 2),
    }


async def ping(client, jid):
    # XEP-0199 to any address: "ok", or the error's condition.
    iq = client.make_iq_get(ito=jid)
    iq.enable("ping")
    try:
        await iq.send(timeout=TIMEOUT)
        return "ok"
    except slixmpp.exceptions.IqError as err:
        return err.condition


async def next_groupchat(client, body, timeout=TIMEOUT):
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError(f"no group message {body!r}")
        msg = await asyncio.wait_for(client.groupchat.get(), left)
        if msg["body"] == body:
            return msg


async def groupchat(host, port, jid_a, pw_a, jid_b, pw_b, jid_c, pw_c, outsider, outsider_pw):
    # Anna and Bruno find the room of their group alias (disco, bookmarks), join it and
    # talk; Carla, a member who was away, gets what was said on joining and from the
    # room's archive; a colleague who is not a member is turned away.
    a, ok_a = await online(jid_a, pw_a, host, port)
    b, ok_b = await online(jid_b, pw_b, host, port)
    if not (ok_a and ok_b):
        return {"ok": False, "a": ok_a, "b": ok_b}
    domain = a.boundjid.domain
    disco = a.plugin["xep_0030"]
    STEP[0] = "the service"
    services = await disco.get_items(jid=domain, timeout=TIMEOUT)
    service = f"conference.{domain}"
    service_info = await disco.get_info(jid=service, timeout=TIMEOUT)
    rooms = await disco.get_items(jid=service, timeout=TIMEOUT)
    STEP[0] = "bookmarks"
    marks = await a.plugin["xep_0060"].get_items(jid=a.boundjid.bare, node="urn:xmpp:bookmarks:1",
                                                 timeout=TIMEOUT)
    bookmarks = []
    for item in marks["pubsub"]["items"]:
        conf = item.xml.find("{urn:xmpp:bookmarks:1}conference")
        bookmarks.append({"jid": item["id"], "name": conf.get("name"),
                          "autojoin": conf.get("autojoin")})
    room = bookmarks[0]["jid"] if bookmarks else f"nothing@{service}"
    room_info = await disco.get_info(jid=room, timeout=TIMEOUT)
    STEP[0] = "joins"
    muc = a.plugin["xep_0045"]
    joined_a = await muc.join_muc_wait(slixmpp.JID(room), "whatever", maxstanzas=20, timeout=TIMEOUT)
    joined_b = await b.plugin["xep_0045"].join_muc_wait(slixmpp.JID(room), "bruno", maxstanzas=20,
                                                        timeout=TIMEOUT)
    STEP[0] = "typing"
    typing = a.make_message(mto=room, mtype="groupchat")
    typing["chat_state"] = "composing"
    typing.send()
    typed_b = await asyncio.wait_for(b.typing.get(), TIMEOUT)
    STEP[0] = "talk"
    a.send_message(mto=room, mbody="Ciao gruppo", mtype="groupchat")
    heard_b = await next_groupchat(b, "Ciao gruppo")
    echo_a = await next_groupchat(a, "Ciao gruppo")
    b.send_message(mto=room, mbody="Eccomi", mtype="groupchat")
    heard_a = await next_groupchat(a, "Eccomi")
    STEP[0] = "self-ping"
    self_ping = await ping(a, f"{room}/anna")
    STEP[0] = "private message refused"
    private = a.make_message(mto=f"{room}/bruno", mbody="psst", mtype="chat")
    private.send()
    refused = await asyncio.wait_for(a.errors.get(), TIMEOUT)
    a.disconnect()
    b.disconnect()

    STEP[0] = "carla catches up"
    c, ok_c = await online(jid_c, pw_c, host, port)
    if not ok_c:
        return {"ok": False, "c": ok_c}
    ping_before_join = await ping(c, f"{room}/carla")
    joined_c = await c.plugin["xep_0045"].join_muc_wait(slixmpp.JID(room), "carla", maxstanzas=20,
                                                        timeout=TIMEOUT)
    archive = await c.plugin["xep_0313"].retrieve(jid=slixmpp.JID(room), timeout=TIMEOUT)
    c.disconnect()

    STEP[0] = "outsider"
    o, ok_o = await online(outsider, outsider_pw, host, port)
    turned_away = None
    try:
        await o.plugin["xep_0045"].join_muc_wait(slixmpp.JID(room), "olga", timeout=TIMEOUT)
    except slixmpp.exceptions.PresenceError as err:
        turned_away = err.condition
    o.disconnect()

    def codes(presence):
        return sorted(int(s) for s in presence["muc"]["status_codes"])

    return {
        "ok": True,
        "services": [str(i[0]) for i in services["disco_items"]["items"]],
        "service_identity": [list(i[:2]) for i in service_info["disco_info"]["identities"]],
        "rooms": [[str(i[0]), i[2]] for i in rooms["disco_items"]["items"]],
        "bookmarks": bookmarks,
        "room_features": sorted(room_info["disco_info"]["features"]),
        "a_nick": str(joined_a[0]["from"].resource),
        "a_codes": codes(joined_a[0]),
        "subject": joined_a[1]["subject"],
        "b_occupants": sorted(str(p["from"].resource) for p in joined_b[2]),
        "self_ping": self_ping,
        "ping_before_join": ping_before_join,
        "typing_b_from": str(typed_b["from"]),
        "typing_a_echo": not a.typing.empty(),
        "heard_b_from": str(heard_b["from"]),
        "echo_stanza_id": echo_a.xml.find("{urn:xmpp:sid:0}stanza-id") is not None,
        "heard_a_from": str(heard_a["from"]),
        "refused": refused["error"]["condition"],
        "c_history": [(str(m["from"].resource), m["body"]) for m in joined_c[3]],
        "c_archive": [r["mam_result"]["forwarded"]["stanza"]["body"]
                      for r in archive["mam"]["results"]],
        "c_archive_from": str(archive["mam"]["results"][0]["from"]) if archive["mam"]["results"] else None,
        "turned_away": turned_away,
    }


async def room_say(host, port, jid, password, room, body):
    # Joins a group chat, says one thing, and tells what the room gave on joining.
    client, ok = await online(jid, password, host, port)
    if not ok:
        return {"ok": False}
    STEP[0] = "join"
    joined = await client.plugin["xep_0045"].join_muc_wait(slixmpp.JID(room), "me", maxstanzas=20,
                                                           timeout=TIMEOUT)
    client.send_message(mto=room, mbody=body, mtype="groupchat")
    STEP[0] = "echo"
    await next_groupchat(client, body)
    client.disconnect()
    return {"ok": True, "history": [[str(m["from"].resource), m["body"]] for m in joined[3]]}


async def avatars(host, port, jid_a, pw_a, jid_b, pw_b, jid_c, pw_c):
    # Anna publishes an avatar (XEP-0084 over PEP): Bruno, online, is told and fetches the
    # picture; Carla, coming online later, is told on arrival. An item Anna keeps to herself
    # is not Bruno's to read, and nobody publishes to someone else's account.
    a, ok_a = await online(jid_a, pw_a, host, port)
    b, ok_b = await online(jid_b, pw_b, host, port)
    if not (ok_a and ok_b):
        return {"ok": False}
    STEP[0] = "publish"
    picture = bytes(range(256)) * 8
    avatar = a.plugin["xep_0084"]
    picture_id = avatar.generate_id(picture)
    await avatar.publish_avatar(picture, timeout=TIMEOUT)
    await avatar.publish_avatar_metadata(
        {"id": picture_id, "type": "image/png", "bytes": len(picture)}, timeout=TIMEOUT)
    STEP[0] = "bruno is told"
    told = await asyncio.wait_for(b.avatars.get(), TIMEOUT)
    info = told["pubsub_event"]["items"]["item"]["avatar_metadata"]["items"][0]
    fetched = await b.plugin["xep_0084"].retrieve_avatar(slixmpp.JID(jid_a), info["id"], timeout=TIMEOUT)
    data = fetched["pubsub"]["items"]["item"]["avatar_data"]["value"]
    STEP[0] = "private item"
    form = a.plugin["xep_0004"].make_form(ftype="submit")
    form.add_field(var="FORM_TYPE", ftype="hidden",
                   value="http://jabber.org/protocol/pubsub#publish-options")
    form.add_field(var="pubsub#access_model", value="whitelist")
    note = slixmpp.xmlstream.ET.Element("{urn:example:notes}note")
    note.text = "only mine"
    await a.plugin["xep_0060"].publish(None, "urn:example:notes", id="current",
                                       payload=note, options=form, timeout=TIMEOUT)
    own = await a.plugin["xep_0060"].get_items(jid=a.boundjid.bare, node="urn:example:notes",
                                               timeout=TIMEOUT)
    hidden = None
    try:
        await b.plugin["xep_0060"].get_items(jid=jid_a, node="urn:example:notes", timeout=TIMEOUT)
    except slixmpp.exceptions.IqError as err:
        hidden = err.condition
    forbidden = None
    try:
        await b.plugin["xep_0060"].publish(slixmpp.JID(jid_a), "urn:example:notes", id="x",
                                           payload=note, timeout=TIMEOUT)
    except slixmpp.exceptions.IqError as err:
        forbidden = err.condition
    info_a = await b.plugin["xep_0030"].get_info(jid=jid_a, timeout=TIMEOUT)
    a.disconnect()
    b.disconnect()
    STEP[0] = "carla on arrival"
    c, ok_c = await online(jid_c, pw_c, host, port)
    arrived = await asyncio.wait_for(c.avatars.get(), TIMEOUT)
    c.disconnect()
    return {
        "ok": True,
        "told_from": str(told["from"].bare),
        "told_id": info["id"],
        "picture_id": picture_id,
        "fetched_same": data == picture,
        "own_private": [i["payload"].text for i in own["pubsub"]["items"]],
        "hidden": hidden,
        "forbidden": forbidden,
        "pep_identity": [list(i[:2]) for i in info_a["disco_info"]["identities"]],
        "arrived_from": str(arrived["from"].bare),
    }


def main():
    command, args = sys.argv[1], sys.argv[2:]
    if os.environ.get("CHAT_CLIENT_DEBUG"):
        logging.basicConfig(level=logging.DEBUG, stream=sys.stderr)
    if command == "raw":
        print(json.dumps(raw(*args)))
        return
    runner = {"login": login, "chat": chat, "send": send, "receive": receive,
              "kicked": kicked, "history": history, "carbons": carbons,
              "resume": resume, "roster-change": roster_change, "block": block,
              "csi": csi, "upload": upload, "expire": expire, "groupchat": groupchat,
              "room-say": room_say,
              "avatars": avatars}[command]
    try:
        result = asyncio.run(asyncio.wait_for(runner(*args), 90))
    except (TimeoutError, asyncio.TimeoutError) as err:
        result = {"ok": False, "timeout": STEP[0]}
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
