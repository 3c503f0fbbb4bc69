// SPDX-License-Identifier: AGPL-3.0-only
//! `panel`: Casella's server side: configuration, boot and shutdown, the web router, sessions,
//! the services (business rules and role checks) and the panel database.

pub mod branding;
pub mod chat;
pub mod client_config;
pub mod config;
pub mod content_store;
pub mod costs;
pub mod db;
pub mod demo;
pub mod http;
pub mod image_proxy;
pub mod journal;
pub mod mail_html;
pub mod notify;
pub mod ports;
pub mod qr;
pub mod reconcile;
pub mod services;
pub mod sessions;
pub mod startup;
pub mod xmpp;
