//! What the server keeps on disk (Laravel: `storage/`): the SQLite database, mail files, the
//! development secrets. All of it is private to the server's user: the process creates files 0600
//! and folders 0700, and files that already exist with wider modes are narrowed, with a warning.

use std::path::Path;

/// The default folder of everything the server writes.
pub const STORAGE_DIR: &str = "storage";

/// From now on this process creates files 0600 and folders 0700 (umask 077), whatever creates
/// them: SQLite's `-wal` and `-shm` files, lettre's mail files, folders made on the way.
pub fn private_by_default() {
    #[cfg(unix)]
    {
        // One of the crate's two unsafe calls (hashing has the other): libc has no safe wrapper for
        // umask(2), which cannot fail and touches nothing but the process's creation mask.
        #[allow(unsafe_code)]
        // SAFETY: umask(2) only swaps the process's file-creation mask; it has no failure mode.
        unsafe {
            libc::umask(0o077);
        }
    }
}

/// Narrows `path` to 0600 (a file) or 0700 (a folder) when group or others may use it, saying
/// so; a path that does not exist is left alone. Returns whether the mode changed.
pub fn make_private(path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let Ok(metadata) = std::fs::metadata(path) else {
            return false;
        };
        let mode = metadata.permissions().mode() & 0o777;
        if mode & 0o077 == 0 {
            return false;
        }
        let private = if metadata.is_dir() { 0o700 } else { 0o600 };
        match std::fs::set_permissions(path, std::fs::Permissions::from_mode(private)) {
            Ok(()) => {
                tracing::warn!(path = %path.display(), from = format!("{mode:o}"), to = format!("{private:o}"), "narrowed a storage file's mode: group and others could read it");
                true
            }
            Err(error) => {
                tracing::warn!(path = %path.display(), %error, "cannot make this storage file private");
                false
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        false
    }
}

/// [`make_private`] for `dir` and every file directly in it (the mail folder, `storage/`).
pub fn make_folder_private(dir: &Path) {
    make_private(dir);
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            if entry.file_type().is_ok_and(|t| t.is_file()) {
                make_private(&entry.path());
            }
        }
    }
}

/// [`make_private`] for an SQLite database and its `-wal` and `-shm` files.
pub fn make_database_private(path: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        make_private(Path::new(&name));
    }
}
