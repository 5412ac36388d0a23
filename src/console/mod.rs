//! The CLI commands (Laravel: artisan): serve, migrate, jwt:secret, key:generate, prune,
//! keys:*, client:*, db:seed, users:import, user:*.

mod clients;
mod import;
mod keys;
mod secrets;
mod users;

pub use clients::{ClientOptions, create_client, delete_client, list_clients};
pub use import::ImportOptions;
pub use keys::{generate_key, list_keys, retire_key, rotate_keys};
pub use secrets::{app_key, jwt_secret};
pub use users::{change_claims, change_roles, delete_user, list_users, set_disabled, show_user};

use std::net::TcpListener;

use crate::auth::sessions::{self, Audience, Device};
use crate::config::{AppEnv, Config};
use crate::db::{self, DatabaseUrl, DbPool};
use crate::jwt::{JwtService, Proof};
use crate::maintenance;
use crate::models::{NewUser, Session, User};
use crate::startup;

/// Migrates, then serves HTTP on APP_HOST:APP_PORT until stopped.
pub fn serve(config: Config) -> Result<(), String> {
    let address = (config.host.clone(), config.port);
    let state = startup::build(config)?;
    let listener = TcpListener::bind(&address)
        .map_err(|e| format!("cannot listen on {}:{}: {e}", address.0, address.1))?;
    let metrics = match state.config.metrics_addr {
        Some(address) => {
            let listener = TcpListener::bind(address)
                .map_err(|e| format!("cannot listen on METRICS_ADDR {address}: {e}"))?;
            tracing::info!("metrics on http://{address}/metrics");
            Some(listener)
        }
        None => None,
    };
    actix_web::rt::System::new()
        .block_on(startup::serve_until_signalled(listener, metrics, state))
        .map_err(|e| format!("server error: {e}"))
}

/// Runs pending migrations and reports them.
pub fn migrate(config: &Config) -> Result<(), String> {
    let url = DatabaseUrl::parse(&config.database_url).map_err(|e| format!("DATABASE_URL: {e}"))?;
    let ran = maintenance::migrate(&DbPool::connect(&url, 1, config.db_timeout)?)?;
    if ran.is_empty() {
        println!("Nothing to migrate.");
    }
    for migration in ran {
        println!("Migrated: {migration}");
    }
    Ok(())
}

/// `prune` (also `blacklist:prune`, its first name): deletes blacklist rows whose tokens can no
/// longer be used or refreshed, and OAuth sessions and refresh tokens past their lifetimes.
pub fn prune(config: &Config) -> Result<(), String> {
    let pool = pool(config)?;
    let mut conn = pool.get().map_err(|e| e.to_string())?;
    let pruned = maintenance::prune(&mut conn, config).map_err(|e| format!("prune failed: {e}"))?;
    println!(
        "Pruned {} expired blacklist entries.",
        pruned.blacklisted_tokens
    );
    println!(
        "Pruned {} ended sessions and {} expired OAuth refresh tokens.",
        pruned.sessions, pruned.oauth_refresh_tokens
    );
    if pruned.laravel_blacklist > 0 {
        println!(
            "Pruned {} expired tokens of the Laravel app's blacklist.",
            pruned.laravel_blacklist
        );
    }
    if pruned.signing_keys_retired > 0 {
        println!(
            "Retired {} previous signing keys.",
            pruned.signing_keys_retired
        );
    }
    Ok(())
}

/// `db:seed` (Laravel: `php artisan db:seed`): `count` users `seed{i}@example.test` sharing one
/// password, hashed once at BCRYPT_ROUNDS, each with one session as a login would leave it; prints
/// `id,email,session_id,access_token` per user (the benchmark's input).
pub fn seed_users(
    config: &Config,
    count: usize,
    password: &str,
    force: bool,
) -> Result<(), String> {
    if config.app_env == AppEnv::Production && !force {
        return Err(
            "db:seed inserts users sharing a known password: refused with APP_ENV=production \
             (add --force if that is what you want)"
                .into(),
        );
    }
    let hash = bcrypt::hash(password, config.bcrypt_rounds).map_err(|e| e.to_string())?;
    let pool = pool(config)?;
    let mut conn = pool.get().map_err(|e| e.to_string())?;
    let users: Vec<NewUser> = (0..count)
        .map(|i| {
            NewUser::new(
                format!("Seed {i}"),
                format!("seed{i}@example.test"),
                hash.clone(),
            )
        })
        .collect();
    let now = db::now();
    let device = Device {
        user_agent: Some("db:seed".into()),
        ip: None,
    };
    let sessions: Vec<Session> = users
        .iter()
        .map(|user| {
            sessions::new_session(
                config,
                user.id,
                Audience::Api,
                Proof::Password,
                &device,
                now,
            )
        })
        .collect();
    // One transaction: a row per statement (multi-backend diesel has no batch insert), one commit.
    conn.write_transaction(|conn| {
        for (user, session) in users.iter().zip(&sessions) {
            User::create(conn, user.clone())?;
            Session::create(conn, session)?;
        }
        Ok(())
    })
    .map_err(|e| format!("seeding failed: {e}"))?;
    // An access token per session, signed as a login would sign it (HS256, or the ring's key).
    let jwt = JwtService::new(&config.jwt);
    jwt.set_ring(maintenance::load_keys_at_start(&mut conn, config)?);
    let issued = chrono::Utc::now();
    for (user, session) in users.iter().zip(&sessions) {
        let resource = &config.oauth.default_resource;
        // A seeded user has no roles and no custom claims yet.
        let claims = sessions::session_claims(&jwt, resource, session, issued)
            .with_account(Vec::new(), Default::default());
        let token = jwt.encode(&claims).map_err(|e| e.to_string())?;
        println!("{},{},{},{token}", user.id, user.email, session.id);
    }
    Ok(())
}

/// A small pool for a command, on a migrated database (as `serve` would leave it).
fn pool(config: &Config) -> Result<DbPool, String> {
    let url = DatabaseUrl::parse(&config.database_url).map_err(|e| format!("DATABASE_URL: {e}"))?;
    let pool = DbPool::connect(&url, 1, config.db_timeout)?;
    for migration in maintenance::migrate(&pool)? {
        tracing::info!(%migration, "migrated");
    }
    Ok(pool)
}

/// `users:import SOURCE`: see [`import`].
pub fn import_users(config: &Config, options: &ImportOptions) -> Result<(), String> {
    import::import_users(config, &pool(config)?, options)
}
