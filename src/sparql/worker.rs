//! Where queries and updates are parsed and evaluated: each on a thread of
//! its own, with a stack sized for the deepest query [`super::limits`]
//! admits, a memory budget ([`crate::memory`]) and a deadline.
//!
//! - **Concurrency**: at most `max_concurrent` jobs run at once; one more
//!   is refused at once with [`Error::Busy`], so a burst of heavy queries
//!   queues nowhere and cannot starve the rest of the service. Threads are
//!   kept for the next job (a new thread and its large stack cost more than
//!   a small query) and end after [`IDLE_THREAD`] without one.
//! - **Time**: one watchdog thread stops each job at its deadline.
//! - **Memory**: a job whose thread holds more than its budget is stopped
//!   the moment it crosses it (see [`super::stop`] for how a stopped job
//!   actually ends).
//! - **Shutdown**: [`Workers::stop_all`] stops every running job, so that a
//!   server asked to stop never waits on a runaway query.
//!
//! A stopped job's error becomes the error of its reason ([`Error::Timeout`],
//! [`Error::OverBudget`], [`Error::ShuttingDown`]), whatever oxigraph said.

use super::stop::{Reason, Stop, Stopped};
use crate::error::{Error, Result};
use crate::memory::Meter;
use std::collections::HashMap;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// What one job may spend.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    /// Stopped this long after it starts.
    pub timeout: Duration,
    /// Stopped when its thread holds more than this.
    pub memory_bytes: usize,
}

/// The jobs running now, and the watchdog that keeps their deadlines.
#[derive(Clone)]
pub struct Workers {
    shared: Arc<Shared>,
}

struct Shared {
    jobs: Mutex<Jobs>,
    /// Threads waiting for a job, each by its id and its channel.
    idle: Mutex<Vec<(u64, std::sync::mpsc::Sender<Job>)>>,
    /// Wakes the watchdog when a job with an earlier deadline arrives.
    changed: Condvar,
    max_concurrent: usize,
    stack_bytes: usize,
}

#[derive(Default)]
struct Jobs {
    next_id: u64,
    running: HashMap<u64, Running>,
    watchdog_started: bool,
    shutting_down: bool,
}

struct Running {
    stop: Stop,
    deadline: Instant,
}

impl Workers {
    /// At most `max_concurrent` jobs at once, each on a stack of
    /// `stack_bytes` (reserved address space; only what is used is memory).
    pub fn new(max_concurrent: usize, stack_bytes: usize) -> Self {
        Workers {
            shared: Arc::new(Shared {
                jobs: Mutex::new(Jobs::default()),
                idle: Mutex::new(Vec::new()),
                changed: Condvar::new(),
                max_concurrent: max_concurrent.max(1),
                stack_bytes,
            }),
        }
    }

    /// Starts `work` on a thread of its own, within `budget`, stoppable
    /// through `stop`. The receiver gets its result, or the error of the
    /// reason it was stopped for. Refused with [`Error::Busy`] when
    /// `max_concurrent` jobs are running, and with [`Error::ShuttingDown`]
    /// once [`Workers::stop_all`] was called for a shutdown.
    pub fn start<T, E>(
        &self,
        stop: Stop,
        budget: Budget,
        work: impl FnOnce() -> std::result::Result<T, E> + Send + 'static,
    ) -> std::result::Result<oneshot::Receiver<std::result::Result<T, E>>, E>
    where
        T: Send + 'static,
        E: From<Error> + Send + 'static,
    {
        let id = self.register(&stop, budget.timeout)?;
        let (sender, receiver) = oneshot::channel();
        let slot = Slot {
            workers: self.clone(),
            id,
        };
        let job: Job = Box::new(move || {
            let result = run(&stop, budget, work);
            // The slot is freed before the result is sent, so that a
            // client that hears the answer can start the next job.
            drop(slot);
            let _ = sender.send(result);
        });
        self.dispatch(job).map_err(E::from)?;
        Ok(receiver)
    }

    /// Hands the job to an idle thread, or to a new one.
    fn dispatch(&self, mut job: Job) -> Result<()> {
        loop {
            let idle = lock(&self.shared.idle).pop();
            let Some((_, thread)) = idle else {
                return self.spawn_thread(job);
            };
            match thread.send(job) {
                Ok(()) => return Ok(()),
                // It ended meanwhile: the next one.
                Err(std::sync::mpsc::SendError(returned)) => job = returned,
            }
        }
    }

    fn spawn_thread(&self, first: Job) -> Result<()> {
        let shared = Arc::downgrade(&self.shared);
        let id = {
            let mut jobs = self.lock();
            jobs.next_id += 1;
            jobs.next_id
        };
        std::thread::Builder::new()
            .name("assetgraph-sparql".into())
            .stack_size(self.shared.stack_bytes)
            .spawn(move || serve_jobs(shared, id, first))
            .map(|_| ())
            .map_err(|e| Error::Storage(format!("cannot start a query thread: {e}")))
    }

