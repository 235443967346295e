//! Methods of `java.lang.Object` every value has, and of the small classes: Class, Boolean,
//! Character, the `$foreach.info` object and `#define` block references.

use super::{
    arg_bool, arg_char, arg_int, arg_str, class_cast, npe, text_value, to_text, Fault, JavaError, MethodFn,
};
use crate::value::{java_equals, java_hash, scope_info_text, utf16_to_string, JArray, JClass, Value};
use std::cell::RefCell;
use std::rc::Rc;

/// The methods of `Object` (and the `equals`/`hashCode`/`toString` every class overrides).
pub(super) fn common(key: &str) -> Option<MethodFn> {
    Some(match key {
        "equals(java.lang.Object)" => |_, r, a| Ok(Value::Bool(java_equals(r, &a[0]))),
        // Java's own recursion overflows its stack on a list that contains itself.
        "hashCode()" => |_, r, _| match java_hash(r) {
            Ok(h) => Ok(Value::Int(h)),
            Err(_) => Err(JavaError { class: "java.lang.StackOverflowError", message: None }.into()),
        },
        "toString()" => |h, r, _| text_value(to_text(h, r)?),
        "getClass()" => |_, r, _| Ok(r.class().map_or(Value::Null, Value::Class)),
        "wait()" | "wait(long)" | "wait(long,int)" | "notify()" | "notifyAll()" => |_, _, _| {
            Err(JavaError::new("java.lang.IllegalMonitorStateException", "current thread is not owner")
                .into())
        },
        _ => return None,
    })
}

pub(super) fn lookup(class: JClass, key: &str) -> Option<MethodFn> {
    match class {
        JClass::Class => class_method(key),
        JClass::Boolean => boolean(key),
        JClass::Character => character(key),
        JClass::ScopeInfo => scope_info(key),
        _ => None,
    }
}

fn represented(r: &Value) -> JClass {
    match r {
        Value::Class(c) => *c,
        _ => JClass::Class,
    }
}

fn class_method(key: &str) -> Option<MethodFn> {
    Some(match key {
        "getName()" | "getTypeName()" => |_, r, _| {
            let c = represented(r);
            Ok(Value::str(if c.is_array() { super::type_name(&array_of(c)).unwrap_or("") } else { c.name() }))
        },
        "getSimpleName()" => |_, r, _| Ok(Value::str(represented(r).simple_name())),
        "getCanonicalName()" => |_, r, _| {
            let c = represented(r);
            let name = if c.is_array() {
                super::type_name(&array_of(c)).unwrap_or("").to_string()
            } else {
                c.name().replace('$', ".")
            };
            Ok(Value::string(name))
        },
        "getPackageName()" => |_, r, _| {
            let c = represented(r);
            let name = if c.is_array() { "java.lang" } else { c.name().rsplit_once('.').map_or("", |p| p.0) };
            Ok(Value::str(name))
        },
        "toString()" => |_, r, _| Ok(Value::string(format!("class {}", represented(r).name()))),
        "isArray()" => |_, r, _| Ok(Value::Bool(represented(r).is_array())),
        "isPrimitive()" | "isInterface()" | "isAnnotation()" | "isEnum()" | "isRecord()" | "isHidden()"
        | "isSynthetic()" | "isAnonymousClass()" | "isLocalClass()" | "isSealed()" => {
            |_, _, _| Ok(Value::Bool(false))
        }
        "isMemberClass()" => |_, r, _| Ok(Value::Bool(represented(r).name().contains('$'))),
        "isInstance(java.lang.Object)" => |_, r, a| Ok(Value::Bool(a[0].class() == Some(represented(r)))),
        "getModifiers()" => |_, _, _| Ok(Value::Int(1)),
        _ => return None,
    })
}

/// A value of an array class, for its type name.
fn array_of(c: JClass) -> Value {
    Value::Array(Rc::new(JArray { class: c, items: RefCell::new(Vec::new()) }))
}

