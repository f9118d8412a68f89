#!/usr/bin/env python3
"""Renders sockhelp's reference from include/sockhelp.h: man pages and HTML.

    scripts/gen-docs.py [--header include/sockhelp.h] [--out target/docs]

writes

    OUT/man/man3/sockhelp.3            the overview: the HOWTO's lessons, conventions,
                                       timeouts, the error model, types, every function
    OUT/man/man3/sockhelp_NAME.3       one page per public function
    OUT/html/index.html                the overview
    OUT/html/sockhelp_NAME.html        one page per public function

The header is the reference manual (cbindgen copies every Rust doc comment into it), so
this reads only the header: a function added to the library gets its page the next time
the docs are built. The doc comments use a little Markdown: paragraphs, `code`, "- "
lists (continued by indented lines) and ``` fenced blocks; nothing else is interpreted.

Warnings (a public function without a doc comment, a `sockhelp_*` name in backticks that
the header does not define, an unbalanced backtick, an unterminated fence) go to stderr,
and the exit status is 1 when there was any: the docs build is warning-free or it fails
(tests/packaging.rs checks both). Python 3.5+, standard library only.
"""

import argparse
import html
import os
import re
import sys

WARNINGS = []


def warn(msg):
    WARNINGS.append(msg)
    sys.stderr.write("gen-docs: warning: %s\n" % msg)


# ---------------------------------------------------------------------------------------
# Reading the header


class Item:
    """One documented declaration: kind is function, define, typedef or struct."""

    def __init__(self, kind, name, decl, doc, line):
        self.kind = kind
        self.name = name
        self.decl = decl
        self.doc = doc
        self.line = line


def strip_comment(lines):
    """The text of a /** ... */ block given as lines, without the comment markers."""
    out = []
    for raw in lines:
        t = raw.strip()
        if t.startswith("/**"):
            t = t[3:]
        elif t.startswith("/*"):
            t = t[2:]
        if t.endswith("*/"):
            t = t[:-2]
        t = t.rstrip()
        s = raw.rstrip()
        # " * text" -> "text", keeping the indentation after "* " (lists, code blocks).
        m = re.match(r"^\s*\*( ?)(.*)$", s)
        if m and not s.strip().startswith("/*") and not s.strip().startswith("*/"):
            out.append(m.group(2))
        elif t.strip():
            out.append(t.strip())
    while out and not out[0].strip():
        out.pop(0)
    while out and not out[-1].strip():
        out.pop()
    return out


def parse_header(path):
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    items = []
    preamble = None
    i = 0
    pending_doc = None
    pending_line = 0
    while i < len(lines):
        line = lines[i]
        t = line.strip()
        if t.startswith("/*") and not t.startswith("/**") and preamble is None and i < 5:
            j = i
            while "*/" not in lines[j]:
                j += 1
            preamble = strip_comment(lines[i : j + 1])
            i = j + 1
            continue
        if t.startswith("/**"):
            j = i
            while "*/" not in lines[j]:
                j += 1
            pending_doc = strip_comment(lines[i : j + 1])
            pending_line = i + 1
            i = j + 1
            continue
        if t.startswith("#define "):
            name = t.split()[1]
            if pending_doc is not None:
                items.append(Item("define", name, t, pending_doc, i + 1))
            pending_doc = None
            i += 1
            continue
        if re.match(r"^typedef (struct|enum|union)\b.*\{$", t):
            j = i
            while not lines[j].startswith("}"):
                j += 1
            name = lines[j].strip()[1:].strip().rstrip(";").strip()
            body = "\n".join(lines[i : j + 1])
            body = re.sub(r"\s*/\*\*.*?\*/", "", body, flags=re.S)
            fields = []
            k = i + 1
            field_doc = None
            while k < j:
                s = lines[k].strip()
                if s.startswith("/**"):
                    m = k
                    while "*/" not in lines[m]:
                        m += 1
                    field_doc = strip_comment(lines[k : m + 1])
                    k = m + 1
                    continue
                if s.endswith(";") or s.endswith(",") or re.match(r"^[A-Z][A-Z0-9_]*( = .*)?$", s):
                    fields.append((s.rstrip(","), field_doc or []))
                    field_doc = None
                k += 1
            item = Item("struct", name, body, pending_doc or [], i + 1)
            item.fields = fields
            if pending_doc is None:
                warn("line %d: struct %s has no doc comment" % (i + 1, name))
            items.append(item)
            pending_doc = None
            i = j + 1
            continue
        if t.startswith("typedef "):
            name = t.rstrip(";").split()[-1].lstrip("*")
            if pending_doc is not None:
                items.append(Item("typedef", name, t, pending_doc, i + 1))
            pending_doc = None
            i += 1
            continue
        m = re.match(r"^[A-Za-z_].*?\b(sockhelp_[a-z0-9_]+)\(", line)
        if m and not t.startswith("#"):
            j = i
            while not lines[j].rstrip().endswith(";"):
                j += 1
            decl = " ".join(x.strip() for x in lines[i : j + 1])
            decl = re.sub(r"\(\s+", "(", decl)
            name = m.group(1)
            if pending_doc is None:
                warn("line %d: %s has no doc comment" % (i + 1, name))
                pending_doc = []
            items.append(Item("function", name, decl, pending_doc, i + 1))
            pending_doc = None
            i = j + 1
            continue
        if t and not t.startswith("#") and not t.startswith("}") and not t.startswith("extern"):
            pending_doc = None
        i += 1
    return preamble or [], merge_platform_variants(items)


