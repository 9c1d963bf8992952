//! The layout of a code package's zip, read byte by byte before anything
//! unpacks it: one end record exactly at the end, a central directory
//! right before it, and local entries that tile the bytes from offset 0 up
//! to the directory (no data before, between or after them), each entry a
//! plain file or directory whose name stays inside the package on every
//! extractor (no symlink, absolute or drive path, backslash, colon, `..`,
//! control character or duplicate, letter case and Unicode form ignored)
//! and is not encrypted. The zip crate collapses duplicate names and
//! computes past
//! prepended data, so these rules are read from the bytes themselves.

/// Most bytes a zip's end record (22) and its comment (65,535) take.
const MAX_END: usize = 22 + 65_535;

const END_SIG: [u8; 4] = *b"PK\x05\x06";
const ZIP64_LOCATOR_SIG: [u8; 4] = *b"PK\x06\x07";
const CENTRAL_SIG: [u8; 4] = *b"PK\x01\x02";
const LOCAL_SIG: [u8; 4] = *b"PK\x03\x04";

/// Most characters of an entry name quoted in an error.
const QUOTED_CHARS: usize = 120;

/// One entry as the central directory lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Its path inside the package (`pages/index.js`; a directory ends in
    /// `/`).
    pub name: String,
    /// Its size unpacked, as the archive declares it (the upload check reads
    /// every entry and refuses one whose bytes differ).
    pub size: u64,
    /// Where its local header starts.
    offset: u64,
    /// Its packed size.
    packed: u64,
    /// Whether a data descriptor follows its data (flag bit 3).
    descriptor: bool,
    /// Its CRC-32, as the directory states it (a data descriptor must
    /// repeat it).
    crc: u32,
}

impl Entry {
    /// Where its local header starts in the archive.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Whether it is a directory (its name ends in `/`).
    pub fn is_dir(&self) -> bool {
        self.name.ends_with('/')
    }
}

/// Why a zip's layout is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LayoutError {
    /// Not a zip, or a damaged one.
    #[error("is not a zip archive: {0}")]
    NotZip(&'static str),
    /// Bytes before the first entry (a self-extractor stub, a polyglot).
    #[error("has {0} bytes of data before its first entry")]
    Prepended(u64),
    /// Bytes after the end record.
    #[error("has {0} bytes of data after its end")]
    Appended(u64),
    /// Bytes between two entries, or between the entries and the directory.
    #[error("has {bytes} bytes of data after entry `{after}` that belong to no entry")]
    Hidden {
        /// The entry they follow.
        after: String,
        /// How many.
        bytes: u64,
    },
    /// Bytes between the central directory and the end record.
    #[error("has {0} bytes of data between its central directory and its end record")]
    AfterDirectory(u64),
    /// Two entries share bytes (an overlapping-entries zip bomb).
    #[error("entry `{0}` overlaps another entry")]
    Overlap(String),
    /// Zip64 records: never needed below 4 GiB and 65,535 entries.
    #[error("uses zip64 records, which a package never needs; pack it as a plain zip")]
    Zip64,
    /// A split (multi-disk) archive.
    #[error("spans several disks")]
    MultiDisk,
    /// Two end records end the file, one in the other's comment: readers
    /// disagree on where the archive is.
    #[error("has two end records, one inside the other's comment")]
    AmbiguousEnd,
    /// An encrypted entry (nobody could review it).
    #[error("entry `{0}` is encrypted")]
    Encrypted(String),
    /// A symbolic link (unix mode in the external attributes).
    #[error("entry `{0}` is a symbolic link")]
    Symlink(String),
    /// A device, pipe or socket.
    #[error("entry `{0}` is neither a file nor a directory")]
    Special(String),
    /// A name that escapes the package or reads differently elsewhere.
    #[error("entry `{name}` {why}")]
    Name {
        /// The name, quoted.
        name: String,
        /// What is wrong with it.
        why: &'static str,
    },
    /// Two names equal once letter case is ignored.
    #[error("entries `{0}` and `{1}` have the same name (letter case ignored)")]
    Duplicate(String, String),
    /// An entry below a name another entry uses as a file.
    #[error("entry `{0}` is inside `{1}`, which is a file")]
    InsideFile(String, String),
    /// The local header does not say what the central directory says.
    #[error("entry `{0}` has a local header that disagrees with the central directory")]
    LocalMismatch(String),
    /// More entries than allowed.
    #[error("has {0} entries; at most {1} allowed")]
    TooManyEntries(u64, usize),
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(
        b.get(at..at.checked_add(2)?)?.try_into().ok()?,
    ))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(
        b.get(at..at.checked_add(4)?)?.try_into().ok()?,
    ))
}

