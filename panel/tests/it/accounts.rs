// SPDX-License-Identifier: AGPL-3.0-only
//! Accounts you can trust (issue 9): two-factor web sign-in with TOTP and recovery codes,
//! app passwords for real IMAP, POP3 and SMTP clients, the mailbox's own protocol switches,
//! a domain (or the provider) requiring 2FA, and the postmaster's reset.

use serde_json::Value;
use totp_rs::{Algorithm, Secret, TOTP};

use crate::{
    error_field,
    flows::{self, PASSWORD},
    harness::{Casella, Web, mail, mail_refused},
};

/// The authenticator app: the secret the enrolment page offers, typed in.
fn authenticator(web: &Web) -> TOTP {
    let view = web
        .call("account/two_factor", &[])
        .expect("two-factor view");
    let secret = view["enrolment"]["secret"]
        .as_str()
        .unwrap_or_else(|| panic!("no enrolment under way: {view}"))
        .replace(' ', "");
    TOTP::new(
        Algorithm::SHA1,
        6,
        1,
        30,
        Secret::Encoded(secret).to_bytes().unwrap(),
        Some("test".into()),
        "test".into(),
    )
    .unwrap()
}

/// The 30-second step now.
fn step_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        / 30
}

fn code(totp: &TOTP, step: u64) -> String {
    totp.generate(step * 30)
}

/// A code of a step later than `spent` that the server accepts now: the next step, or the
/// current one when the test took longer than a step since.
fn next_code(totp: &TOTP, spent: u64) -> String {
    code(totp, (spent + 1).max(step_now()))
}

