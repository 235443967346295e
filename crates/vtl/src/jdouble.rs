//! `Double.toString` exactly as Java 17 prints it. Java before 19 does not print the shortest
//! decimal that reads back as the double: its digit generator (Steele & White style, with an
//! integer fast path and int/long/big-number tiers whose stopping tests differ at ties) prints
//! extra digits for about one double in a hundred, mostly large integral values. Templates print
//! doubles, so this module reproduces that generator; the tests compare it with Java's output.

use num_bigint::BigUint;
use num_traits::ToPrimitive;
use std::fmt::Write as _;

const EXP_SHIFT: i32 = 52;
const FRACT_HOB: u64 = 1 << EXP_SHIFT;
const MAX_SMALL_BIN_EXP: i32 = 62;
const MIN_SMALL_BIN_EXP: i32 = -(63 / 3);

/// Bit lengths of 5^i for i < 27 (the powers that fit in a long).
fn n_5_bits(i: i32) -> i32 {
    if i < 27 {
        (64 - 5u64.pow(i as u32).leading_zeros()) as i32 * i32::from(i > 0)
    } else {
        i * 3
    }
}

fn pow5_u64(i: i32) -> u64 {
    5u64.pow(i as u32)
}

/// Decimal digits of 2^p2 minus one, for 1 < p2 < 64: digits that cannot be significant.
fn insignificant_digits_for_pow2(p2: i32) -> i32 {
    if p2 > 1 && p2 < 64 {
        (1u64 << p2).to_string().len() as i32 - 1
    } else {
        0
    }
}

/// floor(log10(d)) estimated from the binary exponent, as the JDK estimates it.
fn estimate_dec_exp(fract_bits: u64, bin_exp: i32) -> i32 {
    let d2 = f64::from_bits((1023u64 << 52) | (fract_bits & (FRACT_HOB - 1)));
    // The JDK's own constants (its log10(2) is not the exact one).
    #[allow(clippy::approx_constant)]
    let d = (d2 - 1.5) * 0.289529654 + 0.176091259 + f64::from(bin_exp) * 0.301029995663981;
    // floor(d) for |d| < 400, without the libm call `f64::floor` is on baseline x86-64.
    let t = d as i32;
    if f64::from(t) > d {
        t - 1
    } else {
        t
    }
}

/// Up to 24 ASCII digits, kept on the stack (Java makes at most 20).
#[derive(Clone, Copy)]
struct DigitBuf {
    bytes: [u8; 24],
    len: usize,
}

impl DigitBuf {
    fn new() -> Self {
        DigitBuf { bytes: [0; 24], len: 0 }
    }

    fn push(&mut self, d: u8) {
        if self.len < self.bytes.len() {
            self.bytes[self.len] = d;
            self.len += 1;
        }
    }

    fn as_slice(&self) -> &[u8] {
        &self.bytes[..self.len]
    }

    fn len(&self) -> usize {
        self.len
    }

    fn last(&self) -> Option<&u8> {
        self.as_slice().last()
    }
}

impl std::ops::Index<usize> for DigitBuf {
    type Output = u8;
    fn index(&self, i: usize) -> &u8 {
        &self.bytes[i]
    }
}

impl std::ops::IndexMut<usize> for DigitBuf {
    fn index_mut(&mut self, i: usize) -> &mut u8 {
        &mut self.bytes[i]
    }
}

/// The decimal digits and exponent: the value is 0.d1d2d3… × 10^dec_exponent.
struct Digits {
    digits: DigitBuf,
    dec_exponent: i32,
}

impl Digits {
    fn roundup(&mut self) {
        let mut i = self.digits.len() - 1;
        while self.digits[i] == b'9' && i > 0 {
            self.digits[i] = b'0';
            i -= 1;
        }
        if self.digits[i] == b'9' {
            self.dec_exponent += 1;
            self.digits[0] = b'1';
            return;
        }
        self.digits[i] += 1;
    }
}

