// SPDX-License-Identifier: AGPL-3.0-only
//! The server's TLS certificate: written into the engine's configuration as references to
//! the PEM files, so a reload re-reads them, and shared with the web panel, which resolves
//! certificates through the engine's own resolver and so serves whatever the mail listeners
//! serve, a renewal included, without a restart.

use std::{path::PathBuf, sync::Arc};

use rustls::{ServerConfig, crypto::CryptoProvider};
use stalwart_lib::common::listener::tls::CertificateResolver;

use crate::{engine::Engine, error::GlueError};

/// PEM files of a certificate chain and its private key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

impl Engine {
    /// Reads the certificate files again and serves the result to every new connection, mail
    /// and web alike. A file that cannot be read or parsed leaves the current certificate in
    /// place and is reported.
    pub async fn reload_certificates(&self) -> Result<(), GlueError> {
        let result = self
            .server()
            .reload_certificates()
            .await
            .map_err(crate::directory::engine_err)?;
        match GlueError::from_config_errors(&result.config.errors) {
            Some(err) => Err(err),
            None => Ok(()),
        }
    }

    /// A TLS configuration for the web panel that takes its certificate from the engine (the
    /// configured one, or the engine's self-signed one), for HTTP/1.1.
    pub fn web_tls_config(&self) -> Result<Arc<ServerConfig>, GlueError> {
        self.tls_config(
            rustls::crypto::ring::default_provider(),
            vec![b"http/1.1".to_vec()],
        )
    }

    /// The same for the XMPP service, with its own cryptography: STARTTLS on the client
    /// port, and direct TLS (XEP-0368) with the `xmpp-client` protocol name, or none, as
    /// clients offer.
    pub fn xmpp_tls_config(
        &self,
        provider: CryptoProvider,
    ) -> Result<Arc<ServerConfig>, GlueError> {
        self.tls_config(provider, vec![b"xmpp-client".to_vec()])
    }

    fn tls_config(
        &self,
        provider: CryptoProvider,
        alpn: Vec<Vec<u8>>,
    ) -> Result<Arc<ServerConfig>, GlueError> {
        let provider = Arc::new(provider);
        let mut config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|err| GlueError::Config {
                reason: format!("TLS: {err}"),
            })?
            .with_no_client_auth()
            .with_cert_resolver(Arc::new(CertificateResolver::new(self.inner.clone())));
        config.alpn_protocols = alpn;
        Ok(Arc::new(config))
    }
}
