//! One contact object of a request body (`subscribe_contact`'s `contact`, each element of
//! `upsert_contacts`'s `contacts`): attributes, channels and additional-field values, checked and
//! normalised.

use crate::channel::{ChannelType, CHANNEL_TYPES};
use crate::error::{ErrorKind, RequestError, Result};
use crate::field::{check_value, Catalog, TypedValue};
use crate::json::{self, quoted, Json, JsonObject, Kind, Patch};
use crate::path::Path;

pub const CONTACT_KEYS: &[&str] =
    &["externalCustomerId", "firstName", "lastName", "languageCode", "timeZone", "channels", "fields"];

/// A contact as a request states it. Attributes are patches: absent keys leave what is stored.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ContactInput {
    pub external_id: Option<String>,
    pub first_name: Patch<String>,
    pub last_name: Patch<String>,
    pub language: Patch<String>,
    pub time_zone: Patch<String>,
    pub channels: Vec<Channel>,
    /// Field values to write (`None` clears); fields the request does not change are left out.
    pub fields: Vec<FieldWrite>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Channel {
    pub ty: ChannelType,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldWrite {
    pub field_id: i32,
    pub value: Option<TypedValue>,
}

/// What checking a contact needs from the database: the field catalog, and the time zones
/// Postgres knows (a lookup that returns the canonical spelling).
pub struct Context<'c> {
    pub catalog: &'c Catalog,
    pub time_zone: &'c dyn Fn(&str) -> Option<String>,
}

/// Which of the given field values a request writes: all of them, or only the listed IDs
/// (`customFieldsIDs`). Every given value is checked either way.
pub enum FieldSelection<'s> {
    All,
    Only(&'s std::collections::HashSet<i32>),
}

impl FieldSelection<'_> {
    fn writes(&self, id: i32) -> bool {
        match self {
            FieldSelection::All => true,
            FieldSelection::Only(ids) => ids.contains(&id),
        }
    }
}

pub fn parse_contact<V: Json>(
    value: &V,
    path: &Path,
    ctx: &Context,
    selection: &FieldSelection,
) -> Result<ContactInput> {
    let map = json::object(value, path)?;
    json::known_keys(map, CONTACT_KEYS, path)?;

    let external_id = match map.get("externalCustomerId").filter(|v| !v.is_null()) {
        None => None,
        Some(v) => {
            let at = path.key("externalCustomerId");
            let id = json::scalar_text(v, &at)?.trim().to_string();
            if id.is_empty() {
                None
            } else {
                json::max_chars(&id, 255, &at)?;
                Some(id)
            }
        }
    };
    let first_name = name_patch(map, "firstName", path)?;
    let last_name = name_patch(map, "lastName", path)?;
    let language = match json::string_patch(map, "languageCode", path)? {
        Patch::Set(code) => Patch::Set(language_code(&code, &path.key("languageCode"))?),
        other => other,
    };
    let time_zone = match json::string_patch(map, "timeZone", path)? {
        Patch::Set(tz) => Patch::Set((ctx.time_zone)(&tz).ok_or_else(|| {
            RequestError::invalid(format!("unknown time zone {}", quoted(&tz)))
                .at(&path.key("timeZone"))
                .with_hint("use an IANA name such as Europe/Kyiv (SELECT name FROM pg_timezone_names)")
        })?),
        other => other,
    };

    let channels = match map.get("channels").filter(|v| !v.is_null()) {
        None => Vec::new(),
        Some(v) => parse_channels(v, &path.key("channels"))?,
    };
    let fields = match map.get("fields").filter(|v| !v.is_null()) {
        None => Vec::new(),
        Some(v) => parse_fields(v, &path.key("fields"), ctx.catalog, selection)?,
    };

    Ok(ContactInput { external_id, first_name, last_name, language, time_zone, channels, fields })
}

fn name_patch<O: JsonObject>(map: &O, key: &str, path: &Path) -> Result<Patch<String>> {
    let patch = json::string_patch(map, key, path)?;
    if let Patch::Set(name) = &patch {
        json::max_chars(name, 255, &path.key(key))?;
    }
    Ok(patch)
}

/// A language code like `en`, `uk` or `pt-BR`: a 2–3 letter language, optional subtags.
fn language_code(code: &str, path: &Path) -> Result<String> {
    let mut parts = code.split(['-', '_']);
    let lang = parts.next().unwrap_or("");
    let lang_ok = (2..=3).contains(&lang.len()) && lang.chars().all(|c| c.is_ascii_alphabetic());
    let rest_ok = parts.all(|p| (2..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric()));
    if !lang_ok || !rest_ok {
        return Err(RequestError::invalid(format!("invalid language code {}", quoted(code)))
            .at(path)
            .with_hint("use an ISO 639 code such as en, uk or pt-BR"));
    }
    Ok(code.replace('_', "-"))
}

