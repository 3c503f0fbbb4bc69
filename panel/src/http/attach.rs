// SPDX-License-Identifier: AGPL-3.0-only
//! Files attached to a message being written in the webmail. Two ways in, both POSTs of the
//! signed-in mailbox (the origin guard refuses them from other sites):
//!
//! - `POST /webmail/upload?name=…`: one file as the request body, its type in `Content-Type`;
//!   the answer is the attached file as JSON. The compose page sends each chosen or dropped
//!   file this way, showing the upload's progress.
//! - `POST /webmail/compose/attach[?remove=BLOB]`: the whole compose form as
//!   `multipart/form-data` with its files (the "Attach" button without JavaScript). The files
//!   are uploaded, the message is kept as a draft with them, and the browser goes back to the
//!   draft; a failure keeps what was typed and says why on the compose page.

use app::{
    dto::{AttachedFile, ComposeForm},
    error::AppError,
    i18n::{Lang, Text},
    ports::{ClientIp, Port},
};
use axum::{
    Extension, Json,
    body::Bytes,
    extract::{Multipart, Query, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Redirect, Response},
};
use serde::Deserialize;
use tower_sessions::Session;

use super::exports::caller;
use crate::services::compose::MAX_ATTACHED_BYTES;

/// The largest request either way takes: the files, and the form's text beside them.
pub const BODY_LIMIT: usize = MAX_ATTACHED_BYTES as usize + 6 * 1024 * 1024;

#[derive(Deserialize, Default)]
pub struct UploadQuery {
    #[serde(default)]
    name: String,
}

#[derive(Deserialize, Default)]
pub struct AttachQuery {
    /// An attached file to take off (its blob id) instead of adding.
    #[serde(default)]
    remove: Option<String>,
}

/// What went wrong with an upload, for the page to show.
#[derive(serde::Serialize)]
struct UploadRefused {
    error: String,
}

/// `POST /webmail/upload?name=…`: one file, kept for a draft.
pub async fn upload(
    State(port): State<Port>,
    Extension(ip): Extension<ClientIp>,
    session: Session,
    Query(query): Query<UploadQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let lang = language(&headers);
    let Some(caller) = caller(&session, ip).await else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    let media_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let uploaded = async {
        port.mail(&caller)
            .await?
            .upload(&query.name, media_type, &body)
            .await
    }
    .await;
    match uploaded {
        Ok(file) => Json(file).into_response(),
        Err(AppError::Invalid { message, .. }) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(UploadRefused {
                error: message.get(lang).to_string(),
            }),
        )
            .into_response(),
        Err(err) => super::exports::refusal(err),
    }
}

/// `POST /webmail/compose/attach[?remove=BLOB]`: the compose form with its files, kept as a
/// draft.
pub async fn attach(
    State(port): State<Port>,
    Extension(ip): Extension<ClientIp>,
    session: Session,
    Query(query): Query<AttachQuery>,
    headers: HeaderMap,
    multipart: Multipart,
) -> Response {
    let lang = language(&headers);
    let Some(caller) = caller(&session, ip).await else {
        return Redirect::to("/login").into_response();
    };
    let (mut form, files) = match read_form(multipart).await {
        Ok(read) => read,
        Err(problem) => {
            // Nothing of the form could be read (a cut connection): back to where it was.
            return back_with(&session, &ComposeForm::default(), Some(problem.get(lang))).await;
        }
    };
    if let Some(blob) = &query.remove {
        form.attachments.retain(|a| &a.blob != blob);
    }
    let mail = match port.mail(&caller).await {
        Ok(mail) => mail,
        Err(err) => return super::exports::refusal(err),
    };
    for (name, media_type, data) in files {
        match mail.upload(&name, &media_type, &data).await {
            Ok(file) => form.attachments.push(file),
            Err(AppError::Invalid { message, .. }) => {
                let notice = format!("{name}: {}", message.get(lang));
                return back_with(&session, &form, Some(&notice)).await;
            }
            Err(err) => return super::exports::refusal(err),
        }
    }
    match mail.save_draft(&form).await {
        Ok(id) => {
            form.draft = id;
            Redirect::to(&format!(
                "/compose?draft={}",
                app::format::urlencode(&form.draft)
            ))
            .into_response()
        }
        Err(AppError::Invalid { message, .. }) => {
            back_with(&session, &form, Some(message.get(lang))).await
        }
        Err(err) => super::exports::refusal(err),
    }
}

/// The compose form's fields (`form[…]`) and its chosen files (`form[files]`): name, type, bytes.
type ChosenFile = (String, String, Bytes);

