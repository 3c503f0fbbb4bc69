// SPDX-License-Identifier: AGPL-3.0-only
//! Changes to one message from several writers at once (two tabs, a reply marking its
//! original while the reply's delivery merges the thread, an IMAP client): each one lands.

use engine_glue::MessageChange;

use crate::{
    harness::mx_send,
    time_machine::{InProcess, arrived, as_served},
};

#[test]
fn changes_to_one_message_at_once_all_land() {
    as_served(changes_at_once);
}

async fn changes_at_once() {
    let world = InProcess::start().await;
    let smtp = world.smtp;
    let sent = tokio::task::spawn_blocking(move || mx_send(smtp, "bob@demo.test", "busy"))
        .await
        .unwrap();
    assert!(sent, "the MX took the message");
    let mail = std::sync::Arc::new(world.engine.mail_of("bob@demo.test").await.unwrap());
    let id = arrived(&mail, "busy").await;

    // Twelve writers at once, four for each keyword: the engine refuses a write overtaken by
    // another, and every one of them must still be done.
    let writers = (0..12).map(|n| {
        let (mail, id) = (mail.clone(), id.clone());
        tokio::spawn(async move {
            let keyword = ["$seen", "$flagged", "$answered"][n % 3];
            let change = MessageChange::Keyword { keyword, on: true };
            mail.change_messages(std::slice::from_ref(&id), change)
                .await
        })
    });
    for writer in writers.collect::<Vec<_>>() {
        assert_eq!(
            writer.await.unwrap().unwrap(),
            1,
            "each writer changed the message"
        );
    }
    let summary = mail.message(&id).await.unwrap().unwrap().summary;
    assert!(
        summary.seen && summary.flagged && summary.answered,
        "{summary:?}"
    );
}
