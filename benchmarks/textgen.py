"""Deterministic generated news text for the synthetic benchmark corpus.

Everything is drawn from a caller-supplied ``random.Random``, so one seed gives the same
headlines and paragraphs on every machine. Standard library only.
"""
from __future__ import annotations

import random
import re

PEOPLE = (
    "Ilham Aliyev", "Kassym-Jomart Tokayev", "Mikayil Jabbarov", "Parviz Shahbazov",
    "Jeyhun Bayramov", "Olaf Scholz", "Ursula von der Leyen", "Recep Tayyip Erdogan",
    "Shavkat Mirziyoyev", "Nikol Pashinyan", "Kadri Simson", "Fatih Birol", "Ali Asadov",
    "Samir Sharifov", "Elnur Soltanov", "Annalena Baerbock", "Hakan Fidan", "Ajay Banga",
)
TITLES = (
    "President", "Prime Minister", "Minister of Economy", "Minister of Energy",
    "Foreign Minister", "Deputy Minister", "Chairman of the Board", "Executive Director",
    "European Commissioner", "Ambassador",
)
COUNTRIES = (
    "Azerbaijan", "Kazakhstan", "Georgia", "Turkey", "Germany", "Uzbekistan", "Italy",
    "Hungary", "Romania", "Bulgaria", "Turkmenistan", "China", "Japan", "France", "Poland",
)
CITIES = (
    "Baku", "Astana", "Tbilisi", "Ankara", "Berlin", "Tashkent", "Rome", "Budapest",
    "Bucharest", "Sofia", "Ashgabat", "Beijing", "Tokyo", "Paris", "Warsaw", "Ganja",
    "Sumgait", "Shusha", "Aktau", "Istanbul",
)
ORGS = (
    "SOCAR", "the Asian Development Bank", "the European Investment Bank", "bp",
    "the Ministry of Economy", "the State Statistics Committee", "the Central Bank",
    "the Caspian Energy Council", "Azerenerji", "TotalEnergies", "Masdar", "ACWA Power",
    "the World Bank", "Ernst & Young", "the OSCE", "the Organization of Turkic States",
    "Azerbaijan Railways", "the Baku Stock Exchange", "the State Oil Fund",
)
TOPICS = (
    "green hydrogen", "renewable energy", "natural gas", "transport corridor",
    "digital transformation", "agriculture", "tourism", "water management", "education",
    "healthcare", "logistics", "electricity transmission", "cybersecurity", "trade",
    "investment", "small business", "mining", "petrochemicals", "railway", "aviation",
)
MONTHS = (
    "January", "February", "March", "April", "May", "June", "July", "August",
    "September", "October", "November", "December",
)
QUOTES = (
    "We are determined to bring this project to completion on schedule",
    "This agreement opens a new chapter in our cooperation",
    "The figures show that the reforms are working",
    "Our partners can rely on us as a stable and predictable supplier",
    "We expect the first results before the end of the year",
    "Dialogue remains the only way to solve the remaining issues",
    "The new rules will make life easier for thousands of entrepreneurs",
)

