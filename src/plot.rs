//! Training plots: loss and accuracy per epoch, and a decision boundary for
//! 2-D data, drawn with `plotters` to SVG or PNG.
//!
//! [`plot`] lays out one row of panels under the title:
//!
//! | panel | when | shows |
//! | --- | --- | --- |
//! | loss | always | train and test loss per epoch (log scale when the losses span ≥ 30×) |
//! | accuracy | any accuracy is `Some` | train and test accuracy per epoch |
//! | decision boundary | a [`Boundary`] is given | the grid coloured by predicted class, the points on top |
//!
//! **Text.** Glyphs are measured (SVG) and rasterised (PNG) with DejaVu Sans,
//! embedded in the binary and registered with `plotters`' `ab_glyph` support
//! as `sans-serif`: no system font, `fontconfig` or C library is needed. An SVG
//! keeps its text as `<text>` elements (searchable, selectable), which the
//! viewer draws with its own `sans-serif` font.
//!
//! **Odd data.** NaN and infinite values are skipped; a series with no finite
//! value is left out of the legend. An empty history is not an error: the loss
//! panel is drawn empty with the note "no epochs recorded", so a run stopped
//! before its first epoch still leaves a valid file.
//!
//! **Writing.** The image is drawn in memory, then written with
//! [`write_atomic`](crate::io::write_atomic): a reader never sees half a
//! file, a special file is never replaced, and on any error `path` is left as
//! it was.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::coord::types::{RangedCoordf64, RangedCoordi64};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// DejaVu Sans, the one font every plot uses.
static FONT_BYTES: &[u8] = include_bytes!("../assets/fonts/DejaVuSans.ttf");

/// Width of one panel, in pixels.
const PANEL_WIDTH: u32 = 560;
/// Height of the panels' row, in pixels.
const PANEL_HEIGHT: u32 = 460;
/// Height of the band holding the overall title, in pixels.
const TITLE_HEIGHT: u32 = 44;
/// At most this many points per series get a marker as well as the line.
const MAX_MARKED_POINTS: usize = 40;
/// The loss axis is logarithmic when all losses are positive and span this ratio.
const LOG_SCALE_RATIO: f64 = 30.0;

/// Colour of the training series.
const TRAIN_COLOR: RGBColor = RGBColor(31, 119, 180);
/// Colour of the test series.
const TEST_COLOR: RGBColor = RGBColor(255, 127, 14);
/// Class colours (Tableau 10), reused cyclically past ten classes.
const CLASS_COLORS: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

/// Why a plot could not be written. Every message is one line naming the file.
#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    /// The file name ends in neither `.svg` nor `.png`.
    #[error("cannot plot to {}: unsupported extension, use .svg or .png", path.display())]
    UnsupportedFormat {
        /// The requested output file.
        path: PathBuf,
    },
    /// The [`Boundary`] cannot be drawn (empty grid, wrong cell count, bad range).
    #[error("cannot plot to {}: invalid decision boundary: {reason}", path.display())]
    InvalidBoundary {
        /// The requested output file.
        path: PathBuf,
        /// What is wrong with the boundary.
        reason: String,
    },
    /// The embedded font could not be registered with `plotters`.
    #[error("cannot plot to {}: the embedded font could not be loaded", path.display())]
    Font {
        /// The requested output file.
        path: PathBuf,
    },
    /// `plotters` failed while drawing.
    #[error("cannot plot to {}: drawing failed: {message}", path.display())]
    Draw {
        /// The requested output file.
        path: PathBuf,
        /// The drawing error, as text.
        message: String,
    },
    /// The file could not be written (see [`write_atomic`](crate::io::write_atomic)).
    #[error(transparent)]
    Write(#[from] crate::io::IoError),
}

/// The metrics of one epoch. Missing or non-finite values are not drawn.
#[derive(Clone, Debug)]
pub struct EpochPoint {
    /// The epoch number (the x coordinate).
    pub epoch: usize,
    /// Mean loss on the training set.
    pub train_loss: f64,
    /// Mean loss on the test set, if one was evaluated.
    pub test_loss: Option<f64>,
    /// Training accuracy as a fraction in `[0, 1]` (or a percentage: values above 1 switch the axis to 0–100).
    pub train_accuracy: Option<f64>,
    /// Test accuracy, on the same scale as `train_accuracy`.
    pub test_accuracy: Option<f64>,
}

/// A decision boundary for 2-D data: a grid of predicted classes (with the
/// model's confidence), and the points.
///
/// The grid is drawn as one image, scaled to the plot with smoothing: an SVG
/// embeds it as a PNG (`<image href="data:image/png;base64,…">`), a PNG
/// interpolates the cell colours bilinearly per pixel. A grid of 200×200 or
/// more shows no steps.
///
/// Cell `(i, j)` (column `i < nx` along x, row `j < ny` along y) covers
/// `x_range.0 + i·dx ..= x_range.0 + (i+1)·dx` with `dx = (x_range.1 − x_range.0) / nx`,
/// and likewise in y; its class is `grid[j * nx + i]`. For a binary model,
/// threshold the probability of class 1 at ½ to fill the grid.
#[derive(Clone, Debug)]
pub struct Boundary {
    /// The x extent of the grid, `(min, max)`.
    pub x_range: (f64, f64),
    /// The y extent of the grid, `(min, max)`.
    pub y_range: (f64, f64),
    /// Number of cells along x.
    pub nx: usize,
    /// Number of cells along y.
    pub ny: usize,
    /// Predicted class per cell, row-major with y outer: `nx * ny` entries.
    pub grid: Vec<usize>,
    /// Number of classes (the legend lists those with points; ids past it still get a colour).
    pub classes: usize,
    /// The data points `(x, y, class)`, drawn on top of the grid.
    pub points: Vec<(f64, f64, usize)>,
    /// The model's probability of each cell's predicted class (same layout
    /// as `grid`), which shades the cell from near white at a tie
    /// (1/`classes`) to a light tint of the class colour (1). `None` tints
    /// every cell fully.
    pub confidence: Option<Vec<f64>>,
}

/// Draws the curves (loss panel; accuracy panel when any accuracy is present;
/// boundary panel when given) to `path`, SVG or PNG by extension; any other
/// extension is an error. Written atomically (temp file beside it, then rename).
///
/// An empty `history` gives a valid plot whose loss panel reads "no epochs
/// recorded". NaN and infinite values are skipped.
///
/// # Errors
/// [`PlotError::UnsupportedFormat`] for another extension,
/// [`PlotError::InvalidBoundary`] for a grid (or confidence) that does not match `nx × ny` or
/// an empty or non-finite range, [`PlotError::Write`] when the directory cannot
/// be written, and [`PlotError::Draw`] / [`PlotError::Font`] if `plotters` fails.
pub fn plot(
    path: &Path,
    title: &str,
    history: &[EpochPoint],
    boundary: Option<&Boundary>,
) -> Result<(), PlotError> {
    let bytes = render(path, title, history, boundary)?;
    crate::io::write_atomic(path, &bytes)?;
    Ok(())
}

