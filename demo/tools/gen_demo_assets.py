"""Writes the demo assets of `assetgraph serve --demo`: records of the
project's own format (demo/assets.json), Smint.io purchases with their
prices (demo/smintio.json), Rightsline titles with their rights
(demo/rightsline.json) and six months of usage events (demo/usage.json),
which the reports chart. Deterministic; run from the repository root:

    python3 demo/tools/gen_demo_assets.py

The rights are chosen so that clearance differs by territory, channel and
date: some grants cover Europe only, some print only, some end on
2026-12-31, one licence ends within weeks, one purchase is cancelled, one is editorial only, one has used
up its downloads, and a Rightsline title has an exclusive Rights Out and a
holdback.

The dates are written for a demo "today" of 2026-07-01: `serve --demo`
moves every date by the days from then to the real today (src/cli/demo.rs),
so nothing in the demo expires as the calendar moves on.
"""
import json
import random

NS = "https://demo.assetgraph.example/campaigns/"
random.seed(7)

SUBJECTS = [
    ("eco-friendly", "Reusable bottle on a trail", "Wiederverwendbare Flasche auf einem Wanderweg", ["bottle", "hiking", "reuse"]),
    ("recyclable", "Paper cup on a wooden table", "Pappbecher auf einem Holztisch", ["cup", "coffee", "recycling"]),
    ("carbon-neutral", "Electric delivery van in the city", "Elektrischer Lieferwagen in der Stadt", ["van", "delivery", "electric"]),
    ("compostable", "Compostable food boxes", "Kompostierbare Essensboxen", ["food", "box", "takeaway"]),
    ("plastic-free", "Market stall without plastic", "Marktstand ohne Plastik", ["market", "vegetables", "bag"]),
    ("students", "Students studying in a library", "Studierende in einer Bibliothek", ["library", "study", "books"]),
    ("education", "Teacher at a whiteboard", "Lehrerin an der Tafel", ["classroom", "teacher", "lesson"]),
    ("notebooks", "Stack of spiral notebooks", "Stapel Spiralblöcke", ["notebook", "paper", "office"]),
    ("summer-sale", "Beach bags on sale", "Strandtaschen im Angebot", ["beach", "summer", "sale"]),
    ("holiday-season", "Gift wrapping at home", "Geschenke verpacken zu Hause", ["gift", "winter", "family"]),
    ("packaging", "Cardboard boxes on a conveyor", "Kartons auf einem Förderband", ["warehouse", "box", "logistics"]),
    ("stationery", "Pens and pencils in a cup", "Stifte in einem Becher", ["pen", "pencil", "desk"]),
]

GRANT_SHAPES = [
    [{"territory": "europe_any", "channel": ["web", "social", "print"], "until": "2027-06-30"}],
    [{"territory": "DE", "channel": "print"}, {"territory": "FR", "channel": "social"}],
    [{"territory": "any", "channel": "web", "until": "2026-12-31"}],
    [{"territory": ["DE", "AT", "CH"], "channel": ["web", "print"], "usage": ["advertising", "marketing"]}],
    [{"territory": "north_america_any", "channel": ["web", "social"], "from": "2026-01-01"}],
    [{"territory": "any", "audience": "internal", "usage": "internal_use_any"}],
]


# Each subject is shot more than once: the takes differ in framing, so that
# no two records share a title.
TAKES = [
    ("", "", []),
    (", close-up", ", Nahaufnahme", ["close-up"]),
    (", from above", ", von oben", ["overhead"]),
]


