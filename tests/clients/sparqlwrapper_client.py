"""A SPARQL client no one here wrote (SPARQLWrapper, from PyPI) against
assetgraph: an UPDATE, a SELECT and a CONSTRUCT over HTTP Basic auth, as
PoolParty's loaders and analysts' notebooks send them. Prints one JSON
object with what it got; the Rust test checks it."""

import json
import sys

from SPARQLWrapper import BASIC, JSON, POST, TURTLE, SPARQLWrapper

endpoint, user, password = sys.argv[1], sys.argv[2], sys.argv[3]


def client():
    sparql = SPARQLWrapper(endpoint, updateEndpoint=endpoint)
    sparql.setHTTPAuth(BASIC)
    sparql.setCredentials(user, password)
    return sparql


update = client()
update.setMethod(POST)
update.setQuery(
    """PREFIX ex: <http://example.com/>
    INSERT DATA { GRAPH ex:client { ex:cup ex:madeOf "paper" ; ex:recyclable true } }"""
)
update_answer = update.query()

select = client()
select.setReturnFormat(JSON)
select.setQuery(
    "SELECT ?p ?o WHERE { GRAPH <http://example.com/client> { <http://example.com/cup> ?p ?o } } ORDER BY ?p"
)
rows = select.query().convert()["results"]["bindings"]

construct = client()
construct.setReturnFormat(TURTLE)
construct.setQuery(
    "CONSTRUCT { ?s ?p ?o } WHERE { GRAPH <http://example.com/client> { ?s ?p ?o } }"
)
graph = construct.query().convert()
if isinstance(graph, bytes):
    graph = graph.decode("utf-8")

print(
    json.dumps(
        {
            "update_status": update_answer.response.status,
            "select": [[r["p"]["value"], r["o"]["value"]] for r in rows],
            "construct": graph if isinstance(graph, str) else graph.serialize(format="nt"),
        }
    )
)
