// SPDX-License-Identifier: AGPL-3.0-only
//! The first operator, and the demo data of `casella serve --demo`: a plan, a customer, its
//! domain with the postmaster and two users. Passwords are generated and printed once, when created.

use std::io::Write;

use std::net::{IpAddr, Ipv4Addr};

use crate::services::{
    Caller, CustomerInput, Handover, PlanInput, ServiceError, Services, mailboxes_input,
};

/// The demo domain.
pub const DEMO_DOMAIN: &str = "demo.test";
/// The first operator's login.
pub const FIRST_OPERATOR: &str = "admin";

/// A created login, to print once.
pub struct Printed {
    pub role: &'static str,
    pub login: String,
    pub password: String,
}

/// Creates the first operator when there is none.
pub async fn ensure_operator(services: &Services) -> Result<Option<Printed>, ServiceError> {
    if services.has_operator().await? {
        return Ok(None);
    }
    let password = services.create_operator(FIRST_OPERATOR, "Operator").await?;
    Ok(Some(Printed {
        role: "operator",
        login: FIRST_OPERATOR.into(),
        password,
    }))
}

/// Creates the demo plan, customer, domain and mailboxes unless they exist. The demo
/// customer's legal representative is alice, so notifications land in a demo inbox.
pub async fn ensure_demo(services: &Services) -> Result<Vec<Printed>, ServiceError> {
    let caller = Caller {
        actor: services.resolve(FIRST_OPERATOR).await?,
        ip: IpAddr::V4(Ipv4Addr::LOCALHOST),
    };
    let scope = services.operator_scope(&caller)?;
    if scope
        .list_domains()
        .await?
        .iter()
        .any(|d| d.domain.name == DEMO_DOMAIN)
    {
        // Created on an earlier start: its passwords were printed then.
        return Ok(Vec::new());
    }
    let plan = match scope.list_plans().await?.into_iter().next() {
        Some(plan) => plan,
        None => {
            scope
                .create_plan(PlanInput {
                    name: "Business Mail".into(),
                    mailbox_type: "Business Mail".into(),
                    included_mailboxes: 10,
                    price_extra_mailbox: 200,
                    price_quota: [100, 200, 400],
                    price_send: [100, 200, 500],
                    price_archive: 300,
                })
                .await?
        }
    };
    let customer = scope
        .create_customer(CustomerInput {
            company_name: "Demo S.r.l.".into(),
            legal_email: format!("alice@{DEMO_DOMAIN}"),
            plan_id: plan.id,
        })
        .await?;
    let registered = scope
        .register_domain(DEMO_DOMAIN, customer.id, Handover::Return)
        .await?;
    let mut printed = vec![Printed {
        role: "postmaster",
        login: registered.postmaster,
        password: registered.password.unwrap_or_default(),
    }];
    let domain = services.setup_scope(&caller, DEMO_DOMAIN).await?;
    for (local, first, last) in [("alice", "Alice", "Rossi"), ("bob", "Bruno", "Bianchi")] {
        let (login, password) = domain
            .create_mailbox(mailboxes_input(local, first, last))
            .await?;
        printed.push(Printed {
            role: "user",
            login,
            password: password.unwrap_or_default(),
        });
    }
    // The demo company chats: its service is on, and so is every mailbox's switch.
    domain.set_domain_chat(true).await?;
    domain.set_chat_for_all(true).await?;
    Ok(printed)
}

/// Prints created credentials to standard output, once.
pub fn print(title: &str, printed: &[Printed]) {
    if printed.is_empty() {
        return;
    }
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{title} (shown once):");
    for p in printed {
        let _ = writeln!(out, "  {:<11} {:<28} {}", p.role, p.login, p.password);
    }
    let _ = out.flush();
}