    /// Stops every running job; with `Reason::Shutdown`, refuses new ones.
    pub fn stop_all(&self, reason: Reason) {
        let mut jobs = self.lock();
        if reason == Reason::Shutdown {
            jobs.shutting_down = true;
        }
        for job in jobs.running.values() {
            job.stop.stop(reason);
        }
    }

    /// How many jobs are running now.
    pub fn running(&self) -> usize {
        self.lock().running.len()
    }

    fn register(&self, stop: &Stop, timeout: Duration) -> Result<u64> {
        let mut jobs = self.lock();
        if jobs.shutting_down {
            return Err(Error::ShuttingDown);
        }
        if jobs.running.len() >= self.shared.max_concurrent {
            return Err(Error::Busy {
                what: format!(
                    "{} queries and updates are running, the most at once (sparql.max_concurrent)",
                    jobs.running.len()
                ),
                retry_after_secs: 1,
            });
        }
        if !jobs.watchdog_started {
            self.start_watchdog()?;
            jobs.watchdog_started = true;
        }
        jobs.next_id += 1;
        let id = jobs.next_id;
        let deadline = Instant::now() + timeout;
        jobs.running.insert(
            id,
            Running {
                stop: stop.clone(),
                deadline,
            },
        );
        self.shared.changed.notify_all();
        Ok(id)
    }

    fn lock(&self) -> MutexGuard<'_, Jobs> {
        lock(&self.shared.jobs)
    }

    /// The watchdog holds only a weak reference, and ends with the workers.
    fn start_watchdog(&self) -> Result<()> {
        let shared = Arc::downgrade(&self.shared);
        std::thread::Builder::new()
            .name("assetgraph-watchdog".into())
            .spawn(move || watch(shared))
            .map(|_| ())
            .map_err(|e| Error::Storage(format!("cannot start the query watchdog: {e}")))
    }
}

/// Frees a job's place when its thread ends, however it ends.
struct Slot {
    workers: Workers,
    id: u64,
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.workers.lock().running.remove(&self.id);
        self.workers.shared.changed.notify_all();
    }
}

/// How long a worker thread waits for another job before it ends.
pub(crate) const IDLE_THREAD: Duration = Duration::from_secs(60);

type Job = Box<dyn FnOnce() + Send>;

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A worker thread: runs its first job, then whatever it is handed while
/// it waits among the idle, until none comes for [`IDLE_THREAD`].
fn serve_jobs(shared: std::sync::Weak<Shared>, id: u64, first: Job) {
    let (sender, receiver) = std::sync::mpsc::channel::<Job>();
    let mut job = first;
    loop {
        job();
        let Some(strong) = shared.upgrade() else {
            return;
        };
        lock(&strong.idle).push((id, sender.clone()));
        drop(strong);
        job = match receiver.recv_timeout(IDLE_THREAD) {
            Ok(next) => next,
            Err(_) => {
                let Some(strong) = shared.upgrade() else {
                    return;
                };
                let mut idle = lock(&strong.idle);
                match idle.iter().position(|(other, _)| *other == id) {
                    // Still listed: nobody can hand it a job any more.
                    Some(at) => {
                        idle.remove(at);
                        return;
                    }
                    // Taken off the list: a job is on its way.
                    None => {
                        drop(idle);
                        match receiver.recv() {
                            Ok(next) => next,
                            Err(_) => return,
                        }
                    }
                }
            }
        };
    }
}

fn watch(shared: std::sync::Weak<Shared>) {
    /// Also how long a watchdog outlives its workers, at most.
    const IDLE: Duration = Duration::from_secs(1);
    while let Some(shared) = shared.upgrade() {
        let jobs = shared.jobs.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        let mut next = now + IDLE;
        for job in jobs.running.values() {
            if job.deadline <= now {
                job.stop.stop(Reason::Timeout);
            } else {
                next = next.min(job.deadline);
            }
        }
        let wait = next.saturating_duration_since(now);
        let _ = shared
            .changed
            .wait_timeout(jobs, wait)
            .unwrap_or_else(|p| p.into_inner());
    }
}

