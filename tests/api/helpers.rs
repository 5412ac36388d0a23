//! TestApp (the server on its own thread and a fresh database), requests, factories and forgers.

#![allow(dead_code)]

use std::net::TcpListener;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use actix_web::dev::ServerHandle;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::PooledConnection;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use jwt_auth_server::config::{
    AppEnv, Config, JwtConfig, MailConfig, MailerConfig, OAuthConfig, RateLimitConfig, Secret,
};
use jwt_auth_server::crypto::AppKey;
use jwt_auth_server::db::{ConnectionManager, DbConnection, DbPool};
use jwt_auth_server::startup;
use serde_json::{Value, json};

pub const SECRET: &str = "integration-test-secret-0123456789abcdef";
pub const ISSUER: &str = "http://localhost";
pub const PASSWORD: &str = "correct horse battery";
pub const APP_KEY: &str = "base64:dGVzdHMgdXNlIHRoaXMgQVBQX0tFWSwgMzIgYnl0ZXM=";

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// Postgres when TEST_DATABASE_URL is set; otherwise None, after saying the test is skipped.
    /// Under CI (`CI` set) a missing TEST_DATABASE_URL fails the test instead: CI must never pass
    /// by skipping half the suite.
    pub fn postgres() -> Option<Self> {
        postgres_backend(
            std::env::var("TEST_DATABASE_URL").ok().as_deref(),
            std::env::var("CI").ok().as_deref(),
        )
    }
}

/// The choice [`Backend::postgres`] makes from TEST_DATABASE_URL and CI.
pub fn postgres_backend(database_url: Option<&str>, ci: Option<&str>) -> Option<Backend> {
    match (
        database_url.filter(|v| !v.is_empty()),
        ci.filter(|v| !v.is_empty() && *v != "false"),
    ) {
        (Some(_), _) => Some(Backend::Postgres),
        (None, Some(_)) => {
            panic!("CI is set but TEST_DATABASE_URL is not: the PostgreSQL tests would be skipped")
        }
        (None, None) => {
            eprintln!("skipped: TEST_DATABASE_URL is not set");
            None
        }
    }
}

/// A database of one test: a fresh SQLite file, or a fresh Postgres database, removed on drop.
pub struct TestDb {
    pub url: String,
    postgres: Option<(String, String)>,
}

