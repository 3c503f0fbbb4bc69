// SPDX-License-Identifier: AGPL-3.0-only
//! `/domains/:domain/groups`: the domain's group aliases. Each is one address (`vendite@`)
//! that delivers to several of the domain's mailboxes and, in the webmail's chat and in chat
//! clients, is a group conversation of them. Creating one, changing its members, deleting it.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::{
    api::domain::{AddGroupMember, CreateGroup, DeleteGroup, RemoveGroupMember, groups},
    components::{
        ErrorMessage, FieldError, FormError, Guarded, TextField, action_error, field_error,
        reset_on_success,
    },
    dto::{GroupAliasRow, Role},
    i18n::{in_lang, tr},
};

#[component]
pub fn DomainGroupsPage() -> impl IntoView {
    view! {
        <Title text=tr("Group aliases · Casella", "Alias di gruppo · Casella") />
        <Guarded roles=&[Role::Postmaster, Role::Manager]>
            <GroupsBody />
        </Guarded>
    }
}

/// The page's actions, shared by every group's forms.
#[derive(Clone, Copy)]
struct Actions {
    delete: ServerAction<DeleteGroup>,
    add: ServerAction<AddGroupMember>,
    remove: ServerAction<RemoveGroupMember>,
}

#[component]
fn GroupsBody() -> impl IntoView {
    let params = use_params_map();
    let domain = move || params.read().get("domain").unwrap_or_default();
    let create = ServerAction::<CreateGroup>::new();
    let actions = Actions {
        delete: ServerAction::new(),
        add: ServerAction::new(),
        remove: ServerAction::new(),
    };
    let created = create.value();
    let error = action_error(created);
    let [local_part_error, name_error, members_error] =
        ["local_part", "name", "members"].map(|f| field_error(error, f));
    let list = Resource::new(
        move || {
            (
                domain(),
                create.version().get(),
                actions.delete.version().get(),
                actions.add.version().get(),
                actions.remove.version().get(),
            )
        },
        |(domain, ..)| groups(domain),
    );
    let form = NodeRef::new();
    reset_on_success(created, form);
    let [add_error, remove_error, delete_error] = [
        action_error(actions.add.value()),
        action_error(actions.remove.value()),
        action_error(actions.delete.value()),
    ];
    let change_error = Signal::derive(move || {
        add_error
            .get()
            .or_else(|| remove_error.get())
            .or_else(|| delete_error.get())
    });
    let member_error = field_error(change_error, "member");
    view! {
        <p>
            <a href=move || format!("/domains/{}", domain())>{tr("← Domain overview", "← Riepilogo del dominio")}</a>
        </p>
        <h1>{tr("Group aliases of ", "Alias di gruppo di ")} {domain}</h1>
        <p class="hint">
            {tr("A group alias is one address that delivers to several mailboxes of the domain. In chat it is a group conversation of its members.", "Un alias di gruppo è un indirizzo che recapita a più caselle del dominio. In chat è una conversazione di gruppo dei suoi membri.")}
        </p>
        <Show when=move || matches!(created.get(), Some(Ok(())))>
            <p class="notice" role="status">{tr("Group alias created.", "Alias di gruppo creato.")}</p>
        </Show>
        <section class="card">
            <h2>{tr("New group alias", "Nuovo alias di gruppo")}</h2>
            <ActionForm action=create node_ref=form attr:class="grid-form" attr:id="create-group">
                <input type="hidden" name="domain" value=domain />
                <FormError error=error />
                <TextField
                    name="local_part"
                    label=tr("Address (before the @)", "Indirizzo (prima della @)")
                    error=local_part_error
                    required=true
                    placeholder=tr("sales", "vendite")
                />
                <TextField
                    name="name"
                    label=tr("Name shown in chat", "Nome mostrato in chat")
                    error=name_error
                    placeholder=tr("Sales team", "Ufficio vendite")
                />
                <TextField
                    name="members"
                    label=tr("Members", "Membri")
                    error=members_error
                    required=true
                    hint=tr("Mailboxes of the domain, by address or by the part before the @, separated by commas.", "Caselle del dominio, con l'indirizzo o con la parte prima della @, separate da virgole.")
                />
                <div class="actions">
                    <button type="submit">{tr("Create group alias", "Crea alias di gruppo")}</button>
                </div>
            </ActionForm>
        </section>
        <section class="card">
            <h2>{tr("Group aliases", "Alias di gruppo")}</h2>
            <div id="group-change-error" role="alert">
                <FormError error=change_error />
                <FieldError field="member" message=member_error />
            </div>
            <Transition fallback=|| view! { <p>{tr("Loading…", "Caricamento…")}</p> }>
                {move || Suspend::new(async move {
                    match list.await {
                        Ok(rows) if rows.is_empty() => {
                            view! {
                                <p id="no-groups">
                                    {tr("The domain has no group aliases yet.", "Il dominio non ha ancora alias di gruppo.")}
                                </p>
                            }
                                .into_any()
                        }
                        Ok(rows) => {
                            let domain = domain();
                            view! {
                                <ul class="groups" id="group-list">
                                    {rows
                                        .into_iter()
                                        .map(|row| view! { <GroupCard row domain=domain.clone() actions /> })
                                        .collect_view()}
                                </ul>
                            }
                                .into_any()
                        }
                        Err(err) => view! { <ErrorMessage error=err /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// One group alias: its members with a remove button each, a field to add one, and its
/// deletion behind a confirmation.
#[component]
fn GroupCard(row: GroupAliasRow, domain: String, actions: Actions) -> impl IntoView {
    let group = StoredValue::new(row.address.clone());
    let domain = StoredValue::new(domain);
    let count = row.members.len();
    let input_id = format!("member-{}", row.address.replace(['@', '.'], "-"));
    // A member added: the field is emptied (without JavaScript the page comes back fresh).
    let add_form = NodeRef::new();
    reset_on_success(actions.add.value(), add_form);
    view! {
        <li class="group" data-group=row.address.clone()>
            <h3>
                <span class="group-address">{row.address.clone()}</span>
                " · "
                <span class="group-name">{row.name.clone()}</span>
            </h3>
            <p class="hint">
                {in_lang(
                    format!("{count} {}", if count == 1 { "member" } else { "members" }),
                    format!("{count} {}", if count == 1 { "membro" } else { "membri" }),
                )}
            </p>
            <ul class="members">
                {row
                    .members
                    .into_iter()
                    .map(|member| {
                        let value = member.clone();
                        let label = in_lang(
                            format!("Remove {member} from {}", group.get_value()),
                            format!("Rimuovi {member} da {}", group.get_value()),
                        );
                        view! {
                            <li data-member=member.clone()>
                                <span class="member">{member.clone()}</span>
                                <ActionForm action=actions.remove attr:class="inline">
                                    <input type="hidden" name="domain" value=domain.get_value() />
                                    <input type="hidden" name="group" value=group.get_value() />
                                    <input type="hidden" name="member" value=value />
                                    <button
                                        type="submit"
                                        class="secondary"
                                        aria-label=label
                                    >
                                        {tr("Remove", "Rimuovi")}
                                    </button>
                                </ActionForm>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
            <ActionForm action=actions.add node_ref=add_form attr:class="inline-form add-member">
                <input type="hidden" name="domain" value=domain.get_value() />
                <input type="hidden" name="group" value=group.get_value() />
                <label for=input_id.clone()>{tr("Add a member", "Aggiungi un membro")}</label>
                <div class="input-suffix">
                    <input id=input_id name="member" type="text" autocomplete="off" required />
                    <span class="suffix">"@" {domain.get_value()}</span>
                </div>
                <button type="submit">{tr("Add", "Aggiungi")}</button>
            </ActionForm>
            <details class="danger">
                <summary>{tr("Delete this group alias…", "Elimina questo alias di gruppo…")}</summary>
                <p>
                    {tr("Mail to the address is refused from then on and the group conversation ends. The members' mailboxes are not touched.", "Da quel momento la posta all'indirizzo viene rifiutata e la conversazione di gruppo termina. Le caselle dei membri non vengono toccate.")}
                </p>
                <ActionForm action=actions.delete attr:class="inline">
                    <input type="hidden" name="domain" value=domain.get_value() />
                    <input type="hidden" name="group" value=group.get_value() />
                    <button type="submit" class="danger">
                        {in_lang(
                            format!("Delete {}", group.get_value()),
                            format!("Elimina {}", group.get_value()),
                        )}
                    </button>
                </ActionForm>
            </details>
        </li>
    }
}