def merge_platform_variants(items):
    """One entry per name: the POSIX and Windows definitions of the same name (under
    `#if defined(_WIN32)`) become one, their doc comments joined."""
    seen = {}
    out = []
    for it in items:
        if it.name in seen and it.kind != "function":
            first = seen[it.name]
            if it.doc and it.doc != first.doc:
                first.doc = first.doc + [""] + it.doc
            continue
        seen[it.name] = it
        out.append(it)
    return out


# ---------------------------------------------------------------------------------------
# Doc comment text -> blocks


def blocks_of(doc, where):
    """Paragraphs ("p", text), lists ("ul", [text]) and code blocks ("pre", [lines])."""
    out = []
    para = []
    items = None
    i = 0

    def flush():
        nonlocal para, items
        if para:
            out.append(("p", " ".join(para)))
            para = []
        if items is not None:
            out.append(("ul", items))
            items = None

    while i < len(doc):
        line = doc[i]
        s = line.strip()
        if s.startswith("```"):
            flush()
            code = []
            i += 1
            while i < len(doc) and not doc[i].strip().startswith("```"):
                code.append(doc[i])
                i += 1
            if i == len(doc):
                warn("%s: a ``` block is never closed" % where)
            out.append(("pre", code))
            i += 1
            continue
        if not s:
            flush()
        elif line.startswith("- "):
            if para:
                out.append(("p", " ".join(para)))
                para = []
            if items is None:
                items = []
            items.append(s[2:])
        elif items is not None and line.startswith("  "):
            items[-1] += " " + s
        else:
            if items is not None:
                out.append(("ul", items))
                items = None
            para.append(s)
        i += 1
    flush()
    return out


def check_inline(text, where, known):
    if text.count("`") % 2:
        warn("%s: unbalanced ` in: %s" % (where, text[:80]))
    for code in re.findall(r"`([^`]*)`", text):
        for name in re.findall(r"\b(sockhelp_[a-z0-9_]+|SOCKHELP_[A-Z0-9_]+)\b", code):
            if name.endswith("_") or name.endswith("_*"):
                continue
            if name not in known and not re.match(r"sockhelp_[a-z]+_$", name):
                warn("%s: `%s` is not defined by the header" % (where, name))


def referenced_functions(doc, functions):
    seen = []
    for name in re.findall(r"\b(sockhelp_[a-z0-9_]+)\b", "\n".join(doc)):
        if name in functions and name not in seen:
            seen.append(name)
    return seen


def first_sentence(doc):
    text = " ".join(l.strip() for l in doc).strip()
    m = re.match(r"(.+?[.:;])(\s|$)", text)
    s = m.group(1) if m else text
    s = s.rstrip(".:;")
    return s.replace("`", "")


# ---------------------------------------------------------------------------------------
# roff


def roff_escape(s):
    s = s.replace("\\", "\\e")
    return s


def roff_inline(text, functions):
    parts = re.split(r"(`[^`]*`)", text)
    out = []
    for p in parts:
        if p.startswith("`") and p.endswith("`") and len(p) >= 2:
            code = roff_escape(p[1:-1])
            out.append("\\fB%s\\fR" % code)
        else:
            out.append(roff_escape(p))
    s = "".join(out)
    return roff_line_start(s)


