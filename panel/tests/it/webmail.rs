// SPDX-License-Identifier: AGPL-3.0-only
//! The webmail's mail (issue 10): messages delivered by a real SMTP client show up in the
//! recipient's folders, list and reader, read through the engine with the mailbox's own
//! rights; another mailbox's message is not found, and staff without a mailbox have no mail.

use serde_json::Value;

use crate::{
    flows::{self, PASSWORD},
    harness::{Casella, Web, mail},
};

fn folders(web: &Web) -> Vec<Value> {
    web.call("mail/folders", &[])
        .expect("folders")
        .as_array()
        .unwrap()
        .clone()
}

/// A message from outside to `to`, delivered over the MX port by a real SMTP client.
fn from_outside(casella: &Casella, to: &str, subject: &str, message_id: &str) {
    let mx = casella.ports.smtp.to_string();
    let codes = mail(&[
        "send",
        &mx,
        "mx",
        "",
        "",
        "carla@outside.test",
        to,
        subject,
        message_id,
    ]);
    assert_eq!(codes.trim(), "250 250", "{codes}");
}

fn inbox(web: &Web) -> Value {
    folders(web)
        .into_iter()
        .find(|f| f["role"] == "inbox")
        .expect("an inbox")
}

#[test]
fn delivered_mail_is_listed_and_read_by_its_owner_only() {
    let casella = Casella::start(true);
    let operator = flows::operator(&casella);
    let postmaster = flows::customer_domain(&casella, &operator, "webmail.test", 5);
    let ada = flows::mailbox(&postmaster, "webmail.test", "ada");
    let bob = flows::mailbox(&postmaster, "webmail.test", "bob");
    for n in 1..=3 {
        let subject = format!("Quarterly figures {n}");
        from_outside(
            &casella,
            &ada,
            &subject,
            &format!("figures.{n}@outside.test"),
        );
    }
    let ada_web = Web::new(&casella);
    ada_web.login(&ada, PASSWORD).expect("ada signs in");

    // The special folders first, Inbox at the top, with its counts.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let inbox_folder = loop {
        let inbox_folder = inbox(&ada_web);
        if inbox_folder["total"] == 3 {
            break inbox_folder;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "not delivered: {inbox_folder}"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    };
    assert_eq!(inbox_folder["unread"], 3, "{inbox_folder}");
    let listed = folders(&ada_web);
    assert_eq!(listed[0]["role"], "inbox", "{listed:?}");
    for role in ["sent", "drafts", "trash", "junk"] {
        assert!(
            listed.iter().any(|f| f["role"] == role),
            "no {role}: {listed:?}"
        );
    }

    // The list: newest first, with sender, subject and preview.
    let id = inbox_folder["id"].as_str().unwrap();
    let page = ada_web
        .call("mail/messages", &[("folder", id), ("page", "0")])
        .expect("messages");
    assert_eq!(page["total"], 3, "{page}");
    assert_eq!(page["pages"], 1, "{page}");
    let rows = page["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 3);
    let first = &rows[0];
    assert_eq!(first["from_address"], "carla@outside.test", "{first}");
    assert!(
        first["subject"]
            .as_str()
            .unwrap()
            .starts_with("Quarterly figures"),
        "{first}"
    );
    assert!(
        first["preview"]
            .as_str()
            .unwrap()
            .contains("Sent by the trace test"),
        "{first}"
    );
    assert_eq!(first["seen"], false);
    assert!(
        rows.windows(2)
            .all(|w| w[0]["received_at"].as_str() >= w[1]["received_at"].as_str())
    );
    // No folder: the Inbox.
    let default = ada_web
        .call("mail/messages", &[("folder", ""), ("page", "0")])
        .expect("the inbox");
    assert_eq!(default["folder"]["id"], id, "{default}");
    assert_eq!(default["rows"], page["rows"]);

    // The reader: headers and the plain-text body.
    let message_id = first["id"].as_str().unwrap();
    let message = ada_web
        .call("mail/message", &[("id", message_id)])
        .expect("message");
    assert_eq!(message["to"][0], ada.as_str(), "{message}");
    assert!(
        message["message_id"]
            .as_str()
            .unwrap()
            .ends_with("@outside.test"),
        "{message}"
    );
    assert!(
        message["text"]
            .as_str()
            .unwrap()
            .contains("Sent by the trace test"),
        "{message}"
    );
    assert_eq!(message["has_html"], false);
    assert!(
        message["folders"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f == id)
    );

    // Another mailbox: its own empty inbox, and ada's message and folder are not there.
    let bob_web = Web::new(&casella);
    bob_web.login(&bob, PASSWORD).expect("bob signs in");
    assert_eq!(inbox(&bob_web)["total"], 0);
    assert_eq!(
        bob_web
            .call("mail/message", &[("id", message_id)])
            .unwrap_err(),
        "NotFound"
    );
    let bob_inbox = inbox(&bob_web);
    if bob_inbox["id"] != id {
        assert_eq!(
            bob_web
                .call("mail/messages", &[("folder", id), ("page", "0")])
                .unwrap_err(),
            "NotFound"
        );
    }
    assert_eq!(operator.call("mail/folders", &[]).unwrap_err(), "Forbidden");
}

/// A tiny web server on 127.0.0.1 that answers every request with a PNG and counts them, with
/// the User-Agent each came with: the "sender's" image host.
fn image_host() -> (u16, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut agent = String::new();
            let mut line = String::new();
            while reader.read_line(&mut line).unwrap_or(0) > 2 {
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("user-agent:") {
                    agent = v.trim().to_string();
                }
                line.clear();
            }
            log.lock().unwrap().push(agent);
            let png = pixel_png();
            let mut stream = stream;
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                png.len()
            );
            let _ = stream.write_all(&png);
        }
    });
    (port, seen)
}

/// The same 2 x 2 PNG the mail client script puts beside its HTML.
fn pixel_png() -> Vec<u8> {
    let out = std::process::Command::new("python3")
        .args([
            "-c",
            "import sys; sys.path.insert(0, sys.argv[1]); import mail_clients; \
             sys.stdout.buffer.write(mail_clients.pixel_png())",
            concat!(env!("CARGO_MANIFEST_DIR"), "/tests/it"),
        ])
        .output()
        .expect("python3");
    out.stdout
}

