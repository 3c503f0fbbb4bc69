// SPDX-License-Identifier: AGPL-3.0-only
//! The HTTP side: Leptos pages and server functions, static assets, sessions, and the layers
//! every request passes (operation id, client address, same-origin check, sealed form
//! errors, security headers).

mod assets;
mod attach;
mod chat;
pub(crate) mod chat_files;
pub mod client_setup;
pub(crate) mod error_seal;
mod exports;
mod webmail;
pub use error_seal::seal;
pub mod guard;
pub mod language;
pub mod tls;

use std::{path::Path, sync::Arc};

use app::{App, ports::Port, shell};
use axum::{
    Router,
    body::Body,
    extract::Request,
    middleware::{from_fn, from_fn_with_state},
    response::IntoResponse,
    routing::{get, post},
};
use leptos::prelude::*;
use leptos_axum::{LeptosRoutes, generate_route_list, handle_server_fns_with_context};
use tower_http::compression::CompressionLayer;
use tower_sessions::{
    Expiry, SessionManagerLayer,
    cookie::{SameSite, time::Duration},
};

use crate::{config::IpRange, services::Services, sessions::DbSessionStore};

/// Sessions end after this long without a request (and, however active, after the
/// configured absolute lifetime, which the services check).
const SESSION_IDLE: Duration = Duration::hours(8);

/// How the router is set up.
pub struct WebSettings {
    /// Browsers reach the panel over HTTPS: `Secure` cookies and HSTS.
    pub https: bool,
    /// Proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<IpRange>,
    /// The panel's public origin (`scheme://host[:port]`), if configured.
    pub public_origin: Option<String>,
    /// The webmail's image proxy.
    pub image_proxy: crate::image_proxy::ImageProxy,
    /// The XMPP service, when it runs: XMPP over WebSocket on this port.
    pub xmpp: Option<crate::xmpp::websocket::WebSocketEndpoint>,
}

/// Builds the router of the web panel.
pub fn router(
    services: Services,
    sessions: DbSessionStore,
    site_dir: &Path,
    settings: WebSettings,
) -> Router {
    let options = LeptosOptions::builder()
        .output_name("casella")
        .site_root(site_dir.display().to_string())
        .site_pkg_dir("pkg")
        .build();
    let public_url = services.mail_endpoints().public_url.clone();
    let services = Arc::new(services);
    let port: Port = services.clone();
    let xmpp = xmpp_routes(settings.xmpp.clone(), &public_url, services.clone());
    let client_setup = client_setup::ClientSetup {
        port: port.clone(),
        public_url,
    };
    let routes = generate_route_list(App);
    let own_origin = Arc::new(guard::OwnOrigin {
        public: settings.public_origin.clone(),
    });

    let context = {
        let port = port.clone();
        move || {
            provide_context(port.clone());
            provide_context(app::api::RequestScope::default());
        }
    };
    let server_fns = {
        let context = context.clone();
        move |req: Request<Body>| {
            let context = context.clone();
            async move {
                handle_server_fns_with_context(context, req)
                    .await
                    .into_response()
            }
        }
    };
    let session_layer = SessionManagerLayer::new(sessions)
        .with_name("casella_session")
        .with_secure(settings.https)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_expiry(Expiry::OnInactivity(SESSION_IDLE));

    // Leptos registers each server function's own path; the catch-all serves the rest.
    Router::new()
        .route("/api/{*fn_name}", post(server_fns.clone()).get(server_fns))
        .leptos_routes_with_context(&options, routes, context, {
            let options = options.clone();
            move || shell(options.clone())
        })
        .route("/healthz", get(|| async { "ok" }))
        .merge(client_setup_routes(client_setup))
        .merge(xmpp)
        .route(
            "/domains/{domain}/access-log.csv",
            get(exports::domain_access).with_state(port.clone()),
        )
        .route(
            "/domains/{domain}/trace.csv",
            get(exports::domain_trace).with_state(port.clone()),
        )
        .route(
            "/account/access-log.csv",
            get(exports::own_access).with_state(port.clone()),
        )
        .route(
            "/webmail/messages/{id}/body",
            get(webmail::body).with_state(port.clone()),
        )
        .route(
            "/webmail/messages/{id}/parts/{blob}",
            get(webmail::part).with_state(port.clone()),
        )
        .route(
            "/webmail/messages/{id}/source",
            get(webmail::source).with_state(port.clone()),
        )
        .route(
            "/webmail/time-machine/{day}/{id}/body",
            get(webmail::kept_body).with_state(port.clone()),
        )
        .route(
            "/webmail/time-machine/{day}/{id}/parts/{index}",
            get(webmail::kept_part).with_state(port.clone()),
        )
        .route(
            "/webmail/time-machine/{day}/{id}/source",
            get(webmail::kept_source).with_state(port.clone()),
        )
        .route(
            "/webmail/archive/zip",
            get(webmail::archived_zip).with_state(port.clone()),
        )
        .route(
            "/webmail/archive/{id}/body",
            get(webmail::archived_body).with_state(port.clone()),
        )
        .route(
            "/webmail/archive/{id}/parts/{index}",
            get(webmail::archived_part).with_state(port.clone()),
        )
        .route(
            "/webmail/archive/{id}/source",
            get(webmail::archived_source).with_state(port.clone()),
        )
        .route(
            "/webmail/upload",
            post(attach::upload)
                .layer(axum::extract::DefaultBodyLimit::max(attach::BODY_LIMIT))
                .with_state(port.clone()),
        )
        .route(
            "/webmail/compose/attach",
            post(attach::attach)
                .layer(axum::extract::DefaultBodyLimit::max(attach::BODY_LIMIT))
                .with_state(port.clone()),
        )
        .route(
            "/webmail/events",
            get(webmail::events).with_state(services.clone()),
        )
        .route(
            "/chat/socket",
            get(chat::socket).with_state((services.clone(), own_origin.clone())),
        )
        .route(
            "/webmail/image",
            get(webmail::image).with_state((port.clone(), settings.image_proxy)),
        )
        .route("/lang/{code}", get(language::switch_language))
        .route(
            "/branding/{domain}/logo",
            get(crate::branding::logo)
                .post(crate::branding::upload_logo)
                .layer(axum::extract::DefaultBodyLimit::max(
                    crate::branding::UPLOAD_LIMIT,
                ))
                .with_state(port.clone()),
        )
        .nest_service("/pkg", assets::package(site_dir))
        .route(
            &format!(
                "/{}/{{version}}/pkg/{{*file}}",
                app::assets::VERSIONED_PREFIX
            ),
            get(assets::versioned).with_state(assets::Site(Arc::new(site_dir.to_path_buf()))),
        )
        .route(
            "/favicon.svg",
            get(assets::favicon).with_state(assets::Site(Arc::new(site_dir.to_path_buf()))),
        )
        .fallback(leptos_axum::file_and_error_handler(shell))
        .layer(from_fn(error_seal::check_page_errors))
        .layer(from_fn(error_seal::seal_redirects))
        .layer(session_layer)
        .layer(CompressionLayer::new())
        .layer(from_fn_with_state(own_origin, guard::same_origin))
        .layer(from_fn_with_state(
            Arc::<[IpRange]>::from(settings.trusted_proxies),
            guard::client_ip,
        ))
        .layer(from_fn_with_state(
            guard::HeaderPolicy {
                https: settings.https,
            },
            guard::security_headers,
        ))
        .layer(from_fn_with_state(
            guard::REQUEST_LIMIT,
            guard::operation_id,
        ))
        .with_state(options)
}

