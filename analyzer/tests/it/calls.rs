//! Calls: storage context of DELEGATECALL/CALLCODE, STATICCALL, proxies, precompiles, value
//! transfers, accounts without code, CREATE/CREATE2 and contract-creation transactions.

use super::common::{Asm, SENDER, coarse, run, slot, state, tx};
use alloy_primitives::{Address, Bytes, U256, address, hex};
use lanes_analyzer::{Access, Location};
use revm::bytecode::opcode as op;

const A: Address = Address::repeat_byte(0xa0);
const B: Address = Address::repeat_byte(0xb0);
const EOA: Address = Address::repeat_byte(0xee);

fn writer() -> Bytes {
    Asm::new().sstore(7, 1).op(op::STOP).build()
}

#[test]
fn delegatecall_and_callcode_write_the_callers_storage() {
    for opcode in [op::DELEGATECALL, op::CALLCODE] {
        let code = Asm::new().call(opcode, B, 0).op(op::STOP).build();
        let p = run(&state(&[(A, code), (B, writer())]), &tx(Some(A), 0, &[]));
        assert!(p.is_exact(), "{:?}", p.widened);
        assert_eq!(p.exact.get(&slot(A, U256::from(7))), Some(Access::Write));
        assert_eq!(p.exact.get(&slot(B, U256::from(7))), None);
        assert_eq!(p.exact.get(&Location::code(B)), Some(Access::Read));
    }
}

#[test]
fn call_writes_the_callees_storage_and_moves_value() {
    let code = Asm::new()
        .call(op::CALL, B, 3)
        .call(op::CALL, EOA, 2)
        .op(op::STOP)
        .build();
    let mut pre = state(&[(A, code), (B, writer())]);
    pre.accounts
        .insert(EOA, lanes_analyzer::PreAccount::default());
    let p = run(&pre, &tx(Some(A), 10, &[]));
    assert_eq!(p.exact.get(&slot(B, U256::from(7))), Some(Access::Write));
    assert_eq!(p.exact.get(&Location::balance(B)), Some(Access::Increment));
    assert_eq!(
        p.exact.get(&Location::balance(EOA)),
        Some(Access::Increment)
    );
    assert_eq!(p.exact.get(&Location::code(EOA)), Some(Access::Read));
    // A is credited by the transaction and pays out: its balance is read and written.
    assert_eq!(p.exact.get(&Location::balance(A)), Some(Access::Write));
    assert!(p.is_exact());
}

#[test]
fn staticcall_cannot_write() {
    let code = Asm::new().call(op::STATICCALL, B, 0).op(op::STOP).build();
    let p = run(&state(&[(A, code), (B, writer())]), &tx(Some(A), 0, &[]));
    // The SSTORE halts the static frame: nothing is written.
    assert_eq!(p.exact.get(&slot(B, U256::from(7))), None);
    assert!(p.exact.writes.iter().all(|l| l.address() == SENDER));
}

#[test]
fn eip1167_minimal_proxy_runs_the_implementation_in_its_own_storage() {
    let mut proxy = hex!("363d3d373d3d3d363d73").to_vec();
    proxy.extend_from_slice(B.as_slice());
    proxy.extend_from_slice(&hex!("5af43d82803e903d91602b57fd5bf3"));
    let p = run(
        &state(&[(A, proxy.into()), (B, writer())]),
        &tx(Some(A), 0, &[1, 2, 3, 4]),
    );
    assert!(p.is_exact(), "{:?}", p.widened);
    assert_eq!(p.exact.get(&slot(A, U256::from(7))), Some(Access::Write));
    assert_eq!(p.exact.get(&Location::code(B)), Some(Access::Read));
}

