"""Street addresses by their shape, and places where the words around them say so.

A house number, a name and a street word make an address whatever the street is called
("17 Larchmere Close"); the place after its comma is part of it ("17 Larchmere Close,
Dunmow"). A place that no gazetteer lists is still a place after "I live in", "moved
here from", "based in", or on its own line under a street in an address block."""

from __future__ import annotations

UPPER = "A-ZÀ-ÖØ-ÞĀ-Ž"
CAPITALISED = f"[{UPPER}][\\w'’.-]*"
ANY_WORD = "[^\\W\\d_][\\w'’.-]*"

# Street words, written after the street's name (USPS suffixes, British ones, and the
# Nordic, Dutch, German and Hungarian endings that join the name or follow it).
STREET_WORDS = (
    "Street|St|Avenue|Ave|Av|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl|"
    "Terrace|Ter|Square|Sq|Parkway|Pkwy|Highway|Hwy|Close|Crescent|Cres|Grove|Row|Mews|"
    "Gardens|Gdns|Garden|Walk|Rise|Hill|Hills|Park|View|Green|Circle|Cir|Circus|Loop|Trail|"
    "Trl|Path|Alley|Plaza|Crossing|Xing|Point|Ridge|Heights|Hts|Estate|Estates|Fields?|Manor|"
    "Meadows?|Mills?|Pike|Quay|Wharf|Wynd|Vale|Valley|Village|Bypass|Causeway|Centre|Center|"
    "Common|Corner|Cove|Creek|Dale|Glen|Harbou?r|Haven|Hollow|Junction|Knolls?|Lakes?|"
    "Landing|Lodge|Mall|Motorway|Mount|Mountain|Orchard|Oval|Pass|Passage|Pines|Plains?|"
    "Port|Prairie|Ranch|Route|Rte|Run|Shores?|Springs?|Spur|Station|Summit|Trace|Track|"
    "Turnpike|Tpke|Vista|Parade|Esplanade|Embankment|Gate|Yard|Chase|Approach|Croft|Fold|"
    "Paddock|Wood|Woods|Brook|Downs|Broadway|Freeway|Fwy|Expressway|Expy|Bend|Bluffs?|"
    "Branch|Bridge|Brg|Canyon|Cape|Cliffs?|Crest|Curve|Ferry|Flats?|Ford|Forest|Forge|Fork|"
    "Gateway|Heath|Island|Isle|Keys?|Neck|Overpass|Radial|Rapids|Shoal|Skyway|Stravenue|"
    "Stream|Throughway|Trafficway|Tunnel|Underpass|Viaduct|Ville|Wells?|"
    "utca|u\\.|tér|út|tie|katu|kuja|vej|gade|gata|gatan|vägen|veien|straße|strasse|str\\.|"
    "weg|gasse|platz|allee|straat|laan|gracht|plein"
)
# The street words people also type in lower case, common enough to trust in any case.
COMMON_STREET_WORDS = (
    "street|st|avenue|ave|road|rd|boulevard|blvd|lane|ln|drive|close|crescent|terrace|"
    "gardens|mews|grove|court|place|square|row|walk|rise|parkway|highway|way"
)
# Words that start a clause, not a place, after a street's comma
FUNCTION_WORDS = "and|or|but|the|then|so|which|where|please|thanks|i|we|it|if|when|as|by|for"
# Words written before the street's name: "Rue de la Paix 12", "Calle Mayor 5"
STREET_PREFIXES = (
    "Rue|Avenue|Av\\.|Boulevard|Bd|Chemin|Allée|Impasse|Quai|Calle|C/|Avenida|Avda\\.?|Paseo|"
    "Carrera|Via|Viale|Piazza|Corso|Largo|Rua|Travessa|Ulica|ul\\.|Aleja|al\\."
)
PREFIXED = (
    rf"\b(?i:{STREET_PREFIXES})[ \t]+(?:(?:de|del|de la|du|des|la|le|los|las|di|della|do|da|"
    rf"dos|l'|d')[ \t]*)*{CAPITALISED}(?:[ \t]+{CAPITALISED}){{0,3}}"
)
STATE_AND_ZIP = r"(?:,?[ \t]+[A-Z]{2})?(?:,?[ \t]+\d{5}(?:-\d{4})?)?"
# ", Dunmow", ", Port Whitney, NV 12345": the place after a street, on the same line
PLACE_AFTER = rf"(?:,[ \t]*[{UPPER}][\w'’-]+(?:[ \t]+[{UPPER}][\w'’-]+){{0,2}}{STATE_AND_ZIP})?"
MONTHS = (
    "(?:Jan|January|Feb|February|Mar|March|Apr|April|May|Jun|June|Jul|July|Aug|August|Sep|Sept|"
    "September|Oct|October|Nov|November|Dec|December)"
)
NUMBER = r"\b\d{1,6}[A-Za-z]?(?:[-/]\d{1,4}[A-Za-z]?)?,?(?:[ \t]+\d{1,5}[A-Za-z]?,?)?"

CONTEXT = [
    "address", "live", "lives", "located", "street", "office", "ship", "send", "deliver",
    "billing", "apt", "suite",
]  # fmt: skip
# (name, regex, score): case-sensitive, (?i:...) where any case will do
STREET_PATTERNS: list[tuple[str, str, float]] = [
    # "42 Maple Grove Avenue", "17 Larchmere Close, Dunmow": number, name, street word
    (
        "number street word",
        rf"{NUMBER}[ \t]+(?:{CAPITALISED}[ \t]+){{1,4}}(?:{STREET_WORDS})\b\.?{PLACE_AFTER}",
        0.6,
    ),
    # "17 larchmere close": the same in any case, with the common street words only
    (
        "number street word, any case",
        rf"(?i:{NUMBER}[ \t]+(?:{ANY_WORD}[ \t]+){{1,3}}(?:{COMMON_STREET_WORDS})\b\.?)"
        rf"(?:,[ \t]*(?!(?i:{FUNCTION_WORDS})\b)[^\W\d_][\w'’-]+)?",
        0.5,
    ),
    # "Hauptstraße 5", "Kalverstraat 12", "Puruntie 82": a name joined to its street word
    (
        "street compound number",
        rf"\b[{UPPER}][\w'’-]*(?:straße|strasse|str\.|weg|gasse|platz|allee|straat|laan|"
        rf"gracht|plein|gatan|vägen|gränd|gade|vej|veien|gata|katu|tie|kuja|utca)[ \t]+\d{{1,5}}[a-zA-Z]?\b",
        0.6,
    ),
    # "12 rue de la Paix", "Calle Mayor 5", "via Roma 10": a number before or after
    (
        "street prefix",
        rf"(?:{NUMBER}[ \t]+{PREFIXED}|{PREFIXED},?[ \t]+\d{{1,5}}[a-zA-Z]?\b)",
        0.5,
    ),
    # "28245 Puruntie 82", "1987 74 Diakou Street": numbers on both sides of the name
    (
        "number words number",
        rf"\b\d{{1,6}}\s+(?:\d{{1,4}}\s+)?(?!{MONTHS}\b){CAPITALISED}(?:\s+{CAPITALISED}){{0,3}}"
        rf"\s+\d{{1,5}}[A-Za-z]?\b",
        0.45,
    ),
    (
        "unit",
        r"(?i:\b(?:Apt\.?|Apartment|Suite|Unit|Flat|P\.\s?O\.\s?Box)\s*#?\s?\d{1,6}[A-Za-z]?\b)",
        0.5,
    ),
]


def address_context() -> list[str]:
    return list(CONTEXT)
