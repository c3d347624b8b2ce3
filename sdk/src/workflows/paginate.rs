//! Pagination: every list operation as a stream of items or of pages.
//!
//! Looker pages with `limit` + `offset` (33 list operations in 26.12, plus
//! `search_lookml_dashboards`) or with `limit` + `next_page_token` (`search_reports`). The spec
//! declares no response headers, and Looker sends `Link` / `X-Total-Count` on some endpoints
//! only, so the paginator never needs them: it stops on a short page or an empty one (Looker
//! may answer an exactly full last page with a `next` link and then an empty page). When the
//! headers are there they save requests: a `Link` header that names other pages (`first`,
//! `prev`, `last`) but no `rel="next"`, or an `X-Total-Count` that has been reached, ends the
//! stream without asking for the empty page, and a `rel="next"` link is followed past short
//! pages. `Link` is read per RFC 8288: commas inside `<…>` and inside quoted parameters,
//! several links and several `Link` lines, `rel="next last"`, names in any case.
//!
//! # Repeated pages
//!
//! A page identical to the one before it, byte for byte, is legitimate data when `fields`
//! narrows the items (`fields=role_ids` over many users gives pages of `{"role_ids":["2"]}`),
//! and it is also what a server that ignores `offset` sends forever. The paginator never loops
//! and never returns the same objects twice, without failing such data:
//!
//! 1. A page that differs from the one before it is delivered (the check costs one comparison
//!    of two pages' bytes).
//! 2. A repeated page whose items all carry an `id` holds the same objects again: the stream
//!    ends with [`Error::Paging`] (the server ignores `offset`, or the list changed while it
//!    was paged). No extra request.
//! 3. A repeated page without ids (under `limit` + `offset`) is held back while **one probe**
//!    asks for `limit=1` past any possible end: at `X-Total-Count` when the page carries it,
//!    else at offset 2,147,483,647. A server that honours `offset` answers an empty page there:
//!    the held page is data and is delivered, and every later repeat in the same listing is
//!    data too (no second probe). Items there mean the server ignores `offset`: the stream ends
//!    with [`Error::Paging`] before the repeated page is delivered. A failed probe ends it with
//!    [`Error::Paging`] too, the probe's error as its source.
//! 4. Under a continuation token (`search_reports`) a repeated page without ids is data, as the
//!    server sent a new token; the same token twice is [`Error::Paging`].
//!
//! So a listing makes at most one extra request, and only after two identical pages; a
//! listing whose pages all differ makes none.

use std::collections::VecDeque;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_util::stream::{Stream, StreamExt};
use serde::de::DeserializeOwned;

use super::link_header;
use super::repeated_page::{Position, RepeatCheck, Verdict};
use crate::call::{Call, Pending};
use crate::request::RequestParts;
use crate::response::{decode_json, RawResponse, Response};
use crate::{Error, LookerSdk, Result};

/// The page size when none is set: Looker's own UI pages by 100 or less, and larger pages
/// make each request slower without making the whole list faster.
pub const DEFAULT_PAGE_SIZE: u32 = 100;

/// How an operation pages (chosen by the generator from the spec).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PageMode {
    /// `limit` + `offset`. With `object_or_array`, a page may also be one JSON object (the spec
    /// declares `search_lookml_dashboards` that way), read as a page of one item.
    Offset { object_or_array: bool },
    /// `limit` + a continuation token query parameter.
    Token { param: &'static str },
}

