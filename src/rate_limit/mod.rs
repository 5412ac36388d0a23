//! Brute-force limits (Laravel: RateLimiter / ThrottleRequests): counted in the database when it is
//! shared by several instances (RATE_LIMIT_STORE=database, the default on PostgreSQL), else in
//! this process.
//! Every key is a 16-byte HMAC under APP_KEY of what is counted, so memory per key is fixed; each
//! window keeps at most [`MAX_KEYS`] keys and is swept by a timer ([`RateLimits::sweep`]).

mod reservation;
mod store;
mod window;

use std::net::IpAddr;
use std::time::{Duration, Instant};

use diesel::QueryResult;

pub use reservation::{CodeReservation, LoginReservation};
use store::db_hit;
pub use window::{Key, Limit, MAX_KEYS, SlidingWindow};

use crate::config::RateLimitConfig;
use crate::crypto::{AppKey, Hmac};
use crate::db::{DbConnection, DbPool};
use crate::error::{AppError, AppResult};
use crate::models::Hit;
use crate::models::rate_limit_counter as counter;

/// Every limit of the API, counted in this process or, with a shared store, in the database.
pub struct RateLimits {
    enabled: bool,
    keys: Hmac,
    /// RATE_LIMIT_STORE=database: the counters live in the database, shared by every instance.
    shared: Option<DbPool>,
    login_ip: SlidingWindow,
    /// Failures per (email, client network): what locks a guesser out without locking the owner out.
    login_failures_minute: SlidingWindow,
    /// Failures per email from anywhere: the account's ceiling (NIST SP 800-63B).
    login_failures_hour: SlidingWindow,
    register_ip: SlidingWindow,
    refresh_ip: SlidingWindow,
    /// Account e-mails (reset links, verification links) per address: no one is mail-bombed.
    mail_per_address: SlidingWindow,
    /// Wrong two-factor codes per user, across challenge tokens and routes.
    two_factor_failures: SlidingWindow,
}

/// Wrong two-factor codes a user may send per [`TWO_FACTOR_WINDOW`]: with three codes accepted
/// at any time (one step of skew either way), a six-digit code is guessed about once in 33,000
/// windows.
pub const TWO_FACTOR_FAILURES: u32 = 10;
/// The window of [`TWO_FACTOR_FAILURES`].
pub const TWO_FACTOR_WINDOW: Duration = Duration::from_secs(15 * 60);

/// Where a hit was counted, to give it back: in memory, or in a database window.
#[derive(Debug, Clone, Copy)]
enum Slot {
    Memory,
    Window(i64),
}

/// A hit still to be counted in the database, or none (counted in memory already, or limits
/// off). A refresh counts it inside its own statement ([`crate::models::record_refresh`]): one
/// trip to the database for both.
#[must_use = "a deferred hit counts nothing until it is counted"]
pub struct DeferredHit(Option<Hit>);

impl DeferredHit {
    /// The hit the database must count, if any.
    pub fn pending(&self) -> Option<&Hit> {
        self.0.as_ref()
    }

    /// Counts the hit on its own, outside a transaction: `Err(retry_after)` when refused.
    pub fn count_on(self, conn: &mut DbConnection) -> QueryResult<Result<(), Duration>> {
        match self.0 {
            None => Ok(Ok(())),
            Some(hit) => Ok(counter::attempt(conn, &hit)?.map(drop)),
        }
    }
}

const MINUTE: Duration = Duration::from_secs(60);
const HOUR: Duration = Duration::from_secs(3600);

impl RateLimits {
    /// The limits RATE_LIMIT_* asks for, keyed under `app_key`, counted in this process.
    pub fn new(config: &RateLimitConfig, app_key: &AppKey, origin: Instant) -> Self {
        let window = |max, window| SlidingWindow::new(Limit { max, window }, origin);
        Self {
            enabled: config.enabled,
            keys: app_key.subkey("rate limit keys"),
            shared: None,
            login_ip: window(config.login_ip_per_minute, MINUTE),
            login_failures_minute: window(config.login_per_minute, MINUTE),
            login_failures_hour: window(config.login_per_hour, HOUR),
            register_ip: window(config.register_ip_per_hour, HOUR),
            refresh_ip: window(config.refresh_ip_per_5_minutes, 5 * MINUTE),
            mail_per_address: window(config.mail_per_hour, HOUR),
            two_factor_failures: window(TWO_FACTOR_FAILURES, TWO_FACTOR_WINDOW),
        }
    }

    /// The same limits counted in `db`'s `rate_limit_counters`, shared by every instance.
    pub fn shared(mut self, db: DbPool) -> Self {
        self.shared = Some(db);
        self
    }

