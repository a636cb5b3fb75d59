//! The built-in default guideline: it validates, and it holds what DOMAIN.md §4–§6 and
//! the content issue require (indicators on the right record kinds, at least four
//! checklist items per dimension and scene, targets for every typical site, the legal
//! limits as hard limits, the maturity thresholds).

use yardstick_core::guideline::{Guideline, Measure, RedLineRule, default_guideline};
use yardstick_core::records::RecordKind;
use yardstick_core::vocab::{AreaClass, Scene, Tier};

/// Every indicator the content issue asks for, with the record kind it must use.
const REQUIRED: &[(&str, RecordKind)] = &[
    ("BH-01", RecordKind::HallTicket),
    ("BH-02", RecordKind::HallTicket),
    ("BH-03", RecordKind::HallTicket),
    ("BH-04", RecordKind::HallTicket),
    ("BH-05", RecordKind::HallTicket),
    ("BH-06", RecordKind::HallTicket),
    ("BH-07", RecordKind::HallTicket),
    ("BH-12", RecordKind::Survey),
    ("CC-01", RecordKind::Contact),
    ("CC-02", RecordKind::Contact),
    ("CC-03", RecordKind::Contact),
    ("CC-04", RecordKind::Contact),
    ("CC-05", RecordKind::Contact),
    ("CC-06", RecordKind::Contact),
    ("CC-07", RecordKind::Contact),
    ("CC-08", RecordKind::Contact),
    ("CC-10", RecordKind::AgentInterval),
    ("IM-01", RecordKind::WorkOrder),
    ("IM-02", RecordKind::WorkOrder),
    ("IM-03", RecordKind::WorkOrder),
    ("IM-04", RecordKind::WorkOrder),
    ("IM-05", RecordKind::WorkOrder),
    ("IM-06", RecordKind::WorkOrder),
    ("IM-07", RecordKind::WorkOrder),
    ("IM-08", RecordKind::WorkOrder),
    ("IM-09", RecordKind::WorkOrder),
    ("IM-11", RecordKind::Survey),
    ("IM-12", RecordKind::WorkOrder),
    ("X-01", RecordKind::Complaint),
    ("X-02", RecordKind::Complaint),
    ("X-03", RecordKind::Complaint),
    ("X-04", RecordKind::Complaint),
    ("X-05", RecordKind::Complaint),
    ("X-06", RecordKind::Complaint),
    ("X-07", RecordKind::Complaint),
    ("X-08", RecordKind::Survey),
];

fn guideline() -> Guideline {
    match default_guideline() {
        Ok(g) => g,
        Err(e) => panic!("the built-in default guideline must validate:\n{e}"),
    }
}

#[test]
fn default_validates_with_its_identity() {
    let g = guideline();
    assert_eq!(g.id, "yardstick-default");
    assert_eq!(g.version, "2026.1");
    assert!(!g.name.zh.is_empty() && !g.name.en.is_empty());
}

#[test]
fn every_required_indicator_exists_on_its_record_kind() {
    let g = guideline();
    for (id, kind) in REQUIRED {
        let ind = g
            .indicator(id)
            .unwrap_or_else(|| panic!("indicator {id} is missing"));
        assert_eq!(ind.kind, *kind, "{id}: record kind");
        assert!(
            !ind.name.zh.is_empty() && !ind.name.en.is_empty(),
            "{id}: bilingual name"
        );
        assert!(
            ind.note.as_deref().is_some_and(|n| !n.is_empty()),
            "{id}: note with sources"
        );
        let clause = ind
            .clause
            .as_deref()
            .unwrap_or_else(|| panic!("{id}: clause"));
        assert!(g.clause(clause).is_some(), "{id}: clause {clause} exists");
        let prefix_scene = match id.split('-').next() {
            Some("BH") => Some(Scene::Hall),
            Some("CC") => Some(Scene::CallCentre),
            Some("IM") => Some(Scene::FieldCentre),
            _ => None,
        };
        match prefix_scene {
            Some(scene) => assert_eq!(ind.scenes, vec![scene], "{id}: scenes"),
            None => assert_eq!(
                ind.scenes.len(),
                3,
                "{id}: cross-scene indicators list all three scenes"
            ),
        }
    }
}

#[test]
fn chosen_measures_follow_the_catalogue() {
    let g = guideline();
    let measure = |id: &str| &g.indicator(id).expect("indicator exists").measure;
    assert!(matches!(measure("CC-02"), Measure::ServiceLevel(_)));
    assert!(matches!(measure("CC-10"), Measure::RatioOfSums { .. }));
    assert!(matches!(measure("IM-02"), Measure::Percentile { q, .. } if (q - 0.95).abs() < 1e-12));
    assert!(matches!(measure("X-02"), Measure::Percentile { q, .. } if (q - 0.8).abs() < 1e-12));
    assert!(matches!(measure("IM-06"), Measure::RatePer { per } if (per - 100.0).abs() < 1e-9));
    assert!(matches!(measure("X-03"), Measure::RatePer { per } if (per - 1e6).abs() < 1e-3));
    let scene_min = g
        .indicators
        .iter()
        .filter(|i| i.scenes.len() == 1 && i.weight > 0.0)
        .map(|i| i.weight)
        .fold(f64::INFINITY, f64::min);
    for x in g.indicators.iter().filter(|i| i.scenes.len() == 3) {
        assert!(
            x.weight < scene_min,
            "{}: cross-scene weights stay below scene ones",
            x.id
        );
    }
    let bh06 = g.indicator("BH-06").expect("BH-06 exists");
    assert!((bh06.scale - 1000.0).abs() < 1e-9, "BH-06 is in per mille");
}

