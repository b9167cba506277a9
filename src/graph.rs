//! Drawing a recorded computation: DOT and self-laid-out SVG.
//!
//! Like micrograd's `draw_dot`: one box per tape node — leaves (parameters and
//! constants) and op nodes — showing its id, name, op, shape, value and
//! gradient, with an edge from each input to the op that uses it.
//!
//! * [`to_dot`] writes Graphviz source (`rankdir=LR`, record labels).
//! * [`to_svg`] lays the graph out itself (no Graphviz needed) and writes a
//!   standalone SVG document.
//!
//! Both take the nodes as plain [`GraphNode`] descriptions, so any subset of a
//! tape can be drawn (for example only the nodes the loss depends on). Inputs
//! that are missing from the slice, or that are not earlier on the tape than
//! their user, are not drawn; a repeated id keeps its first node. Long text is
//! clipped: lines to [`MAX_LINE_CHARS`] characters, values and gradients to
//! [`MAX_LINES`] lines, each cut marked with `…`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::ops::Range;

/// Longest line drawn, in characters; longer lines end in `…`.
pub const MAX_LINE_CHARS: usize = 60;
/// Most lines drawn for one value or gradient; the last one is `…` if cut.
pub const MAX_LINES: usize = 8;
/// Widest SVG [`to_svg`] draws, in px: wider graphs are wrapped into bands
/// (and their text set smaller, down to [`MIN_FONT_SIZE`]).
pub const MAX_WIDTH: f64 = 1600.0;
/// Smallest font size [`to_svg`] uses, in px.
pub const MIN_FONT_SIZE: f64 = 10.0;

/// The Frobenius norm `sqrt(Σ g²)` of a gradient (scaled, so that neither
/// tiny nor huge entries underflow or overflow); NaN if any entry is NaN.
pub fn frobenius_norm(data: &[f64]) -> f64 {
    if data.iter().any(|v| v.is_nan()) {
        return f64::NAN;
    }
    let max = data.iter().fold(0.0, |m: f64, v| m.max(v.abs()));
    if max == 0.0 || max.is_infinite() {
        return max;
    }
    max * data
        .iter()
        .map(|v| (v / max) * (v / max))
        .sum::<f64>()
        .sqrt()
}

/// What kind of tape entry a node is (drawn differently: parameters
/// highlighted, constants grey).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeKind {
    /// A differentiated leaf (a weight or bias).
    Param,
    /// A leaf that receives no gradient (data such as `X` and `y`).
    Constant,
    /// The result of an op applied to earlier nodes.
    Op,
}

/// One node of the drawing.
#[derive(Clone, Debug)]
pub struct GraphNode {
    /// Tape position (creation order); inputs always have smaller ids.
    pub id: usize,
    /// The user's name for the node, e.g. `"hidden_input"` or `"W1"`.
    pub name: Option<String>,
    /// The op that made the node, e.g. `"matmul"`, `"sigmoid"`, `"param"`.
    pub op: String,
    /// Leaf or op, and which kind of leaf.
    pub kind: NodeKind,
    /// Shape of the node's value (empty for a scalar).
    pub shape: Vec<usize>,
    /// Already-formatted value text; may contain `'\n'` (multi-line arrays).
    pub value: String,
    /// Already-formatted gradient text, may contain `'\n'`; `None` = no gradient.
    pub grad: Option<String>,
    /// Size of the gradient, its Frobenius norm ([`frobenius_norm`]): colours
    /// the gradient section on a log scale. `None` (or NaN) = not coloured.
    pub grad_norm: Option<f64>,
    /// Ids of the inputs, in argument order (may repeat: `x*x`).
    pub inputs: Vec<usize>,
}

// ---------------------------------------------------------------------------
// Text shared by both outputs
// ---------------------------------------------------------------------------

/// Cuts a line to [`MAX_LINE_CHARS`] characters, ending a cut line in `…`.
fn clip_line(line: &str) -> String {
    if line.chars().count() <= MAX_LINE_CHARS {
        return line.to_string();
    }
    let mut out: String = line.chars().take(MAX_LINE_CHARS - 1).collect();
    out.push('…');
    out
}

/// Splits multi-line text into at most [`MAX_LINES`] clipped lines.
fn clip_lines(text: &str) -> Vec<String> {
    let all: Vec<&str> = text.lines().collect();
    if all.is_empty() {
        return vec![String::new()];
    }
    if all.len() <= MAX_LINES {
        return all.into_iter().map(clip_line).collect();
    }
    let mut out: Vec<String> = all[..MAX_LINES - 1].iter().map(|l| clip_line(l)).collect();
    out.push("…".to_string());
    out
}

/// `(4, 1)` for a matrix, `()` for a scalar, `(3,)` for a vector — NumPy style.
fn shape_text(shape: &[usize]) -> String {
    match shape {
        [n] => format!("({n},)"),
        _ => {
            let dims: Vec<String> = shape.iter().map(usize::to_string).collect();
            format!("({})", dims.join(", "))
        }
    }
}

/// The node's name, or its op when it has none.
fn label_of(node: &GraphNode) -> &str {
    node.name.as_deref().unwrap_or(&node.op)
}

/// The first line of a box: `#3 hidden_output`.
fn title_line(node: &GraphNode) -> String {
    clip_line(&format!("#{} {}", node.id, label_of(node)))
}

/// The second line of a box: op and shape.
fn op_line(node: &GraphNode) -> String {
    clip_line(&format!("{}  {}", node.op, shape_text(&node.shape)))
}

/// Prefixes the first line with `label` and indents the rest to match.
fn labelled_lines(label: &str, text: &str) -> Vec<String> {
    let indent = " ".repeat(label.chars().count());
    clip_lines(text)
        .into_iter()
        .enumerate()
        .map(|(i, l)| {
            if i == 0 {
                format!("{label}{l}")
            } else {
                format!("{indent}{l}")
            }
        })
        .collect()
}

/// The three sections of a box: header, value, gradient.
fn sections(node: &GraphNode) -> [Vec<String>; 3] {
    let grad = match &node.grad {
        Some(g) => labelled_lines("grad  ", g),
        None => vec!["grad  —".to_string()],
    };
    [
        vec![title_line(node), op_line(node)],
        labelled_lines("value ", &node.value),
        grad,
    ]
}

// ---------------------------------------------------------------------------
// Gradient colours: log10 of the gradient's size on a sequential scale
// ---------------------------------------------------------------------------

/// The gradient scale's stops, pale (smallest) to dark (largest): ColorBrewer's
/// six-class "Purples", apart from the blue of parameters and amber of ops.
const SCALE: [[u8; 3]; 6] = [
    [0xf2, 0xf0, 0xf7],
    [0xda, 0xda, 0xeb],
    [0xbc, 0xbd, 0xdc],
    [0x9e, 0x9a, 0xc8],
    [0x75, 0x6b, 0xb1],
    [0x54, 0x27, 0x8f],
];

/// The colour at `t` (0 = smallest, 1 = largest), linear between the stops.
fn scale_rgb(t: f64) -> [u8; 3] {
    let t = if t.is_nan() { 0.0 } else { t.clamp(0.0, 1.0) };
    let pos = t * (SCALE.len() - 1) as f64;
    let i = (pos.floor() as usize).min(SCALE.len() - 2);
    let f = pos - i as f64;
    let mut rgb = [0u8; 3];
    for (c, out) in rgb.iter_mut().enumerate() {
        let (a, b) = (f64::from(SCALE[i][c]), f64::from(SCALE[i + 1][c]));
        *out = (a + (b - a) * f).round() as u8;
    }
    rgb
}

fn hex(rgb: [u8; 3]) -> String {
    format!("#{:02x}{:02x}{:02x}", rgb[0], rgb[1], rgb[2])
}

/// Whether white text reads better than black on `rgb` (WCAG relative
/// luminance below 0.179, where the two contrasts are equal).
fn is_dark(rgb: [u8; 3]) -> bool {
    let lin = |c: u8| {
        let c = f64::from(c) / 255.0;
        if c <= 0.04045 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * lin(rgb[0]) + 0.7152 * lin(rgb[1]) + 0.0722 * lin(rgb[2]) < 0.179
}

/// The graph's gradient sizes on a log scale: log10 of the smallest and
/// largest positive finite norms map to the two ends of [`SCALE`].
#[derive(Clone, Copy, Debug, PartialEq)]
struct GradScale {
    /// log10 of the smallest positive finite norm.
    lo: f64,
    /// log10 of the largest.
    hi: f64,
    /// Whether some gradient is exactly zero (drawn in the palest colour).
    zero: bool,
}

impl GradScale {
    /// The scale of the nodes' norms; `None` when no node has a usable one.
    fn new(nodes: &[&GraphNode]) -> Option<Self> {
        let (mut lo, mut hi, mut zero, mut any) = (f64::INFINITY, f64::NEG_INFINITY, false, false);
        for v in nodes.iter().filter_map(|n| n.grad_norm) {
            if v == 0.0 {
                zero = true;
            } else if v > 0.0 && v.is_finite() {
                lo = lo.min(v.log10());
                hi = hi.max(v.log10());
            } else if v != f64::INFINITY {
                continue;
            }
            any = true;
        }
        if !lo.is_finite() {
            (lo, hi) = (0.0, 0.0);
        }
        any.then_some(GradScale { lo, hi, zero })
    }

    /// Whether all positive norms are (nearly) the same: then they sit mid-scale.
    fn flat(&self) -> bool {
        self.hi - self.lo < 1e-9
    }

    /// Where `norm` sits on the scale (0…1); `None` when it cannot be drawn.
    fn position(&self, norm: f64) -> Option<f64> {
        if norm == 0.0 {
            Some(0.0)
        } else if norm == f64::INFINITY {
            Some(1.0)
        } else if norm > 0.0 && norm.is_finite() {
            if self.flat() {
                return Some(0.5);
            }
            Some(((norm.log10() - self.lo) / (self.hi - self.lo)).clamp(0.0, 1.0))
        } else {
            None
        }
    }

    /// The fill of a node's gradient section, if it gets one.
    fn colour(&self, node: &GraphNode) -> Option<[u8; 3]> {
        node.grad_norm.and_then(|v| self.position(v)).map(scale_rgb)
    }
}

/// A gradient size for the legend: `0.041`, `1`, `3.2e-07`.
fn size_text(v: f64) -> String {
    if (0.01..1000.0).contains(&v) {
        let digits = (1 - v.log10().floor() as i32).max(0) as usize;
        let s = format!("{v:.digits$}");
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s
        }
    } else {
        format!("{v:.1e}").replace(".0e", "e")
    }
}