/// The bytes [`plot`] writes, without writing them: SVG or PNG by `path`'s
/// extension (`path` also labels errors). Errors as [`plot`], except
/// [`PlotError::Write`].
pub fn render(
    path: &Path,
    title: &str,
    history: &[EpochPoint],
    boundary: Option<&Boundary>,
) -> Result<Vec<u8>, PlotError> {
    let format = Format::of(path)?;
    if let Some(b) = boundary {
        validate_boundary(b).map_err(|reason| PlotError::InvalidBoundary {
            path: path.to_path_buf(),
            reason,
        })?;
    }
    if !font_registered() {
        return Err(PlotError::Font {
            path: path.to_path_buf(),
        });
    }
    let figure = Figure::new(title, history, boundary, format);
    let draw_err = |message| PlotError::Draw {
        path: path.to_path_buf(),
        message,
    };
    Ok(match format {
        Format::Svg => render_svg(&figure).map_err(draw_err)?.into_bytes(),
        Format::Png => render_png(&figure).map_err(draw_err)?,
    })
}

/// The two output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    Svg,
    Png,
}

impl Format {
    /// The format named by `path`'s extension (case-insensitive).
    fn of(path: &Path) -> Result<Self, PlotError> {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        match ext.as_deref() {
            Some("svg") => Ok(Self::Svg),
            Some("png") => Ok(Self::Png),
            _ => Err(PlotError::UnsupportedFormat {
                path: path.to_path_buf(),
            }),
        }
    }
}

/// Registers the embedded font as `sans-serif`, once; `false` if it is unusable.
fn font_registered() -> bool {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    *REGISTERED.get_or_init(|| {
        plotters::style::register_font("sans-serif", FontStyle::Normal, FONT_BYTES).is_ok()
    })
}

/// Draws the figure as an SVG document, the boundary's grid as one embedded image.
fn render_svg(figure: &Figure) -> Result<String, String> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, figure.size()).into_drawing_area();
        figure.draw(&root)?;
    }
    match figure.boundary {
        Some(b) => embed_boundary_image(&svg, b),
        None => Ok(svg),
    }
}

/// Draws the figure into an RGB buffer and encodes it as PNG.
fn render_png(figure: &Figure) -> Result<Vec<u8>, String> {
    let (w, h) = figure.size();
    let mut rgb = vec![0u8; w as usize * h as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (w, h)).into_drawing_area();
        figure.draw(&root)?;
        root.present().map_err(|e| e.to_string())?;
    }
    encode_png(&rgb, w, h)
}

/// Checks that a boundary can be drawn; the reason when it cannot.
fn validate_boundary(b: &Boundary) -> Result<(), String> {
    if b.nx == 0 || b.ny == 0 {
        return Err(format!(
            "grid is {}×{}, needs at least one cell",
            b.nx, b.ny
        ));
    }
    let cells = b.nx.checked_mul(b.ny).ok_or("grid size overflows")?;
    if b.grid.len() != cells {
        return Err(format!(
            "grid has {} cells, expected nx × ny = {}×{} = {cells}",
            b.grid.len(),
            b.nx,
            b.ny
        ));
    }
    if let Some(conf) = &b.confidence {
        if conf.len() != cells {
            return Err(format!(
                "confidence has {} cells, expected nx × ny = {cells}",
                conf.len()
            ));
        }
    }
    check_range("x_range", b.x_range)?;
    check_range("y_range", b.y_range)
}

/// Checks that `(lo, hi)` is finite with `lo < hi`.
fn check_range(name: &str, (lo, hi): (f64, f64)) -> Result<(), String> {
    if lo.is_finite() && hi.is_finite() && lo < hi {
        Ok(())
    } else {
        Err(format!("{name} ({lo}, {hi}) must be finite with min < max"))
    }
}

/// One line of a curve panel: finite points only, in epoch order.
struct Series {
    label: &'static str,
    color: RGBColor,
    points: Vec<(i64, f64)>,
}

impl Series {
    /// Collects `value(p)` over the history, skipping missing and non-finite values.
    fn collect(
        label: &'static str,
        color: RGBColor,
        history: &[EpochPoint],
        value: impl Fn(&EpochPoint) -> Option<f64>,
    ) -> Self {
        let mut points: Vec<(i64, f64)> = history
            .iter()
            .filter_map(|p| {
                value(p)
                    .filter(|v| v.is_finite())
                    .map(|v| (epoch_x(p.epoch), v))
            })
            .collect();
        points.sort_by_key(|&(x, _)| x);
        Self {
            label,
            color,
            points,
        }
    }

    /// Smallest and largest value, if any.
    fn extent(&self) -> Option<(f64, f64)> {
        self.points.iter().fold(None, |acc, &(_, v)| match acc {
            None => Some((v, v)),
            Some((lo, hi)) => Some((lo.min(v), hi.max(v))),
        })
    }
}

/// An epoch as an x coordinate.
fn epoch_x(epoch: usize) -> i64 {
    i64::try_from(epoch).unwrap_or(i64::MAX)
}

/// The smallest and largest value over several series.
fn joint_extent(series: &[Series]) -> Option<(f64, f64)> {
    series
        .iter()
        .filter_map(Series::extent)
        .reduce(|(a, b), (c, d)| (a.min(c), b.max(d)))
}

/// A curve panel, ready to draw.
struct CurvePanel {
    caption: &'static str,
    y_desc: &'static str,
    series: Vec<Series>,
    /// Legend in the lower right corner (where rising curves leave room) rather than the upper right.
    legend_low: bool,
    /// Shown in the middle of the panel when no series has a point.
    empty_note: &'static str,
}

/// Everything [`plot`] draws, decided before any backend exists.
struct Figure<'a> {
    title: &'a str,
    epochs: Range<i64>,
    loss: CurvePanel,
    accuracy: Option<CurvePanel>,
    boundary: Option<&'a Boundary>,
    format: Format,
}

impl<'a> Figure<'a> {
    /// Sorts the history into panels.
    fn new(
        title: &'a str,
        history: &[EpochPoint],
        boundary: Option<&'a Boundary>,
        format: Format,
    ) -> Self {
        let has_accuracy = history
            .iter()
            .any(|p| p.train_accuracy.is_some() || p.test_accuracy.is_some());
        Self {
            title,
            epochs: epoch_range(history),
            loss: loss_panel(history),
            accuracy: has_accuracy.then(|| accuracy_panel(history)),
            boundary,
            format,
        }
    }

    /// Number of panels side by side.
    fn panels(&self) -> u32 {
        1 + u32::from(self.accuracy.is_some()) + u32::from(self.boundary.is_some())
    }

    /// Canvas size in pixels.
    fn size(&self) -> (u32, u32) {
        (PANEL_WIDTH * self.panels(), PANEL_HEIGHT + TITLE_HEIGHT)
    }

    /// Draws title and panels on `root` and finishes the backend.
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        root.fill(&WHITE).map_err(msg)?;
        let (title_area, body) = root.split_vertically(TITLE_HEIGHT);
        draw_title(&title_area, self.title)?;
        let areas = body.split_evenly((1, self.panels() as usize));
        let mut areas = areas.iter();
        let mut next = || areas.next().ok_or("panel layout");
        draw_curves(next()?, &self.loss, self.epochs.clone())?;
        if let Some(acc) = &self.accuracy {
            draw_curves(next()?, acc, self.epochs.clone())?;
        }
        if let Some(b) = self.boundary {
            draw_boundary(next()?, b, self.format)?;
        }
        root.present().map_err(msg)
    }
}

/// A drawing error as text.
fn msg(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// Text in the embedded font.
fn font(size: f64) -> TextStyle<'static> {
    TextStyle::from(("sans-serif", size).into_font())
}

