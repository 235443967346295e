//! Matching the contacts of a request to stored ones. The database is asked who owns each
//! identifier (external ID, channel values); deciding what that means is pure logic here:
//! external ID first, then email, then phone; every other identifier given must be free or belong
//! to the same contact; and no two inputs may end up as one contact.

use crate::channel::ChannelType;
use crate::contact::ContactInput;
use crate::error::{ErrorKind, RequestError, Result};
use crate::field::Catalog;
use crate::json::quoted;
use rustc_hash::FxHashMap;

/// A stored contact that owns an identifier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner {
    pub contact_id: i64,
    pub external_id: Option<String>,
}

/// Who owns the identifiers of one input: its external ID, and each of its channels in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Owners {
    pub external_id: Option<Owner>,
    pub channels: Vec<Option<Owner>>,
}

/// Names the element of input `i` in errors: `contacts[3]`, or `contact` for a single one.
pub type ElementName<'a> = &'a dyn Fn(usize) -> String;

/// Refuses a request in which two inputs share an external ID or a channel value: each would
/// claim the other's contact.
pub fn check_duplicates(inputs: &[ContactInput], name: ElementName) -> Result<()> {
    let channels = inputs.iter().map(|c| c.channels.len()).sum();
    let mut ext: FxHashMap<&str, usize> =
        FxHashMap::with_capacity_and_hasher(inputs.len(), Default::default());
    let mut chan: FxHashMap<(ChannelType, &str), (usize, usize)> =
        FxHashMap::with_capacity_and_hasher(channels, Default::default());
    for (i, input) in inputs.iter().enumerate() {
        crate::interrupt::tick();
        if let Some(id) = &input.external_id {
            if let Some(first) = ext.insert(id, i) {
                return Err(RequestError::new(
                    ErrorKind::UniqueViolation,
                    format!("externalCustomerId {} is given for two contacts", quoted(id)),
                )
                .with_detail(format!(
                    "at {}.externalCustomerId and {}.externalCustomerId",
                    name(i),
                    name(first)
                )));
            }
        }
        for (j, c) in input.channels.iter().enumerate() {
            if let Some((fi, fj)) = chan.insert((c.ty, &c.value), (i, j)) {
                return Err(RequestError::new(
                    ErrorKind::UniqueViolation,
                    format!("{} {} is given for two contacts", c.ty.as_str(), quoted(&c.value)),
                )
                .with_detail(format!(
                    "at {}.channels[{j}] and {}.channels[{fj}]",
                    name(i),
                    name(fi)
                )));
            }
        }
    }
    Ok(())
}

/// Decides which stored contact each input is (`None`: a new contact).
pub fn resolve(inputs: &[ContactInput], owners: &[Owners], name: ElementName) -> Result<Vec<Option<i64>>> {
    assert_eq!(inputs.len(), owners.len(), "one Owners per input");
    let mut resolved = Vec::with_capacity(inputs.len());
    let mut taken: FxHashMap<i64, usize> =
        FxHashMap::with_capacity_and_hasher(inputs.len(), Default::default());

    for (i, (input, own)) in inputs.iter().zip(owners).enumerate() {
        crate::interrupt::tick();
        let by_channel = |pred: fn(ChannelType) -> bool| {
            input.channels.iter().zip(&own.channels).find_map(|(c, o)| o.as_ref().filter(|_| pred(c.ty)))
        };
        let matched = own
            .external_id
            .as_ref()
            .or_else(|| by_channel(|t| t == ChannelType::Email))
            .or_else(|| by_channel(ChannelType::is_phone))
            .map(|o| o.contact_id);

        for (j, (c, o)) in input.channels.iter().zip(&own.channels).enumerate() {
            if let Some(o) = o {
                if Some(o.contact_id) != matched {
                    return Err(belongs_elsewhere(
                        format!("{} {}", c.ty.as_str(), quoted(&c.value)),
                        o.contact_id,
                        matched,
                        format!("{}.channels[{j}]", name(i)),
                    ));
                }
            }
        }
        if let (Some(id), Some(contact)) = (&input.external_id, matched) {
            let stored = match &own.external_id {
                Some(o) => o.external_id.clone(),
                None => own
                    .channels
                    .iter()
                    .flatten()
                    .find(|o| o.contact_id == contact)
                    .and_then(|o| o.external_id.clone()),
            };
            if let Some(stored) = stored.filter(|s| s != id) {
                return Err(RequestError::new(
                    ErrorKind::UniqueViolation,
                    format!(
                        "contact {contact} already has externalCustomerId {}, not {}",
                        quoted(&stored),
                        quoted(id)
                    ),
                )
                .with_detail(format!("at {}.externalCustomerId", name(i)))
                .with_hint(
                    "the contact was found by its channels; an external ID is not changed by an upsert",
                ));
            }
        }
        if let Some(contact) = matched {
            if let Some(first) = taken.insert(contact, i) {
                return Err(RequestError::new(
                    ErrorKind::UniqueViolation,
                    format!("two elements of the request are the same stored contact {contact}"),
                )
                .with_detail(format!("at {} and {}", name(i), name(first)))
                .with_hint("merge them into one element"));
            }
        }
        resolved.push(matched);
    }
    Ok(resolved)
}

