// SPDX-License-Identifier: AGPL-3.0-only
//! A client connection from its first stream header to a bound session: TLS (STARTTLS or
//! direct), SASL (SCRAM-SHA-256 or PLAIN), then resource binding, or the
//! resumption of a dropped session (XEP-0198).

use std::{net::SocketAddr, sync::Arc, time::Duration};

use futures_util::SinkExt;
use tokio::net::TcpStream;
use tokio_xmpp::{
    Stanza,
    connect::AsyncReadAndWrite,
    xmlstream::{PendingFeaturesSend, StreamHeader, XmppStreamElement, accept_stream},
};
use xmpp_parsers::{
    bind::{BindFeature, BindQuery, BindResponse},
    iq::Iq,
    jid::{BareJid, FullJid},
    minidom::Element,
    ns, sasl, sm,
    stanza_error::{DefinedCondition as StanzaCondition, ErrorType, StanzaError},
    starttls,
    stream_error::{DefinedCondition as StreamCondition, StreamError},
    stream_features::StreamFeatures,
};

use crate::{
    chat::{
        self,
        scram::{self, ClientFirst, Exchange, ScramError},
    },
    services::chat::{ChatRefusal, ChatUser},
};

use super::{
    Service,
    disco::server_caps,
    limits::{Meter, Metered},
    reader::OnDemand,
    session::{Connected, NS_SESSION, run_session},
    stream::{Boxed, ClientElement, End, Stream, close, read, stanza_error, timeouts},
    tls::LeanTls,
    wire::Wire,
};

/// How long a client has for its TLS handshake.
const HANDSHAKE: Duration = Duration::from_secs(10);
/// Sign-in attempts on one stream before it is closed.
const SIGN_IN_ATTEMPTS: u32 = 3;
/// A connection read through a [`Meter`], buffered only while it has unread bytes.
pub(super) fn buffered<T: tokio::io::AsyncRead + tokio::io::AsyncWrite>(
    io: Metered<T>,
) -> OnDemand<Metered<T>> {
    OnDemand::new(io)
}

/// Serves one connection until it ends. Each phase runs on an allocation of its own, freed
/// when the phase is over: a connection that waits (most do, most of the time) holds only
/// what its present phase needs. (An `async move` block, not an `async fn`: its future keeps
/// its arguments once; see `session::run_session`.)
#[expect(
    clippy::manual_async_fn,
    reason = "an async fn's future keeps its arguments twice (rust-lang/rust#62958)"
)]
pub(super) fn run(
    tcp: TcpStream,
    peer: SocketAddr,
    service: Arc<Service>,
    direct: bool,
) -> impl Future<Output = ()> + Send {
    async move {
        let meter = Meter::new(service.max_stanza_bytes);
        let tcp = if direct {
            tcp
        } else {
            match Box::pin(plain(tcp, &service, &meter)).await {
                Some(tcp) => tcp,
                None => return,
            }
        };
        let handshake = Box::pin(tokio::time::timeout(
            HANDSHAKE,
            LeanTls::accept(tcp, service.tls.clone()),
        ));
        let Ok(Ok(tls)) = handshake.await else {
            return;
        };
        meter.stanza_done();
        let io: Boxed = Box::new(buffered(Metered::new(tls, meter.clone())));
        secured(io, peer, &service, &meter).await;
    }
}

/// Before TLS: only STARTTLS is offered, and required. The connection, once its client has
/// asked for TLS.
async fn plain(tcp: TcpStream, service: &Arc<Service>, meter: &Meter) -> Option<TcpStream> {
    let io = buffered(Metered::new(tcp, meter.clone()));
    let (_, pending) = Box::pin(open_stream(io, service)).await?;
    let features = StreamFeatures {
        starttls: Some(starttls::StartTls { required: true }),
        ..Default::default()
    };
    let mut stream = pending
        .send_features::<ClientElement>(&features)
        .await
        .ok()?;
    match read(&mut stream, meter).await {
        Ok(XmppStreamElement::Starttls(starttls::Nonza::Request(_))) => {
            stream.send(&starttls::Proceed).await.ok()?;
            // What the client sent after its request is dropped with the buffer: nothing
            // sent in the clear is taken as if it came over TLS.
            Some(stream.into_inner().into_inner().into_inner())
        }
        Ok(_) => {
            close(
                &mut stream,
                End::with(
                    StreamCondition::PolicyViolation,
                    "TLS is required: start it first.",
                ),
            )
            .await;
            None
        }
        Err(end) => {
            close(&mut stream, end).await;
            None
        }
    }
}

