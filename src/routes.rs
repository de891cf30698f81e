//! `anonlog routes`: route templates suggested from a log, for `[[path.routes]]`.
//!
//! Identifier rules cannot tell a name from a word (`/team/zelda-quintrell`); route
//! templates can. This reads any access log (raw, or anonlog's own output), templates each
//! path with the anonymizer's rules, and finds the positions where many distinct values
//! follow the same prefix: those are variables (`/team/{team}`). A suggestion is printed
//! only when its variable took at least `min_distinct` distinct values, so every literal
//! segment it shows is shared by that many paths; the values themselves are never printed.
//! The operator reviews the suggestions before putting them into the policy.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use crate::anonymize::path::{split_target, template_path};
use crate::parse::{InputFormat, LineParser, looks_like_json};
use crate::policy::Policy;
use crate::record::SafeText;
use crate::stream::reader::Chunk;
use crate::stream::runner::{self, Batch, Collect, Job, RunSettings};
use crate::stream::{Input, Progress, StreamError};

/// Longest templated path looked at, in bytes.
const MAX_PATH: usize = 1024;
/// Most distinct templated paths counted; further new paths are not counted (memory
/// stays bounded whatever the input).
const MAX_PATHS: usize = 1 << 20;

/// A suggested route template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Suggestion {
    /// The template (`/team/{team}`).
    pub template: String,
    /// Requests whose path it matches.
    pub requests: u64,
    /// Distinct values its variable segments took (the smallest over its variables).
    pub distinct: u64,
}

/// Counts of templated paths, as a run collects them.
#[derive(Debug, Default)]
pub struct PathCounts {
    paths: HashMap<Box<[u8]>, u64>,
    lines: u64,
}

impl PathCounts {
    /// Counts one templated path.
    fn add(&mut self, path: &[u8], n: u64) {
        if let Some(count) = self.paths.get_mut(path) {
            *count += n;
        } else if self.paths.len() < MAX_PATHS {
            self.paths.insert(path.into(), n);
        }
    }

    fn merge(&mut self, other: Self) {
        self.lines += other.lines;
        for (path, n) in other.paths {
            self.add(&path, n);
        }
    }

    /// The lines read.
    pub fn lines(&self) -> u64 {
        self.lines
    }

    /// Route templates for the positions where at least `min_distinct` distinct values
    /// follow one prefix, most requested first.
    pub fn suggest(&self, min_distinct: u64) -> Vec<Suggestion> {
        let min_distinct = min_distinct.max(2);
        let mut root = Node::default();
        for (path, &n) in &self.paths {
            let segments: Vec<&[u8]> = path
                .strip_prefix(b"/")
                .unwrap_or(path)
                .split(|&b| b == b'/')
                .collect();
            root.insert(&segments, n);
        }
        root.generalize(min_distinct);
        let mut out = Vec::new();
        root.collect(&mut Vec::new(), None, min_distinct, &mut out);
        out.sort_by(|a, b| {
            b.requests
                .cmp(&a.requests)
                .then(a.template.cmp(&b.template))
        });
        out
    }
}

/// A trie of path segments; `end` counts the paths that end here.
#[derive(Debug, Default)]
struct Node {
    children: BTreeMap<Box<[u8]>, Node>,
    /// Set when the children were merged into one variable.
    variable: Option<Box<Node>>,
    /// Distinct values the variable took.
    distinct: u64,
    /// Below a variable: how many of its distinct values lead here.
    sources: u64,
    end: u64,
}

impl Node {
    fn insert(&mut self, segments: &[&[u8]], n: u64) {
        match segments.split_first() {
            None => self.end += n,
            Some((first, rest)) => self
                .children
                .entry((*first).into())
                .or_default()
                .insert(rest, n),
        }
    }

    /// Merges the children of every node with at least `min_distinct` of them into one
    /// variable, top down.
    fn generalize(&mut self, min_distinct: u64) {
        if self.children.len() as u64 >= min_distinct {
            let mut merged = Node::default();
            self.distinct = self.children.len() as u64;
            for (_, child) in std::mem::take(&mut self.children) {
                merged.absorb(child);
            }
            self.variable = Some(Box::new(merged));
        }
        for child in self.children.values_mut() {
            child.generalize(min_distinct);
        }
        if let Some(variable) = &mut self.variable {
            variable.generalize(min_distinct);
        }
    }

    /// Adds the subtree of one value of a variable.
    fn absorb(&mut self, other: Node) {
        self.sources += 1;
        self.end += other.end;
        for (segment, child) in other.children {
            self.children.entry(segment).or_default().absorb(child);
        }
    }

    /// Emits the paths that end below this node and pass through a variable. `support`
    /// is how many distinct values back every segment so far: the variables' distinct
    /// values, and for a literal after a variable the values that lead to it.
    fn collect(
        &self,
        prefix: &mut Vec<String>,
        support: Option<u64>,
        min_distinct: u64,
        out: &mut Vec<Suggestion>,
    ) {
        if self.end > 0 && support.is_some_and(|d| d >= min_distinct) {
            out.push(Suggestion {
                template: format!("/{}", prefix.join("/")),
                requests: self.end,
                distinct: support.unwrap_or_default(),
            });
        }
        for (segment, child) in &self.children {
            prefix.push(String::from_utf8_lossy(segment).into_owned());
            let support = support.map(|d| d.min(child.sources));
            child.collect(prefix, support, min_distinct, out);
            prefix.pop();
        }
        if let Some(variable) = &self.variable {
            let name = variable_name(prefix.last().map(String::as_str));
            prefix.push(format!("{{{name}}}"));
            let support = Some(support.map_or(self.distinct, |d| d.min(self.distinct)));
            variable.collect(prefix, support, min_distinct, out);
            prefix.pop();
        }
    }
}

