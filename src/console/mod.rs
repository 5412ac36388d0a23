//! The CLI commands (Laravel: artisan): serve, migrate, jwt:secret, key:generate, prune,
//! keys:*, client:*, db:seed, users:import.

mod import;

pub use import::ImportOptions;

use std::net::TcpListener;
use std::path::Path;

use crate::auth::sessions::{self, Audience, Device};
use crate::config::{AppEnv, Config, generate_app_key, generate_secret};
use crate::crypto::sha256_hex;
use crate::db::{self, DatabaseUrl, DbPool, Id};
use crate::jwt::JwtService;
use crate::maintenance;
use crate::models::signing_key::{self, SigningKey};
use crate::models::{NewUser, OAuthClient, Session, User};
use crate::oauth::scopes::Scopes;
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
        .map(|user| sessions::new_session(config, user.id, Audience::Api, &device, now))
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
        let claims = sessions::access_claims(&jwt, session, issued);
        let token = jwt.encode(&claims).map_err(|e| e.to_string())?;
        println!("{},{},{},{token}", user.id, user.email, session.id);
    }
    Ok(())
}

/// What `client:create` is asked for.
pub struct ClientOptions {
    pub name: String,
    pub public: bool,
    pub password_grant: bool,
    pub scopes: String,
    pub always_refresh_token: bool,
}

/// `client:create` (Passport's `passport:client`): prints the id and, for a confidential client,
/// the secret, this once (only its SHA-256 is stored).
pub fn create_client(config: &Config, options: ClientOptions) -> Result<(), String> {
    let scopes = Scopes::parse(&options.scopes)
        .ok_or("--scopes: a scope has a character OAuth does not allow")?;
    let secret = (!options.public).then(generate_secret).transpose()?;
    let mut grant_types = vec!["refresh_token"];
    if options.password_grant {
        grant_types.insert(0, "password");
    }
    let client = OAuthClient {
        id: Id::now_v7(),
        name: options.name,
        secret_hash: secret.as_deref().map(|s| sha256_hex(s.as_bytes())),
        grant_types: grant_types.join(" "),
        scopes: scopes.to_string(),
        first_party: options.password_grant,
        always_issue_refresh_token: options.always_refresh_token,
        created_at: db::now(),
    };
    let pool = pool(config)?;
    let mut conn = pool.get().map_err(|e| e.to_string())?;
    OAuthClient::create(&mut conn, &client)
        .map_err(|e| format!("cannot create the client: {e}"))?;
    println!("client_id: {}", client.id);
    if let Some(secret) = secret {
        println!("client_secret: {secret}");
        eprintln!("Store the secret now: it is not shown again.");
    }
    Ok(())
}

/// `client:list`: one line per client, never a secret.
pub fn list_clients(config: &Config) -> Result<(), String> {
    let pool = pool(config)?;
    let mut conn = pool.get().map_err(|e| e.to_string())?;
    let clients = OAuthClient::all(&mut conn).map_err(|e| e.to_string())?;
    println!(
        "{:<36}  {:<12}  {:<24}  {:<24}  name",
        "client_id", "type", "grants", "scopes"
    );
    for client in clients {
        let kind = if client.is_confidential() {
            "confidential"
        } else {
            "public"
        };
        println!(
            "{:<36}  {kind:<12}  {:<24}  {:<24}  {}",
            client.id, client.grant_types, client.scopes, client.name
        );
    }
    Ok(())
}

/// `client:delete ID`: the client, its sessions and refresh tokens.
pub fn delete_client(config: &Config, id: &str) -> Result<(), String> {
    let id = uuid::Uuid::parse_str(id).map_err(|_| format!("{id:?} is not a client id"))?;
    let pool = pool(config)?;
    let mut conn = pool.get().map_err(|e| e.to_string())?;
    match OAuthClient::delete(&mut conn, Id(id)).map_err(|e| e.to_string())? {
        true => {
            println!("Deleted client {id}.");
            Ok(())
        }
        false => Err(format!("no client {id}")),
    }
}

/// `jwt:secret`: prints a new secret, or with `write` stores it in `env_file` (like
/// `php artisan jwt:secret`); replacing an existing one needs `force`, since it logs everyone out.
pub fn jwt_secret(write: bool, force: bool, env_file: &Path) -> Result<(), String> {
    let warning = "replacing it invalidates every token";
    set_env_var(
        "JWT_SECRET",
        &generate_secret()?,
        write,
        force,
        env_file,
        warning,
    )
}

/// `key:generate`: prints a new APP_KEY (`base64:…`), or with `write` stores it in `env_file`;
/// replacing one needs `force`, since every digest and encrypted value made under it changes.
pub fn app_key(write: bool, force: bool, env_file: &Path) -> Result<(), String> {
    let warning = "replacing it changes every value made under it";
    set_env_var(
        "APP_KEY",
        &generate_app_key()?,
        write,
        force,
        env_file,
        warning,
    )
}