/// Takes a client's stream header and answers it: the domain it names, with the stream ready
/// for its features, or `host-unknown` for a domain not hosted here.
async fn open_stream<Io: AsyncReadAndWrite>(
    io: Io,
    service: &Service,
) -> Option<(String, PendingFeaturesSend<Io>)> {
    let accepted = accept_stream(io, ns::JABBER_CLIENT, timeouts())
        .await
        .ok()?;
    let Some(domain) = served_domain(service, accepted.header().to.as_deref()).await else {
        if let Ok(pending) = accepted.send_header(header(None)).await {
            let _ = pending
                .send_error(&StreamError::new(
                    StreamCondition::HostUnknown,
                    "en",
                    "This server does not host that domain.",
                ))
                .await;
        }
        return None;
    };
    let pending = accepted.send_header(header(Some(&domain))).await.ok()?;
    Some((domain, pending))
}

/// The domain a stream is addressed to, if this server hosts it.
async fn served_domain(service: &Service, to: Option<&str>) -> Option<String> {
    let to = to?.trim().to_lowercase();
    match service.services.chat_domain(&to).await {
        Ok(true) => Some(to),
        _ => None,
    }
}

fn header(domain: Option<&str>) -> StreamHeader<'static> {
    StreamHeader {
        from: domain.map(|d| d.to_string().into()),
        to: None,
        id: Some(format!("{:016x}", rand::random::<u64>()).into()),
    }
}

/// Over TLS (or a WebSocket on the web port): SASL, then resource binding, then the session.
/// The negotiation's state is freed before the session runs: a long-lived session keeps
/// only its own.
#[expect(
    clippy::manual_async_fn,
    reason = "an async fn's future keeps its arguments twice (rust-lang/rust#62958)"
)]
pub(super) fn secured<'a>(
    io: Boxed,
    peer: SocketAddr,
    service: &'a Arc<Service>,
    meter: &'a Meter,
) -> impl Future<Output = ()> + Send + 'a {
    async move {
        if let Some((session, stream)) = Box::pin(establish(io, peer, service, meter)).await {
            Box::pin(run_session(session, stream, meter, service)).await;
        }
    }
}

/// SASL, then binding a resource or resuming a dropped session: the session and its stream.
async fn establish(
    io: Boxed,
    peer: SocketAddr,
    service: &Arc<Service>,
    meter: &Meter,
) -> Option<(Connected, Wire)> {
    let (domain, pending) = Box::pin(open_stream(io, service)).await?;
    let features = StreamFeatures {
        sasl_mechanisms: [scram::MECHANISM.to_string(), "PLAIN".to_string()]
            .into_iter()
            .collect(),
        ..Default::default()
    };
    let Ok(mut stream) = pending.send_features::<ClientElement>(&features).await else {
        return None;
    };
    // Each phase on its own allocation, freed when it ends: a connection's task keeps only
    // what the phase it is in needs (an idle session's is the smallest).
    let (user, data) = match Box::pin(sign_in(&mut stream, peer, service, meter, &domain)).await {
        Ok(signed_in) => signed_in,
        Err(end) => {
            close(&mut stream, end).await;
            return None;
        }
    };
    // The stream restarts (RFC 6120 §6.4.6): from here on the session's own stream reads it.
    stream.send(&sasl::Success { data }).await.ok()?;
    let mut stream = Wire::new(stream.into_inner());
    let header = Box::pin(stream.header()).await;
    let refused = match header {
        Ok(header)
            if header
                .to
                .as_deref()
                .is_none_or(|to| to.eq_ignore_ascii_case(&domain)) =>
        {
            None
        }
        Ok(_) => Some(End::with(
            StreamCondition::HostUnknown,
            "This server does not host that domain.",
        )),
        Err(end) => Some(end),
    };
    if stream.open(&domain).await.is_err() {
        return None;
    }
    if let Some(end) = refused {
        stream.close(end).await;
        return None;
    }
    let features = StreamFeatures {
        bind: Some(BindFeature { required: true }),
        stream_management: Some(sm::StreamManagement { optional: true }),
        others: vec![
            Element::builder("session", NS_SESSION)
                .append(Element::builder("optional", NS_SESSION).build())
                .build(),
            Element::from(xmpp_parsers::csi::Feature),
        ]
        .into_iter()
        .chain(server_caps(service.max_upload_bytes))
        .collect(),
        ..Default::default()
    };
    stream.send(&features).await.ok()?;
    let first = match read(&mut stream, meter).await {
        Ok(element) => element,
        Err(end) => {
            stream.close(end).await;
            return None;
        }
    };
    let first = match first {
        XmppStreamElement::SM(sm::Nonza::Resume(resume)) => {
            match service.take_parked(&resume.previd.0, &user.address) {
                Some(mut session) => {
                    if session.resume(&mut stream, resume.h).await.is_err() {
                        session.park(service);
                        return None;
                    }
                    return Some((session, stream));
                }
                None => {
                    let failed = sm::Failed {
                        h: None,
                        error: Some(StanzaCondition::ItemNotFound),
                    };
                    stream.send(&failed).await.ok()?;
                    match read(&mut stream, meter).await {
                        Ok(element) => element,
                        Err(end) => {
                            stream.close(end).await;
                            return None;
                        }
                    }
                }
            }
        }
        other => other,
    };
    let jid = match Box::pin(bind(&mut stream, service, meter, &user, first)).await {
        Ok(jid) => jid,
        Err(end) => {
            stream.close(end).await;
            return None;
        }
    };
    let session = Connected::new(service, user, jid);
    Some((session, stream))
}