/// The x range covering every epoch, widened by one on each side when there is only one.
fn epoch_range(history: &[EpochPoint]) -> Range<i64> {
    let lo = history.iter().map(|p| epoch_x(p.epoch)).min();
    let hi = history.iter().map(|p| epoch_x(p.epoch)).max();
    match (lo, hi) {
        (Some(lo), Some(hi)) if lo < hi => lo..hi,
        (Some(e), _) => e.saturating_sub(1)..e.saturating_add(1),
        _ => 0..1,
    }
}

/// The loss panel: train and test loss.
fn loss_panel(history: &[EpochPoint]) -> CurvePanel {
    CurvePanel {
        caption: "loss",
        y_desc: "loss",
        series: vec![
            Series::collect("train", TRAIN_COLOR, history, |p| Some(p.train_loss)),
            Series::collect("test", TEST_COLOR, history, |p| p.test_loss),
        ],
        legend_low: false,
        empty_note: if history.is_empty() {
            "no epochs recorded"
        } else {
            "no finite values"
        },
    }
}

/// The accuracy panel: train and test accuracy.
fn accuracy_panel(history: &[EpochPoint]) -> CurvePanel {
    CurvePanel {
        caption: "accuracy",
        y_desc: "accuracy",
        series: vec![
            Series::collect("train", TRAIN_COLOR, history, |p| p.train_accuracy),
            Series::collect("test", TEST_COLOR, history, |p| p.test_accuracy),
        ],
        legend_low: true,
        empty_note: "no finite values",
    }
}

/// Draws the overall title centred in its band.
fn draw_title<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
) -> Result<(), String> {
    let (w, h) = area.dim_in_pixel();
    let style = font(24.0).pos(Pos::new(HPos::Center, VPos::Center));
    let centre = (
        i32::try_from(w / 2).unwrap_or(0),
        i32::try_from(h / 2).unwrap_or(0),
    );
    area.draw_text(title, &style, centre).map_err(msg)
}

/// The y axis of a curve panel: accuracy from 0, loss padded, log for wide positive spans.
enum YAxis {
    Linear(Range<f64>),
    Log(Range<f64>),
}

impl YAxis {
    /// Chooses the axis for a panel from its values.
    fn for_panel(panel: &CurvePanel) -> Self {
        let extent = joint_extent(&panel.series);
        if panel.caption == "accuracy" {
            let top = if extent.is_some_and(|(_, hi)| hi > 1.0) {
                100.0
            } else {
                1.0
            };
            return Self::Linear(0.0..top * 1.02);
        }
        match extent {
            None => Self::Linear(0.0..1.0),
            Some((lo, hi)) if lo > 0.0 && hi / lo >= LOG_SCALE_RATIO => {
                Self::Log(lo / 1.2..hi * 1.2)
            }
            Some((lo, hi)) => Self::Linear(padded(lo, hi)),
        }
    }
}

/// `lo..hi` with 5 % room on each side (a flat range gets ±10 % or ±1), never below 0 for non-negative data.
fn padded(lo: f64, hi: f64) -> Range<f64> {
    let span = hi - lo;
    let pad = if span > 0.0 {
        span * 0.05
    } else {
        (hi.abs() * 0.1).max(1e-3)
    };
    let bottom = if lo >= 0.0 {
        (lo - pad).max(0.0)
    } else {
        lo - pad
    };
    bottom..hi + pad
}

/// Draws one curve panel with its axis kind.
fn draw_curves<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    panel: &CurvePanel,
    epochs: Range<i64>,
) -> Result<(), String> {
    match YAxis::for_panel(panel) {
        YAxis::Linear(y) => draw_curves_on(area, panel, epochs, y, None),
        YAxis::Log(y) => {
            let ticks = log_ticks(y.start, y.end);
            draw_curves_on(area, panel, epochs, y.log_scale(), Some(&ticks))
        }
    }
}

/// The ticks of a log axis over `lo..hi`: powers of ten when at least 3 fit
/// (every 2nd, 3rd… when more than 8 do), else 1-2-5 steps, else 1…9 steps
/// of each decade; at least 3 for any span of 10× or more.
fn log_ticks(lo: f64, hi: f64) -> Vec<f64> {
    if !(lo > 0.0 && hi > lo && hi.is_finite()) {
        return Vec::new();
    }
    let (first, last) = (lo.log10().floor() as i32 - 1, hi.log10().ceil() as i32);
    let steps = |mantissas: &[u32]| -> Vec<f64> {
        (first..=last)
            .flat_map(|e| mantissas.iter().map(move |&m| tick_value(m, e)))
            .filter(|v| (lo..=hi).contains(v))
            .collect()
    };
    let decades = steps(&[1]);
    if decades.len() >= 3 {
        let every = decades.len().div_ceil(8);
        return decades.into_iter().step_by(every).collect();
    }
    for mantissas in [&[1, 2, 5][..], &[1, 2, 3, 4, 5, 6, 7, 8, 9]] {
        let ticks = steps(mantissas);
        if ticks.len() >= 3 {
            return ticks;
        }
    }
    steps(&[1, 2, 3, 4, 5, 6, 7, 8, 9])
}

/// `m · 10^e`, as close as f64 gets (`3 · 10⁻¹` is 0.3, not 0.30000000000000004).
fn tick_value(m: u32, e: i32) -> f64 {
    if e >= 0 {
        f64::from(m) * 10f64.powi(e)
    } else {
        f64::from(m) / 10f64.powi(-e)
    }
}

/// A log-axis tick label: `0.001`, `0.5`, `20`, or `1e-6` past four decimals or digits.
fn tick_label(v: f64) -> String {
    let e = v.log10().floor() as i32;
    if (-4..0).contains(&e) {
        format!("{v:.*}", (-e) as usize)
    } else if (0..5).contains(&e) {
        format!("{v:.0}")
    } else {
        let m = (v / 10f64.powi(e)).round();
        format!("{m}e{e}")
    }
}

/// Draws one curve panel on a y axis of type `Y`: caption, axes, lines, legend.
fn draw_curves_on<DB, Y>(
    area: &DrawingArea<DB, Shift>,
    panel: &CurvePanel,
    epochs: Range<i64>,
    y: Y,
    log_ticks: Option<&[f64]>,
) -> Result<(), String>
where
    DB: DrawingBackend,
    Y: AsRangedCoord<Value = f64>,
    Y::CoordDescType: ValueFormatter<f64>,
{
    let y_desc = match log_ticks {
        Some(_) => format!("{} (log scale)", panel.y_desc),
        None => panel.y_desc.to_string(),
    };
    let mut chart = ChartBuilder::on(area)
        .caption(panel.caption, font(20.0))
        .margin(12)
        .x_label_area_size(44)
        .y_label_area_size(64)
        .build_cartesian_2d(epochs.clone(), y)
        .map_err(msg)?;
    let mut mesh = chart.configure_mesh();
    mesh.x_desc("epoch")
        .y_desc(y_desc)
        .x_labels(8)
        .y_labels(8)
        .label_style(font(14.0))
        .axis_desc_style(font(16.0))
        .light_line_style(BLACK.mix(0.05))
        .bold_line_style(BLACK.mix(0.12));
    if log_ticks.is_some() {
        // plotters' own log ticks can be a single one ("0.1"): ours instead.
        mesh.disable_y_mesh().disable_y_axis();
    }
    mesh.draw().map_err(msg)?;
    if let Some(ticks) = log_ticks {
        draw_log_ticks(area, &mut chart, epochs, ticks)?;
    }
    let mut drawn = 0;
    for series in panel.series.iter().filter(|s| !s.points.is_empty()) {
        draw_series(&mut chart, series)?;
        drawn += 1;
    }
    if drawn == 0 {
        return note(&chart.plotting_area().strip_coord_spec(), panel.empty_note);
    }
    chart
        .configure_series_labels()
        .position(if panel.legend_low {
            SeriesLabelPosition::LowerRight
        } else {
            SeriesLabelPosition::UpperRight
        })
        .label_font(font(15.0))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.4))
        .draw()
        .map_err(msg)
}