fn this_bool(r: &Value) -> bool {
    matches!(r, Value::Bool(true))
}

fn boolean(key: &str) -> Option<MethodFn> {
    Some(match key {
        "booleanValue()" => |_, r, _| Ok(r.clone()),
        "compareTo(java.lang.Boolean)" | "compareTo(java.lang.Object)" => |_, r, a| match &a[0] {
            Value::Bool(b) => Ok(Value::Int(i32::from(this_bool(r)) - i32::from(*b))),
            Value::Null => Err(npe()),
            other => Err(class_cast(other, "java.lang.Boolean")),
        },
        "compare(boolean,boolean)" => {
            |_, _, a| Ok(Value::Int(i32::from(arg_bool(&a[0])) - i32::from(arg_bool(&a[1]))))
        }
        "toString(boolean)" => |_, _, a| Ok(Value::str(if arg_bool(&a[0]) { "true" } else { "false" })),
        "valueOf(boolean)" => |_, _, a| Ok(Value::Bool(arg_bool(&a[0]))),
        "valueOf(java.lang.String)" | "parseBoolean(java.lang.String)" => {
            |_, _, a| Ok(Value::Bool(matches!(&a[0], Value::Str(s) if s.eq_ignore_ascii_case("true"))))
        }
        "logicalAnd(boolean,boolean)" => |_, _, a| Ok(Value::Bool(arg_bool(&a[0]) && arg_bool(&a[1]))),
        "logicalOr(boolean,boolean)" => |_, _, a| Ok(Value::Bool(arg_bool(&a[0]) || arg_bool(&a[1]))),
        "logicalXor(boolean,boolean)" => |_, _, a| Ok(Value::Bool(arg_bool(&a[0]) ^ arg_bool(&a[1]))),
        "hashCode(boolean)" => |_, _, a| Ok(Value::Int(if arg_bool(&a[0]) { 1231 } else { 1237 })),
        // A system property: none are visible to templates.
        "getBoolean(java.lang.String)" => |_, _, _| Ok(Value::Bool(false)),
        _ => return None,
    })
}

/// Character.isWhitespace: Unicode space separators except the non-breaking ones, and the ASCII
/// controls Java counts.
pub(super) fn java_whitespace(c: u32) -> bool {
    matches!(c, 0x09..=0x0d | 0x1c..=0x1f | 0x20 | 0x1680 | 0x2000..=0x2006 | 0x2008..=0x200a | 0x2028 | 0x2029 | 0x205f | 0x3000)
}

fn space_char(c: u32) -> bool {
    matches!(c, 0x20 | 0xa0 | 0x1680 | 0x2000..=0x200a | 0x2028 | 0x2029 | 0x202f | 0x205f | 0x3000)
}

fn as_char(cp: u32) -> Option<char> {
    char::from_u32(cp)
}

fn test_cp(cp: u32, f: fn(char) -> bool) -> bool {
    as_char(cp).is_some_and(f)
}

/// Simple (one-to-one) case mappings, as Character.toUpperCase/toLowerCase.
pub(super) fn upper_cp(cp: u32) -> u32 {
    as_char(cp).and_then(|c| super::single(c.to_uppercase())).map_or(cp, u32::from)
}

pub(super) fn lower_cp(cp: u32) -> u32 {
    as_char(cp).and_then(|c| super::single(c.to_lowercase())).map_or(cp, u32::from)
}

/// `Character.digit(cp, radix)`.
fn digit(cp: u32, radix: i32) -> i32 {
    if !(2..=36).contains(&radix) {
        return -1;
    }
    as_char(cp).and_then(|c| c.to_digit(radix as u32)).map_or(-1, |d| d as i32)
}

/// Arguments of the `char` and `int` overloads as one code point.
fn cp(v: &Value) -> u32 {
    match v {
        Value::Char(c) => u32::from(*c),
        other => arg_int(other) as u32,
    }
}

