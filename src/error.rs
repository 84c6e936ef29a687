//! Diagnostics: every problem names its file, and its line and column where there is one.

use std::fmt;
use std::path::{Path, PathBuf};

/// Where a problem is: a file, and a 1-based line and column when known.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct Location {
    pub path: PathBuf,
    pub line: Option<usize>,
    pub col: Option<usize>,
}

impl Location {
    pub fn file(path: impl Into<PathBuf>) -> Self {
        Location {
            path: path.into(),
            line: None,
            col: None,
        }
    }

    pub fn at(path: impl Into<PathBuf>, line: usize, col: usize) -> Self {
        Location {
            path: path.into(),
            line: Some(line),
            col: Some(col),
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}:{}", self.col.unwrap_or(1))?;
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// One problem, with what to do about it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    pub location: Location,
    pub message: String,
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn error(location: Location, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            location,
            message: message.into(),
            help: None,
        }
    }

    pub fn warning(location: Location, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            location,
            message: message.into(),
            help: None,
        }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// Shows paths relative to `base` so messages stay short and clickable in editors.
    pub fn relative_to(mut self, base: &Path) -> Self {
        if let Ok(rel) = self.location.path.strip_prefix(base)
            && !rel.as_os_str().is_empty()
        {
            self.location.path = rel.to_path_buf();
        }
        self
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{}: {kind}: {}", self.location, self.message)?;
        if let Some(help) = &self.help {
            write!(f, "\n  help: {help}")?;
        }
        Ok(())
    }
}

/// A build that cannot go on: one or more error diagnostics.
#[derive(Debug, Clone)]
pub struct BuildError {
    pub diagnostics: Vec<Diagnostic>,
    cancelled: bool,
}

impl BuildError {
    pub fn new(diagnostics: Vec<Diagnostic>) -> Self {
        BuildError {
            diagnostics,
            cancelled: false,
        }
    }

    pub fn one(diagnostic: Diagnostic) -> Self {
        BuildError::new(vec![diagnostic])
    }

    /// Not a failure: `lore serve` stopped a rebuild because newer changes arrived.
    pub fn cancelled() -> Self {
        BuildError {
            diagnostics: Vec::new(),
            cancelled: true,
        }
    }

    pub fn is_cancelled(&self) -> bool {
        self.cancelled
    }
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.diagnostics.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

impl std::error::Error for BuildError {}

pub type BuildResult<T> = Result<T, BuildError>;

/// The first place `needle` is written in the file at `path`, for problems found after parsing
/// (a relation, a status, a template name) where no position was kept. Reading the file again
/// costs little, and only happens for a problem; the file is not parsed again.
pub fn locate_text(path: &Path, needle: &str) -> Location {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Location::file(path);
    };
    match position_of(&text, needle) {
        Some((line, column)) => Location::at(path, line, column),
        None => Location::file(path),
    }
}

/// Line and column (1-based, in characters) where `needle` first is in `text`.
pub fn position_of(text: &str, needle: &str) -> Option<(usize, usize)> {
    text.lines().enumerate().find_map(|(i, line)| {
        let at = line.find(needle)?;
        Some((i + 1, line[..at].chars().count() + 1))
    })
}

/// Turns an I/O failure on a file into a diagnostic that says what to do.
pub fn io_diagnostic(path: &Path, action: &str, err: &std::io::Error) -> Diagnostic {
    let help = match err.kind() {
        std::io::ErrorKind::NotFound => "check the path exists",
        std::io::ErrorKind::PermissionDenied => {
            "check the file's permissions (chmod) or run as its owner"
        }
        _ => "check the file system and try again",
    };
    Diagnostic::error(Location::file(path), format!("cannot {action}: {err}")).with_help(help)
}