/// Runs the job metered, and turns how it ended into its result.
fn run<T, E: From<Error>>(
    stop: &Stop,
    budget: Budget,
    work: impl FnOnce() -> std::result::Result<T, E>,
) -> std::result::Result<T, E> {
    let meter = {
        let stop = stop.clone();
        Meter::on_over(budget.memory_bytes, move || stop.stop(Reason::Memory))
    };
    let entered = meter.enter();
    let outcome = std::panic::catch_unwind(AssertUnwindSafe(work));
    drop(entered);
    let stopped = || E::from(reason_error(stop.reason().unwrap_or(Reason::Abandoned), budget));
    match outcome {
        Ok(Err(_)) if stop.is_stopped() => Err(stopped()),
        Ok(result) => result,
        Err(payload) if payload.is::<Stopped>() => Err(stopped()),
        Err(payload) => {
            let message = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic".into());
            Err(E::from(Error::Storage(format!("a query thread failed: {message}"))))
        }
    }
}

fn reason_error(reason: Reason, budget: Budget) -> Error {
    match reason {
        Reason::Timeout => Error::Timeout {
            seconds: budget.timeout.as_secs(),
        },
        Reason::Memory => Error::OverBudget {
            bytes: budget.memory_bytes,
        },
        Reason::Shutdown => Error::ShuttingDown,
        Reason::Abandoned => Error::Query {
            message: "the request was abandoned by its client".into(),
            position: None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn budget(timeout_ms: u64) -> Budget {
        Budget {
            timeout: Duration::from_millis(timeout_ms),
            memory_bytes: 64 << 20,
        }
    }

    /// Spins until stopped, as an evaluation between two checkpoints does.
    fn spin(stop: &Stop) -> Result<()> {
        while !stop.is_stopped() {
            std::thread::yield_now();
        }
        Err(Error::Storage("cancelled".into()))
    }

    #[test]
    fn a_job_past_its_deadline_ends_with_a_timeout() {
        let workers = Workers::new(2, 1 << 20);
        let stop = Stop::new();
        let job = stop.clone();
        let receiver = workers.start(stop, budget(50), move || spin(&job)).unwrap();
        let result = receiver.blocking_recv().unwrap();
        assert!(matches!(result, Err(Error::Timeout { .. })), "{result:?}");
        assert_eq!(workers.running(), 0);
    }

    #[test]
    fn one_job_too_many_is_refused_and_shutdown_stops_all() {
        let workers = Workers::new(1, 1 << 20);
        let stop = Stop::new();
        let job = stop.clone();
        let receiver = workers.start(stop, budget(60_000), move || spin(&job)).unwrap();
        let refused = workers.start(Stop::new(), budget(60_000), || Ok::<_, Error>(()));
        assert!(matches!(refused, Err(Error::Busy { .. })));
        workers.stop_all(Reason::Shutdown);
        assert!(matches!(receiver.blocking_recv().unwrap(), Err(Error::ShuttingDown)));
        let refused = workers.start(Stop::new(), budget(60_000), || Ok::<_, Error>(()));
        assert!(matches!(refused, Err(Error::ShuttingDown)));
    }

    #[test]
    fn a_job_over_its_memory_budget_is_stopped() {
        let workers = Workers::new(1, 1 << 20);
        let stop = Stop::new();
        let job = stop.clone();
        let receiver = workers
            .start(
                stop,
                Budget {
                    timeout: Duration::from_secs(60),
                    memory_bytes: 1 << 20,
                },
                move || {
                    let mut held = Vec::new();
                    while !job.is_stopped() {
                        held.push(vec![0u8; 64 << 10]);
                    }
                    Err::<(), _>(Error::Storage(format!("cancelled holding {} pieces", held.len())))
                },
            )
            .unwrap();
        let result = receiver.blocking_recv().unwrap();
        assert!(matches!(result, Err(Error::OverBudget { .. })), "{result:?}");
    }

    #[test]
    fn a_thread_is_kept_for_the_next_job() {
        let workers = Workers::new(1, 1 << 20);
        let name = || std::thread::current().id();
        let first = workers
            .start(Stop::new(), budget(60_000), move || Ok::<_, Error>(name()))
            .unwrap();
        let first = first.blocking_recv().unwrap().unwrap();
        // The thread may still be on its way back to the idle list.
        std::thread::sleep(Duration::from_millis(50));
        let second = workers
            .start(Stop::new(), budget(60_000), move || Ok::<_, Error>(name()))
            .unwrap();
        assert_eq!(second.blocking_recv().unwrap().unwrap(), first);
    }

    #[test]
    fn a_checkpoint_unwinds_to_the_worker() {
        let workers = Workers::new(1, 1 << 20);
        let stop = Stop::new();
        let checkpoint = stop.checkpoint();
        let receiver = workers
            .start(stop, budget(20), move || loop {
                checkpoint(&[]);
            })
            .unwrap();
        let result: Result<()> = receiver.blocking_recv().unwrap();
        assert!(matches!(result, Err(Error::Timeout { .. })), "{result:?}");
    }
}
