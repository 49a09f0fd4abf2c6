#!/usr/bin/env python3
"""Writes a synthetic campaign for benchmarking Herald against Python's mailmerge.

    python3 Benchmarks/make_campaign.py --rows 20000 --out bench/campaign [--port 2525] [--concurrency 1 4]

DIR/ gets:
  recipients.csv       ROWS recipients with the real campaign's columns, names with accents
  letter.mustache      a copy of Templates/eu-china-dialogue-1999.mustache
  campaign.toml        pointing at both, url = "smtp://127.0.0.1:PORT" (PORT 9 by default: nothing
                       listens there, and validate and preview never connect), log delivery.jsonl
  campaign-cN.toml     for each --concurrency N: the same with `[limits] concurrency = N` and its
                       own log, delivery-cN.jsonl (what `make bench` sends to smtp-sink with)
  mailmerge/           the same letter for `mailmerge` (Jinja2), the same CSV, a server config
                       for 127.0.0.1:PORT without TLS or login

The rows are pseudo-random with a fixed seed: the same ROWS always gives the same files, and a
smaller ROWS gives the first rows of a larger one.
"""
import argparse
import csv
import glob
import re
import os
import random
import shutil
import unicodedata

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
TEMPLATE = os.path.join(ROOT, "Templates", "eu-china-dialogue-1999.mustache")

FIRST = [
    "Wolfgang", "Erik", "Niels", "Tarja", "Hubert", "Joschka", "Theodoros", "David", "Lamberto", "Jacques",
    "Jozias", "Jaime", "Abel", "Robin", "Anna", "Søren", "Åsa", "Björn", "Zoë", "Chloé", "Renée", "José",
    "François", "Mårten", "Jürgen", "Grégoire", "Íñigo", "Seán", "Siobhán", "Pádraig", "Małgorzata",
    "Łukasz", "Radek", "Zdeněk", "Žofia", "Ştefan", "Ioana", "Ελένη", "Γιώργος", "Ólafur", "Þóra",
    "Ana", "João", "Conceição", "Mélanie", "Maëlle", "Noël", "Ruairí", "Kristiina", "Päivi",
]
LAST = [
    "Schüssel", "Derycke", "Helveg Petersen", "Halonen", "Védrine", "Fischer", "Pangalos", "Andrews", "Dini",
    "Poos", "van Aartsen", "Gama", "Matutes", "Cook", "Lindh", "Müller", "Ødegård", "Østergaard", "Løkke",
    "Ó Briain", "Mac Giolla Phádraig", "Brontë", "García Márquez", "Muñoz", "Peña", "Nuñez", "Gonçalves",
    "Fernández de Córdoba", "Wałęsa", "Kováč", "Novák", "Dvořáková", "Ďurišová-Kráľová", "Čapek", "Ionescu",
    "Παπαδόπουλος", "Grímsson", "Sigurðardóttir", "Lefèvre", "D'Hondt", "O'Brien", "Häkkinen", "Straße",
    "de la Tour d'Auvergne", "Châtelet", "Ångström", "Nyström", "Kjærgaard", "Œhlenschläger", "Zürcher",
]
TITLES = [
    "Minister of Foreign Affairs", "Minister for Foreign Affairs", "Secretary of State for Foreign Affairs",
    "Vice-Chancellor and Federal Minister for Foreign Affairs", "Deputy Prime Minister and Minister for Foreign Affairs",
    "Director, Human Rights Department", "Head of the Asia Desk", "Ambassador for Human Rights",
]
# country, ministry, city
STATES = [
    ("Austria", "Federal Ministry for Foreign Affairs", "Vienna"),
    ("Belgium", "Ministry of Foreign Affairs", "Brussels"),
    ("Denmark", "Ministry of Foreign Affairs", "Copenhagen"),
    ("Finland", "Ministry for Foreign Affairs", "Helsinki"),
    ("France", "Ministère des Affaires étrangères", "Paris"),
    ("Germany", "Auswärtiges Amt", "Bonn"),
    ("Greece", "Ministry of Foreign Affairs", "Athens"),
    ("Ireland", "Department of Foreign Affairs", "Dublin"),
    ("Italy", "Ministero degli Affari Esteri", "Rome"),
    ("Luxembourg", "Ministère des Affaires étrangères", "Luxembourg"),
    ("the Netherlands", "Ministerie van Buitenlandse Zaken", "The Hague"),
    ("Portugal", "Ministério dos Negócios Estrangeiros", "Lisbon"),
    ("Spain", "Ministerio de Asuntos Exteriores", "Madrid"),
    ("Sweden", "Utrikesdepartementet", "Stockholm"),
    ("the United Kingdom", "Foreign and Commonwealth Office", "London"),
]
ASCII_FOLD = str.maketrans({
    "ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "ø": "oe", "å": "aa", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d",
    "ð": "d", "þ": "th", "'": "", " ": "-",
})


