//! Building a workload's pre-state and transactions.

use super::block::{self, Call};
use super::contracts::{
    Artifacts, PAIR_RESERVES, PAIR_TOTAL_SHARES, PAIR_UNLOCKED, TOKEN_BALANCES, TOKEN_NAME,
    TOKEN_OWNER, TOKEN_SUPPLY, TOKEN_SYMBOL, allowance_slot, mapping_slot, packed_reserves,
    selector, short_string, word_of,
};
use super::rng::Rng;
use super::{Workload, WorkloadError, WorkloadKind};
use alloy_primitives::{Address, Bytes, U256, keccak256};
use lanes_analyzer::{BlockInput, PreAccount, PreState};
use std::collections::BTreeMap;

/// Tokens the `erc20` and `amm` transactions draw from.
const TOKENS: u64 = 4;
/// Every sender's ETH, enough for any transaction's gas at the generator's fees.
const SENDER_ETH: u128 = 10 * ETHER;
const ETHER: u128 = 1_000_000_000_000_000_000;
/// Gas limits: a transfer needs about 52k (a fresh recipient slot), a router swap about 110k.
const RAW_GAS: u64 = 21_000;
const ERC20_GAS: u64 = 100_000;
const AMM_GAS: u64 = 250_000;
/// Reserves of each token in an ordinary pair and in the hot pair (which takes many swaps).
const PAIR_RESERVE: u128 = 1_000 * ETHER;
const HOT_PAIR_RESERVE: u128 = 1_000_000 * ETHER;

/// Builds the workload's block (unsealed: no receipts root yet).
pub(super) fn build(workload: &Workload) -> Result<BlockInput, WorkloadError> {
    let mut builder = Builder::new(workload.seed)?;
    let mut calls = Vec::with_capacity(workload.txs);
    for index in 0..workload.txs {
        let hot = workload.is_hot(index);
        let kind = match workload.kind {
            WorkloadKind::Mixed => [WorkloadKind::Raw, WorkloadKind::Erc20, WorkloadKind::Amm]
                [builder.rng.below(3) as usize],
            kind => kind,
        };
        let call = match kind {
            WorkloadKind::Raw => builder.raw(hot),
            WorkloadKind::Erc20 => builder.erc20(hot),
            _ => builder.amm(hot)?,
        };
        calls.push(call);
    }
    let prestate = builder.finish();
    Ok(block::assemble(workload, prestate, &calls))
}

/// The pre-state under construction and the shared contracts.
struct Builder {
    rng: Rng,
    artifacts: Artifacts,
    accounts: BTreeMap<Address, PreAccount>,
    tokens: Vec<Address>,
    router: Address,
    hot_recipient: Address,
    hot_pair: Option<Address>,
    pair_codes: BTreeMap<(Address, Address), Bytes>,
    supply: BTreeMap<Address, U256>,
    next: u64,
}

impl Builder {
    fn new(seed: u64) -> Result<Self, WorkloadError> {
        let artifacts = Artifacts::load()?;
        let mut builder = Self {
            rng: Rng::new(seed),
            tokens: (0..TOKENS).map(|i| address("token", i)).collect(),
            router: address("router", 0),
            hot_recipient: address("hot", 0),
            hot_pair: None,
            accounts: BTreeMap::new(),
            pair_codes: BTreeMap::new(),
            supply: BTreeMap::new(),
            next: 0,
            artifacts,
        };
        let owner = address("owner", 0);
        for (i, token) in builder.tokens.clone().into_iter().enumerate() {
            let code = builder.artifacts.token.clone();
            let account = builder.contract(token, code);
            account
                .storage
                .insert(U256::from(TOKEN_NAME), short_string(&format!("Token {i}")));
            account
                .storage
                .insert(U256::from(TOKEN_SYMBOL), short_string(&format!("TK{i}")));
            account
                .storage
                .insert(U256::from(TOKEN_OWNER), U256::from_be_bytes(word_of(owner)));
        }
        let router_code = builder.artifacts.router.clone();
        builder.contract(builder.router, router_code);
        builder.accounts.insert(
            builder.hot_recipient,
            PreAccount {
                balance: U256::from(ETHER),
                ..PreAccount::default()
            },
        );
        builder
            .accounts
            .insert(block::BENEFICIARY, PreAccount::default());
        Ok(builder)
    }

    /// A fresh funded sender.
    fn sender(&mut self) -> Address {
        let sender = self.fresh("sender");
        self.accounts.insert(
            sender,
            PreAccount {
                balance: U256::from(SENDER_ETH),
                ..PreAccount::default()
            },
        );
        sender
    }

    /// A fresh address of `tag` (`keccak256("lanes workload" . tag . n)`).
    fn fresh(&mut self, tag: &str) -> Address {
        self.next += 1;
        address(tag, self.next)
    }

    fn contract(&mut self, address: Address, code: Bytes) -> &mut PreAccount {
        let account = self.accounts.entry(address).or_default();
        account.code = code;
        account.nonce = 1;
        account
    }

