//! Readable names for contracts, locations, scopes and calls.
//!
//! A name says only what is known: a contract's name and a slot's meaning come from a short
//! table of mainnet contracts whose storage layouts are published (their verified sources),
//! or from the contract's code when it is byte for byte a known contract's (every Uniswap V2
//! pair runs the same code, so its reserves are slot 8);
//! a slot's *shape* (mapping entry, nested mapping, array element) comes from the keccak
//! preimages seen while executing or analysing the block; a call's function from its 4-byte
//! selector, computed here from the signature. Anything else is shown as it is:
//! `0xa0b8..eb48 slot mapping@9[0xab12..cdef]`.

use crate::graph::Target;
use alloy_primitives::{Address, B256, U256, address, b256, keccak256};
use lanes_analyzer::{Location, Scope, SlotOrigins};
use std::collections::BTreeMap;

/// A contract whose name and storage layout are known.
struct Known {
    address: Address,
    name: &'static str,
    /// Plain slot -> the variable stored there (for mappings, the mapping's name).
    slots: &'static [(u64, &'static str)],
}

/// Mainnet contracts with published layouts (from their verified Solidity sources).
const KNOWN: &[Known] = &[
    Known {
        // WETH9: name, symbol, decimals, balanceOf, allowance.
        address: address!("c02aaa39b223fe8d0a0e5c4f27ead9083c756cc2"),
        name: "WETH",
        slots: &[(3, "balanceOf"), (4, "allowance")],
    },
    Known {
        // FiatTokenV2 behind FiatTokenProxy.
        address: address!("a0b86991c6218b36c1d19d4a2e9eb0ce3606eb48"),
        name: "USDC",
        slots: &[(9, "balanceOf"), (10, "allowance")],
    },
    Known {
        // TetherToken: Ownable.owner, _totalSupply, balances, ..., allowed.
        address: address!("dac17f958d2ee523a2206206994597c13d831ec7"),
        name: "USDT",
        slots: &[(2, "balanceOf"), (5, "allowance")],
    },
    Known {
        // Dai: wards, totalSupply, balanceOf, allowance, nonces.
        address: address!("6b175474e89094c44da98b954eedeac495271d0f"),
        name: "DAI",
        slots: &[(1, "totalSupply"), (2, "balanceOf"), (3, "allowance")],
    },
];

/// Contracts known only by name (no storage layout needed to name them).
const NAMED: &[(Address, &str)] = &[
    (
        address!("7a250d5630b4cf539739df2c5dacb4c659f2488d"),
        "UniswapV2Router02",
    ),
    (
        address!("e592427a0aece92de3edee1f18e0157c05861564"),
        "UniswapV3SwapRouter",
    ),
    (
        address!("68b3465833fb72a70ecdf485e0e4c7bd8665fc45"),
        "UniswapSwapRouter02",
    ),
    (
        address!("ef1c6e67703c7bd7107eed8303fbe6ec2554bf6b"),
        "UniswapUniversalRouter",
    ),
    (
        address!("1111111254eeb25477b68fb85ed929f73a960582"),
        "1inchRouterV5",
    ),
    (
        address!("def1c0ded9bec7f1a1670819833240f027b25eff"),
        "0xExchangeProxy",
    ),
    (
        address!("00000000219ab540356cbb839cbe05303d7705fa"),
        "BeaconDeposit",
    ),
];

/// A contract kind recognised by the keccak256 of its runtime code.
struct KnownCode {
    code_hash: B256,
    kind: &'static str,
    slots: &'static [(u64, &'static str)],
}

/// UniswapV2Pair (UniswapV2ERC20: totalSupply, balanceOf, allowance, DOMAIN_SEPARATOR,
/// nonces; then factory, token0, token1, reserve0/reserve1/blockTimestampLast, ...).
const KNOWN_CODE: &[KnownCode] = &[KnownCode {
    code_hash: b256!("5b83bdbcc56b2e630f2807bbadd2b0c21619108066b92a58de081261089e9ce5"),
    kind: "UniswapV2Pair",
    slots: &[
        (0, "totalSupply"),
        (1, "balanceOf"),
        (2, "allowance"),
        (4, "nonces"),
        (5, "factory"),
        (6, "token0"),
        (7, "token1"),
        (8, "reserves"),
        (9, "price0CumulativeLast"),
        (10, "price1CumulativeLast"),
        (11, "kLast"),
        (12, "unlocked"),
    ],
}];

