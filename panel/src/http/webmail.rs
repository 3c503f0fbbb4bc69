// SPDX-License-Identifier: AGPL-3.0-only
//! The webmail's plain requests: a message's cleaned HTML for the reader's frame, its parts
//! and the whole message for download, and the image proxy. All are the signed-in mailbox's
//! own (through the port, with its checks); none changes anything, so they are GETs.
//!
//! The HTML is never put into the webmail's own page: it is a document of its own, shown in an
//! `<iframe sandbox>` without scripts, and its content policy (below) is the hard line even if
//! the cleaning missed something: no script, no form, no plugin, no font, and images only
//! from Casella itself (its part addresses and its image proxy) or inline `data:`.

use std::{convert::Infallible, sync::Arc, time::Duration};

use app::ports::{ClientIp, Port};
use axum::{
    Extension,
    extract::{Path, Query, State},
    http::{HeaderValue, StatusCode, header},
    response::{
        IntoResponse, Response,
        sse::{Event, KeepAlive, Sse},
    },
};
use futures_util::FutureExt;
use serde::Deserialize;
use tower_sessions::Session;

use super::exports::{caller, refusal};
use crate::{
    image_proxy::{ImageProxy, ProxyError},
    services::Services,
};

/// Changes this close together are told as one.
const SETTLE: Duration = Duration::from_millis(100);

/// The message frame's content policy.
const FRAME_POLICY: &str = "default-src 'none'; img-src 'self' data:; \
    style-src 'unsafe-inline'; font-src 'none'; form-action 'none'; base-uri 'none'; \
    frame-ancestors 'self'; \
    sandbox allow-same-origin allow-popups allow-popups-to-escape-sandbox";

/// A downloaded part's policy: nothing it holds runs or loads, were a browser to show it.
const PART_POLICY: &str =
    "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; sandbox";

/// The frame document's own look: readable text, nothing wider than the frame.
const FRAME_STYLE: &str = "html{color-scheme:light}\
    body{margin:0;padding:12px 16px;font:15px/1.5 system-ui,-apple-system,'Segoe UI',sans-serif;\
    color:#1b1b1b;background:#fff;overflow-wrap:anywhere}\
    img{max-width:100%;height:auto}table{max-width:100%}pre{white-space:pre-wrap}\
    blockquote{margin:0 0 0 .8em;padding-left:.8em;border-left:3px solid #ccc}";

#[derive(Deserialize, Default)]
pub struct BodyQuery {
    /// `1`: remote images through the proxy.
    #[serde(default)]
    images: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct PartQuery {
    /// `1`: always as a download, never shown.
    #[serde(default)]
    download: Option<String>,
}

#[derive(Deserialize)]
pub struct ImageQuery {
    u: String,
    s: String,
}

/// `GET /webmail/messages/{id}/body[?images=1]`: the message's HTML, cleaned, as the reader
/// frame's document.
pub async fn body(
    State(port): State<Port>,
    Path(id): Path<String>,
    Extension(ip): Extension<ClientIp>,
    session: Session,
    Query(query): Query<BodyQuery>,
) -> Response {
    let Some(caller) = caller(&session, ip).await else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    let images = query.images.as_deref() == Some("1");
    match async { port.mail(&caller).await?.html_body(&id, images).await }.await {
        Ok(html) => frame(&html),
        Err(err) => refusal(err),
    }
}

/// `GET /webmail/messages/{id}/parts/{blob}[?download=1]`: an attachment or inline image.
/// Common raster images are shown; everything else is a download.
pub async fn part(
    State(port): State<Port>,
    Path((id, blob)): Path<(String, String)>,
    Extension(ip): Extension<ClientIp>,
    session: Session,
    Query(query): Query<PartQuery>,
) -> Response {
    let Some(caller) = caller(&session, ip).await else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    match async { port.mail(&caller).await?.part(&id, &blob).await }.await {
        Ok(part) => attachment(part, &query),
        Err(err) => refusal(err),
    }
}

/// `GET /webmail/messages/{id}/source`: the whole message as it arrived, as a `.eml` file.
pub async fn source(
    State(port): State<Port>,
    Path(id): Path<String>,
    Extension(ip): Extension<ClientIp>,
    session: Session,
) -> Response {
    let Some(caller) = caller(&session, ip).await else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    match async { port.mail(&caller).await?.source(&id).await }.await {
        Ok(part) => file(part.name, "message/rfc822", part.data, false),
        Err(err) => refusal(err),
    }
}

/// The frame document of a message's cleaned HTML.
fn frame(html: &str) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CONTENT_SECURITY_POLICY, FRAME_POLICY),
            (header::X_FRAME_OPTIONS, "SAMEORIGIN"),
            (header::REFERRER_POLICY, "no-referrer"),
        ],
        format!(
            "<!DOCTYPE html><html><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width\">\
             <style>{FRAME_STYLE}</style></head><body>{html}</body></html>"
        ),
    )
        .into_response()
}

