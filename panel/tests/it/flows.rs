// SPDX-License-Identifier: AGPL-3.0-only
//! Steps several tests share: signing in, setting up a customer's domain the way the product
//! does it (credentials e-mailed to the legal representative, read back over IMAP, changed at
//! first sign-in), creating mailboxes.

use crate::harness::{Casella, Web, mail};

/// The password every test mailbox gets.
pub const PASSWORD: &str = "Test-Secret-42";

/// The first operator, signed in.
pub fn operator(casella: &Casella) -> Web {
    let login = casella.printed["operator"].clone();
    let web = Web::new(casella);
    web.login(&login, &casella.printed[&login])
        .expect("operator login");
    web
}

/// Creates a plan with `included` mailboxes and returns its id.
pub fn plan(operator: &Web, name: &str, included: u32) -> i64 {
    let included = included.to_string();
    operator
        .call(
            "operator/create_plan",
            &[
                ("name", name),
                ("mailbox_type", "Business Mail"),
                ("included_mailboxes", &included),
                ("price_extra_mailbox", "2"),
                ("price_quota_25", "1"),
                ("price_quota_50", "2"),
                ("price_quota_100", "4"),
                ("price_send_1000", "1"),
                ("price_send_2000", "2"),
                ("price_send_5000", "5"),
                ("price_archive", "3"),
            ],
        )
        .expect("create plan");
    let plans = operator.call("operator/list_plans", &[]).expect("plans");
    plans
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == name)
        .and_then(|p| p["id"].as_i64())
        .expect("plan id")
}

/// Creates a customer and returns its id.
pub fn customer(operator: &Web, company: &str, legal_email: &str, plan: i64) -> i64 {
    let plan = plan.to_string();
    operator
        .call(
            "operator/create_customer",
            &[
                ("company_name", company),
                ("legal_email", legal_email),
                ("plan", &plan),
            ],
        )
        .expect("create customer");
    let customers = operator
        .call("operator/list_customers", &[])
        .expect("customers");
    customers
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["company_name"] == company)
        .and_then(|c| c["id"].as_i64())
        .expect("customer id")
}

/// Reads the password out of the credentials e-mail for `login` in a demo user's inbox.
pub fn emailed_password(casella: &Casella, inbox: &str, login: &str) -> String {
    let imaps = casella.ports.imaps.to_string();
    let body = mail(&[
        "imap-body",
        &imaps,
        "tls",
        inbox,
        &casella.printed[inbox],
        login,
    ]);
    body.lines()
        .find_map(|line| line.trim().strip_prefix("Password:"))
        .map(|p| p.trim().to_string())
        .unwrap_or_else(|| panic!("no password in the e-mail: {body}"))
}

/// Signs in with an e-mailed password and makes the required change to [`PASSWORD`].
pub fn first_sign_in(casella: &Casella, login: &str, emailed: &str) -> Web {
    let web = Web::new(casella);
    web.login(login, emailed).expect("first sign-in");
    web.call(
        "auth/change_password",
        &[
            ("current", emailed),
            ("new", PASSWORD),
            ("repeat", PASSWORD),
        ],
    )
    .expect("required password change");
    web
}

/// Registers `domain` for a new customer of the demo instance whose legal representative is
/// alice, and returns its postmaster, signed in with [`PASSWORD`].
pub fn customer_domain(casella: &Casella, operator: &Web, domain: &str, included: u32) -> Web {
    let plan = plan(operator, &format!("Plan {domain}"), included);
    let customer = customer(
        operator,
        &format!("Customer of {domain}"),
        "alice@demo.test",
        plan,
    );
    let customer = customer.to_string();
    operator
        .call(
            "operator/register_domain",
            &[("domain", domain), ("customer", &customer)],
        )
        .expect("register domain");
    let postmaster = format!("postmaster@{domain}");
    let emailed = emailed_password(casella, "alice@demo.test", &postmaster);
    first_sign_in(casella, &postmaster, &emailed)
}

/// Creates a mailbox with [`PASSWORD`].
pub fn mailbox(admin: &Web, domain: &str, local: &str) -> String {
    admin
        .call(
            "mailboxes/create_mailbox",
            &[
                ("domain", domain),
                ("local_part", local),
                ("first_name", "Test"),
                ("last_name", local),
                ("password", PASSWORD),
            ],
        )
        .expect("create mailbox");
    format!("{local}@{domain}")
}

/// Sets a manager for `domain` whose credentials are e-mailed to alice; returns it signed in.
pub fn manager_of(casella: &Casella, operator: &Web, login: &str, domain: &str) -> Web {
    let sent_to = operator
        .call(
            "operator/create_manager",
            &[
                ("login", login),
                ("display_name", "IT Manager"),
                ("email", "alice@demo.test"),
            ],
        )
        .expect("create manager");
    assert_eq!(sent_to, "alice@demo.test");
    operator
        .call(
            "operator/assign_manager",
            &[("domain", domain), ("manager", login)],
        )
        .expect("assign manager");
    let emailed = emailed_password(casella, "alice@demo.test", login);
    first_sign_in(casella, login, &emailed)
}
