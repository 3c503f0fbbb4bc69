// SPDX-License-Identifier: AGPL-3.0-only
//! Role × operation: every administrative server function called by every kind of actor,
//! against an explicit table of what each may do. An operation "reached" is one that passed
//! authorization: it succeeded or refused its input on a form field. Another domain's objects
//! are "not found", never "forbidden".

use std::collections::BTreeMap;

use serde_json::Value;

use crate::{
    flows::{self, PASSWORD},
    harness::{Casella, Web},
};

/// What happened to one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Outcome {
    Reached,
    Unauthorized,
    Forbidden,
    NotFound,
}
use Outcome::{Forbidden as F, NotFound as N, Reached as R, Unauthorized as U};

fn outcome(result: Result<Value, Value>) -> Outcome {
    match result {
        Ok(_) => R,
        Err(Value::String(kind)) => match kind.as_str() {
            "Unauthorized" => U,
            "Forbidden" => F,
            "NotFound" => N,
            other => panic!("unexpected error {other}"),
        },
        Err(err) if err.get("Invalid").is_some() || err.get("Conflict").is_some() => R,
        Err(err) => panic!("unexpected error {err}"),
    }
}

/// One operation: the server function, its form, what each actor gets.
type Row = (
    &'static str,
    Vec<(&'static str, &'static str)>,
    [Outcome; 8],
);

/// The actors, in the order of the expectation columns.
const ACTORS: [&str; 8] = [
    "operator",
    "manager A",
    "manager B",
    "postmaster A",
    "postmaster B",
    "user A",
    "delegate of manager A",
    "anonymous",
];

/// Operator-only operations.
const OPERATOR: [Outcome; 8] = [R, F, F, F, F, F, F, U];
/// A domain's operations, on domain A: its postmaster and manager.
const DOMAIN_A: [Outcome; 8] = [F, R, N, R, N, F, F, U];
/// Only domain A's manager.
const MANAGER_A: [Outcome; 8] = [F, R, N, F, N, F, F, U];
/// Only domain A's postmaster (the domain's chat service).
const POSTMASTER_A: [Outcome; 8] = [F, F, N, R, N, F, F, U];
/// Everyone who administers something.
const ADMINS: [Outcome; 8] = [R, R, R, R, R, F, F, U];
/// A mailbox owner's own settings.
const MAILBOX_OWNERS: [Outcome; 8] = [F, F, F, R, R, R, F, U];
/// Every signed-in identity, on itself.
const SIGNED_IN: [Outcome; 8] = [R, R, R, R, R, R, R, U];
/// Anyone, signed in or not.
const ANYONE: [Outcome; 8] = [R; 8];
/// Every manager, on its own delegates.
const MANAGERS: [Outcome; 8] = [F, R, R, F, F, F, F, U];
/// Manager A, on its delegate; to manager B it does not exist.
const DELEGATOR_A: [Outcome; 8] = [F, R, N, F, F, F, F, U];
/// Domain B's operations: its postmaster and manager; domain A's learn nothing.
const DOMAIN_B: [Outcome; 8] = [F, N, R, N, R, F, F, U];