#[test]
fn eip1967_proxy_reads_its_implementation_from_prestate() {
    let impl_slot = U256::from_be_bytes(hex!(
        "360894a13ba1a3210667c828492db98dca3e2076cc3735a920a3ca505d382bbc"
    ));
    // delegatecall(gas, sload(IMPL), 0, calldatasize, 0, 0) after copying calldata.
    let code = Asm::new()
        .op(op::CALLDATASIZE)
        .push(0)
        .push(0)
        .op(op::CALLDATACOPY)
        .push(0)
        .push(0)
        .op(op::CALLDATASIZE)
        .push(0)
        .word(impl_slot)
        .op(op::SLOAD)
        .op(op::GAS)
        .op(op::DELEGATECALL)
        .op(op::STOP)
        .build();
    let mut pre = state(&[(A, code), (B, writer())]);
    pre.accounts
        .get_mut(&A)
        .unwrap()
        .storage
        .insert(impl_slot, U256::from_be_slice(B.as_slice()));
    let p = run(&pre, &tx(Some(A), 0, &[]));
    assert!(p.is_exact(), "{:?}", p.widened);
    assert_eq!(p.exact.get(&slot(A, U256::from(7))), Some(Access::Write));
    assert!(p.assumptions.contains(&slot(A, impl_slot)));
    // Without the slot in the pre-state the target is unknown: widened, with a reason.
    pre.accounts.get_mut(&A).unwrap().storage.clear();
    let p = run(&pre, &tx(Some(A), 0, &[]));
    assert_eq!(coarse(&p).len(), 1);
    assert!(p.widened[0].reason.starts_with("unknown address at pc 0x"));
}

#[test]
fn identity_precompile_output_flows_back_as_a_slot() {
    // mstore(0, 9); staticcall(gas, 4, 0, 32, 32, 32); sstore(mload(32), 1)
    let code = Asm::new()
        .push(9)
        .push(0)
        .op(op::MSTORE)
        .push(32)
        .push(32)
        .push(32)
        .push(0)
        .push(4)
        .op(op::GAS)
        .op(op::STATICCALL)
        .op(op::POP)
        .push(1)
        .push(32)
        .op(op::MLOAD)
        .op(op::SSTORE)
        .op(op::STOP)
        .build();
    let p = run(&state(&[(A, code)]), &tx(Some(A), 0, &[]));
    assert!(p.is_exact());
    assert_eq!(p.exact.get(&slot(A, U256::from(9))), Some(Access::Write));
    // Precompiles touch nothing of their own.
    assert!(
        p.exact
            .iter()
            .all(|(l, _)| l.address() != Address::with_last_byte(4))
    );
}

#[test]
fn work_counts_the_longest_path_and_a_precompile_as_the_gas_it_charges() {
    // The caller's balance is unknown before the transaction runs: the branch forks. One path
    // stops; the other calls ECRECOVER (3,000 gas, whatever the input).
    let code = Asm::new()
        .op(op::CALLER)
        .op(op::BALANCE)
        .to("recover")
        .op(op::JUMPI)
        .op(op::STOP)
        .label("recover")
        .push(32)
        .push(0)
        .push(128)
        .push(0)
        .push(1)
        .op(op::GAS)
        .op(op::STATICCALL)
        .op(op::POP)
        .op(op::STOP)
        .build();
    let p = run(&state(&[(A, code)]), &tx(Some(A), 0, &[]));
    // Four opcodes to the branch, ten after it, and the precompile's gas.
    assert_eq!(p.work, 4 + 10 + 3_000);
}

#[test]
fn create2_address_follows_eip1014() {
    // EIP-1014 example 0: deployer 0x0, salt 0, init code 0x00.
    let deployer = Address::ZERO;
    let code = Asm::new()
        .push(0)
        .push(0)
        .op(op::MSTORE8)
        .push(0)
        .push(1)
        .push(0)
        .push(0)
        .op(op::CREATE2)
        .op(op::POP)
        .op(op::STOP)
        .build();
    let p = run(&state(&[(deployer, code)]), &tx(Some(deployer), 0, &[]));
    let created = address!("4D1A2e2bB4F88F0250f26Ffff098B0b30B26BF38");
    assert_eq!(p.exact.get(&Location::code(created)), Some(Access::Write));
    assert_eq!(p.exact.get(&Location::nonce(created)), Some(Access::Write));
    assert_eq!(p.exact.get(&Location::nonce(deployer)), Some(Access::Write));
    assert!(p.is_exact());
}

