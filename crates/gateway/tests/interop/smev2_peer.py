"""The independent SMEV 2 peer for crates/gateway/tests/smev2_interop.rs.

Signing and verification are m3-spyne-smev's (BARS Group's SMEV library on PyPI:
spyne_smev.wsse.utils.sign_document / verify_document), which canonicalizes with lxml
(libxml2) and signs, hashes and verifies with OpenSSL through ctypescrypto, GOST by the OpenSSL
GOST engine that OPENSSL_CONF loads. What this file adds is glue only:

- ctypescrypto 0.5 (2018, pinned by m3-spyne-smev) was written for OpenSSL 1.0/1.1, where
  EVP_MD_type, EVP_MD_size, EVP_MD_block_size and X509_NAME_hash were exported functions;
  OpenSSL 3 renamed the first three (EVP_MD_get_*) and made the last a macro, so importing
  ctypescrypto fails. The three are aliased to their OpenSSL 3 names; X509_NAME_hash (not on
  the SMEV 2 path) raises if anything calls it.
- verify_document reads the first DigestValue, SignedInfo and BinarySecurityToken of the whole
  document and takes that DigestValue to be the Body's, so it checks one WS-Security block (the
  first). To check every block, each is checked on a copy of the message that keeps only that
  block in the Header (the referenced elements, and so their canonical form, are unchanged).
  The first block is also checked on the message as received, as a participant using the
  library would do.
- verify_document never checks References other than the Body's (a node's signature also
  covers its smev:Header). Every Reference of every block is therefore also recomputed here:
  the referenced element canonicalized by lxml as the Reference's transform says (Exclusive
  C14N), hashed by m3-spyne-smev's get_text_digest. This part is ours, on the library's
  primitives; its verdict is reported separately ("references").

Commands (documents on stdin, results on stdout):
  check                                 versions; exit 0 when GOST hashing works
  sign --cert PEM --key PEM [--digest NAME]
                                        the current time into smev:Message/Date, then the
                                        participant's signature (actor .../actors/smev)
  verify --cert PEM [--cert PEM ...]    JSON verdict per wsse:Security block; exit 0 when all
                                        verify, 1 when any does not
"""

import argparse
import base64
import copy
import datetime
import importlib.metadata
import json
import sys

import ctypescrypto

_lib = ctypescrypto.libcrypto
for _old, _new in (
    ("EVP_MD_type", "EVP_MD_get_type"),
    ("EVP_MD_size", "EVP_MD_get_size"),
    ("EVP_MD_block_size", "EVP_MD_get_block_size"),
):
    if not hasattr(_lib, _old):
        setattr(_lib, _old, getattr(_lib, _new))


def _no_x509_name_hash(*_args):
    raise NotImplementedError("X509_NAME_hash is a macro in OpenSSL 3")


if not hasattr(_lib, "X509_NAME_hash"):
    _lib.X509_NAME_hash = _no_x509_name_hash

from lxml import etree  # noqa: E402
from spyne_smev import crypto as smev_crypto  # noqa: E402
from spyne_smev.wsse import utils as smev_wsse  # noqa: E402

SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
WSU = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
DS = "http://www.w3.org/2000/09/xmldsig#"
EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
SMEV2 = (
    "http://smev.gosuslugi.ru/rev120315",
    "http://smev.gosuslugi.ru/rev111111",
    "http://smev.gosuslugi.ru/rev110801",
)
# DigestMethod URI -> the OpenSSL digest name m3-spyne-smev hashes with.
DIGESTS = {
    "urn:ietf:params:xml:ns:cpxmlsec:algorithms:gostr34112012-256": "md_gost12_256",
    "urn:ietf:params:xml:ns:cpxmlsec:algorithms:gostr34112012-512": "md_gost12_512",
    "http://www.w3.org/2001/04/xmldsig-more#gostr3411": "md_gost94",
    "http://www.w3.org/2001/04/xmlenc#sha256": "sha256",
}


def parse(data):
    parser = etree.XMLParser(resolve_entities=False, no_network=True, remove_blank_text=False)
    return etree.fromstring(data, parser)


def read_pem(path):
    with open(path, encoding="ascii") as f:
        return f.read()


def cmd_check(_args):
    versions = {
        p: importlib.metadata.version(p) for p in ("m3-spyne-smev", "ctypescrypto", "lxml")
    }
    versions["libxml2"] = ".".join(map(str, etree.LIBXML_VERSION))
    # The GOST engine is there if OpenSSL knows Streebog: RFC 6986 §10.1, example 1 (the
    # RFC writes the message and the hash as numbers, most significant byte first).
    m1 = b"012345678901234567890123456789012345678901234567890123456789012"
    digest = smev_crypto.get_text_digest(m1, "md_gost12_256")
    if digest.hex() != "9d151eefd8590b89daa6ba6cb74af9275dd051026bb149a452fd84e5e57b5500":
        print(json.dumps({"error": "md_gost12_256 is not Streebog-256"}))
        return 1
    print(json.dumps(versions))
    return 0