fn belongs_elsewhere(what: String, owner: i64, matched: Option<i64>, at: String) -> RequestError {
    let message = match matched {
        Some(m) => format!("{what} belongs to contact {owner}, but this element is contact {m}"),
        None => format!("{what} belongs to contact {owner}, which this element does not identify"),
    };
    RequestError::new(ErrorKind::UniqueViolation, message)
        .with_detail(format!("at {at}"))
        .with_hint("a channel value belongs to one contact; contacts are matched by externalCustomerId, then email, then phone")
}

/// A new contact must get a value for every required field.
pub fn check_required(
    inputs: &[ContactInput],
    resolved: &[Option<i64>],
    catalog: &Catalog,
    name: ElementName,
) -> Result<()> {
    let required = catalog.required();
    if required.is_empty() {
        return Ok(());
    }
    for (i, (input, matched)) in inputs.iter().zip(resolved).enumerate() {
        crate::interrupt::tick();
        if matched.is_some() {
            continue;
        }
        for def in &required {
            if !input.fields.iter().any(|f| f.field_id == def.id && f.value.is_some()) {
                return Err(RequestError::new(
                    ErrorKind::NotNullViolation,
                    format!("additional field {} \"{}\" is required for a new contact", def.id, def.name),
                )
                .with_detail(format!("at {}.fields", name(i))));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contact::Channel;
    use crate::contact::FieldWrite;
    use crate::field::{FieldDef, FieldType, Typed, TypedValue};

    fn input(ext: Option<&str>, channels: &[(ChannelType, &str)]) -> ContactInput {
        ContactInput {
            external_id: ext.map(String::from),
            channels: channels.iter().map(|(ty, v)| Channel { ty: *ty, value: v.to_string() }).collect(),
            ..Default::default()
        }
    }

    fn owner(id: i64, ext: Option<&str>) -> Option<Owner> {
        Some(Owner { contact_id: id, external_id: ext.map(String::from) })
    }

    fn name(i: usize) -> String {
        format!("contacts[{i}]")
    }

    use ChannelType::{Email, Sms, WebPush};

    #[test]
    fn external_id_then_email_then_phone() {
        let inputs = vec![
            input(Some("A"), &[(Email, "a@x.io")]),
            input(None, &[(Sms, "3801"), (Email, "b@x.io")]),
            input(None, &[(Sms, "3802")]),
            input(Some("new"), &[(Email, "new@x.io")]),
        ];
        let owners = vec![
            Owners { external_id: owner(1, Some("A")), channels: vec![owner(1, Some("A"))] },
            Owners { external_id: None, channels: vec![owner(2, None), owner(2, None)] },
            Owners { external_id: None, channels: vec![owner(3, None)] },
            Owners { external_id: None, channels: vec![None] },
        ];
        assert_eq!(resolve(&inputs, &owners, &name).unwrap(), vec![Some(1), Some(2), Some(3), None]);
    }

    #[test]
    fn a_channel_of_another_contact_is_refused() {
        let inputs = vec![input(Some("A"), &[(Email, "b@x.io")])];
        let owners = vec![Owners { external_id: owner(1, Some("A")), channels: vec![owner(2, None)] }];
        let err = resolve(&inputs, &owners, &name).unwrap_err();
        assert_eq!(err.kind, ErrorKind::UniqueViolation);
        assert_eq!(err.message, "email \"b@x.io\" belongs to contact 2, but this element is contact 1");
        assert_eq!(err.detail.as_deref(), Some("at contacts[0].channels[0]"));

        let inputs = vec![input(None, &[(Email, "new@x.io"), (WebPush, "tok")])];
        let owners = vec![Owners { external_id: None, channels: vec![None, owner(7, None)] }];
        let err = resolve(&inputs, &owners, &name).unwrap_err();
        assert!(err.message.contains("which this element does not identify"), "{err}");
    }

    #[test]
    fn an_external_id_is_not_changed_by_matching_on_email() {
        let inputs = vec![input(Some("B"), &[(Email, "a@x.io")])];
        let owners = vec![Owners { external_id: None, channels: vec![owner(1, Some("A"))] }];
        let err = resolve(&inputs, &owners, &name).unwrap_err();
        assert_eq!(err.message, "contact 1 already has externalCustomerId \"A\", not \"B\"");
        let owners = vec![Owners { external_id: None, channels: vec![owner(1, None)] }];
        assert_eq!(
            resolve(&inputs, &owners, &name).unwrap(),
            vec![Some(1)],
            "an empty external ID is filled in"
        );
    }

    #[test]
    fn two_elements_cannot_be_one_contact() {
        let inputs = vec![input(Some("A"), &[]), input(None, &[(Email, "a@x.io")])];
        let owners = vec![
            Owners { external_id: owner(1, Some("A")), channels: vec![] },
            Owners { external_id: None, channels: vec![owner(1, Some("A"))] },
        ];
        let err = resolve(&inputs, &owners, &name).unwrap_err();
        assert_eq!(err.detail.as_deref(), Some("at contacts[1] and contacts[0]"));
    }

    #[test]
    fn duplicates_in_one_request_are_refused() {
        let err = check_duplicates(&[input(Some("A"), &[]), input(Some("A"), &[])], &name).unwrap_err();
        assert_eq!(
            err.detail.as_deref(),
            Some("at contacts[1].externalCustomerId and contacts[0].externalCustomerId")
        );
        let err = check_duplicates(
            &[input(None, &[(Sms, "1")]), input(None, &[(Email, "e@x.io"), (Sms, "1")])],
            &name,
        )
        .unwrap_err();
        assert_eq!(err.detail.as_deref(), Some("at contacts[1].channels[1] and contacts[0].channels[0]"));
        assert!(check_duplicates(
            &[input(None, &[(Sms, "1")]), input(None, &[(ChannelType::Viber, "1")])],
            &name
        )
        .is_ok());
    }

    #[test]
    fn new_contacts_need_required_fields() {
        let cat = Catalog::new([FieldDef {
            id: 9,
            name: "Region".into(),
            ty: FieldType::String,
            required: true,
            readonly: false,
            allowed_values: vec![],
        }]);
        let mut with = input(None, &[(Email, "a@x.io")]);
        with.fields.push(FieldWrite {
            field_id: 9,
            value: Some(TypedValue { text: "EU".into(), typed: Typed::Text }),
        });
        let without = input(None, &[(Email, "b@x.io")]);
        assert!(check_required(&[with.clone()], &[None], &cat, &name).is_ok());
        assert!(
            check_required(std::slice::from_ref(&without), &[Some(4)], &cat, &name).is_ok(),
            "existing contacts keep theirs"
        );
        let err = check_required(&[with, without], &[None, None], &cat, &name).unwrap_err();
        assert_eq!(err.kind, ErrorKind::NotNullViolation);
        assert_eq!(err.detail.as_deref(), Some("at contacts[1].fields"));
    }
}
