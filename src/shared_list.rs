//! A list whose start is shared with other lists: an environment's components are its stack's,
//! less those its own replace, then its own. A fleet's environments repeat a few stacks of
//! hundreds of components; each holding its stack's list, not a copy of it, is millions of
//! pointers fewer to make, count and free.

use std::sync::Arc;

/// `base` without the places in `removed`, then `rest`.
#[derive(Debug)]
pub struct SharedList<T> {
    base: Arc<[Arc<T>]>,
    /// Places in `base` left out, ascending.
    removed: Box<[u32]>,
    rest: Vec<Arc<T>>,
}

impl<T> SharedList<T> {
    /// `base` (shared) without its places `removed` (in any order), then `rest`.
    pub fn new(base: Arc<[Arc<T>]>, mut removed: Vec<u32>, rest: Vec<Arc<T>>) -> SharedList<T> {
        removed.sort_unstable();
        removed.dedup();
        removed.retain(|&r| (r as usize) < base.len());
        SharedList {
            base,
            removed: removed.into_boxed_slice(),
            rest,
        }
    }

    pub fn len(&self) -> usize {
        self.kept() + self.rest.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many of `base` are in the list.
    fn kept(&self) -> usize {
        self.base.len() - self.removed.len()
    }

    /// The `i`th item.
    pub fn get(&self, i: usize) -> Option<&Arc<T>> {
        let kept = self.kept();
        if i >= kept {
            return self.rest.get(i - kept);
        }
        let mut at = i;
        for &r in self.removed.iter() {
            if r as usize > at {
                break;
            }
            at += 1;
        }
        self.base.get(at)
    }

    /// The shared start: the same (by address) for every list that shares it.
    pub fn base(&self) -> &Arc<[Arc<T>]> {
        &self.base
    }

    /// The places in [`SharedList::base`] left out of this list, ascending.
    pub fn removed(&self) -> &[u32] {
        &self.removed
    }

    /// The items after the shared start.
    pub fn rest(&self) -> &[Arc<T>] {
        &self.rest
    }

    /// The places in [`SharedList::base`] that are in this list, in order.
    pub fn kept_places(&self) -> impl Iterator<Item = usize> + '_ {
        let mut removed = self.removed.iter().peekable();
        (0..self.base.len()).filter(move |&at| match removed.peek() {
            Some(&&r) if r as usize == at => {
                removed.next();
                false
            }
            _ => true,
        })
    }

    /// The address that identifies a shared start.
    pub fn base_key(&self) -> usize {
        Arc::as_ptr(&self.base) as *const Arc<T> as usize
    }

    pub fn iter(&self) -> Iter<'_, T> {
        Iter {
            base: self.base.iter(),
            at: 0,
            removed: &self.removed,
            rest: self.rest.iter(),
        }
    }

    /// Each item mapped by `f`; a shared start is mapped once for all the lists that share it
    /// (`bases` remembers it by address), and the result is shared likewise.
    pub fn map<U>(
        &self,
        mut f: impl FnMut(&Arc<T>) -> Arc<U>,
        bases: &mut rustc_hash::FxHashMap<usize, Arc<[Arc<U>]>>,
    ) -> SharedList<U> {
        let base = match self.base.is_empty() {
            true => Arc::from(Vec::new()),
            false => {
                let key = self.base_key();
                let base = bases
                    .entry(key)
                    .or_insert_with(|| self.base.iter().map(&mut f).collect());
                base.clone()
            }
        };
        SharedList {
            base,
            removed: self.removed.clone(),
            rest: self.rest.iter().map(f).collect(),
        }
    }
}

