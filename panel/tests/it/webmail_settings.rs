// SPDX-License-Identifier: AGPL-3.0-only
//! The webmail's settings (issue 10): a name and a signature per sender address, kept as the
//! engine's identities and used when writing; the list by conversation and its page size;
//! senders whose images are always shown; and the addresses suggested while typing.

use serde_json::Value;

use super::{
    webmail::from_outside,
    webmail_writing::{ada_and_bob, field_of},
};
use crate::harness::{Casella, Web};

/// Waits until `web`'s Inbox lists a message with `subject`; its row.
fn in_inbox(web: &Web, subject: &str) -> Value {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let page = web
            .call("mail/messages", &[("folder", ""), ("page", "0")])
            .expect("the inbox");
        if let Some(row) = page["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["subject"] == subject)
        {
            return row.clone();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{subject} never arrived"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}

fn send(web: &Web, from: &str, to: &str, subject: &str, text: &str) {
    let outcome = web
        .call(
            "mail/send",
            &[
                ("form[from]", from),
                ("form[to]", to),
                ("form[subject]", subject),
                ("form[text]", text),
            ],
        )
        .expect("sent");
    assert_eq!(outcome["sent"], true, "{outcome}");
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn webmail_signs_groups_conversations_and_suggests_addresses() {
    let casella = Casella::start(true);
    let (ada, bob, ada_web, bob_web, postmaster) = ada_and_bob(&casella, "settings.test");
    postmaster
        .call(
            "mailboxes/add_alias",
            &[("address", &ada), ("alias", "sales")],
        )
        .expect("alias");

    // One identity per sender address, the mailbox's own first.
    let settings = ada_web.call("mail/settings", &[]).expect("settings");
    let identities = settings["identities"].as_array().unwrap().clone();
    let emails: Vec<&str> = identities
        .iter()
        .map(|i| i["email"].as_str().unwrap())
        .collect();
    assert_eq!(emails, [ada.as_str(), "sales@settings.test"], "{settings}");
    assert_eq!(settings["reading"]["page_size"], 50, "{settings}");
    assert_eq!(settings["reading"]["conversations"], false, "{settings}");
    assert_eq!(settings["image_senders"], serde_json::json!([]));
    assert_eq!(identities[0]["name"], "", "{settings}");
    let sales = "sales@settings.test".to_string();

    // Bad input is named on its field; another mailbox's identity is not found.
    let long = "x".repeat(4001);
    let err = ada_web
        .call(
            "mail/save_identity",
            &[("identity[email]", &ada), ("identity[signature]", &long)],
        )
        .unwrap_err();
    assert_eq!(field_of(&err).as_deref(), Some("signature"), "{err}");
    let err = ada_web
        .call(
            "mail/save_identity",
            &[("identity[email]", &ada), ("identity[name]", "Ada\nBcc: x")],
        )
        .unwrap_err();
    assert_eq!(field_of(&err).as_deref(), Some("name"), "{err}");
    let err = ada_web
        .call(
            "mail/save_identity",
            &[("identity[email]", &bob), ("identity[name]", "Not Bob")],
        )
        .unwrap_err();
    assert_eq!(err, "NotFound", "{err}");
    assert_ne!(
        bob_web.call("mail/settings", &[]).unwrap()["identities"][0]["name"],
        "Not Bob"
    );

    for (id, name, signature) in [
        (&ada, "Ada Rossi", "Ada Rossi\r\nSettings S.p.A."),
        (&sales, "Ada · Sales", "Sales team\nSettings S.p.A."),
    ] {
        ada_web
            .call(
                "mail/save_identity",
                &[
                    ("identity[email]", id),
                    ("identity[name]", name),
                    ("identity[signature]", signature),
                ],
            )
            .expect("identity saved");
    }
    let settings = ada_web.call("mail/settings", &[]).expect("settings");
    assert_eq!(settings["identities"][1]["name"], "Ada · Sales");
    assert_eq!(
        settings["identities"][0]["signature"],
        "Ada Rossi\nSettings S.p.A."
    );

    // A new message starts with the signature of its sender; the form knows both.
    let start = ada_web
        .call("mail/start_compose", &[("mode", "new")])
        .expect("start");
    assert_eq!(
        start["form"]["text"], "\n\n-- \nAda Rossi\nSettings S.p.A.",
        "{start}"
    );
    assert_eq!(start["signatures"].as_array().unwrap().len(), 2, "{start}");

    // Sent from the alias: the recipient sees the alias's name.
    send(
        &ada_web,
        "sales@settings.test",
        &bob,
        "Plan",
        "The plan.\n\n-- \nSales team\nSettings S.p.A.",
    );
    let row = in_inbox(&bob_web, "Plan");
    assert_eq!(row["from"], "Ada · Sales", "{row}");
    assert_eq!(row["from_address"], "sales@settings.test", "{row}");

    // Bob answers; Ada's answer to that starts with her signature above the quote.
    let reply = bob_web
        .call(
            "mail/start_compose",
            &[("mode", "reply"), ("id", row["id"].as_str().unwrap())],
        )
        .expect("reply");
    let outcome = bob_web
        .call(
            "mail/send",
            &[
                ("form[from]", &bob),
                ("form[to]", reply["form"]["to"].as_str().unwrap()),
                ("form[subject]", reply["form"]["subject"].as_str().unwrap()),
                ("form[text]", "Agreed."),
                ("form[origin]", reply["form"]["origin"].as_str().unwrap()),
                ("form[origin_kind]", "reply"),
            ],
        )
        .expect("bob replies");
    assert_eq!(outcome["sent"], true, "{outcome}");
    let answer = in_inbox(&ada_web, "Re: Plan");
    let answer_id = answer["id"].as_str().unwrap();
    let again = ada_web
        .call(
            "mail/start_compose",
            &[("mode", "reply"), ("id", answer_id)],
        )
        .expect("ada replies");
    assert_eq!(again["form"]["from"], "sales@settings.test", "{again}");
    let text = again["form"]["text"].as_str().unwrap();
    assert!(
        text.starts_with("\n\n-- \nSales team\nSettings S.p.A.\n\n") && text.contains("> Agreed."),
        "{text:?}"
    );

    // The reader shows the conversation: Ada's message (in Sent) and Bob's answer.
    let message = ada_web
        .call("mail/message", &[("id", answer_id)])
        .expect("message");
    let conversation: Vec<&str> = message["conversation"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["subject"].as_str().unwrap())
        .collect();
    assert_eq!(conversation, ["Plan", "Re: Plan"], "{message}");

    // By conversation, the list counts each conversation's messages; a page size not offered
    // is refused on its field.
    let err = ada_web
        .call("mail/save_reading", &[("reading[page_size]", "7")])
        .unwrap_err();
    assert_eq!(field_of(&err).as_deref(), Some("page_size"), "{err}");
    ada_web
        .call(
            "mail/save_reading",
            &[
                ("reading[page_size]", "25"),
                ("reading[conversations]", "true"),
            ],
        )
        .expect("reading saved");
    let row = in_inbox(&ada_web, "Re: Plan");
    assert_eq!(row["thread_size"], 2, "{row}");
    // 26 more messages: the first page holds 25 of the 27 conversations.
    for n in 0..26 {
        send(&bob_web, &bob, &ada, &format!("Note {n}"), "A note.");
    }
    // Every note in: 27 conversations (where one lands among equal dates is the engine's).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let page = loop {
        let page = ada_web
            .call("mail/messages", &[("folder", ""), ("page", "0")])
            .expect("the inbox");
        if page["total"] == 27 || std::time::Instant::now() > deadline {
            break page;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    };
    assert_eq!(page["total"], 27, "{page}");
    assert_eq!(page["rows"].as_array().unwrap().len(), 25, "{page}");
    assert_eq!(page["pages"], 2, "{page}");
    ada_web
        .call("mail/save_reading", &[("reading[page_size]", "100")])
        .expect("one message a row again");
    let page = ada_web
        .call("mail/messages", &[("folder", ""), ("page", "0")])
        .expect("the inbox");
    assert_eq!(page["rows"].as_array().unwrap().len(), 27, "{page}");
    assert_eq!(page["rows"][0]["thread_size"], 0, "{page}");

    // Images always shown for a sender: the reader knows it, the settings list it.
    from_outside(&casella, &ada, "Newsletter", "news.1@outside.test");
    let news = in_inbox(&ada_web, "Newsletter");
    let news_id = news["id"].as_str().unwrap();
    let m = ada_web.call("mail/message", &[("id", news_id)]).unwrap();
    assert_eq!(m["images_always"], false, "{m}");
    let err = ada_web
        .call("mail/trust_images", &[("address", "not an address")])
        .unwrap_err();
    assert_eq!(field_of(&err).as_deref(), Some("address"), "{err}");
    ada_web
        .call("mail/trust_images", &[("address", "Carla@Outside.test")])
        .expect("trusted");
    let m = ada_web.call("mail/message", &[("id", news_id)]).unwrap();
    assert_eq!(m["images_always"], true, "{m}");
    let settings = ada_web.call("mail/settings", &[]).unwrap();
    assert_eq!(
        strings(&settings["image_senders"]),
        ["carla@outside.test"],
        "{settings}"
    );
    // Only Ada's: Bob's reader is not affected.
    assert_eq!(
        bob_web.call("mail/settings", &[]).unwrap()["image_senders"],
        serde_json::json!([])
    );
    ada_web
        .call("mail/forget_images", &[("address", "carla@outside.test")])
        .expect("forgotten");
    let err = ada_web
        .call("mail/forget_images", &[("address", "carla@outside.test")])
        .unwrap_err();
    assert_eq!(err, "NotFound", "{err}");
    let m = ada_web.call("mail/message", &[("id", news_id)]).unwrap();
    assert_eq!(m["images_always"], false, "{m}");

    // Suggestions: people written to (with their names), the domain's mailboxes, never the
    // mailbox's own addresses; nothing for nothing typed.
    let suggest = |typed: &str| -> Vec<String> {
        strings(
            &ada_web
                .call("mail/suggestions", &[("typed", typed)])
                .expect("suggestions"),
        )
    };
    let bob_named = format!("Test bob <{bob}>");
    assert_eq!(suggest("bo"), std::slice::from_ref(&bob_named));
    assert_eq!(suggest("TEST BOB"), [bob_named], "found by name");
    let postmaster_found = suggest("post");
    assert!(
        postmaster_found.len() == 1 && postmaster_found[0].contains("postmaster@settings.test"),
        "{postmaster_found:?}"
    );
    assert!(suggest("sales").is_empty(), "own alias");
    assert!(suggest("ada").is_empty(), "own address");
    assert!(suggest("   ").is_empty());
    send(
        &ada_web,
        &ada,
        "\"Rossi, Dario\" <dario@elsewhere.test>",
        "Hello",
        "Hi Dario",
    );
    assert_eq!(
        suggest("dario"),
        ["\"Rossi, Dario\" <dario@elsewhere.test>"]
    );
    // Formatted text: kept to what the editor makes, sent beside the plain text, and a
    // draft written with it opens with it.
    let rich = "<p onclick=\"steal()\"><b>Bold</b> offer, <a href=\"https://shop.test/\">shop</a>\
                <img src=\"https://tracker.test/p.gif\"><script>alert(1)</script></p>";
    let draft = ada_web
        .call(
            "mail/save_draft",
            &[
                ("form[from]", &ada),
                ("form[to]", &bob),
                ("form[subject]", "Formatted offer"),
                ("form[text]", "Bold offer, shop"),
                ("form[html]", rich),
            ],
        )
        .expect("draft");
    let again = ada_web
        .call(
            "mail/start_compose",
            &[("mode", "draft"), ("id", draft.as_str().unwrap())],
        )
        .expect("draft taken up");
    let html = again["form"]["html"].as_str().unwrap();
    assert!(
        html.contains("<b>Bold</b>") && html.contains("https://shop.test/"),
        "{html}"
    );
    for gone in ["onclick", "<img", "script", "tracker"] {
        assert!(!html.contains(gone), "{gone} in {html}");
    }
    let outcome = ada_web
        .call(
            "mail/send",
            &[
                ("form[draft]", draft.as_str().unwrap()),
                ("form[from]", &ada),
                ("form[to]", &bob),
                ("form[subject]", "Formatted offer"),
                ("form[text]", "Bold offer, shop"),
                ("form[html]", html),
            ],
        )
        .expect("sent");
    assert_eq!(outcome["sent"], true, "{outcome}");
    let offer = in_inbox(&bob_web, "Formatted offer");
    let offer_id = offer["id"].as_str().unwrap();
    let m = bob_web.call("mail/message", &[("id", offer_id)]).unwrap();
    assert_eq!(m["has_html"], true, "{m}");
    assert_eq!(m["text"], "Bold offer, shop", "{m}");
    let (_, source) = bob_web.page(&format!("/webmail/messages/{offer_id}/source"));
    assert!(source.contains("multipart/alternative"), "{source}");
    assert!(
        !source.contains("script") && !source.contains("onclick"),
        "{source}"
    );

    // Bob suggests from his own correspondents, not Ada's.
    assert!(
        strings(
            &bob_web
                .call("mail/suggestions", &[("typed", "dario")])
                .unwrap()
        )
        .is_empty()
    );
}
