//! A machine word: concrete, or abstract with a provenance label.

use alloy_primitives::U256;

/// One EVM word as the analyzer knows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Value {
    /// A concrete word.
    Known(U256),
    /// An unknown word known to be a slot derived from the plain slot `root` (a mapping entry
    /// with an unknown key, or an element of a dynamic array at an unknown index).
    Slot(U256),
    /// Anything.
    Opaque,
}

impl Value {
    /// Zero.
    pub(crate) const ZERO: Self = Self::Known(U256::ZERO);

    /// The concrete word, if known.
    #[inline]
    pub(crate) const fn known(self) -> Option<U256> {
        match self {
            Self::Known(w) => Some(w),
            _ => None,
        }
    }

    /// A concrete boolean word.
    #[inline]
    pub(crate) fn bool(b: bool) -> Self {
        Self::Known(U256::from(b))
    }

    /// A concrete small integer.
    #[inline]
    pub(crate) fn from_usize(n: usize) -> Self {
        Self::Known(U256::from(n))
    }

    /// The word as a `usize`, if it is known and fits.
    #[inline]
    #[expect(clippy::option_option, reason = "unknown vs. known but too large")]
    pub(crate) fn as_usize(self) -> Option<Option<usize>> {
        self.known().map(|w| usize::try_from(w).ok())
    }
}
