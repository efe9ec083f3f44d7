//! [`TlsAcceptor`]: the server configuration, built once, and the handshake on each accepted
//! connection.
//!
//! The handshake has no timeout of its own: a client that connects and says nothing would hold
//! its connection forever, so the caller bounds it, e.g. with netstack's `Stack::timeout`
//! (`stack.timeout(Duration::from_secs(10), acceptor.accept(tcp)).await`). The same goes for
//! reads after the handshake; TCP-level timeouts (`TcpStream::set_timeout`) also apply.

use alloc::sync::Arc;

use rustls::crypto::SecureRandom;
use rustls::server::ServerConfig;
use rustls::sign::SingleCertAndKey;
use rustls::time_provider::TimeProvider;
#[cfg(feature = "tls12")]
use rustls::version::TLS12;
use rustls::version::TLS13;

use crate::stream::{TlsStream, Transport};
use crate::{Error, Identity, provider};

/// The protocol versions served: TLS 1.3, and TLS 1.2 for older clients with the `tls12`
/// feature.
#[cfg(feature = "tls12")]
const VERSIONS: &[&rustls::SupportedProtocolVersion] = &[&TLS13, &TLS12];
#[cfg(not(feature = "tls12"))]
const VERSIONS: &[&rustls::SupportedProtocolVersion] = &[&TLS13];

/// Accepts TLS connections with one identity; cheap to clone (the configuration is shared).
#[derive(Clone, Debug)]
pub struct TlsAcceptor {
    config: Arc<ServerConfig>,
}

impl TlsAcceptor {
    /// A server for `identity` speaking TLS 1.3 (and 1.2 with the `tls12` feature), taking random octets from `random`
    /// and the time from `time`.
    ///
    /// `random` is checked first: if it cannot produce 32 octets, the acceptor is refused
    /// ([`Error::NoRandomness`]) rather than ever running TLS on bad randomness. In the kernel,
    /// `kernel::acceptor` supplies RDRAND and the wallclock.
    pub fn new(
        identity: &Identity,
        random: &'static dyn SecureRandom,
        time: Arc<dyn TimeProvider>,
    ) -> Result<TlsAcceptor, Error> {
        let mut probe = [0u8; 32];
        random.fill(&mut probe).map_err(|_| {
            Error::NoRandomness("the random source failed to produce 32 octets".into())
        })?;
        let provider = Arc::new(provider::provider(random));
        let mut config = ServerConfig::builder_with_details(provider, time)
            .with_protocol_versions(VERSIONS)
            .map_err(Error::Config)?
            .with_no_client_auth()
            .with_cert_resolver(Arc::new(SingleCertAndKey::from(identity.certified_key())));
        // No resumption: no session cache, no tickets (nothing to keep keys for, and clients
        // reconnecting to a unikernel do a full handshake in one round trip anyway).
        config.send_tls13_tickets = 0;
        // Our order (ChaCha20-Poly1305 first, see `provider`), not the client's.
        config.ignore_client_order = true;
        Ok(TlsAcceptor {
            config: Arc::new(config),
        })
    }

    /// Runs the TLS handshake on `transport` (an accepted TCP connection): the stream, ready
    /// for application data, or why the handshake failed (the peer has been sent an alert).
    pub async fn accept<T: Transport>(&self, transport: T) -> Result<TlsStream<T>, Error> {
        let conn = rustls::server::UnbufferedServerConnection::new(self.config.clone())
            .map_err(Error::Config)?;
        let mut stream = TlsStream::new(conn, transport);
        stream.handshake().await?;
        Ok(stream)
    }

    /// The rustls configuration (e.g. to read the cipher suites in a log line).
    pub fn config(&self) -> &Arc<ServerConfig> {
        &self.config
    }
}

/// A server that is generic over netstack's streams (`xenolith_netstack::Acceptor`) gets
/// TLS by taking a [`TlsAcceptor`] where it took `xenolith_netstack::Plain`.
impl xenolith_netstack::Acceptor for TlsAcceptor {
    type Connection = TlsStream<xenolith_netstack::TcpStream>;

    async fn accept(
        &self,
        stream: xenolith_netstack::TcpStream,
    ) -> Result<TlsStream<xenolith_netstack::TcpStream>, Error> {
        TlsAcceptor::accept(self, stream).await
    }
}

/// A TLS stream over TCP as netstack's byte stream (reads are cancel-safe, as the trait asks).
impl<T: Transport> xenolith_netstack::Connection for TlsStream<T> {
    type Error = Error;

    async fn read(&mut self, buffer: &mut [u8]) -> Result<usize, Error> {
        TlsStream::read(self, buffer).await
    }

    async fn write_all(&mut self, data: &[u8]) -> Result<(), Error> {
        TlsStream::write_all(self, data).await
    }

    async fn close(&mut self) {
        let _ = TlsStream::close(self).await;
    }
}
