// SPDX-License-Identifier: AGPL-3.0-only
//! The services: Casella's business rules and role checks.
//!
//! Authorization lives in types. [`Services::resolve`] turns a session into an [`Actor`]; the
//! administrative operations exist only on scopes, and the services hand a scope only to an
//! actor allowed on it: [`OperatorScope`] to operators, [`DomainScope`] to a domain's postmaster
//! or manager, [`ManagedDomain`] to its manager alone. Code that skipped the check cannot name
//! the operations. A domain the actor may not touch is "not found", never "forbidden", so its
//! existence does not leak.

pub mod access_log;
mod accounts;
mod activity;
mod app_passwords;
pub mod archive;
mod archive_admin;
pub mod archive_import;
mod archive_index;
mod archive_pass;
mod archive_rows;
pub mod archive_view;
mod archive_writer;
mod audit;
pub mod chat;
pub mod chat_files;
pub mod chat_verifiers;
pub mod compose;
mod cost_notices;
mod customers;
pub mod delegates;
pub mod dns;
mod domains;
pub mod groups;
pub mod journal_address;
pub mod kept_mail;
pub mod login_guard;
pub mod mail_rules;
mod mail_search;
pub mod mail_settings;
mod mailbox_edit;
mod mailboxes;
mod managed;
pub mod names;
mod op_id;
pub mod passwords;
mod recent_sign_ins;
pub mod restore;
pub mod search;
pub mod time_machine;
mod time_machine_view;
pub mod trace;
mod two_factor;
pub mod webmail;

use std::{net::IpAddr, sync::Arc};

use app::{i18n::Text, ports::DomainName};
use engine_glue::{Engine, GlueError, PasswordHash};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use crate::{db, notify::Mailer};
use engine_glue::EnginePorts;

pub use archive_admin::{ArchiveState, RETENTION_YEARS};
pub use audit::AUDIT_PAGE;
pub use audit::AuditEntry;
pub use customers::{CustomerInput, PlanInput};
pub use domains::DomainSummary;
pub use domains::{Handover, OperatorScope, Registered};
pub use mailbox_edit::MailboxDetail;
pub use mailboxes::{DomainScope, MAILBOX_PAGE, MailboxInput, MailboxListRow};
pub use managed::Logo;
pub use managed::ManagedDomain;
pub use op_id::OpId;

/// A mailbox input with a generated password.
pub fn mailboxes_input(local: &str, first: &str, last: &str) -> MailboxInput {
    MailboxInput {
        local_part: local.into(),
        first_name: first.into(),
        last_name: last.into(),
        password: String::new(),
    }
}

/// What mail clients need to reach this server.
#[derive(Debug, Clone)]
pub struct MailEndpoints {
    pub hostname: String,
    pub ports: EnginePorts,
    /// The panel's address as people reach it (`scheme://host[:port]`), for links that
    /// leave the browser: a profile opened on a phone.
    pub public_url: String,
}

/// How many days the access log and the message trace keep their rows unless configured.
pub const DEFAULT_LOG_DAYS: u32 = 30;

/// Chat events the hub's delivery may fall behind before it misses some.
const CHAT_BUS_CAPACITY: usize = 4096;

/// The services, shared by every request.
#[derive(Clone)]
pub struct Services {
    db: DatabaseConnection,
    engine: Arc<Engine>,
    mail: MailEndpoints,
    mailer: Mailer,
    /// The daily external-recipient tiers, smallest (the default) first.
    send_tiers: [u32; 4],
    /// The quota tiers in bytes, smallest (the default) first.
    quota_tiers: [u64; 4],
    /// Failed web sign-ins, throttled before any password is verified.
    throttle: Arc<login_guard::LoginThrottle>,
    /// Failed second-factor codes, throttled apart from the passwords.
    code_throttle: Arc<login_guard::LoginThrottle>,
    /// How long a web session lasts at most, however active.
    session_lifetime: std::time::Duration,
    /// The resolver the domains' DNS check asks.
    dns: dns::DnsChecker,
    /// How many days the access log and the message trace keep their rows.
    log_days: u32,
    /// The chat hub every chat session meets in.
    chat: crate::chat::Hub,
    /// PBKDF2 rounds of a new account's SCRAM verifiers.
    scram_iterations: u32,
    /// Chat clients' recent PLAIN sign-ins (see `recent_sign_ins`).
    recent_sign_ins: Arc<recent_sign_ins::RecentSignIns>,
    /// Where the Mail Time Machine keeps its bytes and for how long.
    time_machine: Option<Arc<time_machine::TimeMachine>>,
    /// Writes the archive journal's envelopes and copies, many in one transaction.
    journal_writer: Arc<archive_writer::JournalWriter>,
}

