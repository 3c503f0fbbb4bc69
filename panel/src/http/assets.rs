// SPDX-License-Identifier: AGPL-3.0-only
//! The browser code and stylesheet under their build's fingerprint (see `app::assets`).

use std::{path::PathBuf, sync::Arc};

use axum::{
    body::Body,
    extract::{Path, Request, State},
    http::{HeaderValue, StatusCode, Uri, header},
    response::{IntoResponse, Response},
};
use tower::ServiceExt;
use tower_http::services::{ServeDir, ServeFile};

/// A fingerprinted name never changes what it holds: browsers keep the file for a year
/// without asking again.
const FOR_GOOD: &str = "public, max-age=31536000, immutable";

/// The site's icon has no fingerprint: kept a day, so a new one reaches browsers within a day
/// (and a page shown in place does not ask for it again).
const FOR_A_DAY: &str = "public, max-age=86400";

/// The site folder the assets are read from.
#[derive(Clone)]
pub struct Site(pub Arc<PathBuf>);

/// The package folder's files as served at `/pkg` and under a fingerprint: precompressed
/// brotli or gzip where the browser takes it (brotli is a fifth smaller than gzip for the wasm).
pub fn package(site: &std::path::Path) -> ServeDir {
    ServeDir::new(site.join("pkg"))
        .precompressed_br()
        .precompressed_gzip()
}

/// The package folder's files, the same as at `/pkg` (precompressed where the browser takes
/// it). Named by the current build's fingerprint, a file is kept for good; under an earlier
/// build's (a page left open across an upgrade) it is today's file, revalidated each time.
pub async fn versioned(
    State(Site(site)): State<Site>,
    Path((version, _file)): Path<(String, String)>,
    request: Request,
) -> Response {
    let prefix = format!("/{}/{version}/pkg", app::assets::VERSIONED_PREFIX);
    let (mut parts, body) = request.into_parts();
    // The raw (still percent-encoded) path after the prefix, with its query.
    let Some(rest) = parts
        .uri
        .path_and_query()
        .and_then(|pq| pq.as_str().strip_prefix(&prefix))
        .and_then(|rest| rest.parse::<Uri>().ok())
    else {
        return StatusCode::NOT_FOUND.into_response();
    };
    parts.uri = rest;
    let served = package(&site)
        .oneshot(Request::from_parts(parts, body))
        .await;
    let mut response = match served {
        Ok(response) => response.map(Body::new),
        Err(never) => match never {},
    };
    let current = app::assets::version(&site).is_some_and(|v| v == version);
    let kept = response.status().is_success() || response.status() == StatusCode::NOT_MODIFIED;
    if kept {
        response.headers_mut().insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static(if current { FOR_GOOD } else { "no-cache" }),
        );
    }
    response
}

/// The site's icon (`/favicon.svg`).
pub async fn favicon(State(Site(site)): State<Site>, request: Request) -> Response {
    let mut response = match ServeFile::new(site.join("favicon.svg"))
        .oneshot(request)
        .await
    {
        Ok(response) => response.map(Body::new),
        Err(never) => match never {},
    };
    if response.status().is_success() || response.status() == StatusCode::NOT_MODIFIED {
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static(FOR_A_DAY));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::{Router, routing::get};

    const STAMP: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

    fn site() -> (tempfile::TempDir, Router) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("pkg")).unwrap();
        std::fs::write(dir.path().join("pkg/casella.js"), "export default 1;").unwrap();
        std::fs::write(dir.path().join(".stamp"), STAMP).unwrap();
        let router = Router::new()
            .route("/static/{version}/pkg/{*file}", get(versioned))
            .with_state(Site(Arc::new(dir.path().to_path_buf())));
        (dir, router)
    }

    async fn get_path(router: &Router, path: &str) -> Response {
        router
            .clone()
            .oneshot(Request::get(path).body(Body::empty()).unwrap())
            .await
            .unwrap()
    }

    fn cache_control(response: &Response) -> Option<&str> {
        response
            .headers()
            .get(header::CACHE_CONTROL)
            .and_then(|v| v.to_str().ok())
    }

    #[tokio::test]
    async fn the_current_build_is_kept_for_good_and_an_earlier_one_is_revalidated() {
        let (_dir, router) = site();
        let current = get_path(&router, "/static/0011223344556677/pkg/casella.js").await;
        assert_eq!(current.status(), StatusCode::OK);
        assert_eq!(cache_control(&current), Some(FOR_GOOD));
        let earlier = get_path(&router, "/static/ffffffffffffffff/pkg/casella.js").await;
        assert_eq!(earlier.status(), StatusCode::OK);
        assert_eq!(cache_control(&earlier), Some("no-cache"));
    }

    #[tokio::test]
    async fn a_missing_file_or_a_way_out_of_the_folder_is_not_kept() {
        let (_dir, router) = site();
        for path in [
            "/static/0011223344556677/pkg/nothing.js",
            "/static/0011223344556677/pkg/../.stamp",
            "/static/0011223344556677/pkg/%2e%2e/.stamp",
        ] {
            let response = get_path(&router, path).await;
            assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
            assert_eq!(cache_control(&response), None, "{path}");
        }
    }
}
