// SPDX-License-Identifier: AGPL-3.0-only
//! The first operator, and the demo data of `casella serve --demo`: one domain with its
//! postmaster and two users. Passwords are generated and printed once, when created.

use std::io::Write;

use crate::services::{ServiceError, Services, mailboxes_input};

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

/// Creates the demo domain and mailboxes unless they exist.
pub async fn ensure_demo(services: &Services) -> Result<Vec<Printed>, ServiceError> {
    let operator = services.resolve(FIRST_OPERATOR).await?;
    let scope = services.operator_scope(&operator)?;
    let (postmaster, password) = match scope.register_domain(DEMO_DOMAIN).await {
        Ok(created) => created,
        // Created on an earlier start: its passwords were printed then.
        Err(ServiceError::Conflict { .. }) => return Ok(Vec::new()),
        Err(err) => return Err(err),
    };
    let mut printed = vec![Printed {
        role: "postmaster",
        login: postmaster.clone(),
        password,
    }];
    let actor = services.resolve(&postmaster).await?;
    let domain = services.own_domain_scope(&actor)?;
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
