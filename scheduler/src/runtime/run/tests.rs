//! The committer on hand-made blocks: what a stale speculative run reads makes it run again;
//! credits it never looked at do not.

use super::*;
use crate::exec::execute_context;
use lanes_analyzer::{AccessPrediction, BlockInput, Location};

fn simple_block() -> BlockInput {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/blocks/simple");
    BlockInput::load(&dir).unwrap()
}

#[test]
fn a_senders_next_transaction_runs_before_its_last_one_commits() {
    // Both transactions come from one sender. The second runs against the pre-state, as a
    // worker would before the first commits: with the nonce it carries, and a balance that
    // still covers its cost once the first is committed, it commits without running again.
    let (failed, reexecuted) = second_run_early(&simple_block());
    assert_eq!(failed, None);
    assert_eq!(reexecuted, vec![]);
}

#[test]
fn a_pre_block_run_does_not_see_commits_and_runs_again() {
    // Tx 0 pays X and is committed first; tx 1 then runs on the pre-block state, as a
    // transaction predicted to depend on nothing does: it stores BALANCE(X) as it was before
    // the block, and the committer runs it again on the committed state.
    let (_dir, input) = block(X, 5, &format!("{}3160005500", push(X)), 0, Some(1));
    let ctx = BlockContext::new(&input).unwrap();
    let graph = ConflictGraph::build(&vec![AccessPrediction::default(); ctx.len()]);
    let run = Run::new(&ctx, CommittedState::new(&input), &graph);
    let mut evm = observing_evm(&ctx, LiveDb::new(&run.state));
    let mut committer = run.committer.lock().unwrap();
    run.sched().status[1] = Status::Running;
    assert!(run.commit_available(&mut committer, &mut evm));
    assert_eq!(committer.next, 1, "tx 0 committed, tx 1 still running");
    let early = run.speculate(1, Reads::PreBlock, &mut evm);
    assert!(early.result.is_ok(), "{:?}", early.result.as_ref().err());
    run.sched().done(1, early, None);
    assert!(run.commit_available(&mut committer, &mut evm));
    assert_eq!(committer.next, 2);
    assert_eq!(committer.reexecuted.len(), 1, "{:?}", committer.reexecuted);
    assert_eq!(committer.reexecuted[0].tx, 1);
    assert!(
        committer.reexecuted[0]
            .conflicts
            .contains(&Location::balance(addr(X)))
    );
    drop(committer);
    drop(evm);
    assert_sequential(&input, run);
}

#[test]
fn a_stale_read_is_named() {
    // Tx 0's run validates against the state it ran on, and no longer once it is
    // committed: the sender's nonce it read has moved on.
    let input = simple_block();
    let ctx = BlockContext::new(&input).unwrap();
    let graph = ConflictGraph::build(&vec![AccessPrediction::default(); ctx.len()]);
    let run = Run::new(&ctx, CommittedState::new(&input), &graph);
    let mut evm = observing_evm(&ctx, LiveDb::new(&run.state));
    let first = run.speculate(0, Reads::Committed(Vec::new()), &mut evm);
    let sender = ctx.tx(0).unwrap().env.caller;
    let ResultAndState { mut state, .. } = first.result.unwrap();
    // Nothing committed: tx 0's own run is current.
    let mut observed = Observed::default();
    let committed = run.read_state();
    assert!(
        stale_locations(
            &*committed,
            &mut state,
            &mut observed,
            ctx.tx(0).unwrap(),
            true,
            &mut Vec::new(),
        )
        .is_empty()
    );
    drop(committed);
    run.write_state().commit_exact(&state);
    let committed = run.read_state();
    let stale = stale_locations(
        &*committed,
        &mut state,
        &mut observed,
        ctx.tx(0).unwrap(),
        true,
        &mut Vec::new(),
    );
    assert!(stale.contains(&Location::nonce(sender)), "{stale:?}");
    // What is left still covers the transaction's cost: the balance itself is no conflict.
    assert!(!stale.contains(&Location::balance(sender)), "{stale:?}");
}

const S0: &str = "0x1000000000000000000000000000000000000001";
const S1: &str = "0x1000000000000000000000000000000000000002";
/// A plain account; in the pre-state only when a test says so.
const X: &str = "0x7700000000000000000000000000000000000077";
/// The contract tx 1 calls.
const C: &str = "0xc000000000000000000000000000000000000000";
const Y: &str = "0x7900000000000000000000000000000000000079";

