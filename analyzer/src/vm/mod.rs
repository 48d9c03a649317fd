//! The abstract interpreter: runs a transaction's code over concrete and abstract words,
//! forking at branches it cannot decide, and collects the accesses of every path.

mod arith;
mod call;
mod data;
mod fast;
mod host;
mod path;
mod step;
mod storage;
mod value;

use crate::cause::Cause;
use crate::env::BlockEnv;
use crate::limits::Limits;
use crate::location::{Access, AccessSet, Location};
use crate::memo::Memo;
use crate::origins::SlotOrigins;
use crate::prediction::{Scope, Widening};
use crate::queries::Answers;
use crate::state::{ContractCode, StateView};
use alloy_primitives::map::HashMap;
use alloy_primitives::{Address, B256, U256};
pub(crate) use call::{delegate_of, delegation};
use data::Data;
use path::{Frame, FrameKind, Path, ReturnData};
use revm::interpreter::instructions::{GasTable, gas_table_spec};
use revm::precompile::{PrecompileSpecId, Precompiles};
use std::collections::BTreeSet;
use std::sync::Arc;
pub(crate) use value::Value;

/// What the transaction itself supplies to the code.
#[derive(Clone, Debug)]
pub(crate) struct TxEnv<'a> {
    pub(crate) origin: Address,
    pub(crate) gas_price: U256,
    pub(crate) blob_hashes: &'a [B256],
    /// The transaction's gas limit.
    pub(crate) gas_limit: u64,
}

/// How the first frame starts.
#[derive(Debug)]
pub(crate) struct Entry {
    pub(crate) code: Arc<ContractCode>,
    pub(crate) address: Address,
    pub(crate) value: U256,
    pub(crate) calldata: Vec<u8>,
    pub(crate) create: bool,
    /// Code and nonces set before the code runs (EIP-7702 authorizations): kept even if the
    /// transaction reverts.
    pub(crate) preset: Preset,
}

/// Accounts an EIP-7702 authorization list changes: new code (`None`: delegation cleared) and
/// nonce (`None`: unknown).
pub(crate) type Preset = Vec<(Address, Option<Arc<ContractCode>>, Option<u64>)>;

/// What the interpreter found, to be merged into the prediction.
#[derive(Debug, Default)]
pub(crate) struct Outcome {
    pub(crate) exact: Gathered,
    pub(crate) widened: BTreeSet<Widening>,
    pub(crate) origins: SlotOrigins,
    /// Pre-state values the analysis used: storage and balances that decided values, code
    /// lengths and nonces.
    pub(crate) seen: Vec<(Location, U256)>,
    /// State left behind by the finished paths, for the transactions after this one.
    pub(crate) post: Post,
    /// The work of the longest path (see [`crate::AccessPrediction::work`]).
    pub(crate) work: u64,
}

/// Accesses gathered over paths: for each location, the kinds it had (a bit per [`Access`]).
/// Paths repeat accesses (every SLOAD of a slot, every call into a contract); which kinds a
/// location has decide its access, not their order, so they are merged once at the end.
#[derive(Debug, Default)]
pub(crate) struct Gathered(HashMap<Location, u8>);

impl Gathered {
    fn insert(&mut self, location: Location, access: Access) {
        *self.0.entry(location).or_default() |= 1 << access as u8;
    }

    /// Takes a path's accesses, room for all of them made at once.
    fn take(&mut self, accesses: &mut Vec<(Location, Access)>) {
        self.0.reserve(accesses.len());
        for (location, access) in accesses.drain(..) {
            self.insert(location, access);
        }
    }

    /// Adds these accesses to `set`: each location classified once, by every kind it had
    /// (including the set's own), and each of the set's three parts built at once (sorted and
    /// bulk-loaded by `BTreeSet`) rather than an insertion at a time.
    pub(crate) fn add_to(mut self, set: &mut AccessSet) {
        for (location, access) in set.iter() {
            self.insert(location, access);
        }
        let has = |k: u8, access: Access| k & (1 << access as u8) != 0;
        let (mut reads, mut writes, mut increments) = (Vec::new(), Vec::new(), Vec::new());
        for (location, k) in self.0 {
            // As `AccessSet::insert` keeps them: a write subsumes the rest, and a read of a
            // credited balance makes it a write.
            if has(k, Access::Write) || (has(k, Access::Read) && has(k, Access::Increment)) {
                writes.push(location);
            } else if has(k, Access::Read) {
                reads.push(location);
            } else {
                increments.push(location);
            }
        }
        set.reads = reads.into_iter().collect();
        set.writes = writes.into_iter().collect();
        set.increments = increments.into_iter().collect();
    }
}

