//! `GET /oauth/authorize` and its pages (Passport's `AuthorizationController` with its published
//! views): sign in (and the two-factor step), consent, then back to the client with a code. The
//! pages are compiled-in templates, usable without JavaScript; each form carries a `_token` bound
//! to what it is for, and every other input it needs as a hidden field (`request`: the
//! authorization request's query string, checked again at each step).

use std::collections::HashMap;

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use super::page::{self, html, message};
use crate::auth::login;
use crate::auth::sessions::{self, BrowserSignIn, CodeBinding, Device};
use crate::auth::two_factor::SecondFactor;
use crate::crypto::random_token;
use crate::db::Id;
use crate::error::AppError;
use crate::jwt::Proof;
use crate::models::{AuthorizationSession, OAuthClient};
use crate::oauth::authorization::{self, AuthorizationRequest, Prompt, Refusal};
use crate::oauth::scopes::Scopes;
use crate::requests::{Body, ClientIp, UserAgent, login_email};
use crate::state::AppState;

/// The browser's sign-in (its value is the `oauth_authorization_sessions` row's, by hash).
const SESSION_COOKIE: &str = "oauth_session";
/// What the sign-in form's `_token` is bound to before anyone has signed in.
const CSRF_COOKIE: &str = "oauth_csrf";
/// Where the pages' cookies are sent: these routes only.
const COOKIE_PATH: &str = "/oauth/authorize";

/// The pages' words (Passport's published views), written once here and in the templates.
struct Text {
    sign_in_title: &'static str,
    sign_in_intro: &'static str,
    email: &'static str,
    password: &'static str,
    sign_in_button: &'static str,
    two_factor_title: &'static str,
    two_factor_intro: &'static str,
    code: &'static str,
    recovery_code: &'static str,
    two_factor_button: &'static str,
    consent_title: &'static str,
    consent_intro: &'static str,
    consent_no_scopes: &'static str,
    allow: &'static str,
    deny: &'static str,
}

const TEXT: Text = Text {
    sign_in_title: "Sign in",
    sign_in_intro: "Sign in to continue to",
    email: "Email",
    password: "Password",
    sign_in_button: "Sign in",
    two_factor_title: "Two-factor authentication",
    two_factor_intro: "Enter the code from your authenticator app, or one of your recovery codes.",
    code: "Code",
    recovery_code: "Recovery code",
    two_factor_button: "Verify",
    consent_title: "Authorize access",
    consent_intro: "asks for access to your account:",
    consent_no_scopes: "It asks to know who you are, and nothing more.",
    allow: "Allow",
    deny: "Deny",
};

#[derive(Template)]
#[template(path = "oauth/sign_in.html")]
struct SignInPage<'a> {
    app_name: &'a str,
    client_name: &'a str,
    request: &'a str,
    csrf: String,
    email: &'a str,
    error: Option<&'a str>,
    text: &'a Text,
}

#[derive(Template)]
#[template(path = "oauth/two_factor.html")]
struct TwoFactorPage<'a> {
    app_name: &'a str,
    request: &'a str,
    csrf: String,
    challenge_token: &'a str,
    error: Option<&'a str>,
    text: &'a Text,
}

#[derive(Template)]
#[template(path = "oauth/consent.html")]
struct ConsentPage<'a> {
    app_name: &'a str,
    client_name: &'a str,
    scopes: Vec<&'a str>,
    request: &'a str,
    csrf: String,
    text: &'a Text,
}

/// `GET /oauth/authorize`: a refusal (a page before the redirect URI is trusted, else a redirect),
/// the sign-in page, the consent page, or the redirect back with a code.
pub async fn authorize(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    let query = req.query_string().to_owned();
    let request = match check(&state, &query).await {
        Ok(request) => request,
        Err(response) => return response,
    };
    let signed_in = match request.prompt {
        Some(Prompt::Login) => None,
        _ => signed_in(&state, &req).await,
    };
    match signed_in {
        Some(signed_in) => continue_as(&state, &request, &signed_in, &query).await,
        None if request.prompt == Some(Prompt::None) => refusal_redirect(
            &state,
            &request,
            "login_required",
            "The user is not signed in.",
        ),
        None => sign_in_page(&state, &req, &request, &query, "", None, StatusCode::OK),
    }
}

