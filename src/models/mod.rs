//! Eloquent's place: rows as structs, queries as associated functions taking `conn` first.

pub mod blacklisted_token;
pub mod user;

pub use blacklisted_token::{Added, BlacklistedToken, NewBlacklistedToken};
pub use user::{NewUser, User};
