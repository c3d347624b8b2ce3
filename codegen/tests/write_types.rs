//! Write-type derivation on the real published specs (found or fetched by
//! `xtask::test_specs`). Counts and names from SPEC_NOTES.md §7 and §8.

use codegen::write_types::derive_write_types;
use xtask::test_specs::{read as read_real_spec, CURRENT, V25_20, V26_10};

fn write_types(file: &str) -> indexmap::IndexMap<String, codegen::write_types::WriteType> {
    let text = read_real_spec(file).unwrap_or_else(|e| panic!("{e}"));
    let spec = codegen::parse::parse(&text).unwrap_or_else(|e| panic!("{file}: {e}"));
    derive_write_types(&spec.api).unwrap_or_else(|e| panic!("{file}: {e}"))
}

#[test]
fn spec_26_12_has_72_write_types() {
    let types = write_types(CURRENT);
    assert_eq!(types.len(), 72, "{:?}", types.keys().collect::<Vec<_>>());
    // The 9 nested-only Write types of SPEC_NOTES §8.
    for nested in [
        "DashboardBase",
        "DBConnectionOverride",
        "EmbedConfig",
        "FolderBase",
        "LookBasic",
        "McpToolSetting",
        "McpTools",
        "PrivatelabelConfiguration",
        "ResultMakerWithIdVisConfigAndDynamicFields",
    ] {
        assert!(types.contains_key(nested), "missing Write{nested}");
    }
    // The six all-read-only request bodies get none.
    for all_ro in [
        "CreateCostEstimate",
        "GroupIdForGroupInclusion",
        "GroupIdForGroupUserInclusion",
        "UserAttributeGroupValue",
        "ContentMetaGroupUser",
        "CredentialsTotp",
    ] {
        assert!(!types.contains_key(all_ro), "unexpected Write{all_ro}");
    }
    // SPEC_NOTES §8 counts: 94 distinct direct `$ref` bodies; 63 of them get a Write type, and
    // the other 9 Write types are nested-only.
    let spec = codegen::parse::parse(&read_real_spec(CURRENT).unwrap()).unwrap();
    let bodies: Vec<String> = codegen::write_types::body_schemas(&spec.api)
        .unwrap()
        .into_iter()
        .map(|(name, _)| name)
        .collect();
    assert_eq!(bodies.len(), 94);
    let direct = types.keys().filter(|k| bodies.contains(k)).count();
    assert_eq!((direct, types.len() - direct), (63, 9));
    // Array bodies get none.
    assert!(!types.contains_key("UpdateArtifact"));
    // McpTools has no read-only props; it is retyped only.
    assert!(types["McpTools"].removed.is_empty());
    assert!(!types["McpTools"].retyped.is_empty());
    // The clash with the spec's own WriteScheduledPlan, which has the same 33 props.
    let clashing: Vec<_> = types
        .values()
        .filter(|w| w.clashes_with_spec_schema)
        .map(|w| w.name.as_str())
        .collect();
    assert_eq!(clashing, ["WriteScheduledPlan"]);
    let spec = codegen::parse::parse(&read_real_spec(CURRENT).unwrap()).unwrap();
    let plan = &types["ScheduledPlan"];
    assert!(plan.removed.contains(&"user".to_string()));
    let kept = plan.kept(&spec.api);
    let official = codegen::write_types::component(&spec.api, "WriteScheduledPlan").unwrap();
    let (official_props, _) = codegen::write_types::object_properties(official).unwrap();
    assert_eq!(kept.len(), 33);
    assert_eq!(
        kept,
        official_props
            .keys()
            .map(String::as_str)
            .collect::<Vec<_>>()
    );
}

#[test]
fn spec_25_20_has_65_write_types() {
    let old = write_types(V25_20);
    assert_eq!(old.len(), 65);
    let new = write_types(CURRENT);
    let mut added: Vec<_> = new
        .keys()
        .filter(|k| !old.contains_key(*k))
        .cloned()
        .collect();
    added.sort();
    assert_eq!(
        added,
        [
            "Agent",
            "Conversation",
            "ConversationMessage",
            "GitDiagnosticReport",
            "GoldenQuery",
            "McpToolSetting",
            "McpTools"
        ]
    );
    assert!(old.keys().all(|k| new.contains_key(k)));
}

#[test]
fn spec_26_10_derives_and_is_deterministic() {
    let a = write_types(V26_10);
    let b = write_types(V26_10);
    assert_eq!(a, b);
    assert!(!a.is_empty());
}
