// SPDX-License-Identifier: AGPL-3.0-only
//! Group aliases (issue 11, "Aliases as group chats"): one address of a domain that delivers
//! to several of its mailboxes, managed by the postmaster; mail to it reaches every member,
//! and nothing is half-made when input is wrong.

use serde_json::Value;

use crate::{
    Casella, Web,
    chat::{chat_domain, client},
    error_field,
    flows::{self, PASSWORD},
    mail,
    webmail::web_where,
};

/// The domain's group aliases, as the page lists them.
fn groups(postmaster: &Web, domain: &str) -> Vec<Value> {
    postmaster
        .call("domain/groups", &[("domain", domain)])
        .expect("groups")
        .as_array()
        .unwrap()
        .clone()
}

fn members(postmaster: &Web, domain: &str, group: &str) -> Vec<String> {
    groups(postmaster, domain)
        .into_iter()
        .find(|g| g["address"] == group)
        .map(|g| {
            g["members"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m.as_str().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// Sends from outside over the MX port; the reply codes (each RCPT's, then DATA's).
fn send_from_outside(casella: &Casella, to: &str, subject: &str) -> String {
    let mx = casella.ports.smtp.to_string();
    mail(&[
        "send",
        &mx,
        "mx",
        "",
        "",
        "carla@outside.test",
        to,
        subject,
        &format!("{}@outside.test", subject.replace(' ', ".")),
    ])
    .trim()
    .to_string()
}

/// Waits until `web`'s mailbox holds a message with this subject.
fn arrives(web: &Web, subject: &str) -> bool {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while std::time::Instant::now() < deadline {
        if web_where(web, subject).is_some() {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    false
}

#[test]
fn a_group_alias_delivers_to_its_members_and_is_managed_by_the_postmaster() {
    let casella = Casella::start(true);
    let operator = flows::operator(&casella);
    let postmaster = flows::customer_domain(&casella, &operator, "team.test", 10);
    for local in ["anna", "bruno", "carla"] {
        flows::mailbox(&postmaster, "team.test", local);
    }
    let other = flows::customer_domain(&casella, &operator, "other.test", 10);
    flows::mailbox(&other, "other.test", "olga");
    let domain = "team.test";

    // Wrong input is named on its field and creates nothing.
    let create = |local: &str, name: &str, members: &str| {
        postmaster.call(
            "domain/create_group",
            &[
                ("domain", domain),
                ("local_part", local),
                ("name", name),
                ("members", members),
            ],
        )
    };
    for (local, members, field) in [
        ("bad address", "anna", "local_part"),
        ("sales", "", "members"),
        ("sales", "anna, nobody", "members"),
        ("sales", "olga@other.test", "members"),
        // An address already in use, by a mailbox.
        ("anna", "bruno", "local_part"),
    ] {
        let err = create(local, "", members).unwrap_err();
        assert_eq!(
            error_field(&err).as_deref(),
            Some(field),
            "{local} {members}: {err}"
        );
    }
    assert!(groups(&postmaster, domain).is_empty());

    create("sales", "Ufficio vendite", "anna, bruno@team.test anna").expect("created");
    assert_eq!(
        members(&postmaster, domain, "sales@team.test"),
        ["anna@team.test", "bruno@team.test"]
    );
    assert_eq!(groups(&postmaster, domain)[0]["name"], "Ufficio vendite");
    // The address is taken now, for a mailbox, an alias and another group alike.
    let err = create("sales", "", "carla").unwrap_err();
    assert_eq!(error_field(&err).as_deref(), Some("local_part"), "{err}");
    let err = postmaster
        .call(
            "mailboxes/add_alias",
            &[("address", "carla@team.test"), ("alias", "sales")],
        )
        .unwrap_err();
    assert_eq!(error_field(&err).as_deref(), Some("alias"), "{err}");
    // The other domain's postmaster does not see it.
    assert!(other.call("domain/groups", &[("domain", domain)]).is_err());
    assert_eq!(
        outcome_kind(other.call(
            "domain/delete_group",
            &[("domain", "other.test"), ("group", "sales@team.test")]
        )),
        "NotFound"
    );

    // Mail to the group reaches each member, once.
    let [anna, bruno, carla] = ["anna", "bruno", "carla"].map(|local| {
        let web = Web::new(&casella);
        web.login(&format!("{local}@{domain}"), PASSWORD)
            .expect("member login");
        web
    });
    assert_eq!(
        send_from_outside(&casella, "sales@team.test", "Offer one"),
        "250 250"
    );
    assert!(arrives(&anna, "Offer one"), "anna got the group's mail");
    assert!(arrives(&bruno, "Offer one"), "bruno got the group's mail");
    assert!(web_where(&carla, "Offer one").is_none());

    // Members change at once; the last one stays.
    postmaster
        .call(
            "domain/add_group_member",
            &[
                ("domain", domain),
                ("group", "sales@team.test"),
                ("member", "carla"),
            ],
        )
        .expect("added");
    let err = postmaster
        .call(
            "domain/add_group_member",
            &[
                ("domain", domain),
                ("group", "sales@team.test"),
                ("member", "carla"),
            ],
        )
        .unwrap_err();
    assert_eq!(error_field(&err).as_deref(), Some("member"), "{err}");
    postmaster
        .call(
            "domain/remove_group_member",
            &[
                ("domain", domain),
                ("group", "sales@team.test"),
                ("member", "anna@team.test"),
            ],
        )
        .expect("removed");
    assert_eq!(
        send_from_outside(&casella, "sales@team.test", "Offer two"),
        "250 250"
    );
    assert!(
        arrives(&carla, "Offer two"),
        "a new member gets the group's mail"
    );
    assert!(arrives(&bruno, "Offer two"));
    std::thread::sleep(std::time::Duration::from_secs(1));
    assert!(
        web_where(&anna, "Offer two").is_none(),
        "a former member does not"
    );
    postmaster
        .call(
            "domain/remove_group_member",
            &[
                ("domain", domain),
                ("group", "sales@team.test"),
                ("member", "bruno@team.test"),
            ],
        )
        .expect("removed");
    let err = postmaster
        .call(
            "domain/remove_group_member",
            &[
                ("domain", domain),
                ("group", "sales@team.test"),
                ("member", "carla@team.test"),
            ],
        )
        .unwrap_err();
    assert_eq!(error_field(&err).as_deref(), Some("member"), "{err}");

    // A deleted mailbox leaves its groups with it.
    create("desk", "", "bruno, carla").expect("second group");
    postmaster
        .call(
            "mailboxes/delete_mailbox",
            &[
                ("address", "bruno@team.test"),
                ("confirm", "bruno@team.test"),
            ],
        )
        .expect("mailbox deleted");
    assert_eq!(
        members(&postmaster, domain, "desk@team.test"),
        ["carla@team.test"]
    );

    // Deleting the group refuses its mail from then on, and frees the address.
    postmaster
        .call(
            "domain/delete_group",
            &[("domain", domain), ("group", "sales@team.test")],
        )
        .expect("deleted");
    assert_eq!(
        send_from_outside(&casella, "sales@team.test", "Offer three"),
        "550 -"
    );
    flows::mailbox(&postmaster, domain, "sales");
    assert_eq!(
        groups(&postmaster, domain)
            .iter()
            .map(|g| g["address"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["desk@team.test"]
    );
}

fn outcome_kind(result: Result<Value, Value>) -> String {
    match result {
        Ok(_) => "Ok".into(),
        Err(Value::String(kind)) => kind,
        Err(err) => err.to_string(),
    }
}

#[test]
fn chat_clients_find_a_group_alias_as_a_room_and_talk_in_it() {
    let casella = Casella::start(true);
    let postmaster = chat_domain(&casella);
    flows::mailbox(&postmaster, "chat.test", "dario");
    postmaster
        .call(
            "domain/create_group",
            &[
                ("domain", "chat.test"),
                ("local_part", "vendite"),
                ("name", "Ufficio vendite"),
                ("members", "anna, bruno, carla"),
            ],
        )
        .expect("group");
    let run = client(
        &casella,
        &[
            "groupchat",
            "anna@chat.test",
            PASSWORD,
            "bruno@chat.test",
            PASSWORD,
            "carla@chat.test",
            PASSWORD,
            "dario@chat.test",
            PASSWORD,
        ],
    );
    assert_eq!(run["ok"], true, "{run}");
    let room = "vendite@conference.chat.test";
    // The service is found from the server, and the room in it and in the bookmarks.
    assert_eq!(
        run["services"],
        serde_json::json!(["conference.chat.test"]),
        "{run}"
    );
    assert_eq!(
        run["service_identity"],
        serde_json::json!([["conference", "text"]])
    );
    assert_eq!(run["rooms"], serde_json::json!([[room, "Ufficio vendite"]]));
    assert_eq!(
        run["bookmarks"],
        serde_json::json!([{"jid": room, "name": "Ufficio vendite", "autojoin": "true"}])
    );
    let features: Vec<&str> = run["room_features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    for feature in [
        "http://jabber.org/protocol/muc",
        "muc_membersonly",
        "muc_persistent",
        "urn:xmpp:mam:2",
        "http://jabber.org/protocol/muc#self-ping-optimization",
    ] {
        assert!(features.contains(&feature), "{feature}: {features:?}");
    }
    // Joined under the name the service gives (the address before the @), told so (210).
    assert_eq!(run["a_nick"], "anna");
    assert_eq!(run["a_codes"], serde_json::json!([110, 170, 210]));
    assert_eq!(run["subject"], "Ufficio vendite");
    // Bruno finds Anna in the room (slixmpp lists itself among the occupants too).
    assert_eq!(run["b_occupants"], serde_json::json!(["anna", "bruno"]));
    // A client asks the room whether it is still in it (XEP-0410): yes once joined, and
    // "join again" before.
    assert_eq!(run["self_ping"], "ok");
    assert_eq!(run["ping_before_join"], "not-acceptable");
    // Typing reaches the other occupant, as the writer's occupant, and not the writer.
    assert_eq!(run["typing_b_from"], format!("{room}/anna"));
    assert_eq!(run["typing_a_echo"], false);
    // Messages reach the other occupant and come back to the sender as the room's echo.
    assert_eq!(run["heard_b_from"], format!("{room}/anna"));
    assert_eq!(run["echo_stanza_id"], true);
    assert_eq!(run["heard_a_from"], format!("{room}/bruno"));
    assert_eq!(run["refused"], "not-acceptable");
    // Carla was away: joining gives her what was said, and so does the room's archive.
    assert_eq!(
        run["c_history"],
        serde_json::json!([["anna", "Ciao gruppo"], ["bruno", "Eccomi"]])
    );
    assert_eq!(
        run["c_archive"],
        serde_json::json!(["Ciao gruppo", "Eccomi"])
    );
    assert_eq!(run["c_archive_from"], room);
    // A colleague who is not a member is turned away.
    assert_eq!(run["turned_away"], "registration-required");

    // A group made again at the same address starts a new conversation: the old one's
    // history is not its members'.
    let group = [("domain", "chat.test"), ("group", "vendite@chat.test")];
    postmaster
        .call("domain/delete_group", &group)
        .expect("deleted");
    postmaster
        .call(
            "domain/create_group",
            &[
                ("domain", "chat.test"),
                ("local_part", "vendite"),
                ("name", "Vendite"),
                ("members", "anna, dario"),
            ],
        )
        .expect("made again");
    let again = client(
        &casella,
        &[
            "room-say",
            "dario@chat.test",
            PASSWORD,
            room,
            "Nuovo inizio",
        ],
    );
    assert_eq!(again["ok"], true, "{again}");
    assert_eq!(again["history"], serde_json::json!([]), "{again}");
}