/// Adds `.paginate()` to a generated request builder. Forms:
/// - `paginated!(Builder => Item)`: `limit` + `offset`, the answer is a JSON array;
/// - `paginated!(Builder => Item, object_or_array)`: the same, but the spec declares one object;
/// - `paginated!(Builder => Item, token "param")`: `limit` + a continuation token.
#[allow(unused_macros)] // the users are generated behind tag features
macro_rules! paginated {
    ($builder:ident => $item:ty) => {
        $crate::workflows::paginate::paginated!(
            @impl $builder => $item,
            $crate::workflows::paginate::PageMode::Offset { object_or_array: false }
        );
    };
    ($builder:ident => $item:ty, object_or_array) => {
        $crate::workflows::paginate::paginated!(
            @impl $builder => $item,
            $crate::workflows::paginate::PageMode::Offset { object_or_array: true }
        );
    };
    ($builder:ident => $item:ty, token $param:literal) => {
        $crate::workflows::paginate::paginated!(
            @impl $builder => $item,
            $crate::workflows::paginate::PageMode::Token { param: $param }
        );
    };
    (@impl $builder:ident => $item:ty, $mode:expr) => {
        impl<'a> $builder<'a> {
            /// Pages through every result: a stream of items, keeping every other parameter
            /// set on this builder on each page. A `limit` set here is the page size unless
            /// [`page_size`](crate::workflows::Paginator::page_size) is set; the deprecated
            /// `page` / `per_page` are never sent. See [`Paginator`](crate::workflows::Paginator).
            #[inline]
            pub fn paginate(self) -> crate::workflows::Paginator<'a, $item> {
                crate::workflows::Paginator::new(self.0, $mode)
            }
        }
    };
}
#[allow(unused_imports)]
pub(crate) use paginated;

/// A list operation paged through as a [`Stream`] of items; see [`pages`](Self::pages) for
/// whole pages and [`collect_all`](Self::collect_all) for a `Vec`.
///
/// ```no_run
/// # async fn demo(sdk: &looker_sdk::LookerSdk) -> looker_sdk::Result<()> {
/// use futures_util::TryStreamExt;
/// let mut dashboards = sdk.search_dashboards().title("Sales%").paginate().page_size(50);
/// while let Some(dashboard) = dashboards.try_next().await? {
///     println!("{:?}", dashboard.title);
/// }
/// # Ok(()) }
/// ```
///
/// Every page goes through the client's normal path (auth, retries, timeouts). The stream
/// ends after a short or empty page, when a `Link` header names other pages (`first`, `prev`,
/// `last`) but no `rel="next"`, when `X-Total-Count` items have been read, or at
/// [`max_items`](Self::max_items). A `rel="next"` link is followed past short pages.
///
/// A page identical to the one before it is never looped on and never returns the same
/// objects twice: with `id`s it ends the stream with [`Error::Paging`]; without (`fields`
/// narrowing the items), one request past the end tells data from a server that ignores
/// `offset`: see [Repeated pages](crate::workflows::paginate#repeated-pages) for how it
/// decides (at most one extra request per listing).
#[must_use = "a paginator does nothing until it is polled"]
pub struct Paginator<'a, T> {
    setup: Option<Setup<'a>>,
    pages: Option<Pages<'a, T>>,
    buffer: VecDeque<T>,
}

/// What the stream is built from (taken on the first poll).
struct Setup<'a> {
    sdk: &'a LookerSdk,
    template: RequestParts,
    error: Option<Error>,
    mode: PageMode,
    page_size: Option<u32>,
    max_items: Option<u64>,
}

impl<T> std::fmt::Debug for Paginator<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut d = f.debug_struct("Paginator");
        if let Some(s) = &self.setup {
            d.field("operation", &s.template.operation)
                .field("page_size", &s.page_size)
                .field("max_items", &s.max_items);
        }
        d.field("buffered", &self.buffer.len()).finish()
    }
}

