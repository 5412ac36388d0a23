//! The real binary: a full flow over HTTP with its log checked for secrets, start-up failures, and
//! the jwt:secret, migrate and blacklist:prune commands.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const BINARY: &str = env!("CARGO_BIN_EXE_jwt-auth-server");
pub(crate) const SECRET: &str = "smoke-test-secret-smoke-test-secret-42";

/// A scratch working directory, removed on drop.
pub(crate) struct WorkDir(pub(crate) PathBuf);

impl WorkDir {
    pub(crate) fn new() -> Self {
        let dir = std::env::temp_dir().join(format!(
            "jwt-auth-server-cli-{}",
            uuid::Uuid::now_v7().simple()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }
}

impl Drop for WorkDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub(crate) fn command(dir: &Path, env: &[(&str, &str)]) -> Command {
    let mut command = Command::new(BINARY);
    command
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default());
    for (name, value) in env {
        command.env(name, value);
    }
    command
}

/// The server process, with everything it logs collected.
struct Server {
    child: Child,
    log: Arc<Mutex<String>>,
    address: String,
}

impl Server {
    fn start(dir: &Path, database_url: &str) -> Self {
        let mut child = command(
            dir,
            &[
                ("APP_ENV", "testing"),
                ("APP_PORT", "0"),
                // A free port has no name before the bind: the links name the proxy's.
                ("APP_URL", "http://localhost:8000"),
                ("DATABASE_URL", database_url),
                ("JWT_SECRET", SECRET),
                ("BCRYPT_ROUNDS", "4"),
                ("RUST_LOG", "debug"),
            ],
        )
        .stderr(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
        let log = Arc::new(Mutex::new(String::new()));
        for stream in [
            Box::new(child.stderr.take().unwrap()) as Box<dyn std::io::Read + Send>,
            Box::new(child.stdout.take().unwrap()),
        ] {
            let log = log.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    let mut log = log.lock().unwrap();
                    log.push_str(&line);
                    log.push('\n');
                }
            });
        }
        let deadline = Instant::now() + Duration::from_secs(20);
        let address = loop {
            let text = log.lock().unwrap().clone();
            if let Some(rest) = text.split("listening on ").nth(1) {
                break rest.split_whitespace().next().unwrap().to_owned();
            }
            assert!(
                Instant::now() < deadline,
                "the server did not start:\n{text}"
            );
            assert!(
                child.try_wait().unwrap().is_none(),
                "the server exited:\n{text}"
            );
            std::thread::sleep(Duration::from_millis(20));
        };
        Self {
            child,
            log,
            address,
        }
    }

    fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .build()
            .into();
        let mut request = ureq::http::Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.address));
        if let Some(token) = token {
            request = request.header("Authorization", format!("Bearer {token}"));
        }
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        if !body.is_empty() {
            request = request.header("Content-Type", "application/json");
        }
        let mut response = agent.run(request.body(body).unwrap()).unwrap();
        let status = response.status().as_u16();
        let text = response.body_mut().read_to_string().unwrap();
        // A redirect (email verification) has no body.
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn the_binary_serves_the_whole_flow_and_logs_no_secret() {
    let dir = WorkDir::new();
    let server = Server::start(&dir.0, "sqlite://storage/database.sqlite");
    let password = "smoke-password-\u{1F510}-x";
    let (status, _) = server.call("GET", "/health", None, None);
    assert_eq!(status, 200);
    let body = json!({ "name": "Smoke", "email": "smoke@example.com", "password": password });
    assert_eq!(
        server.call("POST", "/api/register", None, Some(body)).0,
        201
    );
    let wrong = json!({ "email": "smoke@example.com", "password": "wrong-password-value" });
    assert_eq!(server.call("POST", "/api/login", None, Some(wrong)).0, 401);
    let (status, login) = server.call(
        "POST",
        "/api/login",
        None,
        Some(json!({ "email": "smoke@example.com", "password": password })),
    );
    assert_eq!(status, 200);
    let token = login["access_token"].as_str().unwrap().to_owned();
    assert_eq!(server.call("GET", "/api/me", Some(&token), None).0, 200);
    let (status, refreshed) = server.call("POST", "/api/refresh", Some(&token), None);
    assert_eq!(status, 200);
    let new_token = refreshed["access_token"].as_str().unwrap().to_owned();
    assert_eq!(server.call("GET", "/api/me", Some(&token), None).0, 401);
    assert_eq!(
        server.call("POST", "/api/logout", Some(&new_token), None).0,
        200
    );
    assert_eq!(server.call("GET", "/api/me", Some(&new_token), None).0, 401);

    // Password reset and email verification, with the default file mailer (storage/mail).
    let mails = |count: usize| -> Vec<String> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let texts: Vec<String> = std::fs::read_dir(dir.0.join("storage/mail"))
                .map(|dir| {
                    dir.filter_map(|e| std::fs::read_to_string(e.ok()?.path()).ok())
                        .collect()
                })
                .unwrap_or_default();
            if texts.len() >= count || Instant::now() > deadline {
                return texts;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    };
    let line = |mails: &[String], prefix: &str| -> String {
        mails
            .iter()
            .flat_map(|m| m.lines())
            .find(|l| l.starts_with(prefix))
            .unwrap()
            .to_owned()
    };
    let forgot = json!({ "email": "smoke@example.com" });
    assert_eq!(
        server
            .call("POST", "/api/forgot-password", None, Some(forgot))
            .0,
        200
    );
    let mails = mails(2);
    let reset_link = line(&mails, "http://localhost:8000/reset-password?");
    let reset_token = reset_link
        .split("token=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap()
        .to_owned();
    let verify_link = line(&mails, "http://localhost:8000/api/email/verify/");
    let new_password = "smoke-new-password-value";
    let reset = json!({
        "token": reset_token, "email": "smoke@example.com",
        "password": new_password, "password_confirmation": new_password,
    });
    let verify_path = verify_link.strip_prefix("http://localhost:8000").unwrap();
    assert_eq!(server.call("GET", verify_path, None, None).0, 302);
    assert_eq!(
        server
            .call("POST", "/api/reset-password", None, Some(reset))
            .0,
        200
    );
    assert!(
        dir.0.join("storage/database.sqlite").exists(),
        "the SQLite file and its folder are created"
    );

    let hash: String = {
        use diesel::prelude::*;
        let mut conn = SqliteConnection::establish(
            &dir.0.join("storage/database.sqlite").display().to_string(),
        )
        .unwrap();
        jwt_auth_server::schema::users::table
            .select(jwt_auth_server::schema::users::password)
            .first(&mut conn)
            .unwrap()
    };
    // The log is read on another thread: wait until the last request's line has arrived.
    let deadline = Instant::now() + Duration::from_secs(10);
    while server
        .log
        .lock()
        .unwrap()
        .matches("route=/api/reset-password")
        .count()
        < 1
        && Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(20));
    }
    let log = server.log.lock().unwrap().clone();
    assert!(
        log.contains("route=/api/login") && log.contains("status=401"),
        "one line per request:\n{log}"
    );
    assert!(
        log.contains("latency_ms=") && log.contains("request_id="),
        "{log}"
    );
    assert_eq!(
        log.matches("mail written").count(),
        2,
        "one line per mail, naming its file:\n{log}"
    );
    for event in [
        "event=\"login_failed\"",
        "event=\"login\"",
        "event=\"refresh\"",
        "event=\"logout\"",
        "event=\"password_reset\"",
        "event=\"email_verified\"",
    ] {
        assert!(log.contains(event), "no audit line {event}:\n{log}");
    }
    for (what, secret) in [
        ("password", password),
        ("wrong password", "wrong-password-value"),
        ("token", &token),
        ("refreshed token", &new_token),
        ("token signature", token.rsplit('.').next().unwrap()),
        ("hash", &hash),
        ("JWT secret", SECRET),
        ("email", "smoke@example.com"),
        ("new password", new_password),
        ("reset token", &reset_token),
        ("reset link", &reset_link),
        ("verification link", &verify_link),
        (
            "verification signature",
            verify_link.rsplit('=').next().unwrap(),
        ),
    ] {
        assert!(!log.contains(secret), "the log shows the {what}:\n{log}");
    }
}

