//! Additional fields: their types, and the check of a value against a field's definition. A
//! value is stored as canonical text plus one typed column (number, date or boolean) so that
//! segments can compare it as what it is.

use crate::error::{ErrorKind, RequestError, Result};
use crate::json::{describe, quoted, Json, Kind};
use crate::path::Path;
use std::collections::HashMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    String,
    Number,
    Date,
    Boolean,
    Combobox,
}

pub const FIELD_TYPES: &str = "string, number, date, boolean, combobox";

impl FieldType {
    pub fn parse(name: &str) -> Option<FieldType> {
        Some(match name.to_ascii_lowercase().as_str() {
            "string" => FieldType::String,
            "number" => FieldType::Number,
            "date" => FieldType::Date,
            "boolean" => FieldType::Boolean,
            "combobox" => FieldType::Combobox,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            FieldType::String => "string",
            FieldType::Number => "number",
            FieldType::Date => "date",
            FieldType::Boolean => "boolean",
            FieldType::Combobox => "combobox",
        }
    }
}

/// One entry of the field catalog, as the request layer needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldDef {
    pub id: i32,
    pub name: String,
    pub ty: FieldType,
    pub required: bool,
    pub readonly: bool,
    pub allowed_values: Vec<String>,
}

/// The field catalog, by ID.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    fields: HashMap<i32, FieldDef>,
}

impl Catalog {
    pub fn new(defs: impl IntoIterator<Item = FieldDef>) -> Self {
        Catalog { fields: defs.into_iter().map(|d| (d.id, d)).collect() }
    }

    pub fn get(&self, id: i32) -> Option<&FieldDef> {
        self.fields.get(&id)
    }

    /// Required fields, in ID order (for stable messages).
    pub fn required(&self) -> Vec<&FieldDef> {
        let mut req: Vec<&FieldDef> = self.fields.values().filter(|d| d.required).collect();
        req.sort_by_key(|d| d.id);
        req
    }

    /// Looks a field ID up, or fails with an error pointing at where it was named.
    pub fn lookup(&self, id: i32, path: &Path) -> Result<&FieldDef> {
        self.get(id).ok_or_else(|| {
            RequestError::new(ErrorKind::UndefinedObject, format!("additional field {id} does not exist"))
                .at(path)
                .with_hint("engage.catalogs() lists the fields and their IDs")
        })
    }
}

/// A field value in its stored form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypedValue {
    /// Canonical text (`value` column): what templates and exports show.
    pub text: String,
    /// The typed column this value fills, for comparisons in SQL.
    pub typed: Typed,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Typed {
    Text,
    /// A decimal number in a form `numeric` accepts.
    Number(String),
    /// `YYYY-MM-DD`.
    Date(String),
    Boolean(bool),
}

/// Checks a JSON value against a field. `Ok(None)` means the value clears the field: null, or an
/// empty string (what forms send for "no value").
pub fn check_value<V: Json>(def: &FieldDef, value: &V, path: &Path) -> Result<Option<TypedValue>> {
    let text = match value.kind() {
        Kind::Null => return Ok(None),
        Kind::String(s) if s.trim().is_empty() => return Ok(None),
        Kind::String(s) => s.trim().to_string(),
        Kind::Number(n) => n.to_string(),
        Kind::Bool(b) if def.ty == FieldType::Boolean || def.ty == FieldType::String => b.to_string(),
        _ => {
            return Err(wrong_type(def, path, &describe(value)));
        }
    };
    let typed = match def.ty {
        FieldType::String => Typed::Text,
        FieldType::Number => {
            Typed::Number(parse_number(&text).ok_or_else(|| wrong_type(def, path, &quoted(&text)))?)
        }
        FieldType::Date => {
            Typed::Date(parse_date(&text).ok_or_else(|| wrong_type(def, path, &quoted(&text)))?)
        }
        FieldType::Boolean => {
            Typed::Boolean(parse_bool(&text).ok_or_else(|| wrong_type(def, path, &quoted(&text)))?)
        }
        FieldType::Combobox => {
            if !def.allowed_values.iter().any(|v| v == &text) {
                return Err(RequestError::invalid(format!(
                    "value {} is not one of the allowed values of additional field {} \"{}\"",
                    quoted(&text),
                    def.id,
                    def.name
                ))
                .at(path)
                .with_hint(format!("allowed values: {}", def.allowed_values.join(", "))));
            }
            Typed::Text
        }
    };
    let text = match &typed {
        Typed::Boolean(b) => b.to_string(),
        Typed::Date(d) => d.clone(),
        _ => text,
    };
    Ok(Some(TypedValue { text, typed }))
}

fn wrong_type(def: &FieldDef, path: &Path, found: &str) -> RequestError {
    let (kind, hint) = match def.ty {
        FieldType::Number => (ErrorKind::InvalidTextRepresentation, "a number like 42, -3.5 or 1e3"),
        FieldType::Date => (ErrorKind::InvalidTextRepresentation, "a date as YYYY-MM-DD, like 2020-09-02"),
        FieldType::Boolean => (ErrorKind::InvalidTextRepresentation, "true or false"),
        FieldType::String | FieldType::Combobox => {
            (ErrorKind::InvalidParameterValue, "a string (or a number)")
        }
    };
    RequestError::new(
        kind,
        format!("invalid {} value for additional field {} \"{}\"", def.ty.as_str(), def.id, def.name),
    )
    .at_with(path, format!("got {found}"))
    .with_hint(format!("the value must be {hint}"))
}

