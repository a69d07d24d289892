//! Fixed-point decimals: [`Price`] and [`Qty`].
//!
//! Business state never holds a binary float. A value is an `i64` count of units at a decimal
//! `scale` (units of 10^-scale); the scale is per instrument. Parsing and formatting are exact:
//! `"1.08425"` at scale 5 is 108_425 units and prints back as `"1.08425"`. Arithmetic is
//! `checked_*` and returns `None` on overflow or scale mismatch instead of wrapping.

use std::fmt;

/// Largest scale accepted; 10^18 still fits an `i64`.
pub const MAX_SCALE: u8 = 18;

/// Why a decimal string was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DecimalError {
    /// The string is empty or has no digits.
    #[error("empty decimal")]
    Empty,
    /// A character other than an optional leading `-`/`+`, digits and one `.`.
    #[error("invalid character in decimal")]
    InvalidCharacter,
    /// More significant fractional digits than the scale allows (would need rounding).
    #[error("more fractional digits than the instrument's scale")]
    TooPrecise,
    /// The value does not fit an `i64` at this scale.
    #[error("decimal out of range")]
    Overflow,
    /// Scale above [`MAX_SCALE`].
    #[error("scale above 18")]
    BadScale,
}

const POW10: [i64; 19] = {
    let mut table = [1i64; 19];
    let mut i = 1;
    while i < 19 {
        table[i] = table[i - 1] * 10;
        i += 1;
    }
    table
};

/// 10^scale as an `i64`.
///
/// # Panics
/// When `scale > 18`.
pub const fn pow10(scale: u8) -> i64 {
    POW10[scale as usize]
}

/// Parses `text` into units at `scale`, exactly. Trailing zeros beyond the scale are accepted
/// (`"1.50"` at scale 1), any other extra digit is [`DecimalError::TooPrecise`].
pub fn parse_units(text: &str, scale: u8) -> Result<i64, DecimalError> {
    if scale > MAX_SCALE {
        return Err(DecimalError::BadScale);
    }
    let bytes = text.as_bytes();
    let (negative, digits) = match bytes.first() {
        None => return Err(DecimalError::Empty),
        Some(b'-') => (true, &bytes[1..]),
        Some(b'+') => (false, &bytes[1..]),
        Some(_) => (false, bytes),
    };
    let mut units: i64 = 0;
    let mut seen_digit = false;
    let mut seen_dot = false;
    let mut fraction_digits: u8 = 0;
    for &b in digits {
        match b {
            b'.' if !seen_dot => seen_dot = true,
            b'0'..=b'9' => {
                seen_digit = true;
                let digit = i64::from(b - b'0');
                if seen_dot {
                    if fraction_digits == scale {
                        if digit != 0 {
                            return Err(DecimalError::TooPrecise);
                        }
                        continue;
                    }
                    fraction_digits += 1;
                }
                units = units
                    .checked_mul(10)
                    .and_then(|u| u.checked_add(digit))
                    .ok_or(DecimalError::Overflow)?;
            }
            _ => return Err(DecimalError::InvalidCharacter),
        }
    }
    if !seen_digit {
        return Err(DecimalError::Empty);
    }
    let units = units
        .checked_mul(pow10(scale - fraction_digits))
        .ok_or(DecimalError::Overflow)?;
    Ok(if negative { -units } else { units })
}

/// Writes `units` at `scale` as an exact decimal string (always `scale` fractional digits).
pub fn write_units(f: &mut impl fmt::Write, units: i64, scale: u8) -> fmt::Result {
    let sign = if units < 0 { "-" } else { "" };
    let magnitude = units.unsigned_abs();
    if scale == 0 {
        return write!(f, "{sign}{magnitude}");
    }
    let divisor = pow10(scale) as u64;
    write!(
        f,
        "{sign}{}.{:0width$}",
        magnitude / divisor,
        magnitude % divisor,
        width = scale as usize
    )
}

macro_rules! fixed_point {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name {
            units: i64,
            scale: u8,
        }

        impl $name {
            /// A value of `units` at `scale`, or `None` when the scale is above 18.
            pub const fn new_checked(units: i64, scale: u8) -> Option<Self> {
                if scale > MAX_SCALE {
                    None
                } else {
                    Some(Self { units, scale })
                }
            }

            /// A value of `units` at `scale`.
            ///
            /// # Panics
            /// When `scale > 18`.
            pub const fn new(units: i64, scale: u8) -> Self {
                match Self::new_checked(units, scale) {
                    Some(value) => value,
                    None => panic!("scale above 18"),
                }
            }

            /// Parses an exact decimal string at `scale`.
            pub fn parse(text: &str, scale: u8) -> Result<Self, DecimalError> {
                parse_units(text, scale).map(|units| Self { units, scale })
            }

            /// The raw count of 10^-scale units.
            pub const fn units(self) -> i64 {
                self.units
            }

            /// The number of fractional digits.
            pub const fn scale(self) -> u8 {
                self.scale
            }

            /// `self + other`, `None` on overflow or different scales.
            pub fn checked_add(self, other: Self) -> Option<Self> {
                (self.scale == other.scale)
                    .then(|| self.units.checked_add(other.units))
                    .flatten()
                    .map(|units| Self { units, scale: self.scale })
            }

            /// `self - other`, `None` on overflow or different scales.
            pub fn checked_sub(self, other: Self) -> Option<Self> {
                (self.scale == other.scale)
                    .then(|| self.units.checked_sub(other.units))
                    .flatten()
                    .map(|units| Self { units, scale: self.scale })
            }

            /// The same value at a larger scale, `None` on overflow or when `scale` is smaller.
            pub fn rescale_up(self, scale: u8) -> Option<Self> {
                if scale < self.scale || scale > MAX_SCALE {
                    return None;
                }
                self.units
                    .checked_mul(pow10(scale - self.scale))
                    .map(|units| Self { units, scale })
            }

            /// Removes trailing fractional zeros down to `min_scale` (`1.0850` → `1.085`).
            pub fn trimmed(self, min_scale: u8) -> Self {
                let mut value = self;
                while value.scale > min_scale && value.units % 10 == 0 {
                    value.units /= 10;
                    value.scale -= 1;
                }
                value
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write_units(f, self.units, self.scale)
            }
        }
    };
}