/// A slot's possible values after a transaction (`None`: unknown), and whether some path left
/// it unchanged.
pub(crate) type SlotAfter = (Option<Vec<U256>>, bool);

/// Gas every transaction pays before its code runs.
const INTRINSIC_GAS: u64 = 21_000;

/// Most values a slot may hold after a transaction before it counts as unknown.
const MAX_ALTERNATIVES: usize = 4;

/// What a transaction leaves behind, merged over its finished paths: a value is `None` when
/// paths disagree or it is unknown.
#[derive(Debug, Default)]
pub(crate) struct Post {
    /// Storage values left by the paths: `None` when unknown; the flag says that some path
    /// left the slot unchanged (its value from before the transaction is one more possibility).
    pub(crate) storage: HashMap<(Address, U256), SlotAfter>,
    pub(crate) nonces: HashMap<Address, Option<u64>>,
    pub(crate) codes: HashMap<Address, Option<Arc<ContractCode>>>,
    /// The state's answers the analysis relied on (only when asked for).
    pub(crate) answers: Answers,
    /// Paths merged so far.
    merged: usize,
}

impl Post {
    /// Merges one finished path's changes. A value only some paths changed, or that paths
    /// changed differently, is unknown.
    fn merge(&mut self, path: &Path) {
        let first = self.merged == 0;
        self.merged += 1;
        for (key, value) in &path.storage {
            let entry = self
                .storage
                .entry(*key)
                .or_insert((Some(Vec::new()), !first));
            match (value.known(), &mut entry.0) {
                (Some(v), Some(values)) => {
                    if !values.contains(&v) {
                        values.push(v);
                    }
                    if values.len() > MAX_ALTERNATIVES {
                        entry.0 = None;
                    }
                }
                _ => entry.0 = None,
            }
        }
        for (key, entry) in &mut self.storage {
            if !path.storage.contains_key(key) {
                entry.1 = true;
            }
        }
        for (address, nonce) in &path.nonces {
            let entry =
                self.nonces
                    .entry(*address)
                    .or_insert(if first { Some(*nonce) } else { None });
            if *entry != Some(*nonce) {
                *entry = None;
            }
        }
        for (address, entry) in &mut self.nonces {
            if !path.nonces.contains_key(address) {
                *entry = None;
            }
        }
        for (address, code) in &path.codes {
            let entry = self
                .codes
                .entry(*address)
                .or_insert_with(|| if first { code.clone() } else { None });
            let same = match (&*entry, code) {
                (Some(a), Some(b)) => Arc::ptr_eq(a, b),
                _ => false,
            };
            if !same {
                *entry = None;
            }
        }
        for (address, entry) in &mut self.codes {
            if !path.codes.contains_key(address) {
                *entry = None;
            }
        }
    }
}

/// What one step did to the current frame.
#[derive(Debug)]
pub(crate) enum Control {
    /// Go on.
    Continue,
    /// The frame ended: success flag (opaque when unknown) and output.
    Exit(Box<(Value, ReturnData)>),
    /// The frame cannot be followed further; widen for what it may still do.
    Cut(Cause),
}

/// The interpreter for one transaction.
pub(crate) struct Machine<'a, S: StateView> {
    pub(crate) state: &'a S,
    pub(crate) env: &'a BlockEnv,
    pub(crate) limits: &'a Limits,
    pub(crate) tx: TxEnv<'a>,
    pub(crate) precompiles: &'static Precompiles,
    /// Static gas by opcode under the block's fork.
    gas: GasTable,
    /// Hashes and precompile results shared with the block's other analyses.
    pub(crate) memo: &'a Memo,
    pub(crate) out: Outcome,
    steps: u64,
    pub(crate) paths: usize,
    work: Vec<Path>,
    /// Whether the prediction already widened to "unknown, written": the rest is not run.
    gave_up: bool,
    /// Values the last SLOAD may have (set by `sload` when the state offers several).
    pub(crate) alternatives: Vec<U256>,
    /// The slot those values are for.
    pub(crate) alternatives_at: (Address, U256),
}

impl<S: StateView> std::fmt::Debug for Machine<'_, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Machine")
            .field("steps", &self.steps)
            .finish_non_exhaustive()
    }
}

impl<'a, S: StateView> Machine<'a, S> {
    /// A machine for one transaction.
    pub(crate) fn new(
        state: &'a S,
        env: &'a BlockEnv,
        limits: &'a Limits,
        tx: TxEnv<'a>,
        memo: &'a Memo,
    ) -> Self {
        Self {
            state,
            env,
            limits,
            tx,
            precompiles: Precompiles::new(PrecompileSpecId::from_spec_id(env.spec)),
            gas: gas_table_spec(env.spec),
            memo,
            out: Outcome::default(),
            steps: 0,
            paths: 1,
            work: Vec::new(),
            gave_up: false,
            alternatives: Vec::new(),
            alternatives_at: (Address::ZERO, U256::ZERO),
        }
    }

