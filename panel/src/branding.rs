// SPDX-License-Identifier: AGPL-3.0-only
//! A domain's webmail logo over plain HTTP: served to anyone (the sign-in page shows it), and
//! uploaded by the domain's manager from a multipart form, which server functions do not take.
//! The upload goes through the same port, so the same scope checks and audit apply.

use app::{
    error::AppError,
    i18n::{Lang, Text},
    ports::{Caller, ClientIp, DomainName, LogoUpload, Port, SESSION_ACTOR_KEY, SessionActor},
};
use axum::{
    Extension,
    extract::{Multipart, Path, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};
use tower_sessions::Session;

/// What a logo error's seal is bound to (see `http::error_seal`).
pub const LOGO_ERROR_SEAL: &str = "logo";

/// The largest upload read; the service refuses anything above its own, smaller limit.
pub const UPLOAD_LIMIT: usize = 1024 * 1024;

/// `GET /branding/{domain}/logo`.
pub async fn logo(State(port): State<Port>, Path(domain): Path<String>) -> Response {
    let logo = match DomainName::parse(&domain) {
        Ok(domain) => port.public().logo(&domain).await,
        Err(err) => Err(err),
    };
    match logo {
        Ok(Some(logo)) => (
            [
                (header::CONTENT_TYPE, logo.media_type),
                (header::CACHE_CONTROL, "public, max-age=300".to_string()),
                (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
                (
                    header::CONTENT_SECURITY_POLICY,
                    "default-src 'none'; sandbox".to_string(),
                ),
            ],
            logo.bytes,
        )
            .into_response(),
        Ok(None) | Err(AppError::NotFound) => StatusCode::NOT_FOUND.into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// `POST /branding/{domain}/logo` (multipart: `logo`, the image; `remove`, to take it away).
/// Goes back to the domain's page, with the error in the query string if there is one.
pub async fn upload_logo(
    State(port): State<Port>,
    Path(domain): Path<String>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
    session: Session,
    headers: HeaderMap,
    mut form: Multipart,
) -> Response {
    let value_of = |name| headers.get(name).and_then(|v| v.to_str().ok());
    let lang = Lang::negotiate(value_of(header::COOKIE), value_of(header::ACCEPT_LANGUAGE));
    let Ok(Some(actor)) = session.get::<SessionActor>(SESSION_ACTOR_KEY).await else {
        return redirect("/login".into());
    };
    let caller = Caller::from_session(actor, ip);
    let mut upload = None;
    let mut remove = false;
    while let Ok(Some(field)) = form.next_field().await {
        match field.name() {
            Some("logo") => {
                let media_type = field.content_type().unwrap_or_default().to_string();
                match field.bytes().await {
                    Ok(bytes) if !bytes.is_empty() => {
                        upload = Some(LogoUpload {
                            bytes: bytes.to_vec(),
                            media_type,
                        })
                    }
                    Ok(_) => {}
                    Err(_) => {
                        let message = Text::new(
                            "The upload was interrupted.",
                            "Il caricamento si è interrotto.",
                        );
                        return back(&domain, Some(message.get(lang)));
                    }
                }
            }
            Some("remove") => remove = true,
            _ => {}
        }
    }
    let logo = match (upload, remove) {
        (Some(logo), false) => Ok(Some(logo)),
        (_, true) => Ok(None),
        (None, false) => Err(AppError::invalid(
            "logo",
            Text::new("Choose an image file.", "Scegli un file immagine."),
        )),
    };
    let result = match (logo, DomainName::parse(&domain)) {
        (Ok(logo), Ok(name)) => match port.managed(&caller, &name).await {
            Ok(managed) => managed.set_logo(logo).await,
            Err(err) => Err(err),
        },
        (Err(err), _) | (_, Err(err)) => Err(err),
    };
    match result {
        Ok(()) => back(&domain, None),
        Err(AppError::NotFound) => StatusCode::NOT_FOUND.into_response(),
        Err(AppError::Unauthorized) => redirect("/login".into()),
        Err(err) => back(&domain, Some(&err.message_in(lang))),
    }
}

fn back(domain: &str, error: Option<&str>) -> Response {
    let domain = app::format::urlencode(domain);
    match error {
        // Sealed, so a link cannot put words of its own under the logo form.
        Some(message) => redirect(format!(
            "/domains/{domain}?logo_error={}&__seal={}#branding",
            app::format::urlencode(message),
            crate::http::seal(message, LOGO_ERROR_SEAL)
        )),
        None => redirect(format!("/domains/{domain}#branding")),
    }
}

fn redirect(to: String) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, to)]).into_response()
}
