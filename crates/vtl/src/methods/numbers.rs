//! Methods of the number classes: Byte, Short, Integer, Long, Float, Double, BigInteger and
//! BigDecimal, statics included (templates call `$n.parseInt('42')` on any Integer).

use super::{arg_int, arg_str, class_cast, npe, room, Fault, JavaError, MResult, MethodFn};
use crate::bigdec::{BigDecimal, DecimalError, Rounding};
use crate::jdouble;
use crate::value::{JArray, JClass, Value};
use num_bigint::BigInt;
use num_integer::Integer;
use num_traits::{One, Signed, ToPrimitive, Zero};
use std::cell::RefCell;
use std::cmp::Ordering;
use std::rc::Rc;

fn arithmetic(message: &str) -> Fault {
    JavaError::new("java.lang.ArithmeticException", message).into()
}

fn decimal_error(e: DecimalError) -> Fault {
    arithmetic(e.0)
}

fn number_format(s: &str, radix: u32) -> Fault {
    let suffix = if radix == 10 { String::new() } else { format!(" under radix {radix}") };
    JavaError::new("java.lang.NumberFormatException", format!("For input string: \"{s}\"{suffix}")).into()
}

/// Integer.parseInt / Long.parseLong: optional sign, digits of the radix (any Unicode digits).
fn parse_integer(v: &Value, radix: i32, min: i64, max: i64) -> Result<i64, Fault> {
    let s = match v {
        Value::Str(s) => &**s,
        _ => {
            return Err(
                JavaError::new("java.lang.NumberFormatException", "Cannot parse null string: null").into()
            )
        }
    };
    if !(2..=36).contains(&radix) {
        return Err(
            JavaError::new("java.lang.NumberFormatException", format!("radix {radix} out of range")).into()
        );
    }
    let radix = radix as u32;
    let (negative, digits) = match s.chars().next() {
        Some('-') => (true, &s[1..]),
        Some('+') => (false, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() {
        return Err(number_format(s, radix));
    }
    let mut value: i128 = 0;
    for c in digits.chars() {
        let d = c.to_digit(radix).ok_or_else(|| number_format(s, radix))?;
        value = value * i128::from(radix) + i128::from(d);
        if value > i128::from(max) + 1 {
            return Err(number_format(s, radix));
        }
    }
    let value = if negative { -value } else { value };
    if value < i128::from(min) || value > i128::from(max) {
        return Err(number_format(s, radix));
    }
    Ok(value as i64)
}

/// Integer.decode / Long.decode: sign, then `0x`, `0X`, `#` (hex) or `0` (octal) prefixes.
fn decode(v: &Value, min: i64, max: i64) -> Result<i64, Fault> {
    let s = arg_str(v)?;
    if s.is_empty() {
        return Err(JavaError::new("java.lang.NumberFormatException", "Zero length string").into());
    }
    let (sign, rest) = match s.as_bytes()[0] {
        b'-' => ("-", &s[1..]),
        b'+' => ("", &s[1..]),
        _ => ("", s),
    };
    let (radix, digits) = if let Some(d) = rest.strip_prefix("0x").or_else(|| rest.strip_prefix("0X")) {
        (16, d)
    } else if let Some(d) = rest.strip_prefix('#') {
        (16, d)
    } else if rest.starts_with('0') && rest.len() > 1 {
        (8, &rest[1..])
    } else {
        (10, rest)
    };
    if digits.starts_with(['-', '+']) {
        return Err(
            JavaError::new("java.lang.NumberFormatException", "Sign character in wrong position").into()
        );
    }
    crate::budget::reserve(s.len())?;
    parse_integer(&Value::string(format!("{sign}{digits}")), radix, min, max)
}

/// Double.parseDouble: Java's grammar (no "inf"/"nan" spellings), surrounding blanks ignored.
fn parse_double(v: &Value) -> Result<f64, Fault> {
    let raw = match v {
        Value::Str(s) => &**s,
        _ => return Err(npe()),
    };
    let s = raw.trim_matches(|c: char| c <= ' ');
    let bad = || -> Fault {
        let msg =
            if s.is_empty() { "empty String".to_string() } else { format!("For input string: \"{raw}\"") };
        JavaError::new("java.lang.NumberFormatException", msg).into()
    };
    let (sign, body) = match s.as_bytes().first() {
        Some(b'-') => (-1.0, &s[1..]),
        Some(b'+') => (1.0, &s[1..]),
        _ => (1.0, s),
    };
    match body {
        "NaN" => return Ok(f64::NAN),
        "Infinity" => return Ok(sign * f64::INFINITY),
        _ => {}
    }
    let body = body.strip_suffix(['f', 'F', 'd', 'D']).unwrap_or(body);
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(p) => (&body[..p], Some(&body[p + 1..])),
        None => (body, None),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits_ok = (!int.is_empty() || !frac.is_empty())
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.bytes().all(|b| b.is_ascii_digit());
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['+', '-']).unwrap_or(e);
        !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit())
    });
    if !digits_ok || !exponent_ok {
        return Err(bad());
    }
    crate::budget::reserve(body.len())?;
    crate::budget::scan(body.len());
    let text = format!("{}{}", if sign < 0.0 { "-" } else { "" }, body);
    text.parse::<f64>().map_err(|_| bad())
}

