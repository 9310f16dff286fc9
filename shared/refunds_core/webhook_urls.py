"""Which webhook URLs we POST to: checked when an endpoint is registered and
again before every delivery (a name may resolve elsewhere by then).

A URL may be an IRI (RFC 3987: ``https://bücher.example/café?x=ü``): ``as_uri``
turns it into the URI (RFC 3986) that is stored, shown and delivered to; the
host in IDNA A-labels (``xn--bcher-kva.example``), every other non-ASCII
character percent-encoded as UTF-8 (``/caf%C3%A9``). The checks below are made
on that URI, never on the IRI: what is vetted is what is connected to.

A URL is accepted when it is ``https``, carries no user name or password, is at
most 2048 characters, and its host resolves to addresses that are ALL public:
no loopback, private, shared (100.64/10), link-local (169.254/16, the cloud
metadata address included), multicast, reserved, documentation or unspecified
address, and no IPv6 form of one (IPv4-mapped, NAT64, 6to4, Teredo, unique
local fd00::/8...). One bad address refuses the URL: a name that resolves to
a public and a private address could be delivered to either.

The local runtime alone sets ``WEBHOOK_ALLOW_LOOPBACK``: then a URL whose host
resolves only to loopback addresses (``http://127.0.0.1:8080/hook``,
``http://localhost:8080/hook``) is accepted too, ``http`` or ``https``; private
and link-local addresses stay refused.

The deliverer connects to one of the addresses returned here, never to what
the name resolves to later (no DNS rebinding between the check and the POST).
"""

from __future__ import annotations

import ipaddress
import socket
import unicodedata
from urllib.parse import quote, urlsplit, urlunsplit

MAX_URL_LENGTH = 2048

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Never delivered to, whatever ipaddress's flags say in this Python version.
_NOT_PUBLIC = tuple(ipaddress.ip_network(network) for network in (
    "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
    "192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24",
    "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
    "::/128", "::1/128", "::/96", "64:ff9b:1::/48", "100::/64", "2001::/23", "2001:db8::/32", "2002::/16",
    "3fff::/20", "fc00::/7", "fe80::/10", "fec0::/10", "ff00::/8",
))
# IPv6 prefixes that carry an IPv4 address in their last 32 bits: that address decides.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


# Non-ASCII characters refused anywhere in a URL: those RFC 3987 leaves out of an
# IRI (C1 controls, surrogates, bidi controls) and those no one can see in it
# (spaces, line and paragraph separators, format characters such as zero-width joiners).
_INVISIBLE = frozenset({"Cc", "Cs", "Cf", "Zs", "Zl", "Zp"})
# IDNA 2003 (Python's codec) maps these to other letters than IDNA 2008 and
# today's browsers do (ß: "ss" or xn--zca): the same IRI would name two hosts.
_IDNA_DEVIATIONS = frozenset("\u00df\u1e9e\u03c2")


class UnsafeUrl(ValueError):  # noqa: N818 - what the URL is, like ValueError
    """The URL may not be delivered to; the message says why (for logs and attempts)."""


def as_uri(url: str) -> str:
    """The URI (RFC 3986) an IRI (RFC 3987) stands for, or UnsafeUrl when it is
    malformed. An ASCII URL is returned as it is, so ``%XX`` already there stays
    and ``as_uri(as_uri(url)) == as_uri(url)``."""
    _refuse_controls(url)
    if url.isascii():
        return url
    try:
        parts = urlsplit(url)
    except ValueError as exc:  # e.g. a host whose NFKC form holds '/', '?', '#', '@' or ':'
        raise UnsafeUrl(f"malformed: {exc}") from None
    return urlunsplit((parts.scheme, _ascii_netloc(parts.netloc), _escaped(parts.path),
                       _escaped(parts.query, private_use=True), _escaped(parts.fragment)))


def _refuse_controls(url: str) -> None:
    # Before urlsplit, which silently drops tabs and newlines.
    if any(ord(char) <= 0x20 or ord(char) == 0x7F for char in url):
        raise UnsafeUrl("spaces or control characters")


def _escaped(text: str, private_use: bool = False) -> str:
    """``text`` with each non-ASCII character percent-encoded as UTF-8 (RFC 3987 3.1);
    RFC 3987 allows private-use characters in the query only."""
    escaped = []
    for char in text:
        if not char.isascii():
            _refuse_character(char, private_use)
            char = quote(char, safe="")
        escaped.append(char)
    return "".join(escaped)