#[test]
fn a_bad_setting_stops_the_start_with_one_line_naming_it() {
    let dir = WorkDir::new();
    let output = command(&dir.0, &[("JWT_SECRET", SECRET), ("JWT_TTL", "abc")])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("error: JWT_TTL:"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");

    let short = command(&dir.0, &[("JWT_SECRET", "short")])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&short.stderr);
    assert!(
        !short.status.success() && stderr.contains("JWT_SECRET") && !stderr.contains("short\""),
        "{stderr}"
    );

    let production = command(&dir.0, &[("APP_ENV", "production")])
        .output()
        .unwrap();
    assert!(!production.status.success());
    assert!(String::from_utf8_lossy(&production.stderr).contains("JWT_SECRET"));
    assert!(
        !dir.0.join("storage/jwt-secret").exists(),
        "production never generates a secret"
    );
}

#[test]
fn an_unreachable_database_fails_the_start_quickly() {
    let dir = WorkDir::new();
    let start = Instant::now();
    let output = command(
        &dir.0,
        &[
            ("JWT_SECRET", SECRET),
            ("DATABASE_URL", "postgres://root:pw@127.0.0.1:1/nothing"),
            ("DB_TIMEOUT", "1"),
        ],
    )
    .output()
    .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("error: cannot connect to PostgreSQL at postgres://127.0.0.1:1/nothing"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("panicked") && !stderr.contains(":pw@"),
        "{stderr}"
    );
    assert!(
        start.elapsed() < Duration::from_secs(6),
        "took {:?}",
        start.elapsed()
    );
}

