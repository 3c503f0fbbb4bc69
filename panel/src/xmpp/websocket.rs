// SPDX-License-Identifier: AGPL-3.0-only
//! XMPP over WebSocket (RFC 7395) on the web port, for web chat clients: `GET /xmpp-websocket`
//! with the `xmpp` subprotocol, each message one whole element, `<open/>` and `<close/>` in
//! place of the stream's header and footer.
//!
//! The connection is not a second implementation of the protocol: a bridge turns the frames
//! into the classic byte stream and back, and the stream runs through the same negotiation
//! (SASL, bind or resume) and the same session as a client on 5222, with the same limits.
//! Both directions go through real XML parsers (`minidom` on each frame, `rxml` on the
//! server's stream); the web port is TLS (or behind the provider's TLS proxy), so no
//! STARTTLS is offered. Authentication is SASL inside the stream, never the browser's cookies,
//! so any web client's origin may connect.

use std::{net::SocketAddr, str::FromStr, sync::Arc};

use axum::{
    Extension,
    extract::{
        State,
        ws::{Message, WebSocket, WebSocketUpgrade},
    },
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};
use futures_util::{SinkExt, StreamExt, stream::SplitSink};
use rxml::{Parse, RawEvent, RawParser};
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream, WriteHalf};
use xmpp_parsers::{
    minidom::{Element, tree_builder::TreeBuilder},
    ns,
};

use app::ports::ClientIp;

use super::{
    Service,
    limits::{Meter, Metered},
    negotiate,
    stream::Boxed,
};

/// The framing namespace of `<open/>` and `<close/>`.
const NS_FRAMING: &str = "urn:ietf:params:xml:ns:xmpp-framing";
/// The WebSocket subprotocol a client must ask for.
const SUBPROTOCOL: &str = "xmpp";
/// The largest frame read at all. Frames up to it reach the stream, whose meter ends an
/// oversized stanza with `policy-violation` as on 5222; a bigger one drops the connection.
const MAX_FRAME: usize = 16 * 1024 * 1024;

/// Where the endpoint is served.
pub const PATH: &str = "/xmpp-websocket";
/// XEP-0156's link relation for a WebSocket endpoint.
const REL_WEBSOCKET: &str = "urn:xmpp:alt-connections:websocket";
const NS_XRD: &str = "http://docs.oasis-open.org/ns/xri/xrd-1.0";

/// The endpoint's public address, for discovery (XEP-0156).
#[derive(Clone)]
pub struct Discovery {
    href: Arc<str>,
}

impl Discovery {
    /// From the panel's public URL: `https://host` serves `wss://host/xmpp-websocket`.
    pub fn new(public_url: &str) -> Discovery {
        let base = public_url.trim_end_matches('/');
        let href = if let Some(rest) = base.strip_prefix("https://") {
            format!("wss://{rest}{PATH}")
        } else if let Some(rest) = base.strip_prefix("http://") {
            format!("ws://{rest}{PATH}")
        } else {
            format!("{base}{PATH}")
        };
        Discovery { href: href.into() }
    }
}

