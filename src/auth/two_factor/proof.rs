//! Proving the second factor (Fortify's `TwoFactorLoginRequest::hasValidCode`, made single-use and
//! race-free): a code is checked, used up and what it unlocks done in one write transaction, and
//! a wrong one counts against the user's budget.

use std::net::IpAddr;
use std::time::Instant;

use chrono::NaiveDateTime;
use diesel::QueryResult;

use super::{SecondFactor, matching_recovery_code, matching_step, open, unix_now};
use crate::audit::{self, AuthEvent, Via};
use crate::db::{self, DbConnection};
use crate::error::{AppError, AppResult};
use crate::jwt::Proof;
use crate::models::{RecoveryCode, User};
use crate::state::AppState;

/// What a right factor was: a code of this time step of that (sealed) secret, or one of the
/// recovery codes.
#[derive(Debug, Clone)]
enum Accepted {
    Step(i64, String),
    RecoveryCode(String),
}

/// Why the transaction of [`prove`] rolled back.
enum Refusal {
    Wrong,
    Refused(AppError),
}

/// Checks `factor` for `user` (whose two-factor is on) and, when it is right, uses it up and runs
/// `then` with the login's [`Proof`] in the same write transaction: of two requests with one code
/// exactly one gets through, and nothing `then` refuses (an `Err`) uses the code up. A wrong,
/// reused or expired factor is a 422 on its field; a user who sent [`TWO_FACTOR_FAILURES`]
/// wrong ones in the window gets 429 before the check.
///
/// [`TWO_FACTOR_FAILURES`]: crate::rate_limit::TWO_FACTOR_FAILURES
pub async fn prove<T, F>(
    state: &AppState,
    user: &User,
    factor: SecondFactor,
    ip: Option<IpAddr>,
    via: Via,
    then: F,
) -> AppResult<T>
where
    T: Send + 'static,
    F: FnOnce(&mut DbConnection, Proof, NaiveDateTime) -> QueryResult<Result<T, AppError>>
        + Send
        + 'static,
{
    let reservation = match state
        .limits
        .two_factor_attempt(&user.id.to_string(), Instant::now())
        .await
    {
        Ok(reservation) => reservation,
        Err(error) => {
            if matches!(error, AppError::TooManyRequests(_)) {
                audit::record(&state.metrics, &AuthEvent::Throttled { ip, via });
            }
            return Err(error);
        }
    };
    let accepted = match (&factor, user.two_factor_secret.as_deref()) {
        (_, None) => None,
        (SecondFactor::Code(code), Some(sealed)) => {
            let secret = open(&state.two_factor_cipher, sealed)?;
            matching_step(&secret, code, unix_now())
                .map(|step| Accepted::Step(step, sealed.to_owned()))
        }
        (SecondFactor::RecoveryCode(code), Some(_)) => Some(Accepted::RecoveryCode(code.clone())),
    };
    let outcome = match accepted {
        None => Err(Refusal::Wrong),
        Some(accepted) => {
            let (user_id, key) = (user.id, state.recovery_code_key.clone());
            state
                .db
                .run(move |conn| {
                    let mut refusal = None;
                    let done = conn.write_transaction(|conn| {
                        let now = db::now();
                        let proof = match accepted {
                            Accepted::Step(step, sealed) => {
                                User::use_code_step(conn, user_id, &sealed, step)?
                                    .then_some(Proof::PasswordAndCode)
                            }
                            Accepted::RecoveryCode(code) => {
                                let codes = RecoveryCode::unused_of_user(conn, user_id)?;
                                match matching_recovery_code(&key, &codes, &code) {
                                    Some(id) => RecoveryCode::use_up(conn, id, now)?
                                        .then_some(Proof::PasswordAndRecoveryCode),
                                    None => None,
                                }
                            }
                        };
                        let outcome = match proof {
                            None => Err(Refusal::Wrong),
                            Some(proof) => then(conn, proof, now)?.map_err(Refusal::Refused),
                        };
                        outcome.map_err(|why| {
                            refusal = Some(why);
                            diesel::result::Error::RollbackTransaction
                        })
                    });
                    Ok(match (done, refusal) {
                        (_, Some(why)) => Err(why),
                        (Ok(value), None) => Ok(value),
                        (Err(error), None) => return Err(error),
                    })
                })
                .await?
        }
    };
    match outcome {
        Ok(value) => {
            reservation.succeeded().await;
            if matches!(factor, SecondFactor::RecoveryCode(_)) {
                let used = AuthEvent::RecoveryCodeUsed {
                    user_id: user.id,
                    via,
                };
                audit::record(&state.metrics, &used);
            }
            Ok(value)
        }
        Err(Refusal::Wrong) => {
            reservation.failed();
            let failed = AuthEvent::TwoFactorFailed {
                user_id: user.id,
                ip,
                via,
            };
            audit::record(&state.metrics, &failed);
            Err(factor.refusal())
        }
        Err(Refusal::Refused(error)) => Err(error),
    }
}
