// SPDX-License-Identifier: AGPL-3.0-only
//! Log exports as CSV files, for the signed-in browser: a domain's access log and message
//! trace (its postmaster and manager) and one's own sign-ins. They go through the port, with its checks;
//! a CSV is never cached.

use app::{
    dto::{AccessQuery, TraceQuery},
    error::AppError,
    ports::{Caller, ClientIp, DomainName, Port, SESSION_ACTOR_KEY, SessionActor},
};
use axum::{
    Extension,
    extract::{Path, Query, State},
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};
use tower_sessions::Session;

/// The signed-in caller of a plain (non server function) request, if any.
pub(super) async fn caller(session: &Session, ip: ClientIp) -> Option<Caller> {
    let actor = session
        .get::<SessionActor>(SESSION_ACTOR_KEY)
        .await
        .ok()
        .flatten()?;
    Some(Caller::from_session(actor, ip.0))
}

fn csv(file: &str, body: Result<String, AppError>) -> Response {
    match body {
        Ok(body) => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{file}\""),
                ),
                (header::CACHE_CONTROL, "no-store".to_string()),
            ],
            body,
        )
            .into_response(),
        Err(err) => refusal(err),
    }
}

/// A refused plain request: its status, and for a wrong field the reason.
pub(super) fn refusal(err: AppError) -> Response {
    match err {
        AppError::Unauthorized => StatusCode::UNAUTHORIZED.into_response(),
        AppError::NotFound => StatusCode::NOT_FOUND.into_response(),
        AppError::Invalid { message, .. } => {
            (StatusCode::BAD_REQUEST, message.en.to_string()).into_response()
        }
        AppError::Forbidden | AppError::PasswordChangeRequired | AppError::TwoFactorRequired => {
            StatusCode::FORBIDDEN.into_response()
        }
        _ => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// `GET /domains/{domain}/access-log.csv?account=…&protocol=…&result=…&from=…&to=…`.
pub async fn domain_access(
    State(port): State<Port>,
    Path(domain): Path<String>,
    Extension(ip): Extension<ClientIp>,
    session: Session,
    Query(query): Query<AccessQuery>,
) -> Response {
    let Some(caller) = caller(&session, ip).await else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    let body = async {
        let domain = DomainName::parse(&domain)?;
        port.domain(&caller, &domain)
            .await?
            .access_csv(&query)
            .await
    }
    .await;
    csv(&format!("access-log-{domain}.csv"), body)
}

/// `GET /domains/{domain}/trace.csv?address=…&status=…&from=…&to=…`.
pub async fn domain_trace(
    State(port): State<Port>,
    Path(domain): Path<String>,
    Extension(ip): Extension<ClientIp>,
    session: Session,
    Query(query): Query<TraceQuery>,
) -> Response {
    let Some(caller) = caller(&session, ip).await else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    let body = async {
        let domain = DomainName::parse(&domain)?;
        port.domain(&caller, &domain).await?.trace_csv(&query).await
    }
    .await;
    csv(&format!("trace-{domain}.csv"), body)
}

/// `GET /account/access-log.csv`: one's own sign-ins.
pub async fn own_access(
    State(port): State<Port>,
    Extension(ip): Extension<ClientIp>,
    session: Session,
    Query(query): Query<AccessQuery>,
) -> Response {
    let Some(caller) = caller(&session, ip).await else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    let body = async { port.own(&caller).await?.access_csv(&query).await }.await;
    csv("my-access-log.csv", body)
}
