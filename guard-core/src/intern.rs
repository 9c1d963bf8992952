//! Stable small integer ids for names (API names, app ids).
//!
//! Ids never change for the life of a guard, across policy updates, so a caller
//! (the JS bridge) can resolve a name once and check by integer forever after.
//!
//! Two quotas share one id space. Names that loads intern (from policies and
//! the catalogue) count against [`limits::MAX_INTERNED`]; names only callers
//! asked for (`api_id`, `app_handle`) count against the much smaller
//! [`limits::MAX_CALLER_NAMES`], and once that is full a caller gets `None`
//! and checks by name. So no caller can grow the table without bound, nor
//! fill the quota a later load needs. A caller's name that a later policy
//! mentions keeps its id and moves to the loads' quota.

use hashbrown::HashMap;

use crate::limits;

#[derive(Debug, Default)]
pub(crate) struct Interner {
    ids: HashMap<Box<str>, u32>,
    names: Vec<Box<str>>,
    /// Per id: only callers have asked for this name so far.
    caller_only: Vec<bool>,
    /// How many names count against [`limits::MAX_INTERNED`].
    known: usize,
    /// How many names count against [`limits::MAX_CALLER_NAMES`].
    callers: usize,
}

impl Interner {
    /// The id of `name` for a load, interning it if new; `None` once the
    /// loads' quota is full.
    pub(crate) fn intern(&mut self, name: &str) -> Option<u32> {
        if let Some(&id) = self.ids.get(name) {
            if let Some(flag) = self.caller_only.get_mut(id as usize) {
                if *flag {
                    if self.known >= limits::MAX_INTERNED {
                        return None;
                    }
                    *flag = false;
                    self.callers -= 1;
                    self.known += 1;
                }
            }
            return Some(id);
        }
        if self.known >= limits::MAX_INTERNED {
            return None;
        }
        self.known += 1;
        Some(self.push(name, false))
    }

    /// The id of `name` for a caller: the existing id, else a new one from
    /// the callers' quota; `None` once that is full.
    pub(crate) fn intern_caller(&mut self, name: &str) -> Option<u32> {
        if let Some(&id) = self.ids.get(name) {
            return Some(id);
        }
        if self.callers >= limits::MAX_CALLER_NAMES {
            return None;
        }
        self.callers += 1;
        Some(self.push(name, true))
    }

    fn push(&mut self, name: &str, caller_only: bool) -> u32 {
        // Both quotas together stay far below `u32::MAX`.
        let id = self.names.len() as u32;
        self.ids.insert(name.into(), id);
        self.names.push(name.into());
        self.caller_only.push(caller_only);
        id
    }

    /// The id of `name` if it was ever interned.
    #[inline]
    pub(crate) fn get(&self, name: &str) -> Option<u32> {
        self.ids.get(name).copied()
    }

    pub(crate) fn name(&self, id: u32) -> Option<&str> {
        self.names.get(id as usize).map(|n| &**n)
    }

    pub(crate) fn len(&self) -> usize {
        self.names.len()
    }

    /// Whether `extra` more names would still fit in the loads' quota.
    pub(crate) fn has_room(&self, extra: usize) -> bool {
        self.known.saturating_add(extra) <= limits::MAX_INTERNED
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn callers_have_their_own_bounded_quota_and_ids_survive_promotion() {
        let mut t = Interner::default();
        let early = t.intern_caller("early").unwrap();
        for i in 1..limits::MAX_CALLER_NAMES {
            assert!(t.intern_caller(&format!("c{i}")).is_some());
        }
        assert_eq!(t.intern_caller("one-too-many"), None);
        assert_eq!(t.len(), limits::MAX_CALLER_NAMES);
        // A load mentions a caller's name: same id, and a caller slot frees.
        assert_eq!(t.intern("early"), Some(early));
        assert!(t.intern_caller("now-it-fits").is_some());
        assert!(t.has_room(limits::MAX_INTERNED - 1));
        assert!(!t.has_room(limits::MAX_INTERNED));
    }
}