/// Function signatures whose selectors name calls.
const SIGNATURES: &[&str] = &[
    "transfer(address,uint256)",
    "transferFrom(address,address,uint256)",
    "approve(address,uint256)",
    "deposit()",
    "withdraw(uint256)",
    "swap(uint256,uint256,address,bytes)",
    "swapExactTokensForTokens(uint256,uint256,address[],address,uint256)",
    "swapTokensForExactTokens(uint256,uint256,address[],address,uint256)",
    "swapExactETHForTokens(uint256,address[],address,uint256)",
    "swapETHForExactTokens(uint256,address[],address,uint256)",
    "swapExactTokensForETH(uint256,uint256,address[],address,uint256)",
    "swapTokensForExactETH(uint256,uint256,address[],address,uint256)",
    "exactInputSingle((address,address,uint24,address,uint256,uint256,uint256,uint160))",
    "exactInput((bytes,address,uint256,uint256,uint256))",
    "multicall(bytes[])",
    "multicall(uint256,bytes[])",
    "execute(bytes,bytes[],uint256)",
    "execute(bytes,bytes[])",
    "setApprovalForAll(address,bool)",
    "safeTransferFrom(address,address,uint256)",
    "safeTransferFrom(address,address,uint256,bytes)",
    "mint(address)",
    "burn(address)",
    "swapExactETHForTokensSupportingFeeOnTransferTokens(uint256,address[],address,uint256)",
    "swapExactTokensForETHSupportingFeeOnTransferTokens(uint256,uint256,address[],address,uint256)",
    "swapExactTokensForTokensSupportingFeeOnTransferTokens(uint256,uint256,address[],address,uint256)",
    "addLiquidity(address,address,uint256,uint256,uint256,uint256,address,uint256)",
    "addLiquidityETH(address,uint256,uint256,uint256,address,uint256)",
    "removeLiquidityETH(address,uint256,uint256,uint256,address,uint256)",
    "unoswap(address,uint256,uint256,uint256[])",
    "uniswapV3Swap(uint256,uint256,uint256[])",
    "swap(address,(address,address,address,address,uint256,uint256,uint256),bytes,bytes)",
    "deposit(bytes,bytes,bytes,bytes32)",
    "claim()",
    "mint(uint256)",
];

/// What a report needs to know about one transaction to describe it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TxInfo {
    /// The sender.
    pub from: Address,
    /// The recipient (`None` for a contract creation).
    pub to: Option<Address>,
    /// The first four bytes of the input, if it has at least four.
    pub selector: Option<[u8; 4]>,
    /// Whether the input is empty (a plain transfer to an account).
    pub plain: bool,
}

/// Names things for reports.
#[derive(Clone, Debug, Default)]
pub struct Names {
    /// Contracts whose code is a known contract's, by address.
    kinds: BTreeMap<Address, &'static KnownCode>,
    origins: SlotOrigins,
    keys: BTreeMap<U256, U256>,
    beneficiary: Option<Address>,
    selectors: BTreeMap<[u8; 4], &'static str>,
}

impl std::fmt::Debug for KnownCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.kind)
    }
}

