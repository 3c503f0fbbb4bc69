// SPDX-License-Identifier: AGPL-3.0-only
//! The HTTP side: Leptos pages and server functions, static assets, sessions.

use std::{path::Path, sync::Arc};

use app::{App, ports::Port, shell};
use axum::{
    Router,
    body::Body,
    extract::Request,
    response::IntoResponse,
    routing::{get, post},
};
use leptos::prelude::*;
use leptos_axum::{LeptosRoutes, generate_route_list, handle_server_fns_with_context};
use tower_http::{compression::CompressionLayer, services::ServeDir};
use tower_sessions::{
    Expiry, SessionManagerLayer,
    cookie::{SameSite, time::Duration},
};

use crate::{services::Services, sessions::DbSessionStore};

/// Sessions end after this long without a request.
const SESSION_IDLE: Duration = Duration::hours(8);

/// Builds the router of the web panel.
pub fn router(
    services: Services,
    sessions: DbSessionStore,
    site_dir: &Path,
    secure_cookies: bool,
) -> Router {
    let options = LeptosOptions::builder()
        .output_name("casella")
        .site_root(site_dir.display().to_string())
        .site_pkg_dir("pkg")
        .build();
    let port: Port = Arc::new(services);
    let routes = generate_route_list(App);

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
        .with_secure(secure_cookies)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_expiry(Expiry::OnInactivity(SESSION_IDLE));

    Router::new()
        .route("/api/{*fn_name}", post(server_fns.clone()).get(server_fns))
        .leptos_routes_with_context(&options, routes, context, {
            let options = options.clone();
            move || shell(options.clone())
        })
        .route("/healthz", get(|| async { "ok" }))
        .route("/lang/{code}", get(switch_language))
        .route(
            "/branding/{domain}/logo",
            get(crate::branding::logo)
                .post(crate::branding::upload_logo)
                .layer(axum::extract::DefaultBodyLimit::max(
                    crate::branding::UPLOAD_LIMIT,
                ))
                .with_state(port.clone()),
        )
        .nest_service(
            "/pkg",
            ServeDir::new(site_dir.join("pkg")).precompressed_gzip(),
        )
        .route_service(
            "/favicon.svg",
            tower_http::services::ServeFile::new(site_dir.join("favicon.svg")),
        )
        .fallback(leptos_axum::file_and_error_handler(shell))
        .layer(session_layer)
        .layer(CompressionLayer::new())
        .with_state(options)
}

/// Where the language switch sends the browser back to.
#[derive(serde::Deserialize)]
struct Back {
    back: Option<String>,
}

/// `GET /lang/{code}?back=/path`: keeps the chosen language in a cookie for a year and goes
/// back to the page, now rendered in that language. Only paths on this site are followed.
async fn switch_language(
    axum::extract::Path(code): axum::extract::Path<String>,
    axum::extract::Query(back): axum::extract::Query<Back>,
) -> axum::response::Response {
    use axum::http::{StatusCode, header};
    let Some(lang) = app::i18n::Lang::from_code(&code) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let back = back
        .back
        .filter(|b| b.starts_with('/') && !b.starts_with("//") && !b.contains('\\'))
        .unwrap_or_else(|| "/".into());
    let cookie = format!(
        "{}={}; Path=/; Max-Age=31536000; SameSite=Lax",
        app::i18n::LANG_COOKIE,
        lang.code()
    );
    (
        StatusCode::SEE_OTHER,
        [(header::LOCATION, back), (header::SET_COOKIE, cookie)],
    )
        .into_response()
}
