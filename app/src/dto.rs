// SPDX-License-Identifier: AGPL-3.0-only
//! Plain data that crosses the wire between server functions and pages. Nothing here holds a
//! password hash or any other stored secret.

use serde::{Deserialize, Serialize};

mod archive;
mod delegates;
mod time_machine;
pub use archive::*;
pub use delegates::*;
pub use time_machine::*;

/// What a signed-in person is in the panel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Role {
    Operator,
    Manager,
    /// A person a manager lets read some archives.
    Delegate,
    Postmaster,
    User,
}

/// The signed-in person, as pages see them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Me {
    pub login: String,
    pub display_name: String,
    pub role: Role,
    /// The domain a postmaster or user belongs to.
    pub domain: Option<String>,
    /// The domains this person administers (a manager's, or a postmaster's own).
    pub domains: Vec<String>,
    /// The password given with the account must be changed before anything else.
    pub must_change_password: bool,
    /// Two-factor sign-in is required and must be turned on before anything else.
    #[serde(default)]
    pub must_enrol_two_factor: bool,
}

impl Me {
    /// The page this person lands on after signing in.
    pub fn home(&self) -> String {
        if self.must_change_password {
            return "/password".into();
        }
        if self.must_enrol_two_factor {
            return "/account/security".into();
        }
        match self.role {
            Role::Operator => "/operator/domains".into(),
            Role::Manager => match self.domains.first() {
                Some(domain) => format!("/domains/{domain}"),
                None => "/domains".into(),
            },
            Role::Postmaster => match &self.domain {
                Some(domain) => format!("/domains/{domain}/mailboxes"),
                None => "/".into(),
            },
            Role::Delegate => "/archive".into(),
            // A mailbox user lands in the webmail.
            Role::User => "/mail".into(),
        }
    }
}

/// A row of the operator's domain list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DomainRow {
    pub name: String,
    pub customer: Option<String>,
    pub manager: Option<String>,
    pub mailboxes: u64,
    pub created_at: String,
}

/// A plan with its monthly prices in cents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanRow {
    pub id: i32,
    pub name: String,
    pub mailbox_type: String,
    pub included_mailboxes: i32,
    pub price_extra_mailbox: i64,
    /// 25, 50 and 100 GB.
    pub price_quota: [i64; 3],
    /// The three paid send tiers.
    pub price_send: [i64; 3],
    pub price_archive: i64,
}

/// A customer, as the operator's list shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerRow {
    pub id: i32,
    pub company_name: String,
    pub legal_email: String,
    pub plan: String,
    pub extra_slots: i32,
}

/// A manager with its domains.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManagerRow {
    pub login: String,
    pub display_name: String,
    pub email: String,
    pub domains: Vec<String>,
}

/// One customer's line of the monitor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MonitorRow {
    pub company_name: String,
    pub plan: String,
    pub created: u64,
    pub included: u64,
    pub capacity: u64,
    /// Mailboxes on 25, 50 and 100 GB.
    pub quota_upgrades: [u64; 3],
    /// Mailboxes on the three paid send tiers.
    pub send_upgrades: [u64; 3],
    pub archives: u64,
    /// Monthly cost in cents.
    pub monthly_cents: i64,
}

/// A domain's state (seed 004, "Gestione Posta Elettronica").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DomainOverview {
    pub name: String,
    pub service_active: bool,
    pub mailbox_type: Option<String>,
    pub created: u64,
    /// Mailboxes still available; `None` when the domain has no plan.
    pub available: Option<u64>,
    pub chat_enabled: bool,
    /// Whether the viewer is the domain's manager (and may use manager-only tools).
    pub managed: bool,
    pub brand_name: Option<String>,
    pub has_logo: bool,
    /// The send tiers a manager may choose from.
    pub send_tiers: Vec<u32>,
    /// Every user of the domain must sign in with a second factor.
    #[serde(default)]
    pub require_two_factor: bool,
}

/// IMAP, POP3 and SMTP switches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProtocolSwitches {
    pub imap: bool,
    pub pop3: bool,
    pub smtp: bool,
}

