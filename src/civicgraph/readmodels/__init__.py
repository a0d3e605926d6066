"""What pages show: entities, search, the gallery, the ontology documentation."""