async fn read_form(mut multipart: Multipart) -> Result<(ComposeForm, Vec<ChosenFile>), Text> {
    let cut = || {
        Text::new(
            "The upload was interrupted, or was too big (25 MB at most).",
            "Il caricamento si è interrotto, o era troppo grande (al massimo 25 MB).",
        )
    };
    let mut form = ComposeForm::default();
    let mut files = Vec::new();
    let mut parts: Vec<(usize, &'static str, String)> = Vec::new();
    while let Some(field) = multipart.next_field().await.map_err(|_| cut())? {
        let name = field.name().unwrap_or_default().to_string();
        if name == "form[files]" {
            let file_name = field.file_name().unwrap_or_default().to_string();
            let media_type = field.content_type().unwrap_or_default().to_string();
            let data = field.bytes().await.map_err(|_| cut())?;
            // A file input left empty still sends one part, without a name or bytes.
            if !(file_name.is_empty() && data.is_empty()) {
                files.push((file_name, media_type, data));
            }
            continue;
        }
        let value = field.text().await.map_err(|_| cut())?;
        match name.as_str() {
            "form[draft]" => form.draft = value,
            "form[from]" => form.from = value,
            "form[to]" => form.to = value,
            "form[cc]" => form.cc = value,
            "form[bcc]" => form.bcc = value,
            "form[subject]" => form.subject = value,
            "form[text]" => form.text = value,
            "form[html]" => form.html = value,
            "form[origin]" => form.origin = value,
            "form[origin_kind]" => form.origin_kind = value,
            other => {
                if let Some((index, key)) = attachment_field(other) {
                    parts.push((index, key, value));
                }
            }
        }
    }
    form.attachments = attachments(parts);
    Ok((form, files))
}

/// `form[attachments][3][name]` as (3, "name").
fn attachment_field(name: &str) -> Option<(usize, &'static str)> {
    let rest = name.strip_prefix("form[attachments][")?;
    let (index, key) = rest.split_once("][")?;
    let key = match key.strip_suffix(']')? {
        "blob" => "blob",
        "name" => "name",
        "media_type" => "media_type",
        "size" => "size",
        _ => return None,
    };
    let index = index.parse::<usize>().ok().filter(|i| *i < 1000)?;
    Some((index, key))
}

/// The attached files the form listed, in its order.
fn attachments(mut parts: Vec<(usize, &'static str, String)>) -> Vec<AttachedFile> {
    parts.sort_by_key(|(index, _, _)| *index);
    let mut out: Vec<(usize, AttachedFile)> = Vec::new();
    for (index, key, value) in parts {
        if out.last().is_none_or(|(i, _)| *i != index) {
            out.push((index, AttachedFile::default()));
        }
        if let Some((_, file)) = out.last_mut() {
            match key {
                "blob" => file.blob = value,
                "name" => file.name = value,
                "media_type" => file.media_type = value,
                _ => file.size = value.trim().parse().unwrap_or_default(),
            }
        }
    }
    out.into_iter()
        .map(|(_, f)| f)
        .filter(|f| !f.blob.is_empty())
        .collect()
}

/// Back to the compose page, the message kept as typed for it.
async fn back_with(session: &Session, form: &ComposeForm, notice: Option<&str>) -> Response {
    if let Err(err) = app::api::keep_for_compose(session, form, notice).await {
        tracing::warn!(%err, "a message being written was not kept in the session");
    }
    let to = if form.draft.is_empty() {
        "/compose".to_string()
    } else {
        format!("/compose?draft={}", app::format::urlencode(&form.draft))
    };
    Redirect::to(&to).into_response()
}

fn language(headers: &HeaderMap) -> Lang {
    let value_of = |name| headers.get(name).and_then(|v| v.to_str().ok());
    Lang::negotiate(value_of(header::COOKIE), value_of(header::ACCEPT_LANGUAGE))
}

#[cfg(test)]
mod tests {
    use super::{attachment_field, attachments};

    #[test]
    fn attached_files_read_from_the_form_fields() {
        assert_eq!(
            attachment_field("form[attachments][2][blob]"),
            Some((2, "blob"))
        );
        assert_eq!(attachment_field("form[attachments][x][blob]"), None);
        assert_eq!(attachment_field("form[attachments][1][evil]"), None);
        assert_eq!(attachment_field("form[attachments][99999][name]"), None);
        let files = attachments(vec![
            (1, "blob", "b2".into()),
            (0, "name", "a.pdf".into()),
            (0, "blob", "b1".into()),
            (1, "size", "12".into()),
            (0, "size", "nonsense".into()),
            (2, "name", "no blob.txt".into()),
        ]);
        assert_eq!(files.len(), 2);
        assert_eq!(
            (files[0].blob.as_str(), files[0].name.as_str()),
            ("b1", "a.pdf")
        );
        assert_eq!((files[1].blob.as_str(), files[1].size), ("b2", 12));
    }
}
