//! Handshakes between this crate's server ([`TlsAcceptor`] over an in-memory [`Transport`])
//! and a std rustls client, for every protocol version, cipher suite and key-exchange group;
//! and what happens when the client is broken, truncated or sends garbage.
//!
//! The client uses this crate's provider too, with signature verification added from the
//! same RustCrypto crates (the server's provider has none), and pins the server's
//! certificate instead of checking a chain, so each handshake really checks the server's
//! signature.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::future::Future;
use std::pin::pin;
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::vec::Vec;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{
    GetRandomFailed, SecureRandom, WebPkiSupportedAlgorithms, verify_tls12_signature,
    verify_tls13_signature,
};
use rustls::pki_types::{
    AlgorithmIdentifier, CertificateDer, InvalidSignature, ServerName,
    SignatureVerificationAlgorithm, UnixTime, alg_id,
};
use rustls::time_provider::TimeProvider;
use rustls::{
    CipherSuite, ClientConfig, ClientConnection, DigitallySignedStruct, NamedGroup,
    ProtocolVersion, SignatureScheme, SupportedProtocolVersion,
};
use xenolith_tls::{Error, Identity, TlsAcceptor, Transport, provider};

const P256_CERT: &[u8] = include_bytes!("data/p256-cert.der");
const P256_KEY: &[u8] = include_bytes!("data/p256-key.der");
#[cfg(feature = "ed25519")]
const ED25519_CERT: &[u8] = include_bytes!("data/ed25519-cert.der");
#[cfg(feature = "ed25519")]
const ED25519_KEY: &[u8] = include_bytes!("data/ed25519-key.der");

// ---- randomness and time ----------------------------------------------------------------

/// SplitMix64 seeded from the clock: good enough to exercise TLS in tests, never in a server.
#[derive(Debug)]
struct TestRandom(Mutex<u64>);

impl SecureRandom for TestRandom {
    fn fill(&self, buffer: &mut [u8]) -> Result<(), GetRandomFailed> {
        let mut state = self.0.lock().unwrap();
        if *state == 0 {
            *state = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
                | 1;
        }
        for chunk in buffer.chunks_mut(8) {
            *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = *state;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^= z >> 31;
            chunk.copy_from_slice(&z.to_le_bytes()[..chunk.len()]);
        }
        Ok(())
    }
}

static RANDOM: TestRandom = TestRandom(Mutex::new(0));

#[derive(Debug)]
struct BrokenRandom;

impl SecureRandom for BrokenRandom {
    fn fill(&self, _: &mut [u8]) -> Result<(), GetRandomFailed> {
        Err(GetRandomFailed)
    }
}

static BROKEN: BrokenRandom = BrokenRandom;

#[derive(Debug)]
struct SystemTime;

impl TimeProvider for SystemTime {
    fn current_time(&self) -> Option<UnixTime> {
        Some(UnixTime::now())
    }
}

fn acceptor(cert: &[u8], key: &[u8]) -> TlsAcceptor {
    let identity = Identity::from_der(vec![cert.to_vec()], key.to_vec()).unwrap();
    TlsAcceptor::new(&identity, &RANDOM, Arc::new(SystemTime)).unwrap()
}

// ---- an in-memory transport ---------------------------------------------------------------

#[derive(Default)]
struct Pipe {
    to_server: VecDeque<u8>,
    to_client: VecDeque<u8>,
    /// The client closed its side: the server reads the end of the stream.
    client_closed: bool,
    server_closed: bool,
    /// Plaintext the client has received.
    client_received: Vec<u8>,
    /// The most octets one server write takes (None: all).
    window: Option<usize>,
    /// Every other server write finds no room.
    stall: bool,
    stalled: bool,
    /// What the client sent that the network has not delivered yet.
    client_out: VecDeque<u8>,
    /// The most octets delivered to the server per step (None: all).
    trickle: Option<usize>,
}

#[derive(Clone, Default)]
struct PipeEnd(Rc<RefCell<Pipe>>);

impl Transport for PipeEnd {
    async fn read(&mut self, buffer: &mut [u8]) -> Result<usize, xenolith_netstack::Error> {
        std::future::poll_fn(|_| {
            let mut pipe = self.0.borrow_mut();
            if pipe.to_server.is_empty() {
                return if pipe.client_closed {
                    Poll::Ready(Ok(0))
                } else {
                    Poll::Pending
                };
            }
            let len = buffer.len().min(pipe.to_server.len());
            for (slot, byte) in buffer.iter_mut().zip(pipe.to_server.drain(..len)) {
                *slot = byte;
            }
            Poll::Ready(Ok(len))
        })
        .await
    }