/// The integer fast path: all digits of a long, less the insignificant ones (rounded), trailing
/// zeros dropped.
fn develop_long_digits(mut dec_exponent: i32, mut value: u64, insignificant: i32) -> Digits {
    if insignificant != 0 {
        let pow10 = 10u64.pow(insignificant as u32);
        let residue = value % pow10;
        value /= pow10;
        dec_exponent += insignificant;
        if residue >= pow10 >> 1 {
            value += 1;
        }
    }
    let mut text = DigitBuf::new();
    let mut reversed = [0u8; 20];
    let mut n = 0;
    loop {
        reversed[n] = b'0' + (value % 10) as u8;
        value /= 10;
        n += 1;
        if value == 0 {
            break;
        }
    }
    let zeros = reversed[..n].iter().take_while(|&&c| c == b'0').count();
    for &d in reversed[zeros..n].iter().rev() {
        text.push(d);
    }
    Digits { digits: text, dec_exponent: dec_exponent + n as i32 }
}

/// `(b / s, b % s)` where the quotient is usually one digit: subtracting is cheaper than a
/// division then (the generator spends most of its time dividing). Every tier uses it.
fn digit_div<N: Clone + PartialOrd + num_traits::Num + From<u8>>(b: N, s: &N) -> (N, N) {
    if b >= N::zero() && *s > N::zero() {
        let (mut q, mut r) = (0u8, b.clone());
        while r >= *s && q < 9 {
            r = r - s.clone();
            q += 1;
        }
        if r < *s {
            return (N::from(q), r);
        }
    }
    (b.clone() / s.clone(), b % s.clone())
}

/// The digit loop of the int and long tiers: `b`, `s`, `m` scaled so that b/s is the value and m
/// half an ulp; Java's wrapping arithmetic is kept, overflow tests included.
macro_rules! small_tier {
    ($t:ty, $b:expr, $s:expr, $m:expr, $dec_exp:expr) => {{
        let (mut b, s, mut m): ($t, $t, $t) = ($b, $s, $m);
        let tens = s.wrapping_mul(10);
        let mut digits = DigitBuf::new();
        let (mut q, r) = digit_div(b, &s);
        b = r.wrapping_mul(10);
        m = m.wrapping_mul(10);
        let mut low = b < m;
        let mut high = b.wrapping_add(m) > tens;
        if q == 0 && !high {
            $dec_exp -= 1;
        } else {
            digits.push(b'0' + q as u8);
        }
        if !(-3..8).contains(&$dec_exp) {
            low = false;
            high = false;
        }
        while !low && !high {
            let (digit, r) = digit_div(b, &s);
            q = digit;
            b = r.wrapping_mul(10);
            m = m.wrapping_mul(10);
            if m > 0 {
                low = b < m;
                high = b.wrapping_add(m) > tens;
            } else {
                low = true;
                high = true;
            }
            digits.push(b'0' + q as u8);
        }
        let low_digit_difference = (b << 1).wrapping_sub(tens) as i64;
        (digits, low, high, low_digit_difference)
    }};
}

