"""Hostile documents the security tests send, built small so that tests stay fast."""

RDF_XML_ROOT = (
    '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
    'xmlns:ex="http://example.org/">'
)
_BODY = '<rdf:Description rdf:about="http://example.org/s"><ex:p>{}</ex:p></rdf:Description>'


def rdfxml(internal_subset: str, value: str = "&x;", doctype: str = "DOCTYPE") -> bytes:
    """An RDF/XML document with a DOCTYPE internal subset and one literal ``value``."""
    return (
        f'<?xml version="1.0"?>\n<!{doctype} rdf:RDF [{internal_subset}]>\n'
        f"{RDF_XML_ROOT}{_BODY.format(value)}</rdf:RDF>"
    ).encode()


def billion_laughs(levels: int = 10) -> bytes:
    """Nested entities: ten references per level, ``10**levels`` bytes once expanded."""
    declarations = ['<!ENTITY x0 "aaaaaaaaaa">']
    declarations += [f'<!ENTITY x{i} "{f"&x{i - 1};" * 10}">' for i in range(1, levels)]
    return rdfxml("".join(declarations), f"&x{levels - 1};")


def external_entity(url: str) -> bytes:
    """An entity whose replacement text would come from ``url`` (XML 1.0 §4.2.2)."""
    return rdfxml(f'<!ENTITY x SYSTEM "{url}">')


def flat_entities() -> bytes:
    """What ontology editors write: a flat entity used to shorten IRIs."""
    subset = '<!ENTITY ex "http://example.org/">'
    return (
        f'<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [{subset}]>\n{RDF_XML_ROOT}'
        '<rdf:Description rdf:about="&ex;s"><ex:p rdf:resource="&ex;o"/></rdf:Description>'
        "</rdf:RDF>"
    ).encode()


def deep_json_ld(depth: int) -> bytes:
    """JSON-LD objects nested ``depth`` levels (5,000 crash pyoxigraph's parser)."""
    return ('{"http://example.org/p": ' * depth + '"v"' + "}" * depth).encode()
