//! `keys:generate`, `keys:rotate`, `keys:retire`, `keys:list`: the signing key ring.

use super::pool;
use crate::config::Config;
use crate::db;
use crate::maintenance;
use crate::models::signing_key::{self, SigningKey};

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