fn at_sig(b: &[u8], at: usize, sig: [u8; 4]) -> bool {
    at.checked_add(4)
        .and_then(|end| b.get(at..end))
        .is_some_and(|s| s == sig)
}

fn to_usize(v: impl TryInto<usize>) -> Result<usize, LayoutError> {
    v.try_into()
        .map_err(|_| LayoutError::NotZip("an offset is out of range"))
}

/// `name` as an error quotes it: control characters escaped (a NUL shows
/// as `\0`, an escape as `\u{1b}`), at most [`QUOTED_CHARS`] characters.
pub fn quoted(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars().take(QUOTED_CHARS) {
        if c.is_control() {
            out.extend(c.escape_debug());
        } else {
            out.push(c);
        }
    }
    if name.chars().count() > QUOTED_CHARS {
        out.push('…');
    }
    out
}

/// Why `name` cannot name an entry, if it cannot: it must stay inside the
/// package and mean the same path on every extractor (Windows included).
fn name_problem(name: &str) -> Option<&'static str> {
    let bytes = name.as_bytes();
    if name.is_empty() {
        return Some("has an empty name");
    }
    if name.chars().any(char::is_control) {
        return Some("contains a NUL or control character");
    }
    if name.starts_with('/') {
        return Some("is an absolute path");
    }
    if bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':' {
        return Some("starts with a drive (`C:`)");
    }
    if name.contains('\\') {
        return Some("contains a backslash (a path separator on Windows)");
    }
    if name.contains(':') {
        return Some("contains a colon (a drive or a stream on Windows)");
    }
    if name.contains(['<', '>', '"', '|', '?', '*']) {
        return Some("contains a character Windows forbids in names (`<>\"|?*`)");
    }
    let path = name.strip_suffix('/').unwrap_or(name);
    for segment in path.split('/') {
        if let Some(why) = segment_problem(segment) {
            return Some(why);
        }
    }
    None
}

/// Names Windows keeps for devices, whatever follows a dot (`nul.js` is
/// the NUL device).
const WINDOWS_DEVICES: [&str; 6] = ["con", "prn", "aux", "nul", "com", "lpt"];

/// Why one `/`-separated segment of a name cannot be, if it cannot.
fn segment_problem(segment: &str) -> Option<&'static str> {
    match segment {
        ".." => return Some("has a `..` segment"),
        "." | "" => return Some("has an empty or `.` segment"),
        _ => {}
    }
    // Windows drops trailing dots and spaces (`.. ` is `..` there, `a.js.`
    // is `a.js`).
    if segment.ends_with(['.', ' ']) {
        return Some("has a segment ending in a dot or space (Windows drops them)");
    }
    let stem = segment
        .split('.')
        .next()
        .unwrap_or(segment)
        .trim_end()
        .to_ascii_lowercase();
    let device = match stem.len() {
        3 => WINDOWS_DEVICES[..4].contains(&stem.as_str()),
        4 => WINDOWS_DEVICES[4..].contains(&&stem[..3]) && stem.as_bytes()[3].is_ascii_digit(),
        _ => false,
    };
    device.then_some("is a Windows device name (`con`, `nul`, `com1`…)")
}

