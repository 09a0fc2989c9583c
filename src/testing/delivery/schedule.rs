//! The one schedule runner: it takes a delivery through its platform's attempts. What differs
//! between platforms is a [`Sender`]: the schedule (how many attempts, after which delays, how
//! long each waits for an answer), the answer rules (which answers end a delivery, which are
//! retried and not before when) and how an attempt is signed and recorded in the fake's store.
//!
//! The loop, for each scheduled attempt: wait the scheduled delay (or longer, when the previous
//! answer asked for it and the platform honours that) times the fake's time scale; ask the
//! sender for the signed request (the target may have been paused, held, or deleted); send it;
//! judge the answer; record the attempt, and the outcome once the delivery ends.
//!
//! Room for the platforms' full behaviour: jitter belongs to [`Schedule::delay_before`], status
//! rules (3xx, 408, 429 and `Retry-After`) to [`Sender::judge`], dead-lettering and
//! auto-disabling to [`Sender::record`] (it sees every outcome), and a fallback such as Kapso's
//! batch-to-single retry to the caller, which gets the final [`DeliveryOutcome`] back.

use std::time::Duration;

use super::attempt::{self, AttemptResult, Outgoing};
use super::{Attempt, DeliveryOutcome, DeliverySettings};

/// A platform's retry schedule.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Schedule {
    /// The delay before each attempt, in order (the first is zero): as many attempts as delays.
    pub(crate) delays: &'static [Duration],
    /// How long an attempt waits for the receiver's answer.
    pub(crate) answer_timeout: Duration,
}

impl Schedule {
    /// The documented delay before attempt `index` (0-based), as [`Attempt::scheduled_after`]
    /// records it.
    pub(crate) fn delay_before(&self, index: usize) -> Duration {
        self.delays.get(index).copied().unwrap_or_default()
    }

    /// How many attempts a delivery gets.
    pub(crate) fn attempts(&self) -> usize {
        self.delays.len()
    }
}

/// What an attempt's answer means for its delivery.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Delivered: the delivery ends.
    Delivered,
    /// Try again at the next scheduled time, and not before `not_before` (a `Retry-After` the
    /// platform honours). Out of attempts, the delivery fails.
    Retry {
        /// The earliest the next attempt may start, measured from this answer.
        not_before: Option<Duration>,
    },
    /// Failed for good: the delivery ends without using its remaining attempts.
    Failed,
}

/// What a fake's store says about the next attempt of a delivery.
#[derive(Debug)]
pub(crate) enum Next {
    /// Send this (signed) request.
    Send(Outgoing),
    /// The target is paused or inactive: the delivery stays pending, and the runner stops.
    Hold,
    /// The target (or the delivery) is gone: the delivery fails without an attempt.
    Gone,
}

/// One platform's way of delivering, implemented by its fake's shared state.
pub(crate) trait Sender: Sync {
    /// The platform's retry schedule.
    const SCHEDULE: Schedule;

    /// The platform's answer rules: what an attempt's result means.
    fn judge(result: &AttemptResult) -> Verdict;

    /// The fake's current delivery settings (time scale, remote delivery).
    fn settings(&self) -> DeliverySettings;

    /// The HTTP client deliveries go out with.
    fn http(&self) -> &reqwest::Client;

    /// Attempt `number` (1 for the first) of delivery `id`: the request, signed as the platform
    /// signs it for the target as it is now, or why none is sent.
    fn prepare(&self, id: &str, number: u32) -> Next;

    /// Records an attempt of delivery `id` with the URL it went to (`None`: the target was
    /// gone), and `ended`, the outcome, once the delivery ends.
    fn record(&self, id: &str, attempt: Option<(&str, Attempt)>, ended: Option<DeliveryOutcome>);
}

