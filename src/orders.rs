//! Orders as SQL: `add_orders` (spec 002's Add orders). The body is checked by
//! `engage_requests::order`; each order's contact is found (external ID, then email, then phone)
//! or created with source `ORDER`; `engage_internal.store_orders` writes the orders, items, status
//! history, `order<STATUS>` events and revenue set-based.

use crate::contact_writer::{contacts_by_keys, write_contacts, WriteOptions};
use crate::error::{EngageError, OrRaise, Result};
use crate::json_body::JsonbBytes;
use engage_jsonb::Node;
use engage_requests::channel::ChannelType;
use engage_requests::contact::{Channel, ContactInput};
use engage_requests::field::Catalog;
use engage_requests::json::{Json, Kind, Patch};
use engage_requests::order::{parse_orders, Order, OrderItem};
use pgrx::datum::DatumWithOid;
use pgrx::prelude::*;
use pgrx::spi::SpiClient;
use pgrx::JsonB;
use serde_json::json;
use std::collections::{HashMap, HashSet};

/// Contacts an order creates: what the customer gave the shop, usable at once (a buyer's address
/// is theirs), and never changing the channels of a contact that exists.
const NEW_CUSTOMERS: WriteOptions =
    WriteOptions { source: "ORDER", new_channel_status: "active", replace_channels: false };

/// Stores orders (the Add orders body, up to 1,000 a call). An order is identified by its
/// `externalOrderId`: sent again, it is updated, and its items replaced when it states items. All
/// or nothing unless
/// `skip_invalid`, when the valid orders are stored and the others listed in `failedOrders`.
#[pg_extern(security_definer)]
#[search_path(pg_catalog, pg_temp)]
fn add_orders(body: JsonbBytes, skip_invalid: default!(bool, false)) -> JsonB {
    let body = body.node();
    let parsed = parse_orders(&body).or_raise();
    let mut valid = Vec::with_capacity(parsed.len());
    let mut failed = Vec::new();
    for (i, order) in parsed.into_iter().enumerate() {
        match order {
            Ok(order) => valid.push(order),
            Err(e) if skip_invalid => failed.push(json!({
                "index": i,
                "externalOrderId": given_order_id(&body, i),
                "sqlstate": e.kind.sqlstate(),
                "error": e.message,
                "detail": e.detail,
            })),
            Err(e) => EngageError::from(e).raise(),
        }
    }
    drop(body);
    let stored = if valid.is_empty() {
        Stored::default()
    } else {
        Spi::connect_mut(|client| store(client, &valid)).or_raise()
    };
    JsonB(json!({
        "created": stored.created,
        "updated": stored.updated,
        "contactsCreated": stored.contacts_created,
        "events": stored.events,
        "failedOrders": failed,
    }))
}
extension_sql!(
    "COMMENT ON FUNCTION engage.add_orders(jsonb,boolean) IS 'Stores orders (an Add orders body, up to 1,000 a call), finding or creating each one''s contact; an order sent again (same externalOrderId) is updated. All or nothing unless skip_invalid. Returns created, updated, contactsCreated, events, failedOrders.';",
    name = "comment_add_orders",
    requires = [add_orders]
);