/// A signed-in identity, checked against the panel database.
#[derive(Debug, Clone)]
pub enum Actor {
    Operator(db::operator::Model),
    Manager(db::manager::Model),
    /// A person a manager lets read some archives (not a mailbox).
    Delegate(db::delegate::Model),
    Postmaster {
        mailbox: db::mailbox::Model,
        domain: db::domain::Model,
    },
    User {
        mailbox: db::mailbox::Model,
        domain: db::domain::Model,
    },
}

impl Actor {
    /// The login name.
    pub fn login(&self) -> &str {
        match self {
            Actor::Operator(op) => &op.login,
            Actor::Manager(m) => &m.login,
            Actor::Delegate(d) => &d.login,
            Actor::Postmaster { mailbox, .. } | Actor::User { mailbox, .. } => &mailbox.address,
        }
    }

    /// The role's name, as the audit log records it.
    pub fn role(&self) -> &'static str {
        match self {
            Actor::Operator(_) => "operator",
            Actor::Manager(_) => "manager",
            Actor::Delegate(_) => "delegate",
            Actor::Postmaster { .. } => "postmaster",
            Actor::User { .. } => "user",
        }
    }

    /// The domain of a postmaster or user, for the audit log.
    pub fn domain_name(&self) -> Option<&str> {
        match self {
            Actor::Postmaster { domain, .. } | Actor::User { domain, .. } => Some(&domain.name),
            Actor::Operator(_) | Actor::Manager(_) | Actor::Delegate(_) => None,
        }
    }

    /// The key every web session of this identity must carry.
    pub fn session_key(&self) -> &str {
        match self {
            Actor::Operator(op) => &op.session_key,
            Actor::Manager(m) => &m.session_key,
            Actor::Delegate(d) => &d.session_key,
            Actor::Postmaster { mailbox, .. } | Actor::User { mailbox, .. } => &mailbox.session_key,
        }
    }

    /// Whether the password given with the account must be replaced before anything else.
    pub fn must_change_password(&self) -> bool {
        match self {
            Actor::Operator(_) => false,
            Actor::Manager(m) => m.must_change_password,
            Actor::Delegate(d) => d.must_change_password,
            Actor::Postmaster { mailbox, .. } | Actor::User { mailbox, .. } => {
                mailbox.must_change_password
            }
        }
    }
}

/// Who makes a request and from where: every administrative action is audited with both.
#[derive(Debug, Clone)]
pub struct Caller {
    pub actor: Actor,
    pub ip: IpAddr,
}

