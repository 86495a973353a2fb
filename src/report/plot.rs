//! PNG pictures: heat maps of per-device quantities (cell voltage, IR drop)
//! with a colour scale, and x–y curves (sizing studies). Drawn with plotters'
//! bitmap backend; text uses DejaVu Sans, embedded (assets/fonts, Bitstream
//! Vera licence), so no system font or library is needed.

use plotters::prelude::*;
use std::path::Path;
use std::sync::Once;

static FONT: Once = Once::new();

fn register_font() {
    FONT.call_once(|| {
        let bytes: &'static [u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
        // The font is embedded and known to parse; a failure would only lose text.
        let _ = plotters::style::register_font("sans-serif", FontStyle::Normal, bytes);
    });
}

fn err(e: impl std::fmt::Display) -> std::io::Error {
    std::io::Error::other(e.to_string())
}

/// Write to a temporary name beside `path`, then rename (atomic, like the CSVs).
fn atomic_png(path: &Path, draw: impl FnOnce(&Path) -> std::io::Result<()>) -> std::io::Result<()> {
    super::files::write_atomic_by_name(path, draw)
}

/// Heat map of an N×M matrix (row-major), row 0 at the top, with a colour bar.
pub fn heatmap(
    path: &Path,
    title: &str,
    unit: &str,
    rows: usize,
    cols: usize,
    values: &[f64],
) -> std::io::Result<()> {
    heatmap_range(path, title, unit, rows, cols, values, None)
}

/// [`heatmap`] with a fixed colour range (maps meant to be compared).
pub fn heatmap_range(
    path: &Path,
    title: &str,
    unit: &str,
    rows: usize,
    cols: usize,
    values: &[f64],
    range: Option<(f64, f64)>,
) -> std::io::Result<()> {
    register_font();
    let finite = values.iter().cloned().filter(|v| v.is_finite());
    let (lo, hi) = match range {
        Some(r) => r,
        None => (
            finite.clone().fold(f64::INFINITY, f64::min),
            finite.fold(f64::NEG_INFINITY, f64::max),
        ),
    };
    let (lo, hi) = if lo.is_finite() && hi > lo {
        (lo, hi)
    } else {
        (lo.min(0.0), lo.min(0.0) + 1.0)
    };
    atomic_png(path, |p| {
        let root = BitMapBackend::new(p, (900, 760)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let (main, bar) = root.split_horizontally(760);
        let mut chart = ChartBuilder::on(&main)
            .caption(title, ("sans-serif", 22))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(50)
            .build_cartesian_2d(0f64..cols as f64, rows as f64..0f64)
            .map_err(err)?;
        chart
            .configure_mesh()
            .disable_mesh()
            .x_desc("column")
            .y_desc("row")
            .label_style(("sans-serif", 14))
            .draw()
            .map_err(err)?;
        let cmap = ViridisRGB;
        chart
            .draw_series(
                (0..rows)
                    .flat_map(|i| (0..cols).map(move |j| (i, j)))
                    .map(|(i, j)| {
                        let v = values[i * cols + j];
                        let c = if v.is_finite() {
                            cmap.get_color_normalized(v.clamp(lo, hi), lo, hi)
                        } else {
                            RGBColor(255, 0, 255)
                        };
                        Rectangle::new(
                            [(j as f64, i as f64), (j as f64 + 1.0, i as f64 + 1.0)],
                            c.filled(),
                        )
                    }),
            )
            .map_err(err)?;
        // Colour bar with its scale.
        let mut cb = ChartBuilder::on(&bar)
            .margin_top(50)
            .margin_bottom(52)
            .margin_right(8)
            .y_label_area_size(80)
            .caption(unit, ("sans-serif", 16))
            .build_cartesian_2d(0f64..1f64, lo..hi)
            .map_err(err)?;
        cb.configure_mesh()
            .disable_mesh()
            .disable_x_axis()
            .y_labels(8)
            .y_label_formatter(&|v| format!("{v:.3e}"))
            .label_style(("sans-serif", 12))
            .draw()
            .map_err(err)?;
        let steps = 200;
        cb.draw_series((0..steps).map(|k| {
            let a = lo + (hi - lo) * k as f64 / steps as f64;
            let b = lo + (hi - lo) * (k + 1) as f64 / steps as f64;
            Rectangle::new(
                [(0.0, a), (1.0, b)],
                cmap.get_color_normalized(a, lo, hi).filled(),
            )
        }))
        .map_err(err)?;
        root.present().map_err(err)
    })
}

/// One curve of an x–y plot.
pub struct Series<'a> {
    pub name: &'a str,
    pub points: Vec<(f64, f64)>,
}

/// Curves with markers, and an optional horizontal line (a criterion).
pub fn curves(
    path: &Path,
    title: &str,
    x_desc: &str,
    y_desc: &str,
    series: &[Series],
    hline: Option<(f64, &str)>,
) -> std::io::Result<()> {
    register_font();
    let pts = series.iter().flat_map(|s| s.points.iter());
    let (mut x0, mut x1, mut y0, mut y1) = (
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
    );
    for &(x, y) in pts.filter(|(x, y)| x.is_finite() && y.is_finite()) {
        x0 = x0.min(x);
        x1 = x1.max(x);
        y0 = y0.min(y);
        y1 = y1.max(y);
    }
    if let Some((h, _)) = hline {
        y0 = y0.min(h);
        y1 = y1.max(h);
    }
    if !x0.is_finite() || !y0.is_finite() {
        (x0, x1, y0, y1) = (0.0, 1.0, 0.0, 1.0);
    }
    if x1.is_nan() || x1 <= x0 {
        x1 = x0 + 1.0;
    }
    if y1.is_nan() || y1 <= y0 {
        y1 = y0 + 1.0;
    }
    let pad = 0.05 * (y1 - y0);
    atomic_png(path, |p| {
        let root = BitMapBackend::new(p, (900, 600)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 22))
            .margin(15)
            .x_label_area_size(45)
            .y_label_area_size(70)
            .build_cartesian_2d(x0..x1, (y0 - pad)..(y1 + pad))
            .map_err(err)?;
        chart
            .configure_mesh()
            .x_desc(x_desc)
            .y_desc(y_desc)
            .label_style(("sans-serif", 14))
            .draw()
            .map_err(err)?;
        let palette = [BLUE, RED, GREEN, MAGENTA, CYAN, BLACK];
        for (k, s) in series.iter().enumerate() {
            let c = palette[k % palette.len()];
            chart
                .draw_series(LineSeries::new(s.points.iter().cloned(), c.stroke_width(2)))
                .map_err(err)?
                .label(s.name)
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], c.stroke_width(2))
                });
            chart
                .draw_series(
                    s.points
                        .iter()
                        .map(|&(x, y)| Circle::new((x, y), 4, c.filled())),
                )
                .map_err(err)?;
        }
        if let Some((h, label)) = hline {
            chart
                .draw_series(LineSeries::new(
                    vec![(x0, h), (x1, h)],
                    BLACK.stroke_width(1),
                ))
                .map_err(err)?
                .label(label)
                .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLACK));
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .label_font(("sans-serif", 14))
            .draw()
            .map_err(err)?;
        root.present().map_err(err)
    })
}
