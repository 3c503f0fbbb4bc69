// SPDX-License-Identifier: AGPL-3.0-only
//! The layers every request passes: an operation id for the logs, the client's address
//! (trusted proxies taken into account), the refusal of cross-site requests that change
//! anything, and the security headers of every response.

use std::{
    net::{IpAddr, Ipv4Addr, SocketAddr},
    sync::Arc,
};

use app::ports::ClientIp;
use axum::{
    extract::{ConnectInfo, Request, State},
    http::{HeaderMap, HeaderValue, Method, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use tracing::Instrument;

use crate::{config::IpRange, services::OpId};

/// Gives the request an operation id: every log line it causes carries it, and an internal
/// error shows it to the user, so a support call finds the cause.
///
/// A request whose answer has not begun within `limit` (`REQUEST_LIMIT` in service) is given
/// up with a 503, so a stuck request costs its user a clear error rather than a page that
/// never loads; requests slower than `SLOW_REQUEST` are logged with their path. Requests that
/// carry files (the webmail's uploads) get `UPLOAD_LIMIT` instead: their body alone may take
/// minutes on a slow line.
pub async fn operation_id(
    State(limit): State<std::time::Duration>,
    req: Request,
    next: Next,
) -> Response {
    let op = OpId::new();
    let path = req.uri().path().to_string();
    let span = tracing::info_span!("request", op = %op, method = %req.method(), path = %path);
    let started = std::time::Instant::now();
    let limit = if UPLOADS.contains(&path.as_str()) {
        limit.max(UPLOAD_LIMIT)
    } else {
        limit
    };
    let answer = tokio::time::timeout(limit, OpId::scope(op, next.run(req)))
        .instrument(span)
        .await;
    let took = started.elapsed();
    match answer {
        Ok(response) => {
            if took > SLOW_REQUEST {
                tracing::warn!(%op, %path, ms = took.as_millis(), "slow request");
            }
            response
        }
        Err(_) => {
            tracing::warn!(%op, %path, "request given up: no answer in time");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                [(header::RETRY_AFTER, HeaderValue::from_static("5"))],
                format!("Casella could not answer in time; try again (operation {op})."),
            )
                .into_response()
        }
    }
}

/// How long a request may take before its answer begins.
pub const REQUEST_LIMIT: std::time::Duration = std::time::Duration::from_secs(45);
/// How long a request that carries files may take before its answer begins.
const UPLOAD_LIMIT: std::time::Duration = std::time::Duration::from_secs(15 * 60);
/// The paths that take files.
const UPLOADS: &[&str] = &["/webmail/upload", "/webmail/compose/attach"];
/// Requests slower than this are logged.
const SLOW_REQUEST: std::time::Duration = std::time::Duration::from_secs(5);

/// Establishes the client's address: the TCP peer, or, when the peer is a trusted proxy, the
/// nearest address in `X-Forwarded-For` that is not one of the trusted proxies.
pub async fn client_ip(
    State(proxies): State<Arc<[IpRange]>>,
    mut req: Request,
    next: Next,
) -> Response {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.ip());
    let ip = client_of(peer, req.headers(), &proxies);
    req.extensions_mut().insert(ClientIp(ip));
    next.run(req).await
}

/// The client behind `peer`, reading `X-Forwarded-For` only when `peer` is trusted.
pub fn client_of(peer: IpAddr, headers: &HeaderMap, proxies: &[IpRange]) -> IpAddr {
    let trusted = |ip: IpAddr| proxies.iter().any(|p| p.contains(ip));
    if !trusted(peer) {
        return peer;
    }
    let hops: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    for hop in hops.iter().rev() {
        match hop.parse::<IpAddr>() {
            Ok(ip) if trusted(ip) => continue,
            Ok(ip) => return ip,
            // A hop that is not an address was not written by a trusted proxy.
            Err(_) => return peer,
        }
    }
    peer
}

/// The origins that may send requests that change something: the configured public address,
/// if any; otherwise (and also) the one the request names in `Host`.
#[derive(Clone, Default)]
pub struct OwnOrigin {
    pub public: Option<String>,
}

/// Refuses, in one place, every request other than GET/HEAD/OPTIONS that a browser marks as
/// coming from another site (`Sec-Fetch-Site`) or whose `Origin` is not this panel's. Cookies
/// set `SameSite=Lax` are one defence; this is the second, and it holds for every form and
/// server function, present and future.
pub async fn same_origin(State(own): State<Arc<OwnOrigin>>, req: Request, next: Next) -> Response {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.run(req).await;
    }
    // A chat file's address is its own key (no cookie is looked at): web chat clients on
    // other sites put files there.
    if req.uri().path().starts_with(super::chat_files::PREFIX) {
        return next.run(req).await;
    }
    if is_cross_site(req.headers(), &own) {
        tracing::warn!(path = %req.uri().path(), "cross-site request refused");
        return (
            StatusCode::FORBIDDEN,
            "Cross-site request refused: send it from the panel's own pages.",
        )
            .into_response();
    }
    next.run(req).await
}