/// A service operation failed.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("not signed in")]
    Unauthorized,
    #[error("not allowed")]
    Forbidden,
    #[error("the password must be changed first")]
    PasswordChangeRequired,
    #[error("two-factor sign-in must be turned on first")]
    TwoFactorRequired,
    #[error("not found")]
    NotFound,
    #[error("{field}: {message}")]
    Invalid { field: &'static str, message: Text },
    #[error("{field}: {message}")]
    Conflict { field: &'static str, message: Text },
    #[error("database: {0}")]
    Db(#[from] sea_orm::DbErr),
    #[error("engine: {0}")]
    Engine(#[from] GlueError),
    #[error("{0}")]
    Internal(String),
}

impl ServiceError {
    /// A value that cannot be accepted, with the message for its form field.
    pub fn invalid(field: &'static str, message: Text) -> Self {
        ServiceError::Invalid { field, message }
    }

    /// A value that clashes with what exists, with the message for its form field.
    pub fn conflict(field: &'static str, message: Text) -> Self {
        ServiceError::Conflict { field, message }
    }

    /// An address already used by an account, an alias or a group alias.
    pub fn address_taken(field: &'static str, address: &str) -> Self {
        ServiceError::conflict(
            field,
            Text::new(
                format!("The address {address} is already in use."),
                format!("L'indirizzo {address} è già in uso."),
            ),
        )
    }
}

impl From<sea_orm::TransactionError<sea_orm::DbErr>> for ServiceError {
    fn from(err: sea_orm::TransactionError<sea_orm::DbErr>) -> Self {
        match err {
            sea_orm::TransactionError::Connection(err)
            | sea_orm::TransactionError::Transaction(err) => ServiceError::Db(err),
        }
    }
}

impl Services {
    pub fn new(
        db: DatabaseConnection,
        engine: Arc<Engine>,
        mail: MailEndpoints,
        mailer: Mailer,
        quota_tiers: [u64; 4],
        session_lifetime: std::time::Duration,
        dns: dns::DnsChecker,
    ) -> Self {
        let send_tiers = engine.config().send_tiers;
        let chat = crate::chat::Hub::new(
            db.clone(),
            Arc::new(crate::chat::LocalBus::new(CHAT_BUS_CAPACITY)),
        );
        let journal_writer = Arc::new(archive_writer::JournalWriter::new(db.clone(), db.clone()));
        Services {
            db,
            engine,
            mail,
            mailer,
            send_tiers,
            quota_tiers,
            throttle: Arc::default(),
            code_throttle: Arc::new(login_guard::LoginThrottle::for_codes()),
            session_lifetime,
            dns,
            log_days: DEFAULT_LOG_DAYS,
            chat,
            scram_iterations: chat_verifiers::DEFAULT_SCRAM_ITERATIONS,
            recent_sign_ins: Arc::new(recent_sign_ins::RecentSignIns::new()),
            time_machine: None,
            journal_writer,
        }
    }

    /// Keeps the archive's journal envelopes in `journal` (on SQLite, a database file of its
    /// own: see `db::connect_journal`) instead of the panel database.
    pub fn with_journal_db(mut self, journal: DatabaseConnection) -> Self {
        self.journal_writer =
            Arc::new(archive_writer::JournalWriter::new(self.db.clone(), journal));
        self
    }

    /// Derives new accounts' SCRAM verifiers with this many PBKDF2 rounds (at least 4096,
    /// RFC 7677's floor).
    pub fn with_scram_iterations(mut self, iterations: u32) -> Self {
        self.scram_iterations = iterations.max(4096);
        self
    }

    /// Keeps the access log and the message trace for `days` days (at least one).
    pub fn keeping_logs_for(mut self, days: u32) -> Self {
        self.log_days = days.max(1);
        self
    }

    /// How many days the access log and the message trace keep their rows.
    pub fn log_days(&self) -> u32 {
        self.log_days
    }

    /// Undoes an engine account whose creation failed after its engine step: disabled first,
    /// so even a failed removal leaves nothing that signs in or receives, then removed. The
    /// intent is cleared only once the account is gone; otherwise the next start removes it.
    pub(crate) async fn undo_account(&self, login: &str, intent_id: i32) {
        let removed = match self.engine.disable_account(login).await {
            Ok(()) => self.engine.delete_account(login).await,
            Err(err) => Err(err),
        };
        match removed {
            Ok(()) | Err(GlueError::NotFound { .. }) => {
                if let Err(err) = db::intent::clear(&self.db, intent_id).await {
                    tracing::warn!(%login, %err, "intent of an undone creation not cleared");
                }
            }
            Err(err) => {
                tracing::warn!(%login, %err, "undo of a failed creation left for the next start");
            }
        }
    }

    /// The send and quota tiers, for the cost computations.
    pub(crate) fn tiers(&self) -> ([u32; 4], [u64; 4]) {
        (self.send_tiers, self.quota_tiers)
    }

    /// What mail clients connect to.
    pub fn mail_endpoints(&self) -> &MailEndpoints {
        &self.mail
    }

    /// The operator scope, for operators only.
    pub fn operator_scope<'a>(
        &'a self,
        caller: &Caller,
    ) -> Result<OperatorScope<'a>, ServiceError> {
        ready(caller)?;
        match caller.actor {
            Actor::Operator(_) => Ok(OperatorScope::new(self, caller.clone())),
            _ => Err(ServiceError::Forbidden),
        }
    }

    /// The scope of one domain, for its postmaster and its manager. Any other domain is "not
    /// found", whether it exists or not.
    pub async fn domain_scope<'a>(
        &'a self,
        caller: &Caller,
        domain: &DomainName,
    ) -> Result<DomainScope<'a>, ServiceError> {
        ready(caller)?;
        let name = domain.as_str();
        let (domain, managed) = match &caller.actor {
            Actor::Postmaster { domain, .. } if domain.name == name => (domain.clone(), false),
            Actor::Postmaster { .. } => return Err(ServiceError::NotFound),
            Actor::Manager(manager) => (
                db::domain::Entity::find()
                    .filter(db::domain::Column::Name.eq(name))
                    .filter(db::domain::Column::ManagerId.eq(manager.id))
                    .one(&self.db)
                    .await?
                    .ok_or(ServiceError::NotFound)?,
                true,
            ),
            Actor::Operator(_) | Actor::Delegate(_) | Actor::User { .. } => {
                return Err(ServiceError::Forbidden);
            }
        };
        Ok(DomainScope::new(self, domain, caller.clone(), managed))
    }

    /// The scope of one of a manager's domains, with what only a manager may do.
    pub async fn managed_domain<'a>(
        &'a self,
        caller: &Caller,
        domain: &DomainName,
    ) -> Result<ManagedDomain<'a>, ServiceError> {
        match caller.actor {
            Actor::Manager(_) => ManagedDomain::new(self.domain_scope(caller, domain).await?),
            Actor::Postmaster { .. } => {
                // A postmaster of this domain is signed in but not allowed; of another, it
                // learns nothing.
                self.domain_scope(caller, domain).await?;
                Err(ServiceError::Forbidden)
            }
            _ => {
                ready(caller)?;
                Err(ServiceError::Forbidden)
            }
        }
    }
}