/// SASL: SCRAM-SHA-256 (RFC 7677) against the kept verifiers, or PLAIN (RFC 4616) against
/// the engine's credentials. Either way the engine has the last word (2FA, disabled accounts,
/// its ban) and the attempt goes into the access log. The user and what `<success/>` carries.
async fn sign_in<Io: AsyncReadAndWrite>(
    stream: &mut Stream<Io>,
    peer: SocketAddr,
    service: &Service,
    meter: &Meter,
    domain: &str,
) -> Result<(ChatUser, Vec<u8>), End> {
    let mut failures = 0;
    loop {
        let auth = match read(stream, meter).await? {
            XmppStreamElement::Sasl(sasl::Nonza::Auth(auth)) => auth,
            XmppStreamElement::Sasl(sasl::Nonza::Abort(_)) => {
                failure(stream, sasl::DefinedCondition::Aborted, "").await?;
                continue;
            }
            _ => return Err(not_signed_in()),
        };
        let attempt = match auth.mechanism {
            sasl::Mechanism::Plain => {
                sasl_plain(stream, peer, service, meter, domain, auth.data).await?
            }
            sasl::Mechanism::ScramSha256 => {
                sasl_scram(stream, peer, service, meter, domain, auth.data).await?
            }
            sasl::Mechanism::ScramSha256Plus => {
                failure(
                    stream,
                    sasl::DefinedCondition::InvalidMechanism,
                    "Channel binding is not offered here: use SCRAM-SHA-256.",
                )
                .await?;
                continue;
            }
            _ => {
                failure(stream, sasl::DefinedCondition::InvalidMechanism, "").await?;
                continue;
            }
        };
        let (outcome, success) = match attempt {
            Attempt::Checked(outcome, success) => (outcome, success),
            Attempt::Failed(condition, text) => {
                failure(stream, condition, text).await?;
                continue;
            }
        };
        let refusal = match outcome {
            Ok(user) => return Ok((user, success)),
            Err(refusal) => refusal,
        };
        let (condition, text) = match refusal {
            ChatRefusal::WrongPassword => (
                sasl::DefinedCondition::NotAuthorized,
                "Wrong address or password.",
            ),
            ChatRefusal::AppPasswordRequired => (
                sasl::DefinedCondition::NotAuthorized,
                "Two-factor sign-in is on for this account: use an app password (My mailbox, App passwords).",
            ),
            ChatRefusal::Banned => (
                sasl::DefinedCondition::TemporaryAuthFailure,
                "Too many failed sign-ins from this address; try again later.",
            ),
            ChatRefusal::Disabled => (
                sasl::DefinedCondition::AccountDisabled,
                "This account is disabled.",
            ),
            ChatRefusal::ChatOff => (
                sasl::DefinedCondition::AccountDisabled,
                "Chat is not active for this mailbox or its domain.",
            ),
        };
        failure(stream, condition, text).await?;
        failures += 1;
        if failures >= SIGN_IN_ATTEMPTS || refusal == ChatRefusal::Banned {
            return Err(End::with(
                StreamCondition::PolicyViolation,
                "Too many failed sign-ins.",
            ));
        }
    }
}

