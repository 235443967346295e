//! The part of `java.math.BigDecimal` that Velocity's arithmetic reaches: when a double meets a
//! BigInteger, MathUtils computes with BigDecimals built from the double's exact binary value.

use num_bigint::{BigInt, Sign};
use num_integer::Integer;
use num_traits::{Signed, Zero};
use std::cmp::Ordering;

/// unscaled × 10^-scale, as Java's BigDecimal.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BigDecimal {
    pub unscaled: BigInt,
    pub scale: i32,
}

/// Bits a BigInteger (or a BigDecimal's unscaled value) made by arithmetic may have, and the
/// largest operand of the operations slower than linear. Past it, one multiplication, division,
/// gcd or conversion to text (which the interrupt hook cannot break into) would take tens of
/// milliseconds or more. Java's own limit is 2^31 bits; past ours, operations throw as Java's
/// do past its.
pub const MAX_BITS: u64 = 1 << 16;

/// Java's message for a number past its supported range.
pub const OVERFLOW: &str = "BigInteger would overflow supported range";

/// Bits per decimal digit, as a fraction (log2 10 ≈ 3.3219).
const BITS_PER_DIGIT: (u64, u64) = (33219, 10000);

/// Refuses a number of `bits` bits (see [`MAX_BITS`]).
pub fn fits(bits: u64) -> Result<(), DecimalError> {
    if bits > MAX_BITS {
        return Err(DecimalError(OVERFLOW));
    }
    Ok(())
}

/// Bits of 10^n, rounded up.
fn pow10_bits(n: u64) -> u64 {
    n.saturating_mul(BITS_PER_DIGIT.0) / BITS_PER_DIGIT.1 + 1
}

/// 10^n, refused past [`MAX_BITS`].
fn pow10(n: u64) -> Result<BigInt, DecimalError> {
    fits(pow10_bits(n))?;
    Ok(BigInt::from(10u32).pow(n as u32))
}

/// `x × 10^n`, refused when the product would pass [`MAX_BITS`].
fn times_pow10(x: &BigInt, n: u64) -> Result<BigInt, DecimalError> {
    fits(x.bits().saturating_add(pow10_bits(n)))?;
    Ok(x * pow10(n)?)
}

/// At most this many decimal digits in the integer part of |d| (and at least this minus two):
/// log10 estimated from the bit length.
fn magnitude(d: &BigDecimal) -> i64 {
    (d.unscaled.bits() * BITS_PER_DIGIT.1 / BITS_PER_DIGIT.0) as i64 + 1 - i64::from(d.scale)
}

impl BigDecimal {
    pub fn from_bigint(v: BigInt) -> Self {
        BigDecimal { unscaled: v, scale: 0 }
    }

    /// `new BigDecimal(double)`: the exact binary value, with the smallest scale that holds it.
    pub fn from_f64(d: f64) -> Option<Self> {
        if !d.is_finite() {
            return None;
        }
        if d == 0.0 {
            return Some(BigDecimal { unscaled: BigInt::zero(), scale: 0 });
        }
        let bits = d.to_bits();
        let negative = bits >> 63 != 0;
        let exponent = ((bits >> 52) & 0x7ff) as i32;
        let mut mantissa = bits & ((1 << 52) - 1);
        let mut e = if exponent == 0 {
            -1074
        } else {
            mantissa |= 1 << 52;
            exponent - 1075
        };
        while mantissa & 1 == 0 && e < 0 {
            mantissa >>= 1;
            e += 1;
        }
        let mut unscaled = BigInt::from(mantissa);
        // At most 53 + 1023 bits, or 53 + 1074 × log2(5): within MAX_BITS.
        let scale = if e >= 0 {
            unscaled <<= e as usize;
            0
        } else {
            unscaled *= BigInt::from(5u32).pow((-e) as u32);
            -e
        };
        if negative {
            unscaled = -unscaled;
        }
        Some(BigDecimal { unscaled, scale })
    }

    /// Both unscaled values at the larger scale (refused when one would pass [`MAX_BITS`]).
    fn aligned(&self, other: &Self) -> Result<(BigInt, BigInt, i32), DecimalError> {
        let scale = self.scale.max(other.scale);
        let a = times_pow10(&self.unscaled, (i64::from(scale) - i64::from(self.scale)) as u64)?;
        let b = times_pow10(&other.unscaled, (i64::from(scale) - i64::from(other.scale)) as u64)?;
        Ok((a, b, scale))
    }

    pub fn add(&self, other: &Self) -> Result<Self, DecimalError> {
        let (a, b, scale) = self.aligned(other)?;
        Ok(BigDecimal { unscaled: a + b, scale })
    }

