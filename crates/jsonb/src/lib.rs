//! Decodes PostgreSQL's binary `jsonb` format (src/include/utils/jsonb.h) into a
//! `serde_json::Value` ([`decode`]), or into any tree a [`Builder`] makes ([`decode_with`]: the
//! template engine's values), so a function taking a large `jsonb` body does not pay for printing
//! it as text and parsing the text back. The result is exactly what parsing `jsonb_out`'s text
//! gives: object keys in stored order, numbers with `numeric_out`'s digits.
//!
//! Input is the detoasted datum's bytes after its 4-byte varlena header. Every read is bounds
//! checked: malformed input is an error, never a panic.

use serde_json::{Map, Number, Value};
use std::fmt;

mod borrowed;
pub use borrowed::{lookup, Borrowed, Node};
#[cfg(any(feature = "vtl", test))]
mod vtl_values;
#[cfg(any(feature = "vtl", test))]
pub use vtl_values::VtlValues;

#[cfg(target_endian = "big")]
compile_error!("engage-jsonb reads the little-endian on-disk layout");

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    /// The bytes are not a `jsonb` value (what is wrong with them).
    Malformed(&'static str),
    /// A valid value nested deeper than [`MAX_DEPTH`].
    TooDeep,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::Malformed(what) => write!(f, "malformed jsonb: {what}"),
            DecodeError::TooDeep => write!(f, "JSON nested deeper than {MAX_DEPTH} levels"),
        }
    }
}

impl std::error::Error for DecodeError {}

type Result<T> = std::result::Result<T, DecodeError>;

const JB_CMASK: u32 = 0x0FFF_FFFF;
const JB_FSCALAR: u32 = 0x1000_0000;
const JB_FOBJECT: u32 = 0x2000_0000;
const JB_FARRAY: u32 = 0x4000_0000;

const JENTRY_OFFLENMASK: u32 = 0x0FFF_FFFF;
const JENTRY_TYPEMASK: u32 = 0x7000_0000;
const JENTRY_HAS_OFF: u32 = 0x8000_0000;
const JENTRY_ISSTRING: u32 = 0x0000_0000;
const JENTRY_ISNUMERIC: u32 = 0x1000_0000;
const JENTRY_ISBOOL_FALSE: u32 = 0x2000_0000;
const JENTRY_ISBOOL_TRUE: u32 = 0x3000_0000;
const JENTRY_ISNULL: u32 = 0x4000_0000;
const JENTRY_ISCONTAINER: u32 = 0x5000_0000;

/// Nesting deeper than this is refused (Postgres itself limits depth only by stack size): what
/// is decoded is later walked recursively (printed, rendered, dropped), and JSON text parsed by
/// `serde_json` (a `jsonParam`) has the same limit, so every reader agrees.
pub const MAX_DEPTH: usize = 128;

/// Makes the values of a decoded document whose bytes live for `'a` (a builder may borrow its
/// strings and keys from them: [`Borrowed`]).
pub trait Builder<'a> {
    type Value;
    type Object;
    fn null(&mut self) -> Self::Value;
    fn boolean(&mut self, b: bool) -> Self::Value;
    fn string(&mut self, s: &'a str) -> Self::Value;
    /// A number, as `numeric_out` prints it (no exponent).
    fn number(&mut self, text: &str) -> Result<Self::Value>;
    fn array(&mut self, items: Vec<Self::Value>) -> Self::Value;
    fn object(&mut self, len: usize) -> Self::Object;
    fn insert(&mut self, object: &mut Self::Object, key: &'a str, value: Self::Value);
    fn finish(&mut self, object: Self::Object) -> Self::Value;
}

/// Builds `serde_json` values.
pub struct SerdeJson;

impl Builder<'_> for SerdeJson {
    type Value = Value;
    type Object = Map<String, Value>;
    fn null(&mut self) -> Value {
        Value::Null
    }
    fn boolean(&mut self, b: bool) -> Value {
        Value::Bool(b)
    }
    fn string(&mut self, s: &str) -> Value {
        Value::String(s.to_owned())
    }
    fn number(&mut self, text: &str) -> Result<Value> {
        text.parse::<Number>()
            .map(Value::Number)
            .map_err(|_| DecodeError::Malformed("numeric is not a JSON number"))
    }
    fn array(&mut self, items: Vec<Value>) -> Value {
        Value::Array(items)
    }
    fn object(&mut self, len: usize) -> Self::Object {
        Map::with_capacity(len)
    }
    fn insert(&mut self, object: &mut Self::Object, key: &str, value: Value) {
        object.insert(key.to_owned(), value);
    }
    fn finish(&mut self, object: Self::Object) -> Value {
        Value::Object(object)
    }
}

