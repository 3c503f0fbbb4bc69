// SPDX-License-Identifier: AGPL-3.0-only
//! What the server says of itself and of an account (XEP-0030), and its entity capabilities
//! (XEP-0115): the features a client may use, and the largest file it may share (XEP-0363).

use xmpp_parsers::{
    disco::{DiscoInfoResult, DiscoItemsResult, Identity, Item as DiscoItem},
    jid::Jid,
    minidom::Element,
    ns,
    stanza_error::{DefinedCondition as StanzaCondition, StanzaError},
};

use super::stream::stanza_error;

/// A disco query to the server (`to_server`) or to the user's own account.
// The iq handlers' common answer type: a stanza error is sent as it is, not kept.
#[allow(clippy::result_large_err)]
pub(super) fn answer(
    payload: &Element,
    to_server: bool,
    domain: &str,
    max_upload: u64,
) -> Result<Option<Element>, StanzaError> {
    if payload.is("query", ns::DISCO_ITEMS) {
        // The server's one component: its group chat service (XEP-0045 §6.1).
        let items = if to_server {
            Jid::new(&super::muc::service_of(domain))
                .ok()
                .map(|jid| DiscoItem {
                    jid,
                    node: None,
                    name: Some("Group chats".into()),
                })
                .into_iter()
                .collect()
        } else {
            Vec::new()
        };
        return Ok(Some(Element::from(DiscoItemsResult {
            node: None,
            items,
            rsm: None,
        })));
    }
    if !to_server {
        return Ok(Some(Element::from(DiscoInfoResult {
            node: None,
            identities: vec![
                Identity::new_anonymous::<_, _, String, String>("account", "registered"),
                Identity::new_anonymous::<_, _, String, String>("pubsub", "pep"),
            ],
            // Personal eventing (XEP-0163), through which the bookmarks the server keeps are
            // served too (XEP-0402 §3).
            features: [ns::DISCO_INFO, ns::MAM, ns::BOOKMARKS2_COMPAT]
                .into_iter()
                .chain(super::pep::FEATURES)
                .map(str::to_string)
                .collect(),
            extensions: Vec::new(),
        })));
    }
    // Asked plainly, or by the node of the server's caps, which the answer names again.
    match payload.attr("node").map(str::to_string) {
        None => Ok(Some(Element::from(server_info(max_upload)))),
        Some(node) if Some(node.as_str()) == caps_node(max_upload).as_deref() => {
            Ok(Some(Element::from(DiscoInfoResult {
                node: Some(node),
                ..server_info(max_upload)
            })))
        }
        Some(_) => Err(stanza_error(StanzaCondition::ItemNotFound, "No such node.")),
    }
}

/// The node of the server's entity capabilities (XEP-0115).
const CAPS_NODE: &str = "urn:casella:xmpp";

/// The server's entity capabilities, for its stream features: a hash of what disco says.
pub(super) fn server_caps(max_upload: u64) -> Option<Element> {
    let data = xmpp_parsers::caps::compute_disco(&server_info(max_upload));
    let hash = xmpp_parsers::caps::hash_caps(&data, xmpp_parsers::hashes::Algo::Sha_1).ok()?;
    Some(Element::from(xmpp_parsers::caps::Caps::new(
        CAPS_NODE, hash,
    )))
}

/// `node#ver` of the server's caps, which a client may ask disco about.
fn caps_node(max_upload: u64) -> Option<String> {
    let caps = server_caps(max_upload)?;
    Some(format!("{CAPS_NODE}#{}", caps.attr("ver")?))
}

/// What the server says of itself (XEP-0030), with the largest file a client may share
/// (XEP-0363 §2).
fn server_info(max_upload: u64) -> DiscoInfoResult {
    DiscoInfoResult {
        node: None,
        identities: vec![Identity::new("server", "im", "en", "Casella")],
        features: [
            ns::DISCO_INFO,
            ns::DISCO_ITEMS,
            ns::ROSTER,
            ns::PING,
            ns::DELAY,
            ns::SID,
            ns::CARBONS,
            ns::MAM,
            ns::VCARD,
            ns::CHATSTATES,
            ns::RECEIPTS,
            ns::DISPLAYED_MARKERS,
            ns::BLOCKING,
            ns::HTTP_UPLOAD,
        ]
        .into_iter()
        .map(str::to_string)
        .collect(),
        extensions: vec![xmpp_parsers::data_forms::DataForm::new(
            xmpp_parsers::data_forms::DataFormType::Result_,
            ns::HTTP_UPLOAD,
            vec![xmpp_parsers::data_forms::Field::text_single(
                "max-file-size",
                &max_upload.to_string(),
            )],
        )],
    }
}
