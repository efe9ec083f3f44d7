//! Byte streams over TCP that servers can be generic over: plain TCP, or TLS over TCP.
//!
//! An app's server takes an [`Acceptor`] that turns each accepted [`TcpStream`] into a
//! [`Connection`]: [`Plain`] hands the TCP stream back as it is; the `tls` crate's acceptor
//! runs a TLS handshake and returns the TLS stream. The HTTPS server and DNS over TLS use
//! this, so one server loop serves both kinds of listener.

// The executor is single-threaded: no caller needs `Send` futures, which is all that
// `async fn` in a public trait cannot promise.
#![allow(async_fn_in_trait)]

use core::fmt;

use crate::{Error, TcpStream};

/// A byte stream a connection runs over: TCP, or TLS over TCP.
///
/// `read` must be cancel-safe: servers drop a pending `read` when a timeout expires, and the
/// stream must then lose no octet already received (keep buffered state in `self`, not in the
/// future).
pub trait Connection {
    /// Why an operation failed (shown in logs).
    type Error: fmt::Display;

    /// Reads into `buffer`: the number of octets read, 0 at the end of the stream.
    async fn read(&mut self, buffer: &mut [u8]) -> Result<usize, Self::Error>;

    /// Writes all of `data`.
    async fn write_all(&mut self, data: &[u8]) -> Result<(), Self::Error>;

    /// Ends the stream: sends what is buffered and closes the sending side (TLS: a
    /// close_notify alert, then the TCP FIN). Errors are of no interest at this point.
    async fn close(&mut self);
}

/// Turns an accepted TCP connection into a [`Connection`] (TLS: runs the handshake).
pub trait Acceptor {
    /// The stream it makes.
    type Connection: Connection;

    /// Wraps `stream`; callers bound this with a timeout.
    async fn accept(
        &self,
        stream: TcpStream,
    ) -> Result<Self::Connection, <Self::Connection as Connection>::Error>;
}

impl Connection for TcpStream {
    type Error = Error;

    async fn read(&mut self, buffer: &mut [u8]) -> Result<usize, Error> {
        TcpStream::read(self, buffer).await
    }

    async fn write_all(&mut self, data: &[u8]) -> Result<(), Error> {
        TcpStream::write_all(self, data).await
    }

    async fn close(&mut self) {
        TcpStream::close(self);
    }
}

/// The identity acceptor: the TCP stream itself.
#[derive(Clone, Copy, Debug, Default)]
pub struct Plain;

impl Acceptor for Plain {
    type Connection = TcpStream;

    async fn accept(&self, stream: TcpStream) -> Result<TcpStream, Error> {
        Ok(stream)
    }
}
