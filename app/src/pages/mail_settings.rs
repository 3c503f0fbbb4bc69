// SPDX-License-Identifier: AGPL-3.0-only
//! `/mail/settings`: the name and signature of each address the mailbox sends from, how the
//! message list reads, and the senders whose remote images are always shown. Works without
//! JavaScript: each change is a form.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::{
    api::mail::{ForgetImages, SaveIdentity, SaveReading, mail_settings},
    components::{
        ErrorMessage, FieldError, FlashNotice, FormError, Guarded, action_error, field_error,
    },
    dto::{IdentityForm, ReadingForm, Role},
    i18n::tr,
};

const OWNERS: &[Role] = &[Role::User, Role::Postmaster];

#[component]
pub fn MailSettingsPage() -> impl IntoView {
    view! {
        <Title text=tr("Mail settings · Casella", "Impostazioni posta · Casella") />
        <Guarded roles=OWNERS>
            <Settings />
        </Guarded>
    }
}

#[component]
fn Settings() -> impl IntoView {
    let reading = ServerAction::<SaveReading>::new();
    let forget = ServerAction::<ForgetImages>::new();
    let settings = Resource::new(
        move || (reading.version().get(), forget.version().get()),
        |_| mail_settings(),
    );
    let saved = Signal::derive(move || {
        let done = |ok: bool, en, it| ok.then(|| tr(en, it).to_string());
        done(
            matches!(reading.value().get(), Some(Ok(()))),
            "Reading preferences saved.",
            "Preferenze di lettura salvate.",
        )
        .or_else(|| {
            done(
                matches!(forget.value().get(), Some(Ok(()))),
                "Images from that sender are hidden again.",
                "Le immagini di quel mittente sono di nuovo nascoste.",
            )
        })
    });
    view! {
        <section class="card settings-page">
            <p>
                <a href="/mail" id="back-to-mail">{tr("← Back to mail", "← Torna alla posta")}</a>
            </p>
            <h1>{tr("Mail settings", "Impostazioni posta")}</h1>
            <FlashNotice id="settings-notice" message=saved />
            <Transition fallback=|| view! { <p>{tr("Loading…", "Caricamento…")}</p> }>
                {move || Suspend::new(async move {
                    match settings.await {
                        Err(err) => view! { <ErrorMessage error=err /> }.into_any(),
                        Ok(view) => {
                            view! {
                                <h2>{tr("Names and signatures", "Nomi e firme")}</h2>
                                <p class="hint">
                                    {tr(
                                        "Each address you send from has its own name, as recipients see it, and its own signature, added when you start a message.",
                                        "Ogni indirizzo da cui scrivi ha il suo nome, come lo vedono i destinatari, e la sua firma, aggiunta quando inizi un messaggio.",
                                    )}
                                </p>
                                {view
                                    .identities
                                    .into_iter()
                                    .enumerate()
                                    .map(|(n, i)| view! { <Identity n identity=i /> })
                                    .collect_view()}
                                <Reading form=view.reading sizes=view.page_sizes action=reading />
                                <ImageSenders senders=view.image_senders action=forget />
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
fn Identity(n: usize, identity: IdentityForm) -> impl IntoView {
    // Each address has its own form and action, so an error shows under its own fields.
    let action = ServerAction::<SaveIdentity>::new();
    let error = action_error(action.value());
    let saved = move || {
        matches!(action.value().get(), Some(Ok(()))).then(|| {
            view! {
                <p class="notice" role="status">
                    {tr("Name and signature saved.", "Nome e firma salvati.")}
                </p>
            }
        })
    };
    let name_id = format!("identity-{n}-name");
    let signature_id = format!("identity-{n}-signature");
    view! {
        <ActionForm action attr:class="stack identity" attr:id=format!("identity-{n}")>
            <h3>{identity.email.clone()}</h3>
            {saved}
            <input type="hidden" name="identity[email]" value=identity.email.clone() />
            <label for=name_id.clone()>{tr("Name recipients see", "Nome visto dai destinatari")}</label>
            <input id=name_id name="identity[name]" maxlength="200" value=identity.name />
            <FieldError field="name" message=field_error(error, "name") />
            <label for=signature_id.clone()>{tr("Signature", "Firma")}</label>
            <textarea id=signature_id name="identity[signature]" rows="4" maxlength="4000">{crate::format::textarea(&identity.signature)}</textarea>
            <FieldError field="signature" message=field_error(error, "signature") />
            <FormError error />
            <div class="actions">
                <button type="submit">{tr("Save", "Salva")}</button>
            </div>
        </ActionForm>
    }
}

#[component]
fn Reading(form: ReadingForm, sizes: Vec<u64>, action: ServerAction<SaveReading>) -> impl IntoView {
    let error = action_error(action.value());
    view! {
        <ActionForm action attr:id="reading" attr:class="stack">
            <h2>{tr("Reading", "Lettura")}</h2>
            <label for="page-size">{tr("Messages per page", "Messaggi per pagina")}</label>
            <select id="page-size" name="reading[page_size]">
                {sizes
                    .into_iter()
                    .map(|n| {
                        view! {
                            <option value=n.to_string() selected=n == form.page_size>
                                {n.to_string()}
                            </option>
                        }
                    })
                    .collect_view()}
            </select>
            <FieldError field="page_size" message=field_error(error, "page_size") />
            <label class="check" for="conversations">
                <input
                    type="checkbox"
                    id="conversations"
                    name="reading[conversations]"
                    value="true"
                    checked=form.conversations
                />
                {tr(
                    "Group messages into conversations (one row per conversation, with its count)",
                    "Raggruppa i messaggi in conversazioni (una riga per conversazione, con il numero di messaggi)",
                )}
            </label>
            <FormError error />
            <div class="actions">
                <button type="submit" id="save-reading">{tr("Save", "Salva")}</button>
            </div>
        </ActionForm>
    }
}

#[component]
fn ImageSenders(senders: Vec<String>, action: ServerAction<ForgetImages>) -> impl IntoView {
    let error = action_error(action.value());
    let empty = senders.is_empty();
    view! {
        <h2>{tr("Images always shown", "Immagini sempre mostrate")}</h2>
        <p class="hint">
            {tr(
                "Remote images are hidden until you ask, so senders cannot tell when and where you read them. For these senders they are always shown, loaded through this server so your address stays private.",
                "Le immagini remote restano nascoste finché non le chiedi, così i mittenti non sanno quando e dove leggi. Per questi mittenti sono sempre mostrate, caricate tramite questo server così il tuo indirizzo resta riservato.",
            )}
        </p>
        {empty
            .then(|| {
                view! {
                    <p class="empty" id="no-image-senders">
                        {tr(
                            "None yet: choose “Always show images from this sender” under a message.",
                            "Nessuno: scegli “Mostra sempre le immagini di questo mittente” sotto un messaggio.",
                        )}
                    </p>
                }
            })}
        <ul class="rule-list" id="image-senders">
            {senders
                .into_iter()
                .map(|address| {
                    view! {
                        <li class="filter">
                            <span>{address.clone()}</span>
                            <ActionForm action attr:class="row-form">
                                <input type="hidden" name="address" value=address />
                                <button type="submit" class="link">{tr("Remove", "Rimuovi")}</button>
                            </ActionForm>
                        </li>
                    }
                })
                .collect_view()}
        </ul>
        <FormError error />
    }
}