/// `migrate` in `dir` with APP_ENV=local and nothing else set: development secrets are generated.
fn migrate_locally(dir: &WorkDir) -> std::process::Output {
    command(&dir.0, &[("APP_ENV", "local")])
        .arg("migrate")
        .output()
        .unwrap()
}

#[test]
fn without_jwt_secret_a_development_secret_is_generated_once() {
    let dir = WorkDir::new();
    let migrate = || migrate_locally(&dir);
    let first = migrate();
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let secret = std::fs::read_to_string(dir.0.join("storage/jwt-secret")).unwrap();
    assert_eq!(secret.len(), 64);
    assert!(!String::from_utf8_lossy(&first.stderr).contains(&secret));
    assert!(String::from_utf8_lossy(&first.stdout).contains("Migrated: "));
    let second = migrate();
    assert!(String::from_utf8_lossy(&second.stdout).contains("Nothing to migrate."));
    assert_eq!(
        std::fs::read_to_string(dir.0.join("storage/jwt-secret")).unwrap(),
        secret
    );
}

#[test]
fn jwt_secret_prints_or_writes_a_new_secret() {
    let dir = WorkDir::new();
    let printed = command(&dir.0, &[]).arg("jwt:secret").output().unwrap();
    let secret = String::from_utf8(printed.stdout).unwrap();
    assert_eq!(secret.trim().len(), 64);

    std::fs::write(dir.0.join(".env"), "APP_PORT=9000\n").unwrap();
    assert!(
        command(&dir.0, &[])
            .args(["jwt:secret", "--write"])
            .status()
            .unwrap()
            .success()
    );
    let env = std::fs::read_to_string(dir.0.join(".env")).unwrap();
    assert!(
        env.starts_with("APP_PORT=9000\nJWT_SECRET=") && env.len() > 80,
        "{env}"
    );

    let again = command(&dir.0, &[])
        .args(["jwt:secret", "--write"])
        .output()
        .unwrap();
    assert!(
        !again.status.success(),
        "an existing secret is kept without --force"
    );
    assert_eq!(std::fs::read_to_string(dir.0.join(".env")).unwrap(), env);
    assert!(
        command(&dir.0, &[])
            .args(["jwt:secret", "--write", "--force"])
            .status()
            .unwrap()
            .success()
    );
    assert_ne!(std::fs::read_to_string(dir.0.join(".env")).unwrap(), env);
    // A secret written as `export JWT_SECRET=…` is one too, and --force replaces it.
    std::fs::write(
        dir.0.join(".env"),
        "export JWT_SECRET=old-old-old-old-old-old-old-old-old\n",
    )
    .unwrap();
    assert!(
        !command(&dir.0, &[])
            .args(["jwt:secret", "--write"])
            .status()
            .unwrap()
            .success()
    );
    assert!(
        command(&dir.0, &[])
            .args(["jwt:secret", "--write", "--force"])
            .status()
            .unwrap()
            .success()
    );
    let env = std::fs::read_to_string(dir.0.join(".env")).unwrap();
    assert!(
        !env.contains("old-old") && env.starts_with("JWT_SECRET="),
        "{env}"
    );
}

