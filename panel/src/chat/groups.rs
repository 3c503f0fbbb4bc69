// SPDX-License-Identifier: AGPL-3.0-only
//! Group conversations: each group alias of a domain (`vendite@`) is a conversation of its
//! member mailboxes. A message to it is kept once, under the group's address, and reaches
//! every member: their sessions now, or their next sign-in. Every node holds every group
//! and its members, from the panel at start and from the bus on each change.

use std::{collections::HashMap, sync::Arc};

use serde::{Deserialize, Serialize};

use super::{
    ChatMessage, SessionKey, domain_of,
    hub::{Delivery, GroupList, Hub, Inner, State},
};

/// A group conversation: a group alias and its member mailboxes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatGroup {
    /// The group alias's address, lowercase.
    pub address: String,
    /// What chat calls the group.
    pub name: String,
    /// The member mailboxes' addresses, sorted.
    pub members: Vec<String>,
    /// When the group alias was created: its conversation starts then.
    pub since: chrono::DateTime<chrono::Utc>,
}

impl ChatGroup {
    pub fn has_member(&self, address: &str) -> bool {
        self.members
            .binary_search_by(|m| m.as_str().cmp(address))
            .is_ok()
    }
}

/// Every group this node knows, by address.
pub(super) type Groups = HashMap<String, Arc<ChatGroup>>;

impl Hub {
    /// Sets a domain's groups on this node only: at start, before any session opens.
    pub fn load_groups(&self, domain: &str, groups: Vec<ChatGroup>) {
        let mut state = self.inner.lock();
        replace_domain(&mut state.groups, domain, groups);
    }

    /// A domain's groups changed: every node takes the new set and tells its sessions in
    /// that domain which groups they are now in.
    pub fn publish_groups(&self, domain: &str, groups: Vec<ChatGroup>) {
        self.inner.bus.publish(super::BusEvent::Groups {
            domain: domain.to_lowercase(),
            groups,
        });
    }

    /// The group with this address, if there is one.
    pub fn group(&self, address: &str) -> Option<Arc<ChatGroup>> {
        self.inner
            .lock()
            .groups
            .get(&address.to_lowercase())
            .cloned()
    }

    /// The groups `member` is in, by address.
    pub fn groups_of(&self, member: &str) -> Vec<Arc<ChatGroup>> {
        groups_of(&self.inner.lock(), &member.to_lowercase())
    }

    /// Whether `member` is in the group at `address`.
    pub fn in_group(&self, address: &str, member: &str) -> bool {
        self.group(address)
            .is_some_and(|g| g.has_member(&member.to_lowercase()))
    }
}

pub(super) fn groups_of(state: &State, member: &str) -> Vec<Arc<ChatGroup>> {
    let mut groups: Vec<Arc<ChatGroup>> = state
        .groups
        .values()
        .filter(|g| g.has_member(member))
        .cloned()
        .collect();
    groups.sort_by(|a, b| a.address.cmp(&b.address));
    groups
}

fn replace_domain(groups: &mut Groups, domain: &str, new: Vec<ChatGroup>) {
    groups.retain(|address, _| domain_of(address) != domain);
    for mut group in new {
        group.members.sort();
        group.members.dedup();
        groups.insert(group.address.clone(), Arc::new(group));
    }
}

impl Inner {
    /// A domain's groups changed (from the bus): the set follows, and each available
    /// session of the domain is told its groups.
    pub(super) fn groups_changed(&self, state: &mut State, domain: String, new: Vec<ChatGroup>) {
        replace_domain(&mut state.groups, &domain, new);
        let told: Vec<(u64, Delivery)> = state
            .local
            .iter()
            .filter(|(_, local)| local.available && domain_of(&local.address) == domain)
            .map(|(id, local)| {
                (
                    *id,
                    Delivery::Groups(Box::new(GroupList(groups_of(state, &local.address)))),
                )
            })
            .collect();
        for (id, delivery) in told {
            if let Some(local) = state.local.get(&id) {
                let _ = local.tx.try_send(delivery);
            }
        }
    }

    /// Delivers a message to a group: to every member's available sessions here (the
    /// sender's other sessions get it as sent). Sessions too slow to take it are listed.
    pub(super) fn group_message(
        &self,
        state: &State,
        group: &ChatGroup,
        message: &Arc<ChatMessage>,
        sender: SessionKey,
        slow: &mut Vec<u64>,
    ) {
        for (id, local) in &state.local {
            if !local.available || !group.has_member(&local.address) {
                continue;
            }
            let own = sender.node == self.node && sender.id == *id;
            let delivery = if local.address != message.from {
                Delivery::Message(message.clone())
            } else if !own {
                Delivery::Sent(message.clone())
            } else {
                continue;
            };
            if local.tx.try_send(delivery).is_err() {
                slow.push(*id);
            }
        }
    }
}

/// The members of `group` other than `sender` with no available session anywhere: they get
/// the message at their next sign-in.
pub(super) fn members_away(state: &State, group: &ChatGroup, sender: &str) -> Vec<String> {
    group
        .members
        .iter()
        .filter(|m| m.as_str() != sender)
        .filter(|m| state.present.get(*m).is_none_or(|s| s.is_empty()))
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(address: &str, members: &[&str]) -> ChatGroup {
        ChatGroup {
            since: chrono::Utc::now(),
            address: address.into(),
            name: address.into(),
            members: members.iter().map(|m| m.to_string()).collect(),
        }
    }

    #[test]
    fn a_domain_change_replaces_only_that_domains_groups() {
        let mut groups = Groups::new();
        replace_domain(
            &mut groups,
            "a.test",
            vec![group(
                "sales@a.test",
                &["bob@a.test", "ann@a.test", "bob@a.test"],
            )],
        );
        replace_domain(
            &mut groups,
            "b.test",
            vec![group("team@b.test", &["cy@b.test"])],
        );
        assert_eq!(groups["sales@a.test"].members, ["ann@a.test", "bob@a.test"]);
        assert!(groups["sales@a.test"].has_member("bob@a.test"));
        assert!(!groups["sales@a.test"].has_member("cy@b.test"));
        replace_domain(&mut groups, "a.test", Vec::new());
        assert!(!groups.contains_key("sales@a.test"));
        assert!(groups.contains_key("team@b.test"));
    }
}