#[test]
fn every_dimension_has_at_least_four_items_per_scene() {
    let g = guideline();
    assert_eq!(g.dimensions.len(), 9);
    for dim in &g.dimensions {
        for scene in Scene::ALL {
            let n = g
                .clauses
                .iter()
                .filter(|c| c.dimension == dim.id)
                .flat_map(|c| &c.items)
                .filter(|i| i.scenes.contains(&scene))
                .count();
            assert!(
                n >= 4,
                "dimension {} has {n} items for {}",
                dim.id,
                scene.as_str()
            );
        }
    }
    let key_control: Vec<_> = g
        .dimensions
        .iter()
        .filter(|d| d.group.as_deref() == Some("key_control"))
        .map(|d| d.id.as_str())
        .collect();
    assert_eq!(
        key_control,
        ["people", "facilities", "process", "environment"]
    );
    assert!(
        g.clauses.iter().flat_map(|c| &c.items).any(|i| i.veto),
        "some legal musts are veto items"
    );
}

#[test]
fn every_indicator_has_a_target_for_urban_and_rural_standard_sites() {
    let g = guideline();
    let areas = [
        AreaClass::Urban,
        AreaClass::Rural,
        AreaClass::MajorRural,
        AreaClass::MinorRural,
        AreaClass::Remote,
    ];
    for ind in &g.indicators {
        for &scene in &ind.scenes {
            for area in areas {
                let targets = g.targets_for(&ind.id, scene, area, Tier::Standard);
                assert!(
                    targets.iter().any(|t| t.selector.stratum().is_empty()),
                    "{}: no all-records target for a standard {} site in area {}",
                    ind.id,
                    scene.as_str(),
                    area.as_str()
                );
            }
        }
    }
}

/// The hard limit that applies to all records of one indicator at a standard site.
fn hard_limit(g: &Guideline, id: &str, scene: Scene, area: AreaClass) -> Option<f64> {
    g.targets_for(id, scene, area, Tier::Standard)
        .into_iter()
        .find(|t| t.selector.stratum().is_empty())
        .and_then(|t| t.hard_limit)
}

#[test]
fn legal_limits_are_hard_limits() {
    let g = guideline();
    let close = |x: Option<f64>, want: f64| x.is_some_and(|v| (v - want).abs() < 1e-9);
    // 电信条例 Art. 33: repair within 48 h (urban) / 72 h (rural).
    assert!(close(
        hard_limit(&g, "IM-05", Scene::FieldCentre, AreaClass::Urban),
        48.0
    ));
    for area in [
        AreaClass::Rural,
        AreaClass::MajorRural,
        AreaClass::MinorRural,
        AreaClass::Remote,
    ] {
        assert!(
            close(hard_limit(&g, "IM-05", Scene::FieldCentre, area), 72.0),
            "IM-05 {}",
            area.as_str()
        );
    }
    // IM-04 and X-01 (15-day appeal trigger) carry hard limits too.
    assert!(hard_limit(&g, "IM-04", Scene::FieldCentre, AreaClass::Urban).is_some());
    for scene in Scene::ALL {
        assert!(
            hard_limit(&g, "X-01", scene, AreaClass::Rural).is_some(),
            "X-01 {}",
            scene.as_str()
        );
    }
    // Every indicator with a hard limit is named by a hard-limit red line.
    let red_lined: Vec<&String> = g
        .scoring
        .red_lines
        .iter()
        .filter_map(|r| match &r.rule {
            RedLineRule::HardLimit { indicators } => Some(indicators),
            RedLineRule::Veto => None,
        })
        .flatten()
        .collect();
    for t in g.targets.iter().filter(|t| t.hard_limit.is_some()) {
        assert!(
            red_lined.contains(&&t.indicator),
            "{} has a hard limit but no red line",
            t.indicator
        );
    }
    assert!(
        g.scoring
            .red_lines
            .iter()
            .any(|r| r.rule == RedLineRule::Veto)
    );
}

#[test]
fn scoring_model_matches_domain_6_6() {
    let g = guideline();
    let s = &g.scoring;
    let mins: Vec<f64> = s.levels.iter().map(|l| l.min_score).collect();
    assert_eq!(s.levels.len(), 5);
    for (got, want) in mins.iter().zip([0.0, 300.0, 450.0, 600.0, 750.0]) {
        assert!((got - want).abs() < 1e-9, "levels {mins:?}");
    }
    assert!((s.management_points - 500.0).abs() < 1e-9);
    assert!((s.results_points - 500.0).abs() < 1e-9);
    assert_eq!(s.min_sample, 30);
    let w = |k: &str| s.scene_weights.get(k).copied().unwrap_or(f64::NAN);
    assert!((w("hall") - 0.3).abs() < 1e-9 && (w("call_centre") - 0.3).abs() < 1e-9);
    assert!((w("field_centre") - 0.3).abs() < 1e-9 && (w("cross") - 0.1).abs() < 1e-9);
    let dims: f64 = g.dimensions.iter().map(|d| d.weight).sum();
    assert!(
        (dims - 500.0).abs() < 1e-9,
        "dimension weights sum to the management half"
    );
}
