//! `String.format` as `java.util.Formatter` does it in an English locale: `%[index$][flags]
//! [width][.precision]conversion` with the conversions `b s c d o x e f g h n %` (and their upper
//! case forms). Floating-point values round half-up from the digits `Double.toString` gives, as
//! Java's FormattedFloatingDecimal does.

use super::{npe, room, string_result, Fault, JavaError, MResult};
use crate::jdouble;
use crate::value::{Printer, Value};
use num_bigint::BigInt;
use num_traits::{Signed, Zero};

fn format_error(class: &'static str, message: String) -> Fault {
    JavaError::new(class, message).into()
}

#[derive(Default, Clone, Copy)]
struct Flags {
    left: bool,
    alternate: bool,
    plus: bool,
    space: bool,
    zero: bool,
    group: bool,
    paren: bool,
    previous: bool,
}

struct Spec {
    index: Option<usize>,
    flags: Flags,
    width: Option<usize>,
    precision: Option<usize>,
    conversion: char,
    text: String,
}

/// Parses one specifier starting after `%`; returns it and the position after it.
fn parse_spec(chars: &[char], start: usize) -> Result<(Spec, usize), Fault> {
    let mut i = start;
    // Java's Integer.parseInt of the digits: `Err` when they do not fit an int.
    let number = |i: &mut usize| -> Option<Result<usize, ()>> {
        let from = *i;
        while *i < chars.len() && chars[*i].is_ascii_digit() {
            *i += 1;
        }
        (from < *i).then(|| {
            chars[from..*i].iter().try_fold(0usize, |n, c| {
                let n = n * 10 + c.to_digit(10).unwrap_or(0) as usize;
                if n > i32::MAX as usize {
                    Err(())
                } else {
                    Ok(n)
                }
            })
        })
    };
    // Widths and precisions beyond an int are refused as Java refuses them.
    let int_min = |class| format_error(class, i32::MIN.to_string());
    let mut index = None;
    let save = i;
    if let Some(n) = number(&mut i) {
        if chars.get(i) == Some(&'$') {
            index = Some(n.map_err(|()| {
                format_error(
                    "java.util.IllegalFormatArgumentIndexException",
                    "Format argument index: (not representable as int)".into(),
                )
            })?);
            i += 1;
        } else {
            i = save;
        }
    }
    let mut flags = Flags::default();
    while let Some(&c) = chars.get(i) {
        match c {
            '-' => flags.left = true,
            '#' => flags.alternate = true,
            '+' => flags.plus = true,
            ' ' => flags.space = true,
            '0' => flags.zero = true,
            ',' => flags.group = true,
            '(' => flags.paren = true,
            '<' => flags.previous = true,
            _ => break,
        }
        i += 1;
    }
    let width = number(&mut i).transpose().map_err(|()| int_min("java.util.IllegalFormatWidthException"))?;
    let precision = if chars.get(i) == Some(&'.') {
        i += 1;
        let digits = number(&mut i).ok_or_else(|| {
            format_error("java.util.UnknownFormatConversionException", "Conversion = '.'".into())
        })?;
        Some(digits.map_err(|()| int_min("java.util.IllegalFormatPrecisionException"))?)
    } else {
        None
    };
    let conversion = *chars.get(i).ok_or_else(|| {
        format_error("java.util.UnknownFormatConversionException", "Conversion = '%'".into())
    })?;
    i += 1;
    let text: String = std::iter::once('%').chain(chars[start..i].iter().copied()).collect();
    Ok((Spec { index, flags, width, precision, conversion, text }, i))
}

/// Pads to the width (spaces on the left unless `-`).
fn justify(s: String, spec: &Spec) -> String {
    let len = s.chars().count();
    match spec.width {
        Some(w) if w > len => {
            let pad = " ".repeat(w - len);
            if spec.flags.left {
                s + &pad
            } else {
                pad + &s
            }
        }
        _ => s,
    }
}

fn group_digits(int: &str) -> String {
    let bytes = int.as_bytes();
    let mut out = String::with_capacity(int.len() + int.len() / 3);
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 && (bytes.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(*b as char);
    }
    out
}

