//! Space-delimited scope lists (RFC 6749 §3.3), kept sorted and without duplicates.

use std::collections::BTreeSet;
use std::fmt;

/// The scope that asks for a refresh token (Auth0's and OpenID Connect's rule).
pub const OFFLINE_ACCESS: &str = "offline_access";

/// A set of scopes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scopes(BTreeSet<String>);

impl Scopes {
    /// Parses `"a b  c"`; `None` when a scope has characters RFC 6749 does not allow.
    pub fn parse(text: &str) -> Option<Self> {
        let valid = |s: &str| {
            s.bytes()
                .all(|b| b == 0x21 || (0x23..=0x5b).contains(&b) || (0x5d..=0x7e).contains(&b))
        };
        let scopes: BTreeSet<String> = text
            .split(' ')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        scopes.iter().all(|s| valid(s)).then_some(Self(scopes))
    }

    /// Whether every scope here is also in `other`.
    pub fn is_subset(&self, other: &Scopes) -> bool {
        self.0.is_subset(&other.0)
    }

    /// Leaves `scope` out.
    pub fn remove(&mut self, scope: &str) {
        self.0.remove(scope);
    }

    /// The scopes, in order.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }

    /// Whether `scope` is granted.
    pub fn contains(&self, scope: &str) -> bool {
        self.0.contains(scope)
    }
}

impl fmt::Display for Scopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let joined: Vec<&str> = self.0.iter().map(String::as_str).collect();
        f.write_str(&joined.join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_are_a_sorted_set() {
        let scopes = Scopes::parse("read  offline_access read").unwrap();
        assert_eq!(scopes.to_string(), "offline_access read");
        assert!(scopes.contains(OFFLINE_ACCESS));
        assert!(Scopes::parse("read").unwrap().is_subset(&scopes));
        assert!(!Scopes::parse("write").unwrap().is_subset(&scopes));
        assert!(Scopes::parse("bad\"quote").is_none());
        assert_eq!(Scopes::parse("").unwrap(), Scopes::default());
    }
}