def roff_line_start(s):
    if s.startswith(".") or s.startswith("'"):
        return "\\&" + s
    return s


def roff_blocks(blocks, functions):
    out = []
    for kind, content in blocks:
        if kind == "p":
            out.append(".PP")
            out.append(roff_inline(content, functions))
        elif kind == "ul":
            for it in content:
                out.append(".IP \\(bu 2")
                out.append(roff_inline(it, functions))
            out.append(".PP")
        elif kind == "pre":
            out.append(".PP")
            out.append(".RS 4")
            out.append(".nf")
            for l in content:
                out.append(roff_line_start(roff_escape(l)))
            out.append(".fi")
            out.append(".RE")
    # ".PP" right after ".PP" makes nothing; drop the duplicates and a trailing one.
    cleaned = []
    for l in out:
        if l == ".PP" and cleaned and cleaned[-1] == ".PP":
            continue
        cleaned.append(l)
    return cleaned


def man_header(name, version, title):
    return [
        '.TH "%s" "3" "" "sockhelp %s" "%s"' % (name.upper(), version, title),
        ".nh",
    ]


def split_returns(blocks):
    """Paragraphs that start with "Returns" go to RETURN VALUE."""
    desc, ret = [], []
    for b in blocks:
        if b[0] == "p" and b[1].startswith("Returns"):
            ret.append(b)
        else:
            desc.append(b)
    return desc, ret


def synopsis_decl(decl):
    """The declaration, one parameter per line after the first."""
    m = re.match(r"^(.*?\()(.*)(\);)$", decl)
    if not m:
        return [decl]
    head, params, tail = m.groups()
    ps = [p.strip() for p in params.split(",")]
    if len(ps) <= 1:
        return [decl]
    pad = " " * len(head)
    lines = [head + ps[0] + ","]
    for p in ps[1:-1]:
        lines.append(pad + p + ",")
    lines.append(pad + ps[-1] + tail)
    return lines


def man_function(item, version, functions):
    blocks = blocks_of(item.doc, item.name)
    desc, ret = split_returns(blocks)
    out = man_header(item.name, version, "sockhelp manual")
    out += [".SH NAME", "%s \\- %s" % (item.name, roff_escape(first_sentence(item.doc)))]
    out += [".SH SYNOPSIS", ".nf", ".B #include <sockhelp.h>", ".PP"]
    out += [roff_line_start(roff_escape(l)) for l in synopsis_decl(item.decl)]
    out += [".fi", ".PP", "Link with \\fB$(pkg-config \\-\\-libs sockhelp)\\fR"
            " (or \\fB\\-lsockhelp\\fR)."]
    out += [".SH DESCRIPTION"] + roff_blocks(desc, functions)
    if ret:
        out += [".SH RETURN VALUE"] + roff_blocks(ret, functions)
    refs = [r for r in referenced_functions(item.doc, functions) if r != item.name]
    see = ["\\fBsockhelp\\fR(3)"] + ["\\fB%s\\fR(3)" % r for r in refs]
    out += [".SH SEE ALSO", ",\n".join(see)]
    return "\n".join(out) + "\n"


OVERVIEW_LESSONS = [
    ("send and recv may move fewer bytes than asked",
     "sockhelp_sendall and sockhelp_recvall loop until done, and report the count moved "
     "even on failure."),
    ("a stream has no message boundaries",
     "framings: fixed length, delimiter, length prefix (1, 2, 4 or 8 bytes, either byte "
     "order), varint, the HOWTO's 5 ASCII digits, first byte is the type, and a general "
     "length field."),
    ("one recv may hold the start of the next message",
     "a sockhelp_reader keeps the leftovers and hands out whole frames, even when a length "
     "prefix arrives split."),
    ("recv returning 0 means the peer closed",
     "an explicit SOCKHELP_ECLOSED, distinct from errors and timeouts."),
    ("a peer that dies hard hangs a blocking socket",
     "every wait takes timeout_ms, a deadline for the whole call; sockhelp_set_keepalive."),
    ("shut down before you close",
     "sockhelp_shutdown, and sockhelp_close_graceful (shut down the write side, drain, close)."),
    ("O_NONBLOCK, O_NDELAY and TCP_NODELAY are easily confused",
     "sockhelp_set_nonblocking (always O_NONBLOCK) and sockhelp_set_nodelay (Nagle), "
     "separately."),
    ("writing to a closed peer raises SIGPIPE",
     "never a SIGPIPE, just SOCKHELP_ERESET."),
    ("non-blocking programs are built around select",
     "sockhelp_select without the FD_SETSIZE limit, a poller for thousands of sockets, and "
     "non-blocking readers and writers."),
    ("Windows differs",
     "one API everywhere: sockhelp_socket is a SOCKET there, and sockhelp_init calls "
     "WSAStartup."),
]

