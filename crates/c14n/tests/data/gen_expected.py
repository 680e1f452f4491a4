#!/usr/bin/python3
"""Generate canonical outputs for the c14n conformance corpus with libxml2 only.

Run via gen-expected.sh (or: /usr/bin/python3 gen_expected.py <tests/data dir>).

Whole-document outputs, per corpus file NNN-name.xml:
  expected/NNN-name.c14n-wc.xml    xmllint --c14n        (C14N 1.0 with comments)
  expected/NNN-name.c14n11-wc.xml  xmllint --c14n11      (C14N 1.1 with comments)
  expected/NNN-name.exc-wc.xml     xmllint --exc-c14n    (Exclusive C14N with comments)
  expected/NNN-name.c14n.xml       libxml2mod.xmlC14NDocDumpMemory(doc, None, 0, None, 0)
  expected/NNN-name.c14n11.xml     libxml2mod.xmlC14NDocDumpMemory(doc, None, 2, None, 0)
  expected/NNN-name.exc.xml        libxml2mod.xmlC14NDocDumpMemory(doc, None, 1, None, 0)
The binding call with with_comments=1 must reproduce the xmllint bytes exactly, or we fail.

Document subsets: rows of subsets.tsv; node-set from
  (//. | //@* | //namespace::*)[ancestor-or-self::*[@Id='X' or @ID='X' or @id='X' or @wsu:Id='X']]
W3C spec XPath subsets: rows of xpath-subsets.tsv (file, name, mode, xpath, expected).
"""
import glob
import os
import re
import subprocess
import sys

import ctypes

import libxml2
import libxml2mod
from lxml import etree

WSU = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
MODES = {  # mode name -> (libxml2 xmlC14NMode, with_comments)
    "c14n": (0, 0), "exc": (1, 0), "c14n11": (2, 0),
    "c14n-wc": (0, 1), "exc-wc": (1, 1), "c14n11-wc": (2, 1),
}
XMLLINT = {"c14n-wc": "--c14n", "c14n11-wc": "--c14n11", "exc-wc": "--exc-c14n"}
ID_SEL = "@Id='{0}' or @ID='{0}' or @id='{0}' or @wsu:Id='{0}'"
SUBSET_XPATH = "(//. | //@* | //namespace::*)[ancestor-or-self::*[" + ID_SEL + "]]"

errors = []


def die(msg):
    sys.stderr.write("gen_expected: FATAL: %s\n" % msg)
    sys.exit(1)


def c14n(doc, mode, nodes=None, prefixes=None):
    """Call the C function directly: the Python wrapper doc.c14nMemory() passes
    `exclusive != 0`, which turns mode 2 (C14N 1.1) into exclusive C14N."""
    m, wc = MODES[mode]
    raw = [n._o for n in nodes] if nodes is not None else None
    out = libxml2mod.xmlC14NDocDumpMemory(doc._o, raw, m, prefixes, wc)
    if out is None:
        die("libxml2 C14N returned NULL (mode %s)" % mode)
    return out.encode("utf-8")


# ---- direct C API through ctypes (same libxml2.so.2 the binding uses) ----
# Needed because the python3-libxml2 binding (Debian 2.9.14) cannot pass an
# InclusiveNamespaces prefix list: any list (even []) aborts the interpreter with
# "double free or corruption" / "must be a tuple or list of strings".
class _XPathObject(ctypes.Structure):
    _fields_ = [("type", ctypes.c_int), ("nodesetval", ctypes.c_void_p)]


_lib = ctypes.CDLL("libxml2.so.2")
_lib.xmlReadFile.restype = ctypes.c_void_p
_lib.xmlReadFile.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_int]
_lib.xmlFreeDoc.argtypes = [ctypes.c_void_p]
_lib.xmlXPathNewContext.restype = ctypes.c_void_p
_lib.xmlXPathNewContext.argtypes = [ctypes.c_void_p]
_lib.xmlXPathFreeContext.argtypes = [ctypes.c_void_p]
_lib.xmlXPathRegisterNs.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p]
_lib.xmlXPathEvalExpression.restype = ctypes.POINTER(_XPathObject)
_lib.xmlXPathEvalExpression.argtypes = [ctypes.c_char_p, ctypes.c_void_p]
_lib.xmlXPathFreeObject.argtypes = [ctypes.POINTER(_XPathObject)]
_lib.xmlC14NDocDumpMemory.restype = ctypes.c_int
_lib.xmlC14NDocDumpMemory.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int,
                                      ctypes.POINTER(ctypes.c_char_p), ctypes.c_int,
                                      ctypes.POINTER(ctypes.c_void_p)]
