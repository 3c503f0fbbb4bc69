// SPDX-License-Identifier: AGPL-3.0-only
//! The IT / EN switch: keeps the chosen language in a cookie and goes back to the page.

use axum::{
    extract::{Path, Query},
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};

/// Where the language switch sends the browser back to.
#[derive(serde::Deserialize)]
pub struct Back {
    back: Option<String>,
}

/// `GET /lang/{code}?back=/path`: keeps the chosen language in a cookie for a year and goes
/// back to the page, now rendered in that language. Only paths on this site are followed.
pub async fn switch_language(Path(code): Path<String>, Query(back): Query<Back>) -> Response {
    let Some(lang) = app::i18n::Lang::from_code(&code) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let back = back
        .back
        .as_deref()
        .and_then(local_path)
        .unwrap_or("/")
        .to_string();
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

/// A path on this site, or `None`. Browsers drop tabs and line breaks from a URL and read a
/// backslash as a slash, so `/\t/evil.example` or `/\evil.example` would lead off-site: only
/// visible ASCII is allowed, and the second character may not start another authority.
pub fn local_path(path: &str) -> Option<&str> {
    let mut chars = path.chars();
    let starts_local = chars.next() == Some('/') && !matches!(chars.next(), Some('/' | '\\'));
    let plain = path.chars().all(|c| c.is_ascii_graphic() && c != '\\');
    (starts_local && plain).then_some(path)
}

#[cfg(test)]
mod tests {
    use super::local_path;

    #[test]
    fn only_paths_on_this_site_are_followed() {
        for good in ["/", "/domain/x.test/mailboxes?page=2", "/login?domain=a.b"] {
            assert_eq!(local_path(good), Some(good));
        }
        for bad in [
            "//evil.example",
            "/\t/evil.example",
            "/\\evil.example",
            "/\n/evil.example",
            "/ /evil.example",
            "https://evil.example",
            "evil.example",
            "",
            "/%09/ok-but-\u{a0}",
        ] {
            assert_eq!(local_path(bad), None, "{bad:?}");
        }
    }
}
