//! Walking paginated lists: every item as a `Stream`, every page, or the first `n` items.
//!
//! A list operation's request builder implements [`PageRequest`]; [`Paginate`] (implemented for
//! all of them) then adds [`stream`](Paginate::stream), [`pages`](Paginate::pages),
//! [`to_vec_max`](Paginate::to_vec_max) and [`paginate`](Paginate::paginate) (to set the page
//! limit). Set the filters and page size on the builder as for one page; the first page is the one
//! the builder describes.
//!
//! ```no_run
//! # #[cfg(feature = "kirim")]
//! # async fn run(client: &chathooks::kirim::Client) -> chathooks::Result<()> {
//! use chathooks::Paginate;
//! use futures_util::StreamExt;
//!
//! let mut subscriptions = client.list_webhook_subscriptions().limit(100u8).stream();
//! while let Some(subscription) = subscriptions.next().await {
//!     println!("{}", subscription?.id);
//! }
//! let first_ten = client.list_webhook_deliveries().to_vec_max(10).await?;
//! # let _ = first_ten;
//! # Ok(())
//! # }
//! ```
//!
//! Guards: a listing stops with [`Error::Pagination`] when the server hands back a cursor it
//! already gave ([`PaginationError::RepeatedCursor`]) or after [`DEFAULT_MAX_PAGES`] pages
//! ([`PaginationError::PageLimit`]; [`Pager::max_pages`] changes it). An error from a page ends the
//! stream with that error.
//!
//! # Implementing it for a new list endpoint
//!
//! This module knows no platform: each platform module implements [`PageRequest`] for its own
//! list builders, beside its client (`src/kirim.rs`: cursors; `src/kapso/legacy.rs` and
//! `src/kapso/platform.rs`: page numbers, and the delivery log's cursors). A few lines per
//! endpoint: how to ask for the page after a cursor, how to fetch, where the items are and what
//! the next cursor is. This is the impl for Kapso's Platform API `GET /webhook_deliveries`, a
//! cursor-paged endpoint (`limit`/`before`/`after`) answering
//! `{data: [...], paging: {cursors: {before, after}, next}}`:
//!
//! ```text
//! impl<'a> PageRequest for builder::ListWebhookDeliveries<'a> {
//!     type Page = types::WebhookDeliveryListResponse;
//!     type Item = types::WebhookDelivery;
//!     type Cursor = String;
//!     fn at(self, cursor: &String) -> Self {
//!         self.after(cursor.clone())
//!     }
//!     async fn fetch(self) -> crate::Result<Self::Page> {
//!         Ok(self.send().await?.into_inner())
//!     }
//!     fn into_items(page: Self::Page) -> Vec<Self::Item> {
//!         page.data
//!     }
//!     fn next_cursor(page: &Self::Page, _current: Option<&String>) -> Option<String> {
//!         // `next` is null on the last page; the cursor to send as `after` is `cursors.after`.
//!         page.paging.next.as_ref()?;
//!         page.paging.cursors.as_ref()?.after.clone()
//!     }
//! }
//! ```

use std::collections::HashSet;
use std::fmt;
use std::future::Future;
use std::hash::Hash;
use std::pin::Pin;

use futures_core::Stream;
use futures_util::StreamExt;

pub use crate::client::error::PaginationError;
use crate::client::error::{Error, Result};

/// How many pages a listing fetches at most unless told otherwise.
pub const DEFAULT_MAX_PAGES: usize = 1_000;

/// A list operation's request builder: how to page through its answers.
pub trait PageRequest: Clone + Send + Sized {
    /// The response body of one page.
    type Page: Send;
    /// One listed item.
    type Item: Send;
    /// What identifies the next page (an opaque cursor, a page number).
    type Cursor: Clone + Eq + Hash + Send + fmt::Debug;

    /// This request, asking for the page `cursor` names.
    fn at(self, cursor: &Self::Cursor) -> Self;
    /// Sends the request and returns the page.
    fn fetch(self) -> impl Future<Output = Result<Self::Page>> + Send;
    /// The items of a page.
    fn into_items(page: Self::Page) -> Vec<Self::Item>;
    /// The cursor of the page after `page` (fetched with `current`, `None` for the first page),
    /// or `None` on the last page.
    fn next_cursor(page: &Self::Page, current: Option<&Self::Cursor>) -> Option<Self::Cursor>;
}