/// Takes delivery `id` through `sender`'s schedule until it is delivered, fails for good, runs
/// out of attempts or is held, and returns where it stands then.
pub(crate) async fn run<S: Sender>(sender: &S, id: &str) -> DeliveryOutcome {
    let schedule = S::SCHEDULE;
    let mut not_before: Option<Duration> = None;
    for index in 0..schedule.attempts() {
        let scheduled = schedule.delay_before(index);
        let settings = sender.settings();
        if index > 0 {
            let wait = settings.scaled(not_before.map_or(scheduled, |at| at.max(scheduled)));
            if !wait.is_zero() {
                tokio::time::sleep(wait).await;
            }
        }
        let number = u32::try_from(index + 1).unwrap_or(u32::MAX);
        let outgoing = match sender.prepare(id, number) {
            Next::Send(outgoing) => outgoing,
            Next::Hold => return DeliveryOutcome::Pending,
            Next::Gone => {
                sender.record(id, None, Some(DeliveryOutcome::Failed));
                return DeliveryOutcome::Failed;
            }
        };
        let result = attempt::send(
            sender.http(),
            &outgoing,
            schedule.answer_timeout,
            settings.allow_remote,
        )
        .await;
        let verdict = S::judge(&result);
        let ended = match verdict {
            Verdict::Delivered => Some(DeliveryOutcome::Delivered),
            Verdict::Failed => Some(DeliveryOutcome::Failed),
            Verdict::Retry { .. } if index + 1 == schedule.attempts() => {
                Some(DeliveryOutcome::Failed)
            }
            Verdict::Retry { not_before: next } => {
                not_before = next;
                None
            }
        };
        let attempt = Attempt {
            number,
            scheduled_after: scheduled,
            status: result.status,
            error: result.error,
        };
        sender.record(id, Some((&outgoing.url, attempt)), ended);
        if let Some(outcome) = ended {
            return outcome;
        }
    }
    // Only an empty schedule gets here: nothing was sent.
    DeliveryOutcome::Pending
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use axum::http::StatusCode;

    use super::*;
    use crate::testing::lock;
    use crate::testing::server::{self, ServerHandle};

    /// What `record` saw: (attempt number, status, scheduled delay in seconds), and the outcome.
    type Seen = (Option<(u32, Option<u16>, u64)>, Option<DeliveryOutcome>);

    /// A sender with 3 attempts: 400 fails for good, any other non-2xx is retried.
    struct Scripted {
        url: String,
        recorded: Mutex<Vec<Seen>>,
        /// The URL of each attempt recorded.
        urls: Mutex<Vec<String>>,
        /// `prepare` answers this for the attempt of this number instead of a request.
        instead: Option<(u32, fn() -> Next)>,
        http: reqwest::Client,
    }

    impl Sender for Scripted {
        const SCHEDULE: Schedule = Schedule {
            delays: &[
                Duration::ZERO,
                Duration::from_secs(10),
                Duration::from_secs(40),
            ],
            answer_timeout: attempt::ANSWER_TIMEOUT,
        };

        fn judge(result: &AttemptResult) -> Verdict {
            match result.status {
                _ if result.succeeded() => Verdict::Delivered,
                Some(400) => Verdict::Failed,
                _ => Verdict::Retry {
                    not_before: result.retry_after,
                },
            }
        }

        fn settings(&self) -> DeliverySettings {
            DeliverySettings::default()
        }

        fn http(&self) -> &reqwest::Client {
            &self.http
        }

        fn prepare(&self, _id: &str, number: u32) -> Next {
            match self.instead {
                Some((at, next)) if at == number => next(),
                _ => Next::Send(Outgoing {
                    url: self.url.clone(),
                    headers: vec![("X-Attempt".into(), number.to_string())],
                    body: b"{}".to_vec(),
                }),
            }
        }

        fn record(
            &self,
            _id: &str,
            attempt: Option<(&str, Attempt)>,
            ended: Option<DeliveryOutcome>,
        ) {
            if let Some((url, _)) = &attempt {
                lock(&self.urls).push((*url).to_owned());
            }
            let attempt = attempt.map(|(_, a)| (a.number, a.status, a.scheduled_after.as_secs()));
            lock(&self.recorded).push((attempt, ended));
        }
    }

    /// A receiver on 127.0.0.1 answering `statuses` in order (then 200), and a sender aimed at
    /// it.
    async fn scripted(
        statuses: &[u16],
        instead: Option<(u32, fn() -> Next)>,
    ) -> (Scripted, ServerHandle) {
        let statuses = Arc::new(Mutex::new(statuses.to_vec()));
        let router = axum::Router::new().fallback(move || {
            let statuses = statuses.clone();
            async move {
                let mut statuses = lock(&statuses);
                let status = if statuses.is_empty() {
                    200
                } else {
                    statuses.remove(0)
                };
                StatusCode::from_u16(status).unwrap_or(StatusCode::OK)
            }
        });
        let server = server::spawn(router, 0).await.unwrap();
        let sender = Scripted {
            url: format!("http://{}/hooks", server.addr()),
            recorded: Mutex::new(Vec::new()),
            urls: Mutex::new(Vec::new()),
            instead,
            http: attempt::http_client(),
        };
        (sender, server)
    }

    fn recorded(sender: &Scripted) -> Vec<Seen> {
        lock(&sender.recorded).clone()
    }

    #[tokio::test]
    async fn retries_on_schedule_until_delivered() {
        let (sender, _server) = scripted(&[503, 500], None).await;
        assert_eq!(run(&sender, "d").await, DeliveryOutcome::Delivered);
        assert_eq!(
            recorded(&sender),
            vec![
                (Some((1, Some(503), 0)), None),
                (Some((2, Some(500), 10)), None),
                (Some((3, Some(200), 40)), Some(DeliveryOutcome::Delivered)),
            ]
        );
        assert_eq!(lock(&sender.urls).clone(), vec![sender.url.clone(); 3]);
    }

    #[tokio::test]
    async fn a_permanent_failure_ends_early_and_running_out_fails() {
        let (sender, _server) = scripted(&[503, 400], None).await;
        assert_eq!(run(&sender, "d").await, DeliveryOutcome::Failed);
        assert_eq!(
            recorded(&sender),
            vec![
                (Some((1, Some(503), 0)), None),
                (Some((2, Some(400), 10)), Some(DeliveryOutcome::Failed)),
            ]
        );
        let (sender, _server) = scripted(&[503, 503, 503], None).await;
        assert_eq!(run(&sender, "d").await, DeliveryOutcome::Failed);
        assert_eq!(
            recorded(&sender).last(),
            Some(&(Some((3, Some(503), 40)), Some(DeliveryOutcome::Failed)))
        );
    }

    #[tokio::test]
    async fn a_held_target_stays_pending_and_a_gone_one_fails_without_an_attempt() {
        let (sender, _server) = scripted(&[503], Some((2, || Next::Hold))).await;
        assert_eq!(run(&sender, "d").await, DeliveryOutcome::Pending);
        assert_eq!(recorded(&sender), vec![(Some((1, Some(503), 0)), None)]);
        let (sender, _server) = scripted(&[], Some((1, || Next::Gone))).await;
        assert_eq!(run(&sender, "d").await, DeliveryOutcome::Failed);
        assert_eq!(
            recorded(&sender),
            vec![(None, Some(DeliveryOutcome::Failed))]
        );
    }
}
