// SPDX-License-Identifier: AGPL-3.0-only
//! Nothing open: sign-in throttling behind a trusted proxy, equal cost for unknown logins,
//! cross-site requests, open redirects, forged form errors, sessions that end when the
//! identity changes, first passwords, TLS with reload, security headers, private files, the
//! MX's relay rule, what customers see of the provider's staff, and the send-tier fallback.

use std::{
    os::unix::fs::PermissionsExt,
    path::Path,
    process::Command,
    time::{Duration, Instant},
};

use serde_json::Value;

use crate::{
    error_field, flows,
    harness::{Casella, Web, mail, mail_refused},
};

/// Whether the client's session is signed in (`auth/me` answers `null` when it is not).
fn signed_in(web: &Web) -> bool {
    web.call("auth/current_user", &[])
        .expect("auth/me")
        .is_object()
}

fn message_of(err: &Value) -> String {
    err.to_string()
}

#[test]
fn sign_in_is_throttled_per_account_and_address_and_unknown_logins_cost_the_same() {
    let casella = Casella::start_with(true, &[("CASELLA_TRUSTED_PROXIES", "[\"127.0.0.1\"]")]);
    let alice = casella.printed["alice@demo.test"].clone();
    // The same-host proxy names the client; Casella counts per client address.
    let attacker = Web::with_headers(&casella, &[("x-forwarded-for", "203.0.113.7")]);
    for n in 0..5 {
        let err = attacker
            .login("alice@demo.test", &format!("guess-{n}"))
            .unwrap_err();
        assert!(message_of(&err).contains("Wrong e-mail address"), "{err}");
    }
    let err = attacker.login("alice@demo.test", &alice).unwrap_err();
    assert_eq!(error_field(&err).as_deref(), Some("password"));
    assert!(
        message_of(&err).contains("Too many failed sign-ins"),
        "even the right password waits: {err}"
    );
    // alice herself, from her own address, is not locked out by the attack.
    Web::with_headers(&casella, &[("x-forwarded-for", "198.51.100.20")])
        .login("alice@demo.test", &alice)
        .expect("alice from another address");

    // An unknown login takes as long as a known one with a wrong password.
    let time = |login: &str, ip: &str| {
        let web = Web::with_headers(&casella, &[("x-forwarded-for", ip)]);
        let started = Instant::now();
        let _ = web.login(login, "Not-The-Password-1");
        started.elapsed()
    };
    let median = |mut v: Vec<Duration>| {
        v.sort();
        v[v.len() / 2]
    };
    let known = median(
        (0..3)
            .map(|n| time("bob@demo.test", &format!("192.0.2.{n}")))
            .collect(),
    );
    let unknown = median(
        (0..3)
            .map(|n| {
                time(
                    &format!("nobody{n}@demo.test"),
                    &format!("192.0.2.{}", 10 + n),
                )
            })
            .collect(),
    );
    assert!(
        unknown * 2 >= known,
        "unknown {unknown:?} vs known {known:?}: timing must not tell which accounts exist"
    );
}

