//! The `jwt-auth-server` binary: loads .env, sets up logging, dispatches the CLI command.

use std::path::Path;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use jwt_auth_server::config::{self, Config};
use jwt_auth_server::{console, storage, telemetry};

/// The Laravel tymon/jwt-auth API as one binary. Without a command it serves.
#[derive(Parser)]
#[command(name = "jwt-auth-server", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run pending migrations, then serve HTTP on APP_HOST:APP_PORT (the default).
    Serve,
    /// Run pending migrations and exit.
    Migrate,
    /// Print a new JWT_SECRET, or store it in .env with --write.
    #[command(name = "jwt:secret")]
    JwtSecret {
        /// Write it into .env instead of printing it.
        #[arg(long)]
        write: bool,
        /// Replace a JWT_SECRET that .env already has (every issued token becomes invalid).
        #[arg(long)]
        force: bool,
    },
    /// Print a new APP_KEY (base64:…), or store it in .env with --write.
    #[command(name = "key:generate")]
    KeyGenerate {
        /// Write it into .env instead of printing it.
        #[arg(long)]
        write: bool,
        /// Replace an APP_KEY that .env already has (audit digests and rate-limit keys change).
        #[arg(long)]
        force: bool,
    },
    /// Add a `next` signing key of JWT_ALGO (published, not signing yet).
    #[command(name = "keys:generate")]
    KeysGenerate,
    /// Make the next key current (generating one if there is none); the old one verifies on.
    #[command(name = "keys:rotate")]
    KeysRotate,
    /// Stop a key that does not sign (next or previous) verifying.
    #[command(name = "keys:retire")]
    KeysRetire {
        /// A kid is base64url: it may begin with `-`, which is then no flag.
        #[arg(allow_hyphen_values = true)]
        kid: String,
    },
    /// List the signing keys: kid, algorithm, state, created.
    #[command(name = "keys:list")]
    KeysList,
    /// Delete blacklist entries, OAuth sessions and refresh tokens past their lifetimes.
    #[command(name = "prune", alias = "blacklist:prune")]
    Prune,
    /// Create an OAuth client; prints client_id (and client_secret, once).
    #[command(name = "client:create")]
    ClientCreate(console::ClientOptions),
    /// Insert test users sharing one password, each with a session (for load tests); prints
    /// id,email,session_id,access_token per user.
    #[command(name = "db:seed")]
    DbSeed {
        #[arg(long, default_value_t = 100)]
        users: usize,
        #[arg(long, default_value = "seeded password 1")]
        password: String,
        /// Seed even with APP_ENV=production.
        #[arg(long)]
        force: bool,
    },
    /// Copy a Laravel app's users table (a postgres:// URL, its SQLite file, or a .csv export with a
    /// header) with each user's Laravel id, bcrypt hash and timestamps; run again to update.
    #[command(name = "users:import")]
    UsersImport {
        source: String,
        /// Exit 0 even when rows were skipped (they are listed either way).
        #[arg(long)]
        allow_skips: bool,
        /// A file of the jtis the Laravel app had logged out, one per line.
        #[arg(long)]
        blacklist: Option<String>,
    },
    /// List OAuth clients.
    #[command(name = "client:list")]
    ClientList,
    /// Delete an OAuth client with its sessions and refresh tokens.
    #[command(name = "client:delete")]
    ClientDelete { id: String },
    /// Add or remove roles of a user (in every access token issued from then).
    #[command(name = "user:roles")]
    UserRoles {
        email: String,
        #[arg(long, value_name = "ROLE")]
        add: Vec<String>,
        #[arg(long, value_name = "ROLE")]
        remove: Vec<String>,
        /// End every login of the user too, so that the change is immediate.
        #[arg(long)]
        now: bool,
    },
    /// Replace a user's custom claims with a JSON object (`{}` clears them).
    #[command(name = "user:claims")]
    UserClaims {
        email: String,
        json: String,
        /// End every login of the user too, so that the change is immediate.
        #[arg(long)]
        now: bool,
    },
    /// Disable an account: its every token is refused (401 user_disabled), and so are its logins.
    #[command(name = "user:disable")]
    UserDisable { email: String },
    /// Enable a disabled account again.
    #[command(name = "user:enable")]
    UserEnable { email: String },
    /// List users (oldest first): by email prefix or part of the name with --search.
    #[command(name = "user:list")]
    UserList {
        #[arg(long)]
        search: Option<String>,
        /// A JSON array, as the admin API answers each user.
        #[arg(long)]
        json: bool,
    },
    /// Show a user as the admin API does (roles, claims, disabled_at, sessions_count).
    #[command(name = "user:show")]
    UserShow { email: String },
    /// Delete an account with every row of it (its sessions, tokens, consents, two-factor).
    #[command(name = "user:delete")]
    UserDelete { email: String },
}