/// Turns 2FA on for a signed-in session; returns the authenticator, the step its code
/// used, and the recovery codes.
pub(crate) fn enrol(web: &Web) -> (TOTP, u64, Vec<String>) {
    web.call("account/begin_two_factor", &[]).expect("begin");
    let totp = authenticator(web);
    let step = step_now();
    let codes = web
        .call(
            "account/confirm_two_factor",
            &[("code", &code(&totp, step))],
        )
        .expect("confirm");
    let codes = codes["codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect();
    (totp, step, codes)
}

fn signed_in(web: &Web) -> bool {
    !web.call("auth/current_user", &[])
        .expect("current user")
        .is_null()
}

fn error_kind(err: &Value) -> String {
    err.as_str()
        .map(str::to_string)
        .unwrap_or_else(|| err.to_string())
}

#[test]
fn two_factor_guards_the_web_and_mail_clients_sign_in_with_app_passwords() {
    let casella = Casella::start(true);
    let operator = flows::operator(&casella);
    let postmaster = flows::customer_domain(&casella, &operator, "tf.test", 10);
    let user = flows::mailbox(&postmaster, "tf.test", "marta");
    let imaps = casella.ports.imaps.to_string();
    let pop3s = casella.ports.pop3s.to_string();
    let submissions = casella.ports.submissions.to_string();

    let web = Web::new(&casella);
    web.login(&user, PASSWORD).expect("login");
    let elsewhere = Web::new(&casella);
    elsewhere.login(&user, PASSWORD).expect("login elsewhere");

    // Enrolment: nothing changes until a right code confirms the secret.
    web.call("account/begin_two_factor", &[]).expect("begin");
    let view = web.call("account/two_factor", &[]).unwrap();
    assert_eq!(view["enabled"], false);
    assert!(
        view["enrolment"]["qr"]
            .as_str()
            .unwrap()
            .starts_with("data:image/svg+xml;base64,"),
        "{view}"
    );
    let totp = authenticator(&web);
    let step = step_now();
    let wrong = if code(&totp, step) == "000000" {
        "111111"
    } else {
        "000000"
    };
    let err = web
        .call("account/confirm_two_factor", &[("code", wrong)])
        .unwrap_err();
    assert_eq!(error_field(&err).as_deref(), Some("code"), "{err}");
    mail(&["imap-login", &imaps, "tls", &user, PASSWORD]);
    let codes = web
        .call(
            "account/confirm_two_factor",
            &[("code", &code(&totp, step))],
        )
        .expect("confirm");
    let codes: Vec<String> = codes["codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect();
    assert_eq!(codes.len(), 10);
    let view = web.call("account/two_factor", &[]).unwrap();
    assert_eq!(view["enabled"], true, "{view}");
    assert_eq!(view["recovery_left"], 10);

    // This session goes on; every other session of the account has ended.
    assert!(signed_in(&web));
    assert!(!signed_in(&elsewhere), "2FA on ends the other sessions");

    // Mail clients: the main password alone is refused (the engine wants a code), on
    // IMAP, POP3 and SMTP alike.
    let refused = mail_refused(&["imap-login", &imaps, "tls", &user, PASSWORD]);
    assert!(refused.to_lowercase().contains("totp"), "{refused}");
    mail_refused(&["pop3-login", &pop3s, "tls", &user, PASSWORD]);
    mail_refused(&[
        "submit",
        &submissions,
        "tls",
        &user,
        PASSWORD,
        &user,
        &user,
        "with password",
    ]);

    // The web sign-in asks for the code after the password.
    let fresh = Web::new(&casella);
    fresh.login(&user, PASSWORD).expect("password step");
    assert!(!signed_in(&fresh), "the password alone signs nobody in");
    let err = fresh
        .call("auth/second_factor", &[("code", wrong)])
        .unwrap_err();
    assert_eq!(error_field(&err).as_deref(), Some("code"), "{err}");
    // The code that confirmed the enrolment is spent: a code is good once.
    let err = fresh
        .call("auth/second_factor", &[("code", &code(&totp, step))])
        .unwrap_err();
    assert_eq!(
        error_field(&err).as_deref(),
        Some("code"),
        "replayed: {err}"
    );
    fresh
        .call("auth/second_factor", &[("code", &next_code(&totp, step))])
        .expect("the next code signs in");
    assert!(signed_in(&fresh));

    // A recovery code works once.
    let with_recovery = Web::new(&casella);
    with_recovery.login(&user, PASSWORD).expect("password step");
    with_recovery
        .call("auth/second_factor", &[("code", &codes[0].to_uppercase())])
        .expect("recovery code");
    assert!(signed_in(&with_recovery));
    let again = Web::new(&casella);
    again.login(&user, PASSWORD).expect("password step");
    let err = again
        .call("auth/second_factor", &[("code", &codes[0])])
        .unwrap_err();
    assert_eq!(error_field(&err).as_deref(), Some("code"), "{err}");
    assert_eq!(
        web.call("account/two_factor", &[]).unwrap()["recovery_left"],
        9
    );

    // App passwords: shown once, they open IMAP, POP3 and SMTP (without a code) and never
    // the web.
    let created = web
        .call("account/create_app_password", &[("name", "Thunderbird")])
        .expect("app password");
    let app = created["AppPassword"]["password"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(app.len() >= 28, "{app}");
    let err = web
        .call("account/create_app_password", &[("name", "Thunderbird")])
        .unwrap_err();
    assert_eq!(error_field(&err).as_deref(), Some("name"), "{err}");
    let err = web
        .call("account/create_app_password", &[("name", "a$b")])
        .unwrap_err();
    assert_eq!(error_field(&err).as_deref(), Some("name"), "{err}");
    mail(&["imap-login", &imaps, "tls", &user, &app]);
    mail(&["pop3-login", &pop3s, "tls", &user, &app]);
    mail(&[
        "submit",
        &submissions,
        "tls",
        &user,
        &app,
        &user,
        &user,
        "with app password",
    ]);
    let err = Web::new(&casella).login(&user, &app).unwrap_err();
    assert_eq!(error_field(&err).as_deref(), Some("password"), "{err}");
    let access = web.call("account/client_access", &[]).unwrap();
    assert_eq!(
        access["app_passwords"][0]["name"], "Thunderbird",
        "{access}"
    );
    assert!(access["app_passwords"][0]["created_at"].is_string());
    assert_eq!(access["two_factor"], true);

    // The mailbox's own switches apply to app passwords too.
    web.call(
        "account/set_own_protocols",
        &[("pop3", "on"), ("smtp", "on")],
    )
    .expect("IMAP off");
    mail_refused(&["imap-login", &imaps, "tls", &user, &app]);
    mail(&["pop3-login", &pop3s, "tls", &user, &app]);
    web.call(
        "account/set_own_protocols",
        &[("imap", "on"), ("pop3", "on"), ("smtp", "on")],
    )
    .expect("IMAP on");
    mail(&["imap-login", &imaps, "tls", &user, &app]);

    // Revoked: the next sign-in with it fails at once.
    web.call("account/revoke_app_password", &[("name", "Thunderbird")])
        .expect("revoke");
    mail_refused(&["imap-login", &imaps, "tls", &user, &app]);
    mail_refused(&["pop3-login", &pop3s, "tls", &user, &app]);
    assert_eq!(
        web.call("account/client_access", &[]).unwrap()["app_passwords"],
        serde_json::json!([])
    );

    // Turning 2FA off takes a code; then the password alone works again everywhere.
    let err = web
        .call("account/disable_two_factor", &[("code", wrong)])
        .unwrap_err();
    assert_eq!(error_field(&err).as_deref(), Some("code"), "{err}");
    web.call("account/disable_two_factor", &[("code", &codes[1])])
        .expect("off with a recovery code");
    assert!(signed_in(&web), "this session goes on");
    assert!(!signed_in(&fresh), "2FA off ends the other sessions");
    mail(&["imap-login", &imaps, "tls", &user, PASSWORD]);
    Web::new(&casella)
        .login(&user, PASSWORD)
        .expect("password alone");

    // Each change is in the domain's audit log.
    let audit = postmaster
        .call("domain/audit_log", &[("page", "0")])
        .unwrap();
    let actions: Vec<&str> = audit["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["action"].as_str())
        .collect();
    for action in [
        "account.two-factor.on",
        "account.two-factor.off",
        "account.app-password.create",
        "account.app-password.revoke",
        "account.protocols",
    ] {
        assert!(actions.contains(&action), "{action} in {actions:?}");
    }
}

#[test]
fn a_required_second_factor_comes_before_everything_and_the_postmaster_can_reset_it() {
    let casella = Casella::start(true);
    let operator = flows::operator(&casella);
    let postmaster = flows::customer_domain(&casella, &operator, "req.test", 10);
    let user = flows::mailbox(&postmaster, "req.test", "gino");

    let before = Web::new(&casella);
    before.login(&user, PASSWORD).expect("login");
    postmaster
        .call(
            "domain/set_two_factor_required",
            &[("domain", "req.test"), ("required", "true")],
        )
        .expect("require 2FA");
    let overview = postmaster
        .call("domain/get_domain_overview", &[("domain", "req.test")])
        .unwrap();
    assert_eq!(overview["require_two_factor"], true);
    // A session from before goes on; the requirement applies at the next sign-in.
    assert!(
        before.call("account/client_settings", &[]).is_ok(),
        "sessions from before are not cut"
    );

    // The next sign-in reaches its security page and nothing else.
    let web = Web::new(&casella);
    web.login(&user, PASSWORD).expect("login");
    let me = web.call("auth/current_user", &[]).unwrap();
    assert_eq!(me["must_enrol_two_factor"], true, "{me}");
    let err = web.call("account/client_settings", &[]).unwrap_err();
    assert_eq!(error_kind(&err), "TwoFactorRequired");
    let err = web.call("account/client_access", &[]).unwrap_err();
    assert_eq!(error_kind(&err), "TwoFactorRequired");
    let (status, location) = web.page_redirect("/account");
    assert!(
        (300..400).contains(&status) && location == "/account/security",
        "{status} {location}"
    );
    let (status, page) = web.page("/account/security");
    assert_eq!(status, 200);
    assert!(page.contains("two-factor-required"), "{page}");

    let (totp, step, _) = enrol(&web);
    assert!(web.call("account/client_settings", &[]).is_ok());
    let me = web.call("auth/current_user", &[]).unwrap();
    assert_eq!(me["must_enrol_two_factor"], false, "{me}");
    let mailbox = postmaster
        .call("mailboxes/get_mailbox", &[("address", &user)])
        .unwrap();
    assert_eq!(mailbox["row"]["two_factor"], true);

    // A lost phone: the postmaster resets it; every session of the user ends, and the next
    // sign-in is sent to enrolment again.
    postmaster
        .call("mailboxes/reset_two_factor", &[("address", &user)])
        .expect("reset");
    assert!(!signed_in(&web));
    let err = postmaster
        .call("mailboxes/reset_two_factor", &[("address", &user)])
        .unwrap_err();
    assert_eq!(error_field(&err).as_deref(), Some("address"), "{err}");
    let web = Web::new(&casella);
    web.login(&user, PASSWORD).expect("login after reset");
    assert_eq!(
        web.call("auth/current_user", &[]).unwrap()["must_enrol_two_factor"],
        true
    );
    // The old authenticator is worthless now.
    assert!(web.call("account/two_factor", &[]).unwrap()["enabled"] == false);
    let _ = (totp, step);

    // Staff: the operator requires a second factor of operators and managers.
    operator
        .call("operator/set_staff_two_factor", &[("required", "true")])
        .expect("staff 2FA");
    assert_eq!(
        operator.call("operator/staff_two_factor", &[]).unwrap(),
        true
    );
    let login = casella.printed["operator"].clone();
    let staff = Web::new(&casella);
    staff
        .login(&login, &casella.printed[&login])
        .expect("operator login");
    let err = staff.call("operator/list_domains", &[]).unwrap_err();
    assert_eq!(error_kind(&err), "TwoFactorRequired");
    let (totp, step, _) = enrol(&staff);
    staff
        .call("operator/list_domains", &[])
        .expect("enrolled staff");
    let next = Web::new(&casella);
    next.login(&login, &casella.printed[&login])
        .expect("password step");
    assert!(!signed_in(&next));
    next.call("auth/second_factor", &[("code", &next_code(&totp, step))])
        .expect("code step");
    next.call("operator/list_domains", &[])
        .expect("signed in with the code");

    let audit = next.call("domain/audit_log", &[("page", "0")]).unwrap();
    let actions: Vec<&str> = audit["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["action"].as_str())
        .collect();
    for action in [
        "domain.two-factor.required",
        "mailbox.two-factor.reset",
        "staff.two-factor.required",
        "account.two-factor.on",
    ] {
        assert!(actions.contains(&action), "{action} in {actions:?}");
    }
}
