// SPDX-License-Identifier: AGPL-3.0-only
//! The webmail's mail (issue 10): messages delivered by a real SMTP client show up in the
//! recipient's folders, list and reader, read through the engine with the mailbox's own
//! rights; another mailbox's message is not found, and staff without a mailbox have no mail.

use serde_json::Value;

use crate::{
    flows::{self, PASSWORD},
    harness::{Casella, Web, mail},
};

fn folders(web: &Web) -> Vec<Value> {
    web.call("mail/folders", &[])
        .expect("folders")
        .as_array()
        .unwrap()
        .clone()
}

fn inbox(web: &Web) -> Value {
    folders(web)
        .into_iter()
        .find(|f| f["role"] == "inbox")
        .expect("an inbox")
}

#[test]
fn delivered_mail_is_listed_and_read_by_its_owner_only() {
    let casella = Casella::start(true);
    let operator = flows::operator(&casella);
    let postmaster = flows::customer_domain(&casella, &operator, "webmail.test", 5);
    let ada = flows::mailbox(&postmaster, "webmail.test", "ada");
    let bob = flows::mailbox(&postmaster, "webmail.test", "bob");
    let mx = casella.ports.smtp.to_string();
    for n in 1..=3 {
        let subject = format!("Quarterly figures {n}");
        let codes = mail(&[
            "send",
            &mx,
            "mx",
            "",
            "",
            "carla@outside.test",
            &ada,
            &subject,
            &format!("figures.{n}@outside.test"),
        ]);
        assert_eq!(codes.trim(), "250 250", "{codes}");
    }
    let ada_web = Web::new(&casella);
    ada_web.login(&ada, PASSWORD).expect("ada signs in");

    // The special folders first, Inbox at the top, with its counts.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let inbox_folder = loop {
        let inbox_folder = inbox(&ada_web);
        if inbox_folder["total"] == 3 {
            break inbox_folder;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "not delivered: {inbox_folder}"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    };
    assert_eq!(inbox_folder["unread"], 3, "{inbox_folder}");
    let listed = folders(&ada_web);
    assert_eq!(listed[0]["role"], "inbox", "{listed:?}");
    for role in ["sent", "drafts", "trash", "junk"] {
        assert!(
            listed.iter().any(|f| f["role"] == role),
            "no {role}: {listed:?}"
        );
    }

    // The list: newest first, with sender, subject and preview.
    let id = inbox_folder["id"].as_str().unwrap();
    let page = ada_web
        .call("mail/messages", &[("folder", id), ("page", "0")])
        .expect("messages");
    assert_eq!(page["total"], 3, "{page}");
    assert_eq!(page["pages"], 1, "{page}");
    let rows = page["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 3);
    let first = &rows[0];
    assert_eq!(first["from_address"], "carla@outside.test", "{first}");
    assert!(
        first["subject"]
            .as_str()
            .unwrap()
            .starts_with("Quarterly figures"),
        "{first}"
    );
    assert!(
        first["preview"]
            .as_str()
            .unwrap()
            .contains("Sent by the trace test"),
        "{first}"
    );
    assert_eq!(first["seen"], false);
    assert!(
        rows.windows(2)
            .all(|w| w[0]["received_at"].as_str() >= w[1]["received_at"].as_str())
    );
    // No folder: the Inbox.
    let default = ada_web
        .call("mail/messages", &[("folder", ""), ("page", "0")])
        .expect("the inbox");
    assert_eq!(default["folder"]["id"], id, "{default}");
    assert_eq!(default["rows"], page["rows"]);

    // The reader: headers and the plain-text body.
    let message_id = first["id"].as_str().unwrap();
    let message = ada_web
        .call("mail/message", &[("id", message_id)])
        .expect("message");
    assert_eq!(message["to"][0], ada.as_str(), "{message}");
    assert!(
        message["message_id"]
            .as_str()
            .unwrap()
            .ends_with("@outside.test"),
        "{message}"
    );
    assert!(
        message["text"]
            .as_str()
            .unwrap()
            .contains("Sent by the trace test"),
        "{message}"
    );
    assert_eq!(message["has_html"], false);
    assert!(
        message["folders"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f == id)
    );

    // Another mailbox: its own empty inbox, and ada's message and folder are not there.
    let bob_web = Web::new(&casella);
    bob_web.login(&bob, PASSWORD).expect("bob signs in");
    assert_eq!(inbox(&bob_web)["total"], 0);
    assert_eq!(
        bob_web
            .call("mail/message", &[("id", message_id)])
            .unwrap_err(),
        "NotFound"
    );
    let bob_inbox = inbox(&bob_web);
    if bob_inbox["id"] != id {
        assert_eq!(
            bob_web
                .call("mail/messages", &[("folder", id), ("page", "0")])
                .unwrap_err(),
            "NotFound"
        );
    }
    assert_eq!(operator.call("mail/folders", &[]).unwrap_err(), "Forbidden");
}
