//! An SVG chart of the simulated schedule: workers as lanes over time, one box per
//! transaction, coloured by the contract it calls. Plain SVG text; opens in any browser.

use super::{BlockReport, GraphKind, thousands};
use alloy_primitives::Address;
use std::collections::BTreeMap;
use std::fmt::Write as _;

const WIDTH: f64 = 960.0;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 20.0;
const TOP: f64 = 40.0;
const LANE: f64 = 22.0;
const GAP: f64 = 4.0;
const PALETTE: [&str; 10] = [
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
    "#9c755f", "#86bcb6",
];
const OTHER: &str = "#bab0ac";

/// The schedule of the `kind` graph on `workers` workers as an SVG document.
pub fn to_svg(report: &BlockReport, kind: GraphKind, workers: usize) -> String {
    let (plan, _) = report.graph(kind);
    let schedule = plan.schedule(workers);
    let lanes = schedule.workers;
    let span = schedule.makespan.max(1) as f64;
    let scale = (WIDTH - LEFT - RIGHT) / span;
    let colours = colours(report);
    let legend_top = TOP + lanes as f64 * (LANE + GAP) + 30.0;
    let height = legend_top + 18.0 * (colours.len() as f64 + 1.0) + 10.0;
    let which = match kind {
        GraphKind::Predicted => "predicted",
        GraphKind::Oracle => "oracle",
    };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{height:.0}\" viewBox=\"0 0 {WIDTH} {height:.0}\" font-family=\"monospace\" font-size=\"11\">"
    );
    let _ = writeln!(
        out,
        "<text x=\"{LEFT}\" y=\"20\" font-size=\"13\">block {} ({which} graph): {} txs on {lanes} workers, makespan {} gas, speedup {:.2}</text>",
        report.number,
        report.txs,
        thousands(schedule.makespan),
        plan.speedup(lanes)
    );
    for w in 0..lanes {
        let y = TOP + w as f64 * (LANE + GAP);
        let _ = writeln!(
            out,
            "<text x=\"4\" y=\"{:.1}\">worker {w}</text>",
            y + LANE * 0.7
        );
        let _ = writeln!(
            out,
            "<rect x=\"{LEFT}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{LANE}\" fill=\"#f4f4f4\"/>",
            WIDTH - LEFT - RIGHT
        );
    }
    for slot in &schedule.slots {
        let (call, to) = &report.calls[slot.tx];
        let fill = to.and_then(|a| colours.get(&a)).map_or(OTHER, |(c, _)| *c);
        let x = LEFT + slot.start as f64 * scale;
        let w = ((slot.end - slot.start) as f64 * scale).max(0.5);
        let y = TOP + slot.worker as f64 * (LANE + GAP);
        let _ = writeln!(
            out,
            "<rect x=\"{x:.2}\" y=\"{y:.1}\" width=\"{w:.2}\" height=\"{LANE}\" fill=\"{fill}\" stroke=\"#ffffff\" stroke-width=\"0.5\"><title>tx {}: {} ({} gas)</title></rect>",
            slot.tx,
            xml(call),
            thousands(slot.end - slot.start)
        );
    }
    let axis = TOP + lanes as f64 * (LANE + GAP) + 12.0;
    let _ = writeln!(out, "<text x=\"{LEFT}\" y=\"{axis:.1}\">0</text>");
    let _ = writeln!(
        out,
        "<text x=\"{:.1}\" y=\"{axis:.1}\" text-anchor=\"end\">{} gas</text>",
        WIDTH - RIGHT,
        thousands(schedule.makespan)
    );
    let mut legend: Vec<(&Address, &(&str, String))> = colours.iter().collect();
    legend.sort_by_key(|(_, (c, _))| PALETTE.iter().position(|p| p == c));
    for (row, (_, (colour, name))) in legend.iter().enumerate() {
        let y = legend_top + 18.0 * row as f64;
        let _ = writeln!(
            out,
            "<rect x=\"{LEFT}\" y=\"{:.1}\" width=\"12\" height=\"12\" fill=\"{colour}\"/><text x=\"{:.1}\" y=\"{:.1}\">{}</text>",
            y - 10.0,
            LEFT + 18.0,
            y,
            xml(name)
        );
    }
    let y = legend_top + 18.0 * legend.len() as f64;
    let _ = writeln!(
        out,
        "<rect x=\"{LEFT}\" y=\"{:.1}\" width=\"12\" height=\"12\" fill=\"{OTHER}\"/><text x=\"{:.1}\" y=\"{y:.1}\">other contracts, transfers and creations</text>",
        y - 10.0,
        LEFT + 18.0
    );
    out.push_str("</svg>\n");
    out
}

/// Colours for the contracts taking the most gas: address -> (colour, name).
fn colours(report: &BlockReport) -> BTreeMap<Address, (&'static str, String)> {
    let mut gas: BTreeMap<Address, u64> = BTreeMap::new();
    for (tx, (call, to)) in report.calls.iter().enumerate() {
        if let Some(to) = to
            && !call.starts_with("ETH to ")
        {
            *gas.entry(*to).or_default() += report.predicted_plan.cost[tx];
        }
    }
    let mut ranked: Vec<(Address, u64)> = gas.into_iter().collect();
    ranked.sort_by(|a, b| (b.1, a.0).cmp(&(a.1, b.0)));
    ranked
        .into_iter()
        .zip(PALETTE)
        .map(|((address, _), colour)| (address, (colour, report.names.account(address))))
        .collect()
}

/// Escapes text for XML.
fn xml(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
