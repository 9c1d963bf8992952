//! The compiled form of a policy, built once per load so that checks are a few
//! table look-ups: API flags indexed by interned API id, apps indexed by
//! interned app handle, and two host tables (exact hosts, wildcard suffixes)
//! keyed by `(app, list, host)`.

use std::hash::{BuildHasher, Hash};

use hashbrown::{DefaultHashBuilder, HashTable};

use crate::decision::Scheme;
use crate::entry::DomainEntry;
use crate::intern::Interner;
use crate::policy::{ApiStatus, AppEntries, AppKind, Control, Mode, Policy, PolicyError, Scope};

/// The name is in `builtin_apis` (or the shipped catalogue).
pub(crate) const BUILTIN: u8 = 1;
/// A restricted sensitive API whose scope covers mini programs.
pub(crate) const RESTRICTED_MINI_PROGRAM: u8 = 2;
/// A restricted sensitive API whose scope covers mini games.
pub(crate) const RESTRICTED_MINI_GAME: u8 = 4;
/// A sensitive API (public or restricted), for `explain`.
pub(crate) const SENSITIVE: u8 = 8;

pub(crate) const fn restricted_bit(kind: AppKind) -> u8 {
    match kind {
        AppKind::MiniProgram => RESTRICTED_MINI_PROGRAM,
        AppKind::MiniGame => RESTRICTED_MINI_GAME,
    }
}

/// Which whitelist a URL is matched against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub(crate) enum List {
    ServerHttps = 0,
    ServerWss = 1,
    WebviewHttps = 2,
}

impl List {
    pub(crate) const fn scheme(self) -> Scheme {
        match self {
            List::ServerWss => Scheme::Wss,
            List::ServerHttps | List::WebviewHttps => Scheme::Https,
        }
    }
}

/// What an API check needs of an app, stored per handle.
#[derive(Debug)]
pub(crate) struct ApiRules {
    /// `control.apis`.
    pub(crate) control_apis: bool,
    /// [`restricted_bit`] of the app's kind.
    pub(crate) restricted_bit: u8,
    /// Sorted, deduplicated API ids.
    pub(crate) whitelist: Box<[u32]>,
    /// Sorted, deduplicated API ids.
    pub(crate) granted: Box<[u32]>,
}

#[derive(Debug)]
pub(crate) struct CompiledApp {
    pub(crate) control: Control,
}

/// The ports the entries for one host allow; almost always exactly one.
#[derive(Debug)]
enum Ports {
    One(u16),
    Many(Box<[u16]>),
}

impl Ports {
    fn contains(&self, port: u16) -> bool {
        match self {
            Ports::One(p) => *p == port,
            Ports::Many(ps) => ps.contains(&port),
        }
    }

    fn add(&mut self, port: u16) {
        if self.contains(port) {
            return;
        }
        *self = match self {
            Ports::One(p) => Ports::Many(Box::new([*p, port])),
            Ports::Many(ps) => Ports::Many(ps.iter().copied().chain([port]).collect()),
        };
    }
}

/// How a host matched a list (§3.3 rules 6 and 7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HostMatch {
    /// An entry for this exact host and port.
    Exact,
    /// A wildcard entry; the matched suffix starts at this byte of the host.
    Wildcard(usize),
    /// Some entry has the host, none the port.
    WrongPort,
    /// No entry has the host.
    None,
}

/// One kind of host entry (exact hosts or wildcard suffixes) of every app,
/// keyed by `(app, list, host)`.
///
/// The hosts live in one arena string and the table holds offsets into it: a
/// policy of 300,000 entries then costs one allocation here instead of
/// 300,000, to build and again to drop on the next update. Look-ups hash the
/// borrowed key, so a check allocates nothing.
#[derive(Debug, Default)]
struct HostTable {
    hosts: String,
    slots: HashTable<HostSlot>,
    hasher: DefaultHashBuilder,
}

#[derive(Debug)]
struct HostSlot {
    app: u32,
    list: u8,
    /// `hosts[start..end]`.
    start: u32,
    end: u32,
    ports: Ports,
}

impl HostTable {
    fn with_capacity(entries: usize, host_bytes: usize) -> HostTable {
        HostTable {
            hosts: String::with_capacity(host_bytes),
            slots: HashTable::with_capacity(entries),
            hasher: DefaultHashBuilder::default(),
        }
    }

    fn hash(hasher: &DefaultHashBuilder, app: u32, list: u8, host: &str) -> u64 {
        hasher.hash_one((app, list, host))
    }

