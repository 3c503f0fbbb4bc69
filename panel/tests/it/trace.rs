// SPDX-License-Identifier: AGPL-3.0-only
//! Tracemail (issue 9, §4): real SMTP clients send messages inside a domain, to another
//! hosted domain, to a domain that does not exist, in from another server, to an unknown
//! mailbox and past the daily send limit; each domain's postmaster finds every recipient with
//! the status it came to, the Message-ID, the size and the server's reply, searches by
//! address, status and dates, pages a long trace without gaps, and exports it as CSV.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::{
    error_field,
    flows::{self, PASSWORD},
    harness::{Casella, Web, mail, sql},
};

fn trace(web: &Web, domain: &str, filters: &[(&str, &str)]) -> Value {
    let mut form = vec![("domain", domain)];
    let keys: Vec<String> = filters.iter().map(|(k, _)| format!("query[{k}]")).collect();
    for ((_, v), k) in filters.iter().zip(&keys) {
        form.push((k.as_str(), *v));
    }
    web.call("domain/trace", &form).expect("trace")
}

fn rows(page: &Value) -> Vec<Value> {
    page["rows"].as_array().unwrap().clone()
}

/// The row of `recipient` whose sender is `sender`, once it reached `status`.
fn wait_for_row(web: &Web, domain: &str, sender: &str, recipient: &str, status: &str) -> Value {
    wait_for(web, domain, sender, recipient, status, |_| true)
}

