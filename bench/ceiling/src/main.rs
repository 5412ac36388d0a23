//! bench/run.sh's measuring stick (issue 27): the least a Rust server must do for `GET /api/me` —
//! actix-web, jsonwebtoken's HS256 check and a JSON answer — with no database, or with one SQLite
//! point lookup per request on the worker's own connection (`CEILING_DATABASE=PATH`, the database
//! the server's benchmark seeded). Measured in the same run as the server, it turns every CPU
//! figure into a ratio that does not change with the machine.
//!
//! `CEILING_PORT` (default 8089), `CEILING_SECRET` and `CEILING_ISSUER` must match the tokens'.

use std::cell::RefCell;

use actix_web::http::header::{AUTHORIZATION, CACHE_CONTROL};
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::{Deserialize, Serialize};

diesel::table! {
    users (id) {
        id -> Text,
        name -> Text,
        email -> Text,
        created_at -> Text,
        updated_at -> Text,
    }
}

#[derive(Deserialize)]
struct Claims {
    sub: String,
}

#[derive(Serialize, Queryable)]
struct Me {
    id: String,
    name: String,
    email: String,
    created_at: String,
    updated_at: String,
}

struct Settings {
    key: DecodingKey,
    validation: Validation,
    database: Option<String>,
}

thread_local! {
    /// The worker's own connection, opened at its first request.
    static CONNECTION: RefCell<Option<SqliteConnection>> = const { RefCell::new(None) };
}

/// The user `id` on this worker's connection.
fn find(path: &str, id: &str) -> Option<Me> {
    CONNECTION.with(|cell| {
        let mut slot = cell.borrow_mut();
        if slot.is_none() {
            let mut conn = SqliteConnection::establish(path).ok()?;
            conn.batch_execute("PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL;")
                .ok()?;
            *slot = Some(conn);
        }
        users::table
            .find(id)
            .get_result(slot.as_mut()?)
            .optional()
            .ok()?
    })
}

async fn me(req: HttpRequest, settings: web::Data<Settings>) -> HttpResponse {
    let token = req
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let Some(Ok(data)) =
        token.map(|t| jsonwebtoken::decode::<Claims>(t, &settings.key, &settings.validation))
    else {
        return HttpResponse::Unauthorized().finish();
    };
    let sub = data.claims.sub;
    let user = match &settings.database {
        Some(path) => find(path, &sub),
        None => Some(Me {
            email: format!("{sub}@example.test"),
            id: sub,
            name: "Seed".into(),
            created_at: "2026-12-07T00:00:00.000000Z".into(),
            updated_at: "2026-12-07T00:00:00.000000Z".into(),
        }),
    };
    match user {
        Some(user) => HttpResponse::Ok()
            .insert_header((CACHE_CONTROL, "no-store"))
            .json(user),
        None => HttpResponse::Unauthorized().finish(),
    }
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let env = |name: &str, default: &str| std::env::var(name).unwrap_or_else(|_| default.into());
    let port: u16 = env("CEILING_PORT", "8089").parse().unwrap_or(8089);
    let secret = env("CEILING_SECRET", "benchmark-secret-benchmark-secret-0123456789");
    let mut validation = Validation::new(Algorithm::HS256);
    validation.set_issuer(&[env("CEILING_ISSUER", "http://bench.test")]);
    let settings = web::Data::new(Settings {
        key: DecodingKey::from_secret(secret.as_bytes()),
        validation,
        database: std::env::var("CEILING_DATABASE").ok(),
    });
    HttpServer::new(move || {
        App::new()
            .app_data(settings.clone())
            .route("/api/me", web::get().to(me))
            .route("/health", web::get().to(HttpResponse::Ok))
    })
    .bind(("127.0.0.1", port))?
    .run()
    .await
}