/// Draws the ticks of a log y axis: a grid line across the plot, a tick
/// mark and a label left of the axis for each value.
fn draw_log_ticks<'a, DB, Y>(
    area: &DrawingArea<DB, Shift>,
    chart: &mut ChartContext<'a, DB, Cartesian2d<RangedCoordi64, Y>>,
    epochs: Range<i64>,
    ticks: &[f64],
) -> Result<(), String>
where
    DB: DrawingBackend,
    Y: Ranged<ValueType = f64>,
{
    let (bx, by) = area.get_base_pixel();
    let style = font(14.0).pos(Pos::new(HPos::Right, VPos::Center));
    let (xs, ys) = chart.plotting_area().get_pixel_range();
    let axis_x = xs.start - bx - 1;
    area.draw(&PathElement::new(
        vec![(axis_x, ys.start - by), (axis_x, ys.end - by)],
        BLACK,
    ))
    .map_err(msg)?;
    for &v in ticks {
        let line = [(epochs.start, v), (epochs.end, v)];
        chart
            .draw_series(std::iter::once(PathElement::new(line, BLACK.mix(0.12))))
            .map_err(msg)?;
        let (x, y) = chart.backend_coord(&(epochs.start, v));
        let (x, y) = (x - bx, y - by);
        area.draw(&PathElement::new(vec![(x - 5, y), (x, y)], BLACK))
            .map_err(msg)?;
        area.draw_text(&tick_label(v), &style, (x - 8, y))
            .map_err(msg)?;
    }
    Ok(())
}

/// Draws one series as a line (with markers when short) and registers its legend entry.
fn draw_series<'a, DB, Y>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<RangedCoordi64, Y>>,
    series: &Series,
) -> Result<(), String>
where
    DB: DrawingBackend,
    Y: Ranged<ValueType = f64>,
{
    let color = series.color;
    let line = LineSeries::new(series.points.iter().copied(), color.stroke_width(2));
    chart
        .draw_series(line)
        .map_err(msg)?
        .label(series.label)
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 22, y)], color.stroke_width(2)));
    if series.points.len() <= MAX_MARKED_POINTS {
        let markers = series
            .points
            .iter()
            .map(|&p| Circle::new(p, 3, color.filled()));
        chart.draw_series(markers).map_err(msg)?;
    }
    Ok(())
}

/// Writes `text` in the middle of `area`.
fn note<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, text: &str) -> Result<(), String> {
    let (w, h) = area.dim_in_pixel();
    let grey = BLACK.mix(0.6);
    let style = font(16.0)
        .color(&grey)
        .pos(Pos::new(HPos::Center, VPos::Center));
    let centre = (
        i32::try_from(w / 2).unwrap_or(0),
        i32::try_from(h / 2).unwrap_or(0),
    );
    area.draw_text(text, &style, centre).map_err(msg)
}

/// The colour of class `c`.
fn class_color(c: usize) -> RGBColor {
    CLASS_COLORS[c % CLASS_COLORS.len()]
}

/// `color` moved a fraction `t` of the way to white.
fn lighten(RGBColor(r, g, b): RGBColor, t: f64) -> RGBColor {
    let mix = |v: u8| {
        (f64::from(v) + (255.0 - f64::from(v)) * t)
            .round()
            .clamp(0.0, 255.0) as u8
    };
    RGBColor(mix(r), mix(g), mix(b))
}

/// The colour a marker rectangle has in an SVG before [`render_svg`] swaps
/// it for the boundary's embedded image (no other element uses it).
const RASTER_MARKER: RGBColor = RGBColor(1, 2, 3);
/// Lightening of a cell's class colour where the model is sure (confidence 1).
const SURE_TINT: f64 = 0.45;
/// Lightening of a cell's class colour at a tie (confidence 1/classes): near white.
const TIE_TINT: f64 = 0.94;
/// Height of the boundary panel's head band (caption, then the legend row).
const BOUNDARY_HEAD: u32 = 62;

/// The colour of cell `r` of a boundary: its class's colour lightened by how
/// unsure the model is there, from [`SURE_TINT`] (sure) to [`TIE_TINT`] (a tie).
fn cell_color(b: &Boundary, r: usize) -> RGBColor {
    let class = b.grid[r];
    let k = b.classes.max(class + 1).max(2) as f64;
    let sure = match &b.confidence {
        Some(conf) if conf[r].is_finite() => {
            ((conf[r] - 1.0 / k) / (1.0 - 1.0 / k)).clamp(0.0, 1.0)
        }
        _ => 1.0,
    };
    lighten(class_color(class), TIE_TINT + (SURE_TINT - TIE_TINT) * sure)
}

/// The boundary as an `nx × ny` RGB image, top row first (largest y).
fn boundary_rgb(b: &Boundary) -> Vec<u8> {
    let mut rgb = Vec::with_capacity(b.nx * b.ny * 3);
    for j in (0..b.ny).rev() {
        for i in 0..b.nx {
            let RGBColor(r, g, bl) = cell_color(b, j * b.nx + i);
            rgb.extend([r, g, bl]);
        }
    }
    rgb
}

/// Encodes an RGB image (top row first) as PNG.
fn encode_png(rgb: &[u8], w: u32, h: u32) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, w, h);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    encoder
        .write_header()
        .and_then(|mut writer| writer.write_image_data(rgb))
        .map_err(|e| e.to_string())?;
    Ok(out)
}

/// Standard base64 (RFC 4648, with `=` padding), as a `data:` URL needs.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Replaces the marker rectangle in `svg` by the boundary's image, scaled to
/// the rectangle (the viewer smooths it); an error when there is no marker.
fn embed_boundary_image(svg: &str, b: &Boundary) -> Result<String, String> {
    let fill = format!(
        "fill=\"#{:02X}{:02X}{:02X}\"",
        RASTER_MARKER.0, RASTER_MARKER.1, RASTER_MARKER.2
    );
    let at = svg
        .find(&fill)
        .or_else(|| svg.find(&fill.to_lowercase()))
        .ok_or("the boundary's place in the SVG was not found")?;
    let start = svg[..at].rfind("<rect").ok_or("marker without <rect")?;
    let end = at + svg[at..].find("/>").ok_or("unterminated marker")? + 2;
    let tag = &svg[start..end];
    let attr = |name: &str| -> Result<&str, String> {
        let key = format!(" {name}=\"");
        let from = tag.find(&key).ok_or(format!("marker without {name}"))? + key.len();
        let len = tag[from..].find('"').ok_or("unterminated attribute")?;
        Ok(&tag[from..from + len])
    };
    let png = encode_png(&boundary_rgb(b), b.nx as u32, b.ny as u32)?;
    let image = format!(
        "<image x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" preserveAspectRatio=\"none\" href=\"data:image/png;base64,{}\"/>",
        attr("x")?,
        attr("y")?,
        attr("width")?,
        attr("height")?,
        base64(&png)
    );
    Ok(format!("{}{image}{}", &svg[..start], &svg[end..]))
}