/// Waits for the row from `sender` to `recipient` that `is_it` picks to come to `status`.
fn wait_for(
    web: &Web,
    domain: &str,
    sender: &str,
    recipient: &str,
    status: &str,
    is_it: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let page = trace(web, domain, &[("address", recipient)]);
        let found = rows(&page)
            .into_iter()
            .find(|r| r["sender"] == sender && r["recipient"] == recipient && is_it(r));
        if let Some(row) = &found
            && row["status"] == status
        {
            return row.clone();
        }
        if Instant::now() >= deadline {
            // The whole trace of the domain, to tell a missing row from a stuck one.
            let all = rows(&trace(web, domain, &[]));
            panic!(
                "{sender} → {recipient} never {status} in {domain}: {found:?}\nthe trace: {all:#?}"
            );
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// Another writer holding the panel's SQLite database, as a long write would.
struct Held(std::process::Child);

fn hold_database(casella: &Casella, for_how_long: Duration) -> Held {
    use std::io::BufRead;
    let script = "import sqlite3, sys, time\n\
        c = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)\n\
        c.execute('BEGIN IMMEDIATE')\n\
        print('held', flush=True)\n\
        time.sleep(float(sys.argv[2]))\n\
        c.execute('COMMIT')\n";
    let mut child = std::process::Command::new("python3")
        .args(["-c", script])
        .arg(casella.data.join("panel.sqlite3"))
        .arg(for_how_long.as_secs_f64().to_string())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("python3");
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.as_mut().expect("stdout"))
        .read_line(&mut line)
        .expect("held");
    assert_eq!(line.trim(), "held");
    Held(child)
}

impl Held {
    /// Waits until the writer lets go.
    fn finish(mut self) {
        assert!(self.0.wait().expect("writer").success());
    }
}

fn today() -> String {
    let out = std::process::Command::new("date")
        .args(["-u", "+%Y-%m-%d"])
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

#[test]
fn every_message_is_traced_to_where_it_ended() {
    // The smallest send tier allows 3 external recipients a day.
    let casella = Casella::start_with(true, &[("CASELLA_SEND_TIERS", "[3, 5, 2000, 5000]")]);
    let operator = flows::operator(&casella);
    let postmaster = flows::customer_domain(&casella, &operator, "trace.test", 10);
    let far = flows::customer_domain(&casella, &operator, "far.test", 5);
    let ada = flows::mailbox(&postmaster, "trace.test", "ada");
    let bob = flows::mailbox(&postmaster, "trace.test", "bob");
    let eve = flows::mailbox(&far, "far.test", "eve");
    let submissions = casella.ports.submissions.to_string();
    let mx = casella.ports.smtp.to_string();
    let send = |mode: &str, port: &str, sender: &str, to: &str, id: &str| {
        mail(&["send", port, mode, &ada, PASSWORD, sender, to, id, id])
    };

    // Inside the domain, to another hosted domain, and out to a domain that does not exist,
    // in one submission.
    let nowhere = "someone@nowhere.invalid";
    let codes = send(
        "tls",
        &submissions,
        &ada,
        &format!("{bob},{eve},{nowhere}"),
        "first.1@trace.test",
    );
    assert_eq!(codes.trim(), "250 250 250 250", "{codes}");
    // In from another server: a known and an unknown mailbox.
    let codes = send(
        "mx",
        &mx,
        "news@outside.test",
        &format!("{bob},ghost@trace.test"),
        "news.7@outside.test",
    );
    assert_eq!(codes.trim(), "250 550 250", "{codes}");

    let internal = wait_for_row(&postmaster, "trace.test", &ada, &bob, "delivered");
    assert_eq!(internal["direction"], "internal", "{internal}");
    assert_eq!(internal["message_id"], "first.1@trace.test", "{internal}");
    assert!(internal["size"].as_i64().unwrap() > 100, "{internal}");
    assert!(!internal["queue_id"].as_str().unwrap().is_empty());
    assert_eq!(internal["remote_ip"], "127.0.0.1", "{internal}");

    // A message between two hosted domains is in both, from each side.
    let out = wait_for_row(&postmaster, "trace.test", &ada, &eve, "delivered");
    assert_eq!(out["direction"], "out", "{out}");
    let inbound = wait_for_row(&far, "far.test", &ada, &eve, "delivered");
    assert_eq!(inbound["direction"], "in", "{inbound}");
    assert_eq!(inbound["message_id"], "first.1@trace.test");

    // The domain without a mail server: bounced with the reason, and the bounce came back.
    let bounced = wait_for_row(&postmaster, "trace.test", &ada, nowhere, "bounced");
    assert_eq!(bounced["direction"], "out", "{bounced}");
    assert!(!bounced["detail"].as_str().unwrap().is_empty(), "{bounced}");
    assert_eq!(bounced["message_id"], "first.1@trace.test", "{bounced}");
    let notice = wait_for_row(&postmaster, "trace.test", "", &ada, "delivered");
    assert_eq!(notice["direction"], "in", "{notice}");

    // From another server: delivered, and the unknown mailbox refused at RCPT.
    let news = wait_for_row(
        &postmaster,
        "trace.test",
        "news@outside.test",
        &bob,
        "delivered",
    );
    assert_eq!(news["direction"], "in", "{news}");
    assert_eq!(news["message_id"], "news.7@outside.test", "{news}");
    assert_eq!(news["remote_ip"], "127.0.0.1", "{news}");
    let ghost = wait_for_row(
        &postmaster,
        "trace.test",
        "news@outside.test",
        "ghost@trace.test",
        "rejected",
    );
    assert!(
        ghost["detail"].as_str().unwrap().contains("5.1.2"),
        "{ghost}"
    );

    // Past the daily send limit: the refused recipients are in the trace as rejected.
    let externals = ["a@ext.test", "b@ext.test", "c@ext.test", "d@ext.test"];
    let codes = mail(&[
        "rcpt-codes",
        &submissions,
        "tls",
        &ada,
        PASSWORD,
        &ada,
        &externals.join(","),
    ]);
    let refused: Vec<&str> = externals
        .iter()
        .zip(codes.split_whitespace())
        .filter(|(_, code)| *code == "452")
        .map(|(r, _)| *r)
        .collect();
    assert!(!refused.is_empty(), "the send limit refused none: {codes}");
    for recipient in &refused {
        let row = wait_for_row(&postmaster, "trace.test", &ada, recipient, "rejected");
        assert_eq!(row["direction"], "out", "{row}");
        assert!(row["detail"].as_str().unwrap().contains("4.4.5"), "{row}");
    }

    // Search: by status, by address (sender or recipient), by dates; a wrong address or date
    // is named on its field.
    let bounced_only = rows(&trace(&postmaster, "trace.test", &[("status", "bounced")]));
    assert!(
        !bounced_only.is_empty() && bounced_only.iter().all(|r| r["status"] == "bounced"),
        "{bounced_only:?}"
    );
    let bobs = rows(&trace(&postmaster, "trace.test", &[("address", &bob)]));
    assert!(bobs.len() >= 2, "{bobs:?}");
    assert!(
        bobs.iter()
            .all(|r| r["sender"] == bob.as_str() || r["recipient"] == bob.as_str()),
        "{bobs:?}"
    );
    let adas = rows(&trace(&postmaster, "trace.test", &[("address", &ada)]));
    assert!(
        adas.iter().any(|r| r["sender"] == ada.as_str())
            && adas.iter().any(|r| r["recipient"] == ada.as_str()),
        "sent and received: {adas:?}"
    );
    let day = today();
    assert!(
        !rows(&trace(
            &postmaster,
            "trace.test",
            &[("from", &day), ("to", &day)]
        ))
        .is_empty()
    );
    assert!(rows(&trace(&postmaster, "trace.test", &[("to", "2020-01-01")])).is_empty());
    for (field, value) in [("address", "bob"), ("from", "yesterday")] {
        let key = format!("query[{field}]");
        let err = postmaster
            .call("domain/trace", &[("domain", "trace.test"), (&key, value)])
            .unwrap_err();
        assert_eq!(error_field(&err).as_deref(), Some(field), "{err}");
    }

    // Each domain sees its own side only.
    let far_rows = rows(&trace(&far, "far.test", &[]));
    assert!(
        far_rows.iter().all(|r| r["recipient"] == eve.as_str()),
        "{far_rows:?}"
    );
    assert!(
        far.call("domain/trace", &[("domain", "trace.test")])
            .is_err()
    );

    // A database busy with a long write (longer than a write waits for it) delays the trace
    // and the access log, and loses nothing: another writer holds the panel's database while
    // a message goes through.
    let held = hold_database(&casella, Duration::from_secs(8));
    let codes = send("tls", &submissions, &ada, &bob, "busy.2@trace.test");
    assert_eq!(codes.trim(), "250 250", "{codes}");
    held.finish();
    let late = wait_for(&postmaster, "trace.test", &ada, &bob, "delivered", |r| {
        r["message_id"] == "busy.2@trace.test"
    });
    assert_eq!(late["direction"], "internal", "{late}");
    // Three sign-ins to send: the first message, the send limit's and this one.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let sign_ins = rows(
            &postmaster
                .call(
                    "domain/access_log",
                    &[
                        ("domain", "trace.test"),
                        ("query[account]", ada.as_str()),
                        ("query[protocol]", "smtp"),
                        ("query[result]", "ok"),
                    ],
                )
                .expect("access log"),
        );
        if sign_ins.len() >= 3 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "a sign-in was lost: {sign_ins:?}"
        );
        std::thread::sleep(Duration::from_millis(250));
    }

    // CSV, with the same filters; never without a session.
    let (status, media_type, body) =
        postmaster.bytes("/domains/trace.test/trace.csv?status=rejected");
    assert_eq!(status, 200);
    assert!(media_type.starts_with("text/csv"), "{media_type}");
    let csv = String::from_utf8(body).unwrap();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some(
            "time,direction,sender,recipient,message_id,queue_id,size,status,detail,remote_host,remote_ip,updated"
        )
    );
    let lines: Vec<&str> = lines.collect();
    assert_eq!(lines.len(), refused.len() + 1, "{csv}");
    assert!(lines.iter().all(|l| l.contains(",rejected,")), "{csv}");
    assert_eq!(
        Web::new(&casella).bytes("/domains/trace.test/trace.csv").0,
        401
    );
}

