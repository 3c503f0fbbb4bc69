// SPDX-License-Identifier: AGPL-3.0-only
//! `/chat/files/{token}/{name}`: where chat clients put the files they share (XEP-0363) and
//! where recipients fetch them. The address is the key (128 random bits, no cookie): a web
//! chat client on any origin may use it, so the answers allow any origin and the cross-site
//! guard lets these paths through. What is fetched is never run as a page of this site: a
//! sandboxing CSP, `nosniff`, and `attachment` for anything but pictures, sound and video.

use std::sync::Arc;

use axum::{
    body::Bytes,
    extract::{Path, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};

use crate::services::{
    Services,
    chat_files::{PutRefusal, SharedFile},
};

/// The paths' prefix (the cross-site guard lets it through).
pub const PREFIX: &str = "/chat/files/";

fn cors(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("GET, HEAD, PUT, OPTIONS"),
    );
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static("Content-Type"),
    );
    response
}

/// `OPTIONS`: a web client's preflight before its `PUT`.
pub async fn preflight() -> Response {
    cors(StatusCode::NO_CONTENT.into_response())
}

/// `PUT`: the file for a slot.
pub async fn put(
    State(services): State<Arc<Services>>,
    Path((token, name)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let media_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let answer = match services
        .chat_upload_put(&token, &name, media_type, &body)
        .await
    {
        Ok(Ok(())) => StatusCode::CREATED.into_response(),
        Ok(Err(PutRefusal::NotFound)) => (
            StatusCode::NOT_FOUND,
            "No such upload slot, or it expired or was used.",
        )
            .into_response(),
        Ok(Err(PutRefusal::Mismatch(reason))) => (StatusCode::BAD_REQUEST, reason).into_response(),
        Ok(Err(PutRefusal::NoRoom)) => (
            StatusCode::PAYLOAD_TOO_LARGE,
            "The mailbox is full: free some space to share this file.",
        )
            .into_response(),
        Err(err) => {
            tracing::warn!(%err, "a chat file was not kept");
            (StatusCode::SERVICE_UNAVAILABLE, "Try again later.").into_response()
        }
    };
    cors(answer)
}

/// `GET`: a shared file, while its owner keeps it.
pub async fn get(
    State(services): State<Arc<Services>>,
    Path((token, name)): Path<(String, String)>,
) -> Response {
    let answer = match services.chat_shared_file(&token, &name).await {
        Ok(Some(file)) => served(file),
        Ok(None) => (StatusCode::NOT_FOUND, "This file is no longer shared.").into_response(),
        Err(err) => {
            tracing::warn!(%err, "a chat file was not read");
            (StatusCode::SERVICE_UNAVAILABLE, "Try again later.").into_response()
        }
    };
    cors(answer)
}

fn served(file: SharedFile) -> Response {
    let media_type = file.media_type.to_ascii_lowercase();
    let shown = (media_type.starts_with("image/") && media_type != "image/svg+xml")
        || media_type.starts_with("audio/")
        || media_type.starts_with("video/");
    let disposition = format!(
        "{}; filename*=UTF-8''{}",
        if shown { "inline" } else { "attachment" },
        percent_encoding::utf8_percent_encode(&file.name, percent_encoding::NON_ALPHANUMERIC)
    );
    let mut response = file.data.into_response();
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&media_type) {
        headers.insert(header::CONTENT_TYPE, value);
    }
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=300"),
    );
    response
}

/// The address of a slot's file under the panel's public URL.
pub fn file_url(public_url: &str, token: &str, name: &str) -> String {
    format!(
        "{}{PREFIX}{token}/{}",
        public_url.trim_end_matches('/'),
        percent_encoding::utf8_percent_encode(name, percent_encoding::NON_ALPHANUMERIC)
    )
}
