//! Diesel table definitions, shared by both backends (written by hand: `id` and `jti` use the
//! custom [`Uuid`](crate::db::sql_types::Uuid) SQL type, `uuid` on Postgres and text on SQLite).

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::sql_types::Uuid;

    /// Laravel's `users` table.
    users (id) {
        id -> Uuid,
        name -> Text,
        email -> Text,
        /// The bcrypt hash.
        password -> Text,
        tokens_valid_after -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        email_verified_at -> Nullable<Timestamp>,
        /// The user's id in the Laravel app it was imported from (`users:import`).
        legacy_id -> Nullable<Text>,
        /// The TOTP secret, sealed under APP_KEY (base64); set at enrolment, before confirmation.
        two_factor_secret -> Nullable<Text>,
        /// When the secret was confirmed with a code: two-factor is on from then.
        two_factor_confirmed_at -> Nullable<Timestamp>,
        /// The last TOTP time step a code was accepted for (no code of it or before is accepted).
        two_factor_last_step -> Nullable<BigInt>,
        /// Space-separated role names, in every access token's `roles`.
        roles -> Text,
        /// A JSON object merged into every access token at the top level.
        claims -> Text,
        /// When the account was disabled: its every token is refused from then.
        disabled_at -> Nullable<Timestamp>,
        /// The address an email change waits to move to, until its link is opened.
        pending_email -> Nullable<Text>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::sql_types::Uuid;

    /// Tokens the Laravel app had logged out (`users:import --blacklist`), by their jti as read here.
    laravel_blacklist (jti) {
        jti -> Uuid,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    use diesel::sql_types::*;

    /// Laravel's `password_reset_tokens`: one live reset token per email, as its SHA-256 (hex).
    password_reset_tokens (email) {
        email -> Text,
        token -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::sql_types::Uuid;

    /// Refreshed and logged-out tokens, by jti.
    blacklisted_tokens (jti) {
        jti -> Uuid,
        user_id -> Uuid,
        expires_at -> Timestamp,
        grace_until -> Timestamp,
        successor_jti -> Nullable<Uuid>,
        successor_iat -> Nullable<BigInt>,
        successor_exp -> Nullable<BigInt>,
        created_at -> Timestamp,
    }
}

diesel::joinable!(blacklisted_tokens -> users (user_id));

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::sql_types::Uuid;

    /// OAuth clients (Passport's `oauth_clients`).
    oauth_clients (id) {
        id -> Uuid,
        name -> Text,
        secret_hash -> Nullable<Text>,
        grant_types -> Text,
        scopes -> Text,
        first_party -> Bool,
        always_issue_refresh_token -> Bool,
        created_at -> Timestamp,
        /// Space-separated redirect URIs, matched exactly (loopback: any port).
        redirect_uris -> Text,
        /// Space-separated resources (RFC 8707) the client may ask tokens for.
        resources -> Text,
        /// A first-party client whose users are never asked for consent.
        skip_consent -> Bool,
        /// Space-separated URIs RP-initiated logout may redirect to, matched exactly.
        post_logout_redirect_uris -> Text,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::sql_types::Uuid;

    /// One per login (`/api/login` or the OAuth password grant): the `sid` of its access tokens,
    /// and for OAuth the family of its refresh tokens.
    sessions (id) {
        id -> Uuid,
        user_id -> Uuid,
        client_id -> Nullable<Uuid>,
        scopes -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
        user_agent -> Nullable<Text>,
        ip -> Nullable<Text>,
        last_seen_at -> Timestamp,
        revoked_reason -> Nullable<Text>,
        /// How the login was proven (RFC 8176 `amr` values, space-separated).
        amr -> Text,
        /// The resource (RFC 8707) its access tokens are for; NULL: the default one.
        resource -> Nullable<Text>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::sql_types::Uuid;

    /// Refresh tokens, by the SHA-256 of their value.
    oauth_refresh_tokens (token_hash) {
        token_hash -> Text,
        session_id -> Uuid,
        parent_hash -> Nullable<Text>,
        client_id -> Uuid,
        scopes -> Text,
        created_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    use diesel::sql_types::*;

    /// The key ring: signing keys by kid, their private halves encrypted under APP_KEY.
    signing_keys (kid) {
        kid -> Text,
        algorithm -> Text,
        public_jwk -> Text,
        private_key -> Text,
        state -> Text,
        created_at -> Timestamp,
        state_since -> Timestamp,
    }
}

diesel::table! {
    use diesel::sql_types::*;

    /// Shared rate limits: hits per key per fixed window.
    rate_limit_counters (key, window_index) {
        key -> Text,
        window_index -> BigInt,
        hits -> Integer,
        expires_at -> BigInt,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::sql_types::Uuid;

    /// Two-factor recovery codes, by keyed hash; each usable once.
    two_factor_recovery_codes (id) {
        id -> Uuid,
        user_id -> Uuid,
        code_hash -> Text,
        created_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::sql_types::Uuid;

    /// Logins waiting for their second factor, by the SHA-256 of the challenge token.
    two_factor_challenges (id) {
        id -> Uuid,
        user_id -> Uuid,
        token_hash -> Text,
        network -> Text,
        attempts -> Integer,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::sql_types::Uuid;

    /// Authorization codes, by the SHA-256 of their value.
    oauth_auth_codes (code_hash) {
        code_hash -> Text,
        client_id -> Uuid,
        user_id -> Uuid,
        redirect_uri -> Text,
        redirect_uri_sent -> Bool,
        code_challenge -> Text,
        scopes -> Text,
        resource -> Nullable<Text>,
        nonce -> Nullable<Text>,
        amr -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
        session_id -> Nullable<Uuid>,
        /// When the user signed in at `/oauth/authorize` (an ID token's `auth_time`).
        auth_time -> Nullable<Timestamp>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::sql_types::Uuid;

    /// The scopes a user allowed a client.
    oauth_consents (user_id, client_id) {
        user_id -> Uuid,
        client_id -> Uuid,
        scopes -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::sql_types::Uuid;

    /// Browser sign-ins at /oauth/authorize, by the SHA-256 of their cookie's value.
    oauth_authorization_sessions (id_hash) {
        id_hash -> Text,
        user_id -> Uuid,
        amr -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::joinable!(oauth_consents -> oauth_clients (client_id));
diesel::joinable!(two_factor_recovery_codes -> users (user_id));
diesel::joinable!(two_factor_challenges -> users (user_id));
diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(sessions -> oauth_clients (client_id));
diesel::joinable!(oauth_refresh_tokens -> sessions (session_id));
diesel::allow_tables_to_appear_in_same_query!(
    users,
    password_reset_tokens,
    blacklisted_tokens,
    oauth_clients,
    sessions,
    oauth_refresh_tokens,
    signing_keys,
    rate_limit_counters,
    laravel_blacklist,
    two_factor_recovery_codes,
    two_factor_challenges,
    oauth_auth_codes,
    oauth_consents,
    oauth_authorization_sessions
);