/// `GET /webmail/time-machine/{day}/{id}/body`: a message's HTML as it stood on a day,
/// cleaned (remote images always held back), as the reader frame's document.
pub async fn kept_body(
    State(port): State<Port>,
    Path((day, id)): Path<(String, String)>,
    Extension(ip): Extension<ClientIp>,
    session: Session,
) -> Response {
    let Some(caller) = caller(&session, ip).await else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    match async { port.time_machine(&caller).await?.html_body(&day, &id).await }.await {
        Ok(html) => frame(&html),
        Err(err) => refusal(err),
    }
}

/// `GET /webmail/time-machine/{day}/{id}/source`: a message as it stood on a day, as a
/// `.eml` file.
pub async fn kept_source(
    State(port): State<Port>,
    Path((day, id)): Path<(String, String)>,
    Extension(ip): Extension<ClientIp>,
    session: Session,
) -> Response {
    let Some(caller) = caller(&session, ip).await else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    match async { port.time_machine(&caller).await?.source(&day, &id).await }.await {
        Ok(part) => file(part.name, "message/rfc822", part.data, false),
        Err(err) => refusal(err),
    }
}

/// `GET /webmail/time-machine/{day}/{id}/parts/{index}[?download=1]`: an attachment or
/// inline image of a message as it stood on a day.
pub async fn kept_part(
    State(port): State<Port>,
    Path((day, id, index)): Path<(String, String, u32)>,
    Extension(ip): Extension<ClientIp>,
    session: Session,
    Query(query): Query<PartQuery>,
) -> Response {
    let Some(caller) = caller(&session, ip).await else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    match async {
        port.time_machine(&caller)
            .await?
            .part(&day, &id, index)
            .await
    }
    .await
    {
        Ok(part) => attachment(part, &query),
        Err(err) => refusal(err),
    }
}

/// `GET /webmail/image?u=…&s=…`: a remote image of a message, fetched by Casella for a
/// signed-in mailbox, from an address Casella signed.
pub async fn image(
    State((port, proxy)): State<(Port, ImageProxy)>,
    Extension(ip): Extension<ClientIp>,
    session: Session,
    Query(query): Query<ImageQuery>,
) -> Response {
    let Some(caller) = caller(&session, ip).await else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    if let Err(err) = port.mail(&caller).await {
        return refusal(err);
    }
    match proxy.fetch(&query.u, &query.s).await {
        Ok(image) => (
            [
                (header::CONTENT_TYPE, image.media_type),
                (
                    header::CONTENT_SECURITY_POLICY,
                    "default-src 'none'; sandbox",
                ),
                (header::CACHE_CONTROL, "private, max-age=3600"),
            ],
            image.data,
        )
            .into_response(),
        Err(ProxyError::Unsigned) => StatusCode::FORBIDDEN.into_response(),
        Err(err) => {
            tracing::debug!(url = %query.u, %err, "image proxy");
            match err {
                ProxyError::Refused(_) => StatusCode::FORBIDDEN.into_response(),
                _ => StatusCode::BAD_GATEWAY.into_response(),
            }
        }
    }
}

/// `GET /webmail/events`: the signed-in mailbox's changes as they happen, as server-sent
/// events (`event: mail`), so an open webmail follows deliveries, IMAP clients and its own
/// other tabs without reloading. Each event carries the space the mailbox uses then (a
/// `MailQuota` in JSON): the quota bar follows without a request of its own.
pub async fn events(
    State(services): State<Arc<Services>>,
    Extension(ip): Extension<ClientIp>,
    session: Session,
) -> Response {
    let Some(caller) = caller(&session, ip).await else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    let watched = match services.mail_changes(&caller).await {
        Ok(watched) => watched,
        Err(err) => return refusal(err),
    };
    let stream = futures_util::stream::unfold(watched, |(mut changes, mail)| async move {
        changes.next().await?;
        // A delivery or a move is several changes in a row: tell them once.
        tokio::time::sleep(SETTLE).await;
        while let Some(Some(())) = changes.next().now_or_never() {}
        // Without the figure (the engine could not tell it now) the bar stays as it is.
        let quota = match mail.quota().await {
            Ok((used, total)) => serde_json::to_string(&app::dto::MailQuota { used, total })
                .unwrap_or_else(|_| "{}".into()),
            Err(_) => "{}".into(),
        };
        Some((
            Ok::<_, Infallible>(Event::default().event("mail").data(quota)),
            (changes, mail),
        ))
    });
    Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(20)))
        .into_response()
}

/// A file answer: shown in the browser (`inline`) or saved (`attachment`), with its name in
/// both the plain and the UTF-8 form (RFC 6266).
/// A message's part as asked for: common raster images shown, everything else (and anything
/// asked for with `download=1`) a download.
fn attachment(part: app::dto::MailPart, query: &PartQuery) -> Response {
    let shown = query.download.as_deref() != Some("1")
        && matches!(
            part.media_type.as_str(),
            "image/png" | "image/jpeg" | "image/gif" | "image/webp"
        );
    file(part.name, &part.media_type, part.data, shown)
}

