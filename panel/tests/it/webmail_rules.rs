// SPDX-License-Identifier: AGPL-3.0-only
//! The webmail's rules (issue 10): a vacation reply and filters, kept as a Sieve script in the
//! engine and run by it on delivery, with no browser open.

use serde_json::Value;

use super::{
    webmail::{from_outside, web_where},
    webmail_writing::{ada_and_bob, field_of},
};
use crate::{
    flows::{self, PASSWORD},
    harness::{Casella, Web},
};

/// Waits until `web` has a message with `subject` in the folder with `role` (or named
/// `name`); its row.
fn arrived_in(web: &Web, subject: &str, folder: &str) -> Value {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        if let Some((f, row)) = web_where(web, subject)
            && (f["role"] == folder || f["name"] == folder)
        {
            return row;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{subject} never arrived in {folder}: {:?}",
            web_where(web, subject)
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}

#[test]
fn webmail_rules_run_in_the_engine_on_delivery() {
    let casella = Casella::start(true);
    let (ada, bob, ada_web, bob_web, postmaster) = ada_and_bob(&casella, "rules.test");
    let cleo = flows::mailbox(&postmaster, "rules.test", "cleo");

    let rules = ada_web.call("mail/rules", &[]).expect("rules");
    assert_eq!(rules["vacation"]["on"], false, "{rules}");
    assert_eq!(rules["filters"], serde_json::json!([]), "{rules}");

    // Wrong input is named on its field and changes nothing.
    for (form, field) in [
        (
            vec![("vacation[on]", "true"), ("vacation[text]", " ")],
            "text",
        ),
        (
            vec![
                ("vacation[on]", "true"),
                ("vacation[text]", "x"),
                ("vacation[first_day]", "2026-13-01"),
            ],
            "first_day",
        ),
        (
            vec![
                ("vacation[on]", "true"),
                ("vacation[text]", "x"),
                ("vacation[first_day]", "2027-01-10"),
                ("vacation[last_day]", "2027-01-01"),
            ],
            "last_day",
        ),
    ] {
        let err = ada_web.call("mail/save_vacation", &form).unwrap_err();
        assert_eq!(field_of(&err).as_deref(), Some(field), "{err}");
    }
    for (form, field) in [
        (
            vec![
                ("filter[field]", "subject"),
                ("filter[contains]", "x"),
                ("filter[action]", "move"),
                ("filter[folder]", "nope"),
            ],
            "folder",
        ),
        (
            vec![
                ("filter[field]", "subject"),
                ("filter[contains]", "x"),
                ("filter[action]", "forward"),
                ("filter[forward]", &ada),
            ],
            "forward",
        ),
        (
            vec![
                ("filter[field]", "subject"),
                ("filter[contains]", "x"),
                ("filter[action]", "forward"),
                ("filter[forward]", "bob"),
            ],
            "forward",
        ),
        (
            vec![
                ("filter[field]", "subject"),
                ("filter[contains]", " "),
                ("filter[action]", "read"),
            ],
            "contains",
        ),
        (
            vec![
                ("filter[field]", "body"),
                ("filter[contains]", "x"),
                ("filter[action]", "read"),
            ],
            "field",
        ),
    ] {
        let err = ada_web.call("mail/add_filter", &form).unwrap_err();
        assert_eq!(field_of(&err).as_deref(), Some(field), "{err}");
    }
    assert_eq!(
        ada_web.call("mail/rules", &[]).expect("rules")["filters"],
        serde_json::json!([])
    );

    // Filters: invoices into their folder, prizes to the Trash, some mail copied to bob.
    let invoices = ada_web
        .call("mail/create_folder", &[("name", "Fatture \"2027\"")])
        .expect("folder");
    let invoices = invoices.as_str().unwrap().to_string();
    for form in [
        vec![
            ("filter[field]", "subject"),
            ("filter[contains]", "Fattura"),
            ("filter[action]", "move"),
            ("filter[folder]", invoices.as_str()),
        ],
        vec![
            ("filter[field]", "subject"),
            ("filter[contains]", "prize"),
            ("filter[action]", "trash"),
        ],
        vec![
            ("filter[field]", "from"),
            ("filter[contains]", "carla@"),
            ("filter[action]", "read"),
        ],
        vec![
            ("filter[field]", "subject"),
            ("filter[contains]", "Forward me"),
            ("filter[action]", "forward"),
            ("filter[forward]", cleo.as_str()),
        ],
    ] {
        ada_web
            .call("mail/add_filter", &form)
            .unwrap_or_else(|e| panic!("{form:?}: {e}"));
    }
    // The vacation reply, with no end day.
    ada_web
        .call(
            "mail/save_vacation",
            &[
                ("vacation[on]", "true"),
                ("vacation[subject]", "Away \"till\" Monday"),
                (
                    "vacation[text]",
                    "Back on Monday.\r\nFor urgent matters call the office.",
                ),
            ],
        )
        .expect("vacation on");
    let rules = ada_web.call("mail/rules", &[]).expect("rules");
    assert_eq!(rules["vacation"]["on"], true, "{rules}");
    assert_eq!(
        rules["vacation"]["subject"], "Away \"till\" Monday",
        "{rules}"
    );
    let filters = rules["filters"].as_array().unwrap();
    assert_eq!(filters.len(), 4, "{rules}");
    assert_eq!(filters[0]["target"], "Fatture \"2027\"", "{rules}");
    assert_eq!(filters[3]["target"], cleo.as_str(), "{rules}");

    // They run in the engine on delivery, with no browser involved.
    let send = |web: &Web, from: &str, to: &str, subject: &str| {
        let outcome = web
            .call(
                "mail/send",
                &[
                    ("form[from]", from),
                    ("form[to]", to),
                    ("form[subject]", subject),
                    ("form[text]", "Hello."),
                ],
            )
            .expect("sent");
        assert_eq!(outcome["sent"], true, "{outcome}");
    };
    send(&bob_web, &bob, &ada, "Fattura 12/2026");
    arrived_in(&ada_web, "Fattura 12/2026", "Fatture \"2027\"");
    // bob hears that ada is away, once.
    let reply = arrived_in(&bob_web, "Away \"till\" Monday", "inbox");
    let reply = bob_web
        .call("mail/message", &[("id", reply["id"].as_str().unwrap())])
        .expect("the vacation reply");
    assert!(
        reply["text"].as_str().unwrap().contains("Back on Monday."),
        "{reply}"
    );
    from_outside(&casella, &ada, "You won a prize", "prize@outside.test");
    let prize = arrived_in(&ada_web, "You won a prize", "trash");
    assert_eq!(
        prize["seen"], true,
        "the filter marked carla's mail read: {prize}"
    );
    send(&bob_web, &bob, &ada, "Forward me to cleo");
    arrived_in(&ada_web, "Forward me to cleo", "inbox");
    // A copy goes to cleo (bob already holds the message: the engine keeps one copy of a
    // Message-ID per mailbox, so the copy goes to a third one).
    let cleo_web = Web::new(&casella);
    cleo_web.login(&cleo, PASSWORD).expect("cleo");
    arrived_in(&cleo_web, "Forward me to cleo", "inbox");
    // The reply, had there been a second one, comes with the same delivery.
    std::thread::sleep(std::time::Duration::from_secs(1));
    let inbox_rows = bob_web
        .call("mail/messages", &[("folder", ""), ("page", "0")])
        .expect("bob's inbox");
    let replies = inbox_rows["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["subject"] == "Away \"till\" Monday")
        .count();
    assert_eq!(
        replies, 1,
        "one reply a day, though bob wrote twice: {inbox_rows}"
    );

    // A filter removed is gone from the engine's script too: invoices stay in the Inbox.
    ada_web
        .call("mail/remove_filter", &[("index", "0")])
        .expect("removed");
    assert_eq!(
        bob_web
            .call("mail/remove_filter", &[("index", "0")])
            .unwrap_err(),
        serde_json::json!("NotFound"),
        "bob has no filters of his own"
    );
    send(&bob_web, &bob, &ada, "Fattura 13/2026");
    arrived_in(&ada_web, "Fattura 13/2026", "inbox");
    // Vacation off.
    ada_web
        .call(
            "mail/save_vacation",
            &[("vacation[text]", "Back on Monday.")],
        )
        .expect("vacation off");
    let rules = ada_web.call("mail/rules", &[]).expect("rules");
    assert_eq!(rules["vacation"]["on"], false, "{rules}");
    assert_eq!(rules["filters"].as_array().unwrap().len(), 3, "{rules}");
}