fn big(v: &Value) -> BigInt {
    match v {
        Value::BigInt(b) => (**b).clone(),
        other => BigInt::from(other.to_i64()),
    }
}

fn arg_big(v: &Value) -> Result<BigInt, Fault> {
    match v {
        Value::BigInt(b) => Ok((**b).clone()),
        _ => Err(npe()),
    }
}

fn dec(v: &Value) -> BigDecimal {
    match v {
        Value::BigDecimal(d) => (**d).clone(),
        _ => BigDecimal::from_bigint(BigInt::zero()),
    }
}

fn arg_dec(v: &Value) -> Result<BigDecimal, Fault> {
    match v {
        Value::BigDecimal(d) => Ok((**d).clone()),
        _ => Err(npe()),
    }
}

fn big_value(b: BigInt) -> MResult {
    Ok(Value::bigint(b))
}

fn dec_value(d: BigDecimal) -> MResult {
    Ok(Value::BigDecimal(Rc::new(d)))
}

fn rounding(v: &Value) -> Result<Rounding, Fault> {
    Rounding::from_int(arg_int(v))
        .ok_or_else(|| JavaError::new("java.lang.IllegalArgumentException", "Invalid rounding mode").into())
}

/// `compareTo(Object)` of a Comparable number: the argument must be of the same class.
fn compare_same(r: &Value, a: &Value, cmp: fn(&Value, &Value) -> Ordering) -> MResult {
    if a.is_null() {
        return Err(npe());
    }
    if a.class() != r.class() {
        return Err(class_cast(a, r.class().map_or("", JClass::name)));
    }
    Ok(Value::Int(cmp(r, a) as i32))
}

/// Double.compare / Float.compare: -0.0 < 0.0 and NaN above everything, equal to itself.
fn total_cmp(x: f64, y: f64) -> Ordering {
    if x < y {
        Ordering::Less
    } else if x > y {
        Ordering::Greater
    } else {
        let (bx, by) = (java_bits(x), java_bits(y));
        bx.cmp(&by)
    }
}

fn java_bits(d: f64) -> i64 {
    if d.is_nan() {
        0x7ff8_0000_0000_0000
    } else {
        d.to_bits() as i64
    }
}

fn radix_string(mut v: i128, radix: i32) -> String {
    let radix = if (2..=36).contains(&radix) { radix as i128 } else { 10 };
    if v == 0 {
        return "0".into();
    }
    let negative = v < 0;
    let mut digits = Vec::new();
    while v != 0 {
        let d = (v % radix).unsigned_abs() as u32;
        digits.push(std::char::from_digit(d, radix as u32).unwrap_or('0'));
        v /= radix;
    }
    if negative {
        digits.push('-');
    }
    digits.iter().rev().collect()
}

fn array(class: JClass, items: Vec<Value>) -> Value {
    Value::Array(Rc::new(JArray { class, items: RefCell::new(items) }))
}

/// Methods every Number has.
fn number_common(key: &str) -> Option<MethodFn> {
    Some(match key {
        "intValue()" => |_, r, _| Ok(Value::Int(r.to_i32())),
        "longValue()" => |_, r, _| Ok(Value::Long(r.to_i64())),
        "doubleValue()" => |_, r, _| Ok(Value::Double(r.to_f64())),
        "floatValue()" => |_, r, _| Ok(Value::Float(r.to_f32())),
        "shortValue()" => |_, r, _| Ok(Value::Short(r.to_i32() as i16)),
        "byteValue()" => |_, r, _| Ok(Value::Byte(r.to_i32() as i8)),
        _ => return None,
    })
}

pub(super) fn lookup(class: JClass, key: &str) -> Option<MethodFn> {
    let specific = match class {
        JClass::Integer | JClass::Short | JClass::Byte => integer(key),
        JClass::Long => long(key),
        JClass::Double | JClass::Float => double(class, key),
        JClass::BigInteger => big_integer(key),
        JClass::BigDecimal => big_decimal(key),
        _ => None,
    };
    specific.or_else(|| number_common(key))
}