    pub fn subtract(&self, other: &Self) -> Result<Self, DecimalError> {
        let (a, b, scale) = self.aligned(other)?;
        Ok(BigDecimal { unscaled: a - b, scale })
    }

    pub fn multiply(&self, other: &Self) -> Result<Self, DecimalError> {
        fits(self.unscaled.bits() + other.unscaled.bits())?;
        let scale = i32::try_from(i64::from(self.scale) + i64::from(other.scale))
            .map_err(|_| DecimalError(if self.scale > 0 { "Underflow" } else { "Overflow" }))?;
        Ok(BigDecimal { unscaled: &self.unscaled * &other.unscaled, scale })
    }

    /// `divide(other, ROUND_HALF_DOWN)`: the quotient at this number's scale, ties toward zero.
    pub fn divide_half_down(&self, other: &Self) -> Result<Self, DecimalError> {
        if other.unscaled.is_zero() {
            return Err(DecimalError("Division by zero"));
        }
        // q = self / other at scale s: unscaled_q = self.u * 10^(s - self.s + other.s) / other.u
        let s = self.scale;
        let shift = other.scale;
        let (num, den) = if shift >= 0 {
            (times_pow10(&self.unscaled, shift as u64)?, other.unscaled.clone())
        } else {
            (self.unscaled.clone(), times_pow10(&other.unscaled, shift.unsigned_abs().into())?)
        };
        let (q, r) = num.div_rem(&den);
        let twice = (r.abs() * 2u32).cmp(&den.abs());
        let q = if twice == Ordering::Greater {
            if (num.sign() == Sign::Minus) != (den.sign() == Sign::Minus) {
                q - 1
            } else {
                q + 1
            }
        } else {
            q
        };
        Ok(BigDecimal { unscaled: q, scale: s })
    }

    /// `compareTo`: by sign, then by magnitude when the two differ by more than the estimate's
    /// error (so that scales far apart need no power of ten), else exactly.
    pub fn compare(&self, other: &Self) -> Ordering {
        let (x, y) = (self.signum(), other.signum());
        if x != y || x == 0 {
            return x.cmp(&y);
        }
        let (m, n) = (magnitude(self), magnitude(other));
        let by_magnitude = if m > n + 2 {
            Ordering::Greater
        } else if n > m + 2 {
            Ordering::Less
        } else {
            // The scales differ by about the difference in digits of the unscaled values.
            let scale = self.scale.max(other.scale);
            let at = |d: &Self| &d.unscaled * BigInt::from(10u32).pow((scale - d.scale) as u32);
            return at(self).cmp(&at(other));
        };
        if x < 0 {
            by_magnitude.reverse()
        } else {
            by_magnitude
        }
    }

    pub fn is_zero(&self) -> bool {
        self.unscaled.is_zero()
    }

    pub fn to_f64(&self) -> f64 {
        self.to_string().parse().unwrap_or(f64::NAN)
    }

    /// Java's `longValue()`: the low 64 bits of the integer part.
    pub fn to_i64(&self) -> i64 {
        // 10^64 is a multiple of 2^64: a larger power leaves no low bits.
        let int = match self.scale {
            s if s <= -64 => return 0,
            s if s < 0 => &self.unscaled * BigInt::from(10u32).pow(s.unsigned_abs()),
            // More fraction digits than digits: |self| < 1.
            s if s as u64 > pow10_digits(&self.unscaled) => return 0,
            s => &self.unscaled / BigInt::from(10u32).pow(s as u32),
        };
        let (sign, digits) = int.to_u64_digits();
        let low = digits.first().copied().unwrap_or(0);
        if sign == Sign::Minus {
            (low as i64).wrapping_neg()
        } else {
            low as i64
        }
    }

    pub fn to_i32(&self) -> i32 {
        self.to_i64() as i32
    }

    /// `BigInteger` value, truncated toward zero.
    pub fn to_bigint(&self) -> Result<BigInt, DecimalError> {
        if self.scale < 0 {
            return times_pow10(&self.unscaled, self.scale.unsigned_abs().into());
        }
        if self.scale as u64 > pow10_digits(&self.unscaled) {
            return Ok(BigInt::zero());
        }
        Ok(&self.unscaled / pow10(self.scale as u64)?)
    }

    pub fn signum(&self) -> i32 {
        match self.unscaled.sign() {
            Sign::Minus => -1,
            Sign::NoSign => 0,
            Sign::Plus => 1,
        }
    }
}