    async fn write(&mut self, data: &[u8]) -> Result<usize, xenolith_netstack::Error> {
        // Like a TCP send buffer with room for `window` octets per poll; with `stall`, every
        // other poll finds it full.
        std::future::poll_fn(|_| {
            let mut pipe = self.0.borrow_mut();
            if pipe.server_closed {
                return Poll::Ready(Err(xenolith_netstack::Error::NotWritable));
            }
            if pipe.stall {
                pipe.stalled = !pipe.stalled;
                if pipe.stalled {
                    return Poll::Pending;
                }
            }
            let len = data.len().min(pipe.window.unwrap_or(usize::MAX));
            pipe.to_client.extend(&data[..len]);
            Poll::Ready(Ok(len))
        })
        .await
    }

    async fn flush(&mut self) -> Result<(), xenolith_netstack::Error> {
        Ok(())
    }

    fn close(&mut self) {
        self.0.borrow_mut().server_closed = true;
    }
}

/// Moves octets between the client and the pipe; the client's first error, if any.
fn pump(pipe: &PipeEnd, client: &mut ClientConnection) -> Result<(), rustls::Error> {
    while client.wants_write() {
        let mut out = Vec::new();
        client.write_tls(&mut out).unwrap();
        pipe.0.borrow_mut().client_out.extend(out);
    }
    {
        // The network delivers at most `trickle` octets per step (all without it).
        let mut pipe = pipe.0.borrow_mut();
        let len = pipe
            .client_out
            .len()
            .min(pipe.trickle.unwrap_or(usize::MAX));
        let moved: Vec<u8> = pipe.client_out.drain(..len).collect();
        pipe.to_server.extend(moved);
    }
    let incoming: Vec<u8> = pipe.0.borrow_mut().to_client.drain(..).collect();
    let mut slice = &incoming[..];
    while !slice.is_empty() {
        client.read_tls(&mut slice).unwrap();
        client.process_new_packets()?;
        let mut plain = Vec::new();
        let _ = std::io::Read::read_to_end(&mut client.reader(), &mut plain);
        pipe.0.borrow_mut().client_received.extend(plain);
    }
    Ok(())
}

/// Polls `future` (the server side) to completion, letting `step` act for the client between
/// polls. Panics if nothing moves for many rounds: the server would hang.
fn drive<T>(future: impl Future<Output = T>, mut step: impl FnMut()) -> T {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    for _ in 0..10_000 {
        if let Poll::Ready(value) = future.as_mut().poll(&mut cx) {
            return value;
        }
        step();
    }
    panic!("the server stalled");
}

// ---- the client ----------------------------------------------------------------------------

#[derive(Debug)]
struct EcdsaP256Sha256;

impl SignatureVerificationAlgorithm for EcdsaP256Sha256 {
    fn verify_signature(
        &self,
        key: &[u8],
        message: &[u8],
        sig: &[u8],
    ) -> Result<(), InvalidSignature> {
        use p256::ecdsa::signature::Verifier;
        let key = p256::ecdsa::VerifyingKey::from_sec1_bytes(key).map_err(|_| InvalidSignature)?;
        let sig = p256::ecdsa::Signature::from_der(sig).map_err(|_| InvalidSignature)?;
        key.verify(message, &sig).map_err(|_| InvalidSignature)
    }
    fn public_key_alg_id(&self) -> AlgorithmIdentifier {
        alg_id::ECDSA_P256
    }
    fn signature_alg_id(&self) -> AlgorithmIdentifier {
        alg_id::ECDSA_SHA256
    }
}

#[derive(Debug)]
struct Ed25519;

impl SignatureVerificationAlgorithm for Ed25519 {
    fn verify_signature(
        &self,
        key: &[u8],
        message: &[u8],
        sig: &[u8],
    ) -> Result<(), InvalidSignature> {
        let key: [u8; 32] = key.try_into().map_err(|_| InvalidSignature)?;
        let key = ed25519_dalek::VerifyingKey::from_bytes(&key).map_err(|_| InvalidSignature)?;
        let sig = ed25519_dalek::Signature::from_slice(sig).map_err(|_| InvalidSignature)?;
        key.verify_strict(message, &sig)
            .map_err(|_| InvalidSignature)
    }
    fn public_key_alg_id(&self) -> AlgorithmIdentifier {
        alg_id::ED25519
    }
    fn signature_alg_id(&self) -> AlgorithmIdentifier {
        alg_id::ED25519
    }
}

