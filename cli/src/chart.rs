//! The ROC chart of `vigil eval`, as SVG (plotters, no fonts needed).
use std::path::Path;

use anyhow::{anyhow, Result};
use plotters::prelude::*;

/// One curve: a name, its `(fpr, tpr)` points, its AUC.
pub type Curve<'a> = (&'a str, &'a [(f64, f64)], f64);

/// Draw ROC curves into an SVG file, and the model's operating point
/// (`(fpr, tpr, threshold)`) on the first.
pub fn roc_svg(
    path: &Path,
    title: &str,
    curves: &[Curve<'_>],
    point: Option<(f64, f64, f64)>,
) -> Result<()> {
    let root = SVGBackend::new(path, (560, 520)).into_drawing_area();
    let err = |e: &dyn std::fmt::Display| anyhow!("cannot draw {}: {e}", path.display());
    root.fill(&WHITE).map_err(|e| err(&e))?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 18))
        .margin(16)
        .x_label_area_size(40)
        .y_label_area_size(48)
        .build_cartesian_2d(0.0f64..1.0, 0.0f64..1.0)
        .map_err(|e| err(&e))?;
    chart
        .configure_mesh()
        .x_desc("false positive rate")
        .y_desc("true positive rate")
        .x_labels(6)
        .y_labels(6)
        .draw()
        .map_err(|e| err(&e))?;
    chart
        .draw_series(LineSeries::new(
            [(0.0, 0.0), (1.0, 1.0)],
            BLACK.mix(0.3).stroke_width(1),
        ))
        .map_err(|e| err(&e))?;
    let colors = [RGBColor(31, 119, 180), RGBColor(255, 127, 14)];
    for (k, (name, pts, auc)) in curves.iter().enumerate() {
        let color = colors[k % colors.len()];
        chart
            .draw_series(LineSeries::new(
                pts.iter().copied(),
                color.stroke_width(if k == 0 { 2 } else { 1 }),
            ))
            .map_err(|e| err(&e))?
            .label(format!("{name} (AUC {auc:.4})"))
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 18, y)], color.stroke_width(2)));
    }
    if let Some((x, y, t)) = point {
        let color = RGBColor(214, 39, 40);
        chart
            .draw_series([Circle::new((x, y), 5, color.filled())])
            .map_err(|e| err(&e))?
            .label(format!("threshold {t:.4}"))
            .legend(move |(x, y)| Circle::new((x + 9, y), 4, color.filled()));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK.mix(0.3))
        .draw()
        .map_err(|e| err(&e))?;
    root.present().map_err(|e| err(&e))?;
    Ok(())
}
