// SPDX-License-Identifier: AGPL-3.0-only
//! Notifications by e-mail (lettre): credentials of new postmasters and managers, cost
//! changes. They are handed to an SMTP server, by default the embedded engine's own MX on
//! this machine, which relays for local clients like a Postfix `mynetworks`.

use std::time::Duration;

use lettre::{
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
    message::{Mailbox, header::ContentType},
};

/// How long one hand-over to the SMTP server may take.
const SEND_TIMEOUT: Duration = Duration::from_secs(30);

/// Sends notification e-mails.
#[derive(Clone)]
pub struct Mailer {
    host: String,
    port: u16,
    from: Mailbox,
    panel_url: String,
}

impl Mailer {
    /// A mailer that hands messages to `host:port` (plain SMTP, no authentication).
    pub fn new(host: &str, port: u16, from: &str, panel_url: &str) -> Result<Self, String> {
        let from = from
            .parse::<Mailbox>()
            .map_err(|err| format!("notification sender {from:?}: {err}"))?;
        Ok(Mailer {
            host: host.to_string(),
            port,
            from,
            panel_url: panel_url.trim_end_matches('/').to_string(),
        })
    }

    /// E-mails a new account's login and password, to be changed at first sign-in.
    pub async fn send_credentials(
        &self,
        to: &str,
        login: &str,
        password: &str,
        role: &str,
    ) -> Result<(), String> {
        let (ruolo, what) = match role {
            "manager" => ("Manager", "manager"),
            "delegate" => ("Delegato", "delegate"),
            _ => ("Postmaster", "postmaster"),
        };
        let url = &self.panel_url;
        let subject = format!("Credenziali {ruolo} / {ruolo} credentials: {login}");
        let body = format!(
            "Gentile Cliente,\n\n\
             ecco le credenziali dell'utente {ruolo} per il Pannello di Controllo.\n\n\
             Indirizzo: {url}/login\n\
             Utente:    {login}\n\
             Password:  {password}\n\n\
             Al primo accesso sarà obbligatorio cambiare la password.\n\n\
             ---\n\n\
             Dear Customer,\n\n\
             here are the credentials of the {what} user for the Control Panel.\n\n\
             Address:  {url}/login\n\
             Login:    {login}\n\
             Password: {password}\n\n\
             You will have to change the password when you first sign in.\n"
        );
        self.send(to, &subject, body).await
    }

    /// E-mails a plain-text message.
    pub async fn send(&self, to: &str, subject: &str, body: String) -> Result<(), String> {
        let to = to
            .parse::<Mailbox>()
            .map_err(|err| format!("address {to:?}: {err}"))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .header(ContentType::TEXT_PLAIN)
            .body(body)
            .map_err(|err| format!("message: {err}"))?;
        let transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&self.host)
            .port(self.port)
            .timeout(Some(SEND_TIMEOUT))
            .build();
        transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|err| err.to_string())
    }
}