    /// Runs every path from `entry` and returns what was found. `prelude` are accesses that
    /// happen inside the first frame (undone if it reverts), e.g. the value credit.
    pub(crate) fn run(
        mut self,
        entry: Entry,
        prelude: &[(Location, Access)],
        sender: Address,
    ) -> Outcome {
        // Sized for a typical transaction: growing them a step at a time cost more.
        let mut path = Path {
            gas: INTRINSIC_GAS,
            accesses: Vec::with_capacity(64),
            journal: Vec::with_capacity(64),
            ..Path::default()
        };
        self.out.seen.reserve(64);
        path.accesses.extend_from_slice(prelude);
        // Balances the block changes before this transaction runs are not the pre-state's.
        path.balances.insert(sender, Value::Opaque);
        path.balances.insert(self.env.beneficiary, Value::Opaque);
        for (address, code, nonce) in &entry.preset {
            path.codes.insert(*address, code.clone());
            if let Some(n) = nonce {
                path.nonces.insert(*address, *n);
            }
        }
        if entry.create {
            path.set_nonce(entry.address, 1);
        }
        let credit = Value::Known(entry.value);
        if !entry.value.is_zero() {
            let to = self.balance(&mut path, entry.address, false);
            path.set_balance(
                entry.address,
                arith::binary(revm::bytecode::opcode::ADD, to, credit),
            );
        }
        path.frames.push(Frame {
            code: entry.code,
            code_address: entry.address,
            address: entry.address,
            caller: sender,
            value: credit,
            calldata: Arc::new(Data::concrete(&entry.calldata)),
            is_static: false,
            kind: if entry.create {
                FrameKind::Create
            } else {
                FrameKind::Call {
                    ret_offset: 0,
                    ret_len: 0,
                }
            },
            pc: 0,
            stack: Vec::with_capacity(128),
            memory: Data::default(),
            returndata: ReturnData::Known(Arc::default()),
            journal_mark: 0,
            access_mark: 0,
            gas_mark: INTRINSIC_GAS,
            forks: alloy_primitives::map::HashMap::default(),
        });
        self.work.push(path);
        while let Some(path) = self.work.pop() {
            if self.gave_up {
                self.abandon(path);
            } else {
                self.run_path(path);
            }
        }
        self.out
    }

    /// Records a widening.
    pub(crate) fn widen(&mut self, scope: Scope, access: Access, reason: String) {
        if scope == Scope::Unknown && access == Access::Write {
            self.gave_up = true;
        }
        self.out.widened.insert(Widening {
            scope,
            access,
            reason,
        });
    }

    /// Starts another path (a fork), if the budget allows.
    pub(crate) fn fork(&mut self, path: Path) -> bool {
        if self.paths >= self.limits.paths {
            return false;
        }
        let memory: usize = path.frames.iter().map(|f| f.memory.len()).sum();
        if memory > self.limits.memory_bytes {
            return false;
        }
        self.paths += 1;
        self.work.push(path);
        true
    }

    /// Keeps what a path found so far without running it further: once the prediction says
    /// "unknown, written", more paths add nothing it does not already cover. Its changes count
    /// as unknown values for later transactions (no post values are kept).
    fn abandon(&mut self, mut path: Path) {
        self.out.exact.take(&mut path.accesses);
    }

    fn run_path(&mut self, mut path: Path) {
        loop {
            self.out.work = self.out.work.max(path.work);
            if path.frames.is_empty() {
                return;
            }
            if self.gave_up {
                self.abandon(path);
                return;
            }
            if self.state.outdated() {
                return;
            }
            let before = self.steps;
            // Fast-lane opcodes cost at least 1 gas each: stop where the gas would run out.
            let affordable = self.tx.gas_limit.saturating_sub(path.gas);
            let budget = self.limits.steps.min(before.saturating_add(affordable));
            self.run_fast(&mut path, budget);
            self.steps += 1;
            let frame = &path.frames[path.frames.len() - 1];
            let opcode = frame
                .code
                .bytes()
                .get(frame.pc)
                .copied()
                .unwrap_or_default();
            // Every opcode costs at least 1 gas; the one `step` runs, at least its static gas.
            path.gas += self.steps - before - 1 + u64::from(self.gas[usize::from(opcode)]);
            path.work += self.steps - before;
            self.out.work = self.out.work.max(path.work);
            if path.gas > self.tx.gas_limit {
                // The transaction cannot pay for this path: a frame on it runs out of gas.
                // Taken as the running one, as the EVM does; its caller goes on with the gas
                // it kept.
                let mark = frame.gas_mark;
                self.exit_frame(&mut path, Value::ZERO, ReturnData::Known(Arc::default()));
                path.gas = mark;
                continue;
            }
            if self.steps > self.limits.steps {
                let frame = &path.frames[path.frames.len() - 1];
                let reason = Cause::StepBudget.at(frame.pc, frame.code_address);
                self.widen(Scope::Unknown, Access::Write, reason);
                return;
            }
            match self.step(&mut path) {
                Control::Continue => {}
                Control::Exit(exit) => {
                    let (success, output) = *exit;
                    self.exit_frame(&mut path, success, output);
                }
                Control::Cut(cause) => {
                    self.cut_frame(&path, cause);
                    self.exit_frame(&mut path, Value::Opaque, ReturnData::Unknown);
                }
            }
        }
    }