#[test]
fn create_address_from_creator_nonce_and_init_code_storage() {
    // Creator 0x6ac7...dbf0 with nonce 0 creates 0xcd23...cd8d (well-known example).
    let creator = address!("6ac7ea33f8831ea9dcc53393aaa88b25a785dbf0");
    // init code: sstore(0, 1); return(0, 0)  = 6001600055 60006000f3
    let init = hex!("600160005560006000f3");
    let mut asm = Asm::new();
    for (i, b) in init.iter().enumerate() {
        asm = asm.push(u64::from(*b)).push(i as u64).op(op::MSTORE8);
    }
    let code = asm
        .push(init.len() as u64)
        .push(0)
        .push(0)
        .op(op::CREATE)
        .op(op::POP)
        .op(op::STOP)
        .build();
    let mut pre = state(&[(creator, code)]);
    pre.accounts.get_mut(&creator).unwrap().nonce = 0;
    let p = run(&pre, &tx(Some(creator), 0, &[]));
    let created = address!("cd234a471b72ba2f1ccf0a70fcaba648a5eecd8d");
    assert!(p.is_exact(), "{:?}", p.widened);
    assert_eq!(p.exact.get(&slot(created, U256::ZERO)), Some(Access::Write));
    assert_eq!(p.exact.get(&Location::code(created)), Some(Access::Write));
}

#[test]
fn contract_creation_transaction_runs_init_code() {
    let init = hex!("600160005560006000f3");
    let p = run(&state(&[]), &tx(None, 0, &init));
    let created = SENDER.create(0);
    assert!(p.is_exact());
    assert_eq!(p.exact.get(&slot(created, U256::ZERO)), Some(Access::Write));
    assert_eq!(p.exact.get(&Location::code(created)), Some(Access::Write));
    assert_eq!(p.exact.get(&Location::nonce(created)), Some(Access::Write));
}

#[test]
fn plain_transfer_and_call_without_code() {
    let mut pre = state(&[]);
    pre.accounts
        .insert(EOA, lanes_analyzer::PreAccount::default());
    let p = run(&pre, &tx(Some(EOA), 5, &[1, 2, 3]));
    assert!(p.is_exact());
    assert_eq!(
        p.exact.get(&Location::balance(EOA)),
        Some(Access::Increment)
    );
    assert_eq!(p.exact.get(&Location::code(EOA)), Some(Access::Read));
    assert_eq!(p.exact.len(), 5);
}

#[test]
fn unknown_call_target_widens_to_unknown() {
    let code = Asm::new()
        .push(0)
        .push(0)
        .push(0)
        .push(0)
        .push(0)
        .op(op::GAS)
        .op(op::GAS)
        .op(op::CALL)
        .op(op::STOP)
        .build();
    let p = run(&state(&[(A, code)]), &tx(Some(A), 0, &[]));
    assert_eq!(coarse(&p), vec![&lanes_analyzer::Scope::Unknown]);
}

#[test]
fn unknown_return_data_of_unknown_size_does_not_cut() {
    // mstore(0, gas()); staticcall(gas, sha256, 0, 32, 0, 0): unknown input, so unknown
    // output. returndatacopy(0, 0, returndatasize()); sstore(1, 1); return(0, returndatasize())
    let code = Asm::new()
        .op(op::GAS)
        .push(0)
        .op(op::MSTORE)
        .push(0)
        .push(0)
        .push(32)
        .push(0)
        .push(2)
        .op(op::GAS)
        .op(op::STATICCALL)
        .op(op::POP)
        .op(op::RETURNDATASIZE)
        .push(0)
        .push(0)
        .op(op::RETURNDATACOPY)
        .sstore(1, 1)
        .op(op::RETURNDATASIZE)
        .push(0)
        .op(op::RETURN)
        .build();
    let p = run(&state(&[(A, code)]), &tx(Some(A), 0, &[]));
    assert!(p.is_exact(), "{:?}", p.widened);
    assert_eq!(p.exact.get(&slot(A, U256::from(1))), Some(Access::Write));
}

