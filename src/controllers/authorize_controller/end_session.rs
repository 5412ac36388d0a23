//! `GET|POST /oauth/logout`, the OpenID Provider's `end_session_endpoint` (RP-Initiated Logout
//! 1.0): the session the `id_token_hint` names ends, the browser's sign-in too, and the browser
//! goes back to a registered `post_logout_redirect_uri` at once, or sees a signed-out page.
//! Without a hint, a browser that is signed in is asked to confirm first.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::flow::error_page;
use super::pages::{SESSION_COOKIE, bound, cookie, sign_out_page, signed_out_cookies};
use crate::auth::sessions::{self, SignedOut};
use crate::controllers::page::{self, message};
use crate::db::Id;
use crate::models::OAuthClient;
use crate::oauth::authorization::{self, with_query};
use crate::requests::Body;
use crate::state::AppState;

/// What this endpoint reads of an ID token: whose, for which client, which session.
#[derive(Debug, Deserialize)]
struct Hint {
    sub: Id,
    aud: Id,
    #[serde(default)]
    sid: Option<Id>,
    /// Only ID tokens carry it: an access token of ours is never taken for a hint.
    #[serde(rename = "auth_time")]
    _auth_time: i64,
}

/// `GET /oauth/logout?id_token_hint&post_logout_redirect_uri&state&client_id` (and the same as a
/// form post).
pub async fn end_session(
    state: web::Data<AppState>,
    req: HttpRequest,
    Body(body): Body,
) -> HttpResponse {
    let posted = req.method() == actix_web::http::Method::POST;
    let query = if posted {
        String::from_utf8_lossy(&body).into_owned()
    } else {
        req.query_string().to_owned()
    };
    let Some(parameters) = authorization::parameters(&query) else {
        return error_page(
            &state,
            "The request is malformed: a parameter is sent twice.",
        );
    };
    let get = |name: &str| {
        parameters
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    };
    let hint = match get("id_token_hint") {
        None => None,
        Some(token) => match state.jwt.read_id_token::<Hint>(token) {
            Some(hint) => Some(hint),
            None => {
                return error_page(
                    &state,
                    "The id_token_hint is not an ID token this server issued.",
                );
            }
        },
    };
    let client_id = match (get("client_id"), &hint) {
        (Some(sent), _) => match uuid::Uuid::parse_str(sent) {
            Ok(id) if hint.as_ref().is_none_or(|hint| hint.aud == Id(id)) => Some(Id(id)),
            _ => {
                return error_page(&state, "The client_id is not the ID token's audience.");
            }
        },
        (None, Some(hint)) => Some(hint.aud),
        (None, None) => None,
    };
    let client = match client_id {
        None => None,
        Some(id) => match state.db.read(move |conn| OAuthClient::find(conn, id)).await {
            Ok(client) => client,
            Err(error) => return page::failure(&state, "Sign out", &error),
        },
    };
    let browser = cookie(&state, &req, SESSION_COOKIE);
    // Without a hint nothing shows that the relying party asked: the user confirms (RP-Initiated
    // Logout §2), on a form bound to the sign-in it ends.
    if let (None, Some(signed_in)) = (&hint, &browser) {
        let binding = bound("sign-out", signed_in);
        let token = get("_token").unwrap_or_default();
        if !(posted && state.form_key.verify_base64url(&binding, token)) {
            let fields = ["post_logout_redirect_uri", "state", "client_id"]
                .into_iter()
                .filter_map(|name| get(name).map(|value| (name, value)))
                .collect();
            return sign_out_page(&state, signed_in, fields);
        }
    }
    let hinted = hint.map(|hint| SignedOut {
        user_id: hint.sub,
        session_id: hint.sid,
    });
    if let Err(error) = sessions::sign_out_browser(&state, hinted, browser).await {
        return page::failure(&state, "Sign out", &error);
    }
    let back = get("post_logout_redirect_uri").filter(|uri| {
        client
            .as_ref()
            .is_some_and(|c| c.allows_post_logout_redirect(uri))
    });
    let mut response = match back {
        Some(uri) => {
            let mut parameters = Vec::new();
            if let Some(client_state) = get("state") {
                parameters.push(("state", client_state));
            }
            HttpResponse::Found()
                .insert_header((header::LOCATION, with_query(uri, &parameters)))
                .insert_header((header::CACHE_CONTROL, "no-store"))
                .finish()
        }
        // Never to a URI the client did not register: an open redirect otherwise.
        None => {
            let text = &state.config.oauth.page_text;
            message(
                &state,
                StatusCode::OK,
                &text.sign_out_title,
                &text.signed_out,
            )
        }
    };
    for gone in signed_out_cookies(&state) {
        if let Ok(value) = gone.encoded().to_string().parse::<header::HeaderValue>() {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    response
}
