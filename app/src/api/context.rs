// SPDX-License-Identifier: AGPL-3.0-only
//! What every server function needs from the request: the port, the session and its actor, and
//! the "shown once" hand-over for results a plain form post cannot receive.

use std::{
    any::Any,
    collections::HashMap,
    sync::{Arc, Mutex},
};

use axum::http::{HeaderMap, header::ACCEPT};
use leptos::prelude::use_context;
use tower_sessions::Session;

use crate::{
    dto::{OneTimeCredentials, ShownOnce},
    error::AppError,
    i18n::{Text, current_lang},
    ports::{Caller, Port, SessionActor},
};

const ACTOR_KEY: &str = crate::ports::SESSION_ACTOR_KEY;
const ONCE_KEY: &str = "once";
const SHOWN_ONCE_KEY: &str = "shown_once";
const NOTICE_KEY: &str = "notice";
const PENDING_KEY: &str = "pending_sign_in";
const TOTP_DRAFT_KEY: &str = "totp_draft";
const COMPOSE_KEY: &str = "compose";
const VACATION_KEY: &str = "vacation";
const FILTER_KEY: &str = "filter";

pub(crate) fn port() -> Result<Port, AppError> {
    use_context::<Port>().ok_or_else(|| internal("service port missing from context"))
}

pub(crate) async fn session() -> Result<Session, AppError> {
    leptos_axum::extract::<Session>()
        .await
        .map_err(|err| internal(&format!("session layer missing: {err}")))
}

/// The signed-in session's identity, or `Unauthorized`.
pub(crate) async fn actor() -> Result<SessionActor, AppError> {
    session()
        .await?
        .get::<SessionActor>(ACTOR_KEY)
        .await
        .map_err(|err| internal(&format!("session read: {err}")))?
        .ok_or(AppError::Unauthorized)
}

/// The signed-in caller and the address the request came from, or `Unauthorized`.
pub(crate) async fn caller() -> Result<Caller, AppError> {
    let actor = actor().await?;
    Ok(Caller::from_session(actor, peer_ip().await?))
}

/// The address the request came from, as the HTTP layer established it (trusted proxies
/// taken into account).
pub(crate) async fn peer_ip() -> Result<std::net::IpAddr, AppError> {
    let axum::Extension(crate::ports::ClientIp(ip)) =
        leptos_axum::extract::<axum::Extension<crate::ports::ClientIp>>()
            .await
            .map_err(|err| internal(&format!("client address: {err}")))?;
    Ok(ip)
}

/// Starts a fresh session for a signed-in actor (a new id, so a planted id is useless).
pub(crate) async fn sign_in(actor: &SessionActor) -> Result<(), AppError> {
    let session = session().await?;
    session
        .cycle_id()
        .await
        .map_err(|err| internal(&format!("session cycle: {err}")))?;
    session
        .insert(ACTOR_KEY, actor)
        .await
        .map_err(|err| internal(&format!("session write: {err}")))
}

/// Keeps a sign-in whose password was right until its second factor comes. The session id
/// is renewed, so the pending step cannot be planted in someone else's browser.
pub(crate) async fn keep_pending(pending: &crate::ports::PendingSignIn) -> Result<(), AppError> {
    let session = session().await?;
    session
        .cycle_id()
        .await
        .map_err(|err| internal(&format!("session cycle: {err}")))?;
    session
        .insert(PENDING_KEY, pending)
        .await
        .map_err(|err| internal(&format!("session write: {err}")))
}

/// The sign-in waiting for its second factor, if any.
pub(crate) async fn pending() -> Result<Option<crate::ports::PendingSignIn>, AppError> {
    session()
        .await?
        .get(PENDING_KEY)
        .await
        .map_err(|err| internal(&format!("session read: {err}")))
}

/// Forgets the sign-in waiting for its second factor.
pub(crate) async fn drop_pending() -> Result<(), AppError> {
    session()
        .await?
        .remove::<crate::ports::PendingSignIn>(PENDING_KEY)
        .await
        .map(|_| ())
        .map_err(|err| internal(&format!("session write: {err}")))
}

/// Keeps a TOTP secret being enrolled (an `otpauth://` URL) until a code confirms it.
pub(crate) async fn keep_totp_draft(url: &str) -> Result<(), AppError> {
    session()
        .await?
        .insert(TOTP_DRAFT_KEY, url)
        .await
        .map_err(|err| internal(&format!("session write: {err}")))
}

/// The TOTP secret being enrolled, if any.
pub(crate) async fn totp_draft() -> Result<Option<String>, AppError> {
    session()
        .await?
        .get(TOTP_DRAFT_KEY)
        .await
        .map_err(|err| internal(&format!("session read: {err}")))
}

/// Forgets the TOTP secret being enrolled.
pub(crate) async fn drop_totp_draft() -> Result<(), AppError> {
    session()
        .await?
        .remove::<String>(TOTP_DRAFT_KEY)
        .await
        .map(|_| ())
        .map_err(|err| internal(&format!("session write: {err}")))
}

pub(crate) async fn sign_out() -> Result<(), AppError> {
    session()
        .await?
        .flush()
        .await
        .map_err(|err| internal(&format!("session flush: {err}")))
}

/// A browser without JavaScript posts the form and is redirected back, so it never sees the
/// server function's result. What it must see (credentials or a secret meant to be shown once,
/// a confirmation) is then kept in its session until the next page render takes it.
async fn keep_for_plain_post<T: serde::Serialize + Send + Sync>(
    key: &'static str,
    value: &T,
) -> Result<(), AppError> {
    if plain_form_post().await? {
        session()
            .await?
            .insert(key, value)
            .await
            .map_err(|err| internal(&format!("session write: {err}")))?;
    }
    Ok(())
}