/// Finds the end record: the one ending exactly at the end of `b` (two
/// that do, one inside the other's comment, are ambiguous).
fn find_end(b: &[u8]) -> Result<usize, LayoutError> {
    if b.len() < 22 {
        return Err(LayoutError::NotZip("too short"));
    }
    let lowest = b.len().saturating_sub(MAX_END);
    let mut last_seen = None;
    let mut found = None;
    for pos in (lowest..=b.len() - 22).rev() {
        if !at_sig(b, pos, END_SIG) {
            continue;
        }
        last_seen.get_or_insert(pos);
        let comment = usize::from(u16_at(b, pos + 20).unwrap_or(u16::MAX));
        if pos + 22 + comment == b.len() {
            if found.is_some() {
                return Err(LayoutError::AmbiguousEnd);
            }
            found = Some(pos);
        }
    }
    if let Some(pos) = found {
        return Ok(pos);
    }
    // No end record ends the file: bytes were appended after one (searched
    // over the whole file, since appended data may exceed a comment's size).
    let earlier = last_seen.or_else(|| b.windows(4).rposition(|w| w == END_SIG));
    match earlier {
        Some(pos) => {
            let comment = usize::from(u16_at(b, pos + 20).unwrap_or(0));
            let end = (pos + 22 + comment).min(b.len());
            Err(LayoutError::Appended((b.len() - end) as u64))
        }
        None => Err(LayoutError::NotZip("no end of central directory record")),
    }
}

/// Reads the central directory entry at `p`; returns it and where the next
/// one starts.
fn central_entry(b: &[u8], p: usize) -> Result<(Entry, u16, usize), LayoutError> {
    let short = LayoutError::NotZip("the central directory is truncated");
    if !at_sig(b, p, CENTRAL_SIG) {
        return Err(LayoutError::NotZip("a central directory entry is damaged"));
    }
    let field16 = |o: usize| u16_at(b, p + o).ok_or(short.clone());
    let field32 = |o: usize| u32_at(b, p + o).ok_or(short.clone());
    let flags = field16(8)?;
    let (packed, size, offset) = (field32(20)?, field32(24)?, field32(42)?);
    let name_len = usize::from(field16(28)?);
    let rest = name_len + usize::from(field16(30)?) + usize::from(field16(32)?);
    let raw = b.get(p + 46..p + 46 + name_len).ok_or(short.clone())?;
    let next = p + 46 + rest;
    if next > b.len() {
        return Err(short.clone());
    }
    let name = String::from_utf8(raw.to_vec()).map_err(|_| LayoutError::Name {
        name: quoted(&String::from_utf8_lossy(raw)),
        why: "is not UTF-8",
    })?;
    if [packed, size, offset].contains(&u32::MAX) {
        return Err(LayoutError::Zip64);
    }
    // Bit 0: encrypted; bit 6: strong encryption; bit 13: masked headers.
    if flags & (0x0001 | 0x0040 | 0x2000) != 0 {
        return Err(LayoutError::Encrypted(quoted(&name)));
    }
    if let Some(why) = name_problem(&name) {
        return Err(LayoutError::Name {
            name: quoted(&name),
            why,
        });
    }
    // The unix mode sits in the high half of the external attributes,
    // whatever system the archive claims (some extractors honour it anyway).
    let file_type = (field32(38)? >> 16) & 0o170_000;
    match file_type {
        0 | 0o100_000 | 0o040_000 => {}
        0o120_000 => return Err(LayoutError::Symlink(quoted(&name))),
        _ => return Err(LayoutError::Special(quoted(&name))),
    }
    let method = field16(10)?;
    let entry = Entry {
        name,
        size: u64::from(size),
        offset: u64::from(offset),
        packed: u64::from(packed),
        descriptor: flags & 0x0008 != 0,
        crc: field32(16)?,
    };
    Ok((entry, method, next))
}

