// SPDX-License-Identifier: AGPL-3.0-only
//! The Mail Time Machine's snapshots over the real engine, in this process: the days are
//! given to the snapshot (a test cannot wait for midnights), everything else is as served —
//! mail arrives over the MX, the engine's own change log and JMAP are read, the bytes go to
//! the content store on disk, the rows to the panel database.

use std::{sync::Arc, time::Duration};

use chrono::NaiveDate;
use engine_glue::{Engine, MailAccess, MessageChange};
use panel::{
    config::Config,
    content_store::ContentStore,
    db::{self, domain, mailbox, stored_object, tm_folder, tm_message},
    services::{
        Actor, Caller, MailEndpoints, Services, dns::DnsChecker, restore::RestoreMode,
        time_machine::TimeMachineSettings,
    },
};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

use crate::harness::{Ports, mx_send};

/// Casella's services and engine, started in this process on free ports with the demo data.
pub(crate) struct InProcess {
    services: Services,
    /// The demo logins' passwords.
    passwords: std::collections::HashMap<String, String>,
    imaps: u16,
    db: sea_orm::DatabaseConnection,
    pub(crate) engine: Arc<Engine>,
    pub(crate) smtp: u16,
    store: ContentStore,
    _tmp: tempfile::TempDir,
}

impl InProcess {
    pub(crate) async fn start() -> InProcess {
        let tmp = tempfile::tempdir().unwrap();
        let ports = Ports::free();
        let mut config = Config {
            data_dir: tmp.path().join("data"),
            bind_address: "127.0.0.1".parse().unwrap(),
            hostname: "mail.casella.test".into(),
            http_port: ports.http,
            ..Config::default()
        };
        config.ports.smtp = ports.smtp;
        config.ports.submission = ports.submission;
        config.ports.submissions = ports.submissions;
        config.ports.imap = ports.imap;
        config.ports.imaps = ports.imaps;
        config.ports.pop3 = ports.pop3;
        config.ports.pop3s = ports.pop3s;
        config.ports.managesieve = ports.managesieve;
        std::fs::create_dir_all(&config.data_dir).unwrap();
        let db = db::connect(&config.database_url()).await.unwrap();
        let engine = Arc::new(Engine::start(config.engine_config()).await.unwrap());
        let store = ContentStore::open(&config.content_dir()).unwrap();
        let services = Services::new(
            db.clone(),
            engine.clone(),
            MailEndpoints {
                hostname: config.hostname.clone(),
                ports: config.ports,
                public_url: config.public_url(),
            },
            config.mailer().unwrap(),
            config.quota_tiers,
            config.session_lifetime(),
            DnsChecker::new(None).unwrap(),
        )
        .with_time_machine(TimeMachineSettings {
            store: store.clone(),
            days: 15,
            restore_price_cents: 2500,
        });
        panel::demo::ensure_operator(&services).await.unwrap();
        let passwords = panel::demo::ensure_demo(&services)
            .await
            .unwrap()
            .into_iter()
            .map(|p| (p.login, p.password))
            .collect();
        InProcess {
            services,
            passwords,
            imaps: ports.imaps,
            db,
            engine,
            smtp: ports.smtp,
            store,
            _tmp: tmp,
        }
    }

    /// The owner of this mailbox, signed in.
    async fn owner(&self, address: &str) -> Caller {
        let mailbox = mailbox::Entity::find()
            .filter(mailbox::Column::Address.eq(address))
            .one(&self.db)
            .await
            .unwrap()
            .unwrap();
        let domain = domain::Entity::find_by_id(mailbox.domain_id)
            .one(&self.db)
            .await
            .unwrap()
            .unwrap();
        Caller {
            actor: Actor::User { mailbox, domain },
            ip: "127.0.0.1".parse().unwrap(),
        }
    }

    /// Rows the Time Machine holds, messages and folders together.
    async fn rows(&self) -> u64 {
        let db = &self.db;
        tm_message::Entity::find().count(db).await.unwrap()
            + tm_folder::Entity::find().count(db).await.unwrap()
    }

    /// Objects in the content store.
    async fn objects(&self) -> u64 {
        self.store.count().await.unwrap()
    }
}

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, d).unwrap()
}

