// SPDX-License-Identifier: AGPL-3.0-only
//! The access log (issue 9, §4): sign-ins to the web and of real IMAP, POP3 and SMTP clients,
//! right and wrong, and one refused for a switched-off protocol, as the postmaster reads them
//! (filters, pages, CSV) and the user its own; the e-mail after a sign-in from a new address
//! that follows failures.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::{
    error_field,
    flows::{self, PASSWORD},
    harness::{Casella, Web, mail, mail_refused, sql},
};

fn log(web: &Web, filters: &[(&str, &str)]) -> Value {
    let mut form = vec![("domain", "log.test")];
    let keys: Vec<String> = filters.iter().map(|(k, _)| format!("query[{k}]")).collect();
    for ((_, v), k) in filters.iter().zip(&keys) {
        form.push((k.as_str(), *v));
    }
    web.call("domain/access_log", &form).expect("access log")
}

fn rows(page: &Value) -> Vec<(String, String, String, String)> {
    page["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["login"].as_str().unwrap().to_string(),
                r["protocol"].as_str().unwrap().to_string(),
                r["result"].as_str().unwrap().to_string(),
                r["ip"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn every_sign_in_is_in_the_access_log() {
    let mut casella = Casella::start(true);
    let operator = flows::operator(&casella);
    let postmaster = flows::customer_domain(&casella, &operator, "log.test", 10);
    let user = flows::mailbox(&postmaster, "log.test", "lina");
    let imaps = casella.ports.imaps.to_string();
    let pop3s = casella.ports.pop3s.to_string();
    let submissions = casella.ports.submissions.to_string();

    // One wrong and one right sign-in over each way in.
    let web = Web::new(&casella);
    web.login(&user, "Not-Her-Password-1").unwrap_err();
    web.login(&user, PASSWORD).expect("web");
    mail_refused(&["imap-login", &imaps, "tls", &user, "Not-Her-Password-1"]);
    mail(&["imap-login", &imaps, "tls", &user, PASSWORD]);
    mail_refused(&["pop3-login", &pop3s, "tls", &user, "Not-Her-Password-1"]);
    mail(&["pop3-login", &pop3s, "tls", &user, PASSWORD]);
    mail_refused(&[
        "submit",
        &submissions,
        "tls",
        &user,
        "Not-Her-Password-1",
        &user,
        &user,
        "x",
    ]);
    mail(&[
        "submit",
        &submissions,
        "tls",
        &user,
        PASSWORD,
        &user,
        &user,
        "hello",
    ]);
    // The right password, but IMAP switched off.
    postmaster
        .call(
            "mailboxes/set_protocols",
            &[("address", &user), ("pop3", "on"), ("smtp", "on")],
        )
        .expect("IMAP off");
    mail_refused(&["imap-login", &imaps, "tls", &user, PASSWORD]);

    let wanted = [
        ("web", "ok"),
        ("web", "wrong-password"),
        ("imap", "ok"),
        ("imap", "wrong-password"),
        ("imap", "protocol-disabled"),
        ("pop3", "ok"),
        ("pop3", "wrong-password"),
        ("smtp", "ok"),
        ("smtp", "wrong-password"),
    ];
    let deadline = Instant::now() + Duration::from_secs(20);
    let found = loop {
        let found = rows(&log(&postmaster, &[("account", "lina")]));
        let complete = wanted.iter().all(|(p, r)| {
            found
                .iter()
                .any(|(l, fp, fr, ip)| l == &user && fp == p && fr == r && ip == "127.0.0.1")
        });
        if complete || Instant::now() > deadline {
            break found;
        }
        std::thread::sleep(Duration::from_millis(300));
    };
    for (protocol, result) in wanted {
        assert!(
            found.iter().any(|(l, p, r, ip)| l == &user
                && p == protocol
                && r == result
                && ip == "127.0.0.1"),
            "{protocol} {result} in {found:?}"
        );
    }

    // Filters: protocol and result; a wrong date is named on its field.
    let imap_ok = rows(&log(&postmaster, &[("protocol", "imap"), ("result", "ok")]));
    assert!(!imap_ok.is_empty());
    assert!(
        imap_ok.iter().all(|(_, p, r, _)| p == "imap" && r == "ok"),
        "{imap_ok:?}"
    );
    let err = postmaster
        .call(
            "domain/access_log",
            &[("domain", "log.test"), ("query[from]", "yesterday")],
        )
        .unwrap_err();
    assert_eq!(error_field(&err).as_deref(), Some("from"), "{err}");
    let today = chrono_today();
    assert!(!rows(&log(&postmaster, &[("from", &today), ("to", &today)])).is_empty());
    assert!(rows(&log(&postmaster, &[("to", "2020-01-01")])).is_empty());

    // CSV, with the same filters.
    let (status, media_type, body) =
        postmaster.bytes("/domains/log.test/access-log.csv?protocol=pop3");
    assert_eq!(status, 200);
    assert!(media_type.starts_with("text/csv"), "{media_type}");
    let csv = String::from_utf8(body).unwrap();
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("time,account,protocol,result,address"));
    let lines: Vec<&str> = lines.collect();
    assert!(
        lines.len() >= 2 && lines.iter().all(|l| l.contains(",pop3,")),
        "{csv}"
    );
    assert_eq!(
        Web::new(&casella)
            .bytes("/domains/log.test/access-log.csv")
            .0,
        401
    );

    // The user sees its own sign-ins, and nobody else's.
    let own = web.call("account/access_log", &[]).expect("own access log");
    let own = rows(&own);
    assert!(
        !own.is_empty() && own.iter().all(|(l, ..)| l == &user),
        "{own:?}"
    );
    // The postmaster of another domain sees none of them.
    let other = flows::customer_domain(&casella, &operator, "other.test", 5);
    let err = other
        .call("domain/access_log", &[("domain", "log.test")])
        .unwrap_err();
    assert_eq!(err, "NotFound");

    // A sign-in from a new address after failed attempts is told to the mailbox.
    mail(&[
        "pop3-find",
        &pop3s,
        "tls",
        &user,
        PASSWORD,
        "Nuovo accesso al tuo account / New sign-in to your account",
    ]);

    // Pages: newest first, 50 at a time, the same at any depth.
    let tmp = casella.take_tmp();
    assert!(casella.stop());
    let mut script = String::from("BEGIN;");
    for i in 0..120 {
        script.push_str(&format!(
            "INSERT INTO access_log (at, login, domain, protocol, result, remote_ip) \
             VALUES ('2026-11-30 10:{:02}:{:02}+00:00', 'old@log.test', 'log.test', 'imap', 'ok', '10.0.0.{}');",
            i / 60,
            i % 60,
            i % 250
        ));
    }
    script.push_str("COMMIT;");
    sql(&casella, &script);
    let again = Casella::start_in(&casella.data, true);
    let postmaster = Web::new(&again);
    postmaster
        .login("postmaster@log.test", PASSWORD)
        .expect("postmaster after restart");
    let mut seen = Vec::new();
    let mut before: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut form = vec![("domain", "log.test"), ("query[account]", "old@")];
        if let Some(b) = &before {
            form.push(("query[before]", b.as_str()));
        }
        let page = postmaster.call("domain/access_log", &form).unwrap();
        let batch = rows(&page);
        assert!(batch.len() <= 50);
        seen.extend(batch.into_iter().map(|(_, _, _, ip)| ip));
        pages += 1;
        match page["older"].as_i64() {
            Some(older) => before = Some(older.to_string()),
            None => break,
        }
    }
    assert_eq!((pages, seen.len()), (3, 120), "three pages, every row once");
    // Newest first: the last inserted (10.0.0.119) leads.
    assert_eq!(seen[0], "10.0.0.119");
    drop(postmaster);
    drop(again);
    drop(tmp);
}

/// Today's date (UTC) as the filters take it.
fn chrono_today() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let days = i64::try_from(secs / 86_400).unwrap();
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!("{y:04}-{m:02}-{d:02}")
}
