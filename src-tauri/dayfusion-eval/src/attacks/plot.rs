//! `distributions.png`: each check's session scores, one panel per check,
//! one row per species and material, the checks' pass line drawn in red.

use std::path::Path;

use plotters::prelude::*;

use dayfusion_liveness::CheckKind;
use dayfusion_liveness::checks::PASS_SCORE;

use super::report::AttackReport;
use crate::EvalError;
use crate::plot::font_available;

/// Draws the panels into a PNG.
pub fn distributions_png(path: &Path, report: &AttackReport) -> Result<(), EvalError> {
    let plot = |e: &dyn std::fmt::Display| EvalError::Plot(e.to_string());
    let with_text = font_available();
    let rows: Vec<(String, super::Material)> = report
        .rows
        .iter()
        .map(|r| (r.species.clone(), r.material))
        .collect();
    let checks = CheckKind::ALL;
    let height = 40 + checks.len() as u32 * (60 + 16 * rows.len() as u32);
    let root = BitMapBackend::new(path, (1000, height)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| plot(&e))?;
    let panels = root.split_evenly((checks.len(), 1));
    for (panel, check) in panels.iter().zip(checks) {
        let mut builder = ChartBuilder::on(panel);
        builder
            .margin(8)
            .x_label_area_size(20)
            .y_label_area_size(300);
        if with_text {
            builder.caption(check.as_str(), ("sans-serif", 16));
        }
        let mut chart = builder
            .build_cartesian_2d(0.0f64..100.0f64, -0.5f64..rows.len() as f64 - 0.5)
            .map_err(|e| plot(&e))?;
        let mut mesh = chart.configure_mesh();
        mesh.y_labels(rows.len()).disable_y_mesh();
        let label = |v: &f64| {
            let i = v.round();
            if (v - i).abs() > 0.01 || i < 0.0 {
                return String::new();
            }
            rows.get(i as usize)
                .map(|(s, m)| format!("{s} ({m:?})"))
                .unwrap_or_default()
        };
        if with_text {
            mesh.y_label_formatter(&label);
        } else {
            mesh.disable_x_axis().disable_y_axis();
        }
        mesh.draw().map_err(|e| plot(&e))?;
        chart
            .draw_series(LineSeries::new(
                [
                    (f64::from(PASS_SCORE), -0.5),
                    (f64::from(PASS_SCORE), rows.len() as f64 - 0.5),
                ],
                RED.stroke_width(1),
            ))
            .map_err(|e| plot(&e))?;
        for (y, (species, material)) in rows.iter().enumerate() {
            let colour = if species == "bona-fide" { BLUE } else { BLACK };
            let points = report
                .sessions
                .iter()
                .filter(|s| &s.species == species && s.material == *material)
                .filter_map(|s| s.checks.get(check.as_str()).and_then(|(score, _)| *score))
                .enumerate()
                .map(|(k, score)| {
                    let jitter = ((k * 7) % 11) as f64 / 11.0 * 0.5 - 0.25;
                    Circle::new((f64::from(score), y as f64 + jitter), 3, colour.filled())
                });
            chart.draw_series(points).map_err(|e| plot(&e))?;
        }
    }
    root.present().map_err(|e| plot(&e))?;
    Ok(())
}
