//! Reference authoritative servers for the differential tests: Knot DNS (`knotd`) or NSD
//! serving given zone files on 127.0.0.1, each a child process with its own directory.

use std::fmt::Write as _;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::Query;

/// Where `knotd` may be (Debian puts it in /usr/sbin, which a non-root PATH may lack).
pub fn find_knotd() -> Option<PathBuf> {
    find("knotd")
}

/// Where a program may be: the PATH, then the sbin directories.
pub fn find(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/usr/local/sbin", "/sbin"].map(PathBuf::from))
        .map(|dir| dir.join(program))
        .find(|p| p.is_file())
}

/// Which server a [`Knot`] runs.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Kind {
    Knot,
    Nsd,
}

/// A reference server (`knotd`, or NSD with [`Knot::start_nsd`]) serving zone files on
/// 127.0.0.1:port; stopped (and its files removed) on drop.
pub struct Knot {
    child: Child,
    dir: PathBuf,
    port: u16,
    pub kind: Kind,
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
        std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default()
    }

    /// The server's name, for reports.
    pub fn name(&self) -> &'static str {
        match self.kind {
            Kind::Knot => "Knot",
            Kind::Nsd => "NSD",
        }
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
        Knot::start_kind(Kind::Knot, knotd, zones)
    }

    /// Starts NSD (`nsd`, one server process) with `zones` and waits until each answers.
    pub fn start_nsd(nsd: &Path, zones: &[(PathBuf, String)]) -> Knot {
        Knot::start_kind(Kind::Nsd, nsd, zones)
    }

    fn start_kind(kind: Kind, program: &Path, zones: &[(PathBuf, String)]) -> Knot {
        let mut last_log = String::new();
        for _attempt in 0..3 {
            let mut knot = Knot::spawn(kind, program, zones);
            match knot.wait_ready(zones) {
                Ok(()) => return knot,
                Err(e) => last_log = format!("{e}\n--- server log ---\n{}", knot.log()),
            }
        }
        panic!("{kind:?} did not start or did not load the zones:\n{last_log}");
    }

    fn spawn(kind: Kind, program: &Path, zones: &[(PathBuf, String)]) -> Knot {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let dir =
            std::env::temp_dir().join(format!("dns-differential-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("create the knotd directory");
        let port = Knot::free_port();
        let conf = match kind {
            Kind::Knot => Knot::knot_conf(&dir, port, zones),
            Kind::Nsd => Knot::nsd_conf(&dir, port, zones),
        };
        let conf_path = dir.join("server.conf");
        std::fs::write(&conf_path, conf).expect("write the configuration");
        let log = std::fs::File::create(dir.join("server.log")).expect("create the log");
        let mut command = Command::new(program);
        if kind == Kind::Nsd {
            command.arg("-d"); // in the foreground
        }
        let child = command
            .arg("-c")
            .arg(&conf_path)
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("clone the log file"))
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", program.display()));
        Knot {
            child,
            dir,
            port,
            kind,
        }
    }

    /// NSD's configuration: one server process, no database, no remote control.
    fn nsd_conf(dir: &Path, port: u16, zones: &[(PathBuf, String)]) -> String {
        let mut conf = format!(
            "server:\n    ip-address: 127.0.0.1@{port}\n    server-count: 1\n    username: \"\"\n    chroot: \"\"\n    zonesdir: \"{d}\"\n    pidfile: \"{d}/nsd.pid\"\n    database: \"\"\n    xfrdfile: \"{d}/xfrd.state\"\n    zonelistfile: \"{d}/zone.list\"\n    hide-version: yes\n    hide-identity: yes\n    verbosity: 1\n    logfile: \"{d}/server.log\"\n\
             remote-control:\n    control-enable: no\n",
            d = dir.display()
        );
        for (file, zone) in zones {
            let _ = writeln!(
                conf,
                "zone:\n    name: {zone}\n    zonefile: \"{}\"",
                file.display()
            );
        }
        conf
    }

    /// Knot's configuration: one worker of each kind, zones read whole, no journal.
    fn knot_conf(dir: &Path, port: u16, zones: &[(PathBuf, String)]) -> String {
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
        conf
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
                return Err(format!("the server exited ({status})"));
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