/// A boxed stream, as [`Paginate`]'s methods return.
pub type PageStream<'a, T> = Pin<Box<dyn Stream<Item = Result<T>> + Send + 'a>>;

/// A listing with its page limit; made by [`Paginate::paginate`].
#[derive(Clone, Debug)]
pub struct Pager<R> {
    request: R,
    max_pages: usize,
}

impl<R: PageRequest> Pager<R> {
    /// At most this many pages are fetched (default [`DEFAULT_MAX_PAGES`]); a server that still
    /// has more then ends the stream with [`PaginationError::PageLimit`].
    pub fn max_pages(mut self, max_pages: usize) -> Self {
        self.max_pages = max_pages;
        self
    }

    /// Every page, fetched one at a time as the stream is polled.
    pub fn pages<'a>(self) -> PageStream<'a, R::Page>
    where
        R: 'a,
    {
        enum State<R: PageRequest> {
            Next {
                request: R,
                cursor: Option<R::Cursor>,
                seen: HashSet<R::Cursor>,
                fetched: usize,
                max_pages: usize,
            },
            Fail(Error),
            Done,
        }
        let start = State::Next {
            request: self.request,
            cursor: None,
            seen: HashSet::new(),
            fetched: 0,
            max_pages: self.max_pages,
        };
        Box::pin(futures_util::stream::unfold(start, |state| async move {
            let State::Next {
                request,
                cursor,
                mut seen,
                fetched,
                max_pages,
            } = state
            else {
                return match state {
                    State::Fail(e) => Some((Err(e), State::Done)),
                    _ => None,
                };
            };
            if fetched >= max_pages {
                let e = Error::Pagination(PaginationError::PageLimit { max_pages });
                return Some((Err(e), State::Done));
            }
            let this = match &cursor {
                Some(c) => request.clone().at(c),
                None => request.clone(),
            };
            let page = match this.fetch().await {
                Ok(page) => page,
                Err(e) => return Some((Err(e), State::Done)),
            };
            let next = match R::next_cursor(&page, cursor.as_ref()) {
                None => State::Done,
                Some(next) if !seen.insert(next.clone()) => {
                    State::Fail(Error::Pagination(PaginationError::RepeatedCursor {
                        cursor: format!("{next:?}"),
                    }))
                }
                Some(next) => State::Next {
                    request,
                    cursor: Some(next),
                    seen,
                    fetched: fetched + 1,
                    max_pages,
                },
            };
            Some((Ok(page), next))
        }))
    }

    /// Every item of every page, fetching the next page when the items of one run out.
    pub fn stream<'a>(self) -> PageStream<'a, R::Item>
    where
        R: 'a,
    {
        Box::pin(self.pages().flat_map(|page| {
            let items: Vec<Result<R::Item>> = match page {
                Ok(page) => R::into_items(page).into_iter().map(Ok).collect(),
                Err(e) => vec![Err(e)],
            };
            futures_util::stream::iter(items)
        }))
    }

    /// The first `max` items, fetching no more pages than needed.
    pub async fn to_vec_max(self, max: usize) -> Result<Vec<R::Item>> {
        let mut items = Vec::new();
        if max == 0 {
            return Ok(items);
        }
        let mut pages = self.pages();
        while let Some(page) = pages.next().await {
            items.extend(R::into_items(page?));
            if items.len() >= max {
                items.truncate(max);
                break;
            }
        }
        Ok(items)
    }
}

/// Pagination for every [`PageRequest`]: `use chathooks::Paginate;` and call these on a list
/// operation's builder.
pub trait Paginate: PageRequest {
    /// A [`Pager`], to set the page limit before streaming.
    fn paginate(self) -> Pager<Self> {
        Pager {
            request: self,
            max_pages: DEFAULT_MAX_PAGES,
        }
    }
    /// Every item of every page (see [`Pager::stream`]).
    fn stream<'a>(self) -> PageStream<'a, Self::Item>
    where
        Self: 'a,
    {
        self.paginate().stream()
    }
    /// Every page (see [`Pager::pages`]).
    fn pages<'a>(self) -> PageStream<'a, Self::Page>
    where
        Self: 'a,
    {
        self.paginate().pages()
    }
    /// The first `max` items, fetching no more pages than needed (see [`Pager::to_vec_max`]).
    fn to_vec_max(self, max: usize) -> impl Future<Output = Result<Vec<Self::Item>>> + Send {
        self.paginate().to_vec_max(max)
    }
}

impl<R: PageRequest> Paginate for R {}