/// Checks the local header of `e` (its name, flags' encryption bit and
/// method as the directory says, its data before `dir_start`); returns where
/// its data ends.
fn local_end(b: &[u8], e: &Entry, method: u16, dir_start: usize) -> Result<usize, LayoutError> {
    let mismatch = || LayoutError::LocalMismatch(quoted(&e.name));
    let p = to_usize(e.offset)?;
    if p >= dir_start || !at_sig(b, p, LOCAL_SIG) {
        return Err(mismatch());
    }
    let flags = u16_at(b, p + 6).ok_or_else(mismatch)?;
    let local_method = u16_at(b, p + 8).ok_or_else(mismatch)?;
    let name_len = usize::from(u16_at(b, p + 26).ok_or_else(mismatch)?);
    let extra_len = usize::from(u16_at(b, p + 28).ok_or_else(mismatch)?);
    let name = b.get(p + 30..p + 30 + name_len).ok_or_else(mismatch)?;
    if name != e.name.as_bytes() || flags & 0x0041 != 0 || local_method != method {
        return Err(mismatch());
    }
    let end = (p + 30 + name_len + extra_len)
        .checked_add(to_usize(e.packed)?)
        .ok_or_else(mismatch)?;
    if end > dir_start {
        return Err(LayoutError::Overlap(quoted(&e.name)));
    }
    Ok(end)
}

/// Whether the `gap` bytes of `b` at `at`, after entry `e`'s data, are its
/// data descriptor: its CRC-32 and sizes as the directory states them,
/// after an optional signature (12 or 16 bytes; 20 or 24 with 8-byte
/// sizes), so that nothing else hides there.
fn is_descriptor(b: &[u8], e: &Entry, at: usize, gap: usize) -> bool {
    if !e.descriptor {
        return false;
    }
    let (signed, wide) = match gap {
        12 => (false, false),
        16 => (true, false),
        20 => (false, true),
        24 => (true, true),
        _ => return false,
    };
    let p = if signed { at + 4 } else { at };
    if signed && !at_sig(b, at, *b"PK\x07\x08") {
        return false;
    }
    let sizes = if wide {
        let u64_at =
            |o: usize| Some(u64::from(u32_at(b, o)?) | (u64::from(u32_at(b, o + 4)?) << 32));
        u64_at(p + 4).zip(u64_at(p + 12))
    } else {
        u32_at(b, p + 4)
            .map(u64::from)
            .zip(u32_at(b, p + 8).map(u64::from))
    };
    u32_at(b, p) == Some(e.crc) && sizes == Some((e.packed, e.size))
}

/// The name two entries must not share: a directory's trailing `/`
/// dropped, canonically equivalent forms made one (NFC: macOS stores `é`
/// and `e` + U+0301 as one file), letter case folded (upper then lower
/// case, so that `ß` and `SS`, or the Kelvin sign and `k`, are one name, as
/// on case-insensitive file systems).
fn name_key(name: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    let nfc: String = name.trim_end_matches('/').nfc().collect();
    nfc.to_uppercase().to_lowercase()
}

/// Refuses duplicate names ([`name_key`]) and entries inside a name another
/// entry uses as a file.
fn check_names(entries: &[Entry]) -> Result<(), LayoutError> {
    let mut seen = std::collections::HashMap::new();
    let mut files = std::collections::HashMap::new();
    for e in entries {
        let key = name_key(&e.name);
        if let Some(first) = seen.insert(key.clone(), &e.name) {
            return Err(LayoutError::Duplicate(quoted(first), quoted(&e.name)));
        }
        if !e.is_dir() {
            files.insert(key, &e.name);
        }
    }
    for e in entries {
        let key = name_key(&e.name);
        let mut parent = key.as_str();
        while let Some((up, _)) = parent.rsplit_once('/') {
            if let Some(file) = files.get(up) {
                return Err(LayoutError::InsideFile(quoted(&e.name), quoted(file)));
            }
            parent = up;
        }
    }
    Ok(())
}