fn parse_channels<V: Json>(value: &V, path: &Path) -> Result<Vec<Channel>> {
    let items = json::array(value, path)?;
    let mut channels: Vec<Channel> = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let at = path.index(i);
        let map = json::object(item, &at)?;
        json::known_keys(map, &["type", "value"], &at)?;
        let type_name = json::required_string(map, "type", &at)?;
        let ty = ChannelType::parse(type_name.trim()).ok_or_else(|| {
            RequestError::invalid(format!("unknown channel type {}", quoted(type_name)))
                .at(&at.key("type"))
                .with_hint(format!("channel types: {CHANNEL_TYPES}"))
        })?;
        let value_at = at.key("value");
        let raw = json::scalar_text(json::required(map, "value", &at)?, &value_at)?;
        let value = ty.normalize_at(&raw, &value_at)?;
        let channel = Channel { ty, value };
        if let Some(first) = channels.iter().position(|c| c == &channel) {
            return Err(RequestError::new(
                ErrorKind::UniqueViolation,
                format!("channel {} {} is given twice", ty.as_str(), quoted(&channel.value)),
            )
            .with_detail(format!("at {at} and {}", path.index(first))));
        }
        if ty.one_per_contact() {
            if let Some(first) = channels.iter().position(|c| c.ty == ty) {
                return Err(RequestError::invalid(format!(
                    "a contact has one {} channel, and two are given",
                    ty.as_str()
                ))
                .with_detail(format!("at {at} and {}", path.index(first)))
                .with_hint("only webpush and mobilepush channels can have several values"));
            }
        }
        channels.push(channel);
    }
    Ok(channels)
}

fn parse_fields<V: Json>(
    value: &V,
    path: &Path,
    catalog: &Catalog,
    selection: &FieldSelection,
) -> Result<Vec<FieldWrite>> {
    let items = json::array(value, path)?;
    let mut writes: Vec<FieldWrite> = Vec::with_capacity(items.len());
    let mut seen: Vec<i32> = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let at = path.index(i);
        let map = json::object(item, &at)?;
        json::known_keys(map, &["id", "value"], &at)?;
        let id_at = at.key("id");
        let id = field_id(json::required(map, "id", &at)?, &id_at)?;
        let def = catalog.lookup(id, &id_at)?;
        if let Some(first) = seen.iter().position(|&s| s == id) {
            return Err(RequestError::new(
                ErrorKind::UniqueViolation,
                format!("additional field {id} is given twice"),
            )
            .with_detail(format!("at {at} and {}", path.index(first))));
        }
        seen.push(id);
        let value_at = at.key("value");
        let value = match map.get("value") {
            Some(v) => check_value(def, v, &value_at)?,
            None => None,
        };
        if !selection.writes(id) {
            continue;
        }
        if def.readonly {
            return Err(RequestError::new(
                ErrorKind::ObjectNotInPrerequisiteState,
                format!("additional field {id} \"{}\" is read-only", def.name),
            )
            .at(&value_at)
            .with_hint("an admin can make it writable with engage.alter_field(id, readonly => false)"));
        }
        if value.is_none() && def.required {
            return Err(RequestError::new(
                ErrorKind::NotNullViolation,
                format!("additional field {id} \"{}\" is required and cannot be cleared", def.name),
            )
            .at(&value_at));
        }
        writes.push(FieldWrite { field_id: id, value });
    }
    Ok(writes)
}

