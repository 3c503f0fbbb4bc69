// SPDX-License-Identifier: AGPL-3.0-only
//! The webmail's mail (issue 10): messages delivered by a real SMTP client show up in the
//! recipient's folders, list and reader, read through the engine with the mailbox's own
//! rights; another mailbox's message is not found, and staff without a mailbox have no mail.

use serde_json::Value;

use crate::{
    flows::{self, PASSWORD},
    harness::{Casella, Web, mail},
};

pub(crate) fn folders(web: &Web) -> Vec<Value> {
    web.call("mail/folders", &[])
        .expect("folders")
        .as_array()
        .unwrap()
        .clone()
}

/// A message from outside to `to`, delivered over the MX port by a real SMTP client.
pub(crate) fn from_outside(casella: &Casella, to: &str, subject: &str, message_id: &str) {
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

pub(crate) fn inbox(web: &Web) -> Value {
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

    // The change stream tells of a delivery, with the space the mailbox uses after it.
    let mut events = std::io::BufReader::new(ada_web.open_stream("/webmail/events"));
    assert_eq!(events.get_ref().status(), 200);
    from_outside(
        &casella,
        &ada,
        "Quarterly figures 4",
        "figures.4@outside.test",
    );
    let told: Value = loop {
        let mut line = String::new();
        let read = std::io::BufRead::read_line(&mut events, &mut line).expect("an event");
        assert!(read > 0, "the stream ended");
        if let Some(data) = line.trim_end().strip_prefix("data:") {
            break serde_json::from_str(data.trim()).expect("the quota, in JSON");
        }
    };
    let (used, total) = (told["used"].as_u64(), told["total"].as_u64());
    assert!(used.is_some_and(|used| used > 0), "{told}");
    assert!(total.is_some(), "{told}");
    drop(events);

    // The page of the message as the in-place navigation asks for it: its main area, language
    // links, title and browser code, without the header (menu, chat) or the head's links.
    let reader = format!("/mail/{id}/{message_id}");
    let (status, whole) = ada_web.page(&reader);
    assert_eq!(status, 200);
    let (status, part) = ada_web.page_with(&reader, &[("X-Casella-Part", "main")]);
    assert_eq!(status, 200);
    let main = |page: &str| {
        let start = page.find("<main class=\"page\"").expect("a main area");
        let end = page.rfind("</main>").expect("the main area's end");
        page[start..end].to_string()
    };
    assert_eq!(main(&part), main(&whole), "the same main area");
    for kept in [
        "<title>",
        "class=\"lang\"",
        "rel=\"modulepreload\"",
        "Sent by the trace test",
    ] {
        assert!(whole.contains(kept), "the whole page lacks {kept}: {whole}");
        assert!(part.contains(kept), "the part lacks {kept}: {part}");
    }
    for left in [
        "<header class=\"topbar\"",
        "rel=\"stylesheet\"",
        "rel=\"icon\"",
        "id=\"chat\"",
    ] {
        assert!(whole.contains(left), "the whole page has {left}");
        assert!(!part.contains(left), "the part has {left}");
    }
    assert!(part.len() < whole.len());

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
pub(crate) fn web_where(web: &Web, subject: &str) -> Option<(Value, Value)> {
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

    // The folder's order is kept between reads (engine-glue `orders.rs`): a second read is
    // the same, and each change (a delivery, a move and a deletion over IMAP) is in the
    // read after it. (Messages of the same second come in the engine's order, which is not
    // their arrival's: compared as sets.)
    let subjects_listed = || -> (Vec<String>, u64) {
        let page = web
            .call(
                "mail/messages",
                &[("folder", inbox_id.as_str()), ("page", "0")],
            )
            .expect("the inbox");
        let rows = page["rows"].as_array().unwrap();
        let subjects = rows
            .iter()
            .map(|r| r["subject"].as_str().unwrap().to_string())
            .collect();
        (subjects, page["total"].as_u64().unwrap())
    };
    let sorted = |mut subjects: Vec<String>| {
        subjects.sort();
        subjects
    };
    let first = subjects_listed();
    assert_eq!(first.1, 4, "{first:?}");
    assert_eq!(subjects_listed(), first);
    from_outside(&casella, &ada, "Late arrival", "sync.late@outside.test");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let after = loop {
        let after = subjects_listed();
        if after.1 == 5 {
            break after;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "not listed: {after:?}"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    };
    let mut expected = first.0.clone();
    expected.push("Late arrival".into());
    assert_eq!(sorted(after.0.clone()), sorted(expected), "{after:?}");
    let trash_name = folders(&web)
        .into_iter()
        .find(|f| f["role"] == "trash")
        .unwrap()["name"]
        .as_str()
        .unwrap()
        .to_string();
    imap_act(
        &casella,
        &ada,
        &["move", "INBOX", "Late arrival", &trash_name],
    );
    let moved = subjects_listed();
    assert_eq!(moved.1, 4, "moved away over IMAP: {moved:?}");
    assert_eq!(sorted(moved.0), sorted(first.0.clone()));
    imap_act(&casella, &ada, &["delete", &trash_name, "Late arrival"]);

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
