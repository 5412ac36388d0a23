//! `client:create`, `client:list`, `client:delete` (Passport's `passport:client` and friends).

use super::pool;
use crate::config::{Config, generate_secret};
use crate::crypto::sha256_hex;
use crate::db::{self, Id};
use crate::models::OAuthClient;
use crate::oauth::scopes::Scopes;

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
