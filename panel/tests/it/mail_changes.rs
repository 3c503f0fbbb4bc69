// SPDX-License-Identifier: AGPL-3.0-only
//! Changes to one message from several writers at once (two tabs, a reply marking its
//! original while the reply's delivery merges the thread, an IMAP client): each one lands.

use std::time::Duration;

use engine_glue::{Address, Draft, MailAccess, MessageChange};

use crate::{
    harness::mx_send,
    time_machine::{InProcess, arrived, as_served, inbox_of},
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

#[test]
fn mail_to_oneself_is_one_copy_in_the_inbox() {
    as_served(to_oneself);
}

/// How many messages of the Inbox have this subject.
async fn inbox_copies(mail: &MailAccess, inbox: &str, subject: &str) -> usize {
    let mut copies = 0;
    for id in mail.message_ids(inbox, 500).await.unwrap() {
        if let Some(m) = mail.message(&id).await.unwrap()
            && m.summary.subject == subject
        {
            copies += 1;
        }
    }
    copies
}

async fn to_oneself() {
    let world = InProcess::start().await;
    let mail = world.engine.mail_of("bob@demo.test").await.unwrap();
    let me = Address {
        name: None,
        email: "bob@demo.test".into(),
    };
    let inbox = inbox_of(&mail).await;
    // The engine's delivery of each note runs through its queue beside the webmail's filing
    // of the sent copy: whichever comes first, one copy.
    let subjects: Vec<String> = (1..=20).map(|n| format!("Note to self {n}")).collect();
    for subject in &subjects {
        let draft = Draft {
            from: me.clone(),
            to: vec![me.clone()],
            subject: subject.clone(),
            text: "Remember.".into(),
            ..Draft::default()
        };
        let id = mail.save_draft(&draft, None).await.unwrap();
        let sent = mail.send_draft(&id).await.unwrap();
        assert_eq!(sent.accepted, ["bob@demo.test"], "{sent:?}");
        // Filed in the Inbox when sending returns.
        assert_eq!(inbox_copies(&mail, &inbox, subject).await, 1, "{subject}");
    }
    // A second copy would come from the queue shortly after: none does.
    tokio::time::sleep(Duration::from_secs(3)).await;
    for subject in &subjects {
        assert_eq!(
            inbox_copies(&mail, &inbox, subject).await,
            1,
            "{subject} is in the Inbox once"
        );
    }
}