impl InProcess {
    /// Every folder of a mailbox with its messages' subjects and flags, as an IMAP client
    /// sees them.
    async fn imap_state(&self, address: &str) -> serde_json::Value {
        let port = self.imaps.to_string();
        let password = self.passwords[address].clone();
        let address = address.to_string();
        let out = tokio::task::spawn_blocking(move || {
            crate::harness::mail(&["imap-state", &port, "tls", &address, &password])
        })
        .await
        .unwrap();
        serde_json::from_str(out.trim()).unwrap()
    }
}

/// Subject → flags of the messages of a folder, as an IMAP client sees them.
fn imap_folder(
    state: &serde_json::Value,
    folder: &str,
) -> std::collections::BTreeMap<String, String> {
    state[folder]
        .as_array()
        .map(|rows| {
            rows.iter()
                .map(|r| {
                    let flags: Vec<&str> = r["flags"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .filter_map(|f| f.as_str())
                        .filter(|f| *f != "\\Recent")
                        .collect();
                    (r["subject"].as_str().unwrap().to_string(), flags.join(" "))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Waits for the mailbox's latest restore to end; its row.
async fn restored(
    view: &panel::services::time_machine::TimeMachineView<'_>,
) -> panel::db::tm_restore::Model {
    for _ in 0..200 {
        let latest = view.restores().await.unwrap().into_iter().next().unwrap();
        if latest.state != "running" {
            return latest;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the restore did not end");
}

/// The id of the mailbox's Inbox.
pub(crate) async fn inbox_of(mail: &MailAccess) -> String {
    mail.folders()
        .await
        .unwrap()
        .into_iter()
        .find(|f| f.role.as_deref() == Some("inbox"))
        .unwrap()
        .id
}

/// The id of a message of the inbox with this subject, waiting for it to arrive.
pub(crate) async fn arrived(mail: &MailAccess, subject: &str) -> String {
    let inbox = inbox_of(mail).await;
    for _ in 0..100 {
        for id in mail.message_ids(&inbox, 50).await.unwrap() {
            if let Some(m) = mail.message(&id).await.unwrap()
                && m.summary.subject == subject
            {
                return id;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{subject} did not arrive");
}

/// Runs `test` as `casella serve` runs: on a thread with the main thread's stack (the
/// engine's boot is deep), in a multi-threaded runtime.
pub(crate) fn as_served<F: std::future::Future<Output = ()> + 'static>(
    test: impl FnOnce() -> F + Send + 'static,
) {
    std::thread::Builder::new()
        .stack_size(8 * 1024 * 1024)
        .spawn(move || {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap()
                .block_on(test())
        })
        .unwrap()
        .join()
        .unwrap();
}

#[test]
fn snapshots_keep_each_day_and_cost_only_what_changed() {
    as_served(snapshots);
}

async fn snapshots() {
    let world = InProcess::start().await;
    let services = &world.services;
    let bob = world.owner("bob@demo.test").await;
    let mail = world.engine.mail_of("bob@demo.test").await.unwrap();
    for subject in ["one", "two", "three"] {
        let smtp = world.smtp;
        let sent = tokio::task::spawn_blocking(move || mx_send(smtp, "bob@demo.test", subject))
            .await
            .unwrap();
        assert!(sent, "the MX took {subject}");
    }
    let one = arrived(&mail, "one").await;
    let two = arrived(&mail, "two").await;
    let three = arrived(&mail, "three").await;

    // Day 1: every mailbox is read whole, every message kept once.
    let first = services.snapshot_day(day(1)).await.unwrap();
    assert_eq!(first.failed, 0, "{first:?}");
    assert!(first.changed >= 1 && first.bytes_added > 0, "{first:?}");
    let rows = world.rows().await;
    let kept = world.objects().await;
    assert!(kept >= 3, "three messages kept: {kept} objects");

    // Day 2, nothing changed: no row, no byte.
    let unchanged = services.snapshot_day(day(2)).await.unwrap();
    assert_eq!(
        (unchanged.changed, unchanged.rows, unchanged.bytes_added),
        (0, 0, 0),
        "{unchanged:?}"
    );
    assert_eq!(world.rows().await, rows);
    assert_eq!(world.objects().await, kept);

    // Bob reads "one", deletes "two", files "three" in a folder of his own.
    mail.change_messages(
        std::slice::from_ref(&one),
        MessageChange::Keyword {
            keyword: "$seen",
            on: true,
        },
    )
    .await
    .unwrap();
    mail.destroy_messages(std::slice::from_ref(&two))
        .await
        .unwrap();
    let folder = mail.create_folder("Progetti", None).await.unwrap();
    mail.change_messages(
        std::slice::from_ref(&three),
        MessageChange::MoveTo { folder_id: &folder },
    )
    .await
    .unwrap();

    // Day 3: only what changed, and no byte (the messages were kept already).
    let changed = services.snapshot_day(day(3)).await.unwrap();
    assert_eq!(
        (changed.changed, changed.bytes_added),
        (1, 0),
        "{changed:?}"
    );
    // "one" and "three" closed and opened again, "two" closed, the folder opened.
    assert_eq!(changed.rows, 6, "{changed:?}");
    assert_eq!(world.rows().await, rows + 3);

    let view = services.time_machine_scope(&bob).unwrap();
    assert_eq!(view.days().await.unwrap(), vec![day(3), day(2), day(1)]);
    let inbox_on = |folders: &[panel::services::time_machine::DayFolder]| {
        folders
            .iter()
            .find(|f| f.role.as_deref() == Some("inbox"))
            .unwrap()
            .clone()
    };
    // Day 2 as it stood: three unread messages in the inbox, no "Progetti".
    let folders2 = view.folders(day(2)).await.unwrap();
    let inbox = inbox_on(&folders2);
    assert!(folders2.iter().all(|f| f.name != "Progetti"));
    let (page, total) = view.messages(day(2), &inbox.id, None, 0, 50).await.unwrap();
    let mut subjects: Vec<&str> = page.iter().map(|m| m.subject.as_str()).collect();
    subjects.retain(|s| ["one", "two", "three"].contains(s));
    subjects.sort();
    assert_eq!(subjects, ["one", "three", "two"]);
    assert!(
        page.iter()
            .all(|m| !m.seen || !["one", "two", "three"].contains(&m.subject.as_str()))
    );
    assert_eq!(total, page.len() as u64);
    // Its deleted message opens, as it arrived.
    let deleted = page.iter().find(|m| m.subject == "two").unwrap();
    let source = view.source(day(2), deleted.id).await.unwrap();
    assert!(String::from_utf8_lossy(&source).contains("Subject: two"));
    // Search within the day.
    let (found, _) = view
        .messages(day(2), &inbox.id, Some("THR"), 0, 50)
        .await
        .unwrap();
    assert_eq!(
        found.iter().map(|m| m.subject.as_str()).collect::<Vec<_>>(),
        ["three"]
    );
    // A wildcard is a letter like any other.
    let (none, _) = view
        .messages(day(2), &inbox.id, Some("%"), 0, 50)
        .await
        .unwrap();
    assert!(none.is_empty());

    // Day 3: "one" read in the inbox, "two" gone, "three" in Progetti.
    let folders3 = view.folders(day(3)).await.unwrap();
    let progetti = folders3.iter().find(|f| f.name == "Progetti").unwrap();
    assert_eq!(progetti.messages, 1);
    let (page3, _) = view
        .messages(day(3), &inbox_on(&folders3).id, None, 0, 50)
        .await
        .unwrap();
    let one3 = page3.iter().find(|m| m.subject == "one").unwrap();
    assert!(one3.seen);
    assert!(
        page3
            .iter()
            .all(|m| m.subject != "two" && m.subject != "three")
    );
    // A message is named by its row: day 2's "two" is not there on day 3.
    assert!(view.source(day(3), deleted.id).await.is_err());
    // A day never taken is not found.
    assert!(view.folders(day(9)).await.is_err());
    // Another mailbox's row is not there for bob.
    let alice = world.owner("alice@demo.test").await;
    let alices = services.time_machine_scope(&alice).unwrap();
    assert!(alices.source(day(2), deleted.id).await.is_err());

    // Taking day 3 again after one more change keeps one interval per state, no empty one.
    mail.change_messages(
        std::slice::from_ref(&one),
        MessageChange::Keyword {
            keyword: "$flagged",
            on: true,
        },
    )
    .await
    .unwrap();
    let again = services.snapshot_day(day(3)).await.unwrap();
    assert_eq!(again.changed, 1, "{again:?}");
    assert_eq!(world.rows().await, rows + 3);
    let (page3, _) = view
        .messages(day(3), &inbox_on(&folders3).id, None, 0, 50)
        .await
        .unwrap();
    assert!(page3.iter().find(|m| m.subject == "one").unwrap().flagged);
    let db = &world.db;
    let empty = tm_message::Entity::find()
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.valid_to.is_some_and(|to| to <= r.valid_from))
        .count();
    assert_eq!(empty, 0);

    // A new message on day 4 costs its bytes once.
    let smtp = world.smtp;
    assert!(
        tokio::task::spawn_blocking(move || mx_send(smtp, "bob@demo.test", "four"))
            .await
            .unwrap()
    );
    arrived(&mail, "four").await;
    let fourth = services.snapshot_day(day(4)).await.unwrap();
    assert!(fourth.bytes_added > 0, "{fourth:?}");
    assert_eq!(world.objects().await, kept + 1);

    // Bringing bob's mailbox back to day 2, merging: "two" comes back into the inbox unread,
    // "one" is unread and unflagged again, "three" back in the inbox; "four", newer, stays.
    let before = imap_folder(&world.imap_state("bob@demo.test").await, "INBOX");
    assert!(
        !before.contains_key("two") && !before.contains_key("three"),
        "{before:?}"
    );
    let asked = view.restore(day(2), RestoreMode::Merge).await.unwrap();
    assert_eq!(asked.price_cents, 2500);
    let done = restored(&view).await;
    assert_eq!(done.state, "done", "{done:?}");
    assert_eq!((done.restored, done.moved), (1, 0), "{done:?}");
    assert!(done.changed >= 2, "{done:?}");
    let inbox = imap_folder(&world.imap_state("bob@demo.test").await, "INBOX");
    for subject in ["one", "two", "three", "four"] {
        assert_eq!(
            inbox.get(subject).map(String::as_str),
            Some(""),
            "{subject}: {inbox:?}"
        );
    }
    assert!(imap_folder(&world.imap_state("bob@demo.test").await, "Progetti").is_empty());
    // Restoring again changes nothing more: the mailbox is as it stood.
    view.restore(day(2), RestoreMode::Merge).await.unwrap();
    let again = restored(&view).await;
    assert_eq!(
        (again.restored, again.changed, again.moved),
        (0, 0, 0),
        "{again:?}"
    );
    // An exact rollback moves what is newer than the day aside, deleting nothing.
    view.restore(day(2), RestoreMode::Exact).await.unwrap();
    let exact = restored(&view).await;
    assert_eq!(
        (exact.state.as_str(), exact.moved),
        ("done", 1),
        "{exact:?}"
    );
    let state = world.imap_state("bob@demo.test").await;
    let aside = imap_folder(&state, "Restored after 2026-03-02");
    assert_eq!(aside.keys().collect::<Vec<_>>(), ["four"], "{state}");
    assert!(!imap_folder(&state, "INBOX").contains_key("four"));
    // A day not kept cannot be restored.
    assert!(view.restore(day(20), RestoreMode::Merge).await.is_err());

    // Keeping two days: what ended before day 3 goes, and "two"'s bytes with it, since no
    // day kept holds it.
    let objects = stored_object::Entity::find().count(db).await.unwrap();
    let freed = services.expire_snapshots(day(4), 2).await.unwrap();
    assert_eq!(freed, 1);
    assert_eq!(
        stored_object::Entity::find().count(db).await.unwrap(),
        objects - 1
    );
    assert_eq!(world.objects().await, kept);
    assert_eq!(view.days().await.unwrap(), vec![day(4), day(3)]);
    assert!(view.folders(day(2)).await.is_err());

    // Kept bytes changed on disk are reported, never served.
    let (page4, _) = view
        .messages(day(4), &inbox_on(&folders3).id, None, 0, 50)
        .await
        .unwrap();
    let four = page4.iter().find(|m| m.subject == "four").unwrap();
    let row = tm_message::Entity::find_by_id(four.id)
        .one(db)
        .await
        .unwrap()
        .unwrap();
    let (pack, offset, _) = world
        .store
        .whereabouts(row.object_hash.parse().unwrap())
        .unwrap()
        .expect("kept");
    let mut permissions = std::fs::metadata(&pack).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut permissions, 0o644);
    std::fs::set_permissions(&pack, permissions).unwrap();
    let file = std::fs::OpenOptions::new().write(true).open(&pack).unwrap();
    std::os::unix::fs::FileExt::write_all_at(&file, b"Subject: forged", offset).unwrap();
    assert!(view.source(day(4), four.id).await.is_err());

    world.engine.shutdown().await;
}