/// Reads the layout of zip `b` and lists its entries in directory order,
/// refusing whatever [`LayoutError`] names; at most `max_entries` entries.
/// Reads no entry's data (the caller unpacks and checks it).
///
/// # Errors
///
/// [`LayoutError`].
///
/// # Examples
///
/// ```
/// use guard_server::resources::archive::{entries, LayoutError};
///
/// let mut prepended = b"#!/bin/sh\n".to_vec();
/// prepended.extend_from_slice(b"PK\x05\x06\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0");
/// assert!(matches!(entries(&prepended, 10), Err(LayoutError::Prepended(10))));
/// ```
pub fn entries(b: &[u8], max_entries: usize) -> Result<Vec<Entry>, LayoutError> {
    let end = find_end(b)?;
    let field16 = |o: usize| u16_at(b, end + o).unwrap_or(u16::MAX);
    let (disk, dir_disk) = (field16(4), field16(6));
    let (here, total) = (field16(8), field16(10));
    let dir_size = to_usize(u32_at(b, end + 12).unwrap_or(u32::MAX))?;
    let dir_start = to_usize(u32_at(b, end + 16).unwrap_or(u32::MAX))?;
    if [disk, dir_disk, here, total].contains(&u16::MAX)
        || dir_size == u32::MAX as usize
        || dir_start == u32::MAX as usize
        || (end >= 20 && at_sig(b, end - 20, ZIP64_LOCATOR_SIG))
    {
        return Err(LayoutError::Zip64);
    }
    if disk != 0 || dir_disk != 0 || here != total {
        return Err(LayoutError::MultiDisk);
    }
    if usize::from(total) > max_entries {
        return Err(LayoutError::TooManyEntries(u64::from(total), max_entries));
    }
    let dir_end = dir_start
        .checked_add(dir_size)
        .filter(|e| *e <= end)
        .ok_or(LayoutError::NotZip(
            "the central directory runs past its end record",
        ))?;
    if dir_end < end {
        // The directory really sits right before the end record when its
        // stated offset is off by data prepended to the whole archive.
        let shifted = end - dir_size;
        if dir_size == 0 || at_sig(b, shifted, CENTRAL_SIG) {
            return Err(LayoutError::Prepended((shifted - dir_start) as u64));
        }
        return Err(LayoutError::AfterDirectory((end - dir_end) as u64));
    }
    let mut listed = Vec::with_capacity(usize::from(total));
    let mut p = dir_start;
    for _ in 0..total {
        let (e, method, next) = central_entry(b, p)?;
        if next > dir_end {
            return Err(LayoutError::NotZip("the central directory is truncated"));
        }
        let data_end = local_end(b, &e, method, dir_start)?;
        listed.push((e, data_end));
        p = next;
    }
    if p != dir_end {
        return Err(LayoutError::AfterDirectory((dir_end - p) as u64));
    }
    check_tiling(b, &listed, dir_start)?;
    let out: Vec<Entry> = listed.into_iter().map(|(e, _)| e).collect();
    check_names(&out)?;
    Ok(out)
}

/// The entries, in offset order, must cover `0..dir_start` exactly: no
/// bytes before the first, none between two (but a data descriptor), no
/// overlap.
fn check_tiling(b: &[u8], listed: &[(Entry, usize)], dir_start: usize) -> Result<(), LayoutError> {
    let mut order: Vec<&(Entry, usize)> = listed.iter().collect();
    order.sort_by_key(|(e, _)| e.offset);
    let mut expected = 0usize;
    let mut previous: Option<&Entry> = None;
    for (e, data_end) in order {
        let start = to_usize(e.offset)?;
        if start < expected {
            return Err(LayoutError::Overlap(quoted(&e.name)));
        }
        gap_after(b, previous, expected, start - expected)?;
        expected = *data_end;
        previous = Some(e);
    }
    gap_after(b, previous, expected, dir_start.saturating_sub(expected))
}

