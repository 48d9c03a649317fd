//! Graphviz DOT: the conflict DAG with the critical path in red.

use super::{BlockReport, GraphKind, class_name, thousands};
use std::collections::BTreeSet;
use std::fmt::Write as _;

/// The graph of `kind` as DOT; critical-path nodes and edges are red and bold, and each edge's
/// tooltip (and, on the critical path, its label) names what links its ends.
pub fn to_dot(report: &BlockReport, kind: GraphKind) -> String {
    let (plan, _) = report.graph(kind);
    let names = &report.names;
    let which = match kind {
        GraphKind::Predicted => "predicted",
        GraphKind::Oracle => "oracle",
    };
    let path: BTreeSet<usize> = plan.critical_path.txs.iter().copied().collect();
    let path_edges: BTreeSet<(usize, usize)> = plan
        .critical_path
        .txs
        .windows(2)
        .map(|w| (w[0], w[1]))
        .collect();
    let mut out = String::new();
    let _ = writeln!(out, "digraph \"block {} ({which})\" {{", report.number);
    let _ = writeln!(out, "  rankdir=LR;");
    let _ = writeln!(
        out,
        "  node [shape=box, fontname=\"monospace\", fontsize=10];"
    );
    for (tx, (call, _)) in report.calls.iter().enumerate() {
        let style = if path.contains(&tx) {
            ", color=red, penwidth=2, fontcolor=red"
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "  t{tx} [label=\"{tx}: {}\\n{} gas\"{style}];",
            escape(call),
            thousands(plan.cost[tx])
        );
    }
    for (i, j, d) in plan.graph.edges() {
        let causes: Vec<String> = d
            .causes
            .iter()
            .map(|c| format!("{}: {}", class_name(c.class()), names.target(&c.location())))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let tooltip = escape(&causes.join("; "));
        if path_edges.contains(&(i, j)) {
            let label = escape(causes.first().map_or("", String::as_str));
            let _ = writeln!(
                out,
                "  t{i} -> t{j} [color=red, penwidth=2, label=\"{label}\", fontsize=8, tooltip=\"{tooltip}\"];"
            );
        } else {
            let _ = writeln!(out, "  t{i} -> t{j} [tooltip=\"{tooltip}\"];");
        }
    }
    out.push_str("}\n");
    out
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}
