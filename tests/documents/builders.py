"""Files the document tests build: ordinary ones of every accepted kind, ones
carrying identifying metadata, and hostile ones. Everything is made here,
in the test, from the libraries that read these formats (no stored binaries)."""

from __future__ import annotations

import contextlib
import io
import re
import struct
import zipfile
import zlib

from documents.generate import make_docx, make_pdf

NAME = "Jane Identifiable"
ORGANISATION = "Acme Housing Trust"
CHANGE_AUTHOR = "J. Identifiable"
# Every string that identifies, as it may appear in a file (the initials too).
IDENTIFYING = (NAME, ORGANISATION, CHANGE_AUTHOR, "Identifiable", "Acme", "jane@acme.example", "JIdent")
BODY = "Outreach workers met young people at the station every Friday evening"


def rezip(content: bytes, changes: dict[str, bytes | None], *, add: dict[str, bytes] | None = None) -> bytes:
    """A copy of a zip archive with some entries replaced (None: removed) or added."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = changes.get(info.filename, source.read(info))
            if data is not None:
                target.writestr(info.filename, data, compress_type=info.compress_type)
        for name, data in (add or {}).items():
            target.writestr(name, data)
    return out.getvalue()


def plain_pdf(text: str = BODY) -> bytes:
    return make_pdf([text, "Second page"])


def plain_docx(text: str = BODY) -> bytes:
    return make_docx([text], table=[["Measure", "Result"], ["Referrals", "up 34%"]])


def plain_pptx(text: str = BODY) -> bytes:
    import pptx

    deck = pptx.Presentation()
    slide = deck.slides.add_slide(deck.slide_layouts[1])
    slide.shapes.title.text = "Findings"
    slide.placeholders[1].text = text
    deck.core_properties.author = ""
    deck.core_properties.last_modified_by = ""
    out = io.BytesIO()
    deck.save(out)
    return out.getvalue()


def plain_xlsx(text: str = BODY) -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Measure", "Notes"])
    sheet.append(["Referrals", text])
    book.properties.creator = ""
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


ODF_MANIFEST = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
    b'<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.text"/>'
    b'<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
    b'<manifest:file-entry manifest:full-path="meta.xml" manifest:media-type="text/xml"/>'
    b"%s</manifest:manifest>"
)
ODF_NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/" '
    'xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0" '
    'xmlns:xlink="http://www.w3.org/1999/xlink" office:version="1.2"'
)


def make_odt(
    text: str = BODY, *, author: str | None = None, mimetype: bytes = b"application/vnd.oasis.opendocument.text"
) -> bytes:
    """An OpenDocument text, by hand (no library writes ODT); with `author`, it
    is in meta.xml, in a tracked change and in an annotation."""
    change = annotation = meta = ""
    if author:
        change = (
            '<text:tracked-changes><text:changed-region text:id="ct1"><text:insertion><office:change-info>'
            f"<dc:creator>{author}</dc:creator><dc:date>2026-01-01T10:00:00</dc:date></office:change-info>"
            "</text:insertion></text:changed-region></text:tracked-changes>"
        )
        annotation = (
            f"<office:annotation><dc:creator>{author}</dc:creator><text:p>Check this</text:p></office:annotation>"
        )
        meta = (
            f"<meta:initial-creator>{author}</meta:initial-creator><dc:creator>{author}</dc:creator>"
            f"<dc:title>{ORGANISATION} report</dc:title><dc:description>By {author}</dc:description>"
            f'<meta:user-defined meta:name="Client">{ORGANISATION}</meta:user-defined>'
            '<meta:template xlink:href="file:///C:/Users/JIdent/Acme.ott" xlink:type="simple"/>'
        )
    content = (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {ODF_NS}><office:body><office:text>'
        f"{change}<text:p>{annotation}{text}</text:p><text:p>Second paragraph</text:p>"
        "</office:text></office:body></office:document-content>"
    )
    meta_xml = (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-meta {ODF_NS}><office:meta>'
        f"<meta:generator>Synthetic</meta:generator>{meta}<meta:creation-date>2026-01-01T10:00:00</meta:creation-date>"
        "</office:meta></office:document-meta>"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("mimetype", mimetype, compress_type=zipfile.ZIP_STORED)
        archive.writestr("content.xml", content, compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr("meta.xml", meta_xml, compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr("META-INF/manifest.xml", ODF_MANIFEST % b"", compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def make_png(*, text_chunk: bytes | None = None) -> bytes:
    from PIL import Image, PngImagePlugin

    info = PngImagePlugin.PngInfo()
    if text_chunk:
        info.add_text("Author", text_chunk.decode())
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(out, "PNG", pnginfo=info)
    return out.getvalue()


def make_jpeg(*, comment: bytes | None = None) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    image = Image.new("RGB", (40, 30), (30, 30, 200))
    image.save(out, "JPEG", **({"comment": comment} if comment else {}))
    return out.getvalue()


# --- Identifying metadata ------------------------------------------------------


def identifying_pdf() -> bytes:
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import ContentStream, NameObject

    base = make_pdf(
        [BODY, "Second page"],
        info={
            "Author": NAME,
            "Creator": f"Word for {ORGANISATION}",
            "Producer": f"{ORGANISATION} PDF maker",
            "Title": f"{ORGANISATION} outreach",
            "Subject": f"Report by {CHANGE_AUTHOR}",
            "Keywords": "JIdent, Acme",
        },
    )
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(base)))
    writer.add_metadata({"/Author": NAME})
    xmp = (
        '<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/">'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:pdf="http://ns.adobe.com/pdf/1.3/">'
        f"<dc:creator><rdf:Seq><rdf:li>{NAME}</rdf:li></rdf:Seq></dc:creator><pdf:Producer>{ORGANISATION}</pdf:Producer>"
        '</rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
    ).encode()
    writer.xmp_metadata = xmp
    # A page's own XMP as well, compressed, so that only a decompressing search finds it.
    page_xmp = ContentStream(None, None)
    page_xmp.set_data(xmp)
    page_xmp = page_xmp.flate_encode()
    writer.pages[0][NameObject("/Metadata")] = writer._add_object(page_xmp)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _ooxml_app_and_custom(content: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        app = archive.read("docProps/app.xml").decode()
        types = archive.read("[Content_Types].xml").decode()
        rels = archive.read("_rels/.rels").decode()
    extra = (
        f"<Company>{ORGANISATION}</Company><Manager>{NAME}</Manager>"
        "<Template>C:\\Users\\JIdent\\Templates\\Acme.dotx</Template>"
    )
    app = re.sub(r"</Properties>\s*$", lambda _: extra + "</Properties>", app)
    custom = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties" '
        'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
        '<property fmtid="{D5CDD505-2E9C-101B-9397-08002B2CF9AE}" pid="2" name="Client">'
        f"<vt:lpwstr>{ORGANISATION}</vt:lpwstr></property>"
        '<property fmtid="{D5CDD505-2E9C-101B-9397-08002B2CF9AE}" pid="3" name="Email">'
        "<vt:lpwstr>jane@acme.example</vt:lpwstr></property></Properties>"
    )
    types = types.replace(
        "</Types>",
        '<Override PartName="/docProps/custom.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.custom-properties+xml"/></Types>',
    )
    rels = rels.replace(
        "</Relationships>",
        '<Relationship Id="rIdCustom" '
        'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/custom-properties" '
        'Target="docProps/custom.xml"/></Relationships>',
    )
    changes = {"docProps/app.xml": app.encode(), "[Content_Types].xml": types.encode(), "_rels/.rels": rels.encode()}
    return rezip(content, changes, add={"docProps/custom.xml": custom.encode()})


def identifying_docx() -> bytes:
    """Core and app properties, custom properties, a comment and a tracked change, all naming someone."""
    import docx
    from docx.oxml import parse_xml

    document = docx.Document()
    props = document.core_properties
    props.author, props.last_modified_by = NAME, CHANGE_AUTHOR
    props.comments, props.title, props.keywords = f"Draft for {ORGANISATION}", f"{ORGANISATION} report", "JIdent"
    paragraph = document.add_paragraph(BODY)
    document.add_comment(paragraph.runs, text="Please check", author=NAME, initials="JIdent")
    inserted = parse_xml(
        '<w:ins xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" w:id="91" '
        f'w:author="{CHANGE_AUTHOR}" w:date="2026-01-01T10:00:00Z"><w:r><w:t> and on Saturdays</w:t></w:r></w:ins>'
    )
    paragraph._p.append(inserted)
    out = io.BytesIO()
    document.save(out)
    return _ooxml_app_and_custom(out.getvalue())


def identifying_pptx() -> bytes:
    import pptx

    deck = pptx.Presentation()
    slide = deck.slides.add_slide(deck.slide_layouts[1])
    slide.shapes.title.text = "Findings"
    slide.placeholders[1].text = BODY
    deck.core_properties.author = NAME
    deck.core_properties.last_modified_by = CHANGE_AUTHOR
    out = io.BytesIO()
    deck.save(out)
    authors = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><p:cmAuthorLst '
        'xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main">'
        f'<p:cmAuthor id="0" name="{NAME}" initials="JIdent" lastIdx="1" clrIdx="0"/></p:cmAuthorLst>'
    )
    return _ooxml_app_and_custom(rezip(out.getvalue(), {}, add={"ppt/commentAuthors.xml": authors.encode()}))


def identifying_xlsx() -> bytes:
    import openpyxl
    from openpyxl.comments import Comment

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Measure", "Notes"])
    sheet.append(["Referrals", BODY])
    sheet["B2"].comment = Comment("Please check", NAME)
    book.properties.creator = NAME
    book.properties.lastModifiedBy = CHANGE_AUTHOR
    out = io.BytesIO()
    book.save(out)
    return _ooxml_app_and_custom(out.getvalue())


def identifying_odt() -> bytes:
    return make_odt(author=NAME)


def every_text(content: bytes) -> str:
    """Everything a search of the file could find: its bytes, every zip entry
    unpacked (and unpacked again when it is itself compressed), every PDF
    stream decompressed; as one lower-case text."""
    pieces = [content]
    if content.startswith(b"PK"):
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            pieces += [archive.read(info) for info in archive.infolist()]
    for match in re.finditer(rb"stream\r?\n(.*?)endstream", content, re.DOTALL):
        with contextlib.suppress(zlib.error):
            pieces.append(zlib.decompress(match.group(1)))
    return "\n".join(p.decode("latin-1") for p in pieces).lower()


# --- Hostile files ---------------------------------------------------------------


def zip_bomb(n_bytes: int = 64 * 1024 * 1024, *, declared: int | None = None) -> bytes:
    """A DOCX-looking archive whose one big part unpacks to `n_bytes` of zeros;
    with `declared`, its listing lies about that part's size."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr(
            "[Content_Types].xml", b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>'
        )
        archive.writestr("word/document.xml", b"<w/>")
        with archive.open("word/media/zeros.bin", "w", force_zip64=True) as part:
            chunk = b"\x00" * (1024 * 1024)
            for _ in range(n_bytes // len(chunk)):
                part.write(chunk)
    data = out.getvalue()
    if declared is None:
        return data
    return _lie_about_size(data, "word/media/zeros.bin", declared)


def _lie_about_size(data: bytes, name: str, declared: int) -> bytes:
    """Rewrite the central directory's uncompressed size of one entry."""
    encoded = name.encode()
    at = data.find(b"PK\x01\x02" + b"\x00" * 0)
    while at != -1:
        name_len = struct.unpack("<H", data[at + 28 : at + 30])[0]
        if data[at + 46 : at + 46 + name_len] == encoded:
            size = struct.unpack("<I", data[at + 24 : at + 28])[0]
            if size != 0xFFFFFFFF:
                return data[: at + 24] + struct.pack("<I", declared) + data[at + 28 :]
        at = data.find(b"PK\x01\x02", at + 4)
    raise AssertionError("entry not found")


def ole_file(*streams: str) -> bytes:
    """The start of an OLE compound file whose directory names these streams (UTF-16),
    as Office writes them: enough for the sniffer, which reads no further."""
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
    directory = b"".join(name.encode("utf-16-le").ljust(64, b"\x00") + b"\x00" * 64 for name in streams)
    return header + directory.ljust(512, b"\x00")


def scripted_pdf() -> bytes:
    """A PDF that runs things: a document-level script, an open action, an attached
    program, a page action, a link that launches a program; and an ordinary web link."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import ArrayObject, DictionaryObject, NameObject, NumberObject, TextStringObject

    def dictionary(**entries: object) -> DictionaryObject:
        return DictionaryObject({NameObject(f"/{k}"): v for k, v in entries.items()})

    def link(action: DictionaryObject) -> DictionaryObject:
        return dictionary(
            Type=NameObject("/Annot"), Subtype=NameObject("/Link"), Rect=ArrayObject([NumberObject(0)] * 4), A=action
        )

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf([BODY]))))
    script = dictionary(S=NameObject("/JavaScript"), JS=TextStringObject("app.alert('document')"))
    names = dictionary(Names=ArrayObject([TextStringObject("x"), writer._add_object(script)]))
    writer._root_object[NameObject("/Names")] = dictionary(JavaScript=writer._add_object(names))
    writer._root_object[NameObject("/OpenAction")] = dictionary(
        S=NameObject("/JavaScript"), JS=TextStringObject("app.alert('open')")
    )
    writer.add_attachment("payload.exe", b"MZpayload")
    page = writer.pages[0]
    page[NameObject("/AA")] = dictionary(
        O=dictionary(S=NameObject("/JavaScript"), JS=TextStringObject("app.alert('page')"))
    )
    launch = link(dictionary(S=NameObject("/Launch"), F=TextStringObject("calc.exe")))
    web = link(dictionary(S=NameObject("/URI"), URI=TextStringObject("https://example.org/report")))
    page[NameObject("/Annots")] = ArrayObject([writer._add_object(launch), writer._add_object(web)])
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def form_bomb_pdf(fan: int, depth: int, *, in_annotation: bool = False, escaped_name: bool = False) -> bytes:
    """A one-page PDF whose page draws a form that draws the next `fan` times, `depth` deep
    (fan ** depth drawings from a file of a few KB), from its content or from an annotation's
    appearance. `escaped_name`: the forms are drawn as /X#41 (the name XA spelt with an escape)."""
    key, drawn = (b"/XA", b"/X#41") if escaped_name else (b"/X", b"/X")
    first = 5
    objects = {
        1: b"<< /Type /Catalog /Pages 2 0 R >>",
        2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    }
    page_content = b"BT /F1 12 Tf 72 720 Td (Page text) Tj ET" + (b"" if in_annotation else b" q " + drawn + b" Do Q")
    font = first + depth + (1 if in_annotation else 0)
    resources = b"<< /Font << /F1 %d 0 R >> /XObject << %s %d 0 R >> >>" % (font, key, first)
    annots = b""
    if in_annotation:
        appearance = first + depth
        annots = b" /Annots [<< /Type /Annot /Subtype /Square /Rect [0 0 612 792] /AP << /N %d 0 R >> >>]" % appearance
        ap = b"q " + drawn + b" Do Q"
        objects[appearance] = (
            b"<< /Type /XObject /Subtype /Form /BBox [0 0 612 792] /Resources %s /Length %d >>\nstream\n%s\nendstream"
            % (
                resources,
                len(ap),
                ap,
            )
        )
    objects[3] = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources %s%s >>" % (
        resources,
        annots,
    )
    objects[4] = b"<< /Length %d >>\nstream\n%s\nendstream" % (len(page_content), page_content)
    for level in range(depth):
        if level == depth - 1:
            body, inner = b"0 0 1 1 re f", b"<< >>"
        else:
            body = b" ".join([b"q " + drawn + b" Do Q"] * fan)
            inner = b"<< /XObject << %s %d 0 R >> >>" % (key, first + level + 1)
        objects[first + level] = (
            b"<< /Type /XObject /Subtype /Form /BBox [0 0 612 792] /Resources %s /Length %d >>\nstream\n%s\nendstream"
            % (inner, len(body), body)
        )
    objects[font] = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = {}
    for number in sorted(objects):
        offsets[number] = out.tell()
        out.write(b"%d 0 obj\n%s\nendobj\n" % (number, objects[number]))
    xref, size = out.tell(), max(objects) + 1
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % size)
    for number in range(1, size):
        out.write(b"%010d 00000 n \n" % offsets[number])
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (size, xref))
    return out.getvalue()


def plain_png(width: int, height: int) -> bytes:
    """A black RGB PNG of any size, written row by row (a 5,000 x 5,000 one is about 75 KB, made
    without holding its pixels)."""
    squeeze = zlib.compressobj(9)
    row = b"\x00" + b"\x00" * (3 * width)  # filter byte, then the pixels
    data = b"".join(squeeze.compress(row) for _ in range(height)) + squeeze.flush()

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")


def dense_pdf(content_bytes: int) -> bytes:
    """A one-page PDF whose content is `content_bytes` of small filled rectangles, compressed
    (8 MB of them is about 16 KB of file)."""
    op = b"0 0 1 1 re f\n"
    squeeze = zlib.compressobj(9)
    block = op * 10_000
    data = b"".join(squeeze.compress(block) for _ in range(content_bytes // len(block) + 1)) + squeeze.flush()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(data) + data + b"\nendstream",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    out.write(b"".join(b"%010d 00000 n \n" % offset for offset in offsets))
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()