fn dtoa(bin_exp: i32, fract_bits: u64, n_significant_bits: i32) -> Digits {
    let tail_zeros = fract_bits.trailing_zeros() as i32;
    let n_fract_bits = EXP_SHIFT + 1 - tail_zeros;
    let n_tiny_bits = (n_fract_bits - bin_exp - 1).max(0);
    if (MIN_SMALL_BIN_EXP..=MAX_SMALL_BIN_EXP).contains(&bin_exp)
        && n_tiny_bits < 27
        && n_fract_bits + n_5_bits(n_tiny_bits) < 64
        && n_tiny_bits == 0
    {
        let insignificant = if bin_exp > n_significant_bits {
            insignificant_digits_for_pow2(bin_exp - n_significant_bits - 1)
        } else {
            0
        };
        let value = if bin_exp >= EXP_SHIFT {
            fract_bits << (bin_exp - EXP_SHIFT)
        } else {
            fract_bits >> (EXP_SHIFT - bin_exp)
        };
        return develop_long_digits(0, value, insignificant);
    }

    let mut dec_exp = estimate_dec_exp(fract_bits, bin_exp);
    let b5 = (-dec_exp).max(0);
    let mut b2 = b5 + n_tiny_bits + bin_exp;
    let s5 = dec_exp.max(0);
    let mut s2 = s5 + n_tiny_bits;
    let m5 = b5;
    let mut m2 = b2 - n_significant_bits;
    let fract = fract_bits >> tail_zeros;
    b2 -= n_fract_bits - 1;
    let common2 = b2.min(s2);
    b2 -= common2;
    s2 -= common2;
    m2 -= common2;
    if n_fract_bits == 1 {
        m2 -= 1;
    }
    if m2 < 0 {
        b2 -= m2;
        s2 -= m2;
        m2 = 0;
    }
    let b_bits = n_fract_bits + b2 + n_5_bits(b5);
    let ten_s_bits = s2 + 1 + n_5_bits(s5 + 1);

    let (digits, low, high, low_digit_difference) = if b_bits < 64 && ten_s_bits < 64 {
        if b_bits < 32 && ten_s_bits < 32 {
            let b = (fract as i32).wrapping_mul(pow5_u64(b5) as i32).wrapping_shl(b2 as u32);
            let s = (pow5_u64(s5) as i32).wrapping_shl(s2 as u32);
            let m = (pow5_u64(m5) as i32).wrapping_shl(m2 as u32);
            small_tier!(i32, b, s, m, dec_exp)
        } else {
            let b = (fract as i64).wrapping_mul(pow5_u64(b5) as i64).wrapping_shl(b2 as u32);
            let s = (pow5_u64(s5) as i64).wrapping_shl(s2 as u32);
            let m = (pow5_u64(m5) as i64).wrapping_shl(m2 as u32);
            small_tier!(i64, b, s, m, dec_exp)
        }
    } else {
        big_tier(fract, b5, b2, s5, s2, m5, m2, &mut dec_exp)
    };

    let mut out = Digits { digits, dec_exponent: dec_exp + 1 };
    if high {
        if low {
            if low_digit_difference == 0 {
                if out.digits.last().is_some_and(|d| d % 2 == 1) {
                    out.roundup();
                }
            } else if low_digit_difference > 0 {
                out.roundup();
            }
        } else {
            out.roundup();
        }
    }
    out
}

fn pow52(p5: i32, p2: i32) -> BigUint {
    BigUint::from(5u32).pow(p5 as u32) << (p2 as usize)
}

/// The big-number tier: exact arithmetic; its "high" test includes equality, unlike the small
/// tiers', and a tie is decided by comparing 2b with 10s. Most doubles with a fraction land
/// here with numbers of about 120 bits, which `u128` holds; bigger ones use `BigUint`.
#[allow(clippy::too_many_arguments)]
fn big_tier(
    fract: u64,
    b5: i32,
    b2: i32,
    s5: i32,
    s2: i32,
    m5: i32,
    m2: i32,
    dec_exp: &mut i32,
) -> (DigitBuf, bool, bool, i64) {
    // b < 10s and m < 10·10s throughout the loop, so 10s below 2^120 keeps everything in u128.
    let narrow = (|| {
        let b = u128::from(fract).checked_mul(pow52_u128(b5, b2)?)?;
        let (s, m, ten_s) = (pow52_u128(s5, s2)?, pow52_u128(m5 + 1, m2 + 1)?, pow52_u128(s5 + 1, s2 + 1)?);
        let bits = |n: u128| 128 - n.leading_zeros();
        (bits(ten_s) <= 120 && bits(b) <= 124 && bits(m) <= 124).then_some((b, s, m, ten_s))
    })();
    match narrow {
        Some((b, s, m, ten_s)) => digit_loop(b, s, m, ten_s, dec_exp),
        None => {
            let b = BigUint::from(fract) * pow52(b5, b2);
            digit_loop(b, pow52(s5, s2), pow52(m5 + 1, m2 + 1), pow52(s5 + 1, s2 + 1), dec_exp)
        }
    }
}

/// 5^p5 · 2^p2 when it fits in a `u128`.
fn pow52_u128(p5: i32, p2: i32) -> Option<u128> {
    let p5 = 5u128.checked_pow(u32::try_from(p5).ok()?)?;
    let p2 = u32::try_from(p2).ok()?;
    (p2 < p5.leading_zeros()).then(|| p5 << p2)
}