/// A row of a domain's mailbox list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailboxRow {
    pub address: String,
    pub first_name: String,
    pub last_name: String,
    pub is_postmaster: bool,
    pub quota_bytes: u64,
    pub used_bytes: u64,
    pub last_login: Option<String>,
    pub external_24h: u64,
    pub protocols: ProtocolSwitches,
    pub chat: bool,
    pub two_factor: bool,
    pub send_tier: u32,
}

/// One page of a domain's mailbox list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailboxPage {
    pub rows: Vec<MailboxRow>,
    pub total: u64,
    pub page: u64,
    pub page_size: u64,
}

/// A group alias: an address of the domain that delivers to several of its mailboxes, and
/// a group conversation of them in chat.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupAliasRow {
    pub address: String,
    /// What chat calls the group.
    pub name: String,
    /// The member mailboxes, sorted.
    pub members: Vec<String>,
}

/// A mailbox with everything its page shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailboxDetail {
    pub row: MailboxRow,
    pub domain: String,
    pub aliases: Vec<String>,
    /// Whether the viewer is the domain's manager.
    pub managed: bool,
    pub send_tiers: Vec<u32>,
    /// The quota tiers in bytes.
    pub quota_tiers: Vec<u64>,
    /// Its archive, if it ever had one.
    pub archive: Option<MailboxArchive>,
}

/// A mailbox's archive as its page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailboxArchive {
    /// Capturing now (off keeps what is stored until its retention ends).
    pub active: bool,
    pub retention_years: u32,
    /// When it was first switched on (RFC 3339, UTC).
    pub started_at: String,
    pub messages: u64,
    /// The mailbox's folders an import can copy (for the manager, while it is on).
    pub folders: Vec<ArchiveFolder>,
    /// The latest import of existing mail.
    pub import: Option<ArchiveImport>,
}

/// A folder the archive's import can copy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArchiveFolder {
    pub id: String,
    pub name: String,
    /// inbox, sent, archive, junk, trash; empty for the user's own folders.
    pub role: String,
    pub messages: u64,
}

/// The copy of a mailbox's existing mail into its archive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArchiveImport {
    /// `running`, `done` or `failed`.
    pub state: String,
    pub total: u32,
    pub done: u32,
    /// Messages that were not in the archive yet.
    pub added: u32,
    pub error: String,
}

/// An entry of the audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRow {
    pub at: String,
    pub actor: String,
    pub actor_role: String,
    pub ip: String,
    pub action: String,
    pub domain: Option<String>,
    pub target: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// One page of the audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditPage {
    pub rows: Vec<AuditRow>,
    pub total: u64,
    pub page: u64,
    pub page_size: u64,
}

/// A login and its password, shown exactly once after it was generated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OneTimeCredentials {
    pub login: String,
    pub password: String,
}

/// How a mail client reaches the server, for the account page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientSettings {
    pub server: MailServer,
    /// The user name mail clients sign in with.
    pub address: String,
    /// Apple configuration profiles, for IMAP and for POP3.
    pub profiles: Vec<ProfileLink>,
}

/// Where mail clients connect: the host and the client ports (never the MX port).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailServer {
    pub hostname: String,
    pub imaps_port: u16,
    pub imap_port: u16,
    pub pop3s_port: u16,
    pub pop3_port: u16,
    pub submissions_port: u16,
    pub submission_port: u16,
}

/// An Apple configuration profile of the mailbox: a download for this browser, and a link
/// (with its QR code) that opens it on a phone for a few minutes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileLink {
    /// "imap" or "pop3".
    pub protocol: String,
    /// Path of the download for the signed-in browser.
    pub download: String,
    /// The link the QR code holds.
    pub phone_url: String,
    /// The QR code, as a `data:` URL.
    pub qr: String,
}

/// A domain's webmail branding, public (the login page shows it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Branding {
    pub domain: String,
    pub company_name: Option<String>,
    /// Where the logo is served, if there is one.
    pub logo_url: Option<String>,
}

