//! Arithmetic and comparison as Velocity's `MathUtils` does them: integers compute in `long` and
//! are narrowed back to the larger operand type, overflowing into `BigInteger`; doubles stay
//! doubles; a double meeting a BigInteger, or any BigDecimal, computes in `BigDecimal` built from
//! the double's exact binary value.

use crate::bigdec::{self, BigDecimal};
use crate::value::Value;
use num_bigint::BigInt;
use num_integer::Integer;
use num_traits::{Signed, Zero};
use std::cmp::Ordering;
use std::rc::Rc;

/// A Java exception thrown by arithmetic (ArithmeticException, NumberFormatException).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MathError(pub String);

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Op {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
}

#[derive(PartialEq, Eq)]
enum Base {
    Long,
    Float,
    Double,
    BigInteger,
    BigDecimal,
}

fn is_integer(v: &Value) -> bool {
    matches!(v, Value::Byte(_) | Value::Short(_) | Value::Int(_) | Value::Long(_) | Value::BigInt(_))
}

/// The position in MathUtils' `typesBySize` (-1 for the big types).
fn size_rank(v: &Value) -> i32 {
    match v {
        Value::Byte(_) => 0,
        Value::Short(_) => 1,
        Value::Int(_) => 2,
        Value::Long(_) => 3,
        Value::Float(_) => 4,
        Value::Double(_) => 5,
        _ => -1,
    }
}

fn base(a: &Value, b: &Value) -> Base {
    let (ai, bi) = (is_integer(a), is_integer(b));
    let any_big_int = matches!(a, Value::BigInt(_)) || matches!(b, Value::BigInt(_));
    if matches!(a, Value::BigDecimal(_)) || matches!(b, Value::BigDecimal(_)) || ((!ai || !bi) && any_big_int)
    {
        Base::BigDecimal
    } else if ai && bi {
        if any_big_int {
            Base::BigInteger
        } else {
            Base::Long
        }
    } else if matches!(a, Value::Double(_)) || matches!(b, Value::Double(_)) {
        Base::Double
    } else {
        Base::Float
    }
}

/// `MathUtils.toBigDecimal`: note that Integer and Long go through `doubleValue()`.
fn to_big_decimal(v: &Value) -> Result<BigDecimal, MathError> {
    match v {
        Value::BigDecimal(d) => Ok((**d).clone()),
        Value::BigInt(b) => Ok(BigDecimal::from_bigint((**b).clone())),
        other => BigDecimal::from_f64(other.to_f64())
            .ok_or_else(|| MathError("java.lang.NumberFormatException: Infinite or NaN".into())),
    }
}

fn to_big_integer(v: &Value) -> BigInt {
    match v {
        Value::BigInt(b) => (**b).clone(),
        other => BigInt::from(other.to_i64()),
    }
}

/// `wrapPrimitive`: the larger operand type, widened until the result fits.
fn wrap(result: i64, a: &Value, b: &Value) -> Value {
    let rank = size_rank(a).max(size_rank(b));
    if rank <= 0 {
        if let Ok(v) = i8::try_from(result) {
            return Value::Byte(v);
        }
    }
    if rank <= 1 {
        if let Ok(v) = i16::try_from(result) {
            return Value::Short(v);
        }
    }
    if rank <= 2 {
        if let Ok(v) = i32::try_from(result) {
            return Value::Int(v);
        }
    }
    Value::Long(result)
}

/// The operand pairs templates use most, ints and doubles, recognised without classifying
/// each operand: two ints compute in a long, an int meeting a double becomes a double.
enum Plain {
    Ints(i64, i64),
    Doubles(f64, f64),
}