/// A power of ten for the legend: `0.01`, `1`, `100`, `1e-6`.
fn decade_text(d: i32) -> String {
    match d {
        -2 => "0.01".into(),
        -1 => "0.1".into(),
        0 => "1".into(),
        1 => "10".into(),
        2 => "100".into(),
        _ => format!("1e{d}"),
    }
}

// ---------------------------------------------------------------------------
// The graph structure: unique nodes and drawable edges
// ---------------------------------------------------------------------------

/// One drawn edge: `from` is argument `arg` of `to` (indices into the node list).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Edge {
    from: usize,
    to: usize,
    arg: usize,
    /// Whether the user has two or more arguments (then the edge is labelled).
    labelled: bool,
}

/// The nodes in id order (first of any repeated id) and the edges between them.
struct Graph<'a> {
    nodes: Vec<&'a GraphNode>,
    edges: Vec<Edge>,
}

impl<'a> Graph<'a> {
    fn new(input: &'a [GraphNode]) -> Self {
        let mut by_id: BTreeMap<usize, &GraphNode> = BTreeMap::new();
        for node in input {
            by_id.entry(node.id).or_insert(node);
        }
        let index: BTreeMap<usize, usize> =
            by_id.keys().enumerate().map(|(i, &id)| (id, i)).collect();
        let nodes: Vec<&GraphNode> = by_id.into_values().collect();
        let mut edges = Vec::new();
        for (to, node) in nodes.iter().enumerate() {
            let labelled = node.inputs.len() >= 2;
            for (arg, input) in node.inputs.iter().enumerate() {
                match index.get(input) {
                    Some(&from) if from < to => edges.push(Edge {
                        from,
                        to,
                        arg,
                        labelled,
                    }),
                    _ => {}
                }
            }
        }
        Graph { nodes, edges }
    }
}

// ---------------------------------------------------------------------------
// DOT
// ---------------------------------------------------------------------------

/// Escapes one line for a record label inside a quoted DOT string.
fn dot_escape(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    for c in line.chars() {
        match c {
            '\\' | '"' | '{' | '}' | '|' | '<' | '>' | ' ' => {
                out.push('\\');
                out.push(c);
            }
            '\r' | '\n' => {}
            _ => out.push(c),
        }
    }
    out
}

/// A record field: escaped lines, each ended by `\l` (left-justified).
fn dot_field(lines: &[String]) -> String {
    lines
        .iter()
        .map(|l| format!("{}\\l", dot_escape(l)))
        .collect()
}

/// Fill colour, border colour and border width for each kind of node.
fn colours(kind: NodeKind) -> (&'static str, &'static str, f64) {
    match kind {
        NodeKind::Param => ("#cfe3ff", "#1f5fbf", 2.0),
        NodeKind::Constant => ("#e6e6e6", "#8a8a8a", 1.0),
        NodeKind::Op => ("#fff1c9", "#555555", 1.0),
    }
}

/// Graphviz DOT source for the graph.
///
/// Left to right (`rankdir=LR`), one `record` node `n<id>` per tape node with
/// fields for id and name, op and shape, value and gradient (lines
/// left-justified). A node with a gradient size ([`GraphNode::grad_norm`]) is
/// filled by the log of that size, pale (smallest in the graph) to dark purple
/// (largest), as [`to_svg`] colours its gradient section, and the graph's label
/// says so; other parameters are filled blue, constants grey, ops amber.
/// Borders tell the kinds apart: thick blue for parameters.
/// Each input gives an edge `n<input> -> n<user>`, labelled with the argument
/// position when the user has two or more inputs.
pub fn to_dot(nodes: &[GraphNode]) -> String {
    let graph = Graph::new(nodes);
    let scale = GradScale::new(&graph.nodes);
    let mut out = String::from("digraph backprop {\n  rankdir=LR;\n");
    if let Some(sc) = &scale {
        let _ = writeln!(
            out,
            "  labelloc=t; fontname=\"monospace\"; fontsize=11; label=\"{}\";",
            legend_caption(sc).replace('"', "'")
        );
    }
    out.push_str("  node [shape=record, style=filled, fontname=\"monospace\", fontsize=10];\n");
    out.push_str("  edge [fontname=\"monospace\", fontsize=10, color=\"#666666\"];\n");
    for node in &graph.nodes {
        let fields: Vec<String> = sections(node).iter().map(|s| dot_field(s)).collect();
        let (fill, border, width) = colours(node.kind);
        let (fill, font) = match scale.as_ref().and_then(|sc| sc.colour(node)) {
            Some(rgb) if is_dark(rgb) => (hex(rgb), ", fontcolor=\"#ffffff\""),
            Some(rgb) => (hex(rgb), ""),
            None => (fill.to_string(), ""),
        };
        let _ = writeln!(
            out,
            "  n{} [label=\"{}\", fillcolor=\"{fill}\", color=\"{border}\", penwidth={width:.1}{font}];",
            node.id,
            fields.join("|")
        );
    }
    for e in &graph.edges {
        let (from, to) = (graph.nodes[e.from].id, graph.nodes[e.to].id);
        if e.labelled {
            let _ = writeln!(out, "  n{from} -> n{to} [label=\"{}\"];", e.arg);
        } else {
            let _ = writeln!(out, "  n{from} -> n{to};");
        }
    }
    out.push_str("}\n");
    out
}

// ---------------------------------------------------------------------------
// Layout
// ---------------------------------------------------------------------------

/// Advance of one monospace character, in em (DejaVu Sans Mono and Menlo are
/// 0.602 em, Consolas 0.55; a little slack): 7.4 px at 12 px.
const CHAR_EM: f64 = 0.6167;
/// Font sizes tried for the boxes' text, largest first (see [`plan_bands`]).
const FONT_SIZES: [f64; 3] = [12.0, 11.0, MIN_FONT_SIZE];
/// Font size of the legend and of the edges' argument labels.
const SMALL_FONT: f64 = 10.0;
const PAD_X: f64 = 8.0;
const PAD_Y: f64 = 5.0;
const LAYER_GAP: f64 = 72.0;
const NODE_GAP: f64 = 26.0;
const MARGIN: f64 = 20.0;
const MIN_BOX_W: f64 = 80.0;
/// Vertical gap between two bands with one edge crossing it (more edges: wider).
const BAND_GAP: f64 = 44.0;
/// Distance between neighbouring edges where they wrap from band to band.
const LANE_SP: f64 = 8.0;
/// From a band's right edge to the first wrapping edge's downward run.
const GUTTER_RIGHT: f64 = 14.0;
/// From a band's left edge to the nearest wrapping edge's downward run (room
/// for the arrowhead and the argument label).
const GUTTER_LEFT: f64 = 26.0;
/// Radius of a wrapping edge's corners.
const CORNER: f64 = 6.0;
/// Height of the legend strip above the graph, and the gap below it.
const LEGEND_H: f64 = 54.0;
const LEGEND_GAP: f64 = 18.0;
/// Width of the legend's colour bar.
const BAR_W: f64 = 300.0;

/// Text measures at one font size.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Metrics {
    font: f64,
}

impl Metrics {
    fn char_w(self) -> f64 {
        self.font * CHAR_EM
    }
    fn line_h(self) -> f64 {
        self.font * 1.25
    }
    /// Distance from the top of a line box to the text baseline.
    fn baseline(self) -> f64 {
        self.font * 0.96
    }
}

/// A placed box: top-left corner and size.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct Rect {
    x: f64,
    y: f64,
    w: f64,
    h: f64,
}

impl Rect {
    fn centre_y(&self) -> f64 {
        self.y + self.h / 2.0
    }
}

/// One piece of an edge's path, from where the previous piece ended.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Step {
    /// Straight to the point.
    Line(f64, f64),
    /// A cubic Bézier leaving and arriving horizontally.
    Curve(f64, f64),
    /// From the end of one band to the start of the next: right to `right`,
    /// down to `lane` (in the gap between the bands), left to `left`, down
    /// and right into `to`, with rounded corners.
    Wrap {
        right: f64,
        lane: f64,
        left: f64,
        to: (f64, f64),
    },
}

/// Where everything goes.
struct Layout {
    /// One box per node, in the order of `Graph::nodes`.
    boxes: Vec<Rect>,
    /// Per edge, the slots it passes through in the layers it skips
    /// (a horizontal run at `y` from `x` to `x + w`); only the tests read them.
    #[cfg_attr(not(test), allow(dead_code))]
    routes: Vec<Vec<Rect>>,
    /// Per edge, its start (the input's right side) and path to the user.
    paths: Vec<((f64, f64), Vec<Step>)>,
    /// The text size chosen.
    metrics: Metrics,
    width: f64,
    height: f64,
}

/// Size of a node's box from its text.
fn box_size(node: &GraphNode, m: Metrics) -> (f64, f64) {
    let secs = sections(node);
    let chars = secs
        .iter()
        .flatten()
        .map(|l| l.chars().count())
        .max()
        .unwrap_or(0);
    let lines: usize = secs.iter().map(Vec::len).sum();
    let w = (chars as f64 * m.char_w() + 2.0 * PAD_X).max(MIN_BOX_W);
    let h = lines as f64 * m.line_h() + 2.0 * PAD_Y * secs.len() as f64;
    (w.ceil(), h)
}

