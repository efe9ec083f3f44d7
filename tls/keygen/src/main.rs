//! `tls-keygen`: make a self-signed certificate and key for trying the TLS apps, or compile a
//! certificate and key into the identity module format.
//!
//! ```text
//! tls-keygen --name example.test [--name ...] [--ip 10.66.0.2 ...] [--days N] -o DIR [--module]
//!     writes DIR/cert.pem and DIR/key.pem (and DIR/identity.bin with --module)
//! tls-keygen compile --cert CERT.pem --key KEY.pem -o FILE
//!     checks that the key belongs to the certificate and writes the compiled identity
//! ```

use std::net::IpAddr;
use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "usage:
  tls-keygen --name DNS-NAME [--name ...] [--ip ADDRESS ...] [--days N] -o DIR [--module]
      a self-signed ECDSA P-256 certificate: DIR/cert.pem, DIR/key.pem (PKCS#8),
      and with --module DIR/identity.bin (a boot module: ./scripts/run APP --module FILE)
  tls-keygen compile --cert CERT.pem --key KEY.pem -o FILE
      check that the key belongs to the certificate; write the compiled identity";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("tls-keygen: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &[String]) -> Result<(), String> {
    let compile = args.first().map(String::as_str) == Some("compile");
    let mut names = Vec::new();
    let mut ips: Vec<IpAddr> = Vec::new();
    let mut days = 365u32;
    let mut out: Option<PathBuf> = None;
    let mut module = false;
    let mut cert: Option<PathBuf> = None;
    let mut key: Option<PathBuf> = None;
    let mut rest = args.iter().skip(usize::from(compile));
    while let Some(arg) = rest.next() {
        let mut value = |what: &str| {
            rest.next()
                .cloned()
                .ok_or_else(|| format!("{arg} needs {what}\n{USAGE}"))
        };
        match arg.as_str() {
            "--name" if !compile => names.push(value("a DNS name")?),
            "--ip" if !compile => {
                let text = value("an IP address")?;
                ips.push(
                    text.parse()
                        .map_err(|_| format!("--ip {text}: not an IP address"))?,
                );
            }
            "--days" if !compile => {
                let text = value("a number of days")?;
                days = text
                    .parse()
                    .ok()
                    .filter(|&d| d > 0)
                    .ok_or_else(|| format!("--days {text}: not a positive number"))?;
            }
            "--module" if !compile => module = true,
            "--cert" if compile => cert = Some(value("a PEM file")?.into()),
            "--key" if compile => key = Some(value("a PEM file")?.into()),
            "-o" | "--out" => out = Some(value("a path")?.into()),
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(());
            }
            _ => return Err(format!("unknown argument {arg}\n{USAGE}")),
        }
    }
    let out = out.ok_or_else(|| format!("-o is missing\n{USAGE}"))?;
    if compile {
        let cert = cert.ok_or_else(|| format!("--cert is missing\n{USAGE}"))?;
        let key = key.ok_or_else(|| format!("--key is missing\n{USAGE}"))?;
        let blob = tls_keygen::compile_pem_files(&cert, &key).map_err(|e| e.to_string())?;
        std::fs::write(&out, blob).map_err(|e| format!("{}: {e}", out.display()))?;
        println!("wrote {}", out.display());
        return Ok(());
    }
    let made = tls_keygen::self_signed(&names, &ips, days).map_err(|e| e.to_string())?;
    std::fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    let cert_path = out.join("cert.pem");
    let key_path = out.join("key.pem");
    std::fs::write(&cert_path, &made.cert_pem)
        .map_err(|e| format!("{}: {e}", cert_path.display()))?;
    write_private(&key_path, made.key_pem.as_bytes())?;
    println!("wrote {} and {}", cert_path.display(), key_path.display());
    if module {
        let blob =
            tls_keygen::compile_pem_files(&cert_path, &key_path).map_err(|e| e.to_string())?;
        let module_path = out.join("identity.bin");
        std::fs::write(&module_path, blob)
            .map_err(|e| format!("{}: {e}", module_path.display()))?;
        println!("wrote {}", module_path.display());
    }
    Ok(())
}

/// Writes a private key readable by its owner only.
fn write_private(path: &std::path::Path, data: &[u8]) -> Result<(), String> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    file.write_all(data)
        .map_err(|e| format!("{}: {e}", path.display()))
}