    /// Widens for whatever the top frame may still do from its current pc.
    fn cut_frame(&mut self, path: &Path, cause: Cause) {
        let frame = &path.frames[path.frames.len() - 1];
        let reason = cause.at(frame.pc, frame.code_address);
        if frame.code.reaches_out() {
            self.widen(Scope::Unknown, Access::Write, reason);
        } else {
            let access = if frame.code.writes_storage() && !frame.is_static {
                Access::Write
            } else {
                Access::Read
            };
            self.widen(
                Scope::Contract {
                    address: frame.address,
                },
                access,
                reason,
            );
        }
    }

    /// Ends the top frame and hands its result to the caller (or finishes the path).
    fn exit_frame(&mut self, path: &mut Path, success: Value, output: ReturnData) {
        let Some(frame) = path.frames.pop() else {
            return;
        };
        if success == Value::ZERO {
            path.revert_to(frame.journal_mark, frame.access_mark);
        }
        if let FrameKind::Create = frame.kind
            && success != Value::ZERO
        {
            let code = match &output {
                ReturnData::Known(data) if data.is_concrete() => {
                    Some(Arc::new(ContractCode::new(data.bytes().to_vec().into())))
                }
                _ => None,
            };
            path.set_code(frame.address, code);
        }
        let Some(parent) = path.frames.last_mut() else {
            self.out.exact.take(&mut path.accesses);
            self.out.post.merge(path);
            return;
        };
        match frame.kind {
            FrameKind::Call {
                ret_offset,
                ret_len,
            } => {
                match &output {
                    ReturnData::Known(data) => {
                        let n = ret_len.min(data.len());
                        if n > 0 {
                            parent.memory.write(ret_offset, &data.slice(0, n));
                        }
                    }
                    ReturnData::Unknown => parent.memory.write_opaque(ret_offset, ret_len),
                }
                parent.returndata = output;
                parent.stack.push(success);
            }
            FrameKind::Create => {
                let address = Value::Known(U256::from_be_slice(frame.address.as_slice()));
                let pushed = match success {
                    Value::Known(s) if s.is_zero() => Value::ZERO,
                    Value::Known(_) => address,
                    _ => Value::Opaque,
                };
                parent.returndata = if success == Value::ZERO {
                    output
                } else {
                    ReturnData::Known(Arc::default())
                };
                parent.stack.push(pushed);
            }
        }
    }

    /// A balance as this path knows it; records a read when `read`. A balance only moved, not
    /// read, is not looked up (so the prediction does not depend on it).
    pub(crate) fn balance(&mut self, path: &mut Path, address: Address, read: bool) -> Value {
        if read {
            path.access(Location::balance(address), Access::Read);
        }
        if let Some(v) = path.balances.get(&address) {
            return *v;
        }
        if !read {
            return Value::Opaque;
        }
        match self.state.balance(&address) {
            Some(b) => {
                self.out.seen.push((Location::balance(address), b));
                Value::Known(b)
            }
            None => Value::Opaque,
        }
    }

    /// The code at `address` on this path.
    pub(crate) fn code(&mut self, path: &Path, address: &Address) -> Option<Arc<ContractCode>> {
        if let Some(code) = path.codes.get(address) {
            return code.clone();
        }
        let code = self.state.code(address);
        let len = code.as_ref().map_or(0, |c| c.len());
        self.out
            .seen
            .push((Location::code(*address), U256::from(len)));
        code
    }

    /// An account's nonce on this path.
    pub(crate) fn nonce(&mut self, path: &Path, address: &Address) -> Option<u64> {
        if let Some(n) = path.nonces.get(address) {
            return Some(*n);
        }
        let nonce = self.state.nonce(address);
        if let Some(n) = nonce {
            self.out
                .seen
                .push((Location::nonce(*address), U256::from(n)));
        }
        nonce
    }
}
