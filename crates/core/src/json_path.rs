//! Parse JSON with serde and name the path of the first problem (`couponTemplates[3].kind.bp`).
//!
//! serde_json reports where in the text it failed; a small scanner turns that position into a
//! path. This keeps one deserializer per type (a path-tracking deserializer wrapper would double
//! the generated code, and the engine ships to browsers).

use serde::de::DeserializeOwned;

/// A parse failure: the JSON path (empty for the document itself) and the problem.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PathError {
    pub path: String,
    pub problem: String,
}

pub fn parse<T: DeserializeOwned>(text: &str) -> Result<T, PathError> {
    serde_json::from_str(text).map_err(|e| {
        let offset = offset_of(text, e.line(), e.column());
        let problem = e.to_string();
        let problem = match problem.rfind(" at line ") {
            Some(i) => problem[..i].to_string(),
            None => problem,
        };
        // serde_json reports most errors at the next character it peeked: scan up to it, not
        // through it. A missing or misplaced field, or a wrong `type`, concerns the object (the
        // error is raised at its end), not its last key; an unknown key is reported at the key.
        let mut path = path_at(text, offset.saturating_sub(1));
        if ["missing field", "field `", "unknown type", "unknown mutation"].iter().any(|p| problem.starts_with(p)) {
            path = parent(&path);
        }
        PathError { path, problem }
    })
}

/// Byte offset of a 1-based line and column (serde_json counts columns in bytes).
fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let mut offset = 0;
    for (i, l) in text.split_inclusive('\n').enumerate() {
        if i + 1 == line {
            return (offset + column).min(text.len());
        }
        offset += l.len();
    }
    text.len()
}

enum Frame {
    Object { key: Option<String>, in_value: bool },
    Array { index: usize },
}

/// The path without its last key (`a.b[2].c` → `a.b[2]`); array indices stay.
fn parent(path: &str) -> String {
    match path.rfind('.') {
        Some(i) if !path[i..].contains('[') => path[..i].to_string(),
        None if !path.contains('[') => String::new(),
        _ => path.to_string(),
    }
}

/// The path of the value being read at byte `offset`.
pub fn path_at(text: &str, offset: usize) -> String {
    let bytes = text.as_bytes();
    let end = offset.min(bytes.len());
    let mut stack: Vec<Frame> = Vec::new();
    let mut i = 0;
    while i < end {
        match bytes[i] {
            b'{' => stack.push(Frame::Object { key: None, in_value: false }),
            b'[' => stack.push(Frame::Array { index: 0 }),
            b'}' | b']' => {
                stack.pop();
            }
            b':' => {
                if let Some(Frame::Object { in_value, .. }) = stack.last_mut() {
                    *in_value = true;
                }
            }
            b',' => match stack.last_mut() {
                Some(Frame::Object { key, in_value }) => {
                    *key = None;
                    *in_value = false;
                }
                Some(Frame::Array { index }) => *index += 1,
                None => {}
            },
            b'"' => {
                let start = i + 1;
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    if bytes[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
                if let Some(Frame::Object { key, in_value: false }) = stack.last_mut() {
                    *key = Some(String::from_utf8_lossy(&bytes[start..i.min(bytes.len())]).into_owned());
                }
            }
            _ => {}
        }
        i += 1;
    }
    let mut path = String::new();
    for frame in &stack {
        match frame {
            Frame::Object { key: Some(k), .. } => {
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(k);
            }
            Frame::Object { key: None, .. } => {}
            Frame::Array { index } => {
                path.push('[');
                path.push_str(&index.to_string());
                path.push(']');
            }
        }
    }
    path
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Outer {
        items: Vec<Inner>,
    }
    #[derive(Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        name: String,
        qty: u32,
    }

    #[test]
    fn names_the_path_of_a_type_error() {
        let e = parse::<Outer>(r#"{"items":[{"name":"a","qty":1},{"name":"b","qty":-2}]}"#).unwrap_err();
        assert_eq!(e.path, "items[1].qty");
        assert!(e.problem.contains("invalid value"), "{}", e.problem);
    }

    #[test]
    fn names_the_object_missing_a_field_and_an_unknown_field() {
        let e = parse::<Outer>("{\n \"items\": [\n  {\"name\": \"a\"}\n ]\n}").unwrap_err();
        assert_eq!(e.path, "items[0]");
        assert!(e.problem.contains("missing field `qty`"));
        let e = parse::<Outer>(r#"{"items":[{"name":"a","qty":1,"price":5}]}"#).unwrap_err();
        assert_eq!(e.path, "items[0].price");
        assert!(e.problem.contains("unknown field `price`"));
    }

    #[test]
    fn escaped_quotes_and_brackets_in_strings_do_not_confuse_it() {
        let e = parse::<Outer>(r#"{"items":[{"name":"a\"]}[{","qty":"x"}]}"#).unwrap_err();
        assert_eq!(e.path, "items[0].qty");
    }
}
