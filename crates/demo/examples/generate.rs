//! Generates the demo data from the command line while the `yardstick demo` command is
//! being wired: `cargo run --release -p yardstick-demo --example generate -- SEED DAYS END DIR`.

use std::path::PathBuf;
use std::time::Instant;

use chrono::NaiveDate;
use yardstick_demo::{DemoConfig, generate};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [seed, days, end, dir] = args.as_slice() else {
        return Err("usage: generate SEED DAYS END(YYYY-MM-DD) DIR".into());
    };
    let cfg = DemoConfig {
        seed: seed.parse()?,
        days: days.parse()?,
        end: NaiveDate::parse_from_str(end, "%Y-%m-%d")?,
    };
    let started = Instant::now();
    let summary = generate(&cfg, &PathBuf::from(dir))?;
    let elapsed = started.elapsed();
    println!(
        "{} .. {}, {} sites",
        summary.first_day, summary.last_day, summary.sites
    );
    for f in &summary.files {
        println!("{:>22} {:>9}", f.file, f.rows);
    }
    println!(
        "{:>22} {:>9}  in {:.2} s",
        "total",
        summary.total_rows(),
        elapsed.as_secs_f64()
    );
    for p in &summary.poor_sites {
        println!("{}: {}", p.site_id, p.reason_en);
    }
    Ok(())
}
