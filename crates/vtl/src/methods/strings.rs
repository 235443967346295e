//! `java.lang.String`. Java strings are UTF-16: lengths and indexes count UTF-16 units, which
//! for ASCII text are bytes, so ASCII takes the direct path and other text is converted.

use super::objects::{java_whitespace, lower_cp, upper_cp};
use super::{
    arg_bool, arg_char, arg_int, arg_str, class_cast, npe, string_result, this_str, to_text, Fault,
    JavaError, MResult, MethodFn,
};
use crate::jdouble;
use crate::value::{utf16_to_string, JArray, JClass, Printer, Value};
use std::cell::RefCell;
use std::rc::Rc;

pub(super) fn units(s: &str) -> Vec<u16> {
    s.encode_utf16().collect()
}

pub(super) fn len16(s: &str) -> usize {
    if s.is_ascii() {
        s.len()
    } else {
        s.encode_utf16().count()
    }
}

fn out_of_range(message: String) -> Fault {
    JavaError::new("java.lang.StringIndexOutOfBoundsException", message).into()
}

/// `substring(begin, end)` with Java's bounds check.
pub(super) fn substring(s: &str, begin: i32, end: i32) -> Result<String, Fault> {
    let len = len16(s) as i64;
    let (b, e) = (i64::from(begin), i64::from(end));
    if b < 0 || b > e || e > len {
        return Err(out_of_range(format!("begin {b}, end {e}, length {len}")));
    }
    Ok(if s.is_ascii() {
        s[b as usize..e as usize].to_string()
    } else {
        utf16_to_string(&units(s)[b as usize..e as usize])
    })
}

fn char_at(s: &str, index: i32) -> MResult {
    let u = units(s);
    match usize::try_from(index).ok().and_then(|i| u.get(i)) {
        Some(c) => Ok(Value::Char(*c)),
        None => Err(out_of_range(format!("index {index}, length {}", u.len()))),
    }
}

/// `indexOf(str, from)` over UTF-16 units.
pub(super) fn index_of(hay: &[u16], needle: &[u16], from: i32) -> i32 {
    let from = from.max(0) as usize;
    if from > hay.len() {
        return if needle.is_empty() { hay.len() as i32 } else { -1 };
    }
    if needle.is_empty() {
        return from as i32;
    }
    hay[from..].windows(needle.len()).position(|w| w == needle).map_or(-1, |p| (p + from) as i32)
}

fn last_index_of(hay: &[u16], needle: &[u16], from: i32) -> i32 {
    let right = hay.len() as i64 - needle.len() as i64;
    let from = i64::from(from).min(right);
    if from < 0 {
        return -1;
    }
    (0..=from as usize).rev().find(|&i| hay[i..i + needle.len()] == *needle).map_or(-1, |i| i as i32)
}

/// The UTF-16 units of a code point (`indexOf(int)`); invalid ones match nothing.
fn code_point_units(cp: i32) -> Vec<u16> {
    match u32::try_from(cp).ok().and_then(char::from_u32) {
        Some(c) => {
            let mut buf = [0u16; 2];
            c.encode_utf16(&mut buf).to_vec()
        }
        None if (0xd800..=0xdfff).contains(&cp) => vec![cp as u16],
        None => Vec::new(),
    }
}

fn index_of_char(s: &str, cp: i32, from: i32) -> i32 {
    let needle = code_point_units(cp);
    if needle.is_empty() {
        return -1;
    }
    index_of(&units(s), &needle, from)
}

fn last_index_of_char(s: &str, cp: i32, from: i32) -> i32 {
    let needle = code_point_units(cp);
    if needle.is_empty() {
        return -1;
    }
    last_index_of(&units(s), &needle, from)
}

fn compare_units(a: &[u16], b: &[u16]) -> i32 {
    for (x, y) in a.iter().zip(b) {
        if x != y {
            return i32::from(*x) - i32::from(*y);
        }
    }
    a.len() as i32 - b.len() as i32
}

