#!/usr/bin/env python3
"""An XMLDSig GOST R 34.10-2012 checker and signer built only from peers: libxml2 (through
lxml) canonicalizes, the OpenSSL GOST engine hashes, signs and verifies. rsmev's tests use it
as the independent side of the GOST interop checks; nothing here comes from rsmev.

  gost_xmldsig.py verify FILE
      every ds:Signature: SignedInfo canonicalized as declared, SignatureValue (s||r as-is)
      checked by the engine with the key of the certificate in KeyInfo (X509Certificate or a
      BinarySecurityToken named by SecurityTokenReference); every Reference whose transforms
      libxml2 can apply (C14N 1.0, exclusive C14N, enveloped-signature) digested by the engine
      and compared. References through the SMEV transform are reported as not checked.
  gost_xmldsig.py sign-smev2 FILE KEY.pem CERT.pem 256|512
      adds a SMEV 2 WS-Security header block (actor .../actors/smev) with the certificate as a
      BinarySecurityToken and a signature over the Body by its wsu:Id, exclusive C14N.

Run with OPENSSL_CONF naming a configuration that loads the GOST engine.
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
X509V3 = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-x509-token-profile-1.0#X509v3"
B64 = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary"
ENVELOPED = DS + "enveloped-signature"
SMEV = "urn://smev-gov-ru/xmldsig/transform"
C14N = {
    "http://www.w3.org/TR/2001/REC-xml-c14n-20010315": (False, False),
    "http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments": (False, True),
    "http://www.w3.org/2001/10/xml-exc-c14n#": (True, False),
    "http://www.w3.org/2001/10/xml-exc-c14n#WithComments": (True, True),
}
CP = "urn:ietf:params:xml:ns:cpxmlsec:algorithms:"
SIG = {
    CP + "gostr34102012-gostr34112012-256": "md_gost12_256",
    CP + "gostr34102012-gostr34112012-512": "md_gost12_512",
}
DIGEST = {CP + "gostr34112012-256": "md_gost12_256", CP + "gostr34112012-512": "md_gost12_512"}


def openssl(*args, data=None):
    return subprocess.run(["openssl", *args], input=data, capture_output=True, check=False)


def c14n(node, alg, keep_comments=True):
    exclusive, comments = C14N[alg]
    comments = comments and keep_comments
    return etree.tostring(node, method="c14n", exclusive=exclusive, with_comments=comments)


def digest(md, data):
    out = openssl("dgst", "-" + md, "-binary", data=data)
    if out.returncode != 0:
        sys.exit("openssl dgst failed: " + out.stderr.decode())
    return out.stdout


def by_id(doc, ident):
    hits = [
        e
        for e in doc.iter(etree.Element)
        if ident in (e.get("Id"), e.get("ID"), e.get("id"), e.get("{%s}Id" % WSU))
    ]
    if len(hits) != 1:
        raise ValueError("Id %r is carried by %d elements" % (ident, len(hits)))
    return hits[0]


def certificate(doc, sig):
    x = sig.find(".//{%s}X509Certificate" % DS)
    if x is not None:
        return base64.b64decode("".join(x.text.split()))
    ref = sig.find(".//{%s}SecurityTokenReference/{%s}Reference" % (WSSE, WSSE))
    token = by_id(doc, ref.get("URI")[1:])
    return base64.b64decode("".join(token.text.split()))


def verify(path):
    doc = etree.parse(path, etree.XMLParser(resolve_entities=False, no_network=True))
    sigs = list(doc.iter("{%s}Signature" % DS))
    if not sigs:
        sys.exit("no signature")
    failed = False
    with tempfile.TemporaryDirectory() as tmp:
        for n, sig in enumerate(sigs, 1):
            si = sig.find("{%s}SignedInfo" % DS)
            cm = si.find("{%s}CanonicalizationMethod" % DS).get("Algorithm")
            sm = si.find("{%s}SignatureMethod" % DS).get("Algorithm")
            md = SIG[sm]
            cert = os.path.join(tmp, "cert%d.der" % n)
            pub = os.path.join(tmp, "pub%d.pem" % n)
            sigfile = os.path.join(tmp, "sig%d.bin" % n)
            data = os.path.join(tmp, "si%d.bin" % n)
            with open(cert, "wb") as f:
                f.write(certificate(doc, sig))
            out = openssl("x509", "-inform", "DER", "-in", cert, "-pubkey", "-noout", "-out", pub)
            if out.returncode != 0:
                sys.exit("openssl x509 failed: " + out.stderr.decode())
            with open(sigfile, "wb") as f:
                f.write(base64.b64decode("".join(sig.find("{%s}SignatureValue" % DS).text.split())))
            with open(data, "wb") as f:
                f.write(c14n(si, cm))
            out = openssl("dgst", "-" + md, "-verify", pub, "-signature", sigfile, data)
            ok = out.returncode == 0 and b"Verified OK" in out.stdout
            print("signature %d: SignatureValue %s" % (n, "OK" if ok else "FAILED"))
            failed |= not ok
            for ref in si.findall("{%s}Reference" % DS):
                uri = ref.get("URI")
                algs = [t.get("Algorithm") for t in ref.findall("{%s}Transforms/{%s}Transform" % (DS, DS))]
                if SMEV in algs:
                    print("signature %d: reference %s not checked (SMEV transform)" % (n, uri))
                    continue
                if uri == "":
                    # The whole document (XMLDSig §4.3.3.3: comments removed).
                    target = copy.deepcopy(doc)
                else:
                    target = by_id(doc, uri[1:])
                if ENVELOPED in algs:
                    # Canonicalize a copy without this signature.
                    if uri != "":
                        target = etree.fromstring(etree.tostring(target))
                    for s in target.iter("{%s}Signature" % DS):
                        if s.find("{%s}SignatureValue" % DS).text == sig.find("{%s}SignatureValue" % DS).text:
                            s.getparent().remove(s)
                            break
                cms = [a for a in algs if a in C14N] or ["http://www.w3.org/TR/2001/REC-xml-c14n-20010315"]
                dm = DIGEST[ref.find("{%s}DigestMethod" % DS).get("Algorithm")]
                got = base64.b64encode(digest(dm, c14n(target, cms[-1], keep_comments=False))).decode()
                want = "".join(ref.find("{%s}DigestValue" % DS).text.split())
                ok = got == want
                print("signature %d: reference %s digest %s" % (n, uri, "OK" if ok else "FAILED"))
                failed |= not ok
    sys.exit(1 if failed else 0)


def sign_smev2(path, key, cert_pem, bits):
    sm = CP + "gostr34102012-gostr34112012-%s" % bits
    dm = CP + "gostr34112012-%s" % bits
    md = "md_gost12_%s" % bits
    exc = "http://www.w3.org/2001/10/xml-exc-c14n#"
    doc = etree.parse(path, etree.XMLParser(resolve_entities=False, no_network=True))
    root = doc.getroot()
    soap = etree.QName(root).namespace
    body = root.find("{%s}Body" % soap)
    header = root.find("{%s}Header" % soap)
    body_id = body.get("{%s}Id" % WSU)
    der = openssl("x509", "-in", cert_pem, "-outform", "DER").stdout
    body_digest = base64.b64encode(digest(md, c14n(body, exc))).decode()
    sec = etree.SubElement(
        header, "{%s}Security" % WSSE, {"{%s}actor" % soap: "http://smev.gosuslugi.ru/actors/smev"},
        nsmap={"wsse": WSSE, "wsu": WSU},
    )
    token = etree.SubElement(
        sec, "{%s}BinarySecurityToken" % WSSE,
        {"EncodingType": B64, "ValueType": X509V3, "{%s}Id" % WSU: "SenderCertificate"},
    )
    token.text = base64.b64encode(der).decode()
    sig = etree.SubElement(sec, "{%s}Signature" % DS, nsmap={"ds": DS})
    si = etree.SubElement(sig, "{%s}SignedInfo" % DS)
    etree.SubElement(si, "{%s}CanonicalizationMethod" % DS, {"Algorithm": exc})
    etree.SubElement(si, "{%s}SignatureMethod" % DS, {"Algorithm": sm})
    ref = etree.SubElement(si, "{%s}Reference" % DS, {"URI": "#" + body_id})
    tr = etree.SubElement(ref, "{%s}Transforms" % DS)
    etree.SubElement(tr, "{%s}Transform" % DS, {"Algorithm": exc})
    etree.SubElement(ref, "{%s}DigestMethod" % DS, {"Algorithm": dm})
    etree.SubElement(ref, "{%s}DigestValue" % DS).text = body_digest
    value = etree.SubElement(sig, "{%s}SignatureValue" % DS)
    ki = etree.SubElement(sig, "{%s}KeyInfo" % DS)
    str_ = etree.SubElement(ki, "{%s}SecurityTokenReference" % WSSE)
    etree.SubElement(str_, "{%s}Reference" % WSSE, {"URI": "#SenderCertificate", "ValueType": X509V3})
    out = openssl("dgst", "-" + md, "-sign", key, data=c14n(si, exc))
    if out.returncode != 0:
        sys.exit("openssl dgst -sign failed: " + out.stderr.decode())
    value.text = base64.b64encode(out.stdout).decode()
    sys.stdout.buffer.write(etree.tostring(doc, xml_declaration=True, encoding="UTF-8"))


if __name__ == "__main__":
    if sys.argv[1:2] == ["verify"] and len(sys.argv) == 3:
        verify(sys.argv[2])
    elif sys.argv[1:2] == ["sign-smev2"] and len(sys.argv) == 6:
        sign_smev2(*sys.argv[2:])
    else:
        sys.exit(__doc__)
