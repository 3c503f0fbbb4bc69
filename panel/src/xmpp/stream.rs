// SPDX-License-Identifier: AGPL-3.0-only
//! What every part of a client connection shares: the XML stream's type, how a stream ends
//! (and with which error), reading one element whole, and stanza errors.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio_xmpp::{
    connect::AsyncReadAndWrite,
    xmlstream::{
        FallibleStreamElement, ReadError, StreamElementError, Timeouts, XmlStream,
        XmppStreamElement,
    },
};
use xmpp_parsers::{
    csi, ns,
    stanza_error::{DefinedCondition as StanzaCondition, ErrorType, StanzaError},
    stream_error::{DefinedCondition as StreamCondition, StreamError},
};
use xso::{FromEventsBuilder, FromXml};

use super::limits::Meter;

pub(super) type Boxed = Box<dyn AsyncReadAndWrite + Send + 'static>;
pub(super) type Stream<Io> = XmlStream<Io, ClientElement>;

/// What a client sends: the stream elements tokio-xmpp knows, or a client state indication
/// (XEP-0352), which it does not.
// Nearly every element is a standard one: boxing it would allocate per stanza to make the
// rare CSI nonza smaller.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub(super) enum ClientElement {
    Std(FallibleStreamElement),
    /// `<active/>` (true) or `<inactive/>` (false).
    Csi(bool),
}

#[allow(clippy::large_enum_variant)]
pub(super) enum ClientElementBuilder {
    Std(<FallibleStreamElement as FromXml>::Builder),
    Active(<csi::Active as FromXml>::Builder),
    Inactive(<csi::Inactive as FromXml>::Builder),
}

impl FromXml for ClientElement {
    type Builder = ClientElementBuilder;

    fn from_events(
        name: rxml::QName,
        attrs: rxml::AttrMap,
        ctx: &xso::Context<'_>,
    ) -> Result<Self::Builder, xso::error::FromEventsError> {
        if name.0 == ns::CSI {
            match name.1.as_str() {
                "active" => {
                    return <csi::Active as FromXml>::from_events(name, attrs, ctx)
                        .map(ClientElementBuilder::Active);
                }
                "inactive" => {
                    return <csi::Inactive as FromXml>::from_events(name, attrs, ctx)
                        .map(ClientElementBuilder::Inactive);
                }
                _ => {}
            }
        }
        <FallibleStreamElement as FromXml>::from_events(name, attrs, ctx)
            .map(ClientElementBuilder::Std)
    }
}

impl FromEventsBuilder for ClientElementBuilder {
    type Output = ClientElement;

    fn feed(
        &mut self,
        ev: rxml::Event,
        ctx: &xso::Context<'_>,
    ) -> Result<Option<ClientElement>, xso::error::Error> {
        Ok(match self {
            ClientElementBuilder::Std(builder) => builder.feed(ev, ctx)?.map(ClientElement::Std),
            ClientElementBuilder::Active(builder) => {
                builder.feed(ev, ctx)?.map(|_| ClientElement::Csi(true))
            }
            ClientElementBuilder::Inactive(builder) => {
                builder.feed(ev, ctx)?.map(|_| ClientElement::Csi(false))
            }
        })
    }
}

/// Why a stream ended early: the stream error to send, if the stream can still take one.
pub(super) struct End(pub(super) Option<StreamError>);

impl End {
    pub(super) fn with(condition: StreamCondition, text: &str) -> End {
        End(Some(StreamError::new(condition, "en", text)))
    }

    pub(super) fn quiet() -> End {
        End(None)
    }
}

impl From<std::io::Error> for End {
    fn from(_: std::io::Error) -> End {
        End::quiet()
    }
}

pub(super) fn timeouts() -> Timeouts {
    Timeouts {
        read_timeout: Duration::from_secs(240),
        response_timeout: Duration::from_secs(60),
    }
}

/// Reads the next element whole; what cannot be read ends the stream with its error.
pub(super) async fn read<S>(stream: &mut S, meter: &Meter) -> Result<XmppStreamElement, End>
where
    S: futures_util::Stream<Item = Result<ClientElement, ReadError>> + Unpin,
{
    loop {
        let item = stream.next().await;
        meter.stanza_done();
        return match item {
            None => Err(End::quiet()),
            Some(Ok(ClientElement::Std(FallibleStreamElement::Ok(element)))) => Ok(element),
            Some(Ok(ClientElement::Csi(_))) => Err(End::with(
                StreamCondition::UnsupportedStanzaType,
                "Client state indication comes after binding a resource.",
            )),
            Some(Ok(ClientElement::Std(FallibleStreamElement::Err(
                StreamElementError::InvalidStanza { error, .. },
            )))) => Err(End::with(
                StreamCondition::InvalidXml,
                &format!("invalid stanza: {error}"),
            )),
            Some(Ok(ClientElement::Std(FallibleStreamElement::Err(
                StreamElementError::InvalidNonza { error, .. },
            )))) => Err(End::with(
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

pub(super) fn hard_error(meter: &Meter, err: &std::io::Error) -> End {
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
pub(super) async fn close<Io: AsyncReadAndWrite>(stream: &mut Stream<Io>, end: End) {
    if let End(Some(error)) = end {
        let _ = stream.send(&error).await;
    }
    let _ = tokio::time::timeout(Duration::from_secs(5), stream.shutdown()).await;
}

pub(super) fn stanza_error(condition: StanzaCondition, text: &str) -> StanzaError {
    let kind = match condition {
        StanzaCondition::BadRequest | StanzaCondition::NotAcceptable => ErrorType::Modify,
        _ => ErrorType::Cancel,
    };
    StanzaError::new(kind, condition, "en", text)
}