#[test]
fn cross_site_requests_open_redirects_and_forged_errors_are_refused() {
    let casella = Casella::start(true);
    let alice = casella.printed["alice@demo.test"].clone();
    let web = Web::new(&casella);
    web.login("alice@demo.test", &alice).expect("login");
    let change = [
        ("current", alice.as_str()),
        ("new", "Evil-Chosen-42"),
        ("repeat", "Evil-Chosen-42"),
    ];
    let (status, _) = web.post_with(
        "/api/auth/change_password",
        &[
            ("Origin", "https://evil.example"),
            ("Sec-Fetch-Site", "cross-site"),
            ("Accept", "application/json"),
        ],
        &change,
    );
    assert_eq!(status, 403, "a cross-site password change is refused");
    let (status, _) = web.post_with(
        "/api/auth/change_password",
        &[
            ("Origin", "https://evil.example"),
            ("Accept", "application/json"),
        ],
        &change,
    );
    assert_eq!(status, 403, "a foreign Origin alone is enough");
    let imaps = casella.ports.imaps.to_string();
    mail(&["imap-login", &imaps, "tls", "alice@demo.test", &alice]);
    // The panel's own page may post.
    let own = casella.url("");
    let (status, _) = web.post_with(
        "/api/auth/current_user",
        &[("Origin", own.as_str()), ("Sec-Fetch-Site", "same-origin")],
        &[],
    );
    assert_eq!(status, 200);

    // The language switch only goes back to this site.
    for (back, expected) in [
        ("/%09/evil.example", "/"),
        ("//evil.example", "/"),
        ("/%5Cevil.example", "/"),
        ("/account", "/account"),
    ] {
        let (status, location) = web.page_redirect(&format!("/lang/en?back={back}"));
        assert_eq!((status, location.as_str()), (303, expected), "back={back}");
    }

    // An error written into a link is not shown; one the server sent back is.
    let forged = "/login?__err=%7B%22Invalid%22%3A%7B%22field%22%3A%22password%22%2C%22message%22%3A%7B%22en%22%3A%22Account%20blocked%2C%20call%20%2B39%20000%22%2C%22it%22%3A%22Bloccato%22%7D%7D%7D&__path=%2Fapi%2Fauth%2Flogin";
    let (status, location) = web.page_redirect(forged);
    assert_eq!((status, location.as_str()), (303, "/login"));
    let stranger = Web::new(&casella);
    let (status, location) = stranger.form_post(
        "auth/login",
        "/login",
        &[("login", "alice@demo.test"), ("password", "wrong-password")],
    );
    assert_eq!(status, 302);
    assert!(location.contains("__seal="), "{location}");
    let path = location.trim_start_matches(&casella.url(""));
    let (status, html) = stranger.page(path);
    assert_eq!(status, 200);
    assert!(
        html.contains("Wrong e-mail address or password"),
        "sealed errors are shown"
    );

    // Page numbers past any end give an empty page, not a failure.
    let postmaster = flows::first_sign_in(
        &casella,
        "postmaster@demo.test",
        &casella.printed["postmaster@demo.test"],
    );
    let list = postmaster
        .call(
            "mailboxes/list_mailboxes",
            &[
                ("domain", "demo.test"),
                ("page", "18446744073709551615"),
                ("search", ""),
            ],
        )
        .expect("an enormous page number");
    assert_eq!(list["rows"], serde_json::json!([]));
    postmaster
        .call("domain/audit_log", &[("page", "18446744073709551615")])
        .expect("audit page");
}

/// Sets a stored session's sign-in time far in the past.
fn age_session(casella: &Casella, cookie: &str, hours: i64) {
    let id = cookie.trim_start_matches("casella_session=");
    let out = Command::new("python3")
        .args([
            "-c",
            "import json,sqlite3,sys,time; db=sqlite3.connect(sys.argv[1]); \
             row=db.execute('SELECT data FROM web_sessions WHERE id=?', (sys.argv[2],)).fetchone(); \
             rec=json.loads(bytes(row[0])); rec['data']['actor']['since']=int(time.time())-int(sys.argv[3])*3600; \
             db.execute('UPDATE web_sessions SET data=? WHERE id=?', (json.dumps(rec).encode(), sys.argv[2])); db.commit()",
        ])
        .arg(casella.data.join("panel.sqlite3"))
        .arg(id)
        .arg(hours.to_string())
        .output()
        .expect("python3");
    assert!(out.status.success(), "{out:?}");
}

#[test]
fn sessions_end_when_the_identity_changes_or_grows_old() {
    let casella = Casella::start(true);
    let alice = casella.printed["alice@demo.test"].clone();
    let first = Web::new(&casella);
    let second = Web::new(&casella);
    first.login("alice@demo.test", &alice).expect("login");
    second.login("alice@demo.test", &alice).expect("login");
    first
        .call(
            "auth/change_password",
            &[
                ("current", &alice),
                ("new", flows::PASSWORD),
                ("repeat", flows::PASSWORD),
            ],
        )
        .expect("change");
    assert!(!signed_in(&second), "signed out");
    assert!(signed_in(&first), "the changing session stays signed in");

    // Sign-out: a copy of the cookie taken before is worthless after.
    let copy = first.same_session();
    assert!(signed_in(&copy), "same session");
    first.call("auth/logout", &[]).expect("logout");
    assert!(!signed_in(&copy), "signed out");

    // A reset by the postmaster reaches the engine and ends the mailbox's sessions.
    let postmaster = flows::first_sign_in(
        &casella,
        "postmaster@demo.test",
        &casella.printed["postmaster@demo.test"],
    );
    let bob = Web::new(&casella);
    bob.login("bob@demo.test", &casella.printed["bob@demo.test"])
        .expect("bob");
    postmaster
        .call(
            "mailboxes/reset_password",
            &[
                ("address", "bob@demo.test"),
                ("password", "Reset-By-Admin-7"),
                ("repeat", "Reset-By-Admin-7"),
            ],
        )
        .expect("reset");
    assert!(!signed_in(&bob), "signed out");
    let imaps = casella.ports.imaps.to_string();
    mail(&[
        "imap-login",
        &imaps,
        "tls",
        "bob@demo.test",
        "Reset-By-Admin-7",
    ]);
    mail_refused(&[
        "imap-login",
        &imaps,
        "tls",
        "bob@demo.test",
        &casella.printed["bob@demo.test"],
    ]);

    // An address deleted and created again does not inherit the old sessions.
    let dora = flows::mailbox(&postmaster, "demo.test", "dora");
    let dora_web = Web::new(&casella);
    dora_web.login(&dora, flows::PASSWORD).expect("dora");
    postmaster
        .call(
            "mailboxes/delete_mailbox",
            &[("address", &dora), ("confirm", &dora)],
        )
        .expect("delete");
    flows::mailbox(&postmaster, "demo.test", "dora");
    assert!(!signed_in(&dora_web), "signed out");

    // However active, a session ends after the configured lifetime (12 hours by default).
    let old = Web::new(&casella);
    old.login(&dora, flows::PASSWORD).expect("dora again");
    assert!(signed_in(&old), "fresh");
    age_session(&casella, &old.session_cookie(), 13);
    assert!(!signed_in(&old), "signed out");
}