/// The signed-in identity's two-factor sign-in, for its security page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TwoFactorView {
    pub enabled: bool,
    /// When it was turned on.
    pub enabled_at: Option<String>,
    /// Whether the domain (or, for staff, the provider) requires it.
    pub required: bool,
    /// Recovery codes not used yet.
    pub recovery_left: u32,
    /// The secret being enrolled, until a code confirms it.
    pub enrolment: Option<TotpEnrolment>,
    /// Whether the identity is a mailbox (whose mail clients then need app passwords).
    pub mailbox: bool,
}

/// A TOTP secret offered for enrolment: a QR code to scan, or the secret to type.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TotpEnrolment {
    /// The secret in base32, in groups of four, for typing into an authenticator.
    pub secret: String,
    /// The `otpauth://` URL as an SVG QR code, in a `data:` URL.
    pub qr: String,
    /// The issuer and account the authenticator will show.
    pub label: String,
}

impl std::fmt::Debug for TotpEnrolment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TotpEnrolment")
            .field("label", &self.label)
            .finish_non_exhaustive()
    }
}

/// Recovery codes, shown once.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecoveryCodes {
    pub codes: Vec<String>,
}

impl std::fmt::Debug for RecoveryCodes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RecoveryCodes({})", self.codes.len())
    }
}

/// A mail-client password, as its list shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppPasswordRow {
    pub name: String,
    /// When it was created; unknown for one the panel has no record of.
    pub created_at: Option<String>,
}

/// The mailbox's mail-client access, for its own settings page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientAccess {
    pub protocols: ProtocolSwitches,
    pub app_passwords: Vec<AppPasswordRow>,
    /// Whether two-factor sign-in is on (mail clients then need app passwords).
    pub two_factor: bool,
}

/// A secret shown exactly once: a new app password, or recovery codes.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ShownOnce {
    AppPassword { name: String, password: String },
    RecoveryCodes(RecoveryCodes),
}

impl std::fmt::Debug for ShownOnce {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ShownOnce::AppPassword { name, .. } => write!(f, "AppPassword({name}, ..)"),
            ShownOnce::RecoveryCodes(codes) => write!(f, "{codes:?}"),
        }
    }
}

/// A record a domain must publish, and what the check found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DnsRow {
    /// MX, TXT, CNAME or SRV.
    pub kind: String,
    pub name: String,
    pub value: String,
    /// What it is for (a short code: mx, spf, dkim, dmarc, autoconfig, autodiscover, imap,
    /// pop3, submission, xmpp).
    pub purpose: String,
    /// The check's finding; `None` until a check ran.
    pub status: Option<DnsStatus>,
}

/// What the DNS check found for a record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum DnsStatus {
    Found,
    Missing,
    /// Something else is published there.
    Different(Vec<String>),
    /// The resolver did not answer.
    Unknown(String),
}

/// A sign-in, as the access log shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessRow {
    pub at: String,
    pub login: String,
    /// web, imap, pop3, smtp, sieve.
    pub protocol: String,
    /// ok, wrong-password, missing-code, wrong-code, protocol-disabled, banned.
    pub result: String,
    pub ip: String,
}

/// One page of the access log, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessPage {
    pub rows: Vec<AccessRow>,
    /// Where the next (older) page starts, if there is one.
    pub older: Option<i64>,
    /// How many days the log keeps its rows.
    pub kept_days: u32,
}

/// One recipient of one message, as the domain's message trace shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceRow {
    /// When the message was taken (UTC).
    pub at: String,
    /// When its status last changed (UTC).
    pub updated: String,
    /// in, out, internal.
    pub direction: String,
    pub sender: String,
    pub recipient: String,
    /// Without brackets; empty when unknown.
    pub message_id: String,
    /// The engine's queue id (hex); empty for a refused recipient.
    pub queue_id: String,
    /// Bytes, when known.
    pub size: Option<i64>,
    /// accepted, deferred, delivered, bounced, rejected.
    pub status: String,
    /// The reason, or the receiving server's reply.
    pub detail: String,
    pub remote_host: String,
    /// The client that handed the message over.
    pub remote_ip: String,
}