impl Names {
    /// Recognises contracts by their code (`(address, code)` pairs, e.g. from the pre-state).
    #[must_use]
    pub fn with_code<'a>(mut self, codes: impl IntoIterator<Item = (Address, &'a [u8])>) -> Self {
        for (address, code) in codes {
            if code.is_empty() {
                continue;
            }
            let hash = keccak256(code);
            if let Some(k) = KNOWN_CODE.iter().find(|k| k.code_hash == hash) {
                self.kinds.insert(address, k);
            }
        }
        self
    }

    /// A namer that knows the slot derivations `origins`, the mapping keys `keys`
    /// (`keccak256(key . base)` -> `key`) and the block's beneficiary.
    pub fn new(origins: SlotOrigins, keys: BTreeMap<U256, U256>, beneficiary: Address) -> Self {
        let selectors = SIGNATURES
            .iter()
            .map(|s| {
                let h = keccak256(s.as_bytes());
                ([h[0], h[1], h[2], h[3]], *s)
            })
            .collect();
        Self {
            kinds: BTreeMap::new(),
            origins,
            keys,
            beneficiary: Some(beneficiary),
            selectors,
        }
    }

    fn known(address: Address) -> Option<&'static Known> {
        KNOWN.iter().find(|k| k.address == address)
    }

    /// A contract or account: its known name, or its short address.
    pub fn account(&self, address: Address) -> String {
        if let Some(k) = Self::known(address) {
            return k.name.to_owned();
        }
        if let Some((_, name)) = NAMED.iter().find(|(a, _)| *a == address) {
            return (*name).to_owned();
        }
        let short = short_address(address);
        if let Some(k) = self.kinds.get(&address) {
            return format!("{} {short}", k.kind);
        }
        if self.beneficiary == Some(address) {
            format!("{short} (beneficiary)")
        } else {
            short
        }
    }

    /// A storage slot of `address`, as its shape (and meaning, when the layout is known).
    pub fn slot(&self, address: Address, slot: U256) -> String {
        let mut keys = Vec::new();
        let mut current = slot;
        // Walk up mapping entries whose key is known; stop at anything else.
        while let (Some(key), Some(base)) = (self.keys.get(&current), self.origins.parent(current))
        {
            keys.push(*key);
            current = base;
            if keys.len() > 8 {
                break;
            }
        }
        keys.reverse();
        let derived = self.origins.parent(current).is_some();
        let index = keys.iter().fold(String::new(), |mut s, k| {
            s.push('[');
            s.push_str(&short_word(*k));
            s.push(']');
            s
        });
        let layout = Self::known(address)
            .map(|k| k.slots)
            .or_else(|| self.kinds.get(&address).map(|k| k.slots));
        let named = layout
            .and_then(|slots| slots.iter().find(|(s, _)| U256::from(*s) == current))
            .map(|(_, name)| *name);
        match (named, derived, keys.is_empty()) {
            (Some(name), false, _) => format!("{name}{index}"),
            (None, false, true) => format!("slot {}", short_word(current)),
            (None, false, false) => format!("mapping@{}{index}", short_word(current)),
            (_, true, _) => {
                let root = self.origins.root(current);
                format!("slot derived from {}{index}", short_word(root))
            }
        }
    }

    /// A location.
    pub fn location(&self, location: &Location) -> String {
        match *location {
            Location::Storage { address, slot } => {
                format!("{} {}", self.account(address), self.slot(address, slot))
            }
            Location::Balance { address } => format!("balance of {}", self.account(address)),
            Location::Nonce { address } => format!("nonce of {}", self.account(address)),
            Location::Code { address } => format!("code of {}", self.account(address)),
        }
    }

    /// A widened scope.
    pub fn scope(&self, scope: &Scope) -> String {
        match *scope {
            Scope::Unknown => "anything (unknown)".to_owned(),
            Scope::Contract { address } => format!("{} any slot", self.account(address)),
            Scope::Family { address, root } => {
                format!("{} {}[*]", self.account(address), self.slot(address, root))
            }
        }
    }

    /// A conflict target.
    pub fn target(&self, target: &Target) -> String {
        match target {
            Target::Location(l) => self.location(l),
            Target::Scope(s) => self.scope(s),
        }
    }

    /// What a transaction does: `USDC.transfer`, `ETH to 0xab..cd`, `create`, or the selector.
    pub fn call(&self, tx: &TxInfo) -> String {
        let Some(to) = tx.to else {
            return "create".to_owned();
        };
        if tx.plain {
            return format!("ETH to {}", self.account(to));
        }
        let function = match tx.selector {
            Some(s) => self.selectors.get(&s).map_or_else(
                || format!("0x{}", alloy_primitives::hex::encode(s)),
                |sig| sig.split('(').next().unwrap_or(sig).to_owned(),
            ),
            None => "call".to_owned(),
        };
        format!("{}.{function}", self.account(to))
    }
}

