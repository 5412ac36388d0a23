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
diesel::allow_tables_to_appear_in_same_query!(users, blacklisted_tokens);
