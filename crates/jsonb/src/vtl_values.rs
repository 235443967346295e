//! Decoding straight into the template engine's values: what `vtl::from_json` makes of the same
//! document (objects as `LinkedHashMap`s, numbers by their digits as `Integer`, `Long`,
//! `BigInteger` or `Double`), without building a `serde_json` tree first. A million-row
//! `engage.render` decodes one context per row.

use crate::{Builder, Result};
use vtl::value::JMap;
use vtl::Value;

pub struct VtlValues;

impl Builder<'_> for VtlValues {
    type Value = Value;
    type Object = JMap;
    fn null(&mut self) -> Value {
        Value::Null
    }
    fn boolean(&mut self, b: bool) -> Value {
        Value::Bool(b)
    }
    fn string(&mut self, s: &str) -> Value {
        Value::str(s)
    }
    fn number(&mut self, text: &str) -> Result<Value> {
        Ok(vtl::value::number_from_lexical(text))
    }
    fn array(&mut self, items: Vec<Value>) -> Value {
        Value::list(items)
    }
    fn object(&mut self, len: usize) -> JMap {
        JMap::with_capacity(len)
    }
    fn insert(&mut self, object: &mut JMap, key: &str, value: Value) {
        object.put(Value::str(key), value);
    }
    fn finish(&mut self, object: JMap) -> Value {
        Value::map(object)
    }
}
