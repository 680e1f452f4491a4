//! The endpoint URLs the registry accepts: `http` or `https`, a host, an optional port, an
//! optional path and query. Deliberately narrower than RFC 3986 — an endpoint is where signed
//! messages go, so anything unusual (credentials in the URL, a fragment, spaces, non-ASCII) is
//! more likely a typo or an injection than an intent, and is refused at load time rather than
//! discovered by the HTTP client under traffic.

/// Checks an endpoint URL with the narrow rules below, then parses it into the `http::Uri` the
/// relay uses. Both must accept it: the hand-written checks refuse what `http` would take
/// (credentials, `HTTP://`, an empty port), and `http` refuses what they let through (a path
/// character outside its table), so what loads is exactly what the client will send to.
pub(crate) fn parse_endpoint(url: &str) -> Result<http::Uri, String> {
    check_endpoint(url)?;
    let uri: http::Uri = url
        .parse()
        .map_err(|e: http::uri::InvalidUri| format!("not a URI the HTTP client takes: {e}"))?;
    // Belt and braces: the checks above already guarantee both.
    let scheme_ok = uri.scheme() == Some(&http::uri::Scheme::HTTP)
        || uri.scheme() == Some(&http::uri::Scheme::HTTPS);
    if !scheme_ok || uri.host().is_none_or(str::is_empty) {
        return Err("the scheme must be `http://` or `https://`, with a host".into());
    }
    Ok(uri)
}

/// Checks an endpoint URL; the error says what is wrong with it.
fn check_endpoint(url: &str) -> Result<(), String> {
    let rest = if let Some(rest) = url.strip_prefix("https://") {
        rest
    } else if let Some(rest) = url.strip_prefix("http://") {
        rest
    } else {
        return Err("the scheme must be `http://` or `https://`".into());
    };
    if let Some(c) = url
        .chars()
        // Besides non-ASCII and controls, the characters RFC 3986 leaves out of URIs
        // altogether (they must be percent-encoded wherever they appear).
        .find(|c| !c.is_ascii() || c.is_ascii_control() || " \"<>\\^`{|}".contains(*c))
    {
        return Err(format!(
            "{c:?} is not allowed (percent-encode it, or fix the typo)"
        ));
    }
    if url.contains('#') {
        return Err("a fragment (`#…`) means nothing to an endpoint".into());
    }
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, _path_and_query) = rest.split_at(end);
    if authority.contains('@') {
        return Err("credentials in the URL are not allowed".into());
    }
    let (host, port) = split_host_port(authority)?;
    check_host(host)?;
    if let Some(port) = port {
        let valid = !port.is_empty()
            && port.len() <= 5
            && port.bytes().all(|b| b.is_ascii_digit())
            && port.parse::<u32>().is_ok_and(|p| (1..=65_535).contains(&p));
        if !valid {
            return Err(format!("port `{port}` is not 1..65535"));
        }
    }
    Ok(())
}

fn split_host_port(authority: &str) -> Result<(&str, Option<&str>), String> {
    if authority.is_empty() {
        return Err("the host is empty".into());
    }
    if let Some(inner) = authority.strip_prefix('[') {
        // An IPv6 literal: `[::1]` or `[::1]:8080`.
        let Some(close) = inner.find(']') else {
            return Err("an IPv6 address lacks its closing `]`".into());
        };
        let host = &authority[..close + 2];
        let after = &inner[close + 1..];
        return match after.strip_prefix(':') {
            Some(port) => Ok((host, Some(port))),
            None if after.is_empty() => Ok((host, None)),
            None => Err(format!("`{after}` after the IPv6 address")),
        };
    }
    Ok(match authority.split_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (authority, None),
    })
}

