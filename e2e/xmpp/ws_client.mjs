// SPDX-License-Identifier: AGPL-3.0-only
// A second XMPP client stack for Casella's chat tests: xmpp.js (@xmpp/client) over WebSocket
// (RFC 7395), as a web chat client connects. Run with `node --experimental-websocket` (Node 20
// has the WebSocket client behind that flag).
//
// Usage:
//   ws_client.mjs session URL DOMAIN USER PASSWORD
//       signs in, prints {"online": JID, "roster": [...]} on one line, then reads commands
//       from stdin, one per line, answering each with one JSON line:
//         send TO BODY        sends a chat message                  -> {"sent": TO}
//         history WITH        the conversation from the archive     -> {"bodies": [...], "from": [...]}
//         quit                signs out                             -> {"bye": true}
//       and prints every chat message it receives as {"from", "body", "delayed"}.
//   ws_client.mjs login URL DOMAIN USER PASSWORD
//       signs in and out: {"ok": true, "jid": ...} or {"ok": false, "error": ...}
//   ws_client.mjs raw URL DOMAIN KIND
//       opens the stream by hand and sends KIND (bad-xml, laughs, big, unknown-ns):
//       {"condition": ..., "closed": true|false}
import readline from "node:readline";
import { client, xml } from "@xmpp/client";

const TIMEOUT = 20000;
const [command, url, domain, ...args] = process.argv.slice(2);

function print(value) {
  process.stdout.write(JSON.stringify(value) + "\n");
}

function connect(username, password) {
  const xmpp = client({ service: url, domain, username, password, resource: "xmppjs" });
  // The tests end sessions themselves; a reconnecting client would hide a dropped stream.
  xmpp.reconnect.stop();
  return xmpp;
}

async function withTimeout(promise, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out: ${what}`)), TIMEOUT);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function roster(xmpp) {
  const answer = await xmpp.iqCaller.get(xml("query", "jabber:iq:roster"));
  return answer.getChildren("item").map((item) => item.attrs.jid).sort();
}

async function history(xmpp, withJid) {
  const queryid = `q${Date.now()}`;
  const found = [];
  const collect = (stanza) => {
    const result = stanza.getChild("result", "urn:xmpp:mam:2");
    if (result?.attrs.queryid !== queryid) return;
    const message = result.getChild("forwarded", "urn:xmpp:forward:0")?.getChild("message");
    if (message) found.push(message);
  };
  xmpp.on("stanza", collect);
  try {
    const form = xml(
      "x",
      { xmlns: "jabber:x:data", type: "submit" },
      xml("field", { var: "FORM_TYPE", type: "hidden" }, xml("value", {}, "urn:xmpp:mam:2")),
      xml("field", { var: "with" }, xml("value", {}, withJid)),
    );
    await xmpp.iqCaller.set(xml("query", { xmlns: "urn:xmpp:mam:2", queryid }, form));
  } finally {
    xmpp.removeListener("stanza", collect);
  }
  return {
    bodies: found.map((m) => m.getChildText("body")),
    from: found.map((m) => (m.attrs.from || "").split("/")[0]),
  };
}

async function session(username, password) {
  const xmpp = connect(username, password);
  xmpp.on("error", (err) => print({ error: String(err?.condition || err) }));
  xmpp.on("stanza", (stanza) => {
    if (stanza.is("message") && stanza.attrs.type !== "error" && stanza.getChildText("body")) {
      print({
        from: (stanza.attrs.from || "").split("/")[0],
        body: stanza.getChildText("body"),
        delayed: Boolean(stanza.getChild("delay", "urn:xmpp:delay")),
      });
    }
  });
  const jid = await withTimeout(xmpp.start(), "sign-in");
  await xmpp.send(xml("presence"));
  print({ online: jid.toString(), roster: await withTimeout(roster(xmpp), "roster") });
  const lines = readline.createInterface({ input: process.stdin });
  for await (const line of lines) {
    const [verb, target, ...rest] = line.split(" ");
    if (verb === "send") {
      await xmpp.send(xml("message", { to: target, type: "chat", id: `m${Date.now()}` }, xml("body", {}, rest.join(" "))));
      print({ sent: target });
    } else if (verb === "history") {
      print(await withTimeout(history(xmpp, target), "history"));
    } else if (verb === "quit") {
      await xmpp.stop();
      print({ bye: true });
      break;
    }
  }
  process.exit(0);
}

async function login(username, password) {
  const xmpp = connect(username, password);
  const failed = new Promise((resolve) => xmpp.on("error", resolve));
  try {
    const outcome = await withTimeout(
      Promise.race([xmpp.start().then((jid) => ({ jid })), failed.then((error) => ({ error }))]),
      "sign-in",
    );
    if (outcome.jid) {
      await xmpp.stop();
      print({ ok: true, jid: outcome.jid.toString() });
    } else {
      print({ ok: false, error: String(outcome.error?.condition || outcome.error) });
    }
  } catch (err) {
    print({ ok: false, error: String(err?.condition || err) });
  }
  process.exit(0);
}

const FRAMING = "urn:ietf:params:xml:ns:xmpp-framing";

// A raw WebSocket: the framing by hand, then one bad frame, and the server's answer.
async function raw(kind) {
  const socket = new WebSocket(url, ["xmpp"]);
  const frames = [];
  let closed = false;
  let wake = () => {};
  socket.onmessage = ({ data }) => {
    frames.push(String(data));
    wake();
  };
  socket.onclose = () => {
    closed = true;
    wake();
  };
  const until = async (test) => {
    const deadline = Date.now() + TIMEOUT;
    while (!test() && !closed && Date.now() < deadline) {
      await new Promise((resolve) => {
        wake = resolve;
        setTimeout(resolve, 200);
      });
    }
    return test();
  };
  await new Promise((resolve, reject) => {
    socket.onopen = resolve;
    socket.onerror = reject;
  });
  socket.send(`<open xmlns="${FRAMING}" to="${domain}" version="1.0"/>`);
  await until(() => frames.some((f) => f.includes("features")));
  const opened = frames.some((f) => f.startsWith("<open") && f.includes(FRAMING));
  const bad = {
    "bad-xml": "<message><body>unclosed</message>",
    laughs:
      '<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]><message xmlns="jabber:client"><body>&lol2;</body></message>',
    big: `<message xmlns="jabber:client"><body>${"x".repeat(10 * 1024 * 1024)}</body></message>`,
    "unknown-ns": '<thing xmlns="urn:example:unknown"/>',
  }[kind];
  socket.send(bad);
  await until(() => frames.some((f) => f.includes("<close")) && closed);
  const error = frames.find((f) => f.includes("error") && f.includes("http://etherx.jabber.org/streams"));
  const condition = error?.match(/<([a-z-]+) xmlns=["']urn:ietf:params:xml:ns:xmpp-streams["']/)?.[1];
  print({
    opened,
    condition: condition ?? null,
    framed_close: frames.some((f) => f.includes("<close") && f.includes(FRAMING)),
    closed,
  });
  process.exit(0);
}

try {
  if (command === "session") await session(args[0], args[1]);
  else if (command === "login") await login(args[0], args[1]);
  else if (command === "raw") await raw(args[0]);
  else throw new Error(`unknown command ${command}`);
} catch (err) {
  print({ ok: false, error: String(err?.stack || err) });
  process.exit(1);
}
