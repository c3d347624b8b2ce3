//! What an export brings beyond folders, Looks and dashboards (`--include alerts,schedules,access,boards`).
//!
//! Alerts and schedules send mail and folder access is instance policy, so moving them is a
//! decision: they are exported, planned and applied only when named. The tree's manifest records
//! what was included, so that plan and apply manage exactly those parts on the target (a tree
//! exported without alerts never touches the target's alerts).

use std::fmt;

use crate::error::Error;

/// The optional parts of a tree.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Include {
    /// Alerts on dashboard tiles (owners by email).
    pub alerts: bool,
    /// Schedules of dashboards and Looks (owners by email; secrets from the mapping's
    /// environment variables, never from disk).
    pub schedules: bool,
    /// Folder access (inheritance and the group and user grants).
    pub access: bool,
    /// Boards with their sections and items.
    pub boards: bool,
}

/// The names `--include` accepts, in manifest order.
pub const INCLUDE_NAMES: [&str; 4] = ["access", "alerts", "boards", "schedules"];

impl Include {
    /// Everything.
    pub fn all() -> Include {
        Include {
            alerts: true,
            schedules: true,
            access: true,
            boards: true,
        }
    }

    /// Parses a comma-separated list (`alerts,schedules`); `all` names every part. Names are
    /// case-insensitive; an unknown name is an error naming the known ones.
    pub fn parse(list: &str) -> Result<Include, Error> {
        let mut include = Include::default();
        for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            if !include.set(&name.to_ascii_lowercase()) {
                return Err(Error::Invalid(format!(
                    "--include: unknown part `{name}` (known: {}, all)",
                    INCLUDE_NAMES.join(", ")
                )));
            }
        }
        Ok(include)
    }

    fn set(&mut self, name: &str) -> bool {
        match name {
            "alerts" => self.alerts = true,
            "schedules" => self.schedules = true,
            "access" => self.access = true,
            "boards" => self.boards = true,
            "all" => *self = Include::all(),
            _ => return false,
        }
        true
    }

    /// The included parts by name, sorted (what the manifest records).
    pub fn names(&self) -> Vec<&'static str> {
        let on = [self.access, self.alerts, self.boards, self.schedules];
        INCLUDE_NAMES
            .iter()
            .zip(on)
            .filter(|(_, on)| *on)
            .map(|(n, _)| *n)
            .collect()
    }

    /// Reads the manifest's `include` list; unknown names are an error (a tree written by a
    /// newer version must not be applied as if those parts were absent).
    pub(crate) fn from_names<'a>(
        names: impl IntoIterator<Item = &'a str>,
    ) -> Result<Include, String> {
        let mut include = Include::default();
        for name in names {
            if name == "all" || !include.set(name) {
                return Err(format!("unknown `include` entry `{name}`"));
            }
        }
        Ok(include)
    }
}

impl fmt::Display for Include {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names = self.names();
        if names.is_empty() {
            f.write_str("nothing optional")
        } else {
            f.write_str(&names.join(","))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_lists_case_insensitively_and_refuses_unknown_names() {
        let i = Include::parse("Alerts, schedules").unwrap();
        assert_eq!(
            i,
            Include {
                alerts: true,
                schedules: true,
                access: false,
                boards: false
            }
        );
        assert_eq!(i.names(), vec!["alerts", "schedules"]);
        assert_eq!(Include::parse("all").unwrap(), Include::all());
        assert_eq!(Include::parse("").unwrap(), Include::default());
        let e = Include::parse("alerts,dashboards").unwrap_err().to_string();
        assert!(e.contains("unknown part `dashboards`"), "{e}");
        assert!(e.contains("access, alerts, boards, schedules"), "{e}");
    }

    #[test]
    fn manifest_names_round_trip_and_unknown_entries_are_refused() {
        let i = Include::from_names(["access", "boards"]).unwrap();
        assert_eq!(i.names(), vec!["access", "boards"]);
        assert!(Include::from_names(["reports"]).is_err());
        assert!(Include::from_names(["all"]).is_err());
    }
}