/// `{user}` after `users`, `{team}` after `team`, `{id}` at the start or after a variable.
fn variable_name(before: Option<&str>) -> String {
    match before {
        Some(word) if !word.starts_with('{') && word.bytes().all(|b| b.is_ascii_alphabetic()) => {
            let word = word.to_ascii_lowercase();
            word.strip_suffix('s')
                .filter(|w| w.len() > 1)
                .unwrap_or(&word)
                .to_owned()
        }
        _ => "id".to_owned(),
    }
}

/// Reading a log for its paths: a job of the stream runner.
struct RoutesJob {
    policy: Policy,
}

struct Worker {
    clf: LineParser,
    json: LineParser,
    path: SafeText,
}

impl Job for RoutesJob {
    type Tag = ();
    type Worker = Worker;
    type Output = PathCounts;

    fn tag(&self, _: &mut Option<()>, _: &Chunk) {}

    fn worker(&self) -> Worker {
        Worker {
            clf: LineParser::for_audit(InputFormat::Combined, &self.policy),
            json: LineParser::for_audit(InputFormat::Json, &self.policy),
            path: SafeText::default(),
        }
    }

    fn process(&self, worker: &mut Worker, batch: &Batch<()>) -> PathCounts {
        let mut counts = PathCounts::default();
        for (_, line) in batch.chunk.lines() {
            if line.trim_ascii().is_empty() {
                continue;
            }
            counts.lines += 1;
            let parser = if looks_like_json(line) {
                &worker.json
            } else {
                &worker.clf
            };
            let Some(record) = parser.parse_for_audit(line).ok().and_then(|l| l.record) else {
                continue;
            };
            let (path, _) = split_target(&record.target);
            worker.path.clear();
            template_path(path, MAX_PATH, &mut worker.path);
            counts.add(worker.path.as_str().as_bytes(), 1);
        }
        counts
    }
}

impl Collect<PathCounts> for PathCounts {
    fn collect(&mut self, _: usize, counts: PathCounts) -> std::io::Result<()> {
        self.merge(counts);
        Ok(())
    }
}

/// Reads `inputs` on all cores and counts their templated paths.
pub fn count_paths(
    policy: Policy,
    inputs: Vec<Input>,
    settings: &RunSettings,
    stop: &Arc<AtomicBool>,
) -> Result<PathCounts, StreamError> {
    let job = Arc::new(RoutesJob { policy });
    let mut counts = PathCounts::default();
    let progress = Arc::new(Progress::default());
    runner::run(&job, inputs, &mut counts, settings, stop, &progress)?;
    Ok(counts)
}

/// The suggestions as a policy snippet, with their counts as comments.
pub fn render(suggestions: &[Suggestion], lines: u64, min_distinct: u64) -> String {
    let mut out = format!(
        "# {} route templates suggested from {lines} lines (variables with at least {min_distinct} distinct values).\n# Review them, then add them to the policy file.\n",
        suggestions.len()
    );
    for s in suggestions {
        let _ = write!(
            out,
            "\n# {} requests, {} distinct values\n[[path.routes]]\ntemplate = \"{}\"\n",
            s.requests,
            s.distinct,
            s.template.replace('\\', "\\\\").replace('"', "\\\"")
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(paths: &[(&str, u64)]) -> PathCounts {
        let mut c = PathCounts::default();
        for (p, n) in paths {
            c.add(p.as_bytes(), *n);
        }
        c
    }

    #[test]
    fn many_values_after_one_prefix_become_a_variable() {
        let mut paths: Vec<(String, u64)> = (0..30)
            .map(|i| {
                (
                    format!("/team/member-name-{}", char::from(b'a' + i % 26)),
                    2,
                )
            })
            .collect();
        paths.extend((0..25).map(|i| (format!("/team/person-{i}/edit"), 1)));
        paths.push(("/about".to_owned(), 50));
        paths.push(("/team/zelda/zelda-private-page".to_owned(), 9));
        let refs: Vec<(&str, u64)> = paths.iter().map(|(p, n)| (p.as_str(), *n)).collect();
        let suggested = counts(&refs).suggest(20);
        let templates: Vec<&str> = suggested.iter().map(|s| s.template.as_str()).collect();
        assert_eq!(templates, ["/team/{team}", "/team/{team}/edit"]);
        assert_eq!((suggested[0].requests, suggested[0].distinct), (60, 52));
        assert_eq!((suggested[1].requests, suggested[1].distinct), (25, 25));
        // Literal paths and the values themselves are never suggested.
        assert!(!render(&suggested, 100, 20).contains("zelda"));
    }

    #[test]
    fn few_values_suggest_nothing() {
        let suggested = counts(&[("/users/carol", 40), ("/users/dave", 40)]).suggest(20);
        assert!(suggested.is_empty());
    }
}