    fn host<'h>(hosts: &'h str, slot: &HostSlot) -> &'h str {
        hosts
            .get(slot.start as usize..slot.end as usize)
            .unwrap_or_default()
    }

    fn get(&self, app: u32, list: List, host: &str) -> Option<&Ports> {
        let list = list as u8;
        let hash = Self::hash(&self.hasher, app, list, host);
        self.slots
            .find(hash, |s| {
                s.app == app && s.list == list && Self::host(&self.hosts, s) == host
            })
            .map(|s| &s.ports)
    }

    /// Adds `port` to the entry for `host`, creating it if new; `None` when the
    /// arena would outgrow `u32` offsets.
    fn add(&mut self, app: u32, list: List, host: &str, port: u16) -> Option<()> {
        let list = list as u8;
        let HostTable {
            hosts,
            slots,
            hasher,
        } = self;
        let hash = Self::hash(hasher, app, list, host);
        let found = slots.find_mut(hash, |s| {
            s.app == app && s.list == list && Self::host(hosts, s) == host
        });
        if let Some(slot) = found {
            slot.ports.add(port);
            return Some(());
        }
        let start = u32::try_from(hosts.len()).ok()?;
        let end = u32::try_from(hosts.len().checked_add(host.len())?).ok()?;
        hosts.push_str(host);
        let slot = HostSlot {
            app,
            list,
            start,
            end,
            ports: Ports::One(port),
        };
        slots.insert_unique(hash, slot, |s| {
            Self::hash(hasher, s.app, s.list, Self::host(hosts, s))
        });
        Some(())
    }

    fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }
}

#[derive(Debug)]
pub(crate) struct Compiled {
    pub(crate) superapp_id: String,
    pub(crate) version: u64,
    pub(crate) mode: Mode,
    pub(crate) not_before: Option<u64>,
    pub(crate) not_after: Option<u64>,
    /// `[nbf, end)` with the open ends as `0` and `u64::MAX`.
    window: (u64, u64),
    api_flags: Vec<u8>,
    apps: Vec<CompiledApp>,
    /// App handle → index into `apps`, `u32::MAX` where the handle has no app.
    app_index: Vec<u32>,
    /// App handle → that app's API rules, so the by-id check is one look-up.
    by_handle: Vec<Option<ApiRules>>,
    exact: HostTable,
    wildcard: HostTable,
}