/// Layer of each node: longest path from the leaves, then each leaf with
/// users moved right to just before its first user (keeps edges short).
fn layers(graph: &Graph) -> Vec<usize> {
    let n = graph.nodes.len();
    let mut layer = vec![0usize; n];
    for e in &graph.edges {
        // Edges are grouped by user in increasing order, so inputs are final.
        layer[e.to] = layer[e.to].max(layer[e.from] + 1);
    }
    let mut first_user = vec![usize::MAX; n];
    let mut is_leaf = vec![true; n];
    for e in &graph.edges {
        first_user[e.from] = first_user[e.from].min(layer[e.to]);
        is_leaf[e.to] = false;
    }
    for i in 0..n {
        if is_leaf[i] && first_user[i] != usize::MAX {
            layer[i] = first_user[i] - 1;
        }
    }
    layer
}

fn mean_of(values: impl Iterator<Item = f64>) -> Option<f64> {
    let (sum, count) = values.fold((0.0, 0usize), |(s, c), v| (s + v, c + 1));
    (count > 0).then(|| sum / count as f64)
}

/// Vertical room taken by an edge passing through a layer.
const PASS_H: f64 = 2.0;

/// A link between neighbouring layers: the other end, and where on the
/// target's left side it arrives (0 = top, 1 = bottom).
type Link = (usize, f64);

/// The layered graph: real nodes first, then one virtual node per layer that
/// an edge skips, so every link joins neighbouring layers.
struct Layered {
    layer: Vec<usize>,
    ins: Vec<Vec<Link>>,
    outs: Vec<Vec<Link>>,
    /// Per edge, its virtual nodes from left to right.
    chains: Vec<Vec<usize>>,
}

impl Layered {
    fn new(graph: &Graph) -> Self {
        let layer = layers(graph);
        let n = layer.len();
        let mut g = Layered {
            layer,
            ins: vec![Vec::new(); n],
            outs: vec![Vec::new(); n],
            chains: Vec::with_capacity(graph.edges.len()),
        };
        for e in &graph.edges {
            let mut prev = e.from;
            let mut chain = Vec::new();
            for l in g.layer[e.from] + 1..g.layer[e.to] {
                let v = g.layer.len();
                g.layer.push(l);
                g.ins.push(Vec::new());
                g.outs.push(Vec::new());
                g.link(prev, v, 0.5);
                chain.push(v);
                prev = v;
            }
            g.link(prev, e.to, port(e.arg, graph.nodes[e.to].inputs.len()));
            g.chains.push(chain);
        }
        g
    }

    fn link(&mut self, from: usize, to: usize, port: f64) {
        self.outs[from].push((to, port));
        self.ins[to].push((from, port));
    }
}

/// Where argument `arg` of `count` arrives on its user's left side (0 = top, 1 = bottom).
fn port(arg: usize, count: usize) -> f64 {
    (arg + 1) as f64 / (count.max(arg + 1) + 1) as f64
}

/// Orders each layer by the barycentre of its neighbours' ranks (users'
/// ranks nudged by the argument's port), sweeping forward by inputs and
/// backward by users a few times.
fn order_layers(g: &Layered) -> Vec<Vec<usize>> {
    let count = g.layer.iter().max().map_or(0, |m| m + 1);
    let mut rows: Vec<Vec<usize>> = vec![Vec::new(); count];
    for (i, &l) in g.layer.iter().enumerate() {
        rows[l].push(i);
    }
    let mut rank = vec![0.0; g.layer.len()];
    set_ranks(&rows, &mut rank);
    for sweep in 0..6 {
        let forward = sweep % 2 == 0;
        let order: Vec<usize> = if forward {
            (0..count).collect()
        } else {
            (0..count).rev().collect()
        };
        for l in order {
            let by_ins = |i: usize| mean_of(g.ins[i].iter().map(|&(j, _)| rank[j]));
            let by_outs = |i: usize| mean_of(g.outs[i].iter().map(|&(j, p)| rank[j] + p - 0.5));
            let key = |i: usize| {
                let (first, second) = if forward {
                    (by_ins(i), by_outs(i))
                } else {
                    (by_outs(i), by_ins(i))
                };
                first.or(second).unwrap_or(rank[i])
            };
            let mut keyed: Vec<(f64, f64, usize)> =
                rows[l].iter().map(|&i| (key(i), rank[i], i)).collect();
            keyed.sort_by(|a, b| {
                a.0.total_cmp(&b.0)
                    .then(a.1.total_cmp(&b.1))
                    .then(a.2.cmp(&b.2))
            });
            rows[l] = keyed.into_iter().map(|k| k.2).collect();
            set_ranks(&rows, &mut rank);
        }
    }
    rows
}

/// Records each node's position within its layer.
fn set_ranks(rows: &[Vec<usize>], rank: &mut [f64]) {
    for row in rows {
        for (r, &i) in row.iter().enumerate() {
            rank[i] = r as f64;
        }
    }
}

/// Places one layer's boxes (already ordered) near the wanted centres,
/// keeping the order and a gap, then shifting so they sit on average where
/// wanted. `want` holds the wanted centre of each box of `row`, in order.
fn place_row(row: &[usize], want: &[f64], boxes: &mut [Rect], real: usize) {
    let mut bottom = f64::NEG_INFINITY;
    let mut prev_real = false;
    let mut shift = 0.0;
    for (&i, &w) in row.iter().zip(want) {
        let gap = if prev_real && i < real {
            NODE_GAP
        } else {
            NODE_GAP / 2.0
        };
        let top = (w - boxes[i].h / 2.0).max(bottom + gap);
        shift += w - (top + boxes[i].h / 2.0);
        boxes[i].y = top;
        bottom = top + boxes[i].h;
        prev_real = i < real;
    }
    let shift = shift / row.len().max(1) as f64;
    for &i in row {
        boxes[i].y += shift;
    }
}

/// Widths of the left and right gutters where `lanes` edges wrap from one
/// band to the next (none without wrapping edges).
fn gutters(lanes: usize) -> (f64, f64) {
    if lanes == 0 {
        return (0.0, 0.0);
    }
    let extra = (lanes - 1) as f64 * LANE_SP + CORNER;
    (GUTTER_LEFT + extra, GUTTER_RIGHT + extra)
}

/// Width of a band of columns: their widths and the gaps between them.
fn band_width(widths: &[f64], band: &Range<usize>) -> f64 {
    widths[band.clone()].iter().sum::<f64>() + LAYER_GAP * band.len().saturating_sub(1) as f64
}

/// Packs the columns left to right into bands at most `cap` wide (a wider
/// column gets a band of its own); returns each band's first column.
fn pack(widths: &[f64], cap: f64) -> Vec<usize> {
    let mut starts = vec![0];
    let mut used = 0.0;
    for (c, &w) in widths.iter().enumerate() {
        if c > 0 && used + LAYER_GAP + w > cap + 1e-6 {
            starts.push(c);
            used = w;
        } else if c > 0 {
            used += LAYER_GAP + w;
        } else {
            used = w;
        }
    }
    starts
}

/// [`pack`] with `cap`, then, if the last band is a lone column, the last
/// two bands evened out.
fn pack_even(widths: &[f64], cap: f64) -> Vec<usize> {
    let mut starts = pack(widths, cap);
    let n = widths.len();
    if let [.., a, s] = starts[..] {
        if s + 1 < n {
            return starts;
        }
        let worse = |t: usize| band_width(widths, &(a..t)).max(band_width(widths, &(t..n)));
        let best = (a + 1..n)
            .filter(|&t| worse(t) <= cap + 1e-6)
            .min_by(|&t, &u| worse(t).total_cmp(&worse(u)).then(u.cmp(&t)))
            .unwrap_or(s);
        *starts.last_mut().expect("two bands") = best;
    }
    starts
}

/// Splits the columns (their widths, and how many links cross from each to
/// the next) into bands: one if the drawing fits in [`MAX_WIDTH`], else as
/// many columns per band as fit, in reading order ([`pack_even`]). Returns
/// the bands and the drawing's width.
fn split(widths: &[f64], crossings: &[usize]) -> (Vec<Range<usize>>, f64) {
    let n = widths.len();
    let whole = 0..n;
    let total = band_width(widths, &whole);
    if total + 2.0 * MARGIN <= MAX_WIDTH || n <= 1 {
        return (vec![whole], total + 2.0 * MARGIN);
    }
    // Room for the most edges that could wrap at one band boundary.
    let (left, right) = gutters(crossings.iter().copied().max().unwrap_or(0));
    let mut starts = pack_even(widths, MAX_WIDTH - 2.0 * MARGIN - left - right);
    starts.push(n);
    let bands: Vec<Range<usize>> = starts.windows(2).map(|p| p[0]..p[1]).collect();
    let lanes = bands[1..]
        .iter()
        .map(|b| crossings[b.start - 1])
        .max()
        .unwrap_or(0);
    let (left, right) = gutters(lanes);
    let widest = bands
        .iter()
        .map(|b| band_width(widths, b))
        .fold(0.0, f64::max);
    (bands, widest + left + right + 2.0 * MARGIN)
}

/// Chooses the text size and the bands: the fewest bands that fit in
/// [`MAX_WIDTH`], then the largest font of [`FONT_SIZES`] for that count.
fn plan(graph: &Graph, g: &Layered, rows: &[Vec<usize>]) -> (Metrics, Vec<Range<usize>>) {
    let mut crossings = vec![0; rows.len()];
    for (u, outs) in g.outs.iter().enumerate() {
        crossings[g.layer[u]] += outs.len();
    }
    let mut best: Option<(bool, Metrics, Vec<Range<usize>>)> = None;
    for font in FONT_SIZES {
        let m = Metrics { font };
        let widths: Vec<f64> = rows
            .iter()
            .map(|row| {
                row.iter()
                    .filter_map(|&i| graph.nodes.get(i))
                    .map(|n| box_size(n, m).0)
                    .fold(0.0, f64::max)
            })
            .collect();
        let (bands, width) = split(&widths, &crossings);
        let fits = width <= MAX_WIDTH;
        let better = match &best {
            None => true,
            Some((f, _, b)) => (fits && !f) || (fits == *f && bands.len() < b.len()),
        };
        if better {
            best = Some((fits, m, bands));
        }
    }
    let (_, m, bands) = best.expect("at least one font size");
    (m, bands)
}

