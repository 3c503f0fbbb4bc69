// SPDX-License-Identifier: AGPL-3.0-only
//! What mail clients fetch to set themselves up, over plain HTTP: Thunderbird's autoconfig,
//! Outlook's Autodiscover (POX and the JSON v2 redirect), and Apple configuration profiles
//! (for the signed-in browser, or through a short-lived signed link a phone opens from a QR
//! code). The content comes from [`crate::client_config`]; the domains and accounts from the
//! port, with its checks.

use std::time::{SystemTime, UNIX_EPOCH};

use app::{
    dto::MailServer,
    error::AppError,
    ports::{Address, Caller, ClientIp, DomainName, Port, SESSION_ACTOR_KEY, SessionActor},
};
use axum::{
    Extension,
    extract::{Path, Query, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};
use data_encoding::BASE64URL_NOPAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use tower_sessions::Session;

use crate::client_config::{self, ClientEndpoints, Incoming};

/// How long a profile link for a phone stays valid.
const LINK_SECONDS: u64 = 15 * 60;
/// The largest Autodiscover request read.
pub const AUTODISCOVER_LIMIT: usize = 16 * 1024;

/// What the handlers share.
#[derive(Clone)]
pub struct ClientSetup {
    pub port: Port,
    /// The panel's public address, for the Autodiscover v2 redirect.
    pub public_url: String,
}

fn endpoints(settings: &MailServer) -> ClientEndpoints {
    ClientEndpoints {
        hostname: settings.hostname.clone(),
        ports: engine_glue::EnginePorts {
            smtp: 0,
            submission: settings.submission_port,
            submissions: settings.submissions_port,
            imap: settings.imap_port,
            imaps: settings.imaps_port,
            pop3: settings.pop3_port,
            pop3s: settings.pop3s_port,
            managesieve: 0,
        },
    }
}

fn xml(body: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/xml; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response()
}

/// The hosted domain `name` with its display name, or `None`.
async fn hosted(port: &Port, name: &str) -> Option<(String, String)> {
    let domain = DomainName::parse(name).ok()?;
    let branding = port.public().branding(&domain).await.ok()?;
    let display = branding
        .company_name
        .clone()
        .unwrap_or_else(|| branding.domain.clone());
    Some((branding.domain, display))
}

/// `GET /mail/config-v1.1.xml` (as `autoconfig.<domain>`) and
/// `GET /.well-known/autoconfig/mail/config-v1.1.xml`: the domain is the one of
/// `emailaddress`, or else the host asked for.
pub async fn thunderbird(
    State(setup): State<ClientSetup>,
    Query(query): Query<Vec<(String, String)>>,
    headers: HeaderMap,
) -> Response {
    let from_address = query
        .iter()
        .find(|(k, _)| k == "emailaddress")
        .and_then(|(_, v)| v.rsplit_once('@').map(|(_, d)| d.to_string()));
    let from_host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(|h| h.split(':').next().unwrap_or(h))
        .map(|h| h.strip_prefix("autoconfig.").unwrap_or(h).to_string());
    let Some(domain) = from_address.or(from_host) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let Some((domain, display)) = hosted(&setup.port, &domain).await else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let at = endpoints(&setup.port.public().mail_server());
    xml(client_config::thunderbird(&domain, &display, &at))
}

/// `POST /autodiscover/autodiscover.xml`: Outlook's Autodiscover (POX).
pub async fn autodiscover(State(setup): State<ClientSetup>, body: String) -> Response {
    let Some(address) = client_config::autodiscover_request_address(&body) else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    let Ok(parsed) = Address::parse(&address) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    if hosted(&setup.port, parsed.domain().as_str())
        .await
        .is_none()
    {
        return StatusCode::NOT_FOUND.into_response();
    }
    let at = endpoints(&setup.port.public().mail_server());
    xml(client_config::autodiscover(parsed.as_str(), &at))
}

/// `GET /autodiscover/autodiscover.json?Email=…&Protocol=…` and
/// `GET /autodiscover/autodiscover.json/v1.0/{email}?Protocol=…`: Autodiscover v2, which
/// only points Outlook to the POX answer.
pub async fn autodiscover_json(
    State(setup): State<ClientSetup>,
    Query(query): Query<Vec<(String, String)>>,
) -> Response {
    let protocol = query
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("Protocol"))
        .map(|(_, v)| v.as_str())
        .unwrap_or_default();
    autodiscover_v2(&setup, protocol)
}

/// The v2 answer for a protocol.
fn autodiscover_v2(setup: &ClientSetup, protocol: &str) -> Response {
    if !protocol.eq_ignore_ascii_case("AutodiscoverV1") {
        return (
            StatusCode::BAD_REQUEST,
            [(header::CONTENT_TYPE, "application/json")],
            serde_json::json!({
                "ErrorCode": "InvalidProtocol",
                "ErrorMessage": format!("The given protocol value '{protocol}' is invalid. Supported values are 'AutodiscoverV1'."),
            })
            .to_string(),
        )
            .into_response();
    }
    let url = format!(
        "{}/autodiscover/autodiscover.xml",
        setup.public_url.trim_end_matches('/')
    );
    (
        [(header::CONTENT_TYPE, "application/json")],
        serde_json::json!({ "Protocol": "AutodiscoverV1", "Url": url }).to_string(),
    )
        .into_response()
}

/// `GET /autodiscover/autodiscover.json/v1.0/{email}?Protocol=…`.
pub async fn autodiscover_json_path(
    State(setup): State<ClientSetup>,
    Path(_email): Path<String>,
    Query(query): Query<Vec<(String, String)>>,
) -> Response {
    autodiscover_json(State(setup), Query(query)).await
}