TIMEOUTS = [
    "Every call that may wait takes int timeout_ms: -1 waits forever, 0 never waits (one "
    "attempt: what the socket can do now), and a positive value is a deadline in "
    "milliseconds for the whole call, not for each system call inside it. A blocking "
    "socket never holds a call past its deadline, and the socket's mode (blocking or "
    "non-blocking) is never changed.",
]

ERROR_MODEL = [
    "Functions return SOCKHELP_OK (0) or a negative SOCKHELP_E code, and counts travel in "
    "out-parameters that are written on every return, so a failed call still says how "
    "much it moved. Functions that make objects return NULL on failure. "
    "sockhelp_strerror(code) describes a code (a static string, never NULL); after "
    "SOCKHELP_EOS, sockhelp_last_os_error() gives the calling thread's errno (or "
    "WSAGetLastError() value). Codes keep their values forever:",
]


def conventions(preamble):
    """The header's opening comment without its title line and "Conventions" line."""
    lines = list(preamble)
    while lines and (not lines[0].strip() or lines[0].startswith("sockhelp:")
                     or lines[0].startswith("Conventions")):
        lines.pop(0)
    return lines


def overview_model(preamble, items, version):
    """The overview as blocks, shared by the man page and the HTML index."""
    defines = [it for it in items if it.kind == "define"]
    errors = [it for it in defines
              if it.name == "SOCKHELP_OK" or re.match(r"^-[0-9]+$", it.decl.split()[2])]
    types = [it for it in items if it.kind in ("typedef", "struct")]
    funcs = [it for it in items if it.kind == "function"]
    other = [it for it in defines if it not in errors]
    return errors, types, funcs, other


def man_overview(preamble, items, version, functions):
    errors, types, funcs, other = overview_model(preamble, items, version)
    out = man_header("sockhelp", version, "sockhelp manual")
    out += [".SH NAME", "sockhelp \\- TCP sockets that are hard to misuse from C"]
    out += [".SH SYNOPSIS", ".nf", ".B #include <sockhelp.h>", ".fi", ".PP",
            "Link with \\fB$(pkg-config \\-\\-libs sockhelp)\\fR, or statically with "
            "\\fB$(pkg-config \\-\\-static \\-\\-libs sockhelp\\-static)\\fR; with CMake, "
            "\\fBfind_package(sockhelp)\\fR and the targets \\fBsockhelp::sockhelp\\fR or "
            "\\fBsockhelp::sockhelp_static\\fR."]
    out += [".SH DESCRIPTION", ".PP",
            "sockhelp turns the lessons of Gordon McMillan's \\fISocket Programming "
            "HOWTO\\fR into calls. Each lesson, and the call that keeps it:"]
    for lesson, call in OVERVIEW_LESSONS:
        out += [".TP", roff_escape(lesson), roff_escape(call)]
    out += [".SH CONVENTIONS"] + roff_blocks(blocks_of(conventions(preamble), "overview"), functions)
    out += [".SH TIMEOUTS"] + roff_blocks([("p", t) for t in TIMEOUTS], functions)
    out += [".SH ERRORS"] + roff_blocks([("p", t) for t in ERROR_MODEL], functions)
    for e in errors:
        value = e.decl.split()[2]
        out += [".TP", "\\fB%s\\fR (%s)" % (e.name, roff_escape(value)),
                roff_inline(" ".join(e.doc), functions)]
    out += [".SH CONSTANTS"]
    for d in other:
        out += [".TP", "\\fB%s\\fR" % d.name, roff_inline(" ".join(d.doc), functions)]
    out += [".SH TYPES"]
    for t in types:
        out += [".TP", "\\fB%s\\fR" % t.name, roff_inline(" ".join(t.doc), functions)]
        for decl, fdoc in getattr(t, "fields", []):
            out += [".RS", ".TP", "\\fB%s\\fR" % roff_escape(decl),
                    roff_inline(" ".join(fdoc), functions), ".RE"]
    out += [".SH FUNCTIONS", "Each has its own page."]
    for f in funcs:
        out += [".TP", "\\fB%s\\fR(3)" % f.name, roff_escape(first_sentence(f.doc))]
    out += [".SH SEE ALSO",
            "The header \\fIsockhelp.h\\fR (the same text, next to each declaration); "
            "the HTML reference in \\fIshare/doc/sockhelp/html\\fR."]
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------------------------------
# HTML

