//! Controllers (Laravel: app/Http/Controllers): thin handlers that read like the API contract.

pub mod admin_users_controller;
pub mod auth_controller;
pub mod authorize_controller;
pub mod consents_controller;
pub mod email_change_controller;
pub mod email_verification_controller;
pub mod health_controller;
pub mod metrics_controller;
pub mod oauth_controller;
pub mod page;
pub mod pages_controller;
pub mod password_controller;
pub mod password_reset_controller;
pub mod sessions_controller;
pub mod spa_demo_controller;
pub mod token_response;
pub mod two_factor_controller;
pub mod user_controller;
pub mod userinfo_controller;
pub mod well_known_controller;