/// Stacks each layer of a band (columns `cols`), then pulls every box towards
/// the mean height of its neighbours in the band, sweeping right and left a
/// few times. Heights are relative: the caller moves the band into place.
fn place_heights(
    rows: &[Vec<usize>],
    cols: &Range<usize>,
    g: &Layered,
    boxes: &mut [Rect],
    real: usize,
) {
    for row in rows {
        place_row(row, &vec![0.0; row.len()], boxes, real);
    }
    let near = |j: usize| cols.contains(&g.layer[j]);
    for sweep in 0..8 {
        let order: Vec<&Vec<usize>> = if sweep % 2 == 0 {
            rows.iter().collect()
        } else {
            rows.iter().rev().collect()
        };
        for row in order {
            let want: Vec<f64> = row
                .iter()
                .map(|&i| {
                    // Line the box's exit up with its users' ports, and its
                    // ports up with its inputs' exits.
                    let h = boxes[i].h;
                    let from_ins = g.ins[i]
                        .iter()
                        .filter(|&&(j, _)| near(j))
                        .map(|&(j, p)| boxes[j].centre_y() + (0.5 - p) * h);
                    let from_outs = g.outs[i]
                        .iter()
                        .filter(|&&(j, _)| near(j))
                        .map(|&(j, p)| boxes[j].y + p * boxes[j].h);
                    mean_of(from_ins.chain(from_outs)).unwrap_or(boxes[i].centre_y())
                })
                .collect();
            place_row(row, &want, boxes, real);
        }
    }
}

/// One link crossing from a band to the next: the edge, which link of its
/// chain, and the heights where it leaves and arrives.
struct Crossing {
    edge: usize,
    hop: usize,
    from_y: f64,
    to_y: f64,
}

/// Lays the graph out left to right, `top` px below the top margin; layers
/// that would make it wider than [`MAX_WIDTH`] wrap into bands, one under
/// the other.
fn layout(graph: &Graph, top: f64) -> Layout {
    let g = Layered::new(graph);
    let real = graph.nodes.len();
    let rows = order_layers(&g);
    let (m, bands) = plan(graph, &g, &rows);
    let mut boxes: Vec<Rect> = (0..g.layer.len())
        .map(|i| {
            let (w, h) = graph.nodes.get(i).map_or((0.0, PASS_H), |n| box_size(n, m));
            Rect {
                w,
                h,
                ..Rect::default()
            }
        })
        .collect();
    let mut band_of = vec![0; rows.len()];
    for (b, cols) in bands.iter().enumerate() {
        band_of[cols.clone()].fill(b);
    }
    let band_at = |i: usize| band_of[g.layer[i]];
    let mut lanes = vec![0usize; bands.len()];
    for (u, outs) in g.outs.iter().enumerate() {
        for &(v, _) in outs {
            if band_at(u) != band_at(v) {
                lanes[band_at(u)] += 1;
            }
        }
    }
    let (gutter_left, gutter_right) = gutters(lanes.iter().copied().max().unwrap_or(0));
    let left = MARGIN + gutter_left;

    // Columns, band by band, each band starting at the left.
    let mut exits = vec![0.0; boxes.len()];
    let mut band_right = vec![left; bands.len()];
    for (b, cols) in bands.iter().enumerate() {
        let mut x = left;
        for row in &rows[cols.clone()] {
            let width = row.iter().map(|&i| boxes[i].w).fold(0.0, f64::max);
            for &i in row {
                boxes[i].x = x;
                exits[i] = x + width;
                if i >= real {
                    boxes[i].w = width;
                }
            }
            band_right[b] = x + width;
            x += width + LAYER_GAP;
        }
    }

    // Heights, band by band, each band below the previous one.
    let mut y = MARGIN + top;
    let mut band_bottom = vec![0.0; bands.len()];
    let mut gaps = vec![0.0; bands.len()];
    for (b, cols) in bands.iter().enumerate() {
        let band_rows = &rows[cols.clone()];
        place_heights(band_rows, cols, &g, &mut boxes, real);
        let members = || band_rows.iter().flatten().copied();
        let band_top = members().map(|i| boxes[i].y).fold(f64::INFINITY, f64::min);
        for i in members() {
            boxes[i].y = (boxes[i].y - band_top + y).round();
        }
        band_bottom[b] = members().map(|i| boxes[i].y + boxes[i].h).fold(y, f64::max);
        gaps[b] = BAND_GAP + lanes[b].saturating_sub(1) as f64 * LANE_SP;
        y = band_bottom[b] + gaps[b];
    }
    let height = band_bottom.last().copied().unwrap_or(y) + MARGIN;
    let width = band_right.iter().copied().fold(0.0, f64::max) + gutter_right + MARGIN;

    // Where each edge enters a node of its chain (the user: at its argument's port).
    let chain = |k: usize| -> Vec<usize> {
        let e = &graph.edges[k];
        std::iter::once(e.from)
            .chain(g.chains[k].iter().copied())
            .chain(std::iter::once(e.to))
            .collect()
    };
    let entry = |k: usize, i: usize| -> (f64, f64) {
        let e = &graph.edges[k];
        if i == e.to {
            let ports = graph.nodes[e.to].inputs.len();
            (boxes[i].x, boxes[i].y + boxes[i].h * port(e.arg, ports))
        } else {
            (boxes[i].x, boxes[i].centre_y())
        }
    };

    // The links crossing each band boundary, ordered so that they do not
    // cross each other: the lowest source takes the highest lane, the
    // innermost run on the right and the outermost on the left.
    let mut crossing: Vec<Vec<Crossing>> = (0..bands.len()).map(|_| Vec::new()).collect();
    for k in 0..graph.edges.len() {
        let nodes = chain(k);
        for (hop, pair) in nodes.windows(2).enumerate() {
            let (u, v) = (pair[0], pair[1]);
            if band_at(u) != band_at(v) {
                crossing[band_at(u)].push(Crossing {
                    edge: k,
                    hop,
                    from_y: boxes[u].centre_y(),
                    to_y: entry(k, v).1,
                });
            }
        }
    }
    let mut lane_of: BTreeMap<(usize, usize), Step> = BTreeMap::new();
    for (b, list) in crossing.iter_mut().enumerate() {
        list.sort_by(|p, q| {
            q.from_y
                .total_cmp(&p.from_y)
                .then(q.to_y.total_cmp(&p.to_y))
                .then(p.edge.cmp(&q.edge))
        });
        let count = list.len();
        let first = band_bottom[b] + (gaps[b] - count.saturating_sub(1) as f64 * LANE_SP) / 2.0;
        for (i, c) in list.iter().enumerate() {
            lane_of.insert(
                (c.edge, c.hop),
                Step::Wrap {
                    right: band_right[b] + GUTTER_RIGHT + i as f64 * LANE_SP,
                    lane: first + i as f64 * LANE_SP,
                    left: left - GUTTER_LEFT - (count - 1 - i) as f64 * LANE_SP,
                    to: (0.0, 0.0),
                },
            );
        }
    }

    let paths = graph
        .edges
        .iter()
        .enumerate()
        .map(|(k, e)| {
            let src = boxes[e.from];
            let start = (src.x + src.w, src.centre_y());
            let mut steps = Vec::new();
            // Straight out to the column's edge, clear of wider boxes above and below.
            if exits[e.from] > start.0 {
                steps.push(Step::Line(exits[e.from], start.1));
            }
            for (hop, pair) in chain(k).windows(2).enumerate() {
                let (u, v) = (pair[0], pair[1]);
                let to = entry(k, v);
                match lane_of.get(&(k, hop)) {
                    Some(&Step::Wrap {
                        right, lane, left, ..
                    }) if band_at(u) != band_at(v) => steps.push(Step::Wrap {
                        right,
                        lane,
                        left,
                        to,
                    }),
                    _ => steps.push(Step::Curve(to.0, to.1)),
                }
                if v != e.to {
                    steps.push(Step::Line(boxes[v].x + boxes[v].w, to.1));
                }
            }
            (start, steps)
        })
        .collect();
    let routes = g
        .chains
        .iter()
        .map(|c| c.iter().map(|&v| boxes[v]).collect())
        .collect();
    boxes.truncate(real);
    Layout {
        boxes,
        routes,
        paths,
        metrics: m,
        width: width.max(2.0 * MARGIN),
        height: height.max(2.0 * MARGIN),
    }
}

// ---------------------------------------------------------------------------
// SVG
// ---------------------------------------------------------------------------

/// Escapes the five XML special characters.
fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            _ => out.push(c),
        }
    }
    out
}

