//! Request rates: `server.requests_per_second` (with bursts of
//! `server.burst`) per API key, and the same per client address for
//! requests that carry no valid key — which is what makes guessing keys
//! slow. A request over its rate is answered 429 with `Retry-After`.
//! Without keys configured (a local operator on loopback) nothing is
//! limited.

use super::Problem;
use crate::config::ServerConfig;
use axum::http::StatusCode;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};

pub struct Rates {
    /// None: no limit.
    limiters: Option<Limiters>,
    /// Usage events per person; None: no limit.
    usage: Option<DefaultKeyedRateLimiter<String>>,
}

struct Limiters {
    keys: DefaultKeyedRateLimiter<String>,
    clients: DefaultKeyedRateLimiter<IpAddr>,
    clock: DefaultClock,
    checks: AtomicU64,
}

/// How often the per-client table forgets clients that are back to a full
/// burst, so that many addresses cannot grow it for ever.
const FORGET_EVERY: u64 = 4096;

impl Rates {
    pub fn new(config: &ServerConfig) -> Self {
        // A minute's events may come in one batch, then they trickle back.
        let usage = NonZeroU32::new(config.usage_events_per_minute)
            .map(|per_minute| RateLimiter::keyed(Quota::per_minute(per_minute)));
        let Some(rate) = NonZeroU32::new(config.requests_per_second) else {
            return Rates { limiters: None, usage };
        };
        let burst = NonZeroU32::new(config.burst).unwrap_or(rate);
        let quota = Quota::per_second(rate).allow_burst(burst);
        Rates {
            limiters: Some(Limiters {
                keys: RateLimiter::keyed(quota),
                clients: RateLimiter::keyed(quota),
                clock: DefaultClock::default(),
                checks: AtomicU64::new(0),
            }),
            usage,
        }
    }

    /// Counts `events` usage events recorded for `subject`, all or none.
    pub(crate) fn check_usage(&self, subject: &str, events: usize) -> Result<(), Problem> {
        let Some(usage) = &self.usage else {
            return Ok(());
        };
        let n = NonZeroU32::new(u32::try_from(events).unwrap_or(u32::MAX)).unwrap_or(NonZeroU32::MIN);
        let whose = format!("'{subject}' recorded more usage events than server.usage_events_per_minute allows");
        match usage.check_key_n(&subject.to_owned(), n) {
            Ok(Ok(())) => Ok(()),
            Ok(Err(not_until)) => Err(too_many(
                not_until.wait_time_from(DefaultClock::default().now()),
                &whose,
            )),
            Err(_) => Err(Problem::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too-many-events",
                "Too many events in one batch",
                format!("{whose} in a whole minute; send at most that many events a batch"),
            )),
        }
    }

    /// Counts a request of the key named `name`.
    pub(crate) fn check_key(&self, name: &str) -> Result<(), Problem> {
        let Some(limiters) = &self.limiters else {
            return Ok(());
        };
        match limiters.keys.check_key(&name.to_owned()) {
            Ok(()) => Ok(()),
            Err(not_until) => Err(too_many(
                not_until.wait_time_from(limiters.clock.now()),
                "this API key sent more requests than server.requests_per_second allows",
            )),
        }
    }

    /// Counts a request without a valid key from `client`.
    pub(crate) fn check_client(&self, client: Option<IpAddr>) -> Result<(), Problem> {
        let (Some(limiters), Some(client)) = (&self.limiters, client) else {
            return Ok(());
        };
        if limiters.checks.fetch_add(1, Ordering::Relaxed) % FORGET_EVERY == FORGET_EVERY - 1 {
            limiters.clients.retain_recent();
        }
        match limiters.clients.check_key(&client) {
            Ok(()) => Ok(()),
            Err(not_until) => Err(too_many(
                not_until.wait_time_from(limiters.clock.now()),
                "requests without a valid key from this address came faster than server.requests_per_second allows",
            )),
        }
    }
}

fn too_many(wait: std::time::Duration, what: &str) -> Problem {
    let seconds = u16::try_from(wait.as_secs() + 1).unwrap_or(u16::MAX);
    let mut problem = Problem::new(
        StatusCode::TOO_MANY_REQUESTS,
        "too-many-requests",
        "Too many requests",
        format!("{what}; retry in {seconds} s"),
    );
    problem.retry_after = Some(seconds);
    problem
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(rate: u32, burst: u32) -> ServerConfig {
        ServerConfig {
            requests_per_second: rate,
            burst,
            ..ServerConfig::default()
        }
    }

    #[test]
    fn a_key_past_its_burst_waits_and_others_do_not() {
        let rates = Rates::new(&config(1, 3));
        for _ in 0..3 {
            rates.check_key("a").unwrap();
        }
        let refused = rates.check_key("a").unwrap_err();
        assert_eq!(refused.status, 429);
        assert!(refused.retry_after.is_some_and(|s| s >= 1));
        rates.check_key("b").unwrap();
    }

    #[test]
    fn zero_means_no_limit() {
        let rates = Rates::new(&config(0, 0));
        for _ in 0..1000 {
            rates.check_key("a").unwrap();
            rates.check_client(Some(IpAddr::from([127, 0, 0, 1]))).unwrap();
        }
    }
}
