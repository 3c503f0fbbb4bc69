// SPDX-License-Identifier: AGPL-3.0-only
//! The service port the server functions call. `panel` implements it and puts it in the
//! Leptos context.
//!
//! The port only resolves a caller into a *handle* for what that caller may touch —
//! [`PanelPort::operator`], [`PanelPort::domain`], [`PanelPort::mailbox`],
//! [`PanelPort::managed`], [`PanelPort::own`], [`PanelPort::public`] — and each handle is a
//! small trait in this folder. A server function reads
//! `port()?.mailbox(&caller, &address).await?.set_protocols(p).await`: the scope is visible
//! at the call, and an operation cannot be reached without the handle that allows it.

use std::{net::IpAddr, sync::Arc};

use crate::error::AppError;

mod archive;
mod delegates;
mod domain;
mod mail;
mod mailbox;
mod managed;
mod names;
mod operator;
mod own;
mod public;
mod time_machine;

pub use archive::{ArchiveHandle, MAX_ZIP};
pub use delegates::{DelegateForm, DelegatesHandle};
pub use domain::{DomainHandle, NewMailboxForm};
pub use mail::MailHandle;
pub use mailbox::MailboxHandle;
pub use managed::{LogoUpload, ManagedHandle};
pub use names::{Address, DomainName};
pub use operator::{NewPlanForm, OperatorHandle};
pub use own::OwnHandle;
pub use public::PublicHandle;
pub use time_machine::TimeMachineHandle;

/// The session key under which a signed-in identity is kept.
pub const SESSION_ACTOR_KEY: &str = "actor";

/// A signed-in session's identity, as stored in the session.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SessionActor {
    /// The login name (an operator's or manager's login, or a mailbox address).
    pub login: String,
    /// The identity's session key when it signed in; the session ends when the key changes
    /// (a password change, a reset, a deletion). Sessions stored before keys existed have none.
    #[serde(default)]
    pub key: String,
    /// When it signed in (Unix seconds), for the absolute session lifetime.
    #[serde(default)]
    pub since: i64,
    /// Two-factor sign-in is required of this identity and it has none yet: until it enrols,
    /// the session reaches its own two-factor settings and nothing else.
    #[serde(default)]
    pub enrol: bool,
}

/// A sign-in whose password was right and whose second factor is still to come. Kept in the
/// session (server side) between the two steps; it signs nobody in by itself.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PendingSignIn {
    pub login: String,
    /// The identity's session key when the password was checked: a change in between (a
    /// reset, 2FA turned off) voids the pending step.
    pub key: String,
    /// When the password was checked (Unix seconds); the code must follow within minutes.
    pub at: i64,
}

impl std::fmt::Debug for PendingSignIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingSignIn")
            .field("login", &self.login)
            .field("at", &self.at)
            .finish_non_exhaustive()
    }
}

/// What a right password leads to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignIn {
    /// Signed in (perhaps with enrolment required: see [`SessionActor::enrol`]).
    Done(SessionActor),
    /// The identity has two-factor sign-in on: its code comes next.
    SecondFactor(PendingSignIn),
}

impl std::fmt::Debug for SessionActor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionActor")
            .field("login", &self.login)
            .field("since", &self.since)
            .finish_non_exhaustive()
    }
}

/// Who makes a request and from where (every administrative action is audited with both),
/// and the session it signed in with.
#[derive(Clone, PartialEq, Eq)]
pub struct Caller {
    pub login: String,
    pub ip: IpAddr,
    /// The session's key and sign-in time, checked against the identity on every request.
    pub session: SessionActor,
}

impl std::fmt::Debug for Caller {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Caller")
            .field("login", &self.login)
            .field("ip", &self.ip)
            .finish_non_exhaustive()
    }
}

impl Caller {
    /// The caller behind a stored session, from this address.
    pub fn from_session(session: SessionActor, ip: IpAddr) -> Caller {
        Caller {
            login: session.login.clone(),
            ip,
            session,
        }
    }
}

/// The address a request comes from, as the panel's HTTP layer established it: the TCP
/// peer, or, behind a trusted proxy, the client that proxy names in `X-Forwarded-For`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

/// Hands out the handle for what a caller may touch. Every method resolves the session
/// (signed in, session key still valid, not too old) before anything else; a scope the caller
/// may not have is `Forbidden`, one of another customer's is `NotFound`.
#[async_trait::async_trait]
pub trait PanelPort: Send + Sync {
    /// What anyone may ask, signed in or not: signing in, a domain's branding.
    fn public(&self) -> &dyn PublicHandle;
    /// The signed-in identity's own things: who it is, its password, its audit view.
    async fn own<'a>(&'a self, caller: &Caller) -> Result<Box<dyn OwnHandle + 'a>, AppError>;
    /// The provider's work (operators only).
    async fn operator<'a>(
        &'a self,
        caller: &Caller,
    ) -> Result<Box<dyn OperatorHandle + 'a>, AppError>;
    /// One domain, for its postmaster and its manager.
    async fn domain<'a>(
        &'a self,
        caller: &Caller,
        domain: &DomainName,
    ) -> Result<Box<dyn DomainHandle + 'a>, AppError>;
    /// One mailbox, for its domain's postmaster and manager.
    async fn mailbox<'a>(
        &'a self,
        caller: &Caller,
        address: &Address,
    ) -> Result<Box<dyn MailboxHandle + 'a>, AppError>;
    /// One domain, for what only its manager may do.
    async fn managed<'a>(
        &'a self,
        caller: &Caller,
        domain: &DomainName,
    ) -> Result<Box<dyn ManagedHandle + 'a>, AppError>;
    /// The signed-in mailbox's own mail (mailbox owners only).
    async fn mail<'a>(&'a self, caller: &Caller) -> Result<Box<dyn MailHandle + 'a>, AppError>;
    /// The archives the caller may read: a mailbox owner its own, a delegate those its
    /// manager gave it.
    async fn archive<'a>(
        &'a self,
        caller: &Caller,
    ) -> Result<Box<dyn ArchiveHandle + 'a>, AppError>;
    /// The caller's delegates (managers only).
    async fn delegates<'a>(
        &'a self,
        caller: &Caller,
    ) -> Result<Box<dyn DelegatesHandle + 'a>, AppError>;
    /// The signed-in mailbox's Mail Time Machine (mailbox owners only).
    async fn time_machine<'a>(
        &'a self,
        caller: &Caller,
    ) -> Result<Box<dyn TimeMachineHandle + 'a>, AppError>;
}

/// The port as it sits in the Leptos context.
pub type Port = Arc<dyn PanelPort>;
