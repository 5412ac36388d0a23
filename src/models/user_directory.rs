//! Finding users for the admin API and `user:list` (Laravel: `User::query()->paginate()`): a page
//! of users by email prefix or name substring, their number, and how many sessions each has.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::{DbConnection, Id};
use crate::models::User;
use crate::schema::{sessions, users};

diesel::define_sql_function!(fn lower(text: diesel::sql_types::Text) -> diesel::sql_types::Text);

/// A page of users, oldest first, and how many match in all.
#[derive(Debug)]
pub struct UserPage {
    pub users: Vec<User>,
    pub total: i64,
}

impl User {
    /// The users whose email starts with `search` or whose name contains it (any case), `limit`
    /// of them after the first `offset`, oldest first; every user without a search.
    pub fn page(
        conn: &mut DbConnection,
        search: Option<&str>,
        offset: i64,
        limit: i64,
    ) -> QueryResult<UserPage> {
        let matching = || {
            let mut query = users::table.into_boxed();
            if let Some(search) = search {
                let literal = escape_like(&search.to_lowercase());
                query = query.filter(
                    users::email
                        .like(format!("{literal}%"))
                        .escape('\\')
                        .or(lower(users::name).like(format!("%{literal}%")).escape('\\')),
                );
            }
            query
        };
        let total = matching().count().get_result(conn)?;
        let users = matching()
            .order((users::created_at, users::id))
            .offset(offset)
            .limit(limit)
            .load(conn)?;
        Ok(UserPage { users, total })
    }

    /// How many active sessions each of `ids` has (a user without any is left out).
    pub fn sessions_counts(
        conn: &mut DbConnection,
        ids: &[Id],
        now: NaiveDateTime,
    ) -> QueryResult<HashMap<Id, i64>> {
        let counts: Vec<(Id, i64)> = sessions::table
            .filter(sessions::user_id.eq_any(ids))
            .filter(sessions::revoked_at.is_null())
            .filter(sessions::expires_at.gt(now))
            .group_by(sessions::user_id)
            .select((sessions::user_id, diesel::dsl::count_star()))
            .load(conn)?;
        Ok(counts.into_iter().collect())
    }
}

/// `text` matched literally by LIKE: its `%`, `_` and `\` escaped with `\`.
fn escape_like(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}
