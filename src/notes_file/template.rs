//! A new notes file, from the repository's own template with the version filled in.

/// The template with every `placeholder` replaced by the version; a template without the
/// placeholder is used as it is. The result ends with one newline, so lines appended later
/// start on their own line.
pub fn from_template(template: &str, placeholder: &str, version: &str) -> String {
    let mut text = if placeholder.is_empty() {
        template.to_owned()
    } else {
        template.replace(placeholder, version)
    };
    if !text.ends_with('\n') {
        text.push('\n');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_placeholder_gets_the_version() {
        let template = "# Mathesar __VERSION__\n\n## Upgrading to __VERSION__\n\nTODO\n";
        assert_eq!(
            from_template(template, "__VERSION__", "0.2.1"),
            "# Mathesar 0.2.1\n\n## Upgrading to 0.2.1\n\nTODO\n"
        );
    }

    #[test]
    fn a_template_without_a_final_newline_gets_one() {
        assert_eq!(
            from_template("# Notes", "__VERSION__", "1.0.0"),
            "# Notes\n"
        );
    }
}