/// One page of the message trace, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TracePage {
    pub rows: Vec<TraceRow>,
    /// Where the next (older) page starts, if there is one.
    pub older: Option<i64>,
    /// How many days the trace keeps its rows.
    pub kept_days: u32,
}

/// The message trace's filters, as typed; empty fields filter nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TraceQuery {
    /// A sender's or a recipient's whole address.
    pub address: String,
    pub status: String,
    /// First day, `YYYY-MM-DD`.
    pub from: String,
    /// Last day, `YYYY-MM-DD`.
    pub to: String,
    /// The page: rows older than this one.
    pub before: Option<i64>,
}

/// The access log's filters, as typed; empty fields filter nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AccessQuery {
    pub account: String,
    pub protocol: String,
    pub result: String,
    /// First day, `YYYY-MM-DD`.
    pub from: String,
    /// Last day, `YYYY-MM-DD`.
    pub to: String,
    /// The page: rows older than this one.
    pub before: Option<i64>,
}

/// A folder of the signed-in mailbox, as the webmail lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailFolder {
    pub id: String,
    /// The folder's own name; a special folder is shown by its role instead.
    pub name: String,
    /// inbox, drafts, sent, archive, junk, trash; empty for the user's own folders.
    pub role: String,
    /// How deep it sits under other folders (0 at the top).
    pub depth: u32,
    pub total: u64,
    pub unread: u64,
}

/// One message in a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageRow {
    pub id: String,
    /// The sender's name, or the address when there is no name.
    pub from: String,
    pub from_address: String,
    pub subject: String,
    pub preview: String,
    /// When it arrived (RFC 3339, UTC).
    pub received_at: String,
    pub size: u64,
    pub has_attachment: bool,
    pub seen: bool,
    pub flagged: bool,
    pub answered: bool,
    /// Messages in its conversation, when the list groups conversations (0 otherwise).
    #[serde(default)]
    pub thread_size: u32,
}

/// A page of a folder, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageList {
    pub folder: MailFolder,
    pub rows: Vec<MessageRow>,
    /// Messages in the folder, all pages together.
    pub total: u64,
    /// This page (from 0) and the number of pages.
    pub page: u64,
    pub pages: u64,
    /// The search these are the results of; empty for the folder's own list.
    pub query: String,
}

/// An attachment of a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailAttachment {
    pub blob_id: String,
    pub name: String,
    pub media_type: String,
    pub size: u64,
}

/// A message opened for reading.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailMessage {
    pub row: MessageRow,
    /// The folders it is in (ids).
    pub folders: Vec<String>,
    /// Recipients, as `Name <address>` or the bare address.
    pub to: Vec<String>,
    pub cc: Vec<String>,
    pub reply_to: Vec<String>,
    /// Its Date header (RFC 3339), when it has one.
    pub sent_at: String,
    pub message_id: String,
    /// The plain-text body, when the message has one.
    pub text: Option<String>,
    /// The message has an HTML body.
    pub has_html: bool,
    /// Remote images its HTML holds, held back until the reader asks for them.
    pub remote_images: u32,
    /// A body was longer than what is shown.
    pub truncated: bool,
    pub attachments: Vec<MailAttachment>,
    /// The reader always shows this sender's remote images (through the image proxy).
    pub images_always: bool,
    /// Its conversation, oldest first, this message included; empty when it stands alone.
    pub conversation: Vec<MessageRow>,
}

/// A message's part (an attachment or an inline image) or the whole message, for download.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailPart {
    /// A file name for it (never empty).
    pub name: String,
    /// Its media type as the message gives it (`type/subtype`, lowercase).
    pub media_type: String,
    pub data: Vec<u8>,
}

/// A message being written, as the compose form holds it. Recipients are as typed
/// (`Name <address>, address; …`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ComposeForm {
    /// The draft this is a later version of (its id), if it was saved before.
    pub draft: String,
    pub from: String,
    pub to: String,
    pub cc: String,
    pub bcc: String,
    pub subject: String,
    pub text: String,
    /// The text formatted (HTML from the editor, with JavaScript); empty for plain text.
    pub html: String,
    /// The message answered or forwarded (its id), and how: `reply` or `forward`.
    pub origin: String,
    pub origin_kind: String,
    /// The files attached.
    pub attachments: Vec<AttachedFile>,
    /// The names of files chosen but not yet attached: only a form posted without JavaScript
    /// has them (its "Attach" button uploads them), and sending then would leave them out.
    pub files: String,
}

