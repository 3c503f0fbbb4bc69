// SPDX-License-Identifier: AGPL-3.0-only
//! The services: Casella's business rules and role checks.
//!
//! Authorization lives in types. [`Services::resolve`] turns a session into an [`Actor`]; only
//! an operator yields an [`OperatorScope`] and only a domain's postmaster a [`DomainScope`], and
//! the administrative operations exist only on those scopes, so code that skipped the check
//! cannot name them.

mod accounts;
mod domains;
mod mailboxes;
pub mod names;
pub mod passwords;
mod port;

use std::sync::Arc;

use engine_glue::{Engine, GlueError, PasswordHash};
use sea_orm::DatabaseConnection;

use crate::db;
use engine_glue::EnginePorts;

pub use domains::OperatorScope;
pub use mailboxes::{DomainScope, MailboxInput};

/// A mailbox input with a generated password.
pub fn mailboxes_input(local: &str, first: &str, last: &str) -> MailboxInput {
    MailboxInput {
        local_part: local.into(),
        first_name: first.into(),
        last_name: last.into(),
        password: String::new(),
    }
}

/// Default mailbox quota: the smallest tier, 8 GB.
pub const DEFAULT_QUOTA_BYTES: u64 = 8_000_000_000;

/// What mail clients need to reach this server.
#[derive(Debug, Clone)]
pub struct MailEndpoints {
    pub hostname: String,
    pub ports: EnginePorts,
}

/// The services, shared by every request.
#[derive(Clone)]
pub struct Services {
    db: DatabaseConnection,
    engine: Arc<Engine>,
    mail: MailEndpoints,
}

/// A signed-in identity, checked against the panel database.
#[derive(Debug, Clone)]
pub enum Actor {
    Operator(db::operator::Model),
    Postmaster {
        mailbox: db::mailbox::Model,
        domain: db::domain::Model,
    },
    User {
        mailbox: db::mailbox::Model,
        domain: db::domain::Model,
    },
}

/// A service operation failed.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("not signed in")]
    Unauthorized,
    #[error("not allowed")]
    Forbidden,
    #[error("not found")]
    NotFound,
    #[error("{field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    #[error("{field}: {message}")]
    Conflict {
        field: &'static str,
        message: String,
    },
    #[error("{0}")]
    Internal(String),
}

impl ServiceError {
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        ServiceError::Invalid {
            field,
            message: message.into(),
        }
    }
}

impl From<sea_orm::DbErr> for ServiceError {
    fn from(err: sea_orm::DbErr) -> Self {
        ServiceError::Internal(format!("database: {err}"))
    }
}

impl From<GlueError> for ServiceError {
    fn from(err: GlueError) -> Self {
        ServiceError::Internal(format!("engine: {err}"))
    }
}

impl Services {
    pub fn new(db: DatabaseConnection, engine: Arc<Engine>, mail: MailEndpoints) -> Self {
        Services { db, engine, mail }
    }

    /// The operator scope, for operators only.
    pub fn operator_scope<'a>(&'a self, actor: &Actor) -> Result<OperatorScope<'a>, ServiceError> {
        match actor {
            Actor::Operator(_) => Ok(OperatorScope::new(self)),
            _ => Err(ServiceError::Forbidden),
        }
    }

    /// The scope of the actor's own domain, for its postmaster only.
    pub fn own_domain_scope<'a>(&'a self, actor: &Actor) -> Result<DomainScope<'a>, ServiceError> {
        match actor {
            Actor::Postmaster { domain, .. } => Ok(DomainScope::new(self, domain.clone())),
            _ => Err(ServiceError::Forbidden),
        }
    }
}

/// Hashes a password off the async threads (argon2id is deliberately slow).
pub(crate) async fn hash_password(password: String) -> Result<PasswordHash, ServiceError> {
    tokio::task::spawn_blocking(move || PasswordHash::hash(&password))
        .await
        .map_err(|err| ServiceError::Internal(format!("hashing task: {err}")))?
        .map_err(ServiceError::from)
}