fn integer(key: &str) -> Option<MethodFn> {
    const MIN: i64 = i32::MIN as i64;
    const MAX: i64 = i32::MAX as i64;
    Some(match key {
        "compareTo(java.lang.Integer)"
        | "compareTo(java.lang.Object)"
        | "compareTo(java.lang.Short)"
        | "compareTo(java.lang.Byte)" => |_, r, a| compare_same(r, &a[0], |x, y| x.to_i64().cmp(&y.to_i64())),
        "parseInt(java.lang.String)" | "valueOf(java.lang.String)" => {
            |_, _, a| Ok(Value::Int(parse_integer(&a[0], 10, MIN, MAX)? as i32))
        }
        "parseInt(java.lang.String,int)" | "valueOf(java.lang.String,int)" => {
            |_, _, a| Ok(Value::Int(parse_integer(&a[0], arg_int(&a[1]), MIN, MAX)? as i32))
        }
        "parseUnsignedInt(java.lang.String)" => {
            |_, _, a| Ok(Value::Int(parse_integer(&a[0], 10, 0, u32::MAX as i64)? as u32 as i32))
        }
        "decode(java.lang.String)" => |_, _, a| Ok(Value::Int(decode(&a[0], MIN, MAX)? as i32)),
        "valueOf(int)" => |_, _, a| Ok(Value::Int(arg_int(&a[0]))),
        "toString(int)" => |_, _, a| Ok(Value::string(arg_int(&a[0]).to_string())),
        "toString(int,int)" => {
            |_, _, a| Ok(Value::string(radix_string(i128::from(arg_int(&a[0])), arg_int(&a[1]))))
        }
        "toUnsignedString(int)" => |_, _, a| Ok(Value::string((arg_int(&a[0]) as u32).to_string())),
        "toUnsignedLong(int)" => |_, _, a| Ok(Value::Long(i64::from(arg_int(&a[0]) as u32))),
        "toHexString(int)" => |_, _, a| Ok(Value::string(format!("{:x}", arg_int(&a[0]) as u32))),
        "toOctalString(int)" => |_, _, a| Ok(Value::string(format!("{:o}", arg_int(&a[0]) as u32))),
        "toBinaryString(int)" => |_, _, a| Ok(Value::string(format!("{:b}", arg_int(&a[0]) as u32))),
        "hashCode(int)" => |_, _, a| Ok(Value::Int(arg_int(&a[0]))),
        "min(int,int)" => |_, _, a| Ok(Value::Int(arg_int(&a[0]).min(arg_int(&a[1])))),
        "max(int,int)" => |_, _, a| Ok(Value::Int(arg_int(&a[0]).max(arg_int(&a[1])))),
        "sum(int,int)" => |_, _, a| Ok(Value::Int(arg_int(&a[0]).wrapping_add(arg_int(&a[1])))),
        "signum(int)" => |_, _, a| Ok(Value::Int(arg_int(&a[0]).signum())),
        "compare(int,int)" => |_, _, a| Ok(Value::Int(arg_int(&a[0]).cmp(&arg_int(&a[1])) as i32)),
        "compareUnsigned(int,int)" => {
            |_, _, a| Ok(Value::Int((arg_int(&a[0]) as u32).cmp(&(arg_int(&a[1]) as u32)) as i32))
        }
        "divideUnsigned(int,int)" => |_, _, a| {
            let (x, y) = (arg_int(&a[0]) as u32, arg_int(&a[1]) as u32);
            x.checked_div(y).map(|q| Value::Int(q as i32)).ok_or_else(|| arithmetic("/ by zero"))
        },
        "remainderUnsigned(int,int)" => |_, _, a| {
            let (x, y) = (arg_int(&a[0]) as u32, arg_int(&a[1]) as u32);
            x.checked_rem(y).map(|q| Value::Int(q as i32)).ok_or_else(|| arithmetic("/ by zero"))
        },
        "bitCount(int)" => |_, _, a| Ok(Value::Int(arg_int(&a[0]).count_ones() as i32)),
        "reverse(int)" => |_, _, a| Ok(Value::Int(arg_int(&a[0]).reverse_bits())),
        "reverseBytes(int)" => |_, _, a| Ok(Value::Int(arg_int(&a[0]).swap_bytes())),
        "highestOneBit(int)" => |_, _, a| {
            let v = arg_int(&a[0]) as u32;
            Ok(Value::Int(if v == 0 { 0 } else { (1u32 << (31 - v.leading_zeros())) as i32 }))
        },
        "lowestOneBit(int)" => |_, _, a| {
            let v = arg_int(&a[0]);
            Ok(Value::Int(v & v.wrapping_neg()))
        },
        "numberOfLeadingZeros(int)" => |_, _, a| Ok(Value::Int(arg_int(&a[0]).leading_zeros() as i32)),
        "numberOfTrailingZeros(int)" => |_, _, a| Ok(Value::Int(arg_int(&a[0]).trailing_zeros() as i32)),
        "rotateLeft(int,int)" => {
            |_, _, a| Ok(Value::Int(arg_int(&a[0]).rotate_left((arg_int(&a[1]) & 31) as u32)))
        }
        "rotateRight(int,int)" => {
            |_, _, a| Ok(Value::Int(arg_int(&a[0]).rotate_right((arg_int(&a[1]) & 31) as u32)))
        }
        // System properties: none are visible to templates.
        "getInteger(java.lang.String)" | "getInteger(java.lang.String,java.lang.Integer)" => {
            |_, _, a| Ok(a.get(1).cloned().unwrap_or(Value::Null))
        }
        _ => return None,
    })
}