/// Sign, grouping, zero padding and parentheses around a magnitude (`digits` is plain ASCII:
/// an integer part, maybe a fraction and an exponent).
fn localized(negative: bool, magnitude: &str, spec: &Spec, group: bool) -> String {
    let f = spec.flags;
    let (int, rest) = match magnitude.find(|c: char| !c.is_ascii_digit()) {
        Some(p) => magnitude.split_at(p),
        None => (magnitude, ""),
    };
    let mut body = if group { group_digits(int) } else { int.to_string() };
    body.push_str(rest);
    let (prefix, suffix) = if negative {
        if f.paren {
            ("(", ")")
        } else {
            ("-", "")
        }
    } else if f.plus {
        ("+", "")
    } else if f.space {
        (" ", "")
    } else {
        ("", "")
    };
    if f.zero {
        if let Some(w) = spec.width {
            let used = prefix.len() + suffix.len() + body.len();
            if w > used {
                body = "0".repeat(w - used) + &body;
            }
        }
    }
    format!("{prefix}{body}{suffix}")
}

fn integer_text(v: &Value) -> Option<(bool, String, u32)> {
    let bits = match v {
        Value::Byte(_) => 8,
        Value::Short(_) => 16,
        Value::Int(_) => 32,
        Value::Long(_) => 64,
        Value::BigInt(_) => 0,
        _ => return None,
    };
    let big: BigInt = match v {
        Value::BigInt(b) => (**b).clone(),
        other => BigInt::from(other.to_i64()),
    };
    Some((big.is_negative(), big.abs().to_string(), bits))
}

/// `%o` / `%x` of a fixed-width integer: the two's-complement bits of a negative value.
fn radix_text(v: &Value, radix: u32, bits: u32) -> (bool, String) {
    if bits == 0 {
        let Value::BigInt(b) = v else { return (false, String::new()) };
        return (b.is_negative(), b.abs().to_str_radix(radix));
    }
    let raw = v.to_i64() as u64;
    let masked = if bits == 64 { raw } else { raw & ((1u64 << bits) - 1) };
    (false, if radix == 8 { format!("{masked:o}") } else { format!("{masked:x}") })
}

/// Rounds decimal digits (0.d1d2… × 10^exp) half-up to `keep` digits; Java's applyPrecision.
fn apply_precision(digits: &mut Vec<u8>, exp: i64, keep: i64) -> i64 {
    if keep < 0 || keep as usize >= digits.len() {
        return exp;
    }
    if keep == 0 {
        let up = digits[0] >= b'5';
        digits.clear();
        digits.push(if up { b'1' } else { b'0' });
        return if up { exp + 1 } else { exp };
    }
    let keep = keep as usize;
    let round_up = digits[keep] >= b'5';
    digits.truncate(keep);
    if round_up {
        let mut i = keep;
        loop {
            if i == 0 {
                digits.insert(0, b'1');
                digits.truncate(keep);
                return exp + 1;
            }
            i -= 1;
            if digits[i] == b'9' {
                digits[i] = b'0';
            } else {
                digits[i] += 1;
                break;
            }
        }
    }
    exp
}

/// The digits of a finite double or a BigDecimal: (negative, digits, exponent) with
/// value = 0.digits × 10^exponent; zero has no digits.
fn decimal_of(v: &Value) -> Option<(bool, Vec<u8>, i64)> {
    match v {
        Value::Double(_) | Value::Float(_) => {
            let d = if let Value::Float(f) = v { f64::from(*f) } else { v.to_f64() };
            if d == 0.0 {
                return Some((d.is_sign_negative(), Vec::new(), 1));
            }
            let (digits, exp) = if let Value::Float(f) = v {
                let text = jdouble::float_to_string(f.abs());
                jdouble::decimal_digits(text.parse::<f64>().unwrap_or(0.0))
            } else {
                jdouble::decimal_digits(d)
            };
            Some((d < 0.0, digits, i64::from(exp)))
        }
        Value::BigDecimal(b) => {
            let digits = b.unscaled.abs().to_string().into_bytes();
            if b.unscaled.is_zero() {
                return Some((false, Vec::new(), 1 - i64::from(b.scale)));
            }
            let exp = digits.len() as i64 - i64::from(b.scale);
            Some((b.unscaled.is_negative(), digits, exp))
        }
        _ => None,
    }
}

/// Fixed notation with `precision` fraction digits.
fn fixed(digits: &[u8], exp: i64, precision: usize) -> String {
    let mut digits = digits.to_vec();
    let exp = apply_precision(&mut digits, exp, exp + precision as i64);
    let digit = |i: i64| -> char {
        if i >= 0 && (i as usize) < digits.len() {
            digits[i as usize] as char
        } else {
            '0'
        }
    };
    let mut out = String::new();
    if exp <= 0 {
        out.push('0');
    } else {
        for i in 0..exp {
            out.push(digit(i));
        }
    }
    if precision > 0 {
        out.push('.');
        for k in 0..precision as i64 {
            out.push(digit(exp + k));
        }
    }
    out
}

