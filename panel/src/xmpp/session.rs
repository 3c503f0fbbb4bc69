// SPDX-License-Identifier: AGPL-3.0-only
//! One client connection, from the first stream header to its end: TLS (STARTTLS or direct),
//! SASL PLAIN through the engine's credentials, resource binding, then the session's
//! stanzas in and the hub's deliveries out.

use std::{net::SocketAddr, sync::Arc, time::Duration};

use futures_util::{SinkExt, StreamExt};
use tokio::{io::BufStream, net::TcpStream};
use tokio_xmpp::{
    Stanza,
    connect::AsyncReadAndWrite,
    xmlstream::{
        FallibleStreamElement, PendingFeaturesSend, ReadError, StreamElementError, StreamHeader,
        Timeouts, XmlStream, XmppStreamElement, accept_stream,
    },
};
use xmpp_parsers::{
    bind::{BindFeature, BindQuery, BindResponse},
    delay::Delay,
    disco::{DiscoInfoResult, DiscoItemsResult, Identity},
    iq::Iq,
    jid::{BareJid, FullJid, Jid},
    message::{Message, MessageType},
    minidom::Element,
    ns,
    presence::{Presence, Show, Type as PresenceType},
    roster::{Group, Item, Roster, Subscription},
    sasl, sm,
    stanza_error::{DefinedCondition as StanzaCondition, ErrorType, StanzaError},
    stanza_id::{OriginId, StanzaId},
    starttls,
    stream_error::{DefinedCondition as StreamCondition, StreamError},
    stream_features::StreamFeatures,
};

use super::{
    Service,
    limits::{Meter, Metered, Rate},
};
use crate::{
    chat::{self, ChatError, Delivery, Signal, Status},
    services::chat::{ChatRefusal, ChatUser},
};

/// How long a client has for its TLS handshake.
const HANDSHAKE: Duration = Duration::from_secs(10);
/// Sign-in attempts on one stream before it is closed.
const SIGN_IN_ATTEMPTS: u32 = 3;
/// Stanzas a second a session may send on average, and at once.
const STANZA_RATE: (f64, f64) = (20.0, 100.0);
/// How long a dropped session that enabled resumption (XEP-0198) waits for its client.
pub(super) const RESUME_WINDOW: Duration = Duration::from_secs(300);
/// Stanzas sent between the server's requests for an acknowledgement.
const ACK_EVERY: u32 = 5;
/// The legacy session establishment (RFC 3921) some clients still ask for.
const NS_SESSION: &str = "urn:ietf:params:xml:ns:xmpp-session";

type Boxed = Box<dyn AsyncReadAndWrite + Send + 'static>;
type Stream<Io> = XmlStream<Io, FallibleStreamElement>;

/// Why a stream ended early: the stream error to send, if the stream can still take one.
struct End(Option<StreamError>);

impl End {
    fn with(condition: StreamCondition, text: &str) -> End {
        End(Some(StreamError::new(condition, "en", text)))
    }

    fn quiet() -> End {
        End(None)
    }
}

impl From<std::io::Error> for End {
    fn from(_: std::io::Error) -> End {
        End::quiet()
    }
}

fn timeouts() -> Timeouts {
    Timeouts {
        read_timeout: Duration::from_secs(240),
        response_timeout: Duration::from_secs(60),
    }
}

/// Serves one connection until it ends.
pub(super) async fn run(tcp: TcpStream, peer: SocketAddr, service: Arc<Service>, direct: bool) {
    let meter = Meter::new(service.max_stanza_bytes);
    if direct {
        let Ok(Ok(tls)) = tokio::time::timeout(HANDSHAKE, service.tls.accept(tcp)).await else {
            return;
        };
        let io: Boxed = Box::new(BufStream::new(Metered::new(tls, meter.clone())));
        secured(io, peer, &service, &meter).await;
    } else {
        plain(tcp, peer, &service, &meter).await;
    }
}