/// `compareToIgnoreCase`: per unit, upper case then lower case.
fn compare_ignore_case(a: &[u16], b: &[u16]) -> i32 {
    for (x, y) in a.iter().zip(b) {
        if x != y {
            let (ux, uy) = (upper_cp(u32::from(*x)), upper_cp(u32::from(*y)));
            if ux != uy {
                let (lx, ly) = (lower_cp(ux), lower_cp(uy));
                if lx != ly {
                    return lx as i32 - ly as i32;
                }
            }
        }
    }
    a.len() as i32 - b.len() as i32
}

fn region_matches(
    ignore_case: bool,
    this: &[u16],
    toffset: i32,
    other: &[u16],
    ooffset: i32,
    len: i32,
) -> bool {
    if toffset < 0 || ooffset < 0 {
        return false;
    }
    let (t, o, n) = (toffset as i64, ooffset as i64, i64::from(len));
    if t > this.len() as i64 - n || o > other.len() as i64 - n {
        return false;
    }
    if n <= 0 {
        return true;
    }
    let (a, b) = (&this[t as usize..(t + n) as usize], &other[o as usize..(o + n) as usize]);
    if !ignore_case {
        return a == b;
    }
    a.iter().zip(b).all(|(x, y)| {
        x == y || {
            let (ux, uy) = (upper_cp(u32::from(*x)), upper_cp(u32::from(*y)));
            ux == uy || lower_cp(ux) == lower_cp(uy)
        }
    })
}

fn starts_with(s: &str, prefix: &str, offset: i32) -> bool {
    if offset == 0 {
        return s.starts_with(prefix);
    }
    let (u, p) = (units(s), units(prefix));
    region_matches(false, &u, offset, &p, 0, p.len() as i32)
}

/// `trim()`: drops units up to U+0020 at both ends.
/// `toUpperCase()`/`toLowerCase()` of an ASCII string, the common case: copied once into the
/// value and mapped there, where the general path builds a `String` and copies it again.
fn ascii_case(s: &str, map: fn(&mut str)) -> Option<Value> {
    if !s.is_ascii() {
        return None;
    }
    let mut copy: Rc<str> = Rc::from(s);
    map(Rc::get_mut(&mut copy)?);
    Some(Value::Str(copy))
}

fn trim(s: &str) -> &str {
    s.trim_matches(|c: char| c <= ' ')
}

fn is_ws(c: char) -> bool {
    java_whitespace(u32::from(c))
}

/// `indent(n)`: each line shifted by n spaces (or up to -n leading blanks removed), lines ended
/// with `\n`.
fn indent(s: &str, n: i32) -> String {
    if s.is_empty() {
        return String::new();
    }
    let mut out = String::new();
    for line in java_lines(s) {
        if n > 0 {
            out.extend(std::iter::repeat_n(' ', n as usize));
            out.push_str(line);
        } else if n < 0 {
            let mut rest = line;
            for _ in 0..n.unsigned_abs() {
                match rest.chars().next() {
                    Some(c) if is_ws(c) => rest = &rest[c.len_utf8()..],
                    _ => break,
                }
            }
            out.push_str(rest);
        } else {
            out.push_str(line);
        }
        out.push('\n');
    }
    out
}