/// The items of `lists`, each once (by address), in the order `lists` first have them: a shared
/// start's items are looked at once for all the lists that share it, not once per list.
pub fn distinct<'a, T>(lists: impl IntoIterator<Item = &'a SharedList<T>>) -> Vec<&'a Arc<T>> {
    let mut seen: rustc_hash::FxHashSet<*const T> = Default::default();
    // Per shared start, its places already met.
    let mut met: rustc_hash::FxHashMap<usize, Vec<bool>> = Default::default();
    let mut out = Vec::new();
    for list in lists {
        let met = (met.entry(list.base_key())).or_insert_with(|| vec![false; list.base.len()]);
        for at in list.kept_places() {
            if !std::mem::replace(&mut met[at], true) && seen.insert(Arc::as_ptr(&list.base[at])) {
                out.push(&list.base[at]);
            }
        }
        out.extend(list.rest.iter().filter(|r| seen.insert(Arc::as_ptr(r))));
    }
    out
}

impl<T> Clone for SharedList<T> {
    fn clone(&self) -> Self {
        SharedList {
            base: self.base.clone(),
            removed: self.removed.clone(),
            rest: self.rest.clone(),
        }
    }
}

impl<T> Default for SharedList<T> {
    fn default() -> Self {
        Vec::new().into()
    }
}

/// A list of its own: nothing shared.
impl<T> From<Vec<Arc<T>>> for SharedList<T> {
    fn from(rest: Vec<Arc<T>>) -> Self {
        SharedList {
            base: Arc::from(Vec::new()),
            removed: Box::default(),
            rest,
        }
    }
}

impl<T> FromIterator<Arc<T>> for SharedList<T> {
    fn from_iter<I: IntoIterator<Item = Arc<T>>>(items: I) -> Self {
        items.into_iter().collect::<Vec<_>>().into()
    }
}

impl<T> std::ops::Index<usize> for SharedList<T> {
    type Output = Arc<T>;
    fn index(&self, i: usize) -> &Arc<T> {
        match self.get(i) {
            Some(item) => item,
            None => panic!("index {i} out of range for a list of {}", self.len()),
        }
    }
}

impl<'a, T> IntoIterator for &'a SharedList<T> {
    type Item = &'a Arc<T>;
    type IntoIter = Iter<'a, T>;
    fn into_iter(self) -> Iter<'a, T> {
        self.iter()
    }
}

/// The items of a [`SharedList`], in order.
pub struct Iter<'a, T> {
    base: std::slice::Iter<'a, Arc<T>>,
    /// The place in the base of the next item of `base`.
    at: u32,
    /// The places still to leave out.
    removed: &'a [u32],
    rest: std::slice::Iter<'a, Arc<T>>,
}

impl<'a, T> Iterator for Iter<'a, T> {
    type Item = &'a Arc<T>;

    fn next(&mut self) -> Option<&'a Arc<T>> {
        for item in self.base.by_ref() {
            let at = self.at;
            self.at += 1;
            match self.removed.split_first() {
                Some((&r, later)) if r == at => self.removed = later,
                _ => return Some(item),
            }
        }
        self.rest.next()
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.base.len() - self.removed.len() + self.rest.len();
        (n, Some(n))
    }
}

