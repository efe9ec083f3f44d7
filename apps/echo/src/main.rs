//! `echo`: UDP and TCP echo on port 7 (and ping), as a unikernel image or a Linux process.
//!
//! - **Image** (`target_os = "none"`): the runtime boots, hands over the network device and
//!   the platform, and [`echo::serve`] runs on the executor. The command line configures the
//!   interface: `ip=ADDR/PREFIX [gw=ADDR]` or `ip=dhcp` (the default).
//! - **Hosted** (Linux): `echo [--tap NAME] [--ip ADDR/PREFIX [--gw ADDR] | --dhcp]
//!   [--port N] [--verbose]` serves over a TAP interface (default `xtap0`); see `--help`.
#![cfg_attr(target_os = "none", no_std, no_main)]
#![forbid(unsafe_code)]

#[cfg(target_os = "none")]
xenolith_rt::entry!(kernel::main);

/// The image's `main`.
///
/// It takes from `xenolith_rt::net` the network device (`open()`: netfront on Xen, virtio-net
/// elsewhere) and the executor's platform (`platform()`: clock, idle on event channels or the
/// LAPIC timer, randomness).
#[cfg(target_os = "none")]
mod kernel {
    extern crate alloc;

    use core::fmt;
    use xenolith_rt::Boot;

    /// Why the image stopped.
    #[derive(Debug)]
    pub(crate) enum Error {
        /// A bad `ip=` or `gw=` on the command line.
        Config(xenolith_netstack::Error),
        /// The runtime found no usable network device.
        Device(alloc::string::String),
        /// The stack or the server failed.
        Net(xenolith_netstack::Error),
    }

    impl fmt::Display for Error {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            match self {
                Error::Config(error) => write!(f, "echo: {error}"),
                Error::Device(error) => write!(f, "echo: no network device: {error}"),
                Error::Net(error) => write!(f, "echo: {error}"),
            }
        }
    }

    pub(crate) fn main(boot: &'static Boot) -> Result<(), Error> {
        use alloc::string::ToString;
        use xenolith_netstack::{Config, Executor, Stack};

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
        let options = echo::Options::default();
        executor
            .block_on(
                &stack,
                platform,
                echo::serve(&stack, &executor.spawner(), &options),
            )
            .map_err(Error::Net)
    }
}

#[cfg(not(target_os = "none"))]
fn main() -> std::process::ExitCode {
    xenolith_netstack::hosted::exit("echo", hosted::run(std::env::args().skip(1)))
}

/// The Linux process: options, a stderr logger, the TAP device and the host platform.
#[cfg(not(target_os = "none"))]
mod hosted {
    use xenolith_netstack::hosted::{NET_USAGE, NetOptions};
    use xenolith_netstack::{Config, Executor, Stack};

    fn usage() -> String {
        format!(
            "\
usage: echo [--tap NAME] [--ip ADDR/PREFIX [--gw ADDR] | --dhcp] [--port N] [--verbose]

Serves the Echo Protocol (RFC 862) on UDP and TCP, and answers ping, over a Linux TAP
interface (needs root or CAP_NET_ADMIN).

{NET_USAGE}
  --port N             echo port (default 7)

example:
  ip tuntap add xtap0 mode tap && ip addr add 10.77.0.1/24 dev xtap0 && ip link set xtap0 up
  echo --tap xtap0 --ip 10.77.0.2/24 &
  ping 10.77.0.2"
        )
    }

    /// The command line, parsed.
    #[derive(Debug, Default)]
    pub(crate) struct Args {
        net: NetOptions,
        port: Option<u16>,
    }

    pub(crate) fn parse(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
        let mut parsed = Args::default();
        while let Some(arg) = args.next() {
            if parsed.net.take(&arg, &mut args)? {
                continue;
            }
            match arg.as_str() {
                "--port" => {
                    let text = args
                        .next()
                        .ok_or_else(|| format!("--port needs a value\n\n{}", usage()))?;
                    match text.parse::<u16>() {
                        Ok(port) if port != 0 => parsed.port = Some(port),
                        _ => return Err(format!("--port {text}: give a port from 1 to 65535")),
                    }
                }
                "--help" | "-h" => return Err(usage()),
                other => return Err(format!("unknown argument {other:?}\n\n{}", usage())),
            }
        }
        Ok(parsed)
    }

    pub(crate) fn run(args: impl Iterator<Item = String>) -> Result<(), String> {
        let args = parse(args)?;
        let config = args.net.config(Config::Dhcp)?;
        let (tap, platform) = args.net.open()?;
        log::info!("on TAP interface {}", tap.name());
        let stack = Stack::new(Box::new(tap), config, &platform).map_err(|e| e.to_string())?;
        let executor = Executor::new();
        let options = echo::Options {
            port: args.port.unwrap_or(7),
            ..echo::Options::default()
        };
        executor
            .block_on(
                &stack,
                &platform,
                echo::serve(&stack, &executor.spawner(), &options),
            )
            .map_err(|e| e.to_string())
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        fn args(words: &[&str]) -> Result<Args, String> {
            parse(words.iter().map(|w| w.to_string()))
        }

        #[test]
        fn options() {
            let parsed = args(&["--tap", "t1", "--ip", "10.77.0.2/24", "--port", "7007"]).unwrap();
            assert_eq!(parsed.port, Some(7007));
            assert!(parsed.net.config(Config::Dhcp).is_ok());
            assert!(
                args(&["--port", "0"])
                    .unwrap_err()
                    .contains("from 1 to 65535")
            );
            assert!(args(&["--ip"]).unwrap_err().contains("--ip needs a value"));
            assert!(args(&["--bogus"]).unwrap_err().contains("unknown argument"));
            assert!(args(&["--help"]).unwrap_err().starts_with("usage:"));
        }
    }
}
