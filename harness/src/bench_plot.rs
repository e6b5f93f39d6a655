//! The benchmark's SVG plot: per-prefix announcement latency CDF, one line per
//! (workload, daemon), from the median run.

use std::path::Path;

use plotters::prelude::*;

use crate::bench::Cell;

/// Draws the CDF of every measured cell into `path`.
pub fn cdf(path: &Path, cells: &[Cell]) -> Result<(), String> {
    let series: Vec<(String, Vec<(f64, f64)>)> = cells
        .iter()
        .filter(|c| c.error.is_none())
        .filter_map(|c| {
            let mut runs: Vec<&crate::bench::Sample> = c.samples.iter().collect();
            runs.sort_by(|a, b| a.convergence_ms.total_cmp(&b.convergence_ms));
            let median = runs.get(runs.len() / 2)?;
            let pts: Vec<(f64, f64)> =
                median.cdf_ms.iter().map(|(q, ms)| (ms.max(0.001), *q)).collect();
            (!pts.is_empty()).then(|| (format!("{} / {}", c.workload, c.dut), pts))
        })
        .collect();
    let max_x =
        series.iter().flat_map(|(_, p)| p.iter().map(|(x, _)| *x)).fold(1.0f64, f64::max) * 1.1;
    let root = SVGBackend::new(path, (900, 520)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "per-prefix announcement latency through the DUT (wire timestamps)",
            ("sans-serif", 18),
        )
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(50)
        .build_cartesian_2d((0.001f64..max_x).log_scale(), 0f64..1f64)
        .map_err(|e| e.to_string())?;
    chart
        .configure_mesh()
        .x_desc("latency, ms (log)")
        .y_desc("fraction of prefixes")
        .draw()
        .map_err(|e| e.to_string())?;
    for (i, (name, pts)) in series.iter().enumerate() {
        let colour = Palette99::pick(i).mix(0.9);
        chart
            .draw_series(LineSeries::new(pts.clone(), colour.stroke_width(2)))
            .map_err(|e| e.to_string())?
            .label(name.clone())
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 18, y)], colour.stroke_width(2))
            });
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()
        .map_err(|e| e.to_string())?;
    root.present().map_err(|e| e.to_string())
}
