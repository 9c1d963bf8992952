//! The compiled form of a policy, built once per load so that checks are a few
//! table look-ups: API flags indexed by interned API id, apps indexed by
//! interned app handle, and one label trie of every app's whitelist hosts and
//! the superapp's blocked hosts.

use std::hash::BuildHasher;

use hashbrown::{DefaultHashBuilder, HashTable};

use crate::decision::CheckKind;
use crate::entry::{DomainEntry, HostPattern};
use crate::groups;
use crate::intern::Interner;
use crate::policy::{
    ApiStatus, App, AppEntries, AppKind, Control, Mode, Policy, PolicyError, Validated, URL_LISTS,
};
use crate::scheme::Scheme;

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

/// Which list a target is matched against: the v1 lists, and (contract v3)
/// one list per kind of `domains`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub(crate) enum List {
    ServerHttps = 0,
    ServerWss = 1,
    WebviewHttps = 2,
    Request = 3,
    Upload = 4,
    Download = 5,
    Socket = 6,
    Media = 7,
    Tcp = 8,
    Udp = 9,
}

impl List {
    /// The list's name in the policy document, for `explain`.
    pub(crate) const fn name(self) -> &'static str {
        match self {
            List::ServerHttps | List::ServerWss => "server_domains",
            List::WebviewHttps => "webview_domains",
            List::Request => "domains.request",
            List::Upload => "domains.upload",
            List::Download => "domains.download",
            List::Socket => "domains.socket",
            List::Media => "domains.media",
            List::Tcp => "domains.tcp",
            List::Udp => "domains.udp",
        }
    }
}

/// The `domains` URL lists, in the order of `policy::URL_LISTS`.
const KIND_LISTS: [List; URL_LISTS] = [
    List::Request,
    List::Upload,
    List::Download,
    List::Socket,
    List::Media,
];

/// Where a URL kind's list lives in [`AppRules::lists`]; `None` for the
/// kinds whose list is fixed (`webview`) or that have none.
const fn slot(kind: CheckKind) -> Option<usize> {
    match kind {
        CheckKind::Request => Some(0),
        CheckKind::Upload => Some(1),
        CheckKind::Download => Some(2),
        CheckKind::Socket => Some(3),
        CheckKind::Media => Some(4),
        _ => None,
    }
}

/// A raw-socket entry without a port allows every port: it is stored as
/// port 0, which no socket target has (§3.7 refuses port 0 first).
pub(crate) const ANY_PORT: u16 = 0;

/// Everything a check needs of one app, stored per app handle, so a check by
/// handle is one look-up.
#[derive(Debug)]
pub(crate) struct AppRules {
    /// The app's index in the policy: the root of its lists in the trie.
    pub(crate) index: u32,
    /// The permission-control switches.
    pub(crate) control: Control,
    /// The app's `mode`, else the policy's (§1).
    pub(crate) mode: Mode,
    /// `removed: true` (§3.1 rule 2a).
    pub(crate) removed: bool,
    /// The released version and package digest (§3.5).
    pub(crate) release: Option<(Box<str>, [u8; 32])>,
    /// [`restricted_bit`] of the app's kind.
    pub(crate) restricted_bit: u8,
    /// Sorted, deduplicated API ids.
    pub(crate) whitelist: Box<[u32]>,
    /// Sorted, deduplicated API ids.
    pub(crate) granted: Box<[u32]>,
    /// The list each URL kind with a `domains` slot is matched against:
    /// its own (schema 3, when present) or `server_domains`' (request,
    /// upload, download, socket); media's own, always (§3.7).
    lists: [List; URL_LISTS],
}

impl AppRules {
    /// The list a URL check of `kind` is matched against (§3.3 rule 5).
    pub(crate) fn list(&self, kind: CheckKind) -> List {
        match slot(kind).and_then(|i| self.lists.get(i)) {
            Some(&list) => list,
            None => List::WebviewHttps,
        }
    }
}

/// The ports the entries for one host allow, in four bytes: none, one port
/// inline (almost always), or the index of a list in [`LabelTrie::many`].
/// Small nodes keep a 300,000-entry policy's trie within the memory its two
/// hash tables took before.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct PortSet(u32);

