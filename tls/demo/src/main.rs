//! `tls-demo`: the smallest TLS server image — it accepts TLS on port 443 and answers every
//! request with a fixed HTTP response, then closes. It exists to prove the `tls` crate in the
//! kernel (a handshake with `openssl s_client` or `curl -k` under QEMU) and to measure the
//! image-size cost of rustls and the provider; the real HTTPS server is `apps/https`.
//!
//! The identity is what `Unikernel.toml` `[data]` names (`certificate`, `key`), compiled in by `build.rs`; a boot module made
//! by `tls-keygen --module` replaces it. The command line takes `ip=` / `gw=` like every app.
#![cfg_attr(target_os = "none", no_std, no_main)]
#![forbid(unsafe_code)]

#[cfg(target_os = "none")]
xenolith_app::image_main!("tls-demo", kernel::main);

#[cfg(target_os = "none")]
mod kernel {

    use core::fmt;
    use core::time::Duration;

    use xenolith_netstack::{Config, Stack, TcpListener, TcpStream};
    use xenolith_tls::{Identity, TlsAcceptor};

    static IDENTITY: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/identity.bin"));
    const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
    const RESPONSE: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 20\r\nConnection: close\r\n\r\nhello from xenolith\n";

    /// Why the image stopped.
    #[derive(Debug)]
    pub(crate) enum Error {
        Runtime(xenolith_app::Error),
        Tls(xenolith_tls::Error),
    }

    impl fmt::Display for Error {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            match self {
                Error::Runtime(error) => write!(f, "{error}"),
                Error::Tls(error) => write!(f, "{error}"),
            }
        }
    }

    pub(crate) fn main(boot: &'static xenolith_app::Boot) -> Result<(), Error> {
        let (source, bytes) = match boot.modules.first() {
            Some(module) => ("boot module", module.data),
            None => ("compiled in", IDENTITY),
        };
        let identity = Identity::from_compiled(bytes).map_err(Error::Tls)?;
        let acceptor = xenolith_tls::kernel::acceptor(&identity).map_err(Error::Tls)?;
        log::info!("tls-demo: identity {source}, RDRAND ok, serving TLS 1.3/1.2 on port 443");

        let network = xenolith_app::image::network(boot, Config::AUTO).map_err(Error::Runtime)?;
        xenolith_app::serve(network, Default::default(), |stack, spawner| async move {
            let listener = TcpListener::bind(&stack, 443, 4)?;
            loop {
                let tcp = listener.accept().await;
                spawner.spawn(serve(stack.clone(), acceptor.clone(), tcp));
            }
        })
        .map_err(Error::Runtime)
    }

    async fn serve(stack: Stack, acceptor: TlsAcceptor, mut tcp: TcpStream) {
        tcp.set_timeout(Some(Duration::from_secs(30)));
        let peer = tcp.peer();
        let mut tls = match stack.timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
            Ok(Ok(tls)) => tls,
            Ok(Err(error)) => {
                log::warn!("tls-demo: {peer:?}: {error}");
                return;
            }
            Err(_) => {
                log::warn!("tls-demo: {peer:?}: no handshake within 10 s");
                return;
            }
        };
        log::info!("tls-demo: {peer:?}: {:?}", tls.negotiated());
        let mut request = [0u8; 2048];
        let mut len = 0;
        // Read until the end of the request head (or the buffer is full).
        while len < request.len() && !request[..len].windows(4).any(|w| w == b"\r\n\r\n") {
            match stack
                .timeout(HANDSHAKE_TIMEOUT, tls.read(&mut request[len..]))
                .await
            {
                Ok(Ok(0)) => break,
                Ok(Ok(n)) => len += n,
                Ok(Err(error)) => {
                    log::warn!("tls-demo: {peer:?}: {error}");
                    return;
                }
                Err(_) => return,
            }
        }
        if let Err(error) = tls.write_all(RESPONSE).await {
            log::warn!("tls-demo: {peer:?}: {error}");
            return;
        }
        let _ = tls.close().await;
    }
}

#[cfg(not(target_os = "none"))]
fn main() {
    eprintln!(
        "tls-demo is a unikernel image: cargo build --release --target x86_64-unknown-none -p tls-demo"
    );
}
