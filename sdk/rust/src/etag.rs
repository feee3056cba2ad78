//! Conditional GETs: the bodies of recent answers kept with their ETags, so
//! the next identical GET can send `If-None-Match` and reuse the body on a
//! 304 (which most APIs do not count against the quota).

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

/// Entries kept; the oldest goes first.
const ENTRIES: usize = 64;
/// Larger bodies are not kept.
pub const MAX_BODY: usize = 1 << 20;

thread_local! {
    static CACHE: RefCell<VecDeque<(String, String, Rc<Vec<u8>>)>> = const { RefCell::new(VecDeque::new()) };
}

/// The ETag and body last seen for `url`.
pub fn get(url: &str) -> Option<(String, Rc<Vec<u8>>)> {
    CACHE.with(|c| {
        c.borrow()
            .iter()
            .find(|(u, _, _)| u == url)
            .map(|(_, etag, body)| (etag.clone(), body.clone()))
    })
}

/// Remembers `url`'s answer (ignored when the body is over [`MAX_BODY`]).
pub fn put(url: String, etag: String, body: Rc<Vec<u8>>) {
    if body.len() > MAX_BODY {
        return;
    }
    CACHE.with(|c| {
        let mut c = c.borrow_mut();
        c.retain(|(u, _, _)| *u != url);
        if c.len() >= ENTRIES {
            c.pop_front();
        }
        c.push_back((url, etag, body));
    });
}

/// Drops every URL containing `fragment` (after a write changed it).
pub fn forget(fragment: &str) {
    CACHE.with(|c| c.borrow_mut().retain(|(u, _, _)| !u.contains(fragment)));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_forgets_and_bounds_entries() {
        put("https://x/a".into(), "\"1\"".into(), Rc::new(b"a".to_vec()));
        assert_eq!(get("https://x/a").unwrap().0, "\"1\"");
        put("https://x/a".into(), "\"2\"".into(), Rc::new(b"b".to_vec()));
        assert_eq!(get("https://x/a").unwrap().1.as_slice(), b"b");
        forget("/a");
        assert!(get("https://x/a").is_none());
        for i in 0..=ENTRIES {
            put(format!("https://x/{i}"), "e".into(), Rc::new(Vec::new()));
        }
        assert!(get("https://x/0").is_none(), "the oldest went first");
        assert!(get(&format!("https://x/{ENTRIES}")).is_some());
        put(
            "https://x/big".into(),
            "e".into(),
            Rc::new(vec![0; MAX_BODY + 1]),
        );
        assert!(get("https://x/big").is_none());
    }
}
