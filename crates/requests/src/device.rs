//! `register_devices` body: `{"devices": [...]}`, what a mobile or web push SDK registers (spec
//! 001's devices dataset: `deviceId`, `pushToken`, `category`, `osType`, `osVersion`,
//! `deviceModel`, `appVersion`, `applicationId`, `languageCode`, `timeZone`) and who uses the
//! device (`externalCustomerId`, `email` or `phone`, any of them, or none yet). All or nothing:
//! the first bad device refuses the call.

use crate::channel::ChannelType;
use crate::error::{ErrorKind, RequestError, Result};
use crate::json::{self, quoted, Json, JsonObject};
use crate::path::Path;
use std::collections::HashMap;

/// Devices one call may carry.
pub const MAX_DEVICES: usize = 1000;

const DEVICE_KEYS: &[&str] = &[
    "deviceId",
    "pushToken",
    "category",
    "osType",
    "osVersion",
    "deviceModel",
    "appVersion",
    "applicationId",
    "languageCode",
    "timeZone",
    "externalCustomerId",
    "email",
    "phone",
];

/// The push channel a device is: the channel type its token is stored as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceCategory {
    MobilePush,
    WebPush,
}

impl DeviceCategory {
    /// `mobilepush`/`webpush`, also in the SDKs' spellings `MOBILE_PUSH`/`WEB_PUSH`.
    pub fn parse(s: &str) -> Option<DeviceCategory> {
        match s.to_ascii_lowercase().replace('_', "").as_str() {
            "mobilepush" => Some(DeviceCategory::MobilePush),
            "webpush" => Some(DeviceCategory::WebPush),
            _ => None,
        }
    }

    pub fn channel(self) -> &'static str {
        match self {
            DeviceCategory::MobilePush => "mobilepush",
            DeviceCategory::WebPush => "webpush",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Device {
    pub device_id: String,
    pub push_token: String,
    pub category: DeviceCategory,
    pub os_type: Option<String>,
    pub os_version: Option<String>,
    pub device_model: Option<String>,
    pub app_version: Option<String>,
    pub application_id: Option<i64>,
    pub language_code: Option<String>,
    /// As given; the caller checks it names a time zone.
    pub time_zone: Option<String>,
    pub external_customer_id: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
}

pub fn element_name(i: usize) -> String {
    format!("devices[{i}]")
}

/// Parses the body; a device, or a push token, named twice in one call is refused (23505).
pub fn parse_devices<V: Json>(body: &V) -> Result<Vec<Device>> {
    let items = json::body_list(body, "devices", MAX_DEVICES)?;
    let root = Path::Root;
    let list_at = root.key("devices");
    // A device, and a token (one device holds it), once per call.
    let mut ids: HashMap<String, usize> = HashMap::new();
    let mut tokens: HashMap<(&'static str, String), usize> = HashMap::new();
    let mut devices = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        crate::interrupt::tick();
        let at = list_at.index(i);
        let device = parse_device(item, &at)?;
        let repeated = |key: &str, value: &str, first: usize| {
            RequestError::new(ErrorKind::UniqueViolation, format!("{key} {} is repeated", quoted(value)))
                .at_with(&at.key(key), format!("first given at devices[{first}]"))
        };
        if let Some(first) = ids.insert(device.device_id.clone(), i) {
            return Err(repeated("deviceId", &device.device_id, first));
        }
        if let Some(first) = tokens.insert((device.category.channel(), device.push_token.clone()), i) {
            return Err(repeated("pushToken", &device.push_token, first));
        }
        devices.push(device);
    }
    Ok(devices)
}

fn parse_device<V: Json>(value: &V, at: &Path) -> Result<Device> {
    let map = json::object(value, at)?;
    json::known_keys(map, DEVICE_KEYS, at)?;
    let category_at = at.key("category");
    let category_text = json::required_string(map, "category", at)?;
    let category = DeviceCategory::parse(category_text).ok_or_else(|| {
        RequestError::invalid(format!("unknown device category {}", quoted(category_text)))
            .at(&category_at)
            .with_hint("Categories are mobilepush (MOBILE_PUSH) and webpush (WEB_PUSH).")
    })?;
    let application_id = match map.get("applicationId").filter(|v| !v.is_null()) {
        None => None,
        Some(v) => Some(v.as_i64().ok_or_else(|| {
            RequestError::invalid("\"applicationId\" must be a whole number")
                .at_with(&at.key("applicationId"), format!("got {}", json::describe(v)))
        })?),
    };
    Ok(Device {
        device_id: json::required_text(map, "deviceId", at, 250)?,
        push_token: json::required_text(map, "pushToken", at, 4096)?,
        category,
        os_type: json::optional_text(map, "osType", at, 50)?,
        os_version: json::optional_text(map, "osVersion", at, 50)?,
        device_model: json::optional_text(map, "deviceModel", at, 100)?,
        app_version: json::optional_text(map, "appVersion", at, 50)?,
        application_id,
        language_code: json::optional_text(map, "languageCode", at, 20)?,
        time_zone: json::optional_text(map, "timeZone", at, 100)?,
        external_customer_id: json::optional_text(map, "externalCustomerId", at, 200)?,
        email: ChannelType::Email.optional_at(map, "email", 254, at)?,
        phone: ChannelType::Sms.optional_at(map, "phone", 50, at)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn device() -> Value {
        json!({"deviceId": "a1b2", "pushToken": "tok-1", "category": "MOBILE_PUSH", "osType": "ANDROID",
               "osVersion": "14", "deviceModel": "Pixel 8", "appVersion": "2.3.0", "applicationId": 7,
               "languageCode": "uk", "timeZone": "Europe/Kyiv", "externalCustomerId": "C-1",
               "email": "Ann@Example.com"})
    }

    fn error_at(body: Value) -> (String, &'static str) {
        let e = parse_devices(&body).unwrap_err();
        (e.detail.unwrap_or_default(), e.kind.sqlstate())
    }

    #[test]
    fn an_sdk_registration_reads_with_its_values_normalized() {
        let d = parse_devices(&json!({"devices": [device()]})).unwrap().remove(0);
        assert_eq!((d.device_id.as_str(), d.category.channel()), ("a1b2", "mobilepush"));
        assert_eq!((d.application_id, d.email.as_deref()), (Some(7), Some("ann@example.com")));
        assert_eq!(DeviceCategory::parse("webpush"), Some(DeviceCategory::WebPush));
    }

    #[test]
    fn bad_devices_are_refused_with_the_element() {
        let mut bad = device();
        bad["category"] = json!("sms");
        assert_eq!(error_at(json!({"devices": [device(), bad]})).0, "at devices[1].category");
        let mut bad = device();
        bad.as_object_mut().unwrap().remove("pushToken");
        assert_eq!(error_at(json!({"devices": [bad]})), ("at devices[0].pushToken".into(), "22023"));
        assert_eq!(error_at(json!({"devices": [device(), device()]})).1, "23505");
        let mut other = device();
        other["deviceId"] = json!("c3d4");
        assert_eq!(
            error_at(json!({"devices": [device(), other]})).0,
            "at devices[1].pushToken: first given at devices[0]"
        );
        let many: Vec<Value> =
            (0..1001).map(|i| json!({"deviceId": i, "pushToken": "t", "category": "webpush"})).collect();
        assert_eq!(error_at(json!({"devices": many})).1, "54000");
        let mut bad = device();
        bad["applicationId"] = json!("seven");
        assert_eq!(
            error_at(json!({"devices": [bad]})).0,
            "at devices[0].applicationId: got a string (\"seven\")"
        );
    }
}