/// A profile as a download: never stored, never cached.
fn profile(address: &str, display: &str, incoming: Incoming, at: &ClientEndpoints) -> Response {
    let body = client_config::mobileconfig(address, display, incoming, at);
    let file = format!(
        "attachment; filename=\"{}-{}.mobileconfig\"",
        address.replace(['@', '.'], "-"),
        incoming.code()
    );
    (
        [
            (
                header::CONTENT_TYPE,
                "application/x-apple-aspen-config".to_string(),
            ),
            (header::CONTENT_DISPOSITION, file),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        body,
    )
        .into_response()
}

/// `GET /account/mobileconfig?protocol=imap|pop3`: the signed-in mailbox's profile.
pub async fn own_profile(
    State(setup): State<ClientSetup>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
    session: Session,
    Query(query): Query<Vec<(String, String)>>,
) -> Response {
    let incoming = query
        .iter()
        .find(|(k, _)| k == "protocol")
        .and_then(|(_, v)| Incoming::parse(v))
        .unwrap_or(Incoming::Imap);
    let Ok(Some(actor)) = session.get::<SessionActor>(SESSION_ACTOR_KEY).await else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    let caller = Caller::from_session(actor, ip);
    let own = match setup.port.own(&caller).await {
        Ok(own) => own,
        Err(err) => return status_of(&err).into_response(),
    };
    match own.client_settings().await {
        Ok(settings) => {
            let display = own.me().await.map(|me| me.display_name).unwrap_or_default();
            profile(
                &settings.address,
                &display,
                incoming,
                &endpoints(&settings.server),
            )
        }
        Err(err) => status_of(&err).into_response(),
    }
}

/// `GET /mobileconfig/{token}`: a profile through a link made for a phone (see
/// [`profile_token`]); it carries no password and expires within minutes.
pub async fn linked_profile(
    State(setup): State<ClientSetup>,
    Path(token): Path<String>,
) -> Response {
    let Some(link) = open_token(&token, now()) else {
        return (
            StatusCode::NOT_FOUND,
            "This link has expired: open the account page again for a new one.",
        )
            .into_response();
    };
    let Ok(address) = Address::parse(&link.address) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    if hosted(&setup.port, address.domain().as_str())
        .await
        .is_none()
    {
        return StatusCode::NOT_FOUND.into_response();
    }
    let at = endpoints(&setup.port.public().mail_server());
    profile(address.as_str(), &link.display, link.incoming, &at)
}

fn status_of(err: &AppError) -> StatusCode {
    match err {
        AppError::Unauthorized => StatusCode::UNAUTHORIZED,
        AppError::NotFound => StatusCode::NOT_FOUND,
        AppError::Forbidden | AppError::PasswordChangeRequired | AppError::TwoFactorRequired => {
            StatusCode::FORBIDDEN
        }
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

/// What a phone link names.
struct Link {
    address: String,
    display: String,
    incoming: Incoming,
}

fn token_mac(payload: &[u8]) -> Option<Vec<u8>> {
    let mut mac = Hmac::<Sha256>::new_from_slice(super::error_seal::process_key()).ok()?;
    mac.update(b"casella mobileconfig link\0");
    mac.update(payload);
    Some(mac.finalize().into_bytes().to_vec())
}

/// A link token for a mailbox's profile, valid for [`LINK_SECONDS`] and in this process
/// only (its key is made at start).
pub fn profile_token(address: &str, display: &str, incoming: Incoming) -> String {
    let payload = format!(
        "{address}\n{}\n{}\n{display}",
        incoming.code(),
        now() + LINK_SECONDS
    );
    let mac = token_mac(payload.as_bytes()).unwrap_or_default();
    format!(
        "{}.{}",
        BASE64URL_NOPAD.encode(payload.as_bytes()),
        BASE64URL_NOPAD.encode(&mac)
    )
}

fn open_token(token: &str, now: u64) -> Option<Link> {
    let (payload, mac) = token.split_once('.')?;
    let payload = BASE64URL_NOPAD.decode(payload.as_bytes()).ok()?;
    let mac = BASE64URL_NOPAD.decode(mac.as_bytes()).ok()?;
    let mut check = Hmac::<Sha256>::new_from_slice(super::error_seal::process_key()).ok()?;
    check.update(b"casella mobileconfig link\0");
    check.update(&payload);
    check.verify_slice(&mac).ok()?;
    let text = String::from_utf8(payload).ok()?;
    let mut parts = text.splitn(4, '\n');
    let address = parts.next()?.to_string();
    let incoming = Incoming::parse(parts.next()?)?;
    let expires: u64 = parts.next()?.parse().ok()?;
    let display = parts.next()?.to_string();
    (now <= expires).then_some(Link {
        address,
        display,
        incoming,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_opens_while_fresh_and_unaltered_only() {
        let token = profile_token("a@demo.test", "Anna", Incoming::Pop3);
        let link = open_token(&token, now()).unwrap();
        assert_eq!(link.address, "a@demo.test");
        assert_eq!(link.incoming, Incoming::Pop3);
        assert!(open_token(&token, now() + LINK_SECONDS + 1).is_none());
        let (payload, mac) = token.split_once('.').unwrap();
        let forged = BASE64URL_NOPAD.encode(
            String::from_utf8(BASE64URL_NOPAD.decode(payload.as_bytes()).unwrap())
                .unwrap()
                .replace("a@demo.test", "b@demo.test")
                .as_bytes(),
        );
        assert!(open_token(&format!("{forged}.{mac}"), now()).is_none());
    }
}