def _refuse_character(char: str, private_use: bool) -> None:
    code, category = ord(char), unicodedata.category(char)
    noncharacter = 0xFDD0 <= code <= 0xFDEF or code & 0xFFFE == 0xFFFE
    if category in _INVISIBLE or noncharacter or (category == "Co" and not private_use):
        raise UnsafeUrl(f"the character U+{code:04X} may not be in a URL")


def _ascii_netloc(netloc: str) -> str:
    """The authority with its host in IDNA A-labels (and a user name, which the
    checks refuse anyway, percent-encoded)."""
    if netloc.isascii():
        return netloc
    userinfo, at, hostport = netloc.rpartition("@")
    # Not an IP literal: urlsplit checked what is between brackets, and it is ASCII.
    host, colon, port = hostport.partition(":")
    if port and not (port.isascii() and port.isdigit()):
        raise UnsafeUrl("malformed: a port that is not a number")
    return f"{_escaped(userinfo)}{at}{_a_labels(host)}{colon}{port}"


def _a_labels(host: str) -> str:
    if host.isascii():
        return host
    for char in host:
        if not char.isascii():
            _refuse_character(char, private_use=False)
    if _IDNA_DEVIATIONS.intersection(host):
        raise UnsafeUrl("ß or ς in the host: IDNA 2003 and IDNA 2008 read it as different hosts")
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:  # an empty or too long label, a prohibited character, mixed directions
        raise UnsafeUrl("the host is not a valid international domain name") from None


def vetted_addresses(url: str, *, allow_loopback: bool | None = None) -> tuple[str, int, list[str]]:
    """(host, port, the addresses it resolves to) for a URI we may POST to (``as_uri``'s),
    or UnsafeUrl. ``allow_loopback`` defaults to the setting ``WEBHOOK_ALLOW_LOOPBACK``."""
    if allow_loopback is None:
        from refunds_core.settings import settings

        allow_loopback = settings().WEBHOOK_ALLOW_LOOPBACK
    if not isinstance(url, str) or len(url) > MAX_URL_LENGTH:
        raise UnsafeUrl(f"not a URL of at most {MAX_URL_LENGTH} characters")
    _refuse_controls(url)
    if not url.isascii():  # an IRI: as_uri first, so that the URI is what gets vetted
        raise UnsafeUrl("not a URI: non-ASCII characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:  # a bad port, or an unbalanced IPv6 bracket
        raise UnsafeUrl(f"malformed: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme != "https" and not (scheme == "http" and allow_loopback):  # http: loopback only, below
        raise UnsafeUrl("the scheme is not https")
    if "@" in parts.netloc:
        raise UnsafeUrl("a user name or password in the URL")
    host = parts.hostname
    if not host:
        raise UnsafeUrl("no host")
    port = port if port is not None else (443 if scheme == "https" else 80)
    if not 0 < port < 65536:
        raise UnsafeUrl("port out of range")

    addresses = _resolve(host, port)
    loopback = [address for address in addresses if address.is_loopback]
    if allow_loopback and len(loopback) == len(addresses):
        return host, port, [str(address) for address in addresses]
    if scheme != "https":
        raise UnsafeUrl("the scheme is not https")
    refused = [address for address in addresses if not is_public(address)]
    if refused:
        raise UnsafeUrl(f"{host} resolves to a non-public address ({refused[0]})")
    return host, port, [str(address) for address in addresses]


def _resolve(host: str, port: int) -> list[IPAddress]:
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:  # socket.gaierror is an OSError; IDNA errors are UnicodeErrors
        raise UnsafeUrl(f"{host} does not resolve ({type(exc).__name__})") from None
    addresses: list[IPAddress] = []
    for _family, _type, _proto, _name, sockaddr in found:
        text = str(sockaddr[0]).split("%", 1)[0]  # an IPv6 zone (fe80::1%eth0): link-local anyway
        try:
            address = ipaddress.ip_address(text)
        except ValueError:
            raise UnsafeUrl(f"{host} resolves to something that is not an address") from None
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise UnsafeUrl(f"{host} does not resolve")
    return addresses


def is_public(address: IPAddress) -> bool:
    """True when ``address`` is on the public internet (and any IPv4 address an
    IPv6 one stands for is too)."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return is_public(address.ipv4_mapped)
        if address in _NAT64:  # DNS64 answers: the embedded IPv4 address is the destination
            return is_public(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    if any(address in network for network in _NOT_PUBLIC if network.version == address.version):
        return False
    return address.is_global and not (address.is_private or address.is_loopback or address.is_link_local
                                      or address.is_multicast or address.is_reserved or address.is_unspecified)
