//! Redirect URIs of the authorization code grant (OAuth 2.1 §2.3.1, RFC 8252 §7, RFC 9700 §4.1):
//! registered exactly, matched exactly — but for the loopback interface, whose port a native app
//! picks at run time.

use url::{Host, Url};

/// Why a redirect URI cannot be registered, or `Ok`: `https` with a host; `http` only on the
/// loopback interface (`127.0.0.1`, `[::1]`, `localhost`); or a private-use scheme of a native app
/// (a reverse domain name such as `com.example.app:/callback`). Never a fragment, a wildcard or
/// user information.
pub fn check(uri: &str) -> Result<(), &'static str> {
    let url = Url::parse(uri).map_err(|_| "not an absolute URI")?;
    if url.fragment().is_some() || uri.contains('#') {
        return Err("a redirect URI has no fragment (RFC 6749 §3.1.2)");
    }
    if uri.contains('*') {
        return Err("no wildcards: redirect URIs are matched exactly");
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("no user information in a redirect URI");
    }
    let answered = ["code", "state", "iss", "error", "error_description"];
    if url
        .query_pairs()
        .any(|(name, _)| answered.contains(&name.as_ref()))
    {
        return Err("its query names a parameter of the answer (code, state, iss, error)");
    }
    match url.scheme() {
        "https" if url.host().is_some() => Ok(()),
        "https" => Err("an https redirect URI needs a host"),
        "http" if is_loopback(&url) => Ok(()),
        "http" => {
            Err("http only on the loopback interface (127.0.0.1, [::1], localhost): use https")
        }
        scheme if scheme.contains('.') => Ok(()),
        _ => Err(
            "https, http on the loopback interface, or a private-use scheme (a reverse domain name, e.g. com.example.app:/callback)",
        ),
    }
}

/// Whether `presented` is the registered `registered`: the same string, except that on the
/// loopback interface over http any port matches (RFC 8252 §7.3).
pub fn matches(registered: &str, presented: &str) -> bool {
    if registered == presented {
        return true;
    }
    let (Ok(registered), Ok(presented)) = (Url::parse(registered), Url::parse(presented)) else {
        return false;
    };
    registered.scheme() == "http"
        && presented.scheme() == "http"
        && is_loopback(&registered)
        && registered.host() == presented.host()
        && registered.path() == presented.path()
        && registered.query() == presented.query()
        && presented.fragment().is_none()
        && presented.username().is_empty()
        && presented.password().is_none()
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Ipv4(ip)) => ip.is_loopback() && ip.octets() == [127, 0, 0, 1],
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        Some(Host::Domain(name)) => name == "localhost",
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_loopback_http_and_private_use_schemes_are_registered_and_nothing_else() {
        for good in [
            "https://app.example.com/callback",
            "https://app.example.com/cb?tenant=1",
            "http://127.0.0.1/callback",
            "http://127.0.0.1:8400/callback",
            "http://[::1]/cb",
            "http://localhost:3000/cb",
            "com.example.app:/oauth2redirect",
        ] {
            assert_eq!(check(good), Ok(()), "{good}");
        }
        for bad in [
            "http://app.example.com/callback",
            "https://app.example.com/cb#frag",
            "https://*.example.com/cb",
            "https://user:pw@app.example.com/cb",
            "javascript:alert(1)",
            "data:text/html,hi",
            "myapp:/cb",
            "/relative/callback",
            "http://127.0.0.2/cb",
            "https://app.example.com/cb?state=fixed",
        ] {
            assert!(check(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_redirect_uri_matches_exactly_but_for_the_loopback_port() {
        let loopback = "http://127.0.0.1/callback";
        assert!(matches(loopback, "http://127.0.0.1:51004/callback"));
        assert!(matches(
            "http://127.0.0.1:8000/callback",
            "http://127.0.0.1:9/callback"
        ));
        assert!(matches("http://[::1]/cb", "http://[::1]:4000/cb"));
        assert!(!matches(loopback, "http://127.0.0.1:51004/callback/x"));
        assert!(!matches(loopback, "http://localhost:51004/callback"));
        assert!(!matches(loopback, "http://127.0.0.1:51004/callback#x"));
        let web = "https://app.example.com/cb";
        assert!(matches(web, web));
        assert!(!matches(web, "https://app.example.com:444/cb"));
        assert!(!matches(web, "https://app.example.com/cb/"));
        assert!(!matches(web, "https://APP.example.com/cb"));
    }
}
