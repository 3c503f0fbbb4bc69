// SPDX-License-Identifier: AGPL-3.0-only
//! Every mailbox policy set in the panel, proved where it matters: in the engine, with real
//! IMAP, POP3 and SMTP clients. Small test tiers (a 20 kB quota, 3 external recipients a day)
//! go through the same configuration as the product's 8 GB and 250.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::{
    error_field,
    flows::{self, PASSWORD},
    harness::{Casella, Web, mail, mail_refused, mx_accepts},
};

const TEST_TIERS: [(&str, &str); 2] = [
    ("CASELLA_SEND_TIERS", "[3, 5, 2000, 5000]"),
    (
        "CASELLA_QUOTA_TIERS",
        "[20000, 25000000000, 50000000000, 100000000000]",
    ),
];

/// Polls a mailbox's detail until `check` holds (engine events arrive asynchronously).
fn wait_detail(web: &Web, address: &str, check: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let detail = web
            .call("mailboxes/get_mailbox", &[("address", address)])
            .expect("mailbox detail");
        if check(&detail) || Instant::now() > deadline {
            return detail;
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

#[test]
fn protocols_quota_send_limit_and_aliases_are_enforced_by_the_engine() {
    let casella = Casella::start_with(true, &TEST_TIERS);
    let operator = flows::operator(&casella);
    let postmaster = flows::customer_domain(&casella, &operator, "acme.test", 10);
    let manager = flows::manager_of(&casella, &operator, "it.acme", "acme.test");
    let dora = flows::mailbox(&postmaster, "acme.test", "dora");
    let p = &casella.ports;
    let (imaps, pop3s, submissions) = (
        p.imaps.to_string(),
        p.pop3s.to_string(),
        p.submissions.to_string(),
    );

    // All protocols are on by default, and a client sign-in is the mailbox's last login.
    let detail = postmaster
        .call("mailboxes/get_mailbox", &[("address", &dora)])
        .expect("detail");
    assert_eq!(
        detail["row"]["protocols"],
        serde_json::json!({"imap": true, "pop3": true, "smtp": true})
    );
    assert!(detail["row"]["last_login"].is_null());
    mail(&["imap-login", &imaps, "tls", &dora, PASSWORD]);
    let detail = wait_detail(&postmaster, &dora, |d| !d["row"]["last_login"].is_null());
    assert!(
        !detail["row"]["last_login"].is_null(),
        "last login: {detail}"
    );

    // IMAP off: IMAP refused, POP3, SMTP and the web still work.
    let protocols = |imap: bool, pop3: bool, smtp: bool| {
        let mut form = vec![("address", dora.as_str())];
        for (name, on) in [("imap", imap), ("pop3", pop3), ("smtp", smtp)] {
            if on {
                form.push((name, "on"));
            }
        }
        postmaster
            .call("mailboxes/set_protocols", &form)
            .expect("set protocols");
    };
    protocols(false, true, true);
    mail_refused(&["imap-login", &imaps, "tls", &dora, PASSWORD]);
    mail(&["pop3-login", &pop3s, "tls", &dora, PASSWORD]);
    mail(&["smtp-auth", &submissions, "tls", &dora, PASSWORD]);
    Web::new(&casella)
        .login(&dora, PASSWORD)
        .expect("webmail sign-in still works");
    // POP3 off, IMAP back on.
    protocols(true, false, true);
    mail_refused(&["pop3-login", &pop3s, "tls", &dora, PASSWORD]);
    mail(&["imap-login", &imaps, "tls", &dora, PASSWORD]);
    // SMTP off: SMTP AUTH refused.
    protocols(true, true, false);
    mail_refused(&["smtp-auth", &submissions, "tls", &dora, PASSWORD]);
    protocols(true, true, true);
    mail(&["smtp-auth", &submissions, "tls", &dora, PASSWORD]);

    // Quota: at the 20 kB test tier a 30 kB APPEND is refused with OVERQUOTA; a small one is
    // accepted and its size shows in the list; a larger tier takes the big one.
    let out = mail(&["imap-append", &imaps, "tls", &dora, PASSWORD, "5000"]);
    assert!(out.contains("append OK"), "{out}");
    let out = mail(&["imap-append", &imaps, "tls", &dora, PASSWORD, "30000"]);
    assert!(out.contains("OVERQUOTA"), "{out}");
    let list = postmaster
        .call(
            "mailboxes/list_mailboxes",
            &[("domain", "acme.test"), ("page", "0"), ("search", "dora")],
        )
        .expect("list");
    let row = &list["rows"][0];
    assert_eq!(row["quota_bytes"], 20000);
    let used = row["used_bytes"].as_u64().unwrap();
    assert!((5000..20000).contains(&used), "usage in the list: {row}");
    let err = postmaster
        .call(
            "mailboxes/set_quota",
            &[("address", &dora), ("quota", "12345")],
        )
        .unwrap_err();
    assert_eq!(error_field(&err).as_deref(), Some("quota"));
    postmaster
        .call(
            "mailboxes/set_quota",
            &[("address", &dora), ("quota", "25000000000")],
        )
        .expect("25 GB");
    let out = mail(&["imap-append", &imaps, "tls", &dora, PASSWORD, "30000"]);
    assert!(out.contains("append OK"), "{out}");

    // Send limit: the 4th external recipient of the day gets a 4xx at RCPT; a recipient in a
    // hosted domain still passes. Raising the tier (manager only) applies at once.
    let rcpts = "a@external.test,b@external.test,c@external.test,d@external.test,alice@demo.test";
    let codes = mail(&[
        "rcpt-codes",
        &submissions,
        "tls",
        &dora,
        PASSWORD,
        &dora,
        rcpts,
    ]);
    assert_eq!(codes.trim(), "250 250 250 452 250", "{codes}");
    assert_eq!(
        postmaster
            .call(
                "mailboxes/set_send_tier",
                &[("address", &dora), ("send_tier", "5")]
            )
            .unwrap_err(),
        serde_json::json!("Forbidden"),
        "only a manager sets the send limit"
    );
    let err = manager
        .call(
            "mailboxes/set_send_tier",
            &[("address", &dora), ("send_tier", "7")],
        )
        .unwrap_err();
    assert_eq!(error_field(&err).as_deref(), Some("send_tier"));
    manager
        .call(
            "mailboxes/set_send_tier",
            &[("address", &dora), ("send_tier", "5")],
        )
        .expect("raise the tier");
    let codes = mail(&[
        "rcpt-codes",
        &submissions,
        "tls",
        &dora,
        PASSWORD,
        &dora,
        "e@external.test",
    ]);
    assert_eq!(codes.trim(), "250", "the new tier applies at once: {codes}");

    // A message actually sent to external recipients counts once (messages, not recipients)
    // for the last 24 hours.
    mail(&[
        "submit",
        &submissions,
        "tls",
        &dora,
        PASSWORD,
        &dora,
        "partner@external.test, other@external.test",
        "to two partners",
    ]);
    let detail = wait_detail(&postmaster, &dora, |d| d["row"]["external_24h"] == 1);
    assert_eq!(detail["row"]["external_24h"], 1, "{detail}");
    assert_eq!(detail["row"]["send_tier"], 5);

    // Aliases deliver to the mailbox; a taken address is refused on its field; a removed
    // alias no longer receives.
    postmaster
        .call(
            "mailboxes/add_alias",
            &[("address", &dora), ("alias", "info")],
        )
        .expect("add alias");
    let err = postmaster
        .call(
            "mailboxes/add_alias",
            &[("address", &dora), ("alias", "postmaster")],
        )
        .unwrap_err();
    assert_eq!(error_field(&err).as_deref(), Some("alias"), "{err}");
    let inbound = |to: &str, subject: &str| mx_accepts(&casella, to, subject);
    assert!(
        !inbound("late@acme.test", "before it exists"),
        "an unknown address is refused"
    );
    flows::mailbox(&postmaster, "acme.test", "late");
    assert!(
        inbound("late@acme.test", "after creation"),
        "a new mailbox receives at once, even after a refused attempt"
    );
    assert!(inbound("info@acme.test", "to the alias"));
    mail(&["imap-find", &imaps, "tls", &dora, PASSWORD, "to the alias"]);
    postmaster
        .call(
            "mailboxes/remove_alias",
            &[("address", &dora), ("alias", "info@acme.test")],
        )
        .expect("remove alias");
    assert!(
        !inbound("info@acme.test", "after removal"),
        "a removed alias is refused"
    );

    // Deleting needs the address typed again; the postmaster cannot be deleted; the deleted
    // mailbox's mail is gone with it.
    let err = postmaster
        .call(
            "mailboxes/delete_mailbox",
            &[("address", &dora), ("confirm", "someone else")],
        )
        .unwrap_err();
    assert_eq!(error_field(&err).as_deref(), Some("confirm"));
    let err = postmaster
        .call(
            "mailboxes/delete_mailbox",
            &[
                ("address", "postmaster@acme.test"),
                ("confirm", "postmaster@acme.test"),
            ],
        )
        .unwrap_err();
    assert_eq!(error_field(&err).as_deref(), Some("confirm"));
    postmaster
        .call(
            "mailboxes/delete_mailbox",
            &[("address", &dora), ("confirm", &dora)],
        )
        .expect("delete");
    mail_refused(&["imap-login", &imaps, "tls", &dora, PASSWORD]);
    assert!(
        !inbound(&dora, "after deletion"),
        "a deleted mailbox receives nothing"
    );
    assert_eq!(
        postmaster
            .call("mailboxes/get_mailbox", &[("address", &dora)])
            .unwrap_err(),
        serde_json::json!("NotFound")
    );
    // Every change above is in the audit log, with who made it.
    let audit = postmaster
        .call("domain/audit_log", &[("page", "0")])
        .expect("audit");
    let actions: Vec<&str> = audit["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["action"].as_str())
        .collect();
    for action in [
        "mailbox.create",
        "mailbox.protocols",
        "mailbox.quota",
        "mailbox.send_tier",
        "mailbox.alias.add",
        "mailbox.alias.remove",
        "mailbox.delete",
    ] {
        assert!(actions.contains(&action), "{action} audited: {actions:?}");
    }
    let tier_entry = audit["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["action"] == "mailbox.send_tier")
        .unwrap();
    assert_eq!(tier_entry["actor"], "it.acme");
    assert_eq!(tier_entry["before"], "3");
    assert_eq!(tier_entry["after"], "5");
    assert_eq!(tier_entry["ip"], "127.0.0.1");
}

#[test]
fn slots_chat_and_branding_persist_and_are_enforced() {
    let notices = [("CASELLA_COST_NOTICE_EVERY_SECONDS", "1")];
    let mut casella = Casella::start_with(true, &notices);
    let operator = flows::operator(&casella);
    let postmaster = flows::customer_domain(&casella, &operator, "small.test", 1);
    let manager = flows::manager_of(&casella, &operator, "it.small", "small.test");

    // One included mailbox: the second is refused with a way to buy more; the manager buys
    // one and the creation goes through. A postmaster cannot buy.
    flows::mailbox(&postmaster, "small.test", "first");
    let err = postmaster
        .call(
            "mailboxes/create_mailbox",
            &[
                ("domain", "small.test"),
                ("local_part", "second"),
                ("first_name", ""),
                ("last_name", ""),
                ("password", PASSWORD),
            ],
        )
        .unwrap_err();
    assert_eq!(error_field(&err).as_deref(), Some("slots"), "{err}");
    let overview = postmaster
        .call("domain/get_domain_overview", &[("domain", "small.test")])
        .expect("overview");
    assert_eq!(
        (
            overview["service_active"].clone(),
            overview["created"].clone(),
            overview["available"].clone()
        ),
        (Value::Bool(true), Value::from(1), Value::from(0))
    );
    assert_eq!(
        postmaster
            .call(
                "domain/buy_slots",
                &[("domain", "small.test"), ("count", "1")]
            )
            .unwrap_err(),
        serde_json::json!("Forbidden")
    );
    let err = manager
        .call(
            "domain/buy_slots",
            &[("domain", "small.test"), ("count", "0")],
        )
        .unwrap_err();
    assert_eq!(error_field(&err).as_deref(), Some("count"));
    manager
        .call(
            "domain/buy_slots",
            &[("domain", "small.test"), ("count", "1")],
        )
        .expect("buy a slot");
    flows::mailbox(&manager, "small.test", "second");

    // The monitor prices the bought slot.
    let monitor = operator.call("operator/monitor", &[]).expect("monitor");
    let line = monitor
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["company_name"] == "Customer of small.test")
        .expect("monitor line")
        .clone();
    assert_eq!(
        (line["created"].clone(), line["monthly_cents"].clone()),
        (Value::from(2), Value::from(200))
    );
    // The cost change is e-mailed to the legal representative (alice, in these tests).
    let imaps = casella.ports.imaps.to_string();
    let notice = mail(&[
        "imap-body",
        &imaps,
        "tls",
        "alice@demo.test",
        &casella.printed["alice@demo.test"],
        "Customer of small.test",
    ]);
    assert!(notice.contains("€ 2.00"), "{notice}");

    // Chat: only the postmaster switches the domain's service; per mailbox and all at once.
    assert_eq!(
        manager
            .call(
                "domain/set_domain_chat",
                &[("domain", "small.test"), ("enabled", "true")]
            )
            .unwrap_err(),
        serde_json::json!("Forbidden")
    );
    postmaster
        .call(
            "domain/set_domain_chat",
            &[("domain", "small.test"), ("enabled", "true")],
        )
        .expect("domain chat on");
    postmaster
        .call(
            "domain/set_chat_for_all",
            &[("domain", "small.test"), ("enabled", "true")],
        )
        .expect("all on");
    postmaster
        .call(
            "mailboxes/set_chat",
            &[("address", "second@small.test"), ("enabled", "false")],
        )
        .expect("one off");
    // Branding: manager only.
    assert_eq!(
        postmaster
            .call(
                "domain/set_branding_name",
                &[("domain", "small.test"), ("company_name", "Nope")]
            )
            .unwrap_err(),
        serde_json::json!("Forbidden")
    );
    manager
        .call(
            "domain/set_branding_name",
            &[("domain", "small.test"), ("company_name", "Small S.n.c.")],
        )
        .expect("branding");

    // The logo: the manager only, PNG or JPEG only; served to anyone.
    let png: &[u8] = &[
        0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1a, b'\n', 0, 0, 0, 13, b'I', b'H', b'D', b'R', 0,
        0, 0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0, 0x1f, 0x15, 0xc4, 0x89,
    ];
    let logo_path = "/branding/small.test/logo";
    let (status, location) = manager.upload(logo_path, "logo", "image/png", b"not an image");
    assert_eq!(status, 303);
    assert!(location.contains("logo_error="), "{location}");
    let (status, location) = postmaster.upload(logo_path, "logo", "image/png", png);
    assert!(
        location.contains("logo_error="),
        "postmaster refused: {status} {location}"
    );
    assert_eq!(Web::new(&casella).bytes(logo_path).0, 404, "no logo yet");
    let (status, location) = manager.upload(logo_path, "logo", "image/png", png);
    assert_eq!(
        (status, location.as_str()),
        (303, "/domains/small.test#branding")
    );

    // Everything reads back after a restart.
    let tmp = casella.take_tmp();
    assert!(casella.stop(), "clean exit");
    let again = Casella::launch(&casella.data, true, &notices);
    let postmaster = Web::new(&again);
    postmaster
        .login("postmaster@small.test", PASSWORD)
        .expect("sign-in after restart");
    let overview = postmaster
        .call("domain/get_domain_overview", &[("domain", "small.test")])
        .expect("overview");
    assert_eq!(overview["chat_enabled"], true);
    assert_eq!(overview["brand_name"], "Small S.n.c.");
    let chat = |address: &str| {
        postmaster
            .call("mailboxes/get_mailbox", &[("address", address)])
            .expect("detail")["row"]["chat"]
            .clone()
    };
    assert_eq!(chat("first@small.test"), true);
    assert_eq!(chat("second@small.test"), false);
    let branding = Web::new(&again)
        .call("domain/get_branding", &[("domain", "small.test")])
        .expect("public branding");
    assert_eq!(branding["company_name"], "Small S.n.c.");
    assert_eq!(branding["logo_url"], "/branding/small.test/logo");
    let (status, media_type, bytes) = Web::new(&again).bytes("/branding/small.test/logo");
    assert_eq!(
        (status, media_type.as_str(), bytes.as_slice()),
        (200, "image/png", png)
    );
    let (_, login_page) = Web::new(&again).page("/login?domain=small.test");
    assert!(
        login_page.contains("Small S.n.c.") && login_page.contains("/branding/small.test/logo"),
        "the domain's sign-in page shows its company and logo"
    );
    drop(again);
    drop(tmp);
}