fn check_host(host: &str) -> Result<(), String> {
    if host.is_empty() {
        return Err("the host is empty".into());
    }
    if let Some(inner) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        return match inner.parse::<std::net::Ipv6Addr>() {
            Ok(_) => Ok(()),
            Err(_) => Err(format!("`{inner}` is not an IPv6 address")),
        };
    }
    // A DNS name or an IPv4 address: labels of letters, digits and hyphens.
    for label in host.split('.') {
        let ok = !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-');
        if !ok {
            return Err(format!("host `{host}` is not a DNS name or an IP address"));
        }
    }
    if host.len() > 253 {
        return Err(format!("host `{host}` is longer than 253 characters"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{check_endpoint, parse_endpoint};

    /// What the relay gets: scheme, host, port and path-and-query as written.
    #[test]
    fn parsed_once() {
        for (url, scheme, host, port, path) in [
            (
                "http://127.0.0.1:7001/smev3",
                "http",
                "127.0.0.1",
                Some(7001),
                "/smev3",
            ),
            (
                "https://smev3-n0.example/ws",
                "https",
                "smev3-n0.example",
                None,
                "/ws",
            ),
            ("http://localhost", "http", "localhost", None, "/"),
            (
                "https://fns44.example:8443",
                "https",
                "fns44.example",
                Some(8443),
                "/",
            ),
            (
                "http://[::1]:9001/provider",
                "http",
                "[::1]",
                Some(9001),
                "/provider",
            ),
            (
                "http://[2001:db8::1]/a/b?wsdl",
                "http",
                "[2001:db8::1]",
                None,
                "/a/b?wsdl",
            ),
            (
                "https://host.example/path?x=1&y=%20",
                "https",
                "host.example",
                None,
                "/path?x=1&y=%20",
            ),
        ] {
            let uri = parse_endpoint(url).unwrap_or_else(|e| panic!("{url}: {e}"));
            assert_eq!(uri.scheme_str(), Some(scheme), "{url}");
            assert_eq!(uri.host(), Some(host), "{url}");
            assert_eq!(uri.port_u16(), port, "{url}");
            assert_eq!(
                uri.path_and_query().map(|p| p.as_str()),
                Some(path),
                "{url}"
            );
        }
    }

    /// The narrow checks are narrower than the HTTP client: whatever character they let
    /// through in a path or a query, `http::Uri` takes too, so a URL that loads is a URL the
    /// relay can send to.
    #[test]
    fn the_checks_are_narrower_than_the_client() {
        let mut accepted = 0;
        for b in 0x20u8..0x7f {
            let c = char::from(b);
            for url in [format!("http://host/a{c}b"), format!("http://host/a?x{c}y")] {
                if check_endpoint(&url).is_ok() {
                    accepted += 1;
                    assert!(url.parse::<http::Uri>().is_ok(), "{url:?}");
                    assert!(parse_endpoint(&url).is_ok(), "{url:?}");
                }
            }
        }
        // Letters, digits and RFC 3986's unreserved, sub-delims, `:`, `@`, `/`, `?`, `%`.
        assert!(accepted > 150, "{accepted}");
    }

    #[test]
    fn accepted() {
        for url in [
            "http://127.0.0.1:7001/smev3",
            "https://smev3-n0.example/ws",
            "http://localhost",
            "https://fns44.example:8443",
            "http://[::1]:9001/provider",
            "http://[2001:db8::1]/a/b?wsdl",
            "https://host.example/path?x=1&y=%20",
        ] {
            assert_eq!(check_endpoint(url), Ok(()), "{url}");
        }
    }

    #[test]
    fn refused() {
        for url in [
            "",
            "ftp://host/",
            "HTTP://host/",
            "http//host",
            "http://",
            "http:///path",
            "http://:80/",
            "http://host:/",
            "http://host:0/",
            "http://host:65536/",
            "http://host:80a/",
            "http://user:pass@host/",
            "http://host/a b",
            "http://host/#frag",
            "http://хост.рф/",
            "http://host..example/",
            "http://-host/",
            "http://ho_st/",
            "http://[::1/",
            "http://[::1]x/",
            "http://[zz::1]/",
            "http://host/\n",
            "http://host/a<b",
            "http://host/a>b",
            "http://host/a\\b",
            "http://host/a`b",
            "http://host/?x=\"1\"",
            "http://host/{a}",
            "http://host/a|b",
            "http://host/a^b",
        ] {
            assert!(check_endpoint(url).is_err(), "{url:?} accepted");
            assert!(parse_endpoint(url).is_err(), "{url:?} parsed");
        }
    }
}