fn header(headers: &reqwest::header::HeaderMap, name: &str) -> String {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

#[test]
fn html_mail_is_cleaned_framed_and_its_parts_are_its_owners_only() {
    let casella = Casella::start_with(true, &[("CASELLA_IMAGE_PROXY_PRIVATE_ADDRESSES", "true")]);
    let operator = flows::operator(&casella);
    let postmaster = flows::customer_domain(&casella, &operator, "html.test", 5);
    let ada = flows::mailbox(&postmaster, "html.test", "ada");
    let bob = flows::mailbox(&postmaster, "html.test", "bob");
    let (image_port, image_requests) = image_host();
    let dir = tempfile::tempdir().unwrap();
    let html = dir.path().join("body.html");
    std::fs::write(
        &html,
        format!(
            "<html><head><style>p{{background:url(https://tracker.test/css.gif)}}</style></head>\
             <body><p onclick=\"steal()\">Hello <b>formatted</b> world</p>\
             <img src=\"cid:logo@casella.test\" alt=\"logo\">\
             <img src=\"http://127.0.0.1:{image_port}/pixel.png\" alt=\"remote\">\
             <script>alert(1)</script><a href=\"javascript:alert(2)\">x</a></body></html>"
        ),
    )
    .unwrap();
    let sent = mail(&[
        "send-html",
        &casella.ports.submissions.to_string(),
        "tls",
        &ada,
        PASSWORD,
        &ada,
        &ada,
        "Formatted figures",
        "formatted.1@html.test",
        html.to_str().unwrap(),
    ]);
    assert_eq!(sent.trim(), "250", "{sent}");

    let web = Web::new(&casella);
    web.login(&ada, PASSWORD).expect("ada signs in");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let row = loop {
        let page = web
            .call("mail/messages", &[("folder", ""), ("page", "0")])
            .expect("the inbox");
        if let Some(row) = page["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["subject"] == "Formatted figures")
        {
            break row.clone();
        }
        assert!(std::time::Instant::now() < deadline, "not delivered");
        std::thread::sleep(std::time::Duration::from_millis(300));
    };
    let id = row["id"].as_str().unwrap();
    let message = web.call("mail/message", &[("id", id)]).expect("message");
    assert_eq!(message["has_html"], true, "{message}");
    assert_eq!(message["remote_images"], 1, "{message}");
    let attachments = message["attachments"].as_array().unwrap();
    // The inline logo is the HTML's, not an attachment to list.
    assert_eq!(attachments.len(), 1, "{message}");
    assert_eq!(attachments[0]["name"], "figures è.txt");
    let attachment_blob = attachments[0]["blob_id"].as_str().unwrap();

    // The body: cleaned, its own document, with the frame's policy; the remote image held back.
    let body_path = format!("/webmail/messages/{id}/body");
    let (status, headers, body) = web.get_full(&body_path);
    assert_eq!(status, 200, "{body}");
    let policy = header(&headers, "content-security-policy");
    for part in [
        "default-src 'none'",
        "img-src 'self' data:",
        "form-action 'none'",
        "base-uri 'none'",
        "sandbox allow-same-origin allow-popups",
    ] {
        assert!(policy.contains(part), "{policy}");
    }
    assert!(!policy.contains("allow-scripts"), "{policy}");
    assert_eq!(header(&headers, "x-frame-options"), "SAMEORIGIN");
    assert_eq!(header(&headers, "referrer-policy"), "no-referrer");
    assert!(body.contains("Hello <b>formatted</b> world"), "{body}");
    for gone in [
        "script",
        "onclick",
        "javascript",
        "tracker.test",
        "127.0.0.1",
    ] {
        assert!(!body.contains(gone), "{gone} in {body}");
    }
    // The cid image is served from the message's own part.
    let logo = body
        .split("src=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("the logo's address")
        .to_string();
    assert!(
        logo.starts_with(&format!("/webmail/messages/{id}/parts/")),
        "{logo}"
    );
    let (status, media_type, png) = web.bytes(&logo);
    assert_eq!((status, media_type.as_str()), (200, "image/png"));
    assert_eq!(png, pixel_png());
    assert!(
        image_requests.lock().unwrap().is_empty(),
        "a remote image was fetched"
    );

    // Images asked for: through the proxy, which fetches them as itself.
    let (_, _, shown) = web.get_full(&format!("{body_path}?images=1"));
    let proxied = shown
        .split("src=\"")
        .map(|s| {
            s.split('"')
                .next()
                .unwrap_or_default()
                .replace("&amp;", "&")
        })
        .find(|s| s.starts_with("/webmail/image?"))
        .unwrap_or_else(|| panic!("no proxied image in {shown}"));
    let (status, media_type, image) = web.bytes(&proxied);
    assert_eq!((status, media_type.as_str()), (200, "image/png"));
    assert_eq!(image, pixel_png());
    assert_eq!(
        image_requests.lock().unwrap().as_slice(),
        ["casella image proxy"]
    );
    let forged = proxied.replace("pixel.png", "other.png");
    assert_eq!(web.bytes(&forged).0, 403);

    // The attachment, as a download with its name; the whole message as .eml.
    let part_path = format!("/webmail/messages/{id}/parts/{attachment_blob}?download=1");
    let (status, headers, text) = web.get_full(&part_path);
    assert_eq!((status, text.as_str()), (200, "quarterly figures\n"));
    assert_eq!(
        header(&headers, "content-disposition"),
        "attachment; filename=\"figures _.txt\"; filename*=UTF-8''figures%20%C3%A8.txt"
    );
    let source_path = format!("/webmail/messages/{id}/source");
    let (status, headers, eml) = web.get_full(&source_path);
    assert_eq!(status, 200);
    assert!(eml.contains("Message-ID: <formatted.1@html.test>"), "{eml}");
    assert!(
        header(&headers, "content-disposition").contains("Formatted figures.eml"),
        "{headers:?}"
    );

    // Another mailbox, no one, and staff: none of it.
    let bob_web = Web::new(&casella);
    bob_web.login(&bob, PASSWORD).expect("bob signs in");
    let nobody = Web::new(&casella);
    for path in [&body_path, &logo, &part_path, &source_path, &proxied] {
        let expect_bob = if path.starts_with("/webmail/image") {
            200
        } else {
            404
        };
        assert_eq!(bob_web.bytes(path).0, expect_bob, "bob: {path}");
        assert_eq!(nobody.bytes(path).0, 401, "nobody: {path}");
        assert_eq!(operator.bytes(path).0, 403, "operator: {path}");
    }
    // A blob of ada's under a message of bob's own is not found either.
    let bob_message = bob_web
        .call("mail/messages", &[("folder", ""), ("page", "0")])
        .unwrap();
    if let Some(bob_id) = bob_message["rows"][0]["id"].as_str() {
        assert_eq!(
            bob_web
                .bytes(&format!(
                    "/webmail/messages/{bob_id}/parts/{attachment_blob}"
                ))
                .0,
            404
        );
    }
}

/// The mailbox as a real IMAP client sees it: folder → [(subject, flags)].
fn imap_state(casella: &Casella, login: &str) -> serde_json::Map<String, Value> {
    let out = mail(&[
        "imap-state",
        &casella.ports.imaps.to_string(),
        "tls",
        login,
        PASSWORD,
    ]);
    serde_json::from_str::<Value>(&out)
        .unwrap_or_else(|err| panic!("{err}: {out}"))
        .as_object()
        .unwrap()
        .clone()
}

fn imap_act(casella: &Casella, login: &str, args: &[&str]) {
    let port = casella.ports.imaps.to_string();
    let mut all = vec!["imap-act", &port, "tls", login, PASSWORD];
    all.extend_from_slice(args);
    let out = mail(&all);
    assert!(out.starts_with("ok"), "{args:?}: {out}");
}

/// The IMAP folder holding a subject, and its flags there.
fn imap_where(
    state: &serde_json::Map<String, Value>,
    subject: &str,
) -> Option<(String, Vec<String>)> {
    state.iter().find_map(|(folder, rows)| {
        rows.as_array()?
            .iter()
            .find(|r| r["subject"] == subject)
            .map(|r| {
                let flags = r["flags"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|f| f.as_str().unwrap().to_string())
                    .collect();
                (folder.clone(), flags)
            })
    })
}

/// The webmail's view: the folder (by role or name) a subject is in, and its row.
fn web_where(web: &Web, subject: &str) -> Option<(Value, Value)> {
    folders(web).into_iter().find_map(|f| {
        let page = web
            .call(
                "mail/messages",
                &[("folder", f["id"].as_str().unwrap()), ("page", "0")],
            )
            .ok()?;
        let row = page["rows"]
            .as_array()?
            .iter()
            .find(|r| r["subject"] == subject)?
            .clone();
        Some((f, row))
    })
}

#[test]
fn webmail_and_imap_agree_both_ways() {
    let casella = Casella::start(true);
    let operator = flows::operator(&casella);
    let postmaster = flows::customer_domain(&casella, &operator, "sync.test", 5);
    let ada = flows::mailbox(&postmaster, "sync.test", "ada");
    let subjects = ["Minutes", "Invoice", "Old news", "Lottery win"];
    for (n, subject) in subjects.iter().enumerate() {
        from_outside(&casella, &ada, subject, &format!("sync.{n}@outside.test"));
    }
    let web = Web::new(&casella);
    web.login(&ada, PASSWORD).expect("ada signs in");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while inbox(&web)["total"] != 4 {
        assert!(std::time::Instant::now() < deadline, "not delivered");
        std::thread::sleep(std::time::Duration::from_millis(300));
    }
    let id_of = |subject: &str| {
        web_where(&web, subject).unwrap().1["id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let inbox_id = inbox(&web)["id"].as_str().unwrap().to_string();
    let act = |action: &str, subject: &str, to: &str| {
        web.call(
            "mail/act",
            &[
                ("folder", inbox_id.as_str()),
                ("action", action),
                ("ids[0]", id_of(subject).as_str()),
                ("to", to),
            ],
        )
    };

    // Webmail → IMAP: a new folder, a move, a flag, a read mark, a deletion, spam.
    let projects = web
        .call(
            "mail/create_folder",
            &[("name", "Projects"), ("parent", "")],
        )
        .expect("a folder");
    let projects = projects.as_str().unwrap();
    assert_eq!(act("move", "Minutes", projects).unwrap(), 1);
    assert_eq!(act("flag", "Invoice", "").unwrap(), 1);
    assert_eq!(act("read", "Invoice", "").unwrap(), 1);
    assert_eq!(act("delete", "Old news", "").unwrap(), 1);
    assert_eq!(act("spam", "Lottery win", "").unwrap(), 1);
    let state = imap_state(&casella, &ada);
    assert_eq!(
        imap_where(&state, "Minutes").unwrap().0,
        "Projects",
        "{state:?}"
    );
    let (folder, flags) = imap_where(&state, "Invoice").unwrap();
    assert_eq!(folder, "INBOX");
    assert!(flags.contains(&"\\Flagged".to_string()), "{flags:?}");
    assert!(flags.contains(&"\\Seen".to_string()), "{flags:?}");
    let trash = folders(&web)
        .into_iter()
        .find(|f| f["role"] == "trash")
        .unwrap();
    let junk = folders(&web)
        .into_iter()
        .find(|f| f["role"] == "junk")
        .unwrap();
    assert_eq!(
        imap_where(&state, "Old news").unwrap().0,
        trash["name"].as_str().unwrap()
    );
    assert_eq!(
        imap_where(&state, "Lottery win").unwrap().0,
        junk["name"].as_str().unwrap()
    );

    // IMAP → webmail: a new folder, a move into it, a flag, a read mark.
    imap_act(&casella, &ada, &["create", "Clients"]);
    imap_act(&casella, &ada, &["move", "INBOX", "Invoice", "Clients"]);
    imap_act(&casella, &ada, &["seen", "Projects", "Minutes"]);
    imap_act(&casella, &ada, &["flag", "Projects", "Minutes"]);
    let (folder, row) = web_where(&web, "Invoice").unwrap();
    assert_eq!(folder["name"], "Clients");
    assert_eq!(row["flagged"], true);
    let (folder, row) = web_where(&web, "Minutes").unwrap();
    assert_eq!(folder["name"], "Projects");
    assert_eq!(
        (row["seen"].clone(), row["flagged"].clone()),
        (true.into(), true.into())
    );

    // Unread again, and unflagged, from the webmail.
    let projects_folder = folder["id"].as_str().unwrap().to_string();
    let minutes = row["id"].as_str().unwrap().to_string();
    for action in ["unread", "unflag"] {
        web.call(
            "mail/act",
            &[
                ("folder", projects_folder.as_str()),
                ("action", action),
                ("ids[0]", minutes.as_str()),
            ],
        )
        .unwrap();
    }
    let (_, flags) = imap_where(&imap_state(&casella, &ada), "Minutes").unwrap();
    assert!(flags.is_empty(), "{flags:?}");

    // Folders: a special one is not renamed; a non-empty one is not deleted; names clash.
    let refused = web
        .call(
            "mail/rename_folder",
            &[("id", trash["id"].as_str().unwrap()), ("name", "Bin")],
        )
        .unwrap_err();
    assert_eq!(refused["Invalid"]["field"], "folder", "{refused}");
    let refused = web
        .call("mail/delete_folder", &[("id", projects)])
        .unwrap_err();
    assert_eq!(refused["Invalid"]["field"], "folder", "{refused}");
    let refused = web
        .call("mail/create_folder", &[("name", "clients"), ("parent", "")])
        .unwrap_err();
    assert_eq!(refused["Invalid"]["field"], "name", "{refused}");
    let refused = web
        .call("mail/create_folder", &[("name", "a/b"), ("parent", "")])
        .unwrap_err();
    assert_eq!(refused["Invalid"]["field"], "name", "{refused}");
    web.call(
        "mail/rename_folder",
        &[("id", projects), ("name", "Projects 2026")],
    )
    .expect("renamed");
    assert!(imap_state(&casella, &ada).contains_key("Projects 2026"));

    // Deleting from the Trash is for good; emptying it leaves nothing.
    let old_news = id_of("Old news");
    web.call(
        "mail/act",
        &[
            ("folder", trash["id"].as_str().unwrap()),
            ("action", "delete"),
            ("ids[0]", old_news.as_str()),
        ],
    )
    .unwrap();
    assert!(imap_where(&imap_state(&casella, &ada), "Old news").is_none());
    web.call(
        "mail/act",
        &[
            ("folder", projects),
            ("action", "move"),
            ("ids[0]", minutes.as_str()),
            ("to", trash["id"].as_str().unwrap()),
        ],
    )
    .unwrap();
    assert_eq!(web.call("mail/empty_trash", &[]).unwrap(), 1);
    let state = imap_state(&casella, &ada);
    assert!(imap_where(&state, "Minutes").is_none(), "{state:?}");
    // Now empty, the folder goes, for IMAP too.
    web.call("mail/delete_folder", &[("id", projects)])
        .expect("deleted");
    assert!(!imap_state(&casella, &ada).contains_key("Projects 2026"));

    // Nothing selected: named on the selection.
    let refused = web
        .call(
            "mail/act",
            &[("folder", inbox_id.as_str()), ("action", "read")],
        )
        .unwrap_err();
    assert_eq!(refused["Invalid"]["field"], "ids", "{refused}");
}

/// Waits until `web` has a message with `subject` somewhere; its folder and row.
fn arrived(web: &Web, subject: &str) -> (Value, Value) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        if let Some(found) = web_where(web, subject) {
            return found;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{subject} never arrived"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}

fn field_of(err: &Value) -> Option<String> {
    err.get("Invalid")?
        .get("field")?
        .as_str()
        .map(str::to_string)
}

fn folder_total(web: &Web, role: &str) -> u64 {
    folders(web)
        .into_iter()
        .find(|f| f["role"] == role)
        .and_then(|f| f["total"].as_u64())
        .unwrap_or_default()
}

#[test]
fn webmail_writes_drafts_and_sends_through_the_engine_as_the_mailbox() {
    // A send limit of 3 external recipients a day for the domain's first tier.
    let casella = Casella::start_with(true, &[("CASELLA_SEND_TIERS", "[3, 5, 2000, 5000]")]);
    let operator = flows::operator(&casella);
    let postmaster = flows::customer_domain(&casella, &operator, "write.test", 5);
    let ada = flows::mailbox(&postmaster, "write.test", "ada");
    let bob = flows::mailbox(&postmaster, "write.test", "bob");
    let cleo = flows::mailbox(&postmaster, "write.test", "cleo");
    postmaster
        .call(
            "mailboxes/add_alias",
            &[("address", &ada), ("alias", "sales")],
        )
        .expect("alias");
    // Sending from the webmail does not depend on the mailbox's SMTP access for mail programs.
    postmaster
        .call(
            "mailboxes/set_protocols",
            &[("address", &ada), ("imap", "on")],
        )
        .expect("SMTP off for ada's mail programs");
    let ada_web = Web::new(&casella);
    ada_web.login(&ada, PASSWORD).expect("ada");
    let bob_web = Web::new(&casella);
    bob_web.login(&bob, PASSWORD).expect("bob");
    let cleo_web = Web::new(&casella);
    cleo_web.login(&cleo, PASSWORD).expect("cleo");

    // A new message starts from the mailbox's own address; its aliases may be chosen.
    let start = ada_web
        .call("mail/start_compose", &[("mode", "new")])
        .expect("start");
    assert_eq!(start["form"]["from"], ada.as_str(), "{start}");
    let senders: Vec<&str> = start["senders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert_eq!(senders, [ada.as_str(), "sales@write.test"]);

    // Bad input is named on its field, and nothing is kept.
    let err = ada_web
        .call(
            "mail/send",
            &[("form[from]", &ada), ("form[to]", "bob at write.test")],
        )
        .unwrap_err();
    assert_eq!(field_of(&err).as_deref(), Some("to"), "{err}");
    let err = ada_web
        .call("mail/send", &[("form[from]", &bob), ("form[to]", &bob)])
        .unwrap_err();
    assert_eq!(field_of(&err).as_deref(), Some("from"), "{err}");
    let err = ada_web
        .call("mail/send", &[("form[from]", &ada), ("form[to]", "")])
        .unwrap_err();
    assert_eq!(field_of(&err).as_deref(), Some("to"), "{err}");
    assert_eq!(folder_total(&ada_web, "drafts"), 0);

    // A draft, saved twice: the second version replaces the first.
    let draft = ada_web
        .call(
            "mail/save_draft",
            &[
                ("form[from]", "sales@write.test"),
                ("form[to]", &format!("Bob <{bob}>")),
                ("form[subject]", "Price list"),
                ("form[text]", "first words"),
            ],
        )
        .expect("draft");
    let draft = draft.as_str().unwrap().to_string();
    let again = ada_web
        .call(
            "mail/save_draft",
            &[
                ("form[draft]", &draft),
                ("form[from]", "sales@write.test"),
                ("form[to]", &format!("Bob <{bob}>")),
                ("form[bcc]", &cleo),
                ("form[subject]", "Price list"),
                ("form[text]", "Here is the price list.\r\nBest, Ada"),
            ],
        )
        .expect("draft saved again");
    let draft = again.as_str().unwrap().to_string();
    assert_eq!(folder_total(&ada_web, "drafts"), 1);
    // Taken up again as it was left.
    let resumed = ada_web
        .call("mail/start_compose", &[("mode", "draft"), ("id", &draft)])
        .expect("resume");
    assert_eq!(resumed["form"]["from"], "sales@write.test", "{resumed}");
    assert_eq!(resumed["form"]["bcc"], cleo.as_str(), "{resumed}");
    assert!(
        resumed["form"]["text"]
            .as_str()
            .unwrap()
            .contains("Best, Ada"),
        "{resumed}"
    );
    // Another mailbox cannot take up, send or throw away ada's draft.
    assert_eq!(
        bob_web
            .call("mail/start_compose", &[("mode", "draft"), ("id", &draft)])
            .unwrap_err(),
        serde_json::json!("NotFound")
    );
    assert_eq!(
        bob_web
            .call("mail/discard_draft", &[("id", &draft)])
            .unwrap_err(),
        serde_json::json!("NotFound")
    );

    // Sent: from the alias, to bob, with cleo in blind copy.
    let outcome = ada_web
        .call(
            "mail/send",
            &[
                ("form[draft]", &draft),
                ("form[from]", "sales@write.test"),
                ("form[to]", &format!("Bob <{bob}>")),
                ("form[bcc]", &cleo),
                ("form[subject]", "Price list"),
                ("form[text]", "Here is the price list.\r\nBest, Ada"),
            ],
        )
        .expect("sent");
    assert_eq!(outcome["sent"], true, "{outcome}");
    assert_eq!(outcome["accepted"], 2, "{outcome}");
    assert_eq!(
        folder_total(&ada_web, "drafts"),
        0,
        "the draft became the copy in Sent"
    );
    assert_eq!(folder_total(&ada_web, "sent"), 1);
    let (folder, row) = arrived(&bob_web, "Price list");
    assert_eq!(folder["role"], "inbox");
    assert_eq!(row["from_address"], "sales@write.test", "{row}");
    let (_, cleo_row) = arrived(&cleo_web, "Price list");
    // The recipients' copies carry no Bcc header; the text is as typed.
    for (web, row) in [(&bob_web, &row), (&cleo_web, &cleo_row)] {
        let id = row["id"].as_str().unwrap();
        let (status, _, source) = web.bytes(&format!("/webmail/messages/{id}/source"));
        assert_eq!(status, 200);
        let source = String::from_utf8_lossy(&source).to_lowercase();
        let header = source.split("\r\n\r\n").next().unwrap();
        assert!(!header.contains("bcc:"), "{header}");
        assert!(source.contains("here is the price list."), "{source}");
    }
    let (_, _, bobs) = bob_web.bytes(&format!(
        "/webmail/messages/{}/source",
        row["id"].as_str().unwrap()
    ));
    assert!(
        !String::from_utf8_lossy(&bobs).contains(cleo.as_str()),
        "cleo stays hidden from bob"
    );

    // Bob replies: to ada's alias, "Re:", the original quoted, in the same thread.
    let bob_id = row["id"].as_str().unwrap();
    let reply = bob_web
        .call("mail/start_compose", &[("mode", "reply"), ("id", bob_id)])
        .expect("reply");
    let form = &reply["form"];
    assert_eq!(form["to"], "Test ada <sales@write.test>", "{reply}");
    assert_eq!(form["subject"], "Re: Price list", "{reply}");
    assert!(
        form["text"]
            .as_str()
            .unwrap()
            .contains("> Here is the price list."),
        "{reply}"
    );
    let text = format!("Thanks!{}", form["text"].as_str().unwrap());
    let outcome = bob_web
        .call(
            "mail/send",
            &[
                ("form[from]", form["from"].as_str().unwrap()),
                ("form[to]", form["to"].as_str().unwrap()),
                ("form[subject]", form["subject"].as_str().unwrap()),
                ("form[text]", &text),
                ("form[origin]", bob_id),
                ("form[origin_kind]", "reply"),
            ],
        )
        .expect("reply sent");
    assert_eq!(outcome["sent"], true, "{outcome}");
    let (_, answered) = arrived(&bob_web, "Price list");
    assert_eq!(
        answered["answered"], true,
        "the original is marked answered"
    );
    let (_, got) = arrived(&ada_web, "Re: Price list");
    let ada_reply = ada_web
        .call("mail/message", &[("id", got["id"].as_str().unwrap())])
        .expect("ada reads the reply");
    assert!(
        ada_reply["text"].as_str().unwrap().starts_with("Thanks!"),
        "{ada_reply}"
    );

    // The daily limit: the 4th external recipient is refused, the message still goes to the
    // others, and the refusal says why.
    let outcome = ada_web
        .call(
            "mail/send",
            &[
                ("form[from]", &ada),
                (
                    "form[to]",
                    "a@external.test, b@external.test, c@external.test, d@external.test",
                ),
                ("form[subject]", "Newsletter"),
                ("form[text]", "News."),
            ],
        )
        .expect("sent to some");
    assert_eq!(outcome["sent"], true, "{outcome}");
    assert_eq!(outcome["accepted"], 3, "{outcome}");
    let refused = outcome["refused"].as_array().unwrap();
    assert_eq!(refused.len(), 1, "{outcome}");
    assert_eq!(refused[0]["address"], "d@external.test");
    assert!(
        refused[0]["reply"].as_str().unwrap().starts_with("452"),
        "{outcome}"
    );
    // With every recipient refused nothing goes, and the message stays in Drafts.
    let outcome = ada_web
        .call(
            "mail/send",
            &[
                ("form[from]", &ada),
                ("form[to]", "e@external.test"),
                ("form[subject]", "Too many"),
                ("form[text]", "Kept."),
            ],
        )
        .expect("refused");
    assert_eq!(outcome["sent"], false, "{outcome}");
    let kept = outcome["id"].as_str().unwrap();
    let (folder, _) = web_where(&ada_web, "Too many").expect("kept");
    assert_eq!(folder["role"], "drafts");
    ada_web
        .call("mail/discard_draft", &[("id", kept)])
        .expect("thrown away");
    assert!(web_where(&ada_web, "Too many").is_none());
    // A local recipient is not limited.
    let outcome = ada_web
        .call(
            "mail/send",
            &[
                ("form[from]", &ada),
                ("form[to]", &bob),
                ("form[subject]", "Still local"),
                ("form[text]", "Fine."),
            ],
        )
        .expect("local");
    assert_eq!(outcome["sent"], true, "{outcome}");
    arrived(&bob_web, "Still local");
    // Mail to oneself is one copy, in Sent and in the Inbox (the engine keeps no second copy
    // of a Message-ID the mailbox holds).
    let outcome = ada_web
        .call(
            "mail/send",
            &[
                ("form[from]", &ada),
                ("form[to]", &ada),
                ("form[subject]", "Note to self"),
                ("form[text]", "Remember."),
            ],
        )
        .expect("to oneself");
    assert_eq!(outcome["sent"], true, "{outcome}");
    let (_, note) = arrived(&ada_web, "Note to self");
    let note = ada_web
        .call("mail/message", &[("id", note["id"].as_str().unwrap())])
        .expect("the note");
    let inbox_id = inbox(&ada_web)["id"].clone();
    let in_folders = note["folders"].as_array().unwrap();
    assert_eq!(in_folders.len(), 2, "{note}");
    assert!(in_folders.contains(&inbox_id), "{note}");

    // Search: words and operators, over every folder but Trash and Junk unless `in:` says.
    let found = |q: &str| -> Vec<String> {
        let page = ada_web
            .call("mail/messages", &[("folder", ""), ("page", "0"), ("q", q)])
            .unwrap_or_else(|err| panic!("{q}: {err}"));
        assert_eq!(page["query"], q);
        let mut subjects: Vec<String> = page["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["subject"].as_str().unwrap().to_string())
            .collect();
        subjects.sort();
        subjects
    };
    // The engine indexes text shortly after a message arrives.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while found("price").len() < 2 {
        assert!(
            std::time::Instant::now() < deadline,
            "not indexed: {:?}",
            found("price")
        );
        std::thread::sleep(std::time::Duration::from_millis(300));
    }
    assert_eq!(found("price"), ["Price list", "Re: Price list"]);
    assert_eq!(found("in:sent price"), ["Price list"]);
    assert_eq!(found("from:bob"), ["Re: Price list"]);
    assert_eq!(found(r#"subject:"still local""#), ["Still local"]);
    assert_eq!(found("price before:2000-01-01"), Vec::<String>::new());
    assert_eq!(found("price after:2000-01-01 in:inbox"), ["Re: Price list"]);
    let err = ada_web
        .call(
            "mail/messages",
            &[("folder", ""), ("page", "0"), ("q", "before:2026-02-30")],
        )
        .unwrap_err();
    assert_eq!(field_of(&err).as_deref(), Some("q"), "{err}");
}

/// A customer domain with two mailboxes, ada and bob, each signed in to the webmail; also
/// the domain's postmaster, for more mailboxes.
fn ada_and_bob(casella: &Casella, domain: &str) -> (String, String, Web, Web, Web) {
    let operator = flows::operator(casella);
    let postmaster = flows::customer_domain(casella, &operator, domain, 5);
    let ada = flows::mailbox(&postmaster, domain, "ada");
    let bob = flows::mailbox(&postmaster, domain, "bob");
    let ada_web = Web::new(casella);
    ada_web.login(&ada, PASSWORD).expect("ada");
    let bob_web = Web::new(casella);
    bob_web.login(&bob, PASSWORD).expect("bob");
    (ada, bob, ada_web, bob_web, postmaster)
}

/// A message's attachments as the reader lists them: (name, media type, size, blob id).
/// Owned form fields as the pairs a call takes.
fn as_refs(v: &[(String, String)]) -> Vec<(&str, &str)> {
    v.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect()
}

fn attachments_of(web: &Web, id: &str) -> Vec<(String, String, u64, String)> {
    let m = web.call("mail/message", &[("id", id)]).expect("message");
    m["attachments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["name"].as_str().unwrap().to_string(),
                a["media_type"].as_str().unwrap().to_string(),
                a["size"].as_u64().unwrap(),
                a["blob_id"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn webmail_attaches_uploaded_files_and_forwards_them() {
    let casella = Casella::start(true);
    let (ada, bob, ada_web, bob_web, _) = ada_and_bob(&casella, "attach.test");
    let same_origin = [("Sec-Fetch-Site", "same-origin")];

    // A file uploaded for a draft: kept by the engine, its name cleaned of any path.
    let pdf: Vec<u8> = (0..40_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let (status, body) = ada_web.post_body(
        "/webmail/upload?name=C%3A%5Cdocs%5COfferta%202027.pdf",
        "application/pdf",
        &same_origin,
        &pdf,
    );
    assert_eq!(status, 200, "{body}");
    let file: Value = serde_json::from_str(&body).expect("json");
    assert_eq!(file["name"], "Offerta 2027.pdf", "{file}");
    assert_eq!(file["media_type"], "application/pdf", "{file}");
    assert_eq!(file["size"], 40_000, "{file}");
    let blob = file["blob"].as_str().unwrap().to_string();
    // An empty file, a file over the limit, a stranger and another site are refused.
    let (status, body) = ada_web.post_body("/webmail/upload?name=x", "text/plain", &[], b"");
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("empty"), "{body}");
    let huge = vec![b'x'; 26 * 1024 * 1024];
    let (status, body) =
        ada_web.post_body("/webmail/upload?name=big.bin", "text/plain", &[], &huge);
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("25 MB"), "{body}");
    let (status, _) =
        Web::new(&casella).post_body("/webmail/upload?name=x", "text/plain", &[], b"x");
    assert_eq!(status, 401);
    let (status, _) = ada_web.post_body(
        "/webmail/upload?name=x",
        "text/plain",
        &[
            ("Origin", "https://evil.test"),
            ("Sec-Fetch-Site", "cross-site"),
        ],
        b"x",
    );
    assert_eq!(status, 403);

    // Kept in a draft, and there again when it is taken up.
    let draft_form = |draft: &str| -> Vec<(String, String)> {
        vec![
            ("form[draft]".into(), draft.into()),
            ("form[from]".into(), ada.clone()),
            ("form[to]".into(), bob.clone()),
            ("form[subject]".into(), "Offerta".into()),
            ("form[text]".into(), "In allegato l'offerta.".into()),
            ("form[attachments][0][blob]".into(), blob.clone()),
            (
                "form[attachments][0][name]".into(),
                "Offerta 2027.pdf".into(),
            ),
            (
                "form[attachments][0][media_type]".into(),
                "application/pdf".into(),
            ),
            ("form[attachments][0][size]".into(), "40000".into()),
        ]
    };
    let form = draft_form("");
    let draft = ada_web
        .call("mail/save_draft", &as_refs(&form))
        .expect("draft with a file");
    let draft = draft.as_str().unwrap().to_string();
    let resumed = ada_web
        .call("mail/start_compose", &[("mode", "draft"), ("id", &draft)])
        .expect("resume");
    let kept = &resumed["form"]["attachments"];
    assert_eq!(kept.as_array().map(Vec::len), Some(1), "{resumed}");
    assert_eq!(kept[0]["name"], "Offerta 2027.pdf", "{resumed}");
    assert_eq!(kept[0]["size"], 40_000, "{resumed}");
    // Another mailbox cannot put ada's file into its own message.
    let stolen = bob_web
        .call(
            "mail/save_draft",
            &[
                ("form[from]", bob.as_str()),
                ("form[subject]", "Mine now"),
                ("form[attachments][0][blob]", &blob),
                ("form[attachments][0][name]", "x.pdf"),
            ],
        )
        .unwrap_err();
    assert_eq!(
        field_of(&stolen).as_deref(),
        Some("attachments"),
        "{stolen}"
    );

    // Sent with the draft's file (its part in the draft now): bob gets the same bytes.
    let kept_blob = kept[0]["blob"].as_str().unwrap().to_string();
    let mut form = draft_form(&draft);
    form[5].1 = kept_blob;
    let outcome = ada_web.call("mail/send", &as_refs(&form)).expect("sent");
    assert_eq!(outcome["sent"], true, "{outcome}");
    let (_, row) = arrived(&bob_web, "Offerta");
    assert_eq!(row["has_attachment"], true, "{row}");
    let bob_id = row["id"].as_str().unwrap().to_string();
    let files = attachments_of(&bob_web, &bob_id);
    assert_eq!(files.len(), 1, "{files:?}");
    assert_eq!(
        (files[0].0.as_str(), files[0].1.as_str()),
        ("Offerta 2027.pdf", "application/pdf")
    );
    let (status, _, got) = bob_web.bytes(&format!(
        "/webmail/messages/{bob_id}/parts/{}?download=1",
        files[0].3
    ));
    assert_eq!(status, 200);
    assert_eq!(got, pdf, "the file arrives as it was uploaded");

    // Bob forwards it to ada: the file goes along.
    let forward = bob_web
        .call(
            "mail/start_compose",
            &[("mode", "forward"), ("id", &bob_id)],
        )
        .expect("forward");
    let f = &forward["form"];
    assert_eq!(f["subject"], "Fwd: Offerta", "{forward}");
    assert_eq!(f["attachments"][0]["name"], "Offerta 2027.pdf", "{forward}");
    let send_forward = |f: &Value, to: &str| {
        let mut fields: Vec<(String, String)> = vec![
            ("form[from]".into(), f["from"].as_str().unwrap().into()),
            ("form[to]".into(), to.into()),
            (
                "form[subject]".into(),
                f["subject"].as_str().unwrap().into(),
            ),
            ("form[text]".into(), f["text"].as_str().unwrap().into()),
            ("form[origin]".into(), f["origin"].as_str().unwrap().into()),
            (
                "form[origin_kind]".into(),
                f["origin_kind"].as_str().unwrap().into(),
            ),
        ];
        for (i, a) in f["attachments"].as_array().unwrap().iter().enumerate() {
            for key in ["blob", "name", "media_type"] {
                fields.push((
                    format!("form[attachments][{i}][{key}]"),
                    a[key].as_str().unwrap().into(),
                ));
            }
            fields.push((
                format!("form[attachments][{i}][size]"),
                a["size"].to_string(),
            ));
        }
        bob_web
            .call("mail/send", &as_refs(&fields))
            .expect("forwarded")
    };
    let outcome = send_forward(f, &ada);
    assert_eq!(outcome["sent"], true, "{outcome}");
    let (_, fwd) = arrived(&ada_web, "Fwd: Offerta");
    let fwd_id = fwd["id"].as_str().unwrap().to_string();
    let files = attachments_of(&ada_web, &fwd_id);
    assert_eq!(files.len(), 1, "{files:?}");
    let (_, _, got) = ada_web.bytes(&format!(
        "/webmail/messages/{fwd_id}/parts/{}?download=1",
        files[0].3
    ));
    assert_eq!(got, pdf);
    let (_, bobs) = arrived(&bob_web, "Offerta");
    assert_eq!(bobs["id"], bob_id.as_str());

    // And as an attachment: the whole message, as a .eml file.
    let forward = bob_web
        .call(
            "mail/start_compose",
            &[("mode", "forward-attached"), ("id", &bob_id)],
        )
        .expect("forward as attachment");
    let f = forward["form"].clone();
    assert_eq!(f["attachments"][0]["name"], "Offerta.eml", "{forward}");
    assert_eq!(
        f["attachments"][0]["media_type"], "message/rfc822",
        "{forward}"
    );
    let mut f = f;
    f["subject"] = Value::String("Fwd: Offerta (whole)".into());
    let outcome = send_forward(&f, &ada);
    assert_eq!(outcome["sent"], true, "{outcome}");
    let (_, whole) = arrived(&ada_web, "Fwd: Offerta (whole)");
    let whole_id = whole["id"].as_str().unwrap().to_string();
    let files = attachments_of(&ada_web, &whole_id);
    let eml = files
        .iter()
        .find(|f| f.1 == "message/rfc822")
        .unwrap_or_else(|| panic!("no message attached: {files:?}"));
    let (status, _, got) = ada_web.bytes(&format!(
        "/webmail/messages/{whole_id}/parts/{}?download=1",
        eml.3
    ));
    assert_eq!(status, 200);
    let got = String::from_utf8_lossy(&got);
    assert!(got.contains("Subject: Offerta"), "{got}");

    // Without JavaScript: "Attach" posts the whole form with the chosen file and comes back
    // to the draft; "Remove" takes a file off the same way.
    let fields = [
        ("form[draft]", ""),
        ("form[from]", ada.as_str()),
        ("form[to]", bob.as_str()),
        ("form[subject]", "Plain attach"),
        ("form[text]", "typed before attaching"),
    ];
    let (status, to) = ada_web.multipart(
        "/webmail/compose/attach",
        &fields,
        &[(
            "form[files]",
            "note.txt",
            "text/plain",
            b"hello from a plain form",
        )],
    );
    assert_eq!(status, 303, "{to}");
    let plain_draft = to
        .strip_prefix("/compose?draft=")
        .expect("back to the draft")
        .to_string();
    let resumed = ada_web
        .call(
            "mail/start_compose",
            &[("mode", "draft"), ("id", &plain_draft)],
        )
        .expect("the plain draft");
    assert_eq!(
        resumed["form"]["text"], "typed before attaching",
        "{resumed}"
    );
    let file = resumed["form"]["attachments"][0].clone();
    assert_eq!(file["name"], "note.txt", "{resumed}");
    let size = file["size"].to_string();
    let remove = format!(
        "/webmail/compose/attach?remove={}",
        file["blob"].as_str().unwrap()
    );
    let with_file = [
        ("form[draft]", plain_draft.as_str()),
        ("form[from]", ada.as_str()),
        ("form[subject]", "Plain attach"),
        ("form[attachments][0][blob]", file["blob"].as_str().unwrap()),
        ("form[attachments][0][name]", "note.txt"),
        ("form[attachments][0][media_type]", "text/plain"),
        ("form[attachments][0][size]", size.as_str()),
    ];
    let (status, to) = ada_web.multipart(
        &remove,
        &with_file,
        &[("form[files]", "", "application/octet-stream", b"")],
    );
    assert_eq!(status, 303, "{to}");
    let again = to
        .strip_prefix("/compose?draft=")
        .expect("back to the draft");
    let resumed = ada_web
        .call("mail/start_compose", &[("mode", "draft"), ("id", again)])
        .expect("without the file");
    assert_eq!(
        resumed["form"]["attachments"],
        serde_json::json!([]),
        "{resumed}"
    );
    assert_eq!(
        folder_total(&ada_web, "drafts"),
        1,
        "each save replaced its draft"
    );
    // A file chosen but not attached is not silently left out.
    let err = ada_web
        .call(
            "mail/send",
            &[
                ("form[from]", ada.as_str()),
                ("form[to]", bob.as_str()),
                ("form[files]", "forgotten.pdf"),
            ],
        )
        .unwrap_err();
    assert_eq!(field_of(&err).as_deref(), Some("attachments"), "{err}");
}

/// Waits until `web` has a message with `subject` in the folder with `role` (or named
/// `name`); its row.
fn arrived_in(web: &Web, subject: &str, folder: &str) -> Value {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        if let Some((f, row)) = web_where(web, subject)
            && (f["role"] == folder || f["name"] == folder)
        {
            return row;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{subject} never arrived in {folder}: {:?}",
            web_where(web, subject)
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}

#[test]
fn webmail_rules_run_in_the_engine_on_delivery() {
    let casella = Casella::start(true);
    let (ada, bob, ada_web, bob_web, postmaster) = ada_and_bob(&casella, "rules.test");
    let cleo = flows::mailbox(&postmaster, "rules.test", "cleo");

    let rules = ada_web.call("mail/rules", &[]).expect("rules");
    assert_eq!(rules["vacation"]["on"], false, "{rules}");
    assert_eq!(rules["filters"], serde_json::json!([]), "{rules}");

    // Wrong input is named on its field and changes nothing.
    for (form, field) in [
        (
            vec![("vacation[on]", "true"), ("vacation[text]", " ")],
            "text",
        ),
        (
            vec![
                ("vacation[on]", "true"),
                ("vacation[text]", "x"),
                ("vacation[first_day]", "2026-13-01"),
            ],
            "first_day",
        ),
        (
            vec![
                ("vacation[on]", "true"),
                ("vacation[text]", "x"),
                ("vacation[first_day]", "2027-01-10"),
                ("vacation[last_day]", "2027-01-01"),
            ],
            "last_day",
        ),
    ] {
        let err = ada_web.call("mail/save_vacation", &form).unwrap_err();
        assert_eq!(field_of(&err).as_deref(), Some(field), "{err}");
    }
    for (form, field) in [
        (
            vec![
                ("filter[field]", "subject"),
                ("filter[contains]", "x"),
                ("filter[action]", "move"),
                ("filter[folder]", "nope"),
            ],
            "folder",
        ),
        (
            vec![
                ("filter[field]", "subject"),
                ("filter[contains]", "x"),
                ("filter[action]", "forward"),
                ("filter[forward]", &ada),
            ],
            "forward",
        ),
        (
            vec![
                ("filter[field]", "subject"),
                ("filter[contains]", "x"),
                ("filter[action]", "forward"),
                ("filter[forward]", "bob"),
            ],
            "forward",
        ),
        (
            vec![
                ("filter[field]", "subject"),
                ("filter[contains]", " "),
                ("filter[action]", "read"),
            ],
            "contains",
        ),
        (
            vec![
                ("filter[field]", "body"),
                ("filter[contains]", "x"),
                ("filter[action]", "read"),
            ],
            "field",
        ),
    ] {
        let err = ada_web.call("mail/add_filter", &form).unwrap_err();
        assert_eq!(field_of(&err).as_deref(), Some(field), "{err}");
    }
    assert_eq!(
        ada_web.call("mail/rules", &[]).expect("rules")["filters"],
        serde_json::json!([])
    );

    // Filters: invoices into their folder, prizes to the Trash, some mail copied to bob.
    let invoices = ada_web
        .call("mail/create_folder", &[("name", "Fatture \"2027\"")])
        .expect("folder");
    let invoices = invoices.as_str().unwrap().to_string();
    for form in [
        vec![
            ("filter[field]", "subject"),
            ("filter[contains]", "Fattura"),
            ("filter[action]", "move"),
            ("filter[folder]", invoices.as_str()),
        ],
        vec![
            ("filter[field]", "subject"),
            ("filter[contains]", "prize"),
            ("filter[action]", "trash"),
        ],
        vec![
            ("filter[field]", "from"),
            ("filter[contains]", "carla@"),
            ("filter[action]", "read"),
        ],
        vec![
            ("filter[field]", "subject"),
            ("filter[contains]", "Forward me"),
            ("filter[action]", "forward"),
            ("filter[forward]", cleo.as_str()),
        ],
    ] {
        ada_web
            .call("mail/add_filter", &form)
            .unwrap_or_else(|e| panic!("{form:?}: {e}"));
    }
    // The vacation reply, with no end day.
    ada_web
        .call(
            "mail/save_vacation",
            &[
                ("vacation[on]", "true"),
                ("vacation[subject]", "Away \"till\" Monday"),
                (
                    "vacation[text]",
                    "Back on Monday.\r\nFor urgent matters call the office.",
                ),
            ],
        )
        .expect("vacation on");
    let rules = ada_web.call("mail/rules", &[]).expect("rules");
    assert_eq!(rules["vacation"]["on"], true, "{rules}");
    assert_eq!(
        rules["vacation"]["subject"], "Away \"till\" Monday",
        "{rules}"
    );
    let filters = rules["filters"].as_array().unwrap();
    assert_eq!(filters.len(), 4, "{rules}");
    assert_eq!(filters[0]["target"], "Fatture \"2027\"", "{rules}");
    assert_eq!(filters[3]["target"], cleo.as_str(), "{rules}");

    // They run in the engine on delivery, with no browser involved.
    let send = |web: &Web, from: &str, to: &str, subject: &str| {
        let outcome = web
            .call(
                "mail/send",
                &[
                    ("form[from]", from),
                    ("form[to]", to),
                    ("form[subject]", subject),
                    ("form[text]", "Hello."),
                ],
            )
            .expect("sent");
        assert_eq!(outcome["sent"], true, "{outcome}");
    };
    send(&bob_web, &bob, &ada, "Fattura 12/2026");
    arrived_in(&ada_web, "Fattura 12/2026", "Fatture \"2027\"");
    // bob hears that ada is away, once.
    let reply = arrived_in(&bob_web, "Away \"till\" Monday", "inbox");
    let reply = bob_web
        .call("mail/message", &[("id", reply["id"].as_str().unwrap())])
        .expect("the vacation reply");
    assert!(
        reply["text"].as_str().unwrap().contains("Back on Monday."),
        "{reply}"
    );
    from_outside(&casella, &ada, "You won a prize", "prize@outside.test");
    let prize = arrived_in(&ada_web, "You won a prize", "trash");
    assert_eq!(
        prize["seen"], true,
        "the filter marked carla's mail read: {prize}"
    );
    send(&bob_web, &bob, &ada, "Forward me to cleo");
    arrived_in(&ada_web, "Forward me to cleo", "inbox");
    // A copy goes to cleo (bob already holds the message: the engine keeps one copy of a
    // Message-ID per mailbox, so the copy goes to a third one).
    let cleo_web = Web::new(&casella);
    cleo_web.login(&cleo, PASSWORD).expect("cleo");
    arrived_in(&cleo_web, "Forward me to cleo", "inbox");
    // The reply, had there been a second one, comes with the same delivery.
    std::thread::sleep(std::time::Duration::from_secs(1));
    let inbox_rows = bob_web
        .call("mail/messages", &[("folder", ""), ("page", "0")])
        .expect("bob's inbox");
    let replies = inbox_rows["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["subject"] == "Away \"till\" Monday")
        .count();
    assert_eq!(
        replies, 1,
        "one reply a day, though bob wrote twice: {inbox_rows}"
    );

    // A filter removed is gone from the engine's script too: invoices stay in the Inbox.
    ada_web
        .call("mail/remove_filter", &[("index", "0")])
        .expect("removed");
    assert_eq!(
        bob_web
            .call("mail/remove_filter", &[("index", "0")])
            .unwrap_err(),
        serde_json::json!("NotFound"),
        "bob has no filters of his own"
    );
    send(&bob_web, &bob, &ada, "Fattura 13/2026");
    arrived_in(&ada_web, "Fattura 13/2026", "inbox");
    // Vacation off.
    ada_web
        .call(
            "mail/save_vacation",
            &[("vacation[text]", "Back on Monday.")],
        )
        .expect("vacation off");
    let rules = ada_web.call("mail/rules", &[]).expect("rules");
    assert_eq!(rules["vacation"]["on"], false, "{rules}");
    assert_eq!(rules["filters"].as_array().unwrap().len(), 3, "{rules}");
}
