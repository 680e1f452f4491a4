#!/usr/bin/env python3
"""The independent verdict on real signed SMEV messages: for every ds:Signature of every file,
is every Reference's digest right, and does the SignatureValue verify over SignedInfo with the
key of the certificate the signature carries? Cryptography only: the certificates of the
public samples have long expired, so no path, validity or revocation check is made.

Built only from peers and from the published algorithms, nothing from rsmev:
- libxml2 (through lxml) parses and canonicalizes (C14N 1.0, exclusive C14N with an
  InclusiveNamespaces list);
- the SMEV 3 transform (urn://smev-gov-ru/xmldsig/transform) is this file's own
  implementation of the MR text and of the reference Java implementation's semantics as
  written up in shared/research/smev-protocol.md §3 (StAX events, ns1..nsN prefixes from one
  counter that never resets, mappings popped at each element's end, attributes sorted
  qualified-first by namespace URI then local name in UTF-16 order, whitespace-only text
  events dropped, Woodstox escaping);
- the OpenSSL GOST engine computes GOST R 34.11-94 / 34.11-2012 digests and verifies GOST R
  34.10-2001 / 2012 signatures (SignatureValue handed over as-is); OpenSSL verifies RSA.

  smev_corpus_check.py FILE...      one TSV line per signature:
                                    file, signature (1-based, document order),
                                    digest (yes/no), signature (yes/no), detail

Run with OPENSSL_CONF naming a configuration that loads the GOST engine
(certs-test/gost-engine.cnf). A file the checker cannot judge (not XML, an unknown
algorithm, no certificate) makes it exit non-zero naming the file: such files do not belong
in the corpus.
"""
import base64
import copy
import os
import subprocess
import sys
import tempfile

from lxml import etree

DS = "http://www.w3.org/2000/09/xmldsig#"
WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
WSU = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
EXC = "http://www.w3.org/2001/10/xml-exc-c14n#"
ENVELOPED = DS + "enveloped-signature"
SMEV_TRANSFORM = "urn://smev-gov-ru/xmldsig/transform"
C14N = {
    "http://www.w3.org/TR/2001/REC-xml-c14n-20010315": (False, False),
    "http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments": (False, True),
    EXC: (True, False),
    EXC + "WithComments": (True, True),
}
C14N_10 = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
MORE = "http://www.w3.org/2001/04/xmldsig-more#"
CP = "urn:ietf:params:xml:ns:cpxmlsec:algorithms:"
# SignatureMethod → (openssl digest option, key kind).
SIGNATURE = {
    MORE + "gostr34102001-gostr3411": ("md_gost94", "gost"),
    CP + "gostr34102012-gostr34112012-256": ("md_gost12_256", "gost"),
    CP + "gostr34102012-gostr34112012-512": ("md_gost12_512", "gost"),
    MORE + "gostr34102012-gostr34112012-256": ("md_gost12_256", "gost"),
    MORE + "gostr34102012-gostr34112012-512": ("md_gost12_512", "gost"),
    DS + "rsa-sha1": ("sha1", "rsa"),
    MORE + "rsa-sha256": ("sha256", "rsa"),
}
DIGEST = {
    MORE + "gostr3411": "md_gost94",
    CP + "gostr34112012-256": "md_gost12_256",
    CP + "gostr34112012-512": "md_gost12_512",
    MORE + "gostr34112012-256": "md_gost12_256",
    MORE + "gostr34112012-512": "md_gost12_512",
    DS + "sha1": "sha1",
    "http://www.w3.org/2001/04/xmlenc#sha256": "sha256",
}
ID_ATTRIBUTES = ("Id", "ID", "id", "{%s}Id" % WSU)


class Unjudgeable(Exception):
    """The checker cannot say: the file does not belong in the corpus."""


def openssl(*args, data=None):
    return subprocess.run(["openssl", *args], input=data, capture_output=True, check=False)


def digest(md, data):
    out = openssl("dgst", "-" + md, "-binary", data=data)
    if out.returncode != 0:
        raise Unjudgeable("openssl dgst -%s failed: %s" % (md, out.stderr.decode().strip()))
    return out.stdout


# ── The SMEV 3 transform ────────────────────────────────────────────────────────────────────


def utf16(s):
    # Java's String.compareTo compares UTF-16 code units.
    return s.encode("utf-16-be")


def escape_text(s):
    """Woodstox writeCharacters: `&` and `<` always; `>` when it starts the text event or
    follows `]`; CR as a character reference; C1 controls and DEL as character references."""
    out = []
    for i, c in enumerate(s):
        if c == "&":
            out.append("&amp;")
        elif c == "<":
            out.append("&lt;")
        elif c == ">" and (i == 0 or s[i - 1] == "]"):
            out.append("&gt;")
        elif c == "\r":
            out.append("&#xd;")
        elif 0x7F <= ord(c) <= 0x9F:
            out.append("&#x%x;" % ord(c))
        else:
            out.append(c)
    return "".join(out)


