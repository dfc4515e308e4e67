//! Front matter (`---` … `---` at the very top, as Wiki.js and static-site tools export) is
//! metadata, not release notes.

/// The document without a leading YAML front matter block; any other text is returned as is.
pub fn strip(text: &str) -> &str {
    let body = text.strip_prefix('\u{feff}').unwrap_or(text);
    let Some(rest) = body
        .strip_prefix("---\n")
        .or_else(|| body.strip_prefix("---\r\n"))
    else {
        return text;
    };
    let mut offset = 0;
    for line in rest.split_inclusive('\n') {
        offset += line.len();
        if line.trim_end() == "---" {
            return rest[offset..].trim_start_matches(['\r', '\n']);
        }
    }
    // An opening `---` that is never closed is a horizontal rule, not front matter.
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wiki_js_front_matter_is_removed() {
        let doc = "---\ntitle: Mathesar 0.1.3\ndescription: Release notes\npublished: true\ndate: 2023-08-01T10:00:00.000Z\ntags: release\neditor: markdown\n---\n\n# Mathesar 0.1.3\n";
        assert_eq!(strip(doc), "# Mathesar 0.1.3\n");
    }

    #[test]
    fn a_document_without_front_matter_is_untouched() {
        assert_eq!(
            strip("# Notes\n\n---\n\nMore\n"),
            "# Notes\n\n---\n\nMore\n"
        );
        assert_eq!(strip("---\nnot closed"), "---\nnot closed");
    }

    #[test]
    fn crlf_front_matter_is_removed_too() {
        assert_eq!(strip("---\r\ntitle: x\r\n---\r\n# Hi\r\n"), "# Hi\r\n");
    }
}