fn arg_long(v: &Value) -> i64 {
    v.to_i64()
}

fn long(key: &str) -> Option<MethodFn> {
    Some(match key {
        "compareTo(java.lang.Long)" | "compareTo(java.lang.Object)" => {
            |_, r, a| compare_same(r, &a[0], |x, y| x.to_i64().cmp(&y.to_i64()))
        }
        "parseLong(java.lang.String)" | "valueOf(java.lang.String)" => {
            |_, _, a| Ok(Value::Long(parse_integer(&a[0], 10, i64::MIN, i64::MAX)?))
        }
        "parseLong(java.lang.String,int)" | "valueOf(java.lang.String,int)" => {
            |_, _, a| Ok(Value::Long(parse_integer(&a[0], arg_int(&a[1]), i64::MIN, i64::MAX)?))
        }
        "decode(java.lang.String)" => |_, _, a| Ok(Value::Long(decode(&a[0], i64::MIN, i64::MAX)?)),
        "valueOf(long)" => |_, _, a| Ok(Value::Long(arg_long(&a[0]))),
        "toString(long)" => |_, _, a| Ok(Value::string(arg_long(&a[0]).to_string())),
        "toString(long,int)" => {
            |_, _, a| Ok(Value::string(radix_string(i128::from(arg_long(&a[0])), arg_int(&a[1]))))
        }
        "toUnsignedString(long)" => |_, _, a| Ok(Value::string((arg_long(&a[0]) as u64).to_string())),
        "toHexString(long)" => |_, _, a| Ok(Value::string(format!("{:x}", arg_long(&a[0]) as u64))),
        "toOctalString(long)" => |_, _, a| Ok(Value::string(format!("{:o}", arg_long(&a[0]) as u64))),
        "toBinaryString(long)" => |_, _, a| Ok(Value::string(format!("{:b}", arg_long(&a[0]) as u64))),
        "hashCode(long)" => |_, _, a| Ok(Value::Int(crate::value::java_hash(&Value::Long(arg_long(&a[0])))?)),
        "min(long,long)" => |_, _, a| Ok(Value::Long(arg_long(&a[0]).min(arg_long(&a[1])))),
        "max(long,long)" => |_, _, a| Ok(Value::Long(arg_long(&a[0]).max(arg_long(&a[1])))),
        "sum(long,long)" => |_, _, a| Ok(Value::Long(arg_long(&a[0]).wrapping_add(arg_long(&a[1])))),
        "signum(long)" => |_, _, a| Ok(Value::Int(arg_long(&a[0]).signum() as i32)),
        "compare(long,long)" => |_, _, a| Ok(Value::Int(arg_long(&a[0]).cmp(&arg_long(&a[1])) as i32)),
        "bitCount(long)" => |_, _, a| Ok(Value::Int(arg_long(&a[0]).count_ones() as i32)),
        "numberOfLeadingZeros(long)" => |_, _, a| Ok(Value::Int(arg_long(&a[0]).leading_zeros() as i32)),
        "numberOfTrailingZeros(long)" => |_, _, a| Ok(Value::Int(arg_long(&a[0]).trailing_zeros() as i32)),
        "reverse(long)" => |_, _, a| Ok(Value::Long(arg_long(&a[0]).reverse_bits())),
        "reverseBytes(long)" => |_, _, a| Ok(Value::Long(arg_long(&a[0]).swap_bytes())),
        "getLong(java.lang.String)" | "getLong(java.lang.String,long)" => {
            |_, _, a| Ok(a.get(1).map_or(Value::Null, |v| Value::Long(v.to_i64())))
        }
        _ => return None,
    })
}

/// A `float` or `double` result of the receiver's class.
fn floating(class: Option<JClass>, d: f64) -> Value {
    if class == Some(JClass::Float) {
        Value::Float(d as f32)
    } else {
        Value::Double(d)
    }
}

