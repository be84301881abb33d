//! ROC plots as PNG.

use std::path::Path;
use std::sync::OnceLock;

use plotters::prelude::*;

use crate::EvalError;

/// One curve: a label and `(far, tar)` points.
#[derive(Debug, Clone)]
pub struct Curve {
    /// Legend text.
    pub label: String,
    /// `(far, tar)` points, FAR increasing.
    pub points: Vec<(f64, f64)>,
}

/// TrueType fonts tried for the plot's text (Debian's `fonts-dejavu-core`).
const FONT_CANDIDATES: [&str; 2] = [
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
];

/// Registers a system font once; false when none is installed (the plot
/// is then drawn without text).
pub(crate) fn font_available() -> bool {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    *REGISTERED.get_or_init(|| {
        FONT_CANDIDATES.iter().any(|path| {
            std::fs::read(path).ok().is_some_and(|bytes| {
                let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
                plotters::style::register_font("sans-serif", FontStyle::Normal, bytes).is_ok()
            })
        })
    })
}

/// Draws the curves on a log-FAR axis from `min_far` to 1 into a PNG.
pub fn roc_png(path: &Path, title: &str, curves: &[Curve], min_far: f64) -> Result<(), EvalError> {
    let plot = |e: &dyn std::fmt::Display| EvalError::Plot(e.to_string());
    let with_text = font_available();
    let root = BitMapBackend::new(path, (900, 640)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| plot(&e))?;
    let mut builder = ChartBuilder::on(&root);
    builder
        .margin(20)
        .x_label_area_size(50)
        .y_label_area_size(60);
    if with_text {
        builder.caption(title, ("sans-serif", 24));
    }
    let mut chart = builder
        .build_cartesian_2d((min_far..1.0f64).log_scale(), 0.0f64..1.0f64)
        .map_err(|e| plot(&e))?;
    let mut mesh = chart.configure_mesh();
    if with_text {
        mesh.x_desc("false accept rate (log)")
            .y_desc("true accept rate")
            .x_label_formatter(&|v| format!("{v:.0e}"));
    } else {
        mesh.disable_x_axis().disable_y_axis();
    }
    mesh.draw().map_err(|e| plot(&e))?;
    let colours = [BLUE, RED, GREEN, MAGENTA, CYAN, BLACK];
    for (i, curve) in curves.iter().enumerate() {
        let colour = colours[i % colours.len()];
        let series = chart
            .draw_series(LineSeries::new(
                curve.points.iter().copied(),
                colour.stroke_width(2),
            ))
            .map_err(|e| plot(&e))?;
        if with_text {
            series.label(curve.label.clone()).legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(2))
            });
        }
    }
    if with_text {
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerRight)
            .background_style(WHITE.mix(0.9))
            .border_style(BLACK)
            .draw()
            .map_err(|e| plot(&e))?;
    }
    root.present().map_err(|e| plot(&e))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_a_png_with_the_curves() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("roc.png");
        let curves = [Curve {
            label: "engine".to_owned(),
            points: vec![(1e-4, 0.5), (1e-2, 0.9), (1.0, 1.0)],
        }];
        roc_png(&path, "ROC", &curves, 1e-4)?;
        let image = image::open(&path)?.to_rgb8();
        assert_eq!((image.width(), image.height()), (900, 640));
        let blue = image.pixels().filter(|p| p.0 == [0, 0, 255]).count();
        assert!(blue > 100, "the curve is drawn ({blue} blue pixels)");
        Ok(())
    }
}