HEADLINES = (
    "{person} meets {org_cap} delegation in {city}",
    "{country} and {country2} sign memorandum on {topic}",
    "{org_cap} reports {pct} percent rise in {topic} revenue",
    "{city} to host international {topic} forum in {month}",
    "{title} {person} visits {city} for talks on {topic}",
    "{country} increases {topic} exports to {country2}",
    "New {topic} project worth ${money} million launched in {city}",
    "{org_cap} and {org2} agree to expand {topic} cooperation",
    "{country} parliament approves {topic} bill in second reading",
    "{count} companies join {topic} programme in {country}",
    "{person}: {country} ready to deepen {topic} ties with {country2}",
    "Inflation in {country} slows to {pct} percent in {month}",
)
SENTENCES = (
    "{title} {person} met representatives of {org} in {city} on {day} {month}.",
    "The sides discussed prospects for cooperation in {topic} and {topic2}.",
    "According to {org}, the volume of {topic} investment reached ${money} million"
    " in the first {count} months of the year.",
    "The figure is {pct} percent higher than in the same period last year.",
    "“{quote},” {person} said at the meeting.",
    "The agreement provides for the construction of {count} new facilities in {city} and {city2}.",
    "Experts from {country} and {country2} will prepare a joint road map by {month}.",
    "{org_cap} said the first stage of the {topic} project would be completed within {count} months.",
    "Trade turnover between {country} and {country2} amounted to ${money} million last year.",
    "The event was attended by more than {big} participants from {count} countries.",
    "Officials also touched upon issues of {topic}, {topic2} and regional security.",
    "The ministry noted that {pct} percent of the planned work had already been carried out.",
    "{person} stressed the importance of the {city} – {city2} corridor for regional {topic}.",
    "Earlier, {org} announced a tender for a ${money} million {topic} contract.",
    "The next round of talks is scheduled to take place in {city} in {month}.",
    "Representatives of {org} and {org2} signed the documents after the plenary session.",
    "Under the programme, around {big} people are expected to receive training in {topic}.",
    "The report, published on {day} {month}, also covers {topic} and {topic2}.",
    "In {month}, {country} exported {big} tonnes of goods related to {topic} to {country2}.",
    "The delegation also visited an industrial park near {city}, where {count} plants are under construction.",
    "{person} thanked the hosts for their hospitality and invited the delegation to {city}.",
    "Analysts at {org} expect demand for {topic} to grow by {pct} percent over the next {count} years.",
    "A working group on {topic} will meet every {count} weeks, the joint statement says.",
    "Last week, the government allocated ${money} million to modernise {topic} infrastructure in {city}.",
    "The memorandum was signed by {title} {person} and the head of {org}.",
    "During the visit, the parties exchanged views on the situation in the South Caucasus.",
    "Construction of the {city} – {city2} line is expected to cost around ${money} million.",
    "“{quote},” the {title} told reporters after the talks in {city}.",
    "So far, {big} applications have been submitted under the {topic} support scheme.",
    "The tender documents can be obtained from {org} until {day} {month}.",
    "The project is financed jointly by {org} and {org2}, with a total budget of ${money} million.",
    "Participants adopted a final declaration calling for closer cooperation on {topic}.",
    "{country} is currently among the top {count} countries in the region in terms of {topic} output.",
    "The session ended with a press conference at the {city} Congress Centre.",
    "Earlier this year, {country} and {country2} launched a direct flight between {city} and {city2}.",
    "The statistics committee attributes the change mainly to higher prices for {topic}.",
    "According to preliminary estimates, the programme will create {big} new jobs by {month} next year.",
    "Both sides agreed to hold the next meeting of the intergovernmental commission in {city2}.",
)
REPORTS_AGENCIES = ("Azertag", "APA", "Trend")
DATELINE_AGENCIES = ("Reuters", "AFP")


def _slots(rng: random.Random) -> dict[str, str]:
    country, country2 = rng.sample(COUNTRIES, 2)
    city, city2 = rng.sample(CITIES, 2)
    org, org2 = rng.sample(ORGS, 2)
    topic, topic2 = rng.sample(TOPICS, 2)
    return {
        "person": rng.choice(PEOPLE), "title": rng.choice(TITLES),
        "country": country, "country2": country2, "city": city, "city2": city2,
        "org": org, "org2": org2, "org_cap": "The" + org[3:] if org.startswith("the ") else org,
        "topic": topic, "topic2": topic2, "month": rng.choice(MONTHS),
        "day": str(rng.randint(1, 28)), "pct": f"{rng.randint(2, 95)}.{rng.randint(0, 9)}",
        "money": f"{rng.randint(5, 950)}", "count": str(rng.randint(2, 12)),
        "big": f"{rng.randint(1, 9)},{rng.randint(100, 999)}", "quote": rng.choice(QUOTES),
    }


def headline(rng: random.Random) -> str:
    return rng.choice(HEADLINES).format(**_slots(rng))


def sentence(rng: random.Random) -> str:
    return rng.choice(SENTENCES).format(**_slots(rng))


def paragraph(rng: random.Random, sentences: tuple[int, int] = (2, 5)) -> str:
    templates = rng.sample(SENTENCES, rng.randint(*sentences))
    return " ".join(template.format(**_slots(rng)) for template in templates)


def paragraphs(rng: random.Random, count: int) -> list[str]:
    return [paragraph(rng) for _ in range(count)]


def slugify(text: str, max_words: int = 10) -> str:
    words = re.sub(r"[^a-z0-9]+", " ", text.lower()).split()
    return "-".join(words[:max_words]) or "news"