/// Refuses `gap` bytes after `previous` (before the first entry when none)
/// at `at` unless they are its data descriptor.
fn gap_after(b: &[u8], previous: Option<&Entry>, at: usize, gap: usize) -> Result<(), LayoutError> {
    match previous {
        _ if gap == 0 => Ok(()),
        None => Err(LayoutError::Prepended(gap as u64)),
        Some(e) if is_descriptor(b, e, at, gap) => Ok(()),
        Some(e) => Err(LayoutError::Hidden {
            after: quoted(&e.name),
            bytes: gap as u64,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_escape_or_read_differently_are_refused() {
        for ok in [
            "app.js",
            "pages/index/index.wxml",
            "dir/",
            "a b/c.d.js",
            "ünï.js",
            "console.js",
            "com.js",
            "lpt.json",
            "nul_check.js",
            "a.b.c",
            ".hidden",
        ] {
            assert_eq!(name_problem(ok), None, "{ok}");
        }
        for bad in [
            "",
            "/etc/passwd",
            "C:\\evil.js",
            "C:evil.js",
            "..\\evil.js",
            "a\\b",
            "a:b",
            "../x",
            "a/../../x",
            "a/..",
            "./a",
            "a//b",
            "a\0b",
            "a\u{1b}b",
            "a\u{7f}",
            ".. /evil.js",
            "a/.. /b",
            "app.js.",
            "app.js ",
            "dir /a.js",
            "CON",
            "nul.js",
            "pages/Aux.json",
            "com1.js",
            "LPT9",
            "a?.js",
            "a*.js",
            "a<b",
            "a|b",
            "a\"b",
        ] {
            assert!(name_problem(bad).is_some(), "{bad:?}");
        }
    }

    #[test]
    fn names_that_one_file_system_or_another_makes_one_share_a_key() {
        for (a, b) in [
            ("app.json", "APP.JSON"),
            ("pages/", "PAGES"),
            ("caf\u{e9}.js", "cafe\u{301}.js"),
            ("stra\u{df}e.js", "STRASSE.js"),
            ("\u{212a}.js", "k.js"),
        ] {
            assert_eq!(name_key(a), name_key(b), "{a:?} {b:?}");
        }
        assert_ne!(name_key("a.js"), name_key("b.js"));
        assert_ne!(name_key("\u{e9}.js"), name_key("e.js"));
    }

    /// A stored one-entry zip whose entry `a.js` has flag bit 3 and is
    /// followed by `descriptor`.
    fn with_descriptor(descriptor: &[u8]) -> Vec<u8> {
        let (crc, data) = (0x1234_5678u32, b"x");
        let mut b = b"PK\x03\x04\x14\0\x08\0\0\0\0\0\0\0".to_vec();
        b.extend_from_slice(&[0; 12]); // crc and sizes: in the descriptor
        b.extend_from_slice(&4u16.to_le_bytes());
        b.extend_from_slice(&0u16.to_le_bytes());
        b.extend_from_slice(b"a.js");
        b.extend_from_slice(data);
        b.extend_from_slice(descriptor);
        let dir_start = u32::try_from(b.len()).unwrap();
        let mut dir = b"PK\x01\x02\x14\x03\x14\0\x08\0\0\0\0\0\0\0".to_vec();
        dir.extend_from_slice(&crc.to_le_bytes());
        dir.extend_from_slice(&1u32.to_le_bytes());
        dir.extend_from_slice(&1u32.to_le_bytes());
        dir.extend_from_slice(&4u16.to_le_bytes());
        dir.extend_from_slice(&[0; 8]);
        dir.extend_from_slice(&(0o100_644u32 << 16).to_le_bytes());
        dir.extend_from_slice(&0u32.to_le_bytes());
        dir.extend_from_slice(b"a.js");
        b.extend_from_slice(&dir);
        b.extend_from_slice(b"PK\x05\x06\0\0\0\0\x01\0\x01\0");
        b.extend_from_slice(&u32::try_from(dir.len()).unwrap().to_le_bytes());
        b.extend_from_slice(&dir_start.to_le_bytes());
        b.extend_from_slice(&0u16.to_le_bytes());
        b
    }

    #[test]
    fn a_data_descriptor_passes_only_when_it_repeats_the_directory() {
        let fields = |crc: u32, packed: u32, size: u32| {
            [crc.to_le_bytes(), packed.to_le_bytes(), size.to_le_bytes()].concat()
        };
        let good = fields(0x1234_5678, 1, 1);
        let signed = [&b"PK\x07\x08"[..], &good].concat();
        let wide = [
            &0x1234_5678u32.to_le_bytes()[..],
            &1u64.to_le_bytes(),
            &1u64.to_le_bytes(),
        ]
        .concat();
        for d in [&good[..], &signed, &wide] {
            let listed = entries(&with_descriptor(d), 10).unwrap();
            assert_eq!(listed[0].name, "a.js");
        }
        // Twelve bytes of anything else are hidden data, not a descriptor.
        for d in [
            fields(0, 1, 1),
            fields(0x1234_5678, 1, 9),
            b"hidden bytes".to_vec(),
        ] {
            assert_eq!(
                entries(&with_descriptor(&d), 10),
                Err(LayoutError::Hidden {
                    after: "a.js".into(),
                    bytes: 12
                })
            );
        }
    }

    #[test]
    fn quoted_names_show_control_characters_and_stay_short() {
        assert_eq!(quoted("a\0b"), "a\\0b");
        assert_eq!(quoted("C:\\x"), "C:\\x");
        assert_eq!(quoted(&"x".repeat(500)).chars().count(), QUOTED_CHARS + 1);
    }

    #[test]
    fn an_empty_archive_lists_nothing_and_garbage_is_no_zip() {
        let empty = b"PK\x05\x06\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0";
        assert_eq!(entries(empty, 10), Ok(vec![]));
        assert!(matches!(
            entries(b"not a zip", 10),
            Err(LayoutError::NotZip(_))
        ));
        let mut appended = empty.to_vec();
        appended.extend_from_slice(b"tail");
        assert_eq!(entries(&appended, 10), Err(LayoutError::Appended(4)));
    }

    #[test]
    fn zip64_markers_split_archives_and_a_second_end_in_the_comment_are_refused() {
        let end = |fields: [u16; 4], comment: &[u8]| {
            let mut b = b"PK\x05\x06".to_vec();
            for f in fields {
                b.extend_from_slice(&f.to_le_bytes());
            }
            b.extend_from_slice(&[0; 8]);
            b.extend_from_slice(&u16::try_from(comment.len()).unwrap().to_le_bytes());
            b.extend_from_slice(comment);
            b
        };
        assert_eq!(
            entries(&end([0, 0, 0xFFFF, 0xFFFF], b""), 10),
            Err(LayoutError::Zip64)
        );
        assert_eq!(
            entries(&end([1, 1, 0, 0], b""), 10),
            Err(LayoutError::MultiDisk)
        );
        assert_eq!(
            entries(&end([0, 0, 11, 11], b""), 10),
            Err(LayoutError::TooManyEntries(11, 10))
        );
        let fake = end([0, 0, 0, 0], b"");
        assert_eq!(
            entries(&end([0, 0, 0, 0], &fake), 10),
            Err(LayoutError::AmbiguousEnd)
        );
        assert_eq!(entries(&end([0, 0, 0, 0], b"built by CI"), 10), Ok(vec![]));
    }
}