/// `POST /oauth/authorize/sign-in`: `email`, `password`, `_token`, `request`. The login's rate
/// limits apply (a 429 page past them); for a user with two-factor on, the code page follows.
pub async fn sign_in(
    state: web::Data<AppState>,
    req: HttpRequest,
    ClientIp(ip): ClientIp,
    UserAgent(user_agent): UserAgent,
    Body(body): Body,
) -> HttpResponse {
    let fields = form(&body);
    let field = |name: &str| fields.get(name).map(String::as_str).unwrap_or_default();
    let query = field("request");
    let csrf = cookie(&req, CSRF_COOKIE).unwrap_or_default();
    if csrf.is_empty()
        || !state
            .form_key
            .verify_base64url(&bound("sign-in", &csrf), field("_token"))
    {
        return expired(&state);
    }
    let request = match check(&state, query).await {
        Ok(request) => request,
        Err(response) => return response,
    };
    let email = login_email(field("email"));
    let attempt = match email.clone() {
        Some(email) => {
            login::attempt(
                &state,
                email,
                field("password").to_owned(),
                ip,
                "oauth_authorize",
            )
            .await
        }
        None => Ok(None),
    };
    let user = match attempt {
        Ok(Some(user)) => user,
        Ok(None) => {
            let wrong = "These credentials do not match our records.";
            let shown = email.as_deref().unwrap_or(field("email"));
            return sign_in_page(
                &state,
                &req,
                &request,
                query,
                shown,
                Some(wrong),
                StatusCode::UNAUTHORIZED,
            );
        }
        Err(error) => return page::failure(&state, TEXT.sign_in_title, &error),
    };
    if state.config.mail.must_verify && user.email_verified_at.is_none() {
        return page::failure(&state, TEXT.sign_in_title, &AppError::EmailNotVerified);
    }
    let device = Device { user_agent, ip };
    if user.has_two_factor() {
        return match sessions::challenge(&state, &user, &device).await {
            Ok(challenge) => two_factor_page(&state, query, &challenge.token, None, StatusCode::OK),
            Err(error) => page::failure(&state, TEXT.sign_in_title, &error),
        };
    }
    match sessions::sign_in_browser(&state, user.id, Proof::Password).await {
        Ok(signed_in) => signed_in_as(&state, &request, query, signed_in).await,
        Err(error) => page::failure(&state, TEXT.sign_in_title, &error),
    }
}