/// Issue 9, point 9: .env holds secrets, so it is written whole (a temporary file renamed over
/// it) and readable by its owner only.
#[cfg(unix)]
#[test]
fn secrets_are_written_to_a_private_env_file_in_one_step() {
    use std::os::unix::fs::PermissionsExt;
    let dir = WorkDir::new();
    let mode = || {
        std::fs::metadata(dir.0.join(".env"))
            .unwrap()
            .permissions()
            .mode()
            & 0o777
    };
    let run = |args: &[&str]| command(&dir.0, &[]).args(args).output().unwrap();
    assert!(run(&["jwt:secret", "--write"]).status.success());
    assert_eq!(mode(), 0o600, "a new .env");
    std::fs::set_permissions(dir.0.join(".env"), std::fs::Permissions::from_mode(0o644)).unwrap();
    assert!(run(&["key:generate", "--write"]).status.success());
    assert_eq!(mode(), 0o600, "a rewritten .env");
    let env = std::fs::read_to_string(dir.0.join(".env")).unwrap();
    assert!(
        env.starts_with("JWT_SECRET=") && env.contains("\nAPP_KEY=base64:"),
        "{env}"
    );
    let leftovers: Vec<_> = std::fs::read_dir(&dir.0)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.file_name())
        .collect();
    assert_eq!(
        leftovers,
        [std::ffi::OsString::from(".env")],
        "no temporary file is left"
    );
    assert!(
        !run(&["key:generate", "--write"]).status.success(),
        "an existing APP_KEY is kept without --force"
    );
    assert!(
        run(&["key:generate", "--write", "--force"])
            .status
            .success()
    );
    assert_ne!(std::fs::read_to_string(dir.0.join(".env")).unwrap(), env);
}

#[test]
fn key_generate_prints_a_laravel_app_key() {
    let dir = WorkDir::new();
    let printed = command(&dir.0, &[]).arg("key:generate").output().unwrap();
    let key = String::from_utf8(printed.stdout).unwrap();
    let key = key.trim();
    assert!(key.starts_with("base64:") && key.len() == 51, "{key}");
    assert!(jwt_auth_server::crypto::AppKey::parse(key).is_ok());
}

/// Issue 9, point 9: a secret file the server wrote itself is refused once others can read it.
#[cfg(unix)]
#[test]
fn a_development_secret_readable_by_others_stops_the_start() {
    use std::os::unix::fs::PermissionsExt;
    let dir = WorkDir::new();
    let migrate = || migrate_locally(&dir);
    assert!(migrate().status.success());
    for file in ["storage/jwt-secret", "storage/app-key"] {
        let path = dir.0.join(file);
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600,
            "{file}"
        );
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let refused = migrate();
        let stderr = String::from_utf8_lossy(&refused.stderr);
        assert!(!refused.status.success());
        assert!(
            stderr.contains(&format!("{file} is readable by group or others"))
                && stderr.contains("chmod 600"),
            "{stderr}"
        );
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    assert!(migrate().status.success());
}