impl PortSet {
    const NONE: PortSet = PortSet(0);
    /// Set on an index into [`LabelTrie::many`]; otherwise the value is the
    /// one port plus one.
    const MANY: u32 = 1 << 31;

    fn is_none(self) -> bool {
        self == PortSet::NONE
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

/// Every host entry of every app's lists, as one reversed-label trie
/// (`policy.md` §3.3 rules 6 and 7).
///
/// A host is matched by walking its labels from the right, one hash probe per
/// label, stopping at the first label no entry continues with. So a check
/// costs O(host length) whatever the policy holds: hashing every suffix of
/// the host instead would cost O(labels × length), quadratic in the URL for a
/// host of 400,000 labels. Each (app, list) has its own root, and the labels
/// live in one arena string, so a policy of 300,000 entries costs a few large
/// allocations instead of one per entry, to build and again to drop.
#[derive(Debug, Default)]
pub(crate) struct LabelTrie {
    labels: String,
    nodes: Vec<Node>,
    /// The port lists of hosts with more than one port.
    many: Vec<Box<[u16]>>,
    /// The `(parent, node)` path of the host added last, from the right:
    /// an app's entries share their parent labels, so adding the next one
    /// mostly skips the probes for them.
    path: Vec<(u64, u32)>,
    /// `(parent, label)` → index into `nodes`.
    index: HashTable<u32>,
    hasher: DefaultHashBuilder,
}

/// A label under its parent: a node's index, or a root (see [`LabelTrie::root`]).
#[derive(Debug)]
struct Node {
    parent: u64,
    /// `labels[start..end]`.
    start: u32,
    end: u32,
    /// Ports of an entry for exactly the host this node spells.
    exact: PortSet,
    /// Ports of a wildcard entry over it (`*.` and this host).
    wildcard: PortSet,
}

#[cfg(test)]
thread_local! {
    /// Hash probes made by [`LabelTrie::child`] on this thread (tests only).
    pub(crate) static PROBES: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

impl LabelTrie {
    /// Roots live above every node index (< 2^32), one per (app, list) and one
    /// for the superapp's own lists (`app` = `u32::MAX`).
    pub(crate) const fn root(app: u32, list: u8) -> u64 {
        1 << 40 | (app as u64) << 8 | list as u64
    }

    fn with_capacity(nodes: usize, label_bytes: usize) -> LabelTrie {
        LabelTrie {
            labels: String::with_capacity(label_bytes),
            nodes: Vec::with_capacity(nodes),
            many: Vec::new(),
            path: Vec::new(),
            index: HashTable::with_capacity(nodes),
            hasher: DefaultHashBuilder::default(),
        }
    }

    fn label<'l>(labels: &'l str, node: &Node) -> &'l str {
        labels
            .get(node.start as usize..node.end as usize)
            .unwrap_or_default()
    }

    /// The node for `label` under `parent`: one hash of the label.
    fn child(&self, parent: u64, label: &str) -> Option<(u32, &Node)> {
        #[cfg(test)]
        PROBES.with(|p| p.set(p.get() + 1));
        let hash = self.hasher.hash_one((parent, label));
        let &i = self.index.find(hash, |&i| {
            self.nodes
                .get(i as usize)
                .is_some_and(|n| n.parent == parent && Self::label(&self.labels, n) == label)
        })?;
        self.nodes.get(i as usize).map(|n| (i, n))
    }

    /// Adds `port` to the entry for `host` (exact or wildcard) under `root`;
    /// `None` when the arena would outgrow `u32` offsets.
    pub(crate) fn add(&mut self, root: u64, host: &str, wildcard: bool, port: u16) -> Option<()> {
        let mut parent = root;
        for (depth, label) in host.rsplit('.').enumerate() {
            let cached = self.path.get(depth).copied().filter(|&(p, n)| {
                p == parent
                    && self
                        .nodes
                        .get(n as usize)
                        .is_some_and(|node| Self::label(&self.labels, node) == label)
            });
            let node = match cached {
                Some((_, n)) => n,
                None => {
                    let n = self.child_or_insert(parent, label)?;
                    self.path.truncate(depth);
                    self.path.push((parent, n));
                    n
                }
            };
            parent = u64::from(node);
        }
        let node = self.nodes.get_mut(usize::try_from(parent).ok()?)?;
        let set = if wildcard {
            &mut node.wildcard
        } else {
            &mut node.exact
        };
        let one = |p: u16| PortSet(u32::from(p) + 1);
        match set.0 {
            0 => *set = one(port),
            v if v & PortSet::MANY != 0 => {
                let list = self.many.get_mut((v & !PortSet::MANY) as usize)?;
                if !list.contains(&port) {
                    *list = list.iter().copied().chain([port]).collect();
                }
            }
            v if v == u32::from(port) + 1 => {}
            v => {
                let first = u16::try_from(v - 1).ok()?;
                let index = u32::try_from(self.many.len()).ok()?;
                self.many.push(Box::new([first, port]));
                *set = PortSet(PortSet::MANY | index);
            }
        }
        Some(())
    }

    /// Whether `set` holds `port`, or [`ANY_PORT`] (a raw-socket entry
    /// without a port); any port when `port` is `None`.
    fn allows(&self, set: PortSet, port: Option<u16>) -> bool {
        let Some(port) = port else {
            return !set.is_none();
        };
        match set.0 {
            0 => false,
            v if v & PortSet::MANY != 0 => self
                .many
                .get((v & !PortSet::MANY) as usize)
                .is_some_and(|list| list.contains(&port) || list.contains(&ANY_PORT)),
            v => v == u32::from(port) + 1 || v == u32::from(ANY_PORT) + 1,
        }
    }

    fn child_or_insert(&mut self, parent: u64, label: &str) -> Option<u32> {
        if let Some((i, _)) = self.child(parent, label) {
            return Some(i);
        }
        let LabelTrie {
            labels,
            nodes,
            index,
            hasher,
            ..
        } = self;
        let start = u32::try_from(labels.len()).ok()?;
        let end = u32::try_from(labels.len().checked_add(label.len())?).ok()?;
        let i = u32::try_from(nodes.len()).ok()?;
        labels.push_str(label);
        nodes.push(Node {
            parent,
            start,
            end,
            exact: PortSet::NONE,
            wildcard: PortSet::NONE,
        });
        let hash = hasher.hash_one((parent, label));
        index.insert_unique(hash, i, |&j| {
            nodes
                .get(j as usize)
                .map_or(0, |n| hasher.hash_one((n.parent, Self::label(labels, n))))
        });
        Some(i)
    }

    /// Matches `host` (as the WHATWG parser serialised it, one trailing dot
    /// ignored) and `port` against the entries under `root`: an exact entry
    /// with the port wins, else the deepest wildcard with the port, else
    /// [`HostMatch::WrongPort`] when some entry had the host. `None` for the
    /// port matches any port (blocked hosts, §3.3 rule 4a).
    pub(crate) fn find(&self, root: u64, host: &str, port: Option<u16>) -> HostMatch {
        let host = host.strip_suffix('.').unwrap_or(host);
        let (mut parent, mut end) = (root, host.len());
        let (mut wildcard, mut seen) = (None, false);
        loop {
            let head = host.get(..end).unwrap_or_default();
            // A byte search: `.` is ASCII, so the index is a boundary.
            let start = head
                .bytes()
                .rposition(|b| b == b'.')
                .map_or(0, |dot| dot + 1);
            let Some((i, node)) = self.child(parent, head.get(start..).unwrap_or_default()) else {
                break;
            };
            if start == 0 {
                if self.allows(node.exact, port) {
                    return HostMatch::Exact;
                }
                seen |= !node.exact.is_none();
                break;
            }
            // Labels remain on the left, so a wildcard over this suffix
            // covers the host; a deeper one found later replaces it.
            if self.allows(node.wildcard, port) {
                wildcard = Some(start);
            } else {
                seen |= !node.wildcard.is_none();
            }
            parent = u64::from(i);
            end = start - 1;
        }
        match wildcard {
            Some(at) => HostMatch::Wildcard(at),
            None if seen => HostMatch::WrongPort,
            None => HostMatch::None,
        }
    }
}

#[derive(Debug)]
pub(crate) struct Compiled {
    pub(crate) superapp_id: String,
    pub(crate) version: u64,
    pub(crate) mode: Mode,
    pub(crate) not_before: Option<u64>,
    pub(crate) not_after: Option<u64>,
    /// `schema: 1` or `2`: a media target that reaches the network is
    /// checked as `download` (§3.7).
    pub(crate) media_as_download: bool,
    /// `schema: 3`: names are compared by permission (§1, groups).
    pub(crate) by_permission: bool,
    /// `[nbf, end)` with the open ends as `0` and `u64::MAX`.
    window: (u64, u64),
    api_flags: Vec<u8>,
    app_count: usize,
    /// App handle → that app's rules.
    by_handle: Vec<Option<AppRules>>,
    /// Every app's whitelist hosts and the `blocked_hosts` patterns.
    hosts: LabelTrie,
    /// Whether there is any `blocked_hosts` pattern: most policies have
    /// none, and then rule 4a costs no probe.
    any_blocked: bool,
}

/// The API names a policy name stands for: in a `schema: 3` document
/// (`expand`) a group's APIs for a group or any of its APIs (§1, permission
/// groups), else the name alone.
fn names_of_permission(name: &str, expand: bool) -> impl Iterator<Item = &str> {
    let group = if expand {
        groups::members(groups::permission(name))
    } else {
        &[]
    };
    let alone = group.is_empty() && !(expand && groups::group(name).is_some());
    group.iter().copied().chain(alone.then_some(name))
}

/// The trie root of `blocked_hosts`: no app has index `u32::MAX`.
const BLOCKED: u64 = LabelTrie::root(u32::MAX, u8::MAX);

/// The error of an interner that is full: names are never forgotten over
/// a guard's lifetime, so only a restart empties it.
fn names_full() -> PolicyError {
    PolicyError::new(
        "policy",
        "too many distinct names over this guard's lifetime; restart the guard",
    )
}

/// The error of a trie whose labels passed 4 GiB.
fn hosts_too_big() -> PolicyError {
    PolicyError::new("apps", "whitelist hosts over 4 GiB in total")
}

/// Each API's flags, as `(id, bits)` pairs to be or-ed together: `builtin`
/// names (every catalogue name when the policy lists none), `sensitive_apis`
/// and the restriction of each to the app kinds of its scope; `expand`:
/// groups expand to their APIs (§1, schema 3).
fn api_flag_pairs(
    policy: &Policy,
    expand: bool,
    api_ids: &mut Interner,
    catalogue: u32,
) -> Result<Vec<(u32, u8)>, PolicyError> {
    let mut flags: Vec<(u32, u8)> = Vec::new();
    match &policy.builtin_apis {
        None => flags.extend((0..catalogue).map(|id| (id, BUILTIN))),
        Some(names) => {
            for name in names {
                flags.push((api_ids.intern(name).ok_or_else(names_full)?, BUILTIN));
            }
        }
    }
    for api in &policy.sensitive_apis {
        let mut bits = SENSITIVE;
        if api.status == ApiStatus::Restricted {
            for kind in AppKind::ALL {
                if api.scope.covers(kind) {
                    bits |= restricted_bit(kind);
                }
            }
        }
        // §1, permission groups: in schema 3 an entry restricts every API
        // of its permission; a group name is a permission, never an API, so
        // it carries no flags of its own.
        for name in names_of_permission(&api.name, expand) {
            flags.push((api_ids.intern(name).ok_or_else(names_full)?, bits));
        }
    }
    Ok(flags)
}

/// The sorted, deduplicated ids of `names`, each group name expanded to
/// its APIs when `expand` (§1).
fn api_id_list(
    names: &[String],
    expand: bool,
    api_ids: &mut Interner,
) -> Result<Box<[u32]>, PolicyError> {
    let mut ids = Vec::with_capacity(names.len());
    for name in names {
        for n in names_of_permission(name, expand) {
            ids.push(api_ids.intern(n).ok_or_else(names_full)?);
        }
    }
    ids.sort_unstable();
    ids.dedup();
    Ok(ids.into_boxed_slice())
}

/// An empty trie sized for every host of `entries` and `blocked`, with the
/// `blocked_hosts` patterns in it. Sized up front: growing (and rehashing)
/// tables of 300,000 keys would cost as much as filling them. One node per
/// entry is the usual count (entries of an app share their parent labels);
/// more grow the tables.
fn host_trie(
    entries: &[AppEntries<'_>],
    blocked: &[HostPattern],
) -> Result<LabelTrie, PolicyError> {
    let (mut hosts_count, mut label_bytes) = (0, 0);
    let hosts_of = entries
        .iter()
        .flat_map(|e| {
            e.server
                .iter()
                .chain(&e.webview)
                .chain(e.kinds.iter().flatten().flatten())
                .map(|e| &*e.host)
                .chain(e.sockets.iter().flatten().map(|s| s.pattern.host.as_str()))
        })
        .chain(blocked.iter().map(|b| b.host.as_str()));
    for host in hosts_of {
        hosts_count += 1;
        label_bytes += host.len();
    }
    let mut hosts = LabelTrie::with_capacity(hosts_count, label_bytes);
    for pattern in blocked {
        hosts
            .add(BLOCKED, &pattern.host, pattern.wildcard, 0)
            .ok_or_else(hosts_too_big)?;
    }
    Ok(hosts)
}

/// Adds the app `index`'s whitelist entries to `hosts`, each under the
/// root of its list, and answers the list each URL kind is matched
/// against (its own `domains` list where schema 3 gives one).
fn add_app_hosts(
    hosts: &mut LabelTrie,
    index: u32,
    app_entries: AppEntries<'_>,
) -> Result<[List; URL_LISTS], PolicyError> {
    let mut kind_lists = [
        List::ServerHttps,
        List::ServerHttps,
        List::ServerHttps,
        List::ServerWss,
        List::Media,
    ];
    let AppEntries {
        server,
        webview,
        kinds,
        sockets,
    } = app_entries;
    let mut own = Vec::new();
    for ((slot, list), entries) in kind_lists.iter_mut().zip(KIND_LISTS).zip(kinds) {
        if let Some(entries) = entries {
            *slot = list;
            own.extend(entries.into_iter().map(|e| (list, e)));
        }
    }
    let [tcp, udp] = sockets;
    for (list, entries) in [(List::Tcp, tcp), (List::Udp, udp)] {
        for e in entries {
            let root = LabelTrie::root(index, list as u8);
            hosts
                .add(
                    root,
                    &e.pattern.host,
                    e.pattern.wildcard,
                    e.port.unwrap_or(ANY_PORT),
                )
                .ok_or_else(hosts_too_big)?;
        }
    }
    let lists = server
        .into_iter()
        .map(|e| {
            let list = match e.scheme {
                Scheme::Https => List::ServerHttps,
                Scheme::Wss => List::ServerWss,
            };
            (list, e)
        })
        .chain(webview.into_iter().map(|e| (List::WebviewHttps, e)))
        .chain(own);
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
        let root = LabelTrie::root(index, list as u8);
        hosts
            .add(root, &host, is_wildcard, port)
            .ok_or_else(hosts_too_big)?;
    }
    Ok(kind_lists)
}

/// The compiled rules of `app`, the policy's app `index`, its entries
/// added to `hosts`; `expand` as for [`api_flag_pairs`].
fn app_rules(
    policy: &Policy,
    expand: bool,
    index: u32,
    app: &App,
    app_entries: AppEntries<'_>,
    hosts: &mut LabelTrie,
    api_ids: &mut Interner,
) -> Result<AppRules, PolicyError> {
    let whitelist = api_id_list(&app.api_whitelist, false, api_ids)?;
    // §1: a grant of any name of a group grants the whole group.
    let granted = api_id_list(&app.granted_apis, expand, api_ids)?;
    let lists = add_app_hosts(hosts, index, app_entries)?;
    let release = match &app.release {
        Some(r) => Some((
            r.version.as_str().into(),
            // Validated: always 64 hex digits here.
            r.digest()
                .ok_or_else(|| PolicyError::new("apps", "a release digest is not 64 hex digits"))?,
        )),
        None => None,
    };
    Ok(AppRules {
        index,
        control: app.control,
        mode: app.effective_mode(policy.mode),
        removed: app.is_removed(),
        release,
        restricted_bit: restricted_bit(app.kind),
        whitelist,
        granted,
        lists,
    })
}

impl Compiled {
    /// Compiles a validated policy; `validated` holds its parsed lists.
    ///
    /// `catalogue` is the number of catalogue names, which the guard interned
    /// first, as ids `0..catalogue`.
    pub(crate) fn new(
        policy: &Policy,
        validated: Validated<'_>,
        api_ids: &mut Interner,
        app_ids: &mut Interner,
        catalogue: u32,
    ) -> Result<Compiled, PolicyError> {
        let Validated {
            apps: entries,
            blocked,
        } = validated;
        let (not_before, not_after) = (policy.not_before(), policy.not_after());
        // Schema 3: permission groups expand (§1), media has its own list (§3.7).
        let v3 = policy.schema >= 3;
        let flags = api_flag_pairs(policy, v3, api_ids, catalogue)?;
        let mut hosts = host_trie(&entries, &blocked)?;
        let mut rules = Vec::with_capacity(policy.apps.len());
        for (index, (app, app_entries)) in policy.apps.iter().zip(entries).enumerate() {
            let index = u32::try_from(index).map_err(|_| names_full())?;
            let handle = app_ids.intern(&app.app_id).ok_or_else(names_full)?;
            rules.push((
                handle,
                app_rules(policy, v3, index, app, app_entries, &mut hosts, api_ids)?,
            ));
        }
        // A slot per app interned over the guard's lifetime: apps of earlier
        // policies that this one lacks stay `None`.
        let mut by_handle: Vec<Option<AppRules>> = std::iter::repeat_with(|| None)
            .take(app_ids.len())
            .collect();
        for (handle, app_rules) in rules {
            if let Some(slot) = by_handle.get_mut(handle as usize) {
                *slot = Some(app_rules);
            }
        }
        let mut api_flags = vec![0u8; api_ids.len()];
        for (id, bits) in flags {
            if let Some(f) = api_flags.get_mut(id as usize) {
                *f |= bits;
            }
        }
        Ok(Compiled {
            superapp_id: policy.superapp_id.clone(),
            version: policy.version,
            mode: policy.mode,
            not_before,
            not_after,
            media_as_download: !v3,
            by_permission: v3,
            window: (not_before.unwrap_or(0), not_after.unwrap_or(u64::MAX)),
            api_flags,
            app_count: policy.apps.len(),
            by_handle,
            hosts,
            any_blocked: !blocked.is_empty(),
        })
    }

