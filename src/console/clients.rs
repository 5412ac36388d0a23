//! `client:create`, `client:list`, `client:delete` (Passport's `passport:client` and friends).

use super::pool;
use crate::config::{Config, generate_secret};
use crate::crypto::sha256_hex;
use crate::db::{self, Id};
use crate::models::OAuthClient;
use crate::oauth::redirect_uri;
use crate::oauth::scopes::Scopes;

/// What `client:create` is asked for.
#[derive(Debug, clap::Args)]
pub struct ClientOptions {
    #[arg(long)]
    pub name: String,
    /// No secret (a mobile app or SPA): it authenticates with client_id alone.
    #[arg(long)]
    pub public: bool,
    /// Allow the password grant (first-party clients only: RFC 9700).
    #[arg(long)]
    pub password_grant: bool,
    /// Allow the authorization code grant with PKCE (needs --redirect-uri).
    #[arg(long)]
    pub authorization_code: bool,
    /// Allow the client credentials grant (confidential clients only).
    #[arg(long)]
    pub client_credentials: bool,
    /// A redirect URI of the code grant (repeatable): https, http on the loopback interface (any
    /// port matches), or a private-use scheme such as com.example.app:/callback.
    #[arg(long = "redirect-uri", value_name = "URI")]
    pub redirect_uris: Vec<String>,
    /// Where RP-initiated logout (`/oauth/logout`) may send the browser back (repeatable), matched
    /// exactly; the same forms as --redirect-uri.
    #[arg(long = "post-logout-redirect-uri", value_name = "URI")]
    pub post_logout_redirect_uris: Vec<String>,
    /// A resource (RFC 8707) the client may ask tokens for (repeatable): their `aud`.
    #[arg(long = "resource", value_name = "URI")]
    pub resources: Vec<String>,
    /// A first-party client: its users are not asked for consent.
    #[arg(long)]
    pub skip_consent: bool,
    /// Scopes the client may ask for, space-separated.
    #[arg(long, default_value = "offline_access")]
    pub scopes: String,
    /// Issue a refresh token with every grant, not only when offline_access is granted.
    #[arg(long)]
    pub always_refresh_token: bool,
}

/// The client `options` describe, and its secret (none for a public client); or why it cannot be
/// made, in one line.
pub fn new_client(options: ClientOptions) -> Result<(OAuthClient, Option<String>), String> {
    let scopes = Scopes::parse(&options.scopes)
        .ok_or("--scopes: a scope has a character OAuth does not allow")?;
    if options.public && options.client_credentials {
        return Err("--client-credentials needs a confidential client (not --public): a public client has no secret to prove".into());
    }
    if options.authorization_code && options.redirect_uris.is_empty() {
        return Err("--authorization-code needs at least one --redirect-uri".into());
    }
    for uri in &options.redirect_uris {
        redirect_uri::check(uri).map_err(|why| format!("--redirect-uri {uri}: {why}"))?;
    }
    for uri in &options.post_logout_redirect_uris {
        redirect_uri::check(uri)
            .map_err(|why| format!("--post-logout-redirect-uri {uri}: {why}"))?;
    }
    for resource in &options.resources {
        let absolute = url::Url::parse(resource).is_ok_and(|url| url.fragment().is_none());
        if !absolute || resource.contains(char::is_whitespace) {
            return Err(format!(
                "--resource {resource}: an absolute URI without a fragment (RFC 8707)"
            ));
        }
    }
    let secret = (!options.public).then(generate_secret).transpose()?;
    let mut grant_types = Vec::new();
    for (wanted, grant) in [
        (options.authorization_code, "authorization_code"),
        (options.password_grant, "password"),
        (options.client_credentials, "client_credentials"),
    ] {
        if wanted {
            grant_types.push(grant);
        }
    }
    grant_types.push("refresh_token");
    let client = OAuthClient {
        id: Id::now_v7(),
        name: options.name,
        secret_hash: secret.as_deref().map(|s| sha256_hex(s.as_bytes())),
        grant_types: grant_types.join(" "),
        scopes: scopes.to_string(),
        first_party: options.password_grant,
        always_issue_refresh_token: options.always_refresh_token,
        created_at: db::now(),
        redirect_uris: options.redirect_uris.join(" "),
        resources: options.resources.join(" "),
        skip_consent: options.skip_consent,
        post_logout_redirect_uris: options.post_logout_redirect_uris.join(" "),
    };
    Ok((client, secret))
}

/// `client:create` (Passport's `passport:client`): prints the id and, for a confidential client,
/// the secret, this once (only its SHA-256 is stored).
pub fn create_client(config: &Config, options: ClientOptions) -> Result<(), String> {
    let (client, secret) = new_client(options)?;
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
        for uri in client.redirect_uris() {
            println!("    redirect_uri: {uri}");
        }
        for uri in client.post_logout_redirect_uris.split_whitespace() {
            println!("    post_logout_redirect_uri: {uri}");
        }
        for resource in client.resources.split_whitespace() {
            println!("    resource: {resource}");
        }
        if client.skip_consent {
            println!("    skips consent");
        }
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
