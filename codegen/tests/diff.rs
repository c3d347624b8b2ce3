//! Spec diff: unit tests on the fixture specs in `spec/fixtures/diff/` and snapshot reports of the
//! real published specs (found or fetched by `xtask::test_specs`).

use codegen::diff::{diff, Bump, Impact, Kind, SpecDiff};
use xtask::test_specs::{read as read_real_spec, CURRENT, V25_20, V26_10};

/// `spec/fixtures/diff/` of the checkout under test, found at run time (see `codegen::workspace`).
fn fixture_dir() -> std::path::PathBuf {
    codegen::workspace::root()
        .unwrap_or_else(|e| panic!("{e}"))
        .join("spec/fixtures/diff")
}

fn fixture(name: &str) -> codegen::parse::Spec {
    let path = fixture_dir().join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    codegen::parse::parse(&text).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn real(file: &str) -> codegen::parse::Spec {
    let text = read_real_spec(file).unwrap_or_else(|e| panic!("{e}"));
    codegen::parse::parse(&text).unwrap_or_else(|e| panic!("{file}: {e}"))
}

/// `(subject, detail)` of the changes of one kind.
fn of(d: &SpecDiff, kind: Kind) -> Vec<(String, String, Impact)> {
    d.of_kind(kind)
        .map(|c| (c.subject.clone(), c.detail.clone(), c.impact))
        .collect()
}

fn has(d: &SpecDiff, kind: Kind, subject: &str, needle: &str, impact: Impact) {
    assert!(
        d.changes.iter().any(|c| c.kind == kind && c.subject == subject && c.detail.contains(needle) && c.impact == impact),
        "no {kind:?} {impact:?} change on {subject} containing {needle:?}; changes of that kind: {:#?}",
        of(d, kind)
    );
}

// ---- fixtures ------------------------------------------------------------------------------

#[test]
fn purely_additive_update_is_minor() {
    let d = diff(&fixture("base.yaml"), &fixture("additive.yaml"));
    assert!(
        d.breaking().next().is_none(),
        "{:#?}",
        d.breaking().collect::<Vec<_>>()
    );
    assert_eq!(d.semver_bump(), Bump::Minor);
    let a = Impact::Additive;
    has(
        &d,
        Kind::OperationAdded,
        "search_things",
        "GET /things/search",
        a,
    );
    has(
        &d,
        Kind::ParamAdded,
        "all_things",
        "`name` added (query, `string`, optional",
        a,
    );
    has(&d, Kind::ErrorResponsesChanged, "all_things", "+429", a);
    has(&d, Kind::StatusChanged, "create_thing", "beta → stable", a);
    has(
        &d,
        Kind::StatusChanged,
        "legacy",
        "stable → deprecated (`#[deprecated]`)",
        a,
    );
    has(
        &d,
        Kind::HttpMethodChanged,
        "update_thing",
        "`PATCH` → `PUT`",
        a,
    );
    has(&d, Kind::SchemaAdded, "Color", "beta, 1 properties", a);
    has(
        &d,
        Kind::PropertyAdded,
        "Thing",
        "`color` added (`Color`)",
        a,
    );
    has(
        &d,
        Kind::EnumValuesAdded,
        "Thing",
        "`kind`: enum values added `c`",
        a,
    );
    // An array-level enum (moved into `items` by the normalizer) is diffed too.
    has(
        &d,
        Kind::EnumValuesAdded,
        "Thing",
        "`formats`: enum values added `xml`",
        a,
    );
    has(
        &d,
        Kind::NullableChanged,
        "Thing",
        "`name`: nullable true → false",
        a,
    );
    has(
        &d,
        Kind::ReadOnlyChanged,
        "Thing",
        "`owner_id`: readOnly true → false",
        a,
    );
    has(
        &d,
        Kind::WriteTypeChanged,
        "WriteThing",
        "gains writable properties `owner_id`, `color`",
        a,
    );
    // The description edit of `thing` is counted, not listed.
    assert_eq!(d.operations_description_only, 1);
    assert!(d.changes.iter().all(|c| c.subject != "thing"));
    assert_eq!((d.old_counts.operations, d.new_counts.operations), (6, 7));
    assert_eq!(
        (d.old_version.as_str(), d.new_version.as_str()),
        ("1.0.0", "1.1.0")
    );
    insta::assert_snapshot!(
        "fixture_additive",
        d.to_markdown("base.yaml", "additive.yaml")
    );
    insta::assert_snapshot!("fixture_additive_changelog", d.changelog_entry("0.3.0"));
}

#[test]
fn breaking_update_is_major() {
    let d = diff(&fixture("base.yaml"), &fixture("breaking.yaml"));
    assert_eq!(d.semver_bump(), Bump::Major);
    let b = Impact::Breaking;
    has(&d, Kind::OperationRemoved, "legacy", "removed", b);
    has(&d, Kind::ParamRemoved, "all_things", "`fields` removed", b);
    has(
        &d,
        Kind::ParamAdded,
        "thing",
        "`mode` added (query, `string`, required",
        b,
    );
    has(
        &d,
        Kind::ParamChanged,
        "thing",
        "`limit`: type `integer(int64)` → `string`",
        b,
    );
    has(
        &d,
        Kind::BodyChanged,
        "create_thing",
        "`Thing` (application/json) → `Part` (application/json)",
        b,
    );
    has(
        &d,
        Kind::ResponseChanged,
        "thing",
        "`200` `Thing` (application/json) → `Part` (application/json)",
        b,
    );
    has(&d, Kind::TagChanged, "delete_thing", "`Thing` → `Admin`", b);
    has(
        &d,
        Kind::ResponseAdded,
        "delete_thing",
        "success response `200` added: `Thing`",
        b,
    );
    has(&d, Kind::SchemaRemoved, "Old", "removed", b);
    has(&d, Kind::PropertyRemoved, "Thing", "`size` removed", b);
    has(
        &d,
        Kind::PropertyRetyped,
        "Thing",
        "`name`: type `string` → `integer(int64)`",
        b,
    );
    has(
        &d,
        Kind::EnumValuesRemoved,
        "Thing",
        "`kind`: enum values removed `b`",
        b,
    );
    // Part.label became readOnly: Part is all-read-only now, so WritePart goes and WriteThing
    // drops `part`.
    has(
        &d,
        Kind::ReadOnlyChanged,
        "Part",
        "`label`: readOnly false → true",
        Impact::Additive,
    );
    has(&d, Kind::WriteTypeRemoved, "WritePart", "removed", b);
    has(
        &d,
        Kind::WriteTypeChanged,
        "WriteThing",
        "loses properties `size`, `part`",
        b,
    );
    insta::assert_snapshot!(
        "fixture_breaking",
        d.to_markdown("base.yaml", "breaking.yaml")
    );
}

#[test]
fn identical_specs_have_no_changes() {
    let d = diff(&fixture("base.yaml"), &fixture("base.yaml"));
    assert!(d.is_empty());
    assert_eq!(d.semver_bump(), Bump::Patch);
    assert_eq!(d.operations_description_only, 0);
    assert!(d.to_markdown("a", "b").contains("**Implied bump: PATCH**"));
}

#[test]
fn description_only_change_is_a_patch() {
    let base = std::fs::read_to_string(fixture_dir().join("base.yaml")).unwrap();
    let edited = base
        .replace("Get one thing.", "Get exactly one thing.")
        .replace("Get all things", "All things");
    let d = diff(
        &codegen::parse::parse(&base).unwrap(),
        &codegen::parse::parse(&edited).unwrap(),
    );
    assert!(d.is_empty(), "{:#?}", d.changes);
    assert_eq!(d.operations_description_only, 2);
    assert_eq!(d.operations_description_changed, 2);
    assert_eq!(d.semver_bump(), Bump::Patch);
    assert!(d
        .changelog_entry("0.1.1")
        .contains("Documentation updates only."));
}

#[test]
fn bump_applies_to_versions() {
    assert_eq!(Bump::Major.apply("0.2.3").as_deref(), Some("0.3.0"));
    assert_eq!(Bump::Minor.apply("0.2.3").as_deref(), Some("0.2.4"));
    assert_eq!(Bump::Patch.apply("0.2.3").as_deref(), Some("0.2.4"));
    assert_eq!(Bump::Major.apply("1.2.3").as_deref(), Some("2.0.0"));
    assert_eq!(Bump::Minor.apply("1.2.3-rc.1").as_deref(), Some("1.3.0"));
    assert_eq!(Bump::Patch.apply("1.2.3").as_deref(), Some("1.2.4"));
    assert_eq!(Bump::Patch.apply("1.2"), None);
    assert!(Bump::Major > Bump::Minor && Bump::Minor > Bump::Patch);
}

// ---- real specs ------------------------------------------------------------------------------

fn ids(d: &SpecDiff, kind: Kind) -> Vec<String> {
    let mut v: Vec<String> = d.of_kind(kind).map(|c| c.subject.clone()).collect();
    v.sort();
    v.dedup();
    v
}

#[test]
fn real_25_20_to_26_12_agrees_with_spec_notes() {
    let d = diff(&real(V25_20), &real(CURRENT));
    assert!(d.warnings.is_empty(), "{:?}", d.warnings);
    // SPEC_NOTES §7, 4.0.25.20 → 4.0.26.12.
    assert_eq!(
        (d.old_counts.operations, d.new_counts.operations),
        (444, 483)
    );
    assert_eq!(
        (d.operations_added.len(), d.operations_removed.len()),
        (39, 0)
    );
    let stable: Vec<_> = d
        .operations_added
        .iter()
        .filter(|o| o.status == "stable")
        .map(|o| o.id.as_str())
        .collect();
    assert_eq!(
        stable,
        ["dashboard_filter_state", "create_dashboard_filter_state"]
    );
    assert_eq!(
        d.operations_changed, 16,
        "operations with non-description changes"
    );
    assert_eq!(d.operations_description_changed, 92);
    let removed: Vec<_> = d
        .of_kind(Kind::ParamRemoved)
        .map(|c| format!("{} {}", c.subject, c.detail))
        .collect();
    assert_eq!(removed.len(), 4, "{removed:#?}");
    for (op, p) in [
        ("login_user", "associative"),
        ("run_query", "source"),
        ("run_query", "enable_oauth_error_response"),
        ("run_inline_query", "enable_oauth_error_response"),
    ] {
        assert!(
            removed
                .iter()
                .any(|r| r.starts_with(&format!("{op} parameter `{p}`"))),
            "{op}.{p}"
        );
    }
    assert_eq!(
        ids(&d, Kind::ParamAdded),
        [
            "active_themes",
            "search_content_favorites",
            "search_model_sets",
            "search_permission_sets",
            "search_roles",
            "search_themes",
            "search_users"
        ]
    );
    assert_eq!(d.of_kind(Kind::ParamAdded).count(), 8);
    assert!(d
        .of_kind(Kind::ParamAdded)
        .all(|c| c.impact == Impact::Additive));
    has(
        &d,
        Kind::BodyAdded,
        "login",
        "application/x-www-form-urlencoded",
        Impact::Additive,
    );
    let status: Vec<_> = d
        .of_kind(Kind::StatusChanged)
        .map(|c| format!("{}: {}", c.subject, c.detail))
        .collect();
    for s in [
        "create_ci_run: status beta → deprecated",
        "get_ci_run: status beta → deprecated",
        "default_theme: status stable → deprecated",
        "set_default_theme: status stable → deprecated",
        "search_lookml_dashboards: status beta → stable",
    ] {
        assert!(status.iter().any(|x| x.starts_with(s)), "{s}: {status:#?}");
    }
    assert_eq!(status.len(), 5);
    assert_eq!(
        ids(&d, Kind::ErrorResponsesChanged),
        ["active_themes", "search_themes"]
    );
    // Schemas and properties.
    assert_eq!((d.old_counts.schemas, d.new_counts.schemas), (291, 364));
    assert_eq!((d.schemas_added.len(), d.schemas_removed.len()), (73, 0));
    assert_eq!(
        (
            d.properties_added,
            d.properties_removed,
            d.properties_retyped
        ),
        (67, 0, 0)
    );
    assert_eq!(
        d.of_kind(Kind::EnumValuesAdded).count() + d.of_kind(Kind::EnumValuesRemoved).count(),
        0
    );
    assert_eq!(d.new_counts.enum_properties, 27);
    for s in ["Alert", "AlertPatch"] {
        has(
            &d,
            Kind::PropertyAdded,
            s,
            "`enhancements` added (`string`, enum",
            Impact::Additive,
        );
    }
    let flips = |kind| {
        d.of_kind(kind)
            .map(|c| format!("{}.{}", c.subject, c.detail))
            .collect::<Vec<_>>()
    };
    let ro = flips(Kind::ReadOnlyChanged);
    assert_eq!(ro.len(), 3, "{ro:#?}");
    for p in [
        "Board.property `user_id`",
        "Dashboard.property `user_id`",
        "DashboardLayoutComponent.property `deleted`",
    ] {
        assert!(
            ro.iter()
                .any(|x| x.starts_with(p) && x.contains("true → false")),
            "{p}"
        );
    }
    let nullable = flips(Kind::NullableChanged);
    assert_eq!(nullable.len(), 3, "{nullable:#?}");
    for p in [
        "Certification.property `certification_status`",
        "Certification.property `updated_at`",
        "MobilePayload.property `dashboard_id`",
    ] {
        assert!(
            nullable
                .iter()
                .any(|x| x.starts_with(p) && x.contains("false → true")),
            "{p}"
        );
    }
    // Write types 65 → 72.
    assert_eq!(
        (d.old_counts.write_types, d.new_counts.write_types),
        (65, 72)
    );
    assert_eq!(
        ids(&d, Kind::WriteTypeAdded),
        [
            "WriteAgent",
            "WriteConversation",
            "WriteConversationMessage",
            "WriteGitDiagnosticReport",
            "WriteGoldenQuery",
            "WriteMcpToolSetting",
            "WriteMcpTools"
        ]
    );
    has(
        &d,
        Kind::WriteTypeChanged,
        "WriteDashboard",
        "`user_id`",
        Impact::Additive,
    );
    has(
        &d,
        Kind::WriteTypeChanged,
        "WriteBoard",
        "`user_id`",
        Impact::Additive,
    );
    has(
        &d,
        Kind::WriteTypeChanged,
        "WriteDashboardLayoutComponent",
        "`deleted`",
        Impact::Additive,
    );
    // Removing optional params removes setters: a major bump.
    assert_eq!(d.breaking().count(), 4);
    assert_eq!(d.semver_bump(), Bump::Major);
    insta::assert_snapshot!("real_25_20_to_26_12", d.to_markdown(V25_20, CURRENT));
}

#[test]
fn real_26_10_to_26_12_is_additive() {
    let d = diff(&real(V26_10), &real(CURRENT));
    assert!(d.warnings.is_empty(), "{:?}", d.warnings);
    assert_eq!(
        (d.old_counts.operations, d.new_counts.operations),
        (477, 483)
    );
    assert_eq!(
        (d.operations_added.len(), d.operations_removed.len()),
        (6, 0)
    );
    assert_eq!((d.old_counts.schemas, d.new_counts.schemas), (362, 364));
    assert_eq!(
        (d.old_counts.write_types, d.new_counts.write_types),
        (71, 72)
    );
    assert_eq!(ids(&d, Kind::WriteTypeAdded), ["WriteGitDiagnosticReport"]);
    assert_eq!(
        (
            d.properties_added,
            d.properties_removed,
            d.properties_retyped
        ),
        (12, 0, 0)
    );
    assert_eq!(
        ids(&d, Kind::StatusChanged),
        ["default_theme", "set_default_theme"]
    );
    assert_eq!(
        d.breaking().count(),
        0,
        "{:#?}",
        d.breaking().collect::<Vec<_>>()
    );
    assert_eq!(d.semver_bump(), Bump::Minor);
    insta::assert_snapshot!("real_26_10_to_26_12", d.to_markdown(V26_10, CURRENT));
    insta::assert_snapshot!("real_26_10_to_26_12_changelog", d.changelog_entry("0.2.0"));
    insta::assert_snapshot!("real_26_10_to_26_12_summary", d.summary());
}

#[test]
fn odd_shapes_do_not_panic_and_errors_become_warnings() {
    let old = r##"
openapi: 3.0.0
info: {title: odd, version: "1"}
paths:
  /a:
    parameters:
      - {name: shared, in: header, schema: {type: string}}
    post:
      parameters:
        - {$ref: "#/components/parameters/Limit"}
        - {$ref: "#/components/parameters/Missing"}
      requestBody:
        content:
          application/json:
            schema: {$ref: "#/components/schemas/Dangling"}
      responses:
        "200": {$ref: "#/components/responses/Ok"}
        default: {description: err}
components:
  parameters:
    Limit: {name: limit, in: query, schema: {type: integer, enum: [1, 2]}}
  responses:
    Ok:
      description: ok
      content:
        application/json:
          schema:
            oneOf: [{type: string}, {$ref: "#/components/schemas/Alias"}]
  schemas:
    Alias: {$ref: "#/components/schemas/Free"}
    Free: {type: object, additionalProperties: true}
    Flag: {type: boolean, enum: [true]}
"##;
    let new = old
        .replace("enum: [1, 2]", "enum: [1, 3]")
        .replace("enum: [true]", "enum: [true, false]")
        .replace(
            "additionalProperties: true",
            "additionalProperties: {type: string}",
        );
    let d = diff(
        &codegen::parse::parse(old).unwrap(),
        &codegen::parse::parse(&new).unwrap(),
    );
    assert!(
        d.warnings
            .iter()
            .any(|w| w.contains("Write types not derived")),
        "{:?}",
        d.warnings
    );
    // The operation has no operationId: it is keyed by method and path.
    has(
        &d,
        Kind::ParamChanged,
        "POST /a",
        "`limit`: enum `1`, `2` → `1`, `3`",
        Impact::Breaking,
    );
    has(
        &d,
        Kind::EnumValuesAdded,
        "Flag",
        "enum: enum values added `false`",
        Impact::Additive,
    );
    has(
        &d,
        Kind::SchemaChanged,
        "Free",
        "`map<string, any>` → `map<string, string>`",
        Impact::Breaking,
    );
    let md = d.to_markdown("old", "new");
    assert!(md.contains("> warning: "), "{md}");
}