    /// Before a password check: charges the client's network, then reserves one failure for the
    /// (email, network) pair and one for the account, so concurrent guesses cannot overshoot a
    /// limit by the depth of the bcrypt queue. The email counts whether or not it is an account,
    /// so a locked account answers exactly like an unknown one.
    pub async fn login_attempt(
        &self,
        ip: Option<IpAddr>,
        email: &str,
        now: Instant,
    ) -> AppResult<LoginReservation<'_>> {
        let mut reservation = LoginReservation {
            limits: self,
            pair: None,
            account: None,
        };
        if !self.enabled {
            return Ok(reservation);
        }
        let network = network_text(ip);
        let ip_key = self.key("ip", &[&network]);
        self.attempt(&self.login_ip, ip_key, now).await?;
        let pair = self.key("email+ip", &[email, &network]);
        let slot = self.attempt(&self.login_failures_minute, pair, now).await?;
        reservation.pair = Some((pair, slot));
        let account = self.key("email", &[email]);
        let slot = self
            .attempt(&self.login_failures_hour, account, now)
            .await?;
        reservation.account = Some((account, slot));
        Ok(reservation)
    }

    /// Before a two-factor code of `user` is checked: reserves one wrong code in the user's
    /// budget (429 when it is spent), kept only if the code is wrong. Counted even with
    /// RATE_LIMIT_ENABLED=false: without it a six-digit code falls to anyone with the password.
    pub async fn two_factor_attempt(
        &self,
        user: &str,
        now: Instant,
    ) -> AppResult<CodeReservation<'_>> {
        let key = self.key("two-factor", &[user]);
        let slot = self.attempt(&self.two_factor_failures, key, now).await?;
        Ok(CodeReservation::held(self, key, slot))
    }

    /// A sign-up from `ip`.
    pub async fn register_attempt(&self, ip: Option<IpAddr>, now: Instant) -> AppResult<()> {
        self.per_network(&self.register_ip, "register", ip, now)
            .await
    }

    /// A reset or verification link asked for `email` from `ip`: the client's network is charged
    /// as for a login attempt (one budget for both), and the address its own hourly budget of
    /// mails. Counted whether or not the address is an account, so a 429 tells nothing.
    pub async fn mail_request(
        &self,
        ip: Option<IpAddr>,
        email: &str,
        now: Instant,
    ) -> AppResult<()> {
        if !self.enabled {
            return Ok(());
        }
        let ip_key = self.key("ip", &[&network_text(ip)]);
        self.attempt(&self.login_ip, ip_key, now).await?;
        let address = self.key("mail", &[email]);
        self.attempt(&self.mail_per_address, address, now).await?;
        Ok(())
    }

    /// An attempt of the client's network that is not a login but guesses like one (a reset
    /// token): the login budget of the network.
    pub async fn network_attempt(&self, ip: Option<IpAddr>, now: Instant) -> AppResult<()> {
        if !self.enabled {
            return Ok(());
        }
        let ip_key = self.key("ip", &[&network_text(ip)]);
        self.attempt(&self.login_ip, ip_key, now).await.map(drop)
    }

    /// A refresh from `ip` (`/api/refresh` and the OAuth refresh-token grant), counted at once in
    /// memory (429 here), or left for the refresh's own trip to the database (see [`DeferredHit`]).
    pub fn refresh_hit(&self, ip: Option<IpAddr>, now: Instant) -> AppResult<DeferredHit> {
        self.network_hit(&self.refresh_ip, "refresh", ip, now)
    }

    /// Counts `hit` on its own trip to the database, when it is still to be counted.
    pub async fn count(&self, hit: DeferredHit) -> AppResult<()> {
        match (&self.shared, hit.0.is_some()) {
            (Some(db), true) => db
                .run(move |conn| hit.count_on(conn))
                .await?
                .map_err(AppError::TooManyRequests),
            _ => Ok(()),
        }
    }

    /// Drops expired keys from every window in memory (the maintenance timer calls it).
    pub fn sweep(&self, now: Instant) {
        for window in self.windows() {
            window.sweep(now);
        }
    }

    /// How many keys all windows in memory hold together.
    pub fn keys_held(&self) -> usize {
        self.windows().iter().map(|w| w.len()).sum()
    }

    fn windows(&self) -> [&SlidingWindow; 7] {
        [
            &self.two_factor_failures,
            &self.login_ip,
            &self.login_failures_minute,
            &self.login_failures_hour,
            &self.register_ip,
            &self.refresh_ip,
            &self.mail_per_address,
        ]
    }

    async fn per_network(
        &self,
        window: &SlidingWindow,
        label: &str,
        ip: Option<IpAddr>,
        now: Instant,
    ) -> AppResult<()> {
        let hit = self.network_hit(window, label, ip, now)?;
        self.count(hit).await
    }

    /// One hit of the client's network in `window`: counted now in memory, deferred in the database.
    fn network_hit(
        &self,
        window: &SlidingWindow,
        label: &str,
        ip: Option<IpAddr>,
        now: Instant,
    ) -> AppResult<DeferredHit> {
        if !self.enabled {
            return Ok(DeferredHit(None));
        }
        let key = self.key(label, &[&network_text(ip)]);
        if self.shared.is_some() {
            return Ok(DeferredHit(Some(db_hit(window, &key))));
        }
        window
            .attempt(&key, now)
            .map(|()| DeferredHit(None))
            .map_err(AppError::TooManyRequests)
    }
}

/// What a rate limit counts a client as: an IPv4 address as itself (also written as an IPv4-mapped
/// IPv6 address), an IPv6 address as its /64, the smallest network a single subscriber gets.
pub fn limited_network(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => IpAddr::V6((u128::from(v6) & !u128::from(u64::MAX)).into()),
        v4 => v4,
    }
}

/// The client network a limit counts, as text ("unknown" without a peer address).
pub fn network_text(ip: Option<IpAddr>) -> String {
    ip.map_or_else(
        || "unknown".to_owned(),
        |ip| limited_network(ip).to_string(),
    )
}

#[cfg(test)]
mod tests;