def local_part(first, last, index):
    raw = f"{first}.{last}".lower().translate(ASCII_FOLD)
    folded = unicodedata.normalize("NFKD", raw).encode("ascii", "ignore").decode("ascii")
    folded = "".join(c for c in folded if c.isalnum() or c in ".-")
    folded = re.sub(r"[.-]{2,}", ".", folded).strip(".-") or "recipient"
    return f"{folded}.{index}"


def rows(count):
    rng = random.Random(1999)
    for index in range(count):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        country, ministry, city = rng.choice(STATES)
        honorific = rng.choice(["Mr", "Ms", "Dr", "Minister"])
        domain = country.replace("the ", "").lower().replace(" ", "-") + ".example"
        yield {
            "email": f"{local_part(first, last, index)}@{domain}",
            "name": f"{first} {last}",
            "title": rng.choice(TITLES),
            "salutation": f"Dear {honorific} {last}",
            "country": country,
            "ministry": ministry,
            "city": city,
            "capital": city,
            "presidency": "true" if country == "Germany" else "false",
        }


def mailmerge_template(mustache):
    """The same letter in mailmerge's Jinja2: the standalone section lines become {% if %} / {% endif %}."""
    text = mustache.replace("{{#presidency}}\n", '{% if presidency == "true" %}')
    return text.replace("{{/presidency}}\n", "{% endif %}")


def campaign_file(rows, port, log, concurrency=None):
    """The campaign's TOML: the letter, the list, the log, the server, and `[limits]` if given."""
    text = (
        "# Generated by Benchmarks/make_campaign.py: "
        f"{rows} recipients for `herald` benchmarks.\n"
        'name = "bench-eu-china-dialogue-1999"\n'
        'template = "letter.mustache"\n'
        'recipients = ["recipients.csv"]\n'
        f'log = "{log}"\n'
        "\n[smtp]\n"
        f'url = "smtp://127.0.0.1:{port}"\n'
    )
    if concurrency is not None:
        text += f"\n[limits]\nconcurrency = {concurrency}\n"
    return text


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=20000)
    parser.add_argument("--out", required=True)
    parser.add_argument("--port", type=int, default=9, help="the SMTP server's loopback port (default 9: nothing listens)")
    parser.add_argument("--concurrency", type=int, nargs="*", default=[], metavar="N",
                        help="also write campaign-cN.toml with [limits] concurrency = N, for each N")
    args = parser.parse_args()

    out = os.path.abspath(args.out)
    merge = os.path.join(out, "mailmerge")
    os.makedirs(merge, exist_ok=True)
    fields = ["email", "name", "title", "salutation", "country", "ministry", "city", "capital", "presidency"]
    csv_path = os.path.join(out, "recipients.csv")
    with open(csv_path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows(args.rows))
    shutil.copyfile(TEMPLATE, os.path.join(out, "letter.mustache"))
    campaigns = [("campaign.toml", "delivery.jsonl", None)]
    campaigns += [(f"campaign-c{n}.toml", f"delivery-c{n}.jsonl", n) for n in args.concurrency]
    for name, log, concurrency in campaigns:
        # A log left by an earlier run would make `herald send` skip the letters it records.
        for stale in glob.glob(os.path.join(out, glob.escape(log) + "*")):
            os.remove(stale)
        with open(os.path.join(out, name), "w", encoding="utf-8") as handle:
            handle.write(campaign_file(args.rows, args.port, log, concurrency))

    with open(TEMPLATE, encoding="utf-8") as handle:
        mustache = handle.read()
    with open(os.path.join(merge, "mailmerge_template.txt"), "w", encoding="utf-8") as handle:
        handle.write(mailmerge_template(mustache))
    shutil.copyfile(csv_path, os.path.join(merge, "mailmerge_database.csv"))
    with open(os.path.join(merge, "mailmerge_server.conf"), "w", encoding="utf-8") as handle:
        # No `security` key: mailmerge then speaks plain SMTP without TLS or login.
        handle.write(f"[smtp_server]\nhost = 127.0.0.1\nport = {args.port}\nratelimit = 0\n")
    print(f"wrote {args.rows} recipients to {out}")


if __name__ == "__main__":
    main()