impl TestDb {
    pub fn create(backend: Backend) -> Self {
        let name = format!("test_{}", uuid::Uuid::now_v7().simple());
        match backend {
            Backend::Sqlite => {
                let dir = std::env::temp_dir().join("jwt-auth-server-tests");
                let url = dir.join(format!("{name}.sqlite")).display().to_string();
                Self {
                    url,
                    postgres: None,
                }
            }
            Backend::Postgres => {
                let admin = std::env::var("TEST_DATABASE_URL").expect("TEST_DATABASE_URL");
                let mut conn =
                    PgConnection::establish(&admin).expect("connect to TEST_DATABASE_URL");
                conn.batch_execute(&format!(r#"CREATE DATABASE "{name}""#))
                    .expect("create the test database");
                let (base, query) = admin
                    .split_once('?')
                    .map_or((admin.as_str(), None), |(b, q)| (b, Some(q)));
                let (server, _) = base
                    .rsplit_once('/')
                    .expect("TEST_DATABASE_URL names a database");
                let url = match query {
                    Some(q) => format!("{server}/{name}?{q}"),
                    None => format!("{server}/{name}"),
                };
                Self {
                    url,
                    postgres: Some((admin, name)),
                }
            }
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        match &self.postgres {
            Some((admin, name)) => {
                if let Ok(mut conn) = PgConnection::establish(admin) {
                    let _ = conn.batch_execute(&format!(
                        r#"DROP DATABASE IF EXISTS "{name}" WITH (FORCE)"#
                    ));
                }
            }
            None => {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", self.url));
                }
            }
        }
    }
}

/// The settings every test starts from (tests never read the environment).
pub fn test_config(database_url: String) -> Config {
    Config {
        app_env: AppEnv::Testing,
        host: "127.0.0.1".into(),
        port: 0,
        app_url: ISSUER.into(),
        app_name: "jwt-auth-server".into(),
        database_url,
        db_pool_size: 4,
        db_timeout: Duration::from_secs(5),
        app_key: AppKey::parse(APP_KEY).expect("a valid APP_KEY"),
        jwt: JwtConfig {
            secret: Some(Secret::new(SECRET)),
            algo: jwt_auth_server::config::Algo::HS256,
            private_key: None,
            public_key: None,
            keys_reload_seconds: 30,
            issuer: ISSUER.into(),
            ttl_minutes: 60,
            refresh_ttl_minutes: 20160,
            leeway_seconds: 0,
            blacklist_grace_seconds: 0,
            refresh_race_window_seconds: 10,
            laravel: None,
        },
        bcrypt_rounds: 4,
        cors_allowed_origins: vec![],
        spa_demo: false,
        refresh_cookie: None,
        mail: MailConfig {
            // A folder of this test's own: its mails are the only ones there.
            mailer: MailerConfig::File(
                std::env::temp_dir()
                    .join("jwt-auth-server-tests")
                    .join(format!("mail-{}", uuid::Uuid::now_v7().simple())),
            ),
            from_address: "hello@example.com".into(),
            from_name: "jwt-auth-server".into(),
            frontend_url: "http://spa.test".into(),
            verify_on_register: true,
            must_verify: false,
            password_reset_expire_minutes: 60,
            message_id_domain: "localhost".into(),
        },
        oauth: OAuthConfig {
            refresh_ttl_minutes: 43200,
            refresh_idle_ttl_minutes: 20160,
            refresh_reuse_interval_seconds: 0,
            default_resource: ISSUER.into(),
            public_scopes: vec![],
            page_text: Default::default(),
        },
        rate_limit: RateLimitConfig {
            enabled: true,
            store: None,
            login_per_minute: 5,
            login_per_hour: 100,
            login_ip_per_minute: 30,
            register_ip_per_hour: 10,
            refresh_ip_per_5_minutes: 150,
            mail_per_hour: 5,
            trusted_proxies: vec![],
        },
        hash_concurrency: 2,
        hash_queue_timeout: Duration::from_secs(2),
        shutdown_delay: Duration::ZERO,
        shutdown_timeout: Duration::from_secs(30),
        metrics_addr: None,
    }
}

/// A running server and a client for it.
pub struct TestApp {
    pub address: String,
    /// `http://host:port` of `GET /metrics`, when the config has METRICS_ADDR.
    pub metrics_address: Option<String>,
    pub config: Config,
    /// The server's own pool, for assertions on the database state.
    pub db: DbPool,
    handle: ServerHandle,
    thread: Option<JoinHandle<()>>,
    agent: ureq::Agent,
    // Dropped last: the server and its pool are gone before the database is removed (a second
    // server on the same database owns none).
    database: Option<TestDb>,
}

impl TestApp {
    pub fn spawn(backend: Backend) -> Self {
        Self::spawn_with(backend, |_| {})
    }

    /// Spawns with settings changed by `tweak` (a grace period, a short DB_TIMEOUT…).
    pub fn spawn_with(backend: Backend, tweak: impl FnOnce(&mut Config)) -> Self {
        capture_logs();
        let database = TestDb::create(backend);
        let mut config = test_config(database.url.clone());
        tweak(&mut config);
        Self::start(config, Some(database))
    }

    /// A second server on this one's database, with its settings changed by `tweak` (several
    /// instances behind one load balancer).
    pub fn spawn_beside(&self, tweak: impl FnOnce(&mut Config)) -> Self {
        let mut config = self.config.clone();
        tweak(&mut config);
        Self::start(config, None)
    }

    fn start(config: Config, database: Option<TestDb>) -> Self {
        let state = startup::build(config.clone()).expect("the app state builds");
        let db = state.db.clone();
        let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
        let address = format!("http://{}", listener.local_addr().unwrap());
        let metrics = config
            .metrics_addr
            .map(|address| TcpListener::bind(address).expect("the metrics address is free"));
        let metrics_address = metrics
            .as_ref()
            .map(|listener| format!("http://{}", listener.local_addr().unwrap()));
        let (started, handle) = mpsc::channel();
        let thread = std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let servers = startup::run(listener, metrics, state).expect("the server starts");
                started.send(servers.api.handle()).unwrap();
                servers.serve().await.expect("the server runs");
            })
        });
        let handle = handle.recv().expect("the server thread reports its handle");
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            // A redirect is an answer to assert on (email verification), not to follow.
            .max_redirects(0)
            .timeout_global(Some(Duration::from_secs(30)))
            .build()
            .into();
        Self {
            address,
            metrics_address,
            config,
            db,
            handle,
            thread: Some(thread),
            agent,
            database,
        }
    }

    pub fn request(&self, method: &str, path: &str) -> TestRequest<'_> {
        TestRequest {
            app: self,
            method: method.into(),
            path: path.into(),
            headers: vec![],
            body: vec![],
        }
    }

    pub fn get(&self, path: &str) -> TestRequest<'_> {
        self.request("GET", path)
    }

    pub fn post(&self, path: &str) -> TestRequest<'_> {
        self.request("POST", path)
    }

    /// `GET path` on the metrics listener (the config must have METRICS_ADDR).
    pub fn get_metrics(&self, path: &str) -> TestResponse {
        let base = self.metrics_address.as_ref().expect("a metrics listener");
        let mut response = self
            .agent
            .get(format!("{base}{path}"))
            .call()
            .expect("it answers");
        TestResponse {
            status: response.status().as_u16(),
            headers: response.headers().clone(),
            text: response.body_mut().read_to_string().expect("a text body"),
        }
    }

    /// A pooled connection to the test's database.
    pub fn conn(&self) -> PooledConnection<ConnectionManager> {
        self.db.get().expect("a database connection")
    }

    /// Registers a user and returns the response body's `data`.
    pub fn register(&self, email: &str, password: &str) -> Value {
        let response = self
            .post("/api/register")
            .json(&json!({ "name": "Test User", "email": email, "password": password }))
            .send();
        assert_eq!(response.status, 201, "register {email}: {}", response.text);
        response.json()["data"].clone()
    }

    /// `POST /oauth/token` with `params` as a form.
    pub fn token(&self, params: &[(&str, &str)]) -> TestResponse {
        self.post("/oauth/token")
            .form(&serde_urlencoded::to_string(params).unwrap())
            .send()
    }

    /// Logs in and returns the access token.
    pub fn login(&self, email: &str, password: &str) -> String {
        let response = self
            .post("/api/login")
            .json(&json!({ "email": email, "password": password }))
            .send();
        assert_eq!(response.status, 200, "login {email}: {}", response.text);
        response.json()["access_token"].as_str().unwrap().to_owned()
    }

    /// A registered user and a fresh token: (user id, token).
    pub fn user_with_token(&self) -> (String, String) {
        let email = format!("{}@example.com", uuid::Uuid::now_v7().simple());
        let user = self.register(&email, PASSWORD);
        (
            user["id"].as_str().unwrap().to_owned(),
            self.login(&email, PASSWORD),
        )
    }

    /// Signs `claims` with the test secret (HS256), as a forger who knows the secret would.
    pub fn forge(&self, claims: &Value) -> String {
        forge_with(Algorithm::HS256, SECRET, claims)
    }

    /// Valid claims for `user_id`, issued `age` seconds ago with a TTL of `ttl` seconds.
    pub fn claims(&self, user_id: &str, age: i64, ttl: i64) -> Value {
        let iat = now() - age;
        json!({
            "iss": ISSUER, "sub": user_id, "iat": iat, "nbf": iat, "exp": iat + ttl,
            "jti": uuid::Uuid::now_v7().to_string(), "orig_iat": iat,
        })
    }

    /// Runs a diesel query on the test database.
    pub fn query<T>(&self, f: impl FnOnce(&mut DbConnection) -> QueryResult<T>) -> T {
        f(&mut self.conn()).expect("the query runs")
    }

    /// The mails the file mailer wrote so far, as (headers and body) text, in no set order (files
    /// written in the same clock tick tie). The mail thread writes them after the answer: this
    /// waits until at least `count` are there (5 s at most).
    pub fn mails(&self, count: usize) -> Vec<String> {
        let MailerConfig::File(dir) = &self.config.mail.mailer else {
            panic!("the test app writes mail to files");
        };
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        loop {
            // A message ends with a line break: a file without one is still being written.
            let mails: Vec<String> = std::fs::read_dir(dir)
                .map(|entries| {
                    entries
                        .filter_map(|e| std::fs::read_to_string(e.ok()?.path()).ok())
                        .filter(|text| text.ends_with("\r\n"))
                        .collect()
                })
                .unwrap_or_default();
            if mails.len() >= count || std::time::Instant::now() > deadline {
                return mails;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Runs SQL on the test database (for states that would otherwise need a sleep).
    pub fn execute(&self, sql: &str) {
        self.conn().batch_execute(sql).expect("sql runs");
    }
}

impl TestApp {
    /// Stops the server as SIGTERM would after SHUTDOWN_DELAY: no new connections, the requests
    /// in flight finish. Returns once it has stopped.
    pub fn stop_gracefully(&self) {
        actix_web::rt::System::new().block_on(self.handle.stop(true));
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        drop(self.handle.stop(false));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        if let (Some(_), MailerConfig::File(dir)) = (&self.database, &self.config.mail.mailer) {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// The log lines written so far by every server of this test binary (the audit target always;
/// with TEST_LOG also what that filter lets through, which is echoed to the test's output).
static LOG: std::sync::Mutex<Vec<u8>> = std::sync::Mutex::new(Vec::new());

/// Where the servers' log goes: into [`LOG`], and with TEST_LOG=warn (or any RUST_LOG filter)
/// also to the test's output, e.g. the cause of a 500.
#[derive(Clone, Copy)]
struct CapturedLog;

impl std::io::Write for CapturedLog {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        LOG.lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(bytes);
        if std::env::var_os("TEST_LOG").is_some() {
            eprint!("{}", String::from_utf8_lossy(bytes));
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Installs the one subscriber of the test binary (tests run in parallel in one process).
fn capture_logs() {
    static INSTALLED: std::sync::Once = std::sync::Once::new();
    INSTALLED.call_once(|| {
        let extra = std::env::var("TEST_LOG").unwrap_or_default();
        let filter = if extra.is_empty() {
            "audit=info".to_owned()
        } else {
            format!("audit=info,{extra}")
        };
        let _ = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_ansi(false)
            .with_writer(|| CapturedLog)
            .try_init();
    });
}

/// The audit lines that name `user_id`, from every server of this test binary.
pub fn audit_lines(user_id: &str) -> Vec<String> {
    let log = LOG.lock().unwrap_or_else(|e| e.into_inner());
    String::from_utf8_lossy(&log)
        .lines()
        .filter(|line| line.contains(" audit:") && line.contains(user_id))
        .map(str::to_owned)
        .collect()
}

/// Whether `text` appears anywhere in what the servers of this test binary logged.
pub fn logged(text: &str) -> bool {
    let log = LOG.lock().unwrap_or_else(|e| e.into_inner());
    String::from_utf8_lossy(&log).contains(text)
}

/// Every link of `mails` that starts with `prefix`, alone on its line.
pub fn links_in(mails: &[String], prefix: &str) -> Vec<String> {
    mails
        .iter()
        .flat_map(|mail| mail.lines())
        .filter(|line| line.starts_with(prefix))
        .map(str::to_owned)
        .collect()
}

/// The one link of `mails` that starts with `prefix`.
pub fn link_in(mails: &[String], prefix: &str) -> String {
    let links = links_in(mails, prefix);
    assert_eq!(
        links.len(),
        1,
        "one link starting with {prefix} in {mails:#?}"
    );
    links[0].clone()
}

/// The value of `name` in a link's query string (percent-decoded).
pub fn query_value(link: &str, name: &str) -> String {
    let query = link.split_once('?').map_or("", |(_, q)| q);
    serde_urlencoded::from_str::<Vec<(String, String)>>(query)
        .unwrap()
        .into_iter()
        .find(|(key, _)| key == name)
        .unwrap_or_else(|| panic!("no {name} in {link}"))
        .1
}

pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

pub fn forge_with(alg: Algorithm, secret: &str, claims: &Value) -> String {
    jsonwebtoken::encode(
        &Header::new(alg),
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

/// Signs `claims` with the test secret (HS256) under a JOSE header of type `typ`.
pub fn forge_typed(typ: &str, claims: &Value) -> String {
    let header = Header {
        typ: Some(typ.into()),
        ..Header::new(Algorithm::HS256)
    };
    jsonwebtoken::encode(
        &header,
        claims,
        &EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .unwrap()
}

/// The claims of a token, read without checking it.
pub fn claims_of(token: &str) -> Value {
    let payload = token.split('.').nth(1).expect("a JWT has a payload");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

/// The header of a token, read without checking it.
pub fn header_of(token: &str) -> Value {
    let header = token.split('.').next().unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).unwrap()).unwrap()
}

/// A request being built.
pub struct TestRequest<'a> {
    app: &'a TestApp,
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl TestRequest<'_> {
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    pub fn bearer(self, token: &str) -> Self {
        self.header("Authorization", &format!("Bearer {token}"))
    }

    pub fn json(self, body: &Value) -> Self {
        self.body("application/json", body.to_string().into_bytes())
    }

    pub fn form(self, body: &str) -> Self {
        self.body(
            "application/x-www-form-urlencoded",
            body.as_bytes().to_vec(),
        )
    }

    pub fn body(self, content_type: &str, body: Vec<u8>) -> Self {
        self.raw_body(body).header("Content-Type", content_type)
    }

    /// A body without a Content-Type header.
    pub fn raw_body(mut self, body: Vec<u8>) -> Self {
        self.body = body;
        self
    }

    pub fn send(self) -> TestResponse {
        let mut request = ureq::http::Request::builder()
            .method(self.method.as_str())
            .uri(format!("{}{}", self.app.address, self.path));
        for (name, value) in &self.headers {
            request = request.header(name, value);
        }
        let request = request.body(self.body).expect("a valid request");
        let mut response = self.app.agent.run(request).expect("the server answers");
        TestResponse {
            status: response.status().as_u16(),
            headers: response.headers().clone(),
            text: response.body_mut().read_to_string().expect("a text body"),
        }
    }
}

/// What the server answered.
#[derive(Debug)]
pub struct TestResponse {
    pub status: u16,
    pub headers: ureq::http::HeaderMap,
    pub text: String,
}

impl TestResponse {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text)
            .unwrap_or_else(|_| panic!("a JSON body, got {:?}", self.text))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts status and `error` code together, with the body in the message when they differ.
    pub fn assert_error(&self, status: u16, code: &str) {
        assert_eq!(
            (self.status, self.json()["error"].as_str()),
            (status, Some(code)),
            "{}",
            self.text
        );
        assert_eq!(self.header("content-type"), Some("application/json"));
    }
}