CSS = """body{font-family:sans-serif;max-width:52em;margin:2em auto;padding:0 1em;
line-height:1.45;color:#222}code,pre{font-family:monospace;font-size:0.95em}
pre{background:#f4f4f4;padding:0.6em 0.8em;overflow-x:auto}h1 code{font-size:1em}
dt{font-weight:bold;margin-top:0.6em}table{border-collapse:collapse}
td,th{border:1px solid #ccc;padding:0.25em 0.5em;vertical-align:top;text-align:left}"""


# Names with an anchor in index.html (constants, codes, types): filled by main().
ANCHORS = set()


def html_inline(text, functions, here=None):
    parts = re.split(r"(`[^`]*`)", text)
    out = []
    for p in parts:
        if p.startswith("`") and p.endswith("`") and len(p) >= 2:
            code = p[1:-1]
            esc = html.escape(code)
            if code in functions and code != here:
                out.append('<a href="%s.html"><code>%s</code></a>' % (code, esc))
            elif code in ANCHORS:
                out.append('<a href="index.html#%s"><code>%s</code></a>' % (code, esc))
            else:
                out.append("<code>%s</code>" % esc)
        else:
            out.append(html.escape(p))
    return "".join(out)


def html_blocks(blocks, functions, here=None):
    out = []
    for kind, content in blocks:
        if kind == "p":
            out.append("<p>%s</p>" % html_inline(content, functions, here))
        elif kind == "ul":
            out.append("<ul>")
            out += ["<li>%s</li>" % html_inline(it, functions, here) for it in content]
            out.append("</ul>")
        elif kind == "pre":
            out.append("<pre>%s</pre>" % html.escape("\n".join(content)))
    return out


def html_page(title, body):
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<title>%s</title>\n<style>%s</style>\n</head>\n<body>\n%s\n</body>\n</html>\n"
        % (html.escape(title), CSS, "\n".join(body))
    )


def html_function(item, version, functions):
    blocks = blocks_of(item.doc, item.name)
    desc, ret = split_returns(blocks)
    body = ['<p><a href="index.html">sockhelp %s</a></p>' % html.escape(version),
            "<h1><code>%s</code></h1>" % item.name,
            "<p>%s</p>" % html.escape(first_sentence(item.doc)),
            "<h2>Synopsis</h2>",
            "<pre>#include &lt;sockhelp.h&gt;\n\n%s</pre>"
            % html.escape("\n".join(synopsis_decl(item.decl))),
            "<h2>Description</h2>"]
    body += html_blocks(desc, functions, item.name)
    if ret:
        body += ["<h2>Return value</h2>"] + html_blocks(ret, functions, item.name)
    refs = [r for r in referenced_functions(item.doc, functions) if r != item.name]
    if refs:
        body += ["<h2>See also</h2>", "<p>%s</p>" % ", ".join(
            '<a href="%s.html"><code>%s</code></a>' % (r, r) for r in refs)]
    return html_page("%s (sockhelp %s)" % (item.name, version), body)


