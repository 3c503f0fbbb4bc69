// SPDX-License-Identifier: AGPL-3.0-only
//! Nothing lost: a start with the wrong panel database changes nothing, the start-up reconcile
//! finishes or undoes only what an intent records, a failed creation leaves no account, and
//! concurrent creations keep within the customer's slots.

use crate::{
    flows,
    harness::{self, Casella, Web, mail, mail_refused, mx_accepts, sql},
};

/// Moves the panel database (with SQLite's journal files) to or from a side folder.
fn move_panel_db(casella: &Casella, away: bool) {
    let side = casella.data.join("moved-away");
    std::fs::create_dir_all(&side).unwrap();
    for name in ["panel.sqlite3", "panel.sqlite3-wal", "panel.sqlite3-shm"] {
        let (from, to) = if away {
            (casella.data.join(name), side.join(name))
        } else {
            (side.join(name), casella.data.join(name))
        };
        if from.exists() {
            std::fs::rename(from, to).unwrap();
        } else if !away {
            let _ = std::fs::remove_file(casella.data.join(name));
        }
    }
}

#[test]
fn a_start_without_the_panel_database_changes_nothing() {
    let mut casella = Casella::start(true);
    let alice = casella.printed["alice@demo.test"].clone();
    assert!(mx_accepts(
        &casella,
        "alice@demo.test",
        "kept through everything"
    ));
    let imaps = casella.ports.imaps.to_string();
    mail(&[
        "imap-find",
        &imaps,
        "tls",
        "alice@demo.test",
        &alice,
        "kept through everything",
    ]);
    let tmp = casella.take_tmp();
    assert!(casella.stop());

    // The database file moved away: a new, empty one would be made. Casella refuses.
    move_panel_db(&casella, true);
    let said = Casella::refused_start(&casella.data, &[]);
    assert!(said.contains("panel database has no accounts"), "{said}");
    assert!(said.contains("Nothing was changed"), "{said}");
    // A typo in the database URL is the same story.
    let typo = format!(
        "sqlite://{}?mode=rwc",
        casella.data.join("panel-typo.sqlite3").display()
    );
    let said = Casella::refused_start(&casella.data, &[("CASELLA_DATABASE_URL", &typo)]);
    assert!(said.contains("panel database has no accounts"), "{said}");

    // The database back in place: everyone signs in and the mail is there.
    move_panel_db(&casella, false);
    let again = Casella::start_in(&casella.data, true);
    let imaps = again.ports.imaps.to_string();
    mail(&[
        "imap-find",
        &imaps,
        "tls",
        "alice@demo.test",
        &alice,
        "kept through everything",
    ]);
    Web::new(&again)
        .login("admin", &casella.printed["admin"])
        .expect("the operator still signs in");
    drop(again);
    drop(tmp);
}

#[test]
fn the_reconcile_finishes_what_intents_record_and_leaves_the_rest() {
    let mut casella = Casella::start(true);
    let operator = flows::operator(&casella);
    let postmaster = flows::first_sign_in(
        &casella,
        "postmaster@demo.test",
        &casella.printed["postmaster@demo.test"],
    );
    let interrupted = flows::mailbox(&postmaster, "demo.test", "interrupted");
    let unexplained = flows::mailbox(&postmaster, "demo.test", "unexplained");
    let deleting = flows::mailbox(&postmaster, "demo.test", "deleting");
    let other = flows::customer_domain(&casella, &operator, "left.test", 3);
    drop(other);
    let tmp = casella.take_tmp();
    assert!(casella.stop());

    // A crash after each engine step, before the panel's: the creation of `interrupted` and
    // the registration of left.test (intents written, panel rows never), the deletion of
    // `deleting` (intent written, nothing else). `unexplained` lost its row with no intent.
    sql(
        &casella,
        "DELETE FROM mailbox_terms WHERE mailbox_id IN (SELECT id FROM mailboxes
           WHERE address IN ('interrupted@demo.test', 'unexplained@demo.test', 'postmaster@left.test'));
         DELETE FROM mailboxes WHERE address IN
           ('interrupted@demo.test', 'unexplained@demo.test', 'postmaster@left.test');
         DELETE FROM domains WHERE name = 'left.test';
         INSERT INTO intents (kind, subject, detail, created_at) VALUES
           ('create-account', 'interrupted@demo.test', '', '2026-12-01T00:00:00Z'),
           ('create-domain', 'left.test', '', '2026-12-01T00:00:00Z'),
           ('create-account', 'postmaster@left.test', '', '2026-12-01T00:00:00Z'),
           ('delete-account', 'deleting@demo.test', '', '2026-12-01T00:00:00Z');",
    );
    let again = Casella::start_in(&casella.data, true);
    let imaps = again.ports.imaps.to_string();
    for gone in [&interrupted, &deleting] {
        mail_refused(&["imap-login", &imaps, "tls", gone, flows::PASSWORD]);
        assert!(
            !mx_accepts(&again, gone, "after"),
            "{gone} receives nothing"
        );
    }
    assert!(
        !mx_accepts(&again, "postmaster@left.test", "after"),
        "left.test is gone"
    );
    // What nothing explains is left as it was: it still signs in and receives.
    mail(&["imap-login", &imaps, "tls", &unexplained, flows::PASSWORD]);
    assert!(mx_accepts(&again, &unexplained, "after"));
    let postmaster = Web::new(&again);
    postmaster
        .login("postmaster@demo.test", flows::PASSWORD)
        .expect("sign-in");
    let list = postmaster
        .call(
            "mailboxes/list_mailboxes",
            &[("domain", "demo.test"), ("page", "0"), ("search", "")],
        )
        .expect("list");
    let listed: Vec<&str> = list["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["address"].as_str().unwrap())
        .collect();
    assert!(
        !listed.contains(&deleting.as_str()),
        "the deletion was completed: {listed:?}"
    );
    drop(again);
    drop(tmp);
}

