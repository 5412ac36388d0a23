//! `multipart/form-data` bodies (a browser's `FormData`, which Laravel's request reads like any
//! form): the text fields, re-encoded as the urlencoded form they stand for, so every rule reads
//! them as it reads a form. A file part is refused (422): no route takes a file. The body is the
//! one [`super::Body`] read already, under the same size limit, so this parses bytes in memory
//! (RFC 7578, RFC 2046 §5.1.1).

use actix_web::{HttpMessage, HttpRequest};

use crate::error::{AppError, AppResult};

/// The boundary of a `multipart/form-data` request, or `None` for any other body.
pub fn boundary(req: &HttpRequest) -> Option<String> {
    let mime = req.mime_type().ok().flatten()?;
    let is_form_data = mime.type_() == "multipart" && mime.subtype() == "form-data";
    is_form_data.then(|| {
        mime.get_param("boundary")
            .map(|b| b.as_str().to_owned())
            .unwrap_or_default()
    })
}

/// Any body this parser cannot read as form data.
const MALFORMED: AppError = AppError::BadRequest("The multipart body is malformed.");

/// The fields of `body` (parts separated by `boundary`) as an urlencoded form.
pub fn to_form(boundary: &str, body: &[u8]) -> AppResult<Vec<u8>> {
    if boundary.is_empty() || boundary.len() > 70 {
        return Err(MALFORMED);
    }
    let delimiter = format!("--{boundary}");
    // Anything before the first delimiter is a preamble, which RFC 2046 says to ignore.
    let start = find(body, delimiter.as_bytes()).ok_or(MALFORMED)?;
    let mut rest = &body[start + delimiter.len()..];
    let separator = format!("\r\n--{boundary}");
    let mut fields: Vec<(String, String)> = Vec::new();
    loop {
        if rest.starts_with(b"--") {
            // The close delimiter; an epilogue may follow.
            break;
        }
        rest = rest.strip_prefix(b"\r\n").ok_or(MALFORMED)?;
        let end = find(rest, separator.as_bytes()).ok_or(MALFORMED)?;
        let (part, after) = rest.split_at(end);
        fields.push(field(part)?);
        rest = &after[separator.len()..];
    }
    serde_urlencoded::to_string(&fields)
        .map(String::into_bytes)
        .map_err(|_| MALFORMED)
}

/// One part: its `Content-Disposition: form-data; name="…"` header, a blank line, its value.
fn field(part: &[u8]) -> AppResult<(String, String)> {
    let split = find(part, b"\r\n\r\n").ok_or(MALFORMED)?;
    let headers = std::str::from_utf8(&part[..split]).map_err(|_| MALFORMED)?;
    let value = &part[split + 4..];
    let disposition = headers
        .split("\r\n")
        .filter_map(|line| line.split_once(':'))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("content-disposition"))
        .map(|(_, value)| value.trim())
        .ok_or(MALFORMED)?;
    let mut params = disposition.split(';').map(str::trim);
    if !params
        .next()
        .is_some_and(|kind| kind.eq_ignore_ascii_case("form-data"))
    {
        return Err(MALFORMED);
    }
    let mut name = None;
    let mut is_file = false;
    for param in params {
        let Some((key, raw)) = param.split_once('=') else {
            continue;
        };
        let unquoted = raw.trim().trim_matches('"').to_owned();
        match key.trim().to_ascii_lowercase().as_str() {
            "name" => name = Some(unquoted),
            "filename" | "filename*" => is_file = true,
            _ => {}
        }
    }
    let name = name.filter(|n| !n.is_empty()).ok_or(MALFORMED)?;
    if is_file {
        return Err(AppError::validation(
            &name,
            format!("The {name} field must be text: no route here takes a file."),
        ));
    }
    let value = String::from_utf8(value.to_vec())
        .map_err(|_| AppError::BadRequest("A multipart field is not UTF-8 text."))?;
    Ok((name, value))
}

/// Where `needle` first occurs in `haystack`.
fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(parts: &[(&str, &str)], boundary: &str) -> Vec<u8> {
        let mut body = String::from("preamble\r\n");
        for (headers, value) in parts {
            body.push_str(&format!("--{boundary}\r\n{headers}\r\n\r\n{value}\r\n"));
        }
        body.push_str(&format!("--{boundary}--\r\nepilogue"));
        body.into_bytes()
    }

    #[test]
    fn text_fields_become_the_form_they_stand_for() {
        let parts = [
            (
                "Content-Disposition: form-data; name=\"email\"",
                "ann@example.com",
            ),
            (
                "content-disposition: form-data; name=\"password\"",
                "a & b = c\r\nd",
            ),
        ];
        let form = to_form("XyZ", &body(&parts, "XyZ")).unwrap();
        let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&form).unwrap();
        assert_eq!(
            pairs,
            [
                ("email".into(), "ann@example.com".into()),
                ("password".into(), "a & b = c\r\nd".into())
            ]
        );
    }

    #[test]
    fn a_file_part_is_422_and_a_broken_body_400() {
        let file = [(
            "Content-Disposition: form-data; name=\"avatar\"; filename=\"a.png\"\r\nContent-Type: image/png",
            "PNG",
        )];
        let error = to_form("b", &body(&file, "b")).unwrap_err();
        assert!(matches!(error, AppError::Validation(_)), "{error:?}");
        for broken in [
            &b"no delimiter at all"[..],
            b"--b\r\nno blank line",
            b"--b\r\n\r\nvalue\r\n--b--",
        ] {
            let error = to_form("b", broken).unwrap_err();
            assert!(matches!(error, AppError::BadRequest(_)), "{error:?}");
        }
        assert!(to_form("", b"--\r\n").is_err());
    }
}