/// The digit generation of the big tier, for `u128` or `BigUint`.
fn digit_loop<N>(mut b: N, s: N, mut m: N, ten_s: N, dec_exp: &mut i32) -> (DigitBuf, bool, bool, i64)
where
    N: Clone + Ord + num_traits::Num + ToPrimitive + From<u8>,
{
    let ten = N::from(10u8);
    let mut digits = DigitBuf::new();
    let step = |b: &mut N| -> u8 {
        let (q, r) = digit_div(b.clone(), &s);
        *b = r * ten.clone();
        q.to_u8().unwrap_or(0)
    };
    let q = step(&mut b);
    let mut low = b < m;
    let mut high = ten_s <= b.clone() + m.clone();
    if q == 0 && !high {
        *dec_exp -= 1;
    } else {
        digits.push(b'0' + q);
    }
    if *dec_exp < -3 || *dec_exp >= 8 {
        low = false;
        high = false;
    }
    while !low && !high {
        let q = step(&mut b);
        m = m * ten.clone();
        low = b < m;
        high = ten_s <= b.clone() + m.clone();
        digits.push(b'0' + q);
    }
    let low_digit_difference = if high && low {
        let twice = b.clone() + b.clone();
        match twice.cmp(&ten_s) {
            std::cmp::Ordering::Less => -1,
            std::cmp::Ordering::Equal => 0,
            std::cmp::Ordering::Greater => 1,
        }
    } else {
        0
    };
    debug_assert!(!b.is_zero() || low_digit_difference <= 0);
    (digits, low, high, low_digit_difference)
}

/// Java's `Double.toString(d)`.
pub fn to_string(d: f64) -> String {
    let mut out = String::with_capacity(24);
    write(&mut out, d);
    out
}

/// Appends Java's `Double.toString(d)`.
pub fn write(out: &mut String, d: f64) {
    if !write_short_decimal(out, d) {
        write_generated(out, d);
    }
}

/// Powers of ten a short decimal may have after its point.
const SHORT_SCALES: [f64; 4] = [1.0, 10.0, 100.0, 1000.0];

/// The common case, prices and quantities: a double that is the nearest one to a decimal of at
/// most 7 digits with at most 3 after the point, written in those digits — the digits Java's
/// generator stops at for them, as `short_decimals_print_as_the_generator_does` checks for every
/// such decimal. Returns false, writing nothing, for any other double.
fn write_short_decimal(out: &mut String, d: f64) -> bool {
    let a = d.abs();
    if !(1e-3..1e7).contains(&a) {
        return false;
    }
    for (k, &scale) in SHORT_SCALES.iter().enumerate() {
        let x = a * scale;
        if x >= 1e7 {
            return false;
        }
        // The nearest integer (the product is off by far less than a half).
        let n = (x + 0.5) as i64;
        if n as f64 / scale != a {
            continue;
        }
        let n = n as u64;
        if d < 0.0 {
            out.push('-');
        }
        let unit = 10u64.pow(k as u32);
        crate::value::push_integer(out, n / unit);
        out.push('.');
        if k == 0 {
            out.push('0');
        } else {
            // The fraction's digits, zeros in front included: 1000 + 5 prints "1005", then "005".
            let mut digits = itoa::Buffer::new();
            out.push_str(&digits.format(unit + n % unit)[1..]);
        }
        return true;
    }
    false
}

/// `Double.toString(d)` by Java's digit generator.
#[inline(never)]
fn write_generated(out: &mut String, d: f64) {
    if d.is_nan() {
        return out.push_str("NaN");
    }
    if d.is_infinite() {
        return out.push_str(if d > 0.0 { "Infinity" } else { "-Infinity" });
    }
    if d == 0.0 {
        return out.push_str(if d.is_sign_negative() { "-0.0" } else { "0.0" });
    }
    let bits = d.to_bits();
    let mut fract_bits = bits & (FRACT_HOB - 1);
    let mut bin_exp = ((bits >> EXP_SHIFT) & 0x7ff) as i32;
    let n_significant_bits;
    if bin_exp == 0 {
        let leading_zeros = fract_bits.leading_zeros() as i32;
        let shift = leading_zeros - (63 - EXP_SHIFT);
        fract_bits <<= shift;
        bin_exp = 1 - shift;
        n_significant_bits = 64 - leading_zeros;
    } else {
        fract_bits |= FRACT_HOB;
        n_significant_bits = EXP_SHIFT + 1;
    }
    bin_exp -= 1023;
    let digits = dtoa(bin_exp, fract_bits, n_significant_bits);
    format(out, d < 0.0, &digits);
}