fn double(class: JClass, key: &str) -> Option<MethodFn> {
    let float = class == JClass::Float;
    let key = if float { key.replace("float", "double").replace("Float", "Double") } else { key.to_string() };
    Some(match key.as_str() {
        "compareTo(java.lang.Double)" | "compareTo(java.lang.Object)" => {
            |_, r, a| compare_same(r, &a[0], |x, y| total_cmp(x.to_f64(), y.to_f64()))
        }
        "isNaN()" => |_, r, _| Ok(Value::Bool(r.to_f64().is_nan())),
        "isInfinite()" => |_, r, _| Ok(Value::Bool(r.to_f64().is_infinite())),
        "isNaN(double)" => |_, _, a| Ok(Value::Bool(a[0].to_f64().is_nan())),
        "isInfinite(double)" => |_, _, a| Ok(Value::Bool(a[0].to_f64().is_infinite())),
        "isFinite(double)" => |_, _, a| Ok(Value::Bool(a[0].to_f64().is_finite())),
        "parseDouble(java.lang.String)" | "valueOf(java.lang.String)" => {
            |_, r, a| Ok(floating(r.class(), parse_double(&a[0])?))
        }
        "valueOf(double)" => |_, r, a| Ok(floating(r.class(), a[0].to_f64())),
        "toString(double)" => |_, r, a| {
            Ok(Value::string(if r.class() == Some(JClass::Float) {
                jdouble::float_to_string(a[0].to_f32())
            } else {
                jdouble::to_string(a[0].to_f64())
            }))
        },
        "compare(double,double)" => |_, _, a| Ok(Value::Int(total_cmp(a[0].to_f64(), a[1].to_f64()) as i32)),
        "min(double,double)" => |_, r, a| {
            let (x, y) = (a[0].to_f64(), a[1].to_f64());
            Ok(floating(r.class(), if x.is_nan() || y.is_nan() { f64::NAN } else { x.min(y) }))
        },
        "max(double,double)" => |_, r, a| {
            let (x, y) = (a[0].to_f64(), a[1].to_f64());
            Ok(floating(r.class(), if x.is_nan() || y.is_nan() { f64::NAN } else { x.max(y) }))
        },
        "sum(double,double)" => |_, r, a| Ok(floating(r.class(), a[0].to_f64() + a[1].to_f64())),
        "hashCode(double)" => |_, r, a| {
            let v = if r.class() == Some(JClass::Float) {
                Value::Float(a[0].to_f32())
            } else {
                Value::Double(a[0].to_f64())
            };
            Ok(Value::Int(crate::value::java_hash(&v)?))
        },
        "toHexString(double)" => |_, r, a| {
            Ok(Value::string(if r.class() == Some(JClass::Float) {
                hex_float(f64::from(a[0].to_f32()), true)
            } else {
                hex_float(a[0].to_f64(), false)
            }))
        },
        "doubleToLongBits(double)" => |_, _, a| Ok(Value::Long(java_bits(a[0].to_f64()))),
        "doubleToRawLongBits(double)" => |_, _, a| Ok(Value::Long(a[0].to_f64().to_bits() as i64)),
        "longBitsToDouble(long)" => |_, _, a| Ok(Value::Double(f64::from_bits(a[0].to_i64() as u64))),
        // Float's bit conversions, renamed by the rewrite above.
        "doubleToIntBits(double)" => |_, _, a| {
            let f = a[0].to_f32();
            Ok(Value::Int(if f.is_nan() { 0x7fc0_0000 } else { f.to_bits() as i32 }))
        },
        "doubleToRawIntBits(double)" => |_, _, a| Ok(Value::Int(a[0].to_f32().to_bits() as i32)),
        "intBitsToDouble(int)" => |_, _, a| Ok(Value::Float(f32::from_bits(arg_int(&a[0]) as u32))),
        _ => return None,
    })
}