impl<'a, T: DeserializeOwned + Send + 'a> Paginator<'a, T> {
    /// From a generated builder's request (see `paginated!`).
    #[allow(dead_code)] // its users are generated behind tag features
    pub(crate) fn new(call: Call<'a>, mode: PageMode) -> Self {
        let (sdk, parts) = call.into_parts();
        Self::from_parts(sdk, parts, mode)
    }

    pub(crate) fn from_parts(
        sdk: &'a LookerSdk,
        mut template: RequestParts,
        mode: PageMode,
    ) -> Self {
        let error = template.take_error();
        Paginator {
            setup: Some(Setup {
                sdk,
                template,
                error,
                mode,
                page_size: None,
                max_items: None,
            }),
            pages: None,
            buffer: VecDeque::new(),
        }
    }

    /// Items per request (`limit`); default [`DEFAULT_PAGE_SIZE`], or the builder's `limit`.
    /// `0` is read as 1.
    pub fn page_size(mut self, page_size: u32) -> Self {
        if let Some(s) = &mut self.setup {
            s.page_size = Some(page_size.max(1));
        }
        self
    }

    /// Stops after this many items in all (the last request asks for no more than needed).
    pub fn max_items(mut self, max_items: u64) -> Self {
        if let Some(s) = &mut self.setup {
            s.max_items = Some(max_items);
        }
        self
    }

    /// The whole pages instead of single items: a stream of `Vec<T>`, one per request.
    ///
    /// Called after some items were taken from the paginator itself, the first page is what
    /// is left of the page those came from; the others follow whole.
    pub fn pages(mut self) -> Pages<'a, T> {
        let mut pages = self.take_pages();
        pages.rest = Vec::from(std::mem::take(&mut self.buffer));
        pages
    }

    /// Reads every page and returns all items (or the first error).
    pub async fn collect_all(self) -> Result<Vec<T>> {
        let mut all = Vec::new();
        let mut pages = self.pages();
        while let Some(page) = pages.next().await {
            all.extend(page?);
        }
        Ok(all)
    }

    fn take_pages(&mut self) -> Pages<'a, T> {
        if let Some(pages) = self.pages.take() {
            return pages;
        }
        Pages {
            pager: self.setup.take().map(Pager::new),
            rest: Vec::new(),
        }
    }
}

impl<'a, T: DeserializeOwned + Send + 'a> Stream for Paginator<'a, T> {
    type Item = Result<T>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        // `Paginator` holds no self-references: every field is `Unpin`.
        let this = self.get_mut();
        loop {
            if let Some(item) = this.buffer.pop_front() {
                return Poll::Ready(Some(Ok(item)));
            }
            if this.pages.is_none() {
                let pages = this.take_pages();
                this.pages = Some(pages);
            }
            let Some(pages) = this.pages.as_mut() else {
                return Poll::Ready(None);
            };
            match Pin::new(pages).poll_next(cx) {
                Poll::Ready(Some(Ok(page))) => this.buffer.extend(page),
                Poll::Ready(Some(Err(e))) => return Poll::Ready(Some(Err(e))),
                Poll::Ready(None) => return Poll::Ready(None),
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}

impl<T> Unpin for Paginator<'_, T> {}

/// The pages of a [`Paginator`]: a [`Stream`] of `Result<Vec<T>>`, one item per request.
///
/// Paging itself (requests, cursor, when to stop) is not generic; only decoding is. Written
/// as a state machine, not an `async` block, so that no proof that a future is `Send` has to
/// be made for every item type (that made `cargo check` of the crate measurably slower).
#[must_use = "a stream does nothing until it is polled"]
pub struct Pages<'a, T> {
    /// `None`: nothing to page (the paginator was already drained).
    pager: Option<Pager<'a>>,
    /// Items fetched for the paginator's item stream and not yet returned: the first page.
    rest: Vec<T>,
}

// Never pinned structurally: the items are only moved out as whole pages.
impl<T> Unpin for Pages<'_, T> {}

impl<T> std::fmt::Debug for Pages<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pages").finish_non_exhaustive()
    }
}