/// The `externalOrderId` the body gives its order `i` (a string or a number), if any: a failed
/// order is reported with it.
fn given_order_id(body: &Node, i: usize) -> Option<String> {
    let order = body.get("orders")?.as_array()?.get(i)?;
    match order.get("externalOrderId")?.kind() {
        Kind::String(s) => Some(s.to_string()),
        Kind::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

#[derive(Default)]
struct Stored {
    created: i32,
    updated: i32,
    contacts_created: usize,
    events: i32,
}

fn store(client: &mut SpiClient, orders: &[Order]) -> Result<Stored> {
    let (contact_ids, contacts_created) = order_contacts(client, orders)?;
    let mut args = order_args(orders, contact_ids);
    args.extend(item_args(orders));
    let row = client.update(STORE_ORDERS, None, &args)?.first();
    let (created, updated, events) = row.get_three::<i32, i32, i32>()?;
    Ok(Stored {
        created: created.unwrap_or_default(),
        updated: updated.unwrap_or_default(),
        contacts_created,
        events: events.unwrap_or_default(),
    })
}

const STORE_ORDERS: &str = "SELECT * FROM engage_internal.store_orders($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13,
    $14, $15, $16, $17, $18, $19, $20, $21, $22::text[]::jsonb[], $23, $24, $25, $26, $27, $28, $29, $30, $31, $32, $33)";

/// Each order's contact: found by the order's external customer ID, else email, else phone, or
/// created. Orders of one new customer (one external ID) create one contact; a new contact gets
/// the order's email and phone unless another new contact of this call took them first.
fn order_contacts(client: &mut SpiClient, orders: &[Order]) -> Result<(Vec<i64>, usize)> {
    let mut found = find_contacts(client, orders)?;
    if found.iter().any(Option::is_none) {
        // Two calls creating the same new customer at once: the second waits for the first here,
        // and then finds the contact the first one made instead of failing on its key.
        let keys: Vec<&str> = orders
            .iter()
            .zip(&found)
            .filter(|(_, contact)| contact.is_none())
            .flat_map(|(o, _)| {
                [Some(o.external_customer_id.as_str()), o.email.as_deref(), o.phone.as_deref()]
            })
            .flatten()
            .collect();
        client.update(LOCK_NEW_CONTACT_KEYS, None, &[keys.into()])?;
        found = find_contacts(client, orders)?;
    }

    let mut new_customers: Vec<ContactInput> = Vec::new();
    let mut place: HashMap<&str, usize> = HashMap::new();
    let mut taken: HashSet<(ChannelType, &str)> = HashSet::new();
    for (order, contact) in orders.iter().zip(&found) {
        if contact.is_some() || place.contains_key(order.external_customer_id.as_str()) {
            continue;
        }
        let channels = [(ChannelType::Email, &order.email), (ChannelType::Sms, &order.phone)]
            .into_iter()
            .filter_map(|(ty, value)| value.as_deref().map(|v| (ty, v)))
            .filter(|&(ty, v)| taken.insert((ty, v)))
            .map(|(ty, v)| Channel { ty, value: v.to_string() })
            .collect();
        place.insert(&order.external_customer_id, new_customers.len());
        new_customers.push(ContactInput {
            external_id: Some(order.external_customer_id.clone()),
            first_name: patch(&order.first_name),
            last_name: patch(&order.last_name),
            channels,
            ..Default::default()
        });
    }
    let written = if new_customers.is_empty() {
        Vec::new()
    } else {
        // Orders create contacts without additional fields, required ones included.
        write_contacts(
            client,
            &new_customers,
            &Catalog::default(),
            &|i| format!("new customer {i}"),
            &NEW_CUSTOMERS,
        )?
    };
    let ids = orders
        .iter()
        .zip(found)
        .map(|(order, contact)| {
            contact.unwrap_or_else(|| written[place[order.external_customer_id.as_str()]].contact_id)
        })
        .collect();
    Ok((ids, written.len()))
}

/// Locks for creating contacts: one transaction-level advisory lock (class 1047) per bucket of
/// the keys' hashes, taken in order, so that at most 64 are held however many customers are new.
const LOCK_NEW_CONTACT_KEYS: &str = "
SELECT pg_advisory_xact_lock(1047, b.bucket)
FROM (SELECT DISTINCT hashtext(k) & 63 AS bucket FROM unnest($1::text[]) k ORDER BY 1) b";

/// Each order's contact by its external customer ID, email or phone, held FOR KEY SHARE.
fn find_contacts(client: &mut SpiClient, orders: &[Order]) -> Result<Vec<Option<i64>>> {
    contacts_by_keys(
        client,
        orders
            .iter()
            .map(|o| [Some(o.external_customer_id.as_str()), o.email.as_deref(), o.phone.as_deref()]),
    )
}

fn patch(value: &Option<String>) -> Patch<String> {
    match value {
        Some(v) => Patch::Set(v.clone()),
        None => Patch::Keep,
    }
}

/// The orders' columns, one array each, in the order of `engage_internal.store_orders`'s arguments, and
/// whether each order states its items.
fn order_args(orders: &[Order], contact_ids: Vec<i64>) -> Vec<DatumWithOid<'_>> {
    let text = |column: fn(&Order) -> Option<&str>| -> DatumWithOid<'_> {
        orders.iter().map(column).collect::<Vec<_>>().into()
    };
    vec![
        contact_ids.into(),
        text(|o| Some(&o.external_order_id)),
        text(|o| Some(&o.external_customer_id)),
        text(|o| Some(o.status.as_str())),
        text(|o| o.status_description.as_deref()),
        text(|o| Some(&o.date)),
        text(|o| Some(&o.total_cost)),
        text(|o| Some(&o.currency)),
        text(|o| o.shipping.as_deref()),
        text(|o| o.discount.as_deref()),
        text(|o| o.taxes.as_deref()),
        text(|o| o.email.as_deref()),
        text(|o| o.phone.as_deref()),
        text(|o| o.first_name.as_deref()),
        text(|o| o.last_name.as_deref()),
        text(|o| o.delivery_method.as_deref()),
        text(|o| o.payment_method.as_deref()),
        text(|o| o.delivery_address.as_deref()),
        text(|o| o.restore_url.as_deref()),
        text(|o| o.store_id.as_deref()),
        text(|o| o.source.as_deref()),
        text(|o| o.additional_info.as_deref()),
        orders.iter().map(|o| o.items.is_some()).collect::<Vec<bool>>().into(),
    ]
}

/// The items of all orders, one array per column (with the order and place of each).
fn item_args(orders: &[Order]) -> Vec<DatumWithOid<'_>> {
    let items: Vec<(&str, i32, &OrderItem)> = orders
        .iter()
        .flat_map(|o| {
            let id = o.external_order_id.as_str();
            o.items.iter().flatten().zip(1..).map(move |(item, place)| (id, place, item))
        })
        .collect();
    let text = |column: fn(&OrderItem) -> Option<&str>| -> DatumWithOid<'_> {
        items.iter().map(|(_, _, item)| column(item)).collect::<Vec<_>>().into()
    };
    vec![
        items.iter().map(|(id, _, _)| *id).collect::<Vec<&str>>().into(),
        items.iter().map(|(_, place, _)| *place).collect::<Vec<i32>>().into(),
        text(|i| Some(&i.external_item_id)),
        text(|i| Some(&i.name)),
        text(|i| i.category.as_deref()),
        items.iter().map(|(_, _, item)| item.quantity).collect::<Vec<i32>>().into(),
        text(|i| Some(&i.cost)),
        text(|i| i.url.as_deref()),
        text(|i| i.image_url.as_deref()),
        text(|i| i.description.as_deref()),
    ]
}