/// Scientific notation `d.ddde+xx` with `precision` fraction digits.
fn scientific(digits: &[u8], exp: i64, precision: usize, upper: bool) -> String {
    let mut digits = digits.to_vec();
    let (mantissa, e) = if digits.is_empty() {
        (
            "0".to_string()
                + &if precision > 0 { format!(".{}", "0".repeat(precision)) } else { String::new() },
            0,
        )
    } else {
        let exp = apply_precision(&mut digits, exp, precision as i64 + 1);
        let digit = |i: usize| digits.get(i).map_or('0', |d| *d as char);
        let mut m = String::new();
        m.push(digit(0));
        if precision > 0 {
            m.push('.');
            for i in 1..=precision {
                m.push(digit(i));
            }
        }
        (m, exp - 1)
    };
    let sign = if e < 0 { '-' } else { '+' };
    let mark = if upper { 'E' } else { 'e' };
    format!("{mantissa}{mark}{sign}{:02}", e.unsigned_abs())
}

fn general(digits: &[u8], exp: i64, precision: usize, upper: bool) -> String {
    let precision = precision.max(1);
    if digits.is_empty() {
        return fixed(digits, exp, precision - 1);
    }
    let mut rounded = digits.to_vec();
    let e = apply_precision(&mut rounded, exp, precision as i64) - 1;
    if (-4..precision as i64).contains(&e) {
        fixed(digits, exp, (precision as i64 - 1 - e) as usize)
    } else {
        scientific(digits, exp, precision - 1, upper)
    }
}

fn conversion_error(c: char, v: &Value) -> Fault {
    let class = v.class().map_or("null", |c| c.name());
    format_error("java.util.IllegalFormatConversionException", format!("{c} != {class}"))
}

/// One conversion of one argument.
fn convert(host: &mut dyn Printer, spec: &Spec, arg: &Value) -> Result<String, Fault> {
    let upper = spec.conversion.is_ascii_uppercase();
    let c = spec.conversion.to_ascii_lowercase();
    let text = match c {
        'b' => {
            let b = match arg {
                Value::Null => false,
                Value::Bool(b) => *b,
                _ => true,
            };
            let mut s = b.to_string();
            if let Some(p) = spec.precision {
                s.truncate(p);
            }
            s
        }
        's' | 'h' => {
            let mut s = if c == 'h' {
                if arg.is_null() {
                    "null".into()
                } else {
                    format!("{:x}", crate::value::java_hash(arg)? as u32)
                }
            } else {
                match arg {
                    Value::Null => "null".into(),
                    other => other.to_java_string(host)?.unwrap_or_else(|| "null".into()),
                }
            };
            if let Some(p) = spec.precision {
                s = s.chars().take(p).collect();
            }
            s
        }
        'c' => {
            if spec.precision.is_some() {
                return Err(format_error(
                    "java.util.IllegalFormatPrecisionException",
                    format!("{}", spec.precision.unwrap_or(0)),
                ));
            }
            match arg {
                Value::Null => "null".into(),
                Value::Char(u) => crate::value::utf16_to_string(&[*u]),
                Value::Byte(_) | Value::Short(_) | Value::Int(_) => {
                    let cp = arg.to_i32();
                    char::from_u32(cp as u32).map(String::from).ok_or_else(|| {
                        format_error(
                            "java.util.IllegalFormatCodePointException",
                            format!("Code point = 0x{cp:x}"),
                        )
                    })?
                }
                other => return Err(conversion_error(spec.conversion, other)),
            }
        }
        'd' => {
            if spec.precision.is_some() {
                return Err(format_error(
                    "java.util.IllegalFormatPrecisionException",
                    format!("{}", spec.precision.unwrap_or(0)),
                ));
            }
            if arg.is_null() {
                "null".into()
            } else {
                let (negative, magnitude, _) =
                    integer_text(arg).ok_or_else(|| conversion_error(spec.conversion, arg))?;
                localized(negative, &magnitude, spec, spec.flags.group)
            }
        }
        'o' | 'x' => {
            if arg.is_null() {
                "null".into()
            } else {
                let (_, _, bits) = integer_text(arg).ok_or_else(|| conversion_error(spec.conversion, arg))?;
                let (negative, mut digits) = radix_text(arg, if c == 'o' { 8 } else { 16 }, bits);
                if spec.flags.alternate {
                    digits.insert_str(0, if c == 'o' { "0" } else { "0x" });
                }
                let s = localized(negative, &digits, spec, false);
                if upper {
                    s.to_uppercase()
                } else {
                    s
                }
            }
        }
        'e' | 'f' | 'g' => {
            if arg.is_null() {
                "null".into()
            } else {
                let d = arg.to_f64();
                if matches!(arg, Value::Double(_) | Value::Float(_)) && !d.is_finite() {
                    let s = if d.is_nan() {
                        "NaN".to_string()
                    } else if d > 0.0 {
                        (if spec.flags.plus { "+Infinity" } else { "Infinity" }).to_string()
                    } else if spec.flags.paren {
                        "(Infinity)".to_string()
                    } else {
                        "-Infinity".to_string()
                    };
                    return Ok(justify(s, spec));
                }
                let (negative, digits, exp) =
                    decimal_of(arg).ok_or_else(|| conversion_error(spec.conversion, arg))?;
                let precision = spec.precision.unwrap_or(6);
                // Fixed notation writes every integer digit (a BigDecimal's exponent is large).
                let integer_digits = if c == 'f' { exp.max(0) as usize } else { 0 };
                room(host, integer_digits.saturating_add(precision))?;
                let mut magnitude = match c {
                    'e' => scientific(&digits, exp, precision, upper),
                    'f' => fixed(&digits, exp, precision),
                    _ => general(&digits, exp, if spec.precision == Some(0) { 1 } else { precision }, upper),
                };
                if spec.flags.alternate && precision == 0 && c == 'f' {
                    magnitude.push('.');
                }
                localized(negative, &magnitude, spec, spec.flags.group && c != 'e')
            }
        }
        _ => {
            return Err(format_error(
                "java.util.UnknownFormatConversionException",
                format!("Conversion = '{}'", spec.conversion),
            ))
        }
    };
    let text = if upper && !matches!(c, 'o' | 'x') {
        // A character may map to three.
        crate::budget::reserve(text.len().saturating_mul(3))?;
        text.to_uppercase()
    } else {
        text
    };
    Ok(justify(text, spec))
}