/// Before TLS: only STARTTLS is offered, and required.
async fn plain(tcp: TcpStream, peer: SocketAddr, service: &Arc<Service>, meter: &Meter) {
    let io = BufStream::new(Metered::new(tcp, meter.clone()));
    let Some((_, pending)) = open_stream(io, service).await else {
        return;
    };
    let features = StreamFeatures {
        starttls: Some(starttls::StartTls { required: true }),
        ..Default::default()
    };
    let Ok(mut stream) = pending
        .send_features::<FallibleStreamElement>(&features)
        .await
    else {
        return;
    };
    match read(&mut stream, meter).await {
        Ok(XmppStreamElement::Starttls(starttls::Nonza::Request(_))) => {
            if stream.send(&starttls::Proceed).await.is_err() {
                return;
            }
            let tcp = stream.into_inner().into_inner().into_inner();
            let Ok(Ok(tls)) = tokio::time::timeout(HANDSHAKE, service.tls.accept(tcp)).await else {
                return;
            };
            meter.stanza_done();
            let io: Boxed = Box::new(BufStream::new(Metered::new(tls, meter.clone())));
            secured(io, peer, service, meter).await;
        }
        Ok(_) => {
            close(
                &mut stream,
                End::with(
                    StreamCondition::PolicyViolation,
                    "TLS is required: start it first.",
                ),
            )
            .await
        }
        Err(end) => close(&mut stream, end).await,
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

/// Over TLS: SASL, then resource binding, then the session.
async fn secured(io: Boxed, peer: SocketAddr, service: &Arc<Service>, meter: &Meter) {
    let Some((domain, pending)) = open_stream(io, service).await else {
        return;
    };
    let features = StreamFeatures {
        sasl_mechanisms: ["PLAIN".to_string()].into_iter().collect(),
        ..Default::default()
    };
    let Ok(mut stream) = pending
        .send_features::<FallibleStreamElement>(&features)
        .await
    else {
        return;
    };
    let user = match sign_in(&mut stream, peer, service, meter, &domain).await {
        Ok(user) => user,
        Err(end) => return close(&mut stream, end).await,
    };
    let success = sasl::Success { data: Vec::new() };
    let Ok(accepted) = stream.accept_reset(&success).await else {
        return;
    };
    let Ok(pending) = accepted.send_header(header(Some(&domain))).await else {
        return;
    };
    let features = StreamFeatures {
        bind: Some(BindFeature { required: true }),
        stream_management: Some(sm::StreamManagement { optional: true }),
        others: vec![
            Element::builder("session", NS_SESSION)
                .append(Element::builder("optional", NS_SESSION).build())
                .build(),
        ],
        ..Default::default()
    };
    let Ok(mut stream) = pending
        .send_features::<FallibleStreamElement>(&features)
        .await
    else {
        return;
    };
    let first = match read(&mut stream, meter).await {
        Ok(element) => element,
        Err(end) => return close(&mut stream, end).await,
    };
    let first = match first {
        XmppStreamElement::SM(sm::Nonza::Resume(resume)) => {
            match service.take_parked(&resume.previd.0, &user.address) {
                Some(mut session) => {
                    if session.resume(&mut stream, resume.h).await.is_err() {
                        return session.park(service);
                    }
                    return run_session(session, stream, meter, service).await;
                }
                None => {
                    let failed = sm::Failed {
                        h: None,
                        error: Some(StanzaCondition::ItemNotFound),
                    };
                    if stream.send(&failed).await.is_err() {
                        return;
                    }
                    match read(&mut stream, meter).await {
                        Ok(element) => element,
                        Err(end) => return close(&mut stream, end).await,
                    }
                }
            }
        }
        other => other,
    };
    let jid = match bind(&mut stream, service, meter, &user, first).await {
        Ok(jid) => jid,
        Err(end) => return close(&mut stream, end).await,
    };
    let session = Connected {
        service: service.clone(),
        hub: service
            .services
            .chat()
            .open(&user.address, jid.resource().as_str()),
        user,
        jid,
        rate: Rate::new(STANZA_RATE.0, STANZA_RATE.1),
        pings: 0,
        carbons: false,
        sm: None,
    };
    run_session(session, stream, meter, service).await;
}

/// Serves a bound (or resumed) session until it ends; one dropped with resumption on waits,
/// parked, for its client.
async fn run_session<Io: AsyncReadAndWrite>(
    mut session: Connected,
    mut stream: Stream<Io>,
    meter: &Meter,
    service: &Arc<Service>,
) {
    match session.serve(&mut stream, meter).await {
        Outcome::Lost if session.sm.as_ref().is_some_and(|sm| sm.resumable) => {
            session.park(service);
        }
        Outcome::Lost => {}
        Outcome::Closed(end) => close(&mut stream, end).await,
    }
}

/// How a session's stream ended.
enum Outcome {
    /// Closed by either side, with the error to send if any.
    Closed(End),
    /// The connection broke: the client may come back and resume.
    Lost,
}

impl From<End> for Outcome {
    fn from(end: End) -> Outcome {
        Outcome::Closed(end)
    }
}

/// Stream management (XEP-0198): what was handled and what is not yet acknowledged.
pub(super) struct StreamManagement {
    id: String,
    resumable: bool,
    /// Stanzas received from the client.
    handled: u32,
    /// Stanzas sent to the client.
    sent: u32,
    /// Sent, not yet acknowledged: sequence number, stanza, and the message's history id.
    unacked: std::collections::VecDeque<(u32, Element, Option<i64>)>,
}

/// Reads the next element whole; what cannot be read ends the stream with its error.
async fn read<Io: AsyncReadAndWrite>(
    stream: &mut Stream<Io>,
    meter: &Meter,
) -> Result<XmppStreamElement, End> {
    loop {
        let item = stream.next().await;
        meter.stanza_done();
        return match item {
            None => Err(End::quiet()),
            Some(Ok(FallibleStreamElement::Ok(element))) => Ok(element),
            Some(Ok(FallibleStreamElement::Err(StreamElementError::InvalidStanza {
                error,
                ..
            }))) => Err(End::with(
                StreamCondition::InvalidXml,
                &format!("invalid stanza: {error}"),
            )),
            Some(Ok(FallibleStreamElement::Err(StreamElementError::InvalidNonza {
                error,
                ..
            }))) => Err(End::with(
                StreamCondition::InvalidXml,
                &format!("invalid element: {error}"),
            )),
            Some(Err(ReadError::SoftTimeout)) => continue,
            Some(Err(ReadError::StreamFooterReceived)) => Err(End::quiet()),
            Some(Err(ReadError::ParseError(_))) => Err(End::with(
                StreamCondition::UnsupportedStanzaType,
                "Only message, presence and iq stanzas are served here.",
            )),
            Some(Err(ReadError::HardError(err))) => Err(hard_error(meter, &err)),
        };
    }
}

fn hard_error(meter: &Meter, err: &std::io::Error) -> End {
    if meter.exceeded() {
        End::with(
            StreamCondition::PolicyViolation,
            "The stanza is larger than this server accepts.",
        )
    } else if err
        .get_ref()
        .is_some_and(|inner| inner.is::<xso::error::FromEventsError>())
    {
        // A well-formed element that is no stanza or negotiation element known here.
        End::with(
            StreamCondition::UnsupportedStanzaType,
            "Only message, presence and iq stanzas are served here.",
        )
    } else if err.kind() == std::io::ErrorKind::InvalidData {
        End::with(
            StreamCondition::NotWellFormed,
            "The XML is not well-formed.",
        )
    } else {
        End::quiet()
    }
}

/// Sends the stream error, if any, and the closing tag.
async fn close<Io: AsyncReadAndWrite>(stream: &mut Stream<Io>, end: End) {
    if let End(Some(error)) = end {
        let _ = stream.send(&error).await;
    }
    let _ = tokio::time::timeout(Duration::from_secs(5), stream.shutdown()).await;
}

/// SASL PLAIN (RFC 4616) against the engine's credentials.
async fn sign_in<Io: AsyncReadAndWrite>(
    stream: &mut Stream<Io>,
    peer: SocketAddr,
    service: &Service,
    meter: &Meter,
    domain: &str,
) -> Result<ChatUser, End> {
    let mut failures = 0;
    loop {
        let data = match read(stream, meter).await? {
            XmppStreamElement::Sasl(sasl::Nonza::Auth(auth)) => {
                if auth.mechanism != sasl::Mechanism::Plain {
                    failure(stream, sasl::DefinedCondition::InvalidMechanism, "").await?;
                    continue;
                }
                if auth.data.is_empty() {
                    // No initial response: ask for it with an empty challenge.
                    stream.send(&sasl::Challenge { data: Vec::new() }).await?;
                    match read(stream, meter).await? {
                        XmppStreamElement::Sasl(sasl::Nonza::Response(response)) => response.data,
                        XmppStreamElement::Sasl(sasl::Nonza::Abort(_)) => {
                            failure(stream, sasl::DefinedCondition::Aborted, "").await?;
                            continue;
                        }
                        _ => return Err(not_signed_in()),
                    }
                } else {
                    auth.data
                }
            }
            XmppStreamElement::Sasl(sasl::Nonza::Abort(_)) => {
                failure(stream, sasl::DefinedCondition::Aborted, "").await?;
                continue;
            }
            _ => return Err(not_signed_in()),
        };
        let Some((login, secret)) = plain_credentials(&data, domain) else {
            failure(
                stream,
                sasl::DefinedCondition::MalformedRequest,
                "Expected authzid NUL authcid NUL password.",
            )
            .await?;
            continue;
        };
        if chat::domain_of(&login) != domain {
            failure(
                stream,
                sasl::DefinedCondition::InvalidAuthzid,
                "Sign in with an address of this domain.",
            )
            .await?;
            continue;
        }
        let outcome = service
            .services
            .chat_sign_in(&login, &secret, peer.ip())
            .await
            .map_err(|err| {
                tracing::warn!(%err, "a chat sign-in could not be checked");
                End::with(StreamCondition::InternalServerError, "Try again later.")
            })?;
        let refusal = match outcome {
            Ok(user) => return Ok(user),
            Err(refusal) => refusal,
        };
        let (condition, text) = match refusal {
            ChatRefusal::WrongPassword => (
                sasl::DefinedCondition::NotAuthorized,
                "Wrong address or password.",
            ),
            ChatRefusal::AppPasswordRequired => (
                sasl::DefinedCondition::NotAuthorized,
                "Two-factor sign-in is on for this account: use an app password (Settings, App passwords).",
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
    let login = if authcid.contains('@') {
        authcid.to_lowercase()
    } else {
        format!("{}@{domain}", authcid.to_lowercase())
    };
    if !authzid.is_empty() && authzid.to_lowercase() != login {
        return None;
    }
    Some((login, password.to_string()))
}

/// Resource binding (RFC 6120 §7): the client's resource, made unique, or one of ours.
async fn bind<Io: AsyncReadAndWrite>(
    stream: &mut Stream<Io>,
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

fn stanza_error(condition: StanzaCondition, text: &str) -> StanzaError {
    let kind = match condition {
        StanzaCondition::BadRequest | StanzaCondition::NotAcceptable => ErrorType::Modify,
        _ => ErrorType::Cancel,
    };
    StanzaError::new(kind, condition, "en", text)
}

/// A signed-in, bound session.
pub(crate) struct Connected {
    service: Arc<Service>,
    hub: chat::Session,
    user: ChatUser,
    jid: FullJid,
    rate: Rate,
    pings: u64,
    /// Copies of what the user's other sessions send (XEP-0280).
    carbons: bool,
    sm: Option<StreamManagement>,
}

impl Connected {
    /// Sends a stanza, counted and kept until acknowledged when stream management is on.
    async fn emit<Io: AsyncReadAndWrite>(
        &mut self,
        stream: &mut Stream<Io>,
        stanza: Stanza,
        archived: Option<i64>,
    ) -> Result<(), End> {
        let stanza = match stanza {
            Stanza::Iq(iq) => Element::from(iq),
            Stanza::Message(message) => Element::from(message),
            Stanza::Presence(presence) => Element::from(presence),
        };
        let ask = if let Some(sm) = self.sm.as_mut() {
            sm.sent = sm.sent.wrapping_add(1);
            sm.unacked.push_back((sm.sent, stanza.clone(), archived));
            archived.is_some() || sm.sent % ACK_EVERY == 0
        } else {
            false
        };
        stream.send(&stanza).await?;
        if ask {
            stream.send(&sm::R).await?;
        }
        Ok(())
    }

    /// Takes the client back after a dropped connection: what it handled, then what it
    /// missed, again.
    async fn resume<Io: AsyncReadAndWrite>(
        &mut self,
        stream: &mut Stream<Io>,
        h: u32,
    ) -> Result<(), End> {
        let Some(sm) = self.sm.as_mut() else {
            return Err(End::quiet());
        };
        sm.unacked
            .retain(|(seq, _, _)| seq.wrapping_sub(h) as i32 > 0);
        let resumed = sm::Resumed {
            h: sm.handled,
            previd: sm::StreamId(sm.id.clone()),
        };
        let again: Vec<Element> = sm.unacked.iter().map(|(_, s, _)| s.clone()).collect();
        stream.send(&resumed).await?;
        for stanza in again {
            stream.send(&stanza).await?;
        }
        stream.send(&sm::R).await?;
        Ok(())
    }

    /// Keeps a dropped session for its client to resume; past the window it ends, and the
    /// messages it could not be sure were delivered wait for the user's next sign-in.
    fn park(self, service: &Arc<Service>) {
        let Some(id) = self.sm.as_ref().map(|sm| sm.id.clone()) else {
            return;
        };
        service.park(id.clone(), self);
        let service = service.clone();
        tokio::spawn(async move {
            tokio::time::sleep(RESUME_WINDOW).await;
            if let Some(session) = service.take_expired(&id) {
                session.expire().await;
            }
        });
    }

    /// The address of the session's user.
    pub(super) fn address(&self) -> &str {
        &self.user.address
    }

    async fn expire(mut self) {
        let mut ids: Vec<i64> = self
            .sm
            .take()
            .map(|sm| sm.unacked.into_iter().filter_map(|(_, _, id)| id).collect())
            .unwrap_or_default();
        while let Some(delivery) = self.hub.try_recv() {
            if let Delivery::Message(message) = delivery {
                ids.push(message.id);
            }
        }
        if let Err(err) = self.hub.keep_waiting(&ids).await {
            tracing::warn!(%err, "messages of a lost chat session not kept for later");
        }
    }

    async fn serve<Io: AsyncReadAndWrite>(
        &mut self,
        stream: &mut Stream<Io>,
        meter: &Meter,
    ) -> Outcome {
        loop {
            tokio::select! {
                item = stream.next() => {
                    meter.stanza_done();
                    let element = match item {
                        Some(Err(ReadError::StreamFooterReceived)) => return End::quiet().into(),
                        None => return Outcome::Lost,
                        Some(Err(ReadError::SoftTimeout)) => {
                            // Silent for a while: a ping tells a live client from a dead
                            // connection (the stream ends if no answer comes).
                            self.pings += 1;
                            let ping = Iq::from_get(format!("ping-{}", self.pings), xmpp_parsers::ping::Ping)
                                .with_to(Jid::from(self.jid.clone()));
                            if self.emit(stream, ping.into(), None).await.is_err() {
                                return Outcome::Lost;
                            }
                            continue;
                        }
                        Some(Err(ReadError::ParseError(_))) => {
                            return End::with(
                                StreamCondition::UnsupportedStanzaType,
                                "Only message, presence and iq stanzas are served here.",
                            ).into()
                        }
                        Some(Err(ReadError::HardError(err))) => {
                            let end = hard_error(meter, &err);
                            return if end.0.is_none() { Outcome::Lost } else { end.into() };
                        }
                        Some(Ok(FallibleStreamElement::Ok(element))) => element,
                        Some(Ok(FallibleStreamElement::Err(err))) => {
                            if let Some(sm) = self.sm.as_mut() {
                                sm.handled = sm.handled.wrapping_add(1);
                            }
                            if let Err(end) = self.invalid(stream, err).await {
                                return end.into();
                            }
                            continue;
                        }
                    };
                    if !self.rate.take() {
                        return End::with(StreamCondition::PolicyViolation, "Too many stanzas; slow down.").into();
                    }
                    if matches!(element, XmppStreamElement::Stanza(_))
                        && let Some(sm) = self.sm.as_mut()
                    {
                        sm.handled = sm.handled.wrapping_add(1);
                    }
                    let handled = match element {
                        XmppStreamElement::Stanza(Stanza::Iq(iq)) => self.iq(stream, iq).await,
                        XmppStreamElement::Stanza(Stanza::Presence(presence)) => self.presence(stream, presence).await,
                        XmppStreamElement::Stanza(Stanza::Message(message)) => self.message(stream, message).await,
                        XmppStreamElement::SM(nonza) => self.stream_management(stream, nonza).await,
                        _ => Err(End::with(StreamCondition::UnsupportedStanzaType, "Not expected here.")),
                    };
                    if let Err(end) = handled {
                        return if end.0.is_none() { Outcome::Lost } else { end.into() };
                    }
                }
                delivery = self.hub.recv() => {
                    let sent = match delivery {
                        None => return End::with(StreamCondition::ResourceConstraint, "This session fell too far behind.").into(),
                        Some(Delivery::ChatOff) => {
                            return End::with(StreamCondition::PolicyViolation, "Chat was switched off for this mailbox.").into()
                        }
                        Some(Delivery::Message(message)) => {
                            let stanza = self.outgoing(&message, false);
                            self.emit(stream, stanza.into(), Some(message.id)).await
                        }
                        Some(Delivery::Sent(message)) if self.carbons => {
                            let stanza = self.carbon(&message);
                            self.emit(stream, stanza.into(), None).await
                        }
                        Some(Delivery::Sent(_)) => Ok(()),
                        Some(Delivery::Contact { address, name }) => match self.roster_push(&address, name) {
                            Some(push) => self.emit(stream, push.into(), None).await,
                            None => Ok(()),
                        },
                        Some(Delivery::Signal { from, from_resource, signal }) => match self.signal_stanza(&from, &from_resource, &signal) {
                            Some(stanza) => self.emit(stream, stanza.into(), None).await,
                            None => Ok(()),
                        },
                        Some(Delivery::Presence(presence)) => match self.presence_of(&presence) {
                            Some(presence) => self.emit(stream, presence.into(), None).await,
                            None => Ok(()),
                        },
                    };
                    if sent.is_err() {
                        return Outcome::Lost;
                    }
                }
            }
        }
    }

    /// Stream management's own elements: enabling it, and acknowledgements both ways.
    async fn stream_management<Io: AsyncReadAndWrite>(
        &mut self,
        stream: &mut Stream<Io>,
        nonza: sm::Nonza,
    ) -> Result<(), End> {
        match nonza {
            sm::Nonza::Enable(enable) => {
                if self.sm.is_some() {
                    stream
                        .send(&sm::Failed {
                            h: None,
                            error: Some(StanzaCondition::UnexpectedRequest),
                        })
                        .await?;
                    return Ok(());
                }
                let id = format!(
                    "{:016x}{:016x}",
                    rand::random::<u64>(),
                    rand::random::<u64>()
                );
                self.sm = Some(StreamManagement {
                    id: id.clone(),
                    resumable: enable.resume,
                    handled: 0,
                    sent: 0,
                    unacked: Default::default(),
                });
                stream
                    .send(&sm::Enabled {
                        id: enable.resume.then_some(sm::StreamId(id)),
                        location: None,
                        max: enable.resume.then_some(RESUME_WINDOW.as_secs() as u32),
                        resume: enable.resume,
                    })
                    .await?;
            }
            sm::Nonza::Req(_) => {
                if let Some(sm) = &self.sm {
                    stream.send(&sm::A { h: sm.handled }).await?;
                }
            }
            sm::Nonza::Ack(ack) => {
                if let Some(sm) = self.sm.as_mut() {
                    sm.unacked
                        .retain(|(seq, _, _)| seq.wrapping_sub(ack.h) as i32 > 0);
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// A stanza that did not parse: an error back to its sender where the protocol has one.
    async fn invalid<Io: AsyncReadAndWrite>(
        &mut self,
        stream: &mut Stream<Io>,
        err: StreamElementError,
    ) -> Result<(), End> {
        match err {
            StreamElementError::InvalidStanza { header, error, .. } => {
                let is_error = header.type_.as_deref() == Some("error");
                if let (Some(id), false) = (header.id, is_error) {
                    stream
                        .send(&Iq::from_error(
                            id,
                            stanza_error(StanzaCondition::BadRequest, &error.to_string()),
                        ))
                        .await?;
                }
                Ok(())
            }
            StreamElementError::InvalidNonza { .. } => Err(End::with(
                StreamCondition::InvalidXml,
                "That element is not valid here.",
            )),
        }
    }

    async fn iq<Io: AsyncReadAndWrite>(
        &mut self,
        stream: &mut Stream<Io>,
        iq: Iq,
    ) -> Result<(), End> {
        let (id, to, payload, set) = match iq {
            Iq::Get {
                id, to, payload, ..
            } => (id, to, payload, false),
            Iq::Set {
                id, to, payload, ..
            } => (id, to, payload, true),
            // Answers to our pings.
            Iq::Result { .. } | Iq::Error { .. } => return Ok(()),
        };
        let domain = chat::domain_of(&self.user.address).to_string();
        let to_server = to.as_ref().is_none_or(|to| to.as_str() == domain);
        let to_self = to
            .as_ref()
            .is_some_and(|to| to.is_bare() && to.as_str() == self.user.address);
        let reply = if payload.is("query", ns::ROSTER) && (to_server || to_self) {
            if set {
                Err(stanza_error(
                    StanzaCondition::NotAllowed,
                    "The contact list is managed by the server: it lists your colleagues who can chat.",
                ))
            } else {
                self.roster().await.map(|r| Some(Element::from(r)))
            }
        } else if (payload.is("ping", ns::PING) && (to_server || to_self))
            || (payload.is("session", NS_SESSION) && set && to_server)
        {
            Ok(None)
        } else if (payload.is("enable", ns::CARBONS) || payload.is("disable", ns::CARBONS))
            && set
            && to_server
        {
            self.carbons = payload.name() == "enable";
            Ok(None)
        } else if payload.is("query", ns::MAM) && set && (to_self || to.is_none()) {
            match self.archive(stream, payload).await? {
                Ok(fin) => Ok(Some(fin)),
                Err(error) => Err(error),
            }
        } else if payload.is("vCard", ns::VCARD) && !set {
            self.vcard(to.as_ref()).await
        } else if payload.is("query", ns::DISCO_INFO) && !set && to_server {
            Ok(Some(Element::from(server_info())))
        } else if payload.is("query", ns::DISCO_INFO) && !set && to_self {
            Ok(Some(Element::from(DiscoInfoResult {
                node: None,
                identities: vec![Identity::new_anonymous::<_, _, String, String>(
                    "account",
                    "registered",
                )],
                features: [ns::DISCO_INFO, ns::MAM]
                    .into_iter()
                    .map(str::to_string)
                    .collect(),
                extensions: Vec::new(),
            })))
        } else if payload.is("query", ns::DISCO_ITEMS) && !set && (to_server || to_self) {
            Ok(Some(Element::from(DiscoItemsResult {
                node: None,
                items: Vec::new(),
                rsm: None,
            })))
        } else {
            Err(stanza_error(
                StanzaCondition::ServiceUnavailable,
                "This is not served here.",
            ))
        };
        let mut answer = match reply {
            Ok(payload) => Iq::Result {
                from: None,
                to: None,
                id,
                payload,
            },
            Err(error) => Iq::from_error(id, error),
        };
        if let Some(to) = to {
            *answer.from_mut() = Some(to);
        }
        stream.send(&answer).await?;
        Ok(())
    }

    /// A colleague joined or left the contact list (RFC 6121 §2.1.6): the server's own
    /// roster push.
    fn roster_push(&mut self, address: &str, name: Option<String>) -> Option<Iq> {
        let jid = BareJid::new(address).ok()?;
        let item = Item {
            jid,
            subscription: if name.is_some() {
                Subscription::Both
            } else {
                Subscription::Remove
            },
            groups: if name.is_some() {
                vec![Group(chat::domain_of(&self.user.address).to_string())]
            } else {
                Vec::new()
            },
            name,
            ask: Default::default(),
            approved: None,
        };
        self.pings += 1;
        Some(
            Iq::from_set(
                format!("push-{}", self.pings),
                Roster {
                    ver: None,
                    items: vec![item],
                },
            )
            .with_to(Jid::from(self.jid.clone())),
        )
    }

    async fn roster(&self) -> Result<Roster, StanzaError> {
        let contacts = self
            .service
            .services
            .chat_contacts(&self.user)
            .await
            .map_err(|err| {
                tracing::warn!(%err, "contacts not read");
                stanza_error(StanzaCondition::InternalServerError, "Try again later.")
            })?;
        let group = chat::domain_of(&self.user.address).to_string();
        let items = contacts
            .into_iter()
            .filter_map(|contact| {
                Some(Item {
                    jid: BareJid::new(&contact.address).ok()?,
                    name: Some(contact.name),
                    subscription: Subscription::Both,
                    ask: Default::default(),
                    groups: vec![Group(group.clone())],
                    approved: None,
                })
            })
            .collect();
        Ok(Roster { ver: None, items })
    }

    async fn presence<Io: AsyncReadAndWrite>(
        &mut self,
        stream: &mut Stream<Io>,
        presence: Presence,
    ) -> Result<(), End> {
        // Directed presence and subscriptions: the contact list is the server's, so there is
        // nothing to subscribe to; they are accepted and dropped.
        if presence.to.is_some() {
            return Ok(());
        }
        let status = match presence.type_ {
            PresenceType::None => match presence.show {
                None | Some(Show::Chat) => Status::Available,
                Some(Show::Away) | Some(Show::Xa) => Status::Away,
                Some(Show::Dnd) => Status::Busy,
            },
            PresenceType::Unavailable => Status::Offline,
            _ => return Ok(()),
        };
        let text = presence
            .statuses
            .values()
            .next()
            .map(|s| s.chars().take(500).collect::<String>());
        let first = self.hub.status() == Status::Offline && status != Status::Offline;
        let waiting = self.hub.set_status(status, text).await.map_err(|err| {
            tracing::warn!(%err, "chat status not set");
            End::with(StreamCondition::InternalServerError, "Try again later.")
        })?;
        if first {
            // Coming online: who is there, then what was kept while away.
            for present in self.hub.present() {
                if let Some(presence) = self.presence_of(&present) {
                    stream.send(&presence).await?;
                }
            }
            for message in waiting {
                stream.send(&self.outgoing(&message, true)).await?;
            }
        }
        Ok(())
    }

    fn presence_of(&self, presence: &chat::Presence) -> Option<Presence> {
        let from = BareJid::new(&presence.address)
            .ok()?
            .with_resource_str(&presence.resource)
            .ok()?;
        let mut stanza = match presence.status {
            Status::Offline => Presence::new(PresenceType::Unavailable),
            Status::Available => Presence::available(),
            Status::Away => Presence::available().with_show(Show::Away),
            Status::Busy => Presence::available().with_show(Show::Dnd),
        };
        stanza.from = Some(Jid::from(from));
        stanza.to = Some(Jid::from(self.jid.clone()));
        if let Some(text) = &presence.text {
            stanza.statuses.insert(String::new().into(), text.clone());
        }
        Some(stanza)
    }

    async fn message<Io: AsyncReadAndWrite>(
        &mut self,
        stream: &mut Stream<Io>,
        message: Message,
    ) -> Result<(), End> {
        let Some((_, body)) = message.get_best_body_cloned(vec![]) else {
            return self.relay_signal(&message).await;
        };
        let reply_error = |condition, text: &str| {
            let mut error = Message::new(message.to.clone());
            error.type_ = MessageType::Error;
            error.id = message.id.clone();
            error.from = message.to.clone();
            error.payloads = vec![Element::from(stanza_error(condition, text))];
            error
        };
        if message.type_ == MessageType::Groupchat {
            stream
                .send(&reply_error(
                    StanzaCondition::NotAcceptable,
                    "Group chats are not served yet.",
                ))
                .await?;
            return Ok(());
        }
        let Some(to) = message.to.as_ref().map(|to| to.to_bare()) else {
            return Ok(());
        };
        let contact = self
            .service
            .services
            .chat_contact(&self.user, to.as_str())
            .await
            .map_err(|err| {
                tracing::warn!(%err, "a chat contact was not checked");
                End::with(StreamCondition::InternalServerError, "Try again later.")
            })?;
        if contact.is_none() {
            stream
                .send(&reply_error(
                    StanzaCondition::ServiceUnavailable,
                    "That address is not a chat contact of yours.",
                ))
                .await?;
            return Ok(());
        }
        let origin = message
            .payloads
            .iter()
            .find(|p| p.is("origin-id", ns::SID))
            .and_then(|p| p.attr("id"))
            .map(str::to_string)
            .or_else(|| message.id.as_ref().map(|id| id.0.clone()));
        match self.hub.send(to.as_str(), &body, origin.as_deref()).await {
            Ok(_) | Err(ChatError::Empty) => Ok(()),
            Err(ChatError::TooLong) => {
                stream
                    .send(&reply_error(
                        StanzaCondition::PolicyViolation,
                        "The message is too long.",
                    ))
                    .await?;
                Ok(())
            }
            Err(ChatError::Db(err)) => {
                tracing::warn!(%err, "a chat message was not kept");
                stream
                    .send(&reply_error(
                        StanzaCondition::InternalServerError,
                        "The message was not sent; try again.",
                    ))
                    .await?;
                Ok(())
            }
        }
    }

    /// Typing (XEP-0085), receipts (XEP-0184) and read markers (XEP-0333) to a contact:
    /// shown, never kept.
    async fn relay_signal(&mut self, message: &Message) -> Result<(), End> {
        let Some(to) = message.to.as_ref().map(|to| to.to_bare()) else {
            return Ok(());
        };
        let signal = message.payloads.iter().find_map(|p| {
            if p.ns() == ns::CHATSTATES {
                Some(Signal::Typing(p.name() == "composing"))
            } else if p.is("received", ns::RECEIPTS) {
                p.attr("id").map(|id| Signal::Received(id.to_string()))
            } else if p.is("displayed", ns::DISPLAYED_MARKERS) {
                p.attr("id").map(|id| Signal::Displayed(id.to_string()))
            } else {
                None
            }
        });
        let Some(signal) = signal else {
            return Ok(());
        };
        let contact = self
            .service
            .services
            .chat_contact(&self.user, to.as_str())
            .await
            .map_err(|_| End::with(StreamCondition::InternalServerError, "Try again later."))?;
        if contact.is_some() {
            self.hub.signal(to.as_str(), signal);
        }
        Ok(())
    }

    fn signal_stanza(&self, from: &str, from_resource: &str, signal: &Signal) -> Option<Message> {
        let from = BareJid::new(from).ok()?;
        let from = from
            .with_resource_str(from_resource)
            .map(Jid::from)
            .unwrap_or_else(|_| Jid::from(from));
        let mut stanza = Message::chat(Some(Jid::from(self.jid.clone())));
        stanza.from = Some(from);
        let payload = match signal {
            Signal::Typing(true) => Element::builder("composing", ns::CHATSTATES).build(),
            Signal::Typing(false) => Element::builder("paused", ns::CHATSTATES).build(),
            Signal::Received(id) => Element::builder("received", ns::RECEIPTS)
                .attr(rxml::xml_ncname!("id").to_owned(), id.as_str())
                .build(),
            Signal::Displayed(id) => Element::builder("displayed", ns::DISPLAYED_MARKERS)
                .attr(rxml::xml_ncname!("id").to_owned(), id.as_str())
                .build(),
        };
        stanza.payloads.push(payload);
        Some(stanza)
    }

    /// A copy of what the user sent from another session (XEP-0280).
    fn carbon(&self, message: &chat::ChatMessage) -> Message {
        let mut copy = Message::chat(Some(Jid::from(self.jid.clone())));
        copy.from = BareJid::new(&self.user.address).ok().map(Jid::from);
        let forwarded = xmpp_parsers::forwarding::Forwarded {
            delay: None,
            message: self.archived(message),
        };
        copy.payloads.push(
            Element::builder("sent", ns::CARBONS)
                .append(Element::from(forwarded))
                .build(),
        );
        copy
    }

    /// A kept message as history shows it: from the sender (with its resource when known)
    /// to the recipient.
    fn archived(&self, message: &chat::ChatMessage) -> Message {
        let to = BareJid::new(&message.to).ok().map(Jid::from);
        let mut stanza = Message::chat(to).with_body(String::new().into(), message.body.clone());
        stanza.from = sender_jid(message);
        stanza.id = Some(xmpp_parsers::message::Id(
            message
                .origin_id
                .clone()
                .unwrap_or_else(|| message.id.to_string()),
        ));
        stanza
    }

    /// A MAM query (XEP-0313): the matching messages, each in its own `<result/>`, then the
    /// `<fin/>` for the answer.
    async fn archive<Io: AsyncReadAndWrite>(
        &mut self,
        stream: &mut Stream<Io>,
        payload: Element,
    ) -> Result<Result<Element, StanzaError>, End> {
        let Ok(query) = xmpp_parsers::mam::Query::try_from(payload) else {
            return Ok(Err(stanza_error(
                StanzaCondition::BadRequest,
                "Not a MAM query.",
            )));
        };
        let mut history = chat::History {
            max: chat::HISTORY_PAGE,
            ..Default::default()
        };
        if let Some(form) = &query.form {
            for field in &form.fields {
                let value = field.values.first().map(String::as_str).unwrap_or_default();
                let time = || {
                    chrono::DateTime::parse_from_rfc3339(value)
                        .map(|t| t.with_timezone(&chrono::Utc))
                        .ok()
                };
                match field.var.as_deref() {
                    Some("with") => {
                        let Ok(with) = Jid::new(value) else {
                            return Ok(Err(stanza_error(
                                StanzaCondition::BadRequest,
                                "Bad 'with'.",
                            )));
                        };
                        history.with = Some(with.to_bare().to_string());
                    }
                    Some("start") => history.start = time(),
                    Some("end") => history.end = time(),
                    Some("after-id") => history.after = value.parse().ok(),
                    Some("{urn:xmpp:fulltext:0}fulltext") => history.text = Some(value.to_string()),
                    Some("before-id") => history.before = value.parse().ok(),
                    _ => {}
                }
            }
        }
        if let Some(set) = &query.set {
            if let Some(max) = set.max {
                history.max = (max as u64).min(chat::HISTORY_PAGE);
            }
            if let Some(after) = set.after.as_deref().filter(|a| !a.is_empty()) {
                let Ok(after) = after.parse() else {
                    return Ok(Err(stanza_error(
                        StanzaCondition::ItemNotFound,
                        "No such message.",
                    )));
                };
                history.after = Some(after);
            }
            match set.before.as_deref() {
                Some("") => history.last = true,
                Some(before) => {
                    let Ok(before) = before.parse() else {
                        return Ok(Err(stanza_error(
                            StanzaCondition::ItemNotFound,
                            "No such message.",
                        )));
                    };
                    history.before = Some(before);
                    history.last = true;
                }
                None => {}
            }
        }
        let page = match self.hub.history(&history).await {
            Ok(page) => page,
            Err(err) => {
                tracing::warn!(%err, "chat history not read");
                return Ok(Err(stanza_error(
                    StanzaCondition::InternalServerError,
                    "Try again later.",
                )));
            }
        };
        for message in &page.messages {
            let result = xmpp_parsers::mam::Result_ {
                id: message.id.to_string(),
                queryid: query.queryid.clone(),
                forwarded: xmpp_parsers::forwarding::Forwarded {
                    delay: Some(Delay {
                        from: None,
                        stamp: xmpp_parsers::date::DateTime(message.at.fixed_offset()),
                        data: None,
                    }),
                    message: self.archived(message),
                },
            };
            let mut wrapper = Message::new(Some(Jid::from(self.jid.clone())));
            wrapper.payloads.push(Element::from(result));
            stream.send(&wrapper).await?;
        }
        let fin = xmpp_parsers::mam::Fin {
            complete: page.complete,
            set: xmpp_parsers::rsm::SetResult {
                first: page.messages.first().map(|m| xmpp_parsers::rsm::First {
                    index: None,
                    item: m.id.to_string(),
                }),
                last: page.messages.last().map(|m| m.id.to_string()),
                count: None,
            },
        };
        Ok(Ok(Element::from(fin)))
    }

    /// A contact's (or the user's own) card (XEP-0054): the name the panel has.
    async fn vcard(&self, to: Option<&Jid>) -> Result<Option<Element>, StanzaError> {
        let name = match to {
            None => Some(self.user.name.clone()),
            Some(to) if to.as_str() == self.user.address => Some(self.user.name.clone()),
            Some(to) => self
                .service
                .services
                .chat_contact(&self.user, to.to_bare().as_str())
                .await
                .map_err(|_| {
                    stanza_error(StanzaCondition::InternalServerError, "Try again later.")
                })?
                .map(|contact| contact.name),
        };
        let Some(name) = name else {
            return Err(stanza_error(
                StanzaCondition::ServiceUnavailable,
                "Not a contact of yours.",
            ));
        };
        Ok(Some(
            Element::builder("vCard", ns::VCARD)
                .append(
                    Element::builder("FN", ns::VCARD)
                        .append(name.as_str())
                        .build(),
                )
                .build(),
        ))
    }

    /// A kept message as this session receives it; one kept while the user was away says
    /// when it was sent (XEP-0203).
    fn outgoing(&self, message: &chat::ChatMessage, delayed: bool) -> Message {
        let from = sender_jid(message);
        let mut stanza = Message::chat(Some(Jid::from(self.jid.clone())))
            .with_body(String::new().into(), message.body.clone());
        stanza.from = from;
        stanza.id = Some(xmpp_parsers::message::Id(
            message
                .origin_id
                .clone()
                .unwrap_or_else(|| message.id.to_string()),
        ));
        if let Ok(by) = BareJid::new(&self.user.address) {
            stanza.payloads.push(Element::from(StanzaId {
                id: message.id.to_string(),
                by: Jid::from(by),
            }));
        }
        if let Some(origin) = &message.origin_id {
            stanza
                .payloads
                .push(Element::from(OriginId { id: origin.clone() }));
        }
        // Asks the recipient's client for receipts and read markers, which come back as
        // signals to the sender.
        stanza
            .payloads
            .push(Element::builder("request", ns::RECEIPTS).build());
        stanza
            .payloads
            .push(Element::builder("markable", ns::DISPLAYED_MARKERS).build());
        if delayed {
            stanza.payloads.push(Element::from(Delay {
                from: BareJid::new(chat::domain_of(&self.user.address))
                    .ok()
                    .map(Jid::from),
                stamp: xmpp_parsers::date::DateTime(message.at.fixed_offset()),
                data: None,
            }));
        }
        stanza
    }
}

/// The sender of a kept message, with its resource when known.
fn sender_jid(message: &chat::ChatMessage) -> Option<Jid> {
    BareJid::new(&message.from).ok().map(|bare| {
        if message.from_resource.is_empty() {
            Jid::from(bare)
        } else {
            bare.with_resource_str(&message.from_resource)
                .map(Jid::from)
                .unwrap_or_else(|_| Jid::from(bare))
        }
    })
}

/// What the server says of itself (XEP-0030).
fn server_info() -> DiscoInfoResult {
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
        ]
        .into_iter()
        .map(str::to_string)
        .collect(),
        extensions: Vec::new(),
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
