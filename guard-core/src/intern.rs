//! Stable small integer ids for names (API names, app ids).
//!
//! Ids never change for the life of a guard, across policy updates, so a caller
//! (the JS bridge) can resolve a name once and check by integer forever after.

use hashbrown::HashMap;

use crate::limits;

#[derive(Debug, Default)]
pub(crate) struct Interner {
    ids: HashMap<Box<str>, u32>,
    names: Vec<Box<str>>,
}

impl Interner {
    /// The id of `name`, interning it if new; `None` once the table is full.
    pub(crate) fn intern(&mut self, name: &str) -> Option<u32> {
        if let Some(&id) = self.ids.get(name) {
            return Some(id);
        }
        if self.names.len() >= limits::MAX_INTERNED {
            return None;
        }
        let id = u32::try_from(self.names.len()).ok()?;
        self.ids.insert(name.into(), id);
        self.names.push(name.into());
        Some(id)
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

    /// Whether `extra` more names would still fit.
    pub(crate) fn has_room(&self, extra: usize) -> bool {
        self.names.len().saturating_add(extra) <= limits::MAX_INTERNED
    }
}