fn addr(a: &str) -> alloy_primitives::Address {
    a.parse().unwrap()
}

/// `PUSH20 address`, as hex.
fn push(a: &str) -> String {
    format!("73{}", a.trim_start_matches("0x"))
}

/// `CALL(GAS, to, value, 0, 0, 0, 0)` leaving its success flag on the stack.
fn call(to: &str, value: u8) -> String {
    format!("6000600060006000{}{value:02x}{}5af1", "60", push(to))
}

/// Code that runs `body` only when called without value (so tx 0 paying the contract does not
/// run it), then stops.
fn without_value(body: &str) -> String {
    let end = body.len() / 2 + 4;
    format!("3460{end:02x}57{body}5b00")
}

/// A two-transaction block on the simple block's header: `S0` sends `value0` wei to `to0`,
/// then `S1` calls `C` (code `code`, balance `c_balance`); X is in the pre-state with
/// `x_balance` if given.
fn block(
    to0: &str,
    value0: u64,
    code: &str,
    c_balance: u64,
    x_balance: Option<u64>,
) -> (tempfile::TempDir, BlockInput) {
    let simple = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/blocks/simple");
    let mut header: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(simple.join("block.json")).unwrap()).unwrap();
    let tx = |from: &str, to: &str, value: u64, index: u64| {
        let mut t = header["transactions"][0].clone();
        t["from"] = from.into();
        t["to"] = to.into();
        t["value"] = format!("{value:#x}").into();
        t["gas"] = "0x30d40".into();
        t["transactionIndex"] = format!("{index:#x}").into();
        t["hash"] = format!("0x{:064x}", 0xf0 + index).into();
        t
    };
    let txs = vec![tx(S0, to0, value0, 0), tx(S1, C, 0, 1)];
    header["transactions"] = txs.into();
    let ether = "0x8ac7230489e80000";
    let mut prestate = serde_json::json!({
        S0: { "balance": ether, "nonce": 0 },
        S1: { "balance": ether, "nonce": 0 },
        C: { "balance": format!("{c_balance:#x}"), "nonce": 1, "code": format!("0x{code}") },
    });
    if let Some(balance) = x_balance {
        prestate[X] = serde_json::json!({ "balance": format!("{balance:#x}"), "nonce": 0 });
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("block.json"), header.to_string()).unwrap();
    std::fs::write(dir.path().join("prestate.json"), prestate.to_string()).unwrap();
    let input = BlockInput::load(dir.path()).unwrap();
    (dir, input)
}

/// Runs tx 1 speculatively on the pre-state, then commits the block; checks the result is
/// the sequential one and returns the early run's error, if it failed, and the re-executions.
fn second_run_early(input: &BlockInput) -> (Option<String>, Vec<Reexecution>) {
    let ctx = BlockContext::new(input).unwrap();
    let graph = ConflictGraph::build(&vec![AccessPrediction::default(); ctx.len()]);
    let run = Run::new(&ctx, CommittedState::new(input), &graph);
    let mut evm = observing_evm(&ctx, LiveDb::new(&run.state));
    run.sched().status[1] = Status::Running;
    let early = run.speculate(1, Reads::Committed(Vec::new()), &mut evm);
    let failed = early.result.as_ref().err().map(ToString::to_string);
    run.sched().done(1, early, None);
    let mut committer = run.committer.lock().unwrap();
    assert!(run.commit_available(&mut committer, &mut evm));
    assert!(committer.error.is_none(), "{:?}", committer.error);
    assert_eq!(committer.next, 2);
    let reexecuted = std::mem::take(&mut committer.reexecuted);
    drop(committer);
    drop(evm);
    assert_sequential(input, run);
    (failed, reexecuted)
}

/// The block ran to the end: its receipts and post-state are the sequential ones.
fn assert_sequential(input: &BlockInput, run: Run<'_, '_>) {
    let want = execute_context(input, run.ctx).unwrap();
    let committer = run.committer.into_inner().unwrap();
    assert_eq!(committer.receipts, want.receipts);
    assert_eq!(
        run.state.into_inner().unwrap().post_state(),
        want.post_state
    );
}

/// [`second_run_early`] where the early run itself succeeds.
fn second_runs_first(input: &BlockInput) -> Vec<Reexecution> {
    let (failed, reexecuted) = second_run_early(input);
    assert!(failed.is_none(), "{failed:?}");
    reexecuted
}