/// `lines()`: split at `\n`, `\r` or `\r\n`, without an empty last line.
fn java_lines(s: &str) -> Vec<&str> {
    let mut lines = Vec::new();
    let bytes = s.as_bytes();
    let (mut start, mut i) = (0, 0);
    while i < bytes.len() {
        match bytes[i] {
            b'\n' => {
                lines.push(&s[start..i]);
                start = i + 1;
            }
            b'\r' => {
                lines.push(&s[start..i]);
                if bytes.get(i + 1) == Some(&b'\n') {
                    i += 1;
                }
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    if start < s.len() {
        lines.push(&s[start..]);
    }
    lines
}

/// `translateEscapes()`: Java's escape sequences (octal included) become the characters.
fn translate_escapes(s: &str) -> Result<String, Fault> {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        i += 1;
        if c != '\\' {
            out.push(c);
            continue;
        }
        let Some(&e) = chars.get(i) else {
            return Err(
                JavaError::new("java.lang.IllegalArgumentException", "Invalid escape sequence: \\").into()
            );
        };
        i += 1;
        match e {
            'b' => out.push('\u{8}'),
            'f' => out.push('\u{c}'),
            'n' => out.push('\n'),
            'r' => out.push('\r'),
            's' => out.push(' '),
            't' => out.push('\t'),
            '\'' | '"' | '\\' => out.push(e),
            '0'..='7' => {
                let limit = if e <= '3' { 2 } else { 1 };
                let mut code = e.to_digit(8).unwrap_or(0);
                let mut taken = 0;
                while taken < limit {
                    match chars.get(i).and_then(|c| c.to_digit(8)) {
                        Some(d) => {
                            code = code * 8 + d;
                            i += 1;
                            taken += 1;
                        }
                        None => break,
                    }
                }
                out.push(char::from_u32(code).unwrap_or('?'));
            }
            '\n' => {}
            '\r' => {
                if chars.get(i) == Some(&'\n') {
                    i += 1;
                }
            }
            other => {
                return Err(JavaError::new(
                    "java.lang.IllegalArgumentException",
                    format!("Invalid escape sequence: \\{other} \\\\u{:04X}", other as u32),
                )
                .into())
            }
        }
    }
    Ok(out)
}

fn array(class: JClass, items: Vec<Value>) -> Value {
    Value::Array(Rc::new(JArray { class, items: RefCell::new(items) }))
}

/// The chars of a `char[]` argument.
fn char_array(v: &Value) -> Result<Vec<u16>, Fault> {
    match v {
        Value::Array(a) => Ok(a.items.borrow().iter().map(arg_char).collect()),
        _ => Err(npe()),
    }
}

fn chars_range(chars: &[u16], offset: i32, count: i32) -> Result<String, Fault> {
    let (o, c) = (i64::from(offset), i64::from(count));
    if o < 0 || c < 0 || o + c > chars.len() as i64 {
        return Err(out_of_range(format!("offset {o}, count {c}, length {}", chars.len())));
    }
    Ok(utf16_to_string(&chars[o as usize..(o + c) as usize]))
}

fn bytes_of(s: &str, charset: &str) -> Result<Vec<Value>, Fault> {
    let bytes: Vec<u8> = match charset.to_ascii_uppercase().replace('_', "-").as_str() {
        "UTF-8" | "UTF8" => s.as_bytes().to_vec(),
        "US-ASCII" | "ASCII" => s.chars().map(|c| if c.is_ascii() { c as u8 } else { b'?' }).collect(),
        "ISO-8859-1" | "LATIN1" | "ISO8859-1" => {
            s.chars().map(|c| if (c as u32) < 256 { c as u8 } else { b'?' }).collect()
        }
        _ => return Err(JavaError::new("java.io.UnsupportedEncodingException", charset.to_string()).into()),
    };
    Ok(bytes.into_iter().map(|b| Value::Byte(b as i8)).collect())
}

/// Java's `String.join`: the elements must be CharSequences; null prints as "null".
fn join(host: &mut dyn Printer, delimiter: &str, items: &[Value]) -> MResult {
    let mut out = String::new();
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(delimiter);
        }
        match item {
            Value::Str(s) => out.push_str(s),
            Value::Null => out.push_str("null"),
            other => return Err(class_cast(other, "java.lang.CharSequence")),
        }
        if out.len() > host.string_limit() {
            return string_result(host, out);
        }
    }
    string_result(host, out)
}

fn code_point_at(s: &str, index: i32) -> MResult {
    let u = units(s);
    let i = usize::try_from(index)
        .ok()
        .filter(|&i| i < u.len())
        .ok_or_else(|| out_of_range(format!("index {index}, length {}", u.len())))?;
    let cp = match (u[i], u.get(i + 1)) {
        (h @ 0xd800..=0xdbff, Some(&l @ 0xdc00..=0xdfff)) => {
            0x10000 + ((u32::from(h) - 0xd800) << 10) + (u32::from(l) - 0xdc00)
        }
        (c, _) => u32::from(c),
    };
    Ok(Value::Int(cp as i32))
}

fn code_point_before(s: &str, index: i32) -> MResult {
    let u = units(s);
    let i = usize::try_from(index)
        .ok()
        .filter(|&i| i >= 1 && i <= u.len())
        .ok_or_else(|| out_of_range(format!("index {index}, length {}", u.len())))?;
    let cp = match (u[i - 1], i.checked_sub(2).map(|j| u[j])) {
        (l @ 0xdc00..=0xdfff, Some(h @ 0xd800..=0xdbff)) => {
            0x10000 + ((u32::from(h) - 0xd800) << 10) + (u32::from(l) - 0xdc00)
        }
        (c, _) => u32::from(c),
    };
    Ok(Value::Int(cp as i32))
}