/// Java's rounding modes (the `int` constants of BigDecimal: ROUND_UP = 0 … ROUND_UNNECESSARY = 7).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Rounding {
    Up,
    Down,
    Ceiling,
    Floor,
    HalfUp,
    HalfDown,
    HalfEven,
    Unnecessary,
}

impl Rounding {
    pub fn from_int(i: i32) -> Option<Self> {
        Some(match i {
            0 => Rounding::Up,
            1 => Rounding::Down,
            2 => Rounding::Ceiling,
            3 => Rounding::Floor,
            4 => Rounding::HalfUp,
            5 => Rounding::HalfDown,
            6 => Rounding::HalfEven,
            7 => Rounding::Unnecessary,
            _ => return None,
        })
    }
}

/// Why a BigDecimal operation fails (Java's ArithmeticException / NumberFormatException).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecimalError(pub &'static str);

/// `num / den` rounded to an integer by `mode`.
pub fn round_div(num: &BigInt, den: &BigInt, mode: Rounding) -> Result<BigInt, DecimalError> {
    if den.is_zero() {
        return Err(DecimalError("Division by zero"));
    }
    let (q, r) = num.div_rem(den);
    if r.is_zero() {
        return Ok(q);
    }
    let negative = (num.sign() == Sign::Minus) != (den.sign() == Sign::Minus);
    let away = |q: BigInt| if negative { q - 1 } else { q + 1 };
    let half = (r.abs() * 2u32).cmp(&den.abs());
    Ok(match mode {
        Rounding::Unnecessary => return Err(DecimalError("Rounding necessary")),
        Rounding::Down => q,
        Rounding::Up => away(q),
        Rounding::Ceiling => {
            if negative {
                q
            } else {
                away(q)
            }
        }
        Rounding::Floor => {
            if negative {
                away(q)
            } else {
                q
            }
        }
        Rounding::HalfUp => {
            if half != Ordering::Less {
                away(q)
            } else {
                q
            }
        }
        Rounding::HalfDown => {
            if half == Ordering::Greater {
                away(q)
            } else {
                q
            }
        }
        Rounding::HalfEven => {
            if half == Ordering::Greater || (half == Ordering::Equal && q.is_odd()) {
                away(q)
            } else {
                q
            }
        }
    })
}