fixed_point!(
    /// A price: fixed-point `i64` units at the instrument's price scale.
    Price
);
fixed_point!(
    /// A quantity (size, notional): fixed-point `i64` units at the instrument's size scale.
    Qty
);

impl Price {
    /// The exact midpoint of `bid` and `ask` (one more digit of scale when needed),
    /// `None` on overflow or different scales.
    pub fn mid(bid: Price, ask: Price) -> Option<Price> {
        if bid.scale != ask.scale {
            return None;
        }
        Price::from_doubled(bid.units.checked_add(ask.units)?, bid.scale)
    }

    /// Half of `units_x2` units at `scale`, exact (one more digit of scale when odd) — the mid
    /// from `bid + ask` as the hot path carries it. `None` on overflow or scale above 17.
    pub fn from_doubled(units_x2: i64, scale: u8) -> Option<Price> {
        if scale >= MAX_SCALE {
            return None;
        }
        Some(Price::new(units_x2.checked_mul(5)?, scale + 1).trimmed(scale))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_exactly() {
        let p = Price::parse("1.08425", 5).unwrap();
        assert_eq!(p.units(), 108_425);
        assert_eq!(p.to_string(), "1.08425");
        assert_eq!(Price::parse("150.1", 3).unwrap().to_string(), "150.100");
        assert_eq!(Price::parse("-0.5", 2).unwrap().to_string(), "-0.50");
        assert_eq!(Price::parse("7", 0).unwrap().to_string(), "7");
        assert_eq!(Price::parse(".25", 2).unwrap().units(), 25);
    }

    #[test]
    fn refuses_what_it_cannot_hold_exactly() {
        assert_eq!(Price::parse("1.084251", 5), Err(DecimalError::TooPrecise));
        assert_eq!(Price::parse("1.0842500", 5).unwrap().units(), 108_425);
        assert_eq!(Price::parse("", 5), Err(DecimalError::Empty));
        assert_eq!(Price::parse("-", 5), Err(DecimalError::Empty));
        assert_eq!(Price::parse("1e5", 5), Err(DecimalError::InvalidCharacter));
        assert_eq!(
            Price::parse("1.2.3", 5),
            Err(DecimalError::InvalidCharacter)
        );
        assert_eq!(Price::parse("NaN", 5), Err(DecimalError::InvalidCharacter));
        assert_eq!(
            Price::parse("99999999999999", 6),
            Err(DecimalError::Overflow)
        );
        assert_eq!(Price::parse("1", 19), Err(DecimalError::BadScale));
    }

    #[test]
    fn mid_is_exact() {
        let bid = Price::parse("1.08425", 5).unwrap();
        let ask = Price::parse("1.08426", 5).unwrap();
        assert_eq!(Price::mid(bid, ask).unwrap().to_string(), "1.084255");
        let ask = Price::parse("1.08435", 5).unwrap();
        assert_eq!(Price::mid(bid, ask).unwrap().to_string(), "1.08430");
    }

    #[test]
    fn checked_arithmetic_refuses_mixed_scales_and_overflow() {
        let a = Qty::new(1, 2);
        assert_eq!(a.checked_add(Qty::new(1, 3)), None);
        assert_eq!(Qty::new(i64::MAX, 0).checked_add(Qty::new(1, 0)), None);
        assert_eq!(
            Qty::new(5, 0).checked_sub(Qty::new(7, 0)),
            Some(Qty::new(-2, 0))
        );
    }
}

#[cfg(test)]
mod property_tests {
    use super::*;
    use proptest::prelude::*;

    fn units() -> impl Strategy<Value = i64> {
        prop_oneof![
            Just(0i64),
            Just(1),
            Just(-1),
            Just(i64::MAX),
            Just(i64::MIN + 1),
            any::<i64>().prop_filter("i64::MIN has no positive twin", |u| *u != i64::MIN),
        ]
    }

    proptest! {
        #[test]
        fn prop_format_then_parse_round_trips(units in units(), scale in 0u8..=18) {
            let price = Price::new(units, scale);
            let text = price.to_string();
            prop_assert_eq!(Price::parse(&text, scale), Ok(price));
        }

        #[test]
        fn prop_parse_never_panics(text in "\\PC{0,24}", scale in 0u8..=20) {
            let _ = Price::parse(&text, scale);
        }

        #[test]
        fn prop_mid_lies_between_bid_and_ask(
            bid in -1_000_000_000i64..1_000_000_000,
            width in 0i64..1_000_000,
            scale in 0u8..=10,
        ) {
            let b = Price::new(bid, scale);
            let a = Price::new(bid + width, scale);
            let mid = Price::mid(b, a).unwrap().rescale_up(scale + 1).unwrap();
            prop_assert!(b.rescale_up(scale + 1).unwrap() <= mid);
            prop_assert!(mid <= a.rescale_up(scale + 1).unwrap());
        }

        #[test]
        fn prop_add_then_sub_is_identity(x in units(), y in units(), scale in 0u8..=18) {
            let (a, b) = (Qty::new(x, scale), Qty::new(y, scale));
            if let Some(sum) = a.checked_add(b) {
                prop_assert_eq!(sum.checked_sub(b), Some(a));
            }
        }
    }
}
