//! The clearance semantics of DESIGN §2, case by case.

use super::*;
use time::macros::datetime;

fn territories() -> Territories {
    Territories::shipped().unwrap()
}

fn keys(t: &Territories, d: Dimension, values: &[&str]) -> Vec<Key> {
    values.iter().map(|v| Key::resolve(d, v, t)).collect()
}

fn grant(t: &Territories, id: &str, dims: &[(Dimension, &[&str])], term: Window) -> Grant {
    let mut constraints = Constraints::default();
    for (d, values) in dims {
        constraints.set(*d, keys(t, *d, values));
    }
    Grant {
        id: id.into(),
        constraints,
        term,
    }
}

fn restriction(t: &Territories, kind: RestrictionKind, dims: &[(Dimension, &[&str])], term: Window) -> Restriction {
    let g = grant(t, "r", dims, term);
    Restriction {
        id: "restriction".into(),
        kind,
        constraints: g.constraints,
        term: g.term,
    }
}

const DEC_1: i64 = datetime!(2026-12-01 00:00 UTC).unix_timestamp();
const JAN_1: i64 = datetime!(2027-01-01 00:00 UTC).unix_timestamp();
const ALWAYS: Window = Window {
    from: None,
    until: None,
};

fn ctx(t: &Territories, at: i64, values: &[(Dimension, &str)]) -> Context {
    values.iter().fold(Context::at(at), |c, (d, v)| c.with_value(*d, v, t))
}

use Dimension::{Channel, Territory, Usage};

#[test]
fn grants_are_evaluated_one_at_a_time() {
    let t = territories();
    let rights = AssetRights {
        grants: vec![
            grant(&t, "de-print", &[(Territory, &["DE"]), (Channel, &["print"])], ALWAYS),
            grant(&t, "fr-social", &[(Territory, &["FR"]), (Channel, &["social"])], ALWAYS),
        ],
        ..Default::default()
    };
    let cases = [
        (&[(Territory, "DE"), (Channel, "print")][..], true),
        (&[(Territory, "FR"), (Channel, "social")][..], true),
        (&[(Territory, "DE"), (Channel, "social")][..], false),
        (&[(Territory, "FR"), (Channel, "print")][..], false),
        (&[(Territory, "DE")][..], true), // channel not asked: not constrained
    ];
    for (values, expected) in cases {
        let c = ctx(&t, DEC_1, values);
        assert_eq!(rights.is_cleared(&c, &t), expected, "{values:?}");
        assert_eq!(rights.explain(&c, &t).cleared, expected, "{values:?}");
    }
}

#[test]
fn regions_admit_their_members_in_every_spelling() {
    let t = territories();
    let rights = AssetRights {
        grants: vec![grant(&t, "eu", &[(Territory, &["europe_any"])], ALWAYS)],
        ..Default::default()
    };
    for asked in [
        "DE",
        "de",
        "DEU",
        "europe_germany",
        "Germany",
        "https://w3id.org/assetgraph/territory/DE",
    ] {
        assert!(rights.is_cleared(&ctx(&t, DEC_1, &[(Territory, asked)]), &t), "{asked}");
    }
    assert!(!rights.is_cleared(&ctx(&t, DEC_1, &[(Territory, "US")]), &t));
    let worldwide = AssetRights {
        grants: vec![grant(&t, "w", &[(Territory, &["any"])], ALWAYS)],
        ..Default::default()
    };
    assert!(worldwide.is_cleared(&ctx(&t, DEC_1, &[(Territory, "JP")]), &t));
}

#[test]
fn a_restricted_country_is_blocked_inside_an_allowed_region() {
    let t = territories();
    let rights = AssetRights {
        grants: vec![grant(&t, "world", &[(Territory, &["any"])], ALWAYS)],
        restrictions: vec![restriction(
            &t,
            RestrictionKind::Restricted,
            &[(Territory, &["north_america_united_states"])],
            ALWAYS,
        )],
        ..Default::default()
    };
    assert!(!rights.is_cleared(&ctx(&t, DEC_1, &[(Territory, "US")]), &t));
    assert!(rights.is_cleared(&ctx(&t, DEC_1, &[(Territory, "DE")]), &t));
    let explained = rights.explain(&ctx(&t, DEC_1, &[(Territory, "US")]), &t);
    assert!(
        explained.reasons.iter().any(|r| r.rule == "restricted"),
        "{explained:?}"
    );
    assert!(
        explained.reasons.iter().any(|r| r.rule == "admitted"),
        "the grant still shows: {explained:?}"
    );
}

#[test]
fn terms_are_half_open() {
    let t = territories();
    let term = Window {
        from: Some(DEC_1),
        until: Some(JAN_1),
    };
    let rights = AssetRights {
        grants: vec![grant(&t, "december", &[], term)],
        ..Default::default()
    };
    assert!(!rights.is_cleared(&Context::at(DEC_1 - 1), &t), "before the term");
    assert!(rights.is_cleared(&Context::at(DEC_1), &t), "from is inclusive");
    assert!(rights.is_cleared(&Context::at(JAN_1 - 1), &t));
    assert!(
        !rights.is_cleared(&Context::at(JAN_1), &t),
        "until is exclusive: uncleared the instant the term ends"
    );
    assert_eq!(rights.next_change_after(DEC_1 - 10), Some(DEC_1));
    assert_eq!(rights.next_change_after(DEC_1), Some(JAN_1));
    assert_eq!(rights.next_change_after(JAN_1), None);
}