fn character(key: &str) -> Option<MethodFn> {
    Some(match key {
        "isDigit(char)" | "isDigit(int)" => |_, _, a| Ok(Value::Bool(test_cp(cp(&a[0]), char::is_numeric))),
        "isLetter(char)" | "isLetter(int)" | "isAlphabetic(int)" => {
            |_, _, a| Ok(Value::Bool(test_cp(cp(&a[0]), char::is_alphabetic)))
        }
        "isLetterOrDigit(char)" | "isLetterOrDigit(int)" => {
            |_, _, a| Ok(Value::Bool(test_cp(cp(&a[0]), char::is_alphanumeric)))
        }
        "isUpperCase(char)" | "isUpperCase(int)" => {
            |_, _, a| Ok(Value::Bool(test_cp(cp(&a[0]), char::is_uppercase)))
        }
        "isLowerCase(char)" | "isLowerCase(int)" => {
            |_, _, a| Ok(Value::Bool(test_cp(cp(&a[0]), char::is_lowercase)))
        }
        "isWhitespace(char)" | "isWhitespace(int)" => |_, _, a| Ok(Value::Bool(java_whitespace(cp(&a[0])))),
        "isSpaceChar(char)" | "isSpaceChar(int)" => |_, _, a| Ok(Value::Bool(space_char(cp(&a[0])))),
        "isISOControl(char)" | "isISOControl(int)" => |_, _, a| {
            let c = cp(&a[0]);
            Ok(Value::Bool(c <= 0x1f || (0x7f..=0x9f).contains(&c)))
        },
        "isHighSurrogate(char)" => |_, _, a| Ok(Value::Bool((0xd800..=0xdbff).contains(&cp(&a[0])))),
        "isLowSurrogate(char)" => |_, _, a| Ok(Value::Bool((0xdc00..=0xdfff).contains(&cp(&a[0])))),
        "isSurrogate(char)" => |_, _, a| Ok(Value::Bool((0xd800..=0xdfff).contains(&cp(&a[0])))),
        "isBmpCodePoint(int)" => |_, _, a| Ok(Value::Bool(cp(&a[0]) < 0x10000)),
        "isValidCodePoint(int)" => |_, _, a| Ok(Value::Bool(cp(&a[0]) <= 0x10ffff)),
        "isSupplementaryCodePoint(int)" => {
            |_, _, a| Ok(Value::Bool((0x10000..=0x10ffff).contains(&cp(&a[0]))))
        }
        "charValue()" => |_, r, _| Ok(r.clone()),
        "valueOf(char)" => |_, _, a| Ok(a[0].clone()),
        "toString(char)" => |_, _, a| Ok(Value::string(utf16_to_string(&[arg_char(&a[0])]))),
        "toString(int)" => |_, _, a| Ok(Value::string(as_char(cp(&a[0])).map_or("?".into(), String::from))),
        "compare(char,char)" => {
            |_, _, a| Ok(Value::Int(i32::from(arg_char(&a[0])) - i32::from(arg_char(&a[1]))))
        }
        "compareTo(java.lang.Character)" | "compareTo(java.lang.Object)" => |_, r, a| match &a[0] {
            Value::Char(c) => Ok(Value::Int(i32::from(arg_char(r)) - i32::from(*c))),
            Value::Null => Err(npe()),
            other => Err(class_cast(other, "java.lang.Character")),
        },
        "hashCode(char)" => |_, _, a| Ok(Value::Int(i32::from(arg_char(&a[0])))),
        "toUpperCase(char)" => |_, _, a| Ok(Value::Char(upper_cp(cp(&a[0])) as u16)),
        "toLowerCase(char)" => |_, _, a| Ok(Value::Char(lower_cp(cp(&a[0])) as u16)),
        "toTitleCase(char)" => |_, _, a| Ok(Value::Char(upper_cp(cp(&a[0])) as u16)),
        "toUpperCase(int)" | "toTitleCase(int)" => |_, _, a| Ok(Value::Int(upper_cp(cp(&a[0])) as i32)),
        "toLowerCase(int)" => |_, _, a| Ok(Value::Int(lower_cp(cp(&a[0])) as i32)),
        "digit(char,int)" | "digit(int,int)" => |_, _, a| Ok(Value::Int(digit(cp(&a[0]), arg_int(&a[1])))),
        "getNumericValue(char)" | "getNumericValue(int)" => |_, _, a| Ok(Value::Int(digit(cp(&a[0]), 36))),
        "forDigit(int,int)" => |_, _, a| {
            let (d, radix) = (arg_int(&a[0]), arg_int(&a[1]));
            let c = if (2..=36).contains(&radix) && (0..radix).contains(&d) {
                std::char::from_digit(d as u32, radix as u32).map_or(0, |c| c as u16)
            } else {
                0
            };
            Ok(Value::Char(c))
        },
        "charCount(int)" => |_, _, a| Ok(Value::Int(if cp(&a[0]) >= 0x10000 { 2 } else { 1 })),
        "toChars(int)" => |_, _, a| {
            let c = as_char(cp(&a[0])).ok_or_else(|| {
                Fault::from(JavaError::new(
                    "java.lang.IllegalArgumentException",
                    format!("Not a valid Unicode code point: 0x{:X}", cp(&a[0])),
                ))
            })?;
            let mut buf = [0u16; 2];
            let units = c.encode_utf16(&mut buf).iter().map(|u| Value::Char(*u)).collect();
            Ok(Value::Array(Rc::new(JArray { class: JClass::CharArray, items: RefCell::new(units) })))
        },
        "highSurrogate(int)" => {
            |_, _, a| Ok(Value::Char((((cp(&a[0]).wrapping_sub(0x10000)) >> 10) + 0xd800) as u16))
        }
        "lowSurrogate(int)" => |_, _, a| Ok(Value::Char(((cp(&a[0]) & 0x3ff) + 0xdc00) as u16)),
        "toCodePoint(char,char)" => |_, _, a| {
            let (h, l) = (u32::from(arg_char(&a[0])), u32::from(arg_char(&a[1])));
            Ok(Value::Int((((h << 10) + l) as i32).wrapping_add(0x10000 - (0xd800 << 10) - 0xdc00)))
        },
        "isSurrogatePair(char,char)" => |_, _, a| {
            let (h, l) = (arg_char(&a[0]), arg_char(&a[1]));
            Ok(Value::Bool((0xd800..=0xdbff).contains(&h) && (0xdc00..=0xdfff).contains(&l)))
        },
        "codePointOf(java.lang.String)" => |_, _, a| {
            let _ = arg_str(&a[0])?;
            Err(JavaError::new(
                "java.lang.IllegalArgumentException",
                "Unicode character names are not available",
            )
            .into())
        },
        _ => return None,
    })
}

fn this_scope(r: &Value) -> Option<&Rc<crate::value::Scope>> {
    match r {
        Value::ScopeInfo(s) | Value::Scope(s) => Some(s),
        _ => None,
    }
}

fn scope_info(key: &str) -> Option<MethodFn> {
    Some(match key {
        "getName()" => |_, _, _| Ok(Value::str("foreach")),
        "getType()" => |_, _, _| Ok(Value::str("block")),
        "getTemplate()" => {
            |_, r, _| Ok(this_scope(r).map_or(Value::Null, |s| Value::Str(s.template.clone())))
        }
        "getLine()" => |_, r, _| Ok(Value::Int(this_scope(r).map_or(0, |s| s.line as i32))),
        "getColumn()" => |_, r, _| Ok(Value::Int(this_scope(r).map_or(0, |s| s.column as i32))),
        "getDepth()" => |_, r, _| Ok(Value::Int(this_scope(r).map_or(0, |s| s.depth()))),
        "toString()" => {
            |_, r, _| Ok(this_scope(r).map_or(Value::Null, |s| Value::string(scope_info_text(s))))
        }
        _ => return None,
    })
}
