//! Checks for the arguments of `create_field` and `alter_field`: the definition of an additional
//! field, before anything is written.

use crate::error::{RequestError, Result};
use crate::field::{FieldType, FIELD_TYPES};
use crate::json::quoted;

/// A field or group name (`what`) given as SQL argument `argument`: trimmed, 1 to 100 characters.
pub fn check_name(what: &str, argument: &str, name: &str) -> Result<String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(RequestError::invalid(format!("a {what} name must have 1 to 100 characters"))
            .with_detail(format!("argument {argument}: {}", quoted(name))));
    }
    Ok(name.to_string())
}

pub fn check_type(name: &str) -> Result<FieldType> {
    FieldType::parse(name.trim()).ok_or_else(|| {
        RequestError::invalid(format!("unknown field type {}", quoted(name)))
            .with_detail("argument field_type")
            .with_hint(format!("field types: {FIELD_TYPES}"))
    })
}

/// The allowed values of a combobox: at least one, each non-empty and listed once. Other types
/// take none.
pub fn check_allowed_values(ty: FieldType, values: Option<&[Option<String>]>) -> Result<Vec<String>> {
    match (ty, values) {
        (FieldType::Combobox, None) => Err(RequestError::invalid("a combobox field needs allowed values")
            .with_detail("argument allowed_values is NULL")
            .with_hint("for example allowed_values => ARRAY['M', 'F']")),
        (FieldType::Combobox, Some(values)) => {
            if values.is_empty() {
                return Err(RequestError::invalid("a combobox field needs allowed values")
                    .with_detail("argument allowed_values is empty"));
            }
            let mut out: Vec<String> = Vec::with_capacity(values.len());
            for (i, v) in values.iter().enumerate() {
                let v = v.as_deref().map(str::trim).unwrap_or("");
                if v.is_empty() || v.chars().count() > 255 {
                    return Err(RequestError::invalid("an allowed value must have 1 to 255 characters")
                        .with_detail(format!("argument allowed_values[{}]", i + 1)));
                }
                if out.iter().any(|o| o == v) {
                    return Err(RequestError::invalid(format!(
                        "allowed value {} is listed twice",
                        quoted(v)
                    ))
                    .with_detail(format!("argument allowed_values[{}]", i + 1)));
                }
                out.push(v.to_string());
            }
            Ok(out)
        }
        (_, None) => Ok(Vec::new()),
        (ty, Some(_)) => Err(RequestError::invalid(format!(
            "only combobox fields have allowed values, and this one is a {} field",
            ty.as_str()
        ))
        .with_detail("argument allowed_values")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn some(v: &[&str]) -> Vec<Option<String>> {
        v.iter().map(|s| Some(s.to_string())).collect()
    }

    #[test]
    fn combobox_values() {
        assert_eq!(
            check_allowed_values(FieldType::Combobox, Some(&some(&[" M", "F "]))).unwrap(),
            vec!["M", "F"]
        );
        assert!(check_allowed_values(FieldType::Combobox, None).is_err());
        assert!(check_allowed_values(FieldType::Combobox, Some(&[])).is_err());
        let err = check_allowed_values(FieldType::Combobox, Some(&some(&["M", "M"]))).unwrap_err();
        assert_eq!(err.detail.as_deref(), Some("argument allowed_values[2]"));
        let err = check_allowed_values(FieldType::Combobox, Some(&[Some("a".into()), None])).unwrap_err();
        assert_eq!(err.detail.as_deref(), Some("argument allowed_values[2]"));
        assert!(check_allowed_values(FieldType::Date, Some(&some(&["x"]))).is_err());
        assert!(check_allowed_values(FieldType::Date, None).unwrap().is_empty());
    }

    #[test]
    fn names_and_types() {
        assert_eq!(check_name("field", "name", "  Birthday ").unwrap(), "Birthday");
        let err = check_name("field", "name", " ").unwrap_err();
        assert_eq!(err.detail.as_deref(), Some("argument name: \"\""));
        assert!(check_name("field", "name", &"x".repeat(101)).is_err());
        assert_eq!(check_type("Date").unwrap(), FieldType::Date);
        assert_eq!(
            check_type("text").unwrap_err().hint.as_deref(),
            Some("field types: string, number, date, boolean, combobox")
        );
    }
}
