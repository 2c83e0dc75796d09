//! Memory budgets for work whose size outside input decides.
//!
//! A SPARQL query can ask for a cross product that fills any amount of
//! memory long before its time limit. oxigraph has no notion of a budget,
//! so the budget is kept where every allocation passes anyway: the global
//! allocator. [`Counting`] wraps the system allocator; a thread that enters
//! a [`Meter`] has each of its allocations and frees added to that meter,
//! and the meter marks itself over budget the moment the balance passes its
//! limit, and calls the meter's `on_over` (which stops the work: see the
//! SPARQL worker).
//!
//! Work that cannot be stopped in time and keeps allocating is held at a
//! second, hard limit: a metered thread that passes it is parked for good
//! inside the allocator, keeping what it has but taking no more. That is a
//! last resort for computations with no point at which to stop them; the
//! process and every other request go on, and [`parked`] counts them.
//!
//! Threads without a meter pay one thread-local read per allocation. The
//! balance is per thread: memory that a metered thread hands to another
//! (a piece of a streamed answer) must be allocated [`unmetered`], or the
//! meter would count it as held for ever.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

/// The system allocator, with the metering described above.
pub struct Counting;

thread_local! {
    static METER: Cell<*const Shared> = const { Cell::new(std::ptr::null()) };
}

fn charge(bytes: isize) {
    let _ = METER.try_with(|meter| {
        let meter = meter.get();
        if !meter.is_null() {
            // SAFETY: the pointer is set only by `Meter::enter`, whose guard
            // clears it before the meter it points into can be dropped.
            unsafe { (*meter).charge(bytes) }
        }
    });
}

// SAFETY: every call is passed to `System` unchanged; the metering only
// reads and writes a thread-local cell and atomics, and never allocates.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let ptr = System.alloc(layout);
        if !ptr.is_null() {
            charge(layout.size() as isize);
        }
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let ptr = System.alloc_zeroed(layout);
        if !ptr.is_null() {
            charge(layout.size() as isize);
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout);
        charge(-(layout.size() as isize));
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let moved = System.realloc(ptr, layout, new_size);
        if !moved.is_null() {
            charge(new_size as isize - layout.size() as isize);
        }
        moved
    }
}

/// The part of a meter the allocator touches.
struct Shared {
    /// Bytes allocated minus bytes freed by the metered thread, which may
    /// go below zero when it frees what it was handed.
    balance: Cell<isize>,
    peak: AtomicUsize,
    limit: usize,
    hard_limit: usize,
    over: AtomicBool,
    /// Called once, on the metered thread, when the balance first passes
    /// the limit; it must not allocate.
    on_over: Option<Box<dyn Fn() + Send + Sync>>,
}

static PARKED: AtomicUsize = AtomicUsize::new(0);

/// How many metered threads passed their hard limit and were parked.
pub fn parked() -> usize {
    PARKED.load(Ordering::Relaxed)
}

// SAFETY: `balance` is only touched by the one thread the meter is entered
// on (through the thread-local pointer); the others read the atomics.
unsafe impl Sync for Shared {}

impl Shared {
    fn charge(&self, bytes: isize) {
        let balance = self.balance.get() + bytes;
        self.balance.set(balance);
        if balance > 0 {
            let balance = balance as usize;
            if balance > self.peak.load(Ordering::Relaxed) {
                self.peak.store(balance, Ordering::Relaxed);
                if balance > self.limit && !self.over.swap(true, Ordering::AcqRel) {
                    if let Some(on_over) = &self.on_over {
                        on_over();
                    }
                }
                if balance > self.hard_limit {
                    park_for_good();
                }
            }
        }
    }
}

/// Holds the thread where it is, without allocating, until the process
/// ends.
#[cold]
fn park_for_good() -> ! {
    PARKED.fetch_add(1, Ordering::Relaxed);
    loop {
        // Not `park`, which may allocate a thread handle on first use.
        std::thread::sleep(std::time::Duration::from_secs(3600));
    }
}

