// SPDX-License-Identifier: AGPL-3.0-only
//! Casella's integration tests: the whole program, started from outside on free ports, driven
//! through the panel's HTTP API and real IMAP, POP3 and SMTP clients.
// A panic is how a test (and its harness) reports a failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod access_log;
mod accounts;
mod archive;
mod chat;
mod chat_features;
mod client_setup;
mod delegates;
mod dns_check;
mod flows;
mod groups;
mod harness;
mod listing;
mod mail_changes;
mod matrix;
mod policies;
mod safety;
mod slice;
mod time_machine;
mod trace;
mod web_security;
mod webmail;
mod webmail_rules;
mod webmail_settings;
mod webmail_writing;

use harness::{Casella, Web, mail, mail_refused};

/// The field a server function's error names, if any.
fn error_field(err: &serde_json::Value) -> Option<String> {
    ["Invalid", "Conflict"]
        .iter()
        .find_map(|kind| err.get(kind)?.get("field")?.as_str().map(str::to_string))
}

#[test]
fn demo_data_is_created_once_and_its_logins_work() {
    let mut casella = Casella::start(true);
    let alice = casella
        .printed
        .get("alice@demo.test")
        .cloned()
        .expect("alice printed");
    assert!(casella.printed.contains_key("postmaster@demo.test"));
    assert!(casella.printed.contains_key("bob@demo.test"));
    let imaps = casella.ports.imaps.to_string();
    mail(&["imap-login", &imaps, "tls", "alice@demo.test", &alice]);

    // A restart on the same data keeps everything and prints no password again.
    let tmp = casella.take_tmp();
    assert!(casella.stop(), "clean exit on SIGTERM");
    let again = Casella::start_in(&casella.data, true);
    assert!(
        again.printed.is_empty(),
        "nothing printed twice: {:?}",
        again.printed.keys()
    );
    let imaps = again.ports.imaps.to_string();
    mail(&["imap-login", &imaps, "tls", "alice@demo.test", &alice]);
    let web = Web::new(&again);
    web.login("alice@demo.test", &alice)
        .expect("web login after restart");
    drop(again);
    drop(tmp);
}

#[test]
fn web_login_refuses_wrong_passwords_and_app_logins_never_reach_mail() {
    let casella = Casella::start(true);
    let web = Web::new(&casella);
    let err = web
        .login("alice@demo.test", "not-the-password")
        .unwrap_err();
    assert_eq!(error_field(&err).as_deref(), Some("password"));
    let err = web.login("nobody@demo.test", "whatever").unwrap_err();
    assert_eq!(error_field(&err).as_deref(), Some("password"));

    // The operator is a web identity only: no IMAP.
    let imaps = casella.ports.imaps.to_string();
    mail_refused(&[
        "imap-login",
        &imaps,
        "tls",
        "admin",
        &casella.printed["admin"],
    ]);
}

#[test]
fn pages_render_without_javascript_and_guard_sign_in() {
    let casella = Casella::start(true);
    let web = Web::new(&casella);
    let (status, html) = web.page("/login");
    assert_eq!(status, 200);
    assert!(html.contains("name=\"login\"") && html.contains("name=\"password\""));
    let (status, _) = web.page("/operator/domains");
    assert_eq!(status, 302, "signed-out visitors are sent to sign-in");
    web.login("admin", &casella.printed["admin"])
        .expect("login");
    let (status, html) = web.page("/operator/domains");
    assert_eq!(status, 200);
    assert!(
        html.contains("demo.test") && html.contains("Demo S.r.l."),
        "domain list rendered on the server"
    );
    let (status, _) = web.page("/no/such/page");
    assert_eq!(status, 404);

    // A plain form post with a bad value comes back to the form with the error on its field.
    let (status, location) = web.form_post(
        "operator/register_domain",
        "/operator/domains",
        &[("domain", "bad domain"), ("customer", "1")],
    );
    assert_eq!(status, 302);
    assert!(location.contains("__err="), "{location}");
    let path = location.trim_start_matches(&casella.url(""));
    let (_, html) = web.page(path);
    assert!(
        html.contains("id=\"domain-error\""),
        "field error rendered without JavaScript"
    );

    // A generated password reaches a browser without JavaScript exactly once.
    let postmaster = flows::first_sign_in(
        &casella,
        "postmaster@demo.test",
        &casella.printed["postmaster@demo.test"],
    );
    let page = "/domains/demo.test/mailboxes";
    let (status, location) = postmaster.form_post(
        "mailboxes/create_mailbox",
        page,
        &[
            ("domain", "demo.test"),
            ("local_part", "carla"),
            ("first_name", "Carla"),
            ("last_name", "Verdi"),
            ("password", ""),
        ],
    );
    assert_eq!(
        (status, location.trim_end_matches('?').ends_with(page)),
        (302, true),
        "{location}"
    );
    let (_, html) = postmaster.page(page);
    assert!(html.contains("carla@demo.test") && html.contains("credential-password"));
    let (_, html) = postmaster.page(page);
    assert!(!html.contains("credential-password"), "shown once only");
}

#[test]
fn the_mailbox_list_finds_mailboxes_by_the_start_of_their_words() {
    let casella = Casella::start(true);
    let postmaster = flows::first_sign_in(
        &casella,
        "postmaster@demo.test",
        &casella.printed["postmaster@demo.test"],
    );
    let found = |search: &str| -> Vec<String> {
        let list = postmaster
            .call(
                "mailboxes/list_mailboxes",
                &[("domain", "demo.test"), ("page", "0"), ("search", search)],
            )
            .expect("list");
        let rows: Vec<String> = list["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["address"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(list["total"], rows.len(), "total counts the matches");
        rows
    };
    // The demo's alice is Alice Rossi, bob is Bruno Bianchi.
    assert_eq!(
        found(""),
        ["postmaster@demo.test", "alice@demo.test", "bob@demo.test"]
    );
    assert_eq!(found("ros"), ["alice@demo.test"]);
    assert_eq!(found("  BRU   bia "), ["bob@demo.test"]);
    assert_eq!(
        found("bru rossi"),
        Vec::<String>::new(),
        "every word must match"
    );
    assert_eq!(found("alice@demo"), ["alice@demo.test"]);
    assert_eq!(
        found("lice"),
        Vec::<String>::new(),
        "words match from their start"
    );
    assert_eq!(found("100%_"), Vec::<String>::new());

    // New names are found at once, old ones no longer.
    postmaster
        .call(
            "mailboxes/update_personal",
            &[
                ("address", "alice@demo.test"),
                ("first_name", "Alessia"),
                ("last_name", "Verdi"),
            ],
        )
        .expect("rename");
    assert_eq!(found("verdi"), ["alice@demo.test"]);
    assert_eq!(found("rossi"), Vec::<String>::new());

    // A new mailbox is found by the pieces of its address; a deleted one is gone.
    flows::mailbox(&postmaster, "demo.test", "mario.rossi");
    assert_eq!(found("rossi"), ["mario.rossi@demo.test"]);
    postmaster
        .call(
            "mailboxes/delete_mailbox",
            &[
                ("address", "mario.rossi@demo.test"),
                ("confirm", "mario.rossi@demo.test"),
            ],
        )
        .expect("delete");
    assert_eq!(found("rossi"), Vec::<String>::new());
}
