//! Test helpers: an anvil process killed on drop, a scripted JSON-RPC server, and the binary.

use alloy_provider::{Provider, RootProvider};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Runs `lanes <args> <path>`.
pub(crate) fn lanes(args: &[&str], path: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lanes"))
        .args(args)
        .arg(path)
        .output()
        .expect("the lanes binary runs")
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// The anvil binary: `$LANES_ANVIL`, else the project-local npm install under `.tools/`.
fn anvil_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("LANES_ANVIL") {
        return PathBuf::from(path);
    }
    let local = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../.tools/node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil");
    assert!(
        local.is_file(),
        "anvil is not installed: run `npm install --prefix .tools @foundry-rs/anvil-linux-amd64@1.7.1` \
         in the repository root (what scripts/test does), or set LANES_ANVIL to an anvil binary"
    );
    local
}

/// An anvil node on 127.0.0.1 with auto-mining off and Prague rules; killed on drop.
pub(crate) struct Anvil {
    child: Child,
    /// Its JSON-RPC URL.
    pub(crate) url: String,
    provider: RootProvider,
    runtime: tokio::runtime::Runtime,
}

impl Anvil {
    /// Starts anvil and waits until it answers.
    pub(crate) fn start() -> Self {
        Self::start_with(&[])
    }

    /// Starts anvil with extra arguments.
    pub(crate) fn start_with(extra: &[&str]) -> Self {
        let port = free_port();
        let child = Command::new(anvil_binary())
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .args(extra)
            .args([
                "--no-mining",
                "--order",
                "fifo",
                "--hardfork",
                "prague",
                "--silent",
            ])
            .stdout(Stdio::null())
            .spawn()
            .expect("anvil starts");
        let url = format!("http://127.0.0.1:{port}");
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        let provider = RootProvider::new_http(url.parse().expect("a URL"));
        let anvil = Self {
            child,
            url,
            provider,
            runtime,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while anvil.try_call("eth_chainId", json!([])).is_err() {
            assert!(
                Instant::now() < deadline,
                "anvil did not answer within 20 s"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        anvil
    }

    fn try_call(&self, method: &'static str, params: Value) -> Result<Value, String> {
        self.runtime
            .block_on(
                self.provider
                    .raw_request::<Value, Value>(method.into(), params),
            )
            .map_err(|e| e.to_string())
    }

    /// Passes a request on to anvil and its answer back (for a [`FakeNode`] in front of it).
    pub(crate) fn forward(&self, method: &str, params: &Value) -> Reply {
        let call = self
            .provider
            .raw_request::<Value, Value>(method.to_owned().into(), params.clone());
        match self.runtime.block_on(call) {
            Ok(result) => Reply::Result(result),
            Err(err) => match err.as_error_resp() {
                Some(payload) => Reply::Error(payload.code, payload.message.to_string()),
                None => Reply::Http(502),
            },
        }
    }

    /// A JSON-RPC call that must succeed.
    pub(crate) fn call(&self, method: &'static str, params: Value) -> Value {
        let shown = params.to_string();
        self.try_call(method, params)
            .unwrap_or_else(|e| panic!("{method}({shown}): {e}"))
    }

    /// `eth_sendTransaction` from an unlocked account; returns the hash.
    pub(crate) fn send(&self, tx: &Value) -> String {
        let hash = self.call("eth_sendTransaction", json!([tx]));
        hash.as_str().expect("a hash").to_owned()
    }
}

impl Drop for Anvil {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What the scripted server answers.
pub(crate) enum Reply {
    /// A JSON-RPC result.
    Result(Value),
    /// A JSON-RPC error.
    Error(i64, String),
    /// A bare HTTP status with no JSON-RPC body.
    Http(u16),
}

type Script = dyn Fn(&str, &Value, usize) -> Reply + Send + Sync;

/// A JSON-RPC server on 127.0.0.1 that answers by a script `(method, params, request index)`;
/// one request per connection. Its thread ends with the test process.
pub(crate) struct FakeNode {
    /// Its URL.
    pub(crate) url: String,
}

impl FakeNode {
    /// Starts serving.
    pub(crate) fn start(
        script: impl Fn(&str, &Value, usize) -> Reply + Send + Sync + 'static,
    ) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a port");
        let url = format!("http://{}", listener.local_addr().expect("an address"));
        let script: Arc<Script> = Arc::new(script);
        let count = Arc::new(AtomicUsize::new(0));
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let index = count.fetch_add(1, Ordering::SeqCst);
                let _ = serve(stream, &*script, index);
            }
        });
        Self { url }
    }
}

fn serve(stream: TcpStream, script: &Script, index: usize) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut length = 0;
    loop {
        let mut line = String::new();
        reader.read_line(&mut line)?;
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    let request: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let method = request["method"].as_str().unwrap_or_default();
    let (status, payload) = match script(method, &request["params"], index) {
        Reply::Result(result) => (200, json!({"jsonrpc": "2.0", "id": request["id"], "result": result}).to_string()),
        Reply::Error(code, message) => (
            200,
            json!({"jsonrpc": "2.0", "id": request["id"], "error": {"code": code, "message": message}}).to_string(),
        ),
        Reply::Http(status) => (status, String::new()),
    };
    let mut stream = stream;
    write!(
        stream,
        "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{payload}",
        payload.len()
    )?;
    stream.flush()
}