#[test]
fn a_long_trace_pages_newest_first_without_gaps() {
    let casella = Casella::start(true);
    let operator = flows::operator(&casella);
    let postmaster = flows::customer_domain(&casella, &operator, "pages.test", 5);
    // 130 rows over two seconds (several per second: the order within one is by id).
    let mut script = String::from("BEGIN;");
    for i in 0..130 {
        let at = if i < 65 {
            "2026-12-01T10:00:00+00:00"
        } else {
            "2026-12-01T10:00:01+00:00"
        };
        script.push_str(&format!(
            "INSERT INTO message_trace (at, updated_at, domain, direction, queue_id, sender, \
             recipient, size, status) VALUES ('{at}', '{at}', 'pages.test', 'out', {i}, \
             'a@pages.test', 'r{i}@ext.test', 1000, 'delivered');"
        ));
    }
    script.push_str("COMMIT;");
    sql(&casella, &script);

    let mut seen = Vec::new();
    let mut before: Option<String> = None;
    for _ in 0..10 {
        let mut filters = vec![];
        if let Some(b) = &before {
            filters.push(("before", b.as_str()));
        }
        let page = trace(&postmaster, "pages.test", &filters);
        let page_rows = rows(&page);
        assert!(page_rows.len() <= 50);
        seen.extend(
            page_rows
                .iter()
                .map(|r| r["recipient"].as_str().unwrap().to_string()),
        );
        match page["older"].as_i64() {
            Some(id) => before = Some(id.to_string()),
            None => {
                before = None;
                break;
            }
        }
    }
    assert!(before.is_none(), "more than 10 pages of 50 for 130 rows");
    let expected: Vec<String> = (0..130).rev().map(|i| format!("r{i}@ext.test")).collect();
    assert_eq!(seen, expected);
}
