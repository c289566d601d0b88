//! The combiner: how the point operations that run inline on the async workers share the
//! store's one writer connection (issue 19).
//!
//! A request hands its work to `Combiner::run`. If no one is leading, it leads: it runs its own
//! work and whatever other requests queued meanwhile, as one batch in one write transaction
//! (`Store::group`), then hands each queued request its answer. If someone leads, it queues its
//! work and awaits the answer without blocking its worker, which serves its other connections
//! meanwhile. A leader runs a few batches at most, then passes the lead to the oldest queued
//! request, so no one connection waits long behind the others' work.
//!
//! Answers are handed out only after their batch commits: an acknowledged write is a
//! committed one. A batch that could not commit (a member failed after changing something,
//! or the commit itself failed) is rolled back whole and each member runs again on its own,
//! in its own transaction, as if there had been no batch.
//!
//! Why not a lock: a lock handed from one request to the next leaves the store idle until the
//! next holder's worker gets to it (a wake-up, often a context switch), once per write; and
//! every write paid its own BEGIN, COMMIT and journal copies. A leader hands over once per
//! batch, and a batch pays those once.
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::oneshot;

/// The work of one request: run by whoever leads, perhaps twice (a batch rolled back is run
/// again member by member), so it must give the same answer for the same store state.
pub type Work<T> = Box<dyn FnMut() -> T + Send>;

/// Runs a batch in one transaction: `Some` with the members' answers when it committed.
pub type Group<'a, T> = dyn Fn(&mut dyn FnMut() -> Vec<T>) -> Option<Vec<T>> + Sync + 'a;

/// Most members in one batch.
const MAX_BATCH: usize = 64;
/// Most batches one leader runs before passing the lead on.
const MAX_ROUNDS: usize = 4;

pub struct Combiner<T: Send + 'static> {
    state: Shared<T>,
}

type Shared<T> = Arc<Mutex<State<T>>>;

struct State<T: Send + 'static> {
    leading: bool,
    queue: VecDeque<Queued<T>>,
}

struct Queued<T: Send + 'static> {
    work: Work<T>,
    answer: oneshot::Sender<Answer<T>>,
}

/// What a queued request is handed: its answer, or the lead (with its work back).
enum Answer<T: Send + 'static> {
    Done(T),
    Lead(Work<T>, Baton<T>),
}

impl<T: Send + 'static> Default for Combiner<T> {
    fn default() -> Self {
        Combiner {
            state: Arc::new(Mutex::new(State {
                leading: false,
                queue: VecDeque::new(),
            })),
        }
    }
}

fn lock<T: Send + 'static>(state: &Shared<T>) -> MutexGuard<'_, State<T>> {
    state.lock().unwrap_or_else(|p| p.into_inner())
}

impl<T: Send + 'static> Combiner<T> {
    /// Runs `work`, alone or in a batch with other requests' (module docs). `group` runs a
    /// batch in one transaction. `gone` answers a request whose leader disappeared without
    /// answering it (a panic outside any work, which inline work never lets out).
    pub async fn run(&self, work: Work<T>, group: &Group<'_, T>, gone: impl FnOnce() -> T) -> T {
        let receiver = match self.join(work) {
            Ok(receiver) => receiver,
            Err((work, baton)) => return self.lead(baton, work, group),
        };
        match receiver.await {
            Ok(Answer::Done(out)) => out,
            Ok(Answer::Lead(work, baton)) => self.lead(baton, work, group),
            Err(_) => gone(),
        }
    }

    /// Queues `work` behind the leader, or takes the lead (and `work` back) if there is none.
    #[allow(clippy::type_complexity)]
    fn join(&self, work: Work<T>) -> Result<oneshot::Receiver<Answer<T>>, (Work<T>, Baton<T>)> {
        let mut state = lock(&self.state);
        if !state.leading {
            state.leading = true;
            return Err((work, Baton::new(&self.state)));
        }
        let (answer, receiver) = oneshot::channel();
        state.queue.push_back(Queued { work, answer });
        Ok(receiver)
    }

    /// Runs batches as the leader: first `own` with what is queued, then what queued meanwhile,
    /// until the queue is empty or the rounds are spent; then passes the lead on.
    fn lead(&self, mut baton: Baton<T>, own: Work<T>, group: &Group<'_, T>) -> T {
        let mut own = Some(own);
        let mut own_answer = None;
        for _ in 0..MAX_ROUNDS {
            let mut members: Vec<Work<T>> = own.take().into_iter().collect();
            let mut answers: Vec<oneshot::Sender<Answer<T>>> = Vec::new();
            {
                let mut state = lock(&self.state);
                while members.len() < MAX_BATCH {
                    let Some(queued) = state.queue.pop_front() else {
                        break;
                    };
                    members.push(queued.work);
                    answers.push(queued.answer);
                }
                if members.is_empty() {
                    state.leading = false;
                    baton.held = false;
                    break;
                }
            }
            let mut outs = run_batch(&mut members, group).into_iter();
            if own_answer.is_none() {
                own_answer = outs.next();
            }
            for (answer, out) in answers.into_iter().zip(outs) {
                // A request given up meanwhile (its client gone) just misses its answer.
                let _ = answer.send(Answer::Done(out));
            }
        }
        drop(baton);
        own_answer.expect("the first batch has the leader's own work")
    }
}

