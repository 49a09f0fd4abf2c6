#!/usr/bin/env python3
"""Outside oracle for Herald's review page: parses index.html with Python's html.parser and
reports what a browser would build from it.

  check_review_page.py INDEX_HTML

Prints one JSON object: the start tags seen (names, counted), the texts of every <mark> in
order, the number of <article class="letter">, the hrefs, and whether any element or
attribute could run script (a <script>, an on* attribute, a javascript: URL) or load an
external asset (src=, <link>, an http(s) URL).
"""
import json
import sys
from html.parser import HTMLParser


class Page(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags = {}
        self.marks = []
        self.in_mark = 0
        self.letters = 0
        self.hrefs = []
        self.active = []

    def handle_starttag(self, tag, attrs):
        self.tags[tag] = self.tags.get(tag, 0) + 1
        for name, value in attrs:
            value = value or ""
            if name.startswith("on") or value.strip().lower().startswith("javascript:"):
                self.active.append("%s %s=%r" % (tag, name, value))
            if name == "src" or (name == "href" and value.startswith(("http:", "https:", "//"))):
                self.active.append("%s %s=%r" % (tag, name, value))
            if name == "href":
                self.hrefs.append(value)
        if tag in ("script", "link", "iframe", "object", "embed", "img"):
            self.active.append(tag)
        if tag == "article" and ("class", "letter") in attrs:
            self.letters += 1
        if tag == "mark":
            self.in_mark += 1
            self.marks.append("")

    def handle_endtag(self, tag):
        if tag == "mark":
            self.in_mark -= 1

    def handle_data(self, data):
        if self.in_mark:
            self.marks[-1] += data


def main():
    with open(sys.argv[1], encoding="utf-8") as handle:
        page = Page()
        page.feed(handle.read())
        page.close()
    print(json.dumps({"tags": page.tags, "marks": page.marks, "letters": page.letters,
                      "hrefs": page.hrefs, "active": page.active}))


if __name__ == "__main__":
    main()