impl Compiled {
    /// Compiles a validated policy; `entries` are its apps' parsed whitelists.
    ///
    /// `catalogue` is the number of catalogue names, which the guard interned
    /// first, as ids `0..catalogue`.
    pub(crate) fn new(
        policy: &Policy,
        entries: Vec<AppEntries<'_>>,
        api_ids: &mut Interner,
        app_ids: &mut Interner,
        catalogue: u32,
    ) -> Result<Compiled, PolicyError> {
        let full = || {
            PolicyError::new(
                "policy",
                "too many distinct names over this guard's lifetime; restart the guard",
            )
        };
        let (not_before, not_after) = (policy.not_before(), policy.not_after());
        let mut flags: Vec<(u32, u8)> = Vec::new();
        match &policy.builtin_apis {
            None => flags.extend((0..catalogue).map(|id| (id, BUILTIN))),
            Some(names) => {
                for name in names {
                    flags.push((api_ids.intern(name).ok_or_else(full)?, BUILTIN));
                }
            }
        }
        for api in &policy.sensitive_apis {
            let id = api_ids.intern(&api.name).ok_or_else(full)?;
            let mut bits = SENSITIVE;
            if api.status == ApiStatus::Restricted {
                bits |= match api.scope {
                    Scope::All => RESTRICTED_MINI_PROGRAM | RESTRICTED_MINI_GAME,
                    Scope::MiniProgram => RESTRICTED_MINI_PROGRAM,
                    Scope::MiniGame => RESTRICTED_MINI_GAME,
                };
            }
            flags.push((id, bits));
        }

        let mut apps = Vec::with_capacity(policy.apps.len());
        let mut rules = Vec::with_capacity(policy.apps.len());
        let mut handles = Vec::with_capacity(policy.apps.len());
        // Sized up front: growing (and rehashing) tables of 300,000 keys would
        // cost as much as filling them.
        let (mut exact_size, mut wildcard_size) = ((0, 0), (0, 0));
        for e in entries
            .iter()
            .flat_map(|e| e.server.iter().chain(&e.webview))
        {
            let size = if e.wildcard {
                &mut wildcard_size
            } else {
                &mut exact_size
            };
            *size = (size.0 + 1, size.1 + e.host.len());
        }
        let mut exact = HostTable::with_capacity(exact_size.0, exact_size.1);
        let mut wildcard = HostTable::with_capacity(wildcard_size.0, wildcard_size.1);
        for (index, (app, app_entries)) in policy.apps.iter().zip(entries).enumerate() {
            let index = u32::try_from(index).map_err(|_| full())?;
            handles.push(app_ids.intern(&app.app_id).ok_or_else(full)?);
            let ids =
                |names: &[String], api_ids: &mut Interner| -> Result<Box<[u32]>, PolicyError> {
                    let mut ids = names
                        .iter()
                        .map(|n| api_ids.intern(n).ok_or_else(full))
                        .collect::<Result<Vec<u32>, _>>()?;
                    ids.sort_unstable();
                    ids.dedup();
                    Ok(ids.into_boxed_slice())
                };
            let whitelist = ids(&app.api_whitelist, api_ids)?;
            let granted = ids(&app.granted_apis, api_ids)?;
            let lists = app_entries
                .server
                .into_iter()
                .map(|e| {
                    let list = match e.scheme {
                        Scheme::Https => List::ServerHttps,
                        Scheme::Wss => List::ServerWss,
                    };
                    (list, e)
                })
                .chain(
                    app_entries
                        .webview
                        .into_iter()
                        .map(|e| (List::WebviewHttps, e)),
                );
            for (
                list,
                DomainEntry {
                    host,
                    wildcard: is_wildcard,
                    port,
                    ..
                },
            ) in lists
            {
                let table = if is_wildcard {
                    &mut wildcard
                } else {
                    &mut exact
                };
                table.add(index, list, &host, port).ok_or_else(|| {
                    PolicyError::new("apps", "whitelist hosts over 4 GiB in total")
                })?;
            }
            apps.push(CompiledApp {
                control: app.control,
            });
            rules.push(ApiRules {
                control_apis: app.control.apis,
                restricted_bit: restricted_bit(app.kind),
                whitelist,
                granted,
            });
        }

        let mut api_flags = vec![0u8; api_ids.len()];
        for (id, bits) in flags {
            if let Some(f) = api_flags.get_mut(id as usize) {
                *f |= bits;
            }
        }
        let mut app_index = vec![u32::MAX; app_ids.len()];
        let mut by_handle: Vec<Option<ApiRules>> = std::iter::repeat_with(|| None)
            .take(app_ids.len())
            .collect();
        for ((index, handle), app_rules) in handles.into_iter().enumerate().zip(rules) {
            if let (Some(slot), Ok(i)) = (app_index.get_mut(handle as usize), u32::try_from(index))
            {
                *slot = i;
            }
            if let Some(slot) = by_handle.get_mut(handle as usize) {
                *slot = Some(app_rules);
            }
        }
        Ok(Compiled {
            superapp_id: policy.superapp_id.clone(),
            version: policy.version,
            mode: policy.mode,
            not_before,
            not_after,
            window: (not_before.unwrap_or(0), not_after.unwrap_or(u64::MAX)),
            api_flags,
            apps,
            app_index,
            by_handle,
            exact,
            wildcard,
        })
    }

    /// Whether the policy is in force at `now` (nbf ≤ now < min(exp, expires_at)).
    #[inline(always)]
    pub(crate) fn in_window(&self, now: u64) -> bool {
        // Two plain compares on the hot path instead of two `Option`s.
        now >= self.window.0 && now < self.window.1
    }

    #[inline(always)]
    pub(crate) fn api_rules(&self, handle: u32) -> Option<&ApiRules> {
        self.by_handle.get(handle as usize)?.as_ref()
    }

    #[inline]
    pub(crate) fn app(&self, handle: u32) -> Option<(u32, &CompiledApp)> {
        let index = *self.app_index.get(handle as usize)?;
        self.apps.get(index as usize).map(|a| (index, a))
    }

    /// The flags of an API id; names the policy never mentions have none.
    #[inline(always)]
    pub(crate) fn api_flags(&self, id: u32) -> u8 {
        self.api_flags.get(id as usize).copied().unwrap_or(0)
    }

    pub(crate) fn app_count(&self) -> usize {
        self.apps.len()
    }

    /// Matches `host` (as the WHATWG parser serialised it) and `port` against
    /// one app's list: exact entries first, then wildcard suffixes at every depth.
    pub(crate) fn match_host(&self, app: u32, list: List, host: &str, port: u16) -> HostMatch {
        let host = host.strip_suffix('.').unwrap_or(host);
        let mut host_seen = false;
        if let Some(ports) = self.exact.get(app, list, host) {
            if ports.contains(port) {
                return HostMatch::Exact;
            }
            host_seen = true;
        }
        if !self.wildcard.is_empty() {
            let mut offset = 0;
            while let Some(dot) = host[offset..].find('.') {
                offset += dot + 1;
                if let Some(ports) = self.wildcard.get(app, list, &host[offset..]) {
                    if ports.contains(port) {
                        return HostMatch::Wildcard(offset);
                    }
                    host_seen = true;
                }
            }
        }
        if host_seen {
            HostMatch::WrongPort
        } else {
            HostMatch::None
        }
    }
}
