//! Reading a document with the field path of a refusal: the guard's own
//! reader ([`crate::json_reader`]) gives the path of a refusal as it
//! unwinds; a document that is not UTF-8 is refused before reading, its
//! path found by walking the text up to the first bad byte.
//!
//! Why not `serde_path_to_error`: it wraps every deserializer call of every
//! type in a path-tracking layer, which put ~46 KB of generic code (and a
//! second copy of the readers) into the `.wasm` for text that is only needed
//! on the refusal path (docs/benchmarks.md, issue 24). The path it gave is
//! kept: the key or index the reader was in when it failed, as
//! `apps[0].server_domains[1]`.

use serde::de::DeserializeOwned;

/// Reads `bytes` as one `T`, nothing after it but whitespace.
///
/// # Errors
///
/// `(path, reason)`: the JSON path of the offending field (empty for the
/// document itself) and the reader's message with its line and column, or
/// where the bytes stop being UTF-8.
pub(crate) fn read<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, (String, String)> {
    let text = utf8(bytes).map_err(|(at, reason)| (path_at(&bytes[..at]), reason))?;
    crate::json_reader::from_str(text).map_err(|e| (e.path(), e.to_string()))
}

/// Every JSON document the guard reads is checked as UTF-8 first and read
/// as a `str` (decision 542).
///
/// # Errors
///
/// The offset of the first byte that is not UTF-8 and a message giving its
/// line and column (1-based, the column in bytes).
pub(crate) fn utf8(bytes: &[u8]) -> Result<&str, (usize, String)> {
    std::str::from_utf8(bytes).map_err(|e| {
        let at = e.valid_up_to();
        let (line, line_start) = crate::json_reader::line_of(&bytes[..at]);
        let column = at - line_start + 1;
        (at, format!("invalid UTF-8 at line {line} column {column}"))
    })
}

/// One open container on the way to the error.
enum Frame {
    /// An object: its current key (from the key until the next `,`) and
    /// whether a key is expected next.
    Object {
        key: Option<String>,
        expect_key: bool,
    },
    /// An array: the current element's index (from its first byte until the
    /// next `,`) and the next index.
    Array { index: Option<usize>, next: usize },
}

/// The path of the place where `text` (the document up to its first byte
/// that is not UTF-8) ends: the key or element the byte is in, an array's
/// next element when it is where an element starts.
fn path_at(text: &[u8]) -> String {
    let frames = walk(text);
    let mut path = String::new();
    let last = frames.len().saturating_sub(1);
    for (depth, frame) in frames.iter().enumerate() {
        match frame {
            Frame::Object { key: Some(key), .. } => {
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(key);
            }
            Frame::Array { index: Some(i), .. } => {
                path.push_str(&format!("[{i}]"));
            }
            Frame::Array {
                index: None, next, ..
            } if depth == last => {
                path.push_str(&format!("[{next}]"));
            }
            _ => {}
        }
    }
    path
}

/// The most containers a path follows: the reader's nesting limit, one
/// past the deepest it reads (`json_reader`), so a document of nothing but
/// `[` costs no more than one the reader refused.
const MAX_DEPTH: usize = 128;

/// The containers open at the end of `text`, outermost first (at most
/// [`MAX_DEPTH`]).
fn walk(text: &[u8]) -> Vec<Frame> {
    let mut frames: Vec<Frame> = Vec::new();
    let mut i = 0;
    while i < text.len() {
        let b = text[i];
        match b {
            b' ' | b'\t' | b'\n' | b'\r' | b':' => i += 1,
            b',' => {
                match frames.last_mut() {
                    Some(Frame::Object { key, expect_key }) => {
                        (*key, *expect_key) = (None, true);
                    }
                    Some(Frame::Array { index, .. }) => *index = None,
                    None => {}
                }
                i += 1;
            }
            b'}' | b']' => {
                frames.pop();
                i += 1;
            }
            b'"' if matches!(
                frames.last(),
                Some(Frame::Object {
                    expect_key: true,
                    ..
                })
            ) =>
            {
                let end = string_end(text, i);
                let Some(end) = end else { break };
                if let Some(Frame::Object {
                    key, expect_key, ..
                }) = frames.last_mut()
                {
                    // The key as the reader saw it: its escapes resolved.
                    *key = std::str::from_utf8(&text[i..end])
                        .ok()
                        .and_then(|k| crate::json_reader::from_str::<String>(k).ok());
                    *expect_key = false;
                }
                i = end;
            }
            _ => {
                start_value(&mut frames);
                if b == b'{' || b == b'[' {
                    if frames.len() == MAX_DEPTH {
                        // Deeper than any reader goes: the path so far is
                        // where it stopped (a text cut at a UTF-8 error is
                        // walked without the reader's limit before it).
                        break;
                    }
                    frames.push(if b == b'{' {
                        Frame::Object {
                            key: None,
                            expect_key: true,
                        }
                    } else {
                        Frame::Array {
                            index: None,
                            next: 0,
                        }
                    });
                    i += 1;
                    continue;
                }
                let end = if b == b'"' {
                    string_end(text, i)
                } else {
                    scalar_end(text, i)
                };
                match end {
                    Some(end) => i = end,
                    None => break,
                }
            }
        }
    }
    frames
}

/// A value starts in the innermost container: an array counts an element.
fn start_value(frames: &mut [Frame]) {
    if let Some(Frame::Array { index, next, .. }) = frames.last_mut() {
        if index.is_none() {
            *index = Some(*next);
            *next += 1;
        }
    }
}

/// The offset after the string starting at `start`, `None` if `text` ends
/// inside it.
fn string_end(text: &[u8], start: usize) -> Option<usize> {
    let mut i = start + 1;
    while i < text.len() {
        match text[i] {
            b'\\' => i += 2,
            b'"' => return Some(i + 1),
            _ => i += 1,
        }
    }
    None
}

