//! `add_orders` body: spec 002's `{"orders": [...]}`, up to 1,000 orders a call, with the keys
//! of the vendor's API reference. Each order is checked on its own, so that a caller may store
//! the valid ones and report the others (`skip_invalid`), or refuse the whole call.

use crate::channel::ChannelType;
use crate::error::{ErrorKind, RequestError, Result};
use crate::field::{days_in_month, parse_number};
use crate::json::{self, quoted, Json, JsonObject};
use crate::path::Path;
use std::collections::HashMap;

/// Orders one call may carry (spec 002).
pub const MAX_ORDERS: usize = 1000;
/// Items one order may carry: well past any cart, short of a body that would exhaust memory.
pub const MAX_ITEMS: usize = 1000;

const ORDER_KEYS: &[&str] = &[
    "externalOrderId",
    "externalCustomerId",
    "totalCost",
    "status",
    "date",
    "currency",
    "email",
    "phone",
    "firstName",
    "lastName",
    "shipping",
    "discount",
    "taxes",
    "deliveryMethod",
    "paymentMethod",
    "deliveryAddress",
    "restoreUrl",
    "statusDescription",
    "storeId",
    "source",
    "additionalInfo",
    "items",
];
const ITEM_KEYS: &[&str] =
    &["externalItemId", "name", "category", "quantity", "cost", "url", "imageUrl", "description"];

/// Longest text a plain attribute takes; URLs and descriptions take more.
const MAX_TEXT: usize = 1000;
const MAX_URL: usize = 2000;
const MAX_DESCRIPTION: usize = 10_000;

/// An order's status. The specs also spell two of them `IN PROGRESS` and `CANCELED`; those are
/// accepted and stored in the one spelling below.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderStatus {
    Initialized,
    InProgress,
    Delivered,
    Cancelled,
    AbandonedShoppingCart,
}

