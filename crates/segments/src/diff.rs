//! Who entered and who left a segment, from its newly computed members and its stored ones.
//!
//! A refresh feeds both lists to one aggregate (`engage_internal.segment_diff`) that Postgres may run in
//! parallel: each worker collects part of both lists, sorts them and sends them on as bytes; the
//! leader merges the parts and walks the two sorted lists once. This replaces a full join of
//! the two sets, which Postgres 15 cannot run in parallel (and which kept the whole rule's
//! statement serial).

/// One side's part of a refresh: contact IDs computed now (`new`) and stored (`old`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Collected {
    new: Vec<i64>,
    old: Vec<i64>,
}

/// What a refresh changes: IDs in ascending order, and how many members the segment has now.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Diff {
    pub entered: Vec<i64>,
    pub left: Vec<i64>,
    pub members: i64,
}

/// Why bytes could not be read back as a [`Collected`].
#[derive(Debug, PartialEq, Eq)]
pub struct Malformed;

impl Collected {
    /// Adds a contact the rule selects now (`stored` false) or a stored member (`stored` true).
    pub fn push(&mut self, contact_id: i64, stored: bool) {
        if stored {
            self.old.push(contact_id);
        } else {
            self.new.push(contact_id);
        }
    }

    /// Takes over another part's IDs, leaving it empty.
    pub fn absorb(&mut self, other: &mut Collected) {
        self.new.append(&mut other.new);
        self.old.append(&mut other.old);
    }

    /// The part as bytes (sorted first, so that the sorting happens where the part was made):
    /// the count of new IDs, then new and old IDs, each little-endian.
    pub fn to_bytes(&mut self) -> Vec<u8> {
        self.new.sort_unstable();
        self.old.sort_unstable();
        let mut out = Vec::with_capacity(8 * (1 + self.new.len() + self.old.len()));
        out.extend_from_slice(&(self.new.len() as u64).to_le_bytes());
        for id in self.new.iter().chain(&self.old) {
            out.extend_from_slice(&id.to_le_bytes());
        }
        out
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Collected, Malformed> {
        if bytes.len() < 8 || !bytes.len().is_multiple_of(8) {
            return Err(Malformed);
        }
        let mut words = bytes.chunks_exact(8).map(|w| i64::from_le_bytes(w.try_into().expect("8 bytes")));
        let new_len = usize::try_from(words.next().ok_or(Malformed)?).map_err(|_| Malformed)?;
        let ids: Vec<i64> = words.collect();
        if new_len > ids.len() {
            return Err(Malformed);
        }
        let (new, old) = ids.split_at(new_len);
        Ok(Collected { new: new.to_vec(), old: old.to_vec() })
    }

    /// The changes: computed but not stored entered, stored but not computed left. A contact
    /// listed twice on a side counts once. `interrupt` is called every `CHECK_EVERY` IDs, so
    /// that the host can cancel the refresh of a huge segment (it may unwind).
    pub fn finish(mut self, interrupt: &mut dyn FnMut()) -> Diff {
        for side in [&mut self.new, &mut self.old] {
            // Sorted in pieces (parts from workers arrive sorted already: see `to_bytes`), then
            // a stable sort merges the sorted runs.
            for piece in side.chunks_mut(CHECK_EVERY) {
                piece.sort_unstable();
                interrupt();
            }
            side.sort();
            side.dedup();
        }
        let mut diff = Diff { members: self.new.len() as i64, ..Diff::default() };
        let (mut n, mut o) = (self.new.iter().peekable(), self.old.iter().peekable());
        for step in 1usize.. {
            if step.is_multiple_of(CHECK_EVERY) {
                interrupt();
            }
            match (n.peek(), o.peek()) {
                (Some(&&a), Some(&&b)) if a == b => {
                    n.next();
                    o.next();
                }
                (Some(&&a), Some(&&b)) if a < b => {
                    diff.entered.push(a);
                    n.next();
                }
                (Some(_), Some(&&b)) => {
                    diff.left.push(b);
                    o.next();
                }
                (Some(&&a), None) => {
                    diff.entered.push(a);
                    n.next();
                }
                (None, Some(&&b)) => {
                    diff.left.push(b);
                    o.next();
                }
                (None, None) => break,
            }
        }
        diff
    }
}

/// IDs handled between two interrupt checks (about a millisecond of work).
const CHECK_EVERY: usize = 1 << 16;

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// A small deterministic generator, so the test needs no dependency.
    struct Lcg(u64);

    impl Lcg {
        fn below(&mut self, n: u64) -> u64 {
            self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (self.0 >> 33) % n
        }
    }

    #[test]
    fn finds_who_entered_and_left() {
        let mut c = Collected::default();
        for id in [5, 1, 3, 9] {
            c.push(id, false);
        }
        for id in [3, 4, 9, 12] {
            c.push(id, true);
        }
        let d = c.finish(&mut || {});
        assert_eq!(d, Diff { entered: vec![1, 5], left: vec![4, 12], members: 4 });
    }

    #[test]
    fn parts_sent_as_bytes_and_merged_give_the_set_difference() {
        let mut rng = Lcg(7);
        for round in 0..200 {
            let (mut new, mut old) = (BTreeSet::new(), BTreeSet::new());
            let mut parts = vec![Collected::default(); 1 + rng.below(4) as usize];
            let range = 1 + rng.below(300) as i64 - if round % 5 == 0 { 150 } else { 0 };
            for _ in 0..rng.below(400) {
                let id = rng.below(300) as i64 - 150 + range;
                let stored = rng.below(2) == 0;
                if stored { &mut old } else { &mut new }.insert(id);
                let part = rng.below(parts.len() as u64) as usize;
                parts[part].push(id, stored);
            }
            // Each part travels as bytes, as between parallel workers and the leader.
            let mut whole = Collected::default();
            for mut p in parts {
                let mut back = Collected::from_bytes(&p.to_bytes()).unwrap();
                whole.absorb(&mut back);
                assert_eq!(back, Collected::default());
            }
            let d = whole.finish(&mut || {});
            assert_eq!(d.entered, new.difference(&old).copied().collect::<Vec<_>>());
            assert_eq!(d.left, old.difference(&new).copied().collect::<Vec<_>>());
            assert_eq!(d.members, new.len() as i64);
        }
    }

    #[test]
    fn malformed_bytes_are_refused() {
        assert_eq!(Collected::from_bytes(&[]), Err(Malformed));
        assert_eq!(Collected::from_bytes(&[1, 2, 3]), Err(Malformed));
        assert_eq!(Collected::from_bytes(&5u64.to_le_bytes()), Err(Malformed));
        let empty = Collected::from_bytes(&0u64.to_le_bytes()).unwrap();
        assert_eq!(empty.finish(&mut || {}), Diff::default());
    }

    #[test]
    fn a_large_refresh_checks_for_interrupts_as_it_goes() {
        let mut c = Collected::default();
        for id in 0..1_000_000i64 {
            c.push(id * 7 % 1_000_003, false);
            c.push(id * 3 % 1_000_003, true);
        }
        let mut calls = 0;
        let d = c.clone().finish(&mut || calls += 1);
        assert_eq!(d.members, 1_000_000);
        // At least once per CHECK_EVERY IDs sorted (and more while walking them).
        assert!(calls > 2 * 1_000_000 / CHECK_EVERY, "{calls} checks");
        // A host's check that raises (unwinds) stops the work at once.
        let stopped = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let mut seen = 0;
            c.finish(&mut || {
                seen += 1;
                if seen == 3 {
                    panic!("canceled");
                }
            })
        }));
        assert!(stopped.is_err());
    }
}