impl<T: DeserializeOwned> Stream for Pages<'_, T> {
    type Item = Result<Vec<T>>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        // Every field is `Unpin` (the request future is boxed).
        let this = self.get_mut();
        if !this.rest.is_empty() {
            return Poll::Ready(Some(Ok(std::mem::take(&mut this.rest))));
        }
        let Some(pager) = this.pager.as_mut() else {
            return Poll::Ready(None);
        };
        loop {
            let (response, asked) = match pager.poll_answer(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(None) => return Poll::Ready(None),
                Poll::Ready(Some(Err(e))) => return Poll::Ready(Some(Err(e))),
                Poll::Ready(Some(Ok(answer))) => answer,
            };
            let object_or_array = matches!(
                pager.state.setup.mode,
                PageMode::Offset {
                    object_or_array: true
                }
            );
            let page = decode_page::<T>(response.operation, &response, object_or_array).and_then(
                |mut items| {
                    let keep = pager.state.advance(&response, items.len(), asked)?;
                    items.truncate(keep.unwrap_or(0));
                    Ok(keep.map(|_| items))
                },
            );
            match page {
                Ok(Some(items)) => return Poll::Ready(Some(Ok(items))),
                Ok(None) => pager.state.done = true,
                Err(e) => {
                    pager.state.done = true;
                    return Poll::Ready(Some(Err(e)));
                }
            }
        }
    }
}

/// Where the next request starts.
enum Cursor {
    Offset(u64),
    Token {
        param: &'static str,
        token: Option<String>,
    },
}

/// The state carried from one page to the next.
struct State<'a> {
    setup: Setup<'a>,
    page_size: u64,
    cursor: Cursor,
    read: u64,
    /// The previous page, and whether the server is known to honour `offset`.
    repeats: RepeatCheck,
    done: bool,
}

/// The non-generic half of paging: one request at a time, the cursor, when to stop.
struct Pager<'a> {
    state: State<'a>,
    /// The describing error, returned as the only item.
    error: Option<Error>,
    /// The page being fetched, with what it asked for.
    in_flight: Option<(Pending<'a, RawResponse>, Asked)>,
    /// A repeated page held while the probe past the end is answered.
    probe: Option<Probe<'a>>,
}

/// A page that repeats the one before it, held back while one request past any end tells
/// whether the server honours `offset` (see [`repeated_page`](super::repeated_page)).
struct Probe<'a> {
    held: Response,
    asked: Asked,
    /// The held page's offset.
    held_at: u64,
    /// Where the probe asks.
    probe_at: u64,
    request: Pending<'a, RawResponse>,
}

/// What a page's request asked for.
#[derive(Clone, Copy)]
struct Asked {
    limit: u64,
    /// Items still wanted under `max_items`.
    remaining: Option<u64>,
}