#[inline]
fn plain(a: &Value, b: &Value) -> Option<Plain> {
    Some(match (a, b) {
        (Value::Int(x), Value::Int(y)) => Plain::Ints(i64::from(*x), i64::from(*y)),
        (Value::Double(x), Value::Double(y)) => Plain::Doubles(*x, *y),
        (Value::Double(x), Value::Int(y)) => Plain::Doubles(*x, f64::from(*y)),
        (Value::Int(x), Value::Double(y)) => Plain::Doubles(f64::from(*x), *y),
        _ => return None,
    })
}

/// [`arithmetic`] of the [`Plain`] pairs, as its general path computes them (two ints cannot
/// overflow a long, so the result is only narrowed); `None` for the others and for integer `/`
/// and `%`.
#[inline]
fn plain_arithmetic(op: Op, a: &Value, b: &Value) -> Option<Value> {
    Some(match plain(a, b)? {
        Plain::Ints(x, y) => {
            let r = match op {
                Op::Add => x + y,
                Op::Sub => x - y,
                Op::Mul => x * y,
                Op::Div | Op::Mod => return None,
            };
            wrap(r, a, b)
        }
        Plain::Doubles(x, y) => Value::Double(float_op(op, x, y)),
    })
}

/// `x op y` with Java's `float` or `double` operators (`%` is the truncating remainder).
#[inline]
fn float_op<F>(op: Op, x: F, y: F) -> F
where
    F: std::ops::Add<Output = F>
        + std::ops::Sub<Output = F>
        + std::ops::Mul<Output = F>
        + std::ops::Div<Output = F>
        + std::ops::Rem<Output = F>,
{
    match op {
        Op::Add => x + y,
        Op::Sub => x - y,
        Op::Mul => x * y,
        Op::Div => x / y,
        Op::Mod => x % y,
    }
}

/// Is this number zero (the divisor check of `/` and `%`)?
pub fn is_zero(v: &Value) -> bool {
    match v {
        Value::BigInt(b) => b.is_zero(),
        Value::BigDecimal(d) => d.is_zero(),
        Value::Float(f) => *f == 0.0,
        other => other.to_f64() == 0.0,
    }
}

/// `left op right` for two numbers. Division and modulo by zero are the caller's business.
pub fn arithmetic(op: Op, a: &Value, b: &Value) -> Result<Value, MathError> {
    if let Some(v) = plain_arithmetic(op, a, b) {
        return Ok(v);
    }
    Ok(match base(a, b) {
        Base::Long => {
            let (x, y) = (a.to_i64(), b.to_i64());
            // Velocity's own overflow tests (the one for `*` misses MIN_VALUE * -1).
            let exact = match op {
                Op::Add => x.checked_add(y),
                Op::Sub => x.checked_sub(y),
                Op::Mul => {
                    let r = x.wrapping_mul(y);
                    (y == 0 || r.wrapping_div(y) == x).then_some(r)
                }
                Op::Div => Some(x.wrapping_div(y)),
                Op::Mod => Some(x.wrapping_rem(y)),
            };

            match exact {
                Some(r) => wrap(r, a, b),
                None => big_integer(op, BigInt::from(x), BigInt::from(y))?,
            }
        }
        Base::Float => Value::Float(float_op(op, a.to_f32(), b.to_f32())),
        Base::Double => Value::Double(float_op(op, a.to_f64(), b.to_f64())),
        Base::BigInteger => big_integer(op, to_big_integer(a), to_big_integer(b))?,
        Base::BigDecimal => {
            let (x, y) = (to_big_decimal(a)?, to_big_decimal(b)?);
            let r = match op {
                Op::Add => x.add(&y),
                Op::Sub => x.subtract(&y),
                Op::Mul => x.multiply(&y),
                Op::Div => x.divide_half_down(&y),
                Op::Mod => {
                    return Err(MathError(
                        "java.lang.ArithmeticException: Cannot calculate the modulo of BigDecimals.".into(),
                    ))
                }
            };
            let r = r.map_err(|e| MathError(format!("java.lang.ArithmeticException: {}", e.0)))?;
            Value::BigDecimal(Rc::new(r))
        }
    })
}

