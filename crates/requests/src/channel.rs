//! Channels: the ways to reach a contact, and the normal form of their values. Two spellings of
//! the same address must be one channel, so values are normalised before they are stored or
//! looked up: emails are case-insensitive, phone numbers are digits only.

use crate::error::{ErrorKind, RequestError, Result};
use crate::json::{self, quoted, JsonObject};
use crate::path::Path;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ChannelType {
    Email,
    Sms,
    Viber,
    WebPush,
    MobilePush,
    Telegram,
}

pub const CHANNEL_TYPES: &str = "email, sms, viber, webpush, mobilepush, telegram";

impl ChannelType {
    /// Parses a channel type name, case-insensitively.
    pub fn parse(name: &str) -> Option<ChannelType> {
        Some(match name.to_ascii_lowercase().as_str() {
            "email" => ChannelType::Email,
            "sms" => ChannelType::Sms,
            "viber" => ChannelType::Viber,
            "webpush" => ChannelType::WebPush,
            "mobilepush" => ChannelType::MobilePush,
            "telegram" => ChannelType::Telegram,
            _ => return None,
        })
    }

    /// The name stored in `engage.channels.type`.
    pub fn as_str(self) -> &'static str {
        match self {
            ChannelType::Email => "email",
            ChannelType::Sms => "sms",
            ChannelType::Viber => "viber",
            ChannelType::WebPush => "webpush",
            ChannelType::MobilePush => "mobilepush",
            ChannelType::Telegram => "telegram",
        }
    }

    /// Channels addressed by a phone number.
    pub fn is_phone(self) -> bool {
        matches!(self, ChannelType::Sms | ChannelType::Viber)
    }

    /// A contact has at most one channel of this type (a new value replaces the old one);
    /// push channels are one per device, so a contact can have many.
    pub fn one_per_contact(self) -> bool {
        !matches!(self, ChannelType::WebPush | ChannelType::MobilePush)
    }

    /// Brings a value to its stored form, or says why it is not a valid value of this type.
    pub fn normalize(self, raw: &str) -> std::result::Result<String, String> {
        match self {
            ChannelType::Email => normalize_email(raw),
            ChannelType::Sms | ChannelType::Viber => normalize_phone(raw),
            ChannelType::WebPush | ChannelType::MobilePush | ChannelType::Telegram => {
                let token = raw.trim();
                if token.is_empty() {
                    Err("it is empty".to_string())
                } else if token.len() > 4096 {
                    Err("it is longer than 4096 bytes".to_string())
                } else if token.chars().any(char::is_control) {
                    Err("it contains control characters".to_string())
                } else {
                    Ok(token.to_string())
                }
            }
        }
    }

    /// `normalize` with an error that points at the value in the body.
    pub fn normalize_at(self, raw: &str, path: &Path) -> Result<String> {
        self.normalize(raw).map_err(|why| {
            RequestError::new(
                ErrorKind::InvalidTextRepresentation,
                format!("invalid {} {}: {why}", self.as_str(), quoted(raw)),
            )
            .at(path)
            .with_hint(self.hint())
        })
    }

    /// An optional key of a body that holds an address of this type (an order's `email` or
    /// `phone`, a device's), at most `max` characters, normalized as a channel value is.
    pub fn optional_at<O: JsonObject>(
        self,
        map: &O,
        key: &str,
        max: usize,
        at: &Path,
    ) -> Result<Option<String>> {
        json::optional_text(map, key, at, max)?.map(|raw| self.normalize_at(&raw, &at.key(key))).transpose()
    }

    fn hint(self) -> &'static str {
        match self {
            ChannelType::Email => "an email address looks like name@example.com",
            ChannelType::Sms | ChannelType::Viber => {
                "a phone number has 7 to 15 digits, optionally with +, spaces, dashes, dots or parentheses"
            }
            _ => "a device token or chat ID is a non-empty string",
        }
    }
}