static VERIFY: WebPkiSupportedAlgorithms = WebPkiSupportedAlgorithms {
    all: &[&EcdsaP256Sha256, &Ed25519],
    mapping: &[
        (SignatureScheme::ECDSA_NISTP256_SHA256, &[&EcdsaP256Sha256]),
        (SignatureScheme::ED25519, &[&Ed25519]),
    ],
};

/// Accepts exactly one certificate, and checks the handshake signatures against it.
#[derive(Debug)]
struct Pinned(Vec<u8>);

impl ServerCertVerifier for Pinned {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if end_entity.as_ref() == self.0 {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::General("not the pinned certificate".into()))
        }
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(message, cert, dss, &VERIFY)
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(message, cert, dss, &VERIFY)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        VERIFY.supported_schemes()
    }
}

fn client(
    cert: &[u8],
    version: &'static SupportedProtocolVersion,
    suite: CipherSuite,
    group: NamedGroup,
) -> ClientConnection {
    let mut base = provider::provider(&RANDOM);
    base.cipher_suites.retain(|s| s.suite() == suite);
    base.kx_groups.retain(|g| g.name() == group);
    base.signature_verification_algorithms = VERIFY;
    let config = ClientConfig::builder_with_provider(Arc::new(base))
        .with_protocol_versions(&[version])
        .unwrap()
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(Pinned(cert.to_vec())))
        .with_no_client_auth();
    ClientConnection::new(Arc::new(config), "example.test".try_into().unwrap()).unwrap()
}

/// A full session: handshake, a request each way, close_notify.
fn session(
    cert: &[u8],
    key: &[u8],
    version: &'static SupportedProtocolVersion,
    suite: CipherSuite,
    group: NamedGroup,
) {
    let acceptor = acceptor(cert, key);
    let pipe = PipeEnd::default();
    let mut client = client(cert, version, suite, group);
    client.writer_write_all(b"GET / HTTP/1.1\r\n\r\n");

    let server = async {
        let mut tls = acceptor.accept(pipe.clone()).await?;
        let negotiated = tls.negotiated();
        let mut request = [0u8; 64];
        let mut len = 0;
        while len < 18 {
            len += tls.read(&mut request[len..]).await?;
        }
        assert_eq!(&request[..len], b"GET / HTTP/1.1\r\n\r\n");
        tls.write_all(b"HTTP/1.1 200 OK\r\n\r\nhello").await?;
        tls.close().await?;
        Ok::<_, Error>(negotiated)
    };
    let negotiated = drive(server, || pump(&pipe, &mut client).unwrap())
        .unwrap_or_else(|e| panic!("{version:?} {suite:?} {group:?}: {e}"));
    pump(&pipe, &mut client).unwrap();
    assert_eq!(negotiated, Some((version.version, suite)));
    assert_eq!(
        client.negotiated_key_exchange_group().map(|g| g.name()),
        Some(group)
    );
    assert_eq!(
        pipe.0.borrow().client_received,
        b"HTTP/1.1 200 OK\r\n\r\nhello"
    );
    assert!(pipe.0.borrow().server_closed);
}

trait WriteAll {
    fn writer_write_all(&mut self, data: &[u8]);
}

impl WriteAll for ClientConnection {
    fn writer_write_all(&mut self, data: &[u8]) {
        std::io::Write::write_all(&mut self.writer(), data).unwrap();
    }
}

const TLS13_SUITES: [CipherSuite; 3] = [
    CipherSuite::TLS13_AES_128_GCM_SHA256,
    CipherSuite::TLS13_AES_256_GCM_SHA384,
    CipherSuite::TLS13_CHACHA20_POLY1305_SHA256,
];
#[cfg(feature = "tls12")]
const TLS12_SUITES: [CipherSuite; 3] = [
    CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    CipherSuite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
];
const GROUPS: [NamedGroup; 2] = [NamedGroup::X25519, NamedGroup::secp256r1];

#[test]
fn tls13_every_suite_and_group_with_ecdsa() {
    for suite in TLS13_SUITES {
        for group in GROUPS {
            session(P256_CERT, P256_KEY, &rustls::version::TLS13, suite, group);
        }
    }
}

#[cfg(feature = "tls12")]
#[test]
fn tls12_every_suite_and_group_with_ecdsa() {
    for suite in TLS12_SUITES {
        for group in GROUPS {
            session(P256_CERT, P256_KEY, &rustls::version::TLS12, suite, group);
        }
    }
}

