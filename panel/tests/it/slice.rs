// SPDX-License-Identifier: AGPL-3.0-only
//! The vertical slice: operator → domain → postmaster → mailbox → real mail clients.

use crate::{
    error_field,
    harness::{Casella, Web, mail, mail_result},
};

#[test]
fn operator_to_postmaster_to_mailbox_to_imap_pop3_and_smtp() {
    let casella = Casella::start(false);
    let operator_login = casella
        .printed
        .get("operator")
        .cloned()
        .expect("first operator printed");
    let operator = Web::new(&casella);
    operator
        .login(&operator_login, &casella.printed[&operator_login])
        .expect("operator login");

    // Bad domain input is refused on its field; nothing is created.
    for bad in ["not a domain", "localhost", "-x.test"] {
        let err = operator
            .call("domains/register", &[("domain", bad)])
            .unwrap_err();
        assert_eq!(error_field(&err).as_deref(), Some("domain"), "{bad}: {err}");
    }
    let created = operator
        .call("domains/register", &[("domain", "Example.TEST")])
        .expect("register example.test");
    assert_eq!(created["login"], "postmaster@example.test");
    let postmaster_password = created["password"].as_str().expect("password").to_string();
    let err = operator
        .call("domains/register", &[("domain", "example.test")])
        .unwrap_err();
    assert_eq!(
        error_field(&err).as_deref(),
        Some("domain"),
        "duplicate: {err}"
    );
    let domains = operator.call("domains/list", &[]).expect("list");
    assert_eq!(domains.as_array().map(Vec::len), Some(1));
    assert_eq!(domains[0]["mailboxes"], 1);

    // The postmaster signs in with the password shown once and creates alice.
    let postmaster = Web::new(&casella);
    postmaster
        .login("postmaster@example.test", &postmaster_password)
        .expect("postmaster login");
    let weak = postmaster
        .call(
            "mailboxes/create",
            &[
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
            "mailboxes/create",
            &[
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
            "mailboxes/create",
            &[
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
            "mailboxes/create",
            &[
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
    let list = postmaster.call("mailboxes/list", &[]).expect("list");
    assert_eq!(
        list.as_array().map(Vec::len),
        Some(2),
        "failed creations left nothing: {list}"
    );
    // The failed attempts left no engine account either.
    let p = &casella.ports;
    let (imaps, imap, pop3s, pop3) = (
        p.imaps.to_string(),
        p.imap.to_string(),
        p.pop3s.to_string(),
        p.pop3.to_string(),
    );
    let (ok, _) = mail_result(&["imap-login", &imaps, "tls", "al ice@example.test", "x"]);
    assert!(!ok);

    // alice's credentials work in IMAP and POP3 clients, over TLS and STARTTLS.
    let alice = "alice@example.test";
    mail(&["imap-login", &imaps, "tls", alice, alice_password]);
    mail(&["imap-login", &imap, "starttls", alice, alice_password]);
    mail(&["pop3-login", &pop3s, "tls", alice, alice_password]);
    mail(&["pop3-login", &pop3, "starttls", alice, alice_password]);
    let (ok, out) = mail_result(&["imap-login", &imaps, "tls", alice, "Wrong-Password-1"]);
    assert!(!ok, "wrong password refused: {out}");

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