impl<T> ExactSizeIterator for Iter<'_, T> {}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(base: &[u32], removed: Vec<u32>, rest: &[u32]) -> SharedList<u32> {
        let base: Arc<[Arc<u32>]> = base.iter().copied().map(Arc::new).collect();
        SharedList::new(base, removed, rest.iter().copied().map(Arc::new).collect())
    }

    fn items(l: &SharedList<u32>) -> Vec<u32> {
        l.iter().map(|x| **x).collect()
    }

    /// What the list is meant to be, made the plain way.
    fn plain(base: &[u32], removed: &[u32], rest: &[u32]) -> Vec<u32> {
        (base.iter().enumerate())
            .filter(|(i, _)| !removed.contains(&(*i as u32)))
            .map(|(_, x)| *x)
            .chain(rest.iter().copied())
            .collect()
    }

    #[test]
    fn iteration_indexing_and_length_agree_with_the_plain_list() {
        let base = [10, 11, 12, 13, 14, 15];
        let cases: [(&[u32], &[u32]); 7] = [
            (&[], &[]),
            (&[0], &[20]),
            (&[5], &[20, 21]),
            (&[4, 1, 2], &[]),
            (&[0, 1, 2, 3, 4, 5], &[20]),
            (&[3, 3, 9], &[20]), // repeated, and past the end: ignored
            (&[2, 0], &[20, 21, 22]),
        ];
        for (removed, rest) in cases {
            let l = list(&base, removed.to_vec(), rest);
            let want = plain(&base, removed, rest);
            assert_eq!(items(&l), want, "removed {removed:?}, rest {rest:?}");
            assert_eq!(l.len(), want.len());
            assert_eq!(l.iter().len(), want.len());
            assert_eq!(l.is_empty(), want.is_empty());
            for (i, w) in want.iter().enumerate() {
                assert_eq!(*l[i], *w, "item {i} of {want:?}");
            }
            assert!(l.get(want.len()).is_none());
        }
        let own: SharedList<u32> = vec![Arc::new(1), Arc::new(2)].into();
        assert_eq!(items(&own), [1, 2]);
        assert!(SharedList::<u32>::default().is_empty());
    }

    /// Lists sharing starts (one leaving out what another keeps, one sharing an item of its
    /// own with another's start): each item once, in the order the lists first have it.
    #[test]
    fn distinct_items_are_those_of_the_lists_in_the_order_first_met() {
        let one: Arc<[Arc<u32>]> = [1, 2, 3, 4].into_iter().map(Arc::new).collect();
        let two: Arc<[Arc<u32>]> = [5, 6].into_iter().map(Arc::new).collect();
        let own = Arc::new(9);
        let lists = [
            SharedList::new(one.clone(), vec![1, 3], vec![own.clone()]),
            SharedList::new(two.clone(), vec![0], vec![one[0].clone()]),
            SharedList::new(one.clone(), vec![0], vec![own.clone(), Arc::new(9)]),
            SharedList::new(two, vec![], vec![]),
            SharedList::new(one, vec![0, 1, 2, 3], vec![]),
        ];
        let mut seen = std::collections::HashSet::new();
        let plain: Vec<u32> = (lists.iter().flat_map(|l| l.iter()))
            .filter(|x| seen.insert(Arc::as_ptr(x)))
            .map(|x| **x)
            .collect();
        let got: Vec<u32> = distinct(&lists).into_iter().map(|x| **x).collect();
        assert_eq!(got, plain);
        assert_eq!(got, [1, 3, 9, 6, 2, 4, 9, 5]);
        for l in &lists {
            let kept: Vec<u32> = l.kept_places().map(|at| *l.base()[at]).collect();
            assert_eq!(kept, items(l)[..kept.len()]);
            assert_eq!(kept.len() + l.removed().len(), l.base().len());
            assert_eq!(kept.len() + l.rest().len(), l.len());
        }
    }

    #[test]
    fn a_shared_start_is_mapped_once_and_shared_by_the_results() {
        let base: Arc<[Arc<u32>]> = [1, 2, 3].into_iter().map(Arc::new).collect();
        let a = SharedList::new(base.clone(), vec![1], vec![Arc::new(7)]);
        let b = SharedList::new(base, vec![], vec![]);
        let mut calls = 0;
        let mut bases = Default::default();
        let mut double = |x: &Arc<u32>| {
            calls += 1;
            Arc::new(**x * 2)
        };
        let ma = a.map(&mut double, &mut bases);
        let mb = b.map(&mut double, &mut bases);
        assert_eq!(calls, 4, "the start's three items once, and a's own one");
        assert_eq!(items(&ma), [2, 6, 14]);
        assert_eq!(items(&mb), [2, 4, 6]);
        assert!(Arc::ptr_eq(&ma.base, &mb.base));
    }
}