#[cfg(feature = "ed25519")]
#[test]
fn ed25519_key_in_both_versions() {
    session(
        ED25519_CERT,
        ED25519_KEY,
        &rustls::version::TLS13,
        TLS13_SUITES[0],
        GROUPS[0],
    );
    session(
        ED25519_CERT,
        ED25519_KEY,
        &rustls::version::TLS12,
        TLS12_SUITES[2],
        GROUPS[1],
    );
}

#[test]
fn large_transfers_both_ways_in_small_reads() {
    let acceptor = acceptor(P256_CERT, P256_KEY);
    let pipe = PipeEnd::default();
    let mut client = client(
        P256_CERT,
        &rustls::version::TLS13,
        TLS13_SUITES[2],
        GROUPS[0],
    );
    client.set_buffer_limit(None);
    let upload: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
    client.writer_write_all(&upload);
    let download: Vec<u8> = (0..200_000u32).map(|i| (i % 241) as u8).collect();
    let server = async {
        let mut tls = acceptor.accept(pipe.clone()).await?;
        let mut received = Vec::new();
        let mut buffer = [0u8; 1000];
        while received.len() < upload.len() {
            let len = tls.read(&mut buffer).await?;
            assert!(len > 0);
            received.extend_from_slice(&buffer[..len]);
        }
        tls.write_all(&download).await?;
        tls.close().await?;
        Ok::<_, Error>(received)
    };
    let received = drive(server, || pump(&pipe, &mut client).unwrap()).unwrap();
    pump(&pipe, &mut client).unwrap();
    assert_eq!(received, upload);
    let pipe = pipe.0.borrow();
    assert_eq!(pipe.client_received.len(), download.len());
    assert!(pipe.client_received == download);
}

/// `accept` returns only when the handshake is over on both sides: the client is done too,
/// without the server being read from or written to (TLS 1.2's server Finished is sent last).
#[test]
fn accept_completes_the_handshake_for_the_client() {
    let mut versions = vec![(&rustls::version::TLS13, TLS13_SUITES[0])];
    #[cfg(feature = "tls12")]
    versions.push((&rustls::version::TLS12, TLS12_SUITES[0]));
    for (version, suite) in versions {
        let acceptor = acceptor(P256_CERT, P256_KEY);
        let pipe = PipeEnd::default();
        let mut client = client(P256_CERT, version, suite, GROUPS[0]);
        let tls = drive(acceptor.accept(pipe.clone()), || {
            pump(&pipe, &mut client).unwrap()
        });
        assert!(tls.is_ok());
        pump(&pipe, &mut client).unwrap();
        assert!(
            !client.is_handshaking(),
            "{version:?}: the client is still handshaking"
        );
    }
}

/// Polls `future` once: its output, or None (and the future is dropped: cancelled).
fn poll_once<T>(future: impl Future<Output = T>) -> Option<T> {
    let mut future = pin!(future);
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(value) => Some(value),
        Poll::Pending => None,
    }
}

/// Returns Pending once, so that `drive` runs the client.
async fn yield_now() {
    let mut yielded = false;
    std::future::poll_fn(|_| {
        if yielded {
            Poll::Ready(())
        } else {
            yielded = true;
            Poll::Pending
        }
    })
    .await
}

/// Reads that are cancelled while waiting lose nothing; writes through a small, stalling
/// send window are resumed by the next call and arrive once and in order.
#[test]
fn cancelled_reads_lose_nothing_and_stalled_writes_resume() {
    let acceptor = acceptor(P256_CERT, P256_KEY);
    let pipe = PipeEnd::default();
    {
        let mut pipe = pipe.0.borrow_mut();
        pipe.window = Some(700);
        pipe.stall = true;
        // Records (~1.2 KB) arrive in pieces: reads are cancelled with half a record in.
        pipe.trickle = Some(500);
    }
    let mut client = client(
        P256_CERT,
        &rustls::version::TLS13,
        TLS13_SUITES[0],
        GROUPS[1],
    );
    client.set_buffer_limit(None);
    let upload: Vec<u8> = (0..50_000u32).map(|i| (i % 253) as u8).collect();
    let download: Vec<u8> = (0..60_000u32).map(|i| (i % 239) as u8).collect();
    let mut offered = 0;
    let server = async {
        let mut tls = acceptor.accept(pipe.clone()).await?;
        let mut received = Vec::new();
        let mut buffer = [0u8; 333];
        let mut cancelled = 0;
        while received.len() < upload.len() {
            match poll_once(tls.read(&mut buffer)) {
                Some(len) => received.extend_from_slice(&buffer[..len?]),
                None => cancelled += 1,
            }
            yield_now().await;
        }
        assert!(
            cancelled > 0,
            "no read was ever cancelled: the test tests nothing"
        );
        tls.write_all(&download).await?;
        tls.close().await?;
        Ok::<_, Error>(received)
    };
    let received = drive(server, || {
        // The client sends its data slowly, in pieces.
        if !client.is_handshaking() && offered < upload.len() {
            let end = (offered + 1200).min(upload.len());
            client.writer_write_all(&upload[offered..end]);
            offered = end;
        }
        pump(&pipe, &mut client).unwrap();
    })
    .unwrap();
    pump(&pipe, &mut client).unwrap();
    assert!(received == upload);
    assert!(pipe.0.borrow().client_received == download);
}

