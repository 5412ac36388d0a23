//! The rules of a new password, written once for every body that sets one (sign-up, password
//! change, password reset): Laravel's `Password::defaults()`.

/// Declares a FormRequest struct with its own fields and then `password`, the new password with
/// the sign-up's rules (required, 8 characters to 72 bytes, not a common password).
macro_rules! with_new_password {
    ($(#[$meta:meta])* pub struct $name:ident { $($fields:tt)* }) => {
        $(#[$meta])*
        pub struct $name {
            $($fields)*
            #[serde(default)]
            #[validate(
                custom(function = "crate::requests::input::required_text"),
                length(
                    min = 8,
                    message = "The :attribute field must be at least 8 characters."
                ),
                custom(function = "crate::requests::input::at_most_72_bytes"),
                custom(function = "crate::requests::input::not_common")
            )]
            #[schema(value_type = String, format = Password, min_length = 8, max_length = 72, required = true, pattern = r"\S")]
            pub password: crate::requests::input::StringInput,
        }
    };
}

pub(crate) use with_new_password;
