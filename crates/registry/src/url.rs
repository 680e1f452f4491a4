//! The endpoint URLs the registry accepts: `http` or `https`, a host, an optional port, an
//! optional path and query. Deliberately narrower than RFC 3986 — an endpoint is where signed
//! messages go, so anything unusual (credentials in the URL, a fragment, spaces, non-ASCII) is
//! more likely a typo or an injection than an intent, and is refused at load time rather than
//! discovered by the HTTP client under traffic.

/// Checks an endpoint URL; the error says what is wrong with it.
pub(crate) fn check_endpoint(url: &str) -> Result<(), String> {
    let rest = if let Some(rest) = url.strip_prefix("https://") {
        rest
    } else if let Some(rest) = url.strip_prefix("http://") {
        rest
    } else {
        return Err("the scheme must be `http://` or `https://`".into());
    };
    if let Some(c) = url
        .chars()
        .find(|c| !c.is_ascii() || c.is_ascii_control() || *c == ' ')
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
    use super::check_endpoint;

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
        ] {
            assert!(check_endpoint(url).is_err(), "{url:?} accepted");
        }
    }
}
