// SPDX-License-Identifier: AGPL-3.0-only
//! The panel database schema, as one ordered set of sea-orm migrations that run unchanged on
//! SQLite (the embedded default) and PostgreSQL (the scale path).

pub use sea_orm_migration::prelude::*;

mod m20261122_000001_create_identities;
mod m20261122_000002_create_sessions;
mod m20261122_000003_create_administration;
mod m20261123_000004_mailbox_search;
mod m20261203_000005_intents_and_session_keys;
mod m20261203_000006_two_factor_and_app_passwords;
mod m20261203_000007_access_log;
mod m20261203_000008_message_trace;
mod m20261204_000009_mail_preferences;
mod m20261205_000010_chat;
mod m20261206_000011_chat_verifiers_and_blocks;
mod m20261207_000012_group_aliases;
mod m20261208_000013_time_machine;
mod m20261209_000014_archive;
mod m20261210_000015_delegates;
mod m20261211_000016_archive_folder_words;
mod m20261212_000017_archive_subject_terms;
mod m20261213_000018_archive_message_ids;
mod m20261214_000019_access_log_lookups;

/// Runs every migration in order.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261122_000001_create_identities::Migration),
            Box::new(m20261122_000002_create_sessions::Migration),
            Box::new(m20261122_000003_create_administration::Migration),
            Box::new(m20261123_000004_mailbox_search::Migration),
            Box::new(m20261203_000005_intents_and_session_keys::Migration),
            Box::new(m20261203_000006_two_factor_and_app_passwords::Migration),
            Box::new(m20261203_000007_access_log::Migration),
            Box::new(m20261203_000008_message_trace::Migration),
            Box::new(m20261204_000009_mail_preferences::Migration),
            Box::new(m20261205_000010_chat::Migration),
            Box::new(m20261206_000011_chat_verifiers_and_blocks::Migration),
            Box::new(m20261207_000012_group_aliases::Migration),
            Box::new(m20261208_000013_time_machine::Migration),
            Box::new(m20261209_000014_archive::Migration),
            Box::new(m20261210_000015_delegates::Migration),
            Box::new(m20261211_000016_archive_folder_words::Migration),
            Box::new(m20261212_000017_archive_subject_terms::Migration),
            Box::new(m20261213_000018_archive_message_ids::Migration),
            Box::new(m20261214_000019_access_log_lookups::Migration),
        ]
    }
}