/// A decimal number (optionally signed, with fraction and exponent) that `numeric` accepts and
/// that is not absurdly large; NaN and Infinity are refused.
pub fn parse_number(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut i = 0;
    if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
        i += 1;
    }
    let int_start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    let mut digits = i - int_start;
    if i < b.len() && b[i] == b'.' {
        i += 1;
        let frac_start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        digits += i - frac_start;
    }
    if digits == 0 {
        return None;
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
            i += 1;
        }
        let exp_start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        let exp = &s[exp_start..i];
        if exp.is_empty() || exp.len() > 3 {
            return None;
        }
    }
    if i != b.len() || s.len() > 100 {
        return None;
    }
    Some(s.to_string())
}

/// A calendar date `YYYY-MM-DD` (years 1 to 9999) that exists.
pub fn parse_date(s: &str) -> Option<String> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        let part = &s[r];
        part.bytes().all(|c| c.is_ascii_digit()).then(|| part.parse().ok())?
    };
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    if y == 0 || !(1..=12).contains(&m) || d == 0 || d > days_in_month(y, m) {
        return None;
    }
    Some(s.to_string())
}

pub fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400) => 29,
        _ => 28,
    }
}

pub fn parse_bool(s: &str) -> Option<bool> {
    match s.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" => Some(true),
        "false" | "0" | "no" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn def(ty: FieldType) -> FieldDef {
        FieldDef {
            id: 12345,
            name: "F".into(),
            ty,
            required: false,
            readonly: false,
            allowed_values: if ty == FieldType::Combobox { vec!["M".into(), "F".into()] } else { vec![] },
        }
    }

    fn check(ty: FieldType, v: Value) -> Result<Option<TypedValue>> {
        check_value(&def(ty), &v, &Path::Root.key("value"))
    }

    #[test]
    fn numbers_keep_their_digits() {
        let v = check(FieldType::Number, json!(12345678901234567890123_u128)).unwrap().unwrap();
        assert_eq!(v.typed, Typed::Number("12345678901234567890123".into()));
        let v = check(FieldType::Number, json!("-3.50")).unwrap().unwrap();
        assert_eq!(v.text, "-3.50");
        for ok in ["1e3", ".5", "5.", "+7"] {
            assert!(parse_number(ok).is_some(), "{ok}");
        }
        for bad in ["abc", "NaN", "Infinity", "1e", "1e1000", "--1", ".", "1.2.3", "0x10", "1 000"] {
            assert!(parse_number(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn wrong_types_are_rejected_with_their_class() {
        let err = check(FieldType::Number, json!("abc")).unwrap_err();
        assert_eq!(err.kind, ErrorKind::InvalidTextRepresentation);
        assert_eq!(err.detail.as_deref(), Some("at value: got \"abc\""));
        assert!(err.message.contains("invalid number value for additional field 12345"));
        let err = check(FieldType::Number, json!({"a": 1})).unwrap_err();
        assert!(err.detail.unwrap().contains("an object"));
        assert!(check(FieldType::Number, json!(true)).is_err());
        assert!(check(FieldType::Date, json!([1])).is_err());
    }

    #[test]
    fn dates_must_exist() {
        assert_eq!(check(FieldType::Date, json!("2024-02-29")).unwrap().unwrap().text, "2024-02-29");
        for bad in [
            "2023-02-29",
            "2100-02-29",
            "2020-13-01",
            "2020-04-31",
            "0000-01-01",
            "2020-9-2",
            "2020-09-02T00:00:00Z",
            "02.09.2020",
        ] {
            assert!(check(FieldType::Date, json!(bad)).is_err(), "{bad}");
        }
        assert!(parse_date("2000-02-29").is_some());
    }

    #[test]
    fn booleans_accept_the_usual_spellings() {
        assert_eq!(check(FieldType::Boolean, json!(true)).unwrap().unwrap().typed, Typed::Boolean(true));
        let v = check(FieldType::Boolean, json!("FALSE")).unwrap().unwrap();
        assert_eq!((v.text.as_str(), v.typed), ("false", Typed::Boolean(false)));
        assert!(check(FieldType::Boolean, json!("maybe")).is_err());
    }

    #[test]
    fn combobox_values_must_be_allowed() {
        assert_eq!(check(FieldType::Combobox, json!("M")).unwrap().unwrap().text, "M");
        let err = check(FieldType::Combobox, json!("X")).unwrap_err();
        assert_eq!(err.kind, ErrorKind::InvalidParameterValue);
        assert_eq!(err.hint.as_deref(), Some("allowed values: M, F"));
        assert!(check(FieldType::Combobox, json!("m")).is_err(), "case matters");
    }

    #[test]
    fn null_and_empty_clear() {
        for ty in [FieldType::String, FieldType::Number, FieldType::Date, FieldType::Combobox] {
            assert_eq!(check(ty, Value::Null).unwrap(), None);
            assert_eq!(check(ty, json!("  ")).unwrap(), None);
        }
    }

    #[test]
    fn strings_take_scalars() {
        assert_eq!(check(FieldType::String, json!(" x ")).unwrap().unwrap().text, "x");
        assert_eq!(check(FieldType::String, json!(42)).unwrap().unwrap().text, "42");
        assert!(check(FieldType::String, json!(["a"])).is_err());
    }

    #[test]
    fn catalog_lookup_names_the_missing_id() {
        let cat = Catalog::new([def(FieldType::String)]);
        assert!(cat.lookup(12345, &Path::Root).is_ok());
        let err = cat.lookup(7, &Path::Root.key("id")).unwrap_err();
        assert_eq!(err.kind, ErrorKind::UndefinedObject);
        assert_eq!(err.message, "additional field 7 does not exist");
    }
}
