// SPDX-License-Identifier: AGPL-3.0-only
//! What chat apps get beyond talking (slixmpp): block lists (XEP-0191), client state
//! indication (XEP-0352), shared files kept in the mailbox (XEP-0363), avatars over personal
//! eventing (XEP-0084, XEP-0163), and a dropped session that is not resumed in time.

use crate::{
    Casella, Web,
    chat::{chat_domain, client},
    flows::PASSWORD,
};

#[test]
fn blocked_contacts_see_and_reach_nothing_and_idle_clients_are_not_woken() {
    let casella = Casella::start(true);
    chat_domain(&casella);

    // XEP-0191: Anna blocks Bruno. He sees her go offline; his message to her is refused
    // without saying why, hers to him is refused as blocked; nothing reaches her. Unblocked,
    // she is back for him and his messages reach her.
    let blocked = client(
        &casella,
        &[
            "block",
            "anna@chat.test",
            PASSWORD,
            "bruno@chat.test",
            PASSWORD,
        ],
    );
    assert_eq!(blocked["ok"], true, "{blocked}");
    assert_eq!(blocked["listed"], serde_json::json!(["bruno@chat.test"]));
    assert_eq!(blocked["gone"], "unavailable", "{blocked}");
    assert_eq!(blocked["b_error"], "service-unavailable", "{blocked}");
    assert_eq!(blocked["a_error"], "not-acceptable", "{blocked}");
    assert_eq!(blocked["a_blocked_marker"], true, "{blocked}");
    assert_eq!(blocked["a_heard"], serde_json::json!([]), "{blocked}");
    assert_eq!(blocked["back"], "available", "{blocked}");
    assert_eq!(blocked["got"], "Di nuovo qui", "{blocked}");
    // The refused messages were not kept: the history has only the one after unblocking.
    let history = client(
        &casella,
        &[
            "history",
            "anna@chat.test",
            PASSWORD,
            "bruno@chat.test",
            "10",
        ],
    );
    assert_eq!(
        history["bodies"],
        serde_json::json!(["Di nuovo qui"]),
        "{history}"
    );

    // XEP-0352: while Anna's client is inactive, Bruno's status changes wait; his message
    // wakes it, the latest status first.
    let idle = client(
        &casella,
        &[
            "csi",
            "anna@chat.test",
            PASSWORD,
            "bruno@chat.test",
            PASSWORD,
        ],
    );
    assert_eq!(idle["ok"], true, "{idle}");
    assert_eq!(idle["advertised"], true, "{idle}");
    assert_eq!(idle["held"], 0, "{idle}");
    assert_eq!(
        idle["order"],
        serde_json::json!(["presence:dnd", "message"]),
        "{idle}"
    );
}

