// SPDX-License-Identifier: AGPL-3.0-only
//! `/compose`: writing a message. `?reply=ID`, `?reply_all=ID` and `?forward=ID` start from a
//! message of the mailbox, `?draft=ID` takes a draft up again. A plain form: it sends, and
//! saves as a draft, without JavaScript; with it, what is typed is also saved as a draft every
//! few seconds, so a closed tab or a lost connection loses at most a moment of typing.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::{
    api::mail::{DiscardDraft, SaveDraft, SendMessage, start_compose},
    components::{ErrorMessage, FieldError, FlashNotice, FormError, Guarded, field_error},
    dto::{AttachedFile, ComposeForm, ComposeStart, Role, SendOutcome},
    error::AppError,
    format,
    i18n::tr,
    pages::{compose_rich::Formatting, compose_suggest::RecipientInput},
};

const OWNERS: &[Role] = &[Role::User, Role::Postmaster];

/// Seconds between automatic saves of a changed message.
#[cfg(feature = "hydrate")]
const AUTOSAVE_SECONDS: u64 = 5;

#[component]
pub fn ComposePage() -> impl IntoView {
    provide_context(crate::components::Bundle::Editor);
    view! {
        <Title text=tr("New message · Casella", "Nuovo messaggio · Casella") />
        <Guarded roles=OWNERS>
            <Compose />
        </Guarded>
    }
}

/// How the page was asked for: the mode and the message it starts from.
fn wanted(query: &leptos_router::params::ParamsMap) -> (String, String) {
    for (key, mode) in [
        ("reply", "reply"),
        ("reply_all", "reply-all"),
        ("forward", "forward"),
        ("forward_attached", "forward-attached"),
        ("draft", "draft"),
    ] {
        if let Some(id) = query.get(key) {
            return (mode.to_string(), id);
        }
    }
    ("new".to_string(), String::new())
}