fn main() -> ExitCode {
    // Before anything creates a file: the database, mail and secrets are the server's alone.
    storage::private_by_default();
    // The working directory's .env only, as Laravel reads only the project's: never a parent's.
    let dotenv = dotenvy::from_path(".env");
    let cli = Cli::parse();
    telemetry::init();
    storage::make_private(Path::new(storage::STORAGE_DIR));
    if let Err(error) = dotenv
        && !error.not_found()
    {
        return fail(format!(".env: {error}"));
    }
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::JwtSecret { write, force } => console::jwt_secret(write, force, Path::new(".env")),
        Command::KeyGenerate { write, force } => console::app_key(write, force, Path::new(".env")),
        command => match Config::from_env() {
            Err(error) => Err(error.to_string()),
            Ok(config) => {
                for warning in config.jwt.laravel_warnings() {
                    tracing::warn!("{warning}");
                }
                for name in config::unread_jwt_settings(std::env::vars().map(|(name, _)| name)) {
                    tracing::warn!(setting = %name, "a tymon/jwt-auth setting this server does not read: ignored (docs/configuration.md)");
                }
                match command {
                    Command::Migrate => console::migrate(&config),
                    Command::Prune => console::prune(&config),
                    Command::ClientCreate(options) => console::create_client(&config, options),
                    Command::ClientList => console::list_clients(&config),
                    Command::KeysGenerate => console::generate_key(&config),
                    Command::KeysRotate => console::rotate_keys(&config),
                    Command::KeysRetire { kid } => console::retire_key(&config, &kid),
                    Command::KeysList => console::list_keys(&config),
                    Command::DbSeed {
                        users,
                        password,
                        force,
                    } => console::seed_users(&config, users, &password, force),
                    Command::ClientDelete { id } => console::delete_client(&config, &id),
                    Command::UserRoles {
                        email,
                        add,
                        remove,
                        now,
                    } => console::change_roles(&config, &email, add, remove, now),
                    Command::UserClaims { email, json, now } => {
                        console::change_claims(&config, &email, &json, now)
                    }
                    Command::UserDisable { email } => console::set_disabled(&config, &email, true),
                    Command::UserEnable { email } => console::set_disabled(&config, &email, false),
                    Command::UserList { search, json } => {
                        console::list_users(&config, search.as_deref(), json)
                    }
                    Command::UserShow { email } => console::show_user(&config, &email),
                    Command::UserDelete { email } => console::delete_user(&config, &email),
                    Command::UsersImport {
                        source,
                        allow_skips,
                        blacklist,
                    } => console::import_users(
                        &config,
                        &console::ImportOptions {
                            source,
                            allow_skips,
                            blacklist,
                        },
                    ),
                    _ => console::serve(config),
                }
            }
        },
    };
    result.map_or_else(fail, |()| ExitCode::SUCCESS)
}

/// One `error:` line per problem (a configuration can have several).
fn fail(message: String) -> ExitCode {
    for line in message.lines() {
        eprintln!("error: {line}");
    }
    ExitCode::FAILURE
}