/// XMPP over WebSocket and where web chat clients find it (XEP-0156), when the XMPP service
/// runs.
fn xmpp_routes(
    endpoint: Option<crate::xmpp::websocket::WebSocketEndpoint>,
    public_url: &str,
    services: Arc<Services>,
) -> Router<LeptosOptions> {
    use crate::xmpp::websocket;
    let Some(endpoint) = endpoint else {
        return Router::new();
    };
    let found = websocket::Discovery::new(public_url);
    // The file and a little more: a bigger body is refused before it is read.
    let limit = usize::try_from(endpoint.max_upload_bytes())
        .unwrap_or(usize::MAX)
        .saturating_add(1);
    Router::new()
        .route(
            &format!("{}{{token}}/{{name}}", chat_files::PREFIX),
            get(chat_files::get)
                .put(chat_files::put)
                .options(chat_files::preflight)
                .layer(axum::extract::DefaultBodyLimit::max(limit))
                .with_state(services),
        )
        .route(
            websocket::PATH,
            get(websocket::upgrade).with_state(endpoint),
        )
        .route(
            "/.well-known/host-meta",
            get(websocket::host_meta).with_state(found.clone()),
        )
        .route(
            "/.well-known/host-meta.json",
            get(websocket::host_meta_json).with_state(found),
        )
}

/// Where mail clients find their settings: Thunderbird autoconfig (as `autoconfig.<domain>`
/// and under `.well-known`), Outlook Autodiscover (POX, both spellings Outlook uses, and the
/// v2 JSON), Apple profiles.
fn client_setup_routes(setup: client_setup::ClientSetup) -> Router<LeptosOptions> {
    let pox = post(client_setup::autodiscover).layer(axum::extract::DefaultBodyLimit::max(
        client_setup::AUTODISCOVER_LIMIT,
    ));
    Router::new()
        .route("/mail/config-v1.1.xml", get(client_setup::thunderbird))
        .route(
            "/.well-known/autoconfig/mail/config-v1.1.xml",
            get(client_setup::thunderbird),
        )
        .route("/autodiscover/autodiscover.xml", pox.clone())
        .route("/Autodiscover/Autodiscover.xml", pox)
        .route(
            "/autodiscover/autodiscover.json",
            get(client_setup::autodiscover_json),
        )
        .route(
            "/autodiscover/autodiscover.json/v1.0/{email}",
            get(client_setup::autodiscover_json_path),
        )
        .route("/account/mobileconfig", get(client_setup::own_profile))
        .route("/mobileconfig/{token}", get(client_setup::linked_profile))
        .with_state(setup)
}
