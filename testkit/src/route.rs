//! Which operation a request is: its method and path matched against the spec's templates.

use std::borrow::Cow;

/// Decoded path parameters by name.
pub(crate) type Params = Vec<(String, String)>;

/// How a path fits a template: which segments were literal, and the parameters.
struct Fit {
    literals: Vec<bool>,
    params: Params,
}

/// One operation of the spec, as the fake server routes it (the generated table holds all).
#[derive(Debug)]
pub(crate) struct OperationInfo {
    pub(crate) id: &'static str,
    pub(crate) method: &'static str,
    /// Template relative to `/api/4.0`, e.g. `/dashboards/{dashboard_id}`.
    pub(crate) path: &'static str,
    /// The Cargo feature (tag) whose stubs cover it.
    pub(crate) feature: &'static str,
    /// Whether Looker requires a session token for it (every operation but `login`).
    pub(crate) auth: bool,
}

/// An entry of the generated table.
pub(crate) const fn op(
    id: &'static str,
    method: &'static str,
    path: &'static str,
    feature: &'static str,
    auth: bool,
) -> OperationInfo {
    OperationInfo {
        id,
        method,
        path,
        feature,
        auth,
    }
}

/// The operation for `method` and `path` (relative to `/api/4.0`, still percent-encoded), with
/// its decoded path parameters. Where templates overlap (`/dashboards/search` and
/// `/dashboards/{dashboard_id}`), a literal segment wins over a parameter, as in Looker.
pub(crate) fn route(
    operations: &'static [OperationInfo],
    method: &str,
    path: &str,
) -> Option<(&'static OperationInfo, Params)> {
    let segments: Vec<&str> = path.split('/').collect();
    let mut best: Option<(Fit, &'static OperationInfo)> = None;
    for op in operations.iter().filter(|op| op.method == method) {
        let Some(fit) = match_template(op.path, &segments) else {
            continue;
        };
        if best.as_ref().is_none_or(|(b, _)| fit.literals > b.literals) {
            best = Some((fit, op));
        }
    }
    best.map(|(fit, op)| (op, fit.params))
}

/// Which segments of `template` are literal, and the parameters, if `segments` fit it.
fn match_template(template: &str, segments: &[&str]) -> Option<Fit> {
    let parts: Vec<&str> = template.split('/').collect();
    if parts.len() != segments.len() {
        return None;
    }
    let mut literals = Vec::with_capacity(parts.len());
    let mut params = Vec::new();
    for (part, segment) in parts.iter().zip(segments) {
        match part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
            Some(name) => {
                if segment.is_empty() {
                    return None;
                }
                params.push((name.to_owned(), decode(segment).into_owned()));
                literals.push(false);
            }
            None if part == segment => literals.push(true),
            None => return None,
        }
    }
    Some(Fit { literals, params })
}

/// Percent-decodes one path segment (lossy for invalid UTF-8).
fn decode(segment: &str) -> Cow<'_, str> {
    percent_encoding::percent_decode_str(segment).decode_utf8_lossy()
}

#[cfg(test)]
mod tests {
    use super::*;

    static TABLE: &[OperationInfo] = &[
        op("dashboard", "GET", "/dashboards/{dashboard_id}", "d", true),
        op("search_dashboards", "GET", "/dashboards/search", "d", true),
        op(
            "update_dashboard",
            "PATCH",
            "/dashboards/{dashboard_id}",
            "d",
            true,
        ),
        op(
            "render",
            "POST",
            "/render_tasks/dashboards/{dashboard_id}/{result_format}",
            "r",
            true,
        ),
    ];

    fn id(method: &str, path: &str) -> Option<(&'static str, Params)> {
        route(TABLE, method, path).map(|(op, params)| (op.id, params))
    }

    #[test]
    fn literal_segments_win_over_parameters() {
        assert_eq!(
            id("GET", "/dashboards/search"),
            Some(("search_dashboards", vec![]))
        );
        assert_eq!(
            id("GET", "/dashboards/42"),
            Some(("dashboard", vec![("dashboard_id".into(), "42".into())]))
        );
    }

    #[test]
    fn method_and_segment_count_must_fit_and_params_are_decoded() {
        assert_eq!(id("PATCH", "/dashboards/a%2Fb").unwrap().1[0].1, "a/b");
        assert_eq!(id("DELETE", "/dashboards/42"), None);
        assert_eq!(id("GET", "/dashboards/42/extra"), None);
        assert_eq!(id("GET", "/dashboards/"), None);
        let (op, params) = id("POST", "/render_tasks/dashboards/7/pdf").unwrap();
        assert_eq!(op, "render");
        assert_eq!(params[1], ("result_format".into(), "pdf".into()));
    }
}