/// The digits Java's formatting starts from (those `Double.toString` prints) and the decimal
/// exponent: |d| = 0.d1d2d3… × 10^exponent. For finite, non-zero `d`.
pub fn decimal_digits(d: f64) -> (Vec<u8>, i32) {
    let text = to_string(d.abs());
    let (mantissa, exp) = match text.split_once('E') {
        Some((m, e)) => (m, e.parse::<i32>().unwrap_or(0) + 1),
        None => (text.as_str(), 0),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let all: Vec<u8> = int.bytes().chain(frac.bytes()).collect();
    let leading = all.iter().take_while(|&&b| b == b'0').count();
    let mut digits = all[leading..].to_vec();
    while digits.len() > 1 && digits.last() == Some(&b'0') {
        digits.pop();
    }
    let exponent = if text.contains('E') { exp } else { int.len() as i32 - leading as i32 };
    (digits, exponent)
}

/// Java's `Float.toString(f)`: the same digit generator fed with the float's 24-bit significand.
pub fn float_to_string(f: f32) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    if f == 0.0 {
        return if f.is_sign_negative() { "-0.0" } else { "0.0" }.into();
    }
    const SHIFT: i32 = 23;
    let bits = f.to_bits();
    let mut fract_bits = bits & ((1 << SHIFT) - 1);
    let mut bin_exp = ((bits >> SHIFT) & 0xff) as i32;
    let n_significant_bits;
    if bin_exp == 0 {
        let leading_zeros = fract_bits.leading_zeros() as i32;
        let shift = leading_zeros - (31 - SHIFT);
        fract_bits <<= shift;
        bin_exp = 1 - shift;
        n_significant_bits = 32 - leading_zeros;
    } else {
        fract_bits |= 1 << SHIFT;
        n_significant_bits = SHIFT + 1;
    }
    bin_exp -= 127;
    let digits = dtoa(bin_exp, u64::from(fract_bits) << (EXP_SHIFT - SHIFT), n_significant_bits);
    let mut out = String::with_capacity(24);
    format(&mut out, f < 0.0, &digits);
    out
}

/// Java's layout: plain for 10^-3 <= |d| < 10^7, else `d.dddE±n`; always a digit after the point.
fn format(out: &mut String, negative: bool, d: &Digits) {
    let digits = std::str::from_utf8(d.digits.as_slice()).unwrap_or("0");
    let n = digits.len() as i32;
    let e = d.dec_exponent;
    if negative {
        out.push('-');
    }
    if e > 0 && e < 8 {
        let int_len = n.min(e) as usize;
        out.push_str(&digits[..int_len]);
        if (int_len as i32) < e {
            out.extend(std::iter::repeat_n('0', (e - int_len as i32) as usize));
            out.push_str(".0");
        } else {
            out.push('.');
            if (int_len as i32) < n {
                out.push_str(&digits[int_len..]);
            } else {
                out.push('0');
            }
        }
    } else if e <= 0 && e > -3 {
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', (-e) as usize));
        out.push_str(digits);
    } else {
        out.push_str(&digits[..1]);
        out.push('.');
        if n > 1 {
            out.push_str(&digits[1..]);
        } else {
            out.push('0');
        }
        out.push('E');
        let _ = write!(out, "{}", e - 1);
    }
}

#[cfg(test)]
mod tests {
    use super::to_string;