/// Decodes a root container: the bytes of a `Jsonb` after its varlena header.
pub fn decode(root: &[u8]) -> Result<Value> {
    decode_with(root, &mut SerdeJson, &mut || {})
}

/// Decodes a root container with `builder` making the values. `interrupt` is called for every
/// container, so that a host can stop the decoding of a huge document (it may unwind).
pub fn decode_with<'a, B: Builder<'a>>(
    root: &'a [u8],
    builder: &mut B,
    interrupt: &mut dyn FnMut(),
) -> Result<B::Value> {
    container(root, 0, &mut Decoder { builder, interrupt })
}

/// What the recursive walk carries along.
struct Decoder<'a, B> {
    builder: &'a mut B,
    interrupt: &'a mut dyn FnMut(),
}

fn u32_at(buf: &[u8], at: usize) -> Result<u32> {
    let bytes = buf.get(at..at + 4).ok_or(DecodeError::Malformed("truncated"))?;
    Ok(u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]))
}

fn int_align(n: usize) -> usize {
    (n + 3) & !3
}

/// Decodes one container (array or object) that starts at `buf[0]`.
fn container<'a, B: Builder<'a>>(buf: &'a [u8], depth: usize, d: &mut Decoder<B>) -> Result<B::Value> {
    if depth >= MAX_DEPTH {
        return Err(DecodeError::TooDeep);
    }
    (d.interrupt)();
    let header = u32_at(buf, 0)?;
    let count = (header & JB_CMASK) as usize;
    let entries = if header & JB_FOBJECT != 0 { count.checked_mul(2) } else { Some(count) }
        .ok_or(DecodeError::Malformed("entry count overflows"))?;
    let base = entries
        .checked_mul(4)
        .and_then(|n| n.checked_add(4))
        .ok_or(DecodeError::Malformed("entry count overflows"))?;
    if base > buf.len() {
        return Err(DecodeError::Malformed("entries past the end"));
    }
    // Each entry stores its length, or (every 32nd) its end offset; walking in order gives both.
    let mut spans = Vec::with_capacity(entries);
    let mut start = 0usize;
    for i in 0..entries {
        let entry = u32_at(buf, 4 + 4 * i)?;
        let field = (entry & JENTRY_OFFLENMASK) as usize;
        let end = if entry & JENTRY_HAS_OFF != 0 { field } else { start + field };
        if end < start || base + end > buf.len() {
            return Err(DecodeError::Malformed("entry past the end"));
        }
        spans.push((entry & JENTRY_TYPEMASK, start, end));
        start = end;
    }
    let data = &buf[base..];
    if header & JB_FARRAY != 0 {
        let mut items = Vec::with_capacity(count);
        for &(ty, from, to) in &spans {
            items.push(scalar_or_container(data, ty, from, to, depth, d)?);
        }
        if header & JB_FSCALAR != 0 {
            return items
                .pop()
                .filter(|_| count == 1)
                .ok_or(DecodeError::Malformed("raw scalar without one element"));
        }
        Ok(d.builder.array(items))
    } else if header & JB_FOBJECT != 0 {
        let mut map = d.builder.object(count);
        for i in 0..count {
            let (key_ty, key_from, key_to) = spans[i];
            if key_ty != JENTRY_ISSTRING {
                return Err(DecodeError::Malformed("object key is not a string"));
            }
            let key = text(&data[key_from..key_to])?;
            let (ty, from, to) = spans[count + i];
            let value = scalar_or_container(data, ty, from, to, depth, d)?;
            d.builder.insert(&mut map, key, value);
        }
        Ok(d.builder.finish(map))
    } else {
        Err(DecodeError::Malformed("container is neither array nor object"))
    }
}