#[test]
fn editorial_only_blocks_commercial_use() {
    let t = territories();
    let rights = AssetRights {
        editorial_only: true,
        grants: vec![grant(&t, "g", &[], ALWAYS)],
        ..Default::default()
    };
    assert!(!rights.is_cleared(&ctx(&t, DEC_1, &[(Usage, "advertising")]), &t));
    assert!(!rights.is_cleared(&ctx(&t, DEC_1, &[(Usage, "advertising_display_billboard")]), &t));
    assert!(rights.is_cleared(&ctx(&t, DEC_1, &[(Usage, "publishing_editorial_magazine")]), &t));
    let explained = rights.explain(&ctx(&t, DEC_1, &[(Usage, "advertising")]), &t);
    assert_eq!(explained.reasons[0].rule, "editorial-only");
}

#[test]
fn usage_keys_follow_the_any_convention() {
    let t = territories();
    let rights = AssetRights {
        grants: vec![grant(&t, "ads", &[(Usage, &["advertising_any"])], ALWAYS)],
        ..Default::default()
    };
    assert!(rights.is_cleared(&ctx(&t, DEC_1, &[(Usage, "advertising_display_billboard")]), &t));
    assert!(!rights.is_cleared(&ctx(&t, DEC_1, &[(Usage, "internal_use_any")]), &t));
    // the dimension's own prefix is optional
    let web = AssetRights {
        grants: vec![grant(&t, "web", &[(Channel, &["channel_web"])], ALWAYS)],
        ..Default::default()
    };
    assert!(web.is_cleared(&ctx(&t, DEC_1, &[(Channel, "web")]), &t));
    assert!(web.is_cleared(&ctx(&t, DEC_1, &[(Channel, "Channel_Web")]), &t));
}

#[test]
fn exclusive_rights_out_and_holdbacks_block_their_window() {
    let t = territories();
    let december = Window {
        from: Some(DEC_1),
        until: Some(JAN_1),
    };
    for kind in [RestrictionKind::ExclusiveRightsOut, RestrictionKind::Holdback] {
        let rights = AssetRights {
            grants: vec![grant(&t, "in", &[(Territory, &["europe_any"])], ALWAYS)],
            restrictions: vec![restriction(
                &t,
                kind,
                &[(Territory, &["FR"]), (Channel, &["tv"])],
                december,
            )],
            ..Default::default()
        };
        let fr_tv = |at| ctx(&t, at, &[(Territory, "FR"), (Channel, "tv")]);
        assert!(!rights.is_cleared(&fr_tv(DEC_1), &t), "{kind:?} in its window");
        assert!(rights.is_cleared(&fr_tv(JAN_1), &t), "{kind:?} after its window");
        assert!(
            rights.is_cleared(&ctx(&t, DEC_1, &[(Territory, "FR"), (Channel, "web")]), &t),
            "{kind:?} other channel"
        );
        let rule = if kind == RestrictionKind::Holdback {
            "holdback"
        } else {
            "exclusive-rights-out"
        };
        assert!(rights.explain(&fr_tv(DEC_1), &t).reasons.iter().any(|r| r.rule == rule));
    }
}

#[test]
fn cancelled_purchases_and_used_up_downloads_block_everything() {
    let t = territories();
    let base = AssetRights {
        grants: vec![grant(&t, "g", &[], ALWAYS)],
        ..Default::default()
    };
    let cancelled = AssetRights {
        cancelled: true,
        ..base.clone()
    };
    let exhausted = AssetRights {
        downloads: Some((10, 10)),
        ..base.clone()
    };
    let remaining = AssetRights {
        downloads: Some((9, 10)),
        ..base.clone()
    };
    let any = Context::at(DEC_1);
    assert!(base.is_cleared(&any, &t));
    assert!(!cancelled.is_cleared(&any, &t));
    assert_eq!(cancelled.explain(&any, &t).reasons[0].rule, "cancelled");
    assert!(!exhausted.is_cleared(&any, &t));
    assert_eq!(exhausted.explain(&any, &t).reasons[0].rule, "downloads-exhausted");
    assert!(remaining.is_cleared(&any, &t));
    assert!(!AssetRights::default().is_cleared(&any, &t), "no grant, no clearance");
}

#[test]
fn unknown_keys_are_reported_and_never_allow() {
    let t = territories();
    let unknown_grant = AssetRights {
        grants: vec![grant(&t, "g", &[(Territory, &["atlantis_any"])], ALWAYS)],
        ..Default::default()
    };
    let asked = ctx(&t, DEC_1, &[(Territory, "DE")]);
    assert!(!unknown_grant.is_cleared(&asked, &t));
    let explained = unknown_grant.explain(&asked, &t);
    assert!(
        explained
            .reasons
            .iter()
            .any(|r| r.rule == "unknown-key" && r.detail.contains("atlantis_any")),
        "{explained:?}"
    );

    let unknown_restriction = AssetRights {
        grants: vec![grant(&t, "g", &[], ALWAYS)],
        restrictions: vec![restriction(
            &t,
            RestrictionKind::Restricted,
            &[(Territory, &["atlantis_any"])],
            ALWAYS,
        )],
        ..Default::default()
    };
    assert!(
        !unknown_restriction.is_cleared(&asked, &t),
        "an unknown restriction is applied, not ignored"
    );
    assert!(unknown_restriction
        .explain(&asked, &t)
        .reasons
        .iter()
        .any(|r| r.rule == "unknown-key"));
    assert!(
        unknown_restriction.is_cleared(&Context::at(DEC_1), &t),
        "a context without territory is not constrained"
    );
}
