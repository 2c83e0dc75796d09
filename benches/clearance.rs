//! Clearance evaluation speed: 100k assets with Smint.io-like licences
//! (1 to 3 terms over regions and countries, usage and channel lists, half of
//! them with a restricted country, some editorial-only), each asked against
//! several contexts. Reports ns per asset per context for the allocation-free
//! path search uses, and for the explained answer.
//!
//! `cargo bench --bench clearance`

use assetgraph::rights::{
    AssetRights, Constraints, Context, Dimension, Grant, Key, Restriction, RestrictionKind, Territories, Window,
};
use std::time::Instant;

const ASSETS: usize = 100_000;

fn main() {
    let t = Territories::shipped().unwrap();
    let regions = [
        "europe_any",
        "north_america_any",
        "asia_any",
        "any",
        "DE",
        "FR",
        "US",
        "JP",
        "BR",
        "GB",
    ];
    let usages = [
        "advertising_any",
        "digital_media_social_media",
        "publishing_editorial_magazine",
        "internal_use_any",
    ];
    let channels = ["web", "print", "social", "tv"];
    let mut seed = 42u64;
    let mut next = move |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n as u64) as usize
    };
    let assets: Vec<AssetRights> = (0..ASSETS)
        .map(|i| {
            let grants = (0..1 + next(3))
                .map(|g| {
                    let mut c = Constraints::default();
                    c.set(
                        Dimension::Territory,
                        vec![Key::resolve(Dimension::Territory, regions[next(regions.len())], &t)],
                    );
                    c.set(
                        Dimension::Usage,
                        vec![Key::resolve(Dimension::Usage, usages[next(usages.len())], &t)],
                    );
                    c.set(
                        Dimension::Channel,
                        vec![Key::resolve(Dimension::Channel, channels[next(channels.len())], &t)],
                    );
                    let from = 1_700_000_000 + next(100) as i64 * 86_400;
                    Grant {
                        id: format!("a{i}#{g}"),
                        constraints: c,
                        term: Window {
                            from: Some(from),
                            until: Some(from + 400 * 86_400),
                        },
                    }
                })
                .collect();
            let restrictions = if next(2) == 0 {
                let mut c = Constraints::default();
                c.set(Dimension::Territory, vec![Key::resolve(Dimension::Territory, "US", &t)]);
                vec![Restriction {
                    id: "r".into(),
                    kind: RestrictionKind::Restricted,
                    constraints: c,
                    term: Window::default(),
                }]
            } else {
                Vec::new()
            };
            AssetRights {
                editorial_only: next(10) == 0,
                grants,
                restrictions,
                ..Default::default()
            }
        })
        .collect();
    let at = 1_700_000_000 + 200 * 86_400;
    let contexts: Vec<Context> = [
        ("DE", "web", "advertising_display_billboard"),
        ("US", "social", "digital_media_social_media"),
        ("JP", "print", "publishing_editorial_magazine"),
    ]
    .iter()
    .map(|(territory, channel, usage)| {
        Context::at(at)
            .with(Dimension::Territory, Key::resolve(Dimension::Territory, territory, &t))
            .with(Dimension::Channel, Key::resolve(Dimension::Channel, channel, &t))
            .with(Dimension::Usage, Key::resolve(Dimension::Usage, usage, &t))
    })
    .collect();

    for round in 1..=3 {
        let start = Instant::now();
        let mut cleared = 0usize;
        for ctx in &contexts {
            cleared += assets.iter().filter(|a| a.is_cleared(ctx, &t)).count();
        }
        let fast = start.elapsed().as_nanos() as f64 / (ASSETS * contexts.len()) as f64;
        let start = Instant::now();
        let mut explained = 0usize;
        for ctx in &contexts {
            explained += assets.iter().filter(|a| a.explain(ctx, &t).cleared).count();
        }
        let slow = start.elapsed().as_nanos() as f64 / (ASSETS * contexts.len()) as f64;
        assert_eq!(cleared, explained, "both paths agree");
        println!(
            "round {round}: {ASSETS} assets x {} contexts: is_cleared {fast:.0} ns/asset/context, explain {slow:.0} ns ({cleared} cleared answers)",
            contexts.len()
        );
    }
}