    #[test]
    fn everyday_values() {
        for (d, s) in [
            (1.0, "1.0"),
            (-3.5, "-3.5"),
            (0.1, "0.1"),
            (100.0, "100.0"),
            (1234567.0, "1234567.0"),
            (12345678.0, "1.2345678E7"),
            (0.001, "0.001"),
            (0.0001, "1.0E-4"),
            (1e21, "1.0E21"),
            (f64::MAX, "1.7976931348623157E308"),
            (f64::MIN_POSITIVE, "2.2250738585072014E-308"),
            (5e-324, "4.9E-324"),
            (-0.0, "-0.0"),
            (f64::NAN, "NaN"),
            (f64::NEG_INFINITY, "-Infinity"),
            (10000000000.0, "1.0E10"),
            (1000.1234, "1000.1234"),
        ] {
            assert_eq!(to_string(d), s, "{d:e}");
        }
    }

    /// 1,995 doubles as Java 17 prints them, three quarters of them ones where Java's digits are
    /// not the shortest (from a check of 4.4 million values, all equal).
    /// `VTL_DOUBLES=/path` checks a larger sample (lines of `hexbits text`) made with Java.
    #[test]
    fn java_17_output_is_reproduced() {
        let extra = std::env::var("VTL_DOUBLES").ok().and_then(|p| std::fs::read_to_string(p).ok());
        let data = include_str!("../tests/data/java17_doubles.txt");
        let mut checked = 0;
        for line in data.lines().chain(extra.as_deref().unwrap_or("").lines()) {
            let (hex, java) = line.split_once(' ').unwrap();
            let d = f64::from_bits(u64::from_str_radix(hex, 16).unwrap());
            assert_eq!(to_string(d), java, "bits {hex}");
            checked += 1;
        }
        assert!(checked > 1900);
    }
}

#[cfg(test)]
mod short_decimal_tests {
    use super::{write_generated, write_short_decimal, SHORT_SCALES};

    /// The fast path against the generator for the decimals n / 10^k with n below `limit`, every
    /// `stride`-th n, and their negatives: same text, or the fast path declines.
    fn check(limit: u64, stride: usize) -> usize {
        let (mut fast, mut slow, mut taken) = (String::new(), String::new(), 0);
        for n in (1..limit).step_by(stride) {
            for scale in SHORT_SCALES {
                for d in [n as f64 / scale, -(n as f64) / scale] {
                    fast.clear();
                    slow.clear();
                    if write_short_decimal(&mut fast, d) {
                        write_generated(&mut slow, d);
                        assert_eq!(fast, slow, "{n} / {scale}");
                        taken += 1;
                    }
                }
            }
        }
        taken
    }

    #[test]
    fn short_decimals_print_as_the_generator_does() {
        // All of the small ones, then a sample up to the limit.
        assert!(check(100_000, 1) > 700_000);
        assert!(check(10_000_000, 997) > 70_000);
    }

    /// Every short decimal: `cargo test --release -p vtl -- --ignored every_short_decimal`.
    #[test]
    #[ignore]
    fn every_short_decimal_prints_as_the_generator_does() {
        assert!(check(10_000_000, 1) > 70_000_000);
    }

    #[test]
    fn other_doubles_are_left_to_the_generator() {
        for d in [0.1 + 0.2, 1e7, 12345678.5, 0.0009, 1.0 / 3.0, f64::NAN, 0.0, 9999999.9] {
            assert!(!write_short_decimal(&mut String::new(), d), "{d}");
        }
    }
}

#[cfg(test)]
mod float_tests {
    use super::float_to_string;

    /// `VTL_FLOATS=/path` checks a larger sample (lines of `hexbits text`) made with Java.
    #[test]
    fn java_17_float_output_is_reproduced() {
        let extra = std::env::var("VTL_FLOATS").ok().and_then(|p| std::fs::read_to_string(p).ok());
        let data = include_str!("../tests/data/java17_floats.txt");
        let mut checked = 0;
        for line in data.lines().chain(extra.as_deref().unwrap_or("").lines()) {
            let (hex, java) = line.split_once(' ').unwrap();
            let f = f32::from_bits(u32::from_str_radix(hex, 16).unwrap());
            assert_eq!(float_to_string(f), java, "bits {hex}");
            checked += 1;
        }
        assert!(checked > 1000);
    }
}
