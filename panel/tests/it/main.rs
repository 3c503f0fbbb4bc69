// SPDX-License-Identifier: AGPL-3.0-only
//! Casella's integration tests: the whole program, started from outside on free ports, driven
//! through the panel's HTTP API and real IMAP, POP3 and SMTP clients.
// A panic is how a test (and its harness) reports a failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod harness;
mod slice;

use harness::{Casella, Web, mail, mail_result};

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
fn roles_only_reach_their_own_operations() {
    let casella = Casella::start(true);
    let anonymous = Web::new(&casella);
    assert_eq!(
        anonymous.call("domains/list", &[]).unwrap_err(),
        serde_json::json!("Unauthorized")
    );
    assert_eq!(
        anonymous.call("mailboxes/list", &[]).unwrap_err(),
        serde_json::json!("Unauthorized")
    );

    let postmaster = Web::new(&casella);
    postmaster
        .login(
            "postmaster@demo.test",
            &casella.printed["postmaster@demo.test"],
        )
        .expect("postmaster login");
    assert_eq!(
        postmaster
            .call("domains/register", &[("domain", "evil.test")])
            .unwrap_err(),
        serde_json::json!("Forbidden")
    );
    let list = postmaster
        .call("mailboxes/list", &[])
        .expect("own mailboxes");
    assert_eq!(list.as_array().map(Vec::len), Some(3));

    let user = Web::new(&casella);
    user.login("bob@demo.test", &casella.printed["bob@demo.test"])
        .expect("user login");
    assert_eq!(
        user.call("mailboxes/list", &[]).unwrap_err(),
        serde_json::json!("Forbidden")
    );
    assert_eq!(
        user.call(
            "mailboxes/create",
            &[
                ("local_part", "x"),
                ("first_name", ""),
                ("last_name", ""),
                ("password", "")
            ]
        )
        .unwrap_err(),
        serde_json::json!("Forbidden")
    );
    user.call("mailboxes/client_settings", &[])
        .expect("own settings");

    let operator = Web::new(&casella);
    operator
        .login("admin", &casella.printed["admin"])
        .expect("operator login");
    assert_eq!(
        operator.call("mailboxes/list", &[]).unwrap_err(),
        serde_json::json!("Forbidden")
    );
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
    let (ok, out) = mail_result(&[
        "imap-login",
        &imaps,
        "tls",
        "admin",
        &casella.printed["admin"],
    ]);
    assert!(!ok, "operator must not log in over IMAP: {out}");
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
        html.contains("demo.test"),
        "domain list rendered on the server"
    );
    let (status, _) = web.page("/no/such/page");
    assert_eq!(status, 404);

    // A plain form post with a bad value comes back to the form with the error on its field.
    let (status, location) = web.form_post(
        "domains/register",
        "/operator/domains",
        &[("domain", "bad domain")],
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
    let (status, location) = web.form_post(
        "domains/register",
        "/operator/domains",
        &[("domain", "nojs.test")],
    );
    assert_eq!(
        (
            status,
            location
                .trim_end_matches('?')
                .ends_with("/operator/domains")
        ),
        (302, true),
        "{location}"
    );
    let (_, html) = web.page("/operator/domains");
    assert!(html.contains("postmaster@nojs.test") && html.contains("credential-password"));
    let (_, html) = web.page("/operator/domains");
    assert!(!html.contains("credential-password"), "shown once only");
}
