// SPDX-License-Identifier: AGPL-3.0-only
//! A domain's group aliases: list, create, delete, and their members.

use leptos::prelude::*;

use crate::{dto::GroupAliasRow, error::AppError};

/// The domain's group aliases with their members.
#[server(prefix = "/api", endpoint = "domain/groups")]
pub async fn groups(domain: String) -> Result<Vec<GroupAliasRow>, AppError> {
    use crate::api::context::{caller, port};
    port()?
        .domain(&caller().await?, &crate::ports::DomainName::parse(&domain)?)
        .await?
        .groups()
        .await
}

/// Creates a group alias of the domain with its first members.
#[server(prefix = "/api", endpoint = "domain/create_group")]
pub async fn create_group(
    domain: String,
    local_part: String,
    name: String,
    members: String,
) -> Result<(), AppError> {
    use crate::api::context::{caller, port};
    port()?
        .domain(&caller().await?, &crate::ports::DomainName::parse(&domain)?)
        .await?
        .create_group(&local_part, &name, &members)
        .await
}

/// Deletes a group alias.
#[server(prefix = "/api", endpoint = "domain/delete_group")]
pub async fn delete_group(domain: String, group: String) -> Result<(), AppError> {
    use crate::api::context::{caller, port};
    port()?
        .domain(&caller().await?, &crate::ports::DomainName::parse(&domain)?)
        .await?
        .delete_group(&group)
        .await
}

/// Adds one of the domain's mailboxes to a group alias.
#[server(prefix = "/api", endpoint = "domain/add_group_member")]
pub async fn add_group_member(
    domain: String,
    group: String,
    member: String,
) -> Result<(), AppError> {
    use crate::api::context::{caller, port};
    port()?
        .domain(&caller().await?, &crate::ports::DomainName::parse(&domain)?)
        .await?
        .add_group_member(&group, &member)
        .await
}

/// Removes a member from a group alias.
#[server(prefix = "/api", endpoint = "domain/remove_group_member")]
pub async fn remove_group_member(
    domain: String,
    group: String,
    member: String,
) -> Result<(), AppError> {
    use crate::api::context::{caller, port};
    port()?
        .domain(&caller().await?, &crate::ports::DomainName::parse(&domain)?)
        .await?
        .remove_group_member(&group, &member)
        .await
}
