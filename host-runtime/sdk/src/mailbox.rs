//! How the SDK's background threads wait: for a timer, for a nudge
//! ([`crate::Sdk::sync_now`], [`crate::Sdk::on_background`]), for the end of
//! a request, or for [`crate::Sdk::shutdown`], whichever comes first.
//!
//! A request (a long-poll holds one for 25 s) runs on a short-lived helper
//! thread that posts its result back, so that a shutdown never waits for the
//! network: the background thread leaves at once, and a helper that answers
//! later finds nobody listening. Helpers only make the request; every change
//! of state happens on the background thread, so nothing is changed after a
//! shutdown.

use std::sync::mpsc::{channel, Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

/// What a background thread is told.
#[derive(Debug)]
pub(crate) enum Event<R> {
    /// Shut down.
    Stop,
    /// Work now (sync now, the app went to the background).
    Kick,
    /// A request (by its number) finished.
    Done(u64, R),
}

/// Why a wait ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Woke {
    Stop,
    Kick,
    Timeout,
}

/// One background thread's inbox.
#[derive(Debug)]
pub(crate) struct Mailbox<R> {
    tx: Sender<Event<R>>,
    rx: Receiver<Event<R>>,
    next: u64,
    /// A nudge that came during a request: the next wait ends at once.
    kicked: bool,
}

impl<R: Send + 'static> Mailbox<R> {
    pub(crate) fn new() -> Mailbox<R> {
        let (tx, rx) = channel();
        Mailbox {
            tx,
            rx,
            next: 0,
            kicked: false,
        }
    }

    /// Where [`Event::Stop`] and [`Event::Kick`] are sent from.
    pub(crate) fn sender(&self) -> Sender<Event<R>> {
        self.tx.clone()
    }

    /// Runs `work` on a helper thread and waits for it; `None` when told to
    /// stop first (the helper's result is then dropped unread). When no
    /// thread can be started, `work` runs here.
    pub(crate) fn run(&mut self, work: impl FnOnce() -> R + Send + 'static) -> Option<R> {
        let id = self.next;
        self.next = self.next.wrapping_add(1);
        let tx = self.tx.clone();
        let slot = std::sync::Arc::new(std::sync::Mutex::new(Some(work)));
        let theirs = std::sync::Arc::clone(&slot);
        let spawned = std::thread::Builder::new()
            .name("guard-sdk-request".into())
            .spawn(move || {
                let work = theirs.lock().ok().and_then(|mut w| w.take());
                if let Some(work) = work {
                    let _ = tx.send(Event::Done(id, work()));
                }
            });
        if spawned.is_err() {
            let work = slot.lock().ok().and_then(|mut w| w.take())?;
            return Some(work());
        }
        loop {
            match self.rx.recv() {
                Ok(Event::Stop) | Err(_) => return None,
                Ok(Event::Kick) => self.kicked = true,
                Ok(Event::Done(n, result)) if n == id => return Some(result),
                // A result nobody waits for any more.
                Ok(Event::Done(..)) => {}
            }
        }
    }

    /// Waits `d`, or less when nudged or told to stop.
    pub(crate) fn sleep(&mut self, d: Duration) -> Woke {
        if std::mem::take(&mut self.kicked) {
            return Woke::Kick;
        }
        let deadline = Instant::now() + d;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.rx.recv_timeout(left) {
                Ok(Event::Stop) | Err(RecvTimeoutError::Disconnected) => return Woke::Stop,
                Ok(Event::Kick) => return Woke::Kick,
                Ok(Event::Done(..)) => {}
                Err(RecvTimeoutError::Timeout) => return Woke::Timeout,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc::sync_channel;

    #[test]
    fn a_stop_ends_a_request_wait_without_waiting_for_the_request() {
        let mut m: Mailbox<u32> = Mailbox::new();
        let tx = m.sender();
        let (release_tx, release_rx) = sync_channel::<()>(0);
        let (started_tx, started_rx) = sync_channel::<()>(0);
        let stopper = std::thread::spawn(move || {
            started_rx.recv().unwrap();
            tx.send(Event::Stop).unwrap();
        });
        let got = m.run(move || {
            started_tx.send(()).unwrap();
            // Blocks until the test is over: a request that never returns.
            let _ = release_rx.recv();
            7
        });
        assert_eq!(got, None);
        stopper.join().unwrap();
        drop(release_tx);
    }

    #[test]
    fn a_kick_during_a_request_ends_the_next_sleep_and_results_come_back() {
        let mut m: Mailbox<u32> = Mailbox::new();
        let tx = m.sender();
        let got = m.run(move || {
            tx.send(Event::Kick).unwrap();
            5
        });
        assert_eq!(got, Some(5));
        assert_eq!(m.sleep(Duration::from_secs(3600)), Woke::Kick);
        assert_eq!(m.sleep(Duration::from_millis(1)), Woke::Timeout);
        m.sender().send(Event::Stop).unwrap();
        assert_eq!(m.sleep(Duration::from_secs(3600)), Woke::Stop);
    }
}
