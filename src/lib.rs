//! jwt-auth-server: tymon/jwt-auth's register / login / me / refresh / logout API with a
//! database-backed token blacklist, on SQLite or PostgreSQL. `main.rs` is the binary; tests use this.

pub mod audit;
pub mod auth;
pub mod config;
pub mod console;
pub mod controllers;
pub mod cors;
pub mod crypto;
pub mod db;
pub mod error;
pub mod hashing;
pub mod jwt;
pub mod mail;
pub mod maintenance;
pub mod metrics;
pub mod models;
pub mod oauth;
pub mod openapi;
pub mod rate_limit;
pub mod requests;
pub mod resources;
pub mod routes;
pub mod schema;
pub mod startup;
pub mod state;
pub mod storage;
pub mod telemetry;
