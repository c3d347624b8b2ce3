//! The whole pipeline on our fixture specs: snapshots of every generated file, determinism, and
//! errors (never panics) on malformed specs.

use std::path::PathBuf;

/// The checkout under test, found at run time (see `codegen::workspace`).
fn root() -> PathBuf {
    codegen::workspace::root().unwrap_or_else(|e| panic!("{e}"))
}

fn fixture(name: &str) -> String {
    let path = root().join("spec/fixtures").join(name);
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read fixture {}: {e}", path.display()))
}

fn snapshot_all(fixture_name: &str, prefix: &str) {
    let output = codegen::generate(&fixture(fixture_name)).expect("fixture generates");
    for file in &output.files {
        let name = format!("{prefix}__{}", file.path.replace(['/', '.'], "_"));
        insta::assert_snapshot!(name, file.contents);
    }
    insta::assert_snapshot!(format!("{prefix}__cargo_features"), output.cargo_features);
    insta::assert_snapshot!(
        format!("{prefix}__testkit_features"),
        output.testkit_features
    );
    insta::assert_snapshot!(format!("{prefix}__fixups"), output.fixups.to_string());
}

#[test]
fn constructs_fixture_snapshots() {
    snapshot_all("constructs.yaml", "constructs");
}

#[test]
fn minimal_json_fixture_snapshots() {
    snapshot_all("minimal.json", "minimal");
}

#[test]
fn constructs_fixture_counts() {
    let output = codegen::generate(&fixture("constructs.yaml")).unwrap();
    let s = output.stats;
    assert_eq!(s.operations, 14);
    assert_eq!(s.stubs, 14, "one typed test-kit stub per operation");
    assert_eq!(s.tags, 3);
    // Widget (readOnly fields dropped, `base`/`owner` retyped or dropped), WidgetBase (nested).
    // MemberInclusion is all-readOnly (no Write type); WritePlan already exists in the spec.
    assert_eq!(
        s.write_types,
        2,
        "{:?}",
        output.files.iter().map(|f| &f.path).collect::<Vec<_>>()
    );
    assert_eq!(s.enums, 3);
    let fixed: Vec<(&str, usize)> = output
        .fixups
        .fixups
        .iter()
        .map(|f| (f.name, f.locations.len()))
        .collect();
    assert_eq!(
        fixed,
        [
            ("QueryStyleSimple", 1),
            ("NullResponseDescription", 1),
            ("ParameterAdditionalProperties", 1),
            ("MediaTypeText", 1),
            ("ArrayLevelEnum", 1),
            ("TypeAny", 5),
        ]
    );
}

#[test]
fn generation_is_deterministic() {
    let text = fixture("constructs.yaml");
    let first = codegen::generate(&text).unwrap();
    for _ in 0..3 {
        let again = codegen::generate(&text).unwrap();
        assert_eq!(first.files, again.files);
        assert_eq!(first.cargo_features, again.cargo_features);
    }
}

/// Runs the generator on a broken variant of the JSON fixture and returns the error.
fn error_for(mutate: impl FnOnce(&mut serde_json::Value)) -> codegen::Error {
    let mut spec: serde_json::Value = serde_json::from_str(&fixture("minimal.json")).unwrap();
    mutate(&mut spec);
    codegen::generate(&spec.to_string()).expect_err("a malformed spec must be an error")
}

#[test]
fn dangling_ref_names_its_location() {
    let err = error_for(|s| {
        s["components"]["schemas"]["User"]["properties"]["home"] =
            serde_json::json!({"$ref": "#/components/schemas/Folder"})
    });
    assert_eq!(
        err.location, "/components/schemas/User/properties/home",
        "{err}"
    );
    assert!(err.message.contains("Folder"), "{err}");
}

#[test]
fn dangling_ref_in_a_response_names_its_location() {
    let err = error_for(|s| {
        s["paths"]["/me"]["get"]["responses"]["200"]["content"]["application/json"]["schema"] =
            serde_json::json!({"$ref": "#/components/schemas/Nope"})
    });
    assert_eq!(
        err.location, "/paths/~1me/get/responses/200/content/application~1json/schema",
        "{err}"
    );
}

#[test]
fn unknown_type_names_its_location() {
    let err = error_for(|s| {
        s["components"]["schemas"]["User"]["properties"]["first_name"] =
            serde_json::json!({"type": "strnig"})
    });
    assert_eq!(
        err.location, "/components/schemas/User/properties/first_name/type",
        "{err}"
    );
    assert!(err.message.contains("strnig"), "{err}");
}

#[test]
fn duplicate_operation_id_names_both_locations() {
    let err = error_for(|s| {
        let op = s["paths"]["/me"]["get"].clone();
        s["paths"]["/me2"] = serde_json::json!({"get": op});
    });
    assert_eq!(err.location, "/paths/~1me2/get/operationId", "{err}");
    assert!(err.message.contains("/paths/~1me/get"), "{err}");
}

#[test]
fn undeclared_path_parameter_is_an_error() {
    let err = error_for(|s| {
        let op = s["paths"]["/me"].clone();
        s["paths"]["/users/{user_id}"] = op;
        s["paths"]["/users/{user_id}"]["get"]["operationId"] = "user".into();
    });
    assert_eq!(err.location, "/paths/~1users~1{user_id}/get", "{err}");
    assert!(err.message.contains("user_id"), "{err}");
}

