//! The CLI commands (Laravel: artisan): serve, migrate, jwt:secret, blacklist:prune.

use std::net::TcpListener;
use std::path::Path;

use chrono::Utc;

use crate::config::{Config, generate_secret};
use crate::db::{DatabaseUrl, DbPool};
use crate::models::BlacklistedToken;
use crate::startup::{self, AppState, PRUNE_BATCH};

/// Migrates, then serves HTTP on APP_HOST:APP_PORT until stopped.
pub fn serve(config: Config) -> Result<(), String> {
    let address = (config.host.clone(), config.port);
    let state = AppState::build(config)?;
    let listener = TcpListener::bind(&address)
        .map_err(|e| format!("cannot listen on {}:{}: {e}", address.0, address.1))?;
    let local = listener.local_addr().map_err(|e| e.to_string())?;
    tracing::info!("listening on http://{local}");
    actix_web::rt::System::new()
        .block_on(async move { startup::run(listener, state)?.await })
        .map_err(|e| format!("server error: {e}"))
}

/// Runs pending migrations and reports them.
pub fn migrate(config: &Config) -> Result<(), String> {
    let pool = pool(config)?;
    let ran = pool.run_migrations()?;
    if ran.is_empty() {
        println!("Nothing to migrate.");
    }
    for migration in ran {
        println!("Migrated: {migration}");
    }
    Ok(())
}

/// Deletes blacklist rows whose tokens can no longer be used or refreshed.
pub fn prune_blacklist(config: &Config) -> Result<(), String> {
    let pool = pool(config)?;
    let mut conn = pool.get().map_err(|e| e.to_string())?;
    let deleted = BlacklistedToken::prune(&mut conn, Utc::now().naive_utc(), PRUNE_BATCH)
        .map_err(|e| format!("prune failed: {e}"))?;
    println!("Pruned {deleted} expired blacklist entries.");
    Ok(())
}

/// `jwt:secret`: prints a new secret, or with `write` stores it in `env_file` (like
/// `php artisan jwt:secret`); replacing an existing one needs `force`, since it logs everyone out.
pub fn jwt_secret(write: bool, force: bool, env_file: &Path) -> Result<(), String> {
    let secret = generate_secret();
    if !write {
        println!("{secret}");
        return Ok(());
    }
    let current = std::fs::read_to_string(env_file).unwrap_or_default();
    let has_secret = current.lines().any(|l| {
        l.strip_prefix("JWT_SECRET=")
            .is_some_and(|v| !v.trim().is_empty())
    });
    if has_secret && !force {
        return Err(format!(
            "{} already has a JWT_SECRET; replacing it invalidates every token. Use --force to replace it.",
            env_file.display()
        ));
    }
    let mut lines: Vec<String> = current
        .lines()
        .filter(|l| !l.starts_with("JWT_SECRET="))
        .map(str::to_owned)
        .collect();
    lines.push(format!("JWT_SECRET={secret}"));
    std::fs::write(env_file, lines.join("\n") + "\n")
        .map_err(|e| format!("cannot write {}: {e}", env_file.display()))?;
    println!("JWT_SECRET set in {}.", env_file.display());
    Ok(())
}

fn pool(config: &Config) -> Result<DbPool, String> {
    let url = DatabaseUrl::parse(&config.database_url).map_err(|e| format!("DATABASE_URL: {e}"))?;
    DbPool::connect(&url, 1, config.db_timeout)
}