/// Runs one batch's members: alone without a group (nothing to share), else in one group, or
/// each on its own when the group did not commit.
fn run_batch<T: Send + 'static>(members: &mut [Work<T>], group: &Group<'_, T>) -> Vec<T> {
    if let [only] = members {
        return vec![only()];
    }
    let grouped = group(&mut || members.iter_mut().map(|work| work()).collect());
    grouped.unwrap_or_else(|| members.iter_mut().map(|work| work()).collect())
}

/// The lead. Dropped while held (its leader done, or panicking, or a request handed the lead
/// but given up before it took it), it passes to the oldest queued request that still waits,
/// or is left free: no one waits forever.
struct Baton<T: Send + 'static> {
    state: Shared<T>,
    held: bool,
}

impl<T: Send + 'static> Baton<T> {
    fn new(state: &Shared<T>) -> Baton<T> {
        Baton {
            state: state.clone(),
            held: true,
        }
    }
}

impl<T: Send + 'static> Drop for Baton<T> {
    fn drop(&mut self) {
        if !self.held {
            return;
        }
        loop {
            let queued = {
                let mut state = lock(&self.state);
                match state.queue.pop_front() {
                    Some(queued) => queued,
                    None => {
                        state.leading = false;
                        return;
                    }
                }
            };
            // Sent with the state unlocked: a baton the channel drops (its receiver gone
            // meanwhile) passes itself on from there.
            match queued
                .answer
                .send(Answer::Lead(queued.work, Baton::new(&self.state)))
            {
                Ok(()) => return,
                // Given up while it waited: its work is dropped unrun, the next one leads.
                Err(Answer::Lead(_, mut unsent)) => unsent.held = false,
                Err(Answer::Done(_)) => unreachable!("a lead was sent"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    fn no_group(batch: &mut dyn FnMut() -> Vec<u32>) -> Option<Vec<u32>> {
        Some(batch())
    }

    #[tokio::test]
    async fn alone_it_runs_its_own_work() {
        let c = Combiner::<u32>::default();
        assert_eq!(c.run(Box::new(|| 7), &no_group, || 0).await, 7);
        assert!(!lock(&c.state).leading);
    }

    /// Requests queued while one leads are answered by its batch, each with its own answer,
    /// and the leader takes them in arrival order.
    #[tokio::test]
    async fn queued_requests_are_answered_by_the_leaders_batch() {
        let c = Arc::new(Combiner::<u32>::default());
        lock(&c.state).leading = true; // someone leads
        let order = Arc::new(Mutex::new(Vec::new()));
        let mut waiting = Vec::new();
        for i in 1..=3u32 {
            let (c, order) = (c.clone(), order.clone());
            waiting.push(tokio::spawn(async move {
                let work = move || {
                    order.lock().unwrap().push(i);
                    i * 10
                };
                c.run(Box::new(work), &no_group, || 0).await
            }));
        }
        while lock(&c.state).queue.len() < 3 {
            tokio::task::yield_now().await;
        }
        lock(&c.state).leading = false;
        let batches = AtomicUsize::new(0);
        let group = |batch: &mut dyn FnMut() -> Vec<u32>| {
            batches.fetch_add(1, Ordering::Relaxed);
            Some(batch())
        };
        assert_eq!(c.run(Box::new(|| 4), &group, || 0).await, 4);
        for (i, w) in waiting.into_iter().enumerate() {
            assert_eq!(w.await.unwrap(), (i as u32 + 1) * 10);
        }
        assert_eq!(batches.load(Ordering::Relaxed), 1);
        assert_eq!(*order.lock().unwrap(), vec![1, 2, 3]);
        assert!(!lock(&c.state).leading);
    }

    /// A batch whose group did not commit is run again, member by member, and those answers
    /// are the ones handed out.
    #[tokio::test]
    async fn a_batch_not_committed_runs_again_member_by_member() {
        let c = Arc::new(Combiner::<u32>::default());
        lock(&c.state).leading = true;
        let runs = Arc::new(AtomicUsize::new(0));
        let follower = {
            let (c, runs) = (c.clone(), runs.clone());
            tokio::spawn(async move {
                let work = move || runs.fetch_add(1, Ordering::Relaxed) as u32;
                c.run(Box::new(work), &no_group, || 99).await
            })
        };
        while lock(&c.state).queue.is_empty() {
            tokio::task::yield_now().await;
        }
        lock(&c.state).leading = false;
        let spoiled = |batch: &mut dyn FnMut() -> Vec<u32>| {
            batch();
            None
        };
        assert_eq!(c.run(Box::new(|| 5), &spoiled, || 0).await, 5);
        // Its first run (0) was discarded with the group; the answer is its second run's.
        assert_eq!(follower.await.unwrap(), 1);
    }

    /// After its rounds a leader passes the lead to the oldest waiting request, which then
    /// leads the rest; a request given up while queued is skipped.
    #[tokio::test]
    async fn the_lead_passes_on_after_the_rounds() {
        let c = Arc::new(Combiner::<u32>::default());
        lock(&c.state).leading = true;
        let given_up = {
            let c = c.clone();
            tokio::spawn(async move { c.run(Box::new(|| 1), &no_group, || 0).await })
        };
        while lock(&c.state).queue.is_empty() {
            tokio::task::yield_now().await;
        }
        given_up.abort();
        let _ = given_up.await;
        let next = {
            let c = c.clone();
            tokio::spawn(async move { c.run(Box::new(|| 2), &no_group, || 0).await })
        };
        while lock(&c.state).queue.len() < 2 {
            tokio::task::yield_now().await;
        }
        // The current leader finishes without ever seeing the queue: it passes the lead on.
        drop(Baton::new(&c.state));
        assert_eq!(next.await.unwrap(), 2);
        let state = lock(&c.state);
        assert!(!state.leading && state.queue.is_empty());
    }

    /// A request handed the lead but given up before it took it passes the lead on.
    #[tokio::test]
    async fn a_lead_handed_to_a_request_given_up_passes_on() {
        let c = Arc::new(Combiner::<u32>::default());
        lock(&c.state).leading = true;
        let spawn = |n: u32| {
            let c = c.clone();
            tokio::spawn(async move { c.run(Box::new(move || n), &no_group, || 0).await })
        };
        let (first, second) = (spawn(1), spawn(2));
        while lock(&c.state).queue.len() < 2 {
            tokio::task::yield_now().await;
        }
        // The lead goes to the first, which is given up before it runs again.
        drop(Baton::new(&c.state));
        first.abort();
        assert!(first.await.is_err());
        // Bounded: a lead lost with the given-up request would leave the second waiting forever.
        let second = tokio::time::timeout(std::time::Duration::from_secs(10), second).await;
        assert_eq!(second.expect("the lead was passed on").unwrap(), 2);
        assert!(!lock(&c.state).leading);
    }
}
