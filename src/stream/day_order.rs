//! The newest day in input order, handed from each chunk to the next.
//!
//! Day keys must be made and destroyed as the input's order says, not as the workers'
//! scheduling happens to reach the days: a worker that reaches a later day first must not
//! destroy the key that records before it, still in other workers' hands, need. Each
//! worker parses its chunk, waits until the chunk before it has passed on the newest day
//! seen so far, passes on its own, and then anonymizes with that running watermark. The
//! wait covers only the parsing of earlier chunks, never their anonymizing or writing.

use std::sync::{Condvar, Mutex};

/// The baton passed between consecutive chunks.
#[derive(Debug, Default)]
pub(crate) struct DayOrder {
    state: Mutex<Baton>,
    turn: Condvar,
}

#[derive(Debug, Default)]
struct Baton {
    /// The chunk whose turn it is.
    next: u64,
    /// The newest UTC day of all records of the chunks before `next`.
    newest: Option<i64>,
    /// A worker went away: nobody may wait any longer.
    closed: bool,
}

impl DayOrder {
    /// Waits until every chunk before `seq` has passed; then passes on `newest` merged in
    /// and returns the newest day before `seq`. `None` when the order was closed.
    pub(crate) fn pass(&self, seq: u64, newest: Option<i64>) -> Option<Option<i64>> {
        let mut baton = self.state.lock().unwrap_or_else(|e| e.into_inner());
        while baton.next != seq && !baton.closed {
            baton = self.turn.wait(baton).unwrap_or_else(|e| e.into_inner());
        }
        if baton.next != seq {
            return None;
        }
        let before = baton.newest;
        baton.newest = before.max(newest);
        baton.next = seq + 1;
        self.turn.notify_all();
        Some(before)
    }

    /// Releases every worker waiting for a turn that may never come: a worker ended, and
    /// chunks it held (after a failure) will not be passed on.
    pub(crate) fn close(&self) {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).closed = true;
        self.turn.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn chunks_pass_in_order_whatever_the_threads_do() {
        let order = Arc::new(DayOrder::default());
        let days = [Some(3), None, Some(1), Some(5), Some(4)];
        // Later chunks start first; each must still see exactly the chunks before it.
        let handles: Vec<_> = (0..days.len())
            .rev()
            .map(|seq| {
                let order = order.clone();
                std::thread::spawn(move || (seq, order.pass(seq as u64, days[seq])))
            })
            .collect();
        let mut seen: Vec<_> = handles
            .into_iter()
            .map(|h| h.join().expect("no panic"))
            .collect();
        seen.sort_unstable();
        let before: Vec<_> = seen.into_iter().map(|(_, b)| b).collect();
        assert_eq!(
            before,
            vec![
                Some(None),
                Some(Some(3)),
                Some(Some(3)),
                Some(Some(3)),
                Some(Some(5))
            ]
        );
    }

    /// Regression: a worker that ended after passing its last chunk closed the order, and
    /// the next chunk, whose turn had come, was dropped.
    #[test]
    fn a_turn_that_came_is_taken_after_closing() {
        let order = DayOrder::default();
        assert_eq!(order.pass(0, Some(2)), Some(None));
        order.close();
        assert_eq!(order.pass(1, Some(3)), Some(Some(2)));
    }

    #[test]
    fn closing_releases_waiters() {
        let order = Arc::new(DayOrder::default());
        let waiter = {
            let order = order.clone();
            std::thread::spawn(move || order.pass(7, Some(1)))
        };
        order.close();
        assert_eq!(waiter.join().expect("no panic"), None);
    }
}