fn text(bytes: &[u8]) -> Result<&str> {
    std::str::from_utf8(bytes).map_err(|_| DecodeError::Malformed("string is not UTF-8"))
}

fn scalar_or_container<'a, B: Builder<'a>>(
    data: &'a [u8],
    ty: u32,
    from: usize,
    to: usize,
    depth: usize,
    d: &mut Decoder<B>,
) -> Result<B::Value> {
    let b = &mut *d.builder;
    match ty {
        JENTRY_ISSTRING => Ok(b.string(text(&data[from..to])?)),
        JENTRY_ISNULL => Ok(b.null()),
        JENTRY_ISBOOL_FALSE => Ok(b.boolean(false)),
        JENTRY_ISBOOL_TRUE => Ok(b.boolean(true)),
        // Numerics and containers are stored int-aligned after padding counted in the entry.
        JENTRY_ISNUMERIC => {
            let at = int_align(from);
            let digits =
                numeric_text(data.get(at..to).ok_or(DecodeError::Malformed("numeric past the end"))?)?;
            b.number(&digits)
        }
        JENTRY_ISCONTAINER => {
            let at = int_align(from);
            container(data.get(at..to).ok_or(DecodeError::Malformed("container past the end"))?, depth + 1, d)
        }
        _ => Err(DecodeError::Malformed("unknown entry type")),
    }
}

const NUMERIC_SIGN_MASK: u16 = 0xC000;
const NUMERIC_NEG: u16 = 0x4000;
const NUMERIC_SHORT: u16 = 0x8000;
const NUMERIC_SPECIAL: u16 = 0xC000;
const NUMERIC_SHORT_SIGN_MASK: u16 = 0x2000;
const NUMERIC_SHORT_DSCALE_MASK: u16 = 0x1F80;
const NUMERIC_SHORT_DSCALE_SHIFT: u16 = 7;
const NUMERIC_SHORT_WEIGHT_SIGN_MASK: u16 = 0x0040;
const NUMERIC_SHORT_WEIGHT_MASK: u16 = 0x003F;
const NUMERIC_DSCALE_MASK: u16 = 0x3FFF;