/// A field ID: an integer, given as a number or a numeric string (the catalog prints them as
/// strings, so clients echo them back that way).
pub fn field_id<V: Json>(value: &V, path: &Path) -> Result<i32> {
    let parsed = match value.kind() {
        Kind::Number(_) => value.as_i64(),
        Kind::String(s) => s.trim().parse::<i64>().ok(),
        _ => None,
    };
    parsed.and_then(|n| i32::try_from(n).ok()).filter(|n| *n > 0).ok_or_else(|| {
        RequestError::invalid("an additional field ID must be a positive integer")
            .at_with(path, format!("got {}", json::describe(value)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::field::{FieldDef, FieldType, Typed};
    use serde_json::{json, Value};
    use std::collections::HashSet;

    pub(crate) fn catalog() -> Catalog {
        let def = |id, name: &str, ty, required, readonly| FieldDef {
            id,
            name: name.into(),
            ty,
            required,
            readonly,
            allowed_values: if ty == FieldType::Combobox { vec!["M".into(), "F".into()] } else { vec![] },
        };
        Catalog::new([
            def(15867, "Birthday", FieldType::Date, false, false),
            def(15868, "Gender", FieldType::Combobox, false, false),
            def(15869, "Age", FieldType::Number, false, false),
            def(15870, "Customer since", FieldType::Date, false, true),
            def(15871, "Region", FieldType::String, true, false),
        ])
    }

    fn zones(tz: &str) -> Option<String> {
        ["Europe/Kyiv", "UTC"].iter().find(|z| z.eq_ignore_ascii_case(tz)).map(|z| z.to_string())
    }

    fn parse(v: Value) -> Result<ContactInput> {
        let cat = catalog();
        let ctx = Context { catalog: &cat, time_zone: &zones };
        parse_contact(&v, &Path::Root.key("contact"), &ctx, &FieldSelection::All)
    }

    #[test]
    fn a_full_contact_is_normalised() {
        let c = parse(json!({
            "externalCustomerId": 12345,
            "firstName": " Dina ",
            "lastName": null,
            "languageCode": "uk",
            "timeZone": "europe/kyiv",
            "channels": [{"type": "Email", "value": "Kozak@Example.com"}, {"type": "sms", "value": "+380 50 123 4567"}],
            "fields": [{"id": 15867, "value": "2020-09-02"}, {"id": "15868", "value": "F"}, {"id": 15869, "value": ""}]
        }))
        .unwrap();
        assert_eq!(c.external_id.as_deref(), Some("12345"));
        assert_eq!(c.first_name, Patch::Set("Dina".into()));
        assert_eq!(c.last_name, Patch::Clear);
        assert_eq!(c.language, Patch::Set("uk".into()));
        assert_eq!(c.time_zone, Patch::Set("Europe/Kyiv".into()));
        assert_eq!(c.channels[0], Channel { ty: ChannelType::Email, value: "kozak@example.com".into() });
        assert_eq!(c.channels[1].value, "380501234567");
        assert_eq!(c.fields.len(), 3);
        assert_eq!(c.fields[0].value.as_ref().unwrap().typed, Typed::Date("2020-09-02".into()));
        assert_eq!(c.fields[2].value, None, "an empty value clears");
    }

    #[test]
    fn absent_keys_keep_what_is_stored() {
        let c = parse(json!({"channels": [{"type": "email", "value": "a@example.com"}]})).unwrap();
        assert!(c.first_name.is_keep() && c.last_name.is_keep() && c.language.is_keep());
        assert_eq!(c.external_id, None);
    }

    #[test]
    fn errors_point_into_the_contact() {
        let cases = [
            (json!({"firstname": "x"}), "22023", "at contact.firstname"),
            (json!({"channels": {}}), "22023", "at contact.channels: got an object"),
            (json!({"channels": [{"type": "fax", "value": "1"}]}), "22023", "at contact.channels[0].type"),
            (
                json!({"channels": [{"type": "email", "value": "bad"}]}),
                "22P02",
                "at contact.channels[0].value",
            ),
            (json!({"channels": [{"type": "email"}]}), "22023", "at contact.channels[0].value"),
            (json!({"fields": [{"id": 1, "value": "x"}]}), "42704", "at contact.fields[0].id"),
            (
                json!({"fields": [{"id": -4, "value": "x"}]}),
                "22023",
                "at contact.fields[0].id: got a number (-4)",
            ),
            (
                json!({"fields": [{"id": 15869, "value": "abc"}]}),
                "22P02",
                "at contact.fields[0].value: got \"abc\"",
            ),
            (json!({"fields": [{"id": 15868, "value": "X"}]}), "22023", "at contact.fields[0].value"),
            (
                json!({"fields": [{"id": 15870, "value": "2020-01-01"}]}),
                "55000",
                "at contact.fields[0].value",
            ),
            (json!({"fields": [{"id": 15871, "value": null}]}), "23502", "at contact.fields[0].value"),
            (
                json!({"fields": [{"id": 15869, "value": 1}, {"id": 15869, "value": 2}]}),
                "23505",
                "at contact.fields[1] and contact.fields[0]",
            ),
            (
                json!({"channels": [{"type": "email", "value": "a@x.io"}, {"type": "email", "value": "b@x.io"}]}),
                "22023",
                "at contact.channels[1] and contact.channels[0]",
            ),
            (
                json!({"channels": [{"type": "webpush", "value": "t"}, {"type": "webpush", "value": "t"}]}),
                "23505",
                "at contact.channels[1] and contact.channels[0]",
            ),
            (json!({"timeZone": "Mars/Olympus"}), "22023", "at contact.timeZone"),
            (json!({"languageCode": "english!"}), "22023", "at contact.languageCode"),
            (json!({"firstName": "x".repeat(256)}), "22023", "at contact.firstName"),
            (json!([]), "22023", "at contact: got an array of 0 elements"),
        ];
        for (body, state, detail) in cases {
            let err = parse(body.clone()).unwrap_err();
            assert_eq!(err.kind.sqlstate(), state, "{body}: {err}");
            assert!(err.detail.as_deref().unwrap_or("").starts_with(detail), "{body}: {err}");
        }
    }

    #[test]
    fn unselected_fields_are_checked_but_not_written() {
        let cat = catalog();
        let ctx = Context { catalog: &cat, time_zone: &zones };
        let only: HashSet<i32> = [15868].into();
        let body = json!({"fields": [{"id": 15869, "value": 3}, {"id": 15868, "value": "M"}, {"id": 15870, "value": "2020-01-01"}]});
        let c = parse_contact(&body, &Path::Root, &ctx, &FieldSelection::Only(&only)).unwrap();
        assert_eq!(c.fields.iter().map(|f| f.field_id).collect::<Vec<_>>(), vec![15868]);
        let bad = json!({"fields": [{"id": 15869, "value": "x"}]});
        assert!(parse_contact(&bad, &Path::Root, &ctx, &FieldSelection::Only(&only)).is_err());
    }
}