#[component]
fn Compose() -> impl IntoView {
    let query = use_query_map();
    let start = Resource::new(
        move || wanted(&query.read()),
        |(mode, id)| start_compose(mode, id),
    );
    view! {
        <section class="card compose-page">
            <p>
                <a href="/mail" id="back-to-mail">{tr("← Back to mail", "← Torna alla posta")}</a>
            </p>
            <Suspense fallback=|| view! { <p>{tr("Loading…", "Caricamento…")}</p> }>
                {move || Suspend::new(async move {
                    match start.await {
                        Ok(start) => {
                            view! {
                                <h1>{heading(&start.form)}</h1>
                                <FlashNotice id="compose-notice" message=Signal::derive(|| None) />
                                <Editor start />
                            }
                                .into_any()
                        }
                        Err(err) => view! { <ErrorMessage error=err /> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

/// The latest failure of either action, for the form's fields.
fn latest_error(
    send: ServerAction<SendMessage>,
    save: ServerAction<SaveDraft>,
) -> Signal<Option<AppError>> {
    Signal::derive(move || {
        let failed = |r: Option<Result<_, AppError>>| r.and_then(Result::err);
        failed(send.value().get().map(|r| r.map(|_| ())))
            .or_else(|| failed(save.value().get().map(|r| r.map(|_| ()))))
    })
}

/// What the page is for, as its heading says.
fn heading(f: &ComposeForm) -> &'static str {
    match f.origin_kind.as_str() {
        "reply" => tr("Reply", "Rispondi"),
        "forward" => tr("Forward", "Inoltra"),
        _ if !f.draft.is_empty() => tr("Draft", "Bozza"),
        _ => tr("New message", "Nuovo messaggio"),
    }
}

/// Leaves the page for `to` (in the browser).
fn leave_for(to: &str) {
    #[cfg(feature = "hydrate")]
    if let Some(window) = web_sys::window() {
        let _ = window.location().assign(to);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = to;
}

/// The form, alive in the browser: drafts saved as one types, attachments uploaded with
/// their progress, the formatting bar, address suggestions, sending in place. It is the
/// biggest island, so it lives in a build of the browser code of its own, which only this
/// page loads (`Bundle::Editor`): reading mail never downloads it.
#[cfg_attr(any(feature = "ssr", feature = "editor"), island)]
#[cfg_attr(not(any(feature = "ssr", feature = "editor")), component)]
fn Editor(start: ComposeStart) -> impl IntoView {
    let send = ServerAction::<SendMessage>::new();
    let save = ServerAction::<SaveDraft>::new();
    let discard = ServerAction::<DiscardDraft>::new();
    let f = start.form;
    // What the form holds, kept in step with what is typed (for the automatic saves).
    let draft = RwSignal::new(f.draft.clone());
    let from = RwSignal::new(f.from.clone());
    let to = RwSignal::new(f.to.clone());
    let cc = RwSignal::new(f.cc.clone());
    let bcc = RwSignal::new(f.bcc.clone());
    let subject = RwSignal::new(f.subject.clone());
    let text = RwSignal::new(f.text.clone());
    let attachments = RwSignal::new(f.attachments.clone());
    let uploads = RwSignal::new(Vec::<Upload>::new());
    let (origin, origin_kind) = (f.origin.clone(), f.origin_kind.clone());
    // What is typed is read from the fields themselves: text typed before the page came
    // alive in the browser (or filled in by the browser) counts as much as what follows.
    let from_ref = NodeRef::<leptos::html::Select>::new();
    let to_ref = NodeRef::<leptos::html::Input>::new();
    let cc_ref = NodeRef::<leptos::html::Input>::new();
    let bcc_ref = NodeRef::<leptos::html::Input>::new();
    let subject_ref = NodeRef::<leptos::html::Input>::new();
    let text_ref = NodeRef::<leptos::html::Textarea>::new();
    let html_ref = NodeRef::<leptos::html::Input>::new();
    let current = move || {
        let input = |r: NodeRef<leptos::html::Input>, s: RwSignal<String>| {
            r.get_untracked()
                .map_or_else(|| s.get_untracked(), |e| e.value())
        };
        ComposeForm {
            draft: draft.get_untracked(),
            from: from_ref
                .get_untracked()
                .map_or_else(|| from.get_untracked(), |e| e.value()),
            to: input(to_ref, to),
            cc: input(cc_ref, cc),
            bcc: input(bcc_ref, bcc),
            subject: input(subject_ref, subject),
            text: text_ref
                .get_untracked()
                .map_or_else(|| text.get_untracked(), |e| e.value()),
            html: html_ref
                .get_untracked()
                .map(|e| e.value())
                .unwrap_or_default(),
            origin: origin.clone(),
            origin_kind: origin_kind.clone(),
            attachments: attachments.get_untracked(),
            files: String::new(),
        }
    };
    let error = latest_error(send, save);
    let outcome = RwSignal::new(None::<SendOutcome>);
    // A save gives the draft its new id; a send that went leaves for the list, one that did
    // not keeps the draft it made.
    Effect::new(move |_| {
        if let Some(Ok(id)) = save.value().get() {
            draft.set(id);
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(result)) = send.value().get() {
            draft.set(if result.sent {
                String::new()
            } else {
                result.id.clone()
            });
            if result.sent && result.refused.is_empty() {
                leave_for("/mail?sent=1");
            }
            outcome.set(Some(result));
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(())) = discard.value().get() {
            leave_for("/mail");
        }
    });
    autosave(save, send, current.clone());
    let save_now = {
        let current = current.clone();
        move |ev: leptos::ev::MouseEvent| {
            // With JavaScript the draft is saved in place; without, the button posts the
            // form to the save address itself.
            ev.prevent_default();
            save.dispatch(SaveDraft { form: current() });
        }
    };
    // Marks the form once it has come alive in the browser (its handlers attached): browser
    // tests wait for it. Effects run only in the browser.
    let form_ref = NodeRef::<leptos::html::Form>::new();
    Effect::new(move |_| {
        if let Some(form) = form_ref.get() {
            let _ = form.set_attribute("data-live", "true");
        }
    });
    // A new sender brings its own signature: the old one is replaced where it stands.
    let signatures = start.signatures;
    let fresh = f.origin.is_empty() && f.draft.is_empty();
    let change_sender = move |_| {
        let (Some(select), Some(area)) = (from_ref.get_untracked(), text_ref.get_untracked())
        else {
            return;
        };
        let signature_of = |address: &str| {
            signatures
                .iter()
                .find(|s| s.address.eq_ignore_ascii_case(address))
                .map(|s| s.signature.clone())
                .unwrap_or_default()
        };
        let (old, new) = (
            signature_of(&from.get_untracked()),
            signature_of(&select.value()),
        );
        if !crate::pages::compose_rich::resign_rich(text_ref, html_ref, &old, &new) {
            area.set_value(&resigned(&area.value(), &old, &new, fresh));
        }
        from.set(select.value());
    };
    let senders = start.senders;
    let chosen = f.from.clone();
    let has_draft = move || !draft.get().is_empty();
    view! {
        <SendResult outcome />
        <ActionForm
            action=send
            node_ref=form_ref
            attr:id="compose"
            attr:class="stack compose"
            on:dragover=|ev: leptos::ev::DragEvent| ev.prevent_default()
            on:drop=move |ev: leptos::ev::DragEvent| {
                ev.prevent_default();
                dropped(&ev, attachments, uploads);
            }
        >
            <input type="hidden" name="form[draft]" prop:value=move || draft.get() value=f.draft.clone() />
            <input type="hidden" name="form[origin]" value=f.origin.clone() />
            <input type="hidden" name="form[origin_kind]" value=f.origin_kind.clone() />
            <label for="compose-from">{tr("From", "Da")}</label>
            <select id="compose-from" name="form[from]" node_ref=from_ref on:change=change_sender>
                {senders
                    .into_iter()
                    .map(|s| {
                        let selected = s == chosen;
                        view! { <option value=s.clone() selected=selected>{s.clone()}</option> }
                    })
                    .collect_view()}
            </select>
            <FieldError field="from" message=field_error(error, "from") />
            <label for="compose-to">{tr("To", "A")}</label>
            <RecipientInput
                id="compose-to"
                name="form[to]"
                value=f.to.clone()
                node_ref=to_ref
                described_by="compose-to-hint"
            />
            <p class="hint" id="compose-to-hint">
                {tr(
                    "Separate addresses with commas, e.g. Anna Rossi <anna@example.com>, bob@example.com",
                    "Separa gli indirizzi con virgole, per es. Anna Rossi <anna@esempio.it>, bob@esempio.it",
                )}
            </p>
            <FieldError field="to" message=field_error(error, "to") />
            <label for="compose-cc">"Cc"</label>
            <RecipientInput id="compose-cc" name="form[cc]" value=f.cc.clone() node_ref=cc_ref />
            <FieldError field="cc" message=field_error(error, "cc") />
            <label for="compose-bcc">{tr("Bcc (hidden from the others)", "Ccn (nascosti agli altri)")}</label>
            <RecipientInput id="compose-bcc" name="form[bcc]" value=f.bcc.clone() node_ref=bcc_ref />
            <FieldError field="bcc" message=field_error(error, "bcc") />
            <label for="compose-subject">{tr("Subject", "Oggetto")}</label>
            <input
                id="compose-subject"
                name="form[subject]"
                value=f.subject.clone()
                maxlength="500"
                node_ref=subject_ref
            />
            <FieldError field="subject" message=field_error(error, "subject") />
            <label for="compose-text">{tr("Message", "Messaggio")}</label>
            <textarea
                id="compose-text"
                name="form[text]"
                rows="16"
                node_ref=text_ref
            >
                {format::textarea(&text.get_untracked())}
            </textarea>
            // Empty until the editor fills it: a form posted without JavaScript is plain text.
            <input type="hidden" name="form[html]" value="" node_ref=html_ref />
            <Formatting text_ref html_ref initial=f.html.clone() />
            <FieldError field="text" message=field_error(error, "text") />
            <Attachments attachments uploads />
            <FieldError field="attachments" message=field_error(error, "attachments") />
            <FormError error />
            <div class="actions">
                <button
                    type="submit"
                    id="send"
                    prop:disabled=move || uploads.with(|u| u.iter().any(|u| u.error.is_none()))
                >
                    {tr("Send", "Invia")}
                </button>
                <button
                    type="submit"
                    class="secondary"
                    id="save-draft"
                    formaction="/api/mail/save_draft"
                    on:click=save_now
                >
                    {tr("Save draft", "Salva bozza")}
                </button>
                <span class="hint" id="draft-state" aria-live="polite">
                    {move || {
                        if save.pending().get() {
                            tr("Saving…", "Salvataggio…")
                        } else if has_draft() {
                            tr("Saved in Drafts.", "Salvato nelle Bozze.")
                        } else {
                            ""
                        }
                    }}
                </span>
            </div>
        </ActionForm>
        {move || {
            has_draft()
                .then(|| {
                    view! {
                        <ActionForm action=discard attr:id="discard-draft" attr:class="row-form">
                            <input type="hidden" name="id" prop:value=move || draft.get() value=draft.get_untracked() />
                            <button type="submit" class="danger">{tr("Discard draft", "Elimina bozza")}</button>
                        </ActionForm>
                    }
                })
        }}
    }
}

/// The text with the signature `old` (under its `-- ` line) changed to `new`: replaced
/// where it stands, or removed; a new message without one gets `new` at its end.
pub fn resigned(text: &str, old: &str, new: &str, fresh: bool) -> String {
    let block = |sig: &str| format!("-- \n{}", sig.trim_end());
    let text = text.replace("\r\n", "\n");
    let old = old.trim_end();
    let new = new.trim_end();
    if !old.is_empty()
        && let Some(at) = text.find(&block(old))
    {
        let after = &text[at + block(old).len()..];
        return if new.is_empty() {
            format!("{}{after}", text[..at].trim_end_matches('\n'))
        } else {
            format!("{}{}{after}", &text[..at], block(new))
        };
    }
    if fresh && !new.is_empty() && !text.contains(&block(new)) {
        return format!("{}\n\n{}", text.trim_end(), block(new));
    }
    text
}

/// A file on its way to the server.
#[derive(Debug, Clone, PartialEq)]
struct Upload {
    key: u32,
    name: String,
    /// Sent so far, in percent.
    percent: u32,
    /// Why it failed, once it did.
    error: Option<String>,
}

/// The files attached, the ones on their way, and the way to add more: with JavaScript a
/// chosen or dropped file is uploaded at once (with its progress); without, "Attach" posts
/// the form with the chosen files and comes back to the draft.
#[component]
fn Attachments(
    attachments: RwSignal<Vec<AttachedFile>>,
    uploads: RwSignal<Vec<Upload>>,
) -> impl IntoView {
    let listed = move || {
        attachments
            .get()
            .into_iter()
            .enumerate()
            .map(|(i, a)| {
                let field = move |key: &str| format!("form[attachments][{i}][{key}]");
                let blob = a.blob.clone();
                let remove = move |ev: leptos::ev::MouseEvent| {
                    ev.prevent_default();
                    attachments.update(|all| all.retain(|f| f.blob != blob));
                };
                view! {
                    <li class="attached-file">
                        <input type="hidden" name=field("blob") value=a.blob.clone() />
                        <input type="hidden" name=field("name") value=a.name.clone() />
                        <input type="hidden" name=field("media_type") value=a.media_type.clone() />
                        <input type="hidden" name=field("size") value=a.size.to_string() />
                        <span class="file-name">{a.name.clone()}</span>
                        <span class="file-size">{format::bytes(a.size)}</span>
                        <button
                            type="submit"
                            class="link remove-file"
                            formaction=format!("/webmail/compose/attach?remove={}", format::urlencode(&a.blob))
                            formenctype="multipart/form-data"
                            aria-label=format!("{} {}", tr("Remove", "Rimuovi"), a.name)
                            on:click=remove
                        >
                            {tr("Remove", "Rimuovi")}
                        </button>
                    </li>
                }
            })
            .collect_view()
    };
    let pending = move || {
        uploads
            .get()
            .into_iter()
            .map(|u| {
                let key = u.key;
                let dismiss = move |_| uploads.update(|all| all.retain(|x| x.key != key));
                view! {
                    <li class="uploading">
                        <span class="file-name">{u.name.clone()}</span>
                        {match u.error.clone() {
                            None => view! {
                                <progress max="100" value=u.percent.to_string() aria-label=u.name.clone()></progress>
                                <span class="file-size">{format!("{} %", u.percent)}</span>
                            }
                                .into_any(),
                            Some(error) => view! {
                                <span class="error upload-error" role="alert">{error}</span>
                                <button type="button" class="link" on:click=dismiss>{tr("Dismiss", "Chiudi")}</button>
                            }
                                .into_any(),
                        }}
                    </li>
                }
            })
            .collect_view()
    };
    let input_ref = NodeRef::<leptos::html::Input>::new();
    let pick = move |ev: leptos::ev::MouseEvent| {
        // With JavaScript the button opens the file picker; files are uploaded when chosen.
        ev.prevent_default();
        if let Some(input) = input_ref.get() {
            input.click();
        }
    };
    let chosen = move |_| chosen_files(input_ref, attachments, uploads);
    // Without JavaScript the chosen files go with the form ("Attach"); in the browser they
    // are uploaded at once, and the input must not be posted (as "[object File]").
    Effect::new(move |_| {
        if let Some(input) = input_ref.get() {
            let _ = input.remove_attribute("name");
        }
    });
    view! {
        <fieldset class="attachments">
            <legend>{tr("Attachments", "Allegati")}</legend>
            <ul id="compose-attachments" class="attached-files">{listed} {pending}</ul>
            <div class="attach-row">
                <input
                    type="file"
                    id="compose-files"
                    name="form[files]"
                    multiple
                    node_ref=input_ref
                    on:change=chosen
                />
                <button
                    type="submit"
                    class="secondary"
                    id="attach"
                    formaction="/webmail/compose/attach"
                    formenctype="multipart/form-data"
                    on:click=pick
                >
                    {tr("Attach", "Allega")}
                </button>
            </div>
            <p class="hint">
                {tr(
                    "Up to 25 MB in all. You can also drop files onto the message.",
                    "Fino a 25 MB in tutto. Puoi anche trascinare i file sul messaggio.",
                )}
            </p>
        </fieldset>
    }
}

/// Uploads the files just chosen in the file input, then empties it.
#[cfg(feature = "hydrate")]
fn chosen_files(
    input: NodeRef<leptos::html::Input>,
    attachments: RwSignal<Vec<AttachedFile>>,
    uploads: RwSignal<Vec<Upload>>,
) {
    if let Some(input) = input.get_untracked() {
        if let Some(files) = input.files() {
            upload_all(&files, attachments, uploads);
        }
        input.set_value("");
    }
}

#[cfg(not(feature = "hydrate"))]
fn chosen_files(
    _input: NodeRef<leptos::html::Input>,
    _attachments: RwSignal<Vec<AttachedFile>>,
    _uploads: RwSignal<Vec<Upload>>,
) {
}

/// Uploads the files dropped onto the form.
#[cfg(feature = "hydrate")]
fn dropped(
    ev: &leptos::ev::DragEvent,
    attachments: RwSignal<Vec<AttachedFile>>,
    uploads: RwSignal<Vec<Upload>>,
) {
    if let Some(files) = ev.data_transfer().and_then(|d| d.files()) {
        upload_all(&files, attachments, uploads);
    }
}

#[cfg(not(feature = "hydrate"))]
fn dropped(
    _ev: &leptos::ev::DragEvent,
    _attachments: RwSignal<Vec<AttachedFile>>,
    _uploads: RwSignal<Vec<Upload>>,
) {
}

#[cfg(feature = "hydrate")]
fn upload_all(
    files: &web_sys::FileList,
    attachments: RwSignal<Vec<AttachedFile>>,
    uploads: RwSignal<Vec<Upload>>,
) {
    for i in 0..files.length() {
        if let Some(file) = files.get(i) {
            upload_one(file, attachments, uploads);
        }
    }
}

/// Sends one file to `/webmail/upload` with `XMLHttpRequest` (the only way to follow an
/// upload's progress), showing it in `uploads` until it is attached or refused.
#[cfg(feature = "hydrate")]
fn upload_one(
    file: web_sys::File,
    attachments: RwSignal<Vec<AttachedFile>>,
    uploads: RwSignal<Vec<Upload>>,
) {
    use wasm_bindgen::{JsCast, closure::Closure};

    // Callbacks run outside the page's reactive context: the language comes from the page.
    let lang = crate::i18n::current_lang();
    let say = move |en: &str, it: &str| -> String {
        match lang {
            crate::i18n::Lang::En => en.to_string(),
            crate::i18n::Lang::It => it.to_string(),
        }
    };

    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let key = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let name = file.name();
    uploads.update(|all| {
        all.push(Upload {
            key,
            name: name.clone(),
            percent: 0,
            error: None,
        })
    });
    let fail = move |error: String| {
        uploads.update(|all| {
            if let Some(u) = all.iter_mut().find(|u| u.key == key) {
                u.error = Some(error);
            }
        })
    };
    let Ok(xhr) = web_sys::XmlHttpRequest::new() else {
        fail(say(
            "This browser cannot upload files.",
            "Questo browser non può caricare file.",
        ));
        return;
    };
    let url = format!("/webmail/upload?name={}", format::urlencode(&name));
    let media_type = file.type_();
    let started = xhr.open("POST", &url).and_then(|()| {
        if !media_type.is_empty() {
            xhr.set_request_header("Content-Type", &media_type)?;
        }
        xhr.set_request_header("Accept", "application/json")
    });
    if started.is_err() {
        fail(say(
            "The upload could not start.",
            "Il caricamento non è partito.",
        ));
        return;
    }
    let progress =
        Closure::<dyn FnMut(web_sys::ProgressEvent)>::new(move |ev: web_sys::ProgressEvent| {
            if ev.length_computable() && ev.total() > 0.0 {
                let percent = (ev.loaded() / ev.total() * 100.0).clamp(0.0, 100.0) as u32;
                uploads.update(|all| {
                    if let Some(u) = all.iter_mut().find(|u| u.key == key) {
                        u.percent = percent;
                    }
                });
            }
        });
    if let Ok(target) = xhr.upload() {
        target.set_onprogress(Some(progress.as_ref().unchecked_ref()));
    }
    let answer = xhr.clone();
    let finished = Closure::once_into_js(move || {
        // The progress handler lives as long as the request.
        drop(progress);
        let status = answer.status().unwrap_or(0);
        let body = answer.response_text().ok().flatten().unwrap_or_default();
        match status {
            200 => match serde_json::from_str::<AttachedFile>(&body) {
                Ok(file) => {
                    uploads.update(|all| all.retain(|u| u.key != key));
                    attachments.update(|all| all.push(file));
                }
                Err(_) => fail(say(
                    "The server's answer was not understood.",
                    "La risposta del server non è comprensibile.",
                )),
            },
            413 => fail(say(
                "The file is too big: 25 MB at most.",
                "Il file è troppo grande: al massimo 25 MB.",
            )),
            401 => fail(say(
                "You were signed out: sign in again.",
                "La sessione è scaduta: accedi di nuovo.",
            )),
            0 => fail(say(
                "The connection was lost.",
                "La connessione si è interrotta.",
            )),
            _ => {
                let reason = serde_json::from_str::<serde_json::Value>(&body)
                    .ok()
                    .and_then(|v| v["error"].as_str().map(str::to_string))
                    .unwrap_or_else(|| say("The upload failed.", "Il caricamento non è riuscito."));
                fail(reason)
            }
        }
    });
    xhr.set_onloadend(Some(finished.unchecked_ref()));
    if xhr.send_with_opt_blob(Some(&file)).is_err() {
        fail(say(
            "The upload could not start.",
            "Il caricamento non è partito.",
        ));
    }
}

/// What the mail server said when a message did not reach everyone.
#[component]
fn SendResult(outcome: RwSignal<Option<SendOutcome>>) -> impl IntoView {
    move || {
        outcome.get().map(|o| {
            let lang = crate::i18n::use_lang();
            let summary = match (&o.problem, o.sent) {
                (Some(problem), _) => format!(
                    "{} {}",
                    problem.get(lang),
                    tr("The message is kept in Drafts.", "Il messaggio è conservato nelle Bozze.")
                ),
                (None, true) => tr(
                    "Message sent, but some recipients were refused:",
                    "Messaggio inviato, ma alcuni destinatari sono stati rifiutati:",
                )
                .to_string(),
                (None, false) => tr(
                    "The message was not sent: every recipient was refused. It is kept in Drafts.",
                    "Il messaggio non è stato inviato: tutti i destinatari sono stati rifiutati. È conservato nelle Bozze.",
                )
                .to_string(),
            };
            view! {
                <div class="notice" role="alert" id="send-result">
                    <p>{summary}</p>
                    <ul>
                        {o
                            .refused
                            .into_iter()
                            .map(|r| view! { <li><strong>{r.address}</strong>": "{r.reply}</li> })
                            .collect_view()}
                    </ul>
                    {o.sent.then(|| view! { <a href="/mail">{tr("Back to mail", "Torna alla posta")}</a> })}
                </div>
            }
        })
    }
}

/// Saves a changed message as a draft every few seconds while the page is open (in the
/// browser only), never while a save or a send is on its way.
#[cfg(feature = "hydrate")]
fn autosave(
    save: ServerAction<SaveDraft>,
    send: ServerAction<SendMessage>,
    current: impl Fn() -> ComposeForm + Clone + 'static,
) {
    let last = StoredValue::new(current());
    let tick = move || {
        if save.pending().get_untracked() || send.pending().get_untracked() {
            return;
        }
        let now = current();
        let mut seen = last.get_value();
        // The id changes with every save: compare what was typed.
        seen.draft.clone_from(&now.draft);
        if now != seen {
            last.set_value(now.clone());
            save.dispatch(SaveDraft { form: now });
        }
    };
    if let Ok(handle) =
        set_interval_with_handle(tick, std::time::Duration::from_secs(AUTOSAVE_SECONDS))
    {
        on_cleanup(move || handle.clear());
    }
}

#[cfg(not(feature = "hydrate"))]
fn autosave(
    _save: ServerAction<SaveDraft>,
    _send: ServerAction<SendMessage>,
    _current: impl Fn() -> ComposeForm + Clone + 'static,
) {
}

#[cfg(test)]
mod tests {
    use super::resigned;

    #[test]
    fn changing_the_sender_changes_the_signature_in_place() {
        let text = "Hi\n\n-- \nAda, Sales\n\n> quoted";
        assert_eq!(
            resigned(text, "Ada, Sales", "Ada, Support", false),
            "Hi\n\n-- \nAda, Support\n\n> quoted"
        );
        assert_eq!(resigned(text, "Ada, Sales", "", false), "Hi\n\n> quoted");
        // A reply without a signature is left as it is; a new message gets one.
        assert_eq!(resigned("Hi\n> q", "", "Ada", false), "Hi\n> q");
        assert_eq!(resigned("Hi\n", "", "Ada", true), "Hi\n\n-- \nAda");
    }
}
