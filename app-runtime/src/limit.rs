//! Connection limits, the same for every server: at most `max` connections at once. At the cap
//! a server either waits for one to end ([`Connections::admit`]: the DNS server, echo) or makes
//! room by closing the connection that has waited longest for its peer
//! ([`Connections::admit_evicting`]: the HTTPS server, so that a crowd of idle keep-alive
//! connections cannot lock everyone else out). At the cap the accept loop looks again every
//! [`RECHECK`] (a timer, not a waker list: no code for it in the images, and only a server at its
//! cap pays for it).
//!
//! A connection holds a [`Permit`] (or, if it may be evicted, an [`Evictable`]) for its life;
//! dropping it frees the place. An evictable connection that waits for its peer says so
//! ([`Evictable::set_waiting`]) and watches [`Evictable::evicted`] (with
//! [`Evictable::wake_on_eviction`] while it sleeps), so an eviction takes effect at once.

use alloc::rc::Rc;
use alloc::vec::Vec;
use core::cell::{Cell, RefCell};
use core::future::{Future, poll_fn};
use core::pin::Pin;
use core::task::{Poll, Waker};
use core::time::Duration;
use xenolith_netstack::Stack;
use xenolith_netstack::stack::Sleep;

/// How often an accept loop at the cap looks again.
pub const RECHECK: Duration = Duration::from_millis(10);

/// The connections of one server (clones share them: several listeners, one cap).
#[derive(Clone, Debug)]
pub struct Connections {
    shared: Rc<Shared>,
}

#[derive(Debug)]
struct Shared {
    max: usize,
    open: Cell<usize>,
    /// The connections admitted by `admit_evicting`, which an eviction chooses from.
    evictable: RefCell<Vec<Rc<Slot>>>,
}

#[derive(Debug, Default)]
struct Slot {
    /// Waiting for the peer since this time; `None` while the server is busy with it.
    waiting_since: Cell<Option<Duration>>,
    /// Asked to close (to make room).
    evict: Cell<bool>,
    /// Wakes the connection's task when it is asked to close.
    waker: RefCell<Option<Waker>>,
}

/// One open connection's place; dropping it frees the place.
#[derive(Debug)]
pub struct Permit {
    shared: Rc<Shared>,
}

/// The place of a connection that may be asked to close to make room
/// ([`Connections::admit_evicting`]); dropping it frees the place.
#[derive(Debug)]
pub struct Evictable {
    slot: Rc<Slot>,
    _permit: Permit,
}

impl Connections {
    /// Room for `max` connections at once (at least one).
    pub fn new(max: usize) -> Connections {
        Connections {
            shared: Rc::new(Shared {
                max: max.max(1),
                open: Cell::new(0),
                evictable: RefCell::new(Vec::new()),
            }),
        }
    }

    /// Connections open now.
    pub fn open(&self) -> usize {
        self.shared.open.get()
    }

    /// A place for a connection, once fewer than `max` are open.
    pub fn admit(&self, stack: &Stack) -> impl Future<Output = Permit> {
        // A `poll_fn`, not an `async fn`: no state machine around the sleep (docs/image-size.md).
        let mut sleep: Option<Sleep> = None;
        poll_fn(move |cx| {
            loop {
                if let Some(pending) = sleep.as_mut() {
                    if Pin::new(pending).poll(cx).is_pending() {
                        return Poll::Pending;
                    }
                    sleep = None;
                }
                if let Some(permit) = self.try_admit() {
                    return Poll::Ready(permit);
                }
                sleep = Some(stack.sleep(RECHECK));
            }
        })
    }

    /// A place for a connection: at the cap, the connection that has waited longest for its
    /// peer is asked to close, and this waits until it has (or another has ended). Also says
    /// whether a connection was asked to close for it. While every connection is busy (none
    /// waiting for its peer), it waits like [`admit`](Connections::admit).
    pub async fn admit_evicting(&self, stack: &Stack) -> (Evictable, bool) {
        let mut evicted = false;
        loop {
            if let Some(permit) = self.try_admit_evictable() {
                return (permit, evicted);
            }
            evicted |= self.evict_one();
            stack.sleep(RECHECK).await;
        }
    }

    fn try_admit(&self) -> Option<Permit> {
        let open = self.shared.open.get();
        if open >= self.shared.max {
            return None;
        }
        self.shared.open.set(open + 1);
        Some(Permit {
            shared: self.shared.clone(),
        })
    }

