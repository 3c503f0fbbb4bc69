// SPDX-License-Identifier: AGPL-3.0-only
//! The XMPP service with real clients (slixmpp over TCP, xmpp.js over WebSocket): sign-in
//! with the password or an app password (PLAIN and SCRAM-SHA-256), the server's contact list,
//! presence and messages both ways, offline delivery, chat switched off mid-session, and
//! malformed streams.

use std::{
    io::{BufRead, BufReader},
    path::Path,
    process::{Command, Stdio},
};

use serde_json::Value;

use crate::{
    Casella, Web,
    flows::{self, PASSWORD},
};

/// Runs the chat client script; returns the JSON on its last line.
pub(crate) fn client(casella: &Casella, args: &[&str]) -> Value {
    let out = script()
        .arg(args[0])
        .args(host_args(casella, args[0]))
        .args(&args[1..])
        .output()
        .expect("python3");
    let stdout = String::from_utf8_lossy(&out.stdout);
    if std::env::var_os("CHAT_CLIENT_DEBUG").is_some() {
        eprintln!("{}", String::from_utf8_lossy(&out.stderr));
    }
    let last = stdout.lines().last().unwrap_or_default();
    serde_json::from_str(last).unwrap_or_else(|_| {
        panic!(
            "chat client {args:?} printed no result: {stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn script() -> Command {
    let mut cmd = Command::new("python3");
    cmd.arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/chat_clients.py"));
    cmd
}

fn host_args(casella: &Casella, command: &str) -> Vec<String> {
    match command {
        // `login` names its mode first: the port follows it.
        "login" => Vec::new(),
        "chat" => vec![
            "127.0.0.1".into(),
            casella.ports.xmpp.to_string(),
            casella.ports.xmpps.to_string(),
        ],
        _ => vec!["127.0.0.1".into(), casella.ports.xmpp.to_string()],
    }
}

/// A domain with chat on (ATTIVO) and three mailboxes; returns the postmaster.
pub(crate) fn chat_domain(casella: &Casella) -> Web {
    let operator = flows::operator(casella);
    let postmaster = flows::customer_domain(casella, &operator, "chat.test", 10);
    postmaster
        .call(
            "domain/set_domain_chat",
            &[("domain", "chat.test"), ("enabled", "true")],
        )
        .expect("chat on");
    for local in ["anna", "bruno", "carla"] {
        flows::mailbox(&postmaster, "chat.test", local);
    }
    postmaster
}

#[test]
fn chat_clients_sign_in_see_colleagues_and_talk_both_ways() {
    let casella = Casella::start(true);
    let postmaster = chat_domain(&casella);
    let xmpp = casella.ports.xmpp.to_string();
    let xmpps = casella.ports.xmpps.to_string();

    // STARTTLS and direct TLS; the contact list is the domain's chat users, read-only.
    for (mode, port) in [("starttls", &xmpp), ("tls", &xmpps)] {
        let login = client(
            &casella,
            &["login", mode, "127.0.0.1", port, "anna@chat.test", PASSWORD],
        );
        assert_eq!(login["ok"], true, "{mode}: {login}");
        assert!(
            login["jid"]
                .as_str()
                .unwrap()
                .starts_with("anna@chat.test/"),
            "{login}"
        );
        let roster: Vec<&str> = login["roster"]
            .as_array()
            .unwrap()
            .iter()
            .map(|j| j.as_str().unwrap())
            .collect();
        // The postmaster was made while chat was off, so its own switch is off.
        assert_eq!(roster, ["bruno@chat.test", "carla@chat.test"], "{login}");
        assert_eq!(login["names"]["bruno@chat.test"], "Test bruno", "{login}");
        assert_eq!(login["subscriptions"], serde_json::json!(["both"]));
        assert_eq!(login["ping"], true, "{login}");
        assert!(
            login["features"]
                .as_array()
                .unwrap()
                .contains(&Value::from("urn:xmpp:ping")),
            "{login}"
        );
    }

    // A wrong password gets SASL's not-authorized, and the access log has both outcomes.
    let wrong = client(
        &casella,
        &[
            "login",
            "starttls",
            "127.0.0.1",
            &xmpp,
            "anna@chat.test",
            "nope",
        ],
    );
    assert_eq!(wrong["ok"], false, "{wrong}");
    assert_eq!(wrong["failure"]["condition"], "not-authorized", "{wrong}");
    let log = postmaster
        .call(
            "domain/access_log",
            &[("domain", "chat.test"), ("query[protocol]", "xmpp")],
        )
        .expect("access log");
    let text = log.to_string();
    assert!(
        text.contains("wrong-password") && text.contains("\"ok\""),
        "{log}"
    );

    // Presence and messages both ways, one client over STARTTLS, one over direct TLS.
    let talk = client(
        &casella,
        &[
            "chat",
            "anna@chat.test",
            PASSWORD,
            "bruno@chat.test",
            PASSWORD,
        ],
    );
    assert_eq!(talk["ok"], true, "{talk}");
    assert_eq!(talk["b_from"], "anna@chat.test");
    assert_eq!(talk["a_from"], "bruno@chat.test");
    assert_eq!(talk["stanza_id"], true, "{talk}");
    assert_eq!(talk["busy_status"], "in a meeting", "{talk}");
    assert_eq!(talk["receipt_from"], "bruno@chat.test", "{talk}");
    assert_eq!(talk["b_name"], "Test bruno", "{talk}");

    // What a session sends reaches the user's other sessions that asked for copies.
    let copies = client(
        &casella,
        &[
            "carbons",
            "anna@chat.test",
            PASSWORD,
            "bruno@chat.test",
            "Copia per me",
        ],
    );
    assert_eq!(copies["ok"], true, "{copies}");
    assert_eq!(copies["to"], "bruno@chat.test", "{copies}");
    assert_eq!(copies["body"], "Copia per me", "{copies}");

    // The history holds the conversation in order, whichever client sent each message,
    // and pages through it.
    let history = client(
        &casella,
        &[
            "history",
            "bruno@chat.test",
            PASSWORD,
            "anna@chat.test",
            "2",
        ],
    );
    assert_eq!(history["ok"], true, "{history}");
    assert_eq!(
        history["bodies"],
        serde_json::json!(["Ciao Bob, from A", "Ciao Alice, from B", "Copia per me"]),
        "{history}"
    );
    assert_eq!(
        history["senders"],
        serde_json::json!(["anna@chat.test", "bruno@chat.test", "anna@chat.test"]),
        "{history}"
    );
    assert_eq!(
        history["first_page"],
        serde_json::json!(["Ciao Bob, from A", "Ciao Alice, from B"]),
        "{history}"
    );
    assert_eq!(history["first_complete"], false, "{history}");

    // A dropped connection resumes its session, and nothing sent meanwhile is lost or
    // doubled.
    let resumed = client(
        &casella,
        &[
            "resume",
            "carla@chat.test",
            PASSWORD,
            "anna@chat.test",
            PASSWORD,
        ],
    );
    assert_eq!(resumed["ok"], true, "{resumed}");
    assert_eq!(
        resumed["bodies"],
        serde_json::json!(["Mentre eri via 1", "Mentre eri via 2"]),
        "{resumed}"
    );

    // Carla is offline: the message waits and arrives, marked as delayed, at her sign-in.
    let sent = client(
        &casella,
        &[
            "send",
            "anna@chat.test",
            PASSWORD,
            "carla@chat.test",
            "Ci sei domani?",
        ],
    );
    assert_eq!(sent["ok"], true, "{sent}");
    let got = client(
        &casella,
        &["receive", "carla@chat.test", PASSWORD, "Ci sei domani?"],
    );
    assert_eq!(got["ok"], true, "{got}");
    assert_eq!(got["from"], "anna@chat.test");
    assert_eq!(got["delayed"], true, "{got}");
    // Delivered once: it is not kept waiting any more.
    let again = client(
        &casella,
        &[
            "receive",
            "carla@chat.test",
            PASSWORD,
            "Ci sei domani?",
            "3",
        ],
    );
    assert_eq!(again["ok"], false, "{again}");
}

#[test]
fn chat_switched_off_ends_sessions_and_refuses_sign_in_and_bad_streams_end_alone() {
    let casella = Casella::start(true);
    let postmaster = chat_domain(&casella);
    let xmpp = casella.ports.xmpp.to_string();

    // A mailbox whose own chat switch is off (the postmaster was made before chat was on)
    // cannot sign in to chat, even with the right password.
    let err = client(
        &casella,
        &[
            "login",
            "starttls",
            "127.0.0.1",
            &xmpp,
            "postmaster@chat.test",
            PASSWORD,
        ],
    );
    assert_eq!(err["ok"], false, "{err}");
    assert_eq!(err["failure"]["condition"], "account-disabled", "{err}");

    // Chat switched off for a signed-in user ends its session at once.
    let mut kicked = script()
        .args(["kicked", "127.0.0.1", &xmpp, "bruno@chat.test", PASSWORD])
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3");
    let mut lines = BufReader::new(kicked.stdout.take().unwrap()).lines();
    assert_eq!(lines.next().unwrap().unwrap(), "online");
    let mut watcher = script()
        .args([
            "roster-change",
            "127.0.0.1",
            &xmpp,
            "anna@chat.test",
            PASSWORD,
        ])
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3");
    let mut watched = BufReader::new(watcher.stdout.take().unwrap()).lines();
    assert_eq!(watched.next().unwrap().unwrap(), "online");
    postmaster
        .call(
            "mailboxes/set_chat",
            &[("address", "bruno@chat.test"), ("enabled", "false")],
        )
        .expect("chat off");
    let last: Value = serde_json::from_str(&lines.last().unwrap().unwrap()).unwrap();
    kicked.wait().unwrap();
    assert_eq!(last["ok"], true, "{last}");
    assert_eq!(
        last["stream_error"]["condition"], "policy-violation",
        "{last}"
    );
    // ... and leaves the colleagues' contact lists at once.
    let change: Value = serde_json::from_str(&watched.last().unwrap().unwrap()).unwrap();
    watcher.wait().unwrap();
    assert_eq!(change["items"]["bruno@chat.test"], "remove", "{change}");
    let refused = client(
        &casella,
        &[
            "login",
            "starttls",
            "127.0.0.1",
            &xmpp,
            "bruno@chat.test",
            PASSWORD,
        ],
    );
    assert_eq!(refused["ok"], false, "{refused}");
    assert_eq!(
        refused["failure"]["condition"], "account-disabled",
        "{refused}"
    );

    // Malformed input ends that stream only, with the matching stream error.
    for (kind, condition) in [
        ("bad-xml", "not-well-formed"),
        ("laughs", "not-well-formed"),
        ("big", "policy-violation"),
        ("unknown-ns", "unsupported-stanza-type"),
    ] {
        let out = client(&casella, &["raw", "chat.test", kind]);
        assert_eq!(out["condition"], condition, "{kind}: {out}");
        assert_eq!(out["closed"], true, "{kind}: {out}");
    }
    let still = client(
        &casella,
        &[
            "login",
            "starttls",
            "127.0.0.1",
            &xmpp,
            "anna@chat.test",
            PASSWORD,
        ],
    );
    assert_eq!(still["ok"], true, "{still}");
}

/// The status line of a WebSocket upgrade of `/chat/socket` with this cookie and `Origin`.
fn upgrade(casella: &Casella, cookie: &str, origin: &str) -> u16 {
    use std::io::{Read, Write};
    let mut tcp = std::net::TcpStream::connect(("127.0.0.1", casella.ports.http)).unwrap();
    tcp.set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    let request = format!(
        "GET /chat/socket HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\
         Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nOrigin: {origin}\r\n\
         Cookie: {cookie}\r\n\r\n",
        casella.ports.http
    );
    tcp.write_all(request.as_bytes()).unwrap();
    let mut head = [0u8; 12];
    tcp.read_exact(&mut head).unwrap();
    String::from_utf8_lossy(&head[9..12]).parse().unwrap()
}

#[test]
fn the_chat_socket_opens_only_for_a_mailbox_on_this_site() {
    let casella = Casella::start(true);
    let own = casella.url("");
    let operator = flows::operator(&casella);
    let alice = Web::new(&casella);
    alice
        .login("alice@demo.test", &casella.printed["alice@demo.test"])
        .expect("alice signs in");

    assert_eq!(upgrade(&casella, "", &own), 401, "not signed in");
    assert_eq!(
        upgrade(&casella, &operator.session_cookie(), &own),
        403,
        "an operator has no mailbox to chat from"
    );
    assert_eq!(
        upgrade(&casella, &alice.session_cookie(), "https://evil.example"),
        403,
        "another site's page"
    );
    assert_eq!(upgrade(&casella, &alice.session_cookie(), &own), 101);
}

/// `login` with a SASL mechanism forced: the JSON of the attempt.
fn login_with(casella: &Casella, jid: &str, password: &str, mechanism: &str) -> Value {
    client(
        casella,
        &[
            "login",
            "starttls",
            "127.0.0.1",
            &casella.ports.xmpp.to_string(),
            jid,
            password,
            mechanism,
        ],
    )
}

/// Signs in with SCRAM-SHA-256 and with PLAIN (twice: a PLAIN sign-in the engine accepted
/// is not hashed again for a while, so the second one is served from what the first left),
/// and checks all three end alike; the last attempt's JSON.
fn sign_in_both(casella: &Casella, jid: &str, password: &str, ok: bool) -> Value {
    let mut last = Value::Null;
    for mechanism in ["SCRAM-SHA-256", "PLAIN", "PLAIN"] {
        last = login_with(casella, jid, password, mechanism);
        assert_eq!(last["ok"], ok, "{jid} with {mechanism}: {last}");
        if ok {
            assert_eq!(last["mechanism"], mechanism, "{last}");
        }
    }
    last
}

#[test]
fn chat_sign_in_follows_the_engines_passwords() {
    let casella = Casella::start(true);
    chat_domain(&casella);

    // The main password: proven without being sent (SCRAM), or sent (PLAIN).
    sign_in_both(&casella, "anna@chat.test", PASSWORD, true);
    // A wrong password, and an unknown account (which gets a salt like any other), fail
    // alike.
    for (jid, password) in [
        ("anna@chat.test", "not-the-password"),
        ("nobody@chat.test", PASSWORD),
    ] {
        let refused = sign_in_both(&casella, jid, password, false);
        assert_eq!(
            refused["failure"]["condition"], "not-authorized",
            "{jid}: {refused}"
        );
    }

    // An app password signs in too; revoked, it no longer does, though it signed in a
    // moment ago.
    let anna = Web::new(&casella);
    anna.login("anna@chat.test", PASSWORD)
        .expect("anna signs in");
    let created = anna
        .call("account/create_app_password", &[("name", "Gajim")])
        .expect("app password");
    let app = created["AppPassword"]["password"]
        .as_str()
        .unwrap()
        .to_string();
    sign_in_both(&casella, "anna@chat.test", &app, true);
    anna.call("account/revoke_app_password", &[("name", "Gajim")])
        .expect("revoke");
    sign_in_both(&casella, "anna@chat.test", &app, false);

    // A changed password: the old one stops at once, the new one works.
    sign_in_both(&casella, "anna@chat.test", PASSWORD, true);
    let anna = Web::new(&casella);
    anna.login("anna@chat.test", PASSWORD)
        .expect("anna signs in");
    let new = "Nuova-Password-2026";
    anna.call(
        "auth/change_password",
        &[("current", PASSWORD), ("new", new), ("repeat", new)],
    )
    .expect("password changed");
    sign_in_both(&casella, "anna@chat.test", PASSWORD, false);
    sign_in_both(&casella, "anna@chat.test", new, true);

    // With 2FA on, the main password that signed in a moment ago is told apart and an app
    // password is asked for.
    sign_in_both(&casella, "bruno@chat.test", PASSWORD, true);
    let bruno = Web::new(&casella);
    bruno
        .login("bruno@chat.test", PASSWORD)
        .expect("bruno signs in");
    crate::accounts::enrol(&bruno);
    let refused = sign_in_both(&casella, "bruno@chat.test", PASSWORD, false);
    assert!(
        refused["failure"]["text"]
            .as_str()
            .unwrap_or_default()
            .contains("app password"),
        "{refused}"
    );
    let created = bruno
        .call("account/create_app_password", &[("name", "Conversations")])
        .expect("app password");
    let app = created["AppPassword"]["password"].as_str().unwrap();
    sign_in_both(&casella, "bruno@chat.test", app, true);
}

/// The xmpp.js client script (the second client stack, over WebSocket).
fn ws_script(casella: &Casella, args: &[&str]) -> Command {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../e2e/xmpp/ws_client.mjs");
    let mut cmd = Command::new("node");
    cmd.arg("--experimental-websocket")
        .arg("--no-warnings")
        .arg(script)
        .arg(args[0])
        .arg(format!(
            "ws://127.0.0.1:{}/xmpp-websocket",
            casella.ports.http
        ))
        .arg("chat.test")
        .args(&args[1..]);
    cmd
}

fn ws_client(casella: &Casella, args: &[&str]) -> Value {
    let out = ws_script(casella, args).output().expect("node");
    let stdout = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(stdout.lines().last().unwrap_or_default()).unwrap_or_else(|_| {
        panic!(
            "ws client {args:?} printed no result: {stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

#[test]
fn web_clients_chat_over_websocket_with_the_same_hub() {
    use std::io::Write;

    let casella = Casella::start(true);
    chat_domain(&casella);

    // XEP-0156 names the endpoint.
    let (status, found) = Web::new(&casella).page("/.well-known/host-meta.json");
    assert_eq!(status, 200, "{found}");
    assert!(
        found.contains(&format!(
            "ws://127.0.0.1:{}/xmpp-websocket",
            casella.ports.http
        )) && found.contains("urn:xmpp:alt-connections:websocket"),
        "{found}"
    );

    // xmpp.js signs in over WebSocket and sees the same contacts.
    let mut anna = ws_script(&casella, &["session", "anna", PASSWORD])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("node");
    let mut to_anna = anna.stdin.take().unwrap();
    let mut from_anna = BufReader::new(anna.stdout.take().unwrap()).lines();
    let mut next = || -> Value {
        let line = from_anna.next().expect("a line").expect("readable");
        serde_json::from_str(&line).unwrap_or_else(|_| panic!("not JSON: {line}"))
    };
    let online = next();
    assert!(
        online["online"]
            .as_str()
            .is_some_and(|jid| jid.starts_with("anna@chat.test/")),
        "{online}"
    );
    assert_eq!(
        online["roster"],
        serde_json::json!(["bruno@chat.test", "carla@chat.test"]),
        "{online}"
    );

    // slixmpp over TCP to xmpp.js over WebSocket ...
    let sent = client(
        &casella,
        &[
            "send",
            "bruno@chat.test",
            PASSWORD,
            "anna@chat.test",
            "Dal client TCP",
        ],
    );
    assert_eq!(sent["ok"], true, "{sent}");
    let got = next();
    assert_eq!(got["from"], "bruno@chat.test", "{got}");
    assert_eq!(got["body"], "Dal client TCP", "{got}");

    // ... and back, to a client that signs in later.
    writeln!(to_anna, "send bruno@chat.test Dal client web").unwrap();
    assert_eq!(next()["sent"], "bruno@chat.test");
    let got = client(
        &casella,
        &["receive", "bruno@chat.test", PASSWORD, "Dal client web"],
    );
    assert_eq!(got["ok"], true, "{got}");
    assert_eq!(got["from"], "anna@chat.test", "{got}");

    // One history, whichever stack wrote it.
    writeln!(to_anna, "history bruno@chat.test").unwrap();
    let history = next();
    assert_eq!(
        history["bodies"],
        serde_json::json!(["Dal client TCP", "Dal client web"]),
        "{history}"
    );
    writeln!(to_anna, "quit").unwrap();
    assert_eq!(next()["bye"], true);
    anna.wait().unwrap();

    // A wrong password is refused over WebSocket too.
    let wrong = ws_client(&casella, &["login", "anna", "nope"]);
    assert_eq!(wrong["ok"], false, "{wrong}");
    assert!(
        wrong["error"]
            .as_str()
            .unwrap_or_default()
            .contains("not-authorized"),
        "{wrong}"
    );

    // Malformed frames end that stream alone, with the stream error, then the framed close.
    for (kind, condition) in [
        ("bad-xml", "not-well-formed"),
        ("laughs", "not-well-formed"),
        ("big", "policy-violation"),
        ("unknown-ns", "unsupported-stanza-type"),
    ] {
        let out = ws_client(&casella, &["raw", kind]);
        assert_eq!(out["opened"], true, "{kind}: {out}");
        assert_eq!(out["condition"], condition, "{kind}: {out}");
        assert_eq!(out["framed_close"], true, "{kind}: {out}");
        assert_eq!(out["closed"], true, "{kind}: {out}");
    }
    assert_eq!(
        ws_client(&casella, &["login", "anna", PASSWORD])["ok"],
        true
    );
}