pub(super) fn is_cross_site(headers: &HeaderMap, own: &OwnOrigin) -> bool {
    if let Some(site) = headers.get("sec-fetch-site") {
        // `none`: typed or bookmarked by the user; never sent with a page's own post.
        if !matches!(site.as_bytes(), b"same-origin" | b"none") {
            return true;
        }
    }
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        // No browser leaves `Origin` off a cross-site POST; clients that are not browsers
        // carry no cookies of a victim.
        return false;
    };
    let origin = origin.trim_end_matches('/').to_ascii_lowercase();
    if own
        .public
        .as_deref()
        .is_some_and(|public| public.eq_ignore_ascii_case(&origin))
    {
        return false;
    }
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .map(str::to_ascii_lowercase);
    let authority = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"));
    match (authority, host) {
        (Some(authority), Some(host)) => authority != host,
        _ => true,
    }
}

/// Response headers for every page and call.
#[derive(Clone, Copy)]
pub struct HeaderPolicy {
    /// The panel is reached over HTTPS: tell browsers to keep to it (HSTS).
    pub https: bool,
}

/// Adds the security headers: framing refused, types not sniffed, referrers kept on this site,
/// HSTS over HTTPS, a strict default CSP where a page did not set its own (pages set one with
/// their script nonce), and `no-store` on everything but the static assets, so a page that
/// showed a password once is not kept by a cache.
pub async fn security_headers(
    State(policy): State<HeaderPolicy>,
    req: Request,
    next: Next,
) -> Response {
    let path = req.uri().path();
    let asset = path.starts_with("/pkg/") || path == "/favicon.svg";
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.entry(header::CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static(
            "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
        ));
    // A response may loosen these for itself (the webmail's message frame is shown in the
    // webmail's own pages and sends no referrer at all).
    h.entry(header::X_FRAME_OPTIONS)
        .or_insert(HeaderValue::from_static("DENY"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.entry(header::REFERRER_POLICY)
        .or_insert(HeaderValue::from_static("same-origin"));
    if policy.https {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    if !asset && !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_request_with_no_answer_in_time_gets_a_503() {
        use tower::ServiceExt;
        let app = axum::Router::new()
            .route(
                "/stuck",
                axum::routing::get(std::future::pending::<&'static str>),
            )
            .route("/quick", axum::routing::get(|| async { "ok" }))
            .layer(axum::middleware::from_fn_with_state(
                std::time::Duration::from_millis(50),
                operation_id,
            ));
        let ask = |path: &'static str| {
            app.clone()
                .oneshot(Request::get(path).body(axum::body::Body::empty()).unwrap())
        };
        let stuck = ask("/stuck").await.unwrap();
        assert_eq!(stuck.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(stuck.headers()[header::RETRY_AFTER], "5");
        assert_eq!(ask("/quick").await.unwrap().status(), StatusCode::OK);
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.append(*k, HeaderValue::from_str(v).unwrap());
        }
        map
    }

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let proxies = [
            IpRange::parse("127.0.0.1").unwrap(),
            IpRange::parse("10.0.0.0/8").unwrap(),
        ];
        let forged = headers(&[("x-forwarded-for", "203.0.113.9")]);
        let outsider: IpAddr = "198.51.100.4".parse().unwrap();
        assert_eq!(client_of(outsider, &forged, &proxies), outsider);
        let local: IpAddr = "127.0.0.1".parse().unwrap();
        // The client put a forged hop first; the proxies appended the real one.
        let chain = headers(&[("x-forwarded-for", "1.2.3.4, 203.0.113.9, 10.1.2.3")]);
        assert_eq!(
            client_of(local, &chain, &proxies),
            "203.0.113.9".parse::<IpAddr>().unwrap()
        );
        assert_eq!(client_of(local, &HeaderMap::new(), &proxies), local);
        assert_eq!(
            client_of(local, &forged, &[]),
            local,
            "no proxy is trusted by default"
        );
    }

    #[test]
    fn cross_site_posts_are_told_apart() {
        let own = OwnOrigin::default();
        let same = headers(&[
            ("host", "127.0.0.1:8080"),
            ("origin", "http://127.0.0.1:8080"),
            ("sec-fetch-site", "same-origin"),
        ]);
        assert!(!is_cross_site(&same, &own));
        let evil = headers(&[
            ("host", "127.0.0.1:8080"),
            ("origin", "https://evil.example"),
            ("sec-fetch-site", "cross-site"),
        ]);
        assert!(is_cross_site(&evil, &own));
        let evil_origin_only = headers(&[
            ("host", "127.0.0.1:8080"),
            ("origin", "https://evil.example"),
        ]);
        assert!(is_cross_site(&evil_origin_only, &own));
        let sibling = headers(&[("host", "a.example"), ("sec-fetch-site", "same-site")]);
        assert!(is_cross_site(&sibling, &own));
        assert!(!is_cross_site(&headers(&[("host", "a.example")]), &own));
        let behind_proxy = headers(&[
            ("host", "10.0.0.5:8080"),
            ("origin", "https://mail.example.com"),
        ]);
        let public = OwnOrigin {
            public: Some("https://mail.example.com".into()),
        };
        assert!(!is_cross_site(&behind_proxy, &public));
        assert!(is_cross_site(
            &headers(&[("host", "x"), ("origin", "null")]),
            &own
        ));
    }
}