/// `POST /oauth/authorize/two-factor`: `code` or `recovery_code`, `challenge_token`, `_token`,
/// `request`. A wrong code shows the page again (422); a dead challenge, the sign-in page.
pub async fn two_factor(
    state: web::Data<AppState>,
    req: HttpRequest,
    ClientIp(ip): ClientIp,
    UserAgent(user_agent): UserAgent,
    Body(body): Body,
) -> HttpResponse {
    let fields = form(&body);
    let field = |name: &str| fields.get(name).map(String::as_str).unwrap_or_default();
    let (query, token) = (field("request"), field("challenge_token"));
    if token.is_empty()
        || !state
            .form_key
            .verify_base64url(&bound("two-factor", token), field("_token"))
    {
        return expired(&state);
    }
    let request = match check(&state, query).await {
        Ok(request) => request,
        Err(response) => return response,
    };
    let text = |name: &str| Some(field(name).trim().to_owned()).filter(|t| !t.is_empty());
    let Some(factor) = SecondFactor::from_fields(text("code"), text("recovery_code")) else {
        let missing = "Enter the code from your authenticator app, or a recovery code.";
        return two_factor_page(
            &state,
            query,
            token,
            Some(missing),
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    };
    let device = Device { user_agent, ip };
    match sessions::sign_in_browser_with_code(&state, token, factor, &device).await {
        Ok(signed_in) => signed_in_as(&state, &request, query, signed_in).await,
        Err(AppError::Validation(errors)) if errors.contains_key("challenge_token") => {
            let dead = "The sign-in took too long or was already used: sign in again.";
            sign_in_page(
                &state,
                &req,
                &request,
                query,
                "",
                Some(dead),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
        }
        Err(AppError::Validation(errors)) => {
            let wrong = errors.values().flatten().next().map(String::as_str);
            two_factor_page(
                &state,
                query,
                token,
                wrong,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
        }
        Err(error) => page::failure(&state, TEXT.two_factor_title, &error),
    }
}

/// `POST /oauth/authorize/consent`: `decision` (`allow` or `deny`), `_token`, `request`; needs the
/// browser's sign-in. Allow remembers the grant and answers the code; deny, `access_denied`.
pub async fn consent(
    state: web::Data<AppState>,
    req: HttpRequest,
    Body(body): Body,
) -> HttpResponse {
    let fields = form(&body);
    let field = |name: &str| fields.get(name).map(String::as_str).unwrap_or_default();
    let query = field("request");
    let Some(signed_in) = signed_in(&state, &req).await else {
        return expired(&state);
    };
    let binding = [signed_in.id_hash.as_bytes(), b":", query.as_bytes()].concat();
    if !state
        .form_key
        .verify_base64url(&bound_bytes("consent", &binding), field("_token"))
    {
        return expired(&state);
    }
    let request = match check(&state, query).await {
        Ok(request) => request,
        Err(response) => return response,
    };
    match field("decision") {
        "allow" => {
            let scopes = request.scopes.to_string();
            let remembered =
                sessions::remember_consent(&state, signed_in.user_id, request.client.id, scopes)
                    .await;
            if let Err(error) = remembered {
                return page::failure(&state, "Authorize", &error);
            }
            redirect_with_code(&state, &request, &signed_in).await
        }
        _ => refusal_redirect(
            &state,
            &request,
            "access_denied",
            "The user denied the request.",
        ),
    }
}

/// The request of `query`, or the answer that refuses it.
async fn check(state: &AppState, query: &str) -> Result<AuthorizationRequest, HttpResponse> {
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
    authorization::check(&parameters, client).map_err(|refusal| match refusal {
        Refusal::Page(why) => error_page(state, why),
        redirect => see_other(
            &redirect
                .location(&state.config.jwt.issuer)
                .unwrap_or_default(),
        ),
    })
}

/// Signed in now: the sign-in's cookie is set and the request goes on.
async fn signed_in_as(
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
async fn continue_as(
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
    let binding = [signed_in.id_hash.as_bytes(), b":", query.as_bytes()].concat();
    let page = ConsentPage {
        app_name: &state.config.app_name,
        client_name: &request.client.name,
        scopes: request.scopes.iter().collect(),
        request: query,
        csrf: state
            .form_key
            .sign_base64url(&bound_bytes("consent", &binding)),
        text: &TEXT,
    };
    html(StatusCode::OK, page.render())
}

/// Back to the client with a new code, `state` and `iss`.
async fn redirect_with_code(
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

fn refusal_redirect(
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

fn sign_in_page(
    state: &AppState,
    req: &HttpRequest,
    request: &AuthorizationRequest,
    query: &str,
    email: &str,
    error: Option<&str>,
    status: StatusCode,
) -> HttpResponse {
    // The form's token is bound to a cookie of this browser: a page of another site cannot post it.
    let csrf = cookie(req, CSRF_COOKIE)
        .filter(|value| value.len() == 43)
        .or_else(|| random_token().ok())
        .unwrap_or_default();
    let page = SignInPage {
        app_name: &state.config.app_name,
        client_name: &request.client.name,
        request: query,
        csrf: state.form_key.sign_base64url(&bound("sign-in", &csrf)),
        email,
        error,
        text: &TEXT,
    };
    let mut response = html(status, page.render());
    let cookie = page_cookie(state, CSRF_COOKIE, csrf, 3600);
    if let Ok(value) = cookie.encoded().to_string().parse::<header::HeaderValue>() {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

fn two_factor_page(
    state: &AppState,
    query: &str,
    challenge_token: &str,
    error: Option<&str>,
    status: StatusCode,
) -> HttpResponse {
    let page = TwoFactorPage {
        app_name: &state.config.app_name,
        request: query,
        csrf: state
            .form_key
            .sign_base64url(&bound("two-factor", challenge_token)),
        challenge_token,
        error,
        text: &TEXT,
    };
    html(status, page.render())
}

/// The browser's live sign-in, from its cookie.
async fn signed_in(state: &AppState, req: &HttpRequest) -> Option<AuthorizationSession> {
    let value = cookie(req, SESSION_COOKIE)?;
    sessions::browser_sign_in(state, &value)
        .await
        .ok()
        .flatten()
}

fn session_cookie(state: &AppState, value: String) -> Cookie<'static> {
    let seconds = sessions::BROWSER_SIGN_IN_LIFETIME.num_seconds();
    page_cookie(state, SESSION_COOKIE, value, seconds)
}

/// An HttpOnly, SameSite=Lax, host-only cookie for these routes (Secure when APP_URL is https).
fn page_cookie(
    state: &AppState,
    name: &'static str,
    value: String,
    seconds: i64,
) -> Cookie<'static> {
    Cookie::build(name, value)
        .path(COOKIE_PATH)
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(state.config.app_url.starts_with("https://"))
        .max_age(actix_web::cookie::time::Duration::seconds(seconds))
        .finish()
}

fn cookie(req: &HttpRequest, name: &str) -> Option<String> {
    req.cookie(name).map(|cookie| cookie.value().to_owned())
}

/// What a form's `_token` signs: the form's name and what it is bound to.
fn bound(form: &str, to: &str) -> Vec<u8> {
    bound_bytes(form, to.as_bytes())
}

fn bound_bytes(form: &str, to: &[u8]) -> Vec<u8> {
    [b"oauth ", form.as_bytes(), b":", to].concat()
}

/// A form body's fields (the last of a repeated name).
fn form(body: &[u8]) -> HashMap<String, String> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
        .unwrap_or_default()
        .into_iter()
        .collect()
}

fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}

fn error_page(state: &AppState, why: &str) -> HttpResponse {
    message(state, StatusCode::BAD_REQUEST, "Authorization failed", why)
}

/// 419: a form without the token its page gave it, or whose sign-in has ended.
fn expired(state: &AppState) -> HttpResponse {
    message(
        state,
        StatusCode::from_u16(419).unwrap_or(StatusCode::FORBIDDEN),
        "Page Expired",
        "This form has expired: go back to the application and start again.",
    )
}
