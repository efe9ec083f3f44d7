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
xenolith_rt::entry!(kernel::main);

#[cfg(target_os = "none")]
mod kernel {
    extern crate alloc;

    use alloc::string::{String, ToString};
    use core::fmt;
    use core::time::Duration;

    use xenolith_netstack::{Config, Executor, Stack, TcpListener, TcpStream};
    use xenolith_rt::Boot;
    use xenolith_tls::{Identity, TlsAcceptor};

    static IDENTITY: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/identity.bin"));
    const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
    const RESPONSE: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 20\r\nConnection: close\r\n\r\nhello from xenolith\n";

    /// Why the image stopped.
    #[derive(Debug)]
    pub(crate) enum Error {
        Config(xenolith_netstack::Error),
        Device(String),
        Net(xenolith_netstack::Error),
        Tls(xenolith_tls::Error),
    }

    impl fmt::Display for Error {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            match self {
                Error::Config(error) | Error::Net(error) => write!(f, "tls-demo: {error}"),
                Error::Device(error) => write!(f, "tls-demo: no network device: {error}"),
                Error::Tls(error) => write!(f, "tls-demo: {error}"),
            }
        }
    }

    pub(crate) fn main(boot: &'static Boot) -> Result<(), Error> {
        let (source, bytes) = match boot.modules.first() {
            Some(module) => ("boot module", module.data),
            None => ("compiled in", IDENTITY),
        };
        let identity = Identity::from_compiled(bytes).map_err(Error::Tls)?;
        let acceptor = xenolith_tls::kernel::acceptor(&identity).map_err(Error::Tls)?;
        log::info!("tls-demo: identity {source}, RDRAND ok, serving TLS 1.3/1.2 on port 443");

        let cmdline = boot.cmdline();
        let config =
            Config::from_lookup(|key| cmdline.get(key), Config::Dhcp).map_err(Error::Config)?;
        let device = boot
            .machine
            .open_nic()
            .map_err(|e| Error::Device(e.to_string()))?;
        let platform = boot.machine;
        let stack = Stack::new(device, config, platform).map_err(Error::Net)?;
        let executor = Executor::new();
        let spawner = executor.spawner();
        executor.block_on(&stack, platform, async {
            let listener = TcpListener::bind(&stack, 443, 4).map_err(Error::Net)?;
            loop {
                let tcp = listener.accept().await;
                spawner.spawn(serve(stack.clone(), acceptor.clone(), tcp));
            }
        })
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