#[test]
fn first_passwords_work_only_on_the_web_and_one_changes_ones_own_with_the_current() {
    let casella = Casella::start(true);
    let printed = casella.printed["postmaster@demo.test"].clone();
    let imaps = casella.ports.imaps.to_string();
    mail_refused(&[
        "imap-login",
        &imaps,
        "tls",
        "postmaster@demo.test",
        &printed,
    ]);
    let postmaster = flows::first_sign_in(&casella, "postmaster@demo.test", &printed);
    mail(&[
        "imap-login",
        &imaps,
        "tls",
        "postmaster@demo.test",
        flows::PASSWORD,
    ]);

    let err = postmaster
        .call(
            "mailboxes/reset_password",
            &[
                ("address", "postmaster@demo.test"),
                ("password", "Without-Current-9"),
                ("repeat", "Without-Current-9"),
            ],
        )
        .unwrap_err();
    assert_eq!(error_field(&err).as_deref(), Some("password"), "{err}");
    mail(&[
        "imap-login",
        &imaps,
        "tls",
        "postmaster@demo.test",
        flows::PASSWORD,
    ]);
}

/// Makes a self-signed certificate for the test host name; returns (cert, key) PEM paths.
fn certificate(dir: &Path, name: &str) -> (String, String) {
    let cert = dir.join(format!("{name}.crt"));
    let key = dir.join(format!("{name}.key"));
    let out = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "2",
            "-subj",
        ])
        .arg(format!("/CN=mail.casella.test/O={name}"))
        .args(["-addext", "subjectAltName=DNS:mail.casella.test", "-keyout"])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .expect("openssl");
    assert!(out.status.success(), "{out:?}");
    (cert.display().to_string(), key.display().to_string())
}

