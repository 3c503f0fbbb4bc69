// SPDX-License-Identifier: AGPL-3.0-only
//! The vertical slice: operator → customer → domain (credentials e-mailed, changed at first
//! sign-in) → mailbox → real mail clients.

use crate::{
    error_field,
    flows::{self, PASSWORD},
    harness::{Casella, Web, mail, mail_refused},
};

#[test]
fn operator_to_postmaster_to_mailbox_to_imap_pop3_and_smtp() {
    let casella = Casella::start(true);
    let operator = flows::operator(&casella);
    let plan = flows::plan(&operator, "Slice", 5);
    let customer =
        flows::customer(&operator, "Example S.p.A.", "alice@demo.test", plan).to_string();

    // Bad input is refused on its field; nothing is created.
    for bad in ["not a domain", "localhost", "-x.test"] {
        let err = operator
            .call(
                "operator/register_domain",
                &[("domain", bad), ("customer", &customer)],
            )
            .unwrap_err();
        assert_eq!(error_field(&err).as_deref(), Some("domain"), "{bad}: {err}");
    }
    let err = operator
        .call(
            "operator/register_domain",
            &[("domain", "ok.test"), ("customer", "999")],
        )
        .unwrap_err();
    assert_eq!(error_field(&err).as_deref(), Some("customer"), "{err}");
    let sent_to = operator
        .call(
            "operator/register_domain",
            &[("domain", "Example.TEST"), ("customer", &customer)],
        )
        .expect("register example.test");
    assert_eq!(
        sent_to, "alice@demo.test",
        "the password is e-mailed, not shown"
    );
    let err = operator
        .call(
            "operator/register_domain",
            &[("domain", "example.test"), ("customer", &customer)],
        )
        .unwrap_err();
    assert_eq!(
        error_field(&err).as_deref(),
        Some("domain"),
        "duplicate: {err}"
    );
    let domains = operator.call("operator/list_domains", &[]).expect("list");
    let example = domains
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["name"] == "example.test")
        .expect("listed");
    assert_eq!(example["customer"], "Example S.p.A.");

    // The legal representative reads the postmaster's password in her inbox; the postmaster
    // can reach nothing but the password page until it is changed.
    let pm = "postmaster@example.test";
    let emailed = flows::emailed_password(&casella, "alice@demo.test", pm);
    let postmaster = Web::new(&casella);
    postmaster.login(pm, &emailed).expect("first sign-in");
    let list_args = [("domain", "example.test"), ("page", "0"), ("search", "")];
    assert_eq!(
        postmaster
            .call("mailboxes/list_mailboxes", &list_args)
            .unwrap_err(),
        serde_json::json!("PasswordChangeRequired")
    );
    let (status, location) = postmaster.page_redirect("/domains/example.test/mailboxes");
    assert_eq!((status, location.as_str()), (302, "/password"));
    for (current, new, repeat, field) in [
        ("wrong", PASSWORD, PASSWORD, "current"),
        (emailed.as_str(), "weak", "weak", "new"),
        (emailed.as_str(), emailed.as_str(), emailed.as_str(), "new"),
        (emailed.as_str(), PASSWORD, "Other-Secret-42", "repeat"),
    ] {
        let err = postmaster
            .call(
                "auth/change_password",
                &[("current", current), ("new", new), ("repeat", repeat)],
            )
            .unwrap_err();
        assert_eq!(error_field(&err).as_deref(), Some(field), "{err}");
    }
    postmaster
        .call(
            "auth/change_password",
            &[
                ("current", &emailed),
                ("new", PASSWORD),
                ("repeat", PASSWORD),
            ],
        )
        .expect("password changed");
    let postmaster_password = PASSWORD.to_string();
    let again = Web::new(&casella);
    assert!(
        again.login(pm, &emailed).is_err(),
        "the e-mailed password is gone"
    );
    again.login(pm, PASSWORD).expect("new password works");

    // The postmaster creates alice.
    let weak = postmaster
        .call(
            "mailboxes/create_mailbox",
            &[
                ("domain", "example.test"),
                ("local_part", "alice"),
                ("first_name", "Alice"),
                ("last_name", "Rossi"),
                ("password", "password"),
            ],
        )
        .unwrap_err();
    assert_eq!(error_field(&weak).as_deref(), Some("password"), "{weak}");
    let bad_local = postmaster
        .call(
            "mailboxes/create_mailbox",
            &[
                ("domain", "example.test"),
                ("local_part", "al ice"),
                ("first_name", ""),
                ("last_name", ""),
                ("password", ""),
            ],
        )
        .unwrap_err();
    assert_eq!(error_field(&bad_local).as_deref(), Some("local_part"));
    let alice_password = "Alice-Secret-42";
    let made = postmaster
        .call(
            "mailboxes/create_mailbox",
            &[
                ("domain", "example.test"),
                ("local_part", "alice"),
                ("first_name", "Alice"),
                ("last_name", "Rossi"),
                ("password", alice_password),
            ],
        )
        .expect("create alice");
    assert!(
        made.is_null(),
        "a chosen password is not echoed back: {made}"
    );
    let taken = postmaster
        .call(
            "mailboxes/create_mailbox",
            &[
                ("domain", "example.test"),
                ("local_part", "ALICE"),
                ("first_name", ""),
                ("last_name", ""),
                ("password", ""),
            ],
        )
        .unwrap_err();
    assert_eq!(
        error_field(&taken).as_deref(),
        Some("local_part"),
        "{taken}"
    );
    let list = postmaster
        .call("mailboxes/list_mailboxes", &list_args)
        .expect("list");
    assert_eq!(list["total"], 2, "failed creations left nothing: {list}");
    // The failed attempts left no engine account either.
    let p = &casella.ports;
    let (imaps, imap, pop3s, pop3) = (
        p.imaps.to_string(),
        p.imap.to_string(),
        p.pop3s.to_string(),
        p.pop3.to_string(),
    );
    mail_refused(&["imap-login", &imaps, "tls", "al ice@example.test", "x"]);

    // alice's credentials work in IMAP and POP3 clients, over TLS and STARTTLS.
    let alice = "alice@example.test";
    mail(&["imap-login", &imaps, "tls", alice, alice_password]);
    mail(&["imap-login", &imap, "starttls", alice, alice_password]);
    mail(&["pop3-login", &pop3s, "tls", alice, alice_password]);
    mail(&["pop3-login", &pop3, "starttls", alice, alice_password]);
    mail_refused(&["imap-login", &imaps, "tls", alice, "Wrong-Password-1"]);

    // alice submits to the postmaster on 587 (STARTTLS) and 465 (TLS); the postmaster reads
    // both over IMAP and POP3.
    let submission = p.submission.to_string();
    let submissions = p.submissions.to_string();
    let pm = "postmaster@example.test";
    mail(&[
        "submit",
        &submission,
        "starttls",
        alice,
        alice_password,
        alice,
        pm,
        "hello over 587",
    ]);
    mail(&[
        "submit",
        &submissions,
        "tls",
        alice,
        alice_password,
        alice,
        pm,
        "hello over 465",
    ]);
    for subject in ["hello over 587", "hello over 465"] {
        mail(&[
            "imap-find",
            &imaps,
            "tls",
            pm,
            &postmaster_password,
            subject,
        ]);
        mail(&[
            "pop3-find",
            &pop3s,
            "tls",
            pm,
            &postmaster_password,
            subject,
        ]);
    }

    // Inbound mail from another server reaches alice through the MX listener without auth.
    let out = std::process::Command::new("python3")
        .args([
            "-c",
            "import smtplib,sys; s=smtplib.SMTP('127.0.0.1', int(sys.argv[1]), timeout=20); \
             s.sendmail('someone@elsewhere.test', ['alice@example.test'], \
             b'From: someone@elsewhere.test\\r\\nTo: alice@example.test\\r\\nSubject: from outside\\r\\n\\r\\nhi\\r\\n'); s.quit()",
            &p.smtp.to_string(),
        ])
        .output()
        .expect("python3");
    assert!(
        out.status.success(),
        "MX delivery: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    mail(&[
        "imap-find",
        &imaps,
        "tls",
        alice,
        alice_password,
        "from outside",
    ]);
}
