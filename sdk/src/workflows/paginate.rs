//! Pagination: every list operation as a stream of items or of pages.
//!
//! Looker pages with `limit` + `offset` (33 list operations in 26.12, plus
//! `search_lookml_dashboards`) or with `limit` + `next_page_token` (`search_reports`). The spec
//! declares no response headers, and Looker sends `Link` / `X-Total-Count` on some endpoints
//! only, so the paginator never needs them: it stops on a short page or an empty one (Looker
//! may answer an exactly full last page with a `next` link and then an empty page). When the
//! headers are there they save requests: a `Link` header without `rel="next"` or an
//! `X-Total-Count` that has been reached ends the stream without asking for the empty page.

use std::collections::VecDeque;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_util::stream::{Stream, StreamExt};
use serde::de::DeserializeOwned;

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
/// ends after a short or empty page, when a `Link` header has no `rel="next"`, when
/// `X-Total-Count` items have been read, or at [`max_items`](Self::max_items). A page that
/// repeats the previous one (a server ignoring `offset`) ends it with an error instead of
/// looping forever.
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
    /// The previous page's body (a cheap `Bytes` clone), to notice a repeated page.
    previous_page: Option<bytes::Bytes>,
    done: bool,
}

/// The non-generic half of paging: one request at a time, the cursor, when to stop.
struct Pager<'a> {
    state: State<'a>,
    /// The describing error, returned as the only item.
    error: Option<Error>,
    /// The page being fetched, with what it asked for.
    in_flight: Option<(Pending<'a, RawResponse>, Asked)>,
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
                previous_page: None,
                done: false,
            },
            error,
            in_flight: None,
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
        Poll::Ready(Some(match answer {
            Ok(raw) => Ok((raw.into_full(), asked)),
            Err(e) => {
                self.state.done = true;
                Err(e)
            }
        }))
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

    /// Moves the cursor past a page of `decoded` items. Returns how many of them to keep
    /// (fewer under `max_items`), or `None` when the page is empty and the list has ended.
    fn advance(
        &mut self,
        response: &Response,
        decoded: usize,
        asked: Asked,
    ) -> Result<Option<usize>> {
        let Asked { limit, remaining } = asked;
        let operation = response.operation;
        let links = PageHeaders::read(response);

        if decoded > 0 && self.previous_page.as_ref() == Some(&response.bytes) {
            return Err(Error::Request {
                operation: operation.to_string(),
                message: format!(
                    "the server answered the page after {} items with the same items as the \
                     page before (is it ignoring `offset`?); stopped instead of looping forever",
                    self.read
                ),
            });
        }
        self.previous_page = Some(response.bytes.clone());

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
                    return Err(Error::Request {
                        operation: operation.to_string(),
                        message: format!(
                            "the server sent the same `{param}` twice; stopped instead of looping"
                        ),
                    });
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
    /// A `Link` header was sent (then the absence of `next` means the last page).
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
        const TOTAL: HeaderName = HeaderName::from_static("x-total-count");
        const TOKENS: [HeaderName; 2] = [
            HeaderName::from_static("x-next-page-token"),
            HeaderName::from_static("next_page_token"),
        ];
        let headers = &response.headers;
        let text = |name: &HeaderName| {
            let mut values = headers.get_all(name).iter().filter_map(|v| v.to_str().ok());
            let first = values.next()?.to_owned();
            Some(values.fold(first, |all, v| all + "," + v))
        };
        let mut out = PageHeaders::default();
        if headers.contains_key(&LINK) {
            let link = text(&LINK).unwrap_or_default();
            out.link_present = !link.trim().is_empty();
            if let Some(url) = next_link(&link) {
                out.has_next = true;
                out.next_query = query_pairs(url);
            }
        }
        out.total = headers
            .get(&TOTAL)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse().ok());
        out.next_token = TOKENS
            .iter()
            .filter_map(text)
            .map(|v| v.trim().to_owned())
            .find(|v| !v.is_empty());
        out
    }

    fn next_param(&self, name: &str) -> Option<String> {
        self.next_query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    }
}

/// The target of the `rel="next"` entry of a `Link` header (RFC 8288).
fn next_link(link: &str) -> Option<&str> {
    link.split(',').find_map(|entry| {
        let (target, params) = entry.trim().split_once('>')?;
        let target = target.trim().strip_prefix('<')?;
        let is_next = params.split(';').any(|p| {
            let Some((k, v)) = p.split_once('=') else {
                return false;
            };
            k.trim().eq_ignore_ascii_case("rel")
                && v.trim()
                    .trim_matches('"')
                    .split_whitespace()
                    .any(|r| r.eq_ignore_ascii_case("next"))
        });
        is_next.then_some(target)
    })
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

    #[test]
    fn finds_the_next_link_among_others() {
        let link = r#"<https://x/api/4.0/users?limit=2&offset=0>; rel="first", <https://x/api/4.0/users?limit=2&offset=4>; rel="next", <https://x/api/4.0/users?offset=8>; rel="last""#;
        assert_eq!(
            next_link(link),
            Some("https://x/api/4.0/users?limit=2&offset=4")
        );
        assert_eq!(next_link(r#"<https://x/a?offset=2>; rel="prev""#), None);
        assert_eq!(next_link(""), None);
        assert_eq!(
            next_link("<https://x/a?next_page_token=ab%3D>;rel=next"),
            Some("https://x/a?next_page_token=ab%3D")
        );
        assert_eq!(
            query_pairs("https://x/a?next_page_token=ab%3D&limit=5"),
            vec![
                ("next_page_token".to_owned(), "ab=".to_owned()),
                ("limit".to_owned(), "5".to_owned())
            ]
        );
    }
}