impl<'a> Pager<'a> {
    fn new(mut setup: Setup<'a>) -> Self {
        let error = setup.error.take();
        let builder_limit = setup
            .template
            .query_value("limit")
            .and_then(|v| v.parse::<u64>().ok())
            .filter(|&n| n > 0);
        let page_size = setup
            .page_size
            .map(u64::from)
            .or(builder_limit)
            .unwrap_or(u64::from(DEFAULT_PAGE_SIZE));
        let cursor = match setup.mode {
            PageMode::Offset { .. } => Cursor::Offset(
                setup
                    .template
                    .query_value("offset")
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0),
            ),
            PageMode::Token { param } => Cursor::Token {
                param,
                token: setup.template.query_value(param).map(str::to_owned),
            },
        };
        // The paginator owns paging: the builder's own values and the deprecated page/per_page
        // are never mixed in.
        for name in ["limit", "offset", "page", "per_page"] {
            setup.template.remove_query(name);
        }
        if let PageMode::Token { param } = setup.mode {
            setup.template.remove_query(param);
        }
        Pager {
            state: State {
                setup,
                page_size,
                cursor,
                read: 0,
                repeats: RepeatCheck::default(),
                done: false,
            },
            error,
            in_flight: None,
            probe: None,
        }
    }

    /// The next page's answer; `None` when the list has ended. An error ends it too.
    fn poll_answer(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<(Response, Asked)>>> {
        if let Some(error) = self.error.take() {
            self.state.done = true;
            return Poll::Ready(Some(Err(error)));
        }
        if self.state.done {
            return Poll::Ready(None);
        }
        loop {
            if let Some(probe) = &mut self.probe {
                let Poll::Ready(answer) = probe.request.as_mut().poll(cx) else {
                    return Poll::Pending;
                };
                if let Some(probe) = self.probe.take() {
                    return Poll::Ready(Some(self.state.settle(probe, answer)));
                }
            }
            let (request, asked) = match &mut self.in_flight {
                Some(in_flight) => in_flight,
                None => {
                    let Some((parts, asked)) = self.state.next_request() else {
                        self.state.done = true;
                        return Poll::Ready(None);
                    };
                    let sdk = self.state.setup.sdk;
                    self.in_flight.insert((sdk.execute(parts, false), asked))
                }
            };
            let asked = *asked;
            let Poll::Ready(answer) = request.as_mut().poll(cx) else {
                return Poll::Pending;
            };
            self.in_flight = None;
            let response = match answer {
                Ok(raw) => raw.into_full(),
                Err(e) => {
                    self.state.done = true;
                    return Poll::Ready(Some(Err(e)));
                }
            };
            match self.state.judge(&response) {
                Verdict::Deliver => return Poll::Ready(Some(Ok((response, asked)))),
                Verdict::Fail(message) => {
                    self.state.done = true;
                    return Poll::Ready(Some(Err(paging_error(&response, message, None))));
                }
                Verdict::Probe { held_at, probe_at } => {
                    tracing::debug!(
                        operation = response.operation,
                        held_at,
                        probe_at,
                        "a page repeats the one before it; asking past the end whether the \
                         server honours offset"
                    );
                    let sdk = self.state.setup.sdk;
                    self.probe = Some(Probe {
                        request: sdk.execute(self.state.probe_request(probe_at), false),
                        held: response,
                        asked,
                        held_at,
                        probe_at,
                    });
                }
            }
        }
    }
}

/// An [`Error::Paging`] for the operation of `response`.
fn paging_error(response: &Response, message: String, source: Option<Box<Error>>) -> Error {
    Error::Paging {
        operation: response.operation.to_owned(),
        message,
        source,
    }
}

