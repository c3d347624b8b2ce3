//! Looker content as code: export folders, Looks, dashboards and (with [`Include::boards`])
//! boards from one instance into a canonical file tree, then plan and apply that tree on
//! another instance.
//!
//! - [`export`] reads the source through a [`LookerSdk`](looker_sdk::LookerSdk) and returns a
//!   [`Tree`]; [`Tree::write`] writes it atomically (one file per object, canonical JSON, a
//!   manifest with per-file sha256 and no timestamps), so exporting unchanged content twice
//!   gives byte-identical files.
//! - [`plan`] reads the target (never writes) and decides per object: create, update, move
//!   (in place, keeping its id), unchanged, conflict or blocked. [`apply`] plans first, stops
//!   before any write when the plan has a conflict or a blocked object, and otherwise writes in
//!   dependency order (folders,
//!   queries, Looks, dashboards and their filters, tabs, tiles and positions, then the alerts and
//!   schedules the tree [includes](Include), then boards with their sections and items),
//!   recording each target id in the [`IdMap`] as soon as it exists. Schedule secrets come from
//!   the environment ([`SECRET_ENV_PREFIX`]), never from the tree. Nothing is deleted unless
//!   [`PlanOptions::prune`] asks for it; then the mapped Looks and dashboards that left the
//!   tree go to the target's trash, and the mapped tiles, alerts, schedules and board items
//!   that left their file are deleted.
//! - With [`Include::access`], folder files carry the folder's access (`inherits`, grants to
//!   groups by name and users by email). Content in personal folders is kept by the owner's
//!   email (`personal/<email>/…`) and applied to that user's personal folder on the target.
//!
//! - [`mapping`]: what differs between the instances (users, groups, models, folders, hosts,
//!   integrations; [`PlanOptions::mapping`]) and the owner policy, applied to the tree before
//!   planning. [`gzr`] reads gzr's `dashboard cat` / `look cat` JSON into tree objects.
//!
//! - Export and plan read, and apply writes the objects of one dependency level, with up to
//!   [`Concurrency`] requests in flight ([`Selection::concurrency`],
//!   [`PlanOptions::concurrency`]); the tree and the results do not depend on it.
//!
//! Layers: this crate uses only `LookerSdk::request` with JSON values, so it works with any
//! feature set of `looker-sdk`.
#![warn(missing_docs)]

mod access;
mod alerts_schedules;
mod apply;
mod boards;
mod canonical;
mod concurrent;
mod error;
mod export;
pub mod gzr;
mod include;
mod integrations;
mod map;
pub mod mapping;
mod merges;
mod moves;
mod names;
mod palettes;
mod personal;
mod plan;
mod target;
mod tree;

pub use alerts_schedules::SECRET_ENV_PREFIX;
pub use apply::{apply, ApplyOptions, ApplyReport, ObjectResult};
pub use concurrent::Concurrency;
pub use error::Error;
pub use export::{export, Selection};
pub use include::{Include, INCLUDE_NAMES};
pub use map::IdMap;
pub use mapping::{Mapping, OwnerPolicy};
pub use names::{decode_name, encode_name};
pub use plan::{plan, Action, Plan, PlanOptions, PlannedObject};
pub use tree::{Kind, Manifest, Object, Tree, MANIFEST_FILE};

/// The version of this crate, recorded in the manifest as the tool that wrote a tree.
pub const TOOL_VERSION: &str = concat!("looker-content ", env!("CARGO_PKG_VERSION"));

/// The format version of the tree (the manifest's `format`).
pub const FORMAT_VERSION: u64 = 1;

/// The Looker API spec whose field lists (what is kept, what is read-only) this crate follows.
pub const SPEC_VERSION: &str = "4.0.26.12";
