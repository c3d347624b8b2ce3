//! The one error type of the crate.

use std::fmt;

/// What went wrong in an export, plan or apply.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The API answered with an error or could not be reached; `context` says what was being
    /// done (`create_dashboard "Sales"`). The SDK error carries Looker's message and every
    /// validation error.
    Api {
        /// What the tool was doing.
        context: String,
        /// The SDK's error (boxed: it is large).
        source: Box<looker_sdk::Error>,
    },
    /// Reading or writing the tree or the id map failed.
    Io {
        /// The file or directory.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// A file of the tree or the map is not what this tool writes (bad JSON, missing fields).
    Format {
        /// The file.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// The request cannot be done as given (unknown folder, unsupported content).
    Invalid(String),
}

impl Error {
    pub(crate) fn api(context: impl Into<String>, source: looker_sdk::Error) -> Error {
        Error::Api {
            context: context.into(),
            source: Box::new(source),
        }
    }

    pub(crate) fn io(path: impl AsRef<std::path::Path>, source: std::io::Error) -> Error {
        Error::Io {
            path: path.as_ref().display().to_string(),
            source,
        }
    }

    pub(crate) fn format(path: impl Into<String>, message: impl Into<String>) -> Error {
        Error::Format {
            path: path.into(),
            message: message.into(),
        }
    }

    /// The HTTP status of an API error.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Api { source, .. } => source.status(),
            _ => None,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Api { context, source } => write!(f, "{context}: {source}"),
            Error::Io { path, source } => write!(f, "{path}: {source}"),
            Error::Format { path, message } => write!(f, "{path}: {message}"),
            Error::Invalid(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Api { source, .. } => Some(source.as_ref()),
            Error::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}