/// Lower-cases and checks an email address: one `@`, a local part of allowed characters, and a
/// domain of dot-separated labels with at least one dot.
pub fn normalize_email(raw: &str) -> std::result::Result<String, String> {
    let email = raw.trim().to_lowercase();
    if email.is_empty() {
        return Err("it is empty".to_string());
    }
    if email.len() > 254 {
        return Err("it is longer than 254 characters".to_string());
    }
    let Some((local, domain)) = email.split_once('@') else {
        return Err("it has no @".to_string());
    };
    if local.is_empty() || local.len() > 64 {
        return Err("the part before @ must have 1 to 64 characters".to_string());
    }
    let local_ok = |c: char| c.is_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(c);
    if !local.chars().all(local_ok) {
        return Err("the part before @ has a character not allowed in an address".to_string());
    }
    if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
        return Err("the part before @ has a misplaced dot".to_string());
    }
    if domain.contains('@') {
        return Err("it has more than one @".to_string());
    }
    let labels: Vec<&str> = domain.split('.').collect();
    if labels.len() < 2 {
        return Err("the domain has no dot".to_string());
    }
    for label in &labels {
        let ok = !label.is_empty()
            && label.len() <= 63
            && label.chars().all(|c| c.is_alphanumeric() || c == '-')
            && !label.starts_with('-')
            && !label.ends_with('-');
        if !ok {
            return Err(format!("the domain part {} is not a valid label", quoted(label)));
        }
    }
    if labels.last().is_some_and(|tld| tld.chars().all(|c| c.is_ascii_digit())) {
        return Err("the domain ends in a number".to_string());
    }
    Ok(email)
}

/// Keeps the digits of a phone number written with the usual separators; 7 to 15 digits (E.164).
pub fn normalize_phone(raw: &str) -> std::result::Result<String, String> {
    let trimmed = raw.trim();
    let body = trimmed.strip_prefix('+').unwrap_or(trimmed);
    let mut digits = String::with_capacity(body.len());
    for c in body.chars() {
        match c {
            '0'..='9' => digits.push(c),
            ' ' | '-' | '.' | '(' | ')' => {}
            _ => return Err(format!("{} is not allowed in a phone number", quoted(&c.to_string()))),
        }
    }
    if !(7..=15).contains(&digits.len()) {
        return Err(format!("it has {} digits, not 7 to 15", digits.len()));
    }
    Ok(digits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_case_insensitive_and_trimmed() {
        assert_eq!(normalize_email("  Dina.Kozak@Example.COM ").unwrap(), "dina.kozak@example.com");
        assert_eq!(normalize_email("a+tag@sub.example.co").unwrap(), "a+tag@sub.example.co");
        assert_eq!(normalize_email("üser@exämple.de").unwrap(), "üser@exämple.de");
    }

    #[test]
    fn bad_emails_say_why() {
        for (bad, why) in [
            ("", "empty"),
            ("no-at.example.com", "no @"),
            ("a@b@example.com", "more than one @"),
            ("@example.com", "1 to 64"),
            ("a@localhost", "no dot"),
            ("a b@example.com", "not allowed"),
            (".a@example.com", "misplaced dot"),
            ("a..b@example.com", "misplaced dot"),
            ("a@-x.com", "not a valid label"),
            ("a@example..com", "not a valid label"),
            ("a@1.2.3.4", "ends in a number"),
        ] {
            let err = normalize_email(bad).unwrap_err();
            assert!(err.contains(why), "{bad:?}: {err}");
        }
        assert!(normalize_email(&format!("{}@example.com", "x".repeat(65))).is_err());
    }

    #[test]
    fn phones_keep_only_digits() {
        assert_eq!(normalize_phone("+38 (050) 123-45-67").unwrap(), "380501234567");
        assert_eq!(normalize_phone("380942583691").unwrap(), "380942583691");
        assert!(normalize_phone("12345").unwrap_err().contains("5 digits"));
        assert!(normalize_phone("call me").unwrap_err().contains("not allowed"));
        assert!(normalize_phone("1234567890123456").is_err());
    }

    #[test]
    fn type_names_round_trip_case_insensitively() {
        for name in CHANNEL_TYPES.split(", ") {
            let t = ChannelType::parse(&name.to_uppercase()).unwrap();
            assert_eq!(t.as_str(), name);
        }
        assert_eq!(ChannelType::parse("fax"), None);
        assert!(ChannelType::Sms.is_phone() && !ChannelType::Email.is_phone());
        assert!(ChannelType::Email.one_per_contact() && !ChannelType::WebPush.one_per_contact());
    }

    #[test]
    fn tokens_are_trimmed_and_not_empty() {
        assert_eq!(ChannelType::Telegram.normalize(" 12345 ").unwrap(), "12345");
        assert!(ChannelType::WebPush.normalize("  ").is_err());
        assert!(ChannelType::MobilePush.normalize("a\u{0}b").is_err());
    }

    #[test]
    fn normalize_at_points_at_the_element() {
        let root = Path::Root;
        let p = root.key("emails");
        let p = p.index(3);
        let err = ChannelType::Email.normalize_at("nope", &p).unwrap_err();
        assert_eq!(err.kind, ErrorKind::InvalidTextRepresentation);
        assert_eq!(err.detail.as_deref(), Some("at emails[3]"));
        assert!(err.message.contains("invalid email \"nope\""));
    }
}