/// Takes what a plain form post kept under `key`, if anything; it is gone afterwards. A page
/// may be rendered more than once while one request is served (a guard re-renders its children
/// when the signed-in user resolves), so every read within one request gets the same answer.
async fn take_kept<T>(key: &'static str) -> Result<Option<T>, AppError>
where
    T: serde::de::DeserializeOwned + Clone + Send + Sync + 'static,
{
    let scope = use_context::<RequestScope>();
    if let Some(taken) = scope.as_ref().and_then(|s| s.taken::<T>(key)) {
        return Ok(taken);
    }
    let taken = session()
        .await?
        .remove::<T>(key)
        .await
        .map_err(|err| internal(&format!("session read: {err}")))?;
    if let Some(scope) = scope {
        scope.remember(key, taken.clone());
    }
    Ok(taken)
}

/// Keeps generated credentials for the page a plain form post returns to.
pub(crate) async fn hand_over_once(credentials: &OneTimeCredentials) -> Result<(), AppError> {
    keep_for_plain_post(ONCE_KEY, credentials).await
}

/// Keeps a secret that is not a login (a new app password, recovery codes) likewise.
pub(crate) async fn hand_over_secret(secret: &ShownOnce) -> Result<(), AppError> {
    keep_for_plain_post(SHOWN_ONCE_KEY, secret).await
}

/// Keeps a confirmation for the page a plain form post returns to; with JavaScript the page
/// shows the server function's result itself. The notice is kept in the language of the
/// request that made it.
pub(crate) async fn flash(message: Text) -> Result<(), AppError> {
    keep_for_plain_post(NOTICE_KEY, &message.get(current_lang()).to_string()).await
}

/// Takes the credentials kept for a plain form post, if any.
pub(crate) async fn take_once() -> Result<Option<OneTimeCredentials>, AppError> {
    take_kept(ONCE_KEY).await
}

/// Takes the secret kept for a plain form post, if any.
pub(crate) async fn take_secret() -> Result<Option<ShownOnce>, AppError> {
    take_kept(SHOWN_ONCE_KEY).await
}

/// Takes the confirmation kept for a plain form post, if any.
pub(crate) async fn take_notice() -> Result<Option<String>, AppError> {
    take_kept(NOTICE_KEY).await
}

/// Keeps a message being written that a plain form post could not save or send, so the
/// compose page it returns to shows it again as typed.
pub(crate) async fn keep_compose(form: &crate::dto::ComposeForm) -> Result<(), AppError> {
    keep_for_plain_post(COMPOSE_KEY, form).await
}

/// Takes the message kept for a plain form post, if any.
pub(crate) async fn take_compose() -> Result<Option<crate::dto::ComposeForm>, AppError> {
    take_kept(COMPOSE_KEY).await
}

/// Keeps a vacation reply a plain form post could not save, for the rules page.
pub(crate) async fn keep_vacation(form: &crate::dto::VacationForm) -> Result<(), AppError> {
    keep_for_plain_post(VACATION_KEY, form).await
}

/// Takes the vacation reply kept for a plain form post, if any.
pub(crate) async fn take_vacation() -> Result<Option<crate::dto::VacationForm>, AppError> {
    take_kept(VACATION_KEY).await
}

/// Keeps a filter a plain form post could not add, for the rules page.
pub(crate) async fn keep_filter(form: &crate::dto::FilterForm) -> Result<(), AppError> {
    keep_for_plain_post(FILTER_KEY, form).await
}

/// Takes the filter kept for a plain form post, if any.
pub(crate) async fn take_filter() -> Result<Option<crate::dto::FilterForm>, AppError> {
    take_kept(FILTER_KEY).await
}

/// Keeps, for the compose page that a plain request outside the server functions returns to
/// (the webmail's attach button without JavaScript), the message as typed and, when it could
/// not be kept as a draft, why.
pub async fn keep_for_compose(
    session: &Session,
    form: &crate::dto::ComposeForm,
    notice: Option<&str>,
) -> Result<(), tower_sessions::session::Error> {
    session.insert(COMPOSE_KEY, form).await?;
    if let Some(notice) = notice {
        session.insert(NOTICE_KEY, notice.to_string()).await?;
    }
    Ok(())
}

/// Whether this request is a plain HTML form post (no JavaScript), whose result the browser
/// never sees because it is redirected back to the form.
pub(crate) async fn plain_form_post() -> Result<bool, AppError> {
    let headers: HeaderMap = leptos_axum::extract()
        .await
        .map_err(|err| internal(&format!("headers: {err}")))?;
    Ok(headers
        .get(ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html")))
}

/// State that lives for one HTTP request; the server provides a fresh one per request: what
/// each hand-over key gave the first time it was read.
#[derive(Clone, Default)]
pub struct RequestScope {
    taken: Arc<Mutex<HashMap<&'static str, Arc<dyn Any + Send + Sync>>>>,
}

impl RequestScope {
    fn taken<T: Clone + 'static>(&self, key: &'static str) -> Option<Option<T>> {
        let taken = self.taken.lock().ok()?;
        taken.get(key)?.downcast_ref::<Option<T>>().cloned()
    }

    fn remember<T: Send + Sync + 'static>(&self, key: &'static str, value: Option<T>) {
        if let Ok(mut taken) = self.taken.lock() {
            taken.insert(key, Arc::new(value));
        }
    }
}

pub(crate) fn internal(cause: &str) -> AppError {
    let op_id = format!("{:016x}", rand_id());
    tracing::error!(op_id, cause, "internal error");
    AppError::Internal { op_id }
}

fn rand_id() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default(),
    );
    h.finish()
}
