"""Which webhook URLs we POST to (refunds_core/webhook_urls.py), without the
network: name resolution is replaced by a table of names, and numeric hosts
are parsed by the real getaddrinfo with AI_NUMERICHOST (no DNS query)."""

from __future__ import annotations

import socket

import pytest

from refunds_core import webhook_urls
from refunds_core.webhook_urls import MAX_URL_LENGTH, UnsafeUrl, vetted_addresses

_REAL_GETADDRINFO = socket.getaddrinfo

NAMES = {
    "hooks.example.com": ["93.184.215.14"],
    "v6.example.com": ["2606:4700:4700::1111"],
    "dual.example.com": ["93.184.215.14", "2606:4700:4700::1111"],
    "split.example.com": ["93.184.215.14", "10.0.0.7"],                 # one public, one private
    "rebind.example.com": ["93.184.215.14", "169.254.169.254"],
    "metadata.example.com": ["169.254.169.254"],
    "internal.example.com": ["10.1.2.3"],
    "localhost": ["127.0.0.1", "::1"],
    "mixed-local.example.com": ["127.0.0.1", "93.184.215.14"],
    "nat64.example.com": ["64:ff9b::5db8:d70e"],                         # DNS64 of 93.184.215.14
}


def fake_getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):  # noqa: A002 - socket's own names
    if host in NAMES:
        return [(socket.AF_INET6 if ":" in address else socket.AF_INET, socket.SOCK_STREAM, 6, "",
                 (address, port, 0, 0) if ":" in address else (address, port)) for address in NAMES[host]]
    try:  # a numeric host, in any form inet_aton / inet_pton read: never a DNS query
        return _REAL_GETADDRINFO(host, port, family, type, proto, flags | socket.AI_NUMERICHOST)
    except socket.gaierror:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known") from None


@pytest.fixture(autouse=True)
def no_dns(monkeypatch):
    monkeypatch.setattr(webhook_urls.socket, "getaddrinfo", fake_getaddrinfo)


def public(url: str):
    return vetted_addresses(url, allow_loopback=False)


def local(url: str):
    return vetted_addresses(url, allow_loopback=True)


# ------------------------------------------------------------- accepted

@pytest.mark.parametrize(("url", "expected"), [
    ("https://hooks.example.com/refunds", ("hooks.example.com", 443, ["93.184.215.14"])),
    ("https://hooks.example.com:8443/a?b=c", ("hooks.example.com", 8443, ["93.184.215.14"])),
    ("HTTPS://HOOKS.EXAMPLE.COM/x", ("hooks.example.com", 443, ["93.184.215.14"])),
    ("https://v6.example.com/", ("v6.example.com", 443, ["2606:4700:4700::1111"])),
    ("https://dual.example.com/", ("dual.example.com", 443, ["93.184.215.14", "2606:4700:4700::1111"])),
    ("https://nat64.example.com/", ("nat64.example.com", 443, ["64:ff9b::5db8:d70e"])),
    ("https://93.184.215.14/hook", ("93.184.215.14", 443, ["93.184.215.14"])),
    ("https://[2606:4700:4700::1111]:444/", ("2606:4700:4700::1111", 444, ["2606:4700:4700::1111"])),
])
def test_https_urls_of_public_hosts_are_accepted(url, expected):
    assert public(url) == expected


# ------------------------------------------------------------- refused

@pytest.mark.parametrize("url", [
    "http://hooks.example.com/refunds",        # not https
    "ftp://hooks.example.com/",
    "hooks.example.com/refunds",               # no scheme
    "https:///refunds",                         # no host
    "https://user@hooks.example.com/",          # userinfo
    "https://user:pw@hooks.example.com/",
    "https://:pw@hooks.example.com/",
    "https://hooks.example.com@10.0.0.1/",
    "https://hooks.example.com:99999/",         # bad ports
    "https://hooks.example.com:0/",
    "https://hooks.example.com:x/",
    "https://[::1/",                            # unbalanced bracket
    "https://hooks.example.com/a b",            # spaces and control characters
    "https://hooks.example.com/\r\nX-Injected: 1",
    "https://unknown.example.com/",             # does not resolve
    "https://" + "a" * MAX_URL_LENGTH,          # too long
])
def test_malformed_and_non_https_urls_are_refused(url):
    with pytest.raises(UnsafeUrl):
        public(url)


def test_a_url_of_exactly_the_maximum_length_is_accepted():
    url = "https://hooks.example.com/"
    url += "a" * (MAX_URL_LENGTH - len(url))
    assert public(url)[0] == "hooks.example.com"