/// A file attached to a message being written: kept by the mail server under `blob`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AttachedFile {
    pub blob: String,
    pub name: String,
    pub media_type: String,
    pub size: u64,
}

/// A message being written, with what the form offers around it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ComposeStart {
    pub form: ComposeForm,
    /// The addresses the mailbox may send from: its own first, then its aliases.
    pub senders: Vec<String>,
    /// The signature of each sender address that has one, so changing the sender can
    /// change the signature in the text.
    pub signatures: Vec<SenderSignature>,
}

/// The signature of one sender address.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SenderSignature {
    pub address: String,
    pub signature: String,
}

/// The name and signature the mailbox sends with from one of its addresses.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct IdentityForm {
    /// The sender address (which identity this is); it cannot change.
    pub email: String,
    pub name: String,
    pub signature: String,
}

/// How the message list reads.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ReadingForm {
    pub page_size: u64,
    /// One row per conversation. A checkbox: absent from a form post means off.
    pub conversations: bool,
}

/// The webmail's settings page.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailSettingsView {
    pub identities: Vec<IdentityForm>,
    pub reading: ReadingForm,
    /// The page sizes offered.
    pub page_sizes: Vec<u64>,
    /// Senders whose remote images are always shown.
    pub image_senders: Vec<String>,
}

/// A recipient the mail server refused, with its reply (`452 4.4.5 Rate limit exceeded`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefusedRecipient {
    pub address: String,
    pub reply: String,
}

/// What became of a message sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendOutcome {
    /// It went to at least one recipient (and is now in Sent).
    pub sent: bool,
    /// The message's id: the copy in Sent, or the draft kept when it did not go.
    pub id: String,
    pub accepted: u32,
    pub refused: Vec<RefusedRecipient>,
    /// Why nothing was sent, when the mail server refused the message as a whole.
    pub problem: Option<crate::i18n::Text>,
}

/// The automatic reply while away, as its form holds it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct VacationForm {
    pub on: bool,
    /// `YYYY-MM-DD`, both included; empty for no limit.
    pub first_day: String,
    pub last_day: String,
    pub subject: String,
    pub text: String,
}

/// A filter to add: when `field` (`from`, `to`, `subject`) contains `contains`, do `action`
/// (`move` to `folder`, `read`, `forward` to `forward`, `trash`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct FilterForm {
    pub field: String,
    pub contains: String,
    pub action: String,
    pub folder: String,
    pub forward: String,
}

/// A filter in force, as the rules page lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FilterRow {
    pub field: String,
    pub contains: String,
    pub action: String,
    /// The folder's name (for `move`) or the address (for `forward`).
    pub target: String,
}

/// The mailbox's rules: its vacation reply and its filters, with the folders a filter may
/// move to.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailRulesView {
    pub vacation: VacationForm,
    pub filters: Vec<FilterRow>,
    pub folders: Vec<MailFolder>,
    /// Another set of rules a mail program made active (saving here replaces it).
    pub other_active: Option<String>,
    /// The new filter's form as typed, when adding it failed without JavaScript.
    pub new_filter: FilterForm,
}

/// How much of its quota a mailbox uses, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailQuota {
    pub used: u64,
    /// The most it may hold; 0 when there is no limit.
    pub total: u64,
}

impl MailQuota {
    /// The share used, in whole percent (0 without a limit).
    pub fn percent(&self) -> u64 {
        match self.total {
            0 => 0,
            total => (u128::from(self.used) * 100 / u128::from(total)).min(100) as u64,
        }
    }

    /// Time to make room: 90% or more used.
    pub fn nearly_full(&self) -> bool {
        self.total > 0 && self.percent() >= 90
    }
}
