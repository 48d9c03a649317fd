//! The block's pre-state from per-transaction `prestateTracer` results, in the `prestate.json`
//! format of DESIGN.md ("Inputs").

use alloy_primitives::{Address, B256, Bytes, U256};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One account of `prestate.json`: lowercase hex, a decimal nonce, empty code and storage left out.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub(crate) struct Account {
    /// Balance in wei.
    pub(crate) balance: U256,
    /// Nonce.
    pub(crate) nonce: u64,
    /// Deployed code.
    #[serde(skip_serializing_if = "<[u8]>::is_empty")]
    pub(crate) code: Bytes,
    /// Slots with their pre-block values, keys and values padded to 32 bytes.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub(crate) storage: BTreeMap<B256, B256>,
}

/// The pre-block state being assembled, by address.
pub(crate) type PreState = BTreeMap<Address, Account>;

/// One account as a tracer reports it; tracers leave out zero and empty fields.
#[derive(Debug, Deserialize)]
pub(crate) struct TracedAccount {
    #[serde(default)]
    balance: Option<U256>,
    #[serde(default)]
    nonce: Option<Quantity>,
    #[serde(default)]
    code: Option<Bytes>,
    #[serde(default)]
    storage: Option<BTreeMap<U256, U256>>,
}

/// One transaction's `prestateTracer` result.
pub(crate) type TxPrestate = BTreeMap<Address, TracedAccount>;

/// A nonce as geth writes it (a number) or as some nodes do (a hex string).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Quantity {
    Number(u64),
    Hex(U256),
}

impl Quantity {
    fn to_u64(&self) -> Option<u64> {
        match self {
            Self::Number(n) => Some(*n),
            Self::Hex(n) => u64::try_from(*n).ok(),
        }
    }
}

/// Merges per-transaction pre-states in block order into the pre-block state.
///
/// Each transaction's tracer result is the state just before that transaction. An account's
/// balance, nonce and code come from its first appearance (an omitted field is zero or empty
/// there; a later appearance may already show what an earlier transaction did). Storage merges
/// per slot: the first transaction that touches a slot reports its pre-block value.
pub(crate) fn merge(traces: impl IntoIterator<Item = TxPrestate>) -> Result<PreState, String> {
    let mut state = PreState::new();
    for (index, trace) in traces.into_iter().enumerate() {
        for (address, traced) in trace {
            let account = match state.entry(address) {
                std::collections::btree_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::btree_map::Entry::Vacant(e) => {
                    let nonce = match &traced.nonce {
                        None => 0,
                        Some(q) => q.to_u64().ok_or_else(|| {
                            format!("transaction {index}: nonce of {address} does not fit 64 bits")
                        })?,
                    };
                    e.insert(Account {
                        balance: traced.balance.unwrap_or_default(),
                        nonce,
                        code: traced.code.clone().unwrap_or_default(),
                        storage: BTreeMap::new(),
                    })
                }
            };
            for (slot, value) in traced.storage.into_iter().flatten() {
                account
                    .storage
                    .entry(B256::from(slot))
                    .or_insert_with(|| B256::from(value));
            }
        }
    }
    Ok(state)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::address;

    fn trace(json: &str) -> TxPrestate {
        serde_json::from_str(json).expect("a tracer result")
    }

    const A: Address = address!("0x00000000000000000000000000000000000000aa");

    #[test]
    fn first_appearance_wins_per_account_and_per_slot() {
        let state = merge([
            trace(r#"{"0x00000000000000000000000000000000000000aa":{"balance":"0x10","storage":{"0x01":"0x05"}}}"#),
            trace(
                r#"{"0x00000000000000000000000000000000000000aa":{"balance":"0x20","nonce":3,"code":"0x6000",
                "storage":{"0x0000000000000000000000000000000000000000000000000000000000000001":"0x06","0x02":"0x07"}}}"#,
            ),
        ])
        .expect("merges");
        let a = &state[&A];
        assert_eq!(a.balance, U256::from(0x10));
        // Omitted at the first appearance means zero/empty, not unknown.
        assert_eq!(a.nonce, 0);
        assert!(a.code.is_empty());
        assert_eq!(a.storage[&B256::with_last_byte(1)], B256::with_last_byte(5));
        assert_eq!(a.storage[&B256::with_last_byte(2)], B256::with_last_byte(7));
    }

    #[test]
    fn serializes_in_the_prestate_format() {
        let state = merge([trace(
            r#"{"0x00000000000000000000000000000000000000AA":{"balance":"0x0","nonce":"0x2","storage":{"0x1":"0x0"}},
                "0x00000000000000000000000000000000000000bb":{"balance":"0x1"}}"#,
        )])
        .expect("merges");
        let json = serde_json::to_string(&state).expect("serializes");
        assert_eq!(
            json,
            concat!(
                r#"{"0x00000000000000000000000000000000000000aa":{"balance":"0x0","nonce":2,"storage":{"#,
                r#""0x0000000000000000000000000000000000000000000000000000000000000001":"#,
                r#""0x0000000000000000000000000000000000000000000000000000000000000000"}},"#,
                r#""0x00000000000000000000000000000000000000bb":{"balance":"0x1","nonce":0}}"#
            )
        );
    }
}
