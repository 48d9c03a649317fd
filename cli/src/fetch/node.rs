//! The JSON-RPC node behind `lanes fetch`: alloy's provider, plus timeouts, retries with
//! exponential backoff on transient failures, and errors that say what is wrong with the node.

use alloy_provider::{Provider, RootProvider};
use alloy_transport::{RpcError, TransportError, TransportErrorKind};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::fmt;
use std::time::Duration;

/// How hard to try before giving up on a request.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RetryPolicy {
    /// Attempts per request, the first included.
    pub(crate) attempts: u32,
    /// Wait before the first retry; doubled after each further failure.
    pub(crate) first_backoff: Duration,
    /// Longest a single request may take before it counts as a transient failure.
    pub(crate) timeout: Duration,
}

/// Why a request failed, sorted by what the user can do about it.
#[derive(Debug)]
pub(crate) enum NodeError {
    /// The node does not serve this method (JSON-RPC -32601 or equivalent).
    MethodNotFound {
        /// The method.
        method: String,
        /// The node's message.
        message: String,
    },
    /// The node no longer has the state the request needs.
    Pruned {
        /// The method.
        method: String,
        /// The node's message.
        message: String,
    },
    /// Anything else, after retries where the failure looked transient.
    Other {
        /// The method.
        method: String,
        /// What went wrong.
        message: String,
    },
}

impl fmt::Display for NodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MethodNotFound { method, message } => {
                write!(f, "the node does not serve `{method}` ({message})")
            }
            Self::Pruned { method, message } => write!(
                f,
                "the node has pruned the state `{method}` needs ({message}); use an archive \
                 node or a block within the node's state history"
            ),
            Self::Other { method, message } => write!(f, "`{method}` failed: {message}"),
        }
    }
}

impl std::error::Error for NodeError {}

/// A JSON-RPC endpoint.
#[derive(Clone, Debug)]
pub(crate) struct Node {
    provider: RootProvider,
    url: String,
    retry: RetryPolicy,
}

impl Node {
    /// A client for an `http://` URL; connects lazily.
    pub(crate) fn new(url: &str, retry: RetryPolicy) -> anyhow::Result<Self> {
        // The binary is built without a TLS stack (it would add a C crypto build to every build).
        anyhow::ensure!(
            url.get(..7)
                .is_some_and(|s| s.eq_ignore_ascii_case("http://")),
            "`{url}`: lanes fetch speaks plain http only (no TLS, no websockets); use the node's \
             http endpoint, or a local TLS-terminating proxy in front of a remote one"
        );
        let parsed = url
            .parse()
            .map_err(|e| anyhow::anyhow!("`{url}` is not a URL: {e}"))?;
        Ok(Self {
            provider: RootProvider::new_http(parsed),
            url: url.to_owned(),
            retry,
        })
    }

    /// The endpoint, for messages.
    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    /// Calls `method` and returns the result exactly as the node sent it.
    pub(crate) async fn raw<P>(
        &self,
        method: &'static str,
        params: P,
    ) -> Result<Box<RawValue>, NodeError>
    where
        P: Serialize + Clone + Send + Sync + Unpin + fmt::Debug + 'static,
    {
        let mut backoff = self.retry.first_backoff;
        let mut attempt = 1;
        loop {
            let call = self
                .provider
                .raw_request::<P, Box<RawValue>>(Cow::Borrowed(method), params.clone());
            let failure = match tokio::time::timeout(self.retry.timeout, call).await {
                Ok(Ok(value)) => return Ok(value),
                Ok(Err(err)) => classify(method, &err),
                Err(_) => Failure::Transient(format!(
                    "no answer within {} s",
                    self.retry.timeout.as_secs_f64()
                )),
            };
            match failure {
                Failure::Final(err) => return Err(err),
                Failure::Transient(message) if attempt >= self.retry.attempts => {
                    return Err(NodeError::Other {
                        method: method.to_owned(),
                        message: format!("{message} (gave up after {attempt} attempts)"),
                    });
                }
                Failure::Transient(_) => {
                    tokio::time::sleep(backoff).await;
                    backoff = backoff.saturating_mul(2);
                    attempt += 1;
                }
            }
        }
    }