_xmlFree = ctypes.CFUNCTYPE(None, ctypes.c_void_p).in_dll(_lib, "xmlFree")
XPATH_NODESET = 1


def c14n_c(path, mode, xpath=None, prefixes=None, nsmap=None):
    """xmlReadFile(path, NULL, 0) -> [XPath node-set] -> xmlC14NDocDumpMemory."""
    m, wc = MODES[mode]
    doc = _lib.xmlReadFile(path.encode(), None, 0)
    if not doc:
        die("xmlReadFile failed for %s" % path)
    ctx = obj = None
    try:
        nodeset = None
        if xpath is not None:
            ctx = _lib.xmlXPathNewContext(doc)
            for pfx, uri in (nsmap or {}).items():
                _lib.xmlXPathRegisterNs(ctx, pfx.encode(), uri.encode())
            obj = _lib.xmlXPathEvalExpression(xpath.encode("utf-8"), ctx)
            if not obj or obj.contents.type != XPATH_NODESET:
                die("XPath did not give a node-set: %s" % xpath)
            nodeset = obj.contents.nodesetval
            if not nodeset:
                die("empty node-set: %s" % xpath)
        arr = None
        if prefixes is not None:
            arr = (ctypes.c_char_p * (len(prefixes) + 1))(*[p.encode() for p in prefixes], None)
        out = ctypes.c_void_p()
        n = _lib.xmlC14NDocDumpMemory(doc, nodeset, m, arr, wc, ctypes.byref(out))
        if n < 0 or not out.value:
            die("xmlC14NDocDumpMemory failed: %s %s %s" % (path, mode, xpath))
        data = ctypes.string_at(out.value, n)
        _xmlFree(out.value)
        return data
    finally:
        if obj:
            _lib.xmlXPathFreeObject(obj)
        if ctx:
            _lib.xmlXPathFreeContext(ctx)
        _lib.xmlFreeDoc(doc)


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)


def check_input(path):
    raw = open(path, "rb").read()
    if b"<!DOCTYPE" in raw:
        die("%s contains a DOCTYPE" % path)
    raw.decode("utf-8")  # must be UTF-8
    if re.search(rb'xmlns:[^=\s]+\s*=\s*(""|\'\')', raw):
        die("%s has an xmlns:p=\"\" undeclaration" % path)
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        etree.fromstring(raw, parser)
    except etree.XMLSyntaxError as e:
        die("%s is not namespace-well-formed: %s" % (path, e))
    # libxml2 reports namespace errors (unbound prefix, bad URI) as non-fatal; refuse them.
    p = subprocess.run(["xmllint", "--noout", "--nonet", path], capture_output=True)
    if p.returncode != 0 or p.stderr:
        die("%s: xmllint complains:\n%s" % (path, p.stderr.decode("utf-8", "replace")))


def id_values(doc):
    ctx = doc.xpathNewContext()
    ctx.xpathRegisterNs("wsu", WSU)
    vals = [a.content for a in ctx.xpathEval("//@Id | //@ID | //@id | //@wsu:Id")]
    ctx.xpathFreeContext()
    return vals