fn file(name: String, media_type: &str, data: Vec<u8>, shown: bool) -> Response {
    let plain: String = name
        .chars()
        .map(|c| if c.is_ascii() { c } else { '_' })
        .collect();
    let disposition = format!(
        "{}; filename=\"{plain}\"; filename*=UTF-8''{}",
        if shown { "inline" } else { "attachment" },
        percent(&name)
    );
    let media_type = if is_media_type(media_type) {
        media_type
    } else {
        "application/octet-stream"
    };
    let mut response = data.into_response();
    let h = response.headers_mut();
    let value = |s: &str| {
        HeaderValue::from_str(s).unwrap_or_else(|_| HeaderValue::from_static("attachment"))
    };
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(media_type)
            .unwrap_or_else(|_| HeaderValue::from_static("application/octet-stream")),
    );
    h.insert(header::CONTENT_DISPOSITION, value(&disposition));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(PART_POLICY),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=3600"),
    );
    response
}

/// `type/subtype` in the characters a media type may have, nothing else (no parameters).
fn is_media_type(s: &str) -> bool {
    let token = |t: &str| {
        !t.is_empty()
            && t.len() <= 127
            && t.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$&-^_.+".contains(&b))
    };
    matches!(s.split_once('/'), Some((a, b)) if token(a) && token(b))
}

/// Percent-encodes all but the unreserved characters (RFC 5987 `value-chars`).
fn percent(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// `GET /webmail/archive/{id}/body`: an archived message's HTML, cleaned (remote images
/// always held back), as the reader frame's document.
pub async fn archived_body(
    State(port): State<Port>,
    Path(id): Path<String>,
    Extension(ip): Extension<ClientIp>,
    session: Session,
) -> Response {
    let Some(caller) = caller(&session, ip).await else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    match async { port.archive(&caller).await?.html_body(&id).await }.await {
        Ok(html) => frame(&html),
        Err(err) => refusal(err),
    }
}

/// `GET /webmail/archive/zip?id=1&id=2` (the archive list's check boxes) or `?ids=1,2`:
/// archived messages as one `.zip` of `.eml` files.
pub async fn archived_zip(
    State(port): State<Port>,
    Extension(ip): Extension<ClientIp>,
    session: Session,
    Query(query): Query<Vec<(String, String)>>,
) -> Response {
    let Some(caller) = caller(&session, ip).await else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    let ids: Vec<String> = query
        .iter()
        .filter(|(key, _)| key == "id" || key == "ids")
        .flat_map(|(_, value)| value.split(','))
        .map(str::trim)
        .filter(|id| !id.is_empty())
        .map(str::to_string)
        .collect();
    match async { port.archive(&caller).await?.zip(&ids).await }.await {
        Ok(part) => file(part.name, "application/zip", part.data, false),
        Err(err) => refusal(err),
    }
}

/// `GET /webmail/archive/{id}/source`: an archived message as an `.eml` file.
pub async fn archived_source(
    State(port): State<Port>,
    Path(id): Path<String>,
    Extension(ip): Extension<ClientIp>,
    session: Session,
) -> Response {
    let Some(caller) = caller(&session, ip).await else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    match async { port.archive(&caller).await?.source(&id).await }.await {
        Ok(part) => file(part.name, "message/rfc822", part.data, false),
        Err(err) => refusal(err),
    }
}

/// `GET /webmail/archive/{id}/parts/{index}[?download=1]`: an attachment or inline image of
/// an archived message.
pub async fn archived_part(
    State(port): State<Port>,
    Path((id, index)): Path<(String, u32)>,
    Extension(ip): Extension<ClientIp>,
    session: Session,
    Query(query): Query<PartQuery>,
) -> Response {
    let Some(caller) = caller(&session, ip).await else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    match async { port.archive(&caller).await?.part(&id, index).await }.await {
        Ok(part) => attachment(part, &query),
        Err(err) => refusal(err),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_and_types_are_safe_in_headers() {
        let r = file("Fattura è.pdf".into(), "application/pdf", vec![1], false);
        let d = r.headers()[header::CONTENT_DISPOSITION].to_str().unwrap();
        assert_eq!(
            d,
            "attachment; filename=\"Fattura _.pdf\"; filename*=UTF-8''Fattura%20%C3%A8.pdf"
        );
        let r = file("x".into(), "text/html; charset=utf-8", vec![1], false);
        assert_eq!(
            r.headers()[header::CONTENT_TYPE],
            "application/octet-stream"
        );
        assert!(is_media_type("image/svg+xml"));
        assert!(!is_media_type("image/png\r\nX: y"));
    }
}
