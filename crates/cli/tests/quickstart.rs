//! `yardstick quickstart` end to end on a short demo: every row imported, the last full
//! month evaluated, and the deliberately weak sites at the bottom of their peer groups.

use std::process::Command;

#[test]
fn quickstart_ranks_the_weak_sites_last_and_explains_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    // October 2026 in full: 31 days ending on the 31st, so the last full month is October.
    let out = Command::new(env!("CARGO_BIN_EXE_yardstick"))
        .args([
            "--lang",
            "en",
            "--data-dir",
            data.to_str().expect("utf-8"),
            "quickstart",
            "--days",
            "31",
            "--end",
            "2026-10-31",
            "--no-serve",
        ])
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("Evaluation 2026-10"), "{stdout}");
    // No demo row is quarantined: every import line says "quarantined 0".
    let imports: Vec<&str> = stdout
        .lines()
        .filter(|l| l.contains(" read ") && l.contains(" stored "))
        .collect();
    assert_eq!(imports.len(), 7, "{stdout}");
    assert!(
        imports
            .iter()
            .all(|l| l.trim_end().ends_with("quarantined 0")),
        "{stdout}"
    );
    // Each weak site is named in the story and ranks in the bottom half of its peers.
    for site in ["hz-h02", "cd-h02", "nb-c01", "my-f02"] {
        assert!(
            stdout.contains(&format!("  {site} ")),
            "{site} missing from the story:\n{stdout}"
        );
        let row = stdout
            .lines()
            .find(|l| l.starts_with(site))
            .unwrap_or_else(|| panic!("{site} not ranked:\n{stdout}"));
        let rank = row
            .split_whitespace()
            .find(|w| w.contains('/') && w.chars().all(|c| c.is_ascii_digit() || c == '/'))
            .expect("rank column");
        let (pos, peers) = rank.split_once('/').expect("n/m");
        let (pos, peers): (u32, u32) = (pos.parse().expect("pos"), peers.parse().expect("peers"));
        assert!(2 * pos > peers, "{site} ranks {pos}/{peers}:\n{stdout}");
    }
    // The repair backlog breaks the legal repair limit: a red line caps it.
    let backlog = stdout
        .lines()
        .find(|l| l.starts_with("my-f02"))
        .expect("my-f02");
    assert!(backlog.contains("RL-"), "{backlog}");
    assert!(data.join("meta.sqlite").exists());
}
