//! What a benchmark measured: one [`Sample`] per run, one [`Cell`] per (workload, daemon),
//! and what is made of them: the Markdown table and the regressions against a baseline.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::run::RunReport;

/// One measured run.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Sample {
    /// Convergence time of the measured phase, ms.
    pub convergence_ms: f64,
    /// Announcement latency p50/p99/max, ms.
    pub announce_ms: [f64; 3],
    /// Withdrawal latency p50/p99/max, ms.
    pub withdraw_ms: [f64; 3],
    /// Prefixes per second through the DUT.
    pub throughput: f64,
    /// DUT peak RSS, MiB.
    pub dut_rss_mib: f64,
    /// DUT CPU time, s.
    pub dut_cpu_s: f64,
    /// Sender rate / DUT throughput.
    pub headroom: Option<f64>,
    /// Capture drops.
    pub drops: u64,
    /// Announcement latency CDF (quantile, ms).
    pub cdf_ms: Vec<(f64, f64)>,
    /// Convergence over time: (fraction of prefixes answered, ms since the first byte in).
    #[serde(default)]
    pub progress_ms: Vec<(f64, f64)>,
}

/// All runs of one (workload, daemon).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Cell {
    /// Workload.
    pub workload: String,
    /// Daemon.
    pub dut: String,
    /// Its version.
    pub version: String,
    /// Measured runs (the warm-up is not among them).
    pub samples: Vec<Sample>,
    /// Why it could not be measured, if so.
    pub error: Option<String>,
}

impl Cell {
    /// Median, minimum and maximum of `f` over the samples.
    pub fn median(&self, f: impl Fn(&Sample) -> f64) -> (f64, f64, f64) {
        let mut v: Vec<f64> = self.samples.iter().map(f).collect();
        v.sort_by(|a, b| a.total_cmp(b));
        if v.is_empty() {
            return (f64::NAN, f64::NAN, f64::NAN);
        }
        let m = if v.len() % 2 == 1 {
            v[v.len() / 2]
        } else {
            (v[v.len() / 2 - 1] + v[v.len() / 2]) / 2.0
        };
        (m, v[0], v[v.len() - 1])
    }
}

/// The figures of one passing run, or why it has none.
pub fn sample(r: &RunReport) -> Result<Sample, String> {
    if !r.passed() {
        return Err(r.first_failure().unwrap_or_else(|| "failed".into()));
    }
    let c = r.convergence.as_ref().ok_or("no convergence measured (no monitor)")?;
    let total_us = c.overall_us.ok_or("no change crossed the DUT")?;
    let ms = |us: u64| us as f64 / 1000.0;
    let prefixes = (c.announce.count + c.withdraw.count) as f64;
    let throughput = prefixes / (total_us as f64 / 1e6).max(1e-9);
    let u = r.dut_usage.unwrap_or_default();
    Ok(Sample {
        convergence_ms: ms(total_us),
        announce_ms: [ms(c.announce.p50_us), ms(c.announce.p99_us), ms(c.announce.max_us)],
        withdraw_ms: [ms(c.withdraw.p50_us), ms(c.withdraw.p99_us), ms(c.withdraw.max_us)],
        throughput,
        dut_rss_mib: u.peak_rss_kib as f64 / 1024.0,
        dut_cpu_s: u.cpu_ms as f64 / 1000.0,
        headroom: r.sender_rate.map(|s| s / throughput.max(1e-9)),
        drops: r.monitor.as_ref().map_or(0, |m| m.capture.drops()),
        cdf_ms: c.announce.cdf.iter().map(|(q, us)| (*q, ms(*us))).collect(),
        progress_ms: c.progress.iter().map(|(q, us)| (*q, ms(*us))).collect(),
    })
}