/// The organisation named in the certificate a TLS port presents.
fn presented(port: u16) -> String {
    let out = Command::new("python3")
        .args([
            "-c",
            "import ssl,sys,subprocess; pem=ssl.get_server_certificate(('127.0.0.1', int(sys.argv[1]))); \
             print(subprocess.run(['openssl','x509','-noout','-subject'], input=pem.encode(), capture_output=True).stdout.decode())",
        ])
        .arg(port.to_string())
        .output()
        .expect("python3");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[test]
fn tls_certificates_reload_headers_are_set_and_files_are_private() {
    let certs = tempfile::tempdir().unwrap();
    let (cert_a, key_a) = certificate(certs.path(), "first");
    let (cert_b, key_b) = certificate(certs.path(), "renewed");
    let live_cert = certs.path().join("live.crt").display().to_string();
    let live_key = certs.path().join("live.key").display().to_string();
    std::fs::copy(&cert_a, &live_cert).unwrap();
    std::fs::copy(&key_a, &live_key).unwrap();
    let casella = Casella::start_with(
        true,
        &[
            ("CASELLA_TLS__CERT", &live_cert),
            ("CASELLA_TLS__KEY", &live_key),
            ("CASELLA_TLS__WEB", "true"),
            ("CASELLA_TLS__RELOAD_SECONDS", "1"),
        ],
    );
    assert!(presented(casella.ports.imaps).contains("O = first"));
    assert!(
        presented(casella.ports.http).contains("O = first"),
        "the panel serves it too"
    );

    // The panel over HTTPS: secure cookie, HSTS, and the page's security headers.
    let web = Web::new(&casella);
    let (status, headers, html) = web.get_full("/login");
    assert_eq!(status, 200);
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    let csp = header("content-security-policy");
    assert!(csp.contains("frame-ancestors 'none'") && csp.contains("object-src 'none'"));
    assert!(
        !html.contains("<script type=\"module\"") && !html.contains("casella.js"),
        "the sign-in page is plain HTML: no browser code"
    );
    assert_eq!(header("x-frame-options"), "DENY");
    assert_eq!(header("referrer-policy"), "same-origin");
    assert_eq!(header("x-content-type-options"), "nosniff");
    assert!(header("strict-transport-security").contains("max-age="));
    assert_eq!(header("cache-control"), "no-store");
    web.login("alice@demo.test", &casella.printed["alice@demo.test"])
        .expect("sign-in over HTTPS");
    assert!(!web.session_cookie().is_empty());
    assert!(signed_in(&web), "secure cookie kept over HTTPS");

    // A signed-in page loads the browser code, with the page's nonce, under the build's
    // fingerprint when the site has one; such a file is kept by browsers for good.
    let (status, headers, html) = web.get_full("/account");
    assert_eq!(status, 200);
    let csp = headers["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .unwrap_or_else(|| panic!("page CSP has a script nonce: {csp}"));
    assert!(
        html.contains(&format!("nonce=\"{nonce}\"")),
        "the hydration script carries it"
    );
    let script = html
        .split('"')
        .find(|part| part.ends_with("/casella.js") && part.starts_with('/'))
        .unwrap_or_else(|| panic!("the page names the browser code: {html}"))
        .to_string();
    if script.starts_with("/static/") {
        let (status, headers, _) = web.get_full(&script);
        assert_eq!(status, 200, "{script}");
        assert_eq!(
            headers["cache-control"],
            "public, max-age=31536000, immutable"
        );
    } else {
        assert_eq!(
            script, "/pkg/casella.js",
            "no fingerprint: the plain folder"
        );
    }

    // Islands: a page loads the build of the browser code its islands are in, and a page
    // without islands loads none. The message editor is in the compose page's build only.
    let names_code = |html: &str, bundle: &str| html.contains(&format!("/{bundle}.js\""));
    let (_, _, mail) = web.get_full("/mail");
    assert!(
        mail.contains("<leptos-island"),
        "the list and the chat live"
    );
    assert!(names_code(&mail, "casella") && !names_code(&mail, "casella-editor"));
    let (_, _, compose) = web.get_full("/compose");
    assert!(names_code(&compose, "casella-editor") && !names_code(&compose, "casella"));
    assert_eq!(
        compose.matches("<script type=\"module\"").count(),
        1,
        "one loader a page"
    );
    // Pages travel compressed where the browser takes it. The icon is kept a day (a page
    // shown in place does not ask for it again).
    let (status, headers) = web.get_headers(
        "/mail",
        &[("Accept", "text/html"), ("Accept-Encoding", "gzip")],
    );
    assert_eq!(status, 200);
    assert_eq!(headers["content-encoding"], "gzip");
    let (status, headers) = web.get_headers("/favicon.svg", &[]);
    assert_eq!(status, 200);
    assert_eq!(headers["cache-control"], "public, max-age=86400");
    let operator = Web::new(&casella);
    operator
        .login("admin", &casella.printed["admin"])
        .expect("operator sign-in");
    let (status, _, domains) = operator.get_full("/operator/domains");
    assert_eq!(status, 200);
    assert!(
        !domains.contains("<script type=\"module\"") && !domains.contains("<leptos-island"),
        "the operator's pages are plain HTML"
    );

    // Renewed files are taken without a restart.
    std::fs::copy(&key_b, &live_key).unwrap();
    std::fs::copy(&cert_b, &live_cert).unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while !presented(casella.ports.imaps).contains("O = renewed") {
        assert!(
            Instant::now() < deadline,
            "the renewed certificate was not taken"
        );
        std::thread::sleep(Duration::from_millis(300));
    }
    assert!(presented(casella.ports.pop3s).contains("O = renewed"));
    assert!(presented(casella.ports.http).contains("O = renewed"));

    // Data files are for Casella's user alone.
    let mode = |path: &Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&casella.data), 0o700);
    assert_eq!(mode(&casella.data.join("panel.sqlite3")), 0o600);
    let engine_config = std::fs::read_dir(casella.data.join("engine"))
        .unwrap()
        .filter_map(Result::ok)
        .find(|e| {
            e.path().extension().is_some_and(|x| x == "toml") && e.file_name() != "spam-filter.toml"
        })
        .expect("engine configuration")
        .path();
    assert_eq!(mode(&engine_config), 0o600, "{}", engine_config.display());
}