@pytest.mark.parametrize("host", [
    # IPv4: loopback (also in inet_aton's other spellings), private, shared, link-local and metadata,
    # unspecified, multicast, reserved, broadcast, benchmarking, documentation, IETF
    "127.0.0.1", "127.1", "2130706433", "0x7f.1", "017700000001", "10.0.0.1", "172.16.5.4", "172.31.255.255",
    "192.168.1.1", "100.64.0.1", "100.127.255.254", "169.254.169.254", "169.254.0.1", "0",
    "0.0.0.0",  # noqa: S104 - an address refused, not one bound to
    "224.0.0.1", "239.255.255.250", "240.0.0.1", "255.255.255.255", "198.18.0.1", "192.0.2.1",
    "198.51.100.1", "203.0.113.9", "192.0.0.8",
    # IPv6: loopback, unspecified, link-local, unique local (fd00::/8 and fc00::/7), multicast, documentation,
    # site-local, IPv4-mapped / NAT64 / 6to4 / Teredo forms of private IPv4 addresses
    "[::1]", "[::]", "[fe80::1]", "[fd00::1]", "[fd12:3456:789a::1]", "[fc00::1]", "[ff02::1]", "[2001:db8::1]",
    "[fec0::1]", "[::ffff:127.0.0.1]", "[::ffff:10.0.0.1]", "[::ffff:169.254.169.254]", "[::ffff:7f00:1]",
    "[64:ff9b::a00:1]", "[64:ff9b::a9fe:a9fe]", "[2002:7f00:1::1]", "[2001:0:4136:e378:8000:63bf:3fff:fdd2]",
    "[::127.0.0.1]",
])
def test_non_public_addresses_are_refused(host):
    with pytest.raises(UnsafeUrl):
        public(f"https://{host}/hook")


@pytest.mark.parametrize("host", ["split.example.com", "rebind.example.com", "metadata.example.com",
                                  "internal.example.com", "localhost", "mixed-local.example.com"])
def test_a_name_is_refused_when_any_of_its_addresses_is_not_public(host):
    with pytest.raises(UnsafeUrl, match="non-public"):
        public(f"https://{host}/hook")


# ---------------------------------------------------------- local mode

@pytest.mark.parametrize(("url", "expected"), [
    ("http://127.0.0.1:9/hook", ("127.0.0.1", 9, ["127.0.0.1"])),
    ("http://localhost:8080/hook", ("localhost", 8080, ["127.0.0.1", "::1"])),
    ("http://[::1]:8080/hook", ("::1", 8080, ["::1"])),
    ("http://127.0.0.1/hook", ("127.0.0.1", 80, ["127.0.0.1"])),
    ("https://127.0.0.1:8443/hook", ("127.0.0.1", 8443, ["127.0.0.1"])),
    ("https://hooks.example.com/refunds", ("hooks.example.com", 443, ["93.184.215.14"])),  # public stays fine
])
def test_local_mode_also_accepts_loopback(url, expected):
    assert local(url) == expected


@pytest.mark.parametrize("url", [
    "http://hooks.example.com/refunds",     # http only for loopback
    "http://mixed-local.example.com/",      # loopback and public: not only loopback
    "http://10.0.0.1/hook", "https://10.0.0.1/hook", "http://169.254.169.254/", "https://[fd00::1]/",
    "http://user@127.0.0.1:9/hook",
])
def test_local_mode_still_refuses_everything_else(url):
    with pytest.raises(UnsafeUrl):
        local(url)


def test_loopback_is_refused_outside_local_mode():
    for url in ("http://127.0.0.1:9/hook", "http://localhost:8080/hook", "https://127.0.0.1/hook"):
        with pytest.raises(UnsafeUrl):
            public(url)


def test_local_mode_is_the_setting_by_default(monkeypatch):
    from refunds_core.settings import settings

    monkeypatch.setenv("TABLE_NAME", "refunds")
    monkeypatch.setenv("TOKEN_SIGNING_SECRET_ID", "secret")
    for value, allowed in (("true", True), ("false", False)):
        monkeypatch.setenv("WEBHOOK_ALLOW_LOOPBACK", value)
        settings.cache_clear()
        try:
            if allowed:
                assert vetted_addresses("http://127.0.0.1:9/hook")[2] == ["127.0.0.1"]
            else:
                with pytest.raises(UnsafeUrl):
                    vetted_addresses("http://127.0.0.1:9/hook")
        finally:
            settings.cache_clear()
    monkeypatch.delenv("WEBHOOK_ALLOW_LOOPBACK")
    try:
        with pytest.raises(UnsafeUrl):  # unset: not local
            vetted_addresses("http://127.0.0.1:9/hook")
    finally:
        settings.cache_clear()


def test_a_url_refused_by_its_form_is_never_resolved(monkeypatch):
    def no_lookup(*_args, **_kwargs):
        raise AssertionError("resolved a URL refused by its form")

    monkeypatch.setattr(webhook_urls.socket, "getaddrinfo", no_lookup)
    for url in ("http://hooks.example.com/", "ftp://hooks.example.com/", "https://u:p@hooks.example.com/",
                "https://hooks.example.com:0/", "https://" + "a" * MAX_URL_LENGTH):
        with pytest.raises(UnsafeUrl):
            public(url)