#[test]
fn client_close_notify_reads_as_end_of_stream() {
    let acceptor = acceptor(P256_CERT, P256_KEY);
    let pipe = PipeEnd::default();
    let mut client = client(
        P256_CERT,
        &rustls::version::TLS13,
        TLS13_SUITES[1],
        GROUPS[1],
    );
    client.writer_write_all(b"bye");
    let server = async {
        let mut tls = acceptor.accept(pipe.clone()).await?;
        let mut buffer = [0u8; 16];
        let len = tls.read(&mut buffer).await?;
        assert_eq!(&buffer[..len], b"bye");
        assert_eq!(tls.read(&mut buffer).await?, 0);
        tls.close().await
    };
    let mut closed = false;
    drive(server, || {
        pump(&pipe, &mut client).unwrap();
        if !client.is_handshaking() && !closed {
            client.send_close_notify();
            closed = true;
        }
    })
    .unwrap();
}

#[test]
fn tcp_end_without_close_notify_is_an_error() {
    let acceptor = acceptor(P256_CERT, P256_KEY);
    let pipe = PipeEnd::default();
    let mut client = client(
        P256_CERT,
        &rustls::version::TLS13,
        TLS13_SUITES[0],
        GROUPS[0],
    );
    let server = async {
        let mut tls = acceptor.accept(pipe.clone()).await?;
        let mut buffer = [0u8; 16];
        tls.read(&mut buffer).await
    };
    let mut handshaken = false;
    let result = drive(server, || {
        pump(&pipe, &mut client).unwrap();
        if !client.is_handshaking() && !client.wants_write() {
            if handshaken {
                pipe.0.borrow_mut().client_closed = true;
            }
            handshaken = true;
        }
    });
    assert!(matches!(result, Err(Error::UnexpectedEof)), "{result:?}");
}

/// Runs the server on exactly `bytes` from the client, then the end of the stream.
fn server_on(bytes: &[u8]) -> (Result<(), Error>, Vec<u8>) {
    let acceptor = acceptor(P256_CERT, P256_KEY);
    let pipe = PipeEnd::default();
    pipe.0.borrow_mut().to_server.extend(bytes);
    pipe.0.borrow_mut().client_closed = true;
    let result = drive(
        async { acceptor.accept(pipe.clone()).await.map(|_| ()) },
        || {},
    );
    let sent = pipe.0.borrow().to_client.iter().copied().collect();
    (result, sent)
}

#[test]
fn garbage_instead_of_client_hello_gets_an_alert() {
    let (result, sent) = server_on(b"GET / HTTP/1.1\r\nHost: example.test\r\n\r\n");
    assert!(matches!(result, Err(Error::Tls(_))), "{result:?}");
    // One alert record: type 21, then a version, length 2, level fatal (2).
    assert_eq!(sent.first(), Some(&21), "{sent:?}");
    assert_eq!(sent.get(5), Some(&2), "{sent:?}");
}

#[test]
fn truncated_client_hello_is_an_unexpected_end() {
    let mut client = client(
        P256_CERT,
        &rustls::version::TLS13,
        TLS13_SUITES[0],
        GROUPS[0],
    );
    let mut hello = Vec::new();
    client.write_tls(&mut hello).unwrap();
    for cut in [1, 5, 6, hello.len() / 2, hello.len() - 1] {
        let (result, _) = server_on(&hello[..cut]);
        assert!(
            matches!(result, Err(Error::UnexpectedEof)),
            "cut {cut}: {result:?}"
        );
    }
    // The whole hello, then silence: the server answers, then sees the end.
    let (result, sent) = server_on(&hello);
    assert!(matches!(result, Err(Error::UnexpectedEof)), "{result:?}");
    assert_eq!(sent.first(), Some(&22), "a ServerHello record");
}