/// The style sheet, for box text of `font` px.
fn svg_style(font: f64) -> String {
    format!(
        "
  .node text {{ font-family: 'DejaVu Sans Mono', Menlo, Consolas, monospace; font-size: {font}px; fill: #222222; }}
  .node text.title {{ font-weight: bold; }}
  .node.constant text {{ fill: #555555; }}
  .node text.on-dark {{ fill: #ffffff; }}
  .edge path {{ fill: none; stroke: #666666; stroke-width: 1.2; }}
  .edge text {{ font-family: monospace; font-size: {SMALL_FONT}px; font-weight: bold; fill: #a03030;
               paint-order: stroke; stroke: #ffffff; stroke-width: 4px; stroke-linejoin: round; }}
  .legend text {{ font-family: 'DejaVu Sans Mono', Menlo, Consolas, monospace; font-size: {SMALL_FONT}px; fill: #222222; }}
"
    )
}

/// The document's opening: XML declaration, root element, style, arrowhead
/// and the legend's colour gradient.
fn svg_header(out: &mut String, width: f64, height: f64, font: f64) {
    let _ = writeln!(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
    let _ = writeln!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width:.0}\" height=\"{height:.0}\" \
         viewBox=\"0 0 {width:.0} {height:.0}\" font-family=\"monospace\" xml:space=\"preserve\">"
    );
    let _ = writeln!(out, "<style>{}</style>", svg_style(font));
    let stops: String = SCALE
        .iter()
        .enumerate()
        .map(|(i, &rgb)| {
            format!(
                "<stop offset=\"{:.3}\" stop-color=\"{}\"/>",
                i as f64 / (SCALE.len() - 1) as f64,
                hex(rgb)
            )
        })
        .collect();
    let _ = writeln!(
        out,
        "<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"9\" \
         markerHeight=\"9\" markerUnits=\"userSpaceOnUse\" orient=\"auto\">\
         <path d=\"M0,0 L10,5 L0,10 z\" fill=\"#666666\"/></marker>\
         <linearGradient id=\"grad-scale\">{stops}</linearGradient></defs>"
    );
    let _ = writeln!(
        out,
        "<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>"
    );
}

/// What the gradient colours mean, in one line.
fn legend_caption(scale: &GradScale) -> String {
    let mut s = String::from("gradient colour: log10 of its Frobenius norm ‖∂loss/∂node‖");
    if scale.flat() {
        let _ = write!(s, ", all {}", size_text(10f64.powf(scale.lo)));
    } else {
        let _ = write!(
            s,
            ", pale = {} (smallest here) … dark = {} (largest)",
            size_text(10f64.powf(scale.lo)),
            size_text(10f64.powf(scale.hi))
        );
    }
    if scale.zero {
        s.push_str("; 0 = palest");
    }
    s
}

/// Width the legend needs, margins included.
fn legend_width(scale: &GradScale) -> f64 {
    let caption = legend_caption(scale).chars().count() as f64 * SMALL_FONT * CHAR_EM;
    caption.max(BAR_W + 90.0) + 2.0 * MARGIN
}

/// The legend strip at the top left: the caption, the colour bar with its
/// ends and the powers of ten between them labelled, and a swatch for zero.
fn svg_legend(out: &mut String, scale: &GradScale) {
    let _ = writeln!(
        out,
        "<g id=\"legend\" class=\"legend\" transform=\"translate({MARGIN:.1},{MARGIN:.1})\">"
    );
    let _ = writeln!(
        out,
        "<text x=\"0\" y=\"10\">{}</text>",
        xml_escape(&legend_caption(scale))
    );
    let (bar_y, bar_h) = (18.0, 14.0);
    let mut x0 = 0.0;
    if scale.zero {
        let _ = writeln!(
            out,
            "<rect x=\"0\" y=\"{bar_y:.1}\" width=\"{bar_h:.1}\" height=\"{bar_h:.1}\" fill=\"{}\" stroke=\"#888888\" stroke-width=\"0.6\"/>",
            hex(scale_rgb(0.0))
        );
        let _ = writeln!(
            out,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">0</text>",
            bar_h / 2.0,
            bar_y + bar_h + 13.0
        );
        x0 = bar_h + 12.0;
    }
    let _ = writeln!(
        out,
        "<rect x=\"{x0:.1}\" y=\"{bar_y:.1}\" width=\"{BAR_W:.1}\" height=\"{bar_h:.1}\" fill=\"url(#grad-scale)\" stroke=\"#888888\" stroke-width=\"0.6\"/>"
    );
    let label_y = bar_y + bar_h + 13.0;
    let tick = |out: &mut String, x: f64, text: &str, anchor: &str| {
        let _ = writeln!(
            out,
            "<line x1=\"{x:.1}\" y1=\"{:.1}\" x2=\"{x:.1}\" y2=\"{:.1}\" stroke=\"#444444\" stroke-width=\"1\"/>\
             <text x=\"{x:.1}\" y=\"{label_y:.1}\" text-anchor=\"{anchor}\">{text}</text>",
            bar_y + bar_h,
            bar_y + bar_h + 3.0
        );
    };
    if scale.flat() {
        let text = size_text(10f64.powf(scale.lo));
        tick(out, x0 + BAR_W / 2.0, &text, "middle");
    } else {
        let at = |l: f64| x0 + BAR_W * (l - scale.lo) / (scale.hi - scale.lo);
        let (lo_text, hi_text) = (
            size_text(10f64.powf(scale.lo)),
            size_text(10f64.powf(scale.hi)),
        );
        tick(out, x0, &lo_text, "start");
        tick(out, x0 + BAR_W, &hi_text, "end");
        // Powers of ten in between, every `step`-th so that they stay apart,
        // and clear of the two ends' labels.
        let char_w = SMALL_FONT * CHAR_EM;
        let (first, last) = (scale.lo.ceil() as i32, scale.hi.floor() as i32);
        let span = (last - first + 1).max(1);
        let step = (1..=span)
            .find(|s| BAR_W * f64::from(*s) / (scale.hi - scale.lo) >= 6.0 * char_w + 8.0)
            .unwrap_or(span);
        let mut d = first;
        while d <= last {
            let x = at(f64::from(d));
            let text = decade_text(d);
            let half = text.chars().count() as f64 * char_w / 2.0;
            let clear_lo = x - half > x0 + lo_text.chars().count() as f64 * char_w + 6.0;
            let clear_hi = x + half < x0 + BAR_W - hi_text.chars().count() as f64 * char_w - 6.0;
            if clear_lo && clear_hi {
                tick(out, x, &text, "middle");
            }
            d += step;
        }
    }
    out.push_str("</g>\n");
}

/// Tooltip text: `#5 output_input = matmul(#3, #4)` or `#1 W1 (param)`.
fn node_title(node: &GraphNode) -> String {
    if node.inputs.is_empty() {
        format!("#{} {} ({})", node.id, label_of(node), node.op)
    } else {
        let args: Vec<String> = node.inputs.iter().map(|i| format!("#{i}")).collect();
        format!(
            "#{} {} = {}({})",
            node.id,
            label_of(node),
            node.op,
            args.join(", ")
        )
    }
}

fn kind_class(kind: NodeKind) -> &'static str {
    match kind {
        NodeKind::Param => "param",
        NodeKind::Constant => "constant",
        NodeKind::Op => "op",
    }
}

/// One node: a group translated to its box, with header band, section rules
/// and text; the gradient section filled by `grad_fill` when given.
fn svg_node(out: &mut String, node: &GraphNode, b: Rect, m: Metrics, grad_fill: Option<[u8; 3]>) {
    let (fill, border, stroke_w) = colours(node.kind);
    let body = if node.kind == NodeKind::Constant {
        "#f6f6f6"
    } else {
        "#ffffff"
    };
    let _ = writeln!(
        out,
        "<g id=\"node-{}\" class=\"node {}\" transform=\"translate({:.1},{:.1})\">",
        node.id,
        kind_class(node.kind),
        b.x,
        b.y
    );
    let _ = writeln!(out, "<title>{}</title>", xml_escape(&node_title(node)));
    let _ = writeln!(
        out,
        "<rect width=\"{:.1}\" height=\"{:.1}\" fill=\"{body}\"/>",
        b.w, b.h
    );
    let mut y = 0.0;
    for (s, lines) in sections(node).iter().enumerate() {
        let h = lines.len() as f64 * m.line_h() + 2.0 * PAD_Y;
        let mut dark = false;
        if s == 0 {
            let _ = writeln!(
                out,
                "<rect width=\"{:.1}\" height=\"{h:.1}\" fill=\"{fill}\"/>",
                b.w
            );
        } else {
            if let (2, Some(rgb)) = (s, grad_fill) {
                dark = is_dark(rgb);
                let _ = writeln!(
                    out,
                    "<rect class=\"grad\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{}\"/>",
                    b.w,
                    b.h - y,
                    hex(rgb)
                );
            }
            let _ = writeln!(out, "<line x1=\"0\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\" stroke=\"{border}\" stroke-width=\"0.6\"/>", b.w);
        }
        for (k, line) in lines.iter().enumerate() {
            let class = if s == 0 && k == 0 {
                " class=\"title\""
            } else if dark {
                " class=\"on-dark\""
            } else {
                ""
            };
            let baseline = y + PAD_Y + k as f64 * m.line_h() + m.baseline();
            let _ = writeln!(
                out,
                "<text{class} x=\"{PAD_X:.1}\" y=\"{baseline:.1}\">{}</text>",
                xml_escape(line)
            );
        }
        y += h;
    }
    let _ = writeln!(
        out,
        "<rect width=\"{:.1}\" height=\"{:.1}\" fill=\"none\" stroke=\"{border}\" stroke-width=\"{stroke_w:.1}\"/>",
        b.w, b.h
    );
    out.push_str("</g>\n");
}

/// Appends a cubic Bézier from `a` to `b`, leaving and arriving horizontally.
fn curve_to(d: &mut String, a: (f64, f64), b: (f64, f64)) {
    let dx = ((b.0 - a.0) / 2.0).max(20.0);
    let _ = write!(
        d,
        " C{:.1},{:.1} {:.1},{:.1} {:.1},{:.1}",
        a.0 + dx,
        a.1,
        b.0 - dx,
        b.1,
        b.0,
        b.1
    );
}

/// Appends the way from the end of one band (`a`) to the start of the next
/// (`to`): right, down to the lane between the bands, left, down and right
/// into `to`, with rounded corners.
fn wrap_to(d: &mut String, a: (f64, f64), right: f64, lane: f64, left: f64, to: (f64, f64)) {
    let r = CORNER;
    let _ = write!(
        d,
        " L{:.1},{:.1} Q{right:.1},{:.1} {right:.1},{:.1} L{right:.1},{:.1} Q{right:.1},{lane:.1} {:.1},{lane:.1} \
         L{:.1},{lane:.1} Q{left:.1},{lane:.1} {left:.1},{:.1} L{left:.1},{:.1} Q{left:.1},{:.1} {:.1},{:.1} L{:.1},{:.1}",
        right - r,
        a.1,
        a.1,
        a.1 + r,
        lane - r,
        right - r,
        left + r,
        lane + r,
        to.1 - r,
        to.1,
        left + r,
        to.1,
        to.0,
        to.1
    );
}

/// One edge: from the input's right side, through its slots in any skipped
/// layers and round any band ends, to the user's left side (one port per
/// argument); arrowhead at the user, argument label if the user has 2+ inputs.
fn svg_edge(out: &mut String, graph: &Graph, e: &Edge, lay: &Layout, k: usize) {
    let (start, steps) = &lay.paths[k];
    let mut d = format!("M{:.1},{:.1}", start.0, start.1);
    let mut at = *start;
    for step in steps {
        at = match *step {
            Step::Line(x, y) => {
                let _ = write!(d, " L{x:.1},{y:.1}");
                (x, y)
            }
            Step::Curve(x, y) => {
                curve_to(&mut d, at, (x, y));
                (x, y)
            }
            Step::Wrap {
                right,
                lane,
                left,
                to,
            } => {
                wrap_to(&mut d, at, right, lane, left, to);
                to
            }
        };
    }
    let (from, to) = (graph.nodes[e.from].id, graph.nodes[e.to].id);
    let _ = writeln!(out, "<g id=\"edge-{from}-{to}-{}\" class=\"edge\">", e.arg);
    let _ = writeln!(out, "<title>#{from} → #{to} (argument {})</title>", e.arg);
    let _ = writeln!(out, "<path d=\"{d}\" marker-end=\"url(#arrow)\"/>");
    if e.labelled {
        // On the line just before the arrowhead, cut out of it by a white halo.
        let _ = writeln!(
            out,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            at.0 - 11.0,
            at.1 + 3.5,
            e.arg
        );
    }
    out.push_str("</g>\n");
}

/// A standalone SVG document of the graph, laid out by this module.
///
/// Layers run left to right by longest path from the leaves (a leaf sits just
/// before its first user); within a layer, nodes are ordered by the
/// barycentre of their neighbours to reduce crossings and pulled towards them
/// vertically; an edge that skips layers gets a slot in each, so it runs
/// between boxes rather than through them. Boxes are sized to their monospace
/// text: `#id name`, op and shape, value, gradient. Edges are cubic Bézier
/// paths with arrowheads, labelled with the argument position when an op has
/// two or more inputs.
///
/// The drawing is at most [`MAX_WIDTH`] px wide: when the layers do not fit
/// in one row, they wrap into bands, one under the other (the fewest that
/// fit, balanced), and an edge from the end of one band to the start of the
/// next runs round the right end, along the gap between the bands and into
/// the next band from the left. The box text is 12, 11 or 10 px
/// ([`MIN_FONT_SIZE`]), the largest that needs no more bands.
///
/// When nodes carry a gradient size ([`GraphNode::grad_norm`]), each gradient
/// section is filled by the log10 of its size on a pale-to-dark-purple scale
/// spanning the graph's smallest to largest (an exactly zero gradient gets
/// the palest colour), with a legend above the graph: a caption, the colour
/// bar with its ends and powers of ten labelled, and a swatch for zero.
///
/// Each node is a `<g id="node-<id>">` with a `<title>`; each edge a
/// `<g id="edge-<from>-<to>-<arg>">`; the legend `<g id="legend">`. The output
/// is deterministic.
///
/// ```
/// use backprop::graph::{to_svg, GraphNode, NodeKind};
/// let leaf = |id, name: &str| GraphNode {
///     id,
///     name: Some(name.to_string()),
///     op: "param".to_string(),
///     kind: NodeKind::Param,
///     shape: vec![],
///     value: "2.0".to_string(),
///     grad: Some("3.0".to_string()),
///     grad_norm: Some(3.0),
///     inputs: vec![],
/// };
/// let product = GraphNode {
///     id: 2,
///     name: Some("prod".to_string()),
///     op: "mul".to_string(),
///     kind: NodeKind::Op,
///     shape: vec![],
///     value: "6.0".to_string(),
///     grad: Some("1.0".to_string()),
///     grad_norm: Some(1.0),
///     inputs: vec![0, 1],
/// };
/// let svg = to_svg(&[leaf(0, "a"), leaf(1, "b"), product]);
/// assert!(svg.contains("xmlns=\"http://www.w3.org/2000/svg\""));
/// assert!(svg.contains("id=\"node-2\"") && svg.contains("prod"));
/// assert!(svg.contains("id=\"legend\""));
/// assert_eq!(svg.matches("marker-end").count(), 2);
/// ```
pub fn to_svg(nodes: &[GraphNode]) -> String {
    let graph = Graph::new(nodes);
    let mut out = String::new();
    if graph.nodes.is_empty() {
        svg_header(&mut out, 200.0, 60.0, 12.0);
        out.push_str("<text x=\"20\" y=\"35\" font-size=\"12\" fill=\"#888888\">(empty graph)</text>\n</svg>\n");
        return out;
    }
    let scale = GradScale::new(&graph.nodes);
    let top = if scale.is_some() {
        LEGEND_H + LEGEND_GAP
    } else {
        0.0
    };
    let lay = layout(&graph, top);
    let width = scale
        .as_ref()
        .map_or(lay.width, |sc| lay.width.max(legend_width(sc)));
    svg_header(&mut out, width, lay.height, lay.metrics.font);
    if let Some(sc) = &scale {
        svg_legend(&mut out, sc);
    }
    for (k, e) in graph.edges.iter().enumerate() {
        svg_edge(&mut out, &graph, e, &lay, k);
    }
    for (node, b) in graph.nodes.iter().zip(&lay.boxes) {
        let fill = scale.as_ref().and_then(|sc| sc.colour(node));
        svg_node(&mut out, node, *b, lay.metrics, fill);
    }
    out.push_str("</svg>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(
        id: usize,
        name: Option<&str>,
        op: &str,
        kind: NodeKind,
        shape: &[usize],
        value: &str,
        inputs: &[usize],
    ) -> GraphNode {
        let grad = (kind != NodeKind::Constant).then(|| value.replace("0.", "-0."));
        let grad_norm = grad.as_deref().map(|g| frobenius_norm(&numbers(g)));
        GraphNode {
            id,
            name: name.map(str::to_string),
            op: op.to_string(),
            kind,
            shape: shape.to_vec(),
            value: value.to_string(),
            grad,
            grad_norm,
            inputs: inputs.to_vec(),
        }
    }

    /// The numbers in NumPy-printed text.
    fn numbers(text: &str) -> Vec<f64> {
        text.split(|c: char| c.is_whitespace() || c == '[' || c == ']')
            .filter_map(|t| t.parse().ok())
            .collect()
    }

    /// The notebook's 2-2-1 network on the XOR data.
    fn notebook() -> Vec<GraphNode> {
        use NodeKind::{Constant, Op, Param};
        let col4 = "[[0.61]\n [0.52]\n [0.58]\n [0.49]]";
        let mat42 = "[[0.5   0.5  ]\n [0.57  0.62 ]\n [0.59  0.55 ]\n [0.66  0.67 ]]";
        vec![
            node(
                0,
                Some("X"),
                "constant",
                Constant,
                &[4, 2],
                "[[0 0]\n [0 1]\n [1 0]\n [1 1]]",
                &[],
            ),
            node(
                1,
                Some("W1"),
                "param",
                Param,
                &[2, 2],
                "[[0.417 0.72 ]\n [0.    0.302]]",
                &[],
            ),
            node(
                2,
                Some("hidden_input"),
                "matmul",
                Op,
                &[4, 2],
                mat42,
                &[0, 1],
            ),
            node(
                3,
                Some("hidden_output"),
                "sigmoid",
                Op,
                &[4, 2],
                mat42,
                &[2],
            ),
            node(
                4,
                Some("W2"),
                "param",
                Param,
                &[2, 1],
                "[[0.147]\n [0.092]]",
                &[],
            ),
            node(
                5,
                Some("output_input"),
                "matmul",
                Op,
                &[4, 1],
                col4,
                &[3, 4],
            ),
            node(
                6,
                Some("predicted_output"),
                "sigmoid",
                Op,
                &[4, 1],
                col4,
                &[5],
            ),
            node(
                7,
                Some("y"),
                "constant",
                Constant,
                &[4, 1],
                "[[0]\n [1]\n [1]\n [0]]",
                &[],
            ),
            node(8, Some("loss"), "half_sse", Op, &[], "0.5036", &[6, 7]),
        ]
    }

    /// Checks that `doc` is well-formed XML: one root, balanced and properly
    /// nested tags, quoted attributes, only known entities, no raw `<` or `&`.
    fn check_well_formed(doc: &str) {
        let mut stack: Vec<String> = Vec::new();
        let mut roots = 0;
        let mut rest = doc;
        while !rest.is_empty() {
            let Some(lt) = rest.find('<') else {
                check_text(rest);
                assert!(rest.trim().is_empty(), "text after the root: {rest:?}");
                break;
            };
            check_text(&rest[..lt]);
            if !rest[..lt].trim().is_empty() {
                assert!(
                    !stack.is_empty(),
                    "text outside the root: {:?}",
                    &rest[..lt]
                );
            }
            rest = &rest[lt..];
            if let Some(r) = rest.strip_prefix("<?") {
                assert!(
                    stack.is_empty() && roots == 0,
                    "misplaced processing instruction"
                );
                rest = &r[r.find("?>").expect("unclosed <?") + 2..];
                continue;
            }
            if let Some(r) = rest.strip_prefix("<!--") {
                rest = &r[r.find("-->").expect("unclosed comment") + 3..];
                continue;
            }
            let gt = find_tag_end(rest);
            let tag = &rest[1..gt];
            rest = &rest[gt + 1..];
            if let Some(name) = tag.strip_prefix('/') {
                let open = stack
                    .pop()
                    .unwrap_or_else(|| panic!("</{name}> without opening tag"));
                assert_eq!(open, name.trim(), "mis-nested tags");
                continue;
            }
            let self_closing = tag.ends_with('/');
            let tag = tag.trim_end_matches('/');
            let name = check_tag(tag);
            if stack.is_empty() {
                roots += 1;
                assert_eq!(roots, 1, "more than one root element");
            }
            if !self_closing {
                stack.push(name);
            }
        }
        assert!(stack.is_empty(), "unclosed tags: {stack:?}");
        assert_eq!(roots, 1, "no root element");
    }

    /// Index of the `>` closing the tag at the start of `s`, skipping quoted values.
    fn find_tag_end(s: &str) -> usize {
        let mut quote = None;
        for (i, c) in s.char_indices().skip(1) {
            match (quote, c) {
                (None, '"' | '\'') => quote = Some(c),
                (Some(q), _) if c == q => quote = None,
                (None, '>') => return i,
                (None, '<') => panic!("raw '<' inside a tag: {s:.60}"),
                _ => {}
            }
        }
        panic!("unclosed tag: {s:.60}")
    }

    /// Checks a tag's name and `name="value"` attributes; returns the name.
    fn check_tag(tag: &str) -> String {
        let is_name = |s: &str| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || ":-_.".contains(c))
        };
        let (name, mut attrs) = tag.split_once(char::is_whitespace).unwrap_or((tag, ""));
        assert!(is_name(name), "bad tag name {name:?}");
        let mut seen = Vec::new();
        loop {
            attrs = attrs.trim_start();
            if attrs.is_empty() {
                break;
            }
            let eq = attrs
                .find('=')
                .unwrap_or_else(|| panic!("attribute without value in <{tag}>"));
            let key = attrs[..eq].trim();
            assert!(is_name(key), "bad attribute name {key:?}");
            assert!(!seen.contains(&key), "duplicate attribute {key}");
            seen.push(key);
            let after = attrs[eq + 1..].trim_start();
            let q = after.chars().next().expect("missing attribute value");
            assert!(q == '"' || q == '\'', "unquoted attribute {key} in <{tag}>");
            let end = after[1..].find(q).expect("unterminated attribute value");
            check_text(&after[1..1 + end]);
            attrs = &after[end + 2..];
        }
        name.to_string()
    }

    /// Text content and attribute values: no raw `<`, every `&` a known entity.
    fn check_text(text: &str) {
        assert!(!text.contains('<'), "raw '<' in text {text:?}");
        for (i, _) in text.match_indices('&') {
            let entity = &text[i..text[i..].find(';').map_or(text.len(), |e| i + e + 1)];
            let ok = ["&amp;", "&lt;", "&gt;", "&quot;", "&apos;"].contains(&entity)
                || (entity.starts_with("&#") && entity.ends_with(';') && entity.len() > 3);
            assert!(ok, "bad entity {entity:?} in {text:?}");
        }
    }

    /// The `translate(x,y)` of each node group, by id.
    fn positions(svg: &str) -> BTreeMap<usize, (f64, f64)> {
        let mut out = BTreeMap::new();
        for piece in svg.split("<g id=\"node-").skip(1) {
            let id = piece[..piece.find('"').unwrap()].parse().unwrap();
            let t = &piece[piece.find("translate(").unwrap() + 10..];
            let (x, y) = t[..t.find(')').unwrap()].split_once(',').unwrap();
            out.insert(id, (x.parse().unwrap(), y.parse().unwrap()));
        }
        out
    }

    /// The document after the legend (its edges and nodes).
    fn after_legend(svg: &str) -> &str {
        let legend = svg.find("<g id=\"legend\"").expect("a legend");
        let end = legend + svg[legend..].find("</g>").unwrap();
        &svg[end..]
    }

    #[test]
    fn notebook_svg_is_well_formed_and_complete() {
        let nodes = notebook();
        let svg = to_svg(&nodes);
        check_well_formed(&svg);
        assert!(svg.contains("xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(svg.contains("viewBox=\"0 0 "));
        for n in &nodes {
            assert!(
                svg.contains(&format!("id=\"node-{}\"", n.id)),
                "node-{} missing",
                n.id
            );
            assert!(svg.contains(&format!(">#{} {}</text>", n.id, n.name.as_deref().unwrap())));
        }
        assert_eq!(
            svg.matches("<title>").count(),
            nodes.len() + 8,
            "a title per node and per edge"
        );
        assert_eq!(svg.matches("marker-end").count(), 8);
        // Argument labels only on the two-input ops (matmul ×2, half_sse).
        assert_eq!(after_legend(&svg).matches("text-anchor=\"end\"").count(), 6);
    }

    #[test]
    fn inputs_are_left_of_their_users_and_boxes_do_not_overlap() {
        let nodes = notebook();
        let pos = positions(&to_svg(&nodes));
        assert_eq!(pos.len(), nodes.len());
        for n in &nodes {
            for i in &n.inputs {
                assert!(pos[i].0 < pos[&n.id].0, "#{i} not left of #{}", n.id);
            }
        }
        let graph = Graph::new(&nodes);
        let boxes = layout(&graph, 0.0).boxes;
        for (a, ra) in boxes.iter().enumerate() {
            for rb in &boxes[a + 1..] {
                let apart = ra.x + ra.w <= rb.x
                    || rb.x + rb.w <= ra.x
                    || ra.y + ra.h <= rb.y
                    || rb.y + rb.h <= ra.y;
                assert!(apart, "{ra:?} overlaps {rb:?}");
            }
        }
        // Leaves sit just before their user: W2 one column left of output_input.
        let columns: Vec<f64> = {
            let mut xs: Vec<f64> = pos.values().map(|p| p.0).collect();
            xs.sort_by(f64::total_cmp);
            xs.dedup();
            xs
        };
        let col = |id: usize| columns.iter().position(|&x| x == pos[&id].0).unwrap();
        assert_eq!(
            (col(0), col(2), col(4), col(5), col(7), col(8)),
            (0, 1, 2, 3, 4, 5)
        );
    }

    #[test]
    fn text_is_escaped() {
        let mut nodes = notebook();
        nodes[3].name = Some("a<b&\"c\" 'd'".to_string());
        nodes[3].value = "{x|y} <z> \\ end".to_string();
        let svg = to_svg(&nodes);
        check_well_formed(&svg);
        assert!(svg.contains("a&lt;b&amp;&quot;c&quot; &apos;d&apos;"));
        assert!(!svg.contains("a<b"));
        let dot = to_dot(&nodes);
        assert!(dot.contains("a\\<b&\\\"c\\\"\\ 'd'"), "{dot}");
        assert!(dot.contains("\\{x\\|y\\}\\ \\<z\\>\\ \\\\\\ end"), "{dot}");
        assert!(!dot.contains("a<b"));
        // Every quote in the DOT text is escaped or closes a string it opened.
        for line in dot.lines() {
            let bare = line.replace("\\\\", "").replace("\\\"", "");
            assert_eq!(
                bare.matches('"').count() % 2,
                0,
                "unbalanced quotes: {line}"
            );
        }
    }

    #[test]
    fn dot_has_every_node_and_edge() {
        let nodes = notebook();
        let dot = to_dot(&nodes);
        assert!(
            dot.starts_with("digraph")
                && dot.contains("rankdir=LR")
                && dot.trim_end().ends_with('}')
        );
        for n in &nodes {
            assert!(dot.contains(&format!(
                "  n{} [label=\"#{}\\ {}\\l",
                n.id,
                n.id,
                n.name.as_deref().unwrap()
            )));
            for (arg, i) in n.inputs.iter().enumerate() {
                let edge = format!("n{i} -> n{}", n.id);
                assert!(dot.contains(&edge), "{edge} missing");
                if n.inputs.len() >= 2 {
                    assert!(dot.contains(&format!("{edge} [label=\"{arg}\"]")));
                }
            }
        }
        assert_eq!(dot.matches(" -> ").count(), 8);
        assert!(!dot.contains('\n') || dot.lines().all(|l| !l.contains("\\n")));
    }

    #[test]
    fn empty_and_single_node() {
        let empty = to_svg(&[]);
        check_well_formed(&empty);
        assert!(empty.contains("viewBox") && empty.contains("(empty graph)"));
        assert_eq!(to_dot(&[]).matches(" -> ").count(), 0);
        let one = [node(0, None, "param", NodeKind::Param, &[], "1.5", &[])];
        let svg = to_svg(&one);
        check_well_formed(&svg);
        assert!(svg.contains("id=\"node-0\"") && svg.contains(">#0 param</text>"));
        assert!(to_dot(&one).contains("n0 [label="));
    }

    #[test]
    fn repeated_missing_and_sparse_inputs() {
        use NodeKind::{Constant, Op};
        let nodes = [
            node(0, Some("x"), "constant", Constant, &[], "3", &[]),
            node(1, None, "mul", Op, &[], "9", &[0, 0]),
            node(4, None, "add", Op, &[], "12", &[1, 0, 3]),
            node(7, Some("out"), "sum", Op, &[], "12", &[4, 9]),
            node(4, Some("duplicate"), "neg", Op, &[], "0", &[]),
        ];
        let svg = to_svg(&nodes);
        check_well_formed(&svg);
        assert!(svg.contains("id=\"edge-0-1-0\"") && svg.contains("id=\"edge-0-1-1\""));
        assert!(!svg.contains("edge-3-") && !svg.contains("edge-9-") && !svg.contains("duplicate"));
        assert_eq!(svg.matches("<g id=\"node-").count(), 4);
        let pos = positions(&svg);
        assert!(pos[&0].0 < pos[&1].0 && pos[&1].0 < pos[&4].0 && pos[&4].0 < pos[&7].0);
        let dot = to_dot(&nodes);
        assert_eq!(dot.matches("n0 -> n1 ").count(), 2);
        assert!(dot.contains("n0 -> n4 [label=\"1\"]") && !dot.contains("n3 ->"));
    }

    #[test]
    fn huge_values_are_clipped() {
        let long = vec!["0.123456789 ".repeat(50); 1000].join("\n");
        let mut nodes = notebook();
        nodes[2].value = long.clone();
        nodes[2].grad = Some(long);
        nodes[2].name = Some("n".repeat(500));
        let svg = to_svg(&nodes);
        check_well_formed(&svg);
        assert!(svg.len() < 40_000, "{} bytes", svg.len());
        for text in after_legend(&svg).split("<text").skip(1) {
            let content = &text[text.find('>').unwrap() + 1..text.find("</text>").unwrap()];
            assert!(content.chars().count() <= MAX_LINE_CHARS + 6, "{content}");
        }
        assert!(svg.contains("…</text>"));
        let lines = clip_lines(&vec!["x"; 100].join("\n"));
        assert_eq!(
            (lines.len(), lines[MAX_LINES - 1].as_str()),
            (MAX_LINES, "…")
        );
        assert!(to_dot(&nodes).len() < 20_000);
    }

    /// Skip connections, a repeated input, a three-input op and a huge leaf.
    fn skip_graph() -> Vec<GraphNode> {
        use NodeKind::{Constant, Op, Param};
        let big = vec!["[0.123456789 0.123456789 0.123456789 0.123456789 0.123456789 0.1]"; 30]
            .join("\n");
        vec![
            node(0, Some("w"), "param", Param, &[3], "[1. 2. 3.]", &[]),
            node(1, Some("data"), "constant", Constant, &[30, 6], &big, &[]),
            node(4, None, "mul", Op, &[3], "[1. 4. 9.]", &[0, 0]),
            node(7, None, "add3", Op, &[3], "[2. 6. 12.]", &[4, 1, 0]),
            node(9, None, "tanh", Op, &[3], "[0.96 1. 1.]", &[7]),
            node(10, None, "add", Op, &[3], "[1.96 5. 10.]", &[9, 4]),
            node(12, Some("total"), "sum", Op, &[], "16.96", &[10]),
        ]
    }

    #[test]
    fn long_edges_pass_between_boxes() {
        let nodes = skip_graph();
        let graph = Graph::new(&nodes);
        let lay = layout(&graph, 0.0);
        let routes: Vec<&Rect> = lay.routes.iter().flatten().collect();
        assert_eq!(routes.len(), 3, "0→7 skips one layer, 4→10 skips two");
        for r in routes {
            for b in &lay.boxes {
                let apart =
                    r.x + r.w <= b.x || b.x + b.w <= r.x || r.y + r.h <= b.y || b.y + b.h <= r.y;
                assert!(apart, "edge slot {r:?} runs through box {b:?}");
            }
        }
        let svg = to_svg(&nodes);
        check_well_formed(&svg);
        // 3 runs through skipped layers, 2 out of #4 (narrower than #1 beside it).
        let edge_paths = svg.lines().filter(|l| l.contains("marker-end"));
        let runs: usize = edge_paths.map(|l| l.matches(" L").count()).sum();
        assert_eq!(runs, 5);
    }

    /// A chain of `layers` matmul/sigmoid layers with 8×8-wide text, like the walkthrough's.
    fn wide_chain(layers: usize) -> Vec<GraphNode> {
        use NodeKind::{Constant, Op, Param};
        let row = "[0.37454012 0.95071431 0.73199394 0.59865848 0.15601864 0.15599452\n 0.05808361 0.86617615]";
        let wide = [row; 8].join("\n");
        let mut nodes = vec![node(
            0,
            Some("X"),
            "constant",
            Constant,
            &[4, 2],
            "[[0. 1.]]",
            &[],
        )];
        let mut prev = 0;
        for k in 1..=layers {
            let id = nodes.len();
            let w = format!("W{k}");
            nodes.push(node(id, Some(&w), "param", Param, &[8, 8], &wide, &[]));
            nodes.push(node(
                id + 1,
                None,
                "matmul",
                Op,
                &[4, 8],
                &wide,
                &[prev, id],
            ));
            nodes.push(node(id + 2, None, "sigmoid", Op, &[4, 8], &wide, &[id + 1]));
            prev = id + 2;
        }
        nodes
    }

    #[test]
    fn wide_graphs_wrap_into_bands_with_edges_in_the_gaps() {
        for layers in [3, 5, 9] {
            let nodes = wide_chain(layers);
            let graph = Graph::new(&nodes);
            let lay = layout(&graph, 0.0);
            assert!(lay.width <= MAX_WIDTH, "{layers} layers: {}", lay.width);
            assert!(lay.metrics.font >= MIN_FONT_SIZE);
            let apart = |a: &Rect, b: &Rect| {
                a.x + a.w <= b.x || b.x + b.w <= a.x || a.y + a.h <= b.y || b.y + b.h <= a.y
            };
            for (i, a) in lay.boxes.iter().enumerate() {
                for b in &lay.boxes[i + 1..] {
                    assert!(apart(a, b), "{a:?} overlaps {b:?}");
                }
            }
            let mut wraps = 0;
            for (_, steps) in &lay.paths {
                for step in steps {
                    if let Step::Wrap {
                        right,
                        lane,
                        left,
                        to,
                    } = *step
                    {
                        wraps += 1;
                        // The three runs (right, along the lane, left) miss every box.
                        let runs = [
                            Rect {
                                x: right,
                                y: 0.0,
                                w: 0.0,
                                h: lane,
                            },
                            Rect {
                                x: left,
                                y: lane,
                                w: right - left,
                                h: 0.0,
                            },
                            Rect {
                                x: left,
                                y: lane,
                                w: 0.0,
                                h: to.1 - lane,
                            },
                        ];
                        for r in &runs {
                            for b in &lay.boxes {
                                let clear = r.x + r.w < b.x
                                    || b.x + b.w < r.x
                                    || r.y + r.h < b.y
                                    || b.y + b.h < r.y;
                                assert!(clear, "run {r:?} crosses {b:?}");
                            }
                        }
                        assert!(right > left && to.0 > left && to.1 > lane);
                    }
                }
            }
            assert!(wraps >= 1, "{layers} layers do not fit in one row");
            let svg = to_svg(&nodes);
            check_well_formed(&svg);
            assert!(svg.contains(" Q"), "rounded corners");
        }
        // The right runs clear the boxes too (beside the band's last column).
        let lay = layout(&Graph::new(&wide_chain(5)), 0.0);
        let right_edge = lay.boxes.iter().map(|b| b.x + b.w).fold(0.0, f64::max);
        for (_, steps) in &lay.paths {
            for step in steps {
                if let Step::Wrap { right, .. } = step {
                    assert!(*right > right_edge);
                }
            }
        }
    }

    #[test]
    fn gradient_colours_follow_the_log_of_the_size() {
        assert_eq!(frobenius_norm(&[3.0, -4.0]), 5.0);
        assert_eq!(frobenius_norm(&[0.0, 0.0]), 0.0);
        assert!((frobenius_norm(&[3e-200, 4e-200]) / 5e-200 - 1.0).abs() < 1e-12);
        assert!((frobenius_norm(&[3e200, 4e200]) / 5e200 - 1.0).abs() < 1e-12);
        assert!(frobenius_norm(&[1.0, f64::NAN]).is_nan());
        let mut nodes = notebook();
        let norms = [
            None,
            Some(1e-6),
            Some(0.0),
            Some(1e-4),
            Some(1e-2),
            Some(f64::NAN),
            Some(1.0),
            None,
            Some(1.0),
        ];
        for (n, v) in nodes.iter_mut().zip(norms) {
            n.grad_norm = v;
        }
        let graph = Graph::new(&nodes);
        let scale = GradScale::new(&graph.nodes).unwrap();
        assert_eq!((scale.lo, scale.hi, scale.zero), (-6.0, 0.0, true));
        assert_eq!(scale.position(1e-4), Some(1.0 / 3.0));
        assert_eq!(scale.position(0.0), Some(0.0));
        assert_eq!(scale.position(f64::NAN), None);
        let lightness = |rgb: [u8; 3]| rgb.iter().map(|&c| u32::from(c)).sum::<u32>();
        let colours: Vec<u32> = [1e-6, 1e-4, 1e-2, 1.0]
            .iter()
            .map(|&v| lightness(scale_rgb(scale.position(v).unwrap())))
            .collect();
        assert!(colours.windows(2).all(|p| p[0] > p[1]), "{colours:?}");
        assert!(!is_dark(scale_rgb(0.0)) && is_dark(scale_rgb(1.0)));
        let svg = to_svg(&nodes);
        check_well_formed(&svg);
        let legend = &svg[svg.find("<g id=\"legend\"").unwrap()..];
        let legend = &legend[..legend.find("</g>").unwrap()];
        for label in [
            ">1e-6</text>",
            ">1</text>",
            ">0</text>",
            ">1e-4</text>",
            ">0.01</text>",
        ] {
            assert!(legend.contains(label), "{label} in {legend}");
        }
        // Zero: palest; NaN and no norm: no fill; dark fills get white text.
        assert_eq!(svg.matches("class=\"grad\"").count(), 6);
        assert!(svg.contains(&format!("fill=\"{}\"", hex(scale_rgb(0.0)))));
        assert!(svg.contains("class=\"on-dark\""));
        assert!(!svg.contains("NaN") && !svg.contains("inf"));
        let dot = to_dot(&nodes);
        assert!(dot.contains(&format!("fillcolor=\"{}\"", hex(scale_rgb(1.0)))));
        assert!(dot.contains("fontcolor=\"#ffffff\""));
        // One size only: mid-scale, labelled once.
        for n in nodes.iter_mut() {
            n.grad_norm = n.grad_norm.map(|_| 0.5);
        }
        let svg = to_svg(&nodes);
        assert!(svg.contains(&format!("fill=\"{}\"", hex(scale_rgb(0.5)))));
        assert!(svg.contains(">0.5</text>"));
        // No sizes at all: no legend, today's look.
        for n in nodes.iter_mut() {
            n.grad_norm = None;
        }
        let svg = to_svg(&nodes);
        assert!(!svg.contains("legend\"") && !svg.contains("class=\"grad\""));
        assert!(!to_dot(&nodes).contains("label=\"gradient"));
    }

    #[test]
    fn every_font_is_at_least_the_minimum() {
        for nodes in [notebook(), wide_chain(5), skip_graph(), vec![]] {
            let svg = to_svg(&nodes);
            for piece in svg.split("font-size").skip(1) {
                let v = piece.trim_start_matches(['=', ':', ' ', '"']);
                let end = v.find(|c: char| !c.is_ascii_digit()).unwrap();
                assert!(
                    v[..end].parse::<f64>().unwrap() >= MIN_FONT_SIZE,
                    "{piece:.30}"
                );
            }
        }
    }

    #[test]
    fn output_is_deterministic() {
        let nodes = notebook();
        assert_eq!(to_svg(&nodes), to_svg(&nodes));
        assert_eq!(to_dot(&nodes), to_dot(&nodes));
    }
}
