//! The network stack: smoltcp behind a [`NetDevice`] trait, with async sockets.
//!
//! Drivers (netfront in `kernel/xen`, virtio-net in `kernel/virtio`, a TAP device in hosted
//! mode) implement [`NetDevice`]; the stack, its configuration and the sockets build on it:
//!
//! - [`Config`]: a static IPv4 address (and gateway) or DHCP, read from the command-line words
//!   `ip=ADDR/PREFIX gw=ADDR` or `ip=dhcp`;
//! - [`Stack`]: the smoltcp interface, its sockets, the device and the DHCPv4 client, polled
//!   with the current time and answering with its next deadline; ICMP echo requests are
//!   answered by the interface itself;
//! - [`UdpSocket`], [`TcpListener`], [`TcpStream`]: async sockets woken by smoltcp;
//! - [`executor`]: the single-threaded executor that runs the tasks and drives the stack, over
//!   a [`Machine`] (clock, idle, randomness) that the runtime or the host provides;
//! - [`sim`]: an in-memory wire and a simulated clock, to run two stacks against each other in
//!   tests;
//! - `hosted` (feature `std`): a Linux TAP device and the Linux machine, so the same stack and
//!   apps run as a process.
//!
//! An app in short (the runtime supplies `device` and `machine`):
//!
//! ```ignore
//! let stack = Stack::new(device, Config::AUTO, machine);
//! let executor = Executor::new();
//! let spawner = executor.spawner();
//! executor.block_on(&stack, machine, async {
//!     let socket = UdpSocket::bind(&stack, 7)?;
//!     let mut buffer = [0; 1500];
//!     loop {
//!         let (len, peer) = socket.recv_from(&mut buffer).await?;
//!         socket.send_to(&buffer[..len], peer).await?;
//!     }
//! })
//! ```
//!
//! Everything is single-threaded: a [`Stack`] is a cheap, clonable handle (`Rc`), sockets keep
//! a handle to their stack and release their smoltcp socket when dropped.
#![no_std]
// The kernel build has no unsafe code at all; hosted mode needs a few system calls, kept in
// one module (`hosted::sys`) that allows it.
#![cfg_attr(not(feature = "std"), forbid(unsafe_code))]
#![cfg_attr(feature = "std", deny(unsafe_code))]

extern crate alloc;
#[cfg(any(test, feature = "std"))]
extern crate std;

pub mod config;
pub mod device;
mod error;
pub mod executor;
mod phy;
pub mod show;
pub mod sim;
pub mod stack;
pub mod stream;
pub mod tcp;
mod time;
pub mod udp;

#[cfg(feature = "std")]
pub mod hosted;

pub use config::{Config, Ipv4Config, Ipv6Config};
pub use device::{DeviceStats, NetDevice};
pub use error::Error;
pub use executor::{Executor, Machine, Spawner};
pub use show::Show;
pub use stack::{Addresses, SocketBuffers, Stack, StackStats};
pub use stream::{Acceptor, Connection, Plain};
pub use tcp::{TcpListener, TcpStream};
pub use udp::UdpSocket;

/// The smoltcp address types the API uses, re-exported so apps need not depend on smoltcp.
pub mod wire {
    pub use smoltcp::wire::{
        IpAddress, IpCidr, IpEndpoint, Ipv4Address, Ipv4Cidr, Ipv6Address, Ipv6Cidr,
    };
}