impl Services {
    /// A domain's scope for setting up data on an operator's behalf (the demo data, the
    /// benchmarks): never reachable from a page, where operators have no domain scope.
    pub async fn setup_scope<'a>(
        &'a self,
        caller: &Caller,
        domain: &str,
    ) -> Result<DomainScope<'a>, ServiceError> {
        let Actor::Operator(_) = caller.actor else {
            return Err(ServiceError::Forbidden);
        };
        let found = db::domain::Entity::find()
            .filter(db::domain::Column::Name.eq(domain.to_ascii_lowercase()))
            .one(&self.db)
            .await?
            .ok_or(ServiceError::NotFound)?;
        Ok(DomainScope::new(self, found, caller.clone(), false))
    }
}

/// The first row of a page, for any page number a request may carry: beyond the last page
/// it is simply past the end (an empty page), never an overflow.
pub(crate) fn page_offset(page: u64, size: u64) -> u64 {
    page.saturating_mul(size).min(i64::MAX as u64)
}

impl Services {
    /// Records a web sign-in attempt (best effort: the sign-in itself does not depend on it).
    pub(crate) async fn log_web_access(
        &self,
        login: &str,
        result: access_log::AccessResult,
        ip: IpAddr,
    ) {
        let entry = access_log::AccessEntry {
            at: chrono::Utc::now(),
            login: login.to_string(),
            protocol: "web",
            result,
            ip: ip.to_string(),
            connection: None,
        };
        if let Err(err) = self.log_access(vec![entry]).await {
            tracing::warn!(%login, %err, "web sign-in not recorded in the access log");
        }
    }
}

/// Refuses every administrative operation until a required password change is done.
fn ready(caller: &Caller) -> Result<(), ServiceError> {
    if caller.actor.must_change_password() {
        Err(ServiceError::PasswordChangeRequired)
    } else {
        Ok(())
    }
}

/// Hashes a password off the async threads (argon2id is deliberately slow), within the
/// bound on argon2 work running at once.
pub(crate) async fn hash_password(password: String) -> Result<PasswordHash, ServiceError> {
    let _permit = login_guard::argon_permit().await?;
    tokio::task::spawn_blocking(move || PasswordHash::hash(&password))
        .await
        .map_err(|err| ServiceError::Internal(format!("hashing task: {err}")))?
        .map_err(ServiceError::from)
}

/// Hashes a first password, which only the web login accepts (see
/// [`PasswordHash::hash_first`]): mail clients cannot use it before it is replaced.
pub(crate) async fn hash_first_password(password: String) -> Result<PasswordHash, ServiceError> {
    let _permit = login_guard::argon_permit().await?;
    tokio::task::spawn_blocking(move || PasswordHash::hash_first(&password))
        .await
        .map_err(|err| ServiceError::Internal(format!("hashing task: {err}")))?
        .map_err(ServiceError::from)
}