/// Paints the boundary pixel by pixel into a plotting area of a bitmap,
/// interpolating the cell colours bilinearly (no staircase at any size).
fn paint_boundary<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    b: &Boundary,
) -> Result<(), String> {
    let (w, h) = area.dim_in_pixel();
    let cells: Vec<[f64; 3]> = (0..b.nx * b.ny)
        .map(|r| {
            let RGBColor(red, g, bl) = cell_color(b, r);
            [f64::from(red), f64::from(g), f64::from(bl)]
        })
        .collect();
    // Cell coordinate of a pixel centre, and its two neighbours and weight.
    let axis = |p: u32, len: u32, n: usize, flip: bool| {
        let f = (f64::from(p) + 0.5) / f64::from(len.max(1));
        let f = if flip { 1.0 - f } else { f };
        let c = (f * n as f64 - 0.5).clamp(0.0, (n - 1) as f64);
        let lo = c.floor() as usize;
        (lo, (lo + 1).min(n - 1), c - lo as f64)
    };
    let xs: Vec<_> = (0..w).map(|px| axis(px, w, b.nx, false)).collect();
    for py in 0..h {
        let (j0, j1, ty) = axis(py, h, b.ny, true);
        for (px, &(i0, i1, tx)) in xs.iter().enumerate() {
            let at = |i: usize, j: usize| &cells[j * b.nx + i];
            let mut rgb = [0u8; 3];
            for (c, out) in rgb.iter_mut().enumerate() {
                let top = at(i0, j0)[c] * (1.0 - tx) + at(i1, j0)[c] * tx;
                let bottom = at(i0, j1)[c] * (1.0 - tx) + at(i1, j1)[c] * tx;
                *out = (top * (1.0 - ty) + bottom * ty).round().clamp(0.0, 255.0) as u8;
            }
            let color = RGBColor(rgb[0], rgb[1], rgb[2]);
            area.draw_pixel((px as i32, py as i32), &color)
                .map_err(msg)?;
        }
    }
    Ok(())
}

/// Draws the decision-boundary panel: the caption and the class legend in a
/// band above the plot (never over the points), the shaded regions, then the points.
fn draw_boundary<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    b: &Boundary,
    format: Format,
) -> Result<(), String> {
    let (x0, x1) = b.x_range;
    let (y0, y1) = b.y_range;
    let (head, body) = area.split_vertically(BOUNDARY_HEAD);
    let (w, _) = head.dim_in_pixel();
    let centre = i32::try_from(w / 2).unwrap_or(0);
    let caption = font(20.0).pos(Pos::new(HPos::Center, VPos::Center));
    head.draw_text("decision boundary", &caption, (centre, 20))
        .map_err(msg)?;
    let mut chart = ChartBuilder::on(&body)
        .margin(12)
        .margin_top(4)
        .x_label_area_size(44)
        .y_label_area_size(64)
        .build_cartesian_2d(x0..x1, y0..y1)
        .map_err(msg)?;
    chart
        .configure_mesh()
        .disable_mesh()
        .x_desc("x1")
        .y_desc("x2")
        .x_labels(8)
        .y_labels(8)
        .label_style(font(14.0))
        .axis_desc_style(font(16.0))
        .draw()
        .map_err(msg)?;
    let plot_area = chart.plotting_area().strip_coord_spec();
    match format {
        Format::Svg => plot_area.fill(&RASTER_MARKER).map_err(msg)?,
        Format::Png => paint_boundary(&plot_area, b)?,
    }
    let classes = draw_class_points(&mut chart, b)?;
    draw_class_legend(&head, &classes, centre, 47)
}

/// Draws the points of each class present; returns those classes.
fn draw_class_points<'a, DB: DrawingBackend + 'a>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
    b: &Boundary,
) -> Result<Vec<usize>, String> {
    let inside = |&&(x, y, _): &&(f64, f64, usize)| {
        (b.x_range.0..=b.x_range.1).contains(&x) && (b.y_range.0..=b.y_range.1).contains(&y)
    };
    let classes = b
        .points
        .iter()
        .map(|p| p.2 + 1)
        .chain(b.grid.iter().map(|c| c + 1))
        .max()
        .unwrap_or(0)
        .max(b.classes);
    let mut present = Vec::new();
    for class in 0..classes {
        let pts: Vec<(f64, f64)> = b
            .points
            .iter()
            .filter(inside)
            .filter(|p| p.2 == class)
            .map(|&(x, y, _)| (x, y))
            .collect();
        if pts.is_empty() {
            continue;
        }
        let fill = class_color(class).filled();
        let edge = BLACK.mix(0.7).stroke_width(1);
        let dot = move |p: (f64, f64)| {
            EmptyElement::at(p) + Circle::new((0, 0), 4, fill) + Circle::new((0, 0), 4, edge)
        };
        chart
            .draw_series(pts.iter().map(|&p| dot(p)))
            .map_err(msg)?;
        present.push(class);
    }
    Ok(present)
}