/// `0xa0b8..eb48`.
pub fn short_address(address: Address) -> String {
    let hex = alloy_primitives::hex::encode(address);
    format!("0x{}..{}", &hex[..4], &hex[36..])
}

/// A word: decimal when small, a short address when it fits 20 bytes, else `0xabcd..ef01`.
pub fn short_word(word: U256) -> String {
    if word < U256::from(1u64 << 32) {
        word.to::<u64>().to_string()
    } else if word.bit_len() <= 160 {
        short_address(Address::from_word(word.into()))
    } else {
        let hex = format!("{word:064x}");
        format!("0x{}..{}", &hex[..4], &hex[60..])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(key: U256, base: U256) -> Vec<u8> {
        let mut p = key.to_be_bytes::<32>().to_vec();
        p.extend_from_slice(&base.to_be_bytes::<32>());
        p
    }

    #[test]
    fn names_say_only_what_is_known() {
        let holder = U256::from_be_slice(Address::repeat_byte(0xab).as_slice());
        let spender = U256::from_be_slice(Address::repeat_byte(0xcd).as_slice());
        let mut origins = SlotOrigins::default();
        let mut keys = BTreeMap::new();
        let balance = origins.observe(&entry(holder, U256::from(9)));
        keys.insert(balance, holder);
        let outer = origins.observe(&entry(holder, U256::from(10)));
        let allowance = origins.observe(&entry(spender, outer));
        keys.insert(outer, holder);
        keys.insert(allowance, spender);
        let unkeyed = origins.observe(&entry(U256::from(5), U256::from(3)));
        let names = Names::new(origins, keys, Address::repeat_byte(0xee));
        let usdc = address!("a0b86991c6218b36c1d19d4a2e9eb0ce3606eb48");
        let other = Address::repeat_byte(0x12);
        assert_eq!(
            names.location(&Location::storage(usdc, balance)),
            "USDC balanceOf[0xabab..abab]"
        );
        assert_eq!(
            names.location(&Location::storage(usdc, allowance)),
            "USDC allowance[0xabab..abab][0xcdcd..cdcd]"
        );
        // The same shape in an unknown contract is only a shape.
        assert_eq!(
            names.location(&Location::storage(other, balance)),
            "0x1212..1212 mapping@9[0xabab..abab]"
        );
        assert_eq!(
            names.location(&Location::storage(other, unkeyed)),
            "0x1212..1212 slot derived from 3"
        );
        assert_eq!(
            names.location(&Location::storage(other, U256::from(8))),
            "0x1212..1212 slot 8"
        );
        assert_eq!(
            names.location(&Location::balance(Address::repeat_byte(0xee))),
            "balance of 0xeeee..eeee (beneficiary)"
        );
        let transfer = TxInfo {
            from: other,
            to: Some(usdc),
            selector: Some([0xa9, 0x05, 0x9c, 0xbb]),
            plain: false,
        };
        assert_eq!(names.call(&transfer), "USDC.transfer");
        let unknown = TxInfo {
            selector: Some([1, 2, 3, 4]),
            ..transfer
        };
        assert_eq!(names.call(&unknown), "USDC.0x01020304");
        // Unknown code is not recognised; a Uniswap V2 pair's code would be.
        let names = names.with_code([(other, &[0x60u8, 0x00][..])]);
        assert_eq!(names.account(other), "0x1212..1212");
        let mut names = names;
        names.kinds.insert(other, &KNOWN_CODE[0]);
        assert_eq!(
            names.location(&Location::storage(other, U256::from(8))),
            "UniswapV2Pair 0x1212..1212 reserves"
        );
        assert_eq!(
            names.call(&TxInfo {
                to: Some(address!("7a250d5630b4cf539739df2c5dacb4c659f2488d")),
                selector: Some([0x7f, 0xf3, 0x6a, 0xb5]),
                ..TxInfo::default()
            }),
            "UniswapV2Router02.swapExactETHForTokens"
        );
    }
}