#[test]
fn every_administrative_operation_against_every_role() {
    let casella = Casella::start(true);
    let operator = flows::operator(&casella);
    let postmaster_a = flows::customer_domain(&casella, &operator, "a.test", 100);
    let postmaster_b = flows::customer_domain(&casella, &operator, "b.test", 100);
    let mut managers = Vec::new();
    for (login, domain) in [("manager.a", "a.test"), ("manager.b", "b.test")] {
        operator
            .call(
                "operator/create_manager",
                &[
                    ("login", login),
                    ("display_name", login),
                    ("email", "alice@demo.test"),
                ],
            )
            .expect("manager");
        operator
            .call(
                "operator/assign_manager",
                &[("domain", domain), ("manager", login)],
            )
            .expect("assign");
        let emailed = flows::emailed_password(&casella, "alice@demo.test", login);
        managers.push(flows::first_sign_in(&casella, login, &emailed));
    }
    let manager_b = managers.pop().unwrap();
    let manager_a = managers.pop().unwrap();
    let user_address = flows::mailbox(&postmaster_a, "a.test", "u");
    flows::mailbox(&postmaster_b, "b.test", "u");
    let user_a = Web::new(&casella);
    user_a.login(&user_address, PASSWORD).expect("user login");
    // Manager A's delegate, given u@a.test's archive until today.
    manager_a
        .call(
            "mailboxes/set_archive",
            &[
                ("address", &user_address),
                ("archive", "on"),
                ("retention_years", "1"),
            ],
        )
        .expect("archive on");
    let offered = manager_a.call("delegates/list", &[]).expect("delegates");
    let archive = offered["archives"][0]["id"].as_str().expect("an archive");
    let today = crate::harness::sql_rows(&casella, "SELECT date('now')")
        .pop()
        .expect("today");
    manager_a
        .call(
            "delegates/create",
            &[
                ("login", "delegate.a"),
                ("display_name", "Delegate A"),
                ("email", "alice@demo.test"),
                ("expires_on", &today),
                ("archives[0]", archive),
            ],
        )
        .expect("delegate");
    let emailed = flows::emailed_password(&casella, "alice@demo.test", "delegate.a");
    let delegate_a = flows::first_sign_in(&casella, "delegate.a", &emailed);
    let anonymous = Web::new(&casella);
    let actors = [
        &operator,
        &manager_a,
        &manager_b,
        &postmaster_a,
        &postmaster_b,
        &user_a,
        &delegate_a,
        &anonymous,
    ];

    let u = "u@a.test";
    // A group of one member: removing that member is refused on its field.
    postmaster_a
        .call(
            "domain/create_group",
            &[
                ("domain", "a.test"),
                ("local_part", "team"),
                ("name", ""),
                ("members", "u"),
            ],
        )
        .expect("group");
    let table: Vec<Row> = vec![
        ("operator/list_domains", vec![], OPERATOR),
        (
            "operator/register_domain",
            vec![("domain", "bad domain"), ("customer", "1")],
            OPERATOR,
        ),
        (
            "operator/assign_manager",
            vec![("domain", "nope.test"), ("manager", "")],
            OPERATOR,
        ),
        ("operator/list_plans", vec![], OPERATOR),
        (
            "operator/create_plan",
            vec![
                ("name", ""),
                ("mailbox_type", ""),
                ("included_mailboxes", "1"),
                ("price_extra_mailbox", "0"),
                ("price_quota_25", "0"),
                ("price_quota_50", "0"),
                ("price_quota_100", "0"),
                ("price_send_1000", "0"),
                ("price_send_2000", "0"),
                ("price_send_5000", "0"),
                ("price_archive", "0"),
            ],
            OPERATOR,
        ),
        ("operator/list_customers", vec![], OPERATOR),
        (
            "operator/create_customer",
            vec![("company_name", ""), ("legal_email", "x"), ("plan", "1")],
            OPERATOR,
        ),
        ("operator/list_managers", vec![], OPERATOR),
        (
            "operator/create_manager",
            vec![("login", "x"), ("display_name", ""), ("email", "")],
            OPERATOR,
        ),
        ("operator/monitor", vec![], OPERATOR),
        (
            "domain/get_domain_overview",
            vec![("domain", "a.test")],
            DOMAIN_A,
        ),
        (
            "mailboxes/list_mailboxes",
            vec![("domain", "a.test"), ("page", "0"), ("search", "")],
            DOMAIN_A,
        ),
        (
            "mailboxes/create_mailbox",
            vec![
                ("domain", "a.test"),
                ("local_part", "u"),
                ("first_name", ""),
                ("last_name", ""),
                ("password", ""),
            ],
            DOMAIN_A,
        ),
        ("mailboxes/get_mailbox", vec![("address", u)], DOMAIN_A),
        (
            "mailboxes/update_personal",
            vec![("address", u), ("first_name", "U"), ("last_name", "A")],
            DOMAIN_A,
        ),
        (
            "mailboxes/reset_password",
            vec![("address", u), ("password", "weak"), ("repeat", "weak")],
            DOMAIN_A,
        ),
        (
            "mailboxes/set_quota",
            vec![("address", u), ("quota", "1")],
            DOMAIN_A,
        ),
        (
            "mailboxes/set_protocols",
            vec![
                ("address", u),
                ("imap", "on"),
                ("pop3", "on"),
                ("smtp", "on"),
            ],
            DOMAIN_A,
        ),
        (
            "mailboxes/set_chat",
            vec![("address", u), ("enabled", "true")],
            DOMAIN_A,
        ),
        (
            "mailboxes/add_alias",
            vec![("address", u), ("alias", "bad alias")],
            DOMAIN_A,
        ),
        (
            "mailboxes/remove_alias",
            vec![("address", u), ("alias", "kept@a.test")],
            DOMAIN_A,
        ),
        (
            "mailboxes/delete_mailbox",
            vec![("address", u), ("confirm", "not the address")],
            DOMAIN_A,
        ),
        ("domain/groups", vec![("domain", "a.test")], DOMAIN_A),
        (
            "domain/create_group",
            vec![
                ("domain", "a.test"),
                ("local_part", "bad group"),
                ("name", ""),
                ("members", "u"),
            ],
            DOMAIN_A,
        ),
        (
            "domain/add_group_member",
            vec![
                ("domain", "a.test"),
                ("group", "team@a.test"),
                ("member", "nobody"),
            ],
            DOMAIN_A,
        ),
        (
            "domain/remove_group_member",
            vec![
                ("domain", "a.test"),
                ("group", "team@a.test"),
                ("member", "u@a.test"),
            ],
            DOMAIN_A,
        ),
        (
            "domain/delete_group",
            vec![("domain", "a.test"), ("group", "gone@a.test")],
            DOMAIN_A,
        ),
        (
            "domain/set_chat_for_all",
            vec![("domain", "a.test"), ("enabled", "true")],
            DOMAIN_A,
        ),
        (
            "domain/set_domain_chat",
            vec![("domain", "a.test"), ("enabled", "true")],
            POSTMASTER_A,
        ),
        (
            "mailboxes/set_send_tier",
            vec![("address", u), ("send_tier", "1")],
            MANAGER_A,
        ),
        (
            "mailboxes/set_archive",
            vec![("address", u), ("archive", "off")],
            MANAGER_A,
        ),
        (
            "mailboxes/import_into_archive",
            vec![("address", u)],
            MANAGER_A,
        ),
        (
            "domain/set_branding_name",
            vec![("domain", "a.test"), ("company_name", "A S.p.A.")],
            MANAGER_A,
        ),
        (
            "domain/buy_slots",
            vec![("domain", "a.test"), ("count", "0")],
            MANAGER_A,
        ),
        ("domain/audit_log", vec![("page", "0")], ADMINS),
        ("account/client_settings", vec![], MAILBOX_OWNERS),
        (
            "auth/change_password",
            vec![("current", "not-it"), ("new", "x"), ("repeat", "x")],
            SIGNED_IN,
        ),
        ("auth/current_user", vec![], ANYONE),
        // Shown-once results live in the signed-in caller's own session.
        ("auth/take_credentials", vec![], SIGNED_IN),
        ("auth/take_notice", vec![], SIGNED_IN),
        ("domain/get_branding", vec![("domain", "a.test")], ANYONE),
        // Two-factor sign-in, app passwords, own settings (issue 9).
        ("account/two_factor", vec![], SIGNED_IN),
        ("account/begin_two_factor", vec![], SIGNED_IN),
        (
            "account/confirm_two_factor",
            vec![("code", "not-a-code")],
            SIGNED_IN,
        ),
        ("account/cancel_two_factor", vec![], SIGNED_IN),
        ("account/disable_two_factor", vec![("code", "x")], SIGNED_IN),
        ("account/new_recovery_codes", vec![("code", "x")], SIGNED_IN),
        ("auth/take_shown_once", vec![], SIGNED_IN),
        // Without a password step before it, the code step has nothing to complete.
        ("auth/second_factor", vec![("code", "123456")], [U; 8]),
        ("account/client_access", vec![], MAILBOX_OWNERS),
        (
            "account/set_own_protocols",
            vec![("imap", "on"), ("pop3", "on"), ("smtp", "on")],
            MAILBOX_OWNERS,
        ),
        (
            "account/create_app_password",
            vec![("name", "")],
            MAILBOX_OWNERS,
        ),
        // Reached, and the name is not one of the caller's app passwords.
        (
            "account/revoke_app_password",
            vec![("name", "nope")],
            [F, F, F, N, N, N, F, U],
        ),
        ("operator/staff_two_factor", vec![], OPERATOR),
        ("operator/snapshots", vec![], OPERATOR),
        ("operator/take_snapshot", vec![], OPERATOR),
        // The Mail Time Machine: one's own mailbox as it stood; a day not kept is not found.
        (
            "mail/time_machine",
            vec![("query[day]", "")],
            MAILBOX_OWNERS,
        ),
        (
            "mail/time_machine",
            vec![("query[day]", "2001-01-01")],
            [F, F, F, N, N, N, F, U],
        ),
        (
            "mail/restore_day",
            vec![("day", "2001-01-01"), ("mode", "merge")],
            [F, F, F, N, N, N, F, U],
        ),
        // The archive: one's own, or a delegate's; a message one's archive does not hold is
        // not found; a delegate never puts back.
        (
            "mail/archive",
            vec![("query[folder]", "in")],
            [F, F, F, R, R, R, R, U],
        ),
        // The owner's view of its delegates' reads; a delegate has no such folder.
        (
            "mail/archive",
            vec![("query[folder]", "reads")],
            [F, F, F, R, R, R, N, U],
        ),
        // Another archive than its own: not found.
        (
            "mail/archive",
            vec![("query[archive]", "999999")],
            [F, F, F, N, N, N, N, U],
        ),
        // Delegates: a manager's own; another manager's delegate does not exist for it.
        ("delegates/list", vec![], MANAGERS),
        (
            "delegates/create",
            vec![
                ("login", "x"),
                ("display_name", ""),
                ("email", ""),
                ("expires_on", ""),
            ],
            MANAGERS,
        ),
        (
            "delegates/update",
            vec![
                ("login", "delegate.a"),
                ("display_name", ""),
                ("email", ""),
                ("expires_on", ""),
            ],
            DELEGATOR_A,
        ),
        (
            "delegates/delete",
            vec![("login", "delegate.a"), ("confirm", "no")],
            DELEGATOR_A,
        ),
        (
            "delegates/reset_password",
            vec![("login", "nobody")],
            [F, N, N, F, F, F, F, U],
        ),
        ("delegates/reads", vec![], MANAGERS),
        (
            "delegates/reads",
            vec![("login", "delegate.a")],
            DELEGATOR_A,
        ),
        (
            "mail/archive_put_back",
            vec![("id", "999999")],
            [F, F, F, N, N, N, F, U],
        ),
        // The webmail: one's own mail; a folder or message one does not have is not found.
        ("mail/folders", vec![], MAILBOX_OWNERS),
        (
            "mail/messages",
            vec![("folder", "nope"), ("page", "0")],
            [F, F, F, N, N, N, F, U],
        ),
        (
            "mail/message",
            vec![("id", "nope")],
            [F, F, F, N, N, N, F, U],
        ),
        (
            "mail/act",
            vec![("folder", ""), ("action", "read"), ("ids[0]", "nope")],
            [F, F, F, N, N, N, F, U],
        ),
        ("mail/empty_trash", vec![], MAILBOX_OWNERS),
        // Reached, and the empty name refused on its field.
        ("mail/create_folder", vec![("name", "")], MAILBOX_OWNERS),
        (
            "mail/rename_folder",
            vec![("id", "nope"), ("name", "x")],
            [F, F, F, N, N, N, F, U],
        ),
        (
            "mail/delete_folder",
            vec![("id", "nope")],
            [F, F, F, N, N, N, F, U],
        ),
        ("mail/start_compose", vec![("mode", "new")], MAILBOX_OWNERS),
        ("mail/quota", vec![], MAILBOX_OWNERS),
        (
            "mail/start_compose",
            vec![("mode", "reply"), ("id", "nope")],
            [F, F, F, N, N, N, F, U],
        ),
        // Reached, and a sender that is not the caller's refused on its field.
        (
            "mail/save_draft",
            vec![("form[from]", "nobody@elsewhere.test")],
            MAILBOX_OWNERS,
        ),
        (
            "mail/send",
            vec![
                ("form[from]", "nobody@elsewhere.test"),
                ("form[to]", "x@a.test"),
            ],
            MAILBOX_OWNERS,
        ),
        (
            "mail/discard_draft",
            vec![("id", "nope")],
            [F, F, F, N, N, N, F, U],
        ),
        ("mail/rules", vec![], MAILBOX_OWNERS),
        // Reached, and a reply without text refused on its field.
        (
            "mail/save_vacation",
            vec![("vacation[on]", "true"), ("vacation[text]", "")],
            MAILBOX_OWNERS,
        ),
        (
            "mail/add_filter",
            vec![("filter[field]", "nope")],
            MAILBOX_OWNERS,
        ),
        (
            "mail/remove_filter",
            vec![("index", "7")],
            [F, F, F, N, N, N, F, U],
        ),
        ("mail/settings", vec![], MAILBOX_OWNERS),
        // Another's address is none of the mailbox's.
        (
            "mail/save_identity",
            vec![
                ("identity[email]", "nobody@x.test"),
                ("identity[name]", "X"),
            ],
            [F, F, F, N, N, N, F, U],
        ),
        // Reached, and a page size not offered refused on its field.
        (
            "mail/save_reading",
            vec![("reading[page_size]", "7")],
            MAILBOX_OWNERS,
        ),
        (
            "mail/trust_images",
            vec![("address", "not an address")],
            MAILBOX_OWNERS,
        ),
        (
            "mail/forget_images",
            vec![("address", "nobody@x.test")],
            [F, F, F, N, N, N, F, U],
        ),
        ("mail/suggestions", vec![("typed", "po")], MAILBOX_OWNERS),
        (
            "operator/set_staff_two_factor",
            vec![("required", "false")],
            OPERATOR,
        ),
        (
            "domain/set_two_factor_required",
            vec![("domain", "a.test"), ("required", "false")],
            DOMAIN_A,
        ),
        (
            "domain/dns_records",
            vec![("domain", "a.test"), ("check", "false")],
            DOMAIN_A,
        ),
        ("domain/access_log", vec![("domain", "a.test")], DOMAIN_A),
        ("domain/trace", vec![("domain", "a.test")], DOMAIN_A),
        ("account/access_log", vec![], SIGNED_IN),
        // u@a.test has no second factor: reached, and refused on its field.
        ("mailboxes/reset_two_factor", vec![("address", u)], DOMAIN_A),
        // The same operations aimed at the other domain.
        (
            "mailboxes/get_mailbox",
            vec![("address", "u@b.test")],
            DOMAIN_B,
        ),
        (
            "mailboxes/reset_password",
            vec![
                ("address", "u@b.test"),
                ("password", "weak"),
                ("repeat", "weak"),
            ],
            DOMAIN_B,
        ),
        (
            "mailboxes/list_mailboxes",
            vec![("domain", "b.test"), ("page", "0"), ("search", "")],
            DOMAIN_B,
        ),
        (
            "mailboxes/reset_two_factor",
            vec![("address", "u@b.test")],
            DOMAIN_B,
        ),
        ("domain/access_log", vec![("domain", "b.test")], DOMAIN_B),
        ("domain/trace", vec![("domain", "b.test")], DOMAIN_B),
        // Last: it ends each caller's own session.
        ("account/sign_out_everywhere", vec![], SIGNED_IN),
    ];

    let mut violations = Vec::new();
    let mut counts: BTreeMap<Outcome, usize> = BTreeMap::new();
    for (endpoint, form, expected) in &table {
        for (i, actor) in actors.iter().enumerate() {
            if *endpoint == "domain/delete_group" {
                // The group to delete exists before every call, so an allowed actor succeeds.
                let _ = postmaster_a.call(
                    "domain/create_group",
                    &[
                        ("domain", "a.test"),
                        ("local_part", "gone"),
                        ("name", ""),
                        ("members", "u"),
                    ],
                );
            }
            if *endpoint == "mailboxes/remove_alias" {
                // The alias to remove exists before every call, so an allowed actor succeeds.
                let _ =
                    postmaster_a.call("mailboxes/add_alias", &[("address", u), ("alias", "kept")]);
            }
            let got = outcome(actor.call(endpoint, form));
            *counts.entry(got).or_default() += 1;
            if got != expected[i] {
                violations.push(format!(
                    "{endpoint} as {}: expected {:?}, got {got:?}",
                    ACTORS[i], expected[i]
                ));
            }
        }
    }
    assert!(
        violations.is_empty(),
        "{} violations:\n{}",
        violations.len(),
        violations.join("\n")
    );
    // The table is not vacuous: every outcome occurs.
    assert_eq!(counts.len(), 4, "{counts:?}");
    assert_eq!(
        table.len(),
        108,
        "every server function that takes a caller is in the table"
    );
}