/// Prints `value`, or writes `NAME=value` into `env_file`: a new file of mode 0600 beside it,
/// renamed over it in one step, so a crash never leaves half a .env and no other user can read it.
fn set_env_var(
    name: &str,
    value: &str,
    write: bool,
    force: bool,
    env_file: &Path,
    warning: &str,
) -> Result<(), String> {
    if !write {
        println!("{value}");
        return Ok(());
    }
    let prefix = format!("{name}=");
    let current = match std::fs::read_to_string(env_file) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(error) => return Err(format!("cannot read {}: {error}", env_file.display())),
    };
    // What dotenvy reads as NAME=…: also with `export ` before it and blanks around.
    let value_of = |line: &str| {
        let line = line.trim_start();
        let line = line.strip_prefix("export ").map_or(line, str::trim_start);
        line.strip_prefix(name)
            .map(str::trim_start)
            .and_then(|rest| rest.strip_prefix('='))
            .map(str::to_owned)
    };
    let has_value = current
        .lines()
        .any(|l| value_of(l).is_some_and(|v| !v.trim().is_empty()));
    if has_value && !force {
        return Err(format!(
            "{} already has a {name}; {warning}. Use --force to replace it.",
            env_file.display()
        ));
    }
    let mut lines: Vec<&str> = current.lines().filter(|l| value_of(l).is_none()).collect();
    let line = format!("{prefix}{value}");
    lines.push(&line);
    write_private_atomically(env_file, &(lines.join("\n") + "\n"))
        .map_err(|e| format!("cannot write {}: {e}", env_file.display()))?;
    println!("{name} set in {}.", env_file.display());
    Ok(())
}

/// Writes `text` to a new mode-0600 file next to `path`, then renames it over `path`.
fn write_private_atomically(path: &Path, text: &str) -> std::io::Result<()> {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or(".env");
    let temporary = path.with_file_name(format!(".{name}.{}.tmp", uuid::Uuid::now_v7().simple()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let written = options.open(&temporary).and_then(|mut file| {
        std::io::Write::write_all(&mut file, text.as_bytes())?;
        file.sync_all()
    });
    match written.and_then(|()| std::fs::rename(&temporary, path)) {
        Ok(()) => Ok(()),
        Err(error) => {
            let _ = std::fs::remove_file(&temporary);
            Err(error)
        }
    }
}

/// `keys:generate`: a new `next` key of JWT_ALGO, published in the JWKS but not signing yet.
pub fn generate_key(config: &Config) -> Result<(), String> {
    let algo = asymmetric(config)?;
    let pool = pool(config)?;
    let mut conn = pool.get().map_err(|e| e.to_string())?;
    let cipher = config.app_key.cipher(maintenance::SIGNING_KEYS_CIPHER)?;
    let (row, _) = SigningKey::generate(algo, signing_key::NEXT, &cipher, db::now())?;
    SigningKey::create(&mut conn, &row).map_err(|e| format!("cannot store the key: {e}"))?;
    println!(
        "Next key: {} ({}). `keys:rotate` makes it sign.",
        row.kid,
        algo.as_str()
    );
    Ok(())
}

/// `keys:rotate`: the next key (generated now if there is none) becomes current; the current one
/// becomes `previous` and keeps verifying what it signed. Instances pick it up within
/// JWT_KEYS_RELOAD seconds.
pub fn rotate_keys(config: &Config) -> Result<(), String> {
    let algo = asymmetric(config)?;
    if config.jwt.private_key.is_some() {
        return Err(
            "JWT_PRIVATE_KEY is a fixed key: replace the PEM files to change it (rotation is for the key ring)"
                .into(),
        );
    }
    let pool = pool(config)?;
    let mut conn = pool.get().map_err(|e| e.to_string())?;
    let now = db::now();
    let has_next = SigningKey::usable(&mut conn)
        .map_err(|e| e.to_string())?
        .iter()
        .any(|k| k.state == signing_key::NEXT);
    if !has_next {
        let cipher = config.app_key.cipher(maintenance::SIGNING_KEYS_CIPHER)?;
        let (row, _) = SigningKey::generate(algo, signing_key::NEXT, &cipher, now)?;
        SigningKey::create(&mut conn, &row).map_err(|e| format!("cannot store the key: {e}"))?;
    }
    let kid = SigningKey::rotate(&mut conn, now)
        .map_err(|e| format!("rotation failed: {e}"))?
        .ok_or("no next key to rotate to")?;
    println!(
        "Current key: {kid}. Every instance signs with it within {} s; the old one verifies until its tokens expire.",
        config.jwt.keys_reload_seconds
    );
    Ok(())
}

/// `keys:retire KID`: a key that does not sign (`next` or `previous`) stops verifying at once
/// (its tokens answer 401).
pub fn retire_key(config: &Config, kid: &str) -> Result<(), String> {
    let pool = pool(config)?;
    let mut conn = pool.get().map_err(|e| e.to_string())?;
    match SigningKey::retire(&mut conn, kid, db::now()).map_err(|e| e.to_string())? {
        true => {
            println!("Retired {kid}.");
            Ok(())
        }
        false => Err(format!(
            "{kid} is not a key that can be retired: the current key signs (rotate first; a start with JWT_ALGO=HS256 demotes it), and a retired one is retired (see keys:list)"
        )),
    }
}

/// `keys:list`: kid, algorithm, state and creation time of every key.
pub fn list_keys(config: &Config) -> Result<(), String> {
    let pool = pool(config)?;
    let mut conn = pool.get().map_err(|e| e.to_string())?;
    let keys = SigningKey::all(&mut conn).map_err(|e| e.to_string())?;
    println!("{:<43}  {:<6}  {:<8}  created", "kid", "alg", "state");
    for key in keys {
        println!(
            "{:<43}  {:<6}  {:<8}  {}",
            key.kid,
            key.algorithm,
            key.state,
            key.created_at.and_utc().to_rfc3339()
        );
    }
    Ok(())
}

/// JWT_ALGO, when it is one the key ring serves.
fn asymmetric(config: &Config) -> Result<crate::config::Algo, String> {
    let algo = config.jwt.algo;
    if algo.is_asymmetric() {
        Ok(algo)
    } else {
        Err("JWT_ALGO is HS256, which signs with JWT_SECRET: set JWT_ALGO=ES256, EdDSA or RS256 to use the key ring".into())
    }
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
