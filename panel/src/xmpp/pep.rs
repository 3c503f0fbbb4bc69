// SPDX-License-Identifier: AGPL-3.0-only
//! Personal eventing for chat clients (XEP-0163), as avatars (XEP-0084) and nicknames use
//! it: a client publishes an item to a node of its own account, reads its colleagues' (and
//! its own), and is told when one changes; coming online, it is told its colleagues'
//! avatars and nicknames. Publish options choose who may read: colleagues (`presence`, the
//! default) or the owner alone (`whitelist`).

use xmpp_parsers::{
    jid::{BareJid, Jid},
    message::{Message, MessageType},
    minidom::Element,
    ns,
    stanza_error::{DefinedCondition as StanzaCondition, StanzaError},
};

use crate::chat::{PepError, PepItem};

use super::{session::Connected, stream::stanza_error};

const NS_PUBSUB_EVENT: &str = "http://jabber.org/protocol/pubsub#event";
/// The nodes a client coming online is told about, from each colleague.
pub(super) const ON_ARRIVAL: [&str; 2] = [
    "urn:xmpp:avatar:metadata",
    "http://jabber.org/protocol/nick",
];
/// The longest node name kept.
const MAX_NODE: usize = 256;

/// What the account says of its personal eventing service (XEP-0163 §4).
pub(super) const FEATURES: [&str; 5] = [
    "http://jabber.org/protocol/pubsub#publish",
    "http://jabber.org/protocol/pubsub#retrieve-items",
    "http://jabber.org/protocol/pubsub#publish-options",
    "http://jabber.org/protocol/pubsub#retract-items",
    "http://jabber.org/protocol/pubsub#access-whitelist",
];

fn xml(element: &Element) -> Option<String> {
    let mut out = Vec::new();
    element.write_to(&mut out).ok()?;
    String::from_utf8(out).ok()
}

/// The `<item/>` of a kept item, its payload parsed back (it was serialised from a parsed
/// element).
fn item_element(item: &PepItem, ns: &str) -> Element {
    let mut builder =
        Element::builder("item", ns).attr(rxml::xml_ncname!("id").to_owned(), item.id.as_str());
    if let Ok(payload) = item.payload.parse::<Element>() {
        builder = builder.append(payload);
    }
    builder.build()
}

impl Connected {
    /// A PubSub request to the user's own account (publish, retract, items) or to a
    /// colleague's (items).
    pub(super) async fn pep(
        &self,
        payload: &Element,
        set: bool,
        owner: &str,
    ) -> Result<Option<Element>, StanzaError> {
        let own = owner == self.user.address;
        let verb = payload.children().find(|c| c.name() != "publish-options");
        let Some(verb) = verb else {
            return Err(stanza_error(StanzaCondition::BadRequest, "Say what to do."));
        };
        let node = verb
            .attr("node")
            .filter(|n| !n.is_empty() && n.len() <= MAX_NODE)
            .map(str::to_string)
            .ok_or_else(|| stanza_error(StanzaCondition::BadRequest, "Name the node."))?;
        let hub = self.service.services.chat();
        match (verb.name(), set) {
            ("publish", true) if own => {
                let item = verb.get_child("item", ns::PUBSUB);
                let id = item
                    .and_then(|i| i.attr("id"))
                    .filter(|id| !id.is_empty() && id.len() <= MAX_NODE)
                    .unwrap_or("current")
                    .to_string();
                let Some(body) = item.and_then(|i| i.children().next()) else {
                    return Err(stanza_error(
                        StanzaCondition::BadRequest,
                        "An item needs a payload.",
                    ));
                };
                let data = xml(body).ok_or_else(|| {
                    stanza_error(StanzaCondition::BadRequest, "The item could not be kept.")
                })?;
                let kept = PepItem {
                    owner: self.user.address.clone(),
                    node: node.clone(),
                    id: id.clone(),
                    payload: data,
                    open: access_open(access_model(payload)),
                };
                match hub.publish_item(kept).await {
                    Ok(()) => Ok(Some(
                        Element::builder("pubsub", ns::PUBSUB)
                            .append(
                                Element::builder("publish", ns::PUBSUB)
                                    .attr(rxml::xml_ncname!("node").to_owned(), node.as_str())
                                    .append(
                                        Element::builder("item", ns::PUBSUB)
                                            .attr(rxml::xml_ncname!("id").to_owned(), id.as_str()),
                                    ),
                            )
                            .build(),
                    )),
                    Err(PepError::TooLarge) => Err(stanza_error(
                        StanzaCondition::NotAcceptable,
                        "The item is larger than allowed.",
                    )),
                    Err(PepError::TooManyNodes) => Err(stanza_error(
                        StanzaCondition::PolicyViolation,
                        "Too many nodes on this account.",
                    )),
                    Err(err) => {
                        tracing::warn!(%err, "a published item was not kept");
                        Err(stanza_error(
                            StanzaCondition::InternalServerError,
                            "Try again later.",
                        ))
                    }
                }
            }
            ("retract", true) if own => match hub.retract_item(owner, &node).await {
                Ok(true) => Ok(None),
                Ok(false) => Err(stanza_error(StanzaCondition::ItemNotFound, "No such item.")),
                Err(err) => {
                    tracing::warn!(%err, "an item was not retracted");
                    Err(stanza_error(
                        StanzaCondition::InternalServerError,
                        "Try again later.",
                    ))
                }
            },
            ("items", false) => match hub.read_item(&self.user.address, owner, &node).await {
                // Asked for items by id: only the current one is kept.
                Ok(Some(item))
                    if verb.children().any(|c| c.is("item", ns::PUBSUB))
                        && !verb.children().any(|c| {
                            c.is("item", ns::PUBSUB) && c.attr("id") == Some(&item.id)
                        }) =>
                {
                    Err(stanza_error(StanzaCondition::ItemNotFound, "No such item."))
                }
                Ok(Some(item)) => Ok(Some(
                    Element::builder("pubsub", ns::PUBSUB)
                        .append(
                            Element::builder("items", ns::PUBSUB)
                                .attr(rxml::xml_ncname!("node").to_owned(), node.as_str())
                                .append(item_element(&item, ns::PUBSUB)),
                        )
                        .build(),
                )),
                Ok(None) => Err(stanza_error(StanzaCondition::ItemNotFound, "No such node.")),
                Err(err) => {
                    tracing::warn!(%err, "an item was not read");
                    Err(stanza_error(
                        StanzaCondition::InternalServerError,
                        "Try again later.",
                    ))
                }
            },
            (_, true) if !own => Err(stanza_error(
                StanzaCondition::Forbidden,
                "Only the account's owner publishes to it.",
            )),
            _ => Err(stanza_error(
                StanzaCondition::FeatureNotImplemented,
                "Only publish, retract and items are served.",
            )),
        }
    }

