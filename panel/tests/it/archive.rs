// SPDX-License-Identifier: AGPL-3.0-only
//! The archive, end to end on the real binary: a manager switches it on for a mailbox, and
//! every message the mailbox receives or sends is kept (over the MX, by SMTP submission, from
//! the webmail, as a Bcc recipient), once, even after the user deletes it, and across a
//! crash between the engine's acceptance and the archive's write.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::{
    flows,
    harness::{Casella, Web, mail, mx_accepts, mx_send, sql, sql_live, sql_rows},
};

const BOB: &str = "bob@demo.test";
const ALICE: &str = "alice@demo.test";

fn switch_on(manager: &Web, address: &str) {
    manager
        .call(
            "mailboxes/set_archive",
            &[
                ("address", address),
                ("archive", "on"),
                ("retention_years", "2"),
            ],
        )
        .expect("archive on");
}

/// The owner's archive folder (`in` or `out`), optionally searched.
fn archived(web: &Web, folder: &str, search: &[(&str, &str)]) -> Value {
    let mut form = vec![("query[folder]".to_string(), folder.to_string())];
    for (k, v) in search {
        form.push((format!("query[{k}]"), v.to_string()));
    }
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    web.call("mail/archive", &form).expect("archive view")
}

fn subjects(view: &Value) -> Vec<String> {
    view["list"]["rows"]
        .as_array()
        .map(|rows| {
            rows.iter()
                .map(|r| r["subject"].as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// Waits until the owner's archive folder lists `subject`.
fn wait_archived(web: &Web, folder: &str, subject: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if subjects(&archived(web, folder, &[]))
            .iter()
            .any(|s| s == subject)
        {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{subject} never archived in {folder}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn every_message_an_archived_mailbox_sends_or_receives_is_kept_even_after_deletion() {
    // The second pass over the engine's changes every second, for a message 2 s old.
    let casella = Casella::start_with(
        true,
        &[
            ("CASELLA_ARCHIVE_PASS_SECONDS", "1"),
            ("CASELLA_ARCHIVE_GRACE_SECONDS", "2"),
        ],
    );
    let operator = flows::operator(&casella);
    let manager = flows::manager_of(&casella, &operator, "it.demo", "demo.test");
    let bob_password = casella.printed[BOB].clone();
    let alice_password = casella.printed[ALICE].clone();
    let bob = Web::new(&casella);
    bob.login(BOB, &bob_password).expect("bob signs in");

    // No archive yet: the page says so; only a manager switches it on, within 1–10 years.
    assert_eq!(archived(&bob, "in", &[])["exists"], false);
    let err = manager
        .call(
            "mailboxes/set_archive",
            &[
                ("address", BOB),
                ("archive", "on"),
                ("retention_years", "11"),
            ],
        )
        .unwrap_err();
    assert_eq!(
        crate::error_field(&err).as_deref(),
        Some("retention_years"),
        "{err}"
    );
    // A message that arrives before the archive is switched on is not captured...
    let submissions = casella.ports.submissions.to_string();
    let imaps = casella.ports.imaps.to_string();
    mail(&[
        "submit",
        &submissions,
        "tls",
        ALICE,
        &alice_password,
        ALICE,
        BOB,
        "archive: before the archive",
    ]);
    mail(&[
        "imap-find",
        &imaps,
        "tls",
        BOB,
        &bob_password,
        "archive: before the archive",
    ]);
    switch_on(&manager, BOB);
    let detail = manager
        .call("mailboxes/get_mailbox", &[("address", BOB)])
        .expect("mailbox");
    assert_eq!(detail["archive"]["active"], true, "{detail}");
    assert_eq!(detail["archive"]["retention_years"], 2);

    assert_eq!(archived(&bob, "in", &[])["received"], 0);
    // ...mail that was there before: the guided import copies it (Inbox as received, Sent as
    // sent); asked again, it adds nothing.
    let imported = manager
        .call("mailboxes/get_mailbox", &[("address", BOB)])
        .expect("mailbox");
    let folders = imported["archive"]["folders"]
        .as_array()
        .expect("folders")
        .clone();
    assert!(
        folders.iter().all(|f| f["role"] != "drafts"),
        "Drafts is not offered: {folders:?}"
    );
    let inbox_id = folders
        .iter()
        .find(|f| f["role"] == "inbox")
        .and_then(|f| f["id"].as_str())
        .expect("inbox")
        .to_string();
    manager
        .call(
            "mailboxes/import_into_archive",
            &[("address", BOB), ("folders[0]", &inbox_id)],
        )
        .expect("import");
    let import = wait_import(&manager, BOB);
    assert_eq!(import["state"], "done", "{import}");
    let before = import["added"].as_u64().unwrap();
    manager
        .call("mailboxes/import_into_archive", &[("address", BOB)])
        .expect("import again, every folder");
    let again = wait_import(&manager, BOB);
    assert_eq!(again["state"], "done", "{again}");
    assert_eq!(again["added"], 0, "nothing twice: {again}");
    let err = manager
        .call(
            "mailboxes/import_into_archive",
            &[("address", BOB), ("folders[0]", "not-a-folder")],
        )
        .unwrap_err();
    assert_eq!(
        crate::error_field(&err).as_deref(),
        Some("folders"),
        "{err}"
    );
    let kept_before = archived(&bob, "in", &[])["received"].as_u64().unwrap();
    assert_eq!(kept_before, before);
    assert!(
        subjects(&archived(&bob, "in", &[])).contains(&"archive: before the archive".to_string()),
        "the import copied the Inbox"
    );

    // 1. Over the MX, from outside.
    assert!(mx_accepts(&casella, BOB, "archive: from outside"));
    // 2. Sent by bob over SMTP submission, to someone outside.
    mail(&[
        "submit",
        &submissions,
        "tls",
        BOB,
        &bob_password,
        BOB,
        "someone@elsewhere.test",
        "archive: sent by smtp",
    ]);
    // 3. Alice writes to herself with bob in Bcc only.
    mail(&[
        "send-bcc",
        &submissions,
        "tls",
        ALICE,
        &alice_password,
        ALICE,
        ALICE,
        BOB,
        "archive: bob in bcc",
    ]);
    // 4. Sent by bob from the webmail, to alice (a local delivery: one DATA, both parties).
    let outcome = bob
        .call(
            "mail/send",
            &[
                ("form[from]", BOB),
                ("form[to]", ALICE),
                ("form[subject]", "archive: sent from webmail"),
                ("form[text]", "Kept for years."),
            ],
        )
        .expect("sent");
    assert_eq!(outcome["sent"], true, "{outcome}");

    for subject in ["archive: from outside", "archive: bob in bcc"] {
        wait_archived(&bob, "in", subject);
    }
    for subject in ["archive: sent by smtp", "archive: sent from webmail"] {
        wait_archived(&bob, "out", subject);
    }
    // The journal is the archive's own: its recipient is in no Tracemail row, and counts
    // against no sending limit (bob sent one message outside and one to alice).
    wait_until(
        "bob's sending in Tracemail",
        Duration::from_secs(30),
        || {
            sql_rows(
                &casella,
                "SELECT id FROM message_trace WHERE sender = 'bob@demo.test'",
            )
            .len()
                >= 2
                && !sql_rows(&casella, "SELECT id FROM outbound_log").is_empty()
        },
    );
    assert!(
        sql_rows(
            &casella,
            "SELECT recipient FROM message_trace WHERE recipient LIKE '%archive.invalid'"
        )
        .is_empty()
    );
    assert_eq!(
        sql_rows(
            &casella,
            "SELECT SUM(recipients) FROM outbound_log WHERE address = 'bob@demo.test'"
        ),
        ["1"]
    );
    // What never passes the DATA hook is caught by the pass over the engine's changes: the
    // bounce of bob's message to a domain that does not resolve, and a message a client
    // appends over IMAP. The journal's own copies are not kept twice by it.
    mail(&[
        "imap-find",
        &imaps,
        "tls",
        BOB,
        &bob_password,
        "Failed to deliver message",
    ]);
    wait_archived(&bob, "in", "Failed to deliver message");
    mail(&["imap-append", &imaps, "tls", BOB, &bob_password, "300"]);
    wait_archived(&bob, "in", "filler");
    std::thread::sleep(Duration::from_secs(3));
    let received = archived(&bob, "in", &[]);
    assert_eq!(
        received["received"].as_u64(),
        Some(kept_before + 4),
        "outside, Bcc, bounce, appended: {received}"
    );
    assert_eq!(received["sent"], 2, "{received}");

    // Alice has no archive: nothing of hers is kept, and the Bcc is not in her copy.
    let alice = Web::new(&casella);
    alice.login(ALICE, &alice_password).expect("alice signs in");
    assert_eq!(archived(&alice, "in", &[])["exists"], false);

    // Bob deletes everything in his Inbox over IMAP: the archive still has it all.
    mail(&["imap-empty", &imaps, "tls", BOB, &bob_password, "INBOX"]);
    let inbox = archived(&bob, "in", &[]);
    assert_eq!(inbox["received"].as_u64(), Some(kept_before + 4), "{inbox}");
    assert_eq!(inbox["sent"], 2, "{inbox}");

    // Search: by sender, by words, by dates; a message is opened and downloaded.
    let found = archived(&bob, "in", &[("from", "someone@elsewhere.test")]);
    assert_eq!(subjects(&found), ["archive: from outside"], "{found}");
    let found = archived(&bob, "out", &[("q", "years")]);
    assert_eq!(subjects(&found), ["archive: sent from webmail"], "{found}");
    let found = archived(&bob, "out", &[("to", "elsewhere.test")]);
    assert_eq!(subjects(&found), ["archive: sent by smtp"], "{found}");
    let found = archived(&bob, "in", &[("before", "2000-01-01")]);
    assert_eq!(subjects(&found), Vec::<String>::new());
    let err = bob
        .call(
            "mail/archive",
            &[("query[folder]", "in"), ("query[after]", "yesterday")],
        )
        .unwrap_err();
    assert_eq!(crate::error_field(&err).as_deref(), Some("after"), "{err}");
    let id = found_id(&archived(&bob, "in", &[("subject", "outside")]));
    let (status, media_type, eml) = bob.bytes(&format!("/webmail/archive/{id}/source"));
    assert_eq!(status, 200);
    assert!(media_type.starts_with("message/rfc822"), "{media_type}");
    assert!(
        String::from_utf8_lossy(&eml).contains("Subject: archive: from outside"),
        "the .eml is the message as it arrived"
    );
    // A selection as one zip of .eml files; an empty selection is refused.
    let ids: Vec<String> = archived(&bob, "out", &[])["list"]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids.len(), 2);
    let (status, media_type, zip) =
        bob.bytes(&format!("/webmail/archive/zip?id={}&id={}", ids[0], ids[1]));
    assert_eq!(status, 200);
    assert!(media_type.starts_with("application/zip"), "{media_type}");
    assert!(zip.starts_with(b"PK\x03\x04"), "a zip file");
    let listing = String::from_utf8_lossy(&zip);
    assert!(listing.contains("archive_ sent by smtp.eml") || listing.contains("sent by smtp"));
    assert_eq!(
        listing.matches(".eml").count(),
        4,
        "two files, each named twice"
    );
    let (status, _, _) = bob.bytes("/webmail/archive/zip");
    assert_eq!(status, 400);
    // Another mailbox's archived message is not found.
    let (status, _, _) = alice.bytes(&format!("/webmail/archive/{id}/source"));
    assert_eq!(status, 404);

    // Put back: it is in bob's Inbox again, over IMAP.
    bob.call("mail/archive_put_back", &[("id", &id)])
        .expect("put back");
    mail(&[
        "imap-find",
        &imaps,
        "tls",
        BOB,
        &bob_password,
        "archive: from outside",
    ]);

    // Nobody may address the journal itself.
    let codes = mail(&[
        "rcpt-codes",
        &submissions,
        "tls",
        BOB,
        &bob_password,
        BOB,
        "journal+0123456789abcdef0123456789abcdef@archive.invalid",
    ]);
    assert_eq!(codes.trim(), "550", "{codes}");

    // Switched off: nothing new is kept, what is kept stays.
    manager
        .call(
            "mailboxes/set_archive",
            &[("address", BOB), ("archive", "off")],
        )
        .expect("archive off");
    assert!(mx_accepts(&casella, BOB, "archive: after switching off"));
    mail(&[
        "imap-find",
        &imaps,
        "tls",
        BOB,
        &bob_password,
        "archive: after switching off",
    ]);
    let inbox = archived(&bob, "in", &[]);
    assert_eq!(inbox["active"], false);
    assert_eq!(inbox["received"].as_u64(), Some(kept_before + 4), "{inbox}");
}

/// Waits until the mailbox's latest archive import has ended; its row.
fn wait_import(manager: &Web, address: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let detail = manager
            .call("mailboxes/get_mailbox", &[("address", address)])
            .expect("mailbox");
        let import = detail["archive"]["import"].clone();
        if import["state"] != "running" && !import.is_null() {
            return import;
        }
        assert!(
            Instant::now() < deadline,
            "the import never ended: {import}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn found_id(view: &Value) -> String {
    view["list"]["rows"][0]["id"]
        .as_str()
        .expect("a row")
        .to_string()
}

/// How many archive rows the database has for messages with this subject.
fn kept(casella: &Casella, subject: &str) -> usize {
    sql_rows(
        casella,
        &format!("SELECT id FROM archive_messages WHERE subject = '{subject}'"),
    )
    .len()
}

/// What the journal's crash test has Casella log: the receiver's faults (warnings) and each
/// copy kept (debug).
const JOURNAL_LOG: (&str, &str) = ("CASELLA_LOG", "warn,panel::services::archive=debug");

/// The debug line of each journal copy kept (rows committed, then answered).
const COPY_KEPT: &str = "journal copy kept";

fn wait_until(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !done() {
        assert!(Instant::now() < deadline, "{what}: not within {limit:?}");
        std::thread::sleep(Duration::from_millis(250));
    }
}

#[test]
fn a_crash_between_the_engines_acceptance_and_the_archive_write_keeps_the_message_once() {
    // The receiver refuses every journal copy ("try again"): the message is accepted and
    // delivered, its copy waits in the engine's queue. Nothing but the engine's queue knows
    // of it: the hook writes nothing.
    let mut casella = Casella::start_with(
        true,
        &[("TEST_CASELLA_JOURNAL_FAULT", "refuse"), JOURNAL_LOG],
    );
    let operator = flows::operator(&casella);
    let manager = flows::manager_of(&casella, &operator, "it.demo", "demo.test");
    switch_on(&manager, BOB);
    let bob_password = casella.printed[BOB].clone();
    let data = casella.data.clone();
    let tmp = casella.take_tmp();
    assert!(mx_accepts(&casella, BOB, "crash: before the write"));
    wait_until("the copy is refused", Duration::from_secs(20), || {
        casella.logged("journal fault: copy refused") > 0
    });
    assert_eq!(kept(&casella, "crash: before the write"), 0);
    assert_eq!(casella.logged(COPY_KEPT), 0);
    casella.kill();

    // Restarted, with every copy written and then its answer lost: the engine sends again.
    let mut casella = Casella::launch(
        &data,
        true,
        &[("TEST_CASELLA_JOURNAL_FAULT", "lose-reply"), JOURNAL_LOG],
    );
    wait_until(
        "the first copy is archived",
        Duration::from_secs(90),
        || kept(&casella, "crash: before the write") == 1,
    );
    assert!(mx_accepts(&casella, BOB, "crash: after the write"));
    wait_until(
        "the second copy is archived",
        Duration::from_secs(30),
        || kept(&casella, "crash: after the write") == 1,
    );
    wait_until("both answers are lost", Duration::from_secs(10), || {
        casella.logged("journal fault: copy kept, reply lost") >= 2
    });
    casella.kill();

    // Restarted without faults: both copies come again (the engine was never told they were
    // taken) and are taken; each message is still kept once.
    let casella = Casella::launch(&data, true, &[JOURNAL_LOG]);
    wait_until(
        "both copies are sent again",
        Duration::from_secs(150),
        || casella.logged(COPY_KEPT) >= 2,
    );
    assert_eq!(kept(&casella, "crash: before the write"), 1);
    assert_eq!(kept(&casella, "crash: after the write"), 1);
    // Its envelope came from the engine's queue, across both restarts.
    assert_eq!(
        sql_rows(
            &casella,
            "SELECT recipients FROM archive_messages WHERE subject LIKE 'crash: %'"
        ),
        [BOB, BOB]
    );
    let bob = Web::new(&casella);
    bob.login(BOB, &bob_password).expect("bob signs in");
    let inbox = archived(&bob, "in", &[]);
    assert_eq!(inbox["received"], 2, "{inbox}");
    assert_eq!(json!(subjects(&inbox).len()), json!(2));

    // A burst from eight senders at once: copies are committed many to a transaction, and
    // each message is kept once, with its own copy.
    let before = casella.logged(COPY_KEPT);
    let senders: Vec<_> = (0..8)
        .map(|sender| {
            let port = casella.ports.smtp;
            std::thread::spawn(move || {
                (0..5).all(|n| mx_send(port, BOB, &format!("burst {sender}-{n}")))
            })
        })
        .collect();
    for sender in senders {
        assert!(sender.join().expect("sender"), "the MX took the burst");
    }
    wait_until("the burst is archived", Duration::from_secs(60), || {
        casella.logged(COPY_KEPT) >= before + 40
    });
    for sender in 0..8 {
        for n in 0..5 {
            assert_eq!(kept(&casella, &format!("burst {sender}-{n}")), 1);
        }
    }
    let inbox = archived(&bob, "in", &[]);
    assert_eq!(inbox["received"], 42, "{inbox}");

    // The text index made again (as after a change of its format): every message queued,
    // one row's recipients changed meanwhile; after a restart the index says what the rows
    // and the stored bytes say, each message once.
    let mut casella = casella;
    casella.kill();
    sql_live(
        &casella,
        "UPDATE archive_messages SET recipients = 'zeta@reindexed.test' \
         WHERE subject = 'crash: before the write'; \
         INSERT INTO archive_reindex (message_id) SELECT id FROM archive_messages;",
    );
    let casella = Casella::launch(&data, true, &[]);
    wait_until("the index is made again", Duration::from_secs(30), || {
        sql_rows(&casella, "SELECT message_id FROM archive_reindex").is_empty()
    });
    let bob = Web::new(&casella);
    bob.login(BOB, &bob_password).expect("bob signs in");
    assert_eq!(
        subjects(&archived(&bob, "in", &[("to", "reindexed.test")])),
        ["crash: before the write"]
    );
    assert_eq!(subjects(&archived(&bob, "in", &[("q", "crash")])).len(), 2);
    drop(tmp);
}

#[test]
fn past_its_retention_an_archived_message_goes_with_its_bytes_and_its_index() {
    let mut casella = Casella::start(true);
    let operator = flows::operator(&casella);
    let manager = flows::manager_of(&casella, &operator, "it.demo", "demo.test");
    switch_on(&manager, BOB);
    let bob_password = casella.printed[BOB].clone();
    let bob = Web::new(&casella);
    bob.login(BOB, &bob_password).expect("bob signs in");
    for subject in ["retention: expired", "retention: kept"] {
        assert!(mx_accepts(&casella, BOB, subject));
        wait_archived(&bob, "in", subject);
    }
    let expired = kept_row(&casella, "retention: expired");
    assert!(in_content_store(&casella, &expired.1));
    assert_eq!(
        indexed(&casella, &expired.2),
        std::slice::from_ref(&expired.2)
    );
    let data = casella.data.clone();
    let tmp = casella.take_tmp();
    // Stopped, not killed: the engine has recorded each copy as delivered, so none comes
    // again after the restart (an expired message's copy would be kept anew).
    assert!(casella.stop(), "casella stops cleanly");

    // A month and more later: one message is past its retention. Two envelope rows of an
    // earlier version's journal: one's copy never came, the other's came long ago.
    sql(
        &casella,
        &format!(
            "UPDATE archive_messages SET retain_until = date('now', '-1 day') WHERE id = {id}; \
             INSERT INTO journal.archive_envelopes \
               (token, queue_id, login, mail_from, recipients, parties, created_at, state, copies, message_id) \
             VALUES ('never', '1f', '', 'anna@example.test', 'bob@demo.test', '1:in', \
               strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now', '-40 days'), 'pending', 0, 'never@example.test'), \
               ('done', '2f', '', 'anna@example.test', 'bob@demo.test', '1:in', \
               strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now', '-40 days'), 'done', 1, 'done@example.test');",
            id = expired.0
        ),
    );
    // The retention runs once at start.
    let casella = Casella::launch(&data, true, &[]);
    wait_until("the expired message goes", Duration::from_secs(30), || {
        sql_rows(
            &casella,
            "SELECT id FROM archive_messages WHERE subject = 'retention: expired'",
        )
        .is_empty()
    });
    // Its bytes (kept by nothing else), its stored object and its search entry go with it.
    assert!(!in_content_store(&casella, &expired.1));
    assert!(
        sql_rows(
            &casella,
            &format!(
                "SELECT hash FROM stored_objects WHERE hash = '{}'",
                expired.1
            )
        )
        .is_empty()
    );
    assert!(indexed(&casella, &expired.2).is_empty());
    let bob = Web::new(&casella);
    bob.login(BOB, &bob_password).expect("bob signs in");
    let inbox = archived(&bob, "in", &[]);
    assert_eq!(subjects(&inbox), ["retention: kept"]);
    assert_eq!(inbox["received"], 1, "{inbox}");
    assert_eq!(
        subjects(&archived(&bob, "in", &[("q", "retention")])),
        ["retention: kept"]
    );
    // The envelope row done long ago is let go; the one whose copy never came is marked.
    assert_eq!(
        sql_rows(
            &casella,
            "SELECT token || ' ' || state FROM journal.archive_envelopes"
        ),
        ["never not_accepted"]
    );
    // The archive still keeps what comes now.
    assert!(mx_accepts(&casella, BOB, "retention: after"));
    wait_archived(&bob, "in", "retention: after");
    drop(tmp);
}

/// An archived message's row id, content hash and search key, by subject.
fn kept_row(casella: &Casella, subject: &str) -> (String, String, String) {
    let row = sql_rows(
        casella,
        &format!(
            "SELECT id || ' ' || object_hash || ' ' || search_key FROM archive_messages \
             WHERE subject = '{subject}'"
        ),
    );
    let [row] = row.as_slice() else {
        panic!("one row for {subject}: {row:?}");
    };
    let mut parts = row.split(' ').map(str::to_string);
    let mut next = || parts.next().expect("three columns");
    (next(), next(), next())
}

/// The text index's entry for a search key, read from FTS5's own table of entries (the
/// test's SQLite cannot open the index itself): the key, or nothing.
fn indexed(casella: &Casella, key: &str) -> Vec<String> {
    sql_rows(
        casella,
        &format!("SELECT id FROM archive_search_docsize WHERE id = {key}"),
    )
}

/// Whether the content store's index holds an object (read with Python's SQLite, as the
/// panel's database is).
fn in_content_store(casella: &Casella, hash: &str) -> bool {
    let out = std::process::Command::new("python3")
        .args([
            "-c",
            "import sqlite3,sys; db=sqlite3.connect('file:'+sys.argv[1]+'?mode=ro', uri=True, timeout=10); \
             print(db.execute('SELECT count(*) FROM objects WHERE hash = ?', (bytes.fromhex(sys.argv[2]),)).fetchone()[0])",
        ])
        .arg(casella.data.join("objects").join("index.sqlite3"))
        .arg(hash)
        .output()
        .expect("python3");
    assert!(out.status.success(), "query failed: {out:?}");
    String::from_utf8_lossy(&out.stdout).trim() == "1"
}