impl BigDecimal {
    /// `new BigDecimal(String)`: `[+-]digits[.digits][e[+-]digits]`.
    pub fn parse(s: &str) -> Result<Self, DecimalError> {
        let bad = DecimalError("Character array is missing \"exponent\" mark 'e' or 'E'.");
        let (mantissa, exponent) = match s.find(['e', 'E']) {
            Some(p) => (&s[..p], s[p + 1..].parse::<i64>().map_err(|_| bad.clone())?),
            None => (s, 0),
        };
        let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        let digits = format!("{int}{frac}");
        let unsigned = digits.strip_prefix(['+', '-']).unwrap_or(&digits);
        if unsigned.is_empty() || !unsigned.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad);
        }
        let unscaled: BigInt = digits.trim_start_matches('+').parse().map_err(|_| bad.clone())?;
        let scale = frac.len() as i64 - exponent;
        let scale = i32::try_from(scale).map_err(|_| DecimalError("Scale out of range."))?;
        Ok(BigDecimal { unscaled, scale })
    }

    /// `setScale(n, mode)`.
    pub fn set_scale(&self, scale: i32, mode: Rounding) -> Result<Self, DecimalError> {
        let diff = i64::from(scale) - i64::from(self.scale);
        if diff.abs() > 100_000 {
            return Err(DecimalError("Scale change too large"));
        }
        let unscaled = if diff >= 0 {
            times_pow10(&self.unscaled, diff as u64)?
        } else if diff.unsigned_abs() > pow10_digits(&self.unscaled) + 1 {
            // The quotient is 0 and the remainder under a tenth of the divisor, as with this power.
            round_div(&self.unscaled, &pow10(pow10_digits(&self.unscaled) + 1)?, mode)?
        } else {
            round_div(&self.unscaled, &pow10(diff.unsigned_abs())?, mode)?
        };
        Ok(BigDecimal { unscaled, scale })
    }

    /// `divide(other, scale, mode)`.
    pub fn divide_to_scale(&self, other: &Self, scale: i32, mode: Rounding) -> Result<Self, DecimalError> {
        if other.unscaled.is_zero() {
            return Err(DecimalError(if self.unscaled.is_zero() {
                "Division undefined"
            } else {
                "Division by zero"
            }));
        }
        // self / other = (a / 10^sa) / (b / 10^sb); at scale s the unscaled quotient is
        // a * 10^(s - sa + sb) / b.
        let shift = i64::from(scale) - i64::from(self.scale) + i64::from(other.scale);
        if shift.abs() > 100_000 {
            return Err(DecimalError("Scale change too large"));
        }
        let (num, den) = if shift >= 0 {
            (times_pow10(&self.unscaled, shift as u64)?, other.unscaled.clone())
        } else {
            (self.unscaled.clone(), times_pow10(&other.unscaled, shift.unsigned_abs())?)
        };
        Ok(BigDecimal { unscaled: round_div(&num, &den, mode)?, scale })
    }

    /// `divide(other)`: the exact quotient at the preferred scale `this.scale - other.scale`
    /// (or the smallest larger scale that holds it); no exact decimal quotient is an error.
    pub fn divide_exact(&self, other: &Self) -> Result<Self, DecimalError> {
        if other.unscaled.is_zero() {
            return Err(DecimalError(if self.unscaled.is_zero() {
                "Division undefined"
            } else {
                "Division by zero"
            }));
        }
        let preferred = self.scale.saturating_sub(other.scale);
        if self.unscaled.is_zero() {
            return Ok(BigDecimal { unscaled: BigInt::zero(), scale: preferred });
        }
        // The quotient terminates iff the reduced denominator has only factors 2 and 5.
        let g = self.unscaled.gcd(&other.unscaled);
        let mut den = (&other.unscaled / &g).abs();
        let (mut twos, mut fives) = (0u32, 0u32);
        while (&den % 2u32).is_zero() {
            den /= 2u32;
            twos += 1;
        }
        while (&den % 5u32).is_zero() {
            den /= 5u32;
            fives += 1;
        }
        if den != BigInt::from(1u32) {
            return Err(DecimalError(
                "Non-terminating decimal expansion; no exact representable decimal result.",
            ));
        }
        let extra = twos.max(fives) as i32;
        let exact = self.divide_to_scale(other, preferred.saturating_add(extra), Rounding::Unnecessary)?;
        // Java strips zeros down to the preferred scale.
        Ok(exact.strip_zeros_to(preferred))
    }

    fn strip_zeros_to(mut self, min_scale: i32) -> Self {
        let ten = BigInt::from(10u32);
        while self.scale > min_scale && !self.unscaled.is_zero() && (&self.unscaled % &ten).is_zero() {
            crate::budget::tick(1);
            self.unscaled /= &ten;
            self.scale -= 1;
        }
        self
    }

    /// `stripTrailingZeros()`: zero becomes `0` (scale 0) as in Java 8+.
    pub fn strip_trailing_zeros(&self) -> Self {
        if self.unscaled.is_zero() {
            return BigDecimal { unscaled: BigInt::zero(), scale: 0 };
        }
        self.clone().strip_zeros_to(i32::MIN)
    }

    /// The number of decimal digits of the unscaled value (1 for zero).
    pub fn precision(&self) -> i32 {
        if self.unscaled.is_zero() {
            1
        } else {
            self.unscaled.abs().to_string().len() as i32
        }
    }

    pub fn negate(&self) -> Self {
        BigDecimal { unscaled: -&self.unscaled, scale: self.scale }
    }

    pub fn abs(&self) -> Self {
        BigDecimal { unscaled: self.unscaled.abs(), scale: self.scale }
    }

    /// `movePointLeft(n)`: the scale grows by n (never below zero).
    pub fn move_point_left(&self, n: i32) -> Self {
        let moved = BigDecimal { unscaled: self.unscaled.clone(), scale: self.scale.saturating_add(n) };
        if moved.scale < 0 {
            moved.set_scale(0, Rounding::Unnecessary).unwrap_or(moved)
        } else {
            moved
        }
    }

    pub fn scale_by_power_of_ten(&self, n: i32) -> Self {
        BigDecimal { unscaled: self.unscaled.clone(), scale: self.scale.saturating_sub(n) }
    }

    /// The length of [`BigDecimal::to_plain_string`], at most.
    pub fn plain_length(&self) -> usize {
        pow10_digits(&self.unscaled) as usize + self.scale.unsigned_abs() as usize + 3
    }

    /// `toPlainString()`: never an exponent.
    pub fn to_plain_string(&self) -> String {
        let neg = if self.unscaled.is_negative() { "-" } else { "" };
        let coeff = self.unscaled.abs().to_string();
        if self.scale <= 0 {
            let zeros = if self.unscaled.is_zero() { 0 } else { (-self.scale) as usize };
            return format!("{neg}{coeff}{}", "0".repeat(zeros));
        }
        let scale = self.scale as usize;
        if coeff.len() > scale {
            let (int, frac) = coeff.split_at(coeff.len() - scale);
            format!("{neg}{int}.{frac}")
        } else {
            format!("{neg}0.{}{coeff}", "0".repeat(scale - coeff.len()))
        }
    }

    /// `pow(n)` for 0 <= n <= 999999999.
    pub fn pow(&self, n: u32) -> Result<Self, DecimalError> {
        let unscaled = power(&self.unscaled, n)?;
        let scale = i32::try_from(i64::from(self.scale) * i64::from(n))
            .map_err(|_| DecimalError(if self.scale > 0 { "Underflow" } else { "Overflow" }))?;
        Ok(BigDecimal { unscaled, scale })
    }

    /// `remainder(other)`: this - other * trunc(this / other).
    pub fn remainder(&self, other: &Self) -> Result<Self, DecimalError> {
        let q = self.divide_to_scale(other, 0, Rounding::Down)?;
        self.subtract(&q.multiply(other)?)
    }
}

