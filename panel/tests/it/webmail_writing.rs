// SPDX-License-Identifier: AGPL-3.0-only
//! Writing mail in the webmail (issue 10): drafts and sending through the engine as the
//! mailbox, attachments, and the rules (vacation reply and filters) the engine runs on
//! delivery.

use serde_json::Value;

use super::webmail::{folders, inbox, web_where};
use crate::{
    flows::{self, PASSWORD},
    harness::{Casella, Web},
};

/// Waits until `web` has a message with `subject` somewhere; its folder and row.
fn arrived(web: &Web, subject: &str) -> (Value, Value) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        if let Some(found) = web_where(web, subject) {
            return found;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{subject} never arrived"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}

pub(crate) fn field_of(err: &Value) -> Option<String> {
    err.get("Invalid")?
        .get("field")?
        .as_str()
        .map(str::to_string)
}

fn folder_total(web: &Web, role: &str) -> u64 {
    folders(web)
        .into_iter()
        .find(|f| f["role"] == role)
        .and_then(|f| f["total"].as_u64())
        .unwrap_or_default()
}

#[test]
fn webmail_writes_drafts_and_sends_through_the_engine_as_the_mailbox() {
    // A send limit of 3 external recipients a day for the domain's first tier.
    let casella = Casella::start_with(true, &[("CASELLA_SEND_TIERS", "[3, 5, 2000, 5000]")]);
    let operator = flows::operator(&casella);
    let postmaster = flows::customer_domain(&casella, &operator, "write.test", 5);
    let ada = flows::mailbox(&postmaster, "write.test", "ada");
    let bob = flows::mailbox(&postmaster, "write.test", "bob");
    let cleo = flows::mailbox(&postmaster, "write.test", "cleo");
    postmaster
        .call(
            "mailboxes/add_alias",
            &[("address", &ada), ("alias", "sales")],
        )
        .expect("alias");
    // Sending from the webmail does not depend on the mailbox's SMTP access for mail programs.
    postmaster
        .call(
            "mailboxes/set_protocols",
            &[("address", &ada), ("imap", "on")],
        )
        .expect("SMTP off for ada's mail programs");
    let ada_web = Web::new(&casella);
    ada_web.login(&ada, PASSWORD).expect("ada");
    let bob_web = Web::new(&casella);
    bob_web.login(&bob, PASSWORD).expect("bob");
    let cleo_web = Web::new(&casella);
    cleo_web.login(&cleo, PASSWORD).expect("cleo");

    // A new message starts from the mailbox's own address; its aliases may be chosen.
    let start = ada_web
        .call("mail/start_compose", &[("mode", "new")])
        .expect("start");
    assert_eq!(start["form"]["from"], ada.as_str(), "{start}");
    let senders: Vec<&str> = start["senders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert_eq!(senders, [ada.as_str(), "sales@write.test"]);

    // Bad input is named on its field, and nothing is kept.
    let err = ada_web
        .call(
            "mail/send",
            &[("form[from]", &ada), ("form[to]", "bob at write.test")],
        )
        .unwrap_err();
    assert_eq!(field_of(&err).as_deref(), Some("to"), "{err}");
    let err = ada_web
        .call("mail/send", &[("form[from]", &bob), ("form[to]", &bob)])
        .unwrap_err();
    assert_eq!(field_of(&err).as_deref(), Some("from"), "{err}");
    let err = ada_web
        .call("mail/send", &[("form[from]", &ada), ("form[to]", "")])
        .unwrap_err();
    assert_eq!(field_of(&err).as_deref(), Some("to"), "{err}");
    assert_eq!(folder_total(&ada_web, "drafts"), 0);

    // A draft, saved twice: the second version replaces the first.
    let draft = ada_web
        .call(
            "mail/save_draft",
            &[
                ("form[from]", "sales@write.test"),
                ("form[to]", &format!("Bob <{bob}>")),
                ("form[subject]", "Price list"),
                ("form[text]", "first words"),
            ],
        )
        .expect("draft");
    let draft = draft.as_str().unwrap().to_string();
    // The finished message, saved again over the first draft and then sent.
    let price_list = |draft: &str| -> Vec<(String, String)> {
        [
            ("form[draft]", draft.to_string()),
            ("form[from]", "sales@write.test".into()),
            ("form[to]", format!("Bob <{bob}>")),
            ("form[bcc]", cleo.clone()),
            ("form[subject]", "Price list".into()),
            ("form[text]", "Here is the price list.\r\nBest, Ada".into()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
    };
    let again = ada_web
        .call("mail/save_draft", &as_refs(&price_list(&draft)))
        .expect("draft saved again");
    let draft = again.as_str().unwrap().to_string();
    assert_eq!(folder_total(&ada_web, "drafts"), 1);
    // Taken up again as it was left.
    let resumed = ada_web
        .call("mail/start_compose", &[("mode", "draft"), ("id", &draft)])
        .expect("resume");
    assert_eq!(resumed["form"]["from"], "sales@write.test", "{resumed}");
    assert_eq!(resumed["form"]["bcc"], cleo.as_str(), "{resumed}");
    assert!(
        resumed["form"]["text"]
            .as_str()
            .unwrap()
            .contains("Best, Ada"),
        "{resumed}"
    );
    // Another mailbox cannot take up, send or throw away ada's draft.
    assert_eq!(
        bob_web
            .call("mail/start_compose", &[("mode", "draft"), ("id", &draft)])
            .unwrap_err(),
        serde_json::json!("NotFound")
    );
    assert_eq!(
        bob_web
            .call("mail/discard_draft", &[("id", &draft)])
            .unwrap_err(),
        serde_json::json!("NotFound")
    );

    // Sent: from the alias, to bob, with cleo in blind copy.
    let outcome = ada_web
        .call("mail/send", &as_refs(&price_list(&draft)))
        .expect("sent");
    assert_eq!(outcome["sent"], true, "{outcome}");
    assert_eq!(outcome["accepted"], 2, "{outcome}");
    assert_eq!(
        folder_total(&ada_web, "drafts"),
        0,
        "the draft became the copy in Sent"
    );
    assert_eq!(folder_total(&ada_web, "sent"), 1);
    let (folder, row) = arrived(&bob_web, "Price list");
    assert_eq!(folder["role"], "inbox");
    assert_eq!(row["from_address"], "sales@write.test", "{row}");
    let (_, cleo_row) = arrived(&cleo_web, "Price list");
    // The recipients' copies carry no Bcc header; the text is as typed.
    for (web, row) in [(&bob_web, &row), (&cleo_web, &cleo_row)] {
        let id = row["id"].as_str().unwrap();
        let (status, _, source) = web.bytes(&format!("/webmail/messages/{id}/source"));
        assert_eq!(status, 200);
        let source = String::from_utf8_lossy(&source).to_lowercase();
        let header = source.split("\r\n\r\n").next().unwrap();
        assert!(!header.contains("bcc:"), "{header}");
        assert!(source.contains("here is the price list."), "{source}");
    }
    let (_, _, bobs) = bob_web.bytes(&format!(
        "/webmail/messages/{}/source",
        row["id"].as_str().unwrap()
    ));
    assert!(
        !String::from_utf8_lossy(&bobs).contains(cleo.as_str()),
        "cleo stays hidden from bob"
    );

    // Bob replies: to ada's alias, "Re:", the original quoted, in the same thread.
    let bob_id = row["id"].as_str().unwrap();
    let reply = bob_web
        .call("mail/start_compose", &[("mode", "reply"), ("id", bob_id)])
        .expect("reply");
    let form = &reply["form"];
    assert_eq!(form["to"], "Test ada <sales@write.test>", "{reply}");
    assert_eq!(form["subject"], "Re: Price list", "{reply}");
    assert!(
        form["text"]
            .as_str()
            .unwrap()
            .contains("> Here is the price list."),
        "{reply}"
    );
    let text = format!("Thanks!{}", form["text"].as_str().unwrap());
    let outcome = bob_web
        .call(
            "mail/send",
            &[
                ("form[from]", form["from"].as_str().unwrap()),
                ("form[to]", form["to"].as_str().unwrap()),
                ("form[subject]", form["subject"].as_str().unwrap()),
                ("form[text]", &text),
                ("form[origin]", bob_id),
                ("form[origin_kind]", "reply"),
            ],
        )
        .expect("reply sent");
    assert_eq!(outcome["sent"], true, "{outcome}");
    let (_, answered) = arrived(&bob_web, "Price list");
    assert_eq!(
        answered["answered"], true,
        "the original is marked answered"
    );
    let (_, got) = arrived(&ada_web, "Re: Price list");
    let ada_reply = ada_web
        .call("mail/message", &[("id", got["id"].as_str().unwrap())])
        .expect("ada reads the reply");
    assert!(
        ada_reply["text"].as_str().unwrap().starts_with("Thanks!"),
        "{ada_reply}"
    );

    // The daily limit: the 4th external recipient is refused, the message still goes to the
    // others, and the refusal says why.
    let outcome = ada_web
        .call(
            "mail/send",
            &[
                ("form[from]", &ada),
                (
                    "form[to]",
                    "a@external.test, b@external.test, c@external.test, d@external.test",
                ),
                ("form[subject]", "Newsletter"),
                ("form[text]", "News."),
            ],
        )
        .expect("sent to some");
    assert_eq!(outcome["sent"], true, "{outcome}");
    assert_eq!(outcome["accepted"], 3, "{outcome}");
    let refused = outcome["refused"].as_array().unwrap();
    assert_eq!(refused.len(), 1, "{outcome}");
    assert_eq!(refused[0]["address"], "d@external.test");
    assert!(
        refused[0]["reply"].as_str().unwrap().starts_with("452"),
        "{outcome}"
    );
    // With every recipient refused nothing goes, and the message stays in Drafts.
    let outcome = ada_web
        .call(
            "mail/send",
            &[
                ("form[from]", &ada),
                ("form[to]", "e@external.test"),
                ("form[subject]", "Too many"),
                ("form[text]", "Kept."),
            ],
        )
        .expect("refused");
    assert_eq!(outcome["sent"], false, "{outcome}");
    let kept = outcome["id"].as_str().unwrap();
    let (folder, _) = web_where(&ada_web, "Too many").expect("kept");
    assert_eq!(folder["role"], "drafts");
    ada_web
        .call("mail/discard_draft", &[("id", kept)])
        .expect("thrown away");
    assert!(web_where(&ada_web, "Too many").is_none());
    // A local recipient is not limited.
    let outcome = ada_web
        .call(
            "mail/send",
            &[
                ("form[from]", &ada),
                ("form[to]", &bob),
                ("form[subject]", "Still local"),
                ("form[text]", "Fine."),
            ],
        )
        .expect("local");
    assert_eq!(outcome["sent"], true, "{outcome}");
    arrived(&bob_web, "Still local");
    // Mail to oneself is one copy, in Sent and in the Inbox, filed in both when sending
    // returns (the queue's own delivery of it has been decided by then; see
    // `mail_changes::mail_to_oneself_is_one_copy_in_the_inbox`).
    let outcome = ada_web
        .call(
            "mail/send",
            &[
                ("form[from]", &ada),
                ("form[to]", &ada),
                ("form[subject]", "Note to self"),
                ("form[text]", "Remember."),
            ],
        )
        .expect("to oneself");
    assert_eq!(outcome["sent"], true, "{outcome}");
    let (_, note) = web_where(&ada_web, "Note to self").expect("filed");
    let note = ada_web
        .call("mail/message", &[("id", note["id"].as_str().unwrap())])
        .expect("the note");
    let sent = folders(&ada_web)
        .into_iter()
        .find(|f| f["role"] == "sent")
        .expect("a Sent folder");
    let mut in_folders = note["folders"].as_array().unwrap().clone();
    in_folders.sort_by_key(|f| f.to_string());
    let mut expected = vec![inbox(&ada_web)["id"].clone(), sent["id"].clone()];
    expected.sort_by_key(|f| f.to_string());
    assert_eq!(in_folders, expected, "{note}");

    // Search: words and operators, over every folder but Trash and Junk unless `in:` says.
    let found = |q: &str| -> Vec<String> {
        let page = ada_web
            .call("mail/messages", &[("folder", ""), ("page", "0"), ("q", q)])
            .unwrap_or_else(|err| panic!("{q}: {err}"));
        assert_eq!(page["query"], q);
        let mut subjects: Vec<String> = page["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["subject"].as_str().unwrap().to_string())
            .collect();
        subjects.sort();
        subjects
    };
    // The engine indexes text shortly after a message arrives.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while found("price").len() < 2 {
        assert!(
            std::time::Instant::now() < deadline,
            "not indexed: {:?}",
            found("price")
        );
        std::thread::sleep(std::time::Duration::from_millis(300));
    }
    assert_eq!(found("price"), ["Price list", "Re: Price list"]);
    assert_eq!(found("in:sent price"), ["Price list"]);
    assert_eq!(found("from:bob"), ["Re: Price list"]);
    assert_eq!(found(r#"subject:"still local""#), ["Still local"]);
    assert_eq!(found("price before:2000-01-01"), Vec::<String>::new());
    assert_eq!(found("price after:2000-01-01 in:inbox"), ["Re: Price list"]);
    let err = ada_web
        .call(
            "mail/messages",
            &[("folder", ""), ("page", "0"), ("q", "before:2026-02-30")],
        )
        .unwrap_err();
    assert_eq!(field_of(&err).as_deref(), Some("q"), "{err}");
}

/// A customer domain with two mailboxes, ada and bob, each signed in to the webmail; also
/// the domain's postmaster, for more mailboxes.
pub(crate) fn ada_and_bob(casella: &Casella, domain: &str) -> (String, String, Web, Web, Web) {
    let operator = flows::operator(casella);
    let postmaster = flows::customer_domain(casella, &operator, domain, 5);
    let ada = flows::mailbox(&postmaster, domain, "ada");
    let bob = flows::mailbox(&postmaster, domain, "bob");
    let ada_web = Web::new(casella);
    ada_web.login(&ada, PASSWORD).expect("ada");
    let bob_web = Web::new(casella);
    bob_web.login(&bob, PASSWORD).expect("bob");
    (ada, bob, ada_web, bob_web, postmaster)
}

/// Owned form fields as the pairs a call takes.
fn as_refs(v: &[(String, String)]) -> Vec<(&str, &str)> {
    v.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect()
}

/// A message's attachments as the reader lists them: (name, media type, size, blob id).
fn attachments_of(web: &Web, id: &str) -> Vec<(String, String, u64, String)> {
    let m = web.call("mail/message", &[("id", id)]).expect("message");
    m["attachments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["name"].as_str().unwrap().to_string(),
                a["media_type"].as_str().unwrap().to_string(),
                a["size"].as_u64().unwrap(),
                a["blob_id"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn webmail_attaches_uploaded_files_and_forwards_them() {
    let casella = Casella::start(true);
    let (ada, bob, ada_web, bob_web, _) = ada_and_bob(&casella, "attach.test");
    let same_origin = [("Sec-Fetch-Site", "same-origin")];

    // A file uploaded for a draft: kept by the engine, its name cleaned of any path.
    let pdf: Vec<u8> = (0..40_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let (status, body) = ada_web.post_body(
        "/webmail/upload?name=C%3A%5Cdocs%5COfferta%202027.pdf",
        "application/pdf",
        &same_origin,
        &pdf,
    );
    assert_eq!(status, 200, "{body}");
    let file: Value = serde_json::from_str(&body).expect("json");
    assert_eq!(file["name"], "Offerta 2027.pdf", "{file}");
    assert_eq!(file["media_type"], "application/pdf", "{file}");
    assert_eq!(file["size"], 40_000, "{file}");
    let blob = file["blob"].as_str().unwrap().to_string();
    // An empty file, a file over the limit, a stranger and another site are refused.
    let (status, body) = ada_web.post_body("/webmail/upload?name=x", "text/plain", &[], b"");
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("empty"), "{body}");
    let huge = vec![b'x'; 26 * 1024 * 1024];
    let (status, body) =
        ada_web.post_body("/webmail/upload?name=big.bin", "text/plain", &[], &huge);
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("25 MB"), "{body}");
    let (status, _) =
        Web::new(&casella).post_body("/webmail/upload?name=x", "text/plain", &[], b"x");
    assert_eq!(status, 401);
    let (status, _) = ada_web.post_body(
        "/webmail/upload?name=x",
        "text/plain",
        &[
            ("Origin", "https://evil.test"),
            ("Sec-Fetch-Site", "cross-site"),
        ],
        b"x",
    );
    assert_eq!(status, 403);

    // Kept in a draft, and there again when it is taken up.
    let draft_form = |draft: &str| -> Vec<(String, String)> {
        vec![
            ("form[draft]".into(), draft.into()),
            ("form[from]".into(), ada.clone()),
            ("form[to]".into(), bob.clone()),
            ("form[subject]".into(), "Offerta".into()),
            ("form[text]".into(), "In allegato l'offerta.".into()),
            ("form[attachments][0][blob]".into(), blob.clone()),
            (
                "form[attachments][0][name]".into(),
                "Offerta 2027.pdf".into(),
            ),
            (
                "form[attachments][0][media_type]".into(),
                "application/pdf".into(),
            ),
            ("form[attachments][0][size]".into(), "40000".into()),
        ]
    };
    let form = draft_form("");
    let draft = ada_web
        .call("mail/save_draft", &as_refs(&form))
        .expect("draft with a file");
    let draft = draft.as_str().unwrap().to_string();
    let resumed = ada_web
        .call("mail/start_compose", &[("mode", "draft"), ("id", &draft)])
        .expect("resume");
    let kept = &resumed["form"]["attachments"];
    assert_eq!(kept.as_array().map(Vec::len), Some(1), "{resumed}");
    assert_eq!(kept[0]["name"], "Offerta 2027.pdf", "{resumed}");
    assert_eq!(kept[0]["size"], 40_000, "{resumed}");
    // Another mailbox cannot put ada's file into its own message.
    let stolen = bob_web
        .call(
            "mail/save_draft",
            &[
                ("form[from]", bob.as_str()),
                ("form[subject]", "Mine now"),
                ("form[attachments][0][blob]", &blob),
                ("form[attachments][0][name]", "x.pdf"),
            ],
        )
        .unwrap_err();
    assert_eq!(
        field_of(&stolen).as_deref(),
        Some("attachments"),
        "{stolen}"
    );

    // Sent with the draft's file (its part in the draft now): bob gets the same bytes.
    let kept_blob = kept[0]["blob"].as_str().unwrap().to_string();
    let mut form = draft_form(&draft);
    form[5].1 = kept_blob;
    let outcome = ada_web.call("mail/send", &as_refs(&form)).expect("sent");
    assert_eq!(outcome["sent"], true, "{outcome}");
    let (_, row) = arrived(&bob_web, "Offerta");
    assert_eq!(row["has_attachment"], true, "{row}");
    let bob_id = row["id"].as_str().unwrap().to_string();
    let files = attachments_of(&bob_web, &bob_id);
    assert_eq!(files.len(), 1, "{files:?}");
    assert_eq!(
        (files[0].0.as_str(), files[0].1.as_str()),
        ("Offerta 2027.pdf", "application/pdf")
    );
    let (status, _, got) = bob_web.bytes(&format!(
        "/webmail/messages/{bob_id}/parts/{}?download=1",
        files[0].3
    ));
    assert_eq!(status, 200);
    assert_eq!(got, pdf, "the file arrives as it was uploaded");

    // Bob forwards it to ada: the file goes along.
    let forward = bob_web
        .call(
            "mail/start_compose",
            &[("mode", "forward"), ("id", &bob_id)],
        )
        .expect("forward");
    let f = &forward["form"];
    assert_eq!(f["subject"], "Fwd: Offerta", "{forward}");
    assert_eq!(f["attachments"][0]["name"], "Offerta 2027.pdf", "{forward}");
    let send_forward = |f: &Value, to: &str| {
        let mut fields: Vec<(String, String)> = vec![
            ("form[from]".into(), f["from"].as_str().unwrap().into()),
            ("form[to]".into(), to.into()),
            (
                "form[subject]".into(),
                f["subject"].as_str().unwrap().into(),
            ),
            ("form[text]".into(), f["text"].as_str().unwrap().into()),
            ("form[origin]".into(), f["origin"].as_str().unwrap().into()),
            (
                "form[origin_kind]".into(),
                f["origin_kind"].as_str().unwrap().into(),
            ),
        ];
        for (i, a) in f["attachments"].as_array().unwrap().iter().enumerate() {
            for key in ["blob", "name", "media_type"] {
                fields.push((
                    format!("form[attachments][{i}][{key}]"),
                    a[key].as_str().unwrap().into(),
                ));
            }
            fields.push((
                format!("form[attachments][{i}][size]"),
                a["size"].to_string(),
            ));
        }
        bob_web
            .call("mail/send", &as_refs(&fields))
            .expect("forwarded")
    };
    let outcome = send_forward(f, &ada);
    assert_eq!(outcome["sent"], true, "{outcome}");
    let (_, fwd) = arrived(&ada_web, "Fwd: Offerta");
    let fwd_id = fwd["id"].as_str().unwrap().to_string();
    let files = attachments_of(&ada_web, &fwd_id);
    assert_eq!(files.len(), 1, "{files:?}");
    let (_, _, got) = ada_web.bytes(&format!(
        "/webmail/messages/{fwd_id}/parts/{}?download=1",
        files[0].3
    ));
    assert_eq!(got, pdf);
    let (_, bobs) = arrived(&bob_web, "Offerta");
    assert_eq!(bobs["id"], bob_id.as_str());

    // And as an attachment: the whole message, as a .eml file.
    let forward = bob_web
        .call(
            "mail/start_compose",
            &[("mode", "forward-attached"), ("id", &bob_id)],
        )
        .expect("forward as attachment");
    let f = forward["form"].clone();
    assert_eq!(f["attachments"][0]["name"], "Offerta.eml", "{forward}");
    assert_eq!(
        f["attachments"][0]["media_type"], "message/rfc822",
        "{forward}"
    );
    let mut f = f;
    f["subject"] = Value::String("Fwd: Offerta (whole)".into());
    let outcome = send_forward(&f, &ada);
    assert_eq!(outcome["sent"], true, "{outcome}");
    let (_, whole) = arrived(&ada_web, "Fwd: Offerta (whole)");
    let whole_id = whole["id"].as_str().unwrap().to_string();
    let files = attachments_of(&ada_web, &whole_id);
    let eml = files
        .iter()
        .find(|f| f.1 == "message/rfc822")
        .unwrap_or_else(|| panic!("no message attached: {files:?}"));
    let (status, _, got) = ada_web.bytes(&format!(
        "/webmail/messages/{whole_id}/parts/{}?download=1",
        eml.3
    ));
    assert_eq!(status, 200);
    let got = String::from_utf8_lossy(&got);
    assert!(got.contains("Subject: Offerta"), "{got}");

    // Without JavaScript: "Attach" posts the whole form with the chosen file and comes back
    // to the draft; "Remove" takes a file off the same way.
    let fields = [
        ("form[draft]", ""),
        ("form[from]", ada.as_str()),
        ("form[to]", bob.as_str()),
        ("form[subject]", "Plain attach"),
        ("form[text]", "typed before attaching"),
    ];
    let (status, to) = ada_web.multipart(
        "/webmail/compose/attach",
        &fields,
        &[(
            "form[files]",
            "note.txt",
            "text/plain",
            b"hello from a plain form",
        )],
    );
    assert_eq!(status, 303, "{to}");
    let plain_draft = to
        .strip_prefix("/compose?draft=")
        .expect("back to the draft")
        .to_string();
    let resumed = ada_web
        .call(
            "mail/start_compose",
            &[("mode", "draft"), ("id", &plain_draft)],
        )
        .expect("the plain draft");
    assert_eq!(
        resumed["form"]["text"], "typed before attaching",
        "{resumed}"
    );
    let file = resumed["form"]["attachments"][0].clone();
    assert_eq!(file["name"], "note.txt", "{resumed}");
    let size = file["size"].to_string();
    let remove = format!(
        "/webmail/compose/attach?remove={}",
        file["blob"].as_str().unwrap()
    );
    let with_file = [
        ("form[draft]", plain_draft.as_str()),
        ("form[from]", ada.as_str()),
        ("form[subject]", "Plain attach"),
        ("form[attachments][0][blob]", file["blob"].as_str().unwrap()),
        ("form[attachments][0][name]", "note.txt"),
        ("form[attachments][0][media_type]", "text/plain"),
        ("form[attachments][0][size]", size.as_str()),
    ];
    let (status, to) = ada_web.multipart(
        &remove,
        &with_file,
        &[("form[files]", "", "application/octet-stream", b"")],
    );
    assert_eq!(status, 303, "{to}");
    let again = to
        .strip_prefix("/compose?draft=")
        .expect("back to the draft");
    let resumed = ada_web
        .call("mail/start_compose", &[("mode", "draft"), ("id", again)])
        .expect("without the file");
    assert_eq!(
        resumed["form"]["attachments"],
        serde_json::json!([]),
        "{resumed}"
    );
    assert_eq!(
        folder_total(&ada_web, "drafts"),
        1,
        "each save replaced its draft"
    );
    // A file chosen but not attached is not silently left out.
    let err = ada_web
        .call(
            "mail/send",
            &[
                ("form[from]", ada.as_str()),
                ("form[to]", bob.as_str()),
                ("form[files]", "forgotten.pdf"),
            ],
        )
        .unwrap_err();
    assert_eq!(field_of(&err).as_deref(), Some("attachments"), "{err}");
}
