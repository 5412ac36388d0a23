//! `GET /oauth/authorize` and its pages (Passport's `AuthorizationController` with its published
//! views): sign in (and the two-factor step), consent, then back to the client with a code. The
//! pages are compiled-in templates, usable without JavaScript; each form carries a `_token` bound
//! to what it is for, and every other input it needs as a hidden field (`request`: the
//! authorization request's query string, checked again at each step).

mod end_session;
mod flow;
mod pages;

pub use end_session::end_session;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};

use self::flow::{
    check, continue_as, expired, redirect_with_code, refusal_redirect, signed_in, signed_in_as,
};
use self::pages::{
    CSRF_COOKIE, bound, consent_binding, cookie, form, sign_in_page, two_factor_binding,
    two_factor_page,
};
use super::page;
use crate::auth::sessions::{self, Device};
use crate::auth::two_factor::SecondFactor;
use crate::auth::{email_verification, login};
use crate::error::AppError;
use crate::jwt::Proof;
use crate::oauth::authorization::Prompt;
use crate::requests::{Body, ClientIp, UserAgent, login_email};
use crate::state::AppState;

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
        // OpenID Connect `max_age`: a sign-in older than asked for does not count.
        _ => signed_in(&state, &req).await.filter(|signed_in| {
            request.max_age.is_none_or(|max_age| {
                let age = (crate::db::now() - signed_in.created_at).num_seconds();
                max_age > 0 && age <= max_age
            })
        }),
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
    let csrf = cookie(&state, &req, CSRF_COOKIE).unwrap_or_default();
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
            let wrong = &state.config.oauth.page_text.wrong_credentials;
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
        Err(error) => {
            return page::failure(&state, &state.config.oauth.page_text.sign_in_title, &error);
        }
    };
    if email_verification::refuses_unverified(&state, &user, ip).await {
        return page::failure(
            &state,
            &state.config.oauth.page_text.sign_in_title,
            &AppError::EmailNotVerified,
        );
    }
    let device = Device { user_agent, ip };
    if user.has_two_factor() {
        return match sessions::challenge(&state, &user, &device).await {
            Ok(challenge) => {
                two_factor_page(&state, query, &challenge.token, &csrf, None, StatusCode::OK)
            }
            Err(error) => {
                page::failure(&state, &state.config.oauth.page_text.sign_in_title, &error)
            }
        };
    }
    match sessions::sign_in_browser(&state, user.id, Proof::Password).await {
        Ok(signed_in) => signed_in_as(&state, &request, query, signed_in).await,
        Err(error) => page::failure(&state, &state.config.oauth.page_text.sign_in_title, &error),
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
    let csrf = cookie(&state, &req, CSRF_COOKIE).unwrap_or_default();
    let binding = two_factor_binding(&csrf, token);
    if csrf.is_empty()
        || token.is_empty()
        || !state.form_key.verify_base64url(&binding, field("_token"))
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
            &csrf,
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
                &csrf,
                wrong,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
        }
        Err(error) => page::failure(
            &state,
            &state.config.oauth.page_text.two_factor_title,
            &error,
        ),
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
    if !state
        .form_key
        .verify_base64url(&consent_binding(&signed_in, query), field("_token"))
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