/// The text `numeric_out` prints for a `numeric` varlena (1- or 4-byte header): base-10000 digit
/// groups with a weight, and `dscale` digits after the point.
pub fn numeric_text(varlena: &[u8]) -> Result<String> {
    let first = *varlena.first().ok_or(DecodeError::Malformed("empty numeric"))?;
    let body = if first & 0x01 == 0x01 {
        let len = (first >> 1) as usize;
        varlena.get(1..len).ok_or(DecodeError::Malformed("numeric past the end"))?
    } else {
        let len = (u32_at(varlena, 0)? >> 2) as usize;
        varlena.get(4..len).ok_or(DecodeError::Malformed("numeric past the end"))?
    };
    let word = |i: usize| -> Result<u16> {
        let b = body.get(2 * i..2 * i + 2).ok_or(DecodeError::Malformed("numeric digits past the end"))?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    };
    let header = word(0)?;
    let (negative, dscale, weight, first_digit) = match header & NUMERIC_SIGN_MASK {
        NUMERIC_SPECIAL => return Err(DecodeError::Malformed("NaN or infinity is not a JSON number")),
        NUMERIC_SHORT => {
            let magnitude = (header & NUMERIC_SHORT_WEIGHT_MASK) as i32;
            let weight =
                if header & NUMERIC_SHORT_WEIGHT_SIGN_MASK != 0 { magnitude - 64 } else { magnitude };
            let dscale = (header & NUMERIC_SHORT_DSCALE_MASK) >> NUMERIC_SHORT_DSCALE_SHIFT;
            (header & NUMERIC_SHORT_SIGN_MASK != 0, dscale as i32, weight, 1)
        }
        sign => (sign == NUMERIC_NEG, (header & NUMERIC_DSCALE_MASK) as i32, word(1)? as i16 as i32, 2),
    };
    let ndigits = body.len() / 2 - first_digit;
    let digit = |d: i32| -> Result<u16> {
        if d < 0 || d as usize >= ndigits {
            Ok(0)
        } else {
            let v = word(first_digit + d as usize)?;
            if v > 9999 {
                Err(DecodeError::Malformed("numeric digit over 9999"))
            } else {
                Ok(v)
            }
        }
    };

    let mut out = String::with_capacity(8 + 4 * ndigits);
    if negative {
        out.push('-');
    }
    let mut d = 0;
    if weight < 0 {
        out.push('0');
        d = weight + 1;
    } else {
        while d <= weight {
            let group = digit(d)?;
            if d == 0 {
                out.push_str(&group.to_string());
            } else {
                out.push_str(&format!("{group:04}"));
            }
            d += 1;
        }
    }
    if dscale > 0 {
        out.push('.');
        let mut fraction = String::with_capacity(dscale as usize + 4);
        while (fraction.len() as i32) < dscale {
            fraction.push_str(&format!("{:04}", digit(d)?));
            d += 1;
        }
        fraction.truncate(dscale as usize);
        out.push_str(&fraction);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A short-header numeric varlena (4-byte header form) from sign, dscale, weight, digits.
    fn numeric(negative: bool, dscale: u16, weight: i16, digits: &[u16]) -> Vec<u8> {
        let mut body = Vec::new();
        let mut header = NUMERIC_SHORT | (dscale << NUMERIC_SHORT_DSCALE_SHIFT);
        if negative {
            header |= NUMERIC_SHORT_SIGN_MASK;
        }
        header |= (weight as u16) & (NUMERIC_SHORT_WEIGHT_MASK | NUMERIC_SHORT_WEIGHT_SIGN_MASK);
        body.extend_from_slice(&header.to_le_bytes());
        for d in digits {
            body.extend_from_slice(&d.to_le_bytes());
        }
        let len = (body.len() + 4) as u32;
        let mut v = (len << 2).to_le_bytes().to_vec();
        v.extend(body);
        v
    }

    #[test]
    fn numerics_print_like_numeric_out() {
        assert_eq!(numeric_text(&numeric(false, 0, 0, &[])).unwrap(), "0");
        assert_eq!(numeric_text(&numeric(false, 2, 0, &[])).unwrap(), "0.00");
        assert_eq!(numeric_text(&numeric(false, 0, 0, &[42])).unwrap(), "42");
        assert_eq!(numeric_text(&numeric(true, 0, 1, &[12, 3456])).unwrap(), "-123456");
        assert_eq!(numeric_text(&numeric(false, 0, 1, &[1])).unwrap(), "10000");
        assert_eq!(numeric_text(&numeric(false, 2, 0, &[3, 5000])).unwrap(), "3.50");
        assert_eq!(numeric_text(&numeric(false, 5, -1, &[12])).unwrap(), "0.00120");
        assert_eq!(numeric_text(&numeric(true, 6, -2, &[5])).unwrap(), "-0.000000");
    }

    #[test]
    fn long_form_numerics_and_one_byte_headers() {
        // Long form: sign_dscale, weight, digits: 1e40 with dscale 1 -> "1" + 40 zeros + ".0".
        let mut body = Vec::new();
        body.extend_from_slice(&1u16.to_le_bytes());
        body.extend_from_slice(&10i16.to_le_bytes());
        body.extend_from_slice(&1u16.to_le_bytes());
        let mut v = (((body.len() + 4) as u32) << 2).to_le_bytes().to_vec();
        v.extend(&body);
        assert_eq!(numeric_text(&v).unwrap(), format!("1{}.0", "0".repeat(40)));
        // The same short numeric 7 with a 1-byte header.
        let short = numeric(false, 0, 0, &[7]);
        let mut one = vec![(((short.len() - 3) as u8) << 1) | 1];
        one.extend(&short[4..]);
        assert_eq!(numeric_text(&one).unwrap(), "7");
    }

    /// Builds a container by hand: header, entries (lengths), data.
    fn build(header: u32, entries: &[(u32, Vec<u8>)]) -> Vec<u8> {
        let mut out = header.to_le_bytes().to_vec();
        let mut data = Vec::new();
        for (ty, bytes) in entries {
            let pad = if *ty == JENTRY_ISNUMERIC || *ty == JENTRY_ISCONTAINER {
                int_align(data.len()) - data.len()
            } else {
                0
            };
            let len = (pad + bytes.len()) as u32;
            out.extend_from_slice(&(ty | len).to_le_bytes());
            data.extend(std::iter::repeat_n(0u8, pad));
            data.extend(bytes);
        }
        out.extend(data);
        out
    }

    /// `{"a": 5.5, "bb": "é", "ccc": inner}`
    fn object_abc(inner: Vec<u8>) -> Vec<u8> {
        build(
            JB_FOBJECT | 3,
            &[
                (JENTRY_ISSTRING, b"a".to_vec()),
                (JENTRY_ISSTRING, b"bb".to_vec()),
                (JENTRY_ISSTRING, b"ccc".to_vec()),
                (JENTRY_ISNUMERIC, numeric(false, 1, 0, &[5, 5000])),
                (JENTRY_ISSTRING, "é".as_bytes().to_vec()),
                (JENTRY_ISCONTAINER, inner),
            ],
        )
    }

    #[test]
    fn containers_scalars_and_nesting() {
        let inner = build(JB_FARRAY | 2, &[(JENTRY_ISBOOL_TRUE, vec![]), (JENTRY_ISNULL, vec![])]);
        let obj = object_abc(inner);
        let v = decode(&obj).unwrap();
        assert_eq!(v, json!({"a": 5.5, "bb": "é", "ccc": [true, null]}));
        assert_eq!(v.as_object().unwrap().keys().collect::<Vec<_>>(), vec!["a", "bb", "ccc"]);
        let scalar = build(JB_FARRAY | JB_FSCALAR | 1, &[(JENTRY_ISBOOL_FALSE, vec![])]);
        assert_eq!(decode(&scalar).unwrap(), json!(false));
    }

    #[test]
    fn borrowed_nodes_are_the_same_document() {
        let inner = build(
            JB_FARRAY | 3,
            &[
                (JENTRY_ISBOOL_TRUE, vec![]),
                (JENTRY_ISNULL, vec![]),
                (JENTRY_ISSTRING, "tab\t \"q\" \\ \u{1}".as_bytes().to_vec()),
            ],
        );
        let obj = object_abc(inner);
        let node = decode_with(&obj, &mut Borrowed, &mut || {}).unwrap();
        assert_eq!(node.get("bb"), Some(&Node::String("é")));
        assert_eq!(node.get("a"), Some(&Node::Number("5.5".into())));
        assert_eq!(node.get("c"), None);
        assert_eq!(node.get("ccc").and_then(|c| c.get("x")), None);
        let text = node.to_json();
        let reparsed: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(reparsed, decode(&obj).unwrap(), "{text}");
    }

    #[test]
    fn template_values_are_what_the_engine_makes_of_the_same_json() {
        let inner = build(
            JB_FARRAY | 4,
            &[
                (JENTRY_ISBOOL_TRUE, vec![]),
                (JENTRY_ISNULL, vec![]),
                (JENTRY_ISNUMERIC, numeric(true, 0, 2, &[1, 0, 0])),
                (JENTRY_ISNUMERIC, numeric(false, 0, 5, &[12, 3456, 7890, 1234, 5678, 9012])),
            ],
        );
        let obj = object_abc(inner);
        let direct = decode_with(&obj, &mut VtlValues, &mut || {}).unwrap();
        let via_serde = vtl::from_json(&decode(&obj).unwrap());
        assert!(vtl::value::java_equals(&direct, &via_serde));
        // Same classes too: -100000000 an Integer, the 22-digit number a BigInteger, 5.5 a Double.
        let engine = vtl::Engine::new(vtl::Config::default());
        let classes =
            "#foreach($v in $data.ccc)$!v.getClass().getSimpleName() #end$data.a.getClass().getSimpleName()";
        let render = |v: &vtl::Value| {
            let mut vars = vtl::Vars::default();
            vars.insert(engine.intern("data"), v.clone());
            engine.render_source("t", classes, vars, &vtl::NoLoader).unwrap()
        };
        assert_eq!(render(&direct), "Boolean  Integer BigInteger Double");
        assert_eq!(render(&direct), render(&via_serde));
    }

    /// `[[…[]…]]`, `depth` arrays deep.
    fn nested(depth: usize) -> Vec<u8> {
        let mut doc = build(JB_FARRAY, &[]);
        for _ in 1..depth {
            doc = build(JB_FARRAY | 1, &[(JENTRY_ISCONTAINER, doc)]);
        }
        doc
    }

    #[test]
    fn nesting_past_the_limit_is_its_own_error_and_every_container_can_be_interrupted() {
        let mut containers = 0;
        assert!(decode_with(&nested(MAX_DEPTH), &mut SerdeJson, &mut || containers += 1).is_ok());
        assert_eq!(containers, MAX_DEPTH);
        assert_eq!(decode(&nested(MAX_DEPTH + 1)), Err(DecodeError::TooDeep));
        assert_eq!(DecodeError::TooDeep.to_string(), "JSON nested deeper than 128 levels");
    }

    #[test]
    fn offsets_every_32nd_entry_are_followed() {
        // 40 one-byte strings; entry 31 stores its end offset instead of its length.
        let mut out = (JB_FARRAY | 40).to_le_bytes().to_vec();
        for i in 0..40u32 {
            let e = if i == 31 { JENTRY_HAS_OFF | 32 } else { 1 };
            out.extend_from_slice(&e.to_le_bytes());
        }
        out.extend((0..40u8).map(|i| b'a' + i % 26));
        let v = decode(&out).unwrap();
        assert_eq!(v[31], json!("f"));
        assert_eq!(v[39], json!("n"));
    }

    #[test]
    fn malformed_input_is_an_error_not_a_panic() {
        let good =
            build(JB_FOBJECT | 1, &[(JENTRY_ISSTRING, b"k".to_vec()), (JENTRY_ISSTRING, b"v".to_vec())]);
        for cut in 0..good.len() {
            assert!(decode(&good[..cut]).is_err(), "cut at {cut}");
        }
        assert!(decode(&(JB_FARRAY | 0x0FFF_FFFF).to_le_bytes()).is_err());
        assert!(decode(&0u32.to_le_bytes()).is_err());
        let bad_key = build(JB_FOBJECT | 1, &[(JENTRY_ISNULL, vec![]), (JENTRY_ISNULL, vec![])]);
        assert!(decode(&bad_key).is_err());
        let bad_utf8 = build(JB_FARRAY | 1, &[(JENTRY_ISSTRING, vec![0xff])]);
        assert!(decode(&bad_utf8).is_err());
        // Every byte flip of a valid document decodes or fails, never panics.
        for i in 0..good.len() {
            for bit in 0..8 {
                let mut b = good.clone();
                b[i] ^= 1 << bit;
                let _ = decode(&b);
            }
        }
    }
}
