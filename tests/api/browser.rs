//! A browser for the OAuth pages' tests: it keeps the cookies the server sets and posts forms
//! with their hidden fields, as a person's browser would; and a PKCE pair to start with.

use std::cell::RefCell;
use std::collections::HashMap;

use aws_lc_rs::digest;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::helpers::{TestApp, TestResponse};

/// A PKCE pair: (verifier, S256 challenge).
pub fn pkce() -> (String, String) {
    let verifier = format!(
        "{}{}",
        uuid::Uuid::now_v7().simple(),
        uuid::Uuid::now_v7().simple()
    );
    let challenge = URL_SAFE_NO_PAD.encode(digest::digest(&digest::SHA256, verifier.as_bytes()));
    (verifier, challenge)
}

/// A browser: keeps the cookies the server sets and sends them back.
pub struct Browser<'a> {
    app: &'a TestApp,
    cookies: RefCell<HashMap<String, String>>,
}

impl<'a> Browser<'a> {
    pub fn new(app: &'a TestApp) -> Self {
        Self {
            app,
            cookies: RefCell::default(),
        }
    }

    pub fn send(&self, request: crate::helpers::TestRequest<'_>) -> TestResponse {
        let jar: Vec<String> = self
            .cookies
            .borrow()
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        let request = if jar.is_empty() {
            request
        } else {
            request.header("Cookie", &jar.join("; "))
        };
        let response = request.send();
        for value in response.headers.get_all("set-cookie") {
            let pair = value.to_str().unwrap().split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            self.cookies
                .borrow_mut()
                .insert(name.to_owned(), value.to_owned());
        }
        response
    }

    pub fn get(&self, path: &str) -> TestResponse {
        self.send(self.app.get(path))
    }

    /// Posts the page's form (its action and hidden fields) with `fields` added.
    pub fn submit(&self, page: &TestResponse, fields: &[(&str, &str)]) -> TestResponse {
        let html = &page.text;
        let action = attribute(html, "action=\"").expect("a form");
        let mut body: Vec<(String, String)> = hidden_fields(html);
        body.extend(fields.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        self.send(
            self.app
                .post(&action)
                .form(&serde_urlencoded::to_string(&body).unwrap()),
        )
    }
}

/// The value after `marker` up to the next quote, HTML-unescaped.
pub fn attribute(html: &str, marker: &str) -> Option<String> {
    let start = html.find(marker)? + marker.len();
    let end = html[start..].find('"')? + start;
    Some(unescape(&html[start..end]))
}

/// HTML's character references as askama writes them (`&#38;`), and the named ones.
fn unescape(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let end = rest[at..].find(';').map(|e| at + e).unwrap();
        let entity = &rest[at + 1..end];
        out.push(match entity {
            "amp" => '&',
            "lt" => '<',
            "gt" => '>',
            "quot" => '"',
            "apos" => '\'',
            _ if entity.starts_with("#x") => {
                char::from_u32(u32::from_str_radix(&entity[2..], 16).unwrap()).unwrap()
            }
            _ => char::from_u32(entity[1..].parse().unwrap()).unwrap(),
        });
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

/// Every `<input type="hidden" name=… value=…>` of the page.
pub fn hidden_fields(html: &str) -> Vec<(String, String)> {
    html.split("<input type=\"hidden\" ")
        .skip(1)
        .map(|rest| {
            (
                attribute(rest, "name=\"").unwrap(),
                attribute(rest, "value=\"").unwrap(),
            )
        })
        .collect()
}

/// The query parameters of a 303's Location.
pub fn redirected(response: &TestResponse) -> (String, HashMap<String, String>) {
    assert_eq!(response.status, 303, "{}", response.text);
    let location = response.header("location").unwrap().to_owned();
    let (base, query) = location.split_once('?').unwrap();
    let params: Vec<(String, String)> = serde_urlencoded::from_str(query).unwrap();
    (base.to_owned(), params.into_iter().collect())
}