/// `Double.toHexString` / `Float.toHexString`: `0x1.8p1`, subnormals as `0x0.…p-1022`.
fn hex_float(d: f64, float: bool) -> String {
    if d.is_nan() {
        return "NaN".into();
    }
    if d.is_infinite() {
        return if d > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    let sign = if d.is_sign_negative() { "-" } else { "" };
    if d == 0.0 {
        return format!("{sign}0x0.0p0");
    }
    let (bias, min_exp) = if float { (127, -126) } else { (1023, -1022) };
    let (raw_exp, fraction) = if float {
        let bits = (d as f32).to_bits();
        (u64::from((bits >> 23) & 0xff), u64::from(bits & 0x7f_ffff) << 1)
    } else {
        let bits = d.to_bits();
        ((bits >> 52) & 0x7ff, bits & ((1 << 52) - 1))
    };
    let digits = if float { 6 } else { 13 };
    let mut hex = format!("{fraction:0digits$x}");
    while hex.len() > 1 && hex.ends_with('0') {
        hex.pop();
    }
    if raw_exp == 0 {
        format!("{sign}0x0.{hex}p{min_exp}")
    } else {
        format!("{sign}0x1.{hex}p{}", raw_exp as i64 - bias)
    }
}

/// Refuses a BigInteger operand or result of `bits` bits (see [`crate::bigdec::MAX_BITS`]).
fn sized(bits: u64) -> Result<(), Fault> {
    crate::bigdec::fits(bits).map_err(decimal_error)
}

/// The operands of a BigInteger operation slower than linear, checked.
fn operands(r: &Value, a: &Value) -> Result<(BigInt, BigInt), Fault> {
    let (x, y) = (big(r), arg_big(a)?);
    sized(x.bits().max(y.bits()))?;
    Ok((x, y))
}

/// `modPow`: by squaring, a tick per exponent bit (the exponent may have thousands of bits, and
/// each step multiplies numbers as large as the modulus).
fn mod_pow(base: &BigInt, e: &BigInt, m: &BigInt) -> BigInt {
    let step = (m.bits() / 64).pow(2) as usize / 256 + 1;
    let base = base.mod_floor(m);
    let mut result = BigInt::one() % m;
    for i in (0..e.bits()).rev() {
        crate::budget::tick(step);
        result = &result * &result % m;
        if e.bit(i) {
            result = &result * &base % m;
        }
    }
    result
}

/// `shiftLeft(n)` (a negative `n` shifts right, rounding toward negative infinity).
fn shift_left(v: &BigInt, n: i64) -> MResult {
    if n < 0 {
        return big_value(v >> n.unsigned_abs());
    }
    if !v.is_zero() {
        sized(v.bits() + n as u64)?;
    }
    big_value(v << n as u64)
}

fn big_integer(key: &str) -> Option<MethodFn> {
    Some(match key {
        "add(java.math.BigInteger)" => |_, r, a| {
            let (x, y) = operands(r, &a[0])?;
            sized(x.bits().max(y.bits()) + 1)?;
            big_value(x + y)
        },
        "subtract(java.math.BigInteger)" => |_, r, a| {
            let (x, y) = operands(r, &a[0])?;
            sized(x.bits().max(y.bits()) + 1)?;
            big_value(x - y)
        },
        "multiply(java.math.BigInteger)" => |_, r, a| {
            let (x, y) = operands(r, &a[0])?;
            sized(x.bits() + y.bits())?;
            big_value(x * y)
        },
        "divide(java.math.BigInteger)" => |_, r, a| {
            let (x, d) = operands(r, &a[0])?;
            if d.is_zero() {
                return Err(arithmetic("BigInteger divide by zero"));
            }
            big_value(x / d)
        },
        "remainder(java.math.BigInteger)" => |_, r, a| {
            let (x, d) = operands(r, &a[0])?;
            if d.is_zero() {
                return Err(arithmetic("BigInteger divide by zero"));
            }
            big_value(x % d)
        },
        "mod(java.math.BigInteger)" => |_, r, a| {
            let (x, m) = operands(r, &a[0])?;
            if !m.is_positive() {
                return Err(arithmetic("BigInteger: modulus not positive"));
            }
            big_value(x.mod_floor(&m))
        },
        "divideAndRemainder(java.math.BigInteger)" => |_, r, a| {
            let (x, d) = operands(r, &a[0])?;
            if d.is_zero() {
                return Err(arithmetic("BigInteger divide by zero"));
            }
            let (q, rem) = x.div_rem(&d);
            Ok(array(JClass::ObjectArray, vec![Value::bigint(q), Value::bigint(rem)]))
        },
        "pow(int)" => |_, r, a| {
            let e = arg_int(&a[0]);
            if e < 0 {
                return Err(arithmetic("Negative exponent"));
            }
            big_value(crate::bigdec::power(&big(r), e as u32).map_err(decimal_error)?)
        },
        "gcd(java.math.BigInteger)" => |_, r, a| {
            let (x, y) = operands(r, &a[0])?;
            big_value(x.gcd(&y))
        },
        "abs()" => |_, r, _| big_value(big(r).abs()),
        "negate()" => |_, r, _| big_value(-big(r)),
        "sqrt()" => |_, r, _| {
            let v = big(r);
            if v.is_negative() {
                return Err(arithmetic("Negative BigInteger"));
            }
            sized(v.bits())?;
            big_value(v.sqrt())
        },
        "signum()" => |_, r, _| Ok(Value::Int(big(r).signum().to_i32().unwrap_or(0))),
        "compareTo(java.math.BigInteger)" | "compareTo(java.lang.Object)" => {
            |_, r, a| compare_same(r, &a[0], |x, y| big(x).cmp(&big(y)))
        }
        "min(java.math.BigInteger)" => |_, r, a| big_value(big(r).min(arg_big(&a[0])?)),
        "max(java.math.BigInteger)" => |_, r, a| big_value(big(r).max(arg_big(&a[0])?)),
        "toString(int)" => |_, r, a| {
            let radix = arg_int(&a[0]);
            let radix = if (2..=36).contains(&radix) { radix as u32 } else { 10 };
            Ok(Value::string(big(r).to_str_radix(radix)))
        },
        "valueOf(long)" => |_, _, a| big_value(BigInt::from(a[0].to_i64())),
        "bitLength()" => |_, r, _| {
            let v = big(r);
            let bits = if v.is_negative() { (-v - 1u32).bits() } else { v.bits() };
            Ok(Value::Int(bits as i32))
        },
        "bitCount()" => |_, r, _| {
            let v = big(r);
            let magnitude = if v.is_negative() { -v - 1u32 } else { v };
            let ones: u32 = magnitude.magnitude().iter_u64_digits().map(u64::count_ones).sum();
            Ok(Value::Int(ones as i32))
        },
        "testBit(int)" => |_, r, a| {
            let n = arg_int(&a[0]);
            if n < 0 {
                return Err(arithmetic("Negative bit address"));
            }
            Ok(Value::Bool(((big(r) >> n as usize) & BigInt::one()).is_one()))
        },
        "shiftLeft(int)" => |_, r, a| shift_left(&big(r), i64::from(arg_int(&a[0]))),
        "shiftRight(int)" => |_, r, a| shift_left(&big(r), -i64::from(arg_int(&a[0]))),
        "and(java.math.BigInteger)" => |_, r, a| big_value(big(r) & arg_big(&a[0])?),
        "or(java.math.BigInteger)" => |_, r, a| big_value(big(r) | arg_big(&a[0])?),
        "xor(java.math.BigInteger)" => |_, r, a| big_value(big(r) ^ arg_big(&a[0])?),
        "not()" => |_, r, _| big_value(-big(r) - 1u32),
        "andNot(java.math.BigInteger)" => |_, r, a| big_value(big(r) & (-arg_big(&a[0])? - 1u32)),
        "longValueExact()" => |_, r, _| {
            big(r).to_i64().map(Value::Long).ok_or_else(|| arithmetic("BigInteger out of long range"))
        },
        "intValueExact()" => {
            |_, r, _| big(r).to_i32().map(Value::Int).ok_or_else(|| arithmetic("BigInteger out of int range"))
        }
        "modPow(java.math.BigInteger,java.math.BigInteger)" => |_, r, a| {
            let (e, m) = (arg_big(&a[0])?, arg_big(&a[1])?);
            if !m.is_positive() {
                return Err(arithmetic("BigInteger: modulus not positive"));
            }
            if e.is_negative() {
                return Err(arithmetic("BigInteger: negative exponent"));
            }
            sized(m.bits())?;
            big_value(mod_pow(&big(r), &e, &m))
        },
        _ => return None,
    })
}

fn big_decimal(key: &str) -> Option<MethodFn> {
    Some(match key {
        "add(java.math.BigDecimal)" => {
            |_, r, a| dec_value(dec(r).add(&arg_dec(&a[0])?).map_err(decimal_error)?)
        }
        "subtract(java.math.BigDecimal)" => {
            |_, r, a| dec_value(dec(r).subtract(&arg_dec(&a[0])?).map_err(decimal_error)?)
        }
        "multiply(java.math.BigDecimal)" => {
            |_, r, a| dec_value(dec(r).multiply(&arg_dec(&a[0])?).map_err(decimal_error)?)
        }
        "divide(java.math.BigDecimal)" => {
            |_, r, a| dec_value(dec(r).divide_exact(&arg_dec(&a[0])?).map_err(decimal_error)?)
        }
        "divide(java.math.BigDecimal,int)" => |_, r, a| {
            let this = dec(r);
            let scale = this.scale;
            dec_value(this.divide_to_scale(&arg_dec(&a[0])?, scale, rounding(&a[1])?).map_err(decimal_error)?)
        },
        "divide(java.math.BigDecimal,int,int)" => |_, r, a| {
            dec_value(
                dec(r)
                    .divide_to_scale(&arg_dec(&a[0])?, arg_int(&a[1]), rounding(&a[2])?)
                    .map_err(decimal_error)?,
            )
        },
        "divideToIntegralValue(java.math.BigDecimal)" => |_, r, a| {
            let (this, other) = (dec(r), arg_dec(&a[0])?);
            let q = this.divide_to_scale(&other, 0, Rounding::Down).map_err(decimal_error)?;
            let preferred = this.scale.saturating_sub(other.scale);
            let q = if preferred > 0 {
                q.set_scale(preferred, Rounding::Unnecessary).map_err(decimal_error)?
            } else {
                q
            };
            dec_value(q)
        },
        "remainder(java.math.BigDecimal)" => {
            |_, r, a| dec_value(dec(r).remainder(&arg_dec(&a[0])?).map_err(decimal_error)?)
        }
        "setScale(int)" => |_, r, a| {
            dec_value(dec(r).set_scale(arg_int(&a[0]), Rounding::Unnecessary).map_err(decimal_error)?)
        },
        "setScale(int,int)" => {
            |_, r, a| dec_value(dec(r).set_scale(arg_int(&a[0]), rounding(&a[1])?).map_err(decimal_error)?)
        }
        "negate()" => |_, r, _| dec_value(dec(r).negate()),
        "abs()" => |_, r, _| dec_value(dec(r).abs()),
        "plus()" => |_, r, _| Ok(r.clone()),
        "signum()" => |_, r, _| Ok(Value::Int(dec(r).signum())),
        "scale()" => |_, r, _| Ok(Value::Int(dec(r).scale)),
        "precision()" => |_, r, _| Ok(Value::Int(dec(r).precision())),
        "unscaledValue()" => |_, r, _| big_value(dec(r).unscaled),
        "toBigInteger()" => |_, r, _| big_value(dec(r).to_bigint().map_err(decimal_error)?),
        "toBigIntegerExact()" => |_, r, _| {
            let d = dec(r);
            let exact = d.set_scale(0, Rounding::Unnecessary).map_err(decimal_error)?;
            big_value(exact.unscaled)
        },
        "stripTrailingZeros()" => |_, r, _| dec_value(dec(r).strip_trailing_zeros()),
        "toPlainString()" => |h, r, _| {
            let d = dec(r);
            room(h, d.plain_length())?;
            Ok(Value::string(d.to_plain_string()))
        },
        "toEngineeringString()" => |_, r, _| Ok(Value::string(dec(r).to_string())),
        "compareTo(java.math.BigDecimal)" | "compareTo(java.lang.Object)" => {
            |_, r, a| compare_same(r, &a[0], |x, y| dec(x).compare(&dec(y)))
        }
        "min(java.math.BigDecimal)" => |_, r, a| {
            let (x, y) = (dec(r), arg_dec(&a[0])?);
            dec_value(if x.compare(&y) != Ordering::Greater { x } else { y })
        },
        "max(java.math.BigDecimal)" => |_, r, a| {
            let (x, y) = (dec(r), arg_dec(&a[0])?);
            dec_value(if x.compare(&y) != Ordering::Less { x } else { y })
        },
        "movePointLeft(int)" => |_, r, a| dec_value(dec(r).move_point_left(arg_int(&a[0]))),
        "movePointRight(int)" => |_, r, a| dec_value(dec(r).move_point_left(arg_int(&a[0]).saturating_neg())),
        "scaleByPowerOfTen(int)" => |_, r, a| dec_value(dec(r).scale_by_power_of_ten(arg_int(&a[0]))),
        "pow(int)" => |_, r, a| {
            let n = arg_int(&a[0]);
            if !(0..=999_999_999).contains(&n) {
                return Err(arithmetic("Invalid operation"));
            }
            dec_value(dec(r).pow(n as u32).map_err(decimal_error)?)
        },
        "valueOf(long)" => |_, _, a| dec_value(BigDecimal::from_bigint(BigInt::from(a[0].to_i64()))),
        "valueOf(long,int)" => {
            |_, _, a| dec_value(BigDecimal { unscaled: BigInt::from(a[0].to_i64()), scale: arg_int(&a[1]) })
        }
        "valueOf(double)" => |_, _, a| {
            let d = a[0].to_f64();
            if !d.is_finite() {
                return Err(JavaError::new("java.lang.NumberFormatException", "Infinite or NaN").into());
            }
            dec_value(BigDecimal::parse(&jdouble::to_string(d)).map_err(decimal_error)?)
        },
        "longValueExact()" => |_, r, _| {
            let d = dec(r);
            let exact =
                d.set_scale(0, Rounding::Unnecessary).map_err(|_| arithmetic("Rounding necessary"))?;
            exact.unscaled.to_i64().map(Value::Long).ok_or_else(|| arithmetic("Overflow"))
        },
        "intValueExact()" => |_, r, _| {
            let d = dec(r);
            let exact =
                d.set_scale(0, Rounding::Unnecessary).map_err(|_| arithmetic("Rounding necessary"))?;
            exact.unscaled.to_i32().map(Value::Int).ok_or_else(|| arithmetic("Overflow"))
        },
        "ulp()" => |_, r, _| dec_value(BigDecimal { unscaled: BigInt::one(), scale: dec(r).scale }),
        _ => return None,
    })
}
