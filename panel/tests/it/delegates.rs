// SPDX-License-Identifier: AGPL-3.0-only
//! Delegates, end to end on the real binary: a manager gives a person (not a mailbox) one
//! archive, an expiry and a window; the delegate signs in with the e-mailed credentials,
//! reads and downloads inside its window only, never puts back, and every read is logged —
//! the mailbox's owner sees who read what, the manager sees its delegates' reads. Outside the
//! window, after the expiry, or once deleted, it reaches nothing.

use serde_json::Value;

use crate::{
    error_field, flows,
    harness::{Casella, Web, mail, sql_rows},
};

const BOB: &str = "bob@demo.test";
const ALICE: &str = "alice@demo.test";

fn delegate_form<'a>(
    login: &'a str,
    expires_on: &'a str,
    window: (&'a str, &'a str),
    archive: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("login", login),
        ("display_name", "Anna Revisora"),
        ("email", ALICE),
        ("expires_on", expires_on),
        ("window_from", window.0),
        ("window_to", window.1),
        ("archives[0]", archive),
    ]
}

fn view(web: &Web, form: &[(&str, &str)]) -> Result<Value, Value> {
    web.call("mail/archive", form)
}

fn subjects(v: &Value) -> Vec<String> {
    v["list"]["rows"]
        .as_array()
        .map(|rows| {
            rows.iter()
                .map(|r| r["subject"].as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// Waits until bob's own archive lists `subject`; returns its id.
fn wait_archived(bob: &Web, subject: &str) -> String {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let v = view(bob, &[("query[folder]", "in")]).expect("bob's archive");
        if let Some(row) = v["list"]["rows"]
            .as_array()
            .and_then(|rows| rows.iter().find(|r| r["subject"] == subject))
        {
            return row["id"].as_str().expect("id").to_string();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{subject} never archived"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}

fn day(casella: &Casella, modifier: &str) -> String {
    sql_rows(casella, &format!("SELECT date('now', '{modifier}')"))
        .pop()
        .expect("a date")
}

fn reads(v: &Value) -> Vec<(String, String)> {
    v["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| {
            (
                r["reader"].as_str().unwrap_or_default().to_string(),
                r["action"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

#[test]
fn a_delegate_reads_only_its_archives_inside_its_window_until_its_expiry_and_the_owner_sees_its_reads()
 {
    let casella = Casella::start(true);
    let operator = flows::operator(&casella);
    let manager = flows::manager_of(&casella, &operator, "it.demo", "demo.test");
    let alice_password = casella.printed[ALICE].clone();
    let bob = Web::new(&casella);
    bob.login(BOB, &casella.printed[BOB]).expect("bob signs in");
    manager
        .call(
            "mailboxes/set_archive",
            &[
                ("address", BOB),
                ("archive", "on"),
                ("retention_years", "1"),
            ],
        )
        .expect("archive on");
    let submissions = casella.ports.submissions.to_string();
    for subject in ["delegates: the contract", "delegates: the invoice"] {
        mail(&[
            "submit",
            &submissions,
            "tls",
            ALICE,
            &alice_password,
            ALICE,
            BOB,
            subject,
        ]);
    }
    let contract = wait_archived(&bob, "delegates: the contract");
    wait_archived(&bob, "delegates: the invoice");

    // The manager's page offers the archives of its domains.
    let listed = manager.call("delegates/list", &[]).expect("list");
    assert_eq!(listed["delegates"], serde_json::json!([]));
    let archive = listed["archives"]
        .as_array()
        .and_then(|a| a.iter().find(|a| a["address"] == BOB))
        .and_then(|a| a["id"].as_str())
        .expect("bob's archive offered")
        .to_string();
    let today = day(&casella, "+0 days");
    let yesterday = day(&casella, "-1 day");

    // Each wrong field is named, and nothing is created.
    for (form, field) in [
        (
            delegate_form("anna", &yesterday, ("", ""), &archive),
            "expires_on",
        ),
        (
            delegate_form("anna", "31/12/2030", ("", ""), &archive),
            "expires_on",
        ),
        (
            delegate_form("anna", &today, (&today, &yesterday), &archive),
            "window_to",
        ),
        (
            delegate_form("anna", &today, ("", ""), "999999"),
            "archives",
        ),
        (delegate_form("a", &today, ("", ""), &archive), "login"),
        (
            delegate_form("it.demo", &today, ("", ""), &archive),
            "login",
        ),
    ] {
        let err = manager.call("delegates/create", &form).unwrap_err();
        assert_eq!(error_field(&err).as_deref(), Some(field), "{err}");
    }
    assert_eq!(
        sql_rows(&casella, "SELECT COUNT(*) FROM delegates"),
        vec!["0"]
    );

    // Created with today's window; its credentials are e-mailed and must be changed.
    let sent_to = manager
        .call(
            "delegates/create",
            &delegate_form("anna", &today, (&today, &today), &archive),
        )
        .expect("delegate created");
    assert_eq!(sent_to, ALICE);
    let emailed = flows::emailed_password(&casella, ALICE, "anna");
    let anna = Web::new(&casella);
    anna.login("anna", &emailed).expect("first sign-in");
    assert_eq!(
        view(&anna, &[("query[folder]", "in")]).unwrap_err(),
        "PasswordChangeRequired"
    );
    let anna = flows::first_sign_in(&casella, "anna", &emailed);
    let me = anna.call("auth/current_user", &[]).expect("me");
    assert_eq!(me["role"], "Delegate", "{me}");

    // It sees bob's archive, read-only, and nothing of anyone's mailbox.
    let seen = view(&anna, &[("query[folder]", "in")]).expect("delegate's archive");
    assert_eq!(seen["owner"], false);
    assert_eq!(seen["archives"][0]["address"], BOB);
    assert_eq!(seen["expires_on"], today.as_str());
    let mut found = subjects(&seen);
    found.sort();
    assert_eq!(found, ["delegates: the contract", "delegates: the invoice"]);
    assert_eq!(anna.call("mail/folders", &[]).unwrap_err(), "Forbidden");
    assert_eq!(
        anna.call("mail/archive_put_back", &[("id", &contract)])
            .unwrap_err(),
        "Forbidden"
    );
    assert_eq!(anna.call("delegates/list", &[]).unwrap_err(), "Forbidden");

    // A search, an opened message, a download: each read is logged once.
    let searched = view(
        &anna,
        &[("query[folder]", "in"), ("query[subject]", "contract")],
    )
    .expect("search");
    assert_eq!(subjects(&searched), ["delegates: the contract"]);
    let opened = view(
        &anna,
        &[("query[folder]", "in"), ("query[open]", &contract)],
    )
    .expect("opened");
    assert_eq!(
        opened["message"]["row"]["subject"],
        "delegates: the contract"
    );
    // The page and its reader opening the same message again count as one read.
    view(
        &anna,
        &[("query[folder]", "in"), ("query[open]", &contract)],
    )
    .expect("again");
    let (status, _, eml) = anna.bytes(&format!("/webmail/archive/{contract}/source"));
    assert_eq!(status, 200);
    assert!(String::from_utf8_lossy(&eml).contains("delegates: the contract"));

    // The owner sees who read what; the manager sees its delegate's reads.
    let own = view(&bob, &[("query[folder]", "reads")]).expect("bob's reads");
    assert_eq!(own["owner"], true);
    assert_eq!(own["reads_total"], 2, "{own}");
    assert_eq!(
        reads(&own["reads"]),
        [
            ("anna".to_string(), "download".to_string()),
            ("anna".to_string(), "read".to_string())
        ]
    );
    assert_eq!(
        own["reads"]["rows"][0]["subject"],
        "delegates: the contract"
    );
    let logged = manager
        .call("delegates/reads", &[("login", "anna")])
        .expect("manager's log");
    assert_eq!(logged["total"], 2);
    assert_eq!(logged["rows"][0]["address"], BOB);

    // A new password from its manager: e-mailed, the one it chose stops working, and the new
    // one must be changed at the next sign-in.
    manager
        .call("delegates/reset_password", &[("login", "anna")])
        .expect("new password");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let renewed = loop {
        let latest = flows::emailed_password(&casella, ALICE, "anna");
        if latest != emailed {
            break latest;
        }
        assert!(std::time::Instant::now() < deadline, "no second e-mail");
        std::thread::sleep(std::time::Duration::from_millis(300));
    };
    assert!(Web::new(&casella).login("anna", flows::PASSWORD).is_err());
    let anna = flows::first_sign_in(&casella, "anna", &renewed);

    // The staff's two-factor rule is a delegate's too: required, it enrols before reading.
    operator
        .call("operator/set_staff_two_factor", &[("required", "true")])
        .expect("staff 2FA");
    let enrolling = Web::new(&casella);
    enrolling
        .login("anna", flows::PASSWORD)
        .expect("password step");
    assert_eq!(
        view(&enrolling, &[("query[folder]", "in")]).unwrap_err(),
        "TwoFactorRequired"
    );
    crate::accounts::enrol(&enrolling);
    view(&enrolling, &[("query[folder]", "in")]).expect("enrolled");
    operator
        .call("operator/set_staff_two_factor", &[("required", "false")])
        .expect("staff 2FA off");
    // Turning 2FA on ended its other sessions.
    assert_eq!(
        view(&anna, &[("query[folder]", "in")]).unwrap_err(),
        "Unauthorized"
    );
    let anna = enrolling;

    // Outside its window: nothing listed, the message it read is "not found".
    let mut narrowed = delegate_form("anna", &today, (&yesterday, &yesterday), &archive);
    narrowed.retain(|(k, _)| *k != "login");
    narrowed.push(("login", "anna"));
    manager
        .call("delegates/update", &narrowed)
        .expect("window moved");
    let outside = view(&anna, &[("query[folder]", "in")]).expect("still signed in");
    assert_eq!(subjects(&outside), Vec::<String>::new());
    assert_eq!(outside["received"], 0);
    assert_eq!(
        view(
            &anna,
            &[("query[folder]", "in"), ("query[open]", &contract)]
        )
        .unwrap_err(),
        "NotFound"
    );
    let (status, _, _) = anna.bytes(&format!("/webmail/archive/{contract}/source"));
    assert_eq!(status, 404);
    assert_eq!(
        sql_rows(&casella, "SELECT COUNT(*) FROM archive_reads"),
        vec!["2"],
        "a refused read is not logged"
    );

    // Past its last day: nothing is found, and it cannot sign in again.
    let mut widened = delegate_form("anna", &today, ("", ""), &archive);
    widened.retain(|(k, _)| *k != "login");
    widened.push(("login", "anna"));
    manager
        .call("delegates/update", &widened)
        .expect("window open");
    assert_eq!(
        subjects(&view(&anna, &[("query[folder]", "in")]).expect("reach")).len(),
        2
    );
    crate::harness::sql_live(
        &casella,
        "UPDATE delegates SET expires_on = date('now', '-1 day') WHERE login = 'anna'",
    );
    assert_eq!(
        view(&anna, &[("query[folder]", "in")]).unwrap_err(),
        "NotFound"
    );
    let (status, _, _) = anna.bytes(&format!("/webmail/archive/{contract}/source"));
    assert_eq!(status, 404);
    let refused = Web::new(&casella)
        .login("anna", flows::PASSWORD)
        .unwrap_err();
    assert_eq!(error_field(&refused).as_deref(), Some("password"));
    assert!(refused.to_string().contains("ended"), "{refused}");
    let listed = manager.call("delegates/list", &[]).expect("list");
    assert_eq!(listed["delegates"][0]["expired"], true);

    // Deleted (the login typed to confirm): it cannot sign in; its reads stay in the log.
    let err = manager
        .call("delegates/delete", &[("login", "anna"), ("confirm", "ann")])
        .unwrap_err();
    assert_eq!(error_field(&err).as_deref(), Some("confirm"));
    manager
        .call(
            "delegates/delete",
            &[("login", "anna"), ("confirm", "anna")],
        )
        .expect("deleted");
    assert!(Web::new(&casella).login("anna", flows::PASSWORD).is_err());
    assert_eq!(
        manager
            .call("delegates/reads", &[("login", "anna")])
            .unwrap_err(),
        "NotFound"
    );
    let own = view(&bob, &[("query[folder]", "reads")]).expect("bob's reads");
    assert_eq!(own["reads_total"], 2);
    // The manager's own audit log shows what it did to its delegates.
    let logged = manager
        .call("domain/audit_log", &[("page", "0")])
        .expect("manager's audit log");
    let mut audit: Vec<String> = logged["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .filter_map(|r| r["action"].as_str())
        .filter(|a| a.starts_with("delegate."))
        .map(str::to_string)
        .collect();
    audit.reverse();
    assert_eq!(
        audit,
        [
            "delegate.create",
            "delegate.password",
            "delegate.update",
            "delegate.update",
            "delegate.delete"
        ]
    );
}
