// SPDX-License-Identifier: AGPL-3.0-only
//! A client connection from its first stream header to a bound session: TLS (STARTTLS or
//! direct), SASL PLAIN through the engine's credentials, then resource binding, or the
//! resumption of a dropped session (XEP-0198).

use std::{net::SocketAddr, sync::Arc, time::Duration};

use futures_util::SinkExt;
use tokio::{io::BufStream, net::TcpStream};
use tokio_xmpp::{
    Stanza,
    connect::AsyncReadAndWrite,
    xmlstream::{
        FallibleStreamElement, PendingFeaturesSend, StreamHeader, XmppStreamElement, accept_stream,
    },
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
    chat,
    services::chat::{ChatRefusal, ChatUser},
};

use super::{
    Service,
    limits::{Meter, Metered},
    session::{Connected, NS_SESSION, run_session},
    stream::{Boxed, End, Stream, close, read, stanza_error, timeouts},
};

/// How long a client has for its TLS handshake.
const HANDSHAKE: Duration = Duration::from_secs(10);
/// Sign-in attempts on one stream before it is closed.
const SIGN_IN_ATTEMPTS: u32 = 3;
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
    let session = Connected::new(service, user, jid);
    run_session(session, stream, meter, service).await;
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