/// `String.format(format, args)`.
pub(super) fn format(host: &mut dyn Printer, format: &str, args: &Value) -> MResult {
    let args: Option<Vec<Value>> = match args {
        Value::Null => None,
        Value::Array(a) => Some(a.items.borrow().clone()),
        _ => return Err(npe()),
    };
    crate::budget::reserve_for::<char>(format.len())?;
    crate::budget::scan(format.len());
    let chars: Vec<char> = format.chars().collect();
    let mut out = String::with_capacity(format.len() + 16);
    let (mut ordinary, mut last): (usize, Option<usize>) = (0, None);
    let mut i = 0;
    while i < chars.len() {
        if chars[i] != '%' {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        let (spec, next) = parse_spec(&chars, i + 1)?;
        i = next;
        room(host, spec.width.unwrap_or(0))?;
        match spec.conversion {
            '%' => {
                out.push_str(&justify("%".into(), &spec));
                continue;
            }
            'n' => {
                out.push('\n');
                continue;
            }
            _ => {}
        }
        if spec.flags.left && spec.width.is_none() {
            return Err(format_error("java.util.MissingFormatWidthException", spec.text.clone()));
        }
        let index = if spec.flags.previous {
            last.ok_or_else(|| {
                format_error(
                    "java.util.MissingFormatArgumentException",
                    format!("Format specifier '{}'", spec.text),
                )
            })?
        } else if let Some(n) = spec.index {
            n.checked_sub(1).ok_or_else(|| {
                format_error(
                    "java.util.IllegalFormatArgumentIndexException",
                    "Illegal format argument index = 0".into(),
                )
            })?
        } else {
            ordinary += 1;
            ordinary - 1
        };
        last = Some(index);
        let arg = match &args {
            None => Value::Null,
            Some(list) => list.get(index).cloned().ok_or_else(|| {
                format_error(
                    "java.util.MissingFormatArgumentException",
                    format!("Format specifier '{}'", spec.text),
                )
            })?,
        };
        out.push_str(&convert(host, &spec, &arg)?);
        if out.len() > host.string_limit() {
            break;
        }
    }
    string_result(host, out)
}
