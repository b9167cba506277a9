//! The walkthrough's graph as a lesson (issue 10): every network of up to 6
//! layers (and one of 7) of at most 8 units draws within 1600 px with text of
//! at least 10 px, boxes apart and edges joining the right boxes; gradient
//! sections are coloured by the log of their size, with a legend, so that W1's
//! small gradient looks different from the last layer's.

#[path = "common/cli.rs"]
mod cli;

use std::collections::BTreeMap;

use backprop::graph::{to_dot, to_svg, GraphNode, MAX_WIDTH, MIN_FONT_SIZE};
use backprop::walkthrough::{begin, Settings};

/// The first step's graph of the network with these layer sizes.
fn nodes(layers: &[usize]) -> Vec<GraphNode> {
    let settings = Settings {
        layers: layers.to_vec(),
        ..Settings::default()
    };
    begin(&settings).expect("a valid network").graph
}

/// The value of attribute `name` in the tag (or DOT attribute list) starting
/// at the beginning of `tag`.
fn attr<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let tag = &tag[..tag.find('>').unwrap_or(tag.len())];
    let key = format!(" {name}=\"");
    let at = tag.find(&key)? + key.len();
    Some(&tag[at..at + tag[at..].find('"')?])
}

/// The root element's width and height.
fn size(svg: &str) -> (f64, f64) {
    let root = &svg[svg.find("<svg").expect("a root element")..];
    let num = |n| attr(root, n).unwrap().parse::<f64>().unwrap();
    (num("width"), num("height"))
}

/// Every font size in the document: `font-size` attributes and CSS `font-size: Npx`.
fn font_sizes(svg: &str) -> Vec<f64> {
    let mut out = Vec::new();
    for piece in svg.split("font-size").skip(1) {
        let v = piece.trim_start_matches(['=', ':', ' ', '"']);
        let end = v
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(v.len());
        out.push(
            v[..end]
                .parse::<f64>()
                .unwrap_or_else(|_| panic!("font-size{piece:.20}")),
        );
    }
    out
}

/// A node's box: its group's translation and its first rect's size.
#[derive(Debug, Clone, Copy)]
struct Box {
    x: f64,
    y: f64,
    w: f64,
    h: f64,
}

/// Each node group's box and content, by id.
fn boxes(svg: &str) -> BTreeMap<usize, (Box, String)> {
    let mut out = BTreeMap::new();
    for piece in svg.split("<g id=\"node-").skip(1) {
        let group = &piece[..piece.find("</g>").unwrap()];
        let id = group[..group.find('"').unwrap()].parse().unwrap();
        let t = &group[group.find("translate(").unwrap() + 10..];
        let (x, y) = t[..t.find(')').unwrap()].split_once(',').unwrap();
        let rect = &group[group.find("<rect").unwrap()..];
        let num = |n| attr(rect, n).unwrap().parse::<f64>().unwrap();
        let b = Box {
            x: x.parse().unwrap(),
            y: y.parse().unwrap(),
            w: num("width"),
            h: num("height"),
        };
        out.insert(id, (b, group.to_string()));
    }
    out
}

/// A point of a path.
type Point = (f64, f64);

/// Each edge's (from, to) ids and its path's first and last points.
fn edges(svg: &str) -> Vec<(usize, usize, Point, Point)> {
    let mut out = Vec::new();
    for piece in svg.split("<g id=\"edge-").skip(1) {
        let ids: Vec<usize> = piece[..piece.find('"').unwrap()]
            .split('-')
            .map(|s| s.parse().unwrap())
            .collect();
        let path = &piece[piece.find("<path").unwrap()..];
        let d = attr(path, "d").unwrap();
        let points: Vec<Point> = d
            .split(|c: char| c.is_ascii_alphabetic() || c == ' ')
            .filter(|s| !s.is_empty())
            .map(|p| {
                let (x, y) = p.split_once(',').unwrap();
                (x.parse().unwrap(), y.parse().unwrap())
            })
            .collect();
        out.push((ids[0], ids[1], points[0], *points.last().unwrap()));
    }
    out
}