def cmd_sign(args):
    doc = parse(sys.stdin.buffer.read())
    # A fresh message each time: the bus refuses a stale smev:Message/Date and a signature it
    # has seen.
    now = datetime.datetime.now().astimezone().isoformat(timespec="milliseconds")
    dates = [d for ns in SMEV2 for d in doc.iterfind(f".//{{{ns}}}Message/{{{ns}}}Date")]
    if len(dates) != 1:
        print(f"expected one smev:Message/Date, found {len(dates)}", file=sys.stderr)
        return 2
    dates[0].text = now
    signed = smev_wsse.sign_document(
        doc, read_pem(args.cert), read_pem(args.key), None, digest_method=args.digest
    )
    sys.stdout.buffer.write(etree.tostring(signed, xml_declaration=True, encoding="UTF-8"))
    return 0


def blocks(doc):
    header = doc.find(f"{{{SOAP}}}Header")
    return [] if header is None else header.findall(f"{{{WSSE}}}Security")


def library_verdict(doc, cert):
    try:
        smev_wsse.verify_document(doc, cert)
        return "ok"
    except Exception as e:  # the library's errors: ValueError, InvalidSignature, crypto.Error
        return f"{type(e).__name__}: {e}"


def references_verdict(doc, block):
    by_id = {el.get(f"{{{WSU}}}Id"): el for el in doc.iter() if el.get(f"{{{WSU}}}Id")}
    refs = block.findall(f"{{{DS}}}Signature/{{{DS}}}SignedInfo/{{{DS}}}Reference")
    if not refs:
        return "no Reference"
    for ref in refs:
        uri = ref.get("URI", "")
        target = by_id.get(uri[1:]) if uri.startswith("#") else None
        if target is None:
            return f"{uri}: no element with that wsu:Id"
        transforms = [
            t.get("Algorithm") for t in ref.iterfind(f"{{{DS}}}Transforms/{{{DS}}}Transform")
        ]
        if transforms != [EXC_C14N]:
            return f"{uri}: transforms {transforms} (only Exclusive C14N is checked here)"
        name = DIGESTS.get(ref.find(f"{{{DS}}}DigestMethod").get("Algorithm"))
        if name is None:
            return f"{uri}: unknown DigestMethod"
        c14n = etree.tostring(target, method="c14n", exclusive=True, with_comments=False)
        digest = base64.b64encode(smev_crypto.get_text_digest(c14n, name)).decode()
        if digest != (ref.findtext(f"{{{DS}}}DigestValue") or "").strip():
            return f"{uri}: digest does not match"
    return "ok"


def cmd_verify(args):
    doc = parse(sys.stdin.buffer.read())
    certs = {p: read_pem(p) for p in args.cert}
    clean = {p: smev_wsse._get_clean_cert_data(c) for p, c in certs.items()}
    found = blocks(doc)
    report = {"blocks": []}
    for i, block in enumerate(found):
        token = "".join((block.findtext(f"{{{WSSE}}}BinarySecurityToken") or "").split())
        path = next((p for p, c in clean.items() if c == token), None)
        entry = {"actor": block.get(f"{{{SOAP}}}actor"), "certificate": path}
        if path is None:
            entry["library"] = entry["references"] = "signer's certificate is not among --cert"
        else:
            alone = copy.deepcopy(doc)
            for j, other in enumerate(blocks(alone)):
                if j != i:
                    other.getparent().remove(other)
            entry["library"] = library_verdict(alone, certs[path])
            entry["references"] = references_verdict(doc, block)
        report["blocks"].append(entry)
    first = report["blocks"][0]["certificate"] if found else None
    report["whole_document"] = (
        library_verdict(doc, certs[first]) if first else "no block with a known certificate"
    )
    print(json.dumps(report, ensure_ascii=False))
    ok = found and report["whole_document"] == "ok" and all(
        b["library"] == "ok" and b["references"] == "ok" for b in report["blocks"]
    )
    return 0 if ok else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("check")
    s = sub.add_parser("sign")
    s.add_argument("--cert", required=True)
    s.add_argument("--key", required=True)
    s.add_argument("--digest", default="md_gost12_256")
    v = sub.add_parser("verify")
    v.add_argument("--cert", action="append", required=True)
    args = ap.parse_args()
    return {"check": cmd_check, "sign": cmd_sign, "verify": cmd_verify}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