def own_records():
    records = []
    for i in range(30):
        concept, title, title_de, keywords = SUBJECTS[i % len(SUBJECTS)]
        take, take_de, take_keywords = TAKES[i // len(SUBJECTS)]
        title, title_de, keywords = title + take, title_de + take_de, keywords + take_keywords
        shape = GRANT_SHAPES[i % len(GRANT_SHAPES)]
        rights = {"grants": shape}
        if i % 7 == 3:
            rights["restrictions"] = [{"kind": "restricted", "territory": "US"}]
        if i % 9 == 4:
            rights["restrictions"] = [{"kind": "holdback", "territory": "DE", "channel": "social",
                                       "from": "2026-12-01", "until": "2027-01-01"}]
        records.append({
            "id": f"brand:{concept}-{i + 1:03d}",
            "title": title,
            "description": f"{title}, brand library photo {i + 1}",
            "keywords": keywords,
            "concepts": [NS + concept],
            "language": "en",
            "variants": {"de": {"title": title_de}},
            "content_type": "image" if i % 5 else "video",
            "rights": rights,
        })
    return records


def lpt(n, title, keywords, term, **extra):
    record = {
        "uuid": str(88100 + n),
        "cart_purchase_transaction_uuid": str(4000 + n // 3),
        "state": "completed",
        "project_uuid": "227",
        "project_name": [{"culture": "en", "value": "Spring Campaign"}],
        "licensee_uuid": "11",
        "licensee_name": "Demo Brand GmbH",
        "content_element": {
            "uuid": f"2:0:{61019700 + n}",
            "provider": ["adobestock", "getty", "shutterstock"][n % 3],
            "content_type": "image",
            "content_category": "creative",
            "name": [{"culture": "en", "value": title}],
            "keywords": [{"culture": "en", "metadata_element": {"name": k}} for k in keywords],
            "copyright_notices": [{"culture": "en", "value": "Demo Photographer / www.example.com"}],
            "is_editorial_use": False,
        },
        "offering": {"license_type": "royalty_free"},
        "license_text": {"effective_text": [{"culture": "en", "value": "Standard licence for the demo"}]},
        "license_terms": [dict({
            "sequence_number": 1,
            "name": [{"culture": "en", "value": "Default"}],
            "exclusivities": [],
            "allowed_sizes": [], "restricted_sizes": [],
            "allowed_placements": [], "restricted_placements": [],
            "allowed_industries": [], "restricted_industries": ["industry_tobacco"],
            "allowed_languages": ["any"], "restricted_languages": [],
            "usage_limits": [],
            "valid_from": "2024-01-01T00:00:00Z",
            "to_be_used_until": None,
        }, **term)],
        "license_download_constraints": {"effective_max_downloads": 0},
        "current_downloads": 0,
        "can_be_synced": True,
        "version": 1,
        "total_price_eur": [49.0, 320.0, 12.5, 175.0, 89.0, 499.0, 35.0, 240.0][(n - 1) % 8],
        "purchased_at": f"2026-0{1 + (n - 1) % 6}-1{n % 10}T10:00:00Z",
        "purchased_by_user_name": "Mia Keller",
        "created_at": "2024-03-01T10:00:00Z",
        "last_updated_at": "2024-03-02T08:00:00Z",
    }
    record.update(extra)
    return record


def smintio_records():
    web_europe = {"allowed_usages": ["advertising_any", "digital_media_social_media"], "restricted_usages": [],
                  "allowed_distributions": ["channel_web", "social_media_any"], "restricted_distributions": ["channel_tv"],
                  "allowed_geographies": ["europe_any"], "restricted_geographies": [],
                  "valid_until": "2026-12-31T23:59:59Z"}
    print_world = {"allowed_usages": ["advertising_any"], "restricted_usages": ["advertising_display_billboard"],
                   "allowed_distributions": ["channel_print"], "restricted_distributions": [],
                   "allowed_geographies": ["any"], "restricted_geographies": ["north_america_united_states"],
                   "valid_until": "2028-06-30T00:00:00Z"}
    records = [
        lpt(1, "Family on a sunny beach", ["beach", "family", "summer"], web_europe),
        lpt(2, "Ice cream at the seaside", ["ice cream", "sea"], print_world),
        lpt(3, "Snowy village at night", ["snow", "village", "night"], web_europe),
        lpt(4, "Candles on a table", ["candles", "winter"], print_world,
            state="cancelled"),
        lpt(5, "Campus lawn in autumn", ["campus", "autumn"], web_europe,
            license_download_constraints={"effective_max_downloads": 3}, current_downloads=3),
        lpt(6, "Wind turbines at dawn", ["wind", "energy"], print_world),
        lpt(7, "Protest in front of parliament", ["protest", "politics"],
            dict(web_europe, is_editorial_use=True, allowed_usages=["publishing_editorial_any"])),
        lpt(8, "Sorting bins in a kitchen", ["bins", "recycling"],
            dict(web_europe, valid_until="2026-07-20T23:59:59Z")),
    ]
    return records


def rightsline_records():
    def lov(*values):
        return [{"id": 100 + i, "value": v[0], "xref": v[1]} for i, v in enumerate(values)]

    entities = []
    for cid, title in [(501, "Sustainability documentary"), (502, "Back-to-school spot")]:
        entities.append({"id": cid, "charTypeId": 1, "title": title,
                         "template": {"templateId": 19, "templateName": "Film"},
                         "status": {"statusId": 11, "statusName": "Approved"},
                         "statusUpdatedById": 4101, "statusUpdatedDate": "2026-01-09T16:30:00Z",
                         "characteristics": {"release_year": 2025},
                         "lastUpdatedDate": "2026-01-10T09:00:00Z"})
    def right(rid, parent, template, chars):
        return {"id": rid, "charTypeId": 3, "title": f"{template} {rid}",
                "parentRelationship": [{"parentCharTypeId": 1, "parentRecordId": parent}],
                "template": {"templateId": 1, "templateName": template},
                "status": {"statusId": 1, "statusName": "Active"},
                "statusUpdatedById": 4102, "statusUpdatedDate": "2026-01-10T08:45:00Z",
                "characteristics": chars, "lastUpdatedDate": "2026-01-10T09:00:00Z"}
    entities.append(right(7001, 501, "Rights In", {
        "media_right": lov(("All Media", None)), "territory": lov(("Worldwide", "any")),
        "term_start": "2025-01-01", "term_end": "2028-12-31"}))
    entities.append(right(7002, 501, "Rights Out", {
        "media_right": lov(("Internet", None)), "territory": lov(("Germany", "DE")),
        "exclusivity": "Exclusive", "term_start": "2026-06-01", "term_end": "2026-12-31"}))
    entities.append(right(7003, 502, "Rights In", {
        "media_right": lov(("Free TV", None), ("Internet", None)), "territory": lov(("Europe", "europe_any")),
        "term_start": "2026-01-01", "term_end": "2026-12-31"}))
    entities.append(right(7004, 502, "Holdback/Reserved Rights", {
        "media_right": lov(("Free TV", None)), "territory": lov(("France", "FR")),
        "term_start": "2026-01-01", "term_end": "2026-03-31"}))
    return entities


def usage_events():
    """What people did with the demo assets in the six months before the
    demo's today: a few uses a month, more in spring, some downloads, one
    use in a market an asset is not cleared for."""
    assets = [f"brand:{name}" for name in ["eco-friendly-001", "recyclable-002", "carbon-neutral-003",
                                          "compostable-004", "students-006", "summer-sale-009"]]
    assets += [f"smintio:{88100 + n}" for n in (1, 3, 6)]
    people = ["mia@brand.example", "jonas@brand.example", "lea@agency.example"]
    events = []
    for month in range(1, 7):
        for i in range(2 + month % 4 * 2):
            asset = assets[(month * 3 + i) % len(assets)]
            events.append({
                "id": f"demo-{month}-{i}",
                "asset": asset,
                "user": people[i % 3],
                "action": ["view", "download", "publish"][i % 3],
                "at": f"2026-0{month}-{10 + i:02d}T09:30:00Z",
                "territory": "DE",
                "channel": "web",
                "campaign": ["Spring Campaign", "Back to school"][month // 4],
            })
    events.append({"id": "demo-outside", "asset": "smintio:88101", "user": "jonas@brand.example",
                   "action": "publish", "at": "2026-06-20T11:00:00Z", "territory": "US", "channel": "web",
                   "campaign": "Spring Campaign"})
    return events


def main():
    with open("demo/assets.json", "w") as f:
        json.dump(own_records(), f, indent=1, ensure_ascii=False)
        f.write("\n")
    with open("demo/smintio.json", "w") as f:
        records = smintio_records()
        json.dump({"count": len(records), "continuation_uuid": "demo", "license_purchase_transactions": records},
                  f, indent=1, ensure_ascii=False)
        f.write("\n")
    with open("demo/rightsline.json", "w") as f:
        json.dump(rightsline_records(), f, indent=1, ensure_ascii=False)
        f.write("\n")
    with open("demo/usage.json", "w") as f:
        json.dump(usage_events(), f, indent=1, ensure_ascii=False)
        f.write("\n")


if __name__ == "__main__":
    main()
