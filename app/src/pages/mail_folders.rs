// SPDX-License-Identifier: AGPL-3.0-only
//! `/folders`: the mailbox's folders, to create, rename and delete. Special folders (Inbox,
//! Drafts, Sent, Archive, Junk, Trash) are listed but kept as they are; a folder is deleted
//! only when empty, so nothing is lost by a slip. Works without JavaScript: each change is a
//! form.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::{
    api::mail::{CreateFolder, DeleteFolder, RenameFolder, list_folders},
    components::{ErrorMessage, FieldError, FormError, Guarded, action_error, field_error},
    dto::{MailFolder, Role},
    format::urlencode,
    i18n::tr,
    pages::mail::folder_label,
};

const OWNERS: &[Role] = &[Role::User, Role::Postmaster];

#[component]
pub fn MailFoldersPage() -> impl IntoView {
    view! {
        <Title text=tr("Folders · Casella", "Cartelle · Casella") />
        <Guarded roles=OWNERS>
            <Folders />
        </Guarded>
    }
}

#[component]
fn Folders() -> impl IntoView {
    let create = ServerAction::<CreateFolder>::new();
    let rename = ServerAction::<RenameFolder>::new();
    let delete = ServerAction::<DeleteFolder>::new();
    let folders = Resource::new(
        move || {
            (
                create.version().get(),
                rename.version().get(),
                delete.version().get(),
            )
        },
        |_| list_folders(),
    );
    let create_error = action_error(create.value());
    let rename_error = action_error(rename.value());
    let delete_error = action_error(delete.value());
    view! {
        <section class="card">
            <p>
                <a href="/mail" id="back-to-mail">{tr("← Back to mail", "← Torna alla posta")}</a>
            </p>
            <h1>{tr("Folders", "Cartelle")}</h1>
            <Transition fallback=|| view! { <p>{tr("Loading…", "Caricamento…")}</p> }>
                {move || Suspend::new(async move {
                    match folders.await {
                        Err(err) => view! { <ErrorMessage error=err /> }.into_any(),
                        Ok(all) => {
                            let parents = all.clone();
                            view! {
                                <ActionForm action=create attr:id="create-folder" attr:class="stack">
                                    <h2>{tr("New folder", "Nuova cartella")}</h2>
                                    <label for="folder-name">{tr("Name", "Nome")}</label>
                                    <input id="folder-name" name="name" maxlength="200" required />
                                    <FieldError field="name" message=field_error(create_error, "name") />
                                    <label for="folder-parent">{tr("Inside", "Dentro")}</label>
                                    <select id="folder-parent" name="parent">
                                        <option value="">{tr("(top level)", "(livello principale)")}</option>
                                        {parents
                                            .iter()
                                            .map(|f| view! { <option value=f.id.clone()>{folder_label(f)}</option> })
                                            .collect_view()}
                                    </select>
                                    <button type="submit">{tr("Create folder", "Crea cartella")}</button>
                                    <FormError error=create_error />
                                </ActionForm>
                                <h2>{tr("Your folders", "Le tue cartelle")}</h2>
                                <FormError error=rename_error />
                                <FieldError field="rename" message=field_error(rename_error, "name") />
                                <FormError error=delete_error />
                                <FieldError field="folder" message=field_error(delete_error, "folder") />
                                <ul class="folder-admin" id="folder-admin">
                                    {all
                                        .into_iter()
                                        .map(|f| view! { <FolderRow f rename delete /> })
                                        .collect_view()}
                                </ul>
                            }
                                .into_any()
                        }
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn FolderRow(
    f: MailFolder,
    rename: ServerAction<RenameFolder>,
    delete: ServerAction<DeleteFolder>,
) -> impl IntoView {
    let label = folder_label(&f);
    let counts = match f.total {
        1 => tr("1 message", "1 messaggio").to_string(),
        n => format!("{n} {}", tr("messages", "messaggi")),
    };
    // A class, not a style attribute: the content policy allows no inline style.
    let depth = format!("depth-{}", f.depth.min(6));
    let href = format!("/mail/{}", urlencode(&f.id));
    let special = !f.role.is_empty();
    let id = f.id.clone();
    view! {
        <li class=depth data-id=f.id>
            <a href=href class="name">{label.clone()}</a>
            " "
            <span class="hint">{counts}</span>
            {(!special)
                .then(|| {
                    let delete_id = id.clone();
                    let field = format!("rename-{id}");
                    view! {
                        <ActionForm action=rename attr:class="row-form rename">
                            <input type="hidden" name="id" value=id />
                            <label class="visually-hidden" for=field.clone()>
                                {tr("New name", "Nuovo nome")}
                            </label>
                            <input id=field name="name" value=label.clone() maxlength="200" required />
                            <button type="submit" class="secondary">{tr("Rename", "Rinomina")}</button>
                        </ActionForm>
                        <ActionForm action=delete attr:class="row-form delete">
                            <input type="hidden" name="id" value=delete_id />
                            <button type="submit" class="danger">{tr("Delete", "Elimina")}</button>
                        </ActionForm>
                    }
                })}
        </li>
    }
}
