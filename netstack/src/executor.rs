//! The executor: single-threaded and cooperative, driven by the network stack's deadlines.
//!
//! One loop runs everything (DESIGN.md "The executor", after mirage-xen's `main.ml`):
//!
//! 1. poll the main future and every task that was woken (or just spawned);
//! 2. poll each [`Stack`] with the current time: frames in, frames out, timers, DHCP; smoltcp
//!    wakes the tasks whose sockets became ready, and answers with its next deadline;
//! 3. if nothing was woken, ask the [`Machine`] to idle until a device event or that
//!    deadline.
//!
//! Tasks are boxed futures ([`Spawner::spawn`]); wakers are `Arc`s that set an atomic flag, so
//! waking is cheap and allowed from anywhere (a waker may legally be sent to another thread,
//! though nothing here does). There is no preemption: a task runs until it awaits.
//!
//! # Why the executor lives in netstack, not in kernel/rt
//!
//! DESIGN.md lists the executor under the runtime. It is here because:
//! - it is driven by the stack: each turn polls the stacks and sleeps until their deadline
//!   (smoltcp's `poll_at` and the stack's timers), so it has to know the [`Stack`] type, and
//!   `kernel/rt` depending on `netstack` for that (while drivers in `kernel/*` implement
//!   netstack's [`NetDevice`](crate::NetDevice)) would be upside down;
//! - it must also run hosted (a Linux process over TAP) and in host tests (two stacks over
//!   [`sim`](crate::sim)), which the runtime, a `no_std` kernel crate, cannot.
//!
//! What stays in the runtime is what touches hardware: the clock, sleeping on event channels
//! or the LAPIC timer, and randomness, behind the three-method [`Machine`] trait.

use alloc::boxed::Box;
use alloc::rc::{Rc, Weak};
use alloc::sync::Arc;
use alloc::task::Wake;
use alloc::vec::Vec;
use core::cell::RefCell;
use core::fmt;
use core::future::Future;
use core::pin::Pin;
use core::sync::atomic::{AtomicBool, Ordering};
use core::task::{Context, Poll, Waker};

use crate::Stack;
pub use xenolith_device::Machine;

/// A spawned task.
struct Task {
    future: Pin<Box<dyn Future<Output = ()>>>,
    wake: Arc<TaskWake>,
}

/// The waker of one task: a flag the executor checks, and the executor-wide "something was
/// woken" flag that keeps it from idling.
struct TaskWake {
    woken: AtomicBool,
    any_woken: Arc<AtomicBool>,
}

impl Wake for TaskWake {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::Release);
        self.any_woken.store(true, Ordering::Release);
    }
}

/// State shared by the executor and its spawners.
struct Shared {
    /// Task slots; `None` marks a free slot (or a task being polled, taken out of its slot so
    /// that it may spawn).
    tasks: RefCell<Vec<Option<Task>>>,
    /// Tasks spawned since the executor last looked.
    spawned: RefCell<Vec<Task>>,
    any_woken: Arc<AtomicBool>,
}

/// The task queue and run loop. See the [module docs](self).
pub struct Executor {
    shared: Rc<Shared>,
}

/// A handle that spawns tasks onto an [`Executor`]; clone it into the tasks that need it.
///
/// It holds the executor weakly: a task spawned after the executor was dropped is dropped.
#[derive(Clone)]
pub struct Spawner {
    shared: Weak<Shared>,
}

impl Executor {
    /// An executor with no tasks.
    pub fn new() -> Executor {
        Executor {
            shared: Rc::new(Shared {
                tasks: RefCell::new(Vec::new()),
                spawned: RefCell::new(Vec::new()),
                any_woken: Arc::new(AtomicBool::new(false)),
            }),
        }
    }

    /// A handle to spawn tasks with.
    pub fn spawner(&self) -> Spawner {
        Spawner {
            shared: Rc::downgrade(&self.shared),
        }
    }

    /// Runs the tasks and `stack` until `future` completes; returns its output.
    ///
    /// Tasks still running when `future` completes stay in the executor (they run again at
    /// the next `block_on`, and are dropped with the executor).
    pub fn block_on<F: Future>(
        &self,
        stack: &Stack,
        machine: &dyn Machine,
        future: F,
    ) -> F::Output {
        self.block_on_stacks(&[stack], machine, future)
    }