    /// Whether the policy is in force at `now` (nbf ≤ now < min(exp, expires_at)).
    #[inline(always)]
    pub(crate) fn in_window(&self, now: u64) -> bool {
        // Two plain compares on the hot path instead of two `Option`s.
        now >= self.window.0 && now < self.window.1
    }

    /// The window [`Compiled::in_window`] tests, as `[from, until)`: the
    /// clocks at which the policy is in force.
    #[inline(always)]
    pub(crate) fn window(&self) -> (u64, u64) {
        self.window
    }

    /// The rules of the app behind `handle`, if the policy has that app.
    #[inline(always)]
    pub(crate) fn app(&self, handle: u32) -> Option<&AppRules> {
        self.by_handle.get(handle as usize)?.as_ref()
    }

    /// The flags of an API id; names the policy never mentions have none.
    #[inline(always)]
    pub(crate) fn api_flags(&self, id: u32) -> u8 {
        self.api_flags.get(id as usize).copied().unwrap_or(0)
    }

    pub(crate) fn app_count(&self) -> usize {
        self.app_count
    }

    /// Matches `host` (as the WHATWG parser serialised it) and `port` against
    /// one app's list (§3.3 rules 6 and 7): a walk over the host's labels.
    #[inline]
    pub(crate) fn match_host(&self, app: u32, list: List, host: &str, port: u16) -> HostMatch {
        self.hosts
            .find(LabelTrie::root(app, list as u8), host, Some(port))
    }

    /// Whether `host` matches a `blocked_hosts` pattern (§3.3 rule 4a), on any
    /// port: [`HostMatch::Exact`] or [`HostMatch::Wildcard`] when it does. The
    /// same label walk as [`Compiled::match_host`], so it costs O(host length)
    /// however many patterns there are.
    #[inline]
    pub(crate) fn match_blocked(&self, host: &str) -> HostMatch {
        if !self.any_blocked {
            return HostMatch::None;
        }
        self.hosts.find(BLOCKED, host, None)
    }
}