fn big_integer(op: Op, x: BigInt, y: BigInt) -> Result<Value, MathError> {
    let bits = match op {
        Op::Add | Op::Sub => x.bits().max(y.bits()) + 1,
        Op::Mul => x.bits() + y.bits(),
        Op::Div | Op::Mod => x.bits().max(y.bits()),
    };
    if bigdec::fits(bits).is_err() {
        return Err(MathError(format!("java.lang.ArithmeticException: {}", bigdec::OVERFLOW)));
    }
    let r = match op {
        Op::Add => x + y,
        Op::Sub => x - y,
        Op::Mul => x * y,
        Op::Div => {
            if y.is_zero() {
                return Err(MathError("java.lang.ArithmeticException: BigInteger divide by zero".into()));
            }
            x / y
        }
        Op::Mod => {
            if !y.is_positive() {
                return Err(MathError(
                    "java.lang.ArithmeticException: BigInteger: modulus not positive".into(),
                ));
            }
            x.mod_floor(&y)
        }
    };
    Ok(Value::bigint(r))
}

/// `MathUtils.compare`: doubles compare with `<` and `>`, so NaN equals everything.
pub fn compare(a: &Value, b: &Value) -> Result<Ordering, MathError> {
    match plain(a, b) {
        Some(Plain::Ints(x, y)) => return Ok(x.cmp(&y)),
        Some(Plain::Doubles(x, y)) => return Ok(partial(x, y)),
        None => {}
    }
    Ok(match base(a, b) {
        Base::Long => a.to_i64().cmp(&b.to_i64()),
        Base::Float => partial(a.to_f32(), b.to_f32()),
        Base::Double => partial(a.to_f64(), b.to_f64()),
        Base::BigInteger => to_big_integer(a).cmp(&to_big_integer(b)),
        Base::BigDecimal => to_big_decimal(a)?.compare(&to_big_decimal(b)?),
    })
}