impl OrderStatus {
    pub fn parse(s: &str) -> Option<OrderStatus> {
        Some(match s {
            "INITIALIZED" => OrderStatus::Initialized,
            "IN_PROGRESS" | "IN PROGRESS" => OrderStatus::InProgress,
            "DELIVERED" => OrderStatus::Delivered,
            "CANCELLED" | "CANCELED" => OrderStatus::Cancelled,
            "ABANDONED_SHOPPING_CART" => OrderStatus::AbandonedShoppingCart,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Initialized => "INITIALIZED",
            OrderStatus::InProgress => "IN_PROGRESS",
            OrderStatus::Delivered => "DELIVERED",
            OrderStatus::Cancelled => "CANCELLED",
            OrderStatus::AbandonedShoppingCart => "ABANDONED_SHOPPING_CART",
        }
    }

    /// The event an order entering this status registers (the vendor's `order<STATUS>`).
    pub fn event_key(self) -> String {
        format!("order{}", self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct OrderItem {
    pub external_item_id: String,
    pub name: String,
    pub category: Option<String>,
    pub quantity: i32,
    /// Numbers are kept as the decimal text `numeric` reads, so nothing is rounded on the way.
    pub cost: String,
    pub url: Option<String>,
    pub image_url: Option<String>,
    pub description: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Order {
    pub external_order_id: String,
    pub external_customer_id: String,
    pub total_cost: String,
    pub status: OrderStatus,
    /// The order's time as `timestamptz` input with its offset (UTC when the body gives none).
    pub date: String,
    /// ISO 4217 code, upper case.
    pub currency: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub shipping: Option<String>,
    pub discount: Option<String>,
    pub taxes: Option<String>,
    pub delivery_method: Option<String>,
    pub payment_method: Option<String>,
    pub delivery_address: Option<String>,
    pub restore_url: Option<String>,
    pub status_description: Option<String>,
    pub store_id: Option<String>,
    pub source: Option<String>,
    /// Whatever the shop sends along, kept as given (an object, as JSON text).
    pub additional_info: Option<String>,
    /// `None` when the body has no `items`: an order sent again keeps the items it has.
    pub items: Option<Vec<OrderItem>>,
}

/// Element names for errors about one order of the list.
pub fn element_name(i: usize) -> String {
    format!("orders[{i}]")
}

/// Parses the body: an error for the body as a whole (not an object, no orders, too many), else
/// each order or what is wrong with it, in order. An order repeating an earlier one's
/// `externalOrderId` is wrong (one call states each order once).
pub fn parse_orders<V: Json>(body: &V) -> Result<Vec<Result<Order>>> {
    let items = json::body_list(body, "orders", MAX_ORDERS)?;
    let root = Path::Root;
    let list_at = root.key("orders");
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut orders = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        crate::interrupt::tick();
        let at = list_at.index(i);
        let order = parse_order(item, &at).and_then(|order| match seen.get(&order.external_order_id) {
            Some(first) => Err(RequestError::new(
                ErrorKind::UniqueViolation,
                format!("externalOrderId {} is repeated", quoted(&order.external_order_id)),
            )
            .at_with(&at.key("externalOrderId"), format!("first given at orders[{first}]"))),
            None => {
                seen.insert(order.external_order_id.clone(), i);
                Ok(order)
            }
        });
        orders.push(order);
    }
    Ok(orders)
}

fn parse_order<V: Json>(value: &V, at: &Path) -> Result<Order> {
    let map = json::object(value, at)?;
    json::known_keys(map, ORDER_KEYS, at)?;
    let status_at = at.key("status");
    let status_text = json::required_string(map, "status", at)?;
    let status = OrderStatus::parse(status_text).ok_or_else(|| {
        RequestError::invalid(format!("unknown order status {}", quoted(status_text)))
            .at(&status_at)
            .with_hint(
                "Statuses are INITIALIZED, IN_PROGRESS, DELIVERED, CANCELLED and ABANDONED_SHOPPING_CART.",
            )
    })?;
    let email = ChannelType::Email.optional_at(map, "email", 254, at)?;
    let phone = ChannelType::Sms.optional_at(map, "phone", 50, at)?;
    let items = match map.get("items").filter(|v| !v.is_null()) {
        None => None,
        Some(list) => {
            let list_at = at.key("items");
            let list = json::array(list, &list_at)?;
            if list.len() > MAX_ITEMS {
                return Err(RequestError::new(
                    ErrorKind::ProgramLimitExceeded,
                    format!("an order takes at most {MAX_ITEMS} items"),
                )
                .at_with(&list_at, format!("got {}", list.len())));
            }
            Some(
                list.iter()
                    .enumerate()
                    .map(|(j, item)| parse_item(item, &list_at.index(j)))
                    .collect::<Result<_>>()?,
            )
        }
    };
    let additional_info = match map.get("additionalInfo").filter(|v| !v.is_null()) {
        None => None,
        Some(v) => {
            json::object(v, &at.key("additionalInfo"))?;
            Some(v.to_json())
        }
    };
    Ok(Order {
        external_order_id: json::required_text(map, "externalOrderId", at, 200)?,
        external_customer_id: json::required_text(map, "externalCustomerId", at, 200)?,
        total_cost: number(json::required(map, "totalCost", at)?, &at.key("totalCost"))?,
        status,
        date: timestamp(json::required_string(map, "date", at)?, &at.key("date"))?,
        currency: currency(json::required_string(map, "currency", at)?, &at.key("currency"))?,
        email,
        phone,
        first_name: json::optional_text(map, "firstName", at, MAX_TEXT)?,
        last_name: json::optional_text(map, "lastName", at, MAX_TEXT)?,
        shipping: optional_number(map, "shipping", at)?,
        discount: optional_number(map, "discount", at)?,
        taxes: optional_number(map, "taxes", at)?,
        delivery_method: json::optional_text(map, "deliveryMethod", at, MAX_TEXT)?,
        payment_method: json::optional_text(map, "paymentMethod", at, MAX_TEXT)?,
        delivery_address: json::optional_text(map, "deliveryAddress", at, MAX_TEXT)?,
        restore_url: json::optional_text(map, "restoreUrl", at, MAX_URL)?,
        status_description: json::optional_text(map, "statusDescription", at, MAX_TEXT)?,
        store_id: json::optional_text(map, "storeId", at, MAX_TEXT)?,
        source: json::optional_text(map, "source", at, MAX_TEXT)?,
        additional_info,
        items,
    })
}

fn parse_item<V: Json>(value: &V, at: &Path) -> Result<OrderItem> {
    let map = json::object(value, at)?;
    json::known_keys(map, ITEM_KEYS, at)?;
    let quantity_at = at.key("quantity");
    let given = json::required(map, "quantity", at)?;
    let quantity = given.as_i64().filter(|q| (1..=i64::from(i32::MAX)).contains(q)).ok_or_else(|| {
        RequestError::invalid("\"quantity\" must be a whole number of at least 1")
            .at_with(&quantity_at, format!("got {}", json::describe(given)))
    })?;
    Ok(OrderItem {
        external_item_id: json::required_text(map, "externalItemId", at, 200)?,
        name: json::required_text(map, "name", at, MAX_TEXT)?,
        category: json::optional_text(map, "category", at, MAX_TEXT)?,
        quantity: quantity as i32,
        cost: number(json::required(map, "cost", at)?, &at.key("cost"))?,
        url: json::optional_text(map, "url", at, MAX_URL)?,
        image_url: json::optional_text(map, "imageUrl", at, MAX_URL)?,
        description: json::optional_text(map, "description", at, MAX_DESCRIPTION)?,
    })
}

fn optional_number<O: JsonObject>(map: &O, key: &str, at: &Path) -> Result<Option<String>> {
    match map.get(key).filter(|v| !v.is_null()) {
        None => Ok(None),
        Some(v) => number(v, &at.key(key)).map(Some),
    }
}

/// A money amount: a JSON number or a decimal string, not negative.
fn number<V: Json>(value: &V, at: &Path) -> Result<String> {
    let text = json::scalar_text(value, at)?;
    match parse_number(text.trim()) {
        Some(n) if !n.starts_with('-') => Ok(n),
        _ => Err(json::bad_text(
            at,
            &text,
            "an amount",
            "amounts are decimal numbers of at least 0, like 990 or 12.50",
        )),
    }
}

/// An ISO 4217 currency code: three letters, stored upper case.
fn currency(text: &str, at: &Path) -> Result<String> {
    let code = text.trim();
    if code.len() == 3 && code.bytes().all(|c| c.is_ascii_alphabetic()) {
        return Ok(code.to_ascii_uppercase());
    }
    Err(json::bad_text(
        at,
        text,
        "a currency code",
        "currencies are three-letter ISO 4217 codes like USD or UAH",
    ))
}

/// An ISO 8601 time: `YYYY-MM-DD`, or that with `T` (or a space) and `HH:MM[:SS[.fraction]]`,
/// then `Z` or an offset `±HH[:MM]`. Without an offset the time is UTC. Returned as
/// `timestamptz` input with an explicit offset.
fn timestamp(text: &str, at: &Path) -> Result<String> {
    parse_timestamp(text.trim()).ok_or_else(|| {
        json::bad_text(
            at,
            text,
            "a date",
            "dates are ISO 8601, like 2017-03-08T09:30:00+02:00 (UTC when no offset is given)",
        )
    })
}

fn parse_timestamp(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| -> Option<u32> {
        let part = s.get(r)?;
        part.bytes().all(|c| c.is_ascii_digit()).then(|| part.parse().ok())?
    };
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let (y, m, d) = (digits(0..4)?, digits(5..7)?, digits(8..10)?);
    if y == 0 || !(1..=12).contains(&m) || d == 0 || d > days_in_month(y, m) {
        return None;
    }
    let date = &s[..10];
    if b.len() == 10 {
        return Some(format!("{date} 00:00:00+00"));
    }
    if b[10] != b'T' && b[10] != b' ' {
        return None;
    }
    let rest = &s[11..];
    let zone_at = rest.find(['Z', 'z', '+', '-']).unwrap_or(rest.len());
    let (time, zone) = rest.split_at(zone_at);
    let t = time.as_bytes();
    if t.len() < 5 || t[2] != b':' {
        return None;
    }
    let (hh, mm) = (digits(11..13)?, digits(14..16)?);
    let mut ss = 0;
    if t.len() > 5 {
        if t[5] != b':' || t.len() < 8 {
            return None;
        }
        ss = digits(17..19)?;
        if t.len() > 8 && (t[8] != b'.' || t.len() == 9 || !t[9..].iter().all(u8::is_ascii_digit)) {
            return None;
        }
    }
    if hh > 23 || mm > 59 || ss > 59 {
        return None;
    }
    let offset = match zone {
        "" | "Z" | "z" => "+00".to_string(),
        // After the sign only digits and a colon, so that the slices below cut no character.
        _ if !zone[1..].bytes().all(|c| c.is_ascii_digit() || c == b':') => return None,
        _ => {
            let z = zone.as_bytes();
            let (oh, om) = match z.len() {
                3 => (zone[1..3].parse::<u32>().ok()?, 0),
                5 => (zone[1..3].parse::<u32>().ok()?, zone[3..5].parse::<u32>().ok()?),
                6 if z[3] == b':' => (zone[1..3].parse::<u32>().ok()?, zone[4..6].parse::<u32>().ok()?),
                _ => return None,
            };
            if oh > 15 || om > 59 {
                return None;
            }
            format!("{}{oh:02}:{om:02}", &zone[..1])
        }
    };
    Some(format!("{date} {time}{offset}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::node;
    use serde_json::{json, Value};

    #[test]
    fn a_borrowed_body_reads_as_its_serde_twin() {
        let mut second = spec_order();
        second["externalOrderId"] = json!("100501");
        second["additionalInfo"] = json!({"gift": true, "note": "ring \"twice\""});
        second["items"][0]["quantity"] = json!(2.0);
        for body in [json!({"orders": [spec_order(), second]}), json!({"orders": [{"status": "LOST"}]})] {
            assert_eq!(parse_orders(&node(&body)), parse_orders(&body));
        }
        let info = one(with("additionalInfo", json!({"b": [1, "x"]}))).unwrap().additional_info;
        let via_node =
            parse_orders(&node(&json!({"orders": [with("additionalInfo", json!({"b": [1, "x"]}))]})))
                .unwrap()
                .remove(0)
                .unwrap()
                .additional_info;
        let parsed = |text: Option<String>| serde_json::from_str::<Value>(&text.unwrap()).unwrap();
        assert_eq!(parsed(info), parsed(via_node));
    }

    fn spec_order() -> Value {
        // Spec 002's example, with the keys the vendor's reference also requires.
        json!({
            "externalOrderId": "100500", "externalCustomerId": "12345", "totalCost": 1000,
            "status": "INITIALIZED", "date": "2017-03-08T09:30:00+02:00", "email": "John@Example.com",
            "phone": "380942583691", "firstName": "John", "lastName": "Smith", "currency": "usd",
            "shipping": 10, "discount": 0, "deliveryMethod": "express", "paymentMethod": "cash",
            "deliveryAddress": "First str. 1",
            "items": [{"externalItemId": "200600", "name": "Super Device", "category": "devices", "quantity": 1,
                       "cost": 990, "url": "http://example.com/item/200600",
                       "imageUrl": "http://example.com/item/200600/image.png", "description": "High quality"}]
        })
    }

    fn one(order: Value) -> Result<Order> {
        parse_orders(&json!({"orders": [order]})).unwrap().remove(0)
    }

    fn with(key: &str, value: Value) -> Value {
        let mut order = spec_order();
        order[key] = value;
        order
    }

    /// The element an error's DETAIL names (`at orders[0].status: …`).
    fn element(e: &RequestError) -> String {
        let detail = e.detail.as_deref().unwrap_or_default();
        detail.trim_start_matches("at ").split(':').next().unwrap_or_default().to_string()
    }

    fn error_of(order: Value) -> (String, String, &'static str) {
        let e = one(order).unwrap_err();
        (element(&e), e.message.clone(), e.kind.sqlstate())
    }

    #[test]
    fn the_spec_example_reads_with_its_values_normalized() {
        let order = one(spec_order()).unwrap();
        assert_eq!(order.status, OrderStatus::Initialized);
        assert_eq!(order.date, "2017-03-08 09:30:00+02:00");
        assert_eq!((order.currency.as_str(), order.email.as_deref()), ("USD", Some("john@example.com")));
        assert_eq!((order.total_cost.as_str(), order.shipping.as_deref()), ("1000", Some("10")));
        let items = order.items.as_ref().unwrap();
        assert_eq!(items.len(), 1);
        assert_eq!((items[0].quantity, items[0].cost.as_str()), (1, "990"));
    }

    #[test]
    fn items_left_out_are_none_and_an_empty_list_is_none_of_them() {
        let mut order = spec_order();
        order.as_object_mut().unwrap().remove("items");
        assert_eq!(one(order.clone()).unwrap().items, None);
        order["items"] = json!([]);
        assert_eq!(one(order).unwrap().items, Some(Vec::new()));
    }

    #[test]
    fn statuses_have_one_spelling_each() {
        for (given, stored) in [
            ("IN PROGRESS", "IN_PROGRESS"),
            ("IN_PROGRESS", "IN_PROGRESS"),
            ("CANCELED", "CANCELLED"),
            ("CANCELLED", "CANCELLED"),
            ("DELIVERED", "DELIVERED"),
            ("ABANDONED_SHOPPING_CART", "ABANDONED_SHOPPING_CART"),
        ] {
            let order = one(with("status", json!(given))).unwrap();
            assert_eq!(order.status.as_str(), stored);
        }
        assert_eq!(OrderStatus::Delivered.event_key(), "orderDELIVERED");
        let (element, message, code) = error_of(with("status", json!("PAID")));
        assert_eq!((element.as_str(), code), ("orders[0].status", "22023"));
        assert!(message.contains("\"PAID\""));
    }

    #[test]
    fn required_keys_and_wrong_values_name_their_element() {
        for key in ["externalOrderId", "externalCustomerId", "totalCost", "status", "date", "currency"] {
            let mut order = spec_order();
            order.as_object_mut().unwrap().remove(key);
            assert_eq!(error_of(order).0, format!("orders[0].{key}"), "{key}");
        }
        assert_eq!(error_of(with("totalCost", json!(-5))).0, "orders[0].totalCost");
        assert_eq!(error_of(with("currency", json!("dollars"))).2, "22P02");
        assert_eq!(error_of(with("email", json!("not-an-address"))).0, "orders[0].email");
        assert_eq!(error_of(with("email", json!("not-an-address"))).2, "22P02");
        assert_eq!(error_of(with("phone", json!("12"))).0, "orders[0].phone");
        assert_eq!(error_of(with("coupon", json!("X"))).0, "orders[0].coupon");
        let mut order = spec_order();
        order["items"][0]["colour"] = json!("red");
        assert_eq!(error_of(order).0, "orders[0].items[0].colour");
        let mut order = spec_order();
        order["items"][0]["quantity"] = json!(0);
        assert_eq!(error_of(order).0, "orders[0].items[0].quantity");
    }

    #[test]
    fn dates_are_iso_8601_and_utc_without_an_offset() {
        for (given, stored) in [
            ("2021-10-08", "2021-10-08 00:00:00+00"),
            ("2021-10-08 11:11:02", "2021-10-08 11:11:02+00"),
            ("2021-10-08T11:11:02.250Z", "2021-10-08 11:11:02.250+00"),
            ("2021-10-08T11:11-0530", "2021-10-08 11:11-05:30"),
            ("2021-10-08T11:11:02+03", "2021-10-08 11:11:02+03:00"),
        ] {
            assert_eq!(parse_timestamp(given).as_deref(), Some(stored), "{given}");
        }
        // Not one of the forms; the last three have letters outside ASCII where digits belong.
        for wrong in [
            "2021-02-30",
            "2021-10-08T25:00",
            "08.10.2021",
            "2021-10-08T11:11:02+3",
            "2021-10-08T11",
            "2021-10-08T11:11+aé1",
            "2021-10-08T1é:11",
            "2021-10-08Té",
        ] {
            assert_eq!(parse_timestamp(wrong), None, "{wrong}");
        }
    }

    #[test]
    fn the_list_is_checked_as_a_whole_and_each_order_on_its_own() {
        let too_many = json!({"orders": vec![spec_order(); MAX_ORDERS + 1]});
        assert_eq!(parse_orders(&too_many).unwrap_err().kind.sqlstate(), "54000");
        assert!(parse_orders(&json!({"orders": []})).is_err());
        let mut second = spec_order();
        second["externalOrderId"] = json!("100501");
        let parsed = parse_orders(
            &json!({"orders": [spec_order(), with("status", json!("?")), second, spec_order()]}),
        )
        .unwrap();
        assert!(parsed[0].is_ok() && parsed[1].is_err() && parsed[2].is_ok());
        let repeated = parsed[3].as_ref().unwrap_err();
        assert_eq!(
            (repeated.kind.sqlstate(), element(repeated).as_str()),
            ("23505", "orders[3].externalOrderId")
        );
    }
}