/// The legend of the boundary panel: one dot and name per class, in a row
/// centred on `centre` at height `y` of the head band.
fn draw_class_legend<DB: DrawingBackend>(
    head: &DrawingArea<DB, Shift>,
    classes: &[usize],
    centre: i32,
    y: i32,
) -> Result<(), String> {
    if classes.is_empty() {
        return Ok(());
    }
    let style = font(15.0).pos(Pos::new(HPos::Left, VPos::Center));
    let labels: Vec<String> = classes.iter().map(|c| format!("class {c}")).collect();
    let widths: Vec<i32> = labels
        .iter()
        .map(|l| {
            head.estimate_text_size(l, &style)
                .map_or(60, |(w, _)| i32::try_from(w).unwrap_or(60))
        })
        .collect();
    // Each entry: dot (radius 5), 8 px gap, the text, 24 px to the next.
    let total: i32 = widths.iter().map(|w| 18 + w).sum::<i32>() + 24 * (classes.len() as i32 - 1);
    let mut x = centre - total / 2;
    for ((&class, label), w) in classes.iter().zip(&labels).zip(&widths) {
        let color = class_color(class);
        head.draw(&Circle::new((x + 5, y), 5, color.filled()))
            .map_err(msg)?;
        head.draw(&Circle::new((x + 5, y), 5, BLACK.mix(0.7).stroke_width(1)))
            .map_err(msg)?;
        head.draw_text(label, &style, (x + 18, y)).map_err(msg)?;
        x += 18 + w + 24;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    use crate::io::test_util::TempDir;

    /// A plausible run: loss falling, accuracy rising, test slightly worse.
    fn fake_history(epochs: usize) -> Vec<EpochPoint> {
        (1..=epochs)
            .map(|e| {
                let t = e as f64;
                let wobble = 0.02 * (t * 1.7).sin();
                EpochPoint {
                    epoch: e,
                    train_loss: 0.7 * (-t / 6.0).exp() + 0.05 + wobble,
                    test_loss: Some(0.7 * (-t / 7.0).exp() + 0.09 + wobble),
                    train_accuracy: Some(1.0 - 0.5 * (-t / 5.0).exp() - wobble.abs()),
                    test_accuracy: Some(0.97 - 0.5 * (-t / 5.5).exp() - wobble.abs()),
                }
            })
            .collect()
    }

    /// Two interleaved half-moons with a deterministic jitter, and a wavy boundary.
    fn fake_moons() -> Boundary {
        let mut points = Vec::new();
        for i in 0..100 {
            let t = std::f64::consts::PI * i as f64 / 99.0;
            let jx = 0.12 * (i as f64 * 12.9898).sin();
            let jy = 0.12 * (i as f64 * 78.233).cos();
            points.push((t.cos() + jx, t.sin() + jy, 0));
            points.push((1.0 - t.cos() - jy, 0.5 - t.sin() + jx, 1));
        }
        let (nx, ny) = (200, 150);
        let (x_range, y_range) = ((-1.6, 2.6), (-1.1, 1.6));
        let mut grid = Vec::with_capacity(nx * ny);
        let mut confidence = Vec::with_capacity(nx * ny);
        for j in 0..ny {
            let y = y_range.0 + (j as f64 + 0.5) * (y_range.1 - y_range.0) / ny as f64;
            for i in 0..nx {
                let x = x_range.0 + (i as f64 + 0.5) * (x_range.1 - x_range.0) / nx as f64;
                let edge = 0.25 - 0.55 * (2.2 * (x - 0.5)).sin();
                grid.push(usize::from(y < edge));
                confidence.push(0.5 + 0.5 * (4.0 * (y - edge).abs()).tanh());
            }
        }
        Boundary {
            x_range,
            y_range,
            nx,
            ny,
            grid,
            classes: 2,
            points,
            confidence: Some(confidence),
        }
    }

    /// Width and height from a PNG's IHDR chunk.
    fn png_size(bytes: &[u8]) -> (u32, u32) {
        let be = |at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap());
        assert_eq!(&bytes[12..16], b"IHDR");
        (be(16), be(20))
    }

    /// The contents of every `<text>` element of an SVG document, trimmed.
    fn svg_texts(svg: &str) -> Vec<String> {
        svg.split("<text")
            .skip(1)
            .filter_map(|t| {
                let body = &t[t.find('>')? + 1..];
                Some(body[..body.find("</text>")?].trim().to_string())
            })
            .collect()
    }

    /// Panics unless the SVG has a `<text>` element reading exactly `wanted`.
    fn assert_text(svg: &str, wanted: &str, what: &str) {
        let texts = svg_texts(svg);
        assert!(
            texts.iter().any(|t| t == wanted),
            "{what}: no text {wanted:?} in {texts:?}"
        );
    }

    /// File name, history, boundary and expected PNG size.
    type PngCase<'a> = (&'a str, &'a [EpochPoint], Option<&'a Boundary>, (u32, u32));

    const PNG_SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1a, b'\n'];

    #[test]
    fn svg_has_title_axis_labels_and_legend() {
        let dir = TempDir::new("svg");
        let path = dir.join("curves.svg");
        plot(&path, "moons: 2-16-2 MLP", &fake_history(20), None).unwrap();
        let svg = fs::read_to_string(&path).unwrap();
        assert!(svg.starts_with("<svg"), "{}", &svg[..60.min(svg.len())]);
        assert!(svg.trim_end().ends_with("</svg>"));
        for text in [
            "moons: 2-16-2 MLP",
            "epoch",
            "loss",
            "accuracy",
            "train",
            "test",
        ] {
            assert_text(&svg, text, "curves");
        }
        assert!(!svg.contains("decision boundary"));
        assert_eq!(dir.entries(), ["curves.svg"], "no temp file left");
    }

    #[test]
    fn svg_escapes_the_title() {
        let dir = TempDir::new("escape");
        let path = dir.join("t.svg");
        plot(&path, "a < b & c", &fake_history(3), None).unwrap();
        let svg = fs::read_to_string(&path).unwrap();
        assert!(svg.contains("a &lt; b &amp; c"));
    }

    #[test]
    fn png_has_signature_and_expected_size() {
        let dir = TempDir::new("png");
        let history = fake_history(20);
        let moons = fake_moons();
        let cases: [PngCase<'_>; 3] = [
            ("loss.png", &history[..], None, (1120, 504)),
            ("moons.PNG", &history[..], Some(&moons), (1680, 504)),
            ("empty.png", &[], None, (560, 504)),
        ];
        for (name, hist, boundary, size) in cases {
            let path = dir.join(name);
            plot(&path, "run", hist, boundary).unwrap();
            let bytes = fs::read(&path).unwrap();
            assert_eq!(bytes[..8], PNG_SIGNATURE, "{name}");
            assert_eq!(png_size(&bytes), size, "{name}");
            assert_eq!(Figure::new("run", hist, boundary, Format::Png).size(), size);
        }
    }

    #[test]
    fn bad_extension_is_an_error_naming_the_file() {
        let dir = TempDir::new("ext");
        for name in ["plot.jpg", "plot", "plot.svg.txt"] {
            let path = dir.join(name);
            let err = plot(&path, "t", &fake_history(2), None).unwrap_err();
            assert!(matches!(err, PlotError::UnsupportedFormat { .. }), "{err}");
            assert!(err.to_string().contains(&*path.to_string_lossy()), "{err}");
        }
        assert!(dir.entries().is_empty());
    }

    #[test]
    fn unwritable_directory_is_an_error_and_leaves_no_file() {
        let dir = TempDir::new("unwritable");
        // A regular file as the parent directory: fails even for root.
        fs::write(dir.join("not-a-dir"), b"x").unwrap();
        for ext in ["svg", "png"] {
            let path = dir.join("not-a-dir").join(format!("plot.{ext}"));
            let err = plot(&path, "t", &fake_history(5), None).unwrap_err();
            assert!(matches!(err, PlotError::Write { .. }), "{err}");
            assert!(err.to_string().contains(&*path.to_string_lossy()), "{err}");
            assert!(!err.to_string().contains('\n'));
        }
        let missing = dir.join("missing").join("plot.svg");
        assert!(plot(&missing, "t", &fake_history(5), None).is_err());
        assert_eq!(dir.entries(), ["not-a-dir"]);
    }

    #[test]
    fn failed_rename_removes_the_temp_file() {
        let dir = TempDir::new("rename");
        // The target exists as a non-empty directory, so the final rename fails.
        let target = dir.join("plot.svg");
        fs::create_dir(&target).unwrap();
        fs::write(target.join("keep"), b"x").unwrap();
        let err = plot(&target, "t", &fake_history(5), None).unwrap_err();
        assert!(matches!(err, PlotError::Write { .. }), "{err}");
        assert_eq!(dir.entries(), ["plot.svg"]);
        assert!(target.join("keep").exists());
    }

    #[test]
    fn overwrites_an_existing_plot() {
        let dir = TempDir::new("overwrite");
        let path = dir.join("p.svg");
        fs::write(&path, "old").unwrap();
        plot(&path, "new title", &fake_history(4), None).unwrap();
        assert!(fs::read_to_string(&path).unwrap().contains("new title"));
        assert_eq!(dir.entries(), ["p.svg"]);
    }

    #[test]
    fn odd_histories_still_plot() {
        let dir = TempDir::new("odd");
        let one = vec![EpochPoint {
            epoch: 1,
            train_loss: 0.5,
            test_loss: None,
            train_accuracy: None,
            test_accuracy: None,
        }];
        let mut broken = fake_history(10);
        broken[3].train_loss = f64::NAN;
        broken[4].test_loss = Some(f64::INFINITY);
        broken[5].train_accuracy = Some(f64::NEG_INFINITY);
        let all_nan: Vec<EpochPoint> = fake_history(3)
            .into_iter()
            .map(|p| EpochPoint {
                train_loss: f64::NAN,
                test_loss: Some(f64::NAN),
                ..p
            })
            .collect();
        let no_test: Vec<EpochPoint> = fake_history(8)
            .into_iter()
            .map(|p| EpochPoint {
                test_loss: None,
                test_accuracy: None,
                ..p
            })
            .collect();
        let cases: [(&str, &[EpochPoint], &[&str]); 5] = [
            ("one.svg", &one, &["train", "epoch"]),
            ("broken.svg", &broken, &["train", "test", "accuracy"]),
            ("nan.svg", &all_nan, &["no finite values"]),
            ("no_test.svg", &no_test, &["train", "accuracy"]),
            ("empty.svg", &[], &["no epochs recorded", "loss"]),
        ];
        for (name, hist, wanted) in cases {
            let path = dir.join(name);
            plot(&path, "odd", hist, None).unwrap();
            let svg = fs::read_to_string(&path).unwrap();
            let texts = svg_texts(&svg);
            assert!(
                !texts.iter().any(|t| t.contains("NaN") || t.contains("inf")),
                "{name}"
            );
            assert!(!svg.contains("NaN"), "{name}: NaN coordinate");
            for w in wanted {
                assert_text(&svg, w, name);
            }
        }
        let no_test_svg = fs::read_to_string(dir.join("no_test.svg")).unwrap();
        assert!(!svg_texts(&no_test_svg).iter().any(|t| t == "test"));
    }

    #[test]
    fn boundary_panel_is_drawn_with_class_legend() {
        let dir = TempDir::new("boundary");
        let path = dir.join("b.svg");
        plot(&path, "moons", &fake_history(20), Some(&fake_moons())).unwrap();
        let svg = fs::read_to_string(&path).unwrap();
        for text in ["decision boundary", "x1", "x2", "class 0", "class 1"] {
            assert_text(&svg, text, "boundary");
        }
    }

    #[test]
    fn invalid_boundary_is_an_error_naming_the_file() {
        let dir = TempDir::new("badboundary");
        let path = dir.join("b.png");
        let mut b = fake_moons();
        b.grid.pop();
        let err = plot(&path, "t", &fake_history(3), Some(&b)).unwrap_err();
        assert!(matches!(err, PlotError::InvalidBoundary { .. }), "{err}");
        assert!(err.to_string().contains("b.png"), "{err}");
        let mut flat = fake_moons();
        flat.x_range = (1.0, 1.0);
        assert!(plot(&path, "t", &[], Some(&flat)).is_err());
        let mut short = fake_moons();
        short.confidence.as_mut().unwrap().pop();
        let err = plot(&path, "t", &[], Some(&short)).unwrap_err();
        assert!(
            err.to_string().contains("confidence has 29999 cells"),
            "{err}"
        );
        assert!(dir.entries().is_empty());
    }

    #[test]
    fn loss_axis_goes_log_for_wide_positive_spans() {
        let mut h = fake_history(5);
        h[0].train_loss = 10.0;
        h[4].train_loss = 0.01;
        assert!(matches!(YAxis::for_panel(&loss_panel(&h)), YAxis::Log(_)));
        assert!(matches!(
            YAxis::for_panel(&loss_panel(&fake_history(5))),
            YAxis::Linear(_)
        ));
    }

    #[test]
    fn base64_matches_rfc_4648() {
        let cases = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ];
        for (plain, coded) in cases {
            assert_eq!(base64(plain.as_bytes()), coded, "{plain:?}");
        }
        assert_eq!(base64(&[0xfb, 0xff, 0xbf]), "+/+/");
    }

    /// The inverse of [`base64`], for the tests.
    fn unbase64(text: &str) -> Vec<u8> {
        const ALPHABET: &[u8; 64] =
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let digits: Vec<u32> = text
            .bytes()
            .filter(|&c| c != b'=')
            .map(|c| ALPHABET.iter().position(|&a| a == c).expect("base64 digit") as u32)
            .collect();
        let mut out = Vec::new();
        for chunk in digits.chunks(4) {
            let n = chunk
                .iter()
                .enumerate()
                .fold(0u32, |n, (i, &d)| n | d << (18 - 6 * i));
            out.extend(&n.to_be_bytes()[1..chunk.len()]);
        }
        out
    }

    /// Decodes a PNG into (width, height, RGB bytes).
    fn decode_png(bytes: &[u8]) -> (u32, u32, Vec<u8>) {
        let mut reader = png::Decoder::new(bytes).read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size()];
        let info = reader.next_frame(&mut buf).unwrap();
        assert_eq!(info.color_type, png::ColorType::Rgb);
        buf.truncate(info.buffer_size());
        (info.width, info.height, buf)
    }

    #[test]
    fn svg_boundary_is_one_embedded_png_of_the_grid() {
        let b = fake_moons();
        let svg = String::from_utf8(
            render(Path::new("b.svg"), "moons", &fake_history(5), Some(&b)).unwrap(),
        )
        .unwrap();
        assert_eq!(svg.matches("<image").count(), 1);
        // No per-cell rectangles: a handful for backgrounds and legends only.
        assert!(
            svg.matches("<rect").count() < 10,
            "{}",
            svg.matches("<rect").count()
        );
        assert!(
            !svg.to_lowercase().contains("#010203"),
            "the marker is left"
        );
        let prefix = "href=\"data:image/png;base64,";
        let at = svg.find(prefix).expect("a PNG data URL") + prefix.len();
        let coded = &svg[at..at + svg[at..].find('"').unwrap()];
        let (w, h, rgb) = decode_png(&unbase64(coded));
        assert_eq!((w, h), (b.nx as u32, b.ny as u32));
        assert_eq!(rgb, boundary_rgb(&b));
        // The top-left pixel is the cell at the smallest x and the largest y.
        let RGBColor(r, g, bl) = cell_color(&b, (b.ny - 1) * b.nx);
        assert_eq!(rgb[..3], [r, g, bl]);
    }

    #[test]
    fn confidence_shades_from_near_white_at_a_tie_to_the_class_tint() {
        let mut b = fake_moons();
        let r = 0;
        let class = b.grid[r];
        let conf = b.confidence.as_mut().unwrap();
        conf[r] = 1.0;
        assert_eq!(cell_color(&b, r), lighten(class_color(class), SURE_TINT));
        b.confidence.as_mut().unwrap()[r] = 0.5;
        assert_eq!(cell_color(&b, r), lighten(class_color(class), TIE_TINT));
        b.confidence.as_mut().unwrap()[r] = 0.75;
        let RGBColor(red, _, _) = cell_color(&b, r);
        let (sure, tie) = (
            lighten(class_color(class), SURE_TINT).0,
            lighten(class_color(class), TIE_TINT).0,
        );
        assert!((sure.min(tie)..=sure.max(tie)).contains(&red));
        b.confidence = None;
        assert_eq!(cell_color(&b, r), lighten(class_color(class), SURE_TINT));
    }

    #[test]
    fn png_boundary_has_no_hard_edges() {
        let mut b = fake_moons();
        b.points.clear();
        let bytes = render(Path::new("b.png"), "t", &fake_history(5), Some(&b)).unwrap();
        let (w, _, rgb) = decode_png(&bytes);
        // Inside the boundary panel's plot (the third panel), away from the axes.
        let px = |x: usize, y: usize| &rgb[(y * w as usize + x) * 3..][..3];
        let mut steepest = 0;
        for y in 140..420 {
            for x in 1230..1640 {
                for (a, c) in px(x, y).iter().zip(px(x + 1, y)) {
                    steepest = steepest.max(a.abs_diff(*c));
                }
                for (a, c) in px(x, y).iter().zip(px(x, y + 1)) {
                    steepest = steepest.max(a.abs_diff(*c));
                }
            }
        }
        // The sharpest edge (the white band across the class switch) is a
        // gradient of a few levels per pixel, not a jump between the tints.
        let RGBColor(r0, g0, b0) = lighten(class_color(0), SURE_TINT);
        let RGBColor(r1, g1, b1) = lighten(class_color(1), SURE_TINT);
        let jump = [r0.abs_diff(r1), g0.abs_diff(g1), b0.abs_diff(b1)];
        assert!(steepest > 0, "the panel is flat");
        assert!(
            steepest * 4 < *jump.iter().max().unwrap(),
            "steepest step {steepest}"
        );
    }

    #[test]
    fn the_boundary_legend_sits_above_the_plot() {
        let svg = String::from_utf8(
            render(
                Path::new("b.svg"),
                "moons",
                &fake_history(5),
                Some(&fake_moons()),
            )
            .unwrap(),
        )
        .unwrap();
        let attr = |tag: &str, name: &str| -> f64 {
            let key = format!(" {name}=\"");
            let from = tag.find(&key).unwrap() + key.len();
            tag[from..from + tag[from..].find('"').unwrap()]
                .parse()
                .unwrap()
        };
        let image = &svg[svg.find("<image").unwrap()..];
        let top = attr(image, "y");
        for label in ["class 0", "class 1"] {
            let at = svg
                .find(&format!(">\n{label}\n</text>"))
                .or_else(|| svg.find(&format!(">{label}</text>")));
            let text_start = svg[..at.expect(label)].rfind("<text").unwrap();
            let y = attr(&svg[text_start..], "y");
            assert!(y + 8.0 < top, "{label} at y {y}, plot top {top}");
        }
    }

    #[test]
    fn log_ticks_are_at_least_three_and_round() {
        for (lo, hi) in [
            (0.08, 3.0),
            (1e-4 / 1.2, 0.7 * 1.2),
            (0.9, 30.0),
            (2e-7, 5.0),
            (0.31, 9.5),
        ] {
            let ticks = log_ticks(lo, hi);
            assert!(ticks.len() >= 3, "{lo}..{hi}: {ticks:?}");
            assert!(ticks.len() <= 10, "{lo}..{hi}: {ticks:?}");
            assert!(ticks.iter().all(|t| (lo..=hi).contains(t)), "{ticks:?}");
        }
        assert_eq!(log_ticks(0.08, 3.0), [0.1, 0.2, 0.5, 1.0, 2.0]);
        assert_eq!(log_ticks(5e-5, 0.9), [1e-4, 1e-3, 1e-2, 0.1]);
        let labels: Vec<String> = [1e-6, 3e-4, 0.001, 0.3, 1.0, 20.0, 5e5]
            .iter()
            .map(|&v| tick_label(v))
            .collect();
        assert_eq!(labels, ["1e-6", "0.0003", "0.001", "0.3", "1", "20", "5e5"]);
    }

    #[test]
    fn a_log_loss_axis_says_so_and_has_three_ticks() {
        // Losses from 0.7 to 0.02 (35×): the axis goes log over less than two decades.
        let history: Vec<EpochPoint> = (1..=30)
            .map(|e| EpochPoint {
                epoch: e,
                train_loss: 0.7 * (0.02f64 / 0.7).powf((e - 1) as f64 / 29.0),
                test_loss: None,
                train_accuracy: None,
                test_accuracy: None,
            })
            .collect();
        let svg =
            String::from_utf8(render(Path::new("l.svg"), "t", &history, None).unwrap()).unwrap();
        assert_text(&svg, "loss (log scale)", "log axis");
        let texts = svg_texts(&svg);
        let ticks: Vec<&String> = texts
            .iter()
            .filter(|t| ["0.01", "0.02", "0.05", "0.1", "0.2", "0.5", "1"].contains(&t.as_str()))
            .collect();
        assert!(ticks.len() >= 3, "{texts:?}");
        // A linear axis says nothing.
        let svg =
            String::from_utf8(render(Path::new("l.svg"), "t", &fake_history(5), None).unwrap())
                .unwrap();
        assert!(!svg.contains("log scale"));
        assert_text(&svg, "loss", "linear axis");
    }

    /// File stem, title, history, boundary and a text the SVG must show.
    type ExampleCase<'a> = (
        &'a str,
        &'a str,
        &'a [EpochPoint],
        Option<&'a Boundary>,
        &'a str,
    );

    /// Renders the example figures (a run with its boundary, a long
    /// log-scale run, an empty run) into a temporary directory and checks
    /// each file: a PNG of the figure's size, an SVG with its title and axes.
    #[test]
    fn render_examples() {
        let dir = TempDir::new("examples");
        let history = fake_history(20);
        let moons = fake_moons();
        let title = "moons — 2-16-2 MLP, 20 epochs";
        let mut long = Vec::new();
        for e in 1..=300 {
            let t = e as f64;
            long.push(EpochPoint {
                epoch: e,
                train_loss: 2.3 * (-t / 30.0).exp() + 0.004,
                test_loss: (e % 10 == 0).then(|| 2.3 * (-t / 35.0).exp() + 0.02),
                train_accuracy: None,
                test_accuracy: None,
            });
        }
        let cases: [ExampleCase<'_>; 3] = [
            ("example", title, &history, Some(&moons), "accuracy"),
            ("log", "log-scale loss", &long, None, "loss (log scale)"),
            ("empty", "empty", &[], None, "no epochs recorded"),
        ];
        for (name, title, hist, boundary, axis) in cases {
            let png = dir.join(&format!("{name}.png"));
            plot(&png, title, hist, boundary).unwrap();
            let bytes = fs::read(&png).unwrap();
            assert_eq!(bytes[..8], PNG_SIGNATURE, "{name}");
            let size = Figure::new(title, hist, boundary, Format::Png).size();
            assert_eq!(png_size(&bytes), size, "{name}");
            let svg = dir.join(&format!("{name}.svg"));
            plot(&svg, title, hist, boundary).unwrap();
            let svg = fs::read_to_string(&svg).unwrap();
            assert!(svg.starts_with("<svg") || svg.contains("<svg "), "{name}");
            assert_text(&svg, title, name);
            assert_text(&svg, axis, name);
        }
        assert_eq!(
            dir.entries(),
            [
                "empty.png",
                "empty.svg",
                "example.png",
                "example.svg",
                "log.png",
                "log.svg"
            ]
        );
    }
}