/// `<` then `>`, else equal (so NaN equals everything).
fn partial<T: PartialOrd>(x: T, y: T) -> Ordering {
    if x < y {
        Ordering::Less
    } else if x > y {
        Ordering::Greater
    } else {
        Ordering::Equal
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn show(v: Value) -> String {
        let class = v.class().map_or("null", |c| c.simple_name());
        format!("{}:{class}", v.to_java_string(&mut crate::value::TestPrinter).unwrap().unwrap())
    }

    fn calc(op: Op, a: Value, b: Value) -> String {
        arithmetic(op, &a, &b).map_or_else(|e| e.0, show)
    }

    #[test]
    fn integers_promote_and_narrow_as_velocity_does() {
        assert_eq!(calc(Op::Add, Value::Int(1), Value::Int(2)), "3:Integer");
        assert_eq!(calc(Op::Add, Value::Int(i32::MAX), Value::Int(1)), "2147483648:Long");
        assert_eq!(calc(Op::Add, Value::Long(1), Value::Int(2)), "3:Long");
        assert_eq!(calc(Op::Mul, Value::Long(i64::MAX), Value::Int(2)), "18446744073709551614:BigInteger");
        assert_eq!(calc(Op::Div, Value::Int(7), Value::Int(2)), "3:Integer");
        assert_eq!(calc(Op::Mod, Value::Int(-7), Value::Int(2)), "-1:Integer");
        assert_eq!(calc(Op::Div, Value::Long(i64::MIN), Value::Int(-1)), "-9223372036854775808:Long");
        assert_eq!(calc(Op::Mul, Value::Long(i64::MIN), Value::Int(-1)), "-9223372036854775808:Long");
        assert_eq!(calc(Op::Add, Value::Byte(100), Value::Byte(100)), "200:Short");
        assert_eq!(calc(Op::Add, Value::Short(1), Value::Byte(1)), "2:Short");
        assert_eq!(calc(Op::Add, Value::Float(0.1), Value::Int(1)), "1.1:Float");
    }

    /// The general path with the shortcut for ints and doubles taken out.
    fn general(op: Op, a: &Value, b: &Value) -> Value {
        match base(a, b) {
            Base::Long => wrap(
                match op {
                    Op::Add => a.to_i64() + b.to_i64(),
                    Op::Sub => a.to_i64() - b.to_i64(),
                    _ => a.to_i64() * b.to_i64(),
                },
                a,
                b,
            ),
            _ => Value::Double(match op {
                Op::Add => a.to_f64() + b.to_f64(),
                Op::Sub => a.to_f64() - b.to_f64(),
                Op::Mul => a.to_f64() * b.to_f64(),
                Op::Div => a.to_f64() / b.to_f64(),
                Op::Mod => a.to_f64() % b.to_f64(),
            }),
        }
    }

    #[test]
    fn the_int_and_double_shortcut_computes_and_compares_as_the_general_path() {
        let values = [
            Value::Int(0),
            Value::Int(7),
            Value::Int(-3),
            Value::Int(i32::MAX),
            Value::Int(i32::MIN),
            Value::Double(0.1),
            Value::Double(-2.5),
            Value::Double(f64::MAX),
            Value::Double(0.0),
        ];
        let mut taken = 0;
        for a in &values {
            for b in &values {
                for op in [Op::Add, Op::Sub, Op::Mul, Op::Div, Op::Mod] {
                    if plain(a, b).is_some() {
                        let general_order = match base(a, b) {
                            Base::Long => a.to_i64().cmp(&b.to_i64()),
                            _ => partial(a.to_f64(), b.to_f64()),
                        };
                        assert_eq!(compare(a, b), Ok(general_order));
                    }
                    if let Some(v) = plain_arithmetic(op, a, b) {
                        assert_eq!(
                            show(v),
                            show(general(op, a, b)),
                            "{op:?} {} {}",
                            show(a.clone()),
                            show(b.clone())
                        );
                        taken += 1;
                    }
                }
            }
        }
        // Ints take +, - and *; pairs with a double take all five.
        assert_eq!(taken, 5 * 5 * 3 + (81 - 25) * 5);
    }

    #[test]
    fn doubles_and_big_numbers() {
        assert_eq!(calc(Op::Div, Value::Double(7.0), Value::Int(2)), "3.5:Double");
        assert_eq!(calc(Op::Mod, Value::Double(7.5), Value::Int(2)), "1.5:Double");
        let big = Value::bigint(BigInt::from(10u64).pow(20));
        assert_eq!(calc(Op::Add, big.clone(), Value::Int(1)), "100000000000000000001:BigInteger");
        assert_eq!(calc(Op::Add, big.clone(), Value::Double(0.5)), "100000000000000000000.5:BigDecimal");
        assert_eq!(
            calc(Op::Mod, big.clone(), Value::Int(-3)),
            "java.lang.ArithmeticException: BigInteger: modulus not positive"
        );
        assert_eq!(
            calc(Op::Mod, big.clone(), Value::Double(2.0)),
            "java.lang.ArithmeticException: Cannot calculate the modulo of BigDecimals."
        );
        assert_eq!(
            calc(Op::Add, big, Value::Double(f64::NAN)),
            "java.lang.NumberFormatException: Infinite or NaN"
        );
    }

    #[test]
    fn comparisons() {
        assert_eq!(compare(&Value::Int(1), &Value::Double(1.0)), Ok(Ordering::Equal));
        assert_eq!(compare(&Value::Double(f64::NAN), &Value::Int(5)), Ok(Ordering::Equal));
        assert_eq!(compare(&Value::Long(2), &Value::Int(10)), Ok(Ordering::Less));
        assert!(is_zero(&Value::Double(-0.0)));
        assert!(!is_zero(&Value::Int(3)));
    }
}
