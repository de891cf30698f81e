//! [`VisitorId`]: the daily visitor pseudonym as a value.

use std::fmt;

/// A visitor pseudonym: 64 bits, written as 16 lower-case hex digits.
///
/// Only the visitor rule (`anonymize/visitor.rs`) makes one.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct VisitorId(pub(crate) u64);

impl VisitorId {
    /// The pseudonym's 64 bits.
    pub const fn as_u64(self) -> u64 {
        self.0
    }
}

impl fmt::Display for VisitorId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_as_sixteen_hex_digits() {
        for (bits, shown) in [
            (0, "0000000000000000"),
            (0xab, "00000000000000ab"),
            (0x8e97_dc1e_3b49_26af, "8e97dc1e3b4926af"),
            (u64::MAX, "ffffffffffffffff"),
        ] {
            assert_eq!(VisitorId(bits).to_string(), shown);
            assert_eq!(VisitorId(bits).as_u64(), bits);
        }
    }
}
