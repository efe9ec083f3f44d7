//! A `knotd` (Knot DNS, the reference authoritative server) serving given zone files on
//! 127.0.0.1 as an unprivileged child process, for the differential tests.

use std::fmt::Write as _;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::Query;

/// Where `knotd` may be (Debian puts it in /usr/sbin, which a non-root PATH may lack).
pub fn find_knotd() -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/usr/local/sbin", "/sbin"].map(PathBuf::from))
        .map(|dir| dir.join("knotd"))
        .find(|p| p.is_file())
}

/// A `knotd` serving zone files on 127.0.0.1:port; stopped (and its files removed) on drop.
pub struct Knot {
    child: Child,
    dir: PathBuf,
    port: u16,
}

impl Drop for Knot {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Knot {
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("knotd.log")).unwrap_or_default()
    }

    fn addr(&self) -> SocketAddr {
        SocketAddr::from((Ipv4Addr::LOCALHOST, self.port))
    }

    /// A port free for both UDP and TCP on 127.0.0.1 (the OS picks it).
    fn free_port() -> u16 {
        for _ in 0..50 {
            let udp = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind a UDP socket");
            let port = udp.local_addr().expect("local address").port();
            if TcpListener::bind((Ipv4Addr::LOCALHOST, port)).is_ok() {
                return port;
            }
        }
        panic!("no free port on 127.0.0.1");
    }

    /// Starts `knotd` with `zones` (file, zone name) and waits until each answers its SOA.
    pub fn start(knotd: &Path, zones: &[(PathBuf, String)]) -> Knot {
        let mut last_log = String::new();
        for _attempt in 0..3 {
            let mut knot = Knot::spawn(knotd, zones);
            match knot.wait_ready(zones) {
                Ok(()) => return knot,
                Err(e) => last_log = format!("{e}\n--- knotd log ---\n{}", knot.log()),
            }
        }
        panic!("Knot DNS did not start or did not load the test zones:\n{last_log}");
    }

    fn spawn(knotd: &Path, zones: &[(PathBuf, String)]) -> Knot {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let dir =
            std::env::temp_dir().join(format!("dns-differential-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("create the knotd directory");
        let port = Knot::free_port();
        let mut conf = format!(
            "server:\n    rundir: \"{d}\"\n    listen: 127.0.0.1@{port}\n    udp-workers: 1\n    tcp-workers: 1\n    background-workers: 1\n    identity: \"\"\n    version: \"\"\n    nsid: \"\"\n\
             database:\n    storage: \"{d}\"\n\
             log:\n  - target: stderr\n    any: info\n\
             template:\n  - id: default\n    storage: \"{d}\"\n    zonefile-sync: -1\n    zonefile-load: whole\n    journal-content: none\n    semantic-checks: on\n\
             zone:\n",
            d = dir.display()
        );
        for (file, zone) in zones {
            let _ = writeln!(conf, "  - domain: {zone}\n    file: \"{}\"", file.display());
        }
        let conf_path = dir.join("knot.conf");
        std::fs::write(&conf_path, conf).expect("write knot.conf");
        let log = std::fs::File::create(dir.join("knotd.log")).expect("create knotd.log");
        let child = Command::new(knotd)
            .arg("-c")
            .arg(&conf_path)
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("clone the log file"))
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", knotd.display()));
        Knot { child, dir, port }
    }

    /// Waits until every zone answers its SOA with AA.
    fn wait_ready(&mut self, zones: &[(PathBuf, String)]) -> Result<(), String> {
        let deadline = Instant::now() + Duration::from_secs(20);
        let mut pending: Vec<&str> = zones.iter().map(|(_, z)| z.as_str()).collect();
        let socket = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).map_err(|e| e.to_string())?;
        socket
            .set_read_timeout(Some(Duration::from_millis(200)))
            .map_err(|e| e.to_string())?;
        while !pending.is_empty() {
            if Instant::now() > deadline {
                return Err(format!("zones not loaded after 20 s: {pending:?}"));
            }
            let zone = pending[0];
            let q = Query::new(zone, super::TYPE_SOA).to_wire();
            let _ = socket.send_to(&q, self.addr());
            let mut buf = [0u8; 4096];
            let ready = socket
                .recv(&mut buf)
                .ok()
                .and_then(|n| super::decode(&buf[..n]).ok())
                .is_some_and(|r| {
                    r.rcode == 0 && r.aa && r.answer.iter().any(|rr| rr.rtype == super::TYPE_SOA)
                });
            if ready {
                pending.remove(0);
                continue;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("knotd exited ({status})"));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Ok(())
    }

    pub fn udp(&self, query: &[u8]) -> Option<Vec<u8>> {
        let socket = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind a UDP socket");
        socket.connect(self.addr()).expect("connect the UDP socket");
        socket
            .set_read_timeout(Some(Duration::from_millis(1500)))
            .expect("set a timeout");
        socket.send(query).expect("send to knotd");
        let mut buf = vec![0u8; 65535];
        match socket.recv(&mut buf) {
            Ok(n) => Some(buf[..n].to_vec()),
            Err(_) => None,
        }
    }

    pub fn tcp(&self, query: &[u8]) -> Option<Vec<u8>> {
        let mut s = TcpStream::connect_timeout(&self.addr(), Duration::from_secs(3))
            .expect("connect to knotd");
        s.set_read_timeout(Some(Duration::from_secs(3)))
            .expect("set a timeout");
        let mut msg = (query.len() as u16).to_be_bytes().to_vec();
        msg.extend_from_slice(query);
        s.write_all(&msg).ok()?;
        let mut len = [0u8; 2];
        s.read_exact(&mut len).ok()?;
        let mut buf = vec![0u8; usize::from(u16::from_be_bytes(len))];
        s.read_exact(&mut buf).ok()?;
        Some(buf)
    }
}