/// The fill of the gradient section of the node named `name`.
fn grad_fill(svg: &str, name: &str) -> String {
    let (_, (_, group)) = boxes(svg)
        .into_iter()
        .find(|(id, (_, g))| g.contains(&format!("<title>#{id} {name} (")))
        .unwrap_or_else(|| panic!("no node {name}"));
    let rect = &group[group
        .find("<rect class=\"grad\"")
        .expect("a coloured gradient")..];
    attr(rect, "fill").unwrap().to_string()
}

/// The checks every network's drawing must pass.
fn check_readable(layers: &[usize], svg: &str) {
    let (width, height) = size(svg);
    assert!(width <= MAX_WIDTH, "{layers:?}: {width} px wide");
    assert!(width > 0.0 && height > 0.0);
    let fonts = font_sizes(svg);
    assert!(fonts.len() >= 3, "{layers:?}: font sizes {fonts:?}");
    assert!(
        fonts.iter().all(|&f| f >= MIN_FONT_SIZE && f >= 10.0),
        "{layers:?}: font sizes {fonts:?}"
    );
    assert!(svg.contains("<g id=\"legend\""), "{layers:?}: no legend");
    assert!(svg.contains("Frobenius norm"), "{layers:?}: legend caption");
    let boxes = boxes(svg);
    let all: Vec<(usize, Box)> = boxes.iter().map(|(&id, (b, _))| (id, *b)).collect();
    for (i, &(a, ra)) in all.iter().enumerate() {
        assert!(
            ra.x >= 0.0 && ra.x + ra.w <= width,
            "{layers:?}: #{a} outside"
        );
        assert!(
            ra.y >= 0.0 && ra.y + ra.h <= height,
            "{layers:?}: #{a} outside"
        );
        for &(b, rb) in &all[i + 1..] {
            let apart = ra.x + ra.w <= rb.x
                || rb.x + rb.w <= ra.x
                || ra.y + ra.h <= rb.y
                || rb.y + rb.h <= ra.y;
            assert!(apart, "{layers:?}: #{a} {ra:?} overlaps #{b} {rb:?}");
        }
    }
    // Below the legend.
    let legend_bottom = 20.0 + 54.0;
    assert!(
        all.iter().all(|(_, b)| b.y >= legend_bottom),
        "{layers:?}: a box under the legend"
    );
    // Every edge leaves its input's right side and ends on its user's left side.
    let edges = edges(svg);
    assert!(!edges.is_empty());
    for (from, to, start, end) in edges {
        let (s, t) = (boxes[&from].0, boxes[&to].0);
        assert!(
            (start.0 - (s.x + s.w)).abs() < 0.6 && start.1 > s.y && start.1 < s.y + s.h,
            "{layers:?}: edge {from}→{to} starts at {start:?}, not on {s:?}"
        );
        assert!(
            (end.0 - t.x).abs() < 0.6 && end.1 > t.y && end.1 < t.y + t.h,
            "{layers:?}: edge {from}→{to} ends at {end:?}, not on {t:?}"
        );
    }
}

#[test]
fn graph_width_and_font_size_for_every_network_up_to_6_layers_of_8_units() {
    let mut networks: Vec<Vec<usize>> = vec![
        vec![2, 2, 1],
        vec![2, 8, 8, 8, 8, 1],
        vec![2, 8, 8, 8, 8, 8, 1],
        vec![2, 5, 7, 3, 6, 1],
        vec![2, 8, 2, 8, 2, 8, 1],
    ];
    // Every depth up to 6 layers with hidden sizes 1, 3 or 8 (up to 4 hidden
    // layers), and every mix of 1 and 8 for 5 hidden layers.
    let mut grow = vec![vec![]];
    for depth in 1..=5 {
        grow = grow
            .into_iter()
            .flat_map(|h: Vec<usize>| {
                let sizes: &[usize] = if depth <= 4 { &[1, 3, 8] } else { &[1, 8] };
                sizes.iter().map(move |&s| [h.clone(), vec![s]].concat())
            })
            .collect();
        for hidden in &grow {
            networks.push([vec![2], hidden.clone(), vec![1]].concat());
        }
    }
    for layers in &networks {
        let svg = to_svg(&nodes(layers));
        check_readable(layers, &svg);
    }
}