    /// An item published by the user or a colleague, as the event that tells of it.
    pub(super) fn pep_event(&self, item: &PepItem) -> Option<Message> {
        let from = BareJid::new(&item.owner).ok()?;
        let mut message = Message::new(Some(Jid::from(self.jid.clone())));
        message.type_ = MessageType::Headline;
        message.from = Some(Jid::from(from));
        message.payloads.push(
            Element::builder("event", NS_PUBSUB_EVENT)
                .append(
                    Element::builder("items", NS_PUBSUB_EVENT)
                        .attr(rxml::xml_ncname!("node").to_owned(), item.node.as_str())
                        .append(item_element(item, NS_PUBSUB_EVENT)),
                )
                .build(),
        );
        Some(message)
    }

    /// The colleagues' avatars and nicknames, told to a client coming online.
    pub(super) async fn arrival_items(&self) -> Vec<Message> {
        let hub = self.service.services.chat();
        match hub.colleagues_items(&self.user.address, &ON_ARRIVAL).await {
            Ok(items) => items.iter().filter_map(|i| self.pep_event(i)).collect(),
            Err(err) => {
                tracing::warn!(%err, "colleagues' published items not read");
                Vec::new()
            }
        }
    }
}

/// Whether the publish options let colleagues read the item: only an access model other
/// than `presence` or `open` keeps it to the owner.
fn access_open(model: Option<String>) -> bool {
    model.is_none_or(|m| m == "presence" || m == "open" || m == "roster")
}

/// The access model a `<publish-options/>` form asks for, if any.
pub(super) fn access_model(pubsub: &Element) -> Option<String> {
    let form = pubsub
        .get_child("publish-options", ns::PUBSUB)?
        .get_child("x", ns::DATA_FORMS)?;
    form.children()
        .find(|f| f.attr("var") == Some("pubsub#access_model"))?
        .get_child("value", ns::DATA_FORMS)
        .map(|v| v.text())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_closed_access_model_keeps_an_item_to_its_owner() {
        let pubsub: Element = "<pubsub xmlns='http://jabber.org/protocol/pubsub'>\
            <publish node='n'><item><x xmlns='urn:example'/></item></publish>\
            <publish-options><x xmlns='jabber:x:data' type='submit'>\
            <field var='FORM_TYPE'><value>http://jabber.org/protocol/pubsub#publish-options</value></field>\
            <field var='pubsub#access_model'><value>whitelist</value></field>\
            </x></publish-options></pubsub>"
            .parse()
            .unwrap();
        assert_eq!(access_model(&pubsub).as_deref(), Some("whitelist"));
        assert!(!access_open(access_model(&pubsub)));
        assert!(access_open(None));
        assert!(access_open(Some("presence".into())));
    }

    #[test]
    fn an_item_survives_being_kept() {
        let payload: Element = "<nick xmlns='http://jabber.org/protocol/nick'>Anna &amp; co</nick>"
            .parse()
            .unwrap();
        let item = PepItem {
            owner: "anna@chat.test".into(),
            node: "http://jabber.org/protocol/nick".into(),
            id: "current".into(),
            payload: xml(&payload).unwrap(),
            open: true,
        };
        let back = item_element(&item, ns::PUBSUB);
        assert_eq!(back.children().next(), Some(&payload));
    }
}