/// The reply code the MX gives `rcpt` from a client at `source`.
fn mx_rcpt_from(casella: &Casella, source: &str, rcpt: &str) -> String {
    let out = Command::new("python3")
        .args([
            "-c",
            "import smtplib,sys; s=smtplib.SMTP('127.0.0.1', int(sys.argv[1]), timeout=20, source_address=(sys.argv[2], 0)); \
             s.ehlo('client.test'); s.mail('someone@elsewhere.test'); print(s.rcpt(sys.argv[3])[0]); s.quit()",
        ])
        .arg(casella.ports.smtp.to_string())
        .arg(source)
        .arg(rcpt)
        .output()
        .expect("python3");
    assert!(out.status.success(), "{out:?}");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[test]
fn the_mx_relays_for_this_machine_only_and_customers_do_not_see_staff_addresses() {
    let casella = Casella::start(true);
    assert!(
        mx_rcpt_from(&casella, "127.0.0.2", "someone@external.test").starts_with('5'),
        "no relay for a client that is not this machine"
    );
    assert_eq!(
        mx_rcpt_from(&casella, "127.0.0.2", "alice@demo.test"),
        "250"
    );

    // The operator registers a domain (from 127.0.0.1); its postmaster sees that the
    // provider did it, not from where; the operator sees everything. Another domain's
    // postmaster sees none of it.
    let operator = flows::operator(&casella);
    let acme = flows::customer_domain(&casella, &operator, "acme.test", 3);
    let rows = |web: &Web| -> Vec<Value> {
        web.call("domain/audit_log", &[("page", "0")])
            .expect("audit")["rows"]
            .as_array()
            .unwrap()
            .clone()
    };
    let seen_by_acme = rows(&acme);
    let register = seen_by_acme
        .iter()
        .find(|r| r["action"] == "domain.register")
        .expect("the registration is in acme's log");
    assert_eq!(register["ip"], "", "{register}");
    assert!(seen_by_acme.iter().all(|r| r["domain"] == "acme.test"));
    let by_operator = rows(&operator);
    let register = by_operator
        .iter()
        .find(|r| r["action"] == "domain.register" && r["domain"] == "acme.test")
        .unwrap();
    assert_eq!(register["ip"], "127.0.0.1");
    let demo = flows::first_sign_in(
        &casella,
        "postmaster@demo.test",
        &casella.printed["postmaster@demo.test"],
    );
    assert!(rows(&demo).iter().all(|r| r["domain"] == "demo.test"));
    // acme's manager reads acme's rows, none of demo.test's, and no staff address either...
    let manager = flows::manager_of(&casella, &operator, "it.acme", "acme.test");
    let seen = rows(&manager);
    assert!(seen.iter().any(|r| r["action"] == "domain.register"));
    // ...and what it did itself outside any domain (its password, its delegates).
    assert!(
        seen.iter()
            .all(|r| r["domain"] == "acme.test"
                || (r["domain"].is_null() && r["actor"] == "it.acme")),
        "{seen:?}"
    );
    assert!(
        seen.iter()
            .any(|r| r["action"] == "account.password" && r["actor"] == "it.acme")
    );
    assert!(
        seen.iter()
            .filter(|r| r["actor_role"] == "operator")
            .all(|r| r["ip"] == "")
    );
}

#[test]
fn a_send_tier_no_longer_configured_falls_back_to_the_smallest() {
    let tiers = [("CASELLA_SEND_TIERS", "[3, 5, 8, 13]")];
    let mut casella = Casella::start_with(true, &tiers);
    let operator = flows::operator(&casella);
    let manager = flows::manager_of(&casella, &operator, "it.tiers", "demo.test");
    manager
        .call(
            "mailboxes/set_send_tier",
            &[("address", "alice@demo.test"), ("send_tier", "5")],
        )
        .expect("tier 5");
    let tmp = casella.take_tmp();
    assert!(casella.stop());
    // The provider changes its tiers; alice's stored 5 is none of them.
    let again = Casella::launch(
        &casella.data,
        true,
        &[("CASELLA_SEND_TIERS", "[2, 6, 9, 14]")],
    );
    let submissions = again.ports.submissions.to_string();
    let codes = mail(&[
        "rcpt-codes",
        &submissions,
        "tls",
        "alice@demo.test",
        &casella.printed["alice@demo.test"],
        "alice@demo.test",
        "a@external.test,b@external.test,c@external.test",
    ]);
    assert_eq!(codes.trim(), "250 250 452", "{codes}");
    drop(again);
    drop(tmp);
}