#[test]
fn truncated_and_invalid_files_are_errors() {
    let text = fixture("constructs.yaml");
    for cut in [text.len() / 3, text.len() / 2, text.len() - 40] {
        // Any prefix either fails with a located error or (rarely, at a clean YAML boundary)
        // parses; it must never panic.
        if let Err(err) = codegen::generate(&text[..cut]) {
            assert!(!err.to_string().is_empty());
        }
    }
    let json = fixture("minimal.json");
    let err = codegen::generate(&json[..json.len() / 2]).unwrap_err();
    assert!(err.location.starts_with("line "), "{err}");
    let err = codegen::generate("openapi: 3.0.0\npaths: {/x: [\n").unwrap_err();
    assert!(err.message.contains("invalid YAML"), "{err}");
    assert!(codegen::generate("").is_err());
}

#[test]
fn models_formatted_in_chunks_equal_models_formatted_whole() {
    let spec = codegen::parse::parse(&fixture("constructs.yaml")).unwrap();
    let api = codegen::ir::build(&spec.api).unwrap();
    let whole =
        codegen::format::format_file(codegen::emit::models_file(&api), "", "models.rs").unwrap();
    let chunked: String = (0..api.types.len())
        .step_by(3)
        .map(|start| {
            let tokens = codegen::emit::models_chunk(&api, start..(start + 3).min(api.types.len()));
            codegen::format::format_file(tokens, "", "models.rs").unwrap()
        })
        .collect();
    assert_eq!(whole, chunked);
}

#[test]
fn ids_and_arrays_of_ids_are_read_leniently_and_nothing_else_is() {
    let mut spec: serde_json::Value = serde_json::from_str(&fixture("minimal.json")).unwrap();
    let props = &mut spec["components"]["schemas"]["User"]["properties"];
    for (name, items) in [
        ("role_ids", "string"),
        ("ids", "string"),
        ("rank_ids", "integer"),
        ("roles", "string"),
    ] {
        props[name] = serde_json::json!({"type": "array", "items": {"type": items}});
    }
    let output = codegen::generate(&spec.to_string()).unwrap();
    let models = &output
        .files
        .iter()
        .find(|f| f.path == "sdk/src/generated/models.rs")
        .unwrap()
        .contents;
    for entry in [
        "\"id\" => id: lenient_id,",
        "\"home_folder_id\" => home_folder_id: lenient_id,",
        "\"role_ids\" => role_ids: lenient_ids,",
        "\"ids\" => ids: lenient_ids,",
        "\"rank_ids\" => rank_ids,",
        "\"roles\" => roles,",
        "\"first_name\" => first_name,",
    ] {
        assert!(models.contains(entry), "missing `{entry}` in:\n{models}");
    }
}

/// The SDK files of a generation run, concatenated.
fn sdk_text(output: &codegen::Output) -> String {
    output
        .files
        .iter()
        .filter(|f| f.path.starts_with(codegen::SDK_GENERATED_DIR))
        .map(|f| f.contents.as_str())
        .collect()
}

#[test]
fn api_explorer_links_become_intra_doc_links_only_where_the_target_always_exists() {
    let mut spec: serde_json::Value = serde_json::from_str(&fixture("minimal.json")).unwrap();
    // A second tag whose operation and model are compiled under another feature.
    spec["paths"]["/looks/{look_id}"] = serde_json::json!({"get": {
        "tags": ["Look"], "operationId": "look", "summary": "Get Look",
        "description": "Same as [me()](#!/User/me) but for looks; see [Look](#!/types/Look).",
        "parameters": [{"name": "look_id", "in": "path", "required": true, "schema": {"type": "string"}}],
        "responses": {"200": {"description": "Look", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Look"}}}}}
    }});
    spec["components"]["schemas"]["Look"] = serde_json::json!({"properties": {
        "id": {"type": "string", "description": "Read with [look()](#!/Look/look)."}
    }});
    spec["paths"]["/me"]["get"]["description"] = serde_json::json!(
        "Yourself with [me()](#!/User/me), a [User](#!/types/User), not [look()](#!/Look/look) \
         nor [Create Theme](#!/Theme/create), and [x](#!/types/Nope)."
    );
    let text = sdk_text(&codegen::generate(&spec.to_string()).unwrap());
    for expected in [
        // Same feature: linked.
        "Yourself with [me()](crate::LookerSdk::me), a [User](crate::models::User),",
        "Read with [look()](crate::LookerSdk::look).",
        "see [Look](crate::models::Look).",
        // Another feature's method or model, or no such target: the text only.
        "not look() nor Create Theme, and x.",
        "Same as me() but for looks;",
    ] {
        assert!(text.contains(expected), "missing `{expected}` in:\n{text}");
    }
    assert!(
        !text.contains("#!/"),
        "an API Explorer link is left:\n{text}"
    );
}

#[test]
fn the_real_spec_leaves_no_api_explorer_link_in_the_sdk() {
    let spec =
        xtask::test_specs::read(xtask::test_specs::CURRENT).unwrap_or_else(|e| panic!("{e}"));
    let explorer_links = spec.matches("](#!/").count();
    assert!(
        explorer_links > 0,
        "the spec has API Explorer links to resolve"
    );
    let text = sdk_text(&codegen::generate(&spec).unwrap());
    assert_eq!(text.matches("#!/").count(), 0);
    // The same spec with every Explorer link cut to `](#!/` → `](#cut/`, a plain fragment the
    // resolver leaves alone: the difference in intra-doc links is what the resolver made.
    let cut = sdk_text(&codegen::generate(&spec.replace("](#!/", "](#cut/")).unwrap());
    let intra = |t: &str| {
        t.matches("](crate::LookerSdk::").count() + t.matches("](crate::models::").count()
    };
    let resolved = intra(&text) - intra(&cut);
    assert!(
        (60..=explorer_links).contains(&resolved),
        "{resolved} intra-doc links made from the spec's {explorer_links} API Explorer links"
    );
}
