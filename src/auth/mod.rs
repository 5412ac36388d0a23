//! Authentication: tokens (jwt.rs), the guards that check them (guard.rs) and passwords (password.rs).
//! Laravel: config/auth.php's `api` guard with tymon/jwt-auth's driver.

pub mod guard;
pub mod jwt;
pub mod login;
pub mod password;

pub use guard::{AuthUser, RefreshableToken};
pub use jwt::{Claims, JwtService};
pub use password::PasswordHasher;