/// Decimal digits of |x|, at most (estimated from its bits).
fn pow10_digits(x: &BigInt) -> u64 {
    x.bits() * BITS_PER_DIGIT.1 / BITS_PER_DIGIT.0 + 1
}

/// `x^n`, refused when it would pass [`MAX_BITS`] (0, 1 and -1 stay small).
pub fn power(x: &BigInt, n: u32) -> Result<BigInt, DecimalError> {
    if x.magnitude().bits() > 1 {
        fits((x.bits() - 1).saturating_mul(u64::from(n)))?;
    }
    Ok(num_traits::pow(x.clone(), n as usize))
}

/// Java's `BigDecimal.toString()`: plain unless the scale is negative or the adjusted exponent is
/// below -6, then `d.dddE±n`.
impl std::fmt::Display for BigDecimal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let coeff = self.unscaled.abs().to_string();
        let neg = if self.unscaled.is_negative() { "-" } else { "" };
        let len = coeff.len() as i64;
        let adjusted = -(self.scale as i64) + (len - 1);
        if self.scale >= 0 && adjusted >= -6 {
            let scale = self.scale as i64;
            if scale == 0 {
                write!(f, "{neg}{coeff}")
            } else if len > scale {
                let (int, frac) = coeff.split_at((len - scale) as usize);
                write!(f, "{neg}{int}.{frac}")
            } else {
                write!(f, "{neg}0.{}{coeff}", "0".repeat((scale - len) as usize))
            }
        } else {
            let (first, rest) = coeff.split_at(1);
            let sign = if adjusted >= 0 { "+" } else { "" };
            if rest.is_empty() {
                write!(f, "{neg}{first}E{sign}{adjusted}")
            } else {
                write!(f, "{neg}{first}.{rest}E{sign}{adjusted}")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bd(u: i64, s: i32) -> BigDecimal {
        BigDecimal { unscaled: BigInt::from(u), scale: s }
    }

    #[test]
    fn exact_doubles() {
        assert_eq!(BigDecimal::from_f64(0.5).unwrap().to_string(), "0.5");
        assert_eq!(BigDecimal::from_f64(3.0).unwrap().to_string(), "3");
        assert_eq!(
            BigDecimal::from_f64(0.1).unwrap().to_string(),
            "0.1000000000000000055511151231257827021181583404541015625"
        );
        assert_eq!(BigDecimal::from_f64(-1e20).unwrap().to_string(), "-100000000000000000000");
    }

    #[test]
    fn java_to_string_forms() {
        assert_eq!(bd(123, 2).to_string(), "1.23");
        assert_eq!(bd(123, 5).to_string(), "0.00123");
        assert_eq!(bd(123, 10).to_string(), "1.23E-8");
        assert_eq!(bd(123, -2).to_string(), "1.23E+4");
        assert_eq!(bd(-5, 0).to_string(), "-5");
    }

    #[test]
    fn arithmetic() {
        assert_eq!(bd(15, 1).add(&bd(2, 0)).unwrap().to_string(), "3.5");
        assert_eq!(bd(15, 1).multiply(&bd(2, 1)).unwrap().to_string(), "0.30");
        assert_eq!(bd(10, 0).divide_half_down(&bd(4, 0)).unwrap().to_string(), "2");
        assert_eq!(bd(11, 0).divide_half_down(&bd(4, 0)).unwrap().to_string(), "3");
        assert_eq!(bd(-11, 0).divide_half_down(&bd(4, 0)).unwrap().to_string(), "-3");
        assert!(bd(1, 0).divide_half_down(&bd(0, 0)).is_err());
        assert_eq!(bd(15, 1).compare(&bd(150, 2)), Ordering::Equal);
    }
}
