//! A setting that stops the start, and every such setting of one read gathered into one error.

/// A setting that stops the start, naming its variable; with every other one found in the same
/// read (`also`), so that a first start lists all of them at once.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{var}: {message}{}", self.also.iter().map(|e| format!("\n{e}")).collect::<String>())]
pub struct ConfigError {
    pub var: &'static str,
    pub message: String,
    /// The other settings that stop the start, in the order they were read.
    pub also: Vec<ConfigError>,
}

pub(crate) fn invalid(var: &'static str, message: impl Into<String>) -> ConfigError {
    ConfigError {
        var,
        message: message.into(),
        also: Vec::new(),
    }
}

/// The errors of a read, gathered section by section.
#[derive(Default)]
pub(super) struct Errors(Vec<ConfigError>);

impl Errors {
    pub(super) fn ok<T>(&mut self, result: Result<T, ConfigError>) -> Option<T> {
        result.map_err(|e| self.0.push(e)).ok()
    }

    pub(super) fn into_error(self) -> ConfigError {
        let mut all = self.0.into_iter();
        match all.next() {
            Some(first) => ConfigError {
                also: all.collect(),
                ..first
            },
            None => invalid("APP_ENV", "the settings could not be read"),
        }
    }
}