/// The locations that made tx 1 run again (it must be the only re-execution).
fn conflicts(reexecuted: &[Reexecution]) -> Vec<Location> {
    assert_eq!(reexecuted.len(), 1, "{reexecuted:?}");
    assert_eq!(reexecuted[0].tx, 1);
    reexecuted[0].conflicts.clone()
}

#[test]
fn credits_never_looked_at_commit_as_deltas() {
    // Both pay X (alive), and both pay the beneficiary.
    let code = format!("{}5000", call(X, 1));
    let (_dir, input) = block(X, 5, &code, 10, Some(1));
    assert_eq!(second_runs_first(&input), vec![]);
}

#[test]
fn balance_of_a_credited_account_is_a_conflict() {
    // C stores BALANCE(X); tx 0 pays X first.
    let code = format!("{}3160005500", push(X));
    let (_dir, input) = block(X, 5, &code, 0, Some(1));
    assert!(conflicts(&second_runs_first(&input)).contains(&Location::balance(addr(X))));
}

#[test]
fn selfbalance_of_a_credited_contract_is_a_conflict() {
    // C stores SELFBALANCE; tx 0 pays C.
    let (_dir, input) = block(C, 5, &without_value("47600055"), 0, None);
    assert_eq!(
        conflicts(&second_runs_first(&input)),
        vec![Location::balance(addr(C))]
    );
}

#[test]
fn a_value_call_needs_the_balance_it_spends() {
    // C (balance 0) sends 5 wei to Y and stores whether it could; tx 0 gives C 10 wei.
    let code = without_value(&format!("{}600055", call(Y, 5)));
    let (_dir, input) = block(C, 10, &code, 0, None);
    assert_eq!(
        conflicts(&second_runs_first(&input)),
        vec![Location::balance(addr(C))]
    );
}

#[test]
fn a_value_call_to_an_account_brought_to_life_is_a_conflict() {
    // C sends 1 wei to X, paying new-account gas while X does not exist; tx 0 creates X.
    let code = format!("{}5000", call(X, 1));
    let (_dir, input) = block(X, 5, &code, 10, None);
    assert_eq!(
        conflicts(&second_runs_first(&input)),
        vec![Location::code(addr(X))]
    );
}

#[test]
fn extcodehash_of_an_account_brought_to_life_is_a_conflict() {
    // C stores EXTCODEHASH(X): zero while X does not exist; tx 0 creates X.
    let code = format!("{}3f60005500", push(X));
    let (_dir, input) = block(X, 5, &code, 0, None);
    assert_eq!(
        conflicts(&second_runs_first(&input)),
        vec![Location::code(addr(X))]
    );
}

#[test]
fn a_run_over_an_uncommitted_run_before_it_commits_without_running_again() {
    // Tx 1 (nonce 1) runs on tx 0's speculative changes, before tx 0 commits: it sees the
    // nonce tx 0 left, and its run is still the sequential one once tx 0 is committed.
    let input = simple_block();
    let ctx = BlockContext::new(&input).unwrap();
    let graph = ConflictGraph::build(&vec![AccessPrediction::default(); ctx.len()]);
    let run = Run::new(&ctx, CommittedState::new(&input), &graph);
    let mut evm = observing_evm(&ctx, LiveDb::new(&run.state));
    run.sched().status[0] = Status::Running;
    run.sched().status[1] = Status::Running;
    let first = run.speculate(0, Reads::Committed(Vec::new()), &mut evm);
    let layer = Arc::new(Layer::of(&first.result.as_ref().unwrap().state));
    let second = run.speculate(1, Reads::Committed(vec![layer]), &mut evm);
    assert!(second.result.is_ok(), "{:?}", second.result.as_ref().err());
    run.sched().done(0, first, None);
    run.sched().done(1, second, None);
    let mut committer = run.committer.lock().unwrap();
    assert!(run.commit_available(&mut committer, &mut evm));
    assert_eq!(committer.next, 2);
    assert!(
        committer.reexecuted.is_empty(),
        "{:?}",
        committer.reexecuted
    );
    drop(committer);
    drop(evm);
    assert_sequential(&input, run);
}