def html_overview(preamble, items, version, functions):
    errors, types, funcs, other = overview_model(preamble, items, version)
    body = ["<h1>sockhelp %s</h1>" % html.escape(version),
            "<p>TCP sockets that are hard to misuse from C. <code>#include &lt;sockhelp.h&gt;"
            "</code>; link with <code>pkg-config --libs sockhelp</code> (static: "
            "<code>pkg-config --static --libs sockhelp-static</code>), or CMake's "
            "<code>find_package(sockhelp)</code>.</p>",
            "<h2>The HOWTO's lessons</h2>", "<table>",
            "<tr><th>the lesson</th><th>sockhelp</th></tr>"]
    for lesson, call in OVERVIEW_LESSONS:
        body.append("<tr><td>%s</td><td>%s</td></tr>" % (html.escape(lesson), html.escape(call)))
    body += ["</table>", "<h2>Conventions</h2>"]
    body += html_blocks(blocks_of(conventions(preamble), "overview"), functions)
    body += ["<h2>Timeouts</h2>"] + ["<p>%s</p>" % html.escape(t) for t in TIMEOUTS]
    body += ["<h2>Errors</h2>"] + ["<p>%s</p>" % html.escape(t) for t in ERROR_MODEL]
    body.append("<dl>")
    for e in errors:
        body += ['<dt id="%s"><code>%s</code> (%s)</dt>' % (e.name, e.name, html.escape(e.decl.split()[2])),
                 "<dd>%s</dd>" % html_inline(" ".join(e.doc), functions)]
    body += ["</dl>", "<h2>Constants</h2>", "<dl>"]
    for d in other:
        body += ['<dt id="%s"><code>%s</code></dt>' % (d.name, d.name),
                 "<dd>%s</dd>" % html_inline(" ".join(d.doc), functions)]
    body += ["</dl>", "<h2>Types</h2>", "<dl>"]
    for t in types:
        body += ['<dt id="%s"><code>%s</code></dt>' % (t.name, t.name),
                 "<dd>%s" % html_inline(" ".join(t.doc), functions)]
        fields = getattr(t, "fields", [])
        if fields:
            body.append("<ul>")
            for decl, fdoc in fields:
                body.append("<li><code>%s</code> %s</li>" % (html.escape(decl), html_inline(" ".join(fdoc), functions)))
            body.append("</ul>")
        body.append("</dd>")
    body += ["</dl>", "<h2>Functions</h2>", "<dl>"]
    for f in funcs:
        body += ['<dt><a href="%s.html"><code>%s</code></a></dt>' % (f.name, f.name),
                 "<dd>%s</dd>" % html.escape(first_sentence(f.doc))]
    body.append("</dl>")
    return html_page("sockhelp %s reference" % version, body)


# ---------------------------------------------------------------------------------------


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = "%s.tmp%d" % (path, os.getpid())
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--header", default=os.path.join(root, "include", "sockhelp.h"))
    ap.add_argument("--out", default=os.path.join(root, "target", "docs"))
    args = ap.parse_args()

    preamble, items = parse_header(args.header)
    macros = {it.name: it for it in items if it.kind == "define"}
    version = "%s.%s.%s" % tuple(
        macros[m].decl.split()[2] if m in macros else "?"
        for m in ("SOCKHELP_VERSION_MAJOR", "SOCKHELP_VERSION_MINOR", "SOCKHELP_VERSION_PATCH"))
    functions = {it.name: it for it in items if it.kind == "function"}
    ANCHORS.update(it.name for it in items if it.kind != "function")
    if not functions:
        warn("%s declares no sockhelp_* function" % args.header)
    with open(args.header, encoding="utf-8") as f:
        header_text = f.read()
    known = set(re.findall(r"\b(?:sockhelp|SOCKHELP)_[A-Za-z0-9_]+\b", header_text))
    # Names in backticks must be real; doc comments of every item are checked.
    for it in items:
        for l in blocks_of(it.doc, it.name):
            texts = [l[1]] if l[0] == "p" else (l[1] if l[0] == "ul" else [])
            for t in texts:
                check_inline(t, "%s (line %d)" % (it.name, it.line), known)
        if it.kind == "function" and not it.doc:
            continue

    man3 = os.path.join(args.out, "man", "man3")
    htmldir = os.path.join(args.out, "html")
    written = set()
    for path, text in [(os.path.join(man3, "sockhelp.3"),
                        man_overview(preamble, items, version, functions)),
                       (os.path.join(htmldir, "index.html"),
                        html_overview(preamble, items, version, functions))]:
        write(path, text)
        written.add(path)
    for name, it in sorted(functions.items()):
        for path, text in [(os.path.join(man3, name + ".3"), man_function(it, version, functions)),
                           (os.path.join(htmldir, name + ".html"),
                            html_function(it, version, functions))]:
            write(path, text)
            written.add(path)
    # Pages of functions that no longer exist must not linger. Each page is replaced
    # atomically and only stale ones are removed, so a concurrent reader (an install
    # copying the pages) never sees a page missing.
    for d, ext in ((man3, ".3"), (htmldir, ".html")):
        for n in os.listdir(d):
            path = os.path.join(d, n)
            if n.endswith(ext) and path not in written:
                os.remove(path)
    print("gen-docs: %d functions: %s/man/man3 (%d pages), %s/index.html"
          % (len(functions), args.out, len(functions) + 1, htmldir))
    if WARNINGS:
        sys.stderr.write("gen-docs: %d warning(s)\n" % len(WARNINGS))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