#[test]
fn blacklist_prune_deletes_only_expired_entries() {
    use diesel::connection::SimpleConnection;
    use diesel::prelude::*;
    let dir = WorkDir::new();
    let env = [("JWT_SECRET", SECRET), ("DATABASE_URL", "db.sqlite")];
    assert!(
        command(&dir.0, &env)
            .arg("migrate")
            .status()
            .unwrap()
            .success()
    );
    let mut conn =
        SqliteConnection::establish(&dir.0.join("db.sqlite").display().to_string()).unwrap();
    let user = "01900000-0000-7000-8000-000000000001";
    let mut sql = format!(
        "INSERT INTO users (id, name, email, password, created_at, updated_at) VALUES ('{user}', 'N', 'n@example.com', 'x', '2026-01-01 00:00:00', '2026-01-01 00:00:00');"
    );
    for i in 0..2500 {
        let expires = if i < 2400 {
            "2000-01-01 00:00:00"
        } else {
            "2999-01-01 00:00:00"
        };
        sql.push_str(&format!(
            "INSERT INTO blacklisted_tokens VALUES ('01900000-0000-7000-8000-{i:012}', '{user}', '{expires}', '{expires}', NULL, NULL, NULL, '2026-01-01 00:00:00');"
        ));
    }
    conn.batch_execute(&sql).unwrap();
    let output = command(&dir.0, &env)
        .arg("blacklist:prune")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        String::from_utf8_lossy(&output.stdout).contains("Pruned 2400 expired blacklist entries.")
    );
    let left: i64 = jwt_auth_server::schema::blacklisted_tokens::table
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(left, 100);
    // `prune` is the command's name now; `blacklist:prune` above is its old one.
    let again = command(&dir.0, &env).arg("prune").output().unwrap();
    assert!(String::from_utf8_lossy(&again.stdout).contains("Pruned 0 expired blacklist entries."));
}