#[test]
fn a_failed_creation_leaves_no_engine_account_and_slots_hold_under_concurrency() {
    let mut casella = Casella::start(true);
    let operator = flows::operator(&casella);
    let postmaster = flows::customer_domain(&casella, &operator, "slots.test", 2);
    drop(postmaster);
    let tmp = casella.take_tmp();
    assert!(casella.stop());
    // The panel's write of one mailbox fails after the engine created it.
    sql(
        &casella,
        "CREATE TRIGGER refuse_boom BEFORE INSERT ON mailboxes WHEN NEW.local_part = 'boom'
         BEGIN SELECT RAISE(ABORT, 'injected failure'); END;",
    );
    let again = Casella::start_in(&casella.data, true);
    let postmaster = Web::new(&again);
    postmaster
        .login("postmaster@slots.test", flows::PASSWORD)
        .expect("sign-in");
    let err = postmaster
        .call(
            "mailboxes/create_mailbox",
            &[
                ("domain", "slots.test"),
                ("local_part", "boom"),
                ("first_name", "B"),
                ("last_name", "Oom"),
                ("password", flows::PASSWORD),
            ],
        )
        .unwrap_err();
    assert!(err.get("Internal").is_some(), "{err}");
    let imaps = again.ports.imaps.to_string();
    mail_refused(&[
        "imap-login",
        &imaps,
        "tls",
        "boom@slots.test",
        flows::PASSWORD,
    ]);
    assert!(
        !mx_accepts(&again, "boom@slots.test", "nobody"),
        "no engine account is left"
    );

    // Two slots, five creations at once: exactly two succeed, the rest are refused on `slots`.
    let results: Vec<Result<serde_json::Value, serde_json::Value>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..5)
            .map(|n| {
                let web = Web::new(&again);
                s.spawn(move || {
                    web.login("postmaster@slots.test", flows::PASSWORD)
                        .expect("sign-in");
                    let local = format!("racer{n}");
                    web.call(
                        "mailboxes/create_mailbox",
                        &[
                            ("domain", "slots.test"),
                            ("local_part", &local),
                            ("first_name", "R"),
                            ("last_name", "Acer"),
                            ("password", flows::PASSWORD),
                        ],
                    )
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let created = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(created, 2, "{results:?}");
    for refused in results.iter().filter_map(|r| r.as_ref().err()) {
        assert_eq!(
            crate::error_field(refused).as_deref(),
            Some("slots"),
            "{refused}"
        );
    }
    drop(again);
    drop(tmp);
}

#[test]
fn interrupted_alias_changes_follow_their_intents() {
    let mut casella = Casella::start(true);
    let postmaster = flows::first_sign_in(
        &casella,
        "postmaster@demo.test",
        &casella.printed["postmaster@demo.test"],
    );
    for alias in ["sales", "info", "stray"] {
        postmaster
            .call(
                "mailboxes/add_alias",
                &[("address", "alice@demo.test"), ("alias", alias)],
            )
            .expect("alias");
    }
    let tmp = casella.take_tmp();
    assert!(casella.stop(), "clean exit");
    // A crash between the engine's write and the panel's: the row of `sales` never written
    // (creation), a row left behind after the engine let `ghost` go (removal); `stray` lost
    // its row with no intent to explain it.
    sql(
        &casella,
        "DELETE FROM aliases WHERE address IN ('sales@demo.test', 'stray@demo.test');
         INSERT INTO aliases (mailbox_id, address, created_at)
           SELECT id, 'ghost@demo.test', created_at FROM mailboxes WHERE address='alice@demo.test';
         INSERT INTO intents (kind, subject, detail, created_at) VALUES
           ('create-alias', 'sales@demo.test', 'alice@demo.test', '2026-12-01T00:00:00Z'),
           ('remove-alias', 'ghost@demo.test', 'alice@demo.test', '2026-12-01T00:00:00Z');",
    );
    let again = Casella::start_in(&casella.data, true);
    let postmaster = Web::new(&again);
    postmaster
        .login("postmaster@demo.test", flows::PASSWORD)
        .expect("sign-in");
    let detail = postmaster
        .call("mailboxes/get_mailbox", &[("address", "alice@demo.test")])
        .expect("detail");
    assert_eq!(detail["aliases"], serde_json::json!(["info@demo.test"]));
    assert!(!harness::mx_accepts(&again, "sales@demo.test", "after"));
    assert!(harness::mx_accepts(&again, "info@demo.test", "after"));
    assert!(
        harness::mx_accepts(&again, "stray@demo.test", "after"),
        "an address nothing explains is never taken away"
    );
    drop(again);
    drop(tmp);
}