impl State<'_> {
    /// The next page's request; `None` when there is nothing more to ask for.
    fn next_request(&mut self) -> Option<(RequestParts, Asked)> {
        let remaining = self.setup.max_items.map(|m| m.saturating_sub(self.read));
        if remaining == Some(0) {
            return None;
        }
        let limit = remaining.map_or(self.page_size, |r| r.min(self.page_size));
        let mut parts = self.setup.template.duplicate();
        parts.set_query("limit".into(), limit.to_string());
        match &self.cursor {
            Cursor::Offset(offset) => parts.set_query("offset".into(), offset.to_string()),
            Cursor::Token {
                param,
                token: Some(token),
            } => parts.set_query((*param).into(), token.clone()),
            Cursor::Token { token: None, .. } => {}
        }
        Some((parts, Asked { limit, remaining }))
    }

    /// What to do with a page that just arrived (before the cursor moves past it).
    fn judge(&mut self, response: &Response) -> Verdict {
        let at = match &self.cursor {
            Cursor::Offset(offset) => Position::Offset(*offset),
            Cursor::Token { param, token } => Position::Token {
                param,
                token: token.as_deref(),
            },
        };
        let total = total_count(&response.headers);
        self.repeats.judge(&response.bytes, at, total)
    }

    /// The probe: the same request for one item at `offset`, past any end.
    fn probe_request(&self, offset: u64) -> RequestParts {
        let mut parts = self.setup.template.duplicate();
        parts.set_query("limit".into(), "1".to_owned());
        parts.set_query("offset".into(), offset.to_string());
        parts
    }

    /// The held page when the probe showed the server honours `offset`; else the error.
    fn settle(
        &mut self,
        probe: Probe<'_>,
        answer: Result<RawResponse>,
    ) -> Result<(Response, Asked)> {
        let Probe {
            held,
            asked,
            held_at,
            probe_at,
            ..
        } = probe;
        let answer = answer.map(|raw| raw.into_full().bytes);
        match self.repeats.settle(held_at, probe_at, answer) {
            Ok(()) => Ok((held, asked)),
            Err((message, source)) => {
                self.done = true;
                Err(paging_error(&held, message, source))
            }
        }
    }

    /// Moves the cursor past a page of `decoded` items. Returns how many of them to keep
    /// (fewer under `max_items`), or `None` when the page is empty and the list has ended.
    fn advance(
        &mut self,
        response: &Response,
        decoded: usize,
        asked: Asked,
    ) -> Result<Option<usize>> {
        let Asked { limit, remaining } = asked;
        let links = PageHeaders::read(response);

        let kept = remaining.map_or(decoded, |r| {
            decoded.min(usize::try_from(r).unwrap_or(usize::MAX))
        });
        let got = kept as u64;
        self.read += got;
        self.done = match &mut self.cursor {
            Cursor::Offset(offset) => {
                let next = links
                    .next_param("offset")
                    .and_then(|v| v.parse::<u64>().ok())
                    .filter(|&n| n > *offset);
                *offset = next.unwrap_or(*offset + got);
                if links.has_next {
                    got == 0
                } else {
                    links.link_present
                        || got < limit
                        || links.total.is_some_and(|total| *offset >= total)
                }
            }
            Cursor::Token { param, token } => {
                let next = links.next_param(param).or(links.next_token.clone());
                let repeated = next.is_some() && next == *token;
                if repeated && got > 0 {
                    let message = format!(
                        "the server sent the same `{param}` twice; stopped instead of looping"
                    );
                    return Err(paging_error(response, message, None));
                }
                *token = next;
                token.is_none() || got == 0
            }
        };
        Ok((got > 0).then_some(kept))
    }
}

fn decode_page<T: DeserializeOwned>(
    operation: &str,
    response: &Response,
    object_or_array: bool,
) -> Result<Vec<T>> {
    let first = response
        .bytes
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .copied();
    match first {
        None => Ok(Vec::new()),
        Some(b'{') if object_or_array => Ok(vec![decode_json(operation, &response.bytes)?]),
        _ => decode_json(operation, &response.bytes),
    }
}

/// What the paging headers say, when the server sent them.
#[derive(Debug, Default, PartialEq)]
struct PageHeaders {
    /// A `Link` header names other pages (`first`, `prev`, `next` or `last`): then the absence
    /// of `next` means the last page. Links of other relations say nothing about paging.
    link_present: bool,
    /// It has `rel="next"`.
    has_next: bool,
    /// The `next` URL's query pairs.
    next_query: Vec<(String, String)>,
    /// `X-Total-Count`.
    total: Option<u64>,
    /// A token in a header of its own (`X-Next-Page-Token` or `next_page_token`).
    next_token: Option<String>,
}

impl PageHeaders {
    fn read(response: &Response) -> Self {
        use reqwest::header::{HeaderName, LINK};
        const TOKENS: [HeaderName; 2] = [
            HeaderName::from_static("x-next-page-token"),
            HeaderName::from_static("next_page_token"),
        ];
        let headers = &response.headers;
        let mut out = PageHeaders::default();
        // Each `Link` line on its own: an unclosed quote in one cannot swallow the next.
        let links: Vec<link_header::Link> = headers
            .get_all(LINK)
            .iter()
            .flat_map(|value| link_header::parse(&String::from_utf8_lossy(value.as_bytes())))
            .collect();
        out.link_present = links
            .iter()
            .any(|l| PAGE_RELATIONS.iter().any(|rel| l.has_rel(rel)));
        if let Some(next) = links.iter().find(|l| l.has_rel("next")) {
            out.has_next = true;
            out.next_query = query_pairs(&next.target);
        }
        out.total = total_count(headers);
        out.next_token = TOKENS
            .iter()
            .flat_map(|name| headers.get_all(name))
            .filter_map(|v| v.to_str().ok())
            .map(str::trim)
            .find(|v| !v.is_empty())
            .map(str::to_owned);
        out
    }