#[test]
fn client_commands_create_list_and_delete_oauth_clients() {
    let dir = WorkDir::new();
    let env = [("JWT_SECRET", SECRET), ("DATABASE_URL", "db.sqlite")];
    let run = |args: &[&str]| {
        let output = command(&dir.0, &env).args(args).output().unwrap();
        assert!(
            output.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    };
    let confidential = run(&["client:create", "--name", "Mobile app", "--password-grant"]);
    let lines: Vec<&str> = confidential.lines().collect();
    assert_eq!(lines.len(), 2, "{confidential}");
    let id = lines[0].strip_prefix("client_id: ").unwrap();
    let secret = lines[1].strip_prefix("client_secret: ").unwrap();
    assert_eq!(secret.len(), 64);
    let public = run(&[
        "client:create",
        "--name",
        "SPA",
        "--public",
        "--scopes",
        "offline_access read",
    ]);
    assert!(
        public.starts_with("client_id: ") && !public.contains("client_secret"),
        "{public}"
    );

    let list = run(&["client:list"]);
    assert!(
        list.contains(id) && list.contains("confidential") && list.contains("public"),
        "{list}"
    );
    assert!(
        list.contains("password refresh_token") && list.contains("offline_access read"),
        "{list}"
    );
    assert!(!list.contains(secret), "the secret is shown only once");

    assert!(run(&["client:delete", id]).contains("Deleted client"));
    assert!(!run(&["client:list"]).contains(id));
    assert!(
        !command(&dir.0, &env)
            .args(["client:delete", id])
            .status()
            .unwrap()
            .success()
    );
}

#[test]
fn client_create_takes_the_code_flow_options_and_refuses_a_redirect_uri_that_breaks_the_rules() {
    let dir = WorkDir::new();
    let env = [("JWT_SECRET", SECRET), ("DATABASE_URL", "db.sqlite")];
    let create = |args: &[&str]| {
        let output = command(&dir.0, &env)
            .arg("client:create")
            .args(["--name", "App"])
            .args(args)
            .output()
            .unwrap();
        (
            output.status.success(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    };
    let (ok, out, err) = create(&[
        "--public",
        "--authorization-code",
        "--redirect-uri",
        "https://app.example.com/callback",
        "--redirect-uri",
        "http://127.0.0.1/callback",
        "--redirect-uri",
        "com.example.app:/oauth2redirect",
        "--resource",
        "https://orders.example",
        "--skip-consent",
    ]);
    assert!(ok, "{err}");
    let id = out
        .lines()
        .next()
        .unwrap()
        .strip_prefix("client_id: ")
        .unwrap()
        .to_owned();
    let list = command(&dir.0, &env).arg("client:list").output().unwrap();
    let list = String::from_utf8_lossy(&list.stdout);
    for shown in [
        "authorization_code refresh_token",
        "redirect_uri: https://app.example.com/callback",
        "redirect_uri: http://127.0.0.1/callback",
        "redirect_uri: com.example.app:/oauth2redirect",
        "resource: https://orders.example",
        "skips consent",
    ] {
        assert!(list.contains(shown), "{shown} in {list}");
    }
    assert!(list.contains(&id));
    for (args, why) in [
        (
            &["--redirect-uri", "http://app.example.com/cb"][..],
            "loopback",
        ),
        (
            &["--redirect-uri", "https://app.example.com/cb#x"],
            "fragment",
        ),
        (&["--redirect-uri", "https://*.example.com/cb"], "wildcard"),
        (&["--redirect-uri", "myapp:/cb"], "private-use"),
        (&["--authorization-code"], "--redirect-uri"),
        (&["--public", "--client-credentials"], "confidential"),
        (&["--resource", "orders"], "absolute URI"),
    ] {
        let (ok, _, err) = create(args);
        assert!(!ok, "{args:?} was accepted");
        assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
        assert!(err.contains(why), "{args:?}: {err}");
    }
}

#[test]
fn db_seed_inserts_users_each_with_a_session() {
    let dir = WorkDir::new();
    let env = [
        ("JWT_SECRET", SECRET),
        ("DATABASE_URL", "db.sqlite"),
        ("APP_ENV", "testing"),
        ("BCRYPT_ROUNDS", "4"),
    ];
    let output = command(&dir.0, &env)
        .args(["db:seed", "--users", "3"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let lines: Vec<Vec<String>> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|l| l.split(',').map(str::to_owned).collect())
        .collect();
    assert_eq!(lines.len(), 3);
    assert!(
        lines
            .iter()
            .all(|fields| fields.len() == 4 && fields[1].ends_with("@example.test")),
        "{lines:?}"
    );
    assert!(
        lines.iter().all(|fields| fields[3].split('.').count() == 3),
        "a signed token each"
    );
    let mut conn =
        diesel::SqliteConnection::establish(&dir.0.join("db.sqlite").display().to_string())
            .unwrap();
    use diesel::prelude::*;
    let sessions: i64 = jwt_auth_server::schema::sessions::table
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(sessions, 3);
}

#[test]
fn keys_commands_generate_rotate_list_and_retire() {
    let dir = WorkDir::new();
    let env = [
        ("APP_ENV", "testing"),
        ("DATABASE_URL", "db.sqlite"),
        ("JWT_ALGO", "ES256"),
    ];
    let run = |args: &[&str]| command(&dir.0, &env).args(args).output().unwrap();
    let text = |output: &std::process::Output| String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(run(&["migrate"]).status.success());
    let generated = run(&["keys:generate"]);
    assert!(
        generated.status.success(),
        "{}",
        String::from_utf8_lossy(&generated.stderr)
    );
    let listed = text(&run(&["keys:list"]));
    assert!(
        listed.contains("next") && listed.contains("ES256"),
        "{listed}"
    );
    let rotated = run(&["keys:rotate"]);
    assert!(
        text(&rotated).starts_with("Current key: "),
        "{}",
        text(&rotated)
    );
    // A second rotation without a next key makes one first; the first key becomes previous.
    assert!(text(&run(&["keys:rotate"])).starts_with("Current key: "));
    let listed = text(&run(&["keys:list"]));
    let previous = listed
        .lines()
        .find(|l| l.contains(" previous "))
        .expect("a previous key")
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();
    // A kid is base64url and may begin with `-`: read as the kid, never as a flag.
    let dashed = run(&["keys:retire", "-dashed-kid"]);
    assert!(
        String::from_utf8_lossy(&dashed.stderr)
            .contains("-dashed-kid is not a key that can be retired"),
        "{}",
        String::from_utf8_lossy(&dashed.stderr)
    );
    assert!(run(&["keys:retire", &previous]).status.success());
    assert!(text(&run(&["keys:list"])).contains(" retired "));
    let again = run(&["keys:retire", &previous]);
    assert!(
        !again.status.success()
            && String::from_utf8_lossy(&again.stderr).contains("is not a key that can be retired")
    );
    let current = listed
        .lines()
        .find(|l| l.contains(" current "))
        .expect("a current key")
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();
    let signing = run(&["keys:retire", &current]);
    assert!(!signing.status.success(), "the current key signs");
    // A start under HS256 demotes it (it signs nothing there); then it can be retired.
    let hs256_env = [
        ("APP_ENV", "testing"),
        ("DATABASE_URL", "db.sqlite"),
        ("JWT_SECRET", SECRET),
        ("APP_PORT", "0"),
    ];
    let mut hs256_server = command(&dir.0, &hs256_env)
        .stderr(Stdio::null())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while !text(&run(&["keys:list"]))
        .lines()
        .any(|l| l.starts_with(&current) && l.contains(" previous "))
    {
        assert!(
            Instant::now() < deadline,
            "the HS256 start never demoted the current key"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = hs256_server.kill();
    let _ = hs256_server.wait();
    let retired = command(&dir.0, &hs256_env)
        .args(["keys:retire", &current])
        .output()
        .unwrap();
    assert!(
        retired.status.success(),
        "{}",
        String::from_utf8_lossy(&retired.stderr)
    );
    assert!(!text(&run(&["keys:list"])).contains(" current "));
    // HS256 signs with JWT_SECRET: the ring commands say so instead of doing anything.
    let hs256 = command(
        &dir.0,
        &[
            ("APP_ENV", "testing"),
            ("DATABASE_URL", "db.sqlite"),
            ("JWT_SECRET", SECRET),
        ],
    )
    .arg("keys:rotate")
    .output()
    .unwrap();
    assert!(
        !hs256.status.success()
            && String::from_utf8_lossy(&hs256.stderr).contains("JWT_ALGO is HS256")
    );
}

/// Issue 13, graceful shutdown: SIGTERM during 20 concurrent logins loses none of them. Readiness
/// turns 503 at once while the server keeps serving for SHUTDOWN_DELAY; then the logins in flight
/// finish, new connections are refused, and the process exits 0.
#[cfg(unix)]
#[test]
fn sigterm_turns_readiness_off_then_finishes_every_login_in_flight() {
    use std::sync::Barrier;
    let dir = WorkDir::new();
    let mut child = command(
        &dir.0,
        &[
            ("APP_ENV", "testing"),
            ("APP_PORT", "0"),
            ("DATABASE_URL", "db.sqlite"),
            ("JWT_SECRET", SECRET),
            ("BCRYPT_ROUNDS", "10"),
            ("HASH_CONCURRENCY", "1"),
            ("HASH_QUEUE_TIMEOUT", "60"),
            ("RATE_LIMIT_ENABLED", "false"),
            ("SHUTDOWN_DELAY", "1"),
            ("RUST_LOG", "info"),
        ],
    )
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    let stderr = BufReader::new(child.stderr.take().unwrap());
    let (address_tx, address_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in stderr.lines().map_while(Result::ok) {
            if let Some(rest) = line.split("listening on ").nth(1) {
                let _ = address_tx.send(rest.split_whitespace().next().unwrap_or("").to_owned());
            }
        }
    });
    let address = address_rx
        .recv_timeout(Duration::from_secs(20))
        .expect("the server starts");
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let post = |agent: &ureq::Agent, path: &str, body: Value| {
        agent
            .post(format!("{address}{path}"))
            .header("Content-Type", "application/json")
            .send(body.to_string())
            .map(|r| r.status().as_u16())
    };
    let body =
        json!({ "name": "N", "email": "term@example.com", "password": "a long enough password" });
    assert_eq!(post(&agent, "/api/register", body).unwrap(), 201);
    let barrier = Arc::new(Barrier::new(21));
    let logins: Vec<_> = (0..20)
        .map(|_| {
            let (agent, barrier, address) = (agent.clone(), barrier.clone(), address.clone());
            std::thread::spawn(move || {
                barrier.wait();
                agent
                    .post(format!("{address}/api/login"))
                    .header("Content-Type", "application/json")
                    .send(json!({ "email": "term@example.com", "password": "a long enough password" }).to_string())
                    .map(|r| r.status().as_u16())
                    .map_err(|e| e.to_string())
            })
        })
        .collect();
    barrier.wait();
    std::thread::sleep(Duration::from_millis(200)); // the logins are queued behind bcrypt
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    std::thread::sleep(Duration::from_millis(200));
    let ready = agent.get(format!("{address}/health/ready")).call().unwrap();
    assert_eq!(ready.status().as_u16(), 503, "readiness turns off at once");
    let live = agent.get(format!("{address}/health/live")).call().unwrap();
    assert_eq!(
        live.status().as_u16(),
        200,
        "while the listener still serves"
    );
    let answers: Vec<Result<u16, String>> = logins.into_iter().map(|l| l.join().unwrap()).collect();
    assert!(
        answers.iter().all(|a| *a == Ok(200)),
        "every login in flight got its answer: {answers:?}"
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "the server did not exit");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "exit {status:?}");
    assert!(
        agent.get(format!("{address}/health/live")).call().is_err(),
        "no new connections after the stop"
    );
}

/// Issue 21: everything the server creates under storage/ is private to its user, whatever the
/// umask it was started with (here the test's own, usually 022); a file widened by hand is
/// narrowed again at the next start.
#[cfg(unix)]
#[test]
fn storage_files_are_private_after_a_first_start_and_narrowed_at_the_next() {
    use std::os::unix::fs::PermissionsExt;
    let dir = WorkDir::new();
    let mode = |relative: &str| {
        std::fs::metadata(dir.0.join(relative))
            .unwrap_or_else(|e| panic!("{relative}: {e}"))
            .permissions()
            .mode()
            & 0o777
    };
    let server = Server::start(&dir.0, "storage/database.sqlite");
    let email = "modes@example.com";
    let body = json!({ "name": "M", "email": email, "password": "correct horse", "password_confirmation": "correct horse" });
    assert_eq!(
        server.call("POST", "/api/register", None, Some(body)).0,
        201
    );
    let forgot = server.call(
        "POST",
        "/api/forgot-password",
        None,
        Some(json!({ "email": email })),
    );
    assert_eq!(forgot.0, 200);
    let deadline = Instant::now() + Duration::from_secs(5);
    let mails = loop {
        let mails: Vec<PathBuf> = std::fs::read_dir(dir.0.join("storage/mail"))
            .map(|entries| entries.filter_map(|e| Some(e.ok()?.path())).collect())
            .unwrap_or_default();
        if mails.len() >= 2 || Instant::now() > deadline {
            break mails;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(mails.len(), 2, "the verification and the reset mail");
    for folder in ["storage", "storage/mail"] {
        assert_eq!(mode(folder), 0o700, "{folder}");
    }
    for file in [
        "storage/database.sqlite",
        "storage/database.sqlite-wal",
        "storage/database.sqlite-shm",
    ] {
        assert_eq!(mode(file), 0o600, "{file}");
    }
    for mail in &mails {
        let bits = std::fs::metadata(mail).unwrap().permissions().mode() & 0o777;
        assert_eq!(bits, 0o600, "{}", mail.display());
    }
    drop(server);
    // Widened by hand (an old release, a copy): the next start narrows them and says so.
    let widen = |relative: &str, bits: u32| {
        std::fs::set_permissions(dir.0.join(relative), std::fs::Permissions::from_mode(bits))
            .unwrap()
    };
    widen("storage", 0o755);
    widen("storage/database.sqlite", 0o644);
    widen(
        &format!(
            "storage/mail/{}",
            mails[0].file_name().unwrap().to_string_lossy()
        ),
        0o644,
    );
    let server = Server::start(&dir.0, "storage/database.sqlite");
    assert_eq!(
        (mode("storage"), mode("storage/database.sqlite")),
        (0o700, 0o600)
    );
    let bits = std::fs::metadata(&mails[0]).unwrap().permissions().mode() & 0o777;
    assert_eq!(bits, 0o600);
    let log = server.log.lock().unwrap().clone();
    assert!(log.contains("narrowed a storage file's mode"), "{log}");
}