    /// Calls `method` and decodes the result.
    pub(crate) async fn call<P, R>(&self, method: &'static str, params: P) -> Result<R, NodeError>
    where
        P: Serialize + Clone + Send + Sync + Unpin + fmt::Debug + 'static,
        R: DeserializeOwned,
    {
        let raw = self.raw(method, params).await?;
        serde_json::from_str(raw.get()).map_err(|e| NodeError::Other {
            method: method.to_owned(),
            message: format!("unexpected answer: {e}"),
        })
    }
}

/// What to do about one failed attempt.
enum Failure {
    /// Retry (connection trouble, timeouts, rate limits, 5xx).
    Transient(String),
    /// Retrying cannot help.
    Final(NodeError),
}

/// Messages with which nodes say that the state of a block is gone (geth, erigon, reth,
/// nethermind, anvil with `--prune-history`). Fetch only asks about blocks that exist, so "not
/// found" there means the state.
const PRUNED_MARKERS: &[&str] = &[
    "missing trie node",
    "blockoutofrangeerror",
    "resource not found",
    "historical state",
    "state is not available",
    "state not available",
    "state unavailable",
    "pruned",
    "state histories haven't been fully indexed",
];

/// Whether a node's message says that the state it needs is gone.
pub(crate) fn looks_pruned(message: &str) -> bool {
    let lower = message.to_lowercase();
    PRUNED_MARKERS.iter().any(|m| lower.contains(m))
}

/// Messages with which nodes say that they do not serve a method (when the code is not -32601).
const NOT_FOUND_MARKERS: &[&str] = &[
    "method not found",
    "does not exist/is not available",
    "not supported",
    "unknown method",
];

fn classify(method: &str, err: &TransportError) -> Failure {
    let other = |message: String| NodeError::Other {
        method: method.to_owned(),
        message,
    };
    match err {
        RpcError::ErrorResp(payload) => {
            let message = payload.message.to_string();
            let lower = message.to_lowercase();
            if payload.code == -32601 || NOT_FOUND_MARKERS.iter().any(|m| lower.contains(m)) {
                Failure::Final(NodeError::MethodNotFound {
                    method: method.to_owned(),
                    message,
                })
            } else if looks_pruned(&message) {
                Failure::Final(NodeError::Pruned {
                    method: method.to_owned(),
                    message,
                })
            } else if is_rate_limit(payload.code, &lower) {
                Failure::Transient(message)
            } else {
                Failure::Final(other(format!("error {}: {message}", payload.code)))
            }
        }
        RpcError::Transport(kind) => match kind {
            TransportErrorKind::HttpError(http) if http.status == 404 || http.status == 405 => {
                Failure::Final(other(kind.to_string()))
            }
            TransportErrorKind::HttpError(http) if http.status < 500 && http.status != 429 => {
                Failure::Final(other(kind.to_string()))
            }
            // Connection refused or reset, 429, 5xx, a dropped batch answer: all may pass.
            _ => Failure::Transient(with_causes(kind)),
        },
        RpcError::NullResp => Failure::Transient("empty answer".to_owned()),
        _ => Failure::Final(other(err.to_string())),
    }
}

/// An error with its chain of causes ("error sending request: ...: Connection refused").
fn with_causes(err: &dyn std::error::Error) -> String {
    let mut message = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !message.contains(&text) {
            message = format!("{message}: {text}");
        }
        source = cause.source();
    }
    message
}

fn is_rate_limit(code: i64, lower: &str) -> bool {
    code == 429
        || code == -32005
        || lower.contains("rate limit")
        || lower.contains("too many requests")
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_transport::RpcError;

    fn resp(code: i64, message: &str) -> TransportError {
        let payload = serde_json::json!({ "code": code, "message": message });
        RpcError::ErrorResp(serde_json::from_value(payload).expect("an error payload"))
    }

    #[test]
    fn method_not_found_is_final() {
        let f = classify(
            "debug_traceBlockByNumber",
            &resp(-32601, "Method not found"),
        );
        assert!(matches!(
            f,
            Failure::Final(NodeError::MethodNotFound { .. })
        ));
        let geth = resp(
            -32600,
            "the method debug_traceBlockByNumber does not exist/is not available",
        );
        let f = classify("debug_traceBlockByNumber", &geth);
        assert!(matches!(
            f,
            Failure::Final(NodeError::MethodNotFound { .. })
        ));
    }

    #[test]
    fn pruned_state_is_final() {
        let f = classify(
            "eth_getBalance",
            &resp(-32000, "missing trie node 1234 (path )"),
        );
        assert!(matches!(f, Failure::Final(NodeError::Pruned { .. })));
    }

    #[test]
    fn rate_limits_and_connection_errors_are_retried() {
        assert!(matches!(
            classify("eth_getBlockByNumber", &resp(-32005, "limit exceeded")),
            Failure::Transient(_)
        ));
        let refused = TransportErrorKind::custom_str("connection refused");
        assert!(matches!(
            classify("eth_chainId", &refused),
            Failure::Transient(_)
        ));
    }

    #[test]
    fn other_errors_are_final() {
        let f = classify("eth_getBlockByNumber", &resp(-32602, "invalid params"));
        assert!(matches!(f, Failure::Final(NodeError::Other { .. })));
    }
}