/// The offset after the number or literal starting at `start`, `None` if
/// `text` ends inside it.
fn scalar_end(text: &[u8], start: usize) -> Option<usize> {
    let len = text[start..].iter().position(|b| {
        matches!(
            b,
            b' ' | b'\t' | b'\n' | b'\r' | b',' | b']' | b'}' | b':' | b'"'
        )
    })?;
    Some(start + len)
}

#[cfg(test)]
mod tests {
    use crate::Policy;

    fn refusal(doc: &str) -> String {
        Policy::from_json(doc.as_bytes()).unwrap_err().to_string()
    }

    const HEAD: &str = r#"{"schema":1,"superapp_id":"s","version":1,"issued_at":0"#;

    #[test]
    fn a_refusal_names_the_key_or_element_the_reader_was_in() {
        let app = |rest: &str| {
            format!(r#"{HEAD},"apps":[{{"app_id":"mp","kind":"mini_program"{rest}}}]}}"#)
        };
        let cases = [
            (
                app(r#","control":{"apis":1}"#),
                "`apps[0].control.apis`: invalid type: integer `1`, expected a boolean",
            ),
            (
                app(r#","control":{"x":true}"#),
                "`apps[0].control.x`: unknown field `x`",
            ),
            (
                app(r#","control":{"apis":true,"apis":false}"#),
                "`apps[0].control`: duplicate field `apis`",
            ),
            (
                app(r#","release":{"version":"1"}"#),
                "`apps[0].release`: missing field `package_sha256`",
            ),
            (
                app(r#","server_domains":["https://a.example",["b"]]"#),
                "`apps[0].server_domains[1]`: invalid type: sequence, expected a string",
            ),
            (
                app(r#","server_domains":["https://a.example",tru]"#),
                "`apps[0].server_domains[1]`: expected ident",
            ),
            (
                app(r#","server_domains":["https://a.example",]"#),
                "`apps[0].server_domains`: trailing comma",
            ),
            (
                format!(r#"{HEAD},"apps":[{{}}]}}"#),
                "`apps[0]`: missing field `app_id`",
            ),
            (
                format!(r#"{HEAD},"version":2}}"#),
                "`policy`: duplicate field `version`",
            ),
            (
                format!("{HEAD},\n  \"mode\" :\n \"x\"}}"),
                "`mode`: unknown variant `x`, expected `enforce` or `report` at line 3 column 4",
            ),
            (
                format!(r#"{HEAD},"aud":5}}"#),
                "`aud`: invalid type: integer `5`, expected a string or a list of strings",
            ),
            (
                format!(r#"{HEAD},"aud":["a",5]}}"#),
                "`aud[1]`: invalid type: integer `5`, expected a string",
            ),
            (
                format!(r#"{HEAD},"w\"x":1}}"#),
                "`w\"x`: unknown field `w\"x`",
            ),
            (
                format!(r#"{HEAD},"iss":"é","x":1}}"#),
                "`x`: unknown field `x`",
            ),
            (format!("{HEAD}}} x"), "`policy`: trailing characters"),
            (format!("{HEAD},"), "`policy`: EOF while parsing a value"),
            (
                "1".to_owned(),
                "`policy`: invalid type: integer `1`, expected struct Policy",
            ),
        ];
        for (doc, want) in cases {
            let got = refusal(&doc);
            assert!(got.starts_with(want), "{doc}\n got {got}\nwant {want}");
        }
    }

    #[test]
    fn hostile_documents_get_a_path_without_a_panic() {
        // Nesting past serde_json's recursion limit, a lone quote, bare
        // brackets, bytes that are not UTF-8, a key left open.
        let deep = format!(r#"{HEAD},"apps":{}"#, "[".repeat(5000));
        for doc in [
            deep.as_bytes(),
            b"\"",
            b"]]]}}}",
            b"{\"a\xff\":1}",
            b"{\"schema",
            b"{\"schema\":\"\\",
        ] {
            let err = Policy::from_json(doc).unwrap_err();
            assert!(!err.field.is_empty() && !err.reason.is_empty());
        }
        // An app is an object: the first `[` inside the list is refused.
        assert!(
            refusal(&deep).starts_with("`apps[0]`: invalid type: sequence, expected struct App"),
            "{}",
            refusal(&deep)
        );
    }

    #[test]
    fn bytes_that_are_not_utf8_are_refused_where_they_are() {
        let value = [HEAD.as_bytes(), b",\n\"iss\":\"a\xffb\"}"].concat();
        let err = Policy::from_json(&value).unwrap_err().to_string();
        assert_eq!(err, "`iss`: invalid UTF-8 at line 2 column 9");
        let key = Policy::from_json(b"{\"a\xff\":1}").unwrap_err().to_string();
        assert_eq!(key, "`policy`: invalid UTF-8 at line 1 column 4");
        let element = [HEAD.as_bytes(), b",\"builtin_apis\":[\"a\",\"\xc3\"]}"].concat();
        let err = Policy::from_json(&element).unwrap_err().to_string();
        assert!(err.starts_with("`builtin_apis[1]`: invalid UTF-8"), "{err}");
    }

    #[test]
    fn a_deep_text_before_a_utf8_error_is_walked_to_a_bounded_depth() {
        let doc = [b"{\"apps\":".as_slice(), &b"[".repeat(1 << 20), b"\"\xff\""].concat();
        let err = Policy::from_json(&doc).unwrap_err();
        assert_eq!(
            err.field,
            format!("apps{}", "[0]".repeat(super::MAX_DEPTH - 1))
        );
        assert!(err.reason.starts_with("invalid UTF-8 at line 1 column"));
    }
}
