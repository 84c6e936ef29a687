//! `lore check --external`: HTTP(S) links asked for with HEAD (GET when HEAD is refused), each
//! URL once, a few at a time, each with a time limit. Only run when asked: it needs the network.

use crate::error::{Diagnostic, Location};
use crate::markdown::LinkTarget;
use crate::site::Site;
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

#[derive(Debug, Clone, Copy)]
pub struct ExternalOptions {
    /// Requests in flight at once.
    pub concurrency: usize,
    /// Limit for one request, connection included.
    pub timeout: Duration,
}

impl Default for ExternalOptions {
    fn default() -> Self {
        ExternalOptions {
            concurrency: 8,
            timeout: Duration::from_secs(10),
        }
    }
}

/// One error per place an unreachable or failing URL is written.
pub fn check_external(site: &Site, options: ExternalOptions) -> Vec<Diagnostic> {
    let places = external_links(site);
    let urls: Vec<&String> = places.keys().collect();
    let failures = fetch_all(&urls, options);
    failures
        .into_iter()
        .flat_map(|(url, why)| {
            places[url].iter().map(move |at| {
                Diagnostic::error(at.clone(), format!("external link `{url}` fails: {why}"))
                    .with_help(
                        "fix or remove the link; it may also be down for a while (run again later)",
                    )
            })
        })
        .collect()
}

/// Every `http(s)://` link or image, with the places it is written.
fn external_links(site: &Site) -> BTreeMap<String, Vec<Location>> {
    let mut places: BTreeMap<String, Vec<Location>> = BTreeMap::new();
    for page in &site.pages {
        for link in &page.outline.links {
            let lower = link.written.to_ascii_lowercase();
            let is_http = lower.starts_with("http://") || lower.starts_with("https://");
            if link.target == LinkTarget::External && is_http {
                places
                    .entry(link.written.to_string())
                    .or_default()
                    .push(Location::at(&page.doc.source.path, link.line, link.col));
            }
        }
    }
    places
}

/// Checks `urls` on at most `concurrency` threads; returns the failing ones with the reason.
fn fetch_all<'a>(urls: &[&'a String], options: ExternalOptions) -> Vec<(&'a String, String)> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(options.timeout))
        .http_status_as_error(false)
        .user_agent(concat!("lore-check/", env!("CARGO_PKG_VERSION")))
        .build()
        .into();
    let queue = Mutex::new(urls.iter().copied());
    let failures = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..options.concurrency.clamp(1, urls.len().max(1)) {
            scope.spawn(|| {
                // The lock is held only to take the next URL, never during a request.
                while let Some(url) = queue.lock().map(|mut q| q.next()).unwrap_or(None) {
                    if let Err(why) = fetch(&agent, url) {
                        failures.lock().expect("no panic holds it").push((url, why));
                    }
                }
            });
        }
    });
    let mut failures = failures.into_inner().expect("no panic holds it");
    failures.sort();
    failures
}

/// HEAD, then GET for servers that refuse HEAD; any status below 400 is a working link.
fn fetch(agent: &ureq::Agent, url: &str) -> Result<(), String> {
    let status = match agent.head(url).call() {
        Ok(response) if matches!(response.status().as_u16(), 405 | 501) => get(agent, url)?,
        Ok(response) => response.status().as_u16(),
        Err(err) => return Err(err.to_string()),
    };
    if status < 400 {
        Ok(())
    } else {
        Err(format!("the server answers {status}"))
    }
}

fn get(agent: &ureq::Agent, url: &str) -> Result<u16, String> {
    agent
        .get(url)
        .call()
        .map(|r| r.status().as_u16())
        .map_err(|e| e.to_string())
}
