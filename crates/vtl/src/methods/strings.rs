//! `java.lang.String`. Java strings are UTF-16: lengths and indexes count UTF-16 units, which
//! for ASCII text are bytes, so ASCII takes the direct path and other text is converted.

use super::objects::{java_whitespace, lower_cp, upper_cp};
use super::{
    arg_bool, arg_char, arg_int, arg_str, class_cast, fits, npe, room, string_result, text_value, this_str,
    to_text, Fault, JavaError, MResult, MethodFn,
};
use crate::budget;
use crate::jdouble;
use crate::value::{utf16_to_string, JArray, JClass, Printer, Value};
use std::cell::RefCell;
use std::rc::Rc;

/// The UTF-16 units of a string: twice its length in memory, checked first.
pub(super) fn units(s: &str) -> Result<Vec<u16>, Fault> {
    budget::reserve_for::<u16>(s.len())?;
    budget::scan(s.len());
    Ok(s.encode_utf16().collect())
}

pub(super) fn len16(s: &str) -> usize {
    budget::scan(s.len());
    if s.is_ascii() {
        s.len()
    } else {
        s.encode_utf16().count()
    }
}

/// A string value copied from `s` (checked against the memory budget first).
fn text(s: &str) -> MResult {
    budget::reserve(s.len())?;
    Ok(Value::str(s))
}

fn out_of_range(message: String) -> Fault {
    JavaError::new("java.lang.StringIndexOutOfBoundsException", message).into()
}

/// `substring(begin, end)` with Java's bounds check.
fn substring(s: &str, begin: i32, end: i32) -> MResult {
    let len = len16(s) as i64;
    let (b, e) = (i64::from(begin), i64::from(end));
    if b < 0 || b > e || e > len {
        return Err(out_of_range(format!("begin {b}, end {e}, length {len}")));
    }
    if s.is_ascii() {
        return text(&s[b as usize..e as usize]);
    }
    let part = &units(s)?[b as usize..e as usize];
    budget::reserve(part.len() * 3)?;
    Ok(Value::string(utf16_to_string(part)))
}

fn char_at(s: &str, index: i32) -> MResult {
    let found = match usize::try_from(index) {
        Ok(i) if s.is_ascii() => s.as_bytes().get(i).map(|&b| u16::from(b)),
        Ok(i) => {
            budget::scan(s.len());
            s.encode_utf16().nth(i)
        }
        Err(_) => None,
    };
    match found {
        Some(c) => Ok(Value::Char(c)),
        None => Err(out_of_range(format!("index {index}, length {}", len16(s)))),
    }
}

/// Start positions searched between two ticks.
const SEARCH_CHUNK: usize = 4096;

/// `indexOf(str, from)` over UTF-16 units (Java's search: as slow as the needle is long).
pub(super) fn index_of(hay: &[u16], needle: &[u16], from: i32) -> i32 {
    let from = from.max(0) as usize;
    if from > hay.len() {
        return if needle.is_empty() { hay.len() as i32 } else { -1 };
    }
    if needle.is_empty() {
        return from as i32;
    }
    let starts = (hay.len() + 1).saturating_sub(needle.len());
    let mut start = from;
    while start < starts {
        let end = (start + SEARCH_CHUNK).min(starts);
        budget::scan((end - start) * needle.len());
        let window = &hay[start..end + needle.len() - 1];
        if let Some(p) = window.windows(needle.len()).position(|w| w == needle) {
            return (start + p) as i32;
        }
        start = end;
    }
    -1
}

