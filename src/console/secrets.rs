//! `jwt:secret` and `key:generate` (tymon's and Laravel's): a new secret printed, or written into
//! `.env` in one step as a private file.

use std::path::Path;

use crate::config::{generate_app_key, generate_secret};

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