#[test]
fn notebook_and_deep_graphs_fit_where_they_did_not() {
    // Before: 1811 px for 2,2,1 and 6106 px for 2,8,8,8,8,1.
    for layers in [&[2, 2, 1][..], &[2, 8, 8, 8, 8, 1], &[2, 8, 8, 8, 8, 8, 1]] {
        let svg = to_svg(&nodes(layers));
        let (width, _) = size(&svg);
        assert!((1000.0..=MAX_WIDTH).contains(&width), "{layers:?}: {width}");
        check_readable(layers, &svg);
    }
}

#[test]
fn gradient_colour_tells_small_gradients_from_large_ones() {
    let deep = nodes(&[2, 8, 8, 8, 8, 1]);
    let norm = |name: &str| {
        deep.iter()
            .find(|n| n.name.as_deref() == Some(name))
            .and_then(|n| n.grad_norm)
            .unwrap()
    };
    // W1's gradient is thousands of times smaller than W5's.
    assert!(
        norm("W5") / norm("W1") > 1000.0,
        "{} {}",
        norm("W1"),
        norm("W5")
    );
    let svg = to_svg(&deep);
    let (w1, w5) = (grad_fill(&svg, "W1"), grad_fill(&svg, "W5"));
    assert_ne!(w1, w5);
    // Darker for the larger gradient.
    let sum = |c: &str| {
        (0..3)
            .map(|i| u32::from_str_radix(&c[1 + 2 * i..3 + 2 * i], 16).unwrap())
            .sum::<u32>()
    };
    assert!(sum(&w5) + 150 < sum(&w1), "W1 {w1}, W5 {w5}");
    // The notebook: W1's gradient, ~40× smaller than W2's, is paler too.
    let notebook = to_svg(&nodes(&[2, 2, 1]));
    let (w1, w2) = (grad_fill(&notebook, "W1"), grad_fill(&notebook, "W2"));
    assert!(sum(&w2) + 60 < sum(&w1), "W1 {w1}, W2 {w2}");
    // Constants have no gradient and keep their grey look.
    let x = boxes(&notebook)
        .into_values()
        .find(|(_, g)| g.contains("<title>#0 X ("))
        .unwrap()
        .1;
    assert!(!x.contains("class=\"grad\""));
}

#[test]
fn binary_draws_a_wrapped_coloured_graph() {
    let dir = std::env::temp_dir().join(format!("backprop-graph-lesson-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let svg_path = dir.join("deep.svg");
    let dot_path = dir.join("deep.dot");
    let layers = "2,8,8,8,8,1";
    for p in [&svg_path, &dot_path] {
        cli::ok(&[
            "walkthrough",
            "--layers",
            layers,
            "--graph",
            p.to_str().unwrap(),
        ]);
    }
    let svg = std::fs::read_to_string(&svg_path).unwrap();
    check_readable(&[2, 8, 8, 8, 8, 1], &svg);
    // The DOT fills each node that has a gradient by the same scale and says so.
    let dot = std::fs::read_to_string(&dot_path).unwrap();
    assert!(dot.contains("label=\"gradient colour: log10"), "{dot:.400}");
    let fill = |name: &str| {
        let line = dot
            .lines()
            .find(|l| l.contains(&format!("\\ {name}\\l")))
            .unwrap();
        attr(&line[line.find('[').unwrap()..], "fillcolor")
            .unwrap()
            .to_string()
    };
    assert_ne!(fill("W1"), fill("W5"));
    assert_eq!(to_dot(&nodes(&[2, 8, 8, 8, 8, 1])), dot);
    std::fs::remove_dir_all(&dir).unwrap();
}
