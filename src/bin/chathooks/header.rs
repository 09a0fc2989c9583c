//! `--header 'Name: value'`: the CLI's one header parser (for `verify` and for a Kapso webhook's
//! custom headers). Plain `std`, so that the fuzz target `cli_header` (`fuzz/`) compiles this very
//! file.

/// Parses `Name: value`. The name must be an HTTP token (RFC 9110: letters, digits and
/// ``!#$%&'*+-.^_`|~``); the value, trimmed, must hold no control character but tab (a CR or LF
/// would split it into two headers).
pub(crate) fn parse_header(text: &str) -> Result<(String, String), String> {
    let Some((name, value)) = text.split_once(':') else {
        return Err("expected `Name: value`".to_owned());
    };
    let name = name.trim();
    if name.is_empty() {
        return Err("expected `Name: value`, the name is empty".to_owned());
    }
    if let Some(bad) = name.chars().find(|c| !is_token_char(*c)) {
        return Err(format!("the header name contains {bad:?}"));
    }
    let value = value.trim();
    if let Some(bad) = value.chars().find(|c| c.is_control() && *c != '\t') {
        return Err(format!("the header value contains {bad:?}"));
    }
    Ok((name.to_owned(), value.to_owned()))
}

/// Whether `c` may appear in an HTTP field name (RFC 9110 `tchar`).
fn is_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c)
}

#[cfg(test)]
mod tests {
    use super::parse_header;

    #[test]
    fn names_are_tokens_and_values_have_no_line_breaks() {
        assert_eq!(
            parse_header(" X-Env :  a: b "),
            Ok(("X-Env".into(), "a: b".into()))
        );
        assert_eq!(parse_header("X-Empty:"), Ok(("X-Empty".into(), "".into())));
        for bad in [
            "no colon",
            ": v",
            "X Y: v",
            "X\u{e9}: v",
            "X: a\r\nInjected: b",
            "X: \0",
        ] {
            assert!(parse_header(bad).is_err(), "{bad:?}");
        }
    }
}