fn code_point_count(s: &str, begin: i32, end: i32) -> MResult {
    let u = units(s);
    if begin < 0 || begin > end || end as usize > u.len() {
        return Err(JavaError::new(
            "java.lang.IndexOutOfBoundsException",
            format!("begin {begin}, end {end}, length {}", u.len()),
        )
        .into());
    }
    let part = &u[begin as usize..end as usize];
    Ok(Value::Int(char::decode_utf16(part.iter().copied()).count() as i32))
}

pub(super) fn lookup(key: &str) -> Option<MethodFn> {
    Some(match key {
        "length()" => |_, r, _| Ok(Value::Int(len16(this_str(r)) as i32)),
        "isEmpty()" => |_, r, _| Ok(Value::Bool(this_str(r).is_empty())),
        "isBlank()" => |_, r, _| Ok(Value::Bool(this_str(r).chars().all(is_ws))),
        "toString()" | "intern()" => |_, r, _| Ok(r.clone()),
        "equals(java.lang.Object)" => {
            |_, r, a| Ok(Value::Bool(matches!(&a[0], Value::Str(s) if **s == *this_str(r))))
        }
        "contentEquals(java.lang.CharSequence)" => |_, r, a| Ok(Value::Bool(arg_str(&a[0])? == this_str(r))),
        "equalsIgnoreCase(java.lang.String)" => |_, r, a| {
            Ok(Value::Bool(match &a[0] {
                Value::Str(s) => {
                    let (x, y) = (units(this_str(r)), units(s));
                    x.len() == y.len() && region_matches(true, &x, 0, &y, 0, x.len() as i32)
                }
                _ => false,
            }))
        },
        "compareTo(java.lang.String)" | "compareTo(java.lang.Object)" => |_, r, a| match &a[0] {
            Value::Str(s) => Ok(Value::Int(compare_units(&units(this_str(r)), &units(s)))),
            Value::Null => Err(npe()),
            other => Err(class_cast(other, "java.lang.String")),
        },
        "compareToIgnoreCase(java.lang.String)" => {
            |_, r, a| Ok(Value::Int(compare_ignore_case(&units(this_str(r)), &units(arg_str(&a[0])?))))
        }
        "compare(java.lang.CharSequence,java.lang.CharSequence)" => {
            |_, _, a| Ok(Value::Int(compare_units(&units(arg_str(&a[0])?), &units(arg_str(&a[1])?))))
        }
        "charAt(int)" => |_, r, a| char_at(this_str(r), arg_int(&a[0])),
        "codePointAt(int)" => |_, r, a| code_point_at(this_str(r), arg_int(&a[0])),
        "codePointBefore(int)" => |_, r, a| code_point_before(this_str(r), arg_int(&a[0])),
        "codePointCount(int,int)" => |_, r, a| code_point_count(this_str(r), arg_int(&a[0]), arg_int(&a[1])),
        "substring(int)" => |_, r, a| {
            let s = this_str(r);
            Ok(Value::string(substring(s, arg_int(&a[0]), len16(s) as i32)?))
        },
        "substring(int,int)" | "subSequence(int,int)" => {
            |_, r, a| Ok(Value::string(substring(this_str(r), arg_int(&a[0]), arg_int(&a[1]))?))
        }
        "indexOf(java.lang.String)" => |_, r, a| {
            let (s, n) = (this_str(r), arg_str(&a[0])?);
            Ok(Value::Int(if s.is_ascii() {
                s.find(n).map_or(-1, |p| p as i32)
            } else {
                index_of(&units(s), &units(n), 0)
            }))
        },
        "indexOf(java.lang.String,int)" => {
            |_, r, a| Ok(Value::Int(index_of(&units(this_str(r)), &units(arg_str(&a[0])?), arg_int(&a[1]))))
        }
        "indexOf(int)" => |_, r, a| Ok(Value::Int(index_of_char(this_str(r), arg_int(&a[0]), 0))),
        "indexOf(int,int)" => {
            |_, r, a| Ok(Value::Int(index_of_char(this_str(r), arg_int(&a[0]), arg_int(&a[1]))))
        }
        "lastIndexOf(java.lang.String)" => |_, r, a| {
            let (s, n) = (units(this_str(r)), units(arg_str(&a[0])?));
            Ok(Value::Int(last_index_of(&s, &n, s.len() as i32)))
        },
        "lastIndexOf(java.lang.String,int)" => |_, r, a| {
            Ok(Value::Int(last_index_of(&units(this_str(r)), &units(arg_str(&a[0])?), arg_int(&a[1]))))
        },
        "lastIndexOf(int)" => {
            |_, r, a| Ok(Value::Int(last_index_of_char(this_str(r), arg_int(&a[0]), i32::MAX)))
        }
        "lastIndexOf(int,int)" => {
            |_, r, a| Ok(Value::Int(last_index_of_char(this_str(r), arg_int(&a[0]), arg_int(&a[1]))))
        }
        "contains(java.lang.CharSequence)" => {
            |_, r, a| Ok(Value::Bool(this_str(r).contains(arg_str(&a[0])?)))
        }
        "startsWith(java.lang.String)" => |_, r, a| Ok(Value::Bool(this_str(r).starts_with(arg_str(&a[0])?))),
        "startsWith(java.lang.String,int)" => {
            |_, r, a| Ok(Value::Bool(starts_with(this_str(r), arg_str(&a[0])?, arg_int(&a[1]))))
        }
        "endsWith(java.lang.String)" => |_, r, a| Ok(Value::Bool(this_str(r).ends_with(arg_str(&a[0])?))),
        "regionMatches(int,java.lang.String,int,int)" => |_, r, a| {
            let (t, o) = (units(this_str(r)), units(arg_str(&a[1])?));
            Ok(Value::Bool(region_matches(false, &t, arg_int(&a[0]), &o, arg_int(&a[2]), arg_int(&a[3]))))
        },
        "regionMatches(boolean,int,java.lang.String,int,int)" => |_, r, a| {
            let (t, o) = (units(this_str(r)), units(arg_str(&a[2])?));
            Ok(Value::Bool(region_matches(
                arg_bool(&a[0]),
                &t,
                arg_int(&a[1]),
                &o,
                arg_int(&a[3]),
                arg_int(&a[4]),
            )))
        },
        "concat(java.lang.String)" => {
            |h, r, a| string_result(h, format!("{}{}", this_str(r), arg_str(&a[0])?))
        }
        "replace(char,char)" => |_, r, a| {
            let (from, to) = (arg_char(&a[0]), arg_char(&a[1]));
            let u: Vec<u16> =
                units(this_str(r)).into_iter().map(|c| if c == from { to } else { c }).collect();
            Ok(Value::string(utf16_to_string(&u)))
        },
        "replace(java.lang.CharSequence,java.lang.CharSequence)" => {
            |h, r, a| string_result(h, this_str(r).replace(arg_str(&a[0])?, arg_str(&a[1])?))
        }
        "matches(java.lang.String)" => {
            |_, r, a| Ok(Value::Bool(super::regex::matches(arg_str(&a[0])?, this_str(r))?))
        }
        "replaceAll(java.lang.String,java.lang.String)" => |h, r, a| {
            string_result(h, super::regex::replace(arg_str(&a[0])?, this_str(r), arg_str(&a[1])?, true)?)
        },
        "replaceFirst(java.lang.String,java.lang.String)" => |h, r, a| {
            string_result(h, super::regex::replace(arg_str(&a[0])?, this_str(r), arg_str(&a[1])?, false)?)
        },
        "split(java.lang.String)" => |_, r, a| split(this_str(r), arg_str(&a[0])?, 0),
        "split(java.lang.String,int)" => |_, r, a| split(this_str(r), arg_str(&a[0])?, arg_int(&a[1])),
        "toLowerCase()" => |_, r, _| {
            let s = this_str(r);
            Ok(ascii_case(s, str::make_ascii_lowercase).unwrap_or_else(|| Value::string(s.to_lowercase())))
        },
        "toUpperCase()" => |h, r, _| match ascii_case(this_str(r), str::make_ascii_uppercase) {
            Some(v) if this_str(r).len() <= h.string_limit() => Ok(v),
            _ => string_result(h, this_str(r).to_uppercase()),
        },
        "trim()" => |_, r, _| Ok(Value::str(trim(this_str(r)))),
        "strip()" => |_, r, _| Ok(Value::str(this_str(r).trim_matches(is_ws))),
        "stripLeading()" => |_, r, _| Ok(Value::str(this_str(r).trim_start_matches(is_ws))),
        "stripTrailing()" => |_, r, _| Ok(Value::str(this_str(r).trim_end_matches(is_ws))),
        "repeat(int)" => |h, r, a| {
            let n = arg_int(&a[0]);
            if n < 0 {
                return Err(JavaError::new(
                    "java.lang.IllegalArgumentException",
                    format!("count is negative: {n}"),
                )
                .into());
            }
            let s = this_str(r);
            if s.len().saturating_mul(n as usize) > h.string_limit() {
                return Err(crate::value::too_long(h.string_limit()).into());
            }
            Ok(Value::string(s.repeat(n as usize)))
        },
        "indent(int)" => |h, r, a| string_result(h, indent(this_str(r), arg_int(&a[0]))),
        "translateEscapes()" => |_, r, _| Ok(Value::string(translate_escapes(this_str(r))?)),
        "toCharArray()" => {
            |_, r, _| Ok(array(JClass::CharArray, units(this_str(r)).into_iter().map(Value::Char).collect()))
        }
        "getBytes()" => |_, r, _| Ok(array(JClass::ByteArray, bytes_of(this_str(r), "UTF-8")?)),
        "getBytes(java.lang.String)" => {
            |_, r, a| Ok(array(JClass::ByteArray, bytes_of(this_str(r), arg_str(&a[0])?)?))
        }
        "hashCode()" => |_, r, _| Ok(Value::Int(crate::value::string_hash(this_str(r)))),
        "join(java.lang.CharSequence,java.lang.CharSequence[])" => |h, _, a| {
            let delimiter = arg_str(&a[0])?.to_string();
            let Value::Array(items) = &a[1] else { return Err(npe()) };
            let items = items.items.borrow().clone();
            join(h, &delimiter, &items)
        },
        "join(java.lang.CharSequence,java.lang.Iterable)" => |h, _, a| {
            let delimiter = arg_str(&a[0])?.to_string();
            let items = a[1].elements().ok_or_else(npe)?;
            join(h, &delimiter, &items)
        },
        "format(java.lang.String,java.lang.Object[])" => |h, _, a| {
            let fmt = arg_str(&a[0])?.to_string();
            super::format::format(h, &fmt, &a[1])
        },
        "formatted(java.lang.Object[])" => |h, r, a| super::format::format(h, this_str(r), &a[0]),
        "valueOf(java.lang.Object)" => |h, _, a| Ok(to_text(h, &a[0])?.map_or(Value::Null, Value::string)),
        "valueOf(int)" | "valueOf(long)" | "valueOf(char)" | "valueOf(boolean)" => {
            |h, _, a| Ok(to_text(h, &a[0])?.map_or(Value::Null, Value::string))
        }
        "valueOf(double)" => |_, _, a| Ok(Value::string(jdouble::to_string(a[0].to_f64()))),
        "valueOf(float)" => |_, _, a| Ok(Value::string(jdouble::float_to_string(a[0].to_f32()))),
        "valueOf(char[])" | "copyValueOf(char[])" => {
            |_, _, a| Ok(Value::string(utf16_to_string(&char_array(&a[0])?)))
        }
        "valueOf(char[],int,int)" | "copyValueOf(char[],int,int)" => {
            |_, _, a| Ok(Value::string(chars_range(&char_array(&a[0])?, arg_int(&a[1]), arg_int(&a[2]))?))
        }
        _ => return None,
    })
}

/// `split(regex, limit)`: Java's single-character fast path and Pattern.split agree on these
/// rules: a zero-width match at the start gives no leading empty string; limit 0 drops trailing
/// empty strings; a positive limit caps the count.
fn split(s: &str, regex: &str, limit: i32) -> MResult {
    let parts = super::regex::split(regex, s, limit)?;
    Ok(array(JClass::StringArray, parts.into_iter().map(Value::string).collect()))
}