/// One mechanism's run: checked (the sign-in's outcome, and what `<success/>` carries), or
/// failed before any password was checked.
enum Attempt {
    Checked(Result<ChatUser, ChatRefusal>, Vec<u8>),
    Failed(sasl::DefinedCondition, &'static str),
}

/// The client's first message: sent with `<auth/>`, or asked for with an empty challenge.
/// `None` when the client aborts.
async fn initial_response<Io: AsyncReadAndWrite>(
    stream: &mut Stream<Io>,
    meter: &Meter,
    data: Vec<u8>,
) -> Result<Option<Vec<u8>>, End> {
    if !data.is_empty() {
        return Ok(Some(data));
    }
    stream.send(&sasl::Challenge { data: Vec::new() }).await?;
    response(stream, meter).await
}

/// The client's response to a challenge; `None` when it aborts.
async fn response<Io: AsyncReadAndWrite>(
    stream: &mut Stream<Io>,
    meter: &Meter,
) -> Result<Option<Vec<u8>>, End> {
    match read(stream, meter).await? {
        XmppStreamElement::Sasl(sasl::Nonza::Response(response)) => Ok(Some(response.data)),
        XmppStreamElement::Sasl(sasl::Nonza::Abort(_)) => Ok(None),
        _ => Err(not_signed_in()),
    }
}

/// A login as a client gives it: a full address, or a bare name in the stream's domain.
fn login_in(name: &str, domain: &str) -> String {
    if name.contains('@') {
        name.to_lowercase()
    } else {
        format!("{}@{domain}", name.to_lowercase())
    }
}

const OTHER_DOMAIN: Attempt = Attempt::Failed(
    sasl::DefinedCondition::InvalidAuthzid,
    "Sign in with an address of this domain.",
);
const ABORTED: Attempt = Attempt::Failed(sasl::DefinedCondition::Aborted, "");

fn unchecked(err: crate::services::ServiceError) -> End {
    tracing::warn!(%err, "a chat sign-in could not be checked");
    End::with(StreamCondition::InternalServerError, "Try again later.")
}

/// PLAIN: the password itself, checked by the engine.
async fn sasl_plain<Io: AsyncReadAndWrite>(
    stream: &mut Stream<Io>,
    peer: SocketAddr,
    service: &Service,
    meter: &Meter,
    domain: &str,
    data: Vec<u8>,
) -> Result<Attempt, End> {
    let Some(data) = initial_response(stream, meter, data).await? else {
        return Ok(ABORTED);
    };
    let Some((login, secret)) = plain_credentials(&data, domain) else {
        return Ok(Attempt::Failed(
            sasl::DefinedCondition::MalformedRequest,
            "Expected authzid NUL authcid NUL password.",
        ));
    };
    if chat::domain_of(&login) != domain {
        return Ok(OTHER_DOMAIN);
    }
    let outcome = service
        .services
        .chat_sign_in(&login, &secret, peer.ip())
        .await
        .map_err(unchecked)?;
    Ok(Attempt::Checked(outcome, Vec::new()))
}

/// SCRAM-SHA-256: the client proves it holds one of the account's passwords; the server's
/// signature in `<success/>` proves the server knew its verifier.
async fn sasl_scram<Io: AsyncReadAndWrite>(
    stream: &mut Stream<Io>,
    peer: SocketAddr,
    service: &Service,
    meter: &Meter,
    domain: &str,
    data: Vec<u8>,
) -> Result<Attempt, End> {
    let Some(data) = initial_response(stream, meter, data).await? else {
        return Ok(ABORTED);
    };
    let first = match ClientFirst::parse(&data) {
        Ok(first) => first,
        Err(ScramError::ChannelBinding) => {
            return Ok(Attempt::Failed(
                sasl::DefinedCondition::InvalidMechanism,
                "Channel binding is not offered here: use SCRAM-SHA-256.",
            ));
        }
        Err(_) => {
            return Ok(Attempt::Failed(
                sasl::DefinedCondition::MalformedRequest,
                "Not a SCRAM client-first message.",
            ));
        }
    };
    let login = login_in(&first.user, domain);
    if chat::domain_of(&login) != domain {
        return Ok(OTHER_DOMAIN);
    }
    let account = service
        .services
        .chat_scram_account(&login)
        .await
        .map_err(unchecked)?;
    let (exchange, server_first) = Exchange::start(first, &account.salt, account.iterations);
    stream.send(&sasl::Challenge { data: server_first }).await?;
    let Some(last) = response(stream, meter).await? else {
        return Ok(ABORTED);
    };
    let candidates = account
        .verifiers
        .iter()
        .map(|(credential, secret, verifier)| ((credential, secret), verifier));
    let (matched, success) = match exchange.finish(&last, candidates) {
        Ok(((credential, secret), success)) => {
            (Some((credential.clone(), secret.clone())), success)
        }
        Err(ScramError::WrongProof) => (None, Vec::new()),
        Err(_) => {
            return Ok(Attempt::Failed(
                sasl::DefinedCondition::MalformedRequest,
                "Not the SCRAM client-final message of this exchange.",
            ));
        }
    };
    let outcome = service
        .services
        .chat_scram_sign_in(&login, matched, peer.ip())
        .await
        .map_err(unchecked)?;
    Ok(Attempt::Checked(outcome, success))
}

fn not_signed_in() -> End {
    End::with(StreamCondition::NotAuthorized, "Sign in first.")
}

async fn failure<Io: AsyncReadAndWrite>(
    stream: &mut Stream<Io>,
    condition: sasl::DefinedCondition,
    text: &str,
) -> Result<(), End> {
    let mut texts = std::collections::BTreeMap::new();
    if !text.is_empty() {
        texts.insert("en".into(), text.to_string());
    }
    stream
        .send(&sasl::Failure {
            defined_condition: condition,
            texts,
        })
        .await?;
    Ok(())
}

/// The login and password of a PLAIN message: `[authzid] NUL authcid NUL password`. A bare
/// user name is taken in the stream's domain; an authorization identity other than the
/// user's own is refused.
fn plain_credentials(data: &[u8], domain: &str) -> Option<(String, String)> {
    let text = std::str::from_utf8(data).ok()?;
    let mut parts = text.split('\0');
    let (authzid, authcid, password) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || authcid.is_empty() || password.is_empty() {
        return None;
    }
    let login = login_in(authcid, domain);
    if !authzid.is_empty() && authzid.to_lowercase() != login {
        return None;
    }
    Some((login, password.to_string()))
}

/// Resource binding (RFC 6120 §7): the client's resource, made unique, or one of ours.
async fn bind(
    stream: &mut Wire,
    service: &Service,
    meter: &Meter,
    user: &ChatUser,
    first: XmppStreamElement,
) -> Result<FullJid, End> {
    let mut next = Some(first);
    loop {
        let element = match next.take() {
            Some(element) => element,
            None => read(stream, meter).await?,
        };
        let XmppStreamElement::Stanza(Stanza::Iq(Iq::Set { id, payload, .. })) = element else {
            return Err(End::with(
                StreamCondition::NotAuthorized,
                "Bind a resource first.",
            ));
        };
        let Ok(query) = BindQuery::try_from(payload) else {
            stream
                .send(&Iq::from_error(
                    id,
                    stanza_error(StanzaCondition::NotAllowed, "Bind a resource first."),
                ))
                .await?;
            continue;
        };
        if service.services.chat().local_sessions(&user.address) >= service.max_sessions {
            stream
                .send(&Iq::from_error(
                    id,
                    StanzaError::new(
                        ErrorType::Cancel,
                        StanzaCondition::ResourceConstraint,
                        "en",
                        "Too many sessions are open for this account.",
                    ),
                ))
                .await?;
            continue;
        }
        let wanted = query
            .resource
            .filter(|r| !r.trim().is_empty() && r.len() <= 256)
            .unwrap_or_else(|| "casella".into());
        let resource = format!("{wanted}.{:08x}", rand::random::<u32>());
        let bare = BareJid::new(&user.address)
            .map_err(|_| End::with(StreamCondition::InternalServerError, "bad address"))?;
        let jid = bare
            .with_resource_str(&resource)
            .or_else(|_| bare.with_resource_str(&format!("casella.{:08x}", rand::random::<u32>())))
            .map_err(|_| End::with(StreamCondition::InternalServerError, "bad resource"))?;
        stream
            .send(&Iq::from_result(
                id,
                Some(BindResponse { jid: jid.clone() }),
            ))
            .await?;
        return Ok(jid);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_credentials_take_a_bare_name_in_the_streams_domain() {
        assert_eq!(
            plain_credentials(b"\0alice\0pw", "demo.test"),
            Some(("alice@demo.test".into(), "pw".into()))
        );
        assert_eq!(
            plain_credentials(b"alice@demo.test\0Alice@Demo.test\0pw", "demo.test"),
            Some(("alice@demo.test".into(), "pw".into()))
        );
        // Acting for someone else, or a missing part, is refused.
        assert_eq!(
            plain_credentials(b"bob@demo.test\0alice\0pw", "demo.test"),
            None
        );
        assert_eq!(plain_credentials(b"\0alice\0", "demo.test"), None);
        assert_eq!(plain_credentials(b"alice\0pw", "demo.test"), None);
        assert_eq!(plain_credentials(&[0, 0xff, 0, b'x'], "demo.test"), None);
    }
}