    fn try_admit_evictable(&self) -> Option<Evictable> {
        let permit = self.try_admit()?;
        let slot = Rc::new(Slot::default());
        self.shared.evictable.borrow_mut().push(slot.clone());
        Some(Evictable {
            slot,
            _permit: permit,
        })
    }

    /// Asks the connection waiting longest for its peer to close, unless one is already on
    /// its way out. Whether a new one was asked.
    fn evict_one(&self) -> bool {
        let evictable = self.shared.evictable.borrow();
        if evictable.iter().any(|s| s.evict.get()) {
            return false;
        }
        let oldest = evictable
            .iter()
            .filter_map(|s| s.waiting_since.get().map(|since| (since, s)))
            .min_by_key(|(since, _)| *since);
        let Some((_, slot)) = oldest else {
            return false;
        };
        slot.evict.set(true);
        if let Some(waker) = slot.waker.borrow_mut().take() {
            waker.wake();
        }
        true
    }
}

impl Evictable {
    /// Records that the connection waits for its peer (a request, a handshake) since `since`,
    /// or, with `None`, that the server is busy with it (an eviction spares it).
    pub fn set_waiting(&self, since: Option<Duration>) {
        self.slot.waiting_since.set(since);
    }

    /// Whether the connection was asked to close to make room.
    pub fn evicted(&self) -> bool {
        self.slot.evict.get()
    }

    /// Wakes `waker` when the connection is asked to close (until [`clear_waker`]).
    ///
    /// [`clear_waker`]: Evictable::clear_waker
    pub fn wake_on_eviction(&self, waker: &Waker) {
        *self.slot.waker.borrow_mut() = Some(waker.clone());
    }

    /// Forgets the waker of [`wake_on_eviction`](Evictable::wake_on_eviction).
    pub fn clear_waker(&self) {
        self.slot.waker.borrow_mut().take();
    }
}

impl Drop for Evictable {
    fn drop(&mut self) {
        let slot = &self.slot;
        self.shared()
            .evictable
            .borrow_mut()
            .retain(|s| !Rc::ptr_eq(s, slot));
    }
}

impl Evictable {
    fn shared(&self) -> &Shared {
        &self._permit.shared
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        self.shared
            .open
            .set(self.shared.open.get().saturating_sub(1));
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::task::Wake;

    struct Count(AtomicUsize);
    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn at_most_max_and_a_place_is_freed_with_its_permit() {
        let connections = Connections::new(2);
        let a = connections.try_admit().unwrap();
        let b = connections.try_admit_evictable().unwrap();
        assert_eq!(connections.open(), 2);
        assert!(connections.try_admit().is_none());
        assert!(connections.try_admit_evictable().is_none());
        drop(a);
        let c = connections.try_admit().unwrap();
        drop((b, c));
        assert_eq!(connections.open(), 0);
        assert!(connections.shared.evictable.borrow().is_empty());
        assert!(Connections::new(0).try_admit().is_some(), "at least one");
    }

    #[test]
    fn the_longest_waiting_is_asked_to_close_and_woken() {
        let connections = Connections::new(3);
        let permits: Vec<Evictable> = (0..3)
            .map(|_| connections.try_admit_evictable().unwrap())
            .collect();
        // Busy, waiting since 5 s, waiting since 2 s: the last one goes.
        permits[1].set_waiting(Some(Duration::from_secs(5)));
        permits[2].set_waiting(Some(Duration::from_secs(2)));
        let victim = Arc::new(Count(AtomicUsize::new(0)));
        permits[2].wake_on_eviction(&Waker::from(victim.clone()));
        assert!(connections.evict_one());
        assert!(permits[2].evicted() && !permits[1].evicted() && !permits[0].evicted());
        assert_eq!(victim.0.load(Ordering::SeqCst), 1, "the victim is woken");
        // Until it has gone, nobody else is asked.
        assert!(!connections.evict_one());
        assert!(!permits[1].evicted());
        let mut permits = permits;
        permits.remove(2);
        assert!(connections.try_admit_evictable().is_some());
    }

    #[test]
    fn all_busy_means_nobody_is_evicted() {
        let connections = Connections::new(1);
        let busy = connections.try_admit_evictable().unwrap();
        assert!(!connections.evict_one());
        assert!(!busy.evicted());
        busy.set_waiting(Some(Duration::from_secs(1)));
        busy.clear_waker();
        assert!(connections.evict_one());
        assert!(busy.evicted());
    }
}
