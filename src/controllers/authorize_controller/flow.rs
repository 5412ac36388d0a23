//! The steps between the pages: the request checked again, the sign-in's cookie set, consent
//! asked or remembered, and the redirect back to the client.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse};

use super::pages::{SESSION_COOKIE, consent_page, cookie, session_cookie};
use crate::auth::sessions::{self, BrowserSignIn, CodeBinding};
use crate::controllers::page::{self, message};
use crate::db::Id;
use crate::models::{AuthorizationSession, OAuthClient};
use crate::oauth::authorization::{self, AuthorizationRequest, Prompt, Refusal};
use crate::oauth::openid;
use crate::oauth::scopes::Scopes;
use crate::state::AppState;

/// The request of `query`, or the answer that refuses it.
pub(super) async fn check(
    state: &AppState,
    query: &str,
) -> Result<AuthorizationRequest, HttpResponse> {
    let Some(parameters) = authorization::parameters(query) else {
        return Err(error_page(
            state,
            "The request is malformed: a parameter is sent twice.",
        ));
    };
    let client = match parameters
        .get("client_id")
        .and_then(|id| uuid::Uuid::parse_str(id).ok())
    {
        None => None,
        Some(id) => match state
            .db
            .read(move |conn| OAuthClient::find(conn, Id(id)))
            .await
        {
            Ok(client) => client,
            Err(error) => return Err(page::failure(state, "Authorize", &error)),
        },
    };
    let openid_unavailable = openid::unavailable(&state.config);
    authorization::check(&parameters, client, openid_unavailable).map_err(|refusal| match refusal {
        Refusal::Page(why) => error_page(state, why),
        redirect => see_other(
            &redirect
                .location(&state.config.jwt.issuer)
                .unwrap_or_default(),
        ),
    })
}

/// Signed in now: the sign-in's cookie is set and the request goes on.
pub(super) async fn signed_in_as(
    state: &AppState,
    request: &AuthorizationRequest,
    query: &str,
    signed_in: BrowserSignIn,
) -> HttpResponse {
    let cookie = session_cookie(state, signed_in.cookie);
    let mut response = continue_as(state, request, &signed_in.session, query).await;
    if let Ok(value) = cookie.encoded().to_string().parse::<header::HeaderValue>() {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

/// The request, for a browser signed in as `signed_in`: the consent page when the grant is not
/// remembered (or `prompt=consent`), else the redirect with a code.
pub(super) async fn continue_as(
    state: &AppState,
    request: &AuthorizationRequest,
    signed_in: &AuthorizationSession,
    query: &str,
) -> HttpResponse {
    let remembered = if request.client.skip_consent || request.prompt == Some(Prompt::Consent) {
        None
    } else {
        match sessions::consented_scopes(state, signed_in.user_id, request.client.id).await {
            Ok(scopes) => scopes,
            Err(error) => return page::failure(state, "Authorize", &error),
        }
    };
    let granted = remembered
        .and_then(|scopes| Scopes::parse(&scopes))
        .is_some_and(|granted| request.scopes.is_subset(&granted));
    if request.client.skip_consent || granted {
        return redirect_with_code(state, request, signed_in).await;
    }
    if request.prompt == Some(Prompt::None) {
        return refusal_redirect(
            state,
            request,
            "consent_required",
            "The user has not consented.",
        );
    }
    consent_page(state, request, signed_in, query)
}

/// Back to the client with a new code, `state` and `iss`.
pub(super) async fn redirect_with_code(
    state: &AppState,
    request: &AuthorizationRequest,
    signed_in: &AuthorizationSession,
) -> HttpResponse {
    let binding = CodeBinding {
        client_id: request.client.id,
        redirect_uri: request.redirect_uri.clone(),
        redirect_uri_sent: request.redirect_uri_sent,
        code_challenge: request.code_challenge.clone(),
        scopes: request.scopes.to_string(),
        resource: request.resource.clone(),
        nonce: request.nonce.clone(),
    };
    let code = match sessions::issue_code(state, signed_in, binding).await {
        Ok(code) => code,
        Err(error) => return page::failure(state, "Authorize", &error),
    };
    let mut parameters = vec![("code", code.as_str())];
    if let Some(client_state) = &request.state {
        parameters.push(("state", client_state));
    }
    see_other(&authorization::redirect_to(
        &request.redirect_uri,
        &state.config.jwt.issuer,
        &parameters,
    ))
}

pub(super) fn refusal_redirect(
    state: &AppState,
    request: &AuthorizationRequest,
    error: &'static str,
    description: &'static str,
) -> HttpResponse {
    let refusal = Refusal::Redirect {
        redirect_uri: request.redirect_uri.clone(),
        error,
        description,
        state: request.state.clone(),
    };
    see_other(
        &refusal
            .location(&state.config.jwt.issuer)
            .unwrap_or_default(),
    )
}

/// The browser's live sign-in, from its cookie.
pub(super) async fn signed_in(state: &AppState, req: &HttpRequest) -> Option<AuthorizationSession> {
    let value = cookie(state, req, SESSION_COOKIE)?;
    sessions::browser_sign_in(state, &value)
        .await
        .ok()
        .flatten()
}

pub(super) fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}

pub(super) fn error_page(state: &AppState, why: &str) -> HttpResponse {
    message(state, StatusCode::BAD_REQUEST, "Authorization failed", why)
}

/// 419: a form without the token its page gave it, or whose sign-in has ended.
pub(super) fn expired(state: &AppState) -> HttpResponse {
    message(
        state,
        StatusCode::from_u16(419).unwrap_or(StatusCode::FORBIDDEN),
        "Page Expired",
        "This form has expired: go back to the application and start again.",
    )
}