# ------------------------------------------------- IRIs (RFC 3987) to URIs

@pytest.mark.parametrize(("iri", "uri"), [
    # non-ASCII in the path, the query, the fragment: UTF-8, percent-encoded, upper-case hex
    ("http://host/café", "http://host/caf%C3%A9"),
    ("https://hooks.example.com/?x=ü", "https://hooks.example.com/?x=%C3%BC"),
    ("https://hooks.example.com/a#ü", "https://hooks.example.com/a#%C3%BC"),
    ("https://hooks.example.com/😀/日本", "https://hooks.example.com/%F0%9F%98%80/%E6%97%A5%E6%9C%AC"),
    # escapes already there are kept, not encoded again; the rest of the URL is untouched
    ("https://hooks.example.com/caf%C3%A9/ü?a=%2F&b=ü", "https://hooks.example.com/caf%C3%A9/%C3%BC?a=%2F&b=%C3%BC"),
    ("https://hooks.example.com:8443/ü?a=1&b=2", "https://hooks.example.com:8443/%C3%BC?a=1&b=2"),
    # an international host: IDNA A-labels (punycode), the port kept
    ("https://bücher.example/", "https://xn--bcher-kva.example/"),
    ("https://BÜCHER.example:8443/ü", "https://xn--bcher-kva.example:8443/%C3%BC"),
    ("https://例え。テスト/hook", "https://xn--r8jz45g.xn--zckzah/hook"),   # an ideographic full stop separates labels
    ("https://１２７．０．０．１/hook", "https://127.0.0.1/hook"),          # full-width forms: NFKC, vetted as such
    # private-use characters: in the query only (RFC 3987's iprivate)
    ("https://hooks.example.com/?x=\ue000", "https://hooks.example.com/?x=%EE%80%80"),
    # a user name is encoded too (and then refused by the checks, like any user name)
    ("https://ü@hooks.example.com/", "https://%C3%BC@hooks.example.com/"),
    # ASCII URLs are URIs already: returned as they are
    ("https://hooks.example.com/a%20b?c=%zz", "https://hooks.example.com/a%20b?c=%zz"),
    ("HTTPS://Hooks.Example.com/X", "HTTPS://Hooks.Example.com/X"),
])
def test_an_iri_becomes_its_uri(iri, uri):
    assert webhook_urls.as_uri(iri) == uri
    assert webhook_urls.as_uri(uri) == uri  # a URI stays what it is


@pytest.mark.parametrize("iri", [
    "https://hooks.example.com/a\u00a0b",         # a no-break space, and other invisible characters
    "https://hooks.example.com/\u200b",            # zero-width space
    "https://hooks.example.com/\u202eevil",        # a bidi override (RFC 3987 4.1)
    "https://hooks.example.com/\u0085",            # a C1 control
    "https://hooks.example.com/\u2028",            # a line separator
    "https://hooks.example.com/\ufdd0",            # a noncharacter
    "https://hooks.example.com/\ue000",            # private use outside the query
    "https://hooks.example.com/é\n",               # ASCII controls, before urlsplit drops them
    "https://hooks.example.com/é x",
    "https://bü..example/",                        # an empty label
    "https://" + "ü" * 64 + ".example/",           # a label over 63 characters
    "https://straße.example/",                     # IDNA 2003 and 2008 disagree: strasse or xn--strae-oqa?
    "https://ΑΣΣΟΣς.example/",
    "https://bücher.example:８０/",                 # a port that is not ASCII digits
    "https://evil.example／x.bücher.example/",      # NFKC would turn the full-width solidus into a path
    "https://bücher\u200d.example/",               # a zero-width joiner in the host
])
def test_malformed_iris_are_refused(iri):
    with pytest.raises(UnsafeUrl):
        webhook_urls.as_uri(iri)


def test_what_is_vetted_is_the_uri_never_the_iri():
    with pytest.raises(UnsafeUrl, match="non-ASCII"):  # vetting an IRI would let getaddrinfo encode the host
        public("https://bücher.example/")
    with pytest.raises(UnsafeUrl, match="non-public"):  # full-width digits are the loopback address
        public(webhook_urls.as_uri("https://１２７．０．０．１/hook"))
    assert local(webhook_urls.as_uri("http://１２７．０．０．１:9/café")) == ("127.0.0.1", 9, ["127.0.0.1"])


def test_the_length_limit_is_the_uris():
    iri = "https://hooks.example.com/" + "é" * 400  # 426 characters, 2426 once encoded
    with pytest.raises(UnsafeUrl, match="at most"):
        public(webhook_urls.as_uri(iri))
