//! Audience-list sync (spec 003, Iterable's list API) without Postgres: a query's row, as the
//! JSON object `row_to_json` makes of it, becomes one subscriber of a `POST /api/lists/subscribe`
//! or `/unsubscribe` body ([`row`]); subscribers become request bodies of at most
//! 1,000 ([`body`]); and the API's answer becomes one outcome per subscriber, a retry, or
//! a failure of the run ([`answer`]).

pub mod answer;
pub mod body;
pub mod row;

pub use answer::{answer, Answer, Outcome, State};
pub use body::{subscribe_body, unsubscribe_body, unsubscriber_for_key};
pub use row::{row, Action, Invalid, Row, MAX_ROW};

/// Appends `s` to `out` as a JSON string.
pub(crate) fn push_json_string(out: &mut String, s: &str) {
    out.push('"');
    let mut start = 0;
    for (i, b) in s.bytes().enumerate() {
        let escape = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0..=0x1f => "",
            _ => continue,
        };
        out.push_str(&s[start..i]);
        if escape.is_empty() {
            out.push_str(&format!("\\u{b:04x}"));
        } else {
            out.push_str(escape);
        }
        start = i + 1;
    }
    out.push_str(&s[start..]);
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_escaped_as_json() {
        let mut out = String::new();
        push_json_string(&mut out, "a\"b\\c\nd\u{1}é");
        assert_eq!(out, r#""a\"b\\c\nd\u0001é""#);
        assert_eq!(serde_json::from_str::<String>(&out).unwrap(), "a\"b\\c\nd\u{1}é");
    }
}