    /// [`block_on`](Executor::block_on) for several stacks (several interfaces, or two
    /// stacks talking to each other in a test).
    pub fn block_on_stacks<F: Future>(
        &self,
        stacks: &[&Stack],
        machine: &dyn Machine,
        future: F,
    ) -> F::Output {
        let mut future = core::pin::pin!(future);
        let main = Arc::new(TaskWake {
            woken: AtomicBool::new(true),
            any_woken: self.shared.any_woken.clone(),
        });
        let main_waker = Waker::from(main.clone());
        loop {
            self.shared.any_woken.store(false, Ordering::Release);
            if main.woken.swap(false, Ordering::AcqRel)
                && let Poll::Ready(output) =
                    future.as_mut().poll(&mut Context::from_waker(&main_waker))
            {
                return output;
            }
            self.run_woken_tasks();

            let now = machine.now();
            let deadline = stacks.iter().filter_map(|stack| stack.poll(now)).min();
            if self.shared.any_woken.load(Ordering::Acquire) {
                continue;
            }
            machine.idle(deadline);
        }
    }

    /// Polls every task that was woken or spawned since the last turn, once.
    fn run_woken_tasks(&self) {
        let shared = &*self.shared;
        let spawned = core::mem::take(&mut *shared.spawned.borrow_mut());
        if !spawned.is_empty() {
            let mut tasks = shared.tasks.borrow_mut();
            for task in spawned {
                match tasks.iter_mut().find(|slot| slot.is_none()) {
                    Some(slot) => *slot = Some(task),
                    None => tasks.push(Some(task)),
                }
            }
        }
        let count = shared.tasks.borrow().len();
        for index in 0..count {
            // Take the task out of its slot while it runs: it may spawn (which borrows
            // `spawned`, not `tasks`) and its slot must not be reused meanwhile, which the
            // spawned list guarantees (new tasks are placed only at the top of a turn).
            let task = {
                let mut tasks = shared.tasks.borrow_mut();
                match tasks.get_mut(index) {
                    Some(slot @ Some(_))
                        if slot
                            .as_ref()
                            .is_some_and(|task| task.wake.woken.swap(false, Ordering::AcqRel)) =>
                    {
                        slot.take()
                    }
                    _ => None,
                }
            };
            let Some(mut task) = task else { continue };
            let waker = Waker::from(task.wake.clone());
            match task.future.as_mut().poll(&mut Context::from_waker(&waker)) {
                Poll::Ready(()) => {}
                Poll::Pending => {
                    // The slot is still there (tasks only grow); checked all the same.
                    if let Some(slot) = shared.tasks.borrow_mut().get_mut(index) {
                        *slot = Some(task);
                    }
                }
            }
        }
    }

    /// Number of tasks alive (spawned and not finished).
    pub fn task_count(&self) -> usize {
        let running = self
            .shared
            .tasks
            .borrow()
            .iter()
            .filter(|t| t.is_some())
            .count();
        running + self.shared.spawned.borrow().len()
    }
}

impl Default for Executor {
    fn default() -> Self {
        Executor::new()
    }
}

impl Drop for Executor {
    fn drop(&mut self) {
        // Drop the tasks outside the borrows: a task's destructor may drop sockets or spawn.
        let tasks = core::mem::take(&mut *self.shared.tasks.borrow_mut());
        drop(tasks);
        let spawned = core::mem::take(&mut *self.shared.spawned.borrow_mut());
        drop(spawned);
    }
}

impl Spawner {
    /// Starts `future` as a task; it first runs at the executor's next turn.
    pub fn spawn(&self, future: impl Future<Output = ()> + 'static) {
        let Some(shared) = self.shared.upgrade() else {
            return;
        };
        let wake = Arc::new(TaskWake {
            woken: AtomicBool::new(true),
            any_woken: shared.any_woken.clone(),
        });
        shared.spawned.borrow_mut().push(Task {
            future: Box::pin(future),
            wake,
        });
        shared.any_woken.store(true, Ordering::Release);
    }
}

impl fmt::Debug for Executor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Executor")
            .field("tasks", &self.task_count())
            .finish()
    }
}

impl fmt::Debug for Spawner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Spawner")
            .field("executor_alive", &(self.shared.strong_count() > 0))
            .finish()
    }
}

/// Gives other tasks and the stack a turn: completes on its second poll.
pub async fn yield_now() {
    let mut yielded = false;
    core::future::poll_fn(|cx| {
        if yielded {
            Poll::Ready(())
        } else {
            yielded = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    })
    .await
}