/// A budget of `limit` bytes for what one thread holds.
#[derive(Clone)]
pub struct Meter {
    shared: Arc<Shared>,
}

impl Meter {
    /// A budget of `limit` bytes, with the hard limit at twice that.
    pub fn new(limit: usize) -> Self {
        Meter::with_callback(limit, None)
    }

    /// A budget whose `on_over` is called, once and on the metered thread,
    /// when the thread first holds more than `limit` bytes. It must not
    /// allocate.
    pub fn on_over(limit: usize, on_over: impl Fn() + Send + Sync + 'static) -> Self {
        Meter::with_callback(limit, Some(Box::new(on_over)))
    }

    fn with_callback(limit: usize, on_over: Option<Box<dyn Fn() + Send + Sync>>) -> Self {
        Meter {
            shared: Arc::new(Shared {
                balance: Cell::new(0),
                peak: AtomicUsize::new(0),
                limit,
                hard_limit: limit.saturating_mul(2),
                over: AtomicBool::new(false),
                on_over,
            }),
        }
    }

    /// Meters the current thread until the guard is dropped. A thread
    /// holds one meter at a time; entering another replaces it.
    pub fn enter(&self) -> Entered {
        let previous = METER.with(|meter| meter.replace(Arc::as_ptr(&self.shared)));
        Entered {
            _meter: self.shared.clone(),
            previous,
        }
    }

    /// Whether the thread has held more than the limit at some point.
    #[cfg(test)]
    pub(crate) fn is_over(&self) -> bool {
        self.shared.over.load(Ordering::Acquire)
    }

    /// The most the thread has held at once, in bytes.
    pub fn peak(&self) -> usize {
        self.shared.peak.load(Ordering::Relaxed)
    }

    pub fn limit(&self) -> usize {
        self.shared.limit
    }
}

/// Keeps the meter alive while the thread is metered.
pub struct Entered {
    _meter: Arc<Shared>,
    previous: *const Shared,
}

impl Drop for Entered {
    fn drop(&mut self) {
        let previous = self.previous;
        let _ = METER.try_with(|meter| meter.set(previous));
    }
}

/// Runs `work` with the current thread's meter paused: for memory made
/// here to be freed on another thread.
pub fn unmetered<T>(work: impl FnOnce() -> T) -> T {
    let paused = METER.with(|meter| meter.replace(std::ptr::null()));
    let restore = Restore(paused);
    let value = work();
    drop(restore);
    value
}

struct Restore(*const Shared);

impl Drop for Restore {
    fn drop(&mut self) {
        let pointer = self.0;
        let _ = METER.try_with(|meter| meter.set(pointer));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_metered_thread_goes_over_its_budget_and_back() {
        let meter = Meter::new(1 << 20);
        let handle = {
            let meter = meter.clone();
            std::thread::spawn(move || {
                let _entered = meter.enter();
                let small = vec![0u8; 1 << 10];
                assert!(!meter.is_over());
                let large = vec![1u8; 3 << 19];
                assert!(meter.is_over());
                drop((small, large));
            })
        };
        handle.join().unwrap();
        assert!(meter.is_over(), "the mark stays once set");
        assert!(meter.peak() >= 3 << 19);
    }

    #[test]
    fn the_callback_is_called_once() {
        let calls = Arc::new(AtomicUsize::new(0));
        let meter = {
            let calls = calls.clone();
            Meter::on_over(1 << 20, move || {
                calls.fetch_add(1, Ordering::Relaxed);
            })
        };
        let _entered = meter.enter();
        let a = vec![0u8; 3 << 18];
        let b = vec![0u8; 3 << 18];
        let c = vec![0u8; 1 << 18];
        drop(_entered);
        drop((a, b, c));
        assert_eq!(calls.load(Ordering::Relaxed), 1);
    }

    #[test]
    fn unmetered_memory_is_not_counted() {
        let meter = Meter::new(1 << 20);
        let _entered = meter.enter();
        let handed_over = unmetered(|| vec![0u8; 4 << 20]);
        assert!(!meter.is_over());
        drop(handed_over);
    }
}
