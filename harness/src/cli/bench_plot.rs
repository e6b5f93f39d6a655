//! The benchmark's SVG plots, one line per (workload, daemon) from the median run: the
//! per-prefix announcement latency CDF, and convergence over time (the fraction of prefixes
//! the DUT has answered since the first byte went in).

use std::path::Path;

use plotters::prelude::*;

use super::bench_results::{Cell, Sample};

/// Draws the CDF of every measured cell into `path`.
pub fn cdf(path: &Path, cells: &[Cell]) -> Result<(), String> {
    let series = median_series(cells, |s| &s.cdf_ms);
    draw(
        path,
        &series,
        "per-prefix announcement latency through the DUT (wire timestamps)",
        "latency, ms (log)",
    )
}

/// Draws convergence over time of every measured cell into `path`.
pub fn over_time(path: &Path, cells: &[Cell]) -> Result<(), String> {
    let series = median_series(cells, |s| &s.progress_ms);
    draw(
        path,
        &series,
        "convergence over time: prefixes answered by the DUT (wire timestamps)",
        "time since the first byte into the DUT, ms (log)",
    )
}

type Series = Vec<(String, Vec<(f64, f64)>)>;

/// (quantile, ms) points of the median run of each cell, as (ms, fraction).
fn median_series(cells: &[Cell], points: impl Fn(&Sample) -> &Vec<(f64, f64)>) -> Series {
    cells
        .iter()
        .filter(|c| c.error.is_none())
        .filter_map(|c| {
            let mut runs: Vec<&Sample> = c.samples.iter().collect();
            runs.sort_by(|a, b| a.convergence_ms.total_cmp(&b.convergence_ms));
            let median = runs.get(runs.len() / 2)?;
            let pts: Vec<(f64, f64)> =
                points(median).iter().map(|(q, ms)| (ms.max(0.001), *q)).collect();
            (!pts.is_empty()).then(|| (format!("{} / {}", c.workload, c.dut), pts))
        })
        .collect()
}

fn draw(path: &Path, series: &Series, caption: &str, x_desc: &str) -> Result<(), String> {
    let max_x =
        series.iter().flat_map(|(_, p)| p.iter().map(|(x, _)| *x)).fold(1.0f64, f64::max) * 1.1;
    let root = SVGBackend::new(path, (900, 520)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let mut chart = ChartBuilder::on(&root)
        .caption(caption, ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(50)
        .build_cartesian_2d((0.001f64..max_x).log_scale(), 0f64..1f64)
        .map_err(|e| e.to_string())?;
    chart
        .configure_mesh()
        .x_desc(x_desc)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::bench_results::test_sample;

    /// Both plots name every measured cell and leave out the failed ones.
    #[test]
    fn plots_have_one_line_per_measured_cell() {
        let cell = |dut: &str, error: Option<&str>| Cell {
            workload: "100k-announce".into(),
            dut: dut.into(),
            version: "x".into(),
            samples: vec![test_sample(10.0), test_sample(20.0), test_sample(30.0)],
            error: error.map(String::from),
        };
        let cells = [cell("bird", None), cell("frr", None), cell("gobgp", Some("failed"))];
        let dir = std::env::temp_dir().join(format!("bgpstorm-plot-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for (name, f) in [("cdf.svg", cdf as fn(&Path, &[Cell]) -> _), ("time.svg", over_time)] {
            let path = dir.join(name);
            f(&path, &cells).unwrap();
            let svg = std::fs::read_to_string(&path).unwrap();
            assert!(svg.contains("100k-announce / bird") && svg.contains("100k-announce / frr"));
            assert!(!svg.contains("gobgp"), "a failed cell has no line");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