def main():
    base = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(__file__))
    corpus = os.path.join(base, "corpus")
    expected = os.path.join(base, "expected")
    os.makedirs(expected, exist_ok=True)
    for old in glob.glob(os.path.join(expected, "*.xml")):
        os.remove(old)

    libxml2.registerErrorHandler(lambda ctx, msg: sys.stderr.write(msg), None)
    ver = subprocess.run(["xmllint", "--version"], capture_output=True, text=True)
    sys.stderr.write((ver.stderr or ver.stdout).splitlines()[0] + "\n")

    files = sorted(os.path.basename(p) for p in glob.glob(os.path.join(corpus, "*.xml")))
    if len(files) < 48:
        die("only %d corpus files" % len(files))
    count = 0
    for name in files:
        if not re.match(r"^\d{3}-[A-Za-z0-9.-]+\.xml$", name):
            die("bad corpus file name %s" % name)
        path = os.path.join(corpus, name)
        check_input(path)
        stem = name[:-4]
        doc = libxml2.parseFile(path)
        vals = id_values(doc)
        dup = sorted({v for v in vals if vals.count(v) > 1})
        if dup:
            die("%s: Id values not unique: %s" % (name, dup))
        outs = {}
        for mode in MODES:
            outs[mode] = c14n(doc, mode)
        for mode in MODES:
            if c14n_c(path, mode) != outs[mode]:
                die("%s: ctypes C call differs from binding (mode %s)" % (name, mode))
        # cross-check 1: binding with comments == xmllint, byte for byte
        for mode, flag in XMLLINT.items():
            p = subprocess.run(["xmllint", "--nonet", flag, path], capture_output=True)
            if p.returncode != 0:
                die("xmllint %s %s failed: %s" % (flag, name, p.stderr.decode()))
            if p.stdout != outs[mode]:
                die("%s: binding with_comments=1 differs from xmllint %s" % (name, flag))
        # cross-check 2: the documented wrapper gives the same bytes for modes 0 and 1
        for excl in (0, 1):
            for wc in (0, 1):
                mode = ("exc" if excl else "c14n") + ("-wc" if wc else "")
                via = doc.c14nMemory(nodes=None, exclusive=excl, prefixes=None, with_comments=wc)
                if via.encode("utf-8") != outs[mode]:
                    die("%s: doc.c14nMemory(exclusive=%d) differs from direct call" % (name, excl))
        for mode, data in outs.items():
            write(os.path.join(expected, "%s.%s.xml" % (stem, mode)), data)
            count += 1
        doc.freeDoc()

    # ---- Id subsets ----
    rows = [l.rstrip(b"\n").decode("utf-8").split("\t")
            for l in open(os.path.join(base, "subsets.tsv"), "rb")]
    if rows[0] != ["file", "id", "mode", "prefixes", "expected"]:
        die("subsets.tsv header wrong: %r" % rows[0])
    seen = set()
    for r in rows[1:]:
        if len(r) != 5:
            die("subsets.tsv bad row %r" % r)
        fname, idv, mode, pfx, exp = r
        if mode not in MODES:
            die("bad mode in %r" % r)
        if pfx != "-" and not mode.startswith("exc"):
            die("prefix list with non-exclusive mode in %r" % r)
        m = re.match(r"^(.*)\.id-(.*)\.(%s)(\.pfx-\d+)?\.xml$" % "|".join(re.escape(k) for k in MODES), exp)
        if not m or m.group(1) != fname[:-4] or m.group(2) != idv or m.group(3) != mode \
                or bool(m.group(4)) != (pfx != "-"):
            die("expected name %s does not follow NNN-name.id-X.<mode>[.pfx-N].xml" % exp)
        if exp in seen:
            die("duplicate expected name %s" % exp)
        seen.add(exp)
        if "'" in idv:
            die("quote in id %r" % idv)
        doc = libxml2.parseFile(os.path.join(corpus, fname))
        ctx = doc.xpathNewContext()
        ctx.xpathRegisterNs("wsu", WSU)
        apex = ctx.xpathEval("//*[" + ID_SEL.format(idv) + "]")
        if len(apex) != 1:
            die("%s: id %s selects %d elements" % (fname, idv, len(apex)))
        nodes = ctx.xpathEval(SUBSET_XPATH.format(idv))
        prefixes = None if pfx == "-" else pfx.split(" ")
        data = c14n_c(os.path.join(corpus, fname), mode, SUBSET_XPATH.format(idv), prefixes, {"wsu": WSU})
        if prefixes is None and c14n(doc, mode, nodes=nodes) != data:
            die("%s: binding and ctypes disagree" % exp)
        if not data:
            die("%s: empty output" % exp)
        write(os.path.join(expected, exp), data)
        count += 1
        del nodes
        ctx.xpathFreeContext()
        doc.freeDoc()

    # ---- W3C spec XPath subsets (3.7 / 3.8 expressions, id() replaced: no DTD) ----
    xrows = [l.rstrip(b"\n").decode("utf-8").split("\t")
             for l in open(os.path.join(base, "xpath-subsets.tsv"), "rb")]
    if xrows[0] != ["file", "name", "mode", "xpath", "expected"]:
        die("xpath-subsets.tsv header wrong")
    for fname, nm, mode, xp, exp in xrows[1:]:
        if exp != "%s.xpath-%s.%s.xml" % (fname[:-4], nm, mode):
            die("bad expected name %s" % exp)
        doc = libxml2.parseFile(os.path.join(corpus, fname))
        ctx = doc.xpathNewContext()
        ctx.xpathRegisterNs("ietf", "http://www.ietf.org")
        nodes = ctx.xpathEval(xp)
        data = c14n(doc, mode, nodes=nodes)
        if c14n_c(os.path.join(corpus, fname), mode, xp, None, {"ietf": "http://www.ietf.org"}) != data:
            die("%s: binding and ctypes disagree" % exp)
        if not data:
            die("%s: empty output" % exp)
        write(os.path.join(expected, exp), data)
        count += 1
        del nodes
        ctx.xpathFreeContext()
        doc.freeDoc()

    sys.stderr.write("gen_expected: wrote %d files (%d corpus files x 6 modes, %d Id subsets, %d XPath subsets)\n"
                     % (count, len(files), len(rows) - 1, len(xrows) - 1))


if __name__ == "__main__":
    main()