    fn next_param(&self, name: &str) -> Option<String> {
        self.next_query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    }
}

/// The relations of links to other pages of the same list (RFC 8288, RFC 5005 `prev`).
const PAGE_RELATIONS: [&str; 5] = ["first", "prev", "previous", "next", "last"];

/// `X-Total-Count`, when sent and a number.
fn total_count(headers: &reqwest::header::HeaderMap) -> Option<u64> {
    headers
        .get("x-total-count")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
}

fn query_pairs(url: &str) -> Vec<(String, String)> {
    let query = url.split_once('?').map_or("", |(_, q)| q);
    let query = query.split('#').next().unwrap_or("");
    reqwest::Url::parse(&format!("x:?{query}"))
        .map(|u| u.query_pairs().into_owned().collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> PageHeaders {
        let mut headers = reqwest::header::HeaderMap::new();
        for (name, value) in pairs {
            headers.append(*name, value.parse().unwrap());
        }
        PageHeaders::read(&Response {
            operation: "all_users",
            status: 200,
            headers,
            bytes: bytes::Bytes::new(),
        })
    }

    #[test]
    fn finds_the_next_link_among_others() {
        let link = r#"<https://x/api/4.0/users?limit=2&offset=0>; rel="first", <https://x/api/4.0/users?fields=id,title&limit=2&offset=4>; rel="next", <https://x/api/4.0/users?offset=8>; rel="last""#;
        let read = headers(&[("link", link)]);
        assert!(read.link_present && read.has_next);
        assert_eq!(read.next_param("offset").as_deref(), Some("4"));
        assert_eq!(read.next_param("fields").as_deref(), Some("id,title"));

        let read = headers(&[("link", r#"<https://x/a?offset=2>; rel="prev""#)]);
        assert!(read.link_present && !read.has_next);
        let read = headers(&[("link", "<https://x/a?next_page_token=ab%3D>;rel=next")]);
        assert_eq!(read.next_param("next_page_token").as_deref(), Some("ab="));
        assert_eq!(
            query_pairs("https://x/a?next_page_token=ab%3D&limit=5"),
            vec![
                ("next_page_token".to_owned(), "ab=".to_owned()),
                ("limit".to_owned(), "5".to_owned())
            ]
        );
    }

    #[test]
    fn next_may_be_in_a_second_link_header_and_other_relations_say_nothing() {
        let read = headers(&[
            (
                "link",
                r#"<https://x/u?offset=0>; rel="first"; title="a, \"b\"""#,
            ),
            ("link", r#"<https://x/u?offset=4>; REL="next last""#),
        ]);
        assert!(read.has_next);
        assert_eq!(read.next_param("offset").as_deref(), Some("4"));
        // A link that is not about paging (or no link at all) does not end the list.
        for value in [r#"<https://x/schema>; rel="describedby""#, "", "garbage, ;"] {
            let read = headers(&[("link", value)]);
            assert!(!read.link_present && !read.has_next, "{value:?}");
        }
    }

    #[test]
    fn reads_the_total_and_a_token_header() {
        let read = headers(&[("x-total-count", " 42 "), ("x-next-page-token", " t2 ")]);
        assert_eq!(read.total, Some(42));
        assert_eq!(read.next_token.as_deref(), Some("t2"));
        let read = headers(&[("x-total-count", "many"), ("next_page_token", "t3")]);
        assert_eq!(read.total, None);
        assert_eq!(read.next_token.as_deref(), Some("t3"));
    }
}