#[cfg(feature = "tls12")]
#[test]
fn client_without_common_suite_is_refused() {
    // A TLS 1.2 hello whose one suite is replaced by an RSA suite, which the server lacks.
    let mut client = client(
        P256_CERT,
        &rustls::version::TLS12,
        TLS12_SUITES[0],
        GROUPS[0],
    );
    let mut hello = Vec::new();
    client.write_tls(&mut hello).unwrap();
    let id = u16::from(CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256).to_be_bytes();
    let rsa = u16::from(CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256).to_be_bytes();
    let at = hello
        .windows(2)
        .position(|w| w == id)
        .expect("the suite is in the hello");
    hello[at..at + 2].copy_from_slice(&rsa);
    let (result, sent) = server_on(&hello);
    assert!(matches!(result, Err(Error::Tls(_))), "{result:?}");
    assert_eq!(sent.first(), Some(&21), "an alert");
}

#[test]
fn random_bytes_never_panic_or_hang() {
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut client = client(
        P256_CERT,
        &rustls::version::TLS13,
        TLS13_SUITES[0],
        GROUPS[0],
    );
    let mut hello = Vec::new();
    client.write_tls(&mut hello).unwrap();
    for round in 0..600 {
        let mut input: Vec<u8> = match round % 3 {
            // Pure noise.
            0 => (0..next() % 300).map(|_| next() as u8).collect(),
            // A plausible handshake record header, then noise.
            1 => {
                let len = (next() % 400) as usize;
                let mut v = vec![22, 3, 1, (len >> 8) as u8, len as u8];
                v.extend((0..len).map(|_| next() as u8));
                v
            }
            // A real ClientHello with a few octets flipped.
            _ => {
                let mut v = hello.clone();
                for _ in 0..1 + next() % 4 {
                    let at = (next() as usize) % v.len();
                    v[at] ^= 1 << (next() % 8);
                }
                v
            }
        };
        if round % 7 == 0 {
            input.truncate((next() as usize) % (input.len() + 1));
        }
        let (result, _) = server_on(&input);
        // A flipped octet in a field the server ignores can still make a valid hello; the
        // server then answers and meets the end of the stream.
        assert!(result.is_err(), "round {round}: accepted {input:?}");
    }
}

#[test]
fn refuses_to_start_without_randomness() {
    let identity = Identity::from_der(vec![P256_CERT.to_vec()], P256_KEY.to_vec()).unwrap();
    let result = TlsAcceptor::new(&identity, &BROKEN, Arc::new(SystemTime));
    assert!(matches!(result, Err(Error::NoRandomness(_))), "{result:?}");
    let message = result.unwrap_err().to_string();
    assert!(message.contains("refuses to start"), "{message}");
}

#[cfg(not(feature = "tls12"))]
#[test]
fn tls12_clients_are_refused_without_the_feature() {
    // This provider has no TLS 1.2 suites to build a TLS 1.2 client with: check that the
    // acceptor offers TLS 1.3 suites only.
    let acceptor = acceptor(P256_CERT, P256_KEY);
    assert!(
        acceptor
            .config()
            .crypto_provider()
            .cipher_suites
            .iter()
            .all(|suite| suite.version() == &rustls::version::TLS13)
    );
}

#[test]
fn the_negotiated_version_is_reported() {
    // Default client (all our suites and groups): TLS 1.3, our preferred suite.
    let acceptor = acceptor(P256_CERT, P256_KEY);
    let pipe = PipeEnd::default();
    let mut base = provider::provider(&RANDOM);
    base.signature_verification_algorithms = VERIFY;
    let config = ClientConfig::builder_with_provider(Arc::new(base))
        .with_safe_default_protocol_versions()
        .unwrap()
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(Pinned(P256_CERT.to_vec())))
        .with_no_client_auth();
    let mut client =
        ClientConnection::new(Arc::new(config), "example.test".try_into().unwrap()).unwrap();
    let negotiated = drive(
        async {
            acceptor
                .accept(pipe.clone())
                .await
                .map(|tls| tls.negotiated())
        },
        || pump(&pipe, &mut client).unwrap(),
    )
    .unwrap();
    assert_eq!(
        negotiated,
        Some((
            ProtocolVersion::TLSv1_3,
            CipherSuite::TLS13_CHACHA20_POLY1305_SHA256
        ))
    );
}