#[test]
fn touching_an_empty_account_deletes_it_and_a_missing_one_is_touched() {
    // EIP-161: a value-less message to an existing empty account deletes it.
    let mut pre = state(&[]);
    pre.accounts
        .insert(EOA, lanes_analyzer::PreAccount::default());
    let p = run(&pre, &tx(Some(EOA), 0, &[]));
    assert_eq!(p.exact.get(&Location::code(EOA)), Some(Access::Write));
    // A credited existing account stays: its code is only read.
    let p = run(&pre, &tx(Some(EOA), 1, &[]));
    assert_eq!(p.exact.get(&Location::code(EOA)), Some(Access::Read));
    // A missing account is touched into existence by any message.
    let missing = Address::repeat_byte(0x99);
    let p = run(&pre, &tx(Some(missing), 0, &[]));
    assert_eq!(p.exact.get(&Location::code(missing)), Some(Access::Write));
}

/// An EIP-7702 transaction from `SENDER` to `to` carrying `auths` (`(chain id, delegate,
/// nonce)`), each signed with the same fixed signature: whoever it recovers to is the
/// authority.
fn tx_7702(to: Address, auths: &[(u64, Address, u64)]) -> alloy_rpc_types_eth::Transaction {
    use alloy_consensus::{Signed, TxEip7702, TxEnvelope, transaction::Recovered};
    use alloy_eips::eip7702::Authorization;
    use alloy_primitives::Signature;
    let authorization_list = auths
        .iter()
        .map(|&(chain_id, address, nonce)| {
            Authorization {
                chain_id: U256::from(chain_id),
                address,
                nonce,
            }
            .into_signed(Signature::test_signature())
        })
        .collect();
    let inner = TxEip7702 {
        chain_id: 1,
        nonce: 0,
        gas_limit: 1_000_000,
        max_fee_per_gas: 1,
        max_priority_fee_per_gas: 0,
        to,
        authorization_list,
        ..TxEip7702::default()
    };
    let signed = Signed::new_unhashed(inner, Signature::test_signature());
    alloy_rpc_types_eth::Transaction {
        inner: Recovered::new_unchecked(TxEnvelope::Eip7702(signed), SENDER),
        block_hash: None,
        block_number: None,
        transaction_index: None,
        effective_gas_price: Some(1),
        block_timestamp: None,
    }
}

/// The authority the fixed test signature recovers to for `(chain id, delegate, nonce)`.
fn authority(chain_id: u64, delegate: Address, nonce: u64) -> Address {
    let t = tx_7702(Address::ZERO, &[(chain_id, delegate, nonce)]);
    let list = alloy_consensus::Transaction::authorization_list(&t).unwrap();
    list[0].recover_authority().unwrap()
}

#[test]
fn an_authorization_delegates_before_the_code_runs() {
    // The transaction calls the authority it delegates in the same transaction: the
    // delegate's code runs in the authority's storage.
    let auth = authority(1, B, 0);
    let p = run(&state(&[(B, writer())]), &tx_7702(auth, &[(1, B, 0)]));
    assert_eq!(p.exact.get(&Location::code(auth)), Some(Access::Write));
    assert_eq!(p.exact.get(&Location::nonce(auth)), Some(Access::Write));
    assert_eq!(p.exact.get(&Location::code(B)), Some(Access::Read));
    assert_eq!(p.exact.get(&slot(auth, U256::from(7))), Some(Access::Write));
    assert_eq!(p.exact.get(&slot(B, U256::from(7))), None);
}

#[test]
fn an_authorization_with_a_stale_nonce_or_another_chain_changes_nothing() {
    // A stale nonce is found by reading the authority; another chain's is skipped unread.
    for (chain, nonce, read) in [(1, 3, Some(Access::Read)), (5, 0, None)] {
        let auth = authority(chain, B, nonce);
        let p = run(
            &state(&[(B, writer())]),
            &tx_7702(auth, &[(chain, B, nonce)]),
        );
        // Not bumped; no delegate code runs.
        assert_eq!(p.exact.get(&Location::nonce(auth)), read);
        assert_eq!(p.exact.get(&Location::code(B)), None);
        assert_eq!(p.exact.get(&slot(auth, U256::from(7))), None);
    }
}