def escape_attribute(s):
    """Woodstox writeAttrValue: `&`, `<`, `"`, CR, LF, TAB escaped; `>` raw."""
    table = {"&": "&amp;", "<": "&lt;", '"': "&quot;", "\r": "&#xd;", "\n": "&#xa;", "\t": "&#x9;"}
    return "".join(
        table.get(c, "&#x%x;" % ord(c) if 0x7F <= ord(c) <= 0x9F else c) for c in s
    )


def smev_transform(octets):
    """The SMEV transform of an octet stream (the output of exclusive C14N)."""
    root = etree.fromstring(octets, etree.XMLParser(resolve_entities=False, no_network=True))
    out = []
    stack = []  # one {uri: prefix} per open element
    counter = [1]

    def lookup(uri):
        for frame in reversed(stack):
            if uri in frame:
                return frame[uri]
        return None

    def declare(uri, decls):
        prefix = "ns%d" % counter[0]
        counter[0] += 1
        stack[-1][uri] = prefix
        decls.append((prefix, uri))
        return prefix

    def text(s):
        # A text event made only of characters <= U+0020 is dropped (Java's trim().isEmpty()).
        if s and any(ord(c) > 0x20 for c in s):
            out.append(escape_text(s))

    def element(el):
        q = etree.QName(el)
        if not q.namespace:
            raise Unjudgeable("SMEV transform of an element in no namespace (<%s>)" % q.localname)
        stack.append({})
        decls = []
        prefix = lookup(q.namespace) or declare(q.namespace, decls)
        attributes = []
        for name, value in el.attrib.items():
            aq = etree.QName(name)
            attributes.append((aq.namespace, aq.localname, value))
        qualified = sorted(
            (a for a in attributes if a[0]), key=lambda a: (utf16(a[0]), utf16(a[1]))
        )
        plain = sorted((a for a in attributes if not a[0]), key=lambda a: utf16(a[1]))
        rendered = []
        for uri, local, value in qualified:
            ap = lookup(uri) or declare(uri, decls)
            rendered.append('%s:%s="%s"' % (ap, local, escape_attribute(value)))
        for _, local, value in plain:
            rendered.append('%s="%s"' % (local, escape_attribute(value)))
        head = "<%s:%s" % (prefix, q.localname)
        for p, uri in decls:
            head += ' xmlns:%s="%s"' % (p, escape_attribute(uri))
        for a in rendered:
            head += " " + a
        out.append(head + ">")
        text(el.text)
        for child in el:
            if isinstance(child.tag, str):
                element(child)
            # Comments and PIs are dropped; the text after them is its own event.
            text(child.tail)
        # An empty element is written as a start and an end tag.
        out.append("</%s:%s>" % (prefix, q.localname))
        stack.pop()

    element(root)
    return "".join(out).encode("utf-8")


# ── XMLDSig ─────────────────────────────────────────────────────────────────────────────────


def c14n(node, alg, prefixes=None):
    exclusive, comments = C14N[alg]
    kwargs = {"method": "c14n", "exclusive": exclusive, "with_comments": comments}
    if exclusive and prefixes:
        kwargs["inclusive_ns_prefixes"] = [p for p in prefixes if p != "#default"]
    return etree.tostring(node, **kwargs)


def carriers(doc, ident):
    return [
        e for e in doc.iter(etree.Element) if any(e.get(a) == ident for a in ID_ATTRIBUTES)
    ]


def certificate(doc, sig):
    x = sig.find("{%s}KeyInfo//{%s}X509Certificate" % (DS, DS))
    if x is not None:
        return base64.b64decode("".join(x.text.split()))
    ref = sig.find("{%s}KeyInfo//{%s}SecurityTokenReference/{%s}Reference" % (DS, WSSE, WSSE))
    if ref is None or not (ref.get("URI") or "").startswith("#"):
        raise Unjudgeable("no certificate in KeyInfo")
    tokens = carriers(doc, ref.get("URI")[1:])
    if len(tokens) != 1:
        raise Unjudgeable("the token %s is carried by %d elements" % (ref.get("URI"), len(tokens)))
    return base64.b64decode("".join(tokens[0].text.split()))


def prefix_list(transform_or_method):
    incl = transform_or_method.find("{%s}InclusiveNamespaces" % EXC)
    return (incl.get("PrefixList") or "").split() if incl is not None else None