/// Whether, with tx 0 running as the next to commit, an idle worker may start tx 1 under the
/// graph of `predictions`.
fn starts_past_running_first(predictions: &[AccessPrediction]) -> Option<usize> {
    let input = simple_block();
    let ctx = BlockContext::new(&input).unwrap();
    let graph = ConflictGraph::build(predictions);
    let mut sched = Sched::new(&graph, ctx.len());
    assert_eq!(sched.take_ready().map(|(j, _)| j), Some(0));
    sched.take_ready().map(|(j, _)| j)
}

#[test]
fn an_idle_worker_runs_past_a_guess_not_past_a_known_conflict() {
    use lanes_analyzer::Access;
    let shared = Location::balance(addr(X));
    let writes = || {
        let mut p = AccessPrediction::default();
        p.exact.insert(shared, Access::Write);
        p
    };
    // Tx 0 gave up (unknown): tx 1 waits for it only on a guess.
    assert_eq!(
        starts_past_running_first(&[AccessPrediction::unknown("path budget"), writes()]),
        Some(1)
    );
    // Both write one location: tx 1 waits.
    assert_eq!(starts_past_running_first(&[writes(), writes()]), None);
}

#[test]
fn the_nonce_of_an_account_only_credited_is_no_conflict() {
    // Tx 0 is S0's own transaction (its nonce moves); tx 1 pays S0 1 wei without reading it,
    // as fees reach a beneficiary that sends its own transactions.
    let code = format!("{}5000", call(S0, 1));
    let (_dir, input) = block(X, 5, &code, 10, Some(1));
    assert_eq!(second_runs_first(&input), vec![]);
}

#[test]
fn a_callers_balance_credited_since_is_no_conflict() {
    // Tx 0 pays S1; tx 1 is S1's: its balance only had to cover the cost, and more still does.
    let (_dir, input) = block(S1, 5, "00", 0, None);
    assert_eq!(second_runs_first(&input), vec![]);
}

#[test]
fn a_creators_nonce_is_a_conflict_even_when_a_revert_undid_its_bump() {
    // Paid (tx 0), C creates an account: its nonce moves. Called (tx 1), C calls itself with
    // one byte of calldata; that frame creates, and reverts with the created address, which
    // C stores: it depends on C's nonce, which the revert puts back.
    let code = "34604857366038576000600060016000600073c0000000000000000000000000000000000000005af150\
                6020600060003e600051600055005b600060006000f060005260206000fd5b600060006000f05000";
    let (_dir, input) = block(C, 1, code, 0, None);
    assert!(conflicts(&second_runs_first(&input)).contains(&Location::nonce(addr(C))));
}

#[test]
fn ready_transactions_come_lowest_first_from_both_lists() {
    let mut queue = ReadyQueue {
        first: vec![0, 2, 5],
        ..ReadyQueue::default()
    };
    for j in [7, 1, 3] {
        queue.later.push(Reverse(j));
    }
    let order: Vec<usize> = std::iter::from_fn(|| queue.pop()).collect();
    assert_eq!(order, [0, 1, 2, 3, 5, 7]);
}

#[test]
fn a_parked_worker_is_woken_only_for_something_to_run() {
    use lanes_analyzer::Access;
    let writes = || {
        let mut p = AccessPrediction::default();
        p.exact.insert(Location::balance(addr(X)), Access::Write);
        p
    };
    // A chain: the committer runs every transaction itself as it becomes the next to commit.
    let mut sched = Sched::new(&ConflictGraph::build(&[writes(), writes(), writes()]), 3);
    assert!(sched.worth_waking(), "tx 0 is ready");
    assert!(matches!(sched.claim(0), Claim::Run));
    assert!(!sched.worth_waking(), "the committer runs tx 0");
    sched.committed(0);
    assert!(sched.worth_waking(), "tx 1 is ready");
    assert!(matches!(sched.claim(1), Claim::Run));
    assert!(!sched.worth_waking(), "the committer runs tx 1");
    // Independent transactions: while the committer runs the first, the others are there to
    // take, until taken.
    let mut sched = Sched::new(
        &ConflictGraph::build(&vec![AccessPrediction::default(); 3]),
        3,
    );
    assert!(matches!(sched.claim(0), Claim::Run));
    assert!(sched.worth_waking());
    assert_eq!(sched.take_ready().map(|(j, _)| j), Some(1));
    assert_eq!(sched.take_ready().map(|(j, _)| j), Some(2));
    assert!(!sched.worth_waking());
}
