//! HTTP tests of the real App (the same `startup::run` main uses), each on its own fresh database:
//! every test runs on SQLite, and on PostgreSQL too when TEST_DATABASE_URL is set.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests say "this must hold" with unwrap

mod helpers;

/// Writes each test twice, as `sqlite::name` and `postgres::name`; the Postgres copy returns at
/// once (and says so) when TEST_DATABASE_URL is unset. `backend` is the name the body uses.
macro_rules! api_tests {
    ($( $(#[$meta:meta])* fn $name:ident($backend:ident) $body:block )*) => {
        mod sqlite {
            #[allow(unused_imports)]
            use super::*;
            $( $(#[$meta])* #[test] fn $name() {
                let $backend = crate::helpers::Backend::Sqlite;
                $body
            } )*
        }
        mod postgres {
            #[allow(unused_imports)]
            use super::*;
            $( $(#[$meta])* #[test] fn $name() {
                let Some($backend) = crate::helpers::Backend::postgres() else { return };
                $body
            } )*
        }
    };
}

mod account_lifecycle;
mod account_rules;
mod accounts;
mod admin;
mod browser;
mod cli;
mod cookie_mode;
mod email_change;
mod email_verification;
mod health;
mod http;
mod instances;
mod keys;
mod laravel_switch;
mod login;
mod logout;
mod me;
mod metrics;
mod migrations;
mod oauth;
mod oauth_authorize;
mod oauth_resources;
mod openid;
mod outage;
mod pages;
mod password_reset;
mod rate_limits;
mod refresh;
mod register;
mod security;
mod sessions;
mod smtp;
mod spa_demo;
mod spa_integration;
mod start_up;
mod statements;
mod theft;
mod two_factor;
