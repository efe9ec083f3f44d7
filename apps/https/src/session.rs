//! One connection's request/response exchange, without I/O: octets in, responses out.
//!
//! The server reads into [`Session::read_buffer`], reports the count with
//! [`Session::received`], and asks [`Session::next`] for the next response until it says
//! [`Step::Read`]. Pipelined requests are answered in order, one per call. The buffer holds one
//! request head at most ([`Limits::max_head`]); a head that does not fit is refused (414/431),
//! never grown into.

use alloc::vec;
use alloc::vec::Vec;

use crate::request::{self, Limits, Parsed};
use crate::response::{Handler, Reply, respond};

/// What to do next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step<'s> {
    /// Read more octets (the head is incomplete, or nothing is buffered).
    Read,
    /// Send this response; then close the connection if `reply.close`.
    Reply(Reply<'s>),
}

/// The receive side of one connection.
#[derive(Debug)]
pub struct Session {
    buffer: Vec<u8>,
    filled: usize,
    limits: Limits,
}

impl Session {
    /// A session for a new connection.
    pub fn new(limits: Limits) -> Session {
        Session {
            buffer: vec![0; limits.max_head.max(1)],
            filled: 0,
            limits,
        }
    }

    /// Where to read into (never empty while [`next`](Session::next) returns
    /// [`Step::Read`]).
    pub fn read_buffer(&mut self) -> &mut [u8] {
        &mut self.buffer[self.filled..]
    }

    /// Records `n` octets read into [`read_buffer`](Session::read_buffer).
    pub fn received(&mut self, n: usize) {
        self.filled = (self.filled + n).min(self.buffer.len());
    }

    /// Octets received and not yet used: zero between requests.
    pub fn pending(&self) -> usize {
        self.filled
    }

    /// The next response, or [`Step::Read`].
    pub fn next<'s>(&mut self, handler: &Handler<'s>) -> Step<'s> {
        // Empty lines between requests are dropped at once, so that a stream of them cannot
        // fill the buffer.
        let blank = self.buffer[..self.filled]
            .iter()
            .take_while(|&&b| b == b'\r' || b == b'\n')
            .count();
        self.consume(blank);
        let (reply, used) = match request::parse(&self.buffer[..self.filled], &self.limits) {
            Ok(Parsed::Incomplete) => return Step::Read,
            Ok(Parsed::Complete { request, len }) => (respond(handler, &request), len),
            Err(error) => (Reply::refuse(error), self.filled),
        };
        self.consume(used);
        Step::Reply(reply)
    }

    fn consume(&mut self, n: usize) {
        let n = n.min(self.filled);
        self.buffer.copy_within(n..self.filled, 0);
        self.filled -= n;
    }
}
