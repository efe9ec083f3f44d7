//! `echo`: UDP and TCP echo on port 7 (and ping), as a unikernel image or a Linux process.
//!
//! - **Image** (`target_os = "none"`): the app runtime (`xenolith-app`) starts the network from
//!   the command line (`ip=ADDR/PREFIX [gw=ADDR]` or `ip=dhcp`, the default) and
//!   [`echo::serve`] runs on it.
//! - **Hosted** (Linux): `echo [--tap NAME] [--ip ADDR/PREFIX [--gw ADDR] | --dhcp]
//!   [--port N] [--verbose]` serves over a TAP interface (default `xtap0`); see `--help`.
#![cfg_attr(target_os = "none", no_std, no_main)]
#![forbid(unsafe_code)]

#[cfg(target_os = "none")]
xenolith_app::image_main!("echo", kernel::main);

#[cfg(target_os = "none")]
mod kernel {
    use xenolith_netstack::Config;

    pub(crate) fn main(boot: &'static xenolith_app::Boot) -> Result<(), xenolith_app::Error> {
        let network = xenolith_app::image::network(boot, Config::AUTO)?;
        serve(network, echo::Options::default())
    }

    fn serve(
        network: xenolith_app::Network,
        options: echo::Options,
    ) -> Result<(), xenolith_app::Error> {
        xenolith_app::serve(network, Default::default(), |stack, spawner| async move {
            echo::serve(&stack, &spawner, &options).await
        })
    }
}

#[cfg(not(target_os = "none"))]
fn main() -> std::process::ExitCode {
    xenolith_netstack::hosted::exit("echo", hosted::run(std::env::args().skip(1)))
}

/// The Linux process: options, a stderr logger, the TAP device and the host platform.
#[cfg(not(target_os = "none"))]
mod hosted {
    use xenolith_netstack::Config;
    use xenolith_netstack::hosted::{NET_USAGE, NetOptions};

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
        let network =
            xenolith_app::hosted::network(&args.net, Config::AUTO).map_err(|e| e.to_string())?;
        let options = echo::Options {
            port: args.port.unwrap_or(7),
            ..echo::Options::default()
        };
        xenolith_app::serve(network, Default::default(), |stack, spawner| async move {
            echo::serve(&stack, &spawner, &options).await
        })
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
            assert!(parsed.net.config(Config::AUTO).is_ok());
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