    /// Credits `amount` of `token` to `holder` in the token's `balanceOf`.
    fn credit(&mut self, token: Address, holder: Address, amount: U256) {
        let slot = mapping_slot(holder, U256::from(TOKEN_BALANCES));
        let storage = &mut self.accounts.entry(token).or_default().storage;
        let balance = storage.entry(slot).or_default();
        *balance += amount;
        *self.supply.entry(token).or_default() += amount;
    }

    fn raw(&mut self, hot: bool) -> Call {
        let from = self.sender();
        let to = if hot {
            self.hot_recipient
        } else {
            self.fresh("recipient")
        };
        let value = self.rng.amount(1, 1_000, U256::from(ETHER / 1_000));
        Call {
            from,
            to,
            value,
            input: Bytes::new(),
            gas_limit: RAW_GAS,
        }
    }

    fn erc20(&mut self, hot: bool) -> Call {
        let from = self.sender();
        let (token, to) = if hot {
            (self.tokens[0], self.hot_recipient)
        } else {
            let token = self.tokens[self.rng.below(TOKENS) as usize];
            (token, self.fresh("recipient"))
        };
        let amount = self.rng.amount(1, 1_000, U256::from(ETHER / 100));
        let extra = self.rng.amount(0, 1_000, U256::from(ETHER / 100));
        self.credit(token, from, amount + extra);
        let mut input = selector("transfer(address,uint256)").to_vec();
        input.extend_from_slice(&word_of(to));
        input.extend_from_slice(&amount.to_be_bytes::<32>());
        Call {
            from,
            to: token,
            value: U256::ZERO,
            input: input.into(),
            gas_limit: ERC20_GAS,
        }
    }

    fn amm(&mut self, hot: bool) -> Result<Call, WorkloadError> {
        let from = self.sender();
        let (pair, a, b) = if hot {
            let (a, b) = (self.tokens[0], self.tokens[1]);
            let pair = if let Some(pair) = self.hot_pair {
                pair
            } else {
                let pair = self.pair(a, b, U256::from(HOT_PAIR_RESERVE))?;
                self.hot_pair = Some(pair);
                pair
            };
            (pair, a, b)
        } else {
            let i = self.rng.below(TOKENS);
            let j = (i + 1 + self.rng.below(TOKENS - 1)) % TOKENS;
            let (a, b) = (self.tokens[i as usize], self.tokens[j as usize]);
            (self.pair(a, b, U256::from(PAIR_RESERVE))?, a, b)
        };
        let token_in = if self.rng.flip() { a } else { b };
        let amount = self.rng.amount(1, 1_000, U256::from(ETHER / 100));
        self.credit(token_in, from, amount);
        let router = self.router;
        self.accounts
            .entry(token_in)
            .or_default()
            .storage
            .insert(allowance_slot(from, router), U256::MAX);
        // swapExactIn(address[] pairs, address tokenIn, uint256 amountIn, uint256 minOut,
        // address to): five head words, then the array (length 1, the pair).
        let mut input = selector("swapExactIn(address[],address,uint256,uint256,address)").to_vec();
        input.extend_from_slice(&U256::from(5 * 32).to_be_bytes::<32>());
        input.extend_from_slice(&word_of(token_in));
        input.extend_from_slice(&amount.to_be_bytes::<32>());
        input.extend_from_slice(&[0u8; 32]);
        input.extend_from_slice(&word_of(from));
        input.extend_from_slice(&U256::from(1).to_be_bytes::<32>());
        input.extend_from_slice(&word_of(pair));
        Ok(Call {
            from,
            to: router,
            value: U256::ZERO,
            input: input.into(),
            gas_limit: AMM_GAS,
        })
    }

    /// A new pair of `a` and `b` holding `reserve` of each, its reserves synced.
    fn pair(&mut self, a: Address, b: Address, reserve: U256) -> Result<Address, WorkloadError> {
        let key = (a.min(b), a.max(b));
        let code = if let Some(code) = self.pair_codes.get(&key) {
            code.clone()
        } else {
            let code = self.artifacts.pair_code(a, b)?;
            self.pair_codes.insert(key, code.clone());
            code
        };
        let pair = self.fresh("pair");
        let storage = &mut self.contract(pair, code).storage;
        storage.insert(
            U256::from(PAIR_RESERVES),
            packed_reserves(reserve, reserve, block::TIMESTAMP as u32 - 12),
        );
        storage.insert(U256::from(PAIR_TOTAL_SHARES), reserve);
        storage.insert(U256::from(PAIR_UNLOCKED), U256::from(1));
        self.credit(a, pair, reserve);
        self.credit(b, pair, reserve);
        Ok(pair)
    }

    /// The pre-state, with every token's `totalSupply` the sum of its balances.
    fn finish(mut self) -> PreState {
        for (token, supply) in &self.supply {
            let account = self.accounts.entry(*token).or_default();
            account.storage.insert(U256::from(TOKEN_SUPPLY), *supply);
        }
        PreState {
            accounts: self.accounts.into_iter().collect(),
        }
    }
}

/// A deterministic address for `tag` and `n`.
pub(super) fn address(tag: &str, n: u64) -> Address {
    let mut preimage = b"lanes workload ".to_vec();
    preimage.extend_from_slice(tag.as_bytes());
    preimage.extend_from_slice(&n.to_be_bytes());
    Address::from_word(keccak256(preimage))
}
