"""Grafana's built-in unit ids (packages/grafana-data/src/valueFormats/categories.ts), the ones a
KPI dashboard can plausibly need, plus the documented custom forms ``suffix:``/``prefix:``."""

BUILT_IN = frozenset("""
none string short percent percentunit humidity dB hex0x hex sci locale pixel
currencyUSD currencyGBP currencyEUR currencyJPY currencyRUB currencyUAH currencyBRL currencyDKK
currencyISK currencyNOK currencySEK currencyCZK currencyCHF currencyPLN currencyBTC currencyZAR
currencyINR currencyKRW
bits bytes kbytes mbytes gbytes tbytes pbytes decbits decbytes deckbytes decmbytes decgbytes
dectbytes decpbytes
pps bps Bps KBs Kbits MBs Mbits GBs Gbits TBs Tbits PBs Pbits
dateTimeAsIso dateTimeAsIsoNoDateIfToday dateTimeAsUS dateTimeAsUSNoDateIfToday dateTimeFromNow
watt kwatt megwatt gwatt mwatt watth kwatth joule
hertz ns µs ms s m h d dtdurationms dtdurations dthms dtdhms timeticks clockms clocks
cps ops reqps rps wps iops cpm opm rpm wpm
""".split())
CUSTOM_PREFIXES = ("suffix:", "prefix:")


def is_grafana_unit(unit: str) -> bool:
    return unit in BUILT_IN or (unit.startswith(CUSTOM_PREFIXES) and len(unit.split(":", 1)[1]) > 0)