#[test]
fn shared_files_are_kept_in_the_mailbox_and_reached_by_their_address() {
    let casella = Casella::start(true);
    chat_domain(&casella);

    // XEP-0363: the limit is advertised, a slot is given, the file is put once (the size
    // asked for only) and fetched back as it was, and its address reaches the contact.
    let shared = client(
        &casella,
        &[
            "upload",
            "anna@chat.test",
            PASSWORD,
            "bruno@chat.test",
            "50000",
        ],
    );
    assert_eq!(shared["ok"], true, "{shared}");
    assert_eq!(shared["limit"], 25 * 1024 * 1024, "{shared}");
    let url = shared["put_url"].as_str().unwrap().to_string();
    assert!(
        url.starts_with(&casella.url("/chat/files/")) && url.ends_with("/foto%20di%20prova%2Epng"),
        "{shared}"
    );
    assert_eq!(shared["same_url"], true);
    assert_eq!(shared["short_status"], 400, "{shared}");
    assert_eq!(shared["put_status"], 201, "{shared}");
    assert_eq!(
        shared["again_status"], 404,
        "a slot takes one file: {shared}"
    );
    assert_eq!(shared["get_status"], 200, "{shared}");
    assert_eq!(shared["same_bytes"], true, "{shared}");
    assert_eq!(shared["content_type"], "image/png", "{shared}");
    assert_eq!(shared["sandboxed"], true, "{shared}");
    assert!(
        shared["disposition"]
            .as_str()
            .is_some_and(|d| d.starts_with("inline")),
        "{shared}"
    );
    assert_eq!(shared["too_big"]["condition"], "not-acceptable", "{shared}");
    assert_eq!(shared["too_big"]["max"], 25 * 1024 * 1024, "{shared}");
    let got = client(&casella, &["receive", "bruno@chat.test", PASSWORD, &url]);
    assert_eq!(got["ok"], true, "{got}");

    // The file is a message in Anna's mailbox, counted in her quota; deleted for good there,
    // it is no longer shared.
    let anna = Web::new(&casella);
    anna.login("anna@chat.test", PASSWORD)
        .expect("anna signs in");
    let folders = anna.call("mail/folders", &[]).expect("folders");
    let files = folders
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "Chat files")
        .unwrap_or_else(|| panic!("no Chat files folder: {folders}"))
        .clone();
    let folder = files["id"].as_str().unwrap();
    let page = anna
        .call("mail/messages", &[("folder", folder), ("page", "0")])
        .expect("messages");
    assert_eq!(page["total"], 1, "{page}");
    let id = page["rows"][0]["id"].as_str().unwrap().to_string();
    assert_eq!(
        anna.call(
            "mail/act",
            &[("folder", folder), ("action", "delete"), ("ids[0]", &id)],
        )
        .expect("deleted"),
        1
    );
    anna.call("mail/empty_trash", &[]).expect("trash emptied");
    let (status, _) = Web::new(&casella).page(url.trim_start_matches(&casella.url("")));
    assert_eq!(status, 404);
}

#[test]
fn a_session_not_resumed_in_time_loses_nothing() {
    let casella = Casella::start_with(true, &[("CASELLA_XMPP__RESUME_SECONDS", "2")]);
    chat_domain(&casella);
    // Carla's app drops its connection and does not come back within the window: what Anna
    // wrote meanwhile was held by the dropped session, and waits for Carla's next sign-in.
    let out = client(
        &casella,
        &[
            "expire",
            "carla@chat.test",
            PASSWORD,
            "anna@chat.test",
            PASSWORD,
            "2",
        ],
    );
    assert_eq!(out["ok"], true, "{out}");
    assert_eq!(
        out["bodies"],
        serde_json::json!(["Mentre eri via A", "Mentre eri via B"]),
        "{out}"
    );
}

#[test]
fn avatars_published_by_one_reach_the_colleagues_and_private_items_stay_private() {
    let casella = Casella::start(true);
    chat_domain(&casella);
    let run = client(
        &casella,
        &[
            "avatars",
            "anna@chat.test",
            PASSWORD,
            "bruno@chat.test",
            PASSWORD,
            "carla@chat.test",
            PASSWORD,
        ],
    );
    assert_eq!(run["ok"], true, "{run}");
    // Bruno, online, is told of Anna's new avatar and fetches the same picture.
    assert_eq!(run["told_from"], "anna@chat.test");
    assert_eq!(run["told_id"], run["picture_id"]);
    assert_eq!(run["fetched_same"], true);
    // An item kept with the `whitelist` access model is Anna's alone.
    assert_eq!(run["own_private"], serde_json::json!(["only mine"]));
    assert_eq!(run["hidden"], "item-not-found");
    assert_eq!(run["forbidden"], "forbidden");
    assert!(
        run["pep_identity"]
            .as_array()
            .unwrap()
            .contains(&serde_json::json!(["pubsub", "pep"])),
        "{run}"
    );
    // Carla, coming online later, is told of it on arrival.
    assert_eq!(run["arrived_from"], "anna@chat.test");
}
