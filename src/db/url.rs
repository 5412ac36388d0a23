//! DATABASE_URL: which backend it names, and what of it a log line may show.

/// Which database a DATABASE_URL names, and how to open it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// A `postgres://` or `postgresql://` URL, handed to libpq as is.
    Postgres(String),
    /// The path of an SQLite file (from `sqlite://PATH`, `sqlite:PATH` or a bare path).
    Sqlite(String),
}

impl DatabaseUrl {
    /// Reads the scheme; anything that is neither Postgres nor a URL at all is an SQLite path.
    pub fn parse(url: &str) -> Result<Self, String> {
        let url = url.trim();
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            // An unescaped `@` or `/` in the password splits the URL elsewhere than meant, and
            // libpq would then quote a piece of the password as a host or database name.
            let rest = url.split_once("://").map_or("", |(_, rest)| rest);
            let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
            let path = path.split(['?', '#']).next().unwrap_or_default();
            if authority.matches('@').count() > 1 || path.contains('@') {
                return Err(
                    "the PostgreSQL URL is malformed: escape @ as %40 and / as %2F in the user and password"
                        .into(),
                );
            }
            return Ok(Self::Postgres(url.to_owned()));
        }
        let path = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .unwrap_or(url);
        // A libpq key=value string ("host=db password=…") is not a path: never open it as one.
        if path.is_empty() || path.contains("://") || path == ":memory:" || path.contains('=') {
            return Err(format!(
                "unsupported database URL (use postgres://…, sqlite://PATH or a file path): {}",
                redact_url(url)
            ));
        }
        Ok(Self::Sqlite(path.to_owned()))
    }

    /// The database's name, for hints (`createdb NAME`): PostgreSQL only, when the URL parses.
    pub fn database_name(&self) -> Option<String> {
        let Self::Postgres(url) = self else {
            return None;
        };
        let parsed = url::Url::parse(url).ok()?;
        let name = parsed.path().trim_start_matches('/');
        let name = percent_encoding::percent_decode_str(name)
            .decode_utf8()
            .ok()?;
        (!name.is_empty() && !name.contains(['/', '@'])).then(|| name.into_owned())
    }

    /// A name for logs: the backend and where it is, never a password.
    pub fn describe(&self) -> String {
        match self {
            Self::Postgres(url) => format!("PostgreSQL at {}", redact_url(url)),
            Self::Sqlite(path) => format!("SQLite at {path}"),
        }
    }
}

/// What logs and error messages may show of a database URL: scheme, host, port and database name.
/// Never the user, the password (also one with an `@`) or the query (`?password=`, `sslpassword=`).
fn redact_url(url: &str) -> String {
    let Ok(parsed) = url::Url::parse(url) else {
        let scheme = url.split_once("://").map_or("", |(scheme, _)| scheme);
        return format!("{scheme}://(unparseable URL)");
    };
    let host = parsed.host_str().unwrap_or("");
    let port = parsed.port().map(|p| format!(":{p}")).unwrap_or_default();
    // An '@' left in the path means the URL split inside an unencoded password ('/' in it).
    if parsed.path().contains('@') {
        return format!("{}://(unparseable URL)", parsed.scheme());
    }
    format!("{}://{host}{port}{}", parsed.scheme(), parsed.path())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_urls_select_their_backend() {
        let pg = DatabaseUrl::parse("postgres://root@127.0.0.1/app").unwrap();
        assert_eq!(
            pg,
            DatabaseUrl::Postgres("postgres://root@127.0.0.1/app".into())
        );
        assert!(matches!(
            DatabaseUrl::parse("postgresql://h/db"),
            Ok(DatabaseUrl::Postgres(_))
        ));
        for (url, path) in [
            ("sqlite://storage/db.sqlite", "storage/db.sqlite"),
            ("sqlite:///tmp/db.sqlite", "/tmp/db.sqlite"),
            ("sqlite:db.sqlite", "db.sqlite"),
            ("storage/database.sqlite", "storage/database.sqlite"),
        ] {
            assert_eq!(
                DatabaseUrl::parse(url),
                Ok(DatabaseUrl::Sqlite(path.into()))
            );
        }
        assert!(DatabaseUrl::parse("mysql://root:pw@localhost/db").is_err());
        let keywords = DatabaseUrl::parse("host=db user=app password=hunter2").unwrap_err();
        assert!(!keywords.contains("hunter2"), "{keywords}");
        assert!(DatabaseUrl::parse("").is_err());
    }

    #[test]
    fn an_unescaped_at_or_slash_in_a_password_is_refused_without_showing_it() {
        for url in [
            "postgres://app:hun@ter2@db/app",
            "postgres://app:hun/ter2@db/app",
        ] {
            let error = DatabaseUrl::parse(url).unwrap_err();
            assert!(
                error.contains("malformed") && !error.contains("ter2"),
                "{error}"
            );
        }
        assert!(DatabaseUrl::parse("postgres://app:hun%40ter2@db/app?user=x@y").is_ok());
    }

    #[test]
    fn passwords_in_database_urls_are_redacted() {
        let error = DatabaseUrl::parse("mysql://root:hunter2@localhost/db").unwrap_err();
        assert!(
            error.contains("mysql://localhost/db") && !error.contains("hunter2"),
            "{error}"
        );
        for (url, shown) in [
            ("postgres://app:hunter2@db/app", "postgres://db/app"),
            (
                "postgres://app:hun@ter2@db:5433/app",
                "postgres://db:5433/app",
            ),
            (
                "postgresql://db/app?password=hunter2",
                "postgresql://db/app",
            ),
            (
                "postgres://app@db/app?sslmode=verify-full&sslpassword=hunter2",
                "postgres://db/app",
            ),
            (
                "postgres://app:hunter2@[::1]:5432/app?user=x@y",
                "postgres://[::1]:5432/app",
            ),
            (
                "postgres://app:hunter2@db:99999/app",
                "postgres://(unparseable URL)",
            ),
            (
                "postgres://app:/hunter2@db/app",
                "postgres://(unparseable URL)",
            ),
        ] {
            let described = DatabaseUrl::Postgres(url.into()).describe();
            assert_eq!(described, format!("PostgreSQL at {shown}"), "{url}");
            assert!(
                !described.contains("hunter") && !described.contains("app@"),
                "{described}"
            );
        }
    }
}