fn last_index_of(hay: &[u16], needle: &[u16], from: i32) -> i32 {
    let right = hay.len() as i64 - needle.len() as i64;
    let from = i64::from(from).min(right);
    if from < 0 {
        return -1;
    }
    let mut end = from as usize + 1;
    while end > 0 {
        let start = end.saturating_sub(SEARCH_CHUNK);
        budget::scan((end - start) * needle.len());
        if let Some(i) = (start..end).rev().find(|&i| hay[i..i + needle.len()] == *needle) {
            return i as i32;
        }
        end = start;
    }
    -1
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

fn index_of_char(s: &str, cp: i32, from: i32) -> MResult {
    let needle = code_point_units(cp);
    if needle.is_empty() {
        return Ok(Value::Int(-1));
    }
    Ok(Value::Int(index_of(&units(s)?, &needle, from)))
}

fn last_index_of_char(s: &str, cp: i32, from: i32) -> MResult {
    let needle = code_point_units(cp);
    if needle.is_empty() {
        return Ok(Value::Int(-1));
    }
    Ok(Value::Int(last_index_of(&units(s)?, &needle, from)))
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

fn starts_with(s: &str, prefix: &str, offset: i32) -> Result<bool, Fault> {
    if offset == 0 {
        return Ok(s.starts_with(prefix));
    }
    let (u, p) = (units(s)?, units(prefix)?);
    Ok(region_matches(false, &u, offset, &p, 0, p.len() as i32))
}

/// `trim()`: drops units up to U+0020 at both ends.
/// `toUpperCase()`/`toLowerCase()` of an ASCII string, the common case: copied once into the
/// value and mapped there, where the general path builds a `String` and copies it again.
fn ascii_case(s: &str, map: fn(&mut str)) -> Option<MResult> {
    if !s.is_ascii() {
        return None;
    }
    if let Err(e) = budget::reserve(s.len()) {
        return Some(Err(e.into()));
    }
    let mut copy: Rc<str> = Rc::from(s);
    map(Rc::get_mut(&mut copy)?);
    Some(Ok(Value::Str(copy)))
}

/// `toUpperCase()`/`toLowerCase()` of other text: a character may map to up to three, and the
/// result may not outgrow the string limit.
fn unicode_case(host: &dyn Printer, s: &str, map: fn(&str) -> String) -> MResult {
    budget::reserve(s.len().saturating_mul(3))?;
    budget::scan(s.len());
    string_result(host, map(s))
}

fn trim(s: &str) -> &str {
    s.trim_matches(|c: char| c <= ' ')
}

fn is_ws(c: char) -> bool {
    java_whitespace(u32::from(c))
}

/// `indent(n)`: each line shifted by n spaces (or up to -n leading blanks removed), lines ended
/// with `\n`.
fn indent(host: &dyn Printer, s: &str, n: i32) -> MResult {
    if s.is_empty() {
        return Ok(Value::str(""));
    }
    let lines = java_lines(s)?;
    let added = lines.len().saturating_mul(n.max(0) as usize + 1);
    room(host, s.len().saturating_add(added))?;
    let mut out = String::new();
    for line in lines {
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
    string_result(host, out)
}

/// `lines()`: split at `\n`, `\r` or `\r\n`, without an empty last line.
fn java_lines(s: &str) -> Result<Vec<&str>, Fault> {
    budget::scan(s.len());
    budget::reserve_for::<&str>(s.bytes().filter(|&b| b == b'\n' || b == b'\r').count() + 1)?;
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
    Ok(lines)
}

/// `translateEscapes()`: Java's escape sequences (octal included) become the characters.
fn translate_escapes(s: &str) -> Result<String, Fault> {
    budget::reserve_for::<char>(s.len().saturating_add(s.len() / 4))?;
    budget::scan(s.len());
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
        Value::Array(a) => {
            let items = a.items.borrow();
            budget::reserve_for::<u16>(items.len() * 3)?;
            budget::tick(items.len());
            Ok(items.iter().map(arg_char).collect())
        }
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
    budget::reserve(s.len().saturating_mul(1 + std::mem::size_of::<Value>()))?;
    budget::scan(s.len());
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
        let s = match item {
            Value::Str(s) => s,
            Value::Null => "null",
            other => return Err(class_cast(other, "java.lang.CharSequence")),
        };
        let separator = if i > 0 { delimiter } else { "" };
        fits(host, out.len() + separator.len() + s.len())?;
        budget::extend(&mut out, separator.len() + s.len())?;
        budget::scan(separator.len() + s.len());
        out.push_str(separator);
        out.push_str(s);
    }
    string_result(host, out)
}

fn code_point_at(s: &str, index: i32) -> MResult {
    let u = units(s)?;
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
    let u = units(s)?;
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
    let u = units(s)?;
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
        "isBlank()" => |_, r, _| {
            budget::scan(this_str(r).len());
            Ok(Value::Bool(this_str(r).chars().all(is_ws)))
        },
        "toString()" | "intern()" => |_, r, _| Ok(r.clone()),
        "equals(java.lang.Object)" => |_, r, a| {
            budget::scan(this_str(r).len());
            Ok(Value::Bool(matches!(&a[0], Value::Str(s) if **s == *this_str(r))))
        },
        "contentEquals(java.lang.CharSequence)" => |_, r, a| {
            budget::scan(this_str(r).len());
            Ok(Value::Bool(arg_str(&a[0])? == this_str(r)))
        },
        "equalsIgnoreCase(java.lang.String)" => |_, r, a| {
            Ok(Value::Bool(match &a[0] {
                Value::Str(s) => {
                    let (x, y) = (units(this_str(r))?, units(s)?);
                    x.len() == y.len() && region_matches(true, &x, 0, &y, 0, x.len() as i32)
                }
                _ => false,
            }))
        },
        "compareTo(java.lang.String)" | "compareTo(java.lang.Object)" => |_, r, a| match &a[0] {
            Value::Str(s) => Ok(Value::Int(compare_units(&units(this_str(r))?, &units(s)?))),
            Value::Null => Err(npe()),
            other => Err(class_cast(other, "java.lang.String")),
        },
        "compareToIgnoreCase(java.lang.String)" => {
            |_, r, a| Ok(Value::Int(compare_ignore_case(&units(this_str(r))?, &units(arg_str(&a[0])?)?)))
        }
        "compare(java.lang.CharSequence,java.lang.CharSequence)" => {
            |_, _, a| Ok(Value::Int(compare_units(&units(arg_str(&a[0])?)?, &units(arg_str(&a[1])?)?)))
        }
        "charAt(int)" => |_, r, a| char_at(this_str(r), arg_int(&a[0])),
        "codePointAt(int)" => |_, r, a| code_point_at(this_str(r), arg_int(&a[0])),
        "codePointBefore(int)" => |_, r, a| code_point_before(this_str(r), arg_int(&a[0])),
        "codePointCount(int,int)" => |_, r, a| code_point_count(this_str(r), arg_int(&a[0]), arg_int(&a[1])),
        "substring(int)" => |_, r, a| {
            let s = this_str(r);
            substring(s, arg_int(&a[0]), len16(s) as i32)
        },
        "substring(int,int)" | "subSequence(int,int)" => {
            |_, r, a| substring(this_str(r), arg_int(&a[0]), arg_int(&a[1]))
        }
        "indexOf(java.lang.String)" => |_, r, a| {
            let (s, n) = (this_str(r), arg_str(&a[0])?);
            Ok(Value::Int(if s.is_ascii() {
                budget::scan(s.len());
                s.find(n).map_or(-1, |p| p as i32)
            } else {
                index_of(&units(s)?, &units(n)?, 0)
            }))
        },
        "indexOf(java.lang.String,int)" => {
            |_, r, a| Ok(Value::Int(index_of(&units(this_str(r))?, &units(arg_str(&a[0])?)?, arg_int(&a[1]))))
        }
        "indexOf(int)" => |_, r, a| index_of_char(this_str(r), arg_int(&a[0]), 0),
        "indexOf(int,int)" => |_, r, a| index_of_char(this_str(r), arg_int(&a[0]), arg_int(&a[1])),
        "lastIndexOf(java.lang.String)" => |_, r, a| {
            let (s, n) = (units(this_str(r))?, units(arg_str(&a[0])?)?);
            Ok(Value::Int(last_index_of(&s, &n, s.len() as i32)))
        },
        "lastIndexOf(java.lang.String,int)" => |_, r, a| {
            Ok(Value::Int(last_index_of(&units(this_str(r))?, &units(arg_str(&a[0])?)?, arg_int(&a[1]))))
        },
        "lastIndexOf(int)" => |_, r, a| last_index_of_char(this_str(r), arg_int(&a[0]), i32::MAX),
        "lastIndexOf(int,int)" => |_, r, a| last_index_of_char(this_str(r), arg_int(&a[0]), arg_int(&a[1])),
        "contains(java.lang.CharSequence)" => |_, r, a| {
            budget::scan(this_str(r).len());
            Ok(Value::Bool(this_str(r).contains(arg_str(&a[0])?)))
        },
        "startsWith(java.lang.String)" => |_, r, a| Ok(Value::Bool(this_str(r).starts_with(arg_str(&a[0])?))),
        "startsWith(java.lang.String,int)" => {
            |_, r, a| Ok(Value::Bool(starts_with(this_str(r), arg_str(&a[0])?, arg_int(&a[1]))?))
        }
        "endsWith(java.lang.String)" => |_, r, a| Ok(Value::Bool(this_str(r).ends_with(arg_str(&a[0])?))),
        "regionMatches(int,java.lang.String,int,int)" => |_, r, a| {
            let (t, o) = (units(this_str(r))?, units(arg_str(&a[1])?)?);
            Ok(Value::Bool(region_matches(false, &t, arg_int(&a[0]), &o, arg_int(&a[2]), arg_int(&a[3]))))
        },
        "regionMatches(boolean,int,java.lang.String,int,int)" => |_, r, a| {
            let (t, o) = (units(this_str(r))?, units(arg_str(&a[2])?)?);
            Ok(Value::Bool(region_matches(
                arg_bool(&a[0]),
                &t,
                arg_int(&a[1]),
                &o,
                arg_int(&a[3]),
                arg_int(&a[4]),
            )))
        },
        "concat(java.lang.String)" => |h, r, a| {
            let (s, more) = (this_str(r), arg_str(&a[0])?);
            room(h, s.len().saturating_add(more.len()))?;
            string_result(h, format!("{s}{more}"))
        },
        "replace(char,char)" => |_, r, a| {
            let (from, to) = (arg_char(&a[0]), arg_char(&a[1]));
            let u: Vec<u16> =
                units(this_str(r))?.into_iter().map(|c| if c == from { to } else { c }).collect();
            budget::reserve(u.len() * 3)?;
            Ok(Value::string(utf16_to_string(&u)))
        },
        "replace(java.lang.CharSequence,java.lang.CharSequence)" => |h, r, a| {
            let (s, target, replacement) = (this_str(r), arg_str(&a[0])?, arg_str(&a[1])?);
            // The result's length first: an empty target matches before every character.
            budget::scan(s.len());
            let matches = if target.is_empty() { s.chars().count() + 1 } else { s.matches(target).count() };
            let grown = matches.saturating_mul(replacement.len().saturating_sub(target.len()));
            room(h, s.len().saturating_add(grown))?;
            string_result(h, s.replace(target, replacement))
        },
        "matches(java.lang.String)" => {
            |_, r, a| Ok(Value::Bool(super::regex::matches(arg_str(&a[0])?, this_str(r))?))
        }
        "replaceAll(java.lang.String,java.lang.String)" => |h, r, a| {
            let replaced = super::regex::replace(h, arg_str(&a[0])?, this_str(r), arg_str(&a[1])?, true)?;
            string_result(h, replaced)
        },
        "replaceFirst(java.lang.String,java.lang.String)" => |h, r, a| {
            let replaced = super::regex::replace(h, arg_str(&a[0])?, this_str(r), arg_str(&a[1])?, false)?;
            string_result(h, replaced)
        },
        "split(java.lang.String)" => |_, r, a| split(this_str(r), arg_str(&a[0])?, 0),
        "split(java.lang.String,int)" => |_, r, a| split(this_str(r), arg_str(&a[0])?, arg_int(&a[1])),
        "toLowerCase()" => |h, r, _| {
            let s = this_str(r);
            ascii_case(s, str::make_ascii_lowercase).unwrap_or_else(|| unicode_case(h, s, str::to_lowercase))
        },
        "toUpperCase()" => |h, r, _| match ascii_case(this_str(r), str::make_ascii_uppercase) {
            Some(v) if this_str(r).len() <= h.string_limit() => v,
            _ => unicode_case(h, this_str(r), str::to_uppercase),
        },
        "trim()" => |_, r, _| text(trim(this_str(r))),
        "strip()" => |_, r, _| text(this_str(r).trim_matches(is_ws)),
        "stripLeading()" => |_, r, _| text(this_str(r).trim_start_matches(is_ws)),
        "stripTrailing()" => |_, r, _| text(this_str(r).trim_end_matches(is_ws)),
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
            room(h, s.len().saturating_mul(n as usize))?;
            Ok(Value::string(s.repeat(n as usize)))
        },
        "indent(int)" => |h, r, a| indent(h, this_str(r), arg_int(&a[0])),
        "translateEscapes()" => |_, r, _| Ok(Value::string(translate_escapes(this_str(r))?)),
        "toCharArray()" => |_, r, _| {
            let s = this_str(r);
            budget::reserve_for::<Value>(len16(s))?;
            Ok(array(JClass::CharArray, s.encode_utf16().map(Value::Char).collect()))
        },
        "getBytes()" => |_, r, _| Ok(array(JClass::ByteArray, bytes_of(this_str(r), "UTF-8")?)),
        "getBytes(java.lang.String)" => {
            |_, r, a| Ok(array(JClass::ByteArray, bytes_of(this_str(r), arg_str(&a[0])?)?))
        }
        "hashCode()" => |_, r, _| {
            budget::scan(this_str(r).len());
            Ok(Value::Int(crate::value::string_hash(this_str(r))))
        },
        "join(java.lang.CharSequence,java.lang.CharSequence[])" => |h, _, a| {
            let delimiter = arg_str(&a[0])?.to_string();
            let Value::Array(items) = &a[1] else { return Err(npe()) };
            let items = crate::value::copy_items(&items.items.borrow())?;
            join(h, &delimiter, &items)
        },
        "join(java.lang.CharSequence,java.lang.Iterable)" => |h, _, a| {
            let delimiter = arg_str(&a[0])?.to_string();
            let items = a[1].elements()?.ok_or_else(npe)?;
            join(h, &delimiter, &items)
        },
        "format(java.lang.String,java.lang.Object[])" => |h, _, a| {
            let fmt = arg_str(&a[0])?.to_string();
            super::format::format(h, &fmt, &a[1])
        },
        "formatted(java.lang.Object[])" => |h, r, a| super::format::format(h, this_str(r), &a[0]),
        "valueOf(java.lang.Object)" => |h, _, a| text_value(to_text(h, &a[0])?),
        "valueOf(int)" | "valueOf(long)" | "valueOf(char)" | "valueOf(boolean)" => {
            |h, _, a| text_value(to_text(h, &a[0])?)
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
    Ok(array(JClass::StringArray, super::regex::split(regex, s, limit)?))
}