/// The Markdown table of all cells.
pub fn markdown(cells: &[Cell]) -> String {
    let mut s = String::from(
        "| workload | daemon | convergence (median, min–max) | announce p50 / p99 / max | withdraw p50 / p99 / max | prefixes/s | DUT peak RSS | DUT CPU | harness headroom | drops |\n|---|---|---|---|---|---|---|---|---|---|\n",
    );
    for c in cells {
        if let Some(e) = &c.error {
            s.push_str(&format!(
                "| {} | {} | **not measured**: {} | | | | | | | |\n",
                c.workload,
                c.dut,
                e.replace('|', "/").lines().next().unwrap_or_default()
            ));
            continue;
        }
        let (conv, lo, hi) = c.median(|x| x.convergence_ms);
        let a = |i: usize| c.median(move |x| x.announce_ms[i]).0;
        let w = |i: usize| c.median(move |x| x.withdraw_ms[i]).0;
        let head = c.median(|x| x.headroom.unwrap_or(f64::NAN)).0;
        s.push_str(&format!(
            "| {} | {} {} | {:.1} ms ({:.1}–{:.1}) | {:.2} / {:.2} / {:.2} ms | {:.2} / {:.2} / {:.2} ms | {:.0} | {:.1} MiB | {:.2} s | {} | {} |\n",
            c.workload,
            c.dut,
            c.version,
            conv,
            lo,
            hi,
            a(0),
            a(1),
            a(2),
            w(0),
            w(1),
            w(2),
            c.median(|x| x.throughput).0,
            c.median(|x| x.dut_rss_mib).0,
            c.median(|x| x.dut_cpu_s).0,
            if head.is_nan() { "n/a".to_string() } else { format!("{head:.1}x") },
            c.samples.iter().map(|x| x.drops).max().unwrap_or(0),
        ));
    }
    s
}

/// The cells whose median convergence is slower than the baseline's by more than
/// `threshold` percent.
pub fn regressions(path: &PathBuf, cells: &[Cell], threshold: f64) -> Result<Vec<String>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let base: Vec<Cell> = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    let base: BTreeMap<(String, String), &Cell> =
        base.iter().map(|c| ((c.workload.clone(), c.dut.clone()), c)).collect();
    let mut out = Vec::new();
    for c in cells.iter().filter(|c| c.error.is_none()) {
        let Some(b) = base.get(&(c.workload.clone(), c.dut.clone())).filter(|b| b.error.is_none())
        else {
            continue;
        };
        let (now, then) = (c.median(|x| x.convergence_ms).0, b.median(|x| x.convergence_ms).0);
        if now > then * (1.0 + threshold / 100.0) {
            out.push(format!(
                "{} on {}: convergence {now:.1} ms, baseline {then:.1} ms (+{:.0}%)",
                c.workload,
                c.dut,
                (now / then - 1.0) * 100.0
            ));
        }
    }
    Ok(out)
}

/// A made-up run for tests: convergence `ms`, latencies and curves scaled from it.
#[cfg(test)]
pub(crate) fn test_sample(ms: f64) -> Sample {
    let pts: Vec<(f64, f64)> =
        (0..=10).map(|i| (f64::from(i) / 10.0, ms * (1.0 + f64::from(i)) / 11.0)).collect();
    Sample {
        convergence_ms: ms,
        announce_ms: [ms / 2.0, ms, ms],
        withdraw_ms: [0.0; 3],
        throughput: 1000.0 / ms,
        dut_rss_mib: 1.0,
        dut_cpu_s: 0.1,
        headroom: None,
        drops: 0,
        cdf_ms: pts.clone(),
        progress_ms: pts.iter().map(|&(q, v)| (q, v * 3.0)).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(dut: &str, runs: &[f64]) -> Cell {
        Cell {
            workload: "100k-announce".into(),
            dut: dut.into(),
            version: "x".into(),
            samples: runs.iter().map(|&ms| test_sample(ms)).collect(),
            error: None,
        }
    }

    /// A median convergence beyond the threshold over the baseline's is a regression; within
    /// it, or for a cell the baseline does not have, it is not.
    #[test]
    fn regressions_compare_medians_against_the_baseline() {
        let dir = std::env::temp_dir().join(format!("bgpstorm-baseline-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let base = dir.join("base.json");
        let then = [cell("bird", &[100.0, 90.0, 300.0]), cell("frr", &[1000.0, 1000.0, 1000.0])];
        std::fs::write(&base, serde_json::to_string(&then).unwrap()).unwrap();
        let now = [
            cell("bird", &[125.0, 119.0, 130.0]),
            cell("frr", &[1100.0, 1150.0, 1190.0]),
            cell("gobgp", &[9000.0]),
        ];
        let found = regressions(&base, &now, 20.0).unwrap();
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].starts_with("100k-announce on bird: convergence 125.0 ms, baseline 100.0 ms")
        );
        assert!(regressions(&base, &now, 30.0).unwrap().is_empty());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
