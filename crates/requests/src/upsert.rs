//! `upsert_contacts` body: `{"contacts":[…], "customFieldsIDs":[…]}`.

use crate::contact::{field_id, parse_contact, ContactInput, Context, FieldSelection};
use crate::error::{RequestError, Result};
use crate::json::{self, Json, JsonObject};
use crate::path::Path;
use std::collections::HashSet;

#[derive(Debug)]
pub struct UpsertRequest {
    pub contacts: Vec<ContactInput>,
}

/// Element names for errors about one contact of the list.
pub fn element_name(i: usize) -> String {
    format!("contacts[{i}]")
}

/// Parses and checks the whole body; nothing is written if any element is wrong.
///
/// Field values are written only for IDs listed in `customFieldsIDs` when the list is given
/// (every given value is still checked); without the list every given value is written.
pub fn parse_upsert<V: Json>(body: &V, ctx: &Context) -> Result<UpsertRequest> {
    let root = Path::Root;
    let map = json::object(body, &root)?;
    json::known_keys(map, &["contacts", "customFieldsIDs"], &root)?;

    let listed: Option<HashSet<i32>> = match map.get("customFieldsIDs").filter(|v| !v.is_null()) {
        None => None,
        Some(v) => {
            let at = root.key("customFieldsIDs");
            let mut ids = HashSet::new();
            for (i, item) in json::array(v, &at)?.iter().enumerate() {
                let here = at.index(i);
                let id = field_id(item, &here)?;
                ctx.catalog.lookup(id, &here)?;
                ids.insert(id);
            }
            Some(ids)
        }
    };
    let selection = match &listed {
        Some(ids) => FieldSelection::Only(ids),
        None => FieldSelection::All,
    };

    let list_at = root.key("contacts");
    let items = json::array(json::required(map, "contacts", &root)?, &list_at)?;
    if items.is_empty() {
        return Err(RequestError::invalid("\"contacts\" is empty").at(&list_at));
    }
    let mut contacts = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        crate::interrupt::tick();
        let at = list_at.index(i);
        let contact = parse_contact(item, &at, ctx, &selection)?;
        if contact.external_id.is_none() && contact.channels.is_empty() {
            return Err(RequestError::invalid(
                "a contact needs an externalCustomerId or at least one channel",
            )
            .at(&at)
            .with_hint("contacts are matched by externalCustomerId, then email, then phone"));
        }
        contacts.push(contact);
    }
    Ok(UpsertRequest { contacts })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::field::{Catalog, FieldDef, FieldType};
    use serde_json::{json, Value};

    fn catalog() -> Catalog {
        Catalog::new([FieldDef {
            id: 12345,
            name: "Age".into(),
            ty: FieldType::Number,
            required: false,
            readonly: false,
            allowed_values: vec![],
        }])
    }

    fn parse(body: Value) -> Result<UpsertRequest> {
        let cat = catalog();
        parse_upsert(&body, &Context { catalog: &cat, time_zone: &|_| None })
    }

    #[test]
    fn a_borrowed_body_reads_as_its_serde_twin() {
        let catalog = catalog();
        let ctx = Context { catalog: &catalog, time_zone: &|tz: &str| Some(tz.to_string()) };
        for (body, valid) in [
            (
                json!({"contacts": [{"externalCustomerId": 7, "firstName": "Ann", "languageCode": "uk",
                                  "channels": [{"type": "email", "value": "A@x.io"}, {"type": "sms", "value": "+380 50 123 45 67"}],
                                  "fields": [{"id": "12345", "value": 5}]}], "customFieldsIDs": [12345]}),
                true,
            ),
            (json!({"contacts": [{"channels": [{"type": "fax", "value": "1"}]}]}), false),
        ] {
            let via_serde = parse_upsert(&body, &ctx).map(|r| format!("{:?}", r.contacts));
            let via_node = parse_upsert(&crate::json::node(&body), &ctx).map(|r| format!("{:?}", r.contacts));
            assert_eq!(via_serde.is_ok(), valid, "{via_serde:?}");
            assert_eq!(via_node, via_serde);
        }
    }

    #[test]
    fn the_documented_body_parses() {
        let req = parse(json!({
            "contacts": [{"channels": [{"type": "email", "value": "a@example.com"}], "fields": [{"id": 12345, "value": "42"}]}],
            "customFieldsIDs": [12345]
        }))
        .unwrap();
        assert_eq!(req.contacts.len(), 1);
        assert_eq!(req.contacts[0].fields[0].field_id, 12345);
    }

    #[test]
    fn fields_outside_custom_fields_ids_are_not_written() {
        let req = parse(json!({
            "contacts": [{"externalCustomerId": "X", "fields": [{"id": 12345, "value": "42"}]}],
            "customFieldsIDs": []
        }))
        .unwrap();
        assert!(req.contacts[0].fields.is_empty());
    }

    #[test]
    fn bad_bodies_say_where() {
        for (body, detail) in [
            (json!({}), "at contacts"),
            (json!(null), "at the top level of the body: got null"),
            (json!({"contacts": []}), "at contacts"),
            (json!({"contacts": [{}]}), "at contacts[0]"),
            (
                json!({"contacts": [{"externalCustomerId": "x"}], "customFieldsIDs": [99]}),
                "at customFieldsIDs[0]",
            ),
            (
                json!({"contacts": [{"externalCustomerId": "x"}], "customFieldsIDs": "12345"}),
                "at customFieldsIDs: got a string",
            ),
            (json!({"contacts": [{"externalCustomerId": "x"}], "extra": 1}), "at extra"),
        ] {
            let err = parse(body.clone()).unwrap_err();
            assert!(err.detail.as_deref().unwrap_or("").starts_with(detail), "{body}: {err}");
        }
    }
}