def reference_digest(doc, sig, ref):
    """(ok, detail) for one Reference, with its transforms applied as declared."""
    uri = ref.get("URI")
    if uri is None:
        return False, "a Reference without URI"
    if uri == "":
        data = copy.deepcopy(doc.getroot())
    elif uri.startswith("#"):
        hits = carriers(doc, uri[1:])
        if len(hits) != 1:
            return False, "%s is carried by %d elements" % (uri, len(hits))
        data = hits[0]
    else:
        raise Unjudgeable("an external reference %s" % uri)
    for t in ref.findall("{%s}Transforms/{%s}Transform" % (DS, DS)):
        alg = t.get("Algorithm")
        if alg == ENVELOPED:
            if isinstance(data, bytes):
                raise Unjudgeable("enveloped-signature after an octet transform")
            data = copy.deepcopy(data)
            value = sig.find("{%s}SignatureValue" % DS).text
            for s in data.iter("{%s}Signature" % DS):
                if s.find("{%s}SignatureValue" % DS).text == value:
                    s.getparent().remove(s)
                    break
        elif alg in C14N:
            if isinstance(data, bytes):
                data = etree.fromstring(data)
            data = c14n(data, alg, prefix_list(t))
        elif alg == SMEV_TRANSFORM:
            if not isinstance(data, bytes):
                data = c14n(data, C14N_10)
            data = smev_transform(data)
        else:
            raise Unjudgeable("unknown transform %s" % alg)
    if not isinstance(data, bytes):
        data = c14n(data, C14N_10)
    method = ref.find("{%s}DigestMethod" % DS).get("Algorithm")
    if method not in DIGEST:
        raise Unjudgeable("unknown digest %s" % method)
    got = base64.b64encode(digest(DIGEST[method], data)).decode()
    want = "".join((ref.find("{%s}DigestValue" % DS).text or "").split())
    return got == want, "" if got == want else "%s digest differs" % uri


def signature_value(doc, sig, tmp, n):
    si = sig.find("{%s}SignedInfo" % DS)
    cm = si.find("{%s}CanonicalizationMethod" % DS)
    method = si.find("{%s}SignatureMethod" % DS).get("Algorithm")
    if method not in SIGNATURE or cm.get("Algorithm") not in C14N:
        raise Unjudgeable("unknown algorithm %s / %s" % (method, cm.get("Algorithm")))
    md, _kind = SIGNATURE[method]
    paths = {k: os.path.join(tmp, "%s%d" % (k, n)) for k in ("cert", "pub", "sig", "si")}
    with open(paths["cert"], "wb") as f:
        f.write(certificate(doc, sig))
    out = openssl("x509", "-inform", "DER", "-in", paths["cert"], "-pubkey", "-noout",
                  "-out", paths["pub"])
    if out.returncode != 0:
        raise Unjudgeable("openssl x509: " + out.stderr.decode().strip())
    with open(paths["sig"], "wb") as f:
        f.write(base64.b64decode("".join(sig.find("{%s}SignatureValue" % DS).text.split())))
    with open(paths["si"], "wb") as f:
        f.write(c14n(si, cm.get("Algorithm"), prefix_list(cm)))
    out = openssl("dgst", "-" + md, "-verify", paths["pub"], "-signature", paths["sig"],
                  paths["si"])
    return out.returncode == 0 and b"Verified OK" in out.stdout


def judge(path):
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        doc = etree.parse(path, parser)
    except etree.XMLSyntaxError as e:
        raise Unjudgeable("not XML: %s" % e)
    sigs = list(doc.iter("{%s}Signature" % DS))
    if not sigs:
        raise Unjudgeable("no ds:Signature")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n, sig in enumerate(sigs, 1):
            si = sig.find("{%s}SignedInfo" % DS)
            refs = si.findall("{%s}Reference" % DS)
            if not refs:
                raise Unjudgeable("signature %d has no Reference" % n)
            details = []
            digests_ok = True
            for ref in refs:
                ok, detail = reference_digest(doc, sig, ref)
                digests_ok &= ok
                if detail:
                    details.append(detail)
            value_ok = signature_value(doc, sig, tmp, n)
            if not value_ok:
                details.append("SignatureValue does not verify")
            rows.append((n, digests_ok, value_ok, "; ".join(details)))
    return rows


def main(files):
    failed = False
    print("# made by crates/signature/tests/peers/smev_corpus_check.py (lxml %s, libxml2 %s, %s)"
          % (etree.__version__, ".".join(map(str, etree.LIBXML_VERSION)),
             openssl("version").stdout.decode().strip()))
    print("# file\tsignature\tdigest_ok\tsignature_ok\tdetail")
    for path in files:
        try:
            rows = judge(path)
        except (Unjudgeable, ValueError, AttributeError, TypeError, etree.LxmlError) as e:
            # A broken certificate's base64, a Signature without SignedInfo, …: the file is
            # not a judgeable signed message.
            print("%s: cannot judge: %s: %s" % (path, type(e).__name__, e), file=sys.stderr)
            failed = True
            continue
        name = os.path.basename(path)
        for n, d, s, detail in rows:
            print("%s\t%d\t%s\t%s\t%s" % (name, n, "yes" if d else "no", "yes" if s else "no",
                                          detail))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1].startswith("-"):
        sys.exit(__doc__)
    main(sys.argv[1:])