/// `GET /.well-known/host-meta`: the XRD document naming the WebSocket endpoint.
pub async fn host_meta(State(found): State<Discovery>) -> Response {
    let link = Element::builder("Link", NS_XRD)
        .attr(rxml::xml_ncname!("rel").to_owned(), REL_WEBSOCKET)
        .attr(rxml::xml_ncname!("href").to_owned(), &*found.href)
        .build();
    let xrd = Element::builder("XRD", NS_XRD).append(link).build();
    match serialize(&xrd) {
        Ok(body) => (
            [(header::CONTENT_TYPE, "application/xrd+xml; charset=utf-8")],
            format!("<?xml version='1.0' encoding='utf-8'?>\n{body}"),
        )
            .into_response(),
        Err(()) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// `GET /.well-known/host-meta.json`: the same as JSON (RFC 6415).
pub async fn host_meta_json(State(found): State<Discovery>) -> Response {
    axum::Json(serde_json::json!({
        "links": [{ "rel": REL_WEBSOCKET, "href": &*found.href }]
    }))
    .into_response()
}

/// The web listener's handle on the XMPP service, for its WebSocket endpoint.
#[derive(Clone)]
pub struct WebSocketEndpoint(pub(super) Arc<Service>);

impl WebSocketEndpoint {
    /// The largest file a chat client may share, for the upload route's body limit.
    pub fn max_upload_bytes(&self) -> u64 {
        self.0.max_upload_bytes
    }
}

/// `GET /xmpp-websocket`: the upgrade, for a client that asks for the `xmpp` subprotocol.
pub async fn upgrade(
    State(endpoint): State<WebSocketEndpoint>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    let asks_xmpp = headers
        .get_all(header::SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|protocol| protocol.trim() == SUBPROTOCOL);
    if !asks_xmpp {
        return (
            StatusCode::BAD_REQUEST,
            "XMPP over WebSocket needs the 'xmpp' subprotocol (RFC 7395).",
        )
            .into_response();
    }
    let service = endpoint.0;
    if service.services.ip_blocked(ip) {
        return StatusCode::FORBIDDEN.into_response();
    }
    upgrade
        .protocols([SUBPROTOCOL])
        .max_message_size(MAX_FRAME)
        .on_upgrade(move |socket| serve(socket, SocketAddr::new(ip, 0), service))
}

/// Runs the bridge and the stream behind it until either side ends.
async fn serve(socket: WebSocket, peer: SocketAddr, service: Arc<Service>) {
    let limit = service.max_stanza_bytes;
    let (ours, theirs) = tokio::io::duplex(64 * 1024);
    let meter = Meter::new(limit);
    let io: Boxed = Box::new(negotiate::buffered(Metered::new(ours, meter.clone())));
    let stream = {
        let service = service.clone();
        tokio::spawn(async move { negotiate::secured(io, peer, &service, &meter).await })
    };
    let (from_stream, to_stream) = tokio::io::split(theirs);
    let (sink, frames) = socket.split();
    let outgoing = tokio::spawn(frames_out(from_stream, sink));
    frames_in(frames, to_stream, limit).await;
    // The client is gone or misbehaved: the stream sees its end (and parks a resumable
    // session, as for a dropped TCP connection); what it still sends goes out.
    let _ = stream.await;
    let _ = outgoing.await;
}

/// The client's frames into the stream: `<open/>` as a stream header, `<close/>` as its
/// footer, every other element as it is. A frame that is no single well-formed element ends
/// the connection with `not-well-formed`; an oversized one with `policy-violation`.
async fn frames_in(
    mut frames: futures_util::stream::SplitStream<WebSocket>,
    mut to_stream: WriteHalf<DuplexStream>,
    limit: usize,
) {
    while let Some(frame) = frames.next().await {
        let text = match frame {
            Ok(Message::Text(text)) => text,
            Ok(Message::Close(_)) | Err(_) => break,
            Ok(Message::Binary(_)) => {
                // RFC 7395 §3.2: text frames only. The stream gets bytes it cannot parse and
                // ends with its error.
                let _ = to_stream.write_all(b"<\x00>").await;
                break;
            }
            Ok(_) => continue,
        };
        if text.len() > limit {
            // Too big to be a stanza here: no point parsing it; the stream's meter stops
            // reading it past the limit and ends the stream with `policy-violation`.
            let _ = to_stream.write_all(text.as_bytes()).await;
            break;
        }
        let bytes = match Element::from_str(text.as_str()) {
            Ok(element) if element.is("open", NS_FRAMING) => stream_header(&element),
            Ok(element) if element.is("close", NS_FRAMING) => b"</stream:stream>".to_vec(),
            Ok(element) => {
                let mut bytes = Vec::with_capacity(text.len());
                if element.write_to(&mut bytes).is_err() {
                    break;
                }
                bytes
            }
            // Not one well-formed element (a DTD, two elements, broken XML): the stream's
            // parser sees bytes that are no XML and ends with `not-well-formed`.
            Err(_) => b"<\x00>".to_vec(),
        };
        if to_stream.write_all(&bytes).await.is_err() || to_stream.flush().await.is_err() {
            break;
        }
    }
    let _ = to_stream.shutdown().await;
}

/// The classic stream header for an `<open/>`: its `to` kept only when it is a plain domain
/// name, so nothing the client sends reaches the stream unparsed.
fn stream_header(open: &Element) -> Vec<u8> {
    let to = open.attr("to").filter(|to| {
        !to.is_empty()
            && to.len() <= 253
            && to
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
    });
    let mut header = String::from(
        "<?xml version='1.0'?><stream:stream xmlns='jabber:client' \
         xmlns:stream='http://etherx.jabber.org/streams' version='1.0'",
    );
    if let Some(to) = to {
        header.push_str(" to='");
        header.push_str(to);
        header.push('\'');
    }
    header.push('>');
    header.into_bytes()
}

/// The stream's output as frames: its header as `<open/>`, each top-level element whole, its
/// footer as `<close/>`, then the WebSocket's close. A SASL `<success/>` restarts the stream,
/// so the parser starts over after it.
async fn frames_out(
    mut from_stream: tokio::io::ReadHalf<DuplexStream>,
    mut sink: SplitSink<WebSocket, Message>,
) {
    let mut parser = Output::new();
    let mut buffer = Vec::new();
    let mut chunk = vec![0u8; 16 * 1024];
    'reading: loop {
        let read = match from_stream.read(&mut chunk).await {
            Ok(0) | Err(_) => break,
            Ok(read) => read,
        };
        buffer.extend_from_slice(&chunk[..read]);
        let mut rest = &buffer[..];
        loop {
            match parser.next(&mut rest) {
                Ok(Some(Frame::Send(frame))) => {
                    if sink.send(Message::Text(frame.into())).await.is_err() {
                        break 'reading;
                    }
                }
                Ok(Some(Frame::Close(frame))) => {
                    let _ = sink.send(Message::Text(frame.into())).await;
                    break 'reading;
                }
                Ok(None) => break,
                Err(()) => break 'reading,
            }
        }
        let used = buffer.len() - rest.len();
        buffer.drain(..used);
    }
    let _ = sink.send(Message::Close(None)).await;
    let _ = sink.close().await;
}

/// What the stream's output becomes.
enum Frame {
    Send(String),
    /// The stream's end: the last frame.
    Close(String),
}

/// The parser of the stream's output: where it is in the stream and the element it builds.
struct Output {
    parser: RawParser,
    /// Inside the stream's header (its attributes so far), before it closes.
    header: Option<Vec<(String, String)>>,
    in_stream: bool,
    element: Option<TreeBuilder>,
}

impl Output {
    fn new() -> Output {
        Output {
            parser: RawParser::new(),
            header: None,
            in_stream: false,
            element: None,
        }
    }

    /// The next frame from `input`, consuming what it reads; `None` when more bytes are
    /// needed. Output that is no XML (which the server never writes) ends the connection.
    fn next(&mut self, input: &mut &[u8]) -> Result<Option<Frame>, ()> {
        loop {
            let event = match self.parser.parse(input, false) {
                Ok(Some(event)) => event,
                Ok(None) => return Err(()),
                Err(rxml::error::EndOrError::NeedMoreData) => return Ok(None),
                Err(rxml::error::EndOrError::Error(_)) => return Err(()),
            };
            if let Some(builder) = self.element.as_mut() {
                builder.process_event(event).map_err(|_| ())?;
                // Back at the stand-in stream's depth: the element is whole.
                if builder.depth() == 1
                    && let Some(element) = builder.unshift_child()
                {
                    self.element = None;
                    let element = standalone(element);
                    if element.is("success", ns::SASL) {
                        // The client opens a new stream next; so does the server, with a
                        // new XML declaration that only a new parser accepts.
                        *self = Output::new();
                    }
                    return Ok(Some(Frame::Send(serialize(&element)?)));
                }
                continue;
            }
            match event {
                RawEvent::XmlDeclaration(..) => {}
                RawEvent::ElementHeadOpen(..) if !self.in_stream => self.header = Some(Vec::new()),
                RawEvent::Attribute(_, (prefix, name), value) if self.header.is_some() => {
                    if prefix.is_none()
                        && let Some(header) = self.header.as_mut()
                    {
                        header.push((name.to_string(), value.to_string()));
                    }
                }
                RawEvent::ElementHeadClose(_) if self.header.is_some() => {
                    self.in_stream = true;
                    let header = self.header.take().unwrap_or_default();
                    let mut open = Element::builder("open", NS_FRAMING);
                    for (name, value) in header {
                        if matches!(name.as_str(), "from" | "id" | "version") {
                            open = open.attr(rxml::NcName::try_from(name).map_err(|_| ())?, value);
                        }
                    }
                    return Ok(Some(Frame::Send(serialize(&open.build())?)));
                }
                RawEvent::ElementFoot(_) if self.in_stream => {
                    let close = Element::builder("close", NS_FRAMING).build();
                    return Ok(Some(Frame::Close(serialize(&close)?)));
                }
                RawEvent::ElementHeadOpen(..) => {
                    let mut builder = in_stream_context()?;
                    builder.process_event(event).map_err(|_| ())?;
                    self.element = Some(builder);
                }
                // Whitespace between stanzas.
                RawEvent::Text(..) => {}
                _ => return Err(()),
            }
        }
    }
}

/// A tree builder inside a stand-in for the stream's header, so an element that inherits
/// the stream's namespaces (`jabber:client`, the `stream:` prefix) is read with them.
fn in_stream_context() -> Result<TreeBuilder, ()> {
    let none = || rxml::parser::EventMetrics::new(0);
    let name = |n: &str| rxml::NcName::try_from(n.to_string()).map_err(|_| ());
    let mut builder = TreeBuilder::new();
    for event in [
        RawEvent::ElementHeadOpen(none(), (Some(name("stream")?), name("stream")?)),
        RawEvent::Attribute(
            none(),
            (None, name("xmlns")?),
            ns::JABBER_CLIENT.to_string(),
        ),
        RawEvent::Attribute(
            none(),
            (Some(name("xmlns")?), name("stream")?),
            ns::STREAM.to_string(),
        ),
        RawEvent::ElementHeadClose(none()),
    ] {
        builder.process_event(event).map_err(|_| ())?;
    }
    Ok(builder)
}

/// An element as its own document: the stream's own elements (features, errors) keep the
/// `stream:` prefix clients look for, as RFC 7395's examples write them.
fn standalone(mut element: Element) -> Element {
    if element.ns() != ns::STREAM {
        return element;
    }
    let mut copy = Element::builder(element.name(), ns::STREAM);
    if let Ok(prefixed) =
        Element::builder(element.name(), ns::STREAM).prefix(Some("stream".to_string()), ns::STREAM)
    {
        copy = prefixed;
    }
    for ((namespace, name), value) in element.attrs().iter() {
        copy = copy.attr_ns(namespace.clone(), name.clone(), value.clone());
    }
    copy.append_all(element.take_nodes()).build()
}

fn serialize(element: &Element) -> Result<String, ()> {
    let mut bytes = Vec::new();
    element.write_to(&mut bytes).map_err(|_| ())?;
    String::from_utf8(bytes).map_err(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every frame the parser makes of this output, fed in pieces of `step` bytes.
    fn frames(output: &str, step: usize) -> Vec<String> {
        let mut parser = Output::new();
        let mut buffer = Vec::new();
        let mut frames = Vec::new();
        for chunk in output.as_bytes().chunks(step) {
            buffer.extend_from_slice(chunk);
            let mut rest = &buffer[..];
            while let Some(frame) = parser.next(&mut rest).unwrap() {
                frames.push(match frame {
                    Frame::Send(frame) | Frame::Close(frame) => frame,
                });
            }
            let used = buffer.len() - rest.len();
            buffer.drain(..used);
        }
        frames
    }

    #[test]
    fn the_streams_output_becomes_standalone_frames() {
        let output = "<?xml version='1.0'?>\n<stream:stream xmlns='jabber:client' \
            xmlns:stream='http://etherx.jabber.org/streams' from='demo.test' id='abc' \
            version='1.0' xml:lang='en'><stream:features><mechanisms \
            xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism></mechanisms>\
            </stream:features><success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>\
            <?xml version='1.0'?><stream:stream xmlns='jabber:client' \
            xmlns:stream='http://etherx.jabber.org/streams' from='demo.test' id='def' \
            version='1.0'>\n<message to='a@demo.test'><body>a &amp; b</body></message>\
            </stream:stream>";
        for step in [1, 7, output.len()] {
            let frames = frames(output, step);
            assert_eq!(frames.len(), 6, "{frames:#?}");
            let parsed: Vec<Element> = frames
                .iter()
                .map(|f| Element::from_str(f).unwrap_or_else(|e| panic!("{f}: {e}")))
                .collect();
            assert!(parsed[0].is("open", NS_FRAMING), "{}", frames[0]);
            assert_eq!(parsed[0].attr("from"), Some("demo.test"));
            assert_eq!(parsed[0].attr("id"), Some("abc"));
            assert!(parsed[1].is("features", ns::STREAM), "{}", frames[1]);
            assert!(frames[1].starts_with("<stream:features"), "{}", frames[1]);
            assert!(parsed[2].is("success", ns::SASL));
            assert_eq!(parsed[3].attr("id"), Some("def"));
            assert!(parsed[4].is("message", ns::JABBER_CLIENT), "{}", frames[4]);
            assert_eq!(
                parsed[4]
                    .get_child("body", ns::JABBER_CLIENT)
                    .map(|b| b.text()),
                Some("a & b".to_string())
            );
            assert!(parsed[5].is("close", NS_FRAMING));
        }
    }

    #[test]
    fn an_open_becomes_a_header_with_a_plain_domain_only() {
        let open = |to: &str| {
            let element = Element::builder("open", NS_FRAMING)
                .attr(rxml::xml_ncname!("to").to_owned(), to)
                .build();
            String::from_utf8(stream_header(&element)).unwrap()
        };
        assert!(open("demo.test").contains(" to='demo.test'"));
        assert!(!open("x' evil='1").contains("evil"));
        assert!(!open("a<b").contains("a<b"));
    }
}
